#!/usr/bin/env python3
"""Linearizability of a real raftkv cluster under faults, in the spirit of
Jepsen (issue 6).

Each raftkv-server runs in its own network namespace (ip netns), joined by
veth pairs to a bridge in the root namespace on a private subnet that exists
only on this machine (10.77.X.0/24, X picked per run). Client threads in the
root namespace talk RESP to ALL nodes over the bridge (the control network)
doing GET / SET / INCR / DEL on a few keys, and compare-and-set through
WATCH / GET / MULTI / SET / EXEC (CAS: one that EXEC failed did not run),
and record every operation with its invocation and completion time and
outcome:

  ok       a reply (checked against the model);
  fail     CLUSTERDOWN ... (the server guarantees the command was not applied);
  unknown  TIMEOUT outcome unknown, a socket timeout, a lost connection, or
           any other unexpected error: it may take effect at any time later,
           or never. After it the client reconnects (to a random node).

Nemeses, each alone for a phase and then mixed:
  kill-random / kill-leader     kill -9, then restart with the same data dir
  pause-random / pause-leader   SIGSTOP then SIGCONT (the leader for several
                                election timeouts)
  partition-halves              a random minority cut from the majority
  partition-leader              the leader cut from everyone
  partition-bridge              two halves that only one node sees both of
  oneway                        one node stops receiving from the others (or
                                the others from it), the other way works
  flaky                         one node loses 50% of its incoming peer packets
  mixed                         random faults from the list above, sometimes
                                two at once
Partitions drop only peer traffic (the peer port, client port + 10000) with
nft rules inside the namespaces; clients still reach every node. The nodes
bind addresses beyond loopback, so they share a cluster secret (fresh each
run, by --cluster-secret-file) and every peer link is authenticated.

The report gives ok/failed/unknown counts and, for every fault, the longest
time without a successful operation and the time from healing to the first
success; then the history is checked with tests/linearize.py. A run fails on
a violation, on fewer successful operations than a minimum (a cluster that
is down is not linearizable by being silent), on a phase without any
success, on a sanitizer report or an unclean exit of a node. On a failure
the history (JSON lines, reloadable with `linearize.py FILE`) and the node
logs are kept and their folder is printed.

Every namespace, veth, bridge and rule is removed at the end, also when the
run fails; leftovers of earlier runs whose process is gone are removed at
the start (names rkvj<pid in base 36>_...).

Usage: jepsen_test.py SERVER [--nodes 3,5] [--phase S] [--long] [--seed N]
       [--clients N] [--keys N] [--nemeses a,b,...] [--min-ok N] [--keep]
Needs root, iproute2 and nftables."""
import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import linearize as lz  # noqa: E402
from harness import Error, check  # noqa: E402

PREFIX = "rkvj"
PORT = 7001
PEER = PORT + 10000
ELECTION_MS = 300
NEMESES = ["kill-random", "kill-leader", "pause-random", "pause-leader", "partition-halves", "partition-leader",
           "partition-bridge", "oneway", "flaky", "mixed"]


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def sh(*args, input=None, check_rc=True):
    p = subprocess.run(list(args), input=input, capture_output=True, text=True)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(args), (p.stderr or p.stdout).strip()))
    return p


def b36(n):
    s = ""
    while True:
        n, r = divmod(n, 36)
        s = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + s
        if not n:
            return s


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class Net:
    """Namespaces rkvj<tag>_<i>, veths rkvj<tag>_h<i> (root side) and eth0
    (inside), bridge rkvj<tag>_b holding .254 of 10.77.X.0/24; tag: this
    process's pid in base 36."""

    def __init__(self, n):
        self.tag = b36(os.getpid())
        self.n = n
        used = sh("ip", "-4", "-o", "addr").stdout
        x = 20 + os.getpid() % 200
        while "10.77.%d." % x in used:
            x = 20 + (x - 19) % 200
        self.subnet = "10.77.%d" % x
        self.br = "%s%s_b" % (PREFIX, self.tag)
        self.ns = {i: "%s%s_%d" % (PREFIX, self.tag, i) for i in range(1, n + 1)}
        self.rules = {}  # node -> nft rule lines of its input chain

    def ip(self, i):
        return "%s.%d" % (self.subnet, i)

    @staticmethod
    def owner(name):
        """The pid that made a namespace or link of ours, from its name."""
        try:
            return int(name[len(PREFIX):].split("_")[0], 36)
        except ValueError:
            return None

    @staticmethod
    def cleanup_stale():
        """Removes namespaces and links of earlier runs whose process is gone."""
        removed = 0
        for line in sh("ip", "netns", "list", check_rc=False).stdout.splitlines():
            name = line.split()[0] if line.split() else ""
            if name.startswith(PREFIX) and "_" in name:
                pid = Net.owner(name)
                if pid is not None and not alive(pid):
                    for p in sh("ip", "netns", "pids", name, check_rc=False).stdout.split():
                        try:
                            os.kill(int(p), signal.SIGKILL)
                        except (ProcessLookupError, ValueError):
                            pass
                    sh("ip", "netns", "del", name, check_rc=False)
                    removed += 1
        for line in sh("ip", "-o", "link", "show", check_rc=False).stdout.splitlines():
            parts = line.split(":")
            if len(parts) < 2:
                continue
            name = parts[1].strip().split("@")[0]
            if name.startswith(PREFIX) and "_" in name:
                pid = Net.owner(name)
                if pid is not None and not alive(pid):
                    sh("ip", "link", "del", name, check_rc=False)
                    removed += 1
        if removed:
            log("removed %d leftovers of earlier runs" % removed)

    def setup(self):
        sh("ip", "link", "add", self.br, "type", "bridge")
        sh("ip", "addr", "add", self.ip(254) + "/24", "dev", self.br)
        sh("ip", "link", "set", self.br, "up")
        for i, ns in self.ns.items():
            host, peer = "%s%s_h%d" % (PREFIX, self.tag, i), "%s%s_p%d" % (PREFIX, self.tag, i)
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "add", host, "type", "veth", "peer", "name", peer)
            sh("ip", "link", "set", peer, "netns", ns)
            sh("ip", "link", "set", host, "master", self.br)
            sh("ip", "link", "set", host, "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", peer, "name", "eth0")
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", self.ip(i) + "/24", "dev", "eth0")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")

    def teardown(self):
        for i, ns in self.ns.items():
            for p in sh("ip", "netns", "pids", ns, check_rc=False).stdout.split():
                try:
                    os.kill(int(p), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", ns, check_rc=False)  # takes its veth pair along
            sh("ip", "link", "del", "%s%s_h%d" % (PREFIX, self.tag, i), check_rc=False)
            sh("ip", "link", "del", "%s%s_p%d" % (PREFIX, self.tag, i), check_rc=False)
        sh("ip", "link", "del", self.br, check_rc=False)

    def leftovers(self):
        names = sh("ip", "netns", "list", check_rc=False).stdout + sh("ip", "-o", "link", "show").stdout
        return [w for w in names.replace(":", " ").replace("@", " ").split() if w.startswith(PREFIX + self.tag + "_")]

    def _apply(self, i):
        lines = self.rules.get(i, [])
        script = "table inet rkvj\ndelete table inet rkvj\n"
        if lines:
            script += ("table inet rkvj {\n  chain input {\n    type filter hook input priority 0; policy accept;\n" +
                       "".join("    %s\n" % l for l in lines) + "  }\n}\n")
        sh("ip", "netns", "exec", self.ns[i], "nft", "-f", "-", input=script)

    def drop_from(self, pairs, percent=100):
        """For each (a, b): node a drops peer traffic coming from b (a's
        peer port, or b's peer port answering a): one way; a pair both ways
        is a full cut between them. percent < 100: a random share only."""
        by = collections.defaultdict(list)
        for a, b in pairs:
            by[a].append(self.ip(b))
        for a, srcs in by.items():
            s = "{ %s }" % ", ".join(srcs)
            loss = "" if percent >= 100 else " numgen random mod 100 < %d" % percent
            self.rules.setdefault(a, [])
            self.rules[a] += ["ip saddr %s tcp dport %d%s drop" % (s, PEER, loss),
                              "ip saddr %s tcp sport %d%s drop" % (s, PEER, loss)]
            self._apply(a)

    def heal(self):
        for i in list(self.rules):
            self.rules[i] = []
            self._apply(i)
        self.rules = {}


class Cluster(harness.Cluster):
    """The nodes, each in its namespace of net (ip netns exec), bound to
    its address on the bridge, all on port PORT."""

    def __init__(self, net, server, n, args):
        super().__init__(server, n, timing=(ELECTION_MS, ELECTION_MS // 6, args.request_timeout_ms), stop_wait=20,
                         prefix="raftkv-jepsen-%d-" % n, secret=os.urandom(24).hex())
        self.net = net
        self.keep = self.keep or args.keep
        self.info_timeout = 0.5
        self.start_wait = 30

    def host(self, i):
        return self.net.ip(i)

    def port(self, i):
        return PORT

    def args(self, i, cluster=None):
        # the clients come from the bridge, not a loopback address: without
        # a password, protected mode would turn them away
        return super().args(i, cluster) + ["--bind", self.host(i), "--protected-mode", "no"]

    def command(self, i, cluster=None):
        return ["ip", "netns", "exec", self.net.ns[i]] + self.args(i, cluster)  # ip execs the server

    def crashed(self):
        """Nodes that exited without being told to: (node, rc), once each;
        they are dropped from procs (restart them with start)."""
        out = []
        with self.lock:
            for i, p in list(self.procs.items()):
                if p.poll() is not None:
                    out.append((i, p.returncode))
                    del self.procs[i]
                    self.paused.discard(i)
        return out


KEYS = []


EX_KEYS = ["ex%d" % k for k in range(4)]
QUEUE_KEYS = ["jq%d" % k for k in range(2)]  # the queue workload: RPUSH, BLPOP
APPEND_KEYS = ["jl%d" % k for k in range(2)]  # the list-append workload: RPUSH, LRANGE
SET_KEYS = ["js%d" % k for k in range(2)]  # the set workload: SADD (new members, and again), SMEMBERS


def queue_problems(ops, remaining):
    """The queue workload's check (Jepsen's total-queue): ops are (kind, key,
    value, outcome) with kind "enq" (RPUSH of a value never pushed before)
    or "deq" (BLPOP: value None when it timed out); remaining, key -> the
    elements left once all is healed. No element is delivered twice (two
    dequeues, or a dequeue and the remainder), none comes from nowhere or
    from an enqueue that failed, and every acknowledged enqueue is dequeued
    or remains, but for as many as dequeues of unknown outcome may have
    taken."""
    probs = []
    enq = {v: o for k, key, v, o in ops if k == "enq"}
    seen = collections.Counter(v for k, key, v, o in ops if k == "deq" and o == "ok" and v is not None)
    for key, vals in remaining.items():
        seen.update(vals)
    probs += ["%s delivered %d times" % (v, c) for v, c in seen.items() if c > 1]
    probs += ["%s delivered, never enqueued" % v for v in seen if v not in enq]
    probs += ["%s delivered, its enqueue failed" % v for v in seen if enq.get(v) == "fail"]
    lost = [v for v, o in enq.items() if o == "ok" and v not in seen]
    maybe = sum(1 for k, key, v, o in ops if k == "deq" and o == "unknown")
    if len(lost) > maybe:
        probs.append("%d acknowledged elements lost (%d dequeues of unknown outcome): %r" % (len(lost), maybe, lost[:5]))
    return probs


def append_problems(ops, final):
    """The list-append workload's check (single-key lists, as Jepsen's
    list-append without transactions): ops are (kind, key, value, outcome,
    ret, inv, cmp), "append" (RPUSH of a new value; ret the length it
    answered) or "read" (LRANGE 0 -1; ret the list); final, key -> the list
    once all is healed. The final list holds each value once, each
    acknowledged append at the place its reply gave and none that failed;
    every read is a prefix of it; a read holds every append acknowledged
    before it began, and is no shorter than a read that ended before it
    began."""
    probs = []
    for key, lst in final.items():
        where = {v: i for i, v in enumerate(lst)}
        if len(where) != len(lst):
            probs.append("%s: a value appears twice in %r" % (key, lst))
        mine = [o for o in ops if o[1] == key]
        made = {o[2]: o for o in mine if o[0] == "append"}
        for v in lst:
            if v not in made or made[v][3] == "fail":
                probs.append("%s: %s in the list, never appended (or its append failed)" % (key, v))
        for k, _, v, outcome, ret, inv, cmp in mine:
            if k == "append" and outcome == "ok" and where.get(v) != ret - 1:
                probs.append("%s: %s acknowledged at %d, found at %s" % (key, v, ret, where.get(v)))
        reads = sorted((o for o in mine if o[0] == "read" and o[3] == "ok"), key=lambda o: o[5])
        for _, _, _, _, got, inv, cmp in reads:
            if got != lst[:len(got)]:
                probs.append("%s: read %r is not a prefix of the final list" % (key, got[:8]))
        acked = sorted((o[6], o[4]) for o in mine if o[0] == "append" and o[3] == "ok")
        for _, _, _, _, got, inv, cmp in reads:
            need = max([n for done, n in acked if done < inv] or [0])
            if len(got) < need:
                probs.append("%s: a read began after an append acknowledged at %d, saw %d" % (key, need, len(got)))
        for i, r in enumerate(reads):
            for q in reads[:i]:
                if q[6] < r[5] and len(q[4]) > len(r[4]):
                    probs.append("%s: a read saw %d after an earlier read saw %d" % (key, len(r[4]), len(q[4])))
                    break
    return probs


def set_problems(ops, final):
    """The set workload's check: ops are (kind, key, value, outcome, ret,
    inv, cmp), "add" (SADD of one member: a new one, or again one added
    before; ret its reply, 1 or 0) or "read" (SMEMBERS; ret the members);
    final, key -> the members once all is healed. A SADD answering 0 (an
    add that changes nothing: raftkv answers it as a read) must follow an
    add of its member begun before it ended; one answering 1 must not
    follow one of its member acknowledged before it began. The final set
    holds every acknowledged add and nothing never added or whose adds all
    failed; a read holds every member acknowledged before it began and
    none whose first add began after it ended."""
    probs = []
    for key, members in final.items():
        mine = [o for o in ops if o[1] == key]
        adds = collections.defaultdict(list)
        for o in mine:
            if o[0] == "add":
                adds[o[2]].append(o)
        for v in members:
            if all(o[3] == "fail" for o in adds.get(v, [])):
                probs.append("%s: %s in the set, never added (or every add failed)" % (key, v))
        for v, lst in adds.items():
            for k, _, _, outcome, ret, inv, cmp in lst:
                if outcome != "ok":
                    continue
                if v not in members:
                    probs.append("%s: acknowledged add of %s lost" % (key, v))
                others = [o for o in lst if o[5] != inv or o[6] != cmp]
                if ret == 0 and not any(o[3] != "fail" and o[5] < cmp for o in others):
                    probs.append("%s: SADD %s answered 0 before any add of it began" % (key, v))
                if ret == 1 and any(o[3] == "ok" and o[6] < inv for o in others):
                    probs.append("%s: SADD %s answered 1 after an add of it was acknowledged" % (key, v))
        for k, _, _, outcome, got, inv, cmp in mine:
            if k != "read" or outcome != "ok":
                continue
            need = {v for v, lst in adds.items() if any(o[3] == "ok" and o[6] < inv for o in lst)}
            if need - set(got):
                probs.append("%s: a read missed %d members acknowledged before it began" % (key, len(need - set(got))))
            early = [v for v in got if not any(o[3] != "fail" and o[5] < cmp for o in adds.get(v, []))]
            if early:
                probs.append("%s: a read saw %r before any add of it began" % (key, early[:3]))
    return probs


def no_resurrection(ops):
    """What expiry on cluster time promises under faults: every SET is of a
    value never written before, so once a read that began after a SET was
    acknowledged sees another value (the key expired, or was overwritten),
    that value is gone for good; a read that begins after that read ended
    and returns it is a resurrection. The violations, as (key, value, read
    that saw it gone, read that saw it again)."""
    out = []
    for key in {o[1] for o in ops}:
        sets = {o[2]: o for o in ops if o[1] == key and o[0] == "SET"}
        gets = sorted((o for o in ops if o[1] == key and o[0] == "GET"), key=lambda o: o[3])
        for v, w in sets.items():
            gone = [g for g in gets if g[3] >= w[4] and g[2] != v]
            if not gone:
                continue
            first = min(gone, key=lambda g: g[4])
            again = [g for g in gets if g[3] > first[4] and g[2] == v]
            if again:
                out.append((key, v, first, again[0]))
    return out


def stale_or_early(ops):
    """The register rules expiry leaves standing: a GET that returns a value
    returns one whose SET began before the GET ended (never an early
    read), and not one a later SET had already replaced when the GET began
    (a SET acknowledged before the GET began, itself begun after the
    value's SET was acknowledged: never a stale read). Only nil may stand
    for an expired value. The violations, as (key, value, GET, why)."""
    out = []
    for key in {o[1] for o in ops}:
        sets = {o[2]: o for o in ops if o[1] == key and o[0] == "SET"}
        for g in (o for o in ops if o[1] == key and o[0] == "GET" and o[2] is not None):
            w = sets.get(g[2])
            if w is None:
                continue  # a SET whose reply was lost: its outcome is unknown
            if w[3] > g[4]:
                out.append((key, g[2], g, "read before its SET began"))
            elif any(x[3] > w[4] and x[4] < g[3] for x in sets.values()):
                out.append((key, g[2], g, "replaced by a SET done before the read began"))
    return out


class Worker(threading.Thread):
    """One client: random ops on random keys through random nodes."""

    def __init__(self, cid, h, seed):
        super().__init__(daemon=True)
        self.cid, self.h = cid, h
        self.rng = random.Random(seed)
        self.conn = None
        self.node = None
        self.errors = collections.Counter()

    def connect(self):
        i = self.rng.randint(1, self.h.cl.n) if self.node is None else self.node
        try:
            self.conn = self.h.cl.client(i, self.h.args.client_timeout)
            self.node = i
            # then move to another node: by time, not by count, or a node
            # that answers slowly (2 s to say CLUSTERDOWN) would soon hold
            # every client and the report would measure it alone
            self.until = time.monotonic() + self.rng.uniform(0.5, 3.0)
            return True
        except OSError:
            self.node = None
            return False

    def drop(self):
        if self.conn:
            try:
                self.conn.close()
            except OSError:
                pass
        self.conn = None
        self.node = None

    def run(self):
        rng = self.rng
        gap = 1.0 / self.h.args.rate if self.h.args.rate else 0.0
        nxt = time.monotonic()
        while not self.h.halt:
            if gap:  # at most `rate` ops per second, each at a random moment
                nxt += rng.uniform(0, 2 * gap)
                d = nxt - time.monotonic()
                if d > 0:
                    time.sleep(d)
                else:
                    nxt = time.monotonic()
            if self.conn is None and not self.connect():
                time.sleep(0.05)
                continue
            if rng.random() < 0.15:
                self.expiring(rng)
                if self.conn is not None and time.monotonic() >= self.until:
                    self.drop()
                continue
            if rng.random() < 0.2:
                pick = rng.random()
                self.queue(rng) if pick < 0.35 else self.append(rng) if pick < 0.7 else self.sets(rng)
                if self.conn is not None and time.monotonic() >= self.until:
                    self.drop()
                continue
            key = rng.choice(KEYS)
            kind = rng.choices(("GET", "SET", "INCR", "DEL", "CAS"), (4, 3, 3, 1, 2))[0]
            arg = str(next(self.h.values) * 1000000) if kind in ("SET", "CAS") else None
            cmd = (kind, key) + ((arg,) if arg else ())
            if kind == "CAS":
                self.cas(key, arg)
            else:
                self.one(cmd, key, kind, arg)
            if self.conn is not None and time.monotonic() >= self.until:
                self.drop()

    def expiring(self, rng):
        """On keys of their own: SET with PX 300 (a value never written
        before), or GET. Recorded for no_resurrection()."""
        key = rng.choice(EX_KEYS)
        setting = rng.random() < 0.4
        val = str(next(self.h.values) * 1000000) if setting else None
        inv = time.monotonic()
        try:
            r = self.conn.call("SET", key, val, "PX", "300") if setting else self.conn.call("GET", key)
        except (OSError, ConnectionError, ValueError) as e:
            self.errors[type(e).__name__] += 1
            self.drop()
            return
        if isinstance(r, Error):
            self.errors[str(r)] += 1
            return
        cmp = time.monotonic()
        self.h.expiring.append(("SET", key, val, inv, cmp) if setting else ("GET", key, None if r is None else r.decode(),
                                                                          inv, cmp))

    def outcome(self, r):
        """ok, fail (CLUSTERDOWN: not applied) or unknown for a reply (an
        exception: the connection is gone)."""
        if isinstance(r, BaseException):
            self.errors[type(r).__name__] += 1
            self.drop()
            return "unknown"
        if isinstance(r, Error):
            self.errors[str(r)] += 1
            if str(r).startswith("CLUSTERDOWN"):
                return "fail"
            if not str(r).startswith("TIMEOUT"):
                self.errors["unexpected: " + str(r)] += 1
            self.drop()
            return "unknown"
        return "ok"

    def call(self, *cmd):
        try:
            return self.conn.call(*cmd)
        except (OSError, ConnectionError, ValueError) as e:
            return e

    def queue(self, rng):
        """RPUSH of a new value, or BLPOP waiting 50 ms, on a queue key."""
        key = rng.choice(QUEUE_KEYS)
        if rng.random() < 0.5:
            val = "q%d" % next(self.h.values)
            r = self.call("RPUSH", key, val)
            o = self.outcome(r)
            if o == "ok" and not isinstance(r, int):
                self.errors["unexpected: RPUSH %r" % (r,)] += 1
            self.h.queue.append(("enq", key, val, o))
        else:
            r = self.call("BLPOP", key, "0.05")
            o = self.outcome(r)
            val = None
            if o == "ok" and r is not None:
                if isinstance(r, list) and len(r) == 2 and r[0] == key.encode():
                    val = r[1].decode()
                else:
                    self.errors["unexpected: BLPOP %r" % (r,)] += 1
            self.h.queue.append(("deq", key, val, o))

    def append(self, rng):
        """RPUSH of a new value (its reply: where it went), or LRANGE 0 -1."""
        key = rng.choice(APPEND_KEYS)
        inv = time.monotonic()
        if rng.random() < 0.5:
            val = "a%d" % next(self.h.values)
            r = self.call("RPUSH", key, val)
            o = self.outcome(r)
            if o == "ok" and not isinstance(r, int):
                self.errors["unexpected: RPUSH %r" % (r,)] += 1
                o = "unknown"
            self.h.appends.append(("append", key, val, o, r if o == "ok" else None, inv, time.monotonic()))
        else:
            r = self.call("LRANGE", key, "0", "-1")
            o = self.outcome(r)
            if o == "ok" and not isinstance(r, list):
                self.errors["unexpected: LRANGE %r" % (r,)] += 1
                o = "unknown"
            self.h.appends.append(("read", key, None, o, [x.decode() for x in r] if o == "ok" else None, inv,
                                   time.monotonic()))

    def sets(self, rng):
        """SADD of a new member, or again of one added before (a write that
        changes nothing: raftkv's leader answers it as a read), or SMEMBERS."""
        key = rng.choice(SET_KEYS)
        inv = time.monotonic()
        pick = rng.random()
        old = self.h.set_members[key]
        if pick < 0.6:
            val = rng.choice(old) if pick < 0.3 and old else "s%d" % next(self.h.values)
            r = self.call("SADD", key, val)
            o = self.outcome(r)
            if o == "ok" and r not in (0, 1):
                self.errors["unexpected: SADD %r" % (r,)] += 1
                o = "unknown"
            if o == "ok":
                old.append(val)
            self.h.sets.append(("add", key, val, o, r if o == "ok" else None, inv, time.monotonic()))
        else:
            r = self.call("SMEMBERS", key)
            o = self.outcome(r)
            if o == "ok" and not isinstance(r, list):
                self.errors["unexpected: SMEMBERS %r" % (r,)] += 1
                o = "unknown"
            self.h.sets.append(("read", key, None, o, sorted(x.decode() for x in r) if o == "ok" else None, inv,
                                time.monotonic()))

    def cas(self, key, new):
        """A compare-and-set: WATCH key, GET it (recorded as a read), MULTI,
        SET key new, EXEC. Ran (OK in EXEC's array): a CAS from the value
        read; nil, or anything going wrong before EXEC was sent: it did not
        run ("fail"); EXEC's reply lost or TIMEOUT: unknown."""
        node, inv = self.node, time.monotonic()
        try:
            if self.conn.call("WATCH", key) != "OK":
                raise ConnectionError("WATCH refused")
            read = self.one(("GET", key), key, "GET", None)
            if read.outcome != "ok" or self.conn is None:
                raise ConnectionError("GET failed")
            if self.conn.call("MULTI") != "OK" or self.conn.call("SET", key, new) != "QUEUED":
                raise ConnectionError("not queued")
        except (OSError, ConnectionError, ValueError) as e:
            self.errors["CAS not sent: " + type(e).__name__] += 1
            self.drop()
            return
        old = "nil" if read.ret is None else read.ret
        outcome = "ok"
        try:
            r = self.conn.call("EXEC")
        except (OSError, ConnectionError, ValueError) as e:
            self.errors[type(e).__name__] += 1
            self.drop()
            outcome = "unknown"
        else:
            if r is None:
                outcome = "fail"  # WATCH: touched since
            elif isinstance(r, Error):
                outcome = "unknown" if str(r).startswith("TIMEOUT") else "fail"
                self.errors[str(r)] += 1
                self.drop()
            elif r != ["OK"]:
                outcome = "unknown"
                self.errors["unexpected EXEC: %r" % (r,)] += 1
                self.drop()
        cmp = time.monotonic()
        op = lz.Op(self.cid, key, "CAS", "%s>%s" % (old, new), inv, cmp if outcome != "unknown" else None, outcome,
                   "OK" if outcome == "ok" else None, node)
        self.h.history.append((op, cmp))

    def one(self, cmd, key, kind, arg, record=None):
        node = self.node
        inv = time.monotonic()
        try:
            r = self.conn.call(*cmd)
        except (OSError, ConnectionError, ValueError) as e:
            cmp = time.monotonic()
            self.errors[type(e).__name__] += 1
            self.drop()
            outcome, ret = "unknown", None
        else:
            cmp = time.monotonic()
            outcome, ret = "ok", None
            if isinstance(r, Error):
                msg = str(r)
                if kind == "INCR" and msg.startswith("ERR value is not an integer"):
                    ret = "ERR"
                elif msg.startswith("CLUSTERDOWN"):
                    outcome = "fail"
                    self.errors[msg] += 1
                elif msg.startswith("TIMEOUT"):
                    outcome = "unknown"
                    self.errors[msg] += 1
                    self.drop()
                else:
                    outcome = "unknown"
                    self.errors["unexpected: " + msg] += 1
                    self.drop()
            elif kind == "GET":
                ret = None if r is None else r.decode()
            elif kind == "SET":
                ret = r
                if r != "OK":
                    outcome = "unknown"
                    self.errors["unexpected: %r" % (r,)] += 1
            else:
                ret = r
                if not isinstance(r, int):
                    outcome = "unknown"
                    self.errors["unexpected: %r" % (r,)] += 1
        op = lz.Op(self.cid, key, kind, arg, inv, cmp if outcome != "unknown" else None, outcome, ret, node)
        op_cmp = cmp  # when the client learned the outcome (for availability)
        (record if record is not None else self.h.history).append((op, op_cmp))
        return op


class JepsenRun:
    """One run on n nodes: clients, nemeses, the report and the check."""

    def __init__(self, args, n, seed):
        self.args, self.n, self.seed = args, n, seed
        self.rng = random.Random(seed)
        self.history = []  # (Op, time the client had the answer)
        self.expiring = []  # (SET or GET, key, value, inv, cmp) on EX_KEYS: acknowledged ones
        self.queue = []  # the queue workload's ops (queue_problems)
        self.appends = []  # the list-append workload's ops (append_problems)
        self.sets = []  # the set workload's ops (set_problems)
        self.set_members = {k: [] for k in SET_KEYS}  # members acknowledged added, to add again
        self.final_sets = {}  # key -> its members once all is healed
        self.final_lists = {}  # key -> its list once all is healed (queues and appended lists)
        self.values = iter(range(1, 1 << 62))
        self.halt = False
        self.faults = []  # dicts: nemesis, what, start, heal, end
        self.net = None
        self.cl = None
        self.workers = []
        self.final_worker = None
        self.crashes = []  # (node, exit code, time): nodes that died by themselves
        self.current = "start-up"
        self.t0 = time.monotonic()

    # --- faults -----------------------------------------------------------
    def others(self, i):
        return [j for j in range(1, self.n + 1) if j != i]

    def target(self, leader):
        if leader:
            ld = self.cl.leader(timeout=2.0)
            if ld is not None:
                return ld, "leader %d" % ld
        i = self.rng.randint(1, self.n)
        return i, "node %d" % i

    def start_fault(self, name):
        """Applies one fault; returns (description, heal function)."""
        cl, net, rng = self.cl, self.net, self.rng
        if name.startswith("kill"):
            i, what = self.target(name == "kill-leader")
            if i not in cl.procs:
                return "nothing (node %d already down)" % i, lambda: None
            cl.kill(i)
            return "kill -9 " + what, lambda: cl.start(i)
        if name.startswith("pause"):
            i, what = self.target(name == "pause-leader")
            if i not in cl.procs or i in cl.paused:
                return "nothing (node %d already stopped)" % i, lambda: None
            cl.pause(i)
            return "SIGSTOP " + what, lambda: cl.resume(i)
        nodes = list(range(1, self.n + 1))
        rng.shuffle(nodes)
        if name == "partition-halves":
            a, b = nodes[:self.n // 2], nodes[self.n // 2:]
            net.drop_from([(x, y) for x in a for y in b] + [(y, x) for x in a for y in b])
            return "partition %s | %s" % (sorted(a), sorted(b)), net.heal
        if name == "partition-leader":
            i, what = self.target(True)
            o = self.others(i)
            net.drop_from([(i, j) for j in o] + [(j, i) for j in o])
            return "isolate " + what, net.heal
        if name == "partition-bridge":
            k = (self.n - 1) // 2
            bridge, a, b = nodes[0], nodes[1:1 + k], nodes[1 + k:]
            net.drop_from([(x, y) for x in a for y in b] + [(y, x) for x in a for y in b])
            return "bridge: %s | %s, node %d sees both" % (sorted(a), sorted(b), bridge), net.heal
        if name == "oneway":
            i, what = self.target(rng.random() < 0.5)
            o = self.others(i)
            if rng.random() < 0.5:
                net.drop_from([(i, j) for j in o])
                return "%s receives nothing from the others (its own messages get through)" % what, net.heal
            net.drop_from([(j, i) for j in o])
            return "nobody receives from %s (it still hears them)" % what, net.heal
        if name == "flaky":
            i, what = self.target(rng.random() < 0.5)
            net.drop_from([(i, j) for j in self.others(i)], percent=50)
            return "%s loses 50%% of its incoming peer packets" % what, net.heal
        raise ValueError(name)

    def run_fault(self, nemesis, hold):
        """One fault of the nemesis, held `hold` seconds, then healed."""
        start = time.monotonic()
        if nemesis == "mixed":
            kinds = [n for n in NEMESES if n != "mixed"]
            first = self.rng.choice(kinds)
            what, heal = self.start_fault(first)
            heals = [heal]
            whats = [what]
            if self.rng.random() < 0.5:  # a second fault on top, for a part of the time
                time.sleep(hold * self.rng.random() * 0.5)
                second = self.rng.choice([k for k in kinds if k.startswith(("kill", "pause"))] if
                                         first.startswith(("partition", "oneway", "flaky")) else
                                         [k for k in kinds if not k.startswith(("kill", "pause"))])
                what, heal = self.start_fault(second)
                heals.append(heal)
                whats.append(what)
            time.sleep(max(0.0, start + hold - time.monotonic()))
            for heal in reversed(heals):
                heal()
            what = " + ".join(whats)
        else:
            what, heal = self.start_fault(nemesis)
            time.sleep(hold)
            heal()
        healed = time.monotonic()
        log("  %-16s %s (%.1fs)" % (nemesis, what, healed - start))
        return {"nemesis": nemesis, "what": what, "start": start, "heal": healed}

    # --- the run ----------------------------------------------------------
    def run(self):
        a = self.args
        tag = "%d nodes" % self.n
        self.net = Net(self.n)
        workers = []
        try:
            self.net.setup()
            self.cl = Cluster(self.net, a.server, self.n, a)
            self.dir = self.cl.dir
            for i in range(1, self.n + 1):
                self.cl.start(i)
            lead = self.cl.leader(timeout=20)
            check(lead is not None, "%s: a leader is elected over the bridge" % tag)
            workers = self.workers = [Worker(c, self, self.seed * 1000 + c) for c in range(a.clients)]
            t_begin = self.t0 = time.monotonic()
            for w in workers:
                w.start()
            threading.Thread(target=self.watch, daemon=True).start()
            time.sleep(a.quiet)
            for nemesis in a.nemeses:
                phase = a.phase * (2 if nemesis == "mixed" else 1)  # room for several mixes
                log("%s: %s for %.0fs" % (tag, nemesis, phase))
                self.current = nemesis
                end = time.monotonic() + phase
                first = True
                while first or time.monotonic() < end - a.recover:
                    first = False
                    hold = self.rng.uniform(a.hold[0], a.hold[1])
                    if nemesis.startswith("pause"):
                        # longer than an election timeout, and than a client waits:
                        # clients give up on the stopped node and close their connections
                        hold = max(hold, self.rng.uniform(a.client_timeout + 0.5, a.client_timeout + 2))
                    f = self.run_fault(nemesis, hold)
                    time.sleep(a.recover)
                    f["end"] = time.monotonic()
                    self.faults.append(f)
                    self.restart_crashed()
            # last: everything healed; every node must serve again
            self.current = "the end (all healed)"
            self.restart_crashed()
            self.net.heal()
            for i in list(self.cl.paused):
                self.cl.resume(i)
            for i in range(1, self.n + 1):
                if i not in self.cl.procs:
                    self.cl.start(i)
            time.sleep(a.quiet)
            self.halt = True
            for w in workers:
                w.join(a.client_timeout + 5)
            t_end = time.monotonic()
            # final reads of every key through every node, also checked
            self.final_reads()
            self.report(t_begin, t_end)
        except BaseException:
            if self.cl:
                self.cl.keep = True  # the history and node logs (a failed check keeps them too)
            raise
        finally:
            self.halt = True
            try:
                if self.cl:
                    self.cl.destroy()  # every node exits cleanly, no sanitizer report
            finally:
                self.net.teardown()
            check(not self.net.leftovers(), "%s: every namespace, veth and bridge removed (%s)" %
                  (tag, self.net.leftovers()))

    def watch(self):
        """Notices a node that dies by itself (a crash), as it happens."""
        while not self.halt:
            for i, rc in self.cl.crashed():
                t = time.monotonic()
                self.crashes.append((i, rc, t))
                lines = open(self.cl.log(i), errors="replace").read().splitlines()
                at = [k for k, l in enumerate(lines) if "ERROR: AddressSanitizer" in l or "runtime error" in l]
                tail = lines[at[-1]:at[-1] + 16] if at else lines[-15:]
                log("%d nodes: NODE %d CRASHED (exit %s) at t=%.3f, during %s; its log ends:\n    %s" % (
                    self.n, i, rc, t - self.t0, self.current, "\n    ".join(tail)))
            time.sleep(0.1)

    def restart_crashed(self):
        for i, rc, t in self.crashes:
            if i not in self.cl.procs:
                self.cl.start(i)

    def final_reads(self):
        w = self.final_worker = Worker(10000, self, 0)
        rec = []
        for i in range(1, self.n + 1):
            for key in KEYS:
                for _ in range(40):
                    w.node = i
                    if w.conn is None and not w.connect():
                        time.sleep(0.25)
                        continue
                    op = w.one(("GET", key), key, "GET", None, record=rec)
                    if op.outcome == "ok":
                        break
                    time.sleep(0.25)
            w.drop()
        self.history.extend(rec)
        got = collections.defaultdict(set)
        for op, _ in rec:
            if op.outcome == "ok":
                got[op.key].add(op.ret)
        ok = all(op.outcome == "ok" for op, _ in rec)
        check(ok, "%d nodes: after healing, every node answers a GET of every key (errors: %r)"
              % (self.n, dict(w.errors)))
        same = all(len(v) == 1 for v in got.values())
        check(same, "%d nodes: after healing, every node reads the same value of each key" % self.n)
        for key in QUEUE_KEYS + APPEND_KEYS:  # the lists, once healed, through every node: the same
            views = self.every_node(w, ("LRANGE", key, "0", "-1"), lambda r: [x.decode() for x in r])
            check(len(views) == self.n and all(v == views[0] for v in views),
                  "%d nodes: after healing, every node reads the same list %s" % (self.n, key))
            self.final_lists[key] = views[0] if views else []
        for key in SET_KEYS:  # the sets, once healed, through every node: the same
            views = self.every_node(w, ("SMEMBERS", key), lambda r: sorted(x.decode() for x in r))
            check(len(views) == self.n and all(v == views[0] for v in views),
                  "%d nodes: after healing, every node reads the same set %s" % (self.n, key))
            self.final_sets[key] = views[0] if views else []

    def every_node(self, w, cmd, conv):
        """cmd's array reply (conv'd) through each node in turn, retried a while: the nodes' views."""
        views = []
        for i in range(1, self.n + 1):
            for _ in range(40):
                w.node = i
                if w.conn is None and not w.connect():
                    time.sleep(0.25)
                    continue
                r = w.call(*cmd)
                if isinstance(r, list):
                    views.append(conv(r))
                    break
                w.drop()
                time.sleep(0.25)
        w.drop()
        return views

    def report(self, t_begin, t_end):
        a = self.args
        tag = "%d nodes" % self.n
        hist = [op for op, _ in self.history]
        outcomes = collections.Counter(op.outcome for op in hist)
        by_kind = collections.Counter((op.op, op.outcome) for op in hist)
        oks = sorted(t for op, t in self.history if op.outcome == "ok")
        dur = t_end - t_begin
        log("%s: %d ops in %.0fs: %d ok, %d failed, %d unknown (%.0f ok/s)" % (
            tag, len(hist), dur, outcomes["ok"], outcomes["fail"], outcomes["unknown"], outcomes["ok"] / dur))
        log("  by op: " + ", ".join("%s %d/%d/%d" % (k, by_kind[(k, "ok")], by_kind[(k, "fail")],
                                                    by_kind[(k, "unknown")]) for k in ("GET", "SET", "INCR", "DEL", "CAS")) +
            " (ok/failed/unknown)")
        errs = collections.Counter()
        for w in self.workers + [self.final_worker]:
            errs.update(w.errors)
        if errs:
            log("  errors: " + ", ".join("%s x%d" % (e, c) for e, c in errs.most_common()))
        unexpected = {e: c for e, c in errs.items() if e.startswith("unexpected")}
        check(not unexpected, "%s: no unexpected replies (%s)" % (tag, unexpected))
        # availability per fault
        import bisect
        log("%s: availability (longest time without a successful op from the fault on; first success after "
            "healing):" % tag)
        per = collections.OrderedDict()
        for f in self.faults:
            lo = bisect.bisect_left(oks, f["start"])
            hi = bisect.bisect_right(oks, f["end"])
            pts = [f["start"]] + oks[lo:hi] + [f["end"]]
            gap = max(b - a_ for a_, b in zip(pts, pts[1:]))
            j = bisect.bisect_left(oks, f["heal"])
            back = oks[j] - f["heal"] if j < len(oks) else float("inf")
            n_ok = hi - lo
            f.update(gap=gap, back=back, n_ok=n_ok)
            per.setdefault(f["nemesis"], []).append(f)
            log("  %-16s %-58s gap %6.2fs  back after %6.2fs  %5d ok" % (
                f["nemesis"], f["what"][:58], gap, back, n_ok))
        for nem, fs in per.items():
            n_ok = sum(f["n_ok"] for f in fs)
            check(n_ok >= a.min_phase_ok, "%s: %s: %d successful ops during its phase (at least %d)" %
                  (tag, nem, n_ok, a.min_phase_ok))
        if per:
            log("%s: per nemesis: " % tag + "; ".join(
                "%s max gap %.2fs, max back %.2fs" % (nem, max(f["gap"] for f in fs), max(f["back"] for f in fs))
                for nem, fs in per.items()))
        check(not self.crashes, "%s: no node crashed (%s)" % (tag, ", ".join(
            "node %d exit %s at t=%.3f" % (i, rc, t - t_begin) for i, rc, t in self.crashes)))
        check(outcomes["ok"] >= a.min_ok, "%s: at least %d successful ops (%d)" % (tag, a.min_ok, outcomes["ok"]))
        # the check
        path = os.path.join(self.dir, "history.jsonl")
        lz.save(hist, path)
        res = lz.check(hist, budget=a.budget)
        origin = min(op.inv for op in hist) if hist else 0.0
        log("%s: %s" % (tag, res.text(origin)))
        if res.violations:
            for v in res.violations:
                lo_t, hi_t = (v.start if v.start is not None else origin), v.cut
                during = [f for f in self.faults if f["start"] <= hi_t and f["end"] >= lo_t]
                log("%s: VIOLATION on key %r (seed %d); faults around its window: %s" % (
                    tag, v.key, self.seed, "; ".join("%s: %s [%.3f..%.3f]" % (
                        f["nemesis"], f["what"], f["start"] - origin, f["heal"] - origin) for f in during) or "none"))
            log("%s: history saved in %s (check it again: python3 tests/linearize.py %s)" % (tag, path, path))
        check(res.ok, "%s: the history is linearizable (seed %d, %d ops, %.1fs to check)" % (
            tag, self.seed, res.ops, res.seconds))
        back = no_resurrection(self.expiring)
        sets = sum(1 for e in self.expiring if e[0] == "SET")
        log("%s: expiring keys: %d SET PX 300 and %d GETs acknowledged; values read back after they were seen "
            "gone: %d" % (tag, sets, len(self.expiring) - sets, len(back)))
        check(sets > 0 and not back, "%s: no value with an expiry came back once a read after its write saw it gone "
              "(%r)" % (tag, back[:3]))
        bad = stale_or_early(self.expiring)
        check(not bad, "%s: no read of an expiring key saw a value early or after a later SET replaced it (%r)"
              % (tag, bad[:3]))
        qp = queue_problems(self.queue, {k: self.final_lists.get(k, []) for k in QUEUE_KEYS})
        qc = collections.Counter((k, o if o != "ok" or k == "enq" or v is not None else "empty") for k, key, v, o in self.queue)
        log("%s: queue: %s; %d left at the end" % (tag, ", ".join("%s %s %d" % (k, o, c) for (k, o), c in sorted(qc.items())),
                                                   sum(len(self.final_lists.get(k, [])) for k in QUEUE_KEYS)))
        check(qc[("enq", "ok")] > 0 and qc[("deq", "ok")] > 0 and not qp,
              "%s: queue: no element lost or delivered twice (%r)" % (tag, qp[:3]))
        ap = append_problems(self.appends, {k: self.final_lists.get(k, []) for k in APPEND_KEYS})
        ac = collections.Counter((o[0], o[3]) for o in self.appends)
        log("%s: list-append: %s; final lengths %s" % (tag, ", ".join("%s %s %d" % (k, o, c) for (k, o), c in
                                                                    sorted(ac.items())),
                                                      [len(self.final_lists.get(k, [])) for k in APPEND_KEYS]))
        check(ac[("append", "ok")] > 0 and ac[("read", "ok")] > 0 and not ap,
              "%s: list-append: every read a prefix of the final list, in real-time order (%r)" % (tag, ap[:3]))
        sp = set_problems(self.sets, {k: self.final_sets.get(k, []) for k in SET_KEYS})
        sc = collections.Counter((o[0], o[3], o[4] if o[0] == "add" else None) for o in self.sets)
        log("%s: sets: %s; final sizes %s" % (tag, ", ".join("%s %s%s %d" % (k, o, "" if r is None else " ->%s" % r, c)
                                                             for (k, o, r), c in sorted(sc.items(), key=str)),
                                              [len(self.final_sets.get(k, [])) for k in SET_KEYS]))
        check(sc[("add", "ok", 0)] > 0 and sc[("read", "ok", None)] > 0 and not sp,
              "%s: sets: every SADD's reply and every read consistent with the adds around it (%r)" % (tag, sp[:3]))
        with open(os.path.join(self.dir, "faults.json"), "w") as f:
            json.dump([dict(x, start=x["start"] - origin, heal=x["heal"] - origin, end=x["end"] - origin)
                       for x in self.faults], f, indent=1)
        return res.ok and outcomes["ok"] >= a.min_ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("server")
    ap.add_argument("--nodes", default="3,5")
    ap.add_argument("--long", action="store_true", help="each nemesis for minutes (default phase 120s)")
    ap.add_argument("--phase", type=float, help="seconds per nemesis (default 4, --long 120)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SEED", "0")) or None)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--keys", type=int, default=6)
    ap.add_argument("--rate", type=float, default=50, help="ops per second per client at most (0: no limit)")
    ap.add_argument("--nemeses", default=",".join(NEMESES))
    ap.add_argument("--min-ok", type=int, help="fewest successful ops in a run (default 20 per second of run)")
    ap.add_argument("--min-phase-ok", type=int, default=10)
    ap.add_argument("--keep", action="store_true", help="keep the history and logs even when the run passes")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("jepsen: needs root (network namespaces)", file=sys.stderr)
        return 1
    for tool in ("ip", "nft"):
        if not shutil.which(tool):
            print("jepsen: %s missing (deps/install.sh --test)" % tool, file=sys.stderr)
            return 1
    a.server = os.path.abspath(a.server)
    a.nemeses = [n for n in a.nemeses.split(",") if n]
    for n in a.nemeses:
        if n not in NEMESES:
            ap.error("unknown nemesis %r (one of %s)" % (n, ", ".join(NEMESES)))
    a.phase = a.phase or (120.0 if a.long else 4.0)
    a.hold = (5.0, 15.0) if a.long else (1.5, 3.0)
    a.recover = 3.0 if a.long else 1.5
    a.quiet = 2.0
    a.request_timeout_ms = 2000
    a.client_timeout = 3.0  # the server answers within its request timeout (2 s)
    a.budget = 50_000_000
    seed = a.seed or random.randrange(1, 1 << 31)
    KEYS[:] = ["jk%d" % k for k in range(a.keys)]
    # SIGTERM unwinds like Ctrl-C, so namespaces and nodes are cleaned up (harness.main)
    Net.cleanup_stale()
    print("jepsen: seed %d, nodes %s, %.0fs per nemesis: %s" % (seed, a.nodes, a.phase, ", ".join(a.nemeses)),
          flush=True)
    return harness.main("jepsen", lambda: [test_expiry_checkers(), test_list_checkers()] + [test_linearizable_under_nemeses(a, int(n), seed)
                                                                      for n in a.nodes.split(",")])


def test_expiry_checkers():
    """The expiring keys' checkers find what they look for in made-up
    histories (SET or GET, key, value, invoked, completed), and nothing in
    a clean one."""
    ok = [("SET", "k", "1", 0.0, 1.0), ("GET", "k", "1", 1.5, 1.8), ("GET", "k", None, 2.0, 2.2),
          ("SET", "k", "2", 3.0, 4.0), ("GET", "k", "2", 3.5, 3.9), ("GET", "k", None, 5.0, 5.1)]
    check(not no_resurrection(ok) and not stale_or_early(ok), "a clean history passes both checkers")
    check(no_resurrection(ok + [("GET", "k", "1", 2.5, 2.6)]), "a value back after a read saw it gone is found")
    check(stale_or_early(ok + [("GET", "k", "1", 4.5, 4.6)]), "a value read after a later SET replaced it is found")
    check(stale_or_early(ok + [("GET", "k", "2", 0.1, 0.2)]), "a value read before its SET began is found")


def test_list_checkers():
    """The queue and list-append checkers find what they look for in
    made-up histories, and nothing in clean ones."""
    q = [("enq", "q", "1", "ok"), ("enq", "q", "2", "ok"), ("enq", "q", "3", "unknown"), ("deq", "q", "1", "ok"),
         ("deq", "q", None, "ok"), ("enq", "q", "4", "fail")]
    check(not queue_problems(q, {"q": ["2"]}), "a clean queue history passes")
    check(queue_problems(q + [("deq", "q", "1", "ok")], {"q": ["2"]}), "an element delivered twice is found")
    check(queue_problems(q, {"q": ["2", "1"]}), "an element dequeued and left is found")
    check(queue_problems(q, {"q": []}), "an acknowledged element lost is found")
    check(not queue_problems(q + [("deq", "q", None, "unknown")], {"q": []}), "a dequeue of unknown outcome may take one")
    check(queue_problems(q, {"q": ["2", "4"]}), "a failed enqueue that took effect is found")
    check(queue_problems(q, {"q": ["2", "9"]}), "an element from nowhere is found")
    a = [("append", "l", "x", "ok", 1, 0.0, 1.0), ("append", "l", "y", "ok", 2, 2.0, 3.0),
         ("read", "l", None, "ok", ["x"], 1.5, 1.8), ("read", "l", None, "ok", ["x", "y"], 3.5, 3.6),
         ("append", "l", "z", "unknown", None, 4.0, 4.1)]
    check(not append_problems(a, {"l": ["x", "y", "z"]}), "a clean list-append history passes")
    check(append_problems(a, {"l": ["y", "x"]}), "an append found elsewhere than its reply said is found")
    check(append_problems(a + [("read", "l", None, "ok", ["y"], 3.5, 3.6)], {"l": ["x", "y"]}), "a read that is not a prefix is found")
    check(append_problems(a + [("read", "l", None, "ok", ["x"], 3.5, 3.6)], {"l": ["x", "y"]}),
          "a read missing an append acknowledged before it began is found")
    check(append_problems(a + [("read", "l", None, "ok", [], 1.9, 1.95)], {"l": ["x", "y"]}),
          "a read shorter than one that ended before it began is found")
    check(append_problems(a, {"l": ["x", "y", "x"]}), "a value twice in the list is found")
    s = [("add", "s", "x", "ok", 1, 0.0, 1.0), ("add", "s", "x", "ok", 0, 2.0, 3.0), ("add", "s", "y", "unknown", None, 2.0, 2.5),
         ("read", "s", None, "ok", ["x"], 1.5, 1.8), ("read", "s", None, "ok", ["x", "y"], 2.6, 2.7)]
    check(not set_problems(s, {"s": ["x", "y"]}), "a clean set history passes")
    check(set_problems(s, {"s": ["y"]}), "an acknowledged add lost is found")
    check(set_problems(s, {"s": ["x", "y", "z"]}), "a member never added is found")
    check(set_problems(s + [("add", "s", "y", "ok", 0, 1.0, 1.5)], {"s": ["x", "y"]}),
          "a SADD answering 0 before any add of its member began is found")
    check(set_problems(s + [("add", "s", "x", "ok", 1, 3.5, 4.0)], {"s": ["x", "y"]}),
          "a SADD answering 1 after an add of its member was acknowledged is found")
    check(set_problems(s + [("read", "s", None, "ok", [], 1.1, 1.2)], {"s": ["x", "y"]}),
          "a read missing a member acknowledged before it began is found")
    check(set_problems(s + [("read", "s", None, "ok", ["x", "y"], 1.1, 1.2)], {"s": ["x", "y"]}),
          "a read seeing a member before its add began is found")


def test_linearizable_under_nemeses(a, n, seed):
    """n nodes under each nemesis, then mixed: the history is linearizable,
    every phase has successes, no node crashes, leaks or exits uncleanly."""
    est = (len(a.nemeses) + ("mixed" in a.nemeses)) * a.phase + 2 * a.quiet
    a_n = argparse.Namespace(**vars(a))
    if a.min_ok is None:  # a fifth of what the clients ask for
        a_n.min_ok = int(est * (a.rate or 50) * a.clients / 5)
    try:
        JepsenRun(a_n, n, seed).run()
    except Exception:  # the harness itself broke: a failure, then go on
        traceback.print_exc()
        check(False, "%d nodes: the run completes (%s)" % (n, sys.exc_info()[1]))


if __name__ == "__main__":
    sys.exit(main())
