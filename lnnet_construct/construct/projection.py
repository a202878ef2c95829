r"""Step 0 of the construction: project the points onto a line, exactly (MATH.md §3.1).

A direction ``w`` is usable when the projections ``t_i = w·x_i`` of distinct
points are pairwise distinct; this is checked exactly with Fractions.

* :func:`paper_direction` — the deterministic choice of the paper's proof:
  ``w = (1, s, s^2, ..., s^{d-1})`` with an integer ``s`` beyond every root of
  the polynomials ``(x_i - x_j)·w`` in ``s``.  After scaling the points to
  integers (common denominator ``D``), every coefficient is an integer of size
  at most ``B = 2 D max|x|``, and the leading one is at least 1 in size, so
  Cauchy's bound puts every root inside ``|s| < 1 + B``; ``s = B + 2`` works.
* :func:`choose_direction` — our default: candidate directions (Fisher/LDA,
  principal axes, coordinate axes, seeded random small-integer directions),
  scored in float64 by the number of label runs along the line, then by the
  smallest gap between neighbours with different labels; the winner is
  rounded to a short rational vector and re-checked exactly.

Either way the direction is finally scaled by a power of 10 so that the
spread of the projections lies in ``[1, 10)``: LayerNorm with ``eps = 0`` does
not care, but with ``eps > 0`` a tiny scale would drown the signal in ``eps``.

Examples
--------
>>> from fractions import Fraction as F
>>> pts = [(F(0), F(0)), (F(1), F(0)), (F(0), F(1))]
>>> w = paper_direction(pts)
>>> w
(Fraction(1, 1), Fraction(2, 1))
>>> project(pts, w)
[Fraction(0, 1), Fraction(1, 1), Fraction(2, 1)]
>>> is_injective(project(pts, w))
True
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..errors import ConstructionError
from .rational import simplest_near

__all__ = ["paper_direction", "choose_direction", "project", "is_injective", "count_runs", "normalise_scale"]


#: The integer matrices of the last few point sets (:func:`integer_matrix`), by identity.
_INT_CACHE: dict = {}


def integer_matrix(points):
    """``(X, D)`` with ``points = X / D`` exactly and ``X`` an int64 array, or None when ``X`` would not fit.

    Cached for the last few point sets (by identity; the construction's
    point sets are tuples, which cannot change).

    >>> X, D = integer_matrix(((Fraction(1, 2), Fraction(3)), (Fraction(-1, 4), Fraction(0))))
    >>> X.tolist(), D
    ([[2, 12], [-1, 0]], 4)
    """
    hit = _INT_CACHE.get(id(points))
    if hit is not None and hit[0] is points:
        return hit[1]
    D = 1
    for p in points:
        for v in p:
            d = v.denominator
            if D % d:
                D = D // math.gcd(D, d) * d
                if D > 1 << 62:
                    return _remember(points, None)
    rows = [[v.numerator * (D // v.denominator) for v in p] for p in points]
    try:
        X = np.array(rows, dtype=np.int64)
    except OverflowError:
        return _remember(points, None)
    if X.size and int(np.abs(X).max()) >= 1 << 62:
        return _remember(points, None)
    return _remember(points, (X, D))


def _remember(points, value):
    if len(_INT_CACHE) >= 4:
        _INT_CACHE.pop(next(iter(_INT_CACHE)))
    _INT_CACHE[id(points)] = (points, value)
    return value


def _project_int(points, w):
    """Exact projections through int64 matrix products when every integer fits (else None)."""
    got = integer_matrix(points) if isinstance(points, tuple) else None
    if got is None:
        return None
    X, D = got
    E = 1
    for wk in w:
        E = E // math.gcd(E, Fraction(wk).denominator) * Fraction(wk).denominator
    Wi = [int(Fraction(wk) * E) for wk in w]
    xmax = int(np.abs(X).max()) if X.size else 0
    # W = sum_j W_j 2^(k j) with digits |W_j| < 2^k small enough that each X @ W_j is exact in int64
    k = 62 - (max(xmax, 1) * len(Wi)).bit_length()
    if k < 8:
        return None
    sign = [1 if v >= 0 else -1 for v in Wi]
    rest = [abs(v) for v in Wi]
    total = [0] * len(X)
    shift = 0
    mask = (1 << k) - 1
    while any(rest):
        digit = np.array([sg * (r & mask) for sg, r in zip(sign, rest)], dtype=np.int64)
        part = (X @ digit).tolist()
        total = [a + (b << shift) for a, b in zip(total, part)]
        rest = [r >> k for r in rest]
        shift += k
    return [Fraction(v, D * E) for v in total]


def project(points: Sequence[Sequence[Fraction]], w: Sequence[Fraction]) -> list:
    """Exact projections ``w·x`` of every point (Fractions)."""
    fast = _project_int(points, w)
    if fast is not None:
        return fast
    # integer arithmetic per coordinate is much faster than Fraction sums
    nz = [(k, wk) for k, wk in enumerate(w) if wk != 0]
    out = []
    for p in points:
        s = Fraction(0)
        for k, wk in nz:
            s += wk * p[k]
        out.append(s)
    return out


def is_injective(values: Sequence[Fraction]) -> bool:
    """True if the exact values are pairwise distinct."""
    return len(set(values)) == len(values)


def count_runs(labels_in_order) -> int:
    """Number of maximal blocks of equal labels in a sequence.

    >>> count_runs([0, 0, 1, 0, 1, 1])
    4
    """
    a = np.asarray(labels_in_order)
    if a.size == 0:
        return 0
    return 1 + int(np.count_nonzero(a[1:] != a[:-1]))


def paper_direction(points: Sequence[Sequence[Fraction]]) -> tuple:
    """The paper's deterministic direction ``(1, s, ..., s^{d-1})`` (module docstring).

    ``s = B + 2`` always separates the points; the small integers
    ``2 .. 17`` are tried too (checked exactly) and the ``s`` with the
    largest smallest gap relative to the spread wins: ``B + 2`` can spread
    the values over ``2 log10 B`` decades.
    """
    d = len(points[0])
    if d == 1:
        return (Fraction(1),)
    den = 1
    big = 0
    for p in points:
        for v in p:
            den = den * v.denominator // math.gcd(den, v.denominator)
    for p in points:
        for v in p:
            big = max(big, abs(v.numerator * (den // v.denominator)))
    best = None
    distinct = len(set(map(tuple, points)))
    for s in [*range(2, 18), 2 * big + 2]:
        w = tuple(Fraction(s) ** k for k in range(d))
        ts = sorted(set(project(points, w)))
        if len(ts) < distinct:
            continue  # s is a root of some (x_i - x_j)·w
        spread = ts[-1] - ts[0]
        ratio = min(b - a for a, b in zip(ts, ts[1:])) / spread if spread else Fraction(1)
        if best is None or ratio > best[0]:
            best = (ratio, w)
    return best[1]


def normalise_scale(w: Sequence[Fraction], t: Sequence[Fraction]) -> tuple[tuple, list]:
    """Scale ``w`` (and ``t``) by a power of 10 so that ``max t - min t`` lies in ``[1, 10)``."""
    spread = max(t) - min(t)
    if spread == 0:
        return tuple(w), list(t)
    e = 0
    while spread * Fraction(10) ** e >= 10:
        e -= 1
    while spread * Fraction(10) ** e < 1:
        e += 1
    f = Fraction(10) ** e
    return tuple(wk * f for wk in w), [v * f for v in t]


def _log2_abs(v) -> int:
    """About ``log2 |v|`` of a nonzero rational (the construction's points are rational), at any size."""
    q = Fraction(v)
    return abs(q.numerator).bit_length() - q.denominator.bit_length()


def _float_matrix(points):
    """Float copy of the points for scoring, and the power of two each column was divided by.

    A column beyond float64's range (about ``2^±1000``) is scaled by an
    exact power of two first, so the scores still see it.

    >>> x, shifts = _float_matrix([(Fraction(10) ** 400, Fraction(1)), (Fraction(2), Fraction(3))])
    >>> shifts, bool(x[0, 0] > 0.5), float(x[1, 1])
    ([1328, 0], True, 3.0)
    """
    got = integer_matrix(points) if isinstance(points, tuple) else None
    if got is not None and got[1] < 1 << 900:
        return got[0].astype(np.float64) / float(got[1]), [0] * len(points[0])
    shifts = []
    for col in zip(*points):
        logs = [_log2_abs(v) for v in col if v != 0]
        top = max(logs, default=0)
        shifts.append(top if abs(top) > 900 else 0)
    x = np.array([[float(v * Fraction(2) ** -k) if k else float(v) for v, k in zip(p, shifts)]
                  for p in points], dtype=np.float64)
    return x, shifts


def _candidates(x: np.ndarray, labels: np.ndarray, rng: np.random.Generator, n_random: int) -> list:
    m, d = x.shape
    cands = [np.eye(d)[k] for k in range(d)]
    if m >= 2:
        xc = x - x.mean(axis=0)
        try:
            _, _, vt = np.linalg.svd(xc, full_matrices=False)
            cands.extend(vt[: min(3, d)])
        except np.linalg.LinAlgError:
            pass
        classes = np.unique(labels)
        if len(classes) >= 2:
            sw = np.zeros((d, d))
            means = []
            for c in classes:
                xc_ = x[labels == c]
                mu = xc_.mean(axis=0)
                means.append((len(xc_), mu))
                sw += (xc_ - mu).T @ (xc_ - mu)
            sw += 1e-9 * (np.trace(sw) / d + 1e-300) * np.eye(d)
            mu_all = x.mean(axis=0)
            sb = sum(n * np.outer(mu - mu_all, mu - mu_all) for n, mu in means)
            try:
                vals, vecs = np.linalg.eig(np.linalg.solve(sw, sb))
                order = np.argsort(-vals.real)
                for k in order[: min(2, d)]:
                    cands.append(vecs[:, k].real)
            except np.linalg.LinAlgError:
                pass
    for _ in range(n_random):
        cands.append(rng.integers(-9, 10, size=d).astype(np.float64))
    return [c for c in cands if np.all(np.isfinite(c)) and np.any(c != 0)]


def _rationalise(v: np.ndarray, digits: int) -> tuple:
    scale = float(np.max(np.abs(v)))
    out = []
    for a in v / scale:
        out.append(simplest_near(float(a), 10.0 ** (-digits)))
    return tuple(out)


#: Smallest relative gap along the line from which a float32 evaluation is worth aiming for.
F32_GAP = 1e-4


def _scores(xs: np.ndarray, labels: np.ndarray, dirs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label runs and smallest relative opposite-label gap along each direction (float64)."""
    runs = np.empty(len(dirs), dtype=np.int64)
    gaps = np.empty(len(dirs))
    step = max(1, 2_000_000 // max(len(xs), 1))
    for s in range(0, len(dirs), step):
        t = xs @ dirs[s:s + step].T
        o = np.argsort(t, axis=0, kind="stable")
        ts = np.take_along_axis(t, o, axis=0)
        ls = labels[o]
        opp = ls[1:] != ls[:-1]
        spread = ts[-1] - ts[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.where(opp, np.diff(ts, axis=0), np.inf).min(axis=0) / spread
        runs[s:s + step] = 1 + opp.sum(axis=0)
        gaps[s:s + step] = np.where(np.isfinite(g) & (spread > 0), g, 0.0)
    return runs, np.where(runs == 1, 1.0, gaps)


def choose_direction(points: Sequence[Sequence[Fraction]], labels: np.ndarray, *, seed=None,
                     n_random: int | None = None) -> tuple:
    """Default projection direction: few label runs and a wide smallest gap between labels.

    The score is ``log10(gap) - (runs - fewest) / rho``.  When some line
    keeps the labels a relative :data:`F32_GAP` apart (float32 evaluation is
    within reach), ``rho = max(8, fewest / 12)`` runs per decade: a decade
    more room for rounding errors is worth a few more runs (each fold
    removes several).  Otherwise ``rho = 2``: fewest runs first.  The best
    directions are then refined by small random rotations.

    Parameters
    ----------
    points : sequence of tuples of Fraction
        Distinct points.
    labels : array of int
    seed : int or None
        Seed of the random candidate directions (None: a fixed seed, so the
        result is deterministic).
    n_random : int or None
        Random directions tried (default: about ``4 10^6 / m``, between 64 and 4000).

    Returns
    -------
    tuple of Fraction
        A direction with pairwise distinct exact projections.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> pts = [(F(0), F(0)), (F(1), F(0)), (F(0), F(1)), (F(1), F(1))]
    >>> w = choose_direction(pts, np.array([0, 1, 1, 0]))
    >>> is_injective(project(pts, w))
    True
    """
    d = len(points[0])
    m = len(points)
    if d == 1:
        return (Fraction(1),)
    rng = np.random.default_rng(12345 if seed is None else seed)
    if n_random is None:
        n_random = int(min(4000, max(64, 4_000_000 // max(m, 1))))
    x, shifts = _float_matrix(points)
    labels = np.asarray(labels)
    # standardise so that coordinates of very different scales are comparable
    with np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
        scale = x.std(axis=0) if m > 1 else np.ones(d)
        scale = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
        xs = (x - x.mean(axis=0)) / scale
        if not np.all(np.isfinite(xs)):
            xs = np.nan_to_num(xs)
        cands = _candidates(xs, labels, rng, 0)
        g = rng.normal(size=(n_random, d))
        dirs = np.vstack([np.array(cands), g]) if cands else g
        dirs = dirs / np.maximum(np.linalg.norm(dirs, axis=1, keepdims=True), 1e-300)
        runs, gaps = _scores(xs, labels, dirs)
        all_gaps = [gaps]
        fewest = int(runs.min())
        # room for float32 (a relative gap of 1e-4 or more somewhere): trade runs for digits; else runs first
        rho = max(8.0, fewest / 12.0) if gaps.max() >= F32_GAP else 2.0

        def score(r, gp):
            return np.log10(np.maximum(gp, 1e-300)) - (r - fewest) / rho

        sc = score(runs, gaps)
        top = dirs[np.argsort(-sc)[:8]]
        for width in (0.1, 0.02, 0.004):  # local refinement around the best directions
            trial = np.repeat(top, 16, axis=0) + width * rng.normal(size=(len(top) * 16, d))
            trial /= np.linalg.norm(trial, axis=1, keepdims=True)
            r2, g2 = _scores(xs, labels, trial)
            all_gaps.append(g2)
            dirs = np.vstack([dirs, trial])
            sc = np.concatenate([sc, score(r2, g2)])
            top = dirs[np.argsort(-sc)[:8]]
    best = np.argsort(-sc)[:20]
    # round to short rationals, keeping the projections within 1/1000 of the smallest gap
    gap = float(np.concatenate(all_gaps)[best[0]])
    first = int(np.ceil(-np.log10(max(min(gap, 1.0), 1e-30) * 1e-3 / (3 * d))))
    for c in dirs[best]:
        c = c / scale
        for digits in (max(3, first), max(3, first) + 4, 16):
            w = _rationalise(c, digits)
            w = tuple(wk * Fraction(2) ** -k if k else wk for wk, k in zip(w, shifts))
            if any(wk != 0 for wk in w) and is_injective(project(points, w)):
                return w
    # exact fallback: the paper's direction always works
    w = paper_direction(points)
    if not is_injective(project(points, w)):  # pragma: no cover - impossible for distinct points
        raise ConstructionError("no injective projection found for distinct points")
    return w
