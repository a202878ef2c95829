r"""Search for shattering witnesses with more than ``L + 2`` points (MATH.md §4, "room to go beyond").

The networks searched are **fold chains** (MATH.md §2.2, exactly what
:func:`lnnet_construct.fold.fold_network` builds): project onto a direction
``w``, fold ``k <= L`` times, read a threshold.  On a line a fold at ``c``
orders the values by their distance to ``c`` (``h`` only changes the scale
of the new values, not their order), so for a fixed set of values the fold
is determined combinatorially by the *cell* of ``c`` between consecutive
critical points (the values and their pairwise midpoints).  For each
labelling the search is a depth-first search over (cell, ``h``-choice)
pairs per layer, in order of fewest label runs after the fold, pruned by the
run bound below; in ``R^2`` it also tries one direction per cell of the
arrangement of directions orthogonal to point differences.

**Run bound (ours, elementary).**  On a line each fold layer's scalar map has
at most one turning point (``proofs/ln-one-stationary.md``), so after ``k``
folds the read-out scalar has at most ``2^k`` monotone pieces and a threshold
can change sign at most ``2^k`` times.  Hence ``k`` folds can finish a
labelling only if it has at most ``2^k + 1`` runs, and fold chains of depth
``L`` shatter at most ``2^L + 1`` points of a line.  This is the registered
theorem ``fold-chain-sign-changes`` (``proofs/fold-chain-sign-changes.md``;
``lnnet check fold-chain-sign-changes`` also certifies that the shipped
witnesses reach ``2^L + 1`` for ``L <= 3``).  General width-3 LN-Nets
obey the same bound at ``eps = 0`` for every ``L`` and at every ``eps`` for
``L <= 2`` (theorem ``vc-line-width3``).

Each found point set is shipped below as exact coordinates plus, per
labelling with last label 0, its choices (direction index, then
``cell.h-index`` per fold); :func:`known_witness` replays the choices (the
same deterministic float planning), builds the networks and returns the
witness, which :func:`lnnet_construct.theory.vc.shatter` certifies.  The
complement labelling uses the same folds with the read-out flipped.

Examples
--------
>>> from lnnet_construct.theory.vc import verify_witness
>>> w = known_witness(2, 1)
>>> w.n_points, len(w.labellings)
(5, 32)
>>> verify_witness(w).status
'certified'
"""

from __future__ import annotations

import base64
import functools
import math
import random
import time
import zlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..errors import ConstructionError, InputError
from ..io.witness import Labelling, Witness
from ..numbers import format_number, parse_number
from .vc import (CLASSES, _complement_readout, _threshold_readout, all_labellings, fold_specs,
                 simplest_between, verify_witness)

__all__ = [
    "H_FACTORS",
    "plan_labelling",
    "replay_plan",
    "candidate_directions",
    "search_point_set",
    "search",
    "SearchResult",
    "known_witness",
    "known_sizes",
    "KNOWN",
    "encode_entry",
]

#: The search stops at this many points: a witness has 2^N networks (2^14 = 16,384, like the
#: L = 12 baseline).
MAX_POINTS = 14

#: ``h`` of a fold, as a multiple of the largest distance to its centre.
H_FACTORS = (Fraction(1, 4), Fraction(1, 2), Fraction(1), Fraction(2))
_S6 = 3.0 * math.sqrt(6.0)


# ----------------------------------------------------------------------------- deterministic float planning


def _fold(vals: np.ndarray, c: Fraction, h: Fraction) -> np.ndarray:
    """The fold ``6h / sqrt((2(t-c)^2 + 6h^2)/3)`` in float64 (planning only; eps = 0)."""
    d = (vals - float(c)) / float(h)
    return _S6 / np.sqrt(d * d + 3.0)


def _critical(vals: np.ndarray) -> np.ndarray:
    """Sorted critical points of a fold centre (values and pairwise midpoints), near-equal ones merged."""
    n = len(vals)
    iu = np.triu_indices(n, 1)
    crit = np.sort(np.concatenate([vals, (vals[iu[0]] + vals[iu[1]]) / 2]))
    tol = 1e-12 * (1.0 + float(np.max(np.abs(vals))))
    keep = np.concatenate([[True], np.diff(crit) > tol])
    return crit[keep]


def _choose_c(lo: float, hi: float) -> Fraction:
    """A simple rational in the middle third of the open cell ``(lo, hi)``."""
    third = (hi - lo) / 3
    return simplest_between(Fraction(lo + third), Fraction(hi - third))


def _choose_h(dmax: float, factor: Fraction) -> Fraction:
    target = float(factor) * dmax
    return simplest_between(Fraction(0.9 * target), Fraction(1.1 * target))


def _runs_rows(labs: np.ndarray) -> np.ndarray:
    return 1 + np.count_nonzero(labs[:, 1:] != labs[:, :-1], axis=1)


class _Budget:
    def __init__(self, nodes: int):
        self.left = nodes

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


class _Node:
    """Values after a sequence of folds, with the label-independent work of the next fold cached.

    The tree of nodes is shared by all labellings planned on the same
    initial values, so the top folds (common to many labellings) are
    computed once.
    """

    __slots__ = ("vals", "order", "crit", "o", "ds", "kids", "fold")

    def __init__(self, vals: np.ndarray, fold=None):
        self.vals = vals
        self.order = np.argsort(vals, kind="stable")
        self.crit = None
        self.kids: dict = {}
        self.fold = fold  # the (c, h) that produced this node

    def expand(self):
        if self.crit is None:
            self.crit = _critical(self.vals)
            mids = (self.crit[1:] + self.crit[:-1]) / 2
            dist = np.abs(self.vals[None, :] - mids[:, None])
            self.o = np.argsort(dist, axis=1, kind="stable")
            self.ds = np.take_along_axis(dist, self.o, axis=1)

    def child(self, ci: int, hi: int) -> "_Node":
        kid = self.kids.get((ci, hi))
        if kid is None:
            self.expand()
            if not 0 <= ci < len(self.crit) - 1 or not 0 <= hi < len(H_FACTORS):
                raise ConstructionError(f"stored choice ({ci}, {hi}) is out of range")
            c = _choose_c(self.crit[ci], self.crit[ci + 1])
            h = _choose_h(float(np.max(np.abs(self.vals - float(c)))), H_FACTORS[hi])
            kid = self.kids[(ci, hi)] = _Node(_fold(self.vals, c, h), (c, h))
        return kid


def _runs_at(node: _Node, labels: np.ndarray) -> int:
    lab = labels[node.order]
    return 1 + int(np.count_nonzero(lab[1:] != lab[:-1]))


def _candidate_cells(node: _Node, labels: np.ndarray, k: int, r: int) -> np.ndarray:
    """Cells of the next fold centre that can still finish in ``k`` folds, best first.

    A cell qualifies if the fold lowers the number of runs ``r`` and leaves at
    most ``2^(k-1) + 1`` (the run bound); the order is fewest runs, then
    largest relative gap between neighbours with different labels.
    """
    node.expand()
    labs = labels[node.o]
    diff = labs[:, 1:] != labs[:, :-1]
    runs = 1 + np.count_nonzero(diff, axis=1)
    idx = np.nonzero((runs < r) & (runs <= 2 ** (k - 1) + 1))[0]
    if idx.size == 0:
        return idx
    ds = node.ds[idx]
    gaps = np.where(diff[idx], np.diff(ds, axis=1), np.inf).min(axis=1) / np.maximum(ds[:, -1], 1e-300)
    return idx[np.lexsort((-gaps, runs[idx]))]


def _dfs(node: _Node, labels: np.ndarray, k: int, budget: _Budget):
    """Choices ``[(rank, h_index), ...]`` finishing ``labels`` in at most ``k`` folds, or None.

    ``rank`` is the position of the chosen cell in :func:`_candidate_cells`
    (mostly 0), which is what makes the shipped plans compress well.
    """
    r = _runs_at(node, labels)
    if r <= 2:
        return []
    if k == 0 or r > 2**k + 1 or not budget.take():
        return None
    for rank, ci in enumerate(_candidate_cells(node, labels, k, r)):
        for hi in range(len(H_FACTORS) if k > 1 else 1):
            res = _dfs(node.child(int(ci), hi), labels, k - 1, budget)
            if res is not None:
                return [(rank, hi)] + res
            if budget.left < 0:
                return None
    return None


def _root(ts) -> _Node:
    return _Node(np.array([float(t) for t in ts]))


def replay_plan(ts: Sequence, labels: Sequence[int], choices, depth: int, *, root: _Node | None = None) -> tuple:
    """Exact folds and read-out of stored choices on 1-D values ``ts`` (Fractions).

    ``choices`` are ``(rank, h_index)`` pairs as returned by
    :func:`plan_labelling` with the same ``depth``.  Returns
    ``(folds, readout)`` for :func:`lnnet_construct.theory.vc.fold_specs`.
    ``root`` (from an earlier call on the same values) shares the work of
    common fold prefixes.

    >>> folds, readout = replay_plan([0, 1, 2], [0, 1, 0], [(0, 0)], 1)
    >>> len(folds), readout[0], 0 < folds[0][0] < 2     # one fold, centred between the 0s
    (1, 'sign', True)
    """
    node = root if root is not None else _root(ts)
    lab = np.asarray(labels, dtype=np.int64)
    folds = []
    for j, (rank, hi) in enumerate(choices):
        cells = _candidate_cells(node, lab, depth - j, _runs_at(node, lab))
        if not 0 <= rank < len(cells) or not 0 <= hi < len(H_FACTORS):
            raise ConstructionError(f"stored choice ({rank}, {hi}) is out of range")
        node = node.child(int(cells[rank]), hi)
        folds.append(node.fold)
    return folds, _threshold_readout(list(node.vals), list(labels))


def plan_labelling(ts: Sequence, labels: Sequence[int], depth: int, *, node_budget: int = 20_000,
                   root: _Node | None = None):
    """Search fold choices finishing ``labels`` on 1-D values ``ts`` in at most ``depth`` folds.

    Returns the choices (a list of ``(rank, h_index)``, see :func:`replay_plan`) or None.

    >>> plan_labelling([0, 1, 2, 3, 4], [0, 1, 0, 1, 0], 2) is not None
    True
    >>> plan_labelling([0, 1, 2, 3, 4, 5], [0, 1, 0, 1, 0, 1], 2) is None   # 6 runs > 2^2 + 1
    True
    """
    node = root if root is not None else _root(ts)
    return _dfs(node, np.asarray(labels, dtype=np.int64), depth, _Budget(node_budget))


# ----------------------------------------------------------------------------- directions in R^d


def candidate_directions(points) -> list:
    """Rational directions, one per cell of the arrangement of directions ``⊥ (x_i - x_j)`` (``R^1``, ``R^2``).

    In ``R^1`` the only direction is ``(1,)``.  In ``R^2`` the projections
    of the points onto each returned direction are pairwise distinct
    (checked exactly) and every order of the projections that a direction
    can induce is represented once, up to reversal.

    >>> ws = candidate_directions([(0, 0), (1, 0), (0, 1)])   # 3 points: 3 orders up to reversal
    >>> len(ws), all(len({w[0] * x + w[1] * y for x, y in [(0, 0), (1, 0), (0, 1)]}) == 3 for w in ws)
    (3, True)
    """
    pts = [tuple(Fraction(v) for v in p) for p in points]
    dim = len(pts[0])
    if dim == 1:
        return [(Fraction(1),)]
    if dim != 2:
        raise InputError(f"the search handles dimensions 1 and 2, got {dim}")
    angles = set()
    for i in range(len(pts)):
        for j in range(i + 1, len(pts)):
            dx, dy = float(pts[j][0] - pts[i][0]), float(pts[j][1] - pts[i][1])
            angles.add(round((math.atan2(dy, dx) + math.pi / 2) % math.pi, 13))
    crit = sorted(angles)
    out = []
    for a, b in zip(crit, crit[1:] + [crit[0] + math.pi]):
        third = (b - a) / 3
        w = _rational_direction(a + third, b - third)
        ts = [w[0] * p[0] + w[1] * p[1] for p in pts]
        if len(set(ts)) == len(ts):
            out.append(w)
    return out


def _rational_direction(lo: float, hi: float):
    """A simple rational direction with angle in ``[lo, hi]`` (radians, ``hi - lo < pi/2``)."""
    mid = (lo + hi) / 2
    if abs(math.cos(mid)) >= abs(math.sin(mid)):
        s = simplest_between(Fraction(math.tan(lo)), Fraction(math.tan(hi)))
        sign = 1 if math.cos(mid) > 0 else -1
        return (Fraction(sign), sign * s)
    s = simplest_between(Fraction(1 / math.tan(hi)), Fraction(1 / math.tan(lo)))
    sign = 1 if math.sin(mid) > 0 else -1
    return (sign * s, Fraction(sign))


def _project(points, w) -> list:
    return [sum((a * b for a, b in zip(w, p)), Fraction(0)) for p in points]


# ----------------------------------------------------------------------------- point sets


def _canonical(n: int) -> list:
    """Labellings with last label 0 (their complements share the plan), lexicographic."""
    return [lab for lab in all_labellings(n) if lab[-1] == 0]


def _hard_first(labellings, hard):
    hs = [lab for lab in hard if lab in labellings]
    seen = set(hs)
    return hs + [lab for lab in labellings if lab not in seen]


def search_point_set(points, depth: int, *, node_budget: int = 20_000, deadline: float | None = None,
                     hard: Sequence = ()):
    """Plans for every labelling of ``points`` (last label 0) with at most ``depth`` folds.

    Returns ``(plans, None)`` with ``plans[labels] = (direction_rank, choices)`` (the rank of
    the direction among :func:`candidate_directions` sorted by the runs of ``labels`` along them),
    or ``(None, failing_labels)`` at the first labelling without a plan
    (``hard`` labellings are tried first), or ``(None, None)`` past ``deadline``.
    """
    pts = [tuple(Fraction(v) for v in p) for p in points]
    n = len(pts)
    dirs = candidate_directions(pts)
    proj = [_project(pts, w) for w in dirs]
    perms = _permutations(proj)
    roots: dict = {}
    plans = {}
    for labels in _hard_first(_canonical(n), hard):
        if deadline is not None and time.perf_counter() > deadline:
            return None, None
        lab = np.array(labels)
        # directions with the fewest runs first
        order = _direction_order(perms, lab)
        found = None
        budget = _Budget(node_budget)
        for drank, di in enumerate(order):
            if di not in roots:
                roots[di] = _root(proj[di])
            res = _dfs(roots[di], lab, depth, budget)
            if res is not None:
                found = (drank, res)
                break
            if budget.left < 0:
                break
        if found is None:
            return None, labels
        plans[labels] = found
    return plans, None


def _permutations(proj) -> np.ndarray:
    """Row ``i``: the point indices sorted by their exact projection onto direction ``i``."""
    return np.array([sorted(range(len(ts)), key=ts.__getitem__) for ts in proj], dtype=np.int64)


def _direction_order(perms: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Direction indices by the number of label runs along them (ties: by index)."""
    labs = labels[perms]
    runs = 1 + np.count_nonzero(labs[:, 1:] != labs[:, :-1], axis=1)
    return np.argsort(runs, kind="stable")


def _candidate_sets(n: int, dim: int, rng: random.Random):
    """An endless stream of exact candidate point sets (``name``, points)."""
    k = 0
    while True:
        k += 1
        if dim == 1:
            kind = ("sym", "rand", "gaps")[k % 3]
            if kind == "sym":
                half = sorted(rng.sample(range(1, 1000), n // 2))
                pts = [-x for x in reversed(half)] + ([0] if n % 2 else []) + half
            elif kind == "rand":
                pts = sorted(rng.sample(range(0, 1000), n))
            else:
                acc, pts = 0, []
                for _ in range(n):
                    acc += rng.randint(1, 6)
                    pts.append(acc)
            yield kind, [(Fraction(x),) for x in pts]
        else:
            kind = ("circle", "rand", "sym")[k % 3]
            if kind == "circle":
                angs = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
                pts = {(round(100 * math.cos(a)), round(100 * math.sin(a))) for a in angs}
            elif kind == "rand":
                pts = {(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(n)}
            else:
                half = {(rng.randint(-100, 100), rng.randint(1, 100)) for _ in range(n // 2)}
                pts = half | {(-x, -y) for x, y in half} | ({(0, 0)} if n % 2 else set())
            pts = sorted(pts)
            if len(pts) != n or _has_collinear(pts):
                continue
            yield kind, [(Fraction(x), Fraction(y)) for x, y in pts]


def _has_collinear(pts) -> bool:
    n = len(pts)
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n):
                (ax, ay), (bx, by), (cx, cy) = pts[i], pts[j], pts[k]
                if (bx - ax) * (cy - ay) - (by - ay) * (cx - ax) == 0:
                    return True
    return False


# ----------------------------------------------------------------------------- the search driver


@dataclass
class SearchResult:
    """What :func:`search` found and tried for one ``(depth, dim)``."""

    depth: int
    dim: int
    best_n: int
    points: list | None = None
    plans: dict | None = None
    certified: bool = False
    seconds: float = 0.0
    tried: dict = field(default_factory=dict)  # n -> number of point sets tried
    hardest: dict = field(default_factory=dict)  # n -> a labelling that defeated the last set tried
    node_budget: int = 4_000
    note: str = ""

    def to_json(self) -> dict:
        return {
            "depth": self.depth,
            "dim": self.dim,
            "best_n": self.best_n,
            "baseline_n": self.depth + 2,
            "certified": self.certified,
            "points": None if self.points is None else [[format_number(v) for v in p] for p in self.points],
            "seconds": round(self.seconds, 2),
            "tried": {str(k): v for k, v in self.tried.items()},
            "hardest": {str(k): list(v) for k, v in self.hardest.items()},
            "note": self.note,
        }


def search(depth: int, dim: int, *, budget_s: float = 120.0, seed: int = 0, start_n: int | None = None,
           max_n: int | None = None, node_budget: int = 4_000, certify: bool = True, log=None) -> SearchResult:
    """Search point sets of growing size ``N`` that fold chains of depth ``depth`` shatter.

    Starts at ``N = start_n`` (default ``depth + 3``) and moves to ``N + 1``
    after each success, trying the candidate sets of :func:`_candidate_sets`
    (symmetric, random and random-gap sets on a line; rounded circle, random
    and centrally symmetric sets in the plane) until ``budget_s`` seconds
    have passed.  Every success is certified with
    :func:`lnnet_construct.theory.vc.verify_witness` before it counts.

    Returns
    -------
    SearchResult
        ``best_n`` is ``depth + 2`` (the baseline) when nothing larger was
        found.
    """
    t0 = time.perf_counter()
    deadline = t0 + budget_s
    rng = random.Random(f"vc-search:{depth}:{dim}:{seed}")
    res = SearchResult(depth, dim, depth + 2, node_budget=node_budget)
    n = start_n or depth + 3
    cap = min(max_n or MAX_POINTS, 2**depth + 1 if dim == 1 else MAX_POINTS)
    hard: list = []
    gen = _candidate_sets(n, dim, rng)
    while n <= cap and time.perf_counter() < deadline:
        kind, pts = next(gen)
        res.tried[n] = res.tried.get(n, 0) + 1
        plans, bad = search_point_set(pts, depth, node_budget=node_budget, deadline=deadline, hard=hard)
        if plans is None:
            if bad is not None:
                res.hardest[n] = bad
                if bad not in hard:
                    hard.insert(0, bad)
                    del hard[50:]
            continue
        w = witness_from_plans(depth, pts, plans, meta={"method": "vc-search", "set": kind})
        ok = (not certify) or verify_witness(w).status == "certified"
        if log:
            log(f"  depth {depth} dim {dim}: N = {n} {'certified' if ok else 'NOT certified'} ({kind}, "
                f"{res.tried[n]} sets, {time.perf_counter() - t0:.1f}s)")
        if ok:
            res.best_n, res.points, res.plans, res.certified = n, pts, plans, certify
            n += 1
            hard = []
            gen = _candidate_sets(n, dim, rng)
    res.seconds = time.perf_counter() - t0
    return res


def witness_from_plans(depth: int, points, plans: dict, *, meta=None) -> Witness:
    """Rebuild the witness of stored plans (``plans[labels] = (direction_rank, choices)``, last label 0)."""
    pts = [tuple(Fraction(v) for v in p) for p in points]
    n = len(pts)
    dirs = candidate_directions(pts)
    proj = [_project(pts, w) for w in dirs]
    perms = _permutations(proj)
    roots: dict = {}
    built = {}
    for labels, (drank, choices) in plans.items():
        order = _direction_order(perms, np.asarray(labels, dtype=np.int64))
        if not 0 <= drank < len(order):
            raise ConstructionError(f"stored direction rank {drank} is out of range")
        di = int(order[drank])
        if di not in roots:
            roots[di] = _root(proj[di])
        folds, readout = replay_plan(None, labels, choices, depth, root=roots[di])
        if len(folds) > depth:
            raise ConstructionError(f"a stored plan has {len(folds)} folds, more than {depth}")
        built[labels] = (dirs[di], folds, readout)
    labellings = []
    net_meta = {"method": "vc-search"}
    for labels in all_labellings(n):
        if labels[-1] == 0:
            w, folds, readout = built[labels]
        else:
            w, folds, readout = built[tuple(1 - v for v in labels)]
            readout = _complement_readout(readout)
        specs = fold_specs(w, folds, readout)
        labellings.append(Labelling(labels, layers=specs, input_dim=len(w), classes=CLASSES, meta=net_meta))
    meta = dict(meta or {})
    meta.update({"n_points": n, "dim": len(pts[0])})
    return Witness(depth, pts, labellings, meta)


# ----------------------------------------------------------------------------- shipped results


def _varints(values) -> bytes:
    out = bytearray()
    for v in values:
        while True:
            byte, v = v & 0x7F, v >> 7
            out.append(byte | (0x80 if v else 0))
            if not v:
                break
    return bytes(out)


def _read_varints(data: bytes):
    v = shift = 0
    for byte in data:
        v |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            yield v
            v = shift = 0


def encode_entry(points, plans: dict, *, node_budget: int | None = None) -> dict:
    """Compact form of a found witness (what :data:`KNOWN` stores).

    The plans of the labellings with last label 0, in lexicographic order,
    as varints ``direction rank, folds, 4*rank + h_index, ...``, zlib-compressed
    and base85-encoded.
    """
    n = len(points)
    ints = []
    for labels in _canonical(n):
        di, choices = plans[labels]
        ints += [di, len(choices)] + [4 * c + h for c, h in choices]
    blob = base64.b85encode(zlib.compress(_varints(ints), 9)).decode("ascii")
    entry = {"points": [[format_number(v) for v in p] for p in points], "plans": blob}
    if node_budget is not None:
        entry["node_budget"] = node_budget
    return entry


def _decode_plans(n: int, blob: str) -> dict:
    ints = list(_read_varints(zlib.decompress(base64.b85decode(blob))))
    plans, pos = {}, 0
    for labels in _canonical(n):
        di, nf = ints[pos], ints[pos + 1]
        choices = [(v // 4, v % 4) for v in ints[pos + 2:pos + 2 + nf]]
        plans[labels] = (di, choices)
        pos += 2 + nf
    if pos != len(ints):
        raise ConstructionError("stored plans do not match the number of labellings")
    return plans


def known_sizes() -> dict:
    """``{(depth, dim): N}`` of the shipped witnesses.

    >>> known_sizes()[(3, 1)]
    9
    """
    return {key: len(entry["points"]) for key, entry in KNOWN.items()}


@functools.lru_cache(maxsize=8)
def _rebuild(key) -> Witness:
    L, d = key
    entry = KNOWN[key]
    pts = [tuple(parse_number(v) for v in p) for p in entry["points"]]
    plans = _decode_plans(len(pts), "".join(entry["plans"]))
    return witness_from_plans(L, pts, plans, meta={"method": "vc-search", "found_for": [L, d],
                                                   "construction": "fold chains found by search (vc_search.py)"})


def known_witness(depth: int, dim: int, *, max_points: int | None = None) -> Witness | None:
    """The largest shipped witness usable for ``(depth, dim)``, rebuilt from its plans (not certified here).

    A witness found for a smaller depth is also one for ``depth`` (its
    networks have fewer layers), and one found in ``R^1`` embeds in
    ``R^dim`` along the first axis.  Returns None if none is usable.
    Rebuilt witnesses are cached per process.
    """
    usable = sorted(((len(e["points"]), key) for key, e in KNOWN.items()
                     if key[0] <= depth and key[1] <= dim and (max_points is None or len(e["points"]) <= max_points)),
                    reverse=True)
    for _n, key in usable:
        try:
            w = _rebuild(key)
        except ConstructionError:  # a replay that does not reproduce: fall back to a smaller one
            continue
        if key != (depth, dim):
            w = _embed(w, depth, dim)
        return w
    return None


def _embed(w: Witness, depth: int, dim: int) -> Witness:
    """The same witness with the depth bound ``depth`` and points padded with zeros to ``R^dim``."""
    d0 = w.dim
    pts = [tuple(p) + (Fraction(0),) * (dim - d0) for p in w.points]
    labellings = []
    for lab in w.labellings:
        specs = list(lab.layer_specs())
        kind, weight, bias = specs[0]
        specs[0] = (kind, tuple(tuple(r) + (Fraction(0),) * (dim - d0) for r in weight), bias)
        labellings.append(Labelling(lab.labels, layers=tuple(specs), input_dim=dim, classes=lab.classes,
                                    meta={"method": "vc-search"}))
    meta = dict(w.meta)
    meta["dim"] = dim
    return Witness(depth, pts, labellings, meta)


#: Shipped search results: ``KNOWN[(depth, dim)] = {"points", "node_budget", "plans"}`` (the plans
#: encoded by :func:`encode_entry`; written by ``benchmarks/vc_search.py --emit-known``).  Each is
#: rebuilt and re-certified whenever :func:`lnnet_construct.theory.vc.shatter` uses it.
KNOWN: dict = {
    (1, 2): {
        "points": [
            ["14", "95"], ["28", "27"], ["35", "100"], ["46", "55"], ["53", "63"],
            ["61", "20"],
        ],
        "node_budget": 4000,
        "plans": (
            "c-muN00KrZg0c_-Xb6P~1B|Ey0{{a201*"
        ),
    },
    (2, 1): {
        "points": [
            ["25"], ["34"], ["192"], ["481"], ["500"],
        ],
        "node_budget": 4000,
        "plans": (
            "c-muNU|>W-Objp<gbl+mk^uk#zW@;"
        ),
    },
    (2, 2): {
        "points": [
            ["-86", "-2"], ["-50", "-44"], ["-32", "24"], ["-12", "82"], ["-1", "79"],
            ["1", "-79"], ["12", "-82"], ["32", "-24"], ["50", "44"], ["86", "2"],
        ],
        "node_budget": 4000,
        "plans": (
            "c-pO03lhaJ1VnoOGru>@XNX1GX{IU(iLfC055B+2!F2r8w&(>|t4oHcGf}HaOUOc-8TM9$5+P*Hj=Dq3pAgp!s}d"
            "Ey?f%7D5T)EL0M@%$Sj@unmzSo%0TaQq({mvZc1IGEeR;uz>0WaY*rW=Mvhx52iDao;6+Jo}<Yev2m(_Umv_MQ*h"
            "Llx_3Y_hHRY^h&6P{Pc+*JYoj05|kv4PgpT+nupU0v?)Zr0T%wtq#M9$sVA#C%4PMr79b0YrQQ6a"
        ),
    },
    (3, 1): {
        "points": [
            ["82"], ["131"], ["302"], ["335"], ["406"], ["624"], ["664"], ["840"], ["882"],
        ],
        "node_budget": 4000,
        "plans": (
            "c-p;CTMED+3`;wIcmL~7HUu|ATdfQ<^ciCSNOu&Uq}`exV9mQa2GMng#s-T=Ga{60@Jod#Ex8ZLw5EV9<3{I9!Wd"
            "(Q!A7bFghcL>tIGEKbpEeK;uP;zLtOAJ0$l"
        ),
    },
    (3, 2): {
        "points": [
            ["-74", "100"], ["-73", "-8"], ["-50", "99"], ["-41", "76"], ["-15", "-73"],
            ["-10", "91"], ["-1", "67"], ["1", "-67"], ["10", "-91"], ["15", "73"],
            ["41", "-76"], ["50", "-99"], ["73", "8"], ["74", "-100"],
        ],
        "node_budget": 4000,
        "plans": (
            "c-pmH$!;S@63vLLqS$J->~08c888gNn1c_7ul@-i<~aZVB?GcpOJv6KBB^e)D5_Yj$|cqpOO<l_NAmyu5Q|@QKYB"
            "c{{pYg(ka>psYyGL$-?hjKk$1U)8-in5$Fsko=7aF-%>Zv-l9#OFE}0SN8>0^Ceu)#y-~JM)GhX(Gj(^63)>h+o4"
            "KDg!<4ar*Qnz;A{3$Wr?57;fR?OPkZTIr(P8%da+6wM3>zc&Np}kOhbCN5hlR57<x1>kN<;_4^z6wr@Npzv95=_3"
            "oO|bf$8;-i7s>EYuCCKF>QY2A*xxP&L_OibO0MqVoYB-W&Gn;bO!>geX3|}eWTfZG1MFZoA)+d&K9)FOf+xULbO`"
            "%R4iyv>QJ~^;`D(B`;jz|pzQ+F!0)bNmuh(_Xn%N#q*MDOUnm^;);{HK;kREwm$90hl^CTJX@`m`L{1@N?<#fP(s"
            "GbG8!z*s{4zPwx6sM;zZy)r&6HZy6I)7ihKHK1_Bgeu95p~f-e#8M^F?}L&#$w<ib>!p-)O^BIgUoZEU_FGdlruy"
            "0~&uhSQj7*sAzxc)n{roACo7kEn;|!^dR1a%piwPUVa+vHh$zOxO7y?A?3Eon+<t8vDTaMb&O*?^Nw{^daq6@OF*"
            "yeC%4H*5C$(?X4avFj$ESOFmIVP27Xz=PShn9$3riAER<c{y`C_)V*al?|{*RRZ*l0GkQ=FOg2*R~}^>Zn-!<_FB"
            "Qdb~9U3*4ADCW%mJ_^NDqH0$`jP>xZ4xEHPbMy_xI*roX)M>Q!b<9nn)ZO?Gbfaxc4LG?dkmth2PIU2+DcGiG}<_"
            "UMi8c1St11^&z9}!!^x)<%jCK5>Sj29-Yd5ckyz{~codSWNFE7W{;?vB^Qa0Tt+duG8FF1@j#gO+#S8e>5dg8U<C"
            "^>-nKs0GM6!9&TYKx?tms!GxLh>ITQZa(^50-P^YQ#8s@&i8>gWLko+N8WJAb4mp&G^cx#PIui*mb*p7fog65hN+"
            "ito=&ZnK>6n=Fjr%HaYwZ&39}#v1p)Lznz=$Ap-h+=Pbdlr310wf(KnM|cMt^?6(PE7m|sw>PAC=-9wHqVNE&4+D"
            "0;#X{xYOq?;7+!4_qMx58l&CEk#7pSyesj1sy(PI7bF5&f}Tc(Xi*+Ao!E+LBbRI0KCOYaHt)yLfR1ud`J&VW!$c"
            "EVpy;P;>N{86O(M&>_v|tXSt*W0a>KunGbjQLj^WMP^s_g6+)c*z=>0jR4@Ps#}#maXAV0AvB}r*cqT|mIx7gWb{"
            "-jtdGc|ltegEFfn85nQMon9Se37v97103mV8%Lh&xgeDSC+%1r#X4;rNLD2|SN7`mdjnm^3*nNRfHiq+Mtl*0rWJ"
            "ez6yY0=YRUX+vzlosp2ET#(01cwp1ZCrAmBufyfY32>I=Q38X5>><RkWHeXB$<m?>OzG;7Da|#e%ayi75r8^zDRL"
            "AqsoH-u@(^0*!+(F&8yZkW-1#Cxs<L_N^_@KLdW6FrqaAp{d|*ApbED#gcfUz-_1hY^WjL7V=}xxeNn=)$7VUf&h"
            "b{*?nHsuzZ}0g%9?b6%z_D-1G?1&ZCO*%#L75oO(DK-yk_uj2V&*1jICJ25ibJd^R%1^o%5&{vQfve{ft=ZDWnxf"
            "+ySl=MjLatjBXE%ej)-_A3m#Jlg!xa#&e9M$g}hFgydQ!96t?b^k5&RsEmii+oslGQ^BR^ff@h6F+9UFu(P%C-#c"
            "_CUd{8i`hJ!BEk09O%g-R-N9&sfcLe}^I*tyrEVX);NfE5MVkO6*R5M<&(!G-JqrRcv2DTcNjjvM8Hs}%XQN2gvd"
            "XSU<CgZ}3>$XXk}l19hcj6rbZxyqRcSg^6lYGej+O2lRTNdZ(&R>;ZE%+C3bP%0wvG1UXu2?#fFc_Ycklw<OdNLC"
            "tAgOc(el15|5&u=ke08Tv^<{^0-a1L36e|m^^K;zr@J=xbFnRz~hbU#qGFd+OrUZk8Lx>d;Vp0QzO5o^2$PXTf!M"
            "E&1}0X!Cy#mtjmvKftgo?RqX6ywa3gw&^mvYMi<59^x)?r<n%2;adGi<%P(Dn<!$j{NRn&xluuh0<!Q+X$dDye4S"
            "WNy=RTw|XizKhkqcn@f!ZIkL-$`7LPB{bA$GMc_tCOs{K1R`t-hPi~iAc<YtRnaLNKaRkc*)>I%12@f@xv8+^!kS"
            "Kk??FAvq=&?Q=NGFX%k_?w9b{D5m%2L&ofMf$E20a;S>SMSsnHiAP-p)WdQnc9uln8`w*_wK#7%6iaN)pYNq}xSY"
            "dHb5$f^!<ws0_p{b_1}Q1{?8@Q%(fKXoGdk{WX5glp#5G{iy&o<A#J8FmIsk#uolyv^=keo(obA%xSxCXWRsULwi"
            "L@)(LC<yqh-vDW9bs;&pJ~vB^KXHF8++>L+*%%Uu4KNw^%Z@H5D19KA-Is#@pZ@?Z7O{&)<y@cP3fIP~wL6=lldd"
            "_78G-sLg*B@@ceNt2<VNwkn2IVoA4ZE5s|p(Q2Xx7~!4=^HzI@w62d-lB1!Q&R<Bj9Y{y?0Y|<X;r1fng++1f|W4"
            "c&oM5xfBMwqa%@C1!|tJtID$qFt10B%8WuDJU}vKhSMhrU{(frgtf{krC~*rgyo}-)QvzSYgKYH^Y#^AZ;6wHff="
            "kX>KmWzt17Jn8NX(0xoqMGpu55wH1JO0>D}T#BFF7ltj1g=a${#2WPjp}bpv(u`A0^Y+a>%2L@x86AI8Y)77Ccx#"
            "9*9Bt=zGG&)j^P;z?qs<?msunX^LDnHe<QejECGF6kc-~hQx_B@x}D9Ja%XN?1jMgU_61zL`{DhGDaQ-U6m6qLUz"
            "S{97xF$Jw~0#_lw1$y6{*zT04vR6uN9r-R>{Fquy2%YI*sy8yESd<&90zHJ=0;-RTi!cUNaDN#fGtapMgmY@i&$!"
            "c(abAJJ%rJNKG(ny~XA682Ya)UbN^$Tl;BKo6R*i6wo>?|$mTYI6s4m;R)So`MvM9?n>A-Q_9<L_5C2=SPq!w4wy"
            "QhSy;Eail%yZe>?JcGZ-6nH7CN<_g$pAOYb>xBBr0GfGCk+jU$8-d_!hdwwVgpX;9ya!jJVfgVKNd#%&G4>Tspt+"
            "Wm@<8Gm~@+576S(-0U&7s{iwRHSp#<3;;q-j6GO{3i<t%@2*p-uLVDu(~`N5-kmM+(g*H^X_IL5E^OV_{=e2dII;"
            "X+{5m$*$J31Jd+DY29m%i%K39iw#%&h~F0_CKCcHb;wD7Bj6@Ro4CX(a6kcWYZ%h=T?P$>UPN3TwBB(PP^sw{7%)"
            "ER!KC7B^40_0XI2P}Bp6Wpa^T(bhz7+27@0Atw`9?R^}_YPD}X;%4PY(idou3wZ&B)G*~kX`AVm5lID`7q>!Ic8x"
            "f<9ucs^(@oqmgBbD4P+y4A16==`Z_R2*&Jum1OMFQ2;!SrH>@W>{<TAqmHbYZvUSnN3!1SZ~o{wS@tY&B<-TTkS3"
            "nr}|esJSkXDJQwU1$U0dy*wh(5RLq`u$K@Vc<(oL@AETzHeMaeHQy!M1U6R|oaqu3{jBOdt$dy9I2cqYo1qrUVbd"
            "+SxVpYQ%&2qfvAx!Jcw;}u#F|A2^xPZ+AKdkAD(G5x+j9XHY2*y%=;~hz-#@d_sof?<7n_qC0v{T*SI9}Y}<T|k4"
            "ih<P<k9eK1CN#w^+H;efT-pDZ*oUcL-HZ+iP?NjoUr}3s_H6wxCb6DdZFv?-?156QD%DFWVPZ3BF8h`#MosGr(;<"
            "4qilyF<vqJn#%^T9<xp-_bD)u9@{`OF8Pfbj7PCY(BTb+dW!un`ym&WcrnF#9gLO^|2zK=sSkO{jw)Tuy=O;Xa!I"
            "IP{EOtza{I_2TF04QkTo%yzDU{^mJpE-lTwJizOcc*lHoCYb)wh5YvYO>!#KXa)m^+=iS;~S_kQk7t?;_R>LSA-5"
            "~qJG69MjmW9!y@D5gN)Pa^vN?wNp+V?fjerAq#HWvapGHVNw^#XWriY#&uR}5Dr&>DnAwgpuV(umZPv?WeO}MngZ"
            "ML6898+|2|u?GfcnHC?@4dhQEbQNxLus=M$kY&ed2q#N$Xe7os~7KEwW;i;Vnw=`m2b(ICBvtdHv4M2h-!%Wa6v<"
            "YFM=zWrdt+6V&!HHPzdrd&1n*y$Ok@>rpzdG`I}V%agPil)JW3HJxxjCnAi8KOqCg8q73mzZ`y^4CC*!vOJBKysY"
            ")VI<Pr58NYow8?IJCb1Df6K1^N*65i5Bdc$4O$>Tw^!R9-<ZJ|C1F1E-x3e%q<6NNj>#bQ8b(W3lz5l%2>pfbPXU"
            "ohOIQhc$CY=nSO+PR^CAU^et<j6rqoDsUVj~>qGzAj&?nC7YfOZNR>GhIk|h+jy!WRe`W=+|@Y<VJ1Ti?szIxeW&"
            "=@mW}LQ=lt60*DFwx%Q90Vm)jkU;5sIJ`n^loGz-l&Fx8S{W+r=i%o;4&2)G=XqKb*GKu@n2}oh*?OAZWK0kTJ?c"
            "e_a<TG7M"
        ),
    },
    (4, 1): {
        "points": [
            ["-875"], ["-858"], ["-725"], ["-666"], ["-508"], ["-500"], ["-222"], ["222"],
            ["500"], ["508"], ["666"], ["725"], ["858"], ["875"],
        ],
        "node_budget": 4000,
        "plans": (
            "c-rk<+m7Ql5@i)BTXxHR@wjJt5(k)vPBOtxkX;}Td0pfK_A~bX|6n(!+$yoE$RZ`r2G{_J;8D{wMHUaMP90LtIUx"
            "U`Oa5{F|G)qAPW$5@|6l$}O1FRc?Z$MGejq90p<L#VJG)#vf-^LP7m9b{)jM+Id45|g%c~R~F8PjUzeEba{Nvk`i"
            "{C!84w_0V9lGhMrcd+XWX<usZ?Yp$sLs}5@#7<Jw(`~R*0rGg@>m>a#tE6Sn0bt(QFEj7>^VB6yH+u|u*l>v>Aps"
            "jD-S;kZAaZAI?ZAW-Ju)aw!-l8L!Q6Nr7IgtK7z3YsFtQ*+)j285DSGf&nCje_^~hcZ%1zLv?|Z!YkrOg>E-p0Kc"
            "C)8`m<YqE#ZB1NFFY4;#k0xIt$&F3`rg~D=vct@{Gusn@B-JL4Ui&II-9K^A3e#708Hr><8mOorK;2)4k=LwrzvN"
            "EV5K0<L}Z`1W#O*VY-dBCX82r>J}Tpagc8Il6w`)vfJjNGhDEyQsc_zT?QwcK2{o+?dsoVki{NCAYY=U1R{cEov@"
            "lKEO^3xrF!bk|GHkYNrY_4C%4HQev}LXB^w<i>m3LhTL8Eizo<_>C}_)l0Wi9|fF`r|6HNV&QP@il@o>2+*qk`CK"
            "@3a-79rRxHBa*mUaT!<lQ&&r$FYvp4pQXw_R&jmD_gfQ^&50cm9eqxQp~=x$r)g|MmEH*#!g)}?44aZOIfUSRE=&"
            "8pm`nagJm^rcUfOqGs9H&)%N7QXlP9?tHo-pK4v<SMt-1ibf2c%cQtScH-XDLQ;bcfO@-511@N**EH`?xJortn_g"
            "=nztYlBj&S)+eN4t}Wy}1G8Bl>bvOV{rS;%VNQ$c<dRP?)2-!~n^)mxE!u$!XUM?J~Nc{!_h)j@M17n*c9`xk(lx"
            "*^P=FN)rTLjtw(*a+vBp)tdA=(<Ivk7L419U4uq?kVZ+!A|?&Cd~)?#EE6rmi5_MxG=e;5@(mWQC;9#(q%9t)SL)"
            "}czRxw}ByFgegq5A|_^ijJPi?rG=x*1tcu<Q4l#CbdmZP^@U^m_{HkeTJ^t<asd99XS$D?7lY&kIkxOrVe9mpusb"
            "#26&=s-g;K${Y8*u>(?<bq!*3A@t>n5^YsP$RZ>=NW=@6B4`R!?`x!E7onH=x1~<rqRhsi|<NCkoo<y+_Pm5A)CA"
            "0%8t=q8y-_r%Q*Z<R#VJ*2V;ABrF_{Qx}gphS@r0eDck6)^jYr(L|=Wp(_qYn($Bh?c)2hG+Eb!LNJsl4r_^MDLT"
            "h$X!`;4!&q~kb*xsScAhRXi8y4gmA`RUQAUL-&rTHry)bRY;Z!r0h8rD#-45Dk7&98W|liiz2fUg`0W~w#!x-q|4"
            "Dqb_Oo*i0f(H!NCc3b5$`wI5g2BZQvxeEOoDguJOKA%#{0eiVZtdT90@Y1d!ED5z-&et$gc`bsj%n(Dm5cw)n#IQ"
            "KxB2AYS`B!Iwv&BozM$}2_k%mKk+0vZu>-DfiJ10Y*+99M3Fc`Xmd%R6m7p?$urj)WuB<|T%#_~I#5XpH8*<e!mx"
            "oXnjW4pmZRq?LPzJ02~ap_<lLACGv;?ZE;btFkOiJY%ESSrq<SxhyJIr_V45JRp7Q9}@mlLgoFECZPi-M!?R*<Iw"
            "DNR6mZ$kRJSI=aV9L}_WhFrxsO7k#<^KHu6fm4CV1d8U6INUG#43yj{kNRF@sq)ap{lmq>nWdq)<Mhm;td?)u`gQ"
            "jcoUNM-w0racrx@JIbDE`vos6cA%&D?N>qoNW@KIueL#rfQxH+m>b4Q!Uiib%2-X9X??usZ@FzY~B7q5x|wDJ1tW"
            "<?$7yfNePu0jq-fmOUpD2)$!ZLi~|2%f3zTM;M>|mDca4hXC3JuXKsBD1guA{=7T})%DlqjeKp|uv4I%Ibi*e>m-"
            "+Ryrf8Pqx|l3IygWEc6N<PU4m*c!Mne-GYT2w)zfrtN6aLU`yl^HT$5w{F|QUsM<H6QKXMYku*n7T<ce7uI*FnKH"
            "D=d0sb$0|hNr1HF_MV(y^l^^AhTjftqMs_b1XydcXYm;Z{~_o7sp<HDDr^zwXd-WP7Xz)iYb5$Xv?7=s27i^7Z1t"
            "|56tVwAq5jYyJiuCLNHM52MVOqQZ&o@M#Ozc@fA6?F^nIl-W^-Z9!cEoS<M9d!87dl4EsS|TaaTjg}xK1zhiiB!2"
            "Ww+_T4EM@8uS{SMk2d`n@Y}P2degnN<m3sKIjmL9u&2A7ag)(&3`C7!V`k^>l<T>zF5_&Mt#nxN8X;ku)4Nb<iOD"
            "b~B9U*1w8mMY#P+@;H|3t5}W3LxiQ;4>_S?&`uj3zG^FV6LpS>{^Nq6Y1vu4h{Zu=#aBo_0*ZC!xBPvtkS34Dthq"
            "fJg;JYAd6b9b*$;YhJ`G$gITwX8-`A+Bppr2+DgDgS`+3~PiXX@leVB_^X6$)hj<K&w0cl1Dm6AJXN$#+UeO>XcB"
            "zG!VHTBtPgg>~ldOGg<E18iw-`Ki8*E%4+c-u;p^C4l5PLqb$lS~WM;5!oB^$ee1<Y(5%l}W@FSBklv?yL)Qz-+h"
            "g7*jq>0xvKSr3EkQo|U1`_0jMY`2l)X+VE_sKe&|y)Yd~iH0v!3`Epg+>^7|`Ft5pzPWj@##y);^CYoGxD1$ezKC"
            "Hrzn}rpXog&p6H)6M*LjclgOBEVEvlL2npF5{**ft#_R&rk04rpIeH)-~=iiTR+{T!T=)bSviN!~T-CDEIph5IDM"
            "5~5{6D&D*N#5YQlrN=|>1l9KS`blg=>LI@x#Z4&As-Q$e8E{7LOb2glR3o(dHhlkK?1K&AeCZ+!b$bM@N3SS5`P-"
            "D#X0?;Tk2}mQAM$xE8onQ-{318&i=*}pn8h7q#Zw}ZI%#a$pF}eWl^Q~<k~wBe_Ctlz6P;C=>SYi8MOm1=%bo!_p"
            "B1MXJRXc9M|nq6?-IsVF&d5pSPuWFJo!r=?MItF5(b?D@5@x_#Yg|>Sn@Fr^Jlg0S&A!7B51p2RA64qgpEa^z}&&"
            "x-5=U5*wqxrDkw&yQ?-h?I$4^t#QZPyobcP@TN`_}yHg+^GE}RsZaZ7odT3zL18lFX_UsGWDPc=bNi4SUHD4BbSx"
            "0cBpnukBv-MQ!oGw9WTAvC6O*(zO#u$|QwXc}e6-=78VdAsgt$TYbc4Dz3Sp++slgRk-HOyhMt-K;uYdn!iSmb{}"
            "F{y<p_b@In+<-;4TFo@@6O_`8(B%-{vfVYyOdYM9$9E|i2PGn)cFV@51ewOu5=$zsrrE5!!;j@iYhY^2AjiWqp;E"
            "+UIs^Y17*n<(-};%g?Of`wr;0RJs3Y+$8v`nrj$fM*S#9OV(vl`r{bP-JJd2gy`ANA!^G!S392l))^K8W_z?;CbG"
            "tQJ<>QA^@#IJ<q);dk_UFo4!B!abh<t>RosNiAki5z;SlTYNCIj#@1j1Xq!IOq(=oeB;9S1#1!@*Ao}5?V)bwpY@"
            "BKx+QNk|I#g`SB9HlKL7lZg9<dX+GTLHquk5%pcZj2zDu1I};LKM2JypyCZr3?WN?FZYYfRFSO6*^4EitwQ6JAVk"
            "YIo#ko_qqo8v95h|pzm#M8z(UlFdkYRjK-g%=0uXD+HA;9Andp=%PnSo(+1r?)rl6Kt}nfMlyH)jmZ=QXW1K^9;-"
            "YNNFw!_rCW37^x_1pnxgJt7qLl+F7xt^@Odm02+g*AA3Gjb<Aq$_LiqXO{|<CtY9I9>~MPl&^!or|ZCMJ$W)huX0"
            ">juhY`)29)D2&Z}8DR8NTo;@6zK$`bH-lyOHpT3gwU(D}CY*06m!fBqdq{k&U2n|ZO&=Q?X`#KOE1taEFfbzvd!3"
            "Nt4-UFYlM#JzXI)>SVSZd@~@u$is&<0dL?>&V?C<Dz~8bxywJd+nY`8K30ivr5aE9TN2^{@W#6QaFtmxYJKp5STJ"
            ";;4}I=sXUqP_Dw&tjSauOh56&z79rdI@z?jRybIYcT+xN&i97jcXM=M{KgY-ISO;Gymg{Z~WI5vv({j9$P=v7a)Z"
            "Yf~<wAOm;)@+jrXHD)k=Ul&iTvcZ|Bc3J!1QjA{`IJIEmfeQD@)a2nm4l@ANO+gJJJn1Ry|*~#%4aGuFRg%h~vhZ"
            "e=zIk-LD1QG#5Uk*bv{Pw^OWtG#|b}r&GF_n&HtfTNFs%n>`6-DUX{oV{-x};WaiNn60p*2LW=EodU>~?1qZAzPZ"
            "eq&86Em!yB`AH3uRMpz)+;&4VKC-)oY!gIxYw4ptYF|8V*IbouMY%k_v;fN>;kJCaTJ)U4vE8_^qoCMlZ_WOpzUl"
            "i6N=cicxzzWa{UzbD^1lF#o#uCE-MQWp2DCurEyJHg$GE4cv`Gbqyq($#zHfQUHn5@)jd{A;@Rd0YbG=gUyz`{_D"
            "PkuCX5Ff=X}JH~6w>LkAsrx(@qjpYw%$$WU=Cnt-qY5Z}wq&sN{f%i&Of>X>w9X%Sp&(4i%IWJ8mVSXjo7uhoj6t"
            "mAxdcP%TuFbEi8(s5qHjV0bs<`jk+*4}iGZ9$tEOO@b1(oxf3>!Vw5sSOSpVE<+pPusTlw<+ze1|*P$1$H5LcJ9v"
            "CJ)N;H{QSaCh)~2=N*il@Q~6hf``xX=!+ANo`5V!o?LReG<9HKGsUle{hUjxJXWX9&ZV-70}_<Qijt-j4+FCAa&y"
            "-bA+Ibcq9v~52#{DZLRhz-FnmMYpBXYcLb)Sx_~Qbu8S5r>k+dnrCrOv3*;%}@RjS{S*yW&fKb`ZNelq%l%NhOb*"
            "oAu%rD4^aZDgEfnw@VJ&K>^ibaJiwR6k+Ma>pXq&PgXoV<o8$ikn0aBRjEB=afzm%^Mhf;T?-KL2l0@@o*{j3|p5"
            "w4TQ1j`D3LmxdNCB7-)9sIp<!-lXa-ePVWmm4n>-vpnUJt*EG>lEbl&%x4x*y&<0mH>6*Q@=e*e1t);!y`Ed2M6R"
            "FVE($8rg)oIH%FbXfj5KHd!?O1p3N@u0d%P8-0?U_$TV%$|5zWAly*=qOI%==$DZueDn+%`FENCWhDVWB0i-CWKq"
            ">zNyra-tO??sG*e!I}4rYa;GfxBM+UyS(Ply?KwNcTu#zFbC{#1S^>>yFRB&_gKdlCvFeI8<?%P)hX{hI61?+B?>"
            "y%l5nNrP4TuDHq~gra5ddFx+>i^R+u6~#r*Zq#^gpP=BK*UqryAq`s>2NR=zL6EKt&S##S?Ri*?&;y!~r>S+B*I2"
            "eAl}kY^{0LJXB}h8y{Ww*cV=&GsenzcL6n`XjeeY*!}f?N46yHphxQk@gN$QQfDCw&k}A&NA<4c=DQ;x8BRrka7D"
            "pXX=9dpnFak^3aZc>%pl<^I0GimFr2ozs?I5zn)|}pRc!E&C3;I_9ZTerG#gnsmz3_S0f2G3*5Cm_-;zfcveq7Pk"
            "2nJYR$drAYEtj<$+2|2){*loIy+X-`INcbWf2IYY=V2GHPw@(rZYzHO5-xJyA>jXF(lJpbkpHL~Hm1G1@M@KP&m0"
            "tPgZ-Q>3GB6?kBa2CaYV3U7~=->Nu2R@%AJHi)(}6h*hpuWRGE4O?|=a1A$kDoZW}fe5o*4QNkptwZmu%<+A8ZDW"
            "wn!cMR4VS1XBRcX3mb-i}DL8X7O#_|ivEBhAT(5kVGXyLPFFFyWh%B=>Pzlhw#&#v^I@m4FW<lpA1HOP1BcD_#8S"
            ">xbbVQYg|$-nGb2)*nyP_4;eubG|w!EZ-7#pcrVyN5O+wlrkE5k*&6g`S=Gj<NR{mW1vY5J!6@+s*d`H8x2S(RTV"
            "r@5IAqgR0d~4XZ9?^yn6BdjTfA)Lf<yu6!snc~_EutdDXmC$B##RPxS=rx$g0-3^VdNj>p3N)e)=Z-}M6JtY6=nn"
            "OCn+2G%~Wy;Tnb@@euaucDPp1)U5w`#8j9EEXFLH2fN5<P`9KY5}ar|}GcuY=CY^@z^?E{XId>non-T&T1!yLE~~"
            "`G4f$mN?9ep-pGYH#So~>0fqok;MN*yc9Q_jELLoa;m~1I@Vk)%D(HXVq-#4@!)JQ`?*2Tt#KWj6Mx$W-Bvp5;`5"
            "p?Ib+A}E8qj5OdD*bYJBBl_~&(Y>2nh)?h$fu>Qh3iLJ{Uf>v&wUwghJt0e@{+4SzP`pllbpj=N9WiC5mqbX1tZ8"
            "W>qSMq_cCIfxt<fXFS2z^Vv8gDahvqzVtvl@43bq4h5X<YJRt-f>3F-_uv(Bx|ae|LJ;l{{g#|u&4"
        ),
    },
}
