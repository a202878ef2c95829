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
(Fraction(1, 1), Fraction(4, 1))
>>> project(pts, w)
[Fraction(0, 1), Fraction(1, 1), Fraction(4, 1)]
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


def project(points: Sequence[Sequence[Fraction]], w: Sequence[Fraction]) -> list:
    """Exact projections ``w·x`` of every point (Fractions)."""
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
    """The paper's deterministic direction ``(1, s, ..., s^{d-1})`` (module docstring)."""
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
    s = 2 * big + 2
    return tuple(Fraction(s) ** k for k in range(d))


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


def _float_matrix(points) -> np.ndarray:
    # standardised float copy (for scoring only; exactness is restored later)
    x = np.array([[float(v) for v in p] for p in points], dtype=np.float64)
    return x


def _score(t: np.ndarray, labels: np.ndarray) -> tuple[int, float]:
    o = np.argsort(t, kind="stable")
    ts, ls = t[o], labels[o]
    runs = count_runs(ls)
    spread = ts[-1] - ts[0] if len(ts) > 1 else 0.0
    diff = np.diff(ts)
    opp = ls[1:] != ls[:-1]
    gap = float(diff[opp].min()) / spread if opp.any() and spread > 0 else 1.0
    return runs, gap


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


def choose_direction(points: Sequence[Sequence[Fraction]], labels: np.ndarray, *, seed=None,
                     n_random: int = 200) -> tuple:
    """Default projection direction: fewest label runs, then widest opposite-label gap.

    Parameters
    ----------
    points : sequence of tuples of Fraction
        Distinct points.
    labels : array of int
    seed : int or None
        Seed of the random candidate directions (None: a fixed seed, so the
        result is deterministic).
    n_random : int

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
    x = _float_matrix(points)
    # standardise so that coordinates of very different scales are comparable
    with np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
        scale = x.std(axis=0) if m > 1 else np.ones(d)
        scale = np.where((scale > 0) & np.isfinite(scale), scale, 1.0)
        xs = (x - x.mean(axis=0)) / scale
        cands = _candidates(xs, labels, rng, n_random)
        scored = []
        for c in cands:
            t = xs @ c
            if not np.all(np.isfinite(t)):
                continue
            runs, gap = _score(t, labels)
            scored.append((runs, -gap, len(scored), c / scale))
    scored.sort(key=lambda s: (s[0], s[1], s[2]))
    for _, _, _, c in scored[:20]:
        for digits in (3, 6, 12):
            w = _rationalise(c, digits)
            if any(wk != 0 for wk in w) and is_injective(project(points, w)):
                return w
    # exact fallback: the paper's direction always works
    w = paper_direction(points)
    if not is_injective(project(points, w)):  # pragma: no cover - impossible for distinct points
        raise ConstructionError("no injective projection found for distinct points")
    return w
