#!/usr/bin/env bash
# redis-cli and redis-benchmark against a real raftkv-server: every reply
# they get must be a success, and the server must exit cleanly afterwards.
set -eu
bin=$1
dir=$(mktemp -d /tmp/raftkv-cli-XXXXXX)
# client and peer (+10000) ports stay below the ephemeral range (32768..), where
# outgoing connections could take a peer port before a node listens on it
port=$(( 11000 + $$ % 10000 ))
"$bin" --port "$port" --dir "$dir/data" --logfile "$dir/server.log" &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
pass=0 fail=0
check() { # name, expected, actual
  if [ "$2" = "$3" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: want [$2] got [$3]"; fi
}
cli() { redis-cli -p "$port" "$@"; }
check "set" "OK" "$(cli set greeting hello)"
check "get" "hello" "$(cli get greeting)"
check "incr" "1" "$(cli incr visits)"
check "inline via stdin" "PONG" "$(printf 'PING\r\n' | cli)"
check "pipe mode" "errors: 0, replies: 1000" "$(for i in $(seq 1000); do printf 'SET pipe:%d %d\r\n' $i $i; done | cli --pipe 2>&1 | grep -o 'errors: [0-9]*, replies: [0-9]*')"
check "dbsize" "1002" "$(cli dbsize)"
check "unknown" "ERR unknown command 'foo', with args beginning with: " "$(cli foo)"
check "scan all" "1002" "$(cli --scan | wc -l | tr -d ' ')"
check "info" "1" "$(cli info server | grep -c '^redis_version:')"
out=$(redis-benchmark -p "$port" -t set,get,incr,ping_inline,ping_mbulk,mset -n 20000 -c 20 -P 4 -q 2>&1)
echo "$out" | tr '\r' '\n' | grep 'requests per second' | sed 's/^/  /'
check "benchmark tests" "6" "$(echo "$out" | tr '\r' '\n' | grep -c 'requests per second')"
check "benchmark errors" "0" "$(echo "$out" | grep -ci 'error' || true)"
# A client whose unparsed input passes client-query-buffer-limit is closed.
cli config set client-query-buffer-limit 1mb >/dev/null
check "query buffer limit" "closed" "$(python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
try:
    s.sendall(b"*1\r\n$5000000\r\n" + b"x" * 2000000)
    print("closed" if s.recv(100) == b"" else "open")
except (BrokenPipeError, ConnectionResetError):
    print("closed")
' "$port")"
check "still serving" "PONG" "$(cli ping)"
kill -TERM $pid
wait $pid; rc=$?
trap - EXIT
check "clean exit" "0" "$rc"
# Bad options: a message naming them, exit code 1, nothing created on disk.
for args in "--nosuch 1" "--port abc" "--loglevel loud" "--maxclients"; do
  msg=$("$bin" $args --dir "$dir/never" 2>&1) && rc=0 || rc=$?
  check "bad option '$args' exit" "1" "$rc"
  name=${args%% *}; name=${name#--}
  check "bad option '$args' named" "yes" "$(echo "$msg" | grep -q -- "$name" && echo yes || echo "no: $msg")"
done
check "bad options touch nothing" "no" "$([ -e "$dir/never" ] && echo yes || echo no)"
# utils/cluster drives a local 3-node cluster: start, status, kill, restart, add, remove, stop.
export CLUSTER_DIR="$dir/cluster" RAFTKV_SERVER="$bin"
uc() { "$(dirname "$0")/../utils/cluster" "$@"; }
cbase=$(( port + 3 ))
trap 'uc stop >/dev/null 2>&1 || true' EXIT
uc start 3 "$cbase" >/dev/null
leader_of() { uc status | awk '$4 == "leader" {print $1}'; }
wait_leader() { for _ in $(seq 100); do [ -n "$(leader_of)" ] && break; sleep 0.1; done; }
wait_leader
lead=$(leader_of)
check "cluster status shows one leader" "1" "$(uc status | awk '$4 == "leader"' | wc -l | tr -d ' ')"
check "cluster status shows two followers" "2" "$(uc status | awk '$4 == "follower"' | wc -l | tr -d ' ')"
fol=$(( lead % 3 + 1 ))
check "cluster write via a follower" "OK" "$(redis-cli -p $(( cbase + fol - 1 )) set ck cv)"
uc kill "$lead" >/dev/null
check "cluster status shows the killed node down" "1" "$(uc status | awk '$4 == "down"' | wc -l | tr -d ' ')"
wait_leader
check "cluster elects another leader" "yes" "$(l=$(leader_of); [ -n "$l" ] && [ "$l" != "$lead" ] && echo yes || echo no)"
uc restart "$lead" >/dev/null
got=""
for _ in $(seq 100); do got=$(redis-cli -p $(( cbase + lead - 1 )) get ck 2>/dev/null || true); [ "$got" = cv ] && break; sleep 0.1; done
check "restarted node reads the write" "cv" "$got"
check "cluster add joins a 4th node as a voter" "node 4 is a voting member (port $(( cbase + 3 )))" "$(uc add 2>&1 | tail -1)"
check "the new node reads the data" "cv" "$(redis-cli -p $(( cbase + 3 )) get ck)"
check "cluster status lists 4 nodes" "4" "$(uc status | awk 'NR > 1' | wc -l | tr -d ' ')"
check "cluster remove 1" "node 1 removed" "$(uc remove 1 2>&1 | tail -1)"
check "cluster status lists 3 nodes" "3" "$(uc status | awk 'NR > 1' | wc -l | tr -d ' ')"
wait_leader
check "the 3 remaining members serve writes" "OK" "$(redis-cli -p $(( cbase + 3 )) set ck2 cv2)"
check "cluster stop" "stopped" "$(uc stop)"
check "no node left running" "0" "$(uc status | awk '$4 != "down" && NR > 1' | wc -l | tr -d ' ')"
logs=$(cat "$CLUSTER_DIR"/node*.log)
check "cluster logs free of sanitizer reports" "0" "$(echo "$logs" | grep -c 'Sanitizer\|runtime error' || true)"
echo "clitools: $pass passed, $fail failed"
[ "$fail" = 0 ] && rm -rf "$dir"
[ "$fail" = 0 ]
