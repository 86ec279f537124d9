#!/usr/bin/env bash
# Runs libFuzzer targets one after another, each for a given time, on a
# scratch copy of its seed corpus (build/fuzz/work/<target>; nothing is
# written into tests/fuzz/corpus). A crash, leak, sanitizer report or broken
# invariant fails the target; its input is kept as
# build/fuzz/artifacts/<target>-crash-... and its log as build/fuzz/<target>.log.
# Prints executions per target and closes with "fuzz: N passed, M failed"
# (the line tests/run.sh sums). Exit status 1 if any target failed.
# Usage: tests/fuzz/run.sh <seconds per target> <target>...
set -u
secs=$1
shift
pass=0
fail=0
mkdir -p build/fuzz/work build/fuzz/artifacts
for t in "$@"; do
  work=build/fuzz/work/$t
  log=build/fuzz/$t.log
  rm -rf "$work"
  mkdir -p "$work"
  cp tests/fuzz/corpus/"$t"/* "$work"/
  start=$(date +%s.%N)
  build/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=build/fuzz/artifacts/"$t"- "$work" >"$log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1)
  inputs=$(ls "$work" | wc -l)
  took=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')
  if [ "$rc" = 0 ]; then
    pass=$((pass + 1))
    echo "fuzz_$t: ok, ${execs:-?} runs in ${took}s, ${cov:-cov: ?}, corpus $inputs inputs"
  else
    fail=$((fail + 1))
    echo "fuzz_$t: FAILED (exit $rc) after ${execs:-?} runs in ${took}s; log: $log"
    grep -E 'ERROR|invariant failed|runtime error|SUMMARY|Test unit written' "$log" | head -8 | sed 's/^/  /'
  fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
