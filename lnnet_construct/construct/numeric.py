r"""The fold on a scalar in every number system the planner uses.

One fold layer (MATH.md §2.2, rational basis ``v1 = (1,-1,0)``,
``v2 = (1,1,-2)``) maps the scalar ``t`` carried between layers to

.. math::

    F_{c,h,\varepsilon}(t) = v_2\cdot\mathrm{LN}_\varepsilon\big((t-c)v_1 + h v_2\big)
                           = \frac{6h}{\sqrt{(2(t-c)^2 + 6h^2)/3 + \varepsilon}},

because ``(t-c) v1 + h v2`` is already centred and has population variance
``(2(t-c)^2 + 6h^2)/3``.  ``F`` is even about ``c`` and strictly decreasing
in ``|t - c|`` for every ``h > 0`` and ``eps >= 0``; its values lie in
``(0, 3 sqrt 2]``.

A **tilted** fold reads the next layer along ``v2 + kappa v1`` instead of
``v2`` (``proofs/thm-binary.md``, *tilted folds*):

.. math::

    F_{c,h,\varepsilon,\kappa}(t) = \frac{6h + 2\kappa (t-c)}{\sqrt{(2(t-c)^2 + 6h^2)/3 + \varepsilon}}.

With ``eps = 0`` it is unimodal with its peak at ``p = c + kappa h``, and two
points have equal values exactly when they are exchanged by the projective
involution fixing ``p`` and ``q = c - 3h/kappa``; ``kappa = 0`` is the plain
fold.  Every function below takes ``kappa`` (default 0).  (The identity is checked against the package's one
LayerNorm in the tests; the planner uses the closed form for speed, the final
certificate uses the real LayerNorm through :mod:`lnnet_construct.verify`.)

Implementations here:

* :func:`fold_float` — numpy float64 (planning; NOT rigorous);
* :class:`FloatBackend` — numpy float64 or extended ``longdouble`` arrays (planning; NOT rigorous);
* :class:`MpBackend` — numpy object arrays of mpmath numbers in a private
  context (planning at high precision; not rigorous either);
* :class:`FixedBackend` — numpy object arrays of fixed-point Python ints
  (planning at high precision for many points; not rigorous);
* :func:`fold_interval` — outward-rounded float64 intervals (rigorous);
* :func:`fold_arb` — python-flint balls at an explicit precision (rigorous);
* :func:`fold_exact` — exact algebraic numbers (:class:`~lnnet_construct.numbers.Expr`).

Examples
--------
>>> import numpy as np
>>> from fractions import Fraction as Q
>>> v = fold_float(np.array([0.0, 2.0, 1.0]), 1.0, 1.0, 0.0)
>>> bool(v[0] == v[1] and v[2] > v[0])          # even about c, peak at c
True
>>> from lnnet_construct.arith.exact import exact_sign
>>> from lnnet_construct.numbers import exact_sqrt
>>> exact_sign(fold_exact(Q(1), Q(1), Q(1), Q(0)) - 3 * exact_sqrt(Q(2)))   # the peak value is 3 sqrt(2)
<Sign.ZERO: 0>
"""

from __future__ import annotations

import contextlib
import math
from fractions import Fraction

import flint
import mpmath
import numpy as np

from ..arith.interval import Interval, IntervalArith
from ..numbers import exact_sqrt
from .rational import to_fraction_exact

__all__ = ["fold_float", "fold_slope", "fold_interval", "fold_arb", "fold_exact", "MpBackend", "FloatBackend",
           "FixedBackend", "PEAK", "extended_available"]

#: ``max F = 3 sqrt 2`` (at ``t = c``, ``eps = 0``), as a float.
PEAK = 3.0 * 2.0**0.5


def fold_float(v: np.ndarray, c, h, eps, kappa=0) -> np.ndarray:
    """``F_{c,h,eps,kappa}`` on a numpy float array, with scalars (or broadcasting arrays) of its type (not rigorous)."""
    d = v - c
    num = 6.0 * h + 2.0 * kappa * d if np.any(kappa) else 6.0 * h
    with np.errstate(under="ignore"):
        return num / np.sqrt((2.0 * (d * d) + 6.0 * h * h) / 3.0 + eps)


_IA = IntervalArith()


def fold_interval(x: Interval, c: Fraction, h: Fraction, eps: Fraction, kappa=0) -> Interval:
    """Rigorous enclosure of ``F_{c,h,eps,kappa}`` on an interval array ``x``.

    Constants are enclosed from their exact values; every operation rounds
    outward (:mod:`lnnet_construct.arith.interval`).
    """
    d = x - _IA.const(Fraction(c))
    q = _IA.const(Fraction(2, 3)) * _IA.square(d) + _IA.const(2 * Fraction(h) ** 2 + Fraction(eps))
    num = _IA.const(6 * Fraction(h))
    if kappa:
        num = num + _IA.const(2 * Fraction(kappa)) * d
    return num / _IA.sqrt(q)


@contextlib.contextmanager
def _flint_prec(prec: int):
    old = flint.ctx.prec
    flint.ctx.prec = int(prec)
    try:
        yield
    finally:
        flint.ctx.prec = old


def _arb(q: Fraction):
    return flint.arb(flint.fmpq(q.numerator, q.denominator))


def fold_arb(balls: list, c: Fraction, h: Fraction, eps: Fraction, prec: int, kappa=0) -> list:
    """Rigorous ``F_{c,h,eps,kappa}`` on a list of ``flint.arb`` balls at ``prec`` bits."""
    with _flint_prec(prec):
        cc = _arb(Fraction(c))
        a23 = _arb(Fraction(2, 3))
        k = _arb(2 * Fraction(h) ** 2 + Fraction(eps))
        num = _arb(6 * Fraction(h))
        tilt = _arb(2 * Fraction(kappa)) if kappa else None
        out = []
        for b in balls:
            d = b - cc
            top = num if tilt is None else num + tilt * d
            out.append(top / (a23 * (d * d).nonnegative_part() + k).sqrt())
        return out


def arb_balls(values: list, prec: int) -> list:
    """Balls enclosing exact rationals at ``prec`` bits."""
    with _flint_prec(prec):
        return [_arb(Fraction(v)) for v in values]


def fold_exact(t, c, h, eps, kappa=0):
    """``F_{c,h,eps,kappa}(t)`` as an exact number (Fraction or algebraic Expr)."""
    d = t - c
    q = (2 * d * d + 6 * h * h) / 3 + eps
    return (6 * h + 2 * kappa * d if kappa else 6 * h) / exact_sqrt(q)


def _to_dtype(q, dtype):
    """A rational rounded to a numpy float type with all its mantissa bits (float64 or the extended longdouble)."""
    if dtype is np.float64:
        return float(q)
    q = Fraction(q)
    num, den = abs(q.numerator), q.denominator
    # 66 or more bits of |q| 2^k, plus a sticky bit, so the 64-bit rounding below is exact
    k = 66 - (num.bit_length() - den.bit_length())
    man, rest = divmod(num << k if k >= 0 else num, den if k >= 0 else den << -k)
    man = 2 * man + (rest != 0)
    return _dyadic_to_dtype(man if q >= 0 else -man, -k - 1, dtype)


def _dyadic_to_dtype(man: int, exp: int, dtype):
    """``man * 2**exp`` rounded (half to even) to a 64-bit mantissa, in ``dtype``."""
    if man == 0:
        return dtype(0)
    neg, man = man < 0, abs(man)
    shift = man.bit_length() - 64
    if shift > 0:
        q, r = divmod(man, 1 << shift)
        half = 1 << (shift - 1)
        if r > half or (r == half and q & 1):
            q += 1
        man, exp = q, exp + shift
    x = np.ldexp(dtype(man >> 32) * dtype(2**32) + dtype(man & 0xFFFFFFFF), exp)
    return -x if neg else x


class _View:
    """What every planner view derives from its precision ``prec`` (bits)."""

    prec: int

    def tiny(self) -> float:
        """Relative size below which two values cannot be told apart reliably."""
        return 2.0 ** -(self.prec - 13)

    def resolution(self) -> float:
        """Relative width of the narrowest label cell the planner may aim into."""
        return 2.0 ** -(self.prec - 3)


class _DivisionView(_View):
    """The planner's arithmetic on view numbers that divide exactly by 2 (floats, mpmath); see FixedBackend."""

    def as_float(self, x) -> float:
        return float(x)

    def half(self, x):
        return x / 2

    def times(self, x, p: float):
        return x * p

    def reciprocal(self, x):
        return 1 / x

    def to_fraction(self, x) -> Fraction:
        return to_fraction_exact(x)


class FloatBackend(_DivisionView):
    """numpy float arrays (the fast planner): float64, or the platform's extended ``longdouble``.

    ``longdouble`` (x87 80-bit on x86-64 Linux: 64-bit mantissa) is the
    vectorised middle tier between float64 and mpmath, for gaps that float64
    no longer resolves.  Where ``longdouble`` is just float64 it adds nothing,
    and :func:`extended_available` says so.

    >>> be = FloatBackend(np.longdouble)
    >>> v = be.fold(be.array([Fraction(0), Fraction(2)]), Fraction(1), Fraction(1), Fraction(0))
    >>> bool(v[0] == v[1]), be.prec >= FloatBackend().prec, be.name
    (True, True, 'longdouble')
    """

    def __init__(self, dtype=np.float64):
        self.dtype = np.dtype(dtype).type
        self.prec = int(np.finfo(self.dtype).nmant) + 1
        self.name = "float64" if self.dtype is np.float64 else "longdouble"

    def array(self, values) -> np.ndarray:
        return np.array([_to_dtype(v, self.dtype) for v in values], dtype=self.dtype)

    def scalar(self, q):
        return _to_dtype(q, self.dtype)

    def fold(self, v, c, h, eps, kappa=0):
        return fold_float(v, self.scalar(c), self.scalar(h), self.scalar(eps), self.scalar(kappa) if kappa else 0)

    def from_ball(self, ball):
        """A ball's midpoint rounded to this type."""
        if self.dtype is np.float64:
            return float(ball.mid())
        man, exp = ball.mid().man_exp()
        return _dyadic_to_dtype(int(man), int(exp), self.dtype)

    def from_balls(self, balls, prec: int):
        """``(values, finite)``: every ball's midpoint in this type (within an ulp), and which were finite.

        ``longdouble`` takes the float nearest the midpoint plus the float
        nearest the rest (exact at ``prec`` bits), added in ``longdouble``.
        """
        with _flint_prec(prec):
            mids = [b.mid() for b in balls]
            hi = np.array([float(x) for x in mids])
            if self.dtype is np.float64:
                vals = hi
            else:
                with np.errstate(invalid="ignore"):
                    lo = np.array([float(x - h) if math.isfinite(h) else 0.0 for x, h in zip(mids, hi.tolist())])
                vals = hi.astype(self.dtype) + lo.astype(self.dtype)
        finite = np.array([b.is_finite() for b in balls], dtype=bool) & np.isfinite(hi)
        return vals, finite

    def to_float(self, v) -> np.ndarray:
        with np.errstate(under="ignore"):  # a float copy: below float64's range it is 0
            return np.asarray(v, dtype=np.float64)

    def pair_gaps(self, ra, rb, hs, eps, weight=None) -> np.ndarray:
        """``min_k w_k (F_h(ra_k) - F_h(rb_k))`` for every height ``h`` in ``hs`` (floats; ``ra <= rb`` distances).

        ``weight``: None (all 1) or an array of shape ``(len(hs), len(ra))``.
        """
        dt = self.dtype
        H = np.asarray(hs, dtype=dt)[:, None]
        h6, h6sq, ef = 6 * H, 6 * H**2, self.scalar(eps)

        def peak(r):  # 6h / sqrt((2 r^2 + 6 h^2) / 3 + eps), in place on the (heights, pairs) array
            r = r.astype(dt)
            out = np.add(2 * r**2, h6sq)
            np.divide(out, 3, out=out)
            np.add(out, ef, out=out)
            np.sqrt(out, out=out)
            return np.divide(h6, out, out=out)

        with np.errstate(under="ignore", over="ignore", divide="ignore"):
            gap = peak(ra)
            gap -= peak(rb)
        return _weighted_min(gap, weight)


def extended_available() -> bool:
    """Whether numpy's ``longdouble`` is wider than float64 on this platform."""
    return np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant


class MpBackend(_DivisionView):
    """numpy object arrays of mpmath numbers in a private context of ``prec`` bits.

    The view of the ``paper`` method's planner (the ``default`` planner uses
    :class:`FixedBackend` once floats cannot resolve the data).  It never
    touches mpmath's global precision.
    """

    name = "mpmath"

    def __init__(self, prec: int):
        self.prec = int(prec)
        self.ctx = mpmath.MPContext()
        self.ctx.prec = self.prec
        self._sqrt = np.frompyfunc(self.ctx.sqrt, 1, 1)

    def array(self, values) -> np.ndarray:
        mpf = self.ctx.mpf
        out = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            v = Fraction(v) if not hasattr(v, "_mpf_") else v
            out[i] = mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else mpf(v)
        return out

    def scalar(self, q):
        if hasattr(q, "_mpf_"):
            return self.ctx.mpf(q)
        q = Fraction(q)
        return self.ctx.mpf(q.numerator) / q.denominator

    def fold(self, v, c, h, eps, kappa=0):
        c, h, eps = self.scalar(c), self.scalar(h), self.scalar(eps)
        d = v - c
        num = 6 * h + 2 * self.scalar(kappa) * d if kappa else 6 * h
        return num / self._sqrt((2 * (d * d) + 6 * h * h) / 3 + eps)

    def to_float(self, v) -> np.ndarray:
        return np.array([float(x) for x in v], dtype=np.float64)

    def pair_gaps(self, ra, rb, hs, eps, weight=None) -> np.ndarray:
        """Like :meth:`FloatBackend.pair_gaps`, at this context's precision."""
        gap = np.array([(self.fold(ra, 0, h, eps) - self.fold(rb, 0, h, eps)).astype(np.float64)
                        for h in (self.scalar(Fraction(float(h))) for h in hs)])
        return _weighted_min(gap, weight)


def _int_float(x: int, scale: int) -> float:
    """``x * 2**-scale`` as a float (truncated to 62 bits first, so huge ints do not overflow)."""
    shift = max(0, abs(x).bit_length() - 62)
    return math.ldexp(x >> shift, shift - scale)


#: Bit lengths of the ints in an object array (the second also takes numpy integers).
_BIT_LENGTH = np.frompyfunc(int.bit_length, 1, 1)
_BIT_LENGTH_ANY = np.frompyfunc(lambda x: int(x).bit_length(), 1, 1)


def _ints_float(v, scale: int) -> np.ndarray:
    """:func:`_int_float` of every int in the object array ``v``, with the per-element work in numpy loops.

    >>> v = np.array([3, -(1 << 80) - 1, 0], dtype=object)
    >>> _ints_float(v, 1).tolist() == [_int_float(x, 1) for x in v]
    True
    """
    try:
        bits = _BIT_LENGTH(np.abs(v))
    except TypeError:  # numpy integers among the Python ints
        bits = _BIT_LENGTH_ANY(np.abs(v))
    shift = np.maximum(bits.astype(np.int64) - 62, 0)
    top = (v >> shift.astype(object)).astype(np.int64)
    with np.errstate(under="ignore"):  # a float copy: below float64's range it is 0
        return np.ldexp(top.astype(np.float64), shift - scale)


class FixedBackend(_View):
    """Fixed-point view: numpy object arrays of Python ints, ``value * 2**prec`` rounded.

    The wide tier after ``longdouble`` for many points: Python integer
    arithmetic is far faster than mpmath numbers, and the values the planner
    sees after a fold all lie in ``(0, 3 sqrt 2]``, where a fixed absolute
    resolution is what matters.  Gaps are evaluated in floats from exact
    integer differences (:meth:`pair_gaps`), so they keep their relative
    accuracy however small they are.  Not rigorous, like every view.

    >>> be = FixedBackend(200)
    >>> v = be.fold(be.array([Fraction(0), Fraction(2)]), Fraction(1), Fraction(1), Fraction(0))
    >>> bool(v[0] == v[1]), abs(be.as_float(v[0]) - 6 / (8 / 3) ** 0.5) < 1e-15
    (True, True)
    """

    name = "fixed"
    dtype = object

    def __init__(self, prec: int):
        self.prec = int(prec)
        self._isqrt = np.frompyfunc(math.isqrt, 1, 1)

    def __reduce__(self):  # the ufunc does not pickle; the planner's worker processes need the view
        return (FixedBackend, (self.prec,))

    def scalar(self, q) -> int:
        q = to_fraction_exact(q)
        return (2 * (q.numerator << self.prec) + q.denominator) // (2 * q.denominator)

    def array(self, values) -> np.ndarray:
        out = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            out[i] = self.scalar(v)
        return out

    def fold(self, v, c, h, eps, kappa=0):
        p = self.prec
        d = v - self.scalar(c)
        hh = self.scalar(h)
        q = (2 * (d * d) + 6 * hh * hh) // 3 + self.scalar(Fraction(eps) * (1 << p))
        if kappa:
            k = Fraction(kappa)
            return ((6 * hh + (2 * k.numerator * d) // k.denominator) << p) // self._isqrt(q)
        return (6 * hh << p) // self._isqrt(q)

    def from_ball(self, ball) -> int:
        man, exp = ball.mid().man_exp()
        e = int(exp) + self.prec
        man = int(man)
        return man << e if e >= 0 else (man + (1 << (-e - 1))) >> -e

    def to_float(self, v) -> np.ndarray:
        return _ints_float(np.asarray(v, dtype=object), self.prec)

    def as_float(self, x) -> float:
        return _int_float(int(x), self.prec)

    def half(self, x):
        return x >> 1

    def times(self, x, p: float):
        return (x * int(p * 2**53)) >> 53

    def reciprocal(self, x):
        return (1 << (2 * self.prec)) // x

    def to_fraction(self, x) -> Fraction:
        return Fraction(int(x), 1 << self.prec)

    def pair_gaps(self, ra, rb, hs, eps, weight=None) -> np.ndarray:
        """Like :meth:`FloatBackend.pair_gaps`, in the form that keeps tiny gaps accurate.

        ``F(a) - F(b) = 6h (q_b - q_a) / (sqrt(q_a q_b) (sqrt q_a + sqrt q_b))``
        with ``q_b - q_a = 2 (b - a)(b + a) / 3``, ``b - a`` exact from the integers.
        """
        raf, rbf, df = self.to_float(ra), self.to_float(rb), self.to_float(rb - ra)
        H = np.asarray(hs, dtype=np.float64)[:, None]
        ef = float(eps)
        with np.errstate(under="ignore", over="ignore", divide="ignore"):
            sa = np.sqrt((2 * raf**2 + 6 * H**2) / 3 + ef)
            sb = np.sqrt((2 * rbf**2 + 6 * H**2) / 3 + ef)
            gap = 6 * H * (2.0 / 3.0) * df * (raf + rbf) / (sa * sb * (sa + sb))
        return _weighted_min(gap, weight)


def _weighted_min(gap, weight) -> np.ndarray:
    """Row minima of ``gap`` (times ``weight`` when given), as float64."""
    gap = np.asarray(gap, dtype=np.float64)
    return (gap if weight is None else gap * weight).min(axis=1)


def fold_slope(d, h, eps, kappa=0) -> np.ndarray:
    """``|F'|`` at ``t = c + d`` (float64 arrays broadcasting; not rigorous).

    >>> bool(abs(fold_slope(np.array([1.0]), 1.0, 0.0)[0] - 4 / (8 / 3) ** 1.5) < 1e-15)
    True
    """
    with np.errstate(under="ignore", over="ignore", divide="ignore", invalid="ignore"):
        q = (2 * d * d + 6 * h * h) / 3 + eps
        slope = -(6 * h + 2 * kappa * d) * (2 * d / 3) / q**1.5
        if np.any(kappa):
            slope = slope + 2 * kappa / np.sqrt(q)
        return np.abs(slope)
