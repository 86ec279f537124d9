#!/usr/bin/env python3
"""Unit tests of the linearizability checker (tests/linearize.py): histories
that are linearizable (sequential, concurrent, with unknown outcomes taking
effect or not) and histories that must be refused (stale read, lost write,
duplicated INCR, a value never written, DEL's wrong answer, non-monotonic
reads), the violation's window, randomized histories of a simulated
linearizable register (must pass) with one reply mutated (must fail), and the
time taken on a large history.

Usage: linearize_test.py [seed]"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import linearize as lz  # noqa: E402
from harness import check  # noqa: E402
from linearize import Op  # noqa: E402


def op(client, o, inv, cmp, ret=None, arg=None, outcome="ok", key="k"):
    return Op(client, key, o, arg, inv, cmp if outcome != "unknown" else None, outcome, ret)


def S(c, v, inv, cmp, outcome="ok", key="k"):
    return op(c, "SET", inv, cmp, "OK", v, outcome, key)


def G(c, ret, inv, cmp, outcome="ok", key="k"):
    return op(c, "GET", inv, cmp, ret, None, outcome, key)


def D(c, ret, inv, cmp, outcome="ok", key="k"):
    return op(c, "DEL", inv, cmp, ret, None, outcome, key)


def I(c, ret, inv, cmp, outcome="ok", key="k"):
    return op(c, "INCR", inv, cmp, ret, None, outcome, key)


def C(c, old, new, inv, cmp, outcome="ok", key="k"):
    """A compare-and-set (WATCH, GET: old, MULTI, SET new, EXEC) that ran."""
    return op(c, "CAS", inv, cmp, "OK", "%s>%s" % ("nil" if old is None else old, new), outcome, key)


def ok(h, what):
    r = lz.check(h)
    check(r.ok, "%s: must be linearizable\n%s" % (what, r.text()))
    return r


def bad(h, what, window=None, note=None):
    r = lz.check(h)
    if check(not r.ok and r.violations, "%s: must NOT be linearizable" % what) and window is not None:
        w = r.violations[0].window
        check(len(w) <= window, "%s: window of at most %d ops (got %d)\n%s" % (what, window, len(w), r.text()))
    if note and r.violations:
        check(note in (r.violations[0].note or ""), "%s: the report says %r\n%s" % (what, note, r.text()))
    return r


def test_sequential():
    """Sequential histories: right replies pass, a wrong one fails; keys are independent."""
    h = [S(1, "1", 0, 1), G(1, "1", 2, 3), I(1, 2, 4, 5), G(2, "2", 6, 7), D(2, 1, 8, 9), G(1, None, 10, 11),
         D(1, 0, 12, 13), I(2, 1, 14, 15), S(1, "x", 16, 17), I(1, "ERR", 18, 19), G(2, "x", 20, 21)]
    ok(h, "sequential SET/GET/INCR/DEL/INCR on a non-integer")
    ok([], "empty history")
    ok([G(1, None, 0, 1)], "a read of a key never written is nil")
    bad([S(1, "1", 0, 1), G(1, "2", 2, 3)], "sequential read of the wrong value", 2)
    bad([S(1, "x", 0, 1), I(1, 1, 2, 3)], "INCR succeeding on a non-integer")
    ok([S(1, "1", 0, 1), G(1, "1", 2, 3), S(1, "a", 4, 5, key="j"), G(2, "a", 6, 7, key="j"), G(3, None, 0, 9, key="z")],
       "keys are independent registers")
    bad([S(1, "1", 0, 1, key="a"), G(1, "1", 2, 3, key="b")], "a write on one key is not seen on another")


def test_concurrent_fine():
    """Concurrent histories that some order explains pass."""
    ok([S(1, "1", 0, 10), G(2, None, 1, 2), G(3, "1", 3, 4), G(2, "1", 5, 6)], "a slow write seen from mid-way")
    ok([S(1, "1", 0, 10), S(2, "2", 1, 9), G(3, "2", 10.5, 11), G(3, "2", 12, 13)], "concurrent writes, order 1 then 2")
    ok([S(1, "1", 0, 10), S(2, "2", 1, 9), G(3, "1", 10.5, 11)], "concurrent writes, order 2 then 1")
    ok([I(1, 1, 0, 5), I(2, 2, 1, 4), I(3, 3, 2, 3)], "concurrent INCRs answered in any order")
    ok([I(1, 2, 0, 5), I(2, 1, 1, 4), G(3, "1", 1.5, 2), G(3, "2", 4.5, 6)], "INCRs with reads in between")
    ok([D(1, 1, 0, 5), S(2, "a", 1, 2), G(3, None, 5.5, 6)], "DEL concurrent with the SET it deletes")
    ok([D(1, 0, 0, 5), S(2, "a", 1, 2), G(3, "a", 5.5, 6)], "DEL before the concurrent SET")
    ok([S(1, "1", 0, 1), G(2, "1", 1, 2)], "equal end and start times count as concurrent")


def test_unknown():
    """Unknown outcomes may take effect once, late, or never; failed ones never."""
    ok([S(1, "1", 0, None, "unknown"), G(2, "1", 5, 6)], "an unknown write took effect")
    ok([S(1, "1", 0, None, "unknown"), G(2, None, 5, 6)], "an unknown write did not take effect")
    ok([S(1, "1", 0, None, "unknown"), G(2, None, 5, 6), G(2, "1", 100, 101)], "an unknown write took effect much later")
    ok([I(1, None, 0, None, "unknown"), I(2, 2, 3, 4), G(1, "2", 5, 6)], "an unknown INCR took effect")
    ok([I(1, None, 0, None, "unknown"), I(2, 1, 3, 4), G(1, "1", 5, 6), G(1, "2", 7, 8)],
       "an unknown INCR took effect after another")
    bad([I(1, None, 0, None, "unknown"), G(2, "1", 3, 4), G(2, "2", 5, 6)], "an unknown INCR applied twice")
    bad([S(1, "1", 0, None, "unknown"), G(2, "1", 3, 4), G(2, None, 5, 6)], "an unknown write seen, then unseen")
    bad([G(2, "1", 3, 4), S(1, "1", 5, None, "unknown")], "an unknown write seen before its invocation")
    ok([S(3, "0", -2, -1), D(1, None, 0, None, "unknown"), I(2, 1, 3, 4), G(2, "1", 5, 6)], "an unknown DEL took effect")
    ok([S(1, "1", 0, 1), D(1, None, 2, None, "unknown"), G(2, "1", 3, 4), G(2, None, 5, 6)], "an unknown DEL, late")
    ok([S(1, "1", 0, 1), S(1, "2", 1.5, None, "unknown"), G(1, "9", 3, None, "unknown"), G(2, "1", 5, 6)],
       "an unknown read is no constraint")
    ok([S(1, "1", 0, 1), S(1, "2", 1.5, 2, "fail"), G(2, "1", 5, 6)], "a failed write is dropped")
    bad([S(1, "1", 0, 1), S(1, "2", 1.5, 2, "fail"), G(2, "2", 5, 6)], "a failed write must not be seen")
    # many unknown writes pending at once: still quick
    h = [S(c, "u%d" % c, c * 0.01, None, "unknown") for c in range(40)]
    h += [G(99, None, 1, 2)] + [G(98, "u%d" % (39 - c), 3 + c, 3.5 + c) for c in range(40)]
    t0 = time.monotonic()
    ok(h, "40 pending unknown writes seen one by one in reverse order")
    check(time.monotonic() - t0 < 5, "40 pending unknown writes checked in %.2fs" % (time.monotonic() - t0))
    h = [S(c, "u%d" % c, c * 0.01, None, "unknown") for c in range(25)] + [G(98, "never", 3, 4)]
    bad(h, "25 pending unknown writes cannot explain a value never written", note="no SET on this key wrote")


def test_must_fail():
    """Stale reads, lost or duplicated writes, wrong DEL answers are refused."""
    bad([S(1, "1", 0, 1), S(1, "2", 2, 3), G(2, "1", 4, 5)], "stale read", 2)
    bad([S(1, "1", 0, 1), S(2, "2", 2, 3), G(3, "2", 3.5, 3.6), G(1, "1", 4, 5)], "stale read on another client")
    bad([S(1, "1", 0, 1), G(2, None, 2, 3)], "lost acknowledged write", 2)
    bad([I(1, 1, 0, 1), I(2, 2, 2, 3), G(3, "1", 4, 5)], "lost acknowledged INCR")
    bad([I(1, 1, 0, 1), I(1, 3, 2, 3)], "duplicated INCR (applied twice)", 2)
    bad([I(1, 1, 0, 1), G(2, "2", 2, 3)], "duplicated INCR seen by a read", 2)
    bad([I(1, 1, 0, 3), I(2, 1, 1, 4)], "two concurrent INCRs both answered 1")
    bad([S(1, "1", 0, 1), G(2, "7", 2, 3)], "read of a value never written", 2, "no SET on this key wrote")
    bad([S(1, "1", 0, 10), G(2, "7", 2, 3)], "read of a value never written, concurrent write", 2, "no SET")
    bad([S(1, "1", 0, 1), S(1, "7", 1.5, 2, "fail"), G(2, "7", 2, 3)], "read of a failed write's value", 2)
    bad([S(1, "1", 0, 1), D(2, 0, 2, 3)], "DEL says the key did not exist", 2)
    bad([D(2, 1, 2, 3)], "DEL says a key never written existed", 1)
    bad([S(1, "1", 0, 1), D(2, 1, 2, 3), D(3, 1, 4, 5)], "two DELs both saw the key")
    bad([S(1, "1", 0, 1), S(1, "2", 2, 10), G(2, "2", 3, 4), G(3, "1", 5, 6)], "non-monotonic reads across clients", 3)
    bad([S(1, "1", 0, 1), I(2, 2, 2, 3), I(3, 2, 4, 5)], "INCR answered the same twice in sequence")


def test_cas():
    """Compare-and-set: a chain passes, concurrent ones from one value may
    not both run, one from a value the register did not hold is refused,
    an unknown one may or may not have run."""
    ok([C(1, None, "1", 0, 1), C(2, "1", "2", 2, 3), G(3, "2", 4, 5)], "a CAS chain from nil")
    ok([S(1, "1", 0, 1), C(2, "1", "2", 2, 6), C(3, "2", "3", 3, 7), G(1, "3", 8, 9)], "two concurrent CAS in order")
    ok([S(1, "1", 0, 1), C(2, "1", "2", 2, 3, "unknown"), G(3, "1", 4, 5)], "an unknown CAS that did not run")
    ok([S(1, "1", 0, 1), C(2, "1", "2", 2, 3, "unknown"), G(3, "2", 4, 5)], "an unknown CAS that ran")
    ok([S(1, "1", 0, 1), C(2, "1", "2", 2, 3, "fail"), G(3, "1", 4, 5)], "a CAS that EXEC failed")
    bad([S(1, "1", 0, 1), C(2, "1", "2", 2, 5), C(3, "1", "3", 3, 6)], "two CAS from one value both ran (lost update)")
    bad([S(1, "1", 0, 1), S(1, "5", 2, 3), C(2, "1", "2", 4, 5)], "a CAS ran on a value overwritten before it began")
    bad([C(1, "7", "8", 0, 1)], "a CAS from a value never written", 1)
    bad([S(1, "1", 0, 1), C(2, "1", "2", 2, 3), G(3, "1", 4, 5)], "a CAS that ran is not seen")


def test_window():
    """A violation deep in a long history is reported as a few ops."""
    h = []
    t = 0.0
    for k in range(300):
        h.append(S(1 + k % 3, str(k), t, t + 0.5))
        h.append(G(4, str(k), t + 0.6, t + 0.7))
        h.append(I(5, k + 1, t + 0.1, t + 0.9))
        t += 1
    # after the 300 rounds: an acknowledged write, then a read of the one before
    h.append(S(1, "last", t, t + 0.5))
    h.append(G(2, "300", t + 1, t + 1.5))
    for k in range(100):  # and a long tail after it
        h.append(S(3, "tail%d" % k, t + 2 + k, t + 2.5 + k))
    r = bad(h, "stale read after 900 ops", 2)
    if r.violations:
        v = r.violations[0]
        check(v.culprit is h[-101], "the culprit is the stale read (%r)" % v.culprit)
        txt = r.text()
        check("<==" in txt and "GET -> '300'" in txt and "SET last -> OK" in txt, "the window is printed:\n" + txt)


def simulate(rng, nclients=6, nops=400, keys=("a", "b"), p_unknown=0.05, p_fail=0.05, span=1.0):
    """A linearizable history: each op takes effect at one instant between its
    invocation and completion (an unknown one at any later instant, or
    never; a failed one never); replies are computed in that order."""
    ops = []
    clock = [rng.random() for _ in range(nclients)]
    per = nops // nclients
    wid = 0
    for c in range(nclients):
        for _ in range(per):
            inv = clock[c] + rng.random() * span * 0.3
            lin = inv + rng.random() * span
            cmp = lin + rng.random() * span
            r = rng.random()
            kind = rng.choices(("GET", "SET", "INCR", "DEL"), (4, 3, 3, 1))[0]
            wid += 1
            arg = str(wid * 1000000) if kind == "SET" else None
            o = Op(c, rng.choice(keys), kind, arg, inv, cmp, "ok")
            if r < p_fail:
                o.outcome, lin = "fail", None
            elif r < p_fail + p_unknown:
                o.outcome, o.cmp = "unknown", None
                cmp = inv + span * 2
                lin = inv + rng.random() * span * 20 if rng.random() < 0.6 else None
            ops.append((lin, o))
            clock[c] = cmp
    state = {}
    for lin, o in sorted((x for x in ops if x[0] is not None), key=lambda x: x[0]):
        v = state.get(o.key)
        if o.op == "GET":
            o.ret = v
        elif o.op == "SET":
            state[o.key] = o.arg
            o.ret = "OK"
        elif o.op == "DEL":
            o.ret = 0 if v is None else 1
            state[o.key] = None
        else:
            n = int(v or 0) + 1
            state[o.key] = str(n)
            o.ret = n
    for _, o in ops:
        if o.outcome != "ok":
            o.ret = None
    return [o for _, o in ops]


def test_random(seed, rounds=60):
    """Simulated linearizable registers pass; each with one reply mutated fails."""
    rng = random.Random(seed)
    fails_found = 0
    t_max = 0.0
    for r in range(rounds):
        h = simulate(rng, nclients=rng.randint(2, 8), nops=rng.randint(20, 300), keys=("a", "b", "c")[:rng.randint(1, 3)],
                     p_unknown=rng.choice((0, 0.05, 0.15)), p_fail=rng.choice((0, 0.05)), span=rng.choice((0.2, 1, 3)))
        t0 = time.monotonic()
        res = lz.check(h)
        t_max = max(t_max, time.monotonic() - t0)
        if not check(res.ok, "seed %d round %d: a simulated linearizable register passes\n%s" % (seed, r, res.text())):
            lz.save(h, "/tmp/linearize-fail-%d-%d.jsonl" % (seed, r))
            continue
        reads = [o for o in h if o.op == "GET" and o.outcome == "ok"]
        incrs = [o for o in h if o.op == "INCR" and o.outcome == "ok"]
        if reads:
            o = rng.choice(reads)
            old, o.ret = o.ret, "never-written-%d" % r
            res = lz.check(h)
            if check(not res.ok and res.violations and res.violations[0].culprit is o,
                     "seed %d round %d: a read of a value never written fails, culprit that read\n%s" %
                     (seed, r, res.text())):
                fails_found += 1
                check("no SET on this key wrote" in (res.violations[0].note or ""), "the report says it was never written:\n%s" % res.text())
            o.ret = old
        if incrs:
            o = rng.choice(incrs)
            old, o.ret = o.ret, -7
            res = lz.check(h)
            check(not res.ok, "seed %d round %d: an INCR answering -7 fails" % (seed, r))
            o.ret = old
    print("random: %d rounds, %d mutated histories refused, slowest check %.2fs" % (rounds, fails_found, t_max))


def test_windows_sound(seed, rounds=40):
    """The window a violation is shown with must be a proof: any window
    (ops seen up to a cut, from a start on, from ANY value, ops running at
    the start free to have taken effect before it) of a linearizable
    history is linearizable itself."""
    rng = random.Random(seed + 7)
    bad_windows = 0
    for r in range(rounds):
        h = simulate(rng, nclients=rng.randint(2, 6), nops=rng.randint(20, 200), keys=("a",),
                     p_unknown=rng.choice((0, 0.1)), p_fail=0.05, span=rng.choice((0.3, 1, 3)))
        ops = sorted(lz.relevant(h), key=lambda o: o.inv)
        times = sorted(set([o.inv for o in ops] + [o.cmp for o in ops if o.cmp is not None]))
        for _ in range(10):
            cut = rng.choice(times)
            start = rng.choice([t for t in times if t <= cut])
            if not lz._linearizable(ops, 10 ** 7, cut=cut, start=start):
                bad_windows += 1
                lz.save(h, "/tmp/linearize-window-%d-%d.jsonl" % (seed, r))
            if not lz._linearizable(ops, 10 ** 7, cut=cut):
                bad_windows += 1
    check(bad_windows == 0, "seed %d: every window of a linearizable history is linearizable (%d were not)" %
          (seed, bad_windows))


def test_big(seed):
    """Thousands of ops per key over 10 keys, 10 clients, unknowns: seconds."""
    rng = random.Random(seed)
    keys = tuple("key%d" % k for k in range(10))
    h = simulate(rng, nclients=10, nops=30000, keys=keys, p_unknown=0.01, p_fail=0.01, span=1.0)
    t0 = time.monotonic()
    res = lz.check(h)
    dt = time.monotonic() - t0
    check(res.ok, "a 30000-op history over 10 keys passes\n" + res.text())
    check(dt < 30, "checked in %.2fs" % dt)
    print("big: %d ops over %d keys (%d unknown) checked in %.2fs" %
          (len(h), len(keys), sum(o.outcome == "unknown" for o in h), dt))
    # one stale read in the middle of one key: found, window small
    mid = [o for o in h if o.key == "key3" and o.op == "GET" and o.outcome == "ok"]
    o = mid[len(mid) // 2]
    old, o.ret = o.ret, "never"
    t0 = time.monotonic()
    res = lz.check(h)
    dt = time.monotonic() - t0
    check(not res.ok and res.violations and res.violations[0].culprit is o, "the mutated read is found")
    print("big: with one bad read: refused in %.2fs, window of %d ops" %
          (dt, len(res.violations[0].window) if res.violations else -1))
    o.ret = old


def test_save_load(tmp):
    """A history saved as JSON lines loads back the same."""
    h = [S(1, "1", 0, 1), G(2, "1", 2, 3), I(3, None, 4, None, "unknown"), D(1, 1, 5, 6)]
    lz.save(h, tmp)
    h2 = lz.load(tmp)
    check([o.to_json() for o in h] == [o.to_json() for o in h2], "a history saved and loaded is the same")
    os.unlink(tmp)


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("SEED", "1"))
    print("linearize: seed %d" % seed)
    test_sequential()
    test_concurrent_fine()
    test_unknown()
    test_must_fail()
    test_cas()
    test_window()
    test_save_load("/tmp/linearize-test-%d.jsonl" % os.getpid())
    test_random(seed)
    test_windows_sound(seed)
    test_big(seed)
    return harness.summary("linearize")


if __name__ == "__main__":
    sys.exit(main())
