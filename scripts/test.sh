#!/usr/bin/env bash
# The project's test command: builds and runs every test project in the solution (Release), writing TRX
# results to artifacts/test-results. Real-ZooKeeper tests need scripts/install-zookeeper.sh to have run, the Kerberos
# tests scripts/install-kerberos.sh.
# Extra arguments are passed on to `dotnet test` (e.g. --filter ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# One test project at a time (-m:1): the projects start ZooKeeper ensembles, silos and sample runs of their own, and
# on a 2-core machine running several at once starved timing-bound tests (session expiry, failover) into flakes.
exec dotnet test Orleans.ZooKeeper.sln -c Release -m:1 --logger trx --results-directory artifacts/test-results "$@"
