#!/usr/bin/env python3
"""Client authentication on a real raftkv cluster (tests/harness.py): three
nodes started with the same requirepass. A follower answers NOAUTH itself
and forwards an authenticated client's commands with the user it vouches
for; the leader checks that user again with its own rules (a follower left
without a password opens nothing there); forged forwards without a user, or
with one the leader does not know, are refused; CONFIG SET requirepass
counts for new AUTHs at once and leaves authenticated connections be.

ACL users are replicated: SETUSER through a follower reaches every node,
which enforces it (locally and, for forwarded commands, again on the
leader, also against a forged forward); DELUSER closes the user's
connections everywhere; users reach a follower in a snapshot image and
survive restarts; the first rule for the default user keeps requirepass's
password.

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


def forger(cl, lead):
    """A peer dialer to the leader as node 99, and a maker of FORWARD
    payloads (the session id, then the command as a log entry)."""
    inf = cl.info(lead)
    cid, term = int(inf["raft_cluster_id"], 16), int(inf["raft_term"])

    def forward(sid, *argv):
        argv = [a.encode() for a in argv]
        entry = struct.pack("<BQI", 1, term, len(argv)) + b"".join(struct.pack("<I", len(a)) + a for a in argv)
        return struct.pack("<Q", sid) + entry
    return harness.PeerDialer(cl.port(lead) + 10000, cid, 99, lead), forward


def test_forged_forwards(cl):
    """Forwards sent straight to the leader's peer port: one without a user
    (as from a node without client authentication), one naming a user the
    leader does not know and one naming no user are refused; one naming the
    default user runs, after them, in order."""
    lead = cl.leader()
    # as node id 99, which no member has (harness.PeerDialer); no cluster
    # secret on loopback: the handshake runs with an empty key
    d, forward = forger(cl, lead)
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


# ---- ACL users: replicated state ----

def acl_lists(cl):
    out = []
    for i in range(1, cl.n + 1):
        with cl.client(i) as c:
            out.append(c.call("ACL", "LIST"))
    return out


def same_users(cl, seconds=20):
    return wait_for(lambda: len({tuple(l) for l in acl_lists(cl)}) == 1, seconds)


def as_user(cl, i, user, pw):
    c = Client(cl.port(i), 10, cl.host(i))
    r = c.call("AUTH", user, pw)
    check(r == "OK", "AUTH %s on node %d (%r)" % (user, i, r))
    return c


def test_acl_users_everywhere(cl):
    """ACL SETUSER sent to a follower is a log entry: every node then holds
    the same users and enforces them, for reads and writes, local and
    forwarded; denials are in the ACL LOG of the node that refused."""
    lead = cl.leader()
    fol = cl.followers(lead)[0]
    with cl.client(fol) as admin:
        r = admin.call("ACL", "SETUSER", "app", "on", ">app pw", "~app:*", "%R~shared:*", "+@read", "+@write",
                       "-@dangerous")
        check(r == "OK", "ACL SETUSER through a follower (%r)" % r)
        r = admin.call("ACL", "SETUSER", "app", "+nosuch")
        check(str(r).startswith("ERR Error in ACL SETUSER modifier '+nosuch'"), "a bad rule is refused before the log (%r)" % r)
    check(same_users(cl), "every node lists the same users (%r)" % acl_lists(cl))
    for i in range(1, cl.n + 1):
        with as_user(cl, i, "app", "app pw") as c:
            check(c.call("SET", "app:%d" % i, "v") == "OK", "app writes its keys through node %d" % i)
            check(c.call("GET", "app:%d" % i) == b"v", "and reads them")
            r = c.call("SET", "other:%d" % i, "v")
            check(str(r) == "NOPERM this user has no permissions to access one of the keys used as arguments",
                  "a key outside its patterns is refused on node %d (%r)" % (i, r))
            r = c.call("SET", "shared:%d" % i, "v")
            check(str(r).startswith("NOPERM"), "a read-only pattern refuses a write (%r)" % r)
            r = c.call("FLUSHALL")
            check(str(r) == "NOPERM this user has no permissions to run the 'flushall' command",
                  "a @dangerous command is refused on node %d (%r)" % (i, r))
            check(c.call("ACL", "WHOAMI") == b"app" or str(c.call("ACL", "WHOAMI")).startswith("NOPERM"),
                  "ACL WHOAMI as app")
    with cl.client(fol) as admin:
        log = admin.call("ACL", "LOG")
        check(any(b"flushall" in e and b"app" in e for e in log), "the follower's ACL LOG holds its own denial (%r)" % log)
        check(admin.call("ACL", "DRYRUN", "app", "set", "app:x", "1") == "OK", "ACL DRYRUN on a follower")
    with cl.client(lead) as c:
        check(c.call("EXISTS", "other:1", "other:2", "other:3", "shared:1") == 0, "nothing refused was written")


def test_acl_leader_checks_again(cl):
    """A forward naming a user runs on the leader with that user's rules:
    a forged FLUSHALL as app is refused there, and its SET of a key outside
    app's patterns too; one inside them runs."""
    lead = cl.leader()
    d, forward = forger(cl, lead)
    try:
        check(d.dial(), "a peer connection to the leader")
        sid = 0x7777000022
        for argv in (("@user", "app", "FLUSHALL"), ("@user", "app", "SET", "forged:app", "1"),
                     ("@user", "app", "SET", "app:forged", "1")):
            d.send(harness.FR_FORWARD, forward(sid, *argv))
        with cl.client(lead) as c:
            check(wait_for(lambda: c.call("GET", "app:forged") == b"1", 10), "a forward within app's rights runs")
            check(c.call("EXISTS", "forged:app") == 0 and c.call("EXISTS", "app:1") == 1,
                  "the leader refused the FLUSHALL and the SET outside app's patterns")
    finally:
        d.close()


def closed(c):
    """Whether the server closed c (a PING finds the connection gone)."""
    try:
        return c.call("PING") is None
    except (OSError, ConnectionError):
        return True


def test_acl_deluser_disconnects(cl):
    """ACL DELUSER ends the connections of that user on every node, as
    Redis does on its one; the user can no longer AUTH anywhere."""
    with cl.client(cl.leader()) as admin:
        check(admin.call("ACL", "SETUSER", "gone", "on", ">g", "~*", "+@all") == "OK", "a user to delete")
    check(same_users(cl), "known everywhere")
    conns = [as_user(cl, i, "gone", "g") for i in range(1, cl.n + 1)]
    try:
        fol = cl.followers()[0]
        with cl.client(fol) as admin:
            check(admin.call("ACL", "DELUSER", "gone", "nobody") == 1, "ACL DELUSER through a follower counts one")
        # the deleted user's own connection is the first to speak on its node
        for i, c in enumerate(conns, 1):
            check(wait_for(lambda: closed(c), 10), "node %d closed the deleted user's connection" % i)
        check(same_users(cl), "deleted everywhere")
        for i in range(1, cl.n + 1):
            with Client(cl.port(i), 10, cl.host(i)) as c:
                check(str(c.call("AUTH", "gone", "g")) == WRONGPASS, "the deleted user cannot AUTH on node %d" % i)
    finally:
        for c in conns: c.close()


def test_acl_recreated_user_is_another(cl):
    """A user deleted and made again at once (one pipeline: the rotation of a
    stolen account) closes the old user's connections on every node, even
    where both changes arrive together; the new password works."""
    with cl.client(cl.leader()) as admin:
        check(admin.call("ACL", "SETUSER", "rot", "on", ">old", "~*", "+@all") == "OK", "a user")
    check(same_users(cl), "known everywhere")
    conns = [as_user(cl, i, "rot", "old") for i in range(1, cl.n + 1)]
    try:
        with cl.client(cl.followers()[0]) as admin:
            r = admin.pipeline([("ACL", "DELUSER", "rot"), ("ACL", "SETUSER", "rot", "on", ">new", "~*", "+@all")])
            check(r == [1, "OK"], "deleted and made again in one pipeline (%r)" % (r,))
        for i, c in enumerate(conns, 1):
            check(wait_for(lambda: closed(c), 10), "node %d closed the old user's connection" % i)
        for i in range(1, cl.n + 1):
            with Client(cl.port(i), 10, cl.host(i)) as c:
                check(retry(lambda: c.call("AUTH", "rot", "new")) == "OK", "the new password works on node %d" % i)
    finally:
        for c in conns: c.close()


def test_acl_survives_install_and_restart(cl):
    """Users changed while a follower is down reach it in a snapshot image;
    after every node restarts they are all still enforced."""
    lead = cl.leader()
    fol = cl.followers(lead)[1]
    cl.stop(fol)
    with cl.client(lead) as c:
        check(c.call("ACL", "SETUSER", "late", "on", ">late pw", "~late:*", "+get", "+set") == "OK", "a user made meanwhile")
        check(c.call("ACL", "SETUSER", "late", "(+incr ~n:*)") == "OK", "with a selector")
        before = int(cl.info(fol if False else lead)["raft_snapshots_taken"])
        check(isinstance(c.call("RAFT.SNAPSHOT"), int), "the leader compacts its log")
        check(int(cl.info(lead)["raft_snapshots_taken"]) >= before, "a snapshot taken")
    cl.start(fol)
    check(wait_for(lambda: int(cl.info(fol)["raft_snapshots_received"]) >= 1, 60), "the follower installs an image")
    check(same_users(cl), "it has the users the image carried (%r)" % acl_lists(cl))
    with as_user(cl, fol, "late", "late pw") as c:
        check(c.call("SET", "late:1", "v") == "OK" and c.call("INCR", "n:1") == 1, "the user works on it, selector too")
        check(str(c.call("DEL", "late:1")).startswith("NOPERM"), "and its limits hold")
    for i in range(1, cl.n + 1):
        cl.stop(i)
    for i in range(1, cl.n + 1):
        cl.start(i)
    cl.leader()
    check(same_users(cl), "after restarting every node the users are the same everywhere")
    for i in range(1, cl.n + 1):
        with as_user(cl, i, "late", "late pw") as c:
            # NOPERM is itself an error reply: wait for it, not for a non-error
            check(wait_for(lambda: str(c.call("DEL", "late:1")).startswith("NOPERM"), 10),
                  "enforced on node %d after the restart" % i)


def test_acl_default_keeps_requirepass(cl):
    """The first rule naming the default user keeps the password requirepass
    gave it (the leader carries its digest into the entry); from then on the
    replicated rules decide for every node."""
    with cl.client(cl.followers()[0]) as admin:
        check(admin.call("ACL", "SETUSER", "default", "-flushall") == "OK", "ACL SETUSER default -flushall")
        check(str(admin.call("FLUSHALL")) == "NOPERM this user has no permissions to run the 'flushall' command",
              "the default user may no longer FLUSHALL")
    check(same_users(cl), "the same default user everywhere")
    for i in range(1, cl.n + 1):
        with bare(cl, i) as c:
            check(str(c.call("GET", "a")) == NOAUTH, "node %d still wants a password" % i)
            check(str(c.call("AUTH", "wrong")) == WRONGPASS and c.call("AUTH", PASSWORD) == "OK",
                  "requirepass's password still opens node %d" % i)
    with cl.client(cl.leader()) as admin:
        r = admin.call("CONFIG", "SET", "requirepass", "another")
        check(str(r).startswith("ERR CONFIG SET failed (possibly related to argument 'requirepass') - the default user is defined"),
              "CONFIG SET requirepass is refused once the default user is replicated (%r)" % r)
        check(admin.call("ACL", "SETUSER", "default", "+@all") == "OK", "back to +@all")


TESTS = [test_noauth_on_follower, test_auth_through_follower, test_leader_checks_again, test_forged_forwards,
         test_config_set_requirepass, test_acl_users_everywhere, test_acl_leader_checks_again,
         test_acl_deluser_disconnects, test_acl_recreated_user_is_another, test_acl_survives_install_and_restart,
         test_acl_default_keeps_requirepass]


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
