#!/usr/bin/env bash
# Runs the test suite (or the spec files given) N times in a row while `stress --cpu 2` loads
# the machine, and stops at the first failing run. Flakes under load show up here, not in CI.
#   scripts/stress-test-runs.sh 5                       # the whole suite, 5 times
#   scripts/stress-test-runs.sh 3 test/redis test/nest  # only these paths, 3 times
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-5}
shift || true
command -v stress >/dev/null || { echo "stress is not installed (apt-get install -y stress)" >&2; exit 1; }

npm run build >/dev/null
stress --cpu 2 >/dev/null 2>&1 &
stress_pid=$!
trap 'kill "$stress_pid" 2>/dev/null || true' EXIT

mkdir -p .tmp
for run in $(seq 1 "$runs"); do
  log=.tmp/stress-run-$run.log
  if NODE_OPTIONS=--experimental-vm-modules npx jest "$@" >"$log" 2>&1; then
    echo "run $run of $runs under stress --cpu 2: $(grep -E '^Tests:' "$log")"
  else
    echo "run $run of $runs under stress --cpu 2 FAILED: $(grep -E '^Tests:' "$log"); see $log" >&2
    grep -E '^\s+● ' "$log" | sort -u >&2 || true
    exit 1
  fi
done
