#!/usr/bin/env python3
"""TLS on the client port (tests/harness.py): certificates made with the
openssl command (a CA, a server and a client certificate), a 3-node cluster
with tls-port on every node (peers stay on the HMAC-authenticated peer port:
tls-cluster is not done). Checks redis-cli --tls against the leader and a
follower, the plain port beside it, tls-auth-clients yes / no / optional,
garbage and stalled handshakes on the TLS port, maxclients, AUTH and big
replies through TLS, redis-benchmark --tls, a node with port 0, and the
start-up refusals, whose lines are Redis 7.0's.

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
from harness import Client, Cluster, RedisServer, check, raw_exchange, tls_context, wait_for  # noqa: E402

SERVER = harness.server_arg()
CERTS = None


def tls_client(cl, i, client_cert=True, timeout=10.0):
    return Client(cl.tls_port(i), timeout, cl.host(i), tls=tls_context(CERTS, client_cert))


def cli(cl, i, *args, cert=True):
    """redis-cli --tls against node i: (exit code, output)."""
    a = ["redis-cli", "-h", cl.host(i), "-p", str(cl.tls_port(i)), "--tls", "--cacert", CERTS["ca"]]
    if cert:
        a += ["--cert", CERTS["client_cert"], "--key", CERTS["client_key"]]
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


def test_config_get(cl):
    """CONFIG GET and CONFIG SET of the tls-* options answer as Redis 7.0."""
    lead = cl.leader()
    r = cl.call(lead, "CONFIG", "GET", "tls-*")
    got = dict(zip(r[::2], r[1::2])) if isinstance(r, list) else {}
    check(got.get(b"tls-port") == str(cl.tls_port(lead)).encode() and got.get(b"tls-auth-clients") == b"yes"
          and got.get(b"tls-cert-file") == CERTS["server_cert"].encode() and got.get(b"tls-protocols") == b"",
          "CONFIG GET tls-* (%r)" % got)
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
    """redis-benchmark --tls: a short write load on the leader."""
    lead = cl.leader()
    p = subprocess.run(["redis-benchmark", "-p", str(cl.tls_port(lead)), "--tls", "--cacert", CERTS["ca"],
                        "--cert", CERTS["client_cert"], "--key", CERTS["client_key"], "-t", "set", "-n", "5000",
                        "-c", "20", "-r", "1000", "-q"], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0 and "requests per second" in p.stdout, "redis-benchmark --tls SET: %s"
          % (p.stdout + p.stderr).strip()[-200:])
    check(cl.call(lead, "DBSIZE") > 100, "the benchmark's keys are there")


TESTS = [test_redis_cli, test_config_get, test_client_certificates, test_garbage, test_limits, test_benchmark]


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
    ]
    for extra, want in cases:
        with Cluster(SERVER, 1, extra=["--tls-port", "0"] + extra, prefix="raftkv-tls-") as cl:
            cl.extra = ["--tls-port", str(harness.free_tls_base(1))] + extra
            rc, out = cl.start_refused(1)
            check(rc == 1 and want in out and ("Failed to configure TLS" in out or "FATAL" in out),
                  "refused to start: %s (rc %s): %s" % (want, rc, out[-300:]))


def test_port_zero():
    """port 0 with a tls-port: TLS only, nothing on the plain port."""
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


def plain_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def suite():
    global CERTS
    folder = tempfile.mkdtemp(prefix="raftkv-tls-certs-")
    try:
        CERTS = harness.make_certs(folder)
        with Cluster(SERVER, 3, tls=CERTS, prefix="raftkv-tls-") as cl:
            if cl.start_all():
                harness.run_tests(TESTS, cl)
        harness.run_tests([test_refusals, test_port_zero])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(harness.main("tls", suite))
