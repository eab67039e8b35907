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

if [[ "$(id -u)" -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo -n)
else
  echo "install-zookeeper: not root and sudo is not available; cannot install the 'zookeeper' package." >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-zookeeper: apt-get not found; install Apache ZooKeeper 3.8 and Java manually so that $ZK_JAR exists." >&2
  exit 1
fi

echo "install-zookeeper: $ZK_JAR or java missing; running apt-get update..."
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
echo "install-zookeeper: running apt-get install -y zookeeper..."
"${SUDO[@]}" apt-get install -y zookeeper

if [[ ! -f "$ZK_JAR" ]]; then
  echo "install-zookeeper: installation finished but $ZK_JAR is still missing." >&2
  exit 1
fi
if ! command -v java >/dev/null 2>&1; then
  echo "install-zookeeper: installation finished but java is not on PATH." >&2
  exit 1
fi
echo "install-zookeeper: installed $(readlink -f "$ZK_JAR")."
