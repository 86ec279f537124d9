#!/usr/bin/env python3
"""Integration tests of a real raftkv cluster: three raftkv-server processes
on loopback, driven over RESP (a small client below), redis-cli and
redis-benchmark. Covers writes and reads through any node, pipelines through
a follower, leader failure and catch-up, a lost majority (bounded CLUSTERDOWN
or TIMEOUT, never a false OK), garbage on the peer port, a torn WAL tail,
refusing another cluster's data, kill -9 of every node, and a 5-node cluster
losing two nodes, its leader among them. Every node runs under ASan/UBSan: a report
or a leak at exit fails the suite.

Usage: cluster_test.py path/to/raftkv-server"""
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
from checks import check  # noqa: E402

SERVER = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/raftkv-server-san")


class Error(Exception):
    pass


class Client:
    """Just enough RESP2 to talk to a node."""

    def __init__(self, port, timeout=10.0, host="127.0.0.1"):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf, self.pos = bytearray(), 0

    def close(self):
        self.s.close()

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    # The buffer is consumed by moving pos and trimmed only now and then,
    # so reading a 100 MB reply or 200,000 keys stays linear in its size.
    def _more(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise ConnectionError("closed")
        if self.pos > (1 << 20):
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += d

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return line
            self._more()

    def _read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return Error(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) - self.pos < n + 2:
                self._more()
            v = bytes(self.buf[self.pos:self.pos + n])
            self.pos += n + 2
            return v
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise ValueError("bad reply %r" % line)

    def call(self, *args):
        self.s.sendall(self.encode(*args))
        return self._read()

    def pipeline(self, cmds):
        self.s.sendall(b"".join(self.encode(*c) for c in cmds))
        return [self._read() for _ in cmds]


def free_base(n):
    """A base port whose n client and n peer ports (+10000) are all free."""
    for _ in range(100):
        base = random.randrange(12000, 22000)  # peers (+10000) below the ephemeral range, 32768..
        ok = True
        for p in [base + i for i in range(n)] + [base + 10000 + i for i in range(n)]:
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            s.close()
        if ok:
            return base
    raise RuntimeError("no free ports")


class Cluster:
    def __init__(self, n=3, extra=()):
        self.n = n
        self.extra = list(extra)
        self.base = free_base(n)
        self.dir = tempfile.mkdtemp(prefix="raftkv-cluster-")
        self.procs = {}
        self.members = ",".join("%d=127.0.0.1:%d" % (i, self.base + i - 1) for i in range(1, n + 1))

    def port(self, i):
        return self.base + i - 1

    def log(self, i):
        return os.path.join(self.dir, "node%d.log" % i)

    def args(self, i, members=None):
        return [SERVER, "--id", str(i), "--cluster", members or self.members, "--dir",
                os.path.join(self.dir, "node%d" % i), "--election-timeout", "300", "--heartbeat-interval", "50",
                "--cluster-request-timeout", "2000"] + self.extra

    def start(self, i):
        out = open(self.log(i), "ab")
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99")
        self.procs[i] = subprocess.Popen(self.args(i), stdout=out, stderr=subprocess.STDOUT, env=env)
        out.close()
        # a node reopening a million keys under ASan on a busy machine takes seconds
        end = time.time() + 60
        while time.time() < end and self.procs[i].poll() is None:
            try:
                Client(self.port(i)).close()
                return
            except OSError:
                time.sleep(0.025)
        raise RuntimeError("node %d did not start (exit code %s)" % (i, self.procs[i].poll()))

    def start_all(self):
        for i in range(1, self.n + 1):
            self.start(i)

    def kill(self, i, sig=signal.SIGKILL):
        p = self.procs.pop(i)
        p.send_signal(sig)
        return p.wait()

    def stop(self, i):
        """Clean stop: must exit 0 (ASan turns a leak or report into 99)."""
        rc = self.kill(i, signal.SIGTERM)
        check(rc == 0, "node %d exits cleanly on SIGTERM (rc %s)" % (i, rc))

    def info(self, i, section="raft"):
        c = Client(self.port(i))
        raw = c.call("INFO", section)
        c.close()
        d = {}
        for line in raw.decode().split("\r\n"):
            if ":" in line:
                k, v = line.split(":", 1)
                d[k] = v
        return d

    def leader(self, timeout=10.0, exclude=()):
        end = time.time() + timeout
        while time.time() < end:
            for i in self.procs:
                if i in exclude:
                    continue
                try:
                    if self.info(i).get("raft_role") == "leader":
                        return i
                except (OSError, ConnectionError):
                    pass
            time.sleep(0.05)
        return None

    def destroy(self):
        for i in list(self.procs):
            self.stop(i)
        logs = ""
        for i in range(1, self.n + 1):
            if os.path.exists(self.log(i)):
                logs += open(self.log(i), errors="replace").read()
        check("runtime error" not in logs and "AddressSanitizer" not in logs and "LeakSanitizer" not in logs,
              "no sanitizer report in the node logs")
        if checks.failed:
            print("node logs kept in", self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir)
        return logs


def retry(fn, seconds=10.0):
    """Calls fn until it returns a non-error reply; returns it or the last error."""
    end = time.time() + seconds
    r = None
    while time.time() < end:
        try:
            r = fn()
            if not isinstance(r, Error):
                return r
        except (OSError, ConnectionError) as e:
            r = e
        time.sleep(0.05)
    return r


def wait_for(cond, seconds=5.0):
    """Polls cond until it holds or the time is up; returns its last value."""
    end = time.time() + seconds
    while not cond() and time.time() < end:
        time.sleep(0.05)
    return cond()


def check_acked(cl, nodes, acked, what):
    """Every acknowledged write reads back, linearizably, on every node given."""
    for i in nodes:
        c = Client(cl.port(i))
        bad = [k for k, v in acked.items() if retry(lambda: c.call("GET", k)) != v]
        check(not bad, "%s: node %d reads every acknowledged write (%d missing)" % (what, i, len(bad)))
        c.close()


def test_basic(cl):
    lead = cl.leader()
    check(lead is not None, "a leader is elected")
    fol = [i for i in range(1, 4) if i != lead]
    c = Client(cl.port(fol[0]))
    check(c.call("SET", "k1", "v1") == "OK", "SET on a follower")
    for i in range(1, 4):
        ci = Client(cl.port(i))
        check(ci.call("GET", "k1") == b"v1", "GET k1 on node %d sees the follower's write" % i)
        ci.close()
    # a pipeline through a follower keeps its order, reads see earlier writes
    cmds = []
    for k in range(300):
        cmds.append(("SET", "p%d" % (k % 7), k))
        cmds.append(("GET", "p%d" % (k % 7)))
        cmds.append(("INCR", "ctr"))
    r = c.pipeline(cmds)
    ok = all(r[3 * k] == "OK" and r[3 * k + 1] == str(k).encode() and r[3 * k + 2] == k + 1 for k in range(300))
    check(ok, "a pipeline of 900 commands through a follower is answered in order and reads its own writes")
    check(isinstance(c.call("INCR", "k1"), Error), "errors come back through a follower")
    check(str(c.call("INCR", "k1")) == "ERR value is not an integer or out of range", "the exact error text")
    check(c.call("PING") == "PONG", "PING on a follower")
    c.close()
    # INCR from clients on every node: no lost or doubled increment
    cs = [Client(cl.port(i)) for i in range(1, 4)]
    for _ in range(50):
        for x in cs:
            x.s.sendall(Client.encode("INCR", "shared") * 4)
        for x in cs:
            for _ in range(4):
                x._read()
    check(cs[0].call("GET", "shared") == b"600", "600 INCRs from three nodes make 600")
    for x in cs:
        x.close()
    # INFO replication is shaped as Redis clients expect
    il = Client(cl.port(lead)).call("INFO", "replication").decode()
    check("role:master" in il and "connected_slaves:2" in il, "INFO replication on the leader")
    ifo = Client(cl.port(fol[1])).call("INFO", "replication").decode()
    check("role:slave" in ifo and "master_port:%d" % cl.port(lead) in ifo, "INFO replication on a follower")
    return lead


def test_tools(cl, lead):
    fol = [i for i in range(1, 4) if i != lead][0]
    out = subprocess.run(["redis-cli", "-p", str(cl.port(fol)), "SET", "clikey", "hello"], capture_output=True,
                         text=True)
    check(out.stdout.strip() == "OK", "redis-cli SET on a follower")
    out = subprocess.run(["redis-cli", "-p", str(cl.port(lead)), "GET", "clikey"], capture_output=True, text=True)
    check(out.stdout.strip() == "hello", "redis-cli GET on the leader")
    for target in (lead, fol):
        out = subprocess.run(["redis-benchmark", "-p", str(cl.port(target)), "-t", "set,get,incr", "-n", "3000", "-c",
                              "10", "-P", "8", "-q"], capture_output=True, text=True, timeout=120)
        check(out.returncode == 0 and "SET:" in out.stdout and "GET:" in out.stdout and "ERR" not in out.stdout,
              "redis-benchmark against node %d: %s" % (target, out.stdout.strip()[:200]))


def test_leader_failure(cl):
    lead = cl.leader()
    acked = {}
    c = Client(cl.port(lead))
    for k in range(100):
        check(c.call("SET", "f%d" % k, k) == "OK", "write before failure") or None
        acked["f%d" % k] = str(k).encode()
    c.close()
    t0 = time.time()
    cl.kill(lead)
    others = [i for i in range(1, 4) if i != lead]
    new = cl.leader(timeout=10, exclude=(lead,))
    took = time.time() - t0
    check(new is not None and new != lead, "a new leader after kill -9 of the leader")
    check(took < 5.0, "new leader within a few election timeouts (%.2fs)" % took)
    c = Client(cl.port(others[0]))
    for k in range(100, 200):
        r = retry(lambda: c.call("SET", "f%d" % k, k))
        if r == "OK":
            acked["f%d" % k] = str(k).encode()
    check(len(acked) == 200, "writes keep being acknowledged with two nodes up")
    c.close()
    cl.start(lead)
    end = time.time() + 10
    caught = False
    while time.time() < end and not caught:
        inf = cl.info(lead)
        linf = cl.info(new)
        caught = int(inf.get("raft_applied_index", 0)) >= int(linf.get("raft_commit_index", 1))
        time.sleep(0.05)
    check(caught, "the restarted node catches up with the leader")
    c = Client(cl.port(lead))
    bad = [k for k, v in acked.items() if c.call("GET", k) != v]
    check(not bad, "every acknowledged write is readable through the restarted node (%d missing)" % len(bad))
    c.close()


def test_lost_majority(cl):
    lead = cl.leader()
    c = Client(cl.port(lead))
    check(c.call("SET", "before", "1") == "OK", "write before losing the majority")
    c.close()
    others = [i for i in range(1, 4) if i != lead]
    for i in others:
        cl.kill(i)
    c = Client(cl.port(lead), timeout=15)
    outcomes = []
    for k in range(3):
        t0 = time.time()
        r = c.call("SET", "lost%d" % k, "x")
        outcomes.append((r, time.time() - t0))
    c.close()
    ok = all(isinstance(r, Error) and (str(r).startswith("CLUSTERDOWN") or str(r) == "TIMEOUT outcome unknown")
             for r, _ in outcomes)
    check(ok, "writes without a majority answer CLUSTERDOWN or TIMEOUT: %r" % [str(r) for r, _ in outcomes])
    check(all(t < 6 for _, t in outcomes), "within the bounded wait: %r" % [round(t, 2) for _, t in outcomes])
    c = Client(cl.port(lead), timeout=15)
    t0 = time.time()
    r = c.pipeline([("SET", "lostp%d" % k, k) if k % 2 else ("GET", "before") for k in range(400)])
    took = time.time() - t0
    ok = all(isinstance(x, Error) and (str(x).startswith("CLUSTERDOWN") or str(x) == "TIMEOUT outcome unknown")
             for x in r)
    check(ok, "a 400-command pipeline without a majority: only CLUSTERDOWN or TIMEOUT")
    check(took < 6, "the whole pipeline is answered within the bounded wait (%.2fs)" % took)
    c.close()
    c = Client(cl.port(lead), timeout=15)
    r = c.call("GET", "before")
    check(isinstance(r, Error) and str(r).startswith("CLUSTERDOWN"), "a read without a majority is refused: %r" % r)
    c.close()
    for i in others:
        cl.start(i)
    c = Client(cl.port(others[0]))
    check(retry(lambda: c.call("GET", "before")) == b"1", "acknowledged data survives losing the majority")
    check(retry(lambda: c.call("SET", "after", "2")) == "OK", "writes resume once the majority is back")
    c.close()


def test_peer_garbage(cl):
    lead = cl.leader()
    target = [i for i in range(1, 4) if i != lead][0]
    peer_port = cl.port(target) + 10000
    junk = [os.urandom(4096), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"*1\r\n$4\r\nPING\r\n",
            b"RKVP\x01\x02\x00\x00\xff\xff\xff\x7f\x00\x00\x00\x00",  # oversized frame
            b"RKVP\x01\x01\x00\x00\x18\x00\x00\x00" + b"\x00" * 12]  # a HELLO cut short, bad crc
    for j in junk:
        s = socket.create_connection(("127.0.0.1", peer_port))
        try:
            s.sendall(j)
            s.settimeout(3)
            s.recv(10)  # the node closes the connection
        except OSError:
            pass
        s.close()
    time.sleep(0.2)
    check(cl.procs[target].poll() is None, "garbage on the peer port does not crash the node")
    c = Client(cl.port(target))
    check(retry(lambda: c.call("SET", "after-garbage", "1")) == "OK", "the node still serves after garbage")
    c.close()
    check("Closing peer connection" in open(cl.log(target), errors="replace").read(), "bad frames are logged")


def frame(ftype, payload):
    head = struct.pack("<4sBBHI", b"RKVP", 1, ftype, 0, len(payload))
    return head + struct.pack("<I", zlib.crc32(head + payload) & 0xffffffff) + payload


def forwarded_clients(cl, i):
    c = Client(cl.port(i))
    raw = c.call("INFO", "clients").decode()
    c.close()
    return int(raw.split("forwarded_clients:")[1].split("\r\n")[0])


def test_proxy_link_closed(cl):
    """A follower's sessions end with the connection they came on: the
    leader frees their proxies when that connection closes, even while its
    own link to the follower stays up (a one-way break)."""
    lead = cl.leader()
    fol = [i for i in range(1, 4) if i != lead][0]
    inf = cl.info(lead)
    cid, term = int(inf["raft_cluster_id"], 16), int(inf["raft_term"])
    before = forwarded_clients(cl, lead)
    s = socket.create_connection(("127.0.0.1", cl.port(lead) + 10000))
    s.sendall(frame(1, struct.pack("<QQQ", cid, fol, lead)))
    argv = [b"SET", b"proxied", b"1"]
    entry = struct.pack("<BQI", 1, term, len(argv)) + b"".join(struct.pack("<I", len(a)) + a for a in argv)
    for sid in (0x7777000001, 0x7777000002):
        s.sendall(frame(3, struct.pack("<Q", sid) + entry))
    check(wait_for(lambda: forwarded_clients(cl, lead) == before + 2),
          "two forwarded sessions make two proxies on the leader")
    s.close()
    check(wait_for(lambda: forwarded_clients(cl, lead) == before), "closing their connection frees them")
    c = Client(cl.port(fol))
    # nobody waited for its reply: poll until it is applied
    check(wait_for(lambda: c.call("GET", "proxied") == b"1"), "the forwarded write was applied and is readable")
    c.close()


def test_close_in_flight(cl):
    """A client that hangs up while its commands are forwarded to the
    leader: failing them queued it for output after it was freed (a
    use-after-free ASan catches; found by the nemesis harness)."""
    lead = cl.leader()
    fol = [i for i in range(1, 4) if i != lead][0]
    cmds = b"".join(Client.encode("SET", "inflight:%d" % k, "x") for k in range(20))
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", cl.port(fol)))
        s.sendall(cmds)
        s.shutdown(socket.SHUT_WR)  # the request and the hang-up in one read
        s.close()
    try:
        c = Client(cl.port(fol))
        alive = c.call("PING") == "PONG"
        c.close()
    except OSError:
        alive = False
    check(alive and cl.procs[fol].poll() is None,
          "a follower survives 200 clients hanging up with forwarded commands in flight")


def test_torn_tail(cl):
    lead = cl.leader()
    target = [i for i in range(1, 4) if i != lead][0]
    cl.stop(target)
    d = os.path.join(cl.dir, "node%d" % target)
    segs = sorted(f for f in os.listdir(d) if f.startswith("wal-"))
    check(len(segs) > 0, "the node has WAL segments")
    with open(os.path.join(d, segs[-1]), "ab") as f:
        f.write(b"\x13\x37" * 20)  # a torn record header and payload
    cl.start(target)
    c = Client(cl.port(target))
    check(retry(lambda: c.call("GET", "after-garbage")) == b"1", "a node with a torn WAL tail starts and catches up")
    c.close()
    check("truncating" in open(cl.log(target), errors="replace").read(), "the truncation is logged")


def test_foreign_data(cl):
    lead = cl.leader()
    target = [i for i in range(1, 4) if i != lead][0]
    cl.stop(target)
    other = "1=127.0.0.1:%d,2=127.0.0.1:%d,3=127.0.0.1:%d" % (cl.base + 50, cl.base + 51, cl.base + 52)
    p = subprocess.run(cl.args(target, other), capture_output=True, text=True, timeout=30)
    check(p.returncode == 1 and "belongs to" in p.stdout, "a node refuses another cluster's data dir")
    cl.start(target)


def test_kill_all(cl):
    """kill -9 of every node at once loses nothing that was acknowledged."""
    acked = {}
    for i in range(1, 4):
        c = Client(cl.port(i))
        r = c.pipeline([("SET", "all%d_%d" % (i, k), k) for k in range(100)])
        acked.update({"all%d_%d" % (i, k): str(k).encode() for k in range(100) if r[k] == "OK"})
        c.close()
    check(len(acked) == 300, "300 pipelined writes through all nodes acknowledged (%d)" % len(acked))
    for i in range(1, 4):
        cl.kill(i)
    for i in range(1, 4):
        cl.start(i)
    check_acked(cl, range(1, 4), acked, "after kill -9 of every node")


def test_five():
    """A 5-node cluster keeps serving with any two nodes down, the leader among them."""
    cl = Cluster(5)
    try:
        cl.start_all()
        lead = cl.leader()
        check(lead is not None, "a 5-node cluster elects a leader")
        acked = {}
        c = Client(cl.port(lead % 5 + 1))
        for k in range(50):
            if c.call("SET", "five%d" % k, k) == "OK":
                acked["five%d" % k] = str(k).encode()
        c.close()
        down = [lead, lead % 5 + 1]
        for i in down:
            cl.kill(i)
        up = [i for i in range(1, 6) if i not in down]
        new = cl.leader(timeout=10, exclude=down)
        check(new in up, "a new leader among the three survivors")
        c = Client(cl.port(up[0]))
        for k in range(50, 100):
            if retry(lambda: c.call("SET", "five%d" % k, k)) == "OK":
                acked["five%d" % k] = str(k).encode()
        c.close()
        check(len(acked) == 100, "writes acknowledged with two of five nodes down (%d of 100)" % len(acked))
        for i in down:
            cl.start(i)
        check_acked(cl, range(1, 6), acked, "5 nodes after two restarts")
    finally:
        cl.destroy()


def pipe_sets(port, keys, value, batch=5000):
    """SETs every key in pipelines of `batch`; returns how many were acknowledged.
    A SET answered CLUSTERDOWN or TIMEOUT (an election under load) is sent
    again, as a client would: SET is idempotent."""
    ok = 0
    for i in range(0, len(keys), batch):
        todo = keys[i:i + batch]
        for _ in range(5):
            try:
                c = Client(port, timeout=60)
                replies = c.pipeline([("SET", k, value) for k in todo])
                c.close()
            except (OSError, ConnectionError):
                time.sleep(0.5)
                continue
            ok += sum(1 for r in replies if r == "OK")
            todo = [k for k, r in zip(todo, replies) if r != "OK"]
            if not todo:
                break
            time.sleep(0.5)
    return ok


def fsm_dirs(cl, i):
    d = os.path.join(cl.dir, "node%d" % i)
    return sorted(x for x in os.listdir(d) if x.startswith("fsm-") and os.path.isdir(os.path.join(d, x)))


def test_log_bounded(cl, lead, nkeys):
    """Writing continues while every node's log on disk stays under a bound."""
    sizes = []
    stop = [False]
    import threading

    def watch():
        while not stop[0]:
            for i in range(1, 4):
                try:
                    sizes.append(int(cl.info(i, "persistence")["raft_log_bytes"]))
                except (OSError, ConnectionError, KeyError, ValueError):
                    pass
            time.sleep(0.2)
    t = threading.Thread(target=watch)
    t.start()
    n = pipe_sets(cl.port(lead), ["big%d" % k for k in range(nkeys)], "v" * 20)
    stop[0] = True
    t.join()
    check(n == nkeys, "%d keys written with compaction on (%d acknowledged)" % (nkeys, n))
    bound = 16 << 20
    check(sizes and max(sizes) < bound, "the log on disk stays under %d bytes while writing (max %d over %d samples)"
          % (bound, max(sizes or [0]), len(sizes)))
    taken = [int(cl.info(i)["raft_snapshots_taken"]) for i in range(1, 4)]
    check(min(taken) > 0, "every node took snapshots (%s)" % taken)
    c = Client(cl.port(lead))
    check(c.call("DBSIZE") == nkeys, "DBSIZE counts every key written")
    c.close()


def test_catch_up_by_snapshot(cl):
    """A follower stopped while the log is compacted past it comes back by snapshot."""
    lead = cl.leader()
    fol = [i for i in range(1, 4) if i != lead][0]
    cl.stop(fol)
    acked = {}
    c = Client(cl.port(lead))
    for chunk in range(10):
        r = c.pipeline([("SET", "snap%d" % (chunk * 500 + k), chunk * 500 + k) for k in range(500)])
        acked.update({"snap%d" % (chunk * 500 + k): str(chunk * 500 + k).encode() for k in range(500) if r[k] == "OK"})
    first = c.call("RAFT.SNAPSHOT")
    c.close()
    check(len(acked) == 5000, "5000 writes acknowledged with a follower down")
    check(isinstance(first, int) and first > 0, "RAFT.SNAPSHOT answers the snapshot index (%r)" % first)
    cl.start(fol)
    got = wait_for(lambda: int(cl.info(fol)["raft_snapshots_received"]) >= 1, 60)
    check(got, "the follower received a snapshot")
    lead_keys = cl.info(lead, "keyspace")
    check(wait_for(lambda: cl.info(fol, "keyspace") == lead_keys, 30),
          "the follower's own state machine holds as many keys as the leader's (%r vs %r)"
          % (cl.info(fol, "keyspace"), lead_keys))
    check_acked(cl, [fol], acked, "after catching up by snapshot")
    check(len(fsm_dirs(cl, fol)) == 1, "one state machine directory after the install (%s)" % fsm_dirs(cl, fol))
    return fol


def test_kill_mid_install(cl):
    """kill -9 of a follower while it receives an image, then a restart, loses nothing."""
    lead = cl.leader()
    fol = [i for i in range(1, 4) if i != lead][1]
    cl.stop(fol)
    n = pipe_sets(cl.port(lead), ["mid%d" % k for k in range(60000)], "x" * 300)
    check(n == 60000, "60000 larger values written with a follower down (%d)" % n)
    c = Client(cl.port(lead))
    c.call("RAFT.SNAPSHOT")
    c.close()
    cl.start(fol)
    receiving = wait_for(lambda: cl.info(fol).get("raft_snapshot_receiving") == "1", 30)
    check(receiving, "the follower is receiving an image")
    cl.kill(fol)
    left = fsm_dirs(cl, fol)
    cl.start(fol)
    check(wait_for(lambda: int(cl.info(fol)["raft_snapshots_received"]) >= 1, 60), "the restarted follower installs an image")
    check(wait_for(lambda: cl.info(fol, "keyspace") == cl.info(lead, "keyspace"), 30),
          "it then holds every key (%r vs %r)" % (cl.info(fol, "keyspace"), cl.info(lead, "keyspace")))
    check(len(left) >= 1 and len(fsm_dirs(cl, fol)) == 1,
          "the half-built image is gone after the restart (%s, then %s)" % (left, fsm_dirs(cl, fol)))
    c = Client(cl.port(fol))
    check(retry(lambda: c.call("GET", "mid59999")) == b"x" * 300, "a key from the image reads back through that node")
    c.close()


def test_restart_replays_little(cl):
    """After a restart each node replays only the log after its snapshot."""
    for i in range(1, 4):
        cl.stop(i)
    for i in range(1, 4):
        cl.start(i)
    for i in range(1, 4):
        lines = [l for l in open(cl.log(i), errors="replace").read().splitlines() if "Raft node" in l and " log " in l]
        span = lines[-1].split(" log ")[1].split(",")[0]
        lo, hi = (int(x) for x in span.split(".."))
        check(hi - lo < 40000, "node %d starts with %d log entries, not the whole history (%s)" % (i, hi - lo + 1, lines[-1]))
    lead = cl.leader()
    c = Client(cl.port(lead))
    check(retry(lambda: c.call("GET", "snap4999")) == b"4999", "data survives the restart of every node")
    c.close()


def test_snapshots():
    cl = Cluster(3, ["--snapshot-threshold", "20000", "--snapshot-log-size", "4mb", "--wal-segment-size", "1mb"])
    try:
        cl.start_all()
        lead = cl.leader()
        check(lead is not None, "the snapshot cluster elects a leader")
        test_log_bounded(cl, lead, int(os.environ.get("SNAP_KEYS", "1000000")))
        test_catch_up_by_snapshot(cl)
        test_kill_mid_install(cl)
        test_restart_replays_little(cl)
    finally:
        cl.destroy()


def main():
    if os.environ.get("SNAP_ONLY"):
        test_snapshots()
        return checks.summary("cluster")
    cl = Cluster(3)
    try:
        cl.start_all()
        lead = test_basic(cl)
        test_tools(cl, lead)
        test_leader_failure(cl)
        test_lost_majority(cl)
        test_peer_garbage(cl)
        test_proxy_link_closed(cl)
        test_close_in_flight(cl)
        test_torn_tail(cl)
        test_foreign_data(cl)
        test_kill_all(cl)
    finally:
        cl.destroy()
    test_five()
    test_snapshots()
    return checks.summary("cluster")


if __name__ == "__main__":
    sys.exit(main())
