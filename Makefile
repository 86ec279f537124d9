# raftkv: `make` builds src/raftkv-server, `make run` starts it,
# `make test` installs what is missing (as root), builds with sanitizers and
# runs every test.
CC ?= cc
PKGS := libev
WARN := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE
CFLAGS ?= -O2 -g
LIBS := -lev -lleveldb -lz -lm -lpthread
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SERVER_SRC := src/buf.c src/log.c src/resp.c src/glob.c src/members.c src/config.c src/entry.c src/fsm.c src/cmd.c src/admin.c src/raft.c src/wal.c src/peer.c src/image.c src/transfer.c src/join.c src/node.c src/server.c
SERVER_HDR := $(wildcard src/*.h)

.PHONY: all deps test-deps run test test-long unit sim linearize integration cluster hostile membership diskfault differential clitools bench clean \
	fuzz fuzz-smoke fuzz-build fuzz-corpus jepsen

all: deps src/raftkv-server src/raftkv-check-log

deps:
	@deps/install.sh

test-deps:
	@deps/install.sh --test

src/raftkv-server: $(SERVER_SRC) $(SERVER_HDR)
	$(CC) $(WARN) $(CFLAGS) -o $@ $(SERVER_SRC) $(LIBS)

# Sanitizer builds live in build/ so they never mix with the release binary.
build/raftkv-server-san: $(SERVER_SRC) $(SERVER_HDR)
	@mkdir -p build
	$(CC) $(WARN) -O1 -g $(SAN) -o $@ $(SERVER_SRC) $(LIBS)

build/test_resp: tests/test_resp.c src/resp.c src/buf.c src/resp.h tests/testlib.h
	@mkdir -p build
	$(CC) $(WARN) -O1 -g $(SAN) -Isrc -o $@ tests/test_resp.c src/resp.c src/buf.c -lm

build/test_glob: tests/test_glob.c src/glob.c src/glob.h tests/testlib.h
	@mkdir -p build
	$(CC) $(WARN) -O1 -g $(SAN) -Isrc -o $@ tests/test_glob.c src/glob.c

build/test_entry: tests/test_entry.c src/entry.c src/buf.c src/resp.c src/entry.h tests/testlib.h
	@mkdir -p build
	$(CC) $(WARN) -O1 -g $(SAN) -Isrc -o $@ tests/test_entry.c src/entry.c src/resp.c src/buf.c -lm

build/sim_raft: tests/sim_raft.c src/raft.c src/raft.h src/members.c src/members.h src/buf.c tests/testlib.h
	@mkdir -p build
	$(CC) $(WARN) -O1 -g $(SAN) -Isrc -o $@ tests/sim_raft.c src/raft.c src/members.c src/buf.c

build/test_raft: tests/test_raft.c src/raft.c src/raft.h src/members.c src/members.h src/buf.c tests/testlib.h
	@mkdir -p build
	$(CC) $(WARN) -O1 -g $(SAN) -Isrc -o $@ tests/test_raft.c src/raft.c src/members.c src/buf.c

build/test_image: tests/test_image.c src/image.c src/image.h src/crc.h src/buf.c tests/testlib.h
	@mkdir -p build
	$(CC) $(WARN) -O1 -g $(SAN) -Isrc -o $@ tests/test_image.c src/image.c src/buf.c -lz

build/test_wal: tests/test_wal.c src/wal.c src/wal.h src/crc.h src/raft.h src/buf.c src/log.c tests/testlib.h
	@mkdir -p build
	$(CC) $(WARN) -O1 -g $(SAN) -Isrc -o $@ tests/test_wal.c src/wal.c src/buf.c src/log.c -lz

CHECK_SRC := src/check-log.c src/wal.c src/image.c src/buf.c src/log.c
src/raftkv-check-log: $(CHECK_SRC) src/wal.h src/image.h src/crc.h
	$(CC) $(WARN) $(CFLAGS) -o $@ $(CHECK_SRC) -lz

build/raftkv-check-log-san: $(CHECK_SRC) src/wal.h src/image.h src/crc.h
	@mkdir -p build
	$(CC) $(WARN) -O1 -g $(SAN) -o $@ $(CHECK_SRC) -lz

build/test_peer: tests/test_peer.c src/peer.c src/peer.h src/members.c src/entry.c src/buf.c src/log.c src/resp.c tests/testlib.h
	@mkdir -p build
	$(CC) $(WARN) -O1 -g $(SAN) -Isrc -o $@ tests/test_peer.c src/peer.c src/members.c src/entry.c src/buf.c src/log.c src/resp.c -lev -lz -lm

build/test_server: tests/test_server.c tests/testlib.h
	@mkdir -p build
	$(CC) $(WARN) -O1 -g $(SAN) -Isrc -o $@ tests/test_server.c -lhiredis

# libFuzzer targets (tests/fuzz/), one per decoder of untrusted bytes, built
# with clang. Each links the sources below and runs on a scratch copy of its
# seed corpus in tests/fuzz/corpus/<target>.
FUZZ_CC ?= clang
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_TARGETS := resp peer wal entry image config members apply
FUZZ_SRC_resp := src/resp.c src/buf.c
FUZZ_SRC_peer := src/peer.c src/members.c src/entry.c src/buf.c src/log.c src/resp.c
FUZZ_SRC_wal := src/wal.c src/members.c src/entry.c src/buf.c src/log.c src/resp.c
FUZZ_SRC_entry := src/entry.c src/resp.c src/buf.c
FUZZ_SRC_image := src/image.c src/buf.c
FUZZ_SRC_config := src/config.c src/glob.c src/members.c src/resp.c src/buf.c src/log.c
FUZZ_SRC_members := src/members.c src/buf.c
FUZZ_SRC_apply := src/cmd.c src/glob.c src/fsm.c src/entry.c src/resp.c src/buf.c src/log.c
FUZZ_LIBS := -lev -lz -lm
FUZZ_LIBS_apply := -lleveldb -lpthread
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 4

fuzz_objs = $(patsubst src/%.c,build/fuzz/obj/%.o,$(FUZZ_SRC_$(1)))

.PRECIOUS: build/fuzz/obj/%.o
build/fuzz/obj/%.o: src/%.c $(SERVER_HDR)
	@mkdir -p build/fuzz/obj
	$(FUZZ_CC) $(WARN) $(FUZZ_FLAGS) -c -o $@ $<

.SECONDEXPANSION:
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzzlib.h $(SERVER_HDR) $$(call fuzz_objs,$$*)
	$(FUZZ_CC) $(WARN) $(FUZZ_FLAGS) -Isrc -o $@ $< $(call fuzz_objs,$*) $(FUZZ_LIBS) $(FUZZ_LIBS_$*)

fuzz-build: $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)

# Each target for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=600); fails on any crash.
fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The same for a few seconds each: part of `make test`.
fuzz-smoke: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# Regenerates tests/fuzz/corpus with raftkv's own encoders.
FUZZ_CORPUS_SRC := src/peer.c src/members.c src/entry.c src/buf.c src/log.c src/resp.c src/wal.c src/image.c
build/fuzz/make_corpus: tests/fuzz/make_corpus.c $(FUZZ_CORPUS_SRC) $(SERVER_HDR)
	@mkdir -p build/fuzz
	$(CC) $(WARN) -O1 -g -Isrc -o $@ $< $(FUZZ_CORPUS_SRC) -lev -lz -lm

fuzz-corpus: build/fuzz/make_corpus
	rm -rf tests/fuzz/corpus
	build/fuzz/make_corpus tests/fuzz/corpus

# A local 3-node cluster in the foreground (data in ./cluster-data); Ctrl-C stops it.
run: all
	@utils/cluster run 3 7001

unit: build/test_resp build/test_glob build/test_entry build/test_peer build/test_raft build/test_wal build/test_image build/raftkv-check-log-san
	build/test_resp
	build/test_glob
	build/test_entry
	build/test_image
	build/test_peer
	build/test_raft
	build/test_wal build/raftkv-check-log-san

# Seeded simulation of whole clusters; SIM="first-seed seeds steps" to vary.
SIM ?= 1 400 2000
sim: build/sim_raft
	build/sim_raft $(SIM)

# The long runs: thousands of seeds; each nemesis for minutes on the release build.
test-long: build/sim_raft src/raftkv-server build/raftkv-server-san
	build/sim_raft 1 10000 2000
	python3 tests/jepsen_test.py src/raftkv-server --long
	HOSTILE_LONG=1 python3 tests/hostile_test.py build/raftkv-server-san

integration: build/raftkv-server-san build/test_server
	build/test_server build/raftkv-server-san

differential: build/raftkv-server-san
	tests/differential.py build/raftkv-server-san

# A real 3-node cluster: failover, lost majority, peer garbage, torn WAL.
cluster: build/raftkv-server-san
	python3 tests/cluster_test.py build/raftkv-server-san

# Hostile clients on a real 3-node cluster: extreme offsets and counts, glob
# patterns, huge requests and headers, clients that never read, fd exhaustion.
hostile: build/raftkv-server-san
	python3 tests/hostile_test.py build/raftkv-server-san

# The linearizability checker's own tests (histories that must pass or fail).
linearize:
	python3 tests/test_linearize.py

# Membership changes and leadership transfer under a writing client.
membership: build/raftkv-server-san
	python3 tests/membership_test.py build/raftkv-server-san

# A shim that fails fsync on demand (LD_PRELOAD; see the file): a plain
# shared object, no sanitizers, loaded after libasan.
build/faultfs.so: tests/faultfs.c
	@mkdir -p build
	$(CC) $(WARN) -O2 -shared -fPIC -o $@ tests/faultfs.c

# Disk damage and failing disks on a real 3-node cluster under a writing
# client: torn and corrupted logs, damaged state machines, fsync EIO, ENOSPC.
diskfault: build/raftkv-server-san build/raftkv-check-log-san build/faultfs.so
	python3 tests/diskfault_test.py build/raftkv-server-san

# Linearizability under kill -9, SIGSTOP and partitions (root: ip netns, nft):
# every nemesis briefly on 3 and 5 nodes.
jepsen: build/raftkv-server-san
	python3 tests/jepsen_test.py build/raftkv-server-san

clitools: build/raftkv-server-san
	tests/clitools.sh build/raftkv-server-san

test: test-deps all
	@tests/run.sh unit sim linearize integration cluster hostile membership diskfault jepsen differential clitools fuzz-smoke

bench: all
	utils/bench

clean:
	rm -rf build src/raftkv-server src/raftkv-check-log
