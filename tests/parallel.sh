#!/usr/bin/env bash
# Runs each argument, a shell command, with at most JOBS (default: the
# number of cores) at once, and prints each one's output whole, in the
# order given, once it is done. For suites of independent CPU-bound
# programs (unit tests, simulator seeds, fuzz targets), never for
# clusters, whose timing depends on having the machine to themselves.
# Exit status 1 if any command failed.
# Usage: tests/parallel.sh CMD...
set -u
jobs=${JOBS:-$(nproc)}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0
for cmd in "$@"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  (bash -c "$cmd" >"$dir/$n.out" 2>&1; echo $? >"$dir/$n.rc") &
  n=$((n + 1))
done
wait
rc=0
for ((k = 0; k < n; k++)); do
  cat "$dir/$k.out"
  [ "$(cat "$dir/$k.rc")" = 0 ] || rc=1
done
exit $rc
