#!/usr/bin/env python3
"""TLS (tests/harness.py), with certificates made by the openssl command
(a CA, server and client certificates it signs, and a second CA whose
certificates must be refused), on a 3-node cluster with tls-port on every
node and tls-cluster yes, so every peer link is TLS with certificates
checked both ways, the cluster secret's handshake inside it.

Clients: redis-cli --tls against the leader and a follower, redis-py with
ssl=True and plainly against every node, the plain port beside it, tls-auth-clients yes / no / optional, garbage and stalled
handshakes on the TLS port, maxclients, AUTH and big replies through TLS
(forwarded over the TLS peer links), redis-benchmark --tls. Peers: a plain
peer, one with another CA's certificate and one with the wrong secret are
refused without an election; a kill -9 and restart; a node joining with
--join (its requests to the member's tls-port through TLS too) and
removed again, and a joiner with another CA's client certificate refused. CONFIG SET of the certificates at run time: new
connections get the new certificate (a new CA on a node of its own), a bad
file gets Redis's error (asked of a real redis-server) and the old one
stays. Then a node with port 0, and the start-up refusals, whose lines are
Redis 7.0's.

Usage: tls_test.py path/to/raftkv-server"""
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Client, Cluster, RedisServer, check, raw_exchange, retry, tls_context, wait_for  # noqa: E402

SERVER = harness.server_arg()
CERTS = None     # the cluster's CA and certificates
OTHER = None     # another CA's, which the cluster must refuse
FOLDER = None    # where they are
SECRET = "tls-test cluster secret 0123456789"


def tls_client(cl, i, client_cert=True, timeout=10.0):
    return Client(cl.tls_port(i), timeout, cl.host(i), tls=tls_context(CERTS, client_cert))


def cli(cl, i, *args, cert=True, certs=None):
    """redis-cli --tls against node i (trusting certs' CA, default the
    cluster's): (exit code, output)."""
    certs = certs or CERTS
    a = ["redis-cli", "-h", cl.host(i), "-p", str(cl.tls_port(i)), "--tls", "--cacert", certs["ca"]]
    if cert:
        a += ["--cert", certs["client_cert"], "--key", certs["client_key"]]
    p = subprocess.run(a + list(args), capture_output=True, text=True, timeout=30)
    return p.returncode, (p.stdout + p.stderr).strip()


def refused(cl, i, client_cert):
    """Whether a TLS client (with or without a certificate) is turned away."""
    try:
        with tls_client(cl, i, client_cert, timeout=5) as c:
            return c.call("PING") != "PONG"
    except (OSError, ConnectionError, ssl.SSLError):
        return True


def test_redis_cli(cl):
    """SET and GET with redis-cli --tls on the leader and on a follower
    (forwarded); the plain port answers beside it."""
    lead = cl.leader()
    fol = cl.followers(lead)[0]
    check(cli(cl, lead, "SET", "tls-a", "1") == (0, "OK"), "redis-cli --tls SET on the leader")
    check(cli(cl, fol, "GET", "tls-a") == (0, "1"), "redis-cli --tls GET on a follower")
    check(cli(cl, fol, "SET", "tls-b", "2") == (0, "OK"), "redis-cli --tls SET on a follower")
    check(cli(cl, lead, "GET", "tls-b") == (0, "2"), "redis-cli --tls GET on the leader")
    check(cl.call(fol, "GET", "tls-b") == b"2", "the plain port answers beside the TLS port")
    with tls_client(cl, fol) as c:
        check(c.call("INCR", "tls-n") == 1 and c.call("GET", "tls-n") == b"1", "a Python TLS client, pipelined")


def test_redis_py(cl):
    """redis-py with ssl=True (the client certificate and the CA given)
    against every node, and plainly against every plain port: writes
    through followers, pipelines, Redis's errors as redis-py's exceptions;
    a server certificate from another CA is refused by redis-py."""
    redis = harness.redis_py()
    for i in sorted(cl.procs):
        for tls in (True, False):
            how = dict(ssl=True, ssl_certfile=CERTS["client_cert"], ssl_keyfile=CERTS["client_key"],
                       ssl_ca_certs=CERTS["ca"], port=cl.tls_port(i)) if tls else dict(port=cl.port(i))
            r = redis.Redis(host=cl.host(i), socket_timeout=10, **how)
            what = "redis-py%s on node %d" % (" ssl=True" if tls else "", i)
            key = "py-%d-%s" % (i, tls)
            check(r.set(key, "v") is True and r.get(key) == b"v" and r.incr(key + "n", 5) == 5, what + ": SET, GET, INCR")
            p = r.pipeline(transaction=False)
            for k in range(100):
                p.set("%s:%d" % (key, k), k)
            p.get("%s:99" % key)
            check(p.execute()[-1] == b"99", what + ": a pipeline of 101 commands")
            try:
                r.incr(key)
                got = None
            except redis.exceptions.ResponseError as e:
                got = str(e)
            check(got == "value is not an integer or out of range", what + ": an error as ResponseError (%r)" % got)
            r.close()
    r = redis.Redis(host=cl.host(1), port=cl.tls_port(1), ssl=True, ssl_certfile=CERTS["client_cert"],
                    ssl_keyfile=CERTS["client_key"], ssl_ca_certs=OTHER["ca"], socket_timeout=10)
    try:
        r.ping()
        got = "accepted"
    except redis.exceptions.ConnectionError as e:
        got = str(e)
    check("certificate verify failed" in got, "redis-py trusting another CA refuses the node (%r)" % got[:120])
    r.close()


def test_config_get(cl):
    """CONFIG GET and CONFIG SET of the tls-* options answer as Redis 7.0."""
    lead = cl.leader()
    r = cl.call(lead, "CONFIG", "GET", "tls-*")
    got = dict(zip(r[::2], r[1::2])) if isinstance(r, list) else {}
    check(got.get(b"tls-port") == str(cl.tls_port(lead)).encode() and got.get(b"tls-auth-clients") == b"yes"
          and got.get(b"tls-cert-file") == CERTS["server_cert"].encode() and got.get(b"tls-protocols") == b""
          and got.get(b"tls-cluster") == b"yes" and got.get(b"tls-client-cert-file") == b"",
          "CONFIG GET tls-* (%r)" % got)
    r = cl.call(lead, "CONFIG", "SET", "tls-cluster", "no")
    check(str(r) == "ERR CONFIG SET failed (possibly related to argument 'tls-cluster') - can't set immutable config",
          "CONFIG SET tls-cluster is refused: one node's links alone cannot switch (%r)" % r)
    ref = RedisServer()
    try:
        for args in (("tls-auth-clients", "maybe"), ("tls-auth-clients", "optional")):
            want, have = ref.call("CONFIG", "SET", *args), cl.call(lead, "CONFIG", "SET", *args)
            check(str(want) == str(have), "CONFIG SET %s %s as Redis (%r / %r)" % (args + (want, have)))
        want = ref.call("CONFIG", "GET", "tls-auth-clients")
        check(cl.call(lead, "CONFIG", "GET", "tls-auth-clients") == want, "CONFIG GET tls-auth-clients after SET")
    finally:
        ref.stop()
    cl.call(lead, "CONFIG", "SET", "tls-auth-clients", "yes")


def test_client_certificates(cl):
    """tls-auth-clients yes refuses a client without a certificate; no and
    optional take it; a certificate is always taken."""
    i = cl.followers()[0]
    check(refused(cl, i, False), "yes: a client without a certificate is refused")
    rc, out = cli(cl, i, "PING", cert=False)
    check(out != "PONG", "yes: redis-cli --tls without --cert is refused (%s)" % out)
    check(not refused(cl, i, True), "yes: a client with a certificate is taken")
    for mode in ("no", "optional"):
        check(cl.call(i, "CONFIG", "SET", "tls-auth-clients", mode) == "OK", "CONFIG SET tls-auth-clients " + mode)
        check(not refused(cl, i, False), "%s: a client without a certificate is taken" % mode)
        check(not refused(cl, i, True), "%s: a client with a certificate is taken" % mode)
    cl.call(i, "CONFIG", "SET", "tls-auth-clients", "yes")
    check(refused(cl, i, False), "yes again: the next client without a certificate is refused")


def test_garbage(cl):
    """Plain RESP and random bytes on the TLS port are closed, unanswered;
    silent and half-sent handshakes are closed after the deadline; the node
    keeps answering meanwhile, on both ports."""
    i = cl.leader()
    port = cl.tls_port(i)
    for what, data in (("plain RESP", b"*1\r\n$4\r\nPING\r\n"), ("an inline PING", b"PING\r\n"),
                       ("random bytes", os.urandom(65536))):
        out, closed = raw_exchange(port, data, 5)
        check(closed and b"PONG" not in out, "%s on the TLS port: closed, unanswered (%r)" % (what, out[:40]))
    results = {}

    def stall(name, data):
        t0 = time.monotonic()
        out, closed = raw_exchange(port, data, harness_deadline + 10)
        results[name] = (closed, time.monotonic() - t0)
    harness_deadline = 10
    ts = [threading.Thread(target=stall, args=a) for a in (("silent", b""), ("half a hello", b"\x16\x03\x01\x02\x00\x01"))]
    for t in ts:
        t.start()
    time.sleep(1)
    with tls_client(cl, i) as c:
        check(c.call("PING") == "PONG", "TLS answers while handshakes stall")
    check(cl.call(i, "PING") == "PONG", "the plain port answers while handshakes stall")
    for t in ts:
        t.join()
    for name, (closed, took) in results.items():
        check(closed and took < harness_deadline + 5, "a %s handshake is closed in bounded time (%s, %.1fs)"
              % (name, closed, took))
    with tls_client(cl, i) as c:
        check(c.call("PING") == "PONG", "TLS still answers after the garbage")


def test_limits(cl):
    """maxclients counts TLS clients and turns the next one away; AUTH and
    a requirepass work the same through TLS; a 4 MB value goes both ways
    (partial TLS writes); a TLS client over its output limit is closed."""
    i = cl.followers()[0]
    with tls_client(cl, i) as held:
        def stat(section, name):
            return int(harness.parse_info(held.call("INFO", section))[name])
        held.call("CONFIG", "SET", "maxclients", str(stat("clients", "connected_clients")))
        before = stat("stats", "rejected_connections")
        check(refused(cl, i, True), "past maxclients a TLS client is turned away")
        check(stat("stats", "rejected_connections") > before, "it counts in rejected_connections")
        held.call("CONFIG", "SET", "maxclients", "10000")
        check(not refused(cl, i, True), "below maxclients again a TLS client is taken")
        held.call("CONFIG", "SET", "requirepass", "tls pw")
        with tls_client(cl, i) as c:
            check(str(c.call("GET", "x")).startswith("NOAUTH"), "NOAUTH through TLS")
            check(c.call("AUTH", "tls pw") == "OK" and c.call("PING") == "PONG", "AUTH through TLS")
        held.call("CONFIG", "SET", "requirepass", "")
    big = os.urandom(4 << 20)
    with tls_client(cl, i, timeout=60) as c:
        check(c.call("SET", "tls-big", big) == "OK", "a 4 MB SET through TLS")
        check(c.call("GET", "tls-big") == big, "a 4 MB GET through TLS")
    i = cl.leader()  # where the replies are made: a follower's client waits on its forwards
    drops = int(cl.info(i, "stats")["client_output_buffer_limit_disconnections"])
    cl.call(i, "CONFIG", "SET", "client-output-buffer-limit", "1mb")
    c = tls_client(cl, i, timeout=30)
    try:
        c.send(*[("GET", "tls-big")] * 20)
        check(wait_for(lambda: int(cl.info(i, "stats")["client_output_buffer_limit_disconnections"]) > drops, 30),
              "a TLS client that does not read is closed at its output limit")
    finally:
        c.close()
        cl.call(i, "CONFIG", "SET", "client-output-buffer-limit", str(1 << 30))


def test_benchmark(cl):
    """redis-benchmark --tls: a short write load on the leader, run again
    (three times at most) only when an election moved the leadership
    during it: its writes then answer CLUSTERDOWN, as any client's do (CI
    run 143, beside two CPU hogs)."""
    for _ in range(3):
        lead = cl.leader()
        term = cl.info(lead)["raft_term"]
        p = subprocess.run(["redis-benchmark", "-p", str(cl.tls_port(lead)), "--tls", "--cacert", CERTS["ca"],
                            "--cert", CERTS["client_cert"], "--key", CERTS["client_key"], "-t", "set", "-n", "5000",
                            "-c", "20", "-r", "1000", "-q"], capture_output=True, text=True, timeout=120)
        ok = p.returncode == 0 and "requests per second" in p.stdout
        if ok or cl.info(cl.leader())["raft_term"] == term:
            break
    check(ok, "redis-benchmark --tls SET: %s" % (p.stdout + p.stderr).strip()[-200:])
    check(cl.call(lead, "DBSIZE") > 100, "the benchmark's keys are there")


def elections(cl, nodes=(1, 2, 3)):
    """Each node's term and timeout elections: unchanged means no election."""
    return {i: (cl.info(i)["raft_term"], cl.info(i)["raft_elections_timeout"]) for i in nodes}


def log_has(cl, i, text):
    with open(cl.log(i), errors="replace") as f:
        return text in f.read()


def peer_tls(certs, client_cert=True):
    """A TLS context for the peer port: trusts the cluster's CA, shows
    certs' client certificate."""
    import ssl
    ctx = ssl.create_default_context(cafile=CERTS["ca"])
    ctx.check_hostname = False
    if client_cert:
        ctx.load_cert_chain(certs["client_cert"], certs["client_key"])
    return ctx


def test_peers_over_tls(cl):
    """Every link came up over TLS, and a write replicates through them."""
    check(all(log_has(cl, i, "over TLS") for i in (1, 2, 3)), "every node logs its peer links up over TLS")
    lead = cl.leader()
    check(cl.call(lead, "SET", "tls-peer", "v") == "OK", "a write through the leader")
    check(all(wait_for(lambda: cl.call(i, "GET", "tls-peer") == b"v", 10) for i in (1, 2, 3)),
          "it is read back on every node")


def dial_peer(cl, i, secret, tls):
    """PeerDialer as a stranger id (99) to node i: (authenticated, refusal,
    TLS error or None)."""
    cid = int(cl.info(i)["raft_cluster_id"], 16)
    d = harness.PeerDialer(cl.port(i) + 10000, cid, 99, i, secret, tls=tls)
    try:
        ok = d.dial()
        d.close()
        return ok, d.refusal, None
    except (OSError, ssl.SSLError) as e:
        return False, None, e


def test_peer_refusals(cl):
    """A plain peer, a peer without a certificate, one with another CA's,
    and one with the CA's certificate but the wrong secret are refused, each
    with a log line saying why; silent and half-sent TLS handshakes are
    closed at the 3 s deadline; the right certificate and secret
    authenticate (the secret's handshake runs inside TLS). No election."""
    i = cl.followers()[0]
    cl.call(i, "CONFIG", "SET", "loglevel", "verbose")  # a stranger's refusals after the first in a second
    before, fails = elections(cl), int(cl.info(i)["raft_peer_auth_failures"])
    stalled = {}

    def stall(name, data):  # TLS handshakes that never finish: closed at the 3 s deadline
        t0 = time.monotonic()
        _, closed = raw_exchange(cl.port(i) + 10000, data, 10)
        stalled[name] = (closed, time.monotonic() - t0)
    threads = [threading.Thread(target=stall, args=a) for a in (("silent", b""),
                                                                ("half a hello", b"\x16\x03\x01\x02\x00\x01"))]
    for t in threads:
        t.start()
    ok, refusal, err = dial_peer(cl, i, SECRET, None)
    check(not ok and refusal is None, "a plain peer handshake is refused unanswered (%r, %r)" % (refusal, err))
    ok, _, err = dial_peer(cl, i, SECRET, peer_tls(CERTS, client_cert=False))
    check(not ok, "a peer without a certificate is refused (%r)" % err)
    ok, _, err = dial_peer(cl, i, SECRET, peer_tls(OTHER))
    check(not ok, "a peer with another CA's certificate is refused (%r)" % err)
    ok, refusal, err = dial_peer(cl, i, "not the secret", peer_tls(CERTS))
    check(not ok and refusal == harness.REFUSE_PROOF, "the CA's certificate with the wrong secret is refused by "
          "the handshake inside TLS (%r, %r)" % (refusal, err))
    ok, refusal, err = dial_peer(cl, i, SECRET, peer_tls(CERTS))
    check(ok, "the CA's certificate and the secret authenticate (%r, %r)" % (refusal, err))
    check(wait_for(lambda: int(cl.info(i)["raft_peer_auth_failures"]) >= fails + 4, 5),
          "the refusals count in raft_peer_auth_failures")
    for text in ("a plain peer handshake on a TLS peer port", "peer did not return a certificate",
                 "certificate verify failed", "the secrets differ"):
        check(wait_for(lambda: log_has(cl, i, text), 5), "node %d logs why: %s" % (i, text))
    for t in threads:
        t.join()
    for name, (closed, took) in sorted(stalled.items()):
        check(closed and took < 6, "a %s TLS handshake on the peer port is closed in bounded time (%s, %.1fs)"
              % (name, closed, took))
    cl.call(i, "CONFIG", "SET", "loglevel", "notice")
    check(elections(cl) == before, "no election meanwhile (%r, then %r)" % (before, elections(cl)))


def served_cert(cl, i):
    """The certificate node i's TLS port shows now (DER)."""
    with socket.create_connection((cl.host(i), cl.tls_port(i)), timeout=10) as s:
        with tls_context(CERTS).wrap_socket(s, server_hostname=cl.host(i)) as t:
            return t.getpeercert(binary_form=True)


def der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def redis_answer(*args):
    """What a real redis-server 7.0 with a TLS port answers."""
    ref = RedisServer(extra=["--tls-port", str(harness.free_tls_base(1)), "--tls-cert-file", CERTS["server_cert"],
                             "--tls-key-file", CERTS["server_key"], "--tls-ca-cert-file", CERTS["ca"]])
    try:
        return ref.call(*args)
    finally:
        ref.stop()


def test_cert_rotation(cl):
    """CONFIG SET of a new certificate (the same CA) on a follower: a
    connection open before keeps working, new ones get the new certificate
    and redis-cli verifies it; a file that does not load is refused with
    Redis's error and the new certificate stays in use. The peer links
    made afterwards (test_kill_restart) use it too."""
    i = cl.followers()[0]
    cert, key = harness.make_cert(CERTS, "rotated", FOLDER, "IP:127.0.0.1,DNS:localhost")
    with tls_client(cl, i) as old:
        r = cl.call(i, "CONFIG", "SET", "tls-cert-file", cert, "tls-key-file", key)
        check(r == "OK", "CONFIG SET tls-cert-file and tls-key-file: %r" % r)
        check(served_cert(cl, i) == der(cert), "a new connection gets the new certificate")
        check(cli(cl, i, "PING") == (0, "PONG"), "redis-cli --tls verifies it")
        check(old.call("PING") == "PONG", "a connection made before keeps working")
        for args in (("tls-cert-file", "/nonexistent.crt"), ("tls-key-file", CERTS["client_key"]),
                     ("tls-ca-cert-file", "/nonexistent.ca")):
            want = redis_answer("CONFIG", "SET", *args)
            got = cl.call(i, "CONFIG", "SET", *args)
            check(str(got) == str(want) and isinstance(got, harness.Error),
                  "CONFIG SET %s %s is refused as Redis refuses it (%r / %r)" % (args + (got, want)))
        check(cl.call(i, "CONFIG", "GET", "tls-cert-file") == [b"tls-cert-file", cert.encode()],
              "the refused value is not kept")
        check(served_cert(cl, i) == der(cert) and cli(cl, i, "PING") == (0, "PONG"),
              "after the refusals the new certificate is still in use")
        check(old.call("PING") == "PONG", "the old connection still works")
        check(log_has(cl, i, "Failed applying new configuration. Possibly related to new tls-cert-file setting"),
              "the refusal is logged as Redis logs it")


def test_kill_restart(cl):
    """kill -9 of the leader: another one is elected over TLS, writes go on;
    restarted, the node reconnects (its links and the others' to it are TLS,
    the rotated certificate included) and catches up."""
    lead = cl.leader()
    cl.kill(lead)
    new = cl.leader(20, exclude=(lead,))
    check(new is not None and new != lead, "a new leader is elected (%s)" % new)
    check(retry(lambda: cl.call(new, "SET", "after-kill", "1")) == "OK", "a write with a node down")
    check(cl.start(lead), "node %d restarts" % lead)
    check(cl.caught_up(lead), "node %d catches up" % lead)
    check(wait_for(lambda: cl.call(lead, "GET", "after-kill") == b"1", 10), "and reads the write it missed")


def test_large_values(cl):
    """A 16 MB value written through one follower (forwarded, then
    replicated: 16 MB frames over the TLS links, written a record at a
    time as the sockets drain) and read through the other (a forwarded
    reply in 256 KB parts): no election."""
    lead = cl.leader()
    a, b = cl.followers(lead)
    before = elections(cl)
    big = os.urandom(16 << 20)
    with cl.client(a, 120) as c:
        check(c.call("SET", "tls-16mb", big) == "OK", "a 16 MB SET through follower %d" % a)
    with cl.client(b, 120) as c:
        check(c.call("GET", "tls-16mb") == big, "read back whole through follower %d" % b)
    check(cl.call(lead, "STRLEN", "tls-16mb") == len(big), "and on the leader")
    check(elections(cl) == before, "no election meanwhile (%r, then %r)" % (before, elections(cl)))


def fake_member(ctx, seen):
    """A listener that takes one connection as a member's tls-port would,
    noting the first bytes on the wire, whether a client certificate came,
    and the request it decrypts; it refuses it. Its port."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(30)

    def serve():
        try:
            s, _ = ls.accept()
            s.settimeout(10)
            seen["wire"] = s.recv(64, socket.MSG_PEEK)
            t = ctx.wrap_socket(s, server_side=True)
            seen["cert"] = bool(t.getpeercert())
            got = b""
            while got.count(b"\r\n") < 5:  # *2 $4 AUTH $n password
                got += t.recv(4096)
            seen["request"] = got
            t.sendall(b"-ERR not a member\r\n")
            t.close()
        except (OSError, ssl.SSLError) as e:
            seen["error"] = repr(e)
        finally:
            ls.close()
    threading.Thread(target=serve, daemon=True).start()
    return ls.getsockname()[1]


def test_join_over_tls(cl):
    """With tls-cluster yes, --join's requests to the member's client port
    (AUTH with the password, INFO raft, RAFT.NODE ADD) go through TLS with
    the node's client certificate: nothing of them crosses the network in
    plain text. A --join naming a plain client port is refused, saying so."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERTS["server_cert"], CERTS["server_key"])
    ctx.load_verify_locations(CERTS["ca"])
    ctx.verify_mode = ssl.CERT_REQUIRED
    seen = {}
    base = cl.extra
    cl.extra = base + ["--requirepass", "join-password-over-tls"]
    cl.join_at = "127.0.0.1:%d" % fake_member(ctx, seen)
    try:
        rc, out = cl.start_refused(4)
        shutil.rmtree(cl.data(4), ignore_errors=True)
        cl.extra = base
        check(rc == 1 and "not a member" in out, "the joiner stops on the member's refusal (rc %s): %s"
              % (rc, out[-300:]))
        wire = seen.get("wire", b"")
        check(wire[:1] == b"\x16" and b"join-password" not in wire,
              "the first bytes on the wire are a TLS handshake (%r, %r)" % (wire[:8], seen.get("error")))
        check(seen.get("cert") is True, "the joiner shows its client certificate")
        check(seen.get("request") == b"*2\r\n$4\r\nAUTH\r\n$22\r\njoin-password-over-tls\r\n",
              "its AUTH comes inside TLS (%r)" % seen.get("request"))
        cl.join_at = "127.0.0.1:%d" % cl.port(1)
        rc, out = cl.start_refused(4)
        shutil.rmtree(cl.data(4), ignore_errors=True)
        check(rc == 1 and "Cannot join the cluster at 127.0.0.1:%d: TLS handshake with" % cl.port(1) in out,
              "a --join naming a plain client port is refused (rc %s): %s" % (rc, out[-300:]))
    finally:
        cl.extra, cl.join_at = base, None
    check("raft_node4" not in cl.info(cl.leader()), "it was not admitted")


def test_membership(cl):
    """Node 4 joins with --join (the join's handshake and every link over
    TLS), is promoted, serves, and is removed again; before that, a joiner
    whose client certificate another CA signed, and one without tls-cluster,
    are refused by the member they join through, and stop. No election."""
    before = elections(cl)
    base = cl.extra
    cl.extra = base + ["--tls-client-cert-file", OTHER["client_cert"], "--tls-client-key-file", OTHER["client_key"]]
    rc, out = cl.start_refused(4)
    cl.extra = base
    check(rc == 1 and "Cannot join the cluster" in out, "a joiner with another CA's client certificate stops "
          "(rc %s): %s" % (rc, out[-300:]))
    shutil.rmtree(cl.data(4), ignore_errors=True)
    cl.extra = base + ["--tls-cluster", "no"]
    rc, out = cl.start_refused(4)
    cl.extra = base
    check(rc == 1 and "Cannot join the cluster" in out, "a joiner without tls-cluster stops (rc %s): %s"
          % (rc, out[-300:]))
    shutil.rmtree(cl.data(4), ignore_errors=True)
    check("raft_node4" not in cl.info(cl.leader()), "it was not admitted")
    cl.call(cl.leader(), "RAFT.SNAPSHOT")  # the log is compacted: node 4 needs an image, streamed over TLS
    check(cl.start(4), "node 4 starts with --join")
    check(wait_for(lambda: cl.is_voter(4), 60), "node 4 joins over TLS and is promoted to voter")
    check(cl.info(4)["raft_snapshots_received"] == "1", "it started from an image")
    check(retry(lambda: cl.call(4, "SET", "via-4", "x")) == "OK" and cl.call(1, "GET", "via-4") == b"x",
          "a write through node 4 is read on node 1")
    r = cl.raft_node(cl.leader(), "REMOVE", 4)
    check(r == "OK", "RAFT.NODE REMOVE 4: %r" % r)
    check(wait_for(lambda: cl.info(4)["raft_removed"] == "1", 10), "node 4 learns it was removed")
    cl.stop(4)
    check(elections(cl) == before, "no election meanwhile (%r, then %r)" % (before, elections(cl)))


TESTS = [test_redis_cli, test_redis_py, test_peers_over_tls, test_config_get, test_client_certificates, test_garbage, test_limits,
         test_benchmark, test_peer_refusals, test_cert_rotation, test_kill_restart, test_large_values, test_join_over_tls,
         test_membership]


def test_refusals():
    """tls-port without what it needs stops the node with Redis's lines."""
    cases = [
        ([], "No tls-cert-file configured!"),
        (["--tls-cert-file", CERTS["server_cert"]], "No tls-key-file configured!"),
        (["--tls-cert-file", CERTS["server_cert"], "--tls-key-file", CERTS["server_key"]],
         "Either tls-ca-cert-file or tls-ca-cert-dir must be specified"),
        (["--tls-cert-file", CERTS["server_cert"], "--tls-key-file", "/nonexistent.key",
          "--tls-ca-cert-file", CERTS["ca"]], "Failed to load private key: /nonexistent.key"),
        (["--tls-cert-file", CERTS["client_key"], "--tls-key-file", CERTS["server_key"],
          "--tls-ca-cert-file", CERTS["ca"]], "Failed to load certificate"),
        (["--tls-cert-file", CERTS["server_cert"], "--tls-key-file", CERTS["client_key"],
          "--tls-ca-cert-file", CERTS["ca"]], "Failed to load private key"),
        (["--tls-cert-file", CERTS["server_cert"], "--tls-key-file", CERTS["server_key"],
          "--tls-ca-cert-file", CERTS["ca"], "--tls-protocols", "TLSv1.4"], "Invalid tls-protocols specified"),
        (["--tls-auth-clients", "maybe"], "must be one of the following: no, yes, optional"),
        # tls-cluster alone needs the same, and a CA whatever tls-auth-clients says
        (["--tls-port", "0", "--tls-cluster", "yes"], "No tls-cert-file configured!"),
        (["--tls-port", "0", "--tls-cluster", "yes", "--tls-cert-file", CERTS["server_cert"], "--tls-key-file",
          CERTS["server_key"], "--tls-auth-clients", "no"], "Either tls-ca-cert-file or tls-ca-cert-dir must be "
         "specified when tls-cluster, tls-replication or tls-auth-clients are enabled!"),
    ]
    for extra, want in cases:
        with Cluster(SERVER, 1, extra=["--tls-port", "0"] + extra, prefix="raftkv-tls-") as cl:
            cl.extra = ["--tls-port", str(harness.free_tls_base(1))] + extra
            rc, out = cl.start_refused(1)
            check(rc == 1 and want in out and ("Failed to configure TLS" in out or "FATAL" in out),
                  "refused to start: %s (rc %s): %s" % (want, rc, out[-300:]))


def test_port_zero():
    """port 0 with a tls-port: TLS only, nothing on the plain port. Then a
    new CA at run time: CONFIG SET of the CA, certificate and key (through
    TLS) makes new connections verify against the new CA, and check client
    certificates against it; the connection that set them keeps working."""
    with Cluster(SERVER, 1, extra=["--port", "0"], tls=CERTS, prefix="raftkv-tls-") as cl:
        cl.procs[1] = cl.spawn(1)

        def up():
            try:
                with tls_client(cl, 1, timeout=2) as c:
                    return c.call("PING") == "PONG"
            except (OSError, ssl.SSLError):
                return False
        check(wait_for(up, 60), "a node with port 0 answers on its TLS port")
        check(cli(cl, 1, "CONFIG", "GET", "port") == (0, "port\n0"), "CONFIG GET port says 0")
        check(not plain_open(cl.port(1)), "nothing listens on the plain port")
        with tls_client(cl, 1) as c:
            r = c.call("CONFIG", "SET", "tls-ca-cert-file", OTHER["ca"], "tls-cert-file", OTHER["server_cert"],
                       "tls-key-file", OTHER["server_key"])
            check(r == "OK", "CONFIG SET of another CA, certificate and key: %r" % r)
            check(cli(cl, 1, "PING", certs=OTHER) == (0, "PONG"), "redis-cli --tls verifies the new CA's certificate "
                  "and shows a client certificate it signed")
            rc, out = cli(cl, 1, "PING")
            check(rc != 0 and "PONG" not in out, "a client trusting only the old CA is refused (%s)" % out)
            check(c.call("PING") == "PONG", "the connection that set them keeps working")


def plain_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def suite():
    global CERTS, OTHER, FOLDER
    FOLDER = tempfile.mkdtemp(prefix="raftkv-tls-certs-")
    try:
        CERTS = harness.make_certs(FOLDER)
        os.mkdir(os.path.join(FOLDER, "other"))
        OTHER = harness.make_certs(os.path.join(FOLDER, "other"), "raftkv other CA")
        # node 4 starts later, with --join (test_membership)
        # election timeouts of a second, as the hostile suite's: large values
        # and refused peers must cost no election, also on a loaded machine
        with Cluster(SERVER, 4, founders=(1, 2, 3), joiners=(4,), tls=CERTS, secret=SECRET, timing=(1000, 100, 10000),
                     extra=["--tls-cluster", "yes"], prefix="raftkv-tls-") as cl:
            if all([cl.start(i) for i in (1, 2, 3)]):
                harness.run_tests(TESTS, cl)
        harness.run_tests([test_refusals, test_port_zero])
    finally:
        shutil.rmtree(FOLDER, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(harness.main("tls", suite))
