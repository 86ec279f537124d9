#!/usr/bin/env python3
"""Membership changes and leadership transfer on real raftkv-server processes
(under ASan/UBSan), while a client keeps writing through every member:

  grow 1 -> 3 -> 5 with --join (learners promoted automatically), shrink
  5 -> 3 with RAFT.NODE REMOVE, replace a node, remove the leader (it hands
  over: no election timeout), RAFT.TRANSFER-LEADER, and a rolling restart of
  every node with SIGTERM (the leader hands over first), counting elections
  started by a timeout (expected: none) and the errors clients saw (expected:
  only retriable CLUSTERDOWN / TIMEOUT / TRYAGAIN, and lost connections to the
  node being restarted). Every acknowledged write must read back on every
  member at the end of each phase.

Usage: membership_test.py path/to/raftkv-server"""
import collections
import sys
import threading
import time

import checks
import cluster_test as ct
from checks import check
from cluster_test import Client, Error, retry, wait_for

RETRIABLE = ("CLUSTERDOWN", "TIMEOUT", "TRYAGAIN")


class Dyn(ct.Cluster):
    """Node ids 1..7 on ports base..base+6. Node 1 starts alone (no --cluster);
    every other node starts empty with --join, naming a running node."""

    def __init__(self):
        super().__init__(7)

    def args(self, i, members=None):
        a = [ct.SERVER, "--id", str(i), "--port", str(self.port(i)), "--dir", "%s/node%d" % (self.dir, i),
             "--election-timeout", "300", "--heartbeat-interval", "50", "--cluster-request-timeout", "2000",
             "--snapshot-threshold", "1000"]  # joiners get an image, not the whole log
        if i != 1:
            via = next(k for k in sorted(self.procs) if k != i)
            a += ["--join", "127.0.0.1:%d" % self.port(via)]
        return a


class Writer(threading.Thread):
    """SETs unique keys through the nodes in self.nodes, in turn, 20 per
    connection; remembers what was acknowledged and counts the errors."""

    def __init__(self, cl):
        super().__init__(daemon=True)
        self.cl = cl
        self.nodes = []
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
                c = Client(self.cl.port(i), timeout=5)
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
        with self.lock:
            return dict(self.acked), collections.Counter(self.errors)


def check_acked(cl, nodes, acked, what):
    """Every acknowledged write reads back on every node given (MGET batches)."""
    keys = sorted(acked)
    for i in nodes:
        c = Client(cl.port(i), timeout=30)
        bad = 0
        for j in range(0, len(keys), 500):
            part = keys[j:j + 500]
            got = retry(lambda: c.call("MGET", *part))
            bad += len(part) if isinstance(got, (Error, Exception)) else \
                sum(1 for key, v in zip(part, got) if v != acked[key])
        c.close()
        check(bad == 0, "%s: node %d reads all %d acknowledged writes (%d missing)" % (what, i, len(keys), bad))


def only_retriable(errors, what):
    odd = {e: n for e, n in errors.items() if e not in RETRIABLE and e not in ("connection", "removed")}
    check(not odd, "%s: clients saw only retriable errors (%r)" % (what, dict(errors)))


def change(cl, via, *args):
    """RAFT.NODE ... through node via, again while the answer is retriable."""
    c = Client(cl.port(via), timeout=10)
    r = None
    for _ in range(100):
        r = c.call("RAFT.NODE", *args)
        if not (isinstance(r, Error) and str(r).startswith(RETRIABLE)):
            break
        time.sleep(0.1)
    c.close()
    return r


def voter(cl, i):
    try:
        return cl.info(i).get("raft_voter") == "1"
    except (OSError, ConnectionError):
        return False


def timeout_elections(cl, nodes):
    return sum(int(cl.info(i)["raft_elections_timeout"]) for i in nodes)


def add(cl, w, i):
    lead = cl.leader()
    c = Client(cl.port(lead))
    c.call("RAFT.SNAPSHOT")  # the log is compacted: the joiner needs an image
    c.close()
    cl.start(i)
    check(wait_for(lambda: voter(cl, i), 60), "node %d joins as a learner and is promoted to voter" % i)
    w.nodes.append(i)


def remove(cl, w, i, via, linger=False):
    if i in w.nodes:
        w.nodes.remove(i)
    r = change(cl, via, "REMOVE", i)
    check(r == "OK", "RAFT.NODE REMOVE %d through node %d: %r" % (i, via, r))
    check(wait_for(lambda: cl.info(i)["raft_removed"] == "1", 10), "node %d learns it was removed" % i)
    c = Client(cl.port(i))
    removed = c.call("SET", "x", "1")
    c.close()
    check(str(removed) == "ERR this node was removed from the cluster", "node %d says it was removed: %r" % (i, removed))
    check(cl.info(i)["raft_role"] == "removed", "INFO raft on node %d shows it removed" % i)
    if linger:  # left running, it must not disturb the others with elections
        lead = cl.leader(exclude=(i,))
        term = cl.info(lead)["raft_term"]
        time.sleep(1.5)
        check(cl.info(lead)["raft_term"] == term and cl.info(i)["raft_role"] == "removed",
              "a removed node left running for 5 election timeouts changes no term")
    cl.stop(i)


def test_errors(cl):
    c = Client(cl.port(1))
    cases = [
        (("RAFT.NODE", "REMOVE", "1"), "ERR cannot remove the last voting member"),
        (("RAFT.NODE", "ADD", "1", "127.0.0.1:1"), "ERR node 1 is already a member"),
        (("RAFT.NODE", "REMOVE", "42"), "ERR node 42 is not a member"),
        (("RAFT.NODE", "ADD", "x", "127.0.0.1:1"), "ERR invalid node id"),
        (("RAFT.NODE", "ADD", "9", "nowhere"),
         "ERR invalid address 'nowhere' (expected host:port or host:port@peerport)"),
        (("RAFT.NODE", "ADD", "9", "127.0.0.1:70000"),
         "ERR invalid address '127.0.0.1:70000' (expected host:port or host:port@peerport)"),
        (("RAFT.NODE", "ADD", "9"), "ERR wrong number of arguments for 'raft.node|add' command"),
        (("RAFT.NODE", "FOO"),
         "ERR unknown subcommand 'FOO'. Try RAFT.NODE HELP."),
        (("RAFT.TRANSFER-LEADER",), "ERR no other voting member to transfer leadership to"),
        (("RAFT.TRANSFER-LEADER", "42"), "ERR the target is not a voting member"),
    ]
    for args, want in cases:
        r = c.call(*args)
        for _ in range(100):  # until the lone leader has committed its first entry
            if not str(r).startswith("TRYAGAIN"):
                break
            time.sleep(0.05)
            r = c.call(*args)
        check(str(r) == want, "%s answers %r (got %r)" % (" ".join(args), want, r))
    check(c.call("RAFT.TRANSFER-LEADER", "1") == "OK", "transferring to the leader itself is a no-op")
    info = c.call("RAFT.INFO").decode()
    check("raft_voters:1" in info and "raft_node1:" in info and "kind=voter" in info, "RAFT.INFO lists the members")
    c.close()


def test_grow(cl, w):
    cl.start(1)
    check(cl.leader() == 1, "a lone node elects itself")
    test_errors(cl)
    w.nodes.append(1)
    w.start()
    for i in (2, 3):
        add(cl, w, i)
    check(cl.info(cl.leader())["raft_voters"] == "3", "three voters after two joins")
    for i in (4, 5):
        add(cl, w, i)
    lead = cl.leader()
    info = cl.info(lead)
    check(info["raft_voters"] == "5" and info["raft_learners"] == "0", "five voters, no learner left")
    check(all("raft_node%d" % i in info for i in range(1, 6)), "INFO raft lists every member")
    check(all(cl.info(i)["raft_members"] == "5" for i in range(1, 6)), "every node knows the five members")
    images = sum(int(cl.info(i)["raft_snapshots_received"]) for i in range(2, 6))
    check(images >= 1, "some joiners started from a snapshot image carrying the configuration (%d)" % images)
    acked, errors = w.snapshot()
    check(len(acked) > 200, "writes went on while the cluster grew (%d acknowledged)" % len(acked))
    only_retriable(errors, "growing 1 -> 5")
    check_acked(cl, range(1, 6), acked, "after growing 1 -> 5")


def test_shrink(cl, w):
    for i in (5, 4):
        remove(cl, w, i, via=1 if i != 1 else 2, linger=i == 5)
    lead = cl.leader(exclude=(4, 5))
    check(cl.info(lead)["raft_voters"] == "3", "three voters after two removals")
    acked, errors = w.snapshot()
    c = Client(cl.port(lead))
    check(retry(lambda: c.call("SET", "after-shrink", "1")) == "OK", "the 3-node cluster takes writes")
    c.close()
    only_retriable(errors, "shrinking 5 -> 3")
    check_acked(cl, (1, 2, 3), acked, "after shrinking 5 -> 3")
    info = cl.info(lead)
    check(info.get("raft_retired_ids") == "4,5", "INFO raft lists the retired ids (%r)" % info.get("raft_retired_ids"))
    c = Client(cl.port(lead))
    r = c.call("RAFT.NODE", "ADD", "4", "127.0.0.1:1")
    c.close()
    check(str(r) == "ERR node id 4 was removed from this cluster and is never reused: use a new id",
          "a removed id is never added again: %r" % (r,))


def test_replace(cl, w):
    add(cl, w, 6)
    remove(cl, w, 3, via=6)
    lead = cl.leader(exclude=(3, 4, 5))
    members = cl.info(lead)
    check(members["raft_voters"] == "3" and "kind=voter" in members.get("raft_node6", "") and
          "kind=voter" not in members.get("raft_node3", ""), "node 3 replaced by node 6")
    check(wait_for(lambda: "raft_node3" not in cl.info(lead), 5), "the leader forgets node 3 once it was told")
    acked, errors = w.snapshot()
    only_retriable(errors, "replacing node 3")
    check_acked(cl, (1, 2, 6), acked, "after replacing node 3 with node 6")


def test_remove_leader(cl, w):
    lead = cl.leader(exclude=(3, 4, 5))
    rest = [i for i in (1, 2, 6) if i != lead]
    before = timeout_elections(cl, rest)
    t0 = time.time()
    remove(cl, w, lead, via=lead)
    new = cl.leader(exclude=(lead, 3, 4, 5))
    took = time.time() - t0
    check(new in rest, "a remaining node leads after the leader removed itself (%s)" % new)
    check(timeout_elections(cl, rest) == before, "the removed leader handed over: no election timeout")
    check(cl.info(new)["raft_voters"] == "2", "two voters left")
    print("  removing leader %d: node %d leads %.2fs later" % (lead, new, took))
    add(cl, w, 7)
    acked, errors = w.snapshot()
    only_retriable(errors, "removing the leader")
    check_acked(cl, rest + [7], acked, "after removing the leader and adding node 7")
    return rest + [7]


def test_transfer(cl, members):
    lead = cl.leader(exclude=(3, 4, 5))
    target = next(i for i in members if i != lead)
    via = next(i for i in members if i not in (lead, target))
    before = timeout_elections(cl, members)
    c = Client(cl.port(via))
    r = c.call("RAFT.TRANSFER-LEADER", target)
    c.close()
    check(r == "OK", "RAFT.TRANSFER-LEADER %d through follower %d: %r" % (target, via, r))
    check(wait_for(lambda: cl.info(target)["raft_role"] == "leader", 5), "node %d leads after the transfer" % target)
    check(timeout_elections(cl, members) == before, "the transfer caused no election timeout")


def test_rolling_restart(cl, w, members):
    """SIGTERM and restart each node in turn, the leader among them."""
    _, errors_before = w.snapshot()
    base = {i: int(cl.info(i)["raft_elections_timeout"]) for i in members}
    transfers = leaders = 0
    timeouts = 0
    for i in members:
        was_leader = cl.info(i)["raft_role"] == "leader"
        st = cl.info(i)
        timeouts += int(st["raft_elections_timeout"]) - base[i]
        cl.stop(i)
        if was_leader:
            leaders += 1
            new = cl.leader(timeout=5, exclude=(i, 3, 4, 5))
            check(new is not None, "a new leader right after the leader stopped")
            transfers += int(cl.info(new)["raft_elections_transfer"]) > 0
        cl.start(i)
        base[i] = 0
        lead = cl.leader(exclude=(3, 4, 5))
        commit = int(cl.info(lead)["raft_commit_index"])
        check(wait_for(lambda: int(cl.info(i)["raft_applied_index"]) >= commit, 30),
              "node %d catches up after its restart" % i)
    timeouts += sum(int(cl.info(i)["raft_elections_timeout"]) - base[i] for i in members)
    check(timeouts == 0, "no election was started by a timeout during the rolling restart (%d)" % timeouts)
    check(leaders >= 1 and transfers == leaders, "each leader stopped handed over by TIMEOUT_NOW (%d of %d)"
          % (transfers, leaders))
    acked, errors = w.snapshot()
    during = errors - errors_before
    print("  rolling restart: errors seen by clients %r" % dict(during))
    only_retriable(during, "the rolling restart")
    check_acked(cl, members, acked, "after the rolling restart")


def main():
    cl = Dyn()
    w = Writer(cl)
    try:
        test_grow(cl, w)
        test_shrink(cl, w)
        test_replace(cl, w)
        members = test_remove_leader(cl, w)
        test_transfer(cl, members)
        test_rolling_restart(cl, w, members)
        w.halt = True
        w.join(10)
        acked, _ = w.snapshot()
        print("  %d writes acknowledged through the membership changes" % len(acked))
    finally:
        w.halt = True
        cl.destroy()
    return checks.summary("membership")


if __name__ == "__main__":
    sys.exit(main())
