#!/usr/bin/env bash
# Finds the Debian packages raftkv needs; installs the missing ones when root.
# Usage: deps/install.sh [--test]   (--test adds what the test suite uses)
# The default set builds the server and gives redis-cli (redis-tools), which
# the README has a newcomer use against the cluster `make run` starts;
# libssl-dev gives libcrypto: the peer handshake's HMAC-SHA256 and nonces.
set -eu
pkgs="build-essential pkg-config libev-dev libleveldb-dev zlib1g-dev libssl-dev redis-tools"
if [ "${1:-}" = "--test" ]; then
  pkgs="$pkgs libhiredis-dev redis-server python3 python3-redis clang libclang-rt-14-dev iproute2 nftables"
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "raftkv: missing Debian packages:$missing" >&2
  echo "raftkv: install them as root: apt-get install$missing" >&2
  exit 1
fi
echo "raftkv: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The redis-server package starts a system instance on 6379; tests run their own.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
exit 0
