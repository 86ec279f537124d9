# raftkv: `make` builds src/raftkv-server, `make run` starts it,
# `make test` installs what is missing (as root), builds with sanitizers and
# runs every test.
CC ?= cc
WARN := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE
CFLAGS ?= -O2 -g
LIBS := -lev -lleveldb -lz -lm -lpthread -lssl -lcrypto
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Sources live in one folder per layer (docs/design.md); each is listed
# once, by folder. Objects go to build/<variant>/ with their dependency
# files, so a changed header rebuilds exactly what includes it.
SRC_DIRS := base core storage replica commands net
INC := $(SRC_DIRS:%=-Isrc/%)
SERVER_SRC := $(wildcard $(SRC_DIRS:%=src/%/*.c))
DEPFLAGS = -MMD -MP

.PHONY: all release deps test-deps run test test-long unit sim linearize integration cluster hostile membership diskfault differential expiry clitools auth tls bench clean \
	fuzz fuzz-smoke fuzz-build fuzz-corpus jepsen

all: deps src/raftkv-server src/raftkv-check-log

# The release build alone (make test builds it beside a suite).
release: src/raftkv-server src/raftkv-check-log

deps:
	@deps/install.sh

test-deps:
	@deps/install.sh --test

# rel: the release build; san: every test, with sanitizers; fuzz: clang.
rel = $(patsubst src/%.c,build/rel/%.o,$(1))
san = $(patsubst src/%.c,build/san/%.o,$(1))
build/rel/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) $(INC) $(DEPFLAGS) -c -o $@ $<
build/san/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) -O1 -g $(SAN) $(INC) $(DEPFLAGS) -c -o $@ $<
build/san/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(WARN) -O1 -g $(SAN) $(INC) -Itests -Itests/fuzz $(DEPFLAGS) -c -o $@ $<

src/raftkv-server: $(call rel,$(SERVER_SRC))
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# Sanitizer builds live in build/ so they never mix with the release binary.
build/raftkv-server-san: $(call san,$(SERVER_SRC))
	$(CC) -O1 -g $(SAN) -o $@ $^ $(LIBS)

# Everything but main() goes into one archive per variant: tests and tools
# link it and take only the objects they need.
LIB_SRC := $(filter-out src/net/main.c,$(SERVER_SRC))
build/rel/libraftkv.a: $(call rel,$(LIB_SRC))
	ar rcs $@ $^
build/san/libraftkv.a: $(call san,$(LIB_SRC))
	ar rcs $@ $^

src/raftkv-check-log: build/rel/tools/check-log.o build/rel/libraftkv.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

build/raftkv-check-log-san: build/san/tools/check-log.o build/san/libraftkv.a
	$(CC) -O1 -g $(SAN) -o $@ $^ $(LIBS)

UNIT_TESTS := test_resp test_glob test_entry test_image test_peer test_raft test_store test_keycache test_bloom test_acl
build/test_%: build/san/tests/test_%.o build/san/libraftkv.a
	$(CC) -O1 -g $(SAN) -o $@ $^ $(LIBS)
build/sim_%: build/san/tests/sim_%.o build/san/libraftkv.a
	$(CC) -O1 -g $(SAN) -o $@ $^ $(LIBS)

build/test_server: build/san/tests/test_server.o
	$(CC) -O1 -g $(SAN) -o $@ $^ -lhiredis

# libFuzzer targets (tests/fuzz/), one per decoder of untrusted bytes, built
# with clang. Each links what it needs from the archive and runs on a
# scratch copy of its seed corpus in tests/fuzz/corpus/<target>.
FUZZ_CC ?= clang
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_TARGETS := resp peer wal entry image config members apply
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3

build/fuzz/libraftkv.a: $(patsubst src/%.c,build/fuzz/obj/%.o,$(LIB_SRC))
	ar rcs $@ $^

.PRECIOUS: build/fuzz/obj/%.o build/fuzz/obj/tests/%.o
build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(WARN) $(FUZZ_FLAGS) $(INC) $(DEPFLAGS) -c -o $@ $<
build/fuzz/obj/tests/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(WARN) $(FUZZ_FLAGS) $(INC) -Itests/fuzz $(DEPFLAGS) -c -o $@ $<

build/fuzz/fuzz_%: build/fuzz/obj/tests/fuzz_%.o build/fuzz/libraftkv.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^ $(LIBS)

fuzz-build: $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)

# Each target for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=600); fails on any crash.
fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The same for a few seconds each: part of `make test`.
fuzz-smoke: fuzz-build
	@tests/parallel.sh $(FUZZ_TARGETS:%="tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) %")

# Regenerates tests/fuzz/corpus with raftkv's own encoders.
build/fuzz/make_corpus: build/san/tests/fuzz/make_corpus.o build/san/libraftkv.a
	$(CC) -O1 -g $(SAN) -o $@ $^ $(LIBS)

fuzz-corpus: build/fuzz/make_corpus
	rm -rf tests/fuzz/corpus
	build/fuzz/make_corpus tests/fuzz/corpus

-include $(shell find build -name '*.d' 2>/dev/null)

# A local 3-node cluster in the foreground (data in ./cluster-data); Ctrl-C stops it.
run: all
	@utils/cluster run 3 7001

unit: $(UNIT_TESTS:%=build/%) build/test_wal build/raftkv-check-log-san
	@tests/parallel.sh $(UNIT_TESTS:%=build/%) "build/test_wal build/raftkv-check-log-san"
	@tests/mutate.sh --check

# Seeded simulation of whole clusters; SIM="first-seed seeds steps" to vary.
SIM ?= 1 2000 2000
sim: build/sim_raft
	@set -- $(SIM); h=$$(($$2 / 2)); \
	tests/parallel.sh "build/sim_raft $$1 $$h $$3" "build/sim_raft $$(($$1 + h)) $$(($$2 - h)) $$3"

# Known-unsafe mutations of the Raft core (tests/mutations.txt): the
# simulator must catch each within the seeds `make sim` runs.
.PHONY: mutate
mutate:
	SIM="$(SIM)" tests/mutate.sh

# The long runs: thousands of seeds; each nemesis for minutes on the release build.
test-long: build/sim_raft src/raftkv-server build/raftkv-server-san build/test_server
	build/sim_raft 1 10000 2000
	python3 tests/hostile_test.py build/raftkv-server-san --long
	TEST_LONG=1 build/test_server build/raftkv-server-san
	SIM="$(SIM)" tests/mutate.sh
	python3 tests/jepsen_test.py src/raftkv-server --long

integration: build/raftkv-server-san build/test_server
	build/test_server build/raftkv-server-san

differential: build/raftkv-server-san
	tests/differential_test.py build/raftkv-server-san

# A real 3-node cluster: failover, lost majority, peer garbage, torn WAL.
cluster: build/raftkv-server-san
	python3 tests/cluster_test.py build/raftkv-server-san

# Hostile clients on a real 3-node cluster: extreme offsets and counts, glob
# patterns, huge requests and headers, clients that never read, fd exhaustion.
hostile: build/raftkv-server-san
	python3 tests/hostile_test.py build/raftkv-server-san

# Key expiry on real 3-node clusters: a key past its time gone on every node
# (after kill -9 of the leader too), the same expiry times in every copy
# (restart, snapshot image), a leader whose clock is behind, 100,000 volatile
# keys drained twice, Redis's own expire tests through a follower.
expiry: build/raftkv-server-san
	python3 tests/expiry_test.py build/raftkv-server-san

# Client authentication on a real 3-node cluster: NOAUTH on a follower, the
# leader's own check of forwarded users, CONFIG SET requirepass; protected
# mode from a non-loopback address (root: a network namespace; else skipped).
auth: build/raftkv-server-san
	python3 tests/auth_test.py build/raftkv-server-san

# TLS on a real 3-node cluster with tls-cluster yes, certificates made by
# the openssl command: redis-cli and redis-benchmark --tls, client
# certificates, garbage and stalled handshakes; peer links over TLS (large
# values, kill and restart, --join), plain and foreign-CA peers refused;
# CONFIG SET of certificates at run time; the start-up refusals.
tls: build/raftkv-server-san
	python3 tests/tls_test.py build/raftkv-server-san

# The linearizability checker's own tests (histories that must pass or fail).
linearize:
	python3 tests/linearize_test.py

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

# Builds use both cores (-j); the suites run one at a time, but for the ones
# that only compute (and the release build), each beside one that mostly
# waits (tests/run.sh).
# What the suites run is built first, so that suites run beside one another
# never build the same files (fuzz-smoke, beside jepsen, builds build/fuzz
# only), and the test programs' objects are kept, not rebuilt by the suites.
TEST_BUILDS := $(UNIT_TESTS:%=build/%) build/test_wal build/raftkv-check-log-san build/raftkv-server-san \
	build/test_server build/sim_raft build/faultfs.so
.SECONDARY: $(UNIT_TESTS:%=build/san/tests/%.o) build/san/tests/test_wal.o build/san/tests/sim_raft.o
test: test-deps
	@$(MAKE) --no-print-directory -j$$(nproc) $(TEST_BUILDS)
	@tests/run.sh unit+linearize+integration cluster hostile membership diskfault fuzz-smoke+jepsen sim+differential expiry auth release+tls clitools

bench: all
	utils/bench

clean:
	rm -rf build src/raftkv-server src/raftkv-check-log
