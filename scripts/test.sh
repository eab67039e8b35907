#!/usr/bin/env bash
# The project's test command: builds and runs every test project in the solution (Release), writing TRX
# results to artifacts/test-results. Real-ZooKeeper tests need scripts/install-zookeeper.sh to have run.
# Extra arguments are passed on to `dotnet test` (e.g. --filter ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec dotnet test Orleans.ZooKeeper.sln -c Release --logger trx --results-directory artifacts/test-results "$@"
