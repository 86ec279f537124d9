#!/usr/bin/env python3
"""Client authentication on a real raftkv cluster (tests/harness.py): three
nodes started with the same requirepass. A follower answers NOAUTH itself
and forwards an authenticated client's commands with the user it vouches
for; the leader checks that user again with its own rules (a follower left
without a password opens nothing there); forged forwards without a user, or
with one the leader does not know, are refused; CONFIG SET requirepass
counts for new AUTHs at once and leaves authenticated connections be.

Protected mode from a real non-loopback address runs a node in a network
namespace (root only, as jepsen_test.py; skipped otherwise). The exact
replies are compared with redis-server by differential_test.py.

Usage: auth_test.py path/to/raftkv-server"""
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Client, Cluster, Error, check, retry, wait_for  # noqa: E402

SERVER = harness.server_arg()
PASSWORD = "auth-test pw"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."


def bare(cl, i):
    """A connection to node i that has not authenticated."""
    return Client(cl.port(i), 10, cl.host(i))


def test_noauth_on_follower(cl):
    """Before AUTH a follower answers NOAUTH itself, for reads, writes and
    local commands alike, and forwards nothing; AUTH, HELLO and QUIT work."""
    lead = cl.leader()
    fol = cl.followers(lead)[0]
    before = int(cl.info(lead, "clients")["forwarded_clients"])
    with bare(cl, fol) as c:
        for args in (("GET", "a"), ("SET", "a", "1"), ("PING",), ("CLIENT", "INFO"), ("ACL", "WHOAMI"),
                     ("CONFIG", "GET", "requirepass")):
            r = c.call(*args)
            check(str(r) == NOAUTH, "%s before AUTH on a follower: NOAUTH (%r)" % (args[0], r))
        check(str(c.call("AUTH", "wrong")) == WRONGPASS, "a wrong password: WRONGPASS")
        check(str(c.call("GET", "a")) == NOAUTH, "still NOAUTH after a wrong password")
        check(int(cl.info(lead, "clients")["forwarded_clients"]) == before,
              "nothing of a client that has not authenticated reaches the leader")
        check(c.call("QUIT") == "OK", "QUIT before AUTH")


def test_auth_through_follower(cl):
    """AUTH and HELLO AUTH on a follower: its writes and reads go through the
    leader as the default user; CLIENT LIST, CLIENT INFO and ACL WHOAMI say so."""
    lead = cl.leader()
    fol = cl.followers(lead)[0]
    with bare(cl, fol) as c:
        check(c.call("AUTH", PASSWORD) == "OK", "AUTH on a follower")
        check(c.call("SET", "via-follower", "1") == "OK", "SET through the follower after AUTH")
        check(c.call("GET", "via-follower") == b"1", "GET through the follower after AUTH")
        check(c.call("ACL", "WHOAMI") == b"default", "ACL WHOAMI on the follower")
        check(b" user=default " in c.call("CLIENT", "INFO"), "CLIENT INFO shows user=default")
        check(all(b" user=default " in line for line in c.call("CLIENT", "LIST").splitlines()),
              "CLIENT LIST shows user=default")
    check(cl.call(lead, "GET", "via-follower") == b"1", "the leader has the follower's client's write")
    with bare(cl, fol) as c:
        r = c.call("HELLO", "2", "AUTH", "default", PASSWORD, "SETNAME", "hello-client")
        check(isinstance(r, list) and r[:2] == [b"server", b"redis"], "HELLO 2 AUTH ... SETNAME on a follower")
        check(c.call("CLIENT", "GETNAME") == b"hello-client", "HELLO's SETNAME took")
        check(c.call("INCR", "via-hello") == 1, "a write through the follower after HELLO AUTH")
    with bare(cl, fol) as c:
        # a pipeline that authenticates half-way: only what follows AUTH runs
        r = c.pipeline([("SET", "half", "before"), ("AUTH", PASSWORD), ("SET", "half", "after"), ("GET", "half")])
        check([str(x) if isinstance(x, Error) else x for x in r] == [NOAUTH, "OK", "OK", b"after"],
              "a pipeline authenticating half-way through a follower (%r)" % r)


def test_leader_checks_again(cl):
    """A follower left without a password lets its clients in, but forwards
    them with no user: the leader, which has one, answers NOAUTH. The leader
    does not see the password: a user the follower authenticated is taken
    even where the leader's own password differs."""
    lead = cl.leader()
    fol = cl.followers(lead)[0]
    with cl.client(fol) as admin, cl.client(lead) as ladmin:
        check(admin.call("CONFIG", "SET", "requirepass", "") == "OK", "the follower's password is removed")
        with bare(cl, fol) as c:
            check(c.call("PING") == "PONG", "the follower without a password serves its own commands")
            check(c.call("ACL", "WHOAMI") == b"default", "ACL WHOAMI on the follower without a password")
            r = c.call("SET", "unvouched", "1")
            check(str(r) == NOAUTH, "its forwarded write gets the leader's NOAUTH (%r)" % r)
            r = c.call("GET", "unvouched")
            check(str(r) == NOAUTH, "its forwarded read gets the leader's NOAUTH (%r)" % r)
            check(admin.call("CONFIG", "SET", "requirepass", PASSWORD) == "OK", "the follower's password is back")
            # it connected while the follower had no password: authenticated,
            # as a Redis connection stays across CONFIG SET requirepass
            check(c.call("SET", "unvouched", "2") == "OK",
                  "a connection made without a password stays authenticated once one is set")
        check(ladmin.call("CONFIG", "SET", "requirepass", "leader-only") == "OK", "the leader's password differs")
        with bare(cl, fol) as c:
            check(c.call("AUTH", PASSWORD) == "OK", "AUTH on the follower with its password")
            check(c.call("SET", "vouched", "1") == "OK", "the leader takes the user the follower vouches for")
        with bare(cl, lead) as c:
            check(str(c.call("AUTH", PASSWORD)) == WRONGPASS, "the leader's own clients need its password")
            check(c.call("AUTH", "leader-only") == "OK", "and get in with it")
        check(ladmin.call("CONFIG", "SET", "requirepass", PASSWORD) == "OK", "the leader's password is back")


def test_forged_forwards(cl):
    """Forwards sent straight to the leader's peer port: one without a user
    (as from a node without client authentication), one naming a user the
    leader does not know and one naming no user are refused; one naming the
    default user runs, after them, in order."""
    lead = cl.leader()
    inf = cl.info(lead)
    cid, term = int(inf["raft_cluster_id"], 16), int(inf["raft_term"])

    def forward(sid, *argv):
        """A FORWARD payload: the session id, then the command as a log entry."""
        argv = [a.encode() for a in argv]
        entry = struct.pack("<BQI", 1, term, len(argv)) + b"".join(struct.pack("<I", len(a)) + a for a in argv)
        return struct.pack("<Q", sid) + entry

    # as node id 99, which no member has (harness.PeerDialer); no cluster
    # secret on loopback: the handshake runs with an empty key
    d = harness.PeerDialer(cl.port(lead) + 10000, cid, 99, lead)
    try:
        check(d.dial(), "a peer connection to the leader")
        sid = 0x7777000011
        for argv in (("SET", "forged:untagged", "1"), ("@user", "bob", "SET", "forged:bob", "1"),
                     ("@user", "", "SET", "forged:none", "1"), ("@user", "default", "SET", "forged:default", "1")):
            d.send(harness.FR_FORWARD, forward(sid, *argv))
        with cl.client(lead) as c:
            check(wait_for(lambda: c.call("GET", "forged:default") == b"1", 10), "a forward naming the default user runs")
            check(c.call("EXISTS", "forged:untagged", "forged:bob", "forged:none") == 0,
                  "forwards without a user, or naming one the leader does not know, do not")
    finally:
        d.close()


def test_config_set_requirepass(cl):
    """CONFIG SET requirepass on every node: new AUTHs need the new password
    at once; a connection that authenticated before keeps working through
    its follower; the old password is refused."""
    lead = cl.leader()
    fol = cl.followers(lead)[0]
    with bare(cl, fol) as old:
        check(old.call("AUTH", PASSWORD) == "OK", "a client authenticates on a follower")
        admins = [cl.client(i) for i in range(1, cl.n + 1)]
        try:
            check(all(a.call("CONFIG", "SET", "requirepass", "next pw") == "OK" for a in admins),
                  "CONFIG SET requirepass on every node")
            check(all(a.call("CONFIG", "GET", "requirepass") == [b"requirepass", b"next pw"] for a in admins),
                  "CONFIG GET requirepass shows it")
            check(old.call("SET", "kept", "1") == "OK", "the authenticated connection keeps writing through the follower")
            with bare(cl, fol) as c:
                check(str(c.call("AUTH", PASSWORD)) == WRONGPASS, "the old password is refused at once")
                check(c.call("AUTH", "default", "next pw") == "OK", "the new one is taken")
                check(c.call("GET", "kept") == b"1", "and reads through the follower")
        finally:
            for a in admins:
                check(a.call("CONFIG", "SET", "requirepass", PASSWORD) == "OK", "the password is set back")
                a.close()


TESTS = [test_noauth_on_follower, test_auth_through_follower, test_leader_checks_again, test_forged_forwards,
         test_config_set_requirepass]


# ---- protected mode from another address (root: a network namespace) ----

def netns_usable():
    return os.geteuid() == 0 and shutil.which("ip") is not None and shutil.which("redis-cli") is not None


class NamespacedNode(Cluster):
    """One node in namespace 1 of a jepsen_test.Net, listening on every
    address there (its loopback and its address on the bridge), reached from
    the root namespace through the bridge: not a loopback address."""

    def __init__(self, net):
        # a node listening beyond loopback needs a cluster secret (peer.h)
        super().__init__(SERVER, 1, founders=(), timing=None, prefix="raftkv-auth-ns-", secret=os.urandom(24).hex())
        self.net = net

    def host(self, i):
        return self.net.ip(i)

    def args(self, i, cluster=None):
        return super().args(i, cluster) + ["--bind", "0.0.0.0"]

    def command(self, i, cluster=None):
        return ["ip", "netns", "exec", self.net.ns[i]] + self.args(i, cluster)

    def inside(self, *args):
        """redis-cli inside the node's namespace, over its loopback."""
        out = subprocess.run(["ip", "netns", "exec", self.net.ns[1], "redis-cli", "-p", str(self.port(1))] +
                             list(args), capture_output=True, text=True, timeout=20)
        return out.stdout.strip()


def protected_mode_remote(node):
    """Protected mode without a password turns away a client from the
    bridge, not a loopback client; a password, or protected-mode no, lets
    it in (after AUTH with the password)."""
    host, port = node.host(1), node.port(1)
    out, closed = harness.raw_exchange(port, b"", 3, host=host)
    check(closed and out.startswith(b"-DENIED Redis is running in protected mode because protected mode is enabled"),
          "a client from %s is told DENIED and closed (%r)" % (node.net.ip(254), out[:60]))
    check(node.inside("PING") == "PONG", "a client on the node's loopback is served")
    check(int(node.inside("INFO", "stats").split("rejected_connections:")[1].split()[0]) >= 1,
          "INFO stats counts the refusal in rejected_connections")
    check(node.inside("CONFIG", "SET", "requirepass", PASSWORD) == "OK", "a password is set from the loopback")
    with Client(port, 10, host) as c:
        check(str(c.call("GET", "x")) == NOAUTH, "then the remote client is let in, and asked to authenticate")
        check(c.call("AUTH", PASSWORD) == "OK" and c.call("SET", "x", "1") == "OK", "and serves it after AUTH")
    check(node.inside("-a", PASSWORD, "--no-auth-warning", "CONFIG", "SET", "requirepass", "") == "OK",
          "the password is removed")
    out, closed = harness.raw_exchange(port, b"", 3, host=host)
    check(closed and out.startswith(b"-DENIED"), "the remote client is turned away again")
    check(node.inside("CONFIG", "SET", "protected-mode", "no") == "OK", "protected-mode no")
    with Client(port, 10, host) as c:
        check(c.call("PING") == "PONG", "with protected-mode no the remote client is served")


def test_join_with_password():
    """--join authenticates with the node's own requirepass: a node with the
    cluster's password is admitted and promoted; one with another password
    stops, saying the member refused it."""
    with Cluster(SERVER, 4, password=PASSWORD, founders=(1, 2), joiners=(3, 4), prefix="raftkv-authjoin-") as cl:
        if not (cl.start(1) and cl.start(2)):
            return
        check(wait_for(lambda: cl.leader() is not None, 30), "the two founders elect a leader")
        check(cl.start(3) and wait_for(lambda: cl.is_voter(3), 60),
              "a joiner with the cluster's password is admitted and promoted to voter")
        cl.extra[cl.extra.index("--requirepass") + 1] = "not-" + PASSWORD
        rc, out = cl.start_refused(4)
        check(rc == 1 and "refused: WRONGPASS" in out and "Cannot join" in out,
              "a joiner with another password stops and says why (rc %s): %s" % (rc, out[-300:]))


def suite():
    with Cluster(SERVER, 3, password=PASSWORD, prefix="raftkv-auth-") as cl:
        if cl.start_all():
            harness.run_tests(TESTS, cl)
    harness.run_tests([test_join_with_password])
    if not netns_usable():
        print("auth: protected mode from another address skipped (needs root, ip and redis-cli)")
        return
    from jepsen_test import Net
    Net.cleanup_stale()
    net = Net(1)
    try:
        net.setup()
        with NamespacedNode(net) as node:
            if node.start(1):
                harness.run_tests([protected_mode_remote], node)
    finally:
        net.teardown()


if __name__ == "__main__":
    sys.exit(harness.main("auth", suite))
