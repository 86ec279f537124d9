#!/usr/bin/env python3
"""Linearizability checker for histories of GET / SET / DEL / INCR on keys,
in the style of Knossos and Porcupine (Wing & Gong's search, with Lowe's
just-in-time linearization and memoization of (linearized set, state)).

A history is a list of Op. Each key is checked on its own (a register per key
is independent of every other: P-compositionality), against this model:

  SET v   writes v                               reply OK
  DEL     writes nil                             reply 1 if the key existed, else 0
  INCR    reads n (nil counts as 0), writes n+1  reply n+1 ("ERR" if the value is no integer: no write)
  GET     reads                                  reply the value or None (nil)
  CAS o>n writes n if the value is o ("nil": none)  reply OK (a WATCH / MULTI / SET / EXEC that ran;
                                                 one that EXEC failed had no effect: "fail")

Outcomes:
  ok       the op took effect once, somewhere between invocation and completion,
           and its reply is checked;
  fail     the op is known not to have taken effect (CLUSTERDOWN ...): dropped;
  unknown  timeout, connection lost, TIMEOUT outcome unknown: the op may take
           effect once at any time after its invocation, or never (its
           completion is +infinity and its reply unknown). An unknown GET has
           no effect and is dropped.

Search. Configurations are (set of linearized ops, register value). Ops with
a known outcome ("known") must all be linearized; unknown ones may be. A
configuration that linearized fewer unknown ops (a subset) with the same
known ops and value can do everything the other can, so the cache keeps, per
(known bitset, value), the unknown bitsets seen, and prunes any configuration
whose unknown bitset is a superset of one of them (the known and unknown
bitsets are Python ints). Candidates are tried known ops first, unknown ones
last: an unknown op is linearized when something needs it.

On a violation the checker finds the first moment T at which the history
observed so far (ops invoked by T; ops still running at T count as unknown)
is no longer linearizable, and then the latest start S such that the ops
between S and T cannot be linearized from ANY value of the register (ops
running at S may also have taken effect before S). Reads not needed for the
contradiction are dropped. What is printed is therefore a self-contained
proof: no order of those ops explains their replies.

Usage as a program: linearize.py HISTORY.jsonl   (one op per line, the
fields of Op.to_json; exit 1 on a violation)."""
import bisect
import gc
import json
import sys
import time

INF = float("inf")
GET, SET, DEL, INCR, CAS = 0, 1, 2, 3, 4
NAMES = ("GET", "SET", "DEL", "INCR", "CAS")
KINDS = {n: i for i, n in enumerate(NAMES)}


class _Any:
    """The register holds some value nobody knows (a window's start)."""

    def __repr__(self):
        return "ANY"


ANY = _Any()


class Op:
    """One operation. op: GET SET DEL INCR; arg: SET's value (str);
    inv/cmp: invocation and completion times (seconds, any origin; cmp may be
    None for unknown); outcome: ok / fail / unknown; ret: GET's value (str or
    None), DEL's 0/1, INCR's new value (int, or "ERR"), SET's "OK"."""
    __slots__ = ("client", "key", "op", "arg", "inv", "cmp", "outcome", "ret", "node", "idx")

    def __init__(self, client, key, op, arg=None, inv=0.0, cmp=None, outcome="ok", ret=None, node=None):
        assert op in KINDS, op
        assert outcome in ("ok", "fail", "unknown"), outcome
        self.client, self.key, self.op, self.arg = client, key, op, (None if arg is None else str(arg))
        self.inv, self.cmp, self.outcome, self.ret, self.node = inv, cmp, outcome, ret, node
        self.idx = None

    def to_json(self):
        return {"client": self.client, "key": self.key, "op": self.op, "arg": self.arg, "inv": self.inv,
                "cmp": self.cmp, "outcome": self.outcome, "ret": self.ret, "node": self.node}

    @staticmethod
    def from_json(d):
        return Op(d["client"], d["key"], d["op"], d.get("arg"), d["inv"], d.get("cmp"), d["outcome"], d.get("ret"),
                  d.get("node"))

    def describe(self):
        s = self.op + ("" if self.arg is None else " " + self.arg)
        if self.outcome == "ok":
            if self.op == "GET":
                r = "nil" if self.ret is None else repr(self.ret)
            else:
                r = str(self.ret)
            return "%s -> %s" % (s, r)
        return "%s -> %s" % (s, self.outcome.upper())

    def __repr__(self):
        return "Op(%r, %r, %s, inv=%r, cmp=%r)" % (self.client, self.key, self.describe(), self.inv, self.cmp)


def _int(v):
    """A register value as Redis's INCR reads it, or None if not an integer."""
    if v is None:
        return 0
    try:
        n = int(v)
    except (TypeError, ValueError):
        return None
    return n if str(n) == v else None


class _Unread:
    """The value of an unknown SET that no known reply can have read: all
    such values act alike (as_int: whether INCR would accept it)."""

    def __init__(self, as_int):
        self.as_int = as_int

    def __repr__(self):
        return "UNREAD-INT" if self.as_int else "UNREAD"


UNREAD_INT, UNREAD_STR = _Unread(True), _Unread(False)


def cas_parts(arg):
    """CAS's "old>new" as (old or None, new)."""
    old, new = arg.split(">", 1)
    return (None if old == "nil" else old), new


def step(s, kind, arg, known, ret):
    """(allowed, new value) of applying one op to value s."""
    if kind == CAS:  # it ran only where the value was the one it read (never an unread one)
        old, new = cas_parts(arg)
        return s is ANY or s == old, new
    if kind == GET:
        if s is ANY:
            return True, ret
        return s == ret, s
    if kind == SET:
        return True, arg
    if kind == DEL:
        if not known or s is ANY:
            return True, None
        return ret == (0 if s is None else 1), None
    # INCR
    if s is ANY:
        if not known or ret == "ERR":
            return True, ANY
        return True, str(ret)
    if s is UNREAD_INT:  # its successors are unread too (see _search)
        return not known, s
    n = None if s is UNREAD_STR else _int(s)
    if n is None:
        return (not known or ret == "ERR"), s
    if known and ret != n + 1:
        return False, s
    return True, str(n + 1)


class Budget(Exception):
    pass


def _search(items, init, budget):
    """items: (kind, arg, known, ret, inv, cmp, optional) per op. known ops
    must be linearized within [inv, cmp]; unknown ones (cmp = INF) may be
    linearized after inv or never; optional ones (known, finite cmp) may be
    linearized within [inv, cmp] or dropped (they took effect before the
    window). Returns True if some linearization exists."""
    n = len(items)
    if n == 0:
        return True
    kinds = [it[0] for it in items]
    args = [it[1] for it in items]
    known = [it[2] for it in items]
    rets = [it[3] for it in items]
    invs = [it[4] for it in items]
    opt = [it[6] for it in items]
    # An unknown SET whose value no known reply can show (no GET returned it,
    # and no GET or INCR returned one of the values INCRs could make of it)
    # only matters by existing: such values become one token.
    seen_vals = set()
    seen_ints = []
    n_incr = kinds.count(INCR)
    for i in range(n):
        if known[i] and kinds[i] == GET and rets[i] is not None:
            seen_vals.add(rets[i])
            v = _int(rets[i])
            if v is not None:
                seen_ints.append(v)
        elif known[i] and kinds[i] == INCR and isinstance(rets[i], int):
            seen_ints.append(rets[i])
        elif kinds[i] == CAS:  # it read its old value
            old = cas_parts(args[i])[0]
            if old is not None:
                seen_vals.add(old)
                if _int(old) is not None:
                    seen_ints.append(_int(old))
    seen_ints.sort()
    for i in range(n):
        if not known[i] and kinds[i] == SET and args[i] not in seen_vals:
            v = _int(args[i])
            if v is None:
                args[i] = UNREAD_STR
            else:
                j = bisect.bisect_right(seen_ints, v)
                if not (j < len(seen_ints) and seen_ints[j] <= v + n_incr):
                    args[i] = UNREAD_INT
    # Unknown ops never block anything (they complete at +infinity): they are
    # kept out of the event list, in classes of interchangeable ops (same kind
    # and value); once invoked, only the earliest pending one of a class is a
    # candidate, so each class is consumed in order: ptr[c] of them so far.
    classes = {}
    members = []
    ucls = [0] * n
    for i in sorted((i for i in range(n) if not known[i]), key=lambda i: invs[i]):
        key = (kinds[i], args[i]) if kinds[i] in (SET, CAS) else (kinds[i],)
        c = classes.get(key)
        if c is None:
            c = classes[key] = len(members)
            members.append([])
        ucls[i] = c
        members[c].append(i)
    # classes in order of their first member's invocation, the ones with
    # members left in a linked list (cnx/cpv, sentinel ncls)
    members.sort(key=lambda m: invs[m[0]])
    for c, m in enumerate(members):
        for i in m:
            ucls[i] = c
    ncls = len(members)
    ptr = [0] * ncls
    minv = [[invs[i] for i in m] for m in members]
    mlen = [len(m) for m in members]
    cnx = [c + 1 for c in range(ncls)] + [0 if ncls else ncls]
    cpv = [c - 1 for c in range(ncls)] + [ncls - 1 if ncls else ncls]
    if ncls:
        cpv[0] = ncls
    # a blind write (SET, or a DEL whose reply is not checked) ignores the
    # value: right after an unknown op it would erase that op's effect, so
    # that order is never needed (the unknown op is then left out instead)
    blind = [kinds[i] == SET or (kinds[i] == DEL and not known[i]) for i in range(n)]
    cblind = [blind[m[0]] for m in members]
    # events of the ops that must (or may, optional) complete: call of op i,
    # return of op i; 0 is the head sentinel
    evs = []
    for i, it in enumerate(items):
        if known[i]:
            evs.append((it[4], 0, i))
            evs.append((it[5], 1, i))
    evs.sort(key=lambda e: (e[0], e[1]))  # at equal times calls first: concurrent
    m = len(evs)
    nxt = [0] * (m + 2)
    prv = [0] * (m + 2)
    ev_op = [0] * (m + 2)
    ev_ret = [False] * (m + 2)
    ev_t = [0.0] * (m + 2)
    call_of = [0] * n
    ret_of = [0] * n
    for pos, (t, k, i) in enumerate(evs, 1):
        ev_op[pos] = i
        ev_ret[pos] = k == 1
        ev_t[pos] = t
        if k == 0:
            call_of[i] = pos
        else:
            ret_of[i] = pos
    end = m + 1
    for pos in range(0, m + 1):
        nxt[pos] = pos + 1
        prv[pos + 1] = pos
    # Linearized sets. Ops that must complete are numbered by invocation
    # (pos); all those below lo are linearized and K holds the ones above it
    # (bit p - lo): K stays as small as the history's concurrency, however
    # long the history. Optional ones are in O (consuming one unblocks its
    # return: no dominance there); unknown ones in U (a subset of U dominates:
    # an unknown op not yet used may still be used, or never).
    pos = [-1] * n
    obit = [0] * n
    ubit = [0] * n
    must = sorted((i for i in range(n) if known[i] and not opt[i]), key=lambda i: invs[i])
    for p_, i in enumerate(must):
        pos[i] = p_
    nmust = len(must)
    ob = ub = 0
    for i in range(n):
        if opt[i]:
            obit[i] = 1 << ob
            ob += 1
        elif not known[i]:
            ubit[i] = 1 << ub
            ub += 1

    def lift(i):
        if not known[i]:
            c = ucls[i]
            ptr[c] += 1
            if ptr[c] == mlen[c]:
                cnx[cpv[c]] = cnx[c]
                cpv[cnx[c]] = cpv[c]
            return
        c, r = call_of[i], ret_of[i]
        nxt[prv[c]] = nxt[c]
        prv[nxt[c]] = prv[c]
        nxt[prv[r]] = nxt[r]
        prv[nxt[r]] = prv[r]

    def unlift(i):
        if not known[i]:
            c = ucls[i]
            if ptr[c] == mlen[c]:
                cnx[cpv[c]] = c
                cpv[cnx[c]] = c
            ptr[c] -= 1
            return
        c, r = call_of[i], ret_of[i]
        nxt[prv[r]] = r
        prv[nxt[r]] = r
        nxt[prv[c]] = c
        prv[nxt[c]] = c

    def candidates(after_unknown, state):
        """Ops that can go next: calls before the first return of a pending
        op that must complete, known ops first; ~i for dropping optional op i."""
        out = []
        tb = INF
        drop = -1
        e = nxt[0]
        while e != end:
            i = ev_op[e]
            if ev_ret[e]:
                tb = ev_t[e]
                if opt[i]:
                    drop = i  # an optional op: never took effect in the window
                break
            if kinds[i] == GET and rets[i] == state and state is not ANY:
                # a read that fits the value now: some linearization that
                # exists from here takes it first (it changes nothing, and
                # nothing pending has to precede it), so take it alone
                return [i]
            if not (after_unknown and blind[i]):
                out.append(i)
            e = nxt[e]
        c = cnx[ncls]
        while c != ncls:
            mi = minv[c]
            if mi[0] > tb:
                break
            p = ptr[c]
            if mi[p] <= tb and not (after_unknown and cblind[c]):
                out.append(members[c][p])
            c = cnx[c]
        if drop >= 0:
            out.append(~drop)
        return out

    # cache: (K, value) -> [(U, after_unknown)]; a configuration is pruned if
    # one with a subset of its U and no more restricted was seen
    cache = {}
    K = U = O = lo = 0
    state = init
    flag = False
    cands = candidates(flag, state)
    ci = 0
    stack = []
    steps = 0
    while True:
        if lo == nmust:
            return True
        if ci < len(cands):
            i = cands[ci]
            ci += 1
            steps += 1
            if steps > budget:
                raise Budget()
            if i < 0:
                i = ~i
                ns = state
            else:
                ok, ns = step(state, kinds[i], args[i], known[i], rets[i])
                if not ok:
                    continue
            nK, nlo, nU, nO = K, lo, U, O
            p_ = pos[i]
            if p_ == lo:
                nK = K >> 1
                t = (~nK & (nK + 1)).bit_length() - 1  # trailing ones
                nK >>= t
                nlo = lo + 1 + t
            elif p_ > lo:
                nK = K | (1 << (p_ - lo))
            elif known[i]:
                nO = O | obit[i]
            else:
                nU = U | ubit[i]
            nflag = not known[i]
            key = (nlo, nK, nO, ns)
            seen = cache.get(key)
            if seen is None:
                cache[key] = [(nU, nflag)]
            else:
                dominated = False
                for u, f in seen:
                    if u & nU == u and (nflag or not f):
                        dominated = True
                        break
                if dominated:
                    continue
                seen.append((nU, nflag))
            stack.append((cands, ci, i, state, flag, K, lo, U, O))
            lift(i)
            K, lo, U, O, state, flag = nK, nlo, nU, nO, ns, nflag
            cands = candidates(flag, state)
            ci = 0
        else:
            if not stack:
                return False
            cands, ci, i, state, flag, K, lo, U, O = stack.pop()
            unlift(i)


def _items(ops, cut=None, start=None):
    """The search's view of ops (already one key, failed ops and unknown
    reads removed), observed up to time cut and from time start."""
    out = []
    used = []
    for o in ops:
        kind = KINDS[o.op]
        known = o.outcome == "ok"
        cmp = o.cmp if known else INF
        if cut is not None:
            if o.inv > cut:
                continue
            if cmp > cut:  # still running at the cut: outcome unknown then
                if kind == GET:
                    continue
                known, cmp = False, INF
        optional = False
        if start is not None:
            if cmp < start:
                continue
            if o.inv < start and known:
                optional = True
        out.append((kind, o.arg, known, o.ret if known else None, o.inv, cmp, optional))
        used.append(o)
    return out, used


class Violation:
    def __init__(self, key, window, culprit, start, cut, from_any, history_len, note=None):
        self.key, self.window, self.culprit, self.note = key, window, culprit, note
        self.start, self.cut, self.from_any, self.history_len = start, cut, from_any, history_len

    def text(self, origin=0.0):
        lines = ["key %r: not linearizable (%d ops on this key); smallest window found: %d ops" %
                 (self.key, self.history_len, len(self.window))]
        if self.note:
            lines.append("  " + self.note)
        if self.from_any:
            lines.append("  from any value of %r at t=%.3f to the completion of the op marked <== at t=%.3f:" %
                         (self.key, self.start - origin, self.cut - origin))
        else:
            lines.append("  from the start (the key was nil) to the completion of the op marked <== at t=%.3f:" %
                         (self.cut - origin))
        first = min((o.inv for o in self.window if o.outcome == "ok"), default=INF)
        early = [o for o in self.window if o.outcome != "ok" and o.inv < first]
        if len(early) > 3:
            counts = {}
            for o in early:
                d = o.op + ("" if o.arg is None else " " + o.arg)
                counts[d] = counts.get(d, 0) + 1
            lines.append("      %d ops with unknown outcome invoked earlier (t=%.3f..%.3f), which may take effect "
                         "within the window: %s" % (len(early), min(o.inv for o in early) - origin,
                                                    max(o.inv for o in early) - origin,
                                                    ", ".join(("%dx %s" % (c, d)) if c > 1 else d
                                                              for d, c in sorted(counts.items()))))
        else:
            early = []
        for o in sorted((o for o in self.window if o not in early), key=lambda o: (o.inv, o.client)):
            c = "running" if o.cmp is None or o.outcome != "ok" else "%10.4f" % (o.cmp - origin)
            if o.cmp is not None and o.cmp > self.cut and o.outcome == "ok":
                c += "*"
            notes = []
            if self.from_any and o.inv < self.start and o.outcome == "ok":
                notes.append("may have taken effect before the window")
            if o.cmp is not None and o.cmp > self.cut and o.outcome == "ok":
                notes.append("completed after the cut: outcome not yet known then")
            lines.append("  %s [%10.4f .. %10s] client %-4s%s %s%s" % (
                "<==" if o is self.culprit else "   ", o.inv - origin, c, o.client,
                "" if o.node is None else " node %-2s" % o.node, o.describe(),
                ("   (" + "; ".join(notes) + ")") if notes else ""))
        return "\n".join(lines)


class Result:
    def __init__(self):
        self.ok = True
        self.keys = 0
        self.ops = 0
        self.violations = []
        self.undecided = []  # keys whose search ran out of budget
        self.seconds = 0.0

    def text(self, origin=0.0):
        head = "linearizable" if self.ok else (
            "NOT LINEARIZABLE" if self.violations else "UNDECIDED (search budget exhausted)")
        out = ["checker: %s: %d ops over %d keys checked in %.2fs" % (head, self.ops, self.keys, self.seconds)]
        for v in self.violations:
            out.append(v.text(origin))
        for k in self.undecided:
            out.append("key %r: search budget exhausted" % (k,))
        return "\n".join(out)


def _linearizable(ops, budget, cut=None, start=None, init=None):
    items, _ = _items(ops, cut, start)
    # the search makes no cycles: the collector would only rescan its
    # growing cache over and over
    was = gc.isenabled()
    gc.disable()
    try:
        return _search(items, ANY if start is not None else init, budget)
    finally:
        if was:
            gc.enable()


def _window(key, ops, budget):
    """The violation's smallest window (see the module's doc)."""
    cuts = sorted(set(o.cmp for o in ops if o.outcome == "ok"))
    lo, hi = 0, len(cuts) - 1  # prefix at cuts[hi] is not linearizable (the whole history)
    while lo < hi:
        mid = (lo + hi) // 2
        if _linearizable(ops, budget, cut=cuts[mid]):
            lo = mid + 1
        else:
            hi = mid
    cut = cuts[lo]
    culprit = next(o for o in ops if o.outcome == "ok" and o.cmp == cut)
    # the latest start S from which [S, cut] fails from ANY value
    starts = sorted(set(o.inv for o in ops if o.inv <= cut), reverse=True)
    good = None  # index into starts of a start known to fail
    k, prev = 1, 0
    while k <= len(starts):
        if not _linearizable(ops, budget, cut=cut, start=starts[k - 1]):
            good = k - 1
            break
        prev = k
        k *= 2
    if good is None and starts and not _linearizable(ops, budget, cut=cut, start=starts[-1]):
        good, k = len(starts) - 1, len(starts)
    if good is not None:
        a, b = prev, good  # starts[a-1] passed (if a > 0), starts[b] fails
        while a < b:
            mid = (a + b) // 2
            if not _linearizable(ops, budget, cut=cut, start=starts[mid]):
                b = mid
            else:
                a = mid + 1
        if _linearizable(ops, budget, cut=cut, start=starts[b]):
            b = good
        start, from_any = starts[b], True
    else:
        start, from_any = None, False
    _, window = _items(ops, cut, start)
    # drop reads the contradiction does not need (a read only constrains):
    # all of them at once if possible, else in halving chunks
    reads = [o for o in window if o.op == "GET" and o is not culprit]
    size = len(reads)
    while reads and size >= 1:
        kept = []
        for j in range(0, len(reads), size):
            chunk = set(map(id, reads[j:j + size]))
            trial = [x for x in window if id(x) not in chunk]
            if not _linearizable(trial, budget, cut=cut, start=start):
                window = trial
            else:
                kept.extend(reads[j:j + size])
        reads = kept
        size = size // 2 if size > 1 else 0
    note = None
    if culprit.op == "GET" and culprit.ret is not None:
        written = set(o.arg for o in ops if o.op == "SET")
        incr = any(o.op == "INCR" for o in ops) and _int(culprit.ret) is not None
        if culprit.ret not in written and not incr:
            note = "the read marked <== returned %r, which no SET on this key wrote" % culprit.ret
    return Violation(key, window, culprit, start if from_any else None, cut, from_any, len(ops), note)


def relevant(ops):
    """Ops that matter to the check: failed ops and unknown reads removed."""
    return [o for o in ops if o.outcome == "ok" or (o.outcome == "unknown" and o.op != "GET")]


def check(history, budget=20_000_000, windows=True):
    """Checks a history (iterable of Op); returns a Result."""
    t0 = time.monotonic()
    res = Result()
    by_key = {}
    for o in history:
        by_key.setdefault(o.key, []).append(o)
    res.keys = len(by_key)
    for key in sorted(by_key, key=str):
        ops = relevant(by_key[key])
        ops.sort(key=lambda o: o.inv)
        res.ops += len(ops)
        try:
            ok = _linearizable(ops, budget)
        except Budget:
            res.ok = False
            res.undecided.append(key)
            continue
        if not ok:
            res.ok = False
            if windows:
                try:
                    res.violations.append(_window(key, ops, budget))
                except Budget:
                    res.undecided.append(key)
            else:
                res.violations.append(Violation(key, ops, None, None, INF, False, len(ops)))
    res.seconds = time.monotonic() - t0
    return res


def load(path):
    with open(path) as f:
        return [Op.from_json(json.loads(line)) for line in f if line.strip()]


def save(history, path):
    with open(path, "w") as f:
        for o in history:
            f.write(json.dumps(o.to_json()) + "\n")


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-3:][0], file=sys.stderr)
        print("usage: linearize.py HISTORY.jsonl", file=sys.stderr)
        return 2
    h = load(argv[1])
    origin = min((o.inv for o in h), default=0.0)
    r = check(h)
    print(r.text(origin))
    return 0 if r.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
