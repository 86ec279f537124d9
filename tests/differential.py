#!/usr/bin/env python3
"""Differential test: the same command sequences go to a real redis-server
and to raftkv-server; every reply must be byte-for-byte identical.

Usage: differential.py RAFTKV_BINARY [--seed N] [--random N]
Scripted cases cover edge cases and errors; a seeded generator adds random
sequences. On a mismatch it prints the seed, the command and both replies."""
import os, random, shutil, socket, subprocess, sys, tempfile, time

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def wait_port(port, proc):
    for _ in range(400):
        if proc.poll() is not None:
            sys.exit("server exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); return
        except OSError:
            time.sleep(0.025)
    sys.exit("server did not start on %d" % port)

def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        if isinstance(a, str): a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port)); self.buf = b""
    def _line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d: raise EOFError
            self.buf += d
        i = self.buf.index(b"\r\n"); line = self.buf[:i + 2]; self.buf = self.buf[i + 2:]; return line
    def _exact(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d: raise EOFError
            self.buf += d
        out = self.buf[:n]; self.buf = self.buf[n:]; return out
    def reply(self):
        line = self._line(); t = line[:1]
        if t in (b"+", b"-", b":"): return line
        n = int(line[1:-2])
        if t == b"$": return line + (self._exact(n + 2) if n >= 0 else b"")
        if t == b"*": return line + b"".join(self.reply() for _ in range(max(n, 0)))
        raise ValueError("bad reply %r" % line)
    def send_raw(self, data): self.s.sendall(data)
    def call(self, args): self.s.sendall(encode(args)); return self.reply()

SCRIPT = [
    "SET k v", "GET k", "SET k v NX", "SET k v XX", "SET k2 v XX", "SET k v3 GET", "SET n v GET", "SET k v NX XX",
    "SET k v FOO", "SET k", "SET", "GET", "GET a b", "SETNX k x", "SETNX k3 x", "GETSET k3 y", "GETDEL k3", "GETDEL k3",
    "MSET a 1 b 2", "MSET a 1 b", "MGET a b zz", "MSETNX a 1 q 2", "MSETNX q 1 r 2", "MSETNX q", "EXISTS a a b zz",
    "DEL a a zz", "UNLINK b q", "TYPE r", "TYPE zz", "APPEND ap hello", "APPEND ap _world", "STRLEN ap", "STRLEN zz",
    "GETRANGE ap 0 4", "GETRANGE ap -5 -1", "GETRANGE ap 5 1", "GETRANGE ap -1 -5", "GETRANGE zz 0 -1",
    "GETRANGE ap 0 x", "GETRANGE ap -100 100", "SUBSTR ap 1 3", "SETRANGE sr 2 ab", "GET sr", "SETRANGE sr -1 ab",
    "SETRANGE ap 0 J", "SETRANGE nosr 0 ''", "INCR n", "INCRBY n 10", "DECR n", "DECRBY n 20", "INCRBY n x",
    "INCRBY n +1", "INCRBY n 01", "INCRBY n ' 1'", "INCRBY n -0", "SET big 9223372036854775807", "INCR big",
    "SET small -9223372036854775808", "DECR small", "DECRBY n -9223372036854775808", "INCRBY n 9223372036854775808",
    "SET s abc", "INCR s", "INCRBYFLOAT f 10.5", "INCRBYFLOAT f 0.1", "INCRBYFLOAT f -10.6", "INCRBYFLOAT f 5.0e3",
    "INCRBYFLOAT f abc", "INCRBYFLOAT s 1", "INCRBYFLOAT f inf", "INCRBYFLOAT f 1e400", "INCRBYFLOAT g 3.0",
    "INCRBYFLOAT g -0.25", "INCRBYFLOAT h 1.23456789012345678", "INCRBYFLOAT n 1.5", "DBSIZE", "PING", "PING hi",
    "PING a b", "ECHO hey", "ECHO", "SELECT 0", "SELECT x", "HELLO 1", "HELLO x", "NOSUCH a b",
    "nosuch", "CLIENT NOSUCH", "CLIENT", "CLIENT SETNAME a b", "CLIENT GETNAME", "CLIENT SETNAME tester",
    "CLIENT GETNAME", "CLIENT KILL 1.2.3.4:5", "CLIENT KILL ID 0", "CLIENT KILL ID 999999", "CONFIG GET maxclients",
    "CONFIG NOSUCH", "CONFIG SET nosuch 1", "CONFIG GET", "COMMAND NOSUCH",
    "FLUSHALL NOW", "FLUSHDB ASYNC", "DBSIZE", "SCAN x", "SCAN 0 COUNT 0", "SCAN 0 COUNT x", "SCAN 0 FOO bar",
    "KEYS nomatch*", "RANDOMKEY", "EXISTS", "DEL", "INCR", "GET k", "MGET", "APPEND k",
    "SETRANGE k 10", "TYPE", "STRLEN a b",
]

def split(cmd):
    return [("" if a == "''" else a.replace("'", "")) for a in cmd.split(" ")] if "' 1'" not in cmd else \
        cmd.replace("' 1'", "\x00").split(" ")

def args_of(cmd):
    out = []
    for a in split(cmd):
        out.append(" 1" if a == "\x00" else a)
    return out

KEYS = ["k%d" % i for i in range(6)]
VALS = ["0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "1.5", "abc", "", "01", "+5", " 3",
        "3 ", "1e3", "x" * 40, "\x00\xff", "18446744073709551616"]

def random_cmd(r):
    k = lambda: r.choice(KEYS)
    v = lambda: r.choice(VALS + [str(r.randint(-1000, 1000))])
    choices = [
        lambda: ["SET", k(), v()] + r.choice([[], ["NX"], ["XX"], ["GET"], ["NX", "GET"], ["XX", "GET"], ["BAD"]]),
        lambda: ["GET", k()], lambda: ["SETNX", k(), v()], lambda: ["GETSET", k(), v()], lambda: ["GETDEL", k()],
        lambda: ["MGET"] + [k() for _ in range(r.randint(1, 4))],
        lambda: ["MSET"] + sum([[k(), v()] for _ in range(r.randint(1, 3))], []),
        lambda: ["MSETNX"] + sum([[k(), v()] for _ in range(r.randint(1, 3))], []),
        lambda: ["DEL"] + [k() for _ in range(r.randint(1, 3))], lambda: ["EXISTS"] + [k() for _ in range(r.randint(1, 3))],
        lambda: ["INCR", k()], lambda: ["DECR", k()], lambda: ["INCRBY", k(), v()], lambda: ["DECRBY", k(), v()],
        lambda: ["INCRBYFLOAT", k(), r.choice(["0.5", "-1.25", "10", "abc", "3e2", "0"])],
        lambda: ["APPEND", k(), v()], lambda: ["STRLEN", k()],
        lambda: ["GETRANGE", k(), str(r.randint(-10, 10)), str(r.randint(-10, 10))],
        lambda: ["SETRANGE", k(), str(r.randint(-1, 12)), v()], lambda: ["TYPE", k()], lambda: ["DBSIZE"],
        lambda: ["UNLINK", k()], lambda: ["EXISTS", k(), k()],
    ]
    return r.choice(choices)()

def start(argv, port):
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, p)
    return p

def main():
    binary = sys.argv[1]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else int(time.time())
    nrandom = int(sys.argv[sys.argv.index("--random") + 1]) if "--random" in sys.argv else 20000
    tmp = tempfile.mkdtemp(prefix="raftkv-diff-")
    rport, kport = free_port(), free_port()
    redis = start(["redis-server", "--port", str(rport), "--save", "", "--appendonly", "no", "--dir", tmp,
                   "--enable-debug-command", "no"], rport)
    kv = start([binary, "--port", str(kport), "--dir", os.path.join(tmp, "kv"), "--logfile", os.path.join(tmp, "kv.log")], kport)
    passed = failed = 0
    try:
        a, b = Conn(rport), Conn(kport)
        def compare(args, label):
            nonlocal passed, failed
            ra, rb = a.call(args), b.call(args)
            if ra == rb: passed += 1
            else:
                failed += 1
                if failed <= 20:
                    print("MISMATCH (%s) %r\n  redis:  %r\n  raftkv: %r" % (label, args, ra, rb))
        for cmd in SCRIPT: compare(args_of(cmd), "script")
        # Raw protocol edge cases on fresh connections (each may close).
        for raw in [b"*abc\r\n", b"*1\r\nx\r\n", b"*1\r\n$-5\r\n", b"SET a \"b\r\n", b"PING\r\n", b"*0\r\nPING\r\n",
                    b"  ping  \r\n", b"echo \"a\\x41\\n\"\r\n", b"echo 'it\\'s'\r\n", b"*1\r\n$4\r\nPING\r\n\r\n\r\nPING\r\n",
                    b"*2\r\n$4\r\necho\r\n$3\r\nabc\r\n", b"*3000000000\r\n", b"*1\r\n$x\r\n", b"\r\n\r\nPING\r\n"]:
            outs = []
            for port in (rport, kport):
                c = Conn(port); c.send_raw(raw); c.s.shutdown(socket.SHUT_WR); data = b""
                c.s.settimeout(2)
                try:
                    while True:
                        d = c.s.recv(65536)
                        if not d: break
                        data += d
                except socket.timeout:
                    pass
                outs.append(data); c.s.close()
            if outs[0] == outs[1]: passed += 1
            else:
                failed += 1; print("MISMATCH (raw) %r\n  redis:  %r\n  raftkv: %r" % (raw, outs[0], outs[1]))
        r = random.Random(seed)
        a.call(["FLUSHALL"]); b.call(["FLUSHALL"])
        for i in range(nrandom): compare(random_cmd(r), "seed %d step %d" % (seed, i))
        # Pipelined: many writes and reads of the same keys land in one loop
        # iteration (one batch on raftkv's side), replies must still match.
        for chunk in range(nrandom // 100):
            cmds = [random_cmd(r) + [] for _ in range(100)]
            cmds.insert(r.randrange(100), ["KEYS", "k*"] if r.random() < 0.5 else ["DBSIZE"])
            payload = b"".join(encode(c) for c in cmds)
            a.send_raw(payload); b.send_raw(payload)
            for c in cmds:
                ra, rb = a.reply(), b.reply()
                if c[0] == "KEYS":
                    ra, rb = sorted(ra.split(b"\r\n")), sorted(rb.split(b"\r\n"))
                if ra == rb: passed += 1
                else:
                    failed += 1
                    if failed <= 20: print("MISMATCH (pipelined, seed %d) %r\n  redis:  %r\n  raftkv: %r" % (seed, c, ra, rb))
        # The whole resulting state must match too.
        for key in KEYS: compare(["GET", key], "final state")
        compare(["DBSIZE"], "final state")
    finally:
        redis.terminate(); kv.terminate(); redis.wait()
        rc = kv.wait()
        if rc != 0:
            failed += 1; print("raftkv-server exited with status %d; see %s/kv.log" % (rc, tmp))
            sys.stdout.write(open(os.path.join(tmp, "kv.log")).read()[-3000:])
    print("differential seed: %d" % seed)
    print("differential: %d passed, %d failed" % (passed, failed))
    if failed == 0: shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)

main()
