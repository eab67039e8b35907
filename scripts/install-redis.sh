#!/usr/bin/env bash
# Installs Debian's redis-server package if redis-server is not on PATH yet (used by the `storage` benchmark,
# benchmarks/Orleans.ZooKeeper.Benchmarks, which runs Orleans' Redis grain storage side by side with ours).
# Idempotent. The package starts no service here (no systemd); the benchmark starts its own redis-server on
# loopback (--bind 127.0.0.1, a free port, --save '' --appendonly no, --daemonize yes, pid/log/dir in a temp dir)
# and stops it by its PID.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "install-redis: $(command -v redis-server) already present; nothing to do."
  exit 0
fi

source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"
apt_install install-redis redis-server

if ! command -v redis-server >/dev/null 2>&1; then
  echo "install-redis: installation finished but redis-server is still not on PATH." >&2
  exit 1
fi
echo "install-redis: installed $(command -v redis-server) ($(redis-server --version))."
