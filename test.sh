#!/usr/bin/env bash
# Runs every test of the solution from a fresh clone, installing what the tests need first.
# Prints the runner's output, then one plain line: "N passed, N failed".
# Usage: ./test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Hocon]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

# What the tests need besides the .NET SDK, installed here so that CI on a new machine gets it too.
command -v dotnet >/dev/null || { echo "the .NET 10 SDK (dotnet) is required" >&2; exit 2; }

# The HTML report's browser test drives Debian's Chromium through Playwright (whose driver comes
# with its NuGet package; no browser is downloaded). Install it from Debian's packages if missing,
# with a font so that chart labels have glyphs.
chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
  echo "test.sh: $chromium is missing; installing Debian's chromium for the HTML report test (apt-get, ~1 min)..."
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null && sudo="sudo -n" || { echo "test.sh: cannot install chromium: not root and no sudo; run 'apt-get install chromium' as root" >&2; exit 2; }
  fi
  aptlog="$(mktemp)"
  if ! { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; } >"$aptlog" 2>&1; then
    echo "test.sh: installing chromium with apt-get failed; its last lines:" >&2
    tail -n 20 "$aptlog" >&2
    rm -f "$aptlog"
    exit 2
  fi
  rm -f "$aptlog"
  "$chromium" --version >/dev/null 2>&1 || { echo "test.sh: chromium was installed but '$chromium --version' fails" >&2; exit 2; }
  echo "test.sh: installed $("$chromium" --version 2>/dev/null)"
fi

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
