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
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import RETRIABLE, Cluster, Writer, check, retry, wait_for  # noqa: E402

SERVER = harness.server_arg()


class Dyn(Cluster):
    """Node ids 1..7 on ports base..base+6. Node 1 starts alone (no --cluster);
    every other node starts empty with --join, naming a running node."""

    def __init__(self):
        super().__init__(SERVER, 7, ["--snapshot-threshold", "1000"],  # joiners get an image, not the whole log
                         founders=(), joiners=range(2, 8))


def only_retriable(errors, what):
    odd = {e: n for e, n in errors.items() if e not in RETRIABLE and e not in ("connection", "removed")}
    check(not odd, "%s: clients saw only retriable errors (%r)" % (what, dict(errors)))


def timeout_elections(cl, nodes):
    return sum(int(cl.info(i)["raft_elections_timeout"]) for i in nodes)


def add(cl, w, i):
    cl.call(cl.leader(), "RAFT.SNAPSHOT")  # the log is compacted: the joiner needs an image
    cl.start(i)
    check(wait_for(lambda: cl.is_voter(i), 60), "node %d joins as a learner and is promoted to voter" % i)
    w.nodes.append(i)


def remove(cl, w, i, via, linger=False):
    if i in w.nodes:
        w.nodes.remove(i)
    r = cl.raft_node(via, "REMOVE", i)
    check(r == "OK", "RAFT.NODE REMOVE %d through node %d: %r" % (i, via, r))
    check(wait_for(lambda: cl.info(i)["raft_removed"] == "1", 10), "node %d learns it was removed" % i)
    removed = cl.call(i, "SET", "x", "1")
    check(str(removed) == "ERR this node was removed from the cluster", "node %d says it was removed: %r" % (i, removed))
    check(cl.info(i)["raft_role"] == "removed", "INFO raft on node %d shows it removed" % i)
    if linger:  # left running, it must not disturb the others with elections
        lead = cl.leader(exclude=(i,))
        term = cl.info(lead)["raft_term"]
        time.sleep(1.5)
        check(cl.info(lead)["raft_term"] == term and cl.info(i)["raft_role"] == "removed",
              "a removed node left running for 5 election timeouts changes no term")
    cl.stop(i)


def test_lone_node(cl, w):
    """A node started alone elects itself."""
    cl.start(1)
    check(cl.leader() == 1, "a lone node elects itself")


def test_errors(cl, w):
    """The refusals of RAFT.NODE and RAFT.TRANSFER-LEADER, byte for byte; RAFT.INFO lists the members."""
    with cl.client(1) as c:
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


def test_grow(cl, w):
    """1 -> 3 -> 5 with --join while a client writes: learners promoted,
    joiners from an image, only retriable errors, every write kept."""
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
    cl.check_acked(range(1, 6), acked, "after growing 1 -> 5")


def test_shrink(cl, w):
    """5 -> 3 with RAFT.NODE REMOVE (a removed node left running changes no
    term); removed ids are never reused."""
    for i in (5, 4):
        remove(cl, w, i, via=1 if i != 1 else 2, linger=i == 5)
    lead = cl.leader(exclude=(4, 5))
    check(cl.info(lead)["raft_voters"] == "3", "three voters after two removals")
    acked, errors = w.snapshot()
    with cl.client(lead) as c:
        check(retry(lambda: c.call("SET", "after-shrink", "1")) == "OK", "the 3-node cluster takes writes")
    only_retriable(errors, "shrinking 5 -> 3")
    cl.check_acked((1, 2, 3), acked, "after shrinking 5 -> 3")
    info = cl.info(lead)
    check(info.get("raft_retired_ids") == "4,5", "INFO raft lists the retired ids (%r)" % info.get("raft_retired_ids"))
    r = cl.call(lead, "RAFT.NODE", "ADD", "4", "127.0.0.1:1")
    check(str(r) == "ERR node id 4 was removed from this cluster and is never reused: use a new id",
          "a removed id is never added again: %r" % (r,))


def test_replace(cl, w):
    """Node 3 replaced by node 6."""
    add(cl, w, 6)
    remove(cl, w, 3, via=6)
    lead = cl.leader(exclude=(3, 4, 5))
    members = cl.info(lead)
    check(members["raft_voters"] == "3" and "kind=voter" in members.get("raft_node6", "") and
          "kind=voter" not in members.get("raft_node3", ""), "node 3 replaced by node 6")
    check(wait_for(lambda: "raft_node3" not in cl.info(lead), 5), "the leader forgets node 3 once it was told")
    acked, errors = w.snapshot()
    only_retriable(errors, "replacing node 3")
    cl.check_acked((1, 2, 6), acked, "after replacing node 3 with node 6")


def test_remove_leader(cl, w):
    """The leader removes itself: it hands over (no election timeout)."""
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
    cl.check_acked(rest + [7], acked, "after removing the leader and adding node 7")


def test_transfer(cl, w):
    """RAFT.TRANSFER-LEADER through a follower, with no election timeout."""
    members = sorted(cl.procs)
    lead = cl.leader(exclude=(3, 4, 5))
    target = next(i for i in members if i != lead)
    via = next(i for i in members if i not in (lead, target))
    before = timeout_elections(cl, members)
    r = cl.call(via, "RAFT.TRANSFER-LEADER", target)
    check(r == "OK", "RAFT.TRANSFER-LEADER %d through follower %d: %r" % (target, via, r))
    check(wait_for(lambda: cl.info(target)["raft_role"] == "leader", 5), "node %d leads after the transfer" % target)
    check(timeout_elections(cl, members) == before, "the transfer caused no election timeout")


def test_rolling_restart(cl, w):
    """SIGTERM and restart each node in turn, the leader among them: every
    stopped leader hands over, no election is started by a timeout."""
    members = sorted(cl.procs)
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
        check(cl.caught_up(i), "node %d catches up after its restart" % i)
    timeouts += sum(int(cl.info(i)["raft_elections_timeout"]) - base[i] for i in members)
    check(timeouts == 0, "no election was started by a timeout during the rolling restart (%d)" % timeouts)
    check(leaders >= 1 and transfers == leaders, "each leader stopped handed over by TIMEOUT_NOW (%d of %d)"
          % (transfers, leaders))
    acked, errors = w.snapshot()
    during = errors - errors_before
    print("  rolling restart: errors seen by clients %r" % dict(during))
    only_retriable(during, "the rolling restart")
    cl.check_acked(members, acked, "after the rolling restart")


TESTS = [test_lone_node, test_errors, test_grow, test_shrink, test_replace, test_remove_leader, test_transfer,
         test_rolling_restart]


def suite():
    with Dyn() as cl:
        w = Writer(cl)
        try:
            harness.run_tests(TESTS, cl, w)
            w.finish()
            print("  %d writes acknowledged through the membership changes" % w.count())
        finally:
            w.finish()


if __name__ == "__main__":
    sys.exit(harness.main("membership", suite))
