"""The harness every Python test suite shares: pass/fail counting, a RESP
client, port picking, INFO parsing, raftkv-server clusters (start, stop,
kill, leader, catch-up, acknowledged writes read back), a writing client
thread and a reference redis-server.

  check(cond, what)        one check; summary(suite) prints the
                           "<suite>: N passed, M failed" line tests/run.sh adds up
  main(suite, body)        runs body(), an escaping exception a failed check,
                           then the summary; run_tests(tests, *args) runs
                           test_<feature> functions in turn, printing each one's time
  Client(port, timeout, host, password, tls)  call(), pipeline(), read(), read_raw(), call_raw()
                           (with a password: AUTH first; tls: an ssl.SSLContext to speak through)
  make_certs(dir)          a CA, a server and a client certificate (the openssl command);
                           make_cert(certs, name, dir) another one that CA signs;
                           tls_context(certs, client_cert) a client's ssl.SSLContext;
                           redis_py() the redis-py module (Debian's python3-redis)
  Cluster(server, n, ...)  node i: port(i), host(i), data(i), log(i), args(i);
                           secret=S: every node gets S by --cluster-secret-file
                           (secrets[i]: another one, or None for none, for node i);
                           tls=certs (make_certs): every node also listens on tls_port(i);
                           start(i), start_all(), start_refused(i), kill(i),
                           stop(i), pause(i), resume(i), destroy();
                           info(i, section), call(i, *cmd), leader(), followers(),
                           caught_up(i), transfer_to(i), raft_node(via, ...),
                           check_acked(nodes, acked, what)
  Writer(cl)               a thread SETting unique keys through cl.nodes
  RedisServer(extra)       a real redis-server on a free port (the oracle)
  free_base(n), wait_for(cond), retry(fn), parse_info(raw), peer_frame(),
  pipe_writes(cl, i, keys, command) (idempotent writes, pipelined, retried),
  PeerDialer (the peer handshake, as a node or a forger; inside TLS too), raw_exchange(), short()

Suites with special needs subclass Cluster (jepsen: nodes in network
namespaces; diskfault: LD_PRELOAD and tmpfs mounts; membership: --join)
or pass options (hostile: timings, --enable-debug-command, nofile; auth:
a password, which every client of the harness then gives)."""
import os
import random
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import collections
import hashlib
import hmac
import zlib

# ---------------------------------------------------------------- counting

passed = failed = 0


VERBOSE = bool(os.environ.get("TEST_VERBOSE"))


def check(cond, what):
    """Records one check; a failed one is printed with what it checks (and,
    with TEST_VERBOSE=1 in the environment, a passed one too)."""
    global passed, failed
    if cond:
        passed += 1
        if VERBOSE:
            print("ok:", what, file=sys.stderr, flush=True)
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr, flush=True)
    return cond


def summary(suite):
    """Prints the "<suite>: N passed, M failed" line; the exit code."""
    print("%s: %d passed, %d failed" % (suite, passed, failed), flush=True)
    return 1 if failed else 0


def main(suite, body):
    """Runs body(), the suite; an exception escaping it is a failed check
    (with its traceback). SIGTERM unwinds, so every node is stopped.
    Returns the exit code, after the summary line."""
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        body()
    except Exception as e:
        check(False, "%s ran to its end (%s)" % (suite, "".join(traceback.format_exception_only(type(e), e)).strip()))
        traceback.print_exc()
    return summary(suite)


def run_tests(tests, *args):
    """Calls each test function with args, in order (each may build on what
    the one before left), printing its name, time and verdict."""
    for t in tests:
        t0, f0 = time.monotonic(), failed
        t(*args)
        print("  %-36s %6.1fs %s" % (t.__name__, time.monotonic() - t0, "ok" if failed == f0 else "FAILED"),
              flush=True)


def server_arg(default="build/raftkv-server-san"):
    """The server binary named on the command line (absolute)."""
    return os.path.abspath(sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else default)


def short(x, n=160):
    """repr(x), cut to n characters for a message."""
    s = repr(x)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)

# ---------------------------------------------------------------- RESP


class Error(Exception):
    """An error reply (-ERR ...): returned, not raised."""


class Client:
    """Just enough RESP2 to talk to a node or a redis-server. Strings are
    sent as latin-1 (one byte a character: "\\xff" is byte 0xff). With a
    password it authenticates first (a refusal raises ConnectionError)."""

    def __init__(self, port, timeout=10.0, host="127.0.0.1", password=None, source=None, tls=None):
        self.s = socket.create_connection((host, port), timeout=timeout,
                                          source_address=(source, 0) if source else None)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            try:
                self.s = tls.wrap_socket(self.s, server_hostname=host)
            except BaseException:
                self.s.close()
                raise
        self.buf, self.pos = bytearray(), 0
        if password is not None:
            r = self.call("AUTH", password)
            if r != "OK":
                self.s.close()
                raise ConnectionError("AUTH refused: %s" % r)

    def close(self):
        self.s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if not isinstance(a, (bytes, bytearray)):
                a = a.encode("latin-1") if isinstance(a, str) else str(a).encode()
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

    def _exact(self, n):
        while len(self.buf) - self.pos < n:
            self._more()
        v = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return v

    def read(self):
        """One reply: str (+), Error (-), int (:), bytes or None ($), list (*)."""
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
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError("bad reply %r" % line)

    def read_raw(self):
        """One reply as the bytes it came in."""
        line = self._line() + b"\r\n"
        t = line[:1]
        if t in (b"+", b"-", b":"):
            return line
        n = int(line[1:-2])
        if t == b"$":
            return line + (self._exact(n + 2) if n >= 0 else b"")
        if t == b"*":
            return line + b"".join(self.read_raw() for _ in range(max(n, 0)))
        raise ValueError("bad reply %r" % line)

    def send(self, *cmds):
        """Sends commands (each a tuple of arguments) without reading."""
        self.s.sendall(b"".join(self.encode(*c) for c in cmds))

    def call(self, *args):
        self.s.sendall(self.encode(*args))
        return self.read()

    def call_raw(self, *args):
        self.s.sendall(self.encode(*args))
        return self.read_raw()

    def pipeline(self, cmds):
        self.send(*cmds)
        return [self.read() for _ in cmds]


RETRIABLE = ("CLUSTERDOWN", "TIMEOUT", "TRYAGAIN")


def is_retriable(r, kinds=RETRIABLE):
    """An error reply that says: not done (or not known to be), ask again."""
    return isinstance(r, Error) and str(r).startswith(kinds)


def parse_info(raw):
    """An INFO reply as a dict of its "field:value" lines."""
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode()
    if not isinstance(raw, str):
        return {}
    return dict(line.split(":", 1) for line in raw.split("\r\n") if ":" in line)


PEER_VERSION = 3
FR_HELLO, FR_RAFT, FR_FORWARD, FR_FORWARD_REPLY, FR_FORWARD_CLOSE, FR_SNAP, FR_SNAP_ACK, FR_CHALLENGE, FR_AUTH, \
    FR_REFUSE, FR_PART = range(1, 12)
REFUSE_PROTOCOL, REFUSE_CLUSTER, REFUSE_NODE, REFUSE_NEED_SECRET, REFUSE_NO_SECRET, REFUSE_PROOF = range(1, 7)


def peer_frame(ftype, payload, version=PEER_VERSION):
    """A peer-protocol frame (src/net/peer.h): header, crc, payload."""
    head = struct.pack("<4sBBHI", b"RKVP", version, ftype, 0, len(payload))
    return head + struct.pack("<I", zlib.crc32(head + payload) & 0xffffffff) + payload


def peer_proof(secret, who, cid, dialler, listener, nonce_d, nonce_l):
    """HMAC-SHA256 proof of the handshake (peer.h); who: b"D" or b"L"."""
    msg = b"RKVP-auth-v2" + who + struct.pack("<QQQ", cid, dialler, listener) + nonce_d + nonce_l
    return hmac.new(secret or b"", msg, hashlib.sha256).digest()


def as_bytes(x):
    return x.encode() if isinstance(x, str) else x


class PeerDialer:
    """Dials a node's peer port as node `me` of cluster cid and runs the
    handshake with `secret` (None: none), as a real member would (or a
    forger, with the wrong secret). After dial(): .sock is the connection
    once authenticated (None if not), .refusal the reason the node sent in
    a REFUSE (None if none), .sent every byte sent (to replay). Taken as
    accepted: no answer to the AUTH within half a second. Dialling as a
    live member's id replaces that member's link until it dials again (and
    replaces this one): use an id no member has."""

    def __init__(self, port, cid, me, to, secret=None, host="127.0.0.1", timeout=5.0, tls=None):
        self.port, self.cid, self.me, self.to, self.host = port, cid, me, to, host
        self.secret, self.timeout, self.tls = as_bytes(secret), timeout, tls
        self.sock, self.refusal, self.sent = None, None, b""

    def _read_frame(self, s, data=b""):
        """(type, payload), or None once the node closed the connection;
        data: its first bytes, already read."""
        try:
            while len(data) < 16 or len(data) < 16 + struct.unpack_from("<I", data, 8)[0]:
                d = s.recv(4096)
                if not d:
                    return None
                data += d
        except OSError:
            return None
        return data[5], data[16:16 + struct.unpack_from("<I", data, 8)[0]]

    def dial(self):
        """True once authenticated. With tls (an ssl.SSLContext) the
        handshake runs inside TLS, as with tls-cluster yes; a TLS handshake
        the node refuses raises ssl.SSLError or ConnectionError."""
        s = socket.create_connection((self.host, self.port), timeout=self.timeout)
        if self.tls is not None:
            try:
                s = self.tls.wrap_socket(s, server_hostname=self.host)
            except BaseException:
                s.close()
                raise
        nonce_d = os.urandom(32)
        hello = peer_frame(FR_HELLO, struct.pack("<QQQB", self.cid, self.me, self.to, 1 if self.secret else 0)
                           + nonce_d)
        s.sendall(hello)
        self.sent = hello
        got = self._read_frame(s)
        if got is None or got[0] != FR_CHALLENGE:
            self.refusal = got[1][0] if got and got[0] == FR_REFUSE else None
            s.close()
            return False
        nonce_l = got[1][25:57]
        auth = peer_frame(FR_AUTH, peer_proof(self.secret, b"D", self.cid, self.me, self.to, nonce_d, nonce_l))
        s.sendall(auth)
        self.sent += auth
        # a refused proof is answered at once (REFUSE, then a close); an
        # accepted one with silence: nothing ever comes back on a dialled link
        s.settimeout(0.5)
        first = b""
        try:  # TLS sockets take no flags: the byte is read, and handed on
            first = s.recv(1, socket.MSG_PEEK) if self.tls is None else s.recv(1)
            answered = True
        except socket.timeout:
            answered = False
        except OSError:
            answered = True
        s.settimeout(self.timeout)
        if answered:
            got = self._read_frame(s, first if self.tls is not None else b"")
            self.refusal = got[1][0] if got and got[0] == FR_REFUSE else None
            s.close()
            return False
        self.sock = s
        return True

    def send(self, ftype, payload):
        self.sock.sendall(peer_frame(ftype, payload))

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None


def raw_exchange(port, data, seconds, host="127.0.0.1", shut_wr=False, source=None):
    """Sends bytes on a new connection (from address source, if given; then,
    with shut_wr, half-closes it); returns (what came back, whether the
    server closed it) once it closed or the time is up."""
    s = socket.create_connection((host, port), timeout=seconds, source_address=(source, 0) if source else None)
    out = b""
    try:
        s.sendall(data)
        if shut_wr:
            s.shutdown(socket.SHUT_WR)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            s.settimeout(max(0.01, end - time.monotonic()))
            d = s.recv(65536)
            if not d:
                return out, True
            out += d
    except socket.timeout:
        pass
    except OSError:
        return out, True
    finally:
        s.close()
    return out, False

# ---------------------------------------------------------------- waiting


def wait_for(cond, seconds=5.0):
    """Polls cond until it holds or the time is up (a node not answering
    yet counts as not yet); returns its last value."""
    end = time.monotonic() + seconds
    while True:
        try:
            v = cond()
        except (OSError, ConnectionError, KeyError, ValueError):
            v = False
        if v or time.monotonic() >= end:
            return v
        time.sleep(0.05)


def retry(fn, seconds=10.0):
    """Calls fn until it returns a non-error reply; returns it or the last error."""
    end = time.monotonic() + seconds
    r = None
    while time.monotonic() < end:
        try:
            r = fn()
            if not isinstance(r, Error):
                return r
        except (OSError, ConnectionError) as e:
            r = e
        time.sleep(0.05)
    return r

# ---------------------------------------------------------------- ports


def ports_free(base, n):
    """Client ports base..base+n-1 and their peer ports (+10000) are free."""
    for p in [base + i for i in range(n)] + [base + 10000 + i for i in range(n)]:
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_tls_base(n):
    """A base for n TLS ports below free_base's range (and its peers')."""
    for _ in range(100):
        base = random.randrange(3000, 11000)
        if all(ports_free(base + i, 1) for i in range(n)):
            return base
    raise RuntimeError("no free ports")


def make_certs(folder, ca_name="raftkv test CA"):
    """A CA (named ca_name), a server certificate for 127.0.0.1 and
    localhost, and a client certificate, both signed by the CA, made with
    the openssl command in folder: their paths by name (ca, ca_key,
    server_cert, server_key, client_cert, client_key)."""
    p = {k: os.path.join(folder, f) for k, f in (("ca", "ca.crt"), ("ca_key", "ca.key"),
                                                   ("server_cert", "server.crt"), ("server_key", "server.key"),
                                                   ("client_cert", "client.crt"), ("client_key", "client.key"))}

    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p["ca_key"], "-out", p["ca"], "-days", "2",
        "-subj", "/CN=" + ca_name)
    ext = os.path.join(folder, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for who, extra in (("server", ["-extfile", ext]), ("client", [])):
        csr = os.path.join(folder, who + ".csr")
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p[who + "_key"], "-out", csr,
            "-subj", "/CN=raftkv test " + who)
        run("x509", "-req", "-in", csr, "-CA", p["ca"], "-CAkey", p["ca_key"], "-CAcreateserial",
            "-out", p[who + "_cert"], "-days", "2", *extra)
    return p


def make_cert(certs, name, folder, san=None):
    """Another certificate (and key) the CA of certs (make_certs) signs,
    for subjectAltName san if given: its paths as (cert, key)."""
    cert, key, csr = (os.path.join(folder, name + ext) for ext in (".crt", ".key", ".csr"))
    extra = []
    if san:
        ext = os.path.join(folder, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\n" % san)
        extra = ["-extfile", ext]
    for args in (["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=raftkv " + name],
                 ["x509", "-req", "-in", csr, "-CA", certs["ca"], "-CAkey", certs["ca_key"], "-CAcreateserial",
                  "-out", cert, "-days", "2"] + extra):
        subprocess.run(["openssl"] + args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def pipe_writes(cl, i, keys, command, batch=1000, pause=0.5):
    """command(key) for every key through node i, `batch` a pipeline, on
    fresh connections after an error; one answered with anything but OK
    (an election under load) is sent again, up to five times, as a client
    would (the writes must be idempotent). How many were acknowledged."""
    ok = 0
    for j in range(0, len(keys), batch):
        todo = keys[j:j + batch]
        for _ in range(5):
            try:
                with cl.client(i, timeout=60) as c:
                    replies = c.pipeline([command(k) for k in todo])
            except (OSError, ConnectionError):
                time.sleep(pause)
                continue
            ok += sum(1 for r in replies if r == "OK")
            todo = [k for k, r in zip(todo, replies) if r != "OK"]
            if not todo:
                break
            time.sleep(pause)
    return ok


def redis_py():
    """redis-py, the client most Python users have: Debian's python3-redis
    (deps/install.sh --test), also when python3 is not Debian's own (its
    package directory is then added to the path; the package is pure Python)."""
    try:
        import redis
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        import redis
    return redis


def tls_context(certs, client_cert=True):
    """A client's TLS context trusting the test CA, showing the client
    certificate unless client_cert is False."""
    import ssl
    ctx = ssl.create_default_context(cafile=certs["ca"])
    if client_cert:
        ctx.load_cert_chain(certs["client_cert"], certs["client_key"])
    return ctx


def free_base(n):
    """A base port whose n client and n peer ports (+10000) are all free."""
    for _ in range(100):
        base = random.randrange(12000, 22000)  # peers (+10000) below the ephemeral range, 32768..
        if ports_free(base, n):
            return base
    raise RuntimeError("no free ports")

# ---------------------------------------------------------------- processes

ASAN = "detect_leaks=1:abort_on_error=0:exitcode=99"
SANITIZER_MARKS = ("runtime error", "AddressSanitizer", "LeakSanitizer")
TIMING = (300, 50, 2000)  # election timeout, heartbeat interval, request timeout (ms)


def sanitizer_lines(path):
    """The lines of a node log that report a sanitizer error or leak."""
    if not os.path.exists(path):
        return []
    with open(path, errors="replace") as f:
        return [ln.rstrip("\n") for ln in f if any(m in ln for m in SANITIZER_MARKS)]


def log_tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()[-n:]
    except OSError:
        return []


class Cluster:
    """raftkv-server processes (each under ASan: a report or a leak makes
    its exit code 99) on loopback, node i on client port base+i-1 and peer
    port +10000, its data in dir/node<i> and its output in dir/node<i>.log.

    founders: the ids named in --cluster (default 1..n); none: a node not
    in joiners starts alone. joiners: ids that start empty with --join
    through a running node. timing: (election timeout, heartbeat interval,
    request timeout) in ms, or None for the server's defaults. extra: more
    options for every node. nofile: the RLIMIT_NOFILE nodes start with.
    stop_wait: seconds a node has to exit after SIGTERM. secret: the
    cluster secret every node gets through --cluster-secret-file (a file
    in the cluster's folder, mode 600); secrets[i] overrides it for node i
    (None: no secret). password: every node's requirepass, which the
    harness's clients then give."""

    def __init__(self, server, n=3, extra=(), founders=None, joiners=(), timing=TIMING, nofile=None,
                 stop_wait=120.0, prefix="raftkv-cluster-", secret=None, password=None, tls=None):
        self.server, self.n = server, n
        self.tls = tls
        self.tls_base = free_tls_base(n) if tls else None
        self.password = password
        self.extra = list(extra) + (["--requirepass", password] if password is not None else [])
        self.secret = secret
        self.secrets = {}
        self.founders = list(range(1, n + 1)) if founders is None else list(founders)
        self.joiners = set(joiners)
        self.founding = None  # the --cluster text
        self.join_at = None   # host:port for a joiner's --join (None: join_address())
        self.timing = timing
        self.nofile = nofile
        self.stop_wait = stop_wait
        self.info_timeout = 10.0
        self.start_wait = 60.0  # a node reopening a million keys under ASan on a busy machine takes seconds
        self.base = free_base(n)
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.procs = {}
        self.paused = set()
        self.hung = set()  # nodes not to be asked at the end: killed, their failure reported where it happened
        self.logs = []     # every node log written, in order
        self.keep = bool(os.environ.get("KEEP_LOGS"))
        self.lock = threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.destroy()

    # ---- where node i lives
    def host(self, i):
        return "127.0.0.1"

    def port(self, i):
        return self.base + i - 1

    def tls_port(self, i):
        return self.tls_base + i - 1

    def data(self, i):
        return os.path.join(self.dir, "node%d" % i)

    def log(self, i):
        return os.path.join(self.dir, "node%d.log" % i)

    def members(self, ids):
        return ",".join("%d=%s:%d" % (i, self.host(i), self.port(i)) for i in ids)

    def args(self, i, cluster=None):
        """Node i's command line; cluster: another --cluster text."""
        a = [self.server, "--id", str(i), "--port", str(self.port(i)), "--dir", self.data(i)]
        if self.timing:
            a += ["--election-timeout", str(self.timing[0]), "--heartbeat-interval", str(self.timing[1]),
                  "--cluster-request-timeout", str(self.timing[2])]
        secret = self.secrets.get(i, self.secret)
        if secret:
            a += ["--cluster-secret-file", self.secret_file(secret)]
        if self.tls:
            a += ["--tls-port", str(self.tls_port(i)), "--tls-cert-file", self.tls["server_cert"],
                  "--tls-key-file", self.tls["server_key"], "--tls-ca-cert-file", self.tls["ca"]]
        a += self.extra
        if cluster:
            a += ["--cluster", cluster]
        elif i in self.joiners:
            a += ["--join", self.join_at or self.join_address(i)]
        elif self.founders:
            if self.founding is None:  # fixed at the first start: a founder's id keeps its address
                self.founding = self.members(self.founders)
            a += ["--cluster", self.founding]
        return a

    def join_address(self, i):
        """A running member's client address for node i's --join: its
        tls-port when the options say tls-cluster yes (the join's requests
        then go through TLS)."""
        via = next(k for k in sorted(self.procs) if k != i)
        said = [self.extra[k + 1] for k in range(len(self.extra) - 1) if self.extra[k] == "--tls-cluster"]
        tls = self.tls and said and said[-1] == "yes"
        return "%s:%d" % (self.host(via), self.tls_port(via) if tls else self.port(via))

    def command(self, i, cluster=None):
        return self.args(i, cluster)

    def secret_file(self, secret):
        """A file in the cluster's folder holding secret (and a newline)."""
        path = os.path.join(self.dir, "secret-%s" % hashlib.sha256(as_bytes(secret)).hexdigest()[:12])
        if not os.path.exists(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(as_bytes(secret) + b"\n")
        return path

    # ---- processes
    def spawn(self, i, env=None, cluster=None):
        """Starts node i's process, its output appended to its log."""
        if self.log(i) not in self.logs:
            self.logs.append(self.log(i))
        e = dict(os.environ, ASAN_OPTIONS=ASAN)
        e.update(env or {})
        limits = None
        if self.nofile:
            limits = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(self.nofile, limits[1]), limits[1]))
        try:
            with open(self.log(i), "ab") as out:
                return subprocess.Popen(self.command(i, cluster), stdout=out, stderr=subprocess.STDOUT, env=e)
        finally:
            if limits:
                resource.setrlimit(resource.RLIMIT_NOFILE, limits)

    def start(self, i, env=None):
        """Starts node i and waits until it takes connections; a node that
        does not is a failed check (False)."""
        self.procs[i] = p = self.spawn(i, env)
        end = time.monotonic() + self.start_wait
        while time.monotonic() < end and p.poll() is None:
            try:
                socket.create_connection((self.host(i), self.port(i)), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.025)
        rc = p.poll()
        if rc is None:
            p.kill()
            p.wait()
        self.procs.pop(i, None)
        check(False, "node %d starts (exit code %s); its log ends:\n    %s"
              % (i, rc, "\n    ".join(log_tail(self.log(i)))))
        return False

    def start_all(self):
        return all([self.start(i) for i in range(1, self.n + 1)])

    def start_refused(self, i, seconds=30, cluster=None):
        """Starts node i expecting it to refuse: its exit code and the log
        lines it wrote; kills it if it came up instead."""
        size = os.path.getsize(self.log(i)) if os.path.exists(self.log(i)) else 0
        p = self.spawn(i, cluster=cluster)
        try:
            rc = p.wait(seconds)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = "still running after %ds" % seconds
            p.wait()
        with open(self.log(i), errors="replace") as f:
            f.seek(size)
            return rc, f.read()

    def alive(self, i):
        p = self.procs.get(i)
        return p is not None and p.poll() is None

    def pid(self, i):
        return self.procs[i].pid

    def kill(self, i, sig=signal.SIGKILL):
        """Signals node i (kill -9 by default) and waits for it: its exit code."""
        with self.lock:
            p = self.procs.pop(i)
            if i in self.paused and sig != signal.SIGKILL:
                p.send_signal(signal.SIGCONT)
            self.paused.discard(i)
            p.send_signal(sig)
            return p.wait()

    def pause(self, i):
        self.procs[i].send_signal(signal.SIGSTOP)
        self.paused.add(i)

    def resume(self, i):
        if i in self.paused and i in self.procs:
            self.procs[i].send_signal(signal.SIGCONT)
        self.paused.discard(i)

    def _reap(self, i, p, end):
        if i in self.hung:
            p.kill()
            p.wait()
            return
        try:
            rc = p.wait(max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            rc = "killed: no exit %.0fs after SIGTERM" % self.stop_wait
        if not check(rc == 0, "node %d exits cleanly on SIGTERM (rc %s)" % (i, rc)):
            print("  node %d's log ends:\n    %s" % (i, "\n    ".join(log_tail(self.log(i)))), file=sys.stderr)

    def stop(self, i):
        """Clean stop: SIGTERM, and node i must exit 0 (ASan turns a leak
        or report into 99) within stop_wait seconds."""
        p = self.procs.pop(i)
        if i not in self.hung:
            if i in self.paused:
                p.send_signal(signal.SIGCONT)
            p.send_signal(signal.SIGTERM)
        self.paused.discard(i)
        self._reap(i, p, time.monotonic() + self.stop_wait)

    def stop_all(self):
        """SIGTERM to every node at once, then each must exit cleanly."""
        for i in list(self.paused):
            self.resume(i)
        with self.lock:
            procs, self.procs = self.procs, {}
        for i, p in procs.items():
            if i not in self.hung:
                p.send_signal(signal.SIGTERM)
        end = time.monotonic() + self.stop_wait
        for i, p in sorted(procs.items()):
            self._reap(i, p, end)

    def check_logs(self):
        """No sanitizer report in any node log."""
        bad = {os.path.basename(path): lines[:2] for path in self.logs for lines in [sanitizer_lines(path)] if lines}
        check(not bad, "no sanitizer report in the node logs" + (" (%s): %s" % (self.dir, bad) if bad else ""))

    def cleanup(self):
        """Removes the nodes' folder, unless a check failed (or keep)."""
        if failed or self.keep:
            print("node logs kept in", self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def destroy(self):
        """Stops every node (each must exit cleanly), checks the logs for
        sanitizer reports, removes the files unless a check failed."""
        self.stop_all()
        self.check_logs()
        self.cleanup()

    # ---- talking to nodes
    def client(self, i, timeout=10.0):
        return Client(self.port(i), timeout, self.host(i), self.password)

    def call(self, i, *args, timeout=10.0):
        """One command to node i on a connection of its own."""
        with self.client(i, timeout) as c:
            return c.call(*args)

    def info(self, i, section="raft", timeout=None):
        """INFO section of node i as a dict ({} for an error reply)."""
        return parse_info(self.call(i, "INFO", section, timeout=timeout or self.info_timeout))

    def leader(self, timeout=10.0, exclude=()):
        """The node that says it leads, with the highest term (paused and
        excluded nodes not asked); None if none does within timeout."""
        end = time.monotonic() + timeout
        while True:
            best = None
            for i in list(self.procs):
                if i in exclude or i in self.paused:
                    continue
                try:
                    d = self.info(i)
                    if d.get("raft_role") == "leader":
                        t = int(d.get("raft_term", 0))
                        if best is None or t > best[0]:
                            best = (t, i)
                except (OSError, ConnectionError, KeyError, ValueError):
                    pass
            if best or time.monotonic() > end:
                return best[1] if best else None
            time.sleep(0.05)

    def followers(self, lead=None):
        """The running nodes other than the leader (lead, or asked)."""
        lead = lead or self.leader()
        return [i for i in sorted(self.procs) if i != lead]

    def caught_up(self, i, seconds=30):
        """Node i has applied what the leader had committed when asked."""
        lead = self.leader()
        if lead is None:
            return False
        commit = int(self.info(lead)["raft_commit_index"])
        return wait_for(lambda: int(self.info(i)["raft_applied_index"]) >= commit, seconds)

    def is_voter(self, i):
        try:
            return self.info(i).get("raft_voter") == "1"
        except (OSError, ConnectionError):
            return False

    def raft_node(self, via, *args, kinds=RETRIABLE):
        """RAFT.NODE ... through node via, again while the answer is retriable."""
        with self.client(via) as c:
            r = None
            for _ in range(100):
                r = c.call("RAFT.NODE", *args)
                if not is_retriable(r, kinds):
                    break
                time.sleep(0.1)
        return r

    def transfer_to(self, t, via=None, seconds=15):
        """Hands leadership to node t (again while it is still catching up,
        as RAFT.TRANSFER-LEADER gives up after an election timeout); True
        once t leads."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                r = self.call(via or t, "RAFT.TRANSFER-LEADER", t)
                if r == "OK" and wait_for(lambda: self.info(t)["raft_role"] == "leader", 3):
                    return True
            except (OSError, ConnectionError, KeyError):
                pass
            time.sleep(0.1)
        return False

    def check_acked(self, nodes, acked, what, batch=500):
        """Every acknowledged write (key -> value) reads back on every node
        given (MGET batches, again while the answer is an error)."""
        keys = sorted(acked)
        for i in nodes:
            bad = 0
            with self.client(i, 30) as c:
                for j in range(0, len(keys), batch):
                    part = keys[j:j + batch]
                    got = retry(lambda: c.call("MGET", *part))
                    bad += len(part) if not isinstance(got, list) else \
                        sum(1 for key, v in zip(part, got) if v != acked[key])
            check(bad == 0, "%s: node %d reads all %d acknowledged writes (%d missing or wrong)"
                  % (what, i, len(keys), bad))


class Writer(threading.Thread):
    """SETs unique keys through the nodes in self.nodes, in turn, 20 per
    connection; remembers what was acknowledged and counts the errors."""

    def __init__(self, cl, nodes=()):
        super().__init__(daemon=True)
        self.cl = cl
        self.nodes = list(nodes)
        self.acked = {}
        self.errors = collections.Counter()
        self.halt = False
        self.lock = threading.Lock()

    def run(self):
        k = turn = 0
        while not self.halt:
            nodes = list(self.nodes)
            if not nodes:
                time.sleep(0.05)
                continue
            i = nodes[turn % len(nodes)]
            turn += 1
            try:
                c = self.cl.client(i, timeout=5)
                for _ in range(20):
                    key = "m%d" % k
                    k += 1
                    r = c.call("SET", key, k)
                    with self.lock:
                        if r == "OK":
                            self.acked[key] = str(k).encode()
                        elif str(r) == "ERR this node was removed from the cluster":
                            self.errors["removed"] += 1  # still talking to a node just removed
                        else:
                            self.errors[str(r).split(" ")[0]] += 1
                c.close()
            except (OSError, ConnectionError):
                with self.lock:
                    self.errors["connection"] += 1
                time.sleep(0.05)

    def snapshot(self):
        """What was acknowledged, and the errors seen, so far."""
        with self.lock:
            return dict(self.acked), collections.Counter(self.errors)

    def count(self):
        with self.lock:
            return len(self.acked)

    def leave(self, i):
        """Stops writing through node i."""
        if i in self.nodes:
            self.nodes.remove(i)
        time.sleep(0.1)  # let a connection to it finish its turn

    def finish(self, seconds=10):
        self.halt = True
        if self.is_alive():
            self.join(seconds)


class RedisServer:
    """A real redis-server on a free port, no persistence: the reference
    for replies. extra: more options (a --requirepass its client gives)."""

    def __init__(self, timeout=120.0, extra=()):
        self.dir = tempfile.mkdtemp(prefix="raftkv-redis-")
        self.port = free_base(1)
        extra = list(extra)
        self.password = extra[extra.index("--requirepass") + 1] if "--requirepass" in extra else None
        self.p = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", self.dir, "--enable-debug-command", "no"] + extra,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 30
        while True:
            try:
                self.c = Client(self.port, timeout, password=self.password)
                break
            except OSError:
                if time.monotonic() > end or self.p.poll() is not None:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)

    def call(self, *args):
        return self.c.call(*args)

    def stop(self):
        self.c.close()
        self.p.kill()
        self.p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
