r"""The ``default`` planner: greedy folds that minimise label runs, tuned for conditioning.

After a fold at ``c`` the points are ordered by ``|t - c|`` (the fold is even
and decreasing, MATH.md §2.2): the part left of ``c`` is reversed and merged
into the part right of it.  The label sequence after the fold only changes
when ``c`` crosses the midpoint of two points with different labels, so the
line of possible centres falls into *label cells* (open intervals between
consecutive such midpoints) on which the result is constant.  Each layer:

1. **Candidates.** Midpoints of random pairs of same-label points (they lie
   inside label cells and cover central folds, which remove many runs at
   once), uniformly random centres, all same-label midpoints among the
   points near either end (folds that tuck an end run into the next run of
   its label), and two monotone folds (``c`` outside the points).
2. **Runs.** For every candidate the label sequence after the fold is
   computed (vectorised: sort by ``|t - c|``) and its runs counted.
3. **Cell and conditioning.** For the best candidates the exact label cell
   ``(c - δ_L, c + δ_R)`` is found (nearest midpoints of opposite-label pairs
   on either side).  Several positions inside the cell and a grid of
   heights ``h`` are scored by the smallest gap, after the fold, between
   neighbours with different labels (``h`` never changes the order, only the
   values — MATH.md §6).
4. **Choice.** Minimise ``runs + beta * max(0, log10(gap_floor / gap))``
   (``beta = 3`` runs per decade of gap below ``gap_floor = 1e-5``; folds
   below ``hard_floor`` are used only if nothing else exists).  The gap of a
   height ``h`` below ``h_soft * 3 sqrt 2`` is discounted by ``h / (h_soft 3
   sqrt 2)``: steep folds amplify rounding errors in every later layer.
   ``c`` is the simplest rational in a window of 20% of the cell around the
   chosen position, ``h`` the simplest within ±5%.

Experimental options (off by default; they did not help in our
measurements): ``errors`` (score by gap / modelled forward error,
:func:`propagate_error`), ``zoom`` (monotone folds hugging either end with
tiny ``h``), ``repair`` (folds next to the tightest opposite-label pairs).

The planner only proposes; :class:`~.tracker.Tracker` certifies the run
structure after each fold, and the builder verifies the finished network.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .numeric import PEAK
from .rational import simplest_between, to_fraction_exact

__all__ = ["FoldChoice", "choose_fold", "count_runs_sorted", "label_cell", "lam_for_spread"]

#: Positions tried inside a label cell (fractions of its width).
POSITIONS = (0.15, 0.3, 0.5, 0.7, 0.85)
#: Heights tried, as multiples of the current spread of the values.
H_GRID = 2.0 ** (np.arange(-24, 9) / 2.0)
#: Extra small heights for zoom folds (multiples of the spread).
H_TINY = 2.0 ** -np.arange(13.0, 45.0, 2.0)


@dataclass(frozen=True)
class FoldChoice:
    """A planned fold relative to the current view: exact ``c_rel``, ``h``, ``lam``, and its forecast."""

    c_rel: Fraction
    h: Fraction
    lam: Fraction
    runs: int
    gap: float


def count_runs_sorted(ls: np.ndarray) -> int:
    """Runs of a label sequence (already in value order)."""
    return 1 + int(np.count_nonzero(ls[1:] != ls[:-1])) if len(ls) else 0


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


def _runs_after(ts, ls, cands, chunk_elems: int = 4_000_000) -> np.ndarray:
    n = len(ts)
    out = np.empty(len(cands), dtype=np.int64)
    step = max(1, chunk_elems // max(n, 1))
    # small label codes make the gather cheap; ties (equal distances) only occur between
    # equal values or the two ends of a same-label midpoint, so the sort need not be stable
    small = ls.astype(np.int16) if ls.dtype != object else ls
    for s in range(0, len(cands), step):
        c = cands[s:s + step]
        d = np.abs(ts[None, :] - c[:, None])
        o = np.argsort(d, axis=1)
        lab = small[o]
        out[s:s + step] = 1 + np.count_nonzero(lab[:, 1:] != lab[:, :-1], axis=1)
    return out


def label_cell(ts, ls, c, run_start, run_end):
    """Distances ``(δ_L, δ_R)`` from ``c`` to the nearest opposite-label pair midpoints below and above.

    ``ts`` sorted, ``ls`` their labels; ``run_start[i]``/``run_end[i]`` are the
    first/last index of the run containing ``i``.  A pair midpoint exactly at
    ``c`` gives 0 (``c`` is on a cell boundary).
    """
    n = len(ts)
    target = 2 * c - ts
    # largest b with t_b <= target and a different label
    lo_idx = np.searchsorted(ts, target, side="right") - 1
    ok = lo_idx >= 0
    li = np.where(ok, lo_idx, 0)
    same = ok & (ls[li] == ls)
    li2 = np.where(same, run_start[li] - 1, li)
    ok &= li2 >= 0
    li2 = np.where(ok, li2, 0)
    dl = (target - ts[li2]) / 2
    dl = dl[ok]
    # smallest b with t_b >= target and a different label
    hi_idx = np.searchsorted(ts, target, side="left")
    ok = hi_idx < n
    hi_ = np.where(ok, hi_idx, n - 1)
    same = ok & (ls[hi_] == ls)
    hi2 = np.where(same, run_end[hi_] + 1, hi_)
    ok &= hi2 < n
    hi2 = np.where(ok, hi2, n - 1)
    dr = (ts[hi2] - target) / 2
    dr = dr[ok]
    big = (ts[-1] - ts[0]) + abs(c - ts[0]) + abs(ts[-1] - c) + 1
    return (dl.min() if len(dl) else big), (dr.min() if len(dr) else big)


#: Rounding-error model constant: each layer adds about ``KAPPA * u`` times the size of its operands.
KAPPA = 4.0


def fold_slope(r, h, eps_eff):
    """``|F'(r)| = 4 h r / q^{3/2}`` with ``q = (2 r^2 + 6 h^2)/3 + eps`` (float64)."""
    with np.errstate(under="ignore", over="ignore"):
        q = (2 * r * r + 6 * h * h) / 3 + eps_eff
        return 4 * h * r / (q * np.sqrt(q))


def propagate_error(err, values, c, h, eps_eff):
    r"""Forward-error bound after a fold, in units of the unit roundoff ``u`` (float64 model).

    ``e' = |F'(r)| (e + KAPPA (|t| + |c| + h)) + KAPPA * PEAK``: the affine layer
    rounds ``t - c`` relative to its operands, the error is carried through the
    fold's slope, and LayerNorm adds a few roundings of its outputs (at most
    ``PEAK`` in size).  It is a model for choosing folds, not a bound anyone
    relies on (certificates come from interval arithmetic).
    """
    v = np.asarray(values, dtype=np.float64)
    r = np.abs(v - c)
    return fold_slope(r, h, eps_eff) * (err + KAPPA * (np.abs(v) + abs(c) + h)) + KAPPA * PEAK


def _ratios(ts, ls, es, c, hs, eps_eff, backend, h_soft=0.0, h_pow=1.0):
    """Smallest post-fold ``gap / (error_a + error_b)`` over opposite-label neighbours, per height.

    The gap is computed in the backend's precision; the error model in float64.
    """
    r = np.abs(ts - c)
    o = np.argsort(r, kind="stable")
    rs, l2 = r[o], ls[o]
    e2 = es[o] if es is not None else None
    mask = l2[1:] != l2[:-1]
    ra, rb = rs[:-1][mask], rs[1:][mask]
    if len(ra) == 0:
        return np.full(len(hs), np.inf)
    va = np.abs(ts[o][:-1][mask]).astype(np.float64)
    vb = np.abs(ts[o][1:][mask]).astype(np.float64)
    ea, eb = (e2[:-1][mask], e2[1:][mask]) if e2 is not None else (None, None)
    fc = abs(float(c))
    raf, rbf = ra.astype(np.float64), rb.astype(np.float64)
    if backend.name == "float64":
        with np.errstate(under="ignore", over="ignore", divide="ignore"):
            H = np.asarray(hs, dtype=np.float64)[:, None]
            ef = float(eps_eff)
            gap = 6 * H / np.sqrt((2 * raf**2 + 6 * H**2) / 3 + ef) - 6 * H / np.sqrt((2 * rbf**2 + 6 * H**2) / 3 + ef)
            if es is None:
                g = gap.min(axis=1)
                if h_soft > 0:  # discourage steep folds: they amplify rounding errors downstream
                    g = g * np.minimum(1.0, H[:, 0] / h_soft) ** h_pow
                return g
            err = (fold_slope(raf[None, :], H, ef) * (ea + KAPPA * (va + fc + H)) +
                   fold_slope(rbf[None, :], H, ef) * (eb + KAPPA * (vb + fc + H)) + 2 * KAPPA * PEAK)
            return (gap / err).min(axis=1)
    out = []
    with np.errstate(under="ignore", over="ignore", divide="ignore"):
        for h in hs:
            hf = float(h)
            if backend.name == "float64":
                gap = 6 * hf / np.sqrt((2 * raf**2 + 6 * hf**2) / 3 + eps_eff) - \
                    6 * hf / np.sqrt((2 * rbf**2 + 6 * hf**2) / 3 + eps_eff)
            else:
                gap = (backend.fold(ra, 0, h, eps_eff) - backend.fold(rb, 0, h, eps_eff)).astype(np.float64)
            ef = float(eps_eff)
            if es is None:  # plain gap objective
                out.append(float(np.min(gap)))
                continue
            err = (fold_slope(raf, hf, ef) * (ea + KAPPA * (va + fc + hf)) +
                   fold_slope(rbf, hf, ef) * (eb + KAPPA * (vb + fc + hf)) + 2 * KAPPA * PEAK)
            out.append(float(np.min(gap / err)))
    return np.array(out)


def _run_bounds(ls):
    n = len(ls)
    change = np.nonzero(ls[1:] != ls[:-1])[0]
    starts = np.concatenate([[0], change + 1])
    ends = np.concatenate([change, [n - 1]])
    run_idx = np.cumsum(np.concatenate([[0], (ls[1:] != ls[:-1]).astype(np.int64)]))
    return starts[run_idx], ends[run_idx]


def choose_fold(values, labels, backend, eps: Fraction, rng: np.random.Generator, errors=None, *, h_min=0.0,
                h_soft=0.1, h_pow=1.0, repair: int = 0, zoom: bool = False,
                n_random: int = 2000, edge: int = 12, top: int = 20, gap_floor: float = 1e-5,
                hard_floor: float = 1e-13, beta: float = 3.0, uniform: int = 0,
                h_stride: int = 1) -> FoldChoice:
    """Plan one fold for the current values (see module docstring).

    Parameters
    ----------
    values : array (backend numbers)
        Current scalar of every point (relative to the tracker's offset).
    labels : numpy.ndarray of int
    backend : FloatBackend or MpBackend
    eps : Fraction
        The network's LayerNorm epsilon.
    rng : numpy.random.Generator

    Returns
    -------
    FoldChoice
    """
    order = np.argsort(values, kind="stable")
    ts = values[order]
    ls = labels[order]
    es = None if errors is None else np.asarray(errors, dtype=np.float64)[order]
    n = len(ts)
    spread = ts[-1] - ts[0]
    fspread = float(spread)
    lam = lam_for_spread(fspread, eps)
    eps_eff = eps / lam**2
    eps_f = float(eps_eff)

    # 1. candidates
    cands = []
    by_label = {}
    for lab in np.unique(ls):
        by_label[int(lab)] = np.nonzero(ls == lab)[0]
    if n_random > 0:
        i = rng.integers(0, n, size=n_random)
        j = np.empty_like(i)
        for k, a in enumerate(i):
            pool = by_label[int(ls[a])]
            j[k] = pool[rng.integers(0, len(pool))]
        keep = i != j
        i, j = i[keep], j[keep]
        cands.append((ts[i] + ts[j]) / 2)
    for idx in (np.arange(min(edge, n)), np.arange(max(0, n - edge), n)):
        a, b = np.meshgrid(idx, idx, indexing="ij")
        sel = (a < b) & (ls[a] == ls[b])
        cands.append((ts[a[sel]] + ts[b[sel]]) / 2)
    cands.append(np.array([ts[0] - spread, ts[-1] + spread], dtype=ts.dtype))
    if zoom and n > 2:
        # monotone folds just outside either end: with a small h they re-expand values that
        # earlier folds squashed against that end (the 1/r tail of F composed with 1/r is linear)
        gb, gt = ts[1] - ts[0], ts[-1] - ts[-2]
        cands.append(np.array([ts[0] - f * gb for f in (0.5, 2.0, 8.0, 32.0)] +
                              [ts[-1] + f * gt for f in (0.5, 2.0, 8.0, 32.0)], dtype=ts.dtype))
    if repair > 0 and n > 1:
        # folds that zoom into the tightest places between different labels (to widen them again)
        d = ts[1:] - ts[:-1]
        opp = np.nonzero(ls[1:] != ls[:-1])[0]
        if len(opp):
            tight = opp[np.argsort(d[opp].astype(np.float64))[:repair]]
            mid = (ts[tight] + ts[tight + 1]) / 2
            gap = d[tight]
            rep = [mid + f * gap for f in (-16.0, -4.0, -1.5, 1.5, 4.0, 16.0)]
            cands.append(np.concatenate([np.asarray(x, dtype=ts.dtype) for x in rep]))
    if uniform > 0:
        u = rng.random(uniform)
        cands.append(np.array([ts[0] + spread * float(x) for x in u], dtype=ts.dtype))
    cand = np.concatenate([np.asarray(c, dtype=ts.dtype) for c in cands])
    cand = np.unique(cand)

    # 2. runs after the fold
    runs = _runs_after(ts, ls, cand)

    # 3. cells and conditioning for the best candidates
    run_start, run_end = _run_bounds(ls)
    best_runs = int(runs.min())
    picked = []
    for slack in (0, 1):
        pool = np.nonzero(runs == best_runs + slack)[0]
        if len(pool) > top:
            pool = rng.choice(pool, size=top, replace=False)
        picked.extend(int(k) for k in pool)
    hs = H_GRID[::h_stride] * (fspread if fspread > 0 else 1.0)
    if zoom:
        hs = np.concatenate([H_TINY * (fspread if fspread > 0 else 1.0), hs])
    if h_min > 0:
        hs = hs[hs >= h_min * PEAK] if np.any(hs >= h_min * PEAK) else hs[-1:]
    hs_b = hs if backend.name == "float64" else np.array([backend.scalar(Fraction(float(h))) for h in hs], dtype=object)
    results = []
    for k in picked:
        c0 = cand[k]
        dl, dr = label_cell(ts, ls, c0, run_start, run_end)
        width = dl + dr
        if not (float(dl) > 0 and float(dr) > 0):
            continue
        # stay inside the cell, and within one spread of c0 (monotone folds have unbounded cells)
        lo = c0 - dl if float(dl) <= fspread else c0 - spread
        hi = c0 + dr if float(dr) <= fspread else c0 + spread
        width = hi - lo
        best = None
        for p in (POSITIONS if h_stride == 1 else POSITIONS[1::2]):
            c = lo + width * p
            g = _ratios(ts, ls, es, c, hs_b, eps_f if backend.name == "float64" else eps_eff, backend,
                        h_soft * PEAK, h_pow)
            kk = int(np.argmax(g))
            if best is None or g[kk] > best[0]:
                best = (float(g[kk]), c, hs[kk])
        results.append((int(runs[k]), best[0], best[1], best[2], lo, width))
    if not results:
        # every candidate sat on a boundary (symmetric data): fall back to a monotone fold
        c = ts[0] - spread
        g = _ratios(ts, ls, es, c, hs_b, eps_f if backend.name == "float64" else eps_eff, backend)
        kk = int(np.argmax(g))
        results.append((count_runs_sorted(ls), float(g[kk]), c, hs[kk], c - spread, spread))

    # 4. choice: runs traded against conditioning, ``beta`` runs per decade of gap below the floor
    def score(r):
        g = max(r[1], 1e-300)
        shortfall = max(0.0, np.log10(gap_floor / g))
        return r[0] + beta * shortfall + (1e6 if g < hard_floor else 0.0)

    pick = min(results, key=lambda r: (score(r), -r[1]))
    nruns, gap, c, h, lo, width = pick
    c_f = to_fraction_exact(c)
    win = to_fraction_exact(width) / 10
    c_rel = simplest_between(c_f - win, c_f + win)
    h_f = to_fraction_exact(float(h))
    h_rat = simplest_between(h_f * Fraction(95, 100), h_f * Fraction(105, 100))
    return FoldChoice(c_rel=c_rel, h=h_rat, lam=lam, runs=int(nruns), gap=float(gap))
