#!/usr/bin/env bash
# Runs the sample. Uses ASAB_ZOOKEEPER_SERVERS when set; otherwise starts a local ZooKeeper
# (scripts/zookeeper-local.sh) for the run and stops it afterwards (its data stays in .zk-local/,
# so a second run sees what the first one stored).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=0
if [[ -z "${ASAB_ZOOKEEPER_SERVERS:-}" ]]; then
  ASAB_ZOOKEEPER_SERVERS="$(bash scripts/zookeeper-local.sh start)"
  export ASAB_ZOOKEEPER_SERVERS
  started=1
  trap 'bash scripts/zookeeper-local.sh stop' EXIT
fi
echo "ZooKeeper: $ASAB_ZOOKEEPER_SERVERS"
# SAMPLE=client runs the plain-client sample instead of the Orleans one.
project=samples/Orleans.ZooKeeper.Sample
[[ "${SAMPLE:-}" == "client" ]] && project=samples/Orleans.ZooKeeper.Client.Sample
dotnet run -c Release --project "$project" -- "$@"
