#!/usr/bin/env bash
# Runs every suite (the make targets given), one at a time (what each needs
# built on every core), shows their output, and closes with the seconds
# each took and one total line summed from each suite's "N passed, N failed".
set -u
log=$(mktemp)
rc=0
times=
for t in "$@"; do
  echo "=== $t"
  t0=$SECONDS
  make --no-print-directory -j"$(nproc)" "$t" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "=== $t FAILED"; rc=1; }
  times="$times $t:$((SECONDS - t0))s"
done
p=$(grep -Eo '^[a-z]+: [0-9]+ passed' "$log" | awk '{s+=$2} END {print s+0}')
f=$(grep -Eo '^[a-z]+: [0-9]+ passed, [0-9]+ failed' "$log" | awk '{s+=$4} END {print s+0}')
rm -f "$log"
[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1  # a suite that crashed counts as a failure
echo "seconds per suite:$times"
echo "total: $p passed, $f failed"
exit $rc
