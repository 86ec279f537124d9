#!/usr/bin/env bash
# Runs every suite (the make targets given) one after another, shows their
# output, and closes with the seconds each took and one total line summed
# from each suite's "N passed, N failed". "a+b" runs a beside b: a (a suite
# that only computes: no servers, ports or network rules) in the background,
# its output shown once both are done; what a suite needs is built by the
# suites before it, so the two builds never touch the same files.
set -u
log=$(mktemp)
rc=0
times=
run_one() {  # target: its output to stdout, its status
  make --no-print-directory -j"$(nproc)" "$1" 2>&1
}
for item in "$@"; do
  echo "=== $item"
  t0=$SECONDS
  IFS=+ read -r -a parts <<< "$item"
  last=${parts[${#parts[@]}-1]}
  pids=() outs=()
  for t in "${parts[@]:0:${#parts[@]}-1}"; do
    o=$(mktemp)
    ( run_one "$t" > "$o"; echo $? >> "$o.rc" ) &
    pids+=($!) outs+=("$o:$t")
  done
  run_one "$last" | tee -a "$log"
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "=== $last FAILED"; rc=1; }
  [ ${#pids[@]} = 0 ] || wait "${pids[@]}"
  for ot in "${outs[@]}"; do
    o=${ot%%:*} t=${ot#*:}
    echo "=== $t (beside $last)"
    tee -a "$log" < "$o"
    [ "$(cat "$o.rc" 2>/dev/null)" = 0 ] || { echo "=== $t FAILED"; rc=1; }
    rm -f "$o" "$o.rc"
  done
  times="$times $item:$((SECONDS - t0))s"
done
p=$(grep -Eo '^[a-z]+: [0-9]+ passed' "$log" | awk '{s+=$2} END {print s+0}')
f=$(grep -Eo '^[a-z]+: [0-9]+ passed, [0-9]+ failed' "$log" | awk '{s+=$4} END {print s+0}')
rm -f "$log"
[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1  # a suite that crashed counts as a failure
echo "seconds per suite:$times"
echo "total: $p passed, $f failed"
exit $rc
