r"""The ``default`` planner: greedy folds that remove many label runs, with a budget of digits.

After a fold at ``c`` the points are ordered by ``|t - c|`` (MATH.md §2.2):
the part left of ``c`` is reversed and merged into the part right of it.
The label sequence after the fold only changes when ``c`` crosses the
midpoint of two points with different labels, so the line of possible
centres falls into *label cells* (:func:`.runs.label_cell`) on which the
result is constant.  Each layer:

1. **Candidates.** Midpoints of random pairs of same-label points (they lie
   inside label cells and cover central folds, which remove many runs at
   once); midpoints of pairs two, four or six runs apart (they tuck one run
   into another of its label, which is what is left to do once runs are
   long); all same-label midpoints among the points near either end; the
   middles of the two end runs (*squeezes*: they fold an end run onto
   itself and leave the runs still to merge more of the range); uniformly
   random centres and two monotone folds.
2. **Runs.** For every candidate the label sequence after the fold is
   counted exactly (:func:`.runs.runs_after`, priced by the window of
   points that actually interleave).  Once runs are long, the candidates
   are first counted on the end points of the runs alone, a lower bound,
   and only those that may not add a run are counted on all points.
3. **Cell and conditioning.** For the candidates of the two most
   progressive run counts, and a few of every gentler one, the label cell
   ``(c - δ_L, c + δ_R)`` is found; five positions inside it and a grid of
   heights ``h`` are scored by the smallest gap, after the fold, between
   neighbours with different labels (``h`` never changes the order, only
   the values — MATH.md §6).  The gap of a height below ``h_soft * 3 sqrt 2``
   is discounted by ``h / (h_soft 3 sqrt 2)``: steep folds amplify rounding
   errors in every later layer.  Cells narrower than the planner's own
   resolution are skipped (a rounded centre could tie two labels).
   **Tilted folds** (:mod:`.tilt`) are scored alongside: on
   float views at every layer, over the second fixed point ``q``, the peak
   and the tilt; on fixed-point views only where no plain fold removes a
   run, and with few choices.  They make the plans shallower, and they
   get past states where plain folds alone stall (the measurements are in
   the docs' benchmark history, "Tilted folds").  From :data:`~.parallel.PARALLEL_MIN_POINTS` points on, the
   tilted searches and the scoring of this step run in worker processes
   (:mod:`.parallel`); the plan is the same either way.
4. **Choice.** Minimise ``runs + beta * (decades of gap lost)``, with
   ``beta`` spreading the decades between the present smallest gap and
   ``hard_floor`` evenly over the runs still to remove; a fold that
   removes nothing costs a layer and is a last resort, a fold below
   ``hard_floor`` the very last (:func:`fold_score`; once the present gap is
   below ``hard_floor``, below that gap instead, or below ``1/IDLE_FLOOR_SLACK``
   of it once the plan idles; after a longer idle streak a fold that removes
   a run wins whatever its gap, and where none does an end run is squeezed
   until it can be peeled, :func:`end_folds`).  Near the hard floor, centres
   beside the smallest gaps are scored as well (:func:`repair_centres`):
   sharp folds there widen them again.
   (With an explicit ``beta`` the loss is counted below ``gap_floor``
   instead.)  ``c`` is the simplest rational in
   a window of 20% of the cell around the chosen position, ``h`` the
   simplest within ±5%.
5. **Floats.** With a guard (:mod:`.shadow`, the network's own float32 and
   float64 evaluations followed point by point), the folds are taken in
   the order of step 4 and the first that puts no more points at risk in
   floats than there are now wins; after :data:`GUARD_TRIES` without one,
   the one putting fewest (float64 first).  Once a format is close to its
   limit, the guard also hands over the points' float errors and every gap
   of step 3 is weighed against the errors after the fold (:func:`_gaps`).

The planner only proposes; :class:`~.tracker.Tracker` certifies the run
structure after each fold, and the builder verifies the finished network.

Examples
--------
>>> import numpy as np
>>> from lnnet_construct.construct.numeric import FloatBackend
>>> t = np.arange(8.0) - 3.5
>>> choice = choose_fold(t, np.array([0, 1] * 4), FloatBackend(), Fraction(0), np.random.default_rng(0))
>>> choice.runs < 8 and choice.h > 0
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .numeric import PEAK, FloatBackend, MpBackend, fold_slope
from .parallel import current
from .rational import simplest_between, to_fraction_exact
from .runs import count_runs_sorted, label_cell, opposite_gap, run_bounds, runs_after
from .tilt import KAPPAS, Q_OFFSETS, submit_tilted, tilted_choice

__all__ = ["FoldChoice", "candidates", "choose_fold", "fold_score", "lam_for_spread"]

#: Positions tried inside a label cell (fractions of its width).  The ends win most folds; the
#: middle ones keep large plans out of the slow fixed-point view (docs: benchmark history).
POSITIONS = (0.15, 0.3, 0.5, 0.7, 0.85)
#: Heights tried, as multiples of the current spread of the values; the heights the planner takes lie
#: well inside this grid.
H_GRID = 2.0 ** (np.arange(-18, 3) / 2.0)
#: Below the hard floor, a fold may still lose this factor of the present smallest gap.  A larger
#: slack lets plans sink to gaps far below float64 resolution: deeper, slower, with more float errors.
FLOOR_SLACK = 1.0
#: ... and this factor after :data:`SLACK_IDLE_LAYERS` layers in a row that removed no run, and after
#: :data:`FORCE_IDLE_LAYERS` a fold that removes a run is taken whatever its gap (a state where every
#: such fold loses gap would otherwise idle until the stall fallback to the paper's plan).
IDLE_FLOOR_SLACK = 100.0
SLACK_IDLE_LAYERS = 10
FORCE_IDLE_LAYERS = 20
#: Below this many times the hard floor, centres beside the smallest gaps are scored too (:func:`repair_centres`)
REPAIR_BELOW = 10.0
#: ... beside this many of the smallest gaps ...
REPAIR_PAIRS = 4
#: ... at these distances (in spreads) on either side.
REPAIR_OFFSETS = (1 / 128, 1 / 32, 1 / 8)
#: Folds rated by a float guard (in rank order) before one that keeps fewer formats is taken: more
#: tries trade a little depth for fewer float32 errors (docs: benchmark history, "float guard").
GUARD_TRIES = 100


@dataclass(frozen=True)
class FoldChoice:
    """A planned fold relative to the current view: exact ``c_rel``, ``h``, ``lam``, and its forecast."""

    c_rel: Fraction
    h: Fraction
    lam: Fraction
    runs: int
    gap: float
    kappa: Fraction = Fraction(0)


def lam_for_spread(spread, eps: Fraction) -> Fraction:
    """Affine scale ``lam`` (a power of 10) making the scaled spread at least 1 when ``eps > 0``.

    With ``eps = 0`` LayerNorm is scale invariant and ``lam = 1``.

    >>> lam_for_spread(0.002, Fraction(1, 10**5))
    Fraction(1000, 1)
    >>> lam_for_spread(0.002, Fraction(0))
    Fraction(1, 1)
    """
    if eps == 0 or not spread > 0:
        return Fraction(1)
    e = 0
    s = float(spread)
    while s * 10.0**e < 1.0:
        e += 1
    return Fraction(10) ** e


def _gaps(ts, ls, c, hs, eps_eff, backend, h_soft=0.0, h_pow=1.0, u=None):
    """Smallest post-fold gap between neighbours with different labels, per height (discounted below ``h_soft``).

    With ``u`` (the points' float errors in rounding units, :mod:`.shadow`)
    each pair's gap is divided by its errors after the fold, in units of the
    fold's own rounding: ``2 / (u'_a + u'_b)`` with ``u' = |F'| u + 1``.
    """
    r = np.abs(ts - c)
    o = np.argsort(r, kind="stable")
    rs, l2 = r[o], ls[o]
    mask = l2[1:] != l2[:-1]
    ra, rb = rs[:-1][mask], rs[1:][mask]
    if len(ra) == 0:
        return np.full(len(hs), np.inf)
    weight = None
    if u is not None:
        us = u[o]
        H = np.asarray([float(h) for h in hs])[:, None]
        e = float(eps_eff)
        weight = 2.0 / (fold_slope(backend.to_float(ra), H, e) * us[:-1][mask]
                        + fold_slope(backend.to_float(rb), H, e) * us[1:][mask] + 2.0)
    g = backend.pair_gaps(ra, rb, hs, eps_eff, weight)
    if h_soft > 0:  # discourage steep folds: they amplify rounding errors downstream
        with np.errstate(under="ignore"):  # a tiny factor is meant to rank a fold last
            g = g * np.minimum(1.0, np.asarray([float(h) for h in hs]) / h_soft) ** h_pow
    return g


def fold_score(runs: int, gap: float, runs_now: int, beta: float, floor: float, low: float,
               force: bool = False) -> float:
    """The planner's cost of a fold: ``runs + beta * decades below floor``, idling and gaps below ``low`` penalised.

    A fold that removes nothing only costs a layer (``+1e3``, a last
    resort); one whose gap falls below ``low`` comes after everything else
    (``+1e6``).  ``low`` is the hard floor, or (a slack below) the present
    gap once that is below it: a fold that climbs back above the floor must
    not win over every fold that removes a run.  With ``force`` (a long
    idle streak) a fold that removes nothing comes last of all (``+1e7``).

    >>> idle_above = fold_score(10, 2e-11, 10, 20.0, 1e-11, 1e-14)
    >>> progress_below = fold_score(9, 5e-13, 10, 20.0, 1e-11, 1e-14)
    >>> progress_below < idle_above
    True
    """
    g = max(gap, 1e-300)
    shortfall = max(0.0, np.log10(floor / g))
    idle = (1e7 if force else 1e3) if runs >= runs_now else 0.0
    return float(runs + beta * shortfall + idle + (1e6 if g < low else 0.0))


def candidates(ts, ls, spread, backend, rng, n_random: int, edge: int, uniform: int) -> np.ndarray:
    """Candidate fold centres for the sorted values ``ts`` (step 1 of the module docstring), unique."""
    n = len(ts)
    cands = []
    if n_random > 0:
        # a random partner of the same label for each: the points grouped by label, one draw per point
        by_label = np.argsort(ls, kind="stable")
        labs, first, size = np.unique(ls[by_label], return_index=True, return_counts=True)
        i = rng.integers(0, n, size=n_random)
        g = np.searchsorted(labs, ls[i])
        j = by_label[first[g] + rng.integers(0, size[g])]
        keep = i != j
        i, j = i[keep], j[keep]
        cands.append(backend.half(ts[i] + ts[j]))
    if n_random > 0:
        # pairs 2, 4 or 6 runs apart: they tuck one run into another of its label (long runs, late on)
        run_start, run_end = run_bounds(ls)
        starts, ends = np.unique(run_start), np.unique(run_end)
        ri = np.searchsorted(starts, np.arange(n), side="right") - 1
        i = rng.integers(0, n, size=n_random)
        rj = ri[i] + 2 * rng.choice(np.array([-3, -2, -1, 1, 2, 3]), size=n_random)
        ok = (rj >= 0) & (rj < len(starts))
        i, rj = i[ok], rj[ok]
        j = starts[rj] + (rng.random(len(rj)) * (ends[rj] - starts[rj] + 1)).astype(np.int64)
        cands.append(backend.half(ts[i] + ts[j]))
    for idx in (np.arange(min(edge, n)), np.arange(max(0, n - edge), n)):
        a, b = np.meshgrid(idx, idx, indexing="ij")
        sel = (a < b) & (ls[a] == ls[b])
        cands.append(backend.half(ts[a[sel]] + ts[b[sel]]))
    cands.append(np.array([ts[0] - spread, ts[-1] + spread], dtype=ts.dtype))
    change = np.nonzero(ls[1:] != ls[:-1])[0]
    if len(change):
        # squeezes: fold an end run onto itself, so the runs still to merge get more of the range
        cands.append(np.array([backend.half(ts[0] + ts[change[0]]), backend.half(ts[change[-1] + 1] + ts[-1])],
                              dtype=ts.dtype))
    if uniform > 0:
        u = rng.random(uniform)
        cands.append(np.array([ts[0] + backend.times(spread, float(x)) for x in u], dtype=ts.dtype))
    return np.unique(np.concatenate([np.asarray(c, dtype=ts.dtype) for c in cands]))


def end_folds(ts, ls, backend):
    """``(peels, squeezes)``: centres that peel an end run; ``(middle, width)`` of both end runs.

    With runs ``R1, R2, ...`` (``R_i = [a_i, b_i]``, sorted values; ``R1``
    and ``R3`` of one label), a plain fold at ``c`` with
    ``(b1 + b2)/2 < c < min((a2 + a3)/2, (a1 + a4)/2)`` orders the points by
    ``|t - c|`` as ``R2``, then ``R1`` and ``R3`` interleaved, then
    ``R4, R5, ...``: it removes the run ``R1`` (``proofs/thm-binary.md``).  That
    window is open exactly when ``R1`` is narrower than ``a4 - b2``; the
    right end is the mirror image.  Where neither is open, folding an end
    run onto itself (a *squeeze*, centre in its middle) narrows it (its
    image lies near the peak, where the fold is flat) while the other runs
    keep their order; ``squeezes`` starts with the end whose run is the
    smaller share of its window.

    >>> ts = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]); ls = np.array([0, 1, 1, 0, 1, 0, 1])
    >>> peels, squeezes = end_folds(ts, ls, FloatBackend())
    >>> peels.tolist(), [(float(c), float(w)) for c, w in squeezes]   # left: c in (1, 2); right: (4.5, 5.5)
    ([1.5, 5.0], [(0.0, 0.0), (6.0, 0.0)])
    >>> from .runs import runs_after
    >>> runs_after(ts, ls, peels).tolist()    # from 6 runs
    [5, 5]
    """
    change = np.flatnonzero(ls[1:] != ls[:-1])
    if len(change) < 2:
        return np.zeros(0, dtype=ts.dtype), []
    a, b = ts[np.concatenate([[0], change + 1])], ts[np.concatenate([change, [len(ts) - 1]])]
    half = backend.half
    n = len(a)
    rl = ls[np.concatenate([[0], change + 1])]
    windows = [(half(b[0] + b[1]), min(half(a[1] + a[2]), half(a[0] + a[3])) if n > 3 else half(a[1] + a[2]),
                rl[0] == rl[2]),
               (max(half(b[-2] + b[-3]), half(b[-1] + b[-4])) if n > 3 else half(b[-2] + b[-3]), half(a[-1] + a[-2]),
                rl[-1] == rl[-3])]
    peels = [half(lo + hi) for lo, hi, same in windows if same and lo < hi]
    share = [backend.as_float(b[0] - a[0]) / max(backend.as_float(a[3] - b[1]) if n > 3 else np.inf, 1e-300),
             backend.as_float(b[-1] - a[-1]) / max(backend.as_float(a[-2] - b[-4]) if n > 3 else np.inf, 1e-300)]
    ends = [(half(a[0] + b[0]), b[0] - a[0]), (half(a[-1] + b[-1]), b[-1] - a[-1])]
    return np.array(peels, dtype=ts.dtype), ends if share[0] <= share[1] else ends[::-1]


def repair_centres(ts, ls, spread, backend, pairs: int = REPAIR_PAIRS) -> np.ndarray:
    """Centres beside the ``pairs`` smallest gaps between neighbours of different labels.

    A fold whose centre lies about ``1.2 h`` from a pair stretches the pair's
    gap by up to ``0.94 / h`` (its steepest slope), so with small ``h`` it
    widens the smallest gap at the cost of the far ones; the offsets are
    :data:`REPAIR_OFFSETS` spreads on either side.

    >>> ts = np.array([0.0, 1.0, 1.001, 3.0]); ls = np.array([0, 0, 1, 1])
    >>> c = repair_centres(ts, ls, 3.0, FloatBackend(), pairs=1)
    >>> bool(np.all(np.abs(np.abs(c - 1.0005) / 3.0 - np.repeat(REPAIR_OFFSETS, 2)) < 1e-12))
    True
    """
    opp = np.flatnonzero(ls[1:] != ls[:-1])
    if not len(opp):
        return np.zeros(0, dtype=ts.dtype)
    gaps = backend.to_float(ts[opp + 1] - ts[opp])
    worst = opp[np.argsort(gaps, kind="stable")[:pairs]]
    mids = backend.half(ts[worst] + ts[worst + 1])
    out = [m + sign * backend.times(spread, off) for m in mids for off in REPAIR_OFFSETS for sign in (-1, 1)]
    return np.array(out, dtype=ts.dtype)


def _score_cells(job) -> list:
    """Step 3 for some candidates: the best position in its label cell and height, per candidate.

    A picklable job (it runs in the build's worker processes when there are
    any); returns ``(runs, gap, c, h, lo, width, None)`` per candidate whose
    cell is wider than the view's resolution, in order.
    """
    (ts, ls, run_start, run_end, hs, resolution, fspread, spread, backend, eps_eff, h_soft, h_pow, positions, u,
     cands, runs) = job
    out = []
    for c0, r in zip(cands, runs):
        dl, dr = label_cell(ts, ls, c0, run_start, run_end, half=backend.half)
        fdl, fdr = backend.as_float(dl), backend.as_float(dr)
        # cells below the view's resolution would let a rounded centre tie two labels
        if not (fdl > resolution and fdr > resolution):
            continue
        # stay inside the cell, and within one spread of c0 (monotone folds have unbounded cells)
        lo = c0 - dl if fdl <= fspread else c0 - spread
        hi = c0 + dr if fdr <= fspread else c0 + spread
        width = hi - lo
        best = None
        for p in positions:
            c = lo + backend.times(width, p)
            g = _gaps(ts, ls, c, hs, eps_eff, backend, h_soft, h_pow, u)
            kk = int(np.argmax(g))
            if best is None or g[kk] > best[0]:
                best = (float(g[kk]), c, hs[kk])
        out.append((int(r), best[0], best[1], best[2], lo, width, None))
    return out


def choose_fold(values, labels, backend, eps: Fraction, rng: np.random.Generator, *,
                h_soft: float = 0.1, h_pow: float = 1.0, n_random: int = 2000, edge: int = 12, top: int = 20,
                gap_floor: float = 1e-5, hard_floor: float = 1e-10, beta: float | None = None,
                uniform: int = 0, h_stride: int = 1, gentle: bool = True, tilt: bool = True,
                guard=None, errors=None, idle_layers: int = 0) -> FoldChoice:
    """Plan one fold for the current values (see module docstring).

    Parameters
    ----------
    values : array (backend numbers)
        Current scalar of every point (relative to the tracker's offset).
    labels : numpy.ndarray of int
    backend : FloatBackend, FixedBackend or MpBackend
    eps : Fraction
        The network's LayerNorm epsilon.
    rng : numpy.random.Generator
    hard_floor : float
        Gap (in the fold's value units, at most ``3 sqrt 2``) below which a
        fold is only taken if nothing else exists (once the present gap is
        below it, :data:`FLOOR_SLACK` times below the present gap; see
        ``idle_layers``).
    idle_layers : int
        Layers in a row that removed no run so far: from
        :data:`SLACK_IDLE_LAYERS` on the slack is :data:`IDLE_FLOOR_SLACK`
        and the end peels of :func:`end_folds` are scored too; from
        :data:`FORCE_IDLE_LAYERS` on a fold that removes a run wins whatever
        its gap, and where there is none an end run is squeezed.
    beta : float or None
        Runs worth one decade of gap; None spreads the decades left evenly
        over the runs left (module docstring).
    gentle : bool
        Also score a few candidates of every run count below the two most
        progressive ones (off to save time on a slow view).
    tilt : bool
        Also try tilted folds (:mod:`.tilt`, step 3; with ``eps > 0`` on float views only).
    guard : object or None
        With ``rate(choice)`` (a tuple: points the fold puts at risk in
        floats, see :mod:`.shadow`) and ``settled(rate)`` (no more than
        now): the first of the :data:`GUARD_TRIES` best-ranked folds that is
        settled is taken, otherwise the first of least rate.
    errors : array or None
        Each point's float error in rounding units (:meth:`.shadow.Guard.errors`):
        gaps are then scored against the errors after the fold (:func:`_gaps`).

    Returns
    -------
    FoldChoice
    """
    order = np.argsort(values, kind="stable")
    ts = values[order]
    ls = labels[order]
    u = None if errors is None else np.asarray(errors, dtype=np.float64)[order]
    spread = ts[-1] - ts[0]
    fspread = backend.as_float(spread)
    lam = lam_for_spread(fspread, eps)
    if eps > 0 and fspread > 0:
        # scale so that eps_eff <= 1e-16 h^2 for every height tried, (lam h_min)^2 >= 1e16 eps: folds as
        # steep as with eps = 0 (and the tilted searches, which plan as if eps = 0, stay accurate; the
        # tracker uses eps_eff).  Logs of the integers: eps may be far beyond float range.
        log_eps = math.log10(eps.numerator) - math.log10(eps.denominator)
        lam = max(lam, Fraction(10) ** math.ceil(8 + log_eps / 2 - math.log10(fspread * H_GRID[0])))
    eps_eff = eps / lam**2

    # 1. candidates
    n_labels = len(np.unique(ls))
    runs_now = count_runs_sorted(ls)
    fast_view = isinstance(backend, FloatBackend)
    tilted = None
    if tilt and fast_view:
        # started first: in worker processes it runs while the plain folds are scored here
        tilted = submit_tilted(ts, ls, spread, backend, rng, runs_now, candidates=candidates, edge=edge,
                              h_soft=h_soft, n_random=n_random, uniform=uniform, top=top, u=u)
    cand = candidates(ts, ls, spread, backend, rng, n_random, edge, uniform)

    # 2. runs after the fold (exact up to the present count, above it perhaps a lower bound)
    runs = runs_after(ts, ls, cand, upto=runs_now)

    # 3. cells and conditioning for the best candidates
    run_start, run_end = run_bounds(ls)
    best_runs = int(runs.min())
    picked = []
    # the two most progressive levels in depth, then a few from every gentler level (their
    # smaller windows keep gaps wider), and a few that remove nothing
    levels = np.unique(runs)
    levels = levels[levels <= runs_now] if gentle else levels[levels <= best_runs + 1]
    for lev in levels:
        quota = top if lev <= best_runs + 1 else max(2, top // 5)
        pool = np.nonzero(runs == lev)[0]
        if len(pool) > quota:
            pool = rng.choice(pool, size=quota, replace=False)
        picked.extend(int(k) for k in pool)
    g = opposite_gap(ts, ls)
    if g is not None and backend.as_float(g) < REPAIR_BELOW * hard_floor:
        # near the floor: also score centres beside the smallest gaps (sharp folds there widen them)
        rep = repair_centres(ts, ls, spread, backend)
        rep_runs = runs_after(ts, ls, rep, upto=runs_now)
        keep = rep_runs <= runs_now
        picked.extend(range(len(cand), len(cand) + int(keep.sum())))
        cand, runs = np.concatenate([cand, rep[keep]]), np.concatenate([runs, rep_runs[keep]])
    squeezes = []
    if idle_layers >= SLACK_IDLE_LAYERS:
        # a long idle streak: also score the folds that peel an end run onto the next run of its label
        peels, squeezes = end_folds(ts, ls, backend)
        if len(peels):
            picked.extend(range(len(cand), len(cand) + len(peels)))
            cand, runs = np.concatenate([cand, peels]), np.concatenate([runs, runs_after(ts, ls, peels)])
    unsure = [k for k in picked if runs[k] > runs_now]
    if unsure:
        runs[unsure] = runs_after(ts, ls, cand[unsure])
    hs = H_GRID[::h_stride] * (fspread if fspread > 0 else 1.0)
    resolution = backend.resolution() * (fspread if fspread > 0 else 1.0)

    def quality(c):
        return _gaps(ts, ls, c, hs, eps_eff, backend, h_soft * PEAK, h_pow, u)

    positions = POSITIONS if h_stride == 1 else POSITIONS[1::2]
    common = (ts, ls, run_start, run_end, hs, resolution, fspread, spread, backend, eps_eff, h_soft * PEAK, h_pow,
              positions, u)
    picked = np.array(picked, dtype=np.int64)
    pool = None if isinstance(backend, MpBackend) else current()  # mpmath views do not pickle
    if pool is None or len(picked) < 8:
        results = _score_cells(common + (cand[picked], runs[picked]))
    else:  # two halves, queued after the tilted searches; the main process only waits
        futures = [pool.submit(_score_cells, common + (cand[part], runs[part])) for part in np.array_split(picked, 2)]
        results = [r for f in futures for r in f.result()]
    if not results:
        # every candidate sat on a boundary (symmetric data): fall back to a monotone fold
        c = ts[0] - spread
        gq = quality(c)
        kk = int(np.argmax(gq))
        results.append((runs_now, float(gq[kk]), c, hs[kk], c - spread, spread, None))

    idle = min(r[0] for r in results) >= runs_now
    if tilted is None and tilt and not isinstance(backend, MpBackend) and (eps == 0 or fast_view) and idle:
        # where no plain fold removes a run on fixed-point views, whose big-int arithmetic costs
        # more (so fewer choices there)
        tilted = submit_tilted(ts, ls, spread, backend, rng, runs_now, candidates=candidates, edge=edge,
                              h_soft=h_soft, n_random=n_random // 2, uniform=uniform // 2, top=8,
                              kappas=KAPPAS[::6], positions=(0.5,), offsets=Q_OFFSETS[1:3], u=u)
    if tilted is not None:
        results.extend((r, gap, None, None, None, None, t) for r, gap, t in tilted())

    # 4. choice: runs traded against conditioning, ``beta`` runs per decade of gap lost
    g_now = 1.0 if g is None else backend.as_float(g)
    if u is not None and g is not None:  # the present gap in the units the folds were scored in
        opp = ls[1:] != ls[:-1]
        du = backend.to_float(ts[1:] - ts[:-1])[opp]
        g_now = float(np.min(du * 2.0 / (np.maximum(u[1:], 1.0) + np.maximum(u[:-1], 1.0))[opp]))
    if beta is None:
        # spend the decades between the present smallest gap and the hard floor evenly over the runs left
        floor = max(g_now, hard_floor)
        beta = max(n_labels, runs_now - n_labels) / max(0.5, np.log10(floor / hard_floor))
    else:
        floor = gap_floor
    # once below the hard floor (a wide view), a fold need only stay within a slack of the present gap
    low = min(hard_floor, g_now / (FLOOR_SLACK if idle_layers < SLACK_IDLE_LAYERS else IDLE_FLOOR_SLACK))
    force = idle_layers >= FORCE_IDLE_LAYERS

    def score(r):
        return fold_score(r[0], r[1], runs_now, beta, floor, low, force)

    ranked = sorted(results, key=lambda r: (score(r), -r[1]))
    if force and ranked[0][0] >= runs_now and squeezes:
        # nothing removes a run: squeeze the end run nearest to a peel, so that a later layer can peel it,
        # at the run's middle (within a twentieth of its width), not anywhere in its label cell
        c0, w = squeezes[0]
        gq = quality(c0)
        kk = int(np.argmax(gq))
        return _fold_choice((runs_now, float(gq[kk]), c0, hs[kk], c0, backend.times(w, 0.5), None), backend, lam)
    if guard is None:
        return _fold_choice(ranked[0], backend, lam)
    # the best-ranked fold that puts no more points at risk in floats, else the one putting fewest
    best = None
    for r in ranked[:GUARD_TRIES]:
        choice = _fold_choice(r, backend, lam)
        rate = guard.rate(choice)
        if best is None or rate < best[0]:
            best = (rate, choice)
        if guard.settled(rate):
            break
    return best[1]


def _fold_choice(result, backend, lam) -> FoldChoice:
    """The exact, short fold of one scored result (step 4 of the module docstring)."""
    nruns, gap, c, h, lo, width, t = result
    if t is not None:
        c_rel, h_rat, kappa = tilted_choice(t)
        return FoldChoice(c_rel=c_rel, h=h_rat, lam=lam, runs=int(nruns), gap=float(gap), kappa=kappa)
    c_f = backend.to_fraction(c)
    win = backend.to_fraction(width) / 10
    c_rel = simplest_between(c_f - win, c_f + win)
    h_f = to_fraction_exact(float(h))
    h_rat = simplest_between(h_f * Fraction(95, 100), h_f * Fraction(105, 100))
    return FoldChoice(c_rel=c_rel, h=h_rat, lam=lam, runs=int(nruns), gap=float(gap))
