#!/usr/bin/env python3
"""Key expiry on real raftkv clusters (tests/harness.py): three raftkv-server
processes under ASan/UBSan. The exact replies are compared with redis-server
by differential_test.py (test_expiry); here, what only a cluster can show:

  - a key past its time is gone on every node, also after the leader that
    took it was killed, and on that node once restarted; the new leader
    removes it (INFO stats expired_keys);
  - every copy holds the same absolute expiry times: each node made leader
    in turn reads them from its own state machine, after a restart and
    after installing a snapshot image;
  - a leader whose clock is 10 s behind (--clock-offset-ms -10000) moves
    no expiry time, grows no TTL, brings back no key that was gone, and
    still expires keys written while it leads;
  - 100,000 keys with a 1 s TTL drain from every node's state machine by
    the leader's background removal, twice, without the state machine's
    size on disk growing with each round (times and sizes are printed);
  - behaviours of Redis 7.0's own expire tests (tests/unit/expire.tcl),
    through a follower's client port, with deadlines rather than exact
    sleeps;
  - transactions: compare-and-set with WATCH / MULTI / EXEC from clients
    of every node at once loses no increment; differential_test.py's
    transaction sequences through a follower answer as redis-server does; a client in MULTI or WATCH
    whose transaction's leader goes (a leadership transfer) is
    disconnected, and what it queued never runs.

Usage: expiry_test.py path/to/raftkv-server
Environment: EXPIRY_KEYS (default 100000), the keys of each round of the
volatile workload."""
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Cluster, Error, check, retry, wait_for  # noqa: E402

SERVER = harness.server_arg()
SKEW_MS = -10000  # node 3's clock in test_clock_behind


def keyspace(cl, i):
    """Node i's INFO keyspace db0 line as {"keys": N, "expires": M, ...}
    ({} when there is no db0 line: no keys)."""
    line = cl.info(i, "keyspace").get("db0", "")
    return {k: int(v) for k, v in (f.split("=", 1) for f in line.split(",") if "=" in f)}


def counts(cl, i):
    """keys and expires of node i's state machine (avg_ttl left out: an estimate)."""
    d = keyspace(cl, i)
    return d.get("keys", 0), d.get("expires", 0)


def expired_keys(cl, i):
    return int(cl.info(i, "stats").get("expired_keys", 0))


def disk_size(cl, i):
    """data_disk_size from node i's INFO persistence, None if it has none."""
    v = cl.info(i, "persistence").get("data_disk_size")
    return int(v) if v is not None else None


def dir_bytes(path):
    """Bytes of the files under path (printed next to data_disk_size,
    which counts LevelDB's table files only)."""
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def pexpiretimes(cl, i, keys):
    """PEXPIRETIME of each key, read through node i (one pipeline; again
    while any answer is a retriable error)."""
    def once():
        with cl.client(i) as c:
            got = c.pipeline([("PEXPIRETIME", k) for k in keys])
        bad = [g for g in got if isinstance(g, Error)]
        return bad[0] if bad else got
    return retry(once, 15)


def differing(keys, want, got):
    """The keys whose values differ, with both values (at most 5)."""
    if not isinstance(got, list):
        return got
    return [(k, w, g) for k, w, g in zip(keys, want, got) if w != g][:5]


# ---------------------------------------------------------------- a key past its time


def test_px_gone_everywhere(cl):
    """SET k v PX 300 through the leader, read back at once; kill -9 of the
    leader: once another leads and 300 ms have passed, the key is nil (TTL
    -2) through every live node, the new leader removes it (expired_keys),
    and the killed node, restarted, answers nil too and holds no key."""
    lead = cl.leader()
    check(lead is not None, "a leader is elected")
    before = {i: expired_keys(cl, i) for i in cl.followers(lead)}
    with cl.client(lead) as c:
        t0 = time.monotonic()
        r = c.pipeline([("SET", "px:k", "v", "PX", "300"), ("GET", "px:k"), ("PTTL", "px:k")])
    check(r[0] == "OK" and r[1] == b"v", "SET PX 300 through the leader, and GET right after reads it (%r)" % r)
    check(isinstance(r[2], int) and 0 < r[2] <= 300, "its PTTL is at most 300 ms (%r)" % r[2])
    cl.kill(lead)
    new = cl.leader(timeout=10, exclude=(lead,))
    check(new is not None and new != lead, "a new leader after kill -9 of the leader (%s)" % new)
    time.sleep(max(0.0, t0 + 0.4 - time.monotonic()))
    for i in sorted(cl.procs):
        with cl.client(i) as c:
            got = retry(lambda: c.call("GET", "px:k"))
            check(got is None, "300 ms later GET through node %d is nil (%r)" % (i, got))
            got = retry(lambda: c.call("TTL", "px:k"))
            check(got == -2, "and TTL is -2 (%r)" % got)
            got = retry(lambda: c.call("EXISTS", "px:k"))
            check(got == 0, "and EXISTS is 0 (%r)" % got)
    if new is not None:
        check(wait_for(lambda: expired_keys(cl, new) >= before.get(new, 0) + 1, 10),
              "INFO stats expired_keys on the new leader counts the key it removed (%d before, %d now)"
              % (before.get(new, 0), expired_keys(cl, new)))
        check(wait_for(lambda: counts(cl, new)[0] == 0, 10),
              "the new leader's state machine no longer holds it (%r)" % (keyspace(cl, new),))
    if cl.start(lead):
        check(cl.caught_up(lead), "the killed node, restarted, catches up")
        with cl.client(lead) as c:
            got = retry(lambda: c.call("GET", "px:k"))
            check(got is None, "GET through the restarted node is nil (%r)" % got)
            check(retry(lambda: c.call("TTL", "px:k")) == -2, "and TTL is -2")
        check(wait_for(lambda: counts(cl, lead) == (0, 0), 10),
              "its own state machine holds no key (%r)" % (keyspace(cl, lead),))


# ---------------------------------------------------------------- the same times everywhere


def write_timed_keys(cl, i, prefix, n):
    """n keys with PXAT (absolute, about 30 days ahead, each its own
    millisecond), n with EX (relative: the leader's clock makes them
    absolute) and n without a TTL, through node i. Returns (keys, the
    PXAT times sent)."""
    base = int(time.time() * 1000) + 30 * 86400 * 1000
    pxat = {"%s:pxat:%d" % (prefix, k): base + 7 * k for k in range(n)}
    cmds = [("SET", k, "v", "PXAT", t) for k, t in pxat.items()]
    cmds += [("SET", "%s:ex:%d" % (prefix, k), "v", "EX", 1000 + k) for k in range(n)]
    cmds += [("SET", "%s:plain:%d" % (prefix, k), "v") for k in range(n)]
    with cl.client(i) as c:
        r = c.pipeline(cmds)
    check(all(x == "OK" for x in r), "%d keys written with PXAT, EX and no TTL through node %d (%d not OK)"
          % (len(cmds), i, sum(1 for x in r if x != "OK")))
    return [c[1] for c in cmds], pxat


def test_same_ttl_everywhere(cl):
    """Keys with PXAT far ahead, with EX, and without a TTL: PEXPIRETIME is
    the PXAT sent, and the same on every node, each made leader in turn
    (a leader reads its own state machine); again after a follower's
    restart (leading once back), and after a follower installs a snapshot
    image (leading once it has)."""
    lead = cl.leader()
    keys, pxat = write_timed_keys(cl, lead, "same", 20)
    want = pexpiretimes(cl, lead, keys)
    check(isinstance(want, list) and all(want[keys.index(k)] == t for k, t in pxat.items()),
          "PEXPIRETIME is the PXAT time sent")
    check(isinstance(want, list) and all(isinstance(w, int) and w > 0 for w in want[20:40])
          and all(w == -1 for w in want[40:]), "EX keys have a time, plain ones -1")
    for i in sorted(cl.procs):
        if check(cl.transfer_to(i), "node %d takes the lead" % i):
            got = pexpiretimes(cl, i, keys)
            check(got == want, "node %d, leading, reads the same PEXPIRETIME of all %d keys from its own state "
                  "machine (differ: %r)" % (i, len(keys), differing(keys, want, got)))
    ref = counts(cl, cl.leader())
    check(all(wait_for(lambda: counts(cl, i) == ref, 10) for i in sorted(cl.procs)),
          "every node's INFO keyspace counts the same keys and expires (%r)"
          % {i: counts(cl, i) for i in sorted(cl.procs)})

    # a follower restarted (SIGTERM, start), then leading
    fol = cl.followers()[0]
    cl.stop(fol)
    if cl.start(fol):
        check(cl.caught_up(fol), "restarted node %d catches up" % fol)
        if check(cl.transfer_to(fol), "the restarted node %d takes the lead" % fol):
            got = pexpiretimes(cl, fol, keys)
            check(got == want, "after its restart node %d reads the same PEXPIRETIMEs (differ: %r)"
                  % (fol, differing(keys, want, got)))

    # a follower that comes back by a snapshot image
    lead = cl.leader()
    fol = cl.followers(lead)[-1]
    cl.stop(fol)
    more, pxat2 = write_timed_keys(cl, lead, "image", 20)
    keys += more
    want = pexpiretimes(cl, lead, keys)
    check(isinstance(want, list) and all(want[keys.index(k)] == t for k, t in pxat2.items()),
          "PEXPIRETIME of the keys written meanwhile is the PXAT time sent")
    for i in sorted(cl.procs):
        r = cl.call(i, "RAFT.SNAPSHOT")
        check(isinstance(r, int) and r > 0, "RAFT.SNAPSHOT on node %d compacts its log (%r)" % (i, r))
    if cl.start(fol):
        check(wait_for(lambda: int(cl.info(fol)["raft_snapshots_received"]) >= 1, 60),
              "node %d, behind a compacted log, installs a snapshot image" % fol)
        check(cl.caught_up(fol), "and catches up")
        check(wait_for(lambda: counts(cl, fol) == counts(cl, lead), 10),
              "its INFO keyspace counts the same keys and expires as the leader's (%r, %r)"
              % (counts(cl, fol), counts(cl, lead)))
        if check(cl.transfer_to(fol), "node %d, installed from an image, takes the lead" % fol):
            got = pexpiretimes(cl, fol, keys)
            check(got == want, "it reads the same PEXPIRETIME of all %d keys (differ: %r)"
                  % (len(keys), differing(keys, want, got)))


# ---------------------------------------------------------------- a clock behind


class SkewedCluster(Cluster):
    """Three nodes; those in offsets start with --clock-offset-ms (their
    own wall clock shifted by that many milliseconds)."""

    def __init__(self, offsets):
        super().__init__(SERVER, 3, prefix="raftkv-expiry-skew-")
        self.offsets = dict(offsets)

    def args(self, i, cluster=None):
        a = super().args(i, cluster)
        if self.offsets.get(i):
            a += ["--clock-offset-ms", str(self.offsets[i])]
        return a


def read_times(c):
    """PTTL and PEXPIRETIME of cb:ex and GET of cb:px through connection c
    (again while an answer is a retriable error)."""
    def once():
        r = c.pipeline([("PTTL", "cb:ex"), ("PEXPIRETIME", "cb:ex"), ("GET", "cb:px")])
        bad = [x for x in r if isinstance(x, Error)]
        return bad[0] if bad else r
    return retry(once, 15)


def test_clock_behind(cl):
    """Node 3's clock is 10 s behind. Keys written through another leader
    (EX 100, PX 1500); once the PX 1500 key reads as gone there, a write,
    then node 3 takes the lead: for 3 s the EX 100 key's PEXPIRETIME never
    changes and its PTTL never grows (nor exceeds the last one read before
    the transfer), and the PX 1500 key never comes back. A key written with
    PX 200 while node 3 leads is gone within 15 s (cluster time goes on
    from the last entry's; node 3's own clock passes it within 10 s)."""
    skewed = 3
    lead = cl.leader()
    check(lead is not None, "a leader is elected")
    if lead == skewed:
        check(cl.transfer_to(1), "node 1 takes the lead from the node whose clock is behind")
        lead = cl.leader()
    with cl.client(skewed) as c:
        t = c.call("TIME")
        if isinstance(t, list):
            print("  node %d's TIME is %.1f s off this machine's clock"
                  % (skewed, int(t[0]) + int(t[1]) / 1e6 - time.time()))
    with cl.client(lead) as c:
        r = c.pipeline([("SET", "cb:ex", "v", "EX", "100"), ("SET", "cb:px", "v", "PX", "1500")])
        check(r == ["OK", "OK"], "SET EX 100 and SET PX 1500 through leader %d (%r)" % (lead, r))
        first = read_times(c)
        check(isinstance(first, list) and 0 < first[0] <= 100000 and first[2] == b"v",
              "both read back, PTTL at most 100 s (%r)" % (first,))
        exptime = first[1] if isinstance(first, list) else None
        px_gone = wait_for(lambda: (lambda r: isinstance(r, list) and r[2] is None)(read_times(c)), 10)
        check(px_gone, "the PX 1500 key reads as gone through leader %d" % lead)
        last = read_times(c)
        check(isinstance(last, list) and last[1] == exptime and last[2] is None,
              "PEXPIRETIME unchanged, the PX key gone, just before the transfer (%r)" % (last,))
        # a write after those reads: the last entry's time is at least theirs
        check(c.call("SET", "cb:mark", "1") == "OK", "a write after the reads")
    if not check(cl.transfer_to(skewed), "node %d, whose clock is 10 s behind, takes the lead" % skewed):
        return
    prev = last[0] if isinstance(last, list) else None
    reads, moved, grew, back, errors = 0, [], [], [], []
    end = time.monotonic() + 3
    with cl.client(skewed) as c:
        while time.monotonic() < end:
            got = read_times(c)
            if not isinstance(got, list):
                errors.append(got)
                continue
            reads += 1
            pttl, pexp, px = got
            if pexp != exptime:
                moved.append(pexp)
            if prev is not None and not (isinstance(pttl, int) and 0 < pttl <= prev):
                grew.append((prev, pttl))
            if isinstance(pttl, int):
                prev = pttl
            if px is not None:
                back.append(px)
            time.sleep(0.02)
    print("  clock behind: %d reads in 3 s after the transfer; PTTL %s, then %s" % (
        reads, last[0] if isinstance(last, list) else "?", prev))
    check(reads > 10 and not errors, "reads through the new leader answered (%d, errors %r)" % (reads, errors[:3]))
    check(not moved, "PEXPIRETIME of the EX 100 key never moved (%r, then %r)" % (exptime, moved[:5]))
    check(not grew, "its PTTL never grew (%r)" % grew[:5])
    check(not back, "the PX 1500 key, gone before the transfer, never came back (%r)" % back[:3])
    with cl.client(skewed) as c:
        t0 = time.monotonic()
        r = c.pipeline([("SET", "cb:px200", "v", "PX", "200"), ("GET", "cb:px200")])
        check(r == ["OK", b"v"], "SET PX 200 while node %d leads, read back at once (%r)" % (skewed, r))
        gone = wait_for(lambda: c.call("GET", "cb:px200") is None, 15)
        print("  clock behind: the PX 200 key written under the lagging leader was gone after %.1f s"
              % (time.monotonic() - t0))
        check(gone, "and it is gone within 15 s")
        check(c.call("PEXPIRETIME", "cb:ex") == exptime, "the EX 100 key's PEXPIRETIME still has not moved")


# ---------------------------------------------------------------- many volatile keys


def pipe_volatile(cl, i, prefix, n, px, batch=1000):
    """SET <prefix><k> val PX px for k < n through node i, `batch` a
    pipeline; a SET answered with an error (an election under load) is sent
    again, as a client would. Returns how many were acknowledged."""
    keys = ["%s%d" % (prefix, k) for k in range(n)]
    return harness.pipe_writes(cl, i, keys, lambda key: ("SET", key, "val", "PX", px), batch, pause=0.2)


# data_disk_size counts LevelDB's table files only: what sits in its 32 MB
# write buffer is not there, and a flush may fall between two readings. Growth
# is judged beyond that much.
SIZE_FLOOR = 32 << 20


def test_volatile_workload(cl):
    """EXPIRY_KEYS keys (100,000) written with SET key val PX 1000 through
    the leader, 1000 a pipeline: INFO keyspace shows expires > 0 right
    after, and every node's state machine is empty again within 60 s. Twice;
    data_disk_size after the second round is at most twice that after the
    first. Prints the times, expired_keys and sizes."""
    n = int(os.environ.get("EXPIRY_KEYS", "100000"))
    lead = cl.leader()
    check(retry(lambda: cl.call(lead, "FLUSHALL")) == "OK", "FLUSHALL first")
    nodes = sorted(cl.procs)
    check(wait_for(lambda: all(counts(cl, i)[0] == 0 for i in nodes), 10), "every node starts empty")
    sizes = [{i: disk_size(cl, i) for i in nodes}]
    print("  volatile: before, data_disk_size %s; data dirs %s" % (sizes[0], {i: dir_bytes(cl.data(i)) for i in nodes}))
    for rnd in (1, 2):
        lead = cl.leader()
        t0 = time.monotonic()
        ok = pipe_volatile(cl, lead, "vol%d:" % rnd, n, 1000)
        wrote = time.monotonic() - t0
        after = keyspace(cl, lead)
        check(ok == n, "round %d: %d SET PX 1000 acknowledged (%d)" % (rnd, n, ok))
        check(after.get("expires", 0) > 0, "round %d: right after, INFO keyspace shows expires > 0 (%r)" % (rnd, after))
        t1 = time.monotonic()
        drained = wait_for(lambda: all(counts(cl, i)[0] == 0 for i in nodes), 60)
        took = time.monotonic() - t1
        check(drained, "round %d: every node's INFO keyspace shows no keys within 60 s (%r)"
              % (rnd, {i: keyspace(cl, i) for i in nodes}))
        sizes.append({i: disk_size(cl, i) for i in nodes})
        print("  volatile round %d: %d keys written in %.1f s, expires=%s right after (keys=%s); every node empty "
              "%.1f s later (%.1f s after the last write's TTL)"
              % (rnd, n, wrote, after.get("expires"), after.get("keys"), took, took - 1.0))
        print("  volatile round %d: expired_keys %s; data_disk_size %s; data dirs %s" % (
            rnd, {i: expired_keys(cl, i) for i in nodes}, sizes[-1], {i: dir_bytes(cl.data(i)) for i in nodes}))
        if not drained:
            return
    lead = cl.leader()
    check(expired_keys(cl, lead) > 0, "INFO stats expired_keys on the leader counts what it removed (%d)"
          % expired_keys(cl, lead))
    for i in nodes:
        s1, s2 = sizes[1][i], sizes[2][i]
        if s1 is None or s2 is None:
            print("  node %d has no data_disk_size in INFO persistence: size not compared" % i)
            continue
        check(s2 <= 2 * max(s1, SIZE_FLOOR), "node %d: data_disk_size after the second round (%d) at most twice that "
              "after the first (%d, or %d)" % (i, s2, s1, SIZE_FLOOR))


# ---------------------------------------------------------------- Redis's expire tests, through a follower


def ttl_between(c, key, lo, hi, cmd="TTL"):
    v = c.call(cmd, key)
    return check(isinstance(v, int) and lo <= v <= hi, "%s %s is within %d..%d (%r)" % (cmd, key, lo, hi, v))


def gone(c, key, seconds=10):
    """key reads as nil and EXISTS 0 within seconds."""
    return wait_for(lambda: c.call("GET", key) is None and c.call("EXISTS", key) == 0, seconds)


def b_set_timeouts_multiple_times(c):
    """EXPIRE - set timeouts multiple times; still readable; gone after its time."""
    c.call("SET", "x1", "foobar")
    check(c.call("EXPIRE", "x1", "5") == 1, "EXPIRE x 5 answers 1")
    ttl_between(c, "x1", 4, 5)
    check(c.call("EXPIRE", "x1", "10") == 1, "EXPIRE x 10 answers 1")
    ttl_between(c, "x1", 9, 10)
    check(c.call("EXPIRE", "x1", "2") == 1, "EXPIRE x 2 answers 1")
    check(c.call("GET", "x1") == b"foobar", "the key is still readable")
    check(gone(c, "x1"), "after 2 s it is gone (GET nil, EXISTS 0)")


def b_expireat_like_expire(c):
    """EXPIREAT - check for EXPIRE alike behavior."""
    c.call("SET", "x2", "foo")
    check(c.call("EXPIREAT", "x2", int(time.time()) + 15) == 1, "EXPIREAT now+15 answers 1")
    ttl_between(c, "x2", 13, 15)


def b_setex(c):
    """SETEX - set + expire, value, overwrite, wait for the key to expire, wrong time parameter."""
    check(c.call("SETEX", "x3", "12", "test") == "OK", "SETEX x 12 test")
    ttl_between(c, "x3", 10, 12)
    check(c.call("GET", "x3") == b"test", "SETEX's value")
    check(c.call("SETEX", "y3", "1", "foo") == "OK" and c.call("GET", "y3") == b"foo", "SETEX overwrites, readable")
    check(gone(c, "y3"), "SETEX 1: the key expires")
    r = c.call("SETEX", "z3", "-10", "foo")
    check(isinstance(r, Error) and "invalid expire" in str(r), "SETEX with -10: invalid expire time (%r)" % r)
    check(c.call("EXISTS", "z3") == 0, "and nothing is written")


def b_persist(c):
    """PERSIST can undo an EXPIRE; returns 0 against missing or non-volatile keys."""
    c.call("SET", "x4", "foo")
    c.call("EXPIRE", "x4", "50")
    ttl_between(c, "x4", 49, 50)
    check(c.call("PERSIST", "x4") == 1, "PERSIST answers 1")
    check(c.call("TTL", "x4") == -1 and c.call("GET", "x4") == b"foo", "TTL -1 afterwards, the value kept")
    check(c.call("PERSIST", "x4") == 0 and c.call("PERSIST", "nokeyatall") == 0,
          "PERSIST answers 0 for a key without a TTL and a missing key")


def b_sub_second(c):
    """PEXPIRE / PSETEX / PEXPIREAT can set sub-second expires."""
    r = c.pipeline([("PSETEX", "x5a", "100", "somevalue"), ("PTTL", "x5a")])
    check(r[0] == "OK" and isinstance(r[1], int) and (r[1] == -2 or 0 <= r[1] <= 100),
          "PSETEX 100: PTTL <= 100 (%r)" % r)
    c.call("SET", "x5b", "somevalue")
    r = c.pipeline([("PEXPIRE", "x5b", "100"), ("PTTL", "x5b")])
    check(r[0] == 1 and isinstance(r[1], int) and (r[1] == -2 or 0 <= r[1] <= 100), "PEXPIRE 100 (%r)" % r)
    c.call("SET", "x5c", "somevalue")
    r = c.pipeline([("PEXPIREAT", "x5c", int(time.time() * 1000) + 200), ("PTTL", "x5c")])
    check(r[0] == 1 and isinstance(r[1], int) and (r[1] == -2 or 0 <= r[1] <= 200), "PEXPIREAT now+200 ms (%r)" % r)
    for key in ("x5a", "x5b", "x5c"):
        check(gone(c, key, 5), "%s is gone within 5 s" % key)


def b_ttl_pttl(c):
    """TTL returns seconds, PTTL milliseconds; -1 without an expire, -2 for a missing key."""
    c.call("SETEX", "x6", "100", "somevalue")
    ttl_between(c, "x6", 90, 100)
    ttl_between(c, "x6", 90000, 100000, "PTTL")
    c.call("SET", "x6", "hello")
    check(c.call("TTL", "x6") == -1 and c.call("PTTL", "x6") == -1, "TTL and PTTL -1 without an expire")
    c.call("DEL", "x6")
    check(c.call("TTL", "x6") == -2 and c.call("PTTL", "x6") == -2, "TTL and PTTL -2 for a missing key")


def b_active_and_lazy_expire(c):
    """Keys are expired actively (DBSIZE drops to 0 with nobody touching them)
    and are invisible once past their time even before (MGET nil)."""
    check(c.call("FLUSHALL") == "OK", "FLUSHALL")
    r = c.pipeline([("PSETEX", "key1", "500", "a"), ("PSETEX", "key2", "500", "a"), ("PSETEX", "key3", "500", "a"),
                    ("DBSIZE",)])
    check(r == ["OK", "OK", "OK", 3], "three PSETEX 500, DBSIZE 3 (%r)" % r)
    check(wait_for(lambda: c.call("DBSIZE") == 0, 10), "DBSIZE drops to 0 with no command on the keys")
    r = c.pipeline([("PSETEX", "key4", "300", "a"), ("PSETEX", "key5", "300", "a"), ("PSETEX", "key6", "300", "a")])
    check(r == ["OK"] * 3, "three PSETEX 300")
    time.sleep(0.5)
    check(c.call("MGET", "key4", "key5", "key6") == [None, None, None], "past their time MGET answers nil for each")


def b_no_resurrection(c):
    """EXPIRE should not resurrect keys (issue #1026)."""
    c.call("SET", "foo7", "bar")
    check(c.call("PEXPIRE", "foo7", "500") == 1, "PEXPIRE 500")
    check(wait_for(lambda: c.call("GET", "foo7") is None, 5), "the key expires")
    check(c.call("EXPIRE", "foo7", "10") == 0, "EXPIRE on it answers 0")
    check(c.call("EXISTS", "foo7") == 0, "and it does not come back")


def b_five_keys(c):
    """5 keys in, 5 keys out; EXPIRE with an empty string is an error."""
    check(c.call("FLUSHALL") == "OK", "FLUSHALL")
    c.call("SET", "a", "c")
    c.call("EXPIRE", "a", "500")
    for k, v in (("t", "c"), ("e", "c"), ("s", "c"), ("foo", "b")):
        c.call("SET", k, v)
    got = c.call("KEYS", "*")
    check(sorted(got) == [b"a", b"e", b"foo", b"s", b"t"], "KEYS * lists all five (%r)" % got)
    r = c.call("EXPIRE", "foo", "")
    check(isinstance(r, Error) and "not an integer" in str(r), "EXPIRE with an empty string: not an integer (%r)" % r)


def b_set_keepttl_getex_persist(c):
    """SET removes the expire, KEEPTTL keeps it; GETEX PERSIST removes it."""
    c.call("SET", "foo8", "bar", "EX", "100")
    c.call("SET", "foo8", "bar")
    check(c.call("TTL", "foo8") == -1, "SET removes the expire")
    c.call("SET", "foo8", "bar", "EX", "100")
    c.call("SET", "foo8", "bar", "KEEPTTL")
    ttl_between(c, "foo8", 91, 100)
    c.call("SET", "foo8", "bar", "EX", "100")
    check(c.call("GETEX", "foo8", "PERSIST") == b"bar", "GETEX PERSIST answers the value")
    check(c.call("TTL", "foo8") == -1, "and the TTL is gone")


def b_big_integers(c):
    """EXPIRE with big integer overflow when basetime is added; big negative
    integer; PEXPIREAT with big positive and negative integers."""
    c.call("SET", "foo9", "bar")
    r = c.call("EXPIRE", "foo9", "9223370399119966")
    check(str(r) == "ERR invalid expire time in 'expire' command", "EXPIRE 9223370399119966 overflows (%r)" % r)
    check(c.call("TTL", "foo9") == -1, "the key keeps no TTL")
    check(c.call("EXPIRE", "foo9", "-9223036854775808") == 1, "EXPIRE with a big negative integer answers 1")
    check(c.call("TTL", "foo9") == -2, "and deletes the key")
    c.call("SET", "foo9", "bar")
    check(c.call("PEXPIREAT", "foo9", "9223372036854770000") == 1, "PEXPIREAT with a big integer works")
    check(c.call("PEXPIRETIME", "foo9") == 9223372036854770000, "and PEXPIRETIME reads it back")
    c.call("SET", "foo9", "bar")
    check(c.call("PEXPIREAT", "foo9", "-9223372036854770000") == 1, "PEXPIREAT with a big negative integer works")
    check(c.call("TTL", "foo9") == -2, "and deletes the key")


def b_nx_xx_gt_lt(c):
    """EXPIRE with NX, XX, GT, LT on keys with and without a TTL; their
    conflicts; a negative expiry with LT; a missing key."""
    cases = [  # (SET options, EXPIRE arguments, its answer, TTL range after)
        (["EX", "100"], ["200", "NX"], 0, (50, 100)), ([], ["200", "NX"], 1, (100, 200)),
        (["EX", "100"], ["200", "XX"], 1, (100, 200)), ([], ["200", "XX"], 0, (-1, -1)),
        (["EX", "100"], ["200", "GT"], 1, (100, 200)), (["EX", "200"], ["100", "GT"], 0, (100, 200)),
        ([], ["200", "GT"], 0, (-1, -1)), (["EX", "100"], ["200", "LT"], 0, (50, 100)),
        (["EX", "200"], ["100", "LT"], 1, (50, 100)), ([], ["100", "LT"], 1, (50, 100)),
        (["EX", "200"], ["100", "LT", "XX"], 1, (50, 100)), ([], ["200", "LT", "XX"], 0, (-1, -1)),
        (["EX", "100"], ["-10", "LT"], 1, (-2, -2)), ([], ["-10", "LT"], 1, (-2, -2)),
    ]
    for opts, args, answer, (lo, hi) in cases:
        c.call("SET", "foo10", "bar", *opts)
        r = c.call("EXPIRE", "foo10", *args)
        check(r == answer, "SET %s, EXPIRE %s answers %d (%r)"
              % (" ".join(opts) or "(no TTL)", " ".join(args), answer, r))
        ttl_between(c, "foo10", lo, hi)
    for args, err in ((["LT", "GT"], "ERR GT and LT options at the same time are not compatible"),
                      (["NX", "GT"], "ERR NX and XX, GT or LT options at the same time are not compatible"),
                      (["NX", "XX"], "ERR NX and XX, GT or LT options at the same time are not compatible"),
                      (["xx", "nx"], "ERR NX and XX, GT or LT options at the same time are not compatible"),
                      (["foo"], "ERR Unsupported option foo")):
        r = c.call("EXPIRE", "foo10", "200", *args)
        check(str(r) == err, "EXPIRE ... %s: %s (%r)" % (" ".join(args), err, r))
    c.call("DEL", "none")
    for opt in ("NX", "XX", "GT", "LT"):
        check(c.call("EXPIRE", "none", "100", opt) == 0, "EXPIRE %s on a missing key answers 0" % opt)


FOLLOWER_BEHAVIOURS = [b_set_timeouts_multiple_times, b_expireat_like_expire, b_setex, b_persist, b_sub_second,
                       b_ttl_pttl, b_active_and_lazy_expire, b_no_resurrection, b_five_keys,
                       b_set_keepttl_getex_persist, b_big_integers, b_nx_xx_gt_lt]


def test_expire_through_follower(cl):
    """Behaviours of Redis 7.0's tests/unit/expire.tcl that need neither DEBUG
    nor replication, through a follower's client port: timeouts set again,
    EXPIREAT, SETEX, PERSIST, sub-second expiry, TTL and PTTL, active and
    lazy expiry, no resurrection, KEYS, KEEPTTL and GETEX PERSIST, 64-bit
    overflows, NX / XX / GT / LT; waits have deadlines, never exact sleeps."""
    lead = cl.leader()
    fol = cl.followers(lead)[0]
    check(cl.info(fol).get("raft_role") == "follower", "node %d is a follower" % fol)
    with cl.client(fol) as c:
        for b in FOLLOWER_BEHAVIOURS:
            f0 = harness.failed
            b(c)
            if harness.failed != f0:
                print("  through a follower: %s failed (%s)" % (b.__name__, b.__doc__.splitlines()[0]))


def cas_worker(cl, node, key, rounds, out):
    """rounds optimistic increments of key through node: WATCH, GET, MULTI,
    SET, EXEC, again while EXEC answers nil; out gets (done, retries)."""
    done = retries = 0
    c = cl.client(node, 30)
    try:
        while done < rounds:
            c.call("WATCH", key)
            v = int(c.call("GET", key) or b"0")
            c.call("MULTI")
            c.call("SET", key, str(v + 1))
            r = c.call("EXEC")
            if r is None:
                retries += 1
            else:
                done += 1
    finally:
        c.close()
    out.append((done, retries))


def test_cas_every_node(cl):
    """Compare-and-set increments (WATCH, GET, MULTI, SET, EXEC) from two
    clients on each node at once: every one that EXEC acknowledged counts,
    none is lost, and WATCH made some retry."""
    import threading
    key, rounds, out = "cas-counter", 40, []
    cl.call(cl.leader(), "DEL", key)
    threads = [threading.Thread(target=cas_worker, args=(cl, i, key, rounds, out)) for i in sorted(cl.procs) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    done = sum(d for d, _ in out)
    retries = sum(r for _, r in out)
    got = int(cl.call(cl.leader(), "GET", key) or b"0")
    print("  CAS: %d increments from %d clients over 3 nodes, %d EXECs failed by WATCH and retried" %
          (done, len(threads), retries))
    check(len(out) == len(threads) and done == rounds * len(threads), "every client finished (%r)" % out)
    check(got == done, "no increment lost: %d acknowledged, the counter says %d" % (done, got))
    check(retries > 0, "WATCH failed some EXECs under contention (%d)" % retries)


def closed(c):
    """Whether the server closed c (a read sees the end)."""
    try:
        c.s.settimeout(10)
        return c.s.recv(1) == b""
    except OSError:
        return True


def test_tx_leader_change(cl):
    """A client in MULTI on a follower, one in MULTI on the leader, and one
    WATCHing on a follower: the leader hands over; each is disconnected,
    and the SETs they queued never ran."""
    lead = cl.leader()
    fol = cl.followers(lead)[0]
    a, b, w = cl.client(fol, 10), cl.client(lead, 10), cl.client(fol, 10)
    check(a.call("MULTI") == "OK" and a.call("SET", "tx-lost-a", "1") == "QUEUED", "MULTI and a SET queued via a follower")
    check(b.call("MULTI") == "OK" and b.call("SET", "tx-lost-b", "1") == "QUEUED", "MULTI and a SET queued on the leader")
    check(w.call("WATCH", "tx-w") == "OK", "WATCH via a follower")
    other = [i for i in sorted(cl.procs) if i != lead][-1]
    check(cl.transfer_to(other), "the leadership moves to node %d" % other)
    check(closed(a) and closed(b), "both clients in MULTI were disconnected")
    check(closed(w) or wait_for(lambda: closed(w), 5), "the WATCHing client was disconnected")
    for c in (a, b, w):
        c.close()
    time.sleep(0.2)
    check(cl.call(other, "EXISTS", "tx-lost-a", "tx-lost-b") == 0, "what they queued never ran")


def test_watch_while_leadership_moves(cl):
    """A WATCH sent to a leader that is stopped (SIGSTOP) answers after
    another node has taken over: refused, or the client disconnected, or
    its watch holds: the key written by another client after the GET
    makes EXEC fail. (The watch used to be kept on the node that no longer
    led, while EXEC went to the new leader's session, which ran it.)"""
    key, outcomes, last = "watch-moves", collections.Counter(), "0"
    cl.call(cl.leader(), "SET", key, "0")
    for n in range(4):
        lead = cl.leader()
        c = cl.client(lead, 15)
        try:
            cl.pause(lead)
            c.s.sendall(harness.Client.encode("WATCH", key))
            new = cl.leader(timeout=15, exclude=(lead,))
            check(new is not None, "round %d: another node leads while node %d is stopped" % (n, lead))
            last = "during-%d" % n
            cl.call(new, "SET", key, last)  # before WATCH answers: linearizable either way
            cl.resume(lead)
            r = c.read()
            if isinstance(r, harness.Error):
                outcomes["WATCH refused: " + str(r)] += 1
                continue
            check(r == "OK", "round %d: WATCH answers OK or an error (%r)" % (n, r))
            c.call("GET", key)
            last = "after-get-%d" % n
            cl.call(new, "SET", key, last)
            replies = [c.call("MULTI"), c.call("SET", key, "cas-%d" % n), c.call("EXEC")]
            outcomes["EXEC %r" % (replies[2],)] += 1
            check(replies[2] is None or isinstance(replies[2], harness.Error),
                  "round %d: EXEC fails: the key was written after WATCH (%r)" % (n, replies))
        except (OSError, ConnectionError):
            outcomes["disconnected"] += 1
        finally:
            cl.resume(lead)
            c.close()
    print("  WATCH across a leader change, 4 rounds: %s" % dict(outcomes))
    got = cl.call(cl.leader(), "GET", key)
    check(got == last.encode(), "no EXEC ran: the key holds the last write (%r, %r)" % (got, last))


def test_idletime_through_follower(cl):
    """OBJECT IDLETIME as Redis keeps it (its keyspace unit: TOUCH alters
    the last access time), through a follower: it grows while nothing uses
    the key; OBJECT itself does not touch it, nor do TTL, PTTL, EXPIRETIME,
    PEXPIRETIME, TYPE, EXISTS and WATCH (Redis reads those keys without
    touching them); a GET queued in MULTI, a GET and a TOUCH bring it back
    to 0; and a missing key is nil."""
    lead = cl.leader()
    fol = cl.followers(lead)[0]

    def idle(c, what, old):
        got = c.call("OBJECT", "IDLETIME", "idle:k")
        check(isinstance(got, int) and (got >= 2 if old else got <= 1), "%s (%r)" % (what, got))

    with cl.client(fol) as c:
        c.call("SET", "idle:k", "v")
        time.sleep(2.2)
        idle(c, "idle 2 s after the SET", True)
        idle(c, "OBJECT itself is no access", True)
        for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "TYPE", "EXISTS", "WATCH"):
            c.call(cmd, "idle:k")
            idle(c, "%s is no access" % cmd, True)
        c.call("UNWATCH")
        check(c.call("MULTI") == "OK" and c.call("GET", "idle:k") == "QUEUED", "a GET queued")
        check(c.call("EXEC") == [b"v"], "and run by EXEC")
        idle(c, "a GET in a transaction makes it 0", False)
        time.sleep(2.2)
        idle(c, "idle again", True)
        c.call("GET", "idle:k")
        idle(c, "a GET makes it 0", False)
        time.sleep(2.2)
        check(c.call("TOUCH", "idle:k") == 1, "TOUCH counts the key")
        idle(c, "and makes it 0 too", False)
        check(c.call("OBJECT", "IDLETIME", "idle:none") is None, "a missing key: nil")


def test_multi_through_follower(cl):
    """The transaction sequences of differential_test.py (Redis's multi
    unit's behaviours: queueing, EXECABORT, errors inside EXEC, WATCH
    against another client's writes, deletions, expiry and FLUSHALL)
    through a follower, the other client on the leader, compared with a
    real redis-server reply by reply."""
    import differential_test as dt
    lead = cl.leader()
    fol = cl.followers(lead)[0]
    redis = harness.RedisServer()
    bad = []
    try:
        for n, seq in enumerate(dt.TX_SEQS):
            conns = [[harness.Client(redis.port, 10), cl.client(fol, 10)],
                     [harness.Client(redis.port, 10), cl.client(lead, 10)]]
            try:
                conns[1][0].call("FLUSHALL")
                conns[1][1].call("FLUSHALL")
                for args in seq:
                    if args == "~":
                        time.sleep(0.15)
                        continue
                    which = 1 if args.startswith("2:") else 0
                    cmd = dt.split(args[2:] if which else args)
                    want, got = [c.call_raw(*cmd) for c in conns[which]]
                    if want != got:
                        bad.append((n, args, want[:80], got[:80]))
            finally:
                for pair in conns:
                    for c in pair:
                        c.close()
    finally:
        redis.stop()
    check(not bad, "%d transaction sequences through follower %d answer as Redis does (%r)"
          % (len(dt.TX_SEQS), fol, bad[:3]))


TESTS = [test_px_gone_everywhere, test_same_ttl_everywhere, test_expire_through_follower, test_volatile_workload,
         test_idletime_through_follower, test_cas_every_node, test_multi_through_follower, test_tx_leader_change,
         test_watch_while_leadership_moves]


def suite():
    with Cluster(SERVER, 3, prefix="raftkv-expiry-") as cl:
        if cl.start_all():
            harness.run_tests(TESTS, cl)
    with SkewedCluster({3: SKEW_MS}) as cl:
        if cl.start_all():
            harness.run_tests([test_clock_behind], cl)


if __name__ == "__main__":
    sys.exit(harness.main("expiry", suite))
