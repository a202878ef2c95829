r"""Tier 1: rigorous float64 enclosures for all points at once (numpy, vectorised).

Two paths, both rigorous:

* **chain** (:func:`chain_batch`): for a rank-1 scalar chain
  (:mod:`lnnet_construct.verify.chain`) each point carries one interval per
  layer, mapped by each LN layer to the exact image of ``g`` (endpoints plus
  the stationary point).  The state is one ``(2, m)`` array ``[lo; -hi]`` so
  that every numpy call handles both endpoints.
* **generic** (:func:`generic_batch`): the package's one LayerNorm in
  :class:`~lnnet_construct.arith.interval.IntervalArith` on the whole batch.

**Fast fold layers.**  When the read-out has ``A = 0`` (every fold layer of a
constructed network), ``g(s) = K / sqrt(s^2 + F)`` with ``K = B'/sqrt(C)`` and
``F = E'/C`` is even in ``s`` and monotone in ``|s|``, so the image of
``s in [slo, shi]`` is ``g`` at ``u_max = max|s|`` and ``u_min = min|s|``.
Instead of rounding every operation outward (``np.nextafter`` costs as much
as ten additions) it is computed in round-to-nearest and widened once by the
relative factor ``1 ± κ``, ``κ = 2^-48``.  Error analysis (``u = 2^-53``):

* ``σ0`` is stored as a float ``s0`` with ``|s0 - σ0| <= e0/2`` (``e0``
  rounded up); ``r = fl(a - s0)`` gives ``|s - r| <= u'|r| + e0/2``, so
  ``u_max <= (|mn| + e0)(1 + u')`` and ``u_min >= (mx - e0)(1 - u')`` with
  ``mn = min(r_lo, -r_hi) <= 0`` and ``mx = max(r_lo, -r_hi)``.
* ``K`` and ``F`` are floats within relative ``2u`` of their exact values
  (checked exactly when they are made).
* ``fl(e0 - mn)``, ``fl(mx - e0)``, ``U*U``, ``+F``, ``sqrt``, ``K/·`` and the
  final scaling each add at most ``u`` relative error; ``T = U^2 + F`` is a
  sum of non-negative terms, so nothing cancels.  The total relative error
  of ``K/sqrt(T)`` is below ``9u + O(u^2) < κ``.
* The analysis needs normal floats: every ``T`` must lie in
  ``[2^-960, 2^960]`` and ``|K|`` in ``[2^-400, 2^400]``.  Points whose ``T``
  leaves the range are dropped from the batch (they escalate).

**Fast tilted layers.**  With ``A != 0`` (a tilted fold),
``g(s) = (J s + K) / sqrt(s^2 + F)`` with ``J = A/sqrt(C)`` has one
stationary point ``s* = J F / K`` (a maximum when ``K > 0``) of value
``sign(K) sqrt(J^2 + K^2/F)``; both are enclosed from arb once per layer.
The interval ``s`` is made outward (``np.nextafter`` after the subtraction
of ``s0`` and of ``e0``), ``g`` is evaluated at both ends in round-to-nearest,
and each value is widened by ``2^-49 (|J| |s| + |K|) / sqrt(s^2 + F)``: the
numerator loses at most ``4u (|J s| + |K|)`` (with the constants' ``2u``),
the radicand, square root and division at most ``4u |g| <= 4u (|J s| +
|K|)/sqrt(s^2+F)``, so ``8u`` would do and ``16u`` leaves slack for the
widening's own rounding.  The image is the hull of the two ends, and of the
stationary value where ``s*`` may lie inside.  The same normal-range guards
apply.

Layers with unusual constants use outward-rounded
:class:`~lnnet_construct.arith.interval.Interval` operations at the endpoints
and at the stationary point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np

from ..arith.interval import Interval, IntervalArith, enclose_fraction
from ..numbers import Expr
from .chain import Chain, Readout, Stage, _precision
from .head import decision_rows, forward_body, split_head

__all__ = ["BatchResult", "chain_batch", "head_batch", "generic_batch", "float_enclosure", "exact_bounds"]

_KAPPA = 2.0**-48
_T_MIN = 2.0**-960
_T_MAX = 2.0**960
_INF = np.inf
_IA = IntervalArith()


def exact_bounds(x, bits: int = 256) -> tuple[Fraction, Fraction]:
    """Exact dyadic ``(lo, hi)`` enclosing an exact number (a Fraction encloses itself).

    >>> exact_bounds(Fraction(1, 3))
    (Fraction(1, 3), Fraction(1, 3))
    """
    if not isinstance(x, Expr):
        q = Fraction(x)
        return q, q
    from ..arith.arb import ArbArith, arb_to_interval

    A = ArbArith(bits)
    with A.active():
        iv = arb_to_interval(A.const(x))
    if iv is None:
        raise ArithmeticError("non-finite enclosure of a constant")
    return iv


def float_enclosure(x) -> tuple[float, float]:
    """Outward float64 interval of an exact number (Fraction or Expr).

    >>> float_enclosure(Fraction(1, 2))
    (0.5, 0.5)
    >>> from lnnet_construct.numbers import parse_number
    >>> lo, hi = float_enclosure(parse_number("sqrt(2)")); lo < hi and lo * lo < 2 < hi * hi
    True
    """
    if not isinstance(x, Expr):
        return enclose_fraction(Fraction(x))
    lo, hi = exact_bounds(x)
    return enclose_fraction(lo)[0], enclose_fraction(hi)[1]


def _iconst(x) -> Interval:
    lo, hi = float_enclosure(x)
    return Interval(lo, hi)


def _const_array(x, n) -> Interval:
    lo, hi = float_enclosure(x)
    return Interval(np.full(n, lo), np.full(n, hi))


@dataclass
class BatchResult:
    """Per-point outcome of tier 1 (arrays of length m, points in input order).

    ``status``: 1 verified, -1 refuted, 0 undecided (escalate).  ``zero``:
    the refuting quantity is exactly 0 (zero output / exact tie).
    ``out_lo/out_hi``: ``(m, K)`` output enclosures.  ``m_lo/m_hi``: margin
    enclosure.  ``d_lo/d_hi``: minimum over the decision quantities of their
    lower / upper bounds.  ``beaten_by``: a class proven to score strictly
    higher than the label (or -1).
    """

    status: np.ndarray
    zero: np.ndarray
    out_lo: np.ndarray
    out_hi: np.ndarray
    m_lo: np.ndarray
    m_hi: np.ndarray
    d_lo: np.ndarray
    d_hi: np.ndarray
    beaten_by: np.ndarray

    @classmethod
    def empty(cls, m: int, k: int) -> "BatchResult":
        return cls(np.zeros(m, np.int8), np.zeros(m, bool), np.full((m, k), -_INF), np.full((m, k), _INF),
                   np.full(m, -_INF), np.full(m, _INF), np.full(m, -_INF), np.full(m, _INF),
                   np.full(m, -1, np.int64))


# ---------------------------------------------------------------------------
# outward-rounded helpers on whole arrays


def _abs(y: Interval) -> Interval:
    with np.errstate(invalid="ignore"):
        a, b = np.abs(y.lo), np.abs(y.hi)
        mag = np.maximum(a, b)
        straddle = (y.lo <= 0) & (y.hi >= 0)
        mig = np.where(straddle, 0.0, np.minimum(a, b))
    return Interval(mig, mag)


def _neg(x: Interval) -> Interval:
    return Interval(-x.hi, -x.lo)


def _den(r, absy, bias) -> Interval:
    """``sum_j |r_j| |y_j| + |bias|`` (outward)."""
    n = np.shape(absy[0].lo)[0] if absy else 0
    total = _abs(_const_array(bias, n))
    for rj, ay in zip(r, absy):
        if rj != 0:
            total = total + _abs(_iconst(rj)) * ay
    return total


def _margin(d: Interval, den: Interval) -> Interval:
    """``d / den`` (``den >= 0``); an exact zero ``d`` gives exactly 0."""
    both_zero = (d.lo == 0) & (d.hi == 0)
    q = d / den
    return Interval(np.where(both_zero, 0.0, q.lo), np.where(both_zero, 0.0, q.hi))


_CONST_BITS = 192


def _ball_interval(ball) -> Interval:
    """Outward float64 interval of an arb ball.

    Each end is the exact point ``lower()`` / ``upper()`` converted to a float
    (within one ulp whatever the rounding, inf beyond the range) and moved
    one ulp outward.
    """
    if not ball.is_finite():
        return Interval(-_INF, _INF)
    return Interval(math.nextafter(float(ball.lower()), -_INF), math.nextafter(float(ball.upper()), _INF))


class _StageConsts:
    """Float enclosures of one stage's constants (Interval path)."""

    def __init__(self, st: Stage):
        self.st = st
        sigma0, C, E1, _ = st.arb(_CONST_BITS)
        self.C = _ball_interval(C)
        self.E1 = _ball_interval(E1)
        self.sigma0 = _ball_interval(sigma0)
        self._ro: dict = {}

    def ro(self, ro: Readout):
        key = id(ro)
        if key not in self._ro:
            A, B1, sstar, K, F = ro.arb(_CONST_BITS)
            A = _ball_interval(A)
            B1 = _ball_interval(B1)
            ss = None if sstar is None else _ball_interval(sstar)
            gs = None if ss is None else self.g(A, B1, ro, ss)
            self._ro[key] = (A, B1, ss, gs)
        return self._ro[key]

    def g(self, A, B1, ro, s: Interval) -> Interval:
        num = B1 if ro.a_zero else A * s + B1
        q = self.C * _IA.square(s) + self.E1
        return num / _IA.sqrt(q)

    def centred(self, lo, hi) -> Interval:
        return Interval(lo, hi) - self.sigma0

    def defined(self, S: Interval) -> np.ndarray:
        """Points whose LN variance ``C s^2 + E'`` is proven positive on all of ``S``."""
        if not self.st.e1_zero:
            return np.isfinite(S.lo) & np.isfinite(S.hi)
        q = self.C * _IA.square(S) + self.E1
        return q.lo > 0

    def image(self, ro: Readout, S: Interval) -> Interval:
        """Enclosure of ``g(S)`` (meaningful where :meth:`defined`)."""
        n = np.shape(S.lo)[0]
        if ro.is_zero:
            return Interval(np.zeros(n), np.zeros(n))
        A, B1, ss, gs = self.ro(ro)
        ends = np.concatenate([S.lo, S.hi])
        G = self.g(A, B1, ro, Interval(ends, ends))
        lo = np.minimum(G.lo[:n], G.lo[n:])
        hi = np.maximum(G.hi[:n], G.hi[n:])
        if ss is not None:
            inside = (S.lo <= ss.hi) & (S.hi >= ss.lo)
            lo = np.where(inside, np.minimum(lo, gs.lo), lo)
            hi = np.where(inside, np.maximum(hi, gs.hi), hi)
        return Interval(lo, hi)

    def value(self, r, bias, S: Interval) -> Interval:
        """Enclosure of ``r · y + bias`` (exact when the read-out vanishes identically)."""
        ro = self.st.readout(r)
        n = np.shape(S.lo)[0]
        if ro.is_zero:
            return _const_array(bias, n)
        return self.image(ro, S) + _iconst(bias)


# ---------------------------------------------------------------------------
# chain tier


def _centre_float(st: Stage):
    """``(s0, e0)``: the stage's centre ``sigma0`` as a moderate float within ``e0/2`` of it, or None."""
    sigma0 = st.arb(_CONST_BITS)[0]
    with _precision(_CONST_BITS):
        s0 = _mid_float(sigma0)
        if s0 is None or abs(s0) > 2.0**500:
            return None
        e0 = 2.0 * _upper_float((sigma0 - flint.arb(s0)).abs_upper()) if not sigma0.is_exact() else 0.0
    return (s0, e0) if math.isfinite(e0) else None


class _FastLayer:
    """Float constants of a fast fold layer (None from :meth:`make` when it does not apply)."""

    __slots__ = ("s0col", "e0", "F", "K", "fac", "umax_row", "umin_row", "zero")

    @classmethod
    def make(cls, st: Stage, ro: Readout):
        if not ro.a_zero:
            return None
        self = cls()
        centre = _centre_float(st)
        if centre is None:
            return None
        s0, self.e0 = centre
        with _precision(_CONST_BITS):
            self.s0col = np.array([[s0], [-s0]])
            self.zero = ro.b1_zero
            if self.zero:
                return self
            A, B1, sstar, K, F = ro.arb(_CONST_BITS)
            k = _near_ball(K)
            if k is None or not (2.0**-400 <= abs(k) <= 2.0**400):
                return None
            if st.e1_zero:
                f = 0.0
            else:
                f = _near_ball(F)
                if f is None or f > _T_MAX:
                    return None
        self.K, self.F = k, f
        if k > 0:  # g decreasing in |s|: the lower bound comes from u_max
            self.umax_row, self.umin_row = 0, 1
            self.fac = np.array([[1.0 - _KAPPA], [-(1.0 + _KAPPA)]])
        else:
            self.umax_row, self.umin_row = 1, 0
            self.fac = np.array([[1.0 + _KAPPA], [-(1.0 - _KAPPA)]])
        return self


class _TiltLayer:
    """Float constants of a fast tilted fold layer (``A != 0``; None from :meth:`make` when it does not apply)."""

    __slots__ = ("s0col", "e0", "J", "Jcol", "K", "F", "ss_lo", "ss_hi", "gs_lo", "gs_hi")

    @classmethod
    def make(cls, st: Stage, ro: Readout):
        if ro.a_zero or ro.b1_zero or st.e1_zero:
            return None
        self = cls()
        centre = _centre_float(st)
        if centre is None:
            return None
        _, _, sstar, K, F = ro.arb(_CONST_BITS)
        J = ro.slope(_CONST_BITS)
        with _precision(_CONST_BITS):
            j, k, f = _near_ball(J), _near_ball(K), _near_ball(F)
            if j is None or k is None or f is None:
                return None
            if not (2.0**-400 <= abs(j) <= 2.0**400 and 2.0**-400 <= abs(k) <= 2.0**400 and 2.0**-400 <= f <= 2.0**400):
                return None
            gs = (J * J + K * K / F).sqrt()
            if k < 0:
                gs = -gs
            ss, gv = _ball_interval(sstar), _ball_interval(gs)
        (s0, self.e0), self.J, self.K, self.F = centre, j, k, f
        self.s0col = np.array([[s0], [-s0]])
        self.Jcol = np.array([[j], [-j]])
        self.ss_lo, self.ss_hi = float(ss.lo), float(ss.hi)
        self.gs_lo, self.gs_hi = float(gv.lo), float(gv.hi)
        if not all(math.isfinite(x) for x in (self.ss_lo, self.ss_hi, self.gs_lo, self.gs_hi)):
            return None
        return self


def _tilt_step(tl: _TiltLayer, X: np.ndarray):
    """One fast tilted layer on ``X = [lo; -hi]`` (module docstring): ``(new X, bad-column mask or None)``.

    Both ends go through every numpy call together: rounding is symmetric,
    so rounding ``-(hi - s0)`` down is rounding ``hi - s0`` up.
    """
    E = X - tl.s0col  # [lo - s0; -(hi - s0)]
    np.nextafter(E, -_INF, out=E)
    E -= tl.e0
    np.nextafter(E, -_INF, out=E)  # [s_lo; -s_hi], outward
    T = E * E
    T += tl.F
    bad = None
    if not (T.min() >= _T_MIN and T.max() <= _T_MAX):
        bad = ((T < _T_MIN) | (T > _T_MAX) | ~np.isfinite(T)).any(axis=0)
        T[:, bad] = 1.0  # placeholder: the caller drops these columns
    np.sqrt(T, out=T)
    G = tl.Jcol * E  # J s at both ends
    G += tl.K
    G /= T
    err = np.abs(E)
    err *= abs(tl.J)
    err += abs(tl.K)
    err /= T
    err *= 2.0**-49 * (1 + 2.0**-40)
    lo = G - err
    G += err
    out = np.empty_like(X)
    np.minimum(lo[0], lo[1], out=out[0])
    ghi = np.maximum(G[0], G[1])
    inside = (E[0] <= tl.ss_hi) & (E[1] <= -tl.ss_lo)
    if tl.K > 0:
        np.maximum(ghi, tl.gs_hi, out=ghi, where=inside)
    else:
        np.minimum(out[0], tl.gs_lo, out=out[0], where=inside)
    np.negative(ghi, out=out[1])
    if not np.isfinite(out).all():
        nf = ~np.isfinite(out).all(axis=0)
        bad = nf if bad is None else bad | nf
    if bad is not None:
        out[:, bad] = 0.0
    return out, bad


def _mid_float(x):
    """The midpoint of a finite ball as a finite normal float, or None."""
    if not x.is_finite():
        return None
    f = float(x.mid())
    if not math.isfinite(f) or (f != 0.0 and abs(f) < 2.0**-1000):
        return None
    return f


def _upper_float(e) -> float:
    """A float >= the exact non-negative dyadic ``e`` (an exact arb)."""
    f = float(e)
    return f * (1 + 2.0**-50) + 5e-324 if math.isfinite(f) else math.inf


def _near_ball(x):
    """A normal float within relative ``2u`` of every point of the ball ``x``, or None."""
    f = _mid_float(x)
    if f is None or f == 0.0:
        return None
    err = (x - flint.arb(f)).abs_upper()
    bound = flint.arb(abs(f)) * flint.arb(2) ** -52
    return f if err <= bound else None


def _fast_step(fl: _FastLayer, X: np.ndarray, e1_zero: bool):
    """One fast fold layer on the state ``X = [lo; -hi]``: ``(new X, bad-column mask or None)``."""
    S = X - fl.s0col  # [lo - s0; -(hi - s0)]
    mx = S.max(axis=0)
    mn = S.min(axis=0)
    m = X.shape[1]
    if fl.zero:
        # g == 0 wherever the LN is defined (E' = 0 needs |s| > 0)
        out = np.zeros((2, m))
        if e1_zero:
            bad = ~((mx - fl.e0) * (1 - _KAPPA) > 0)
            return out, (bad if bad.any() else None)
        return out, None
    U = np.empty((2, m))
    np.subtract(fl.e0, mn, out=U[fl.umax_row])
    umin = U[fl.umin_row]
    np.subtract(mx, fl.e0, out=umin)
    np.maximum(umin, 0.0, out=umin)
    T = np.multiply(U, U, out=U)
    T += fl.F
    bad = None
    if not (T.min() >= _T_MIN and T.max() <= _T_MAX):
        b = (T < _T_MIN) | (T > _T_MAX) | np.isnan(T)
        bad = b.any(axis=0)
        T[:, bad] = 1.0  # placeholder: the caller drops these columns
    np.sqrt(T, out=T)
    np.divide(fl.K, T, out=T)
    T *= fl.fac
    return T, bad


def _general_step(sc: _StageConsts, ro: Readout, X: np.ndarray):
    S = sc.centred(X[0], -X[1])
    img = sc.image(ro, S)
    bad = ~(sc.defined(S) & np.isfinite(img.lo) & np.isfinite(img.hi))
    out = np.vstack([img.lo, -img.hi])
    if bad.any():
        out[:, bad] = 0.0
        return out, bad
    return out, None


def _float_or_nan(x) -> float:
    if isinstance(x, Expr):
        return np.nan
    try:
        return float(x)
    except OverflowError:
        return np.nan


def _layer_plan(chain: Chain):
    plan = chain.cache.get("batch-plan")
    if plan is None:
        plan = []
        for k in range(chain.depth - 1):
            st, ro = chain.stages[k], chain.inner[k]
            plan.append((_FastLayer.make(st, ro) or _TiltLayer.make(st, ro), st, ro))
        chain.cache["batch-plan"] = plan
    return plan


def chain_batch(chain: Chain, points: list, label_idx: np.ndarray) -> BatchResult:
    """Tier 1 for a chain: enclosures of every point's scalars, outputs and margins.

    Parameters
    ----------
    chain : Chain
    points : list of tuples of exact numbers
    label_idx : int array
        Class index of each point's label (points with -1 are skipped).
    """
    # Overflow, underflow and 0/0 are expected and handled (guards, unbounded entries).
    with np.errstate(all="ignore"):
        return _chain_batch(chain, points, label_idx)


def _coordinate_enclosure(column) -> Interval:
    """Outward float64 enclosure of a column of exact numbers (one ulp around correctly rounded floats)."""
    f = np.array([_float_or_nan(v) for v in column])
    lo = np.nextafter(f, -_INF)
    hi = np.nextafter(f, _INF)
    for t in np.flatnonzero(~np.isfinite(f) | (np.abs(f) < 2.0**-1000)):
        try:
            lo[t], hi[t] = float_enclosure(column[t])
        except (ArithmeticError, ValueError):
            lo[t], hi[t] = -_INF, _INF
    return Interval(lo, hi)


def first_scalars(chain: Chain, points: list) -> Interval:
    """Enclosures of ``sigma_1 = q1 · x`` for all points, vectorised (no exact arithmetic per point)."""
    total = None
    for j, qj in enumerate(chain.q1):
        if qj == 0:
            continue
        term = _iconst(qj) * _coordinate_enclosure([p[j] for p in points])
        total = term if total is None else total + term
    if total is None:
        z = np.zeros(len(points))
        return Interval(z, z.copy())
    return total


def _chain_batch(chain: Chain, points: list, label_idx: np.ndarray) -> BatchResult:
    m = len(points)
    res = BatchResult.empty(m, len(chain.out_weight))
    active = np.flatnonzero(label_idx >= 0)
    if active.size == 0:
        return res
    sig = first_scalars(chain, [points[i] for i in active])
    lo, hi = sig.lo, sig.hi
    ok0 = np.isfinite(lo) & np.isfinite(hi)
    X = np.vstack([lo, -hi])[:, ok0]
    active = active[ok0]
    consts: dict = {}
    for fl, st, ro in _layer_plan(chain):
        if isinstance(fl, _FastLayer):
            X, bad = _fast_step(fl, X, st.e1_zero)
        elif fl is not None:
            X, bad = _tilt_step(fl, X)
        else:
            sc = consts.get(id(st)) or consts.setdefault(id(st), _StageConsts(st))
            X, bad = _general_step(sc, ro, X)
        if bad is not None:
            X = X[:, ~bad]
            active = active[~bad]
            if active.size == 0:
                return res
    _last_layer_head(chain, X[0], -X[1], active, label_idx, res)
    return res


def head_batch(chain: Chain, lo: np.ndarray, hi: np.ndarray, label_idx: np.ndarray) -> BatchResult:
    """Verdicts from float64 enclosures ``[lo, hi]`` of the last scalar ``sigma_L`` (one per point).

    For balls that a more precise tier carried through the inner layers: only
    the last LayerNorm and the output run in float64 intervals.
    """
    res = BatchResult.empty(len(lo), len(chain.out_weight))
    with np.errstate(all="ignore"):
        ok = np.isfinite(lo) & np.isfinite(hi) & (label_idx >= 0)
        active = np.flatnonzero(ok)
        if active.size:
            _last_layer_head(chain, lo[active], hi[active], active, label_idx, res)
    return res


def _last_layer_head(chain: Chain, lo, hi, active, label_idx, res: BatchResult) -> None:
    sc = _StageConsts(chain.last)
    S = sc.centred(lo, hi)
    ok = sc.defined(S)
    W, b = chain.out_weight, chain.out_bias
    n = chain.last.n
    outs = [sc.value(W[i], b[i], S) for i in range(len(W))]
    absy = [_abs(sc.image(sc.st.readout(chain.unit(j)), S)) for j in range(n)]

    def value(r, bias, sub):
        return sc.value(r, bias, S[sub])

    def den(r, bias, sub):
        return _den(r, [a[sub] for a in absy], bias)

    _head(chain.decision, W, b, outs, value, den, active, label_idx[active], ok, res)


def _head(decision, W, b, outs, value, den, active, labels, ok, res: BatchResult):
    """Decision quantities, verdicts and margins of the active points (shared by both paths)."""
    na = active.size
    for i, o in enumerate(outs):
        res.out_lo[active, i] = o.lo
        res.out_hi[active, i] = o.hi
    dlo = np.full(na, _INF)
    dhi = np.full(na, _INF)
    mlo = np.full(na, _INF)
    mhi = np.full(na, _INF)
    zero = np.zeros(na, bool)
    beaten = np.full(na, -1, np.int64)
    for c in range(2 if decision == "sign" else len(W)):
        sub = np.flatnonzero(labels == c)
        if sub.size == 0:
            continue
        for k, r, bias in decision_rows(decision, W, b, c):
            if decision == "sign":  # the signed output itself (no recomputation)
                d = outs[0][sub] if c == 1 else _neg(outs[0][sub])
            else:
                d = value(r, bias, sub)
            is_zero = (d.lo == 0) & (d.hi == 0)
            mar = _margin(d, den(r, bias, sub))
            cur = dhi[sub]
            zero[sub] = np.where(d.hi < cur, is_zero, zero[sub])
            bsub = beaten[sub]
            bsub[(d.hi < 0) & (bsub < 0)] = k
            beaten[sub] = bsub
            dhi[sub] = np.minimum(cur, d.hi)
            dlo[sub] = np.minimum(dlo[sub], d.lo)
            mlo[sub] = np.minimum(mlo[sub], mar.lo)
            mhi[sub] = np.minimum(mhi[sub], mar.hi)
    # NaN never decides anything: comparisons with NaN are False
    status = np.zeros(na, np.int8)
    status[(dlo > 0) & ok] = 1
    status[(dhi <= 0) & ok] = -1
    res.status[active] = status
    res.zero[active] = zero & (status == -1)
    res.m_lo[active] = mlo
    res.m_hi[active] = mhi
    res.d_lo[active] = dlo
    res.d_hi[active] = dhi
    res.beaten_by[active] = np.where(status == -1, beaten, -1)


# ---------------------------------------------------------------------------
# generic tier


def generic_batch(network, points: list, label_idx: np.ndarray) -> BatchResult:
    """Tier 1 for any network: the generic forward pass in outward-rounded float64 intervals."""
    with np.errstate(all="ignore"):
        return _generic_batch(network, points, label_idx)


def _generic_batch(network, points: list, label_idx: np.ndarray) -> BatchResult:
    m = len(points)
    res = BatchResult.empty(m, network.output_dim)
    active = np.flatnonzero(label_idx >= 0)
    if active.size == 0:
        return res
    A = IntervalArith()
    na = active.size
    body, W, b = split_head(network)
    with np.errstate(all="ignore"):
        y = forward_body(body, [A.points([points[i][j] for i in active]) for j in range(network.input_dim)], A)
        y = [Interval(np.broadcast_to(v.lo, (na,)).copy(), np.broadcast_to(v.hi, (na,)).copy()) for v in y]
        ok = np.ones(na, bool)
        for v in y:
            ok &= np.isfinite(v.lo) & np.isfinite(v.hi)
        absy = [_abs(v) for v in y]

        def row_value(r, bias, sub):
            total = _const_array(bias, len(sub))
            for rj, yj in zip(r, y):
                if rj != 0:
                    total = total + _iconst(rj) * yj[sub]
            return total

        everyone = np.arange(na)
        outs = [row_value(W[i], b[i], everyone) for i in range(len(W))]

        def den(r, bias, sub):
            return _den(r, [a[sub] for a in absy], bias)

        _head(network.decision, W, b, outs, row_value, den, active, label_idx[active], ok, res)
    return res
