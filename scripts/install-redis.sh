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

if [[ "$(id -u)" -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo -n)
else
  echo "install-redis: not root and sudo is not available; cannot install the 'redis-server' package." >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-redis: apt-get not found; install redis-server manually." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-redis: running apt-get install -y redis-server..."
if ! "${SUDO[@]}" apt-get install -y redis-server; then
  echo "install-redis: install failed; running apt-get update and trying again..."
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" apt-get install -y redis-server
fi

if ! command -v redis-server >/dev/null 2>&1; then
  echo "install-redis: installation finished but redis-server is still not on PATH." >&2
  exit 1
fi
echo "install-redis: installed $(command -v redis-server) ($(redis-server --version))."
