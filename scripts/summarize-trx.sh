#!/usr/bin/env bash
# Counts test outcomes in the TRX files of a directory (default artifacts/test-results) and prints
# `N passed, N failed, N skipped` as its last line. Passed counts as passed, NotExecuted as skipped,
# every other outcome (Failed, Error, Timeout, Aborted, Inconclusive, ...) as failed.
# Exit code: 0 if nothing failed and at least one test passed; 1 otherwise.
# Pure bash + grep: TRX writes each <UnitTestResult ...> start tag on one line, and '>' or '"' inside
# attribute values are escaped, so the outcome attribute can be matched without an XML parser.
set -euo pipefail
dir="${1:-artifacts/test-results}"

passed=0 failed=0 skipped=0 files=0
shopt -s nullglob
for trx in "$dir"/*.trx "$dir"/*/*.trx; do
  files=$((files + 1))
  while read -r outcome; do
    case "$outcome" in
      Passed) passed=$((passed + 1)) ;;
      NotExecuted) skipped=$((skipped + 1)) ;;
      *) failed=$((failed + 1)) ;;
    esac
  done < <(grep -o '<UnitTestResult [^>]*' "$trx" | grep -o ' outcome="[^"]*"' | sed 's/^ outcome="//; s/"$//' || true)
done

echo "summarize-trx: $files TRX file(s) in $dir"
echo "$passed passed, $failed failed, $skipped skipped"
if (( failed > 0 || passed == 0 )); then
  exit 1
fi
