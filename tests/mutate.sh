#!/usr/bin/env bash
# Mutation test of the simulator: each line of tests/mutations.txt is a
# known-unsafe one-line change to the Raft core; the simulator must catch
# every one (a safety violation or a failed check, or a crash) within the
# seeds `make sim` runs. Each is applied to a copy of the tree in a temporary
# directory (never to this checkout), the simulator is built there and run
# from the first seed of SIM for the mutation's seed budget, stopping at the
# first seed that fails (SIM_FIRST_FAIL).
#   tests/mutate.sh [N...]   only mutations N... (1-based, comments skipped)
# SIM="first seeds steps" as in the Makefile (first seed and steps are used;
# the seed count is each mutation's budget; MUTATE_SEEDS=n overrides it,
# to explore). Exit 1 if one survived, 2 if a
# mutation does not apply (its original text is not in the file exactly
# once) or does not build.
# mutations.txt: file<TAB>original<TAB>replacement<TAB>seed budget<TAB>what
# it breaks; the original text must occur exactly once in the file; lines
# starting with # are comments.
#   tests/mutate.sh --check  only that every mutation still applies (make
#                            unit runs it: a change to the core must not
#                            leave a mutation silently broken)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
list=${MUTATIONS:-$root/tests/mutations.txt}
if [ "${1:-}" = --check ]; then
  exec python3 - "$root" "$list" <<'EOF'
import sys
root, bad, n = sys.argv[1], 0, 0
for line in open(sys.argv[2]):
    if not line.strip() or line.startswith("#"):
        continue
    n += 1
    f, orig = line.split("\t")[:2]
    k = open("%s/%s" % (root, f)).read().count(orig)
    if k != 1:
        bad += 1
        print("FAIL mutation %d: its original text occurs %d times in %s, not once: %s" % (n, k, f, orig))
print("mutations: %d passed, %d failed" % (n - bad, bad))
sys.exit(1 if bad else 0)
EOF
fi
read -r first _ steps <<<"${SIM:-1 400 2000}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/raftkv-mutate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/tree" "$tmp/orig"
cp -r "$root/Makefile" "$root/src" "$root/tests" "$tmp/tree/"
rm -f "$tmp/tree/src/raftkv-server" "$tmp/tree/src/raftkv-check-log"
cd "$tmp/tree" || exit 2

want=" $* "
n=0 survived=0 caught=0
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in ''|'#'*) continue ;; esac
  n=$((n + 1))
  [ $# -eq 0 ] || [[ "$want" == *" $n "* ]] || continue
  # (read with IFS=tab would merge empty fields: cut keeps them)
  file=$(printf '%s' "$line" | cut -f1)
  orig=$(printf '%s' "$line" | cut -f2)
  repl=$(printf '%s' "$line" | cut -f3)
  budget=$(printf '%s' "$line" | cut -f4)
  what=$(printf '%s' "$line" | cut -f5-)
  budget=${MUTATE_SEEDS:-$budget}
  if [ -z "$file" ] || [ -z "$orig" ] || ! [[ "$budget" =~ ^[0-9]+$ ]]; then
    echo "mutate: $list: mutation $n is malformed: $line" >&2
    exit 2
  fi
  mkdir -p "$tmp/orig/$(dirname "$file")"
  [ -f "$tmp/orig/$file" ] || cp "$root/$file" "$tmp/orig/$file"
  cp "$tmp/orig/$file" "$file"
  if ! ORIG="$orig" REPL="$repl" python3 - "$file" <<'EOF'
import os, sys
p = sys.argv[1]
s = open(p).read()
o, r = os.environ["ORIG"], os.environ["REPL"]
k = s.count(o)
if k != 1:
    sys.stderr.write("mutate: %s: the original text occurs %d times, not once: %s\n" % (p, k, o))
    sys.exit(1)
open(p, "w").write(s.replace(o, r))
EOF
  then
    echo "mutate: mutation $n ($what) does not apply" >&2
    exit 2
  fi
  if ! nice make --no-print-directory build/sim_raft >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log" >&2
    echo "mutate: mutation $n ($what) does not build" >&2
    exit 2
  fi
  SIM_FIRST_FAIL=1 nice build/sim_raft "$first" "$budget" "$steps" >"$tmp/out" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    survived=$((survived + 1))
    echo "mutation $n SURVIVED seeds $first..$((first + budget - 1)): $what"
  else
    caught=$((caught + 1))
    seed=$(grep -Eo '^sim: seed [0-9]+' "$tmp/out" | tail -1 | grep -Eo '[0-9]+$')
    why=$(grep -E -m1 '^FAIL|ERROR: AddressSanitizer|runtime error|Assertion' "$tmp/out" | sed -E 's/^FAIL [^ ]+ //')
    echo "mutation $n caught at seed $seed ($((seed - first + 1)) of $budget): $what"
    echo "    ${why:-exit status $rc}"
  fi
  cp "$tmp/orig/$file" "$file"
done <"$list"
echo "mutate: $caught caught, $survived survived"
[ $survived -eq 0 ]
