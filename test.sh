#!/usr/bin/env bash
# Runs every test of the solution from a fresh clone, installing what the tests need first.
# Prints the runner's output, then one plain line: "N passed, N failed".
# Usage: ./test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Hocon]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

# What the tests need besides the .NET SDK (nothing else yet; later issues add a broker and a
# headless browser here, so that CI on a new machine gets them too).
command -v dotnet >/dev/null || { echo "the .NET 10 SDK (dotnet) is required" >&2; exit 2; }

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet test actors.sln -c Release --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# dotnet test prints one summary line per test assembly:
#   "Passed!  - Failed:     0, Passed:    42, Skipped:     0, Total:    42, Duration: ..."
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # A build error or a crashed test host: count it as a failure so that CI cannot read it as green.
  failed=1
fi
echo "$passed passed, $failed failed"
exit "$status"
