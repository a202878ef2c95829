r"""Tilted folds for the ``default`` planner: pairings that no plain fold makes.

A plain fold pairs the points by the reflection ``t -> 2c - t``.  A tilted
fold (:mod:`.numeric`; ``proofs/thm-binary.md``, *tilted folds*) pairs them by the
projective involution with fixed points ``p`` (its peak) and ``q``.  In the
coordinate ``phi = 1/(q - t)``, increasing on the points when ``q`` lies
outside their range, that involution is the reflection about ``phi(p)``, and
the values after the fold decrease with ``|phi - phi(p)|``.  So for a fixed
``q`` everything :mod:`.runs` knows about plain folds applies to ``phi``
unchanged: candidate centres, runs after the fold, label cells.  The fold is
then exact in ``(p, q, kappa)``:

.. math::

    h = \frac{(p - q)\,\kappa}{\kappa^2 + 3},\qquad c = \frac{3p + \kappa^2 q}{\kappa^2 + 3},

with ``kappa`` of the sign of ``p - q``; ``kappa`` moves no pair, only the
values (it plays the part ``h`` plays for a plain fold).

The planner scores them next to plain folds (:mod:`.greedy`, step 3).  They
matter most where a plain fold removes no run: there, two dense clusters at
the ends of the range often leave no reflection that merges anything, while
a pairing that compresses one side does.  The search plans as if
``eps = 0``.  With ``eps > 0`` the planner scales each layer so that
``eps_eff <= 1e-16 h^2`` for every height it tries (:func:`.greedy.choose_fold`).
It then uses tilted folds on float views only, where the perturbation is
below the view's resolution.  The tracker applies and certifies every fold
with the true ``eps_eff``.  Without that scale, ``eps = 1e-5`` flattens
the steep folds, and the plans get much deeper than with ``eps = 0``.

Examples
--------
>>> from fractions import Fraction as Q
>>> c, h = tilted_fold(Q(1), Q(4), Q(-1))     # peak at 1, second fixed point at 4
>>> c, h
(Fraction(7, 4), Fraction(3, 4))
>>> c + Q(-1) * h, c - 3 * h / Q(-1)            # p = c + kappa h, q = c - 3h/kappa
(Fraction(1, 1), Fraction(4, 1))
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np

from .numeric import PEAK, fold_float, fold_slope
from .parallel import current
from .rational import simplest_between
from .runs import argsort_rows, label_cell, run_bounds, runs_after

__all__ = ["KAPPAS", "Q_OFFSETS", "submit_tilted", "tilted_choice", "tilted_fold"]

#: Tilt magnitudes tried (short rationals near ``2^(j/2)``; the tilts taken on random, alternating and
#: spiral data were 2^-4 to 2^(1/2)).
KAPPAS = tuple(simplest_between(Fraction(x * 0.99), Fraction(x * 1.01)) for x in 2.0 ** (np.arange(-12, 4) / 2.0))
#: Distances of ``q`` beyond either end of the range, in spreads.
Q_OFFSETS = (Fraction(1, 64), Fraction(1, 16), Fraction(1, 4), Fraction(1))


def tilted_fold(p: Fraction, q: Fraction, kappa: Fraction):
    """``(c, h)`` of the tilted fold with peak ``p``, second fixed point ``q`` and tilt ``kappa`` (exact)."""
    k2 = kappa * kappa
    return (3 * p + k2 * q) / (k2 + 3), (p - q) * kappa / (k2 + 3)


@functools.lru_cache(maxsize=64)
def _signed(kappas: tuple, sign: int):
    """``kappas`` times ``sign``, exact and as read-only float64 (cached: the same few at every candidate)."""
    signed = tuple(k * sign for k in kappas)
    floats = np.array([float(k) for k in signed])
    floats.flags.writeable = False
    return signed, floats


def _best_tilt(ts, ls, phi, phi_c, q, q_frac, backend, h_soft, kappas, u=None):
    """``(score, kappa)``: the largest normalised smallest gap over ``kappas`` for the peak at ``phi_c``.

    The gap is the smallest difference of values after the fold between
    neighbours of different labels (in the order of ``|phi - phi_c|``), over
    the peak value ``sqrt(6 (kappa^2 + 3))`` of the fold in units of
    ``3 sqrt 2`` (the plain fold's), discounted below ``h_soft`` like a plain fold's.
    With ``u`` (float errors in rounding units) each gap is weighed against
    the errors after the fold, as in :func:`.greedy._gaps`.
    """
    p = q - backend.reciprocal(phi_c)
    p_frac = backend.to_fraction(p)
    sign = 1 if p > q else -1
    o = argsort_rows(np.abs(phi - phi_c)[None, :])[0]
    mask = ls[o][1:] != ls[o][:-1]
    if not mask.any():
        return np.inf, kappas[0] * sign
    a, b = o[:-1][mask], o[1:][mask]
    used = np.zeros(len(o), dtype=bool)
    used[a] = used[b] = True
    sub = np.flatnonzero(used)
    at = np.cumsum(used) - 1  # position of each point in ``sub``
    ia, ib = at[a], at[b]
    signed, fk = _signed(kappas, sign)
    if backend.dtype is not object:  # float views: every tilt at once, in the view's floats
        dt = backend.dtype
        kap = fk.astype(dt)[:, None]
        k2 = kap * kap
        c = (3 * p + k2 * q) / (k2 + 3)
        h = (p - q) * kap / (k2 + 3)
        with np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
            vals = fold_float(ts[sub][None, :], c, h, dt(0), kap)
            gaps = (vals[:, ia] - vals[:, ib]).astype(np.float64)
        hs = h[:, 0].astype(np.float64)
        cs, ks = c.astype(np.float64), kap.astype(np.float64)
    else:  # fixed point: exact parameters, big-int folds
        diffs, hs, cs = [], [], []
        for kappa in signed:
            c, h = tilted_fold(p_frac, q_frac, kappa)
            vals = backend.fold(ts[sub], c, h, 0, kappa)
            diffs.append(backend.to_float(vals[ia] - vals[ib]))
            hs.append(float(h))
            cs.append(float(c))
        hs = np.array(hs)
        cs, ks = np.array(cs)[:, None], fk[:, None]
        gaps = np.array(diffs)
    if u is not None:
        d = backend.to_float(ts[sub])[None, :] - cs
        e = fold_slope(d, hs[:, None], 0.0, ks) * u[sub][None, :] + 1.0
        gaps = gaps * (2.0 / (e[:, ia] + e[:, ib]))
    gaps = gaps.min(axis=1)
    scale = np.sqrt((fk ** 2 + 3) / 3)
    with np.errstate(invalid="ignore"):
        score = np.where(gaps > 0, gaps, 0.0) / scale * np.minimum(1.0, hs / (h_soft * PEAK))
    k = int(np.argmax(score))
    return float(score[k]), signed[k]


def submit_tilted(ts, ls, spread, backend, rng, runs_now: int, *, candidates, n_random: int, edge: int,
                  uniform: int, top: int, h_soft: float, kappas=KAPPAS, positions=(0.3, 0.5, 0.7),
                  offsets=Q_OFFSETS, u=None):
    """Start the tilted search; returns a function that waits for and returns its results.

    The results are ``(runs, gap, tilt)`` with ``tilt = (p_lo, p_hi, q, kappa)``.
    ``ts`` are the sorted values of a float or fixed-point view,
    ``candidates`` the plain planner's candidate generator (applied to
    ``phi``).  ``p_lo < p_hi`` (exact) is the window around the chosen peak
    inside its label cell.  ``kappas`` and ``positions`` (in the cell) are
    the choices scored for each of at most ``top // 4`` candidates per ``q``,
    ``offsets`` the distances of ``q`` beyond either end (in spreads).  The
    search for each ``q`` has its own generator, seeded from ``rng`` in a fixed
    order, and runs in the build's worker processes when there are any
    (:mod:`.parallel`): the results do not depend on where it ran.  ``u``:
    the points' float errors in rounding units, in the order of ``ts`` (or
    None), as for plain folds.
    """
    common = (ts, ls, spread, backend, runs_now, candidates, n_random, edge, uniform, top, h_soft, kappas,
              positions, u)
    jobs = [common + (off, end, int(rng.integers(2**63))) for off in offsets for end in (-1, 1)]
    pool = current()
    if pool is None:
        parts = [_search_q(job) for job in jobs]
        return lambda: [r for part in parts for r in part]
    futures = [pool.submit(_search_q, job) for job in jobs]
    return lambda: [r for f in futures for r in f.result()]


def _search_q(job) -> list:
    """The tilted folds for one second fixed point ``q`` (a picklable job of :func:`submit_tilted`)."""
    (ts, ls, spread, backend, runs_now, candidates, n_random, edge, uniform, top, h_soft, kappas, positions, u,
     off, end, seed) = job
    rng = np.random.default_rng(seed)
    out = []
    spread_q = backend.to_fraction(spread)
    edge_q = backend.to_fraction(ts[-1] if end > 0 else ts[0])
    target = edge_q + end * off * spread_q
    q_frac = simplest_between(target - off * spread_q / 8, target + off * spread_q / 8)
    q = backend.scalar(q_frac)
    with np.errstate(over="ignore", divide="ignore"):
        phi = backend.reciprocal(q - ts)
    if not np.all(phi[1:] >= phi[:-1]):  # rounding broke the order: skip this q
        return out
    pspread = phi[-1] - phi[0]
    cand = candidates(phi, ls, pspread, backend, rng, n_random, edge, uniform)
    runs = runs_after(phi, ls, cand, upto=runs_now - 1)
    good = np.nonzero(runs < runs_now)[0]
    if not len(good):
        return out
    best = int(runs[good].min())
    pool = good[runs[good] <= best + 1]
    quota = max(2, top // 4)
    if len(pool) > quota:
        pool = rng.choice(pool, size=quota, replace=False)
    res = backend.resolution() * backend.as_float(pspread)
    run_start, run_end = run_bounds(ls)
    for k in pool:
        c0 = cand[k]
        dl, dr = label_cell(phi, ls, c0, run_start, run_end, half=backend.half)
        if not (backend.as_float(dl) > res and backend.as_float(dr) > res):
            continue
        lo = c0 - min(dl, pspread)
        width = min(dl, pspread) + min(dr, pspread)
        scored = [(_best_tilt(ts, ls, phi, lo + backend.times(width, pos), q, q_frac, backend, h_soft, kappas, u),
                   pos) for pos in positions]
        (gap, kappa), pos = max(scored, key=lambda x: x[0][0])
        phi_c = lo + backend.times(width, pos)
        tenth = backend.times(width, 0.1)
        ends = sorted(backend.to_fraction(q - backend.reciprocal(phi_c + s * tenth)) for s in (-1, 1))
        out.append((int(runs[k]), gap, (ends[0], ends[1], q_frac, kappa)))
    return out


def tilted_choice(tilt):
    """``(c, h, kappa)`` exact for a chosen ``tilt = (p_lo, p_hi, q, kappa)``: the simplest peak in the window."""
    p_lo, p_hi, q, kappa = tilt
    p = simplest_between(p_lo, p_hi)
    c, h = tilted_fold(p, q, kappa)
    return c, h, kappa
