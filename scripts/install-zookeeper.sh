#!/usr/bin/env bash
# Installs Debian's Apache ZooKeeper server package (3.8.x) if it is not installed yet.
# Idempotent: does nothing when /usr/share/java/zookeeper.jar already exists.
# The package does not start a service; the test harness (tests/Orleans.ZooKeeper.Testing)
# starts its own server processes on loopback.
set -euo pipefail

ZK_JAR=/usr/share/java/zookeeper.jar

if [[ -f "$ZK_JAR" ]] && command -v java >/dev/null 2>&1; then
  echo "install-zookeeper: $ZK_JAR and java already present; nothing to do."
  exit 0
fi

echo "install-zookeeper: $ZK_JAR or java missing."
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"
apt_install install-zookeeper zookeeper

if [[ ! -f "$ZK_JAR" ]]; then
  echo "install-zookeeper: installation finished but $ZK_JAR is still missing." >&2
  exit 1
fi
if ! command -v java >/dev/null 2>&1; then
  echo "install-zookeeper: installation finished but java is not on PATH." >&2
  exit 1
fi
echo "install-zookeeper: installed $(readlink -f "$ZK_JAR")."
