#!/usr/bin/env python3
"""Disk faults on real raftkv-server processes (under ASan/UBSan): a 3-node
cluster with a client writing through it all along, and one node at a time
hit by:

  - a torn record at the end of its log (after kill -9): the node drops it
    with a log line, starts and catches up;
  - a flipped byte in a log record before the end: the node refuses to
    start, naming file and offset, and raftkv-check-log reports the damage;
  - damage to its state machine after a snapshot (LevelDB table files,
    MANIFEST, CURRENT, LevelDB's own log, our fsm-current; cut, flipped or
    gone): the node refuses to start every time, deletes nothing, never
    serves;
  - bytes flipped in a table file under a running leader: it stops at the
    damaged block and never answers wrongly;
  - a failing fdatasync (tests/faultfs.c, LD_PRELOAD) on the leader and on
    a follower: the node stops with a log line, the other two go on;
  - a full disk (data dirs on small tmpfs mounts), on one follower and
    then on every node: each stays up and takes no writes (MISCONF) while
    reads go on, and recovers by itself once the tmpfs grows.

Each damaged node is then replaced the documented way (README, "Disk
damage"): RAFT.NODE REMOVE on another member, its data dir wiped, started
empty with --join at the same address, under a new id (once under its own,
after the leader has let the old one go). At the end every acknowledged
write must read back from every member's own state machine: each is made
leader in turn, and a leader reads its own LevelDB.

Usage: diskfault_test.py path/to/raftkv-server [path/to/raftkv-check-log]"""
import os
import shutil
import signal
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ASAN, Cluster, Writer, check, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = harness.server_arg()
CHECK_LOG = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else
                            os.path.join(os.path.dirname(SERVER), "raftkv-check-log-san"))
FAULTFS = os.path.join(HERE, "..", "build", "faultfs.so")
RETRIABLE = harness.RETRIABLE + ("MISCONF",)


class DiskCluster(Cluster):
    """Three machines ("slots") on fixed ports. A node id lives on a slot;
    replacing a node puts a new id on the same slot, with the slot's data
    dir wiped, as an operator would on the same host. Nodes can start with
    the faultfs.so shim, and their data dirs can move onto small tmpfs
    mounts."""

    def __init__(self):
        super().__init__(SERVER, 3, ["--wal-segment-size", "64kb", "--snapshot-threshold", "3000"],
                         prefix="raftkv-diskfault-")
        self.slot = {1: 0, 2: 1, 3: 2}  # node id -> slot
        self.next_id = 4

    def port(self, i):
        return self.base + self.slot[i]

    def data(self, i):
        return os.path.join(self.dir, "slot%d" % self.slot[i])

    def replace(self, w, old, what):
        """The documented recovery of a damaged member: RAFT.NODE REMOVE it on
        another member, wipe its data dir, start it there again, empty, with
        --join under a new id (README, "Disk damage": a wiped node under its
        old id could give again a vote the old one gave). Returns the id."""
        if old in self.procs:
            self.kill(old)
        w.leave(old)
        via = next(i for i in self.procs)
        r = self.raft_node(via, "REMOVE", old, kinds=RETRIABLE)
        check(r == "OK", "%s: RAFT.NODE REMOVE %d through node %d: %r" % (what, old, via, r))
        shutil.rmtree(self.data(old))
        new = self.next_id
        self.next_id += 1
        self.slot[new] = self.slot.pop(old)
        self.joiners.add(new)
        if self.start(new):
            check(wait_for(lambda: self.is_voter(new), 60), "%s: node %d joins empty in its place and becomes a voter"
                  % (what, new))
            check(self.caught_up(new), "%s: node %d catches up" % (what, new))
            w.nodes.append(new)
        return new

    # ---- a failing disk: tests/faultfs.c
    def start_faultfs(self, i, trigger, after):
        """Starts node i with faultfs.so preloaded: its log's fdatasync fails
        (EIO) once the trigger file exists, after `after` more syncs."""
        libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True,
                                 text=True).stdout.strip()
        preload = (libasan + " " if "san" in os.path.basename(self.server) else "") + os.path.abspath(FAULTFS)
        # the node exits from the middle of its work on purpose: what it holds then is no leak
        return self.start(i, {"LD_PRELOAD": preload, "FAULTFS_TRIGGER": trigger, "FAULTFS_AFTER": str(after),
                              "ASAN_OPTIONS": ASAN.replace("detect_leaks=1", "detect_leaks=0")})

    # ---- a full disk: data dirs on small tmpfs mounts
    def onto_tmpfs(self, nodes, extra):
        """Puts each node's data dir on a tmpfs of its own, twice what it holds
        (LevelDB turns its log into a table when it opens) plus extra bytes, one
        node at a time (a node started with --join wants another one up). False
        when tmpfs cannot be mounted here."""
        for t in nodes:
            self.stop(t)
            d = self.data(t)
            keep = d + ".moved"
            os.rename(d, keep)
            os.mkdir(d)
            size = (2 * du(keep) + extra + 4095) // 4096 * 4096
            mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size, "tmpfs", d],
                                     capture_output=True, text=True)
            if mounted.returncode != 0:
                print("  ENOSPC: cannot mount a tmpfs here (%s): skipped" % mounted.stderr.strip())
                os.rmdir(d)
                os.rename(keep, d)
                self.start(t)
                self.off_tmpfs([i for i in nodes if os.path.ismount(self.data(i))])
                return False
            shutil.copytree(keep, d, dirs_exist_ok=True)
            shutil.rmtree(keep)
            self.start(t)
        return True

    def grow_tmpfs(self, nodes, size):
        for t in nodes:
            subprocess.run(["mount", "-o", "remount,size=%d" % size, self.data(t)], check=True)

    def off_tmpfs(self, nodes):
        """Back to an ordinary data dir, one node at a time: stop, copy off,
        unmount, start."""
        for t in nodes:
            if t in self.procs:
                self.stop(t)
            d = self.data(t)
            keep = d + ".moved"
            shutil.copytree(d, keep)
            subprocess.run(["umount", d], check=True)
            os.rmdir(d)
            os.rename(keep, d)
            self.start(t)


def du(path):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs)


def acked_grows(w, what, more=50, seconds=15):
    n = w.count()
    check(wait_for(lambda: w.count() >= n + more, seconds),
          "%s: writes go on being acknowledged (%d, then %d)" % (what, n, w.count()))


def followers(cl):
    lead = cl.leader()
    return lead, cl.followers(lead)


# ---- the WAL on disk (format in src/storage/wal.h) ----

SEG_HEADER, REC_HEADER = 16, 25


def segments(d):
    return sorted(f for f in os.listdir(d) if f.startswith("wal-") and f.endswith(".log"))


def records(path):
    """(offset, length of the whole record) of each record in a segment."""
    with open(path, "rb") as f:
        data = f.read()
    out, off = [], SEG_HEADER
    while off + REC_HEADER <= len(data):
        n = REC_HEADER + int.from_bytes(data[off + 4:off + 8], "little")
        if off + n > len(data):
            break
        out.append((off, n))
        off += n
    return out


def flip(path, off, n=4, mask=0x5a):
    with open(path, "r+b") as f:
        f.seek(off)
        b = f.read(n)
        f.seek(off)
        f.write(bytes(x ^ mask for x in b))


def check_log(d):
    p = subprocess.run([CHECK_LOG, d], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, ASAN_OPTIONS=ASAN))
    return p.returncode, p.stdout + p.stderr


def torn_record(seg):
    """Appends what a crash in the middle of a write leaves: a record for
    the next index, sound header and crc, cut short in its payload. (Cutting
    the last record that is there would not do: once synced it may be
    applied already, and losing it is damage the node rightly refuses.)"""
    with open(seg, "rb") as f:
        data = f.read()
    off, n = records(seg)[-1]
    head = data[off:off + REC_HEADER]
    term, index = head[8:16], int.from_bytes(head[16:24], "little")
    payload = data[off + REC_HEADER:off + n]
    body = (len(payload)).to_bytes(4, "little") + term + (index + 1).to_bytes(8, "little") + head[24:25] + payload
    rec = zlib.crc32(body).to_bytes(4, "little") + body
    with open(seg, "ab") as f:
        f.write(rec[:REC_HEADER + len(payload) // 2])
    return off + n, index + 1


def test_torn_tail(cl, w):
    """kill -9, and the last segment ends in the middle of a record."""
    _, fol = followers(cl)
    t = fol[0]
    w.leave(t)
    cl.kill(t)
    d = cl.data(t)
    seg = os.path.join(d, segments(d)[-1])
    check(len(records(seg)) > 0, "torn tail: the last segment holds records")
    off, index = torn_record(seg)
    rc, out = check_log(d)
    check(rc == 0 and "torn tail" in out and "log is usable" in out,
          "torn tail: raftkv-check-log calls the log usable (rc %s):\n%s" % (rc, out[-400:]))
    size = os.path.getsize(cl.log(t))
    if not cl.start(t):
        return
    log = open(cl.log(t), errors="replace").read()[size:]
    check("%s at offset %d: record cut short" % (os.path.basename(seg), off) in log and "truncating" in log and
          "a write cut short by a crash" in log,
          "torn tail: the node drops the torn record for index %d with a log line" % index)
    check(cl.caught_up(t), "torn tail: node %d catches up" % t)
    w.nodes.append(t)
    acked_grows(w, "torn tail")


def test_wal_corrupt(cl, w):
    """A flipped byte in a record that is not the last: the node refuses,
    raftkv-check-log agrees, and the node is replaced."""
    _, fol = followers(cl)
    t = fol[-1]
    w.leave(t)
    cl.kill(t)
    d = cl.data(t)
    segs = segments(d)
    seg = os.path.join(d, segs[-1])
    recs = records(seg)
    if len(recs) < 3 and len(segs) > 1:
        seg = os.path.join(d, segs[-2])
        recs = records(seg)
    check(len(recs) >= 2, "wal corruption: a segment with records to damage (%d)" % len(recs))
    off, n = recs[len(recs) // 2 - 1] if len(recs) >= 2 else recs[0]
    flip(seg, off + REC_HEADER + 1)  # in the entry's data: only the crc can tell
    where = "%s at offset %d" % (os.path.basename(seg), off)
    rc, log = cl.start_refused(t)
    check(rc == 1 and where in log and "bad crc" in log and "Refusing to start" in log,
          "wal corruption: the node refuses to start, naming %s (rc %s):\n%s" % (where, rc, log[-600:]))
    rc, out = check_log(d)
    check(rc == 1 and "error: " in out and where in out and "log is damaged" in out,
          "wal corruption: raftkv-check-log reports the damage at %s (rc %s):\n%s" % (where, rc, out[-600:]))
    check(w.count() > 0, "wal corruption: writes were acknowledged before")
    cl.replace(w, t, "wal corruption")
    acked_grows(w, "after replacing the node with a damaged log")


def ldb(d):
    return [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".ldb")]


def fsm_gen(d):
    with open(os.path.join(d, "fsm-current")) as f:
        return os.path.join(d, "fsm-%08d" % int(f.read().split()[0]))


def test_fsm_damage(cl, w):
    """A node stopped after a snapshot (its log compacted: the state machine
    is its only copy of the early entries), then each kind of damage to the
    state machine on its own: the node must refuse to start every time."""
    _, fol = followers(cl)
    t = fol[0]
    # a restart turns LevelDB's log into a table file; the later writes and
    # the snapshot's synced write stay in LevelDB's log
    w.leave(t)
    cl.stop(t)
    if not cl.start(t):
        return
    check(cl.caught_up(t), "state machine: node %d catches up after a restart" % t)
    time.sleep(0.3)
    c = cl.client(t)
    snap = c.call("RAFT.SNAPSHOT")
    c.close()
    inf = cl.info(t)
    check(isinstance(snap, int) and int(inf["raft_first_log_index"]) > 1,
          "state machine: RAFT.SNAPSHOT at %r compacted the log (it starts at %s)"
          % (snap, inf["raft_first_log_index"]))
    cl.stop(t)
    d = cl.data(t)
    pristine = d + ".pristine"
    shutil.copytree(d, pristine)
    gen = fsm_gen(d)
    tables = ldb(gen)
    logs = [f for f in os.listdir(gen) if f.endswith(".log") and os.path.getsize(os.path.join(gen, f))]
    check(tables and logs, "state machine: LevelDB holds table files %s and a log %s" % (tables, logs))

    def on(name):
        return lambda g: os.path.join(g, name)

    def manifest(g):
        return os.path.join(g, next(f for f in os.listdir(g) if f.startswith("MANIFEST-")))

    def leveldb_log(g):
        return os.path.join(g, max((f for f in os.listdir(g) if f.endswith(".log")),
                                   key=lambda f: os.path.getsize(os.path.join(g, f))))

    def cut(which, frac):
        return lambda g: os.truncate(which(g), int(os.path.getsize(which(g)) * frac))

    def bad(which, where):
        return lambda g: flip(which(g), where(os.path.getsize(which(g))))

    def every_table(how):
        # every one: a table left over from a compaction is not live, and
        # damage to it alone rightly changes nothing
        def do(g):
            for path in ldb(g):
                how(path)
        return do

    def flip_at(where):
        return lambda path: flip(path, where(os.path.getsize(path)))

    cases = [
        ("table files cut in half", every_table(lambda p: os.truncate(p, os.path.getsize(p) // 2))),
        ("table files with bytes flipped in a data block", every_table(flip_at(lambda n: n // 3))),
        ("table files with bytes flipped in their index", every_table(flip_at(lambda n: n - 48 - 12))),
        ("table files gone", every_table(os.unlink)),
        ("the MANIFEST cut in half", cut(manifest, 0.5)),
        ("the MANIFEST with bytes flipped", bad(manifest, lambda n: n // 2)),
        ("CURRENT emptied", cut(on("CURRENT"), 0)),
        ("CURRENT with a bit flipped", lambda g: flip(os.path.join(g, "CURRENT"), 14, 1, 0x01)),
        ("LevelDB's log with bytes flipped", bad(leveldb_log, lambda n: n // 2)),
        ("fsm-current emptied", lambda g: os.truncate(os.path.join(d, "fsm-current"), 0)),
        ("fsm-current with one bit flipped", lambda g: flip(os.path.join(d, "fsm-current"), 0, 1, 0x02)),
        ("fsm-current gone", lambda g: os.unlink(os.path.join(d, "fsm-current"))),
    ]
    for what, damage in cases:
        shutil.rmtree(d)
        shutil.copytree(pristine, d)
        damage(gen)
        rc, log = cl.start_refused(t)
        named = os.path.basename(gen) in log or "fsm-current" in log
        why = log.split("Can't open the data in ")[-1].split(". Refusing")[0] if "Can't open" in log else log[-200:]
        print("    %-48s %s" % (what + ":", why.split(": ", 1)[-1].replace(d + "/", "")[:110]))
        check(rc == 1 and "Refusing to start" in log and named and "Ready to accept" not in log,
              "state machine, %s: the node refuses to start with a line naming it (rc %s):\n%s"
              % (what, rc, log[-700:]))
        check(os.path.isdir(gen), "state machine, %s: the refused start left %s in place" % (what, gen))
    shutil.rmtree(pristine)
    cl.replace(w, t, "state machine damage")
    acked_grows(w, "after replacing the node with a damaged state machine")


def test_fsm_rot(cl, w):
    """Damage under a running node: bytes flipped in one of its table files
    while it leads. Its first read of that block must stop it; no reply
    may carry wrong data."""
    _, fol = followers(cl)
    t = fol[0]
    w.leave(t)
    cl.stop(t)  # what it applied goes into a table file when it starts again
    if not cl.start(t):
        return
    check(cl.caught_up(t), "bit rot: node %d catches up after a restart" % t)
    tables = ldb(fsm_gen(cl.data(t)))
    for _ in range(3):  # caught up by an image: a new generation, all in LevelDB's log until a restart
        if tables:
            break
        cl.stop(t)
        if not cl.start(t):
            return
        cl.caught_up(t)
        tables = ldb(fsm_gen(cl.data(t)))
    check(tables, "bit rot: node %d has table files" % t)
    if not tables:
        return
    check(cl.transfer_to(t), "bit rot: node %d leads" % t)
    wrong = answered = 0
    # LevelDB may compact the damaged file away before anything reads it
    # (then nothing can): flip the biggest live table again, up to 3 times
    for attempt in range(3):
        tables = ldb(fsm_gen(cl.data(t)))
        if not tables:
            break
        big = max(tables, key=os.path.getsize)
        flip(big, os.path.getsize(big) // 2, 64)
        acked = dict(w.acked)
        keys = sorted(acked)
        c = cl.client(t, timeout=30)
        try:
            for j in range(0, len(keys), 200):
                part = keys[j:j + 200]
                got = c.call("MGET", *part)
                if isinstance(got, list):
                    answered += len(part)
                    wrong += sum(1 for k, v in zip(part, got) if v != acked[k])
            cursor = b"0"
            while True:  # every block, meta keys too
                cursor, _ = c.call("SCAN", cursor, "COUNT", 1000)
                if cursor in (b"0", "0"):
                    break
        except (OSError, ConnectionError):
            pass
        c.close()
        if cl.procs[t].poll() is not None or os.path.exists(big):
            break
        print("  bit rot: %s was compacted away before a read reached it; again" % os.path.basename(big))
    p = cl.procs[t]
    try:
        rc = p.wait(5)
    except subprocess.TimeoutExpired:
        rc = None
    log = open(cl.log(t), errors="replace").read()
    check(wrong == 0, "bit rot: no wrong value among the %d keys read before it stopped" % answered)
    if rc is None:
        # every read was answered from blocks LevelDB had already verified
        # and cached: the damage is met at the latest by the next start
        cl.kill(t, signal.SIGTERM)
        rc2, out = cl.start_refused(t)
        check(rc2 == 1 and "Corruption" in out,
              "bit rot: reads served from verified cached blocks; the next start refuses (rc %s)" % (rc2,))
        print("  bit rot: the damaged block was cached, not read again; the restart refused it")
    else:
        cl.procs.pop(t)
        # a read meets the block (abort), or a compaction does first and the
        # next write to the state machine fails (exit 1)
        check(rc in (-signal.SIGABRT, 1) and "Corruption" in log and
              ("Reading the state machine" in log or "Writing to the state machine" in log),
              "bit rot: the node stops at the damaged block, with a log line (rc %s, %d of %d keys read)"
              % (rc, answered, len(keys)))
    w.leave(t)
    check(cl.leader(exclude=(t,)) is not None, "bit rot: the other two have a leader")
    acked_grows(w, "bit rot, with the node stopped")
    cl.replace(w, t, "bit rot")


def fsync_eio(cl, w, on_leader):
    """A node's log fdatasync fails (EIO) mid-run: it must stop, and never
    acknowledge what it could not sync. On the leader the fault comes once
    it leads (the trigger file); on a follower after 100 syncs."""
    what = "fsync EIO on the %s" % ("leader" if on_leader else "follower")
    if not os.path.exists(FAULTFS):
        check(False, "%s: %s is built (make build/faultfs.so)" % (what, FAULTFS))
        return
    _, fol = followers(cl)
    t = fol[0]
    trigger = os.path.join(cl.dir, "fail-fsync")
    if not on_leader:
        open(trigger, "w").close()
    w.leave(t)
    cl.stop(t)
    size = os.path.getsize(cl.log(t))
    if not cl.start_faultfs(t, trigger, 0 if on_leader else 100):
        return
    p = cl.procs[t]
    if on_leader:
        check(cl.caught_up(t), "%s: node %d runs with the shim and catches up" % (what, t))
        check(cl.transfer_to(t), "%s: node %d leads" % (what, t))
        w.nodes.append(t)
        acked_grows(w, what + ", before the fault")
        open(trigger, "w").close()
    try:
        rc = p.wait(30)
    except subprocess.TimeoutExpired:
        rc = None
        p.kill()
        p.wait()
    cl.procs.pop(t)
    os.unlink(trigger)
    w.leave(t)
    log = open(cl.log(t), errors="replace").read()[size:]
    check(rc == 1 and "Writing the Raft log failed: Input/output error" in log,
          "%s: node %d stops with exit code 1 and a log line (rc %s):\n%s" % (what, t, rc, log[-500:]))
    new = cl.leader(exclude=(t,))
    check(new is not None, "%s: the other two have a leader (node %s)" % (what, new))
    acked_grows(w, what + ", with the node stopped")
    cl.replace(w, t, what)


def test_fsync_eio_leader(cl, w):
    """The leader's fdatasync fails: it stops with a log line, the other two go on."""
    fsync_eio(cl, w, True)


def test_fsync_eio_follower(cl, w):
    """A follower's fdatasync fails: it stops with a log line, the other two go on."""
    fsync_eio(cl, w, False)


def persistence_ok(cl, i):
    """INFO persistence's aof_last_write_status on node i: "ok", "err", or None if it does not answer."""
    try:
        return cl.info(i, "persistence").get("aof_last_write_status")
    except (OSError, ConnectionError):
        return None


def fill(cl, via, until, seconds=60):
    """Big SETs through the nodes in via, 512 KB a round (acknowledged ones
    are not kept: these keys are not the writer's) until until() holds;
    the replies seen, by kind."""
    big = b"x" * 8192
    seen = {}
    n = 0
    end = time.time() + seconds
    while not until() and time.time() < end:
        try:
            c = cl.client(via[n % len(via)], timeout=10)
            r = c.pipeline([("SET", "big%d_%d" % (n, k), big) for k in range(64)])
            c.close()
        except (OSError, ConnectionError):
            r = ["connection"]
        for x in r:
            kind = "OK" if x == "OK" else str(x).split(" ")[0]
            seen[kind] = seen.get(kind, 0) + 1
        n += 1
    return seen


def intact(cl, t, logsize, what):
    """Node t is still up, said why it takes no writes, and did not stop."""
    log = open(cl.log(t), errors="replace").read()[logsize:]
    check(cl.procs[t].poll() is None and "No space left on device" in log and "Its data is intact" in log and
          "Stopping" not in log, "%s: node %d stays up and says why it takes no writes:\n%s" % (what, t, log[-600:]))


def test_enospc(cl, w):
    """A follower's data dir on a small tmpfs that fills up: it stays up,
    the other two go on; given room again, it catches up by itself."""
    _, fol = followers(cl)
    t = fol[-1]
    w.leave(t)
    if not cl.onto_tmpfs([t], 1 << 20):
        w.nodes.append(t)
        return
    try:
        check(cl.caught_up(t), "ENOSPC: node %d runs on a small tmpfs and catches up" % t)
        logsize = os.path.getsize(cl.log(t))
        others = [i for i in cl.procs if i != t]
        seen = fill(cl, others, lambda: persistence_ok(cl, t) == "err")
        check(persistence_ok(cl, t) == "err", "ENOSPC: node %d reports aof_last_write_status:err (%r)" % (t, seen))
        intact(cl, t, logsize, "ENOSPC")
        check(cl.leader(exclude=(t,)) is not None, "ENOSPC: the other two keep a leader")
        acked_grows(w, "ENOSPC, with one follower's disk full")
        c = cl.client(t)
        key, val = next(iter(dict(w.acked).items()))
        check(c.call("GET", key) == val, "ENOSPC: the full node still serves reads")
        c.close()
        cl.grow_tmpfs([t], 256 << 20)
        check(wait_for(lambda: persistence_ok(cl, t) == "ok", 30), "ENOSPC: node %d recovers once there is room" % t)
        check(cl.caught_up(t), "ENOSPC: node %d catches up after it" % t)
    finally:
        cl.off_tmpfs([t])
    w.nodes.append(t)
    acked_grows(w, "ENOSPC, after the disk was cleared")


def test_enospc_all(cl, w):
    """Every node's data dir on a small tmpfs, all filling up: every node
    stays up, writes are refused (MISCONF) or time out, never lost; reads
    go on where a leader remains; once there is room, writes resume."""
    nodes = sorted(cl.procs)
    if not cl.onto_tmpfs(nodes, 2 << 20):
        return
    try:
        check(cl.leader() is not None, "ENOSPC everywhere: a leader on the small disks")
        sizes = {t: os.path.getsize(cl.log(t)) for t in nodes}
        # A full leader hands over to a follower that has all it has (and so
        # room for it): fill until a full leader has none left to hand to,
        # or a majority is full with no leader (a full disk cannot record a
        # vote, so none can be elected); then nothing more can be written.
        stuck = []

        def settled():
            lead = cl.leader(timeout=2)
            if lead is None:
                full = [t for t in nodes if persistence_ok(cl, t) == "err"]
                stuck[:] = ["none", full]
                return 2 * len(full) > len(nodes) and cl.leader(timeout=3) is None
            if persistence_ok(cl, lead) != "err":
                return False
            # it hands over, at its next retry (every second), once a
            # majority has all it has: on a busy machine (CI beside two CPU
            # hogs) the followers may still be catching up, so first wait
            # for each to have it all or a full disk of its own
            last = int(cl.info(lead)["raft_last_log_index"])
            wait_for(lambda: all(t == lead or persistence_ok(cl, t) == "err" or
                                 int(cl.info(t).get("raft_last_log_index", 0)) >= last for t in nodes), 15)
            time.sleep(1.5)
            stuck[:] = [lead]
            return cl.leader(timeout=2) == lead
        seen = fill(cl, nodes, settled, 90)
        full = [t for t in nodes if persistence_ok(cl, t) == "err"]
        check(settled(), "ENOSPC everywhere: a leader with a full disk and no one to hand to, or a majority full "
              "and no leader (%r; full: %r; last look %r)" % (seen, full, stuck))
        check(all(cl.procs[t].poll() is None for t in nodes), "ENOSPC everywhere: every node stays up")
        for t in full:
            intact(cl, t, sizes[t], "ENOSPC everywhere")
        lead = cl.leader(timeout=5)
        if lead is not None:
            for via in nodes:  # the leader refuses before proposing; followers forward to it
                c = cl.client(via)
                key, val = next(iter(dict(w.acked).items()))
                r = c.call("SET", "after-full", "x")
                check(str(r).startswith("MISCONF Errors writing to the"),
                      "ENOSPC everywhere: a write through node %d is refused: %r" % (via, r))
                got = c.call("GET", key)
                check(got == val, "ENOSPC everywhere: reads go on through node %d (%r)" % (via, got))
                c.close()
        print("  ENOSPC everywhere: replies %r, full disks on nodes %r, leader %s" % (seen, full, lead))
        cl.grow_tmpfs(nodes, 256 << 20)
        check(wait_for(lambda: all(persistence_ok(cl, t) == "ok" for t in nodes), 30),
              "ENOSPC everywhere: every node recovers once there is room")
        acked_grows(w, "ENOSPC everywhere, once there is room")
    finally:
        cl.off_tmpfs(nodes)
    check(cl.leader() is not None, "ENOSPC everywhere: a leader after moving back")
    acked_grows(w, "ENOSPC everywhere, back on the ordinary disk")


def test_start(cl, w):
    """Three nodes elect a leader and take the writer's writes."""
    for i in (1, 2, 3):
        cl.start(i)
    check(cl.leader() is not None, "a leader is elected")
    w.nodes = [1, 2, 3]
    w.start()
    acked_grows(w, "start", 300)


def test_only_retriable_errors(cl, w):
    """All along, the writer saw only retriable errors (or lost connections)."""
    w.finish()
    odd = {e: n for e, n in w.errors.items() if e not in RETRIABLE and e != "connection"}
    check(not odd, "clients saw only retriable errors (%r)" % dict(w.errors))


def test_every_copy(cl, w):
    """Each member leads in turn, and reads every acknowledged key from its
    own state machine (a follower would forward the reads to the leader)."""
    acked = dict(w.acked)
    members = sorted(cl.procs)
    lead = cl.leader()
    commit = int(cl.info(lead)["raft_commit_index"])
    check(all(wait_for(lambda: int(cl.info(i)["raft_applied_index"]) >= commit, 30) for i in members),
          "every member applied everything")
    counts = {i: cl.info(i, "keyspace").get("db0", "") for i in members}
    check(len(set(counts.values())) == 1, "every member's state machine holds as many keys: %r" % counts)
    for i in members:
        check(cl.transfer_to(i), "node %d takes the lead for the read-back" % i)
        cl.check_acked([i], acked, "leading, from its own state machine")
    print("  %d writes acknowledged" % len(acked))


TESTS = [test_start, test_torn_tail, test_wal_corrupt, test_fsm_damage, test_fsm_rot, test_fsync_eio_leader,
         test_fsync_eio_follower, test_enospc, test_enospc_all, test_only_retriable_errors, test_every_copy]


def suite():
    with DiskCluster() as cl:
        w = Writer(cl)
        try:
            harness.run_tests(TESTS, cl, w)
        finally:
            w.finish()


if __name__ == "__main__":
    sys.exit(harness.main("diskfault", suite))
