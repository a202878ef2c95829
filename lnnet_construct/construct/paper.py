r"""The ``paper`` method: the projection–merge algorithm of MATH.md §3.1, faithfully.

While the labels along the line form more than 2 runs (binary) or some class
is split (K classes):

* ``t_1`` is the leftmost cluster and ``t_j`` the first later cluster with the
  same label;
* fold at ``c = (t_1 + t_j)/2`` with the figure's 45° height; in our rational
  basis that is ``h = (t_j - t_1)/(2 sqrt 3)`` (the orthonormal picture's
  ``(t_j - t_1)/2``, see :func:`orthonormal_ordinate`);
* ``t_1`` and ``t_j`` merge: exactly one merge per layer, so at most
  ``m - 2`` (``m - K``) layers.

With ``K >= 3`` classes a fold may put two clusters of different labels at the
same distance from ``c`` (the "confusion" case, §3.3).  The pairs tried, in
order: the leftmost cluster and its next same-label cluster; the mirror
choice from the right; any two consecutive clusters of one label.  If all are
blocked, one monotone layer (``c`` below every value) is inserted to break
the symmetry: that layer merges nothing, so symmetric data can take
``m - K + 1`` layers (``proofs/thm-multiclass.md``, addendum).  With
``breaker="tilted"`` (the rational realisation; the ``default`` method's
fallback) a blocked step instead merges its pair with a tilted fold off the
pair's midpoint (Theorem 2's rotated read-out, :func:`_tilted_merge`), which
keeps every plan within ``m - K`` layers.

Two realisations:

* **exact** (:func:`plan_paper_exact`, small ``m``): values are exact
  algebraic numbers, ``c`` and ``h`` are algebraic (``Expr``) and the merges
  are exact equalities (the fold is even about ``c``, so ``t_1`` and ``t_j``
  get the very same value).  Radicals nest one level per layer, which is why
  this is for small ``m`` only.
* **rational** (:func:`plan_paper`, any ``m``): ``c`` and ``h`` are the
  simplest rationals within a tiny tolerance of the exact choice (``1e-9``
  of the smallest gap between clusters), so merged clusters stay tight
  (their spread is negligible against every gap) and the run structure is the
  exact algorithm's, certified with balls after every layer.  The values are
  followed in mpmath at a precision that grows with the gaps the paper's
  45° folds destroy (about 0.12 digits per layer, MATH.md §6).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np

from ..arith.arb import ArbArith
from ..arith.base import Sign
from ..arith.exact import exact_sign
from ..errors import ConstructionError
from ..numbers import exact_sqrt
from .greedy import lam_for_spread
from .numeric import PEAK, MpBackend, fold_exact
from .rational import simplest_near, to_fraction_exact
from .runs import label_cell
from .runs import run_bounds as _run_bounds
from .tracker import Fold

__all__ = ["PaperDeeper", "ExactBlocked", "plan_paper", "plan_paper_exact", "orthonormal_ordinate", "is_done"]

_SQRT3 = exact_sqrt(Fraction(3))
#: Cap of the planner's precision (bits); coinciding clusters are merged instead.
MAX_VIEW_BITS = 1 << 15
#: sqrt(3) rounded down to 17 decimals: the merge height only needs to be near h*, and rationally so.
_SQRT3_17 = Fraction(math.isqrt(3 * 10**34), 10**17)


def orthonormal_ordinate(tau):
    r"""The ordinate ``s = u2·LN(z)`` of MATH.md §2.2 from our scalar ``τ = v2·LN(z)``: ``s = τ / sqrt 6``.

    ``v2 = sqrt6 · u2``.  For the same fold the two conventions relate by
    ``c_rat = c_orth``, ``h_rat = h_orth / sqrt 3`` on the first layer (where
    both read ``t``) and ``c_rat = sqrt6 c_orth``, ``h_rat = sqrt2 h_orth``
    later (where ours reads ``τ = sqrt6 s``).
    """
    return tau / exact_sqrt(Fraction(6)) if not isinstance(tau, float) else tau / 6**0.5


def is_done(run_labels, k: int) -> bool:
    """True when every class forms one run (binary: at most 2 runs)."""
    if k <= 2:
        return len(run_labels) <= 2
    return len(run_labels) == len(set(run_labels))


def _pair_candidates(order_labels):
    """Cluster index pairs (positions in value order) in the order of MATH.md §3.3."""
    n = len(order_labels)
    seen = set()
    first = next((j for j in range(1, n) if order_labels[j] == order_labels[0]), None)
    if first is not None:
        seen.add((0, first))
        yield 0, first
    last = next((j for j in range(n - 2, -1, -1) if order_labels[j] == order_labels[n - 1]), None)
    if last is not None and (last, n - 1) not in seen:
        seen.add((last, n - 1))
        yield last, n - 1
    prev: dict = {}
    for j, lab in enumerate(order_labels):
        if lab in prev and (prev[lab], j) not in seen:
            seen.add((prev[lab], j))
            yield prev[lab], j
        prev[lab] = j


# --------------------------------------------------------------------------
# rational realisation (any m)

def _cluster_table(values, cid, labels):
    """Clusters ``(lowest, highest, id, label)`` in value order, and the gaps between neighbours."""
    ids = np.unique(cid)
    reps = []
    for i in ids:
        sel = np.nonzero(cid == i)[0]
        vals = values[sel]
        reps.append((min(vals), max(vals), int(i), int(labels[sel[0]])))
    reps.sort(key=lambda r: r[0])
    return reps, [b[0] - a[1] for a, b in zip(reps, reps[1:])]


class _NotTight(Exception):
    """A merged cluster spread out against its neighbours: retry with more digits."""


class PaperDeeper(Exception):
    """The paper's plan needs more layers than ``plan_paper(give_up_at=...)`` allows (a comparison ends early)."""


class ExactBlocked(Exception):
    """``plan_paper_exact(breaker="tilted")`` met a step where every pair is blocked (use the rational plan)."""


def plan_paper(make_tracker, labels, k: int, *, progress=None, max_layers=None, breaker: str = "monotone",
               give_up_at: int | None = None):
    """Plan the paper's folds (rational realisation), retrying with tighter merges if needed.

    Parameters
    ----------
    make_tracker : callable() -> Tracker
        Fresh tracker at layer 0 (the planner switches it to mpmath).
    labels : numpy.ndarray of int
    k : int
        Number of classes.
    progress : callable(runs_now) or None
    breaker : {"monotone", "tilted"}
        What a blocked step does (module docstring): MATH.md §3.3's
        monotone layer, or a tilted fold that merges the pair.
    give_up_at : int or None
        Raise :class:`PaperDeeper` once this many layers are planned and the
        plan is not done (a caller that only wants a shallower plan).

    Returns
    -------
    tracker : Tracker
        With the folds applied.
    groups : list of numpy.ndarray
        Cluster id of every unique point after each layer (layer 0 first).
    runs : list of int
        Certified number of label runs after each layer (layer 0 first).

    Notes
    -----
    A merge is realised by a rational ``c`` within ``tol`` of the exact
    centre, where ``tol`` makes the merged pair's spread after the fold
    (``2 |F'| tol``) at most ``10^-digits`` of the smallest gap after the
    fold.  Later folds can stretch a cluster more than the gaps next to it
    (the paper's heights vary over many orders of magnitude); every layer
    checks that each cluster stays below ``10^-3`` of its gaps, and otherwise
    the plan is redone with ``digits`` doubled.
    """
    digits = 9
    while True:
        tracker = make_tracker()
        try:
            groups, runs = _plan_paper_once(tracker, labels, k, digits, progress, max_layers, breaker, give_up_at)
            return tracker, groups, runs
        except _NotTight:
            digits *= 2
            if digits > 4000:
                raise ConstructionError("the paper construction needs more than 4000 digits per weight") from None


def _plan_paper_once(tracker, labels, k, digits, progress, max_layers, breaker="monotone", give_up_at=None):
    m = len(labels)
    tracker.use_backend(MpBackend(128 + 4 * digits))
    cid = np.arange(m)
    groups = [cid.copy()]
    runs = []
    limit = max_layers if max_layers is not None else m
    while True:
        st = tracker.certify()
        runs.append(st.runs)
        if is_done(st.run_labels, k):
            break
        if give_up_at is not None and tracker.depth >= give_up_at:
            raise PaperDeeper()
        if tracker.depth >= limit:
            raise _NotTight()
        reps, gaps = _cluster_table(tracker.values, cid, labels)
        if _ensure_precision(tracker, min(gaps), digits):  # this layer's gaps need more bits
            reps, gaps = _cluster_table(tracker.values, cid, labels)
        merged = _merge_coincident(reps, cid, tracker.backend, digits)
        if merged is not None:
            cid = merged
            groups[-1] = cid.copy()
            reps, gaps = _cluster_table(tracker.values, cid, labels)
        for i, r in enumerate(reps):
            near = min(g for g in (gaps[i - 1] if i > 0 else None, gaps[i] if i < len(gaps) else None)
                       if g is not None)
            if r[1] - r[0] > near / 1000:
                raise _NotTight()
        cl_labels = [r[3] for r in reps]
        mids = [(r[0] + r[1]) / 2 for r in reps]
        min_gap = min(gaps)
        spread = reps[-1][1] - reps[0][0]
        chosen = None
        for a, b in _pair_candidates(cl_labels):
            c_star = (mids[a] + mids[b]) / 2
            if k >= 3 and _confused(mids, cl_labels, c_star, min_gap):
                continue
            chosen = (a, b, c_star)
            break
        if chosen is not None:
            a, b, c_star = chosen
            fold = _symmetric_merge(tracker, labels, mids, a, b, c_star, spread, digits)
        elif breaker == "tilted" and (merge := _tilted_merge(tracker, mids, cl_labels, spread, digits)) is not None:
            (a, b), fold = merge
        else:
            # every pair is blocked (symmetric data): a monotone layer breaks the symmetry
            c_rel = to_fraction_exact(reps[0][0]) - to_fraction_exact(spread)
            h = simplest_near(to_fraction_exact(spread), to_fraction_exact(spread) / 10)
            tracker.apply(c_rel, h, lam_for_spread(float(spread), tracker.eps))
            groups.append(cid.copy())
            continue
        tracker.apply(*fold)
        cid = np.where(cid == reps[a][2], reps[b][2], cid)
        groups.append(cid.copy())
        if progress is not None:
            progress(st.runs)
    return groups, runs


def _gap_without(values, a):
    """Smallest gap and spread of ``values`` sorted, cluster ``a`` left out (it merges into its partner)."""
    rest = sorted(values[i] for i in range(len(values)) if i != a)
    return min(y - x for x, y in zip(rest, rest[1:])), rest[-1] - rest[0]


def _symmetric_merge(tracker, labels, mids, a, b, c_star, spread, digits):
    """``(c_rel, h, lam)`` of the paper's fold merging clusters ``a`` and ``b`` (an admissible pair)."""
    h_star = to_fraction_exact((mids[b] - mids[a])) / 2 / _SQRT3_17
    h = simplest_near(h_star, h_star / 100)
    # scale so that eps stays negligible against h^2 (tiny merges late on would be flattened by eps)
    lam = lam_for_spread(min(float(spread), float(h)), tracker.eps)
    eps_eff = tracker.eps_eff(lam)
    be = tracker.backend
    # the gaps after the fold at the exact centre, and the slope at the merged pair
    new = be.fold(np.array(mids, dtype=object), c_star, h, eps_eff)
    g_post = _gap_without(new, a)[0] if len(mids) > 2 else be.scalar(1)
    r_star = (mids[b] - mids[a]) / 2
    hh = be.scalar(h)
    q = (2 * r_star * r_star + 6 * hh * hh) / 3 + be.scalar(eps_eff)
    slope = 4 * hh * r_star / (q * be.ctx.sqrt(q))
    tol = to_fraction_exact(g_post / (2 * slope + g_post)) / Fraction(10) ** digits
    # and stay well inside the label cell of c_star: no pair of different labels may swap
    v = tracker.values
    order = np.argsort(v, kind="stable")
    ts, ls = v[order], labels[order]
    rs, re_ = _run_bounds(ls)
    dl, dr = label_cell(ts, ls, c_star, rs, re_)
    tol = min(tol, to_fraction_exact(min(dl, dr)) / 4)
    return simplest_near(to_fraction_exact(c_star), tol), h, lam


#: Heights (in spreads of the values) and centres (off the pair's midpoint, in smallest gaps) tried by
#: :func:`_tilted_merge`; Lemma 3 of ``proofs/thm-multiclass.md`` asks for a large height.
TILT_HEIGHTS = (4, 16, 64, 256)
TILT_OFFSETS = (Fraction(1, 4), Fraction(-1, 4), Fraction(1, 16))
#: ... for at most this many pairs (in the order of :func:`_pair_candidates`).
TILT_PAIRS = 8


def _tilted_merge(tracker, mids, cl_labels, spread, digits):
    r"""A tilted fold merging a blocked same-label pair without confusion: ``((a, b), (c_rel, h, lam, kappa))`` or None.

    Theorem 2 of ``proofs/thm-multiclass.md`` (Lemmas 2 and 3): a fold at
    ``c`` off the pair's midpoint, read along ``v2 + kappa v1``, gives the
    pair one value when

    .. math:: \kappa = \frac{3h\,(S_a - S_b)}{d_a S_b - d_b S_a},\qquad
              d = \tau - c,\quad S = \sqrt{(2d^2 + 6h^2)/3 + \varepsilon},

    and for ``h`` large enough no two clusters of different labels meet.
    The first :data:`TILT_PAIRS` pairs of :func:`_pair_candidates` and the grids :data:`TILT_HEIGHTS`,
    :data:`TILT_OFFSETS` are tried; the fold whose smallest gap between the
    other clusters is widest (relative to their spread) wins, and ``kappa`` is
    rounded to the simplest rational keeping the pair's spread within
    ``10^-digits`` of that gap.  The tracker certifies the result like any fold.
    """
    be = tracker.backend
    ctx = be.ctx
    arr = np.array(mids, dtype=object)
    sp = to_fraction_exact(spread)
    g0 = to_fraction_exact(min(y - x for x, y in zip(mids, mids[1:])))
    lam = lam_for_spread(float(spread), tracker.eps)
    eps_eff = tracker.eps_eff(lam)
    ee = be.scalar(eps_eff)
    floor = ctx.ldexp(1, -(be.prec // 4))   # a smaller relative gap counts as confusion
    best = None
    for a, b in itertools.islice(_pair_candidates(cl_labels), TILT_PAIRS):
        c_star = to_fraction_exact((mids[a] + mids[b]) / 2)
        for mult in TILT_HEIGHTS:
            h = simplest_near(sp * mult, sp * mult / 10)
            hh = be.scalar(h)
            for off in TILT_OFFSETS:
                c = simplest_near(c_star + off * g0, g0 / 64)
                da, db = mids[a] - be.scalar(c), mids[b] - be.scalar(c)
                sa = ctx.sqrt((2 * da * da + 6 * hh * hh) / 3 + ee)
                sb = ctx.sqrt((2 * db * db + 6 * hh * hh) / 3 + ee)
                den = da * sb - db * sa
                if not den:
                    continue
                kappa = 3 * hh * (sa - sb) / den
                new = be.fold(arr, c, h, eps_eff, kappa)
                # a blocked pair has two more clusters between it, so at least three are left
                g_post, spread_post = _gap_without(new, a)
                score = g_post / spread_post
                if best is None or score > best[0]:
                    best = (score, (a, b), c, h, kappa, g_post, abs(2 * da / sa - 2 * db / sb))
        if best is not None and best[0] > floor:
            break
    if best is None or not best[0] > floor:
        return None
    _, pair, c, h, kappa, g_post, slope = best
    tol = to_fraction_exact(g_post / (slope + g_post)) / Fraction(10) ** digits
    return pair, (c, h, lam, simplest_near(to_fraction_exact(kappa), tol))


def _merge_coincident(reps, cid, be, digits: int = 0):
    """Cluster ids with neighbouring same-label clusters merged where they coincide up to the merges' rounding.

    Symmetric data put distinct clusters at exactly equal distances from a
    fold's centre; they then carry one value and are one cluster (no layer
    needed).  The rational centre (within ``10^-digits`` of the gaps, see
    :func:`plan_paper`) splits such a pair by about ``10^-digits`` of the
    smallest gap after the fold; left apart, a later merge of the two would
    use a height of that size and crush every other cluster together.  So
    same-label neighbours closer than ``100 · 10^-digits`` of the smallest
    gap between different labels (or the view's resolution) are one
    cluster.  Merging two same-label clusters never costs correctness; if it
    merges distinct ones, their spread shows in the next tightness check and
    the retry with more digits keeps them apart.  Returns None if nothing
    coincides.

    >>> from lnnet_construct.construct.numeric import MpBackend
    >>> reps = [(0, 0, 0, 0), (1, 1, 1, 0), (1 + 10**-12, 1 + 10**-12, 2, 0), (2, 2, 3, 1)]
    >>> _merge_coincident(reps, np.arange(4), MpBackend(200), digits=9).tolist()
    [0, 2, 2, 3]
    >>> _merge_coincident(reps, np.arange(4), MpBackend(200), digits=18) is None
    True
    """
    res = (reps[-1][1] - reps[0][0]) * be.ctx.ldexp(1, -(be.prec // 2))
    apart = [b[0] - a[1] for a, b in zip(reps, reps[1:]) if a[3] != b[3]]
    if apart and digits:
        res = max(res, min(apart) * 100 / be.ctx.mpf(10) ** digits)
    out = None
    for lo_rep, hi_rep in zip(reps, reps[1:]):
        if lo_rep[3] == hi_rep[3] and hi_rep[0] - lo_rep[1] <= res:
            out = (cid if out is None else out).copy()
            out[out == lo_rep[2]] = hi_rep[2]
    return out


def _ensure_precision(tracker, gap, digits=0) -> bool:
    """Raise the planner's precision when the gaps approach its resolution (True if raised)."""
    if gap is None:
        return False
    import mpmath

    be = tracker.backend
    g = float(mpmath.log(abs(gap) / PEAK, 2)) if gap != 0 else -float(be.prec)
    need_bits = 80 + 4 * digits + max(0, int(-g) + 1)
    if need_bits > be.prec - 16 and need_bits <= MAX_VIEW_BITS:
        tracker.use_backend(MpBackend(2 * need_bits))
        return True
    return False


def _confused(mids, cl_labels, c_star, min_gap) -> bool:
    """Two clusters of different labels (numerically) symmetric about ``c_star``."""
    tol = min_gap / 10**6
    n = len(mids)
    for i in range(n):
        target = 2 * c_star - mids[i]
        # clusters are sorted: binary search for the mirror of cluster i
        lo, hi = 0, n - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if mids[mid] < target:
                lo = mid + 1
            else:
                hi = mid
        for j in (lo - 1, lo):
            if 0 <= j < n and j != i and abs(mids[j] - target) <= tol and cl_labels[j] != cl_labels[i]:
                return True
    return False


# --------------------------------------------------------------------------
# exact realisation (small m)

def _exact_cmp(a, b) -> int:
    s = exact_sign(a - b)
    return {Sign.NEGATIVE: -1, Sign.ZERO: 0, Sign.POSITIVE: 1}[s]


def _sort_clusters(clusters):
    """Sort clusters by exact value, merging exact coincidences (returns the sorted list)."""
    import functools

    key_arb = ArbArith(256)
    approx = []
    for cl in clusters:
        with key_arb.active():
            approx.append(float(key_arb.const(cl[0]).mid()))
    order = sorted(range(len(clusters)), key=lambda i: approx[i])
    items = [clusters[i] for i in order]
    items.sort(key=functools.cmp_to_key(lambda x, y: _exact_cmp(x[0], y[0])))
    out = []
    for cl in items:
        if out and _exact_cmp(out[-1][0], cl[0]) == 0:
            if out[-1][1] != cl[1]:
                raise ConstructionError("two clusters with different labels merged (confusion)")
            out[-1] = (out[-1][0], out[-1][1], out[-1][2] | cl[2])
        else:
            out.append(cl)
    return out


def plan_paper_exact(t, labels, k: int, eps=Fraction(0), breaker: str = "monotone"):
    """The paper's algorithm in exact algebraic arithmetic.

    Parameters
    ----------
    t : sequence of Fraction
        Projections of the unique points.
    labels : array of int
    k : int
        Number of classes.
    eps : Fraction
    breaker : {"monotone", "tilted"}
        What a step with every pair blocked does: insert MATH.md §3.3's
        monotone layer, or (``"tilted"``, no exact realisation here) raise
        :class:`ExactBlocked`.

    Returns
    -------
    folds : list of Fold
        Exact (possibly algebraic) ``c`` and ``h``; ``lam = 1``.
    layers : list of list of (value, label, frozenset of point indices)
        The clusters after each layer, sorted by value (layer 0 first).

    Examples
    --------
    >>> folds, layers = plan_paper_exact([Fraction(i) for i in range(4)], np.array([0, 1, 0, 1]), 2)
    >>> len(folds), [len(x) for x in layers]
    (2, [4, 3, 2])
    """
    clusters = _sort_clusters([(Fraction(v), int(lab), frozenset([i])) for i, (v, lab) in enumerate(zip(t, labels))])
    layers = [clusters]
    folds = []
    while not is_done([lab for lab, _ in itertools.groupby(c[1] for c in clusters)], k):  # runs, not clusters
        cl_labels = [c[1] for c in clusters]
        chosen = None
        for a, b in _pair_candidates(cl_labels):
            c = (clusters[a][0] + clusters[b][0]) / 2
            if k >= 3 and _exact_confused(clusters, c):
                continue
            chosen = (a, b, c)
            break
        if chosen is None:
            if breaker == "tilted":
                raise ExactBlocked()
            lo, hi = clusters[0][0], clusters[-1][0]
            spread = hi - lo
            c, h = lo - spread, spread
            new = [(fold_exact(v, c, h, eps), lab, mem) for v, lab, mem in clusters]
        else:
            a, b, c = chosen
            h = (clusters[b][0] - clusters[a][0]) * _SQRT3 / 6
            new = []
            for idx, (v, lab, mem) in enumerate(clusters):
                if idx == a:
                    continue
                if idx == b:
                    # the merge is exact: both ends are at distance (t_j - t_1)/2 from c
                    mem = mem | clusters[a][2]
                new.append((fold_exact(v, c, h, eps), lab, mem))
        folds.append(Fold(c, h, Fraction(1)))
        clusters = _sort_clusters(new)
        layers.append(clusters)
        if len(folds) > len(t):  # pragma: no cover - one merge per layer bounds this
            raise ConstructionError("the exact paper construction did not terminate")
    return folds, layers


def _exact_confused(clusters, c) -> bool:
    n = len(clusters)
    for i in range(n):
        for j in range(i + 1, n):
            if clusters[i][1] != clusters[j][1]:
                # equal distance from c: t_i + t_j = 2c (t_i != t_j)
                s = clusters[i][0] + clusters[j][0] - 2 * c
                if ArbArith(128).sign_of_exact(s) in (Sign.POSITIVE, Sign.NEGATIVE):
                    continue
                if exact_sign(s) is Sign.ZERO:
                    return True
    return False
