#!/usr/bin/env bash
# Runs every suite (the make targets given) one after another, shows their
# output, and closes with the seconds each took and one total line summed
# from each suite's "N passed, N failed". "a+b" runs a beside b: a (a suite
# that only computes: no servers, ports or network rules) in the
# background, in a session of its own, its output shown once both are
# done. `make test` builds what the suites run first, so the two never
# build the same files.
set -u
work=$(mktemp -d)
log=$work/log
rc=0
times=
pids=()
stop() {  # interrupted: the background suites go too
  for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null; done
  rm -rf "$work"
  exit 130
}
trap stop INT TERM
for item in "$@"; do
  [[ $item =~ ^[a-z][a-z-]*(\+[a-z][a-z-]*)*$ ]] || { echo "run.sh: bad suite list item '$item'" >&2; exit 2; }
done
for item in "$@"; do
  echo "=== $item"
  t0=$SECONDS
  IFS=+ read -r -a parts <<< "$item"
  last=${parts[${#parts[@]}-1]}
  pids=() names=()
  for t in "${parts[@]:0:${#parts[@]}-1}"; do
    setsid bash -c 'make --no-print-directory -j"$(nproc)" "$1" > "$2.out" 2>&1; echo $? > "$2.rc"' _ "$t" "$work/$t" &
    pids+=($!) names+=("$t")
  done
  make --no-print-directory -j"$(nproc)" "$last" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "=== $last FAILED"; rc=1; }
  [ ${#pids[@]} = 0 ] || wait "${pids[@]}"
  for t in "${names[@]}"; do
    echo "=== $t (beside $last)"
    tee -a "$log" < "$work/$t.out"
    [ "$(cat "$work/$t.rc" 2>/dev/null)" = 0 ] || { echo "=== $t FAILED"; rc=1; }
  done
  pids=()
  times="$times $item:$((SECONDS - t0))s"
done
p=$(grep -Eo '^[a-z]+: [0-9]+ passed' "$log" | awk '{s+=$2} END {print s+0}')
f=$(grep -Eo '^[a-z]+: [0-9]+ passed, [0-9]+ failed' "$log" | awk '{s+=$4} END {print s+0}')
rm -rf "$work"
[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1  # a suite that crashed counts as a failure
echo "seconds per suite:$times"
echo "total: $p passed, $f failed"
exit $rc
