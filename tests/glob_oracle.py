#!/usr/bin/env python3
"""Writes tests/glob_cases.txt: glob cases whose answers come from a real
redis-server, so tests/test_glob.c can hold src/base/glob.c to Redis's matcher
without a server at test time.

Usage: glob_oracle.py [--seed N] [--patterns N] [--out PATH] [--all-pairs]
                      [--redis-server PATH]

Case-sensitive answers come from KEYS pattern over a keyspace holding every
test string. KEYS answers a pattern of exactly "*" without matching (it lists
everything), so that one pattern goes to PUBSUB CHANNELS instead, with every
test string subscribed as a channel. Case-insensitive answers come from
COMMAND LIST FILTERBY PATTERN, the one command that matches with nocase
against names we can enumerate (the strings are then Redis's command names).

Each pattern is recorded with up to two strings it matches and two it does
not (--all-pairs records every pair; for one-off runs, not for checking in).
Line format: expected nocase "pattern" "string", where bytes outside ! to ~,
'"' and '%' are written %HH."""
import argparse, itertools, os, random, shutil, socket, subprocess, sys, tempfile, time

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port)); self.f = self.s.makefile("rb")
    def send(self, *cmds):
        out = []
        for args in cmds:
            out.append(b"*%d\r\n" % len(args))
            for a in args:
                out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))
    def read(self):
        line = self.f.readline()
        if not line: raise EOFError("server closed the connection")
        t, rest = line[:1], line[1:-2]
        if t == b"+": return rest
        if t == b"-": raise RuntimeError(rest.decode())
        if t == b":": return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if t == b"*": return [self.read() for _ in range(int(rest))]
        raise RuntimeError("bad reply %r" % line)
    def call(self, *args):
        self.send(args); return self.read()
    def pipeline(self, cmds):
        replies = []
        for i in range(0, len(cmds), 500):
            chunk = cmds[i:i + 500]; self.send(*chunk)
            replies += [self.read() for _ in chunk]
        return replies

def start_server(binary):
    port, tmp = free_port(), tempfile.mkdtemp(prefix="glob_oracle.")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
    for _ in range(400):
        if proc.poll() is not None: sys.exit("redis-server exited early")
        try: return proc, tmp, Conn(port), Conn(port)
        except OSError: time.sleep(0.025)
    sys.exit("redis-server did not start on port %d" % port)

class Oracle:
    def __init__(self, c, sub):
        self.c, self.sub, self.strings = c, sub, []
    def load(self, strings):
        """Makes `strings` the keyspace and the subscribed channels."""
        self.strings = sorted(set(strings))
        self.c.call(b"FLUSHALL")
        self.c.pipeline([[b"SET", s, b"1"] for s in self.strings])
        self.sub.send([b"UNSUBSCRIBE"])
        while self.sub.read()[2] != 0: pass        # one reply per channel dropped
        self.sub.send([b"SUBSCRIBE"] + self.strings)
        for _ in self.strings: self.sub.read()
        assert self.c.call(b"DBSIZE") == len(self.strings)
    def matches(self, patterns):
        """For each pattern, the set of loaded strings it matches."""
        cmds = [[b"PUBSUB", b"CHANNELS", p] if p == b"*" else [b"KEYS", p] for p in patterns]
        return [set(r) for r in self.c.pipeline(cmds)]

def esc(b):
    return "".join(chr(x) if 0x21 <= x <= 0x7e and x not in (0x22, 0x25) else "%%%02X" % x for x in b)

def rand_bytes(r, alphabet, lo, hi):
    return bytes(r.choice(alphabet) for _ in range(r.randint(lo, hi)))

def record(out, r, pattern, matched, universe, nocase, all_pairs, prefer=()):
    if all_pairs:
        chosen = universe
    else:
        yes = sorted(matched); no = [s for s in universe if s not in matched]
        chosen = r.sample(yes, min(2, len(yes))) + r.sample(no, min(2, len(no)))
        chosen += [s for s in prefer if s not in chosen]
    for s in chosen:
        out.append('%d %d "%s" "%s"' % (s in matched, nocase, esc(pattern), esc(s)))

def derived_pattern(r, src, letters, nocase):
    """A pattern built from the string src so that it matches now and then:
    bytes kept (in random case under nocase), or turned into '?', '*',
    escapes, sets and ranges (some negated, some unclosed), or dropped."""
    out = b""
    flip = lambda c: bytes([c ^ 0x20]) if nocase and chr(c).isalpha() and r.random() < 0.5 else bytes([c])
    for c in src:
        k = r.random()
        if k < 0.45: out += flip(c)
        elif k < 0.55: out += b"?"
        elif k < 0.65: out += b"*"
        elif k < 0.70: out += b"\\" + flip(c)
        elif k < 0.90:
            items = []
            for _ in range(r.randint(1, 3)):
                a, b = r.choice([c, r.choice(letters)]), r.choice(letters)
                k2 = r.random()
                if k2 < 0.4: items.append(flip(a))
                elif k2 < 0.8: items.append(flip(a) + b"-" + bytes([b]) if r.random() < 0.5 else bytes([b]) + b"-" + flip(a))
                else: items.append(b"\\" + flip(a))
            r.shuffle(items)
            out += b"[" + (b"^" if r.random() < 0.2 else b"") + b"".join(items) + (b"]" if r.random() < 0.9 else b"")
        # else: the byte is dropped
    if r.random() < 0.2: out = out[:r.randint(0, len(out))]
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--patterns", type=int, default=3000, help="random case-sensitive patterns")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "glob_cases.txt"))
    ap.add_argument("--all-pairs", action="store_true")
    ap.add_argument("--redis-server", default="redis-server")
    a = ap.parse_args()
    r = random.Random(a.seed)
    proc, tmp, c, sub = start_server(a.redis_server)
    try:
        version = c.call(b"INFO", b"server").split(b"redis_version:")[1].split(b"\r\n")[0].decode()
        out = ["# Generated by tests/glob_oracle.py --seed %d --patterns %d from redis-server %s; do not edit."
               % (a.seed, a.patterns, version),
               '# expected nocase "pattern" "string"; bytes outside ! to ~, \'"\' and \'%\' are %HH.']
        o = Oracle(c, sub)

        # 1. Short patterns over glob syntax (half random, half derived from a
        # test string) against short strings.
        pat_alpha, str_alpha = b"ab*?[]^-\\", b"ab-]\\"
        strings = [b""]
        for n in range(1, 4):
            strings += [bytes(t) for t in itertools.product(str_alpha, repeat=n)]
        strings += [rand_bytes(r, str_alpha, 4, 7) for _ in range(80)]
        o.load(strings)
        patterns, seen = [], set()
        while len(patterns) < a.patterns:
            if len(patterns) % 2: p = derived_pattern(r, r.choice(o.strings), pat_alpha, False)
            else: p = rand_bytes(r, pat_alpha, 0, r.choice([3, 6, 10]))
            if p not in seen: seen.add(p); patterns.append(p)
        for p, m in zip(patterns, o.matches(patterns)):
            record(out, r, p, m, o.strings, 0, a.all_pairs)

        # 2. Hand-picked edges: bytes >= 0x80 in ranges (signed char), NUL,
        # empty strings and patterns, lone '[' and '\'. Every pair recorded.
        singles = [bytes([x]) for x in (0x00, 0x01, 0x2d, 0x41, 0x5a, 0x5c, 0x5d, 0x5e, 0x61, 0x7a,
                                        0x7f, 0x80, 0x81, 0xc3, 0xfe, 0xff)]
        o.load(singles + [b"", b"a\x00b", b"\xff\xfe", b"ab", b"a-", b"[", b"[a", b"\\"])
        edges = [b"", b"*", b"**", b"?", b"*?", b"?*", b"[", b"[^", b"[]", b"[^]", b"[\\", b"[a-", b"[-]",
                 b"[a-]", b"[]a]", b"[^]a]", b"\\", b"\\\\", b"a\\", b"[\\]]", b"[\\\\]", b"[a-\xff]",
                 b"[\xff-a]", b"[\x80-\xff]", b"[\x00-\x7f]", b"[\x7f-\x80]", b"[^\x80-\xff]",
                 b"[\x01-\xfe]", b"[\x00]", b"[^\x00]", b"\xff", b"*\xff", b"[\\\xff]", b"a\x00b",
                 b"a?b", b"a*", b"*-", b"[[]", b"[[]a", b"[[", b"\\[", b"\\[*", b"[\\[]*", b"[Z-a]",
                 b"[a-Z]", b"[A-z]", b"[^-]", b"[]-]", b"[a\\-z]", b"[\\a-z]", b"[a-\\z]"]
        for p, m in zip(edges, o.matches(edges)):
            record(out, r, p, m, o.strings, 0, True)

        # 3. nocase: patterns derived from Redis's own command names.
        names = sorted(c.call(b"COMMAND", b"LIST"))
        npat, seen = [], set()
        while len(npat) < a.patterns // 3:
            src = r.choice(names)
            p = derived_pattern(r, src, b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_|-[]^\\", True)
            if p not in seen: seen.add(p); npat.append((p, src))
        replies = c.pipeline([[b"COMMAND", b"LIST", b"FILTERBY", b"PATTERN", p] for p, _ in npat])
        for (p, src), m in zip(npat, replies):
            record(out, r, p, set(m), names, 1, a.all_pairs, prefer=[src])
    finally:
        proc.terminate(); proc.wait(); shutil.rmtree(tmp, ignore_errors=True)
    with open(a.out, "w") as f:
        f.write("\n".join(out) + "\n")
    print("%s: %d cases" % (a.out, len(out) - 2))

if __name__ == "__main__":
    main()
