r"""The fold on a scalar in every number system the planner uses.

One fold layer (MATH.md §2.2, rational basis ``v1 = (1,-1,0)``,
``v2 = (1,1,-2)``) maps the scalar ``t`` carried between layers to

.. math::

    F_{c,h,\varepsilon}(t) = v_2\cdot\mathrm{LN}_\varepsilon\big((t-c)v_1 + h v_2\big)
                           = \frac{6h}{\sqrt{(2(t-c)^2 + 6h^2)/3 + \varepsilon}},

because ``(t-c) v1 + h v2`` is already centred and has population variance
``(2(t-c)^2 + 6h^2)/3``.  ``F`` is even about ``c`` and strictly decreasing
in ``|t - c|`` for every ``h > 0`` and ``eps >= 0``; its values lie in
``(0, 3 sqrt 2]``.  (The identity is checked against the package's one
LayerNorm in the tests; the planner uses the closed form for speed, the final
certificate uses the real LayerNorm through :mod:`lnnet_construct.verify`.)

Implementations here:

* :func:`fold_float` — numpy float64 (planning; NOT rigorous);
* :class:`MpBackend` — numpy object arrays of mpmath numbers in a private
  context (planning at high precision; not rigorous either);
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
from fractions import Fraction

import flint
import mpmath
import numpy as np

from ..arith.interval import Interval, IntervalArith
from ..numbers import exact_sqrt

__all__ = ["fold_float", "fold_interval", "fold_arb", "fold_exact", "MpBackend", "FloatBackend", "PEAK"]

#: ``max F = 3 sqrt 2`` (at ``t = c``, ``eps = 0``), as a float.
PEAK = 3.0 * 2.0**0.5


def fold_float(v: np.ndarray, c: float, h: float, eps: float) -> np.ndarray:
    """``F_{c,h,eps}`` on a float64 array (not rigorous)."""
    d = v - c
    with np.errstate(under="ignore"):
        return (6.0 * h) / np.sqrt((2.0 * (d * d) + 6.0 * h * h) / 3.0 + eps)


_IA = IntervalArith()


def fold_interval(x: Interval, c: Fraction, h: Fraction, eps: Fraction) -> Interval:
    """Rigorous enclosure of ``F_{c,h,eps}`` on an interval array ``x``.

    Constants are enclosed from their exact values; every operation rounds
    outward (:mod:`lnnet_construct.arith.interval`).
    """
    d = x - _IA.const(Fraction(c))
    q = _IA.const(Fraction(2, 3)) * _IA.square(d) + _IA.const(2 * Fraction(h) ** 2 + Fraction(eps))
    return _IA.const(6 * Fraction(h)) / _IA.sqrt(q)


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


def fold_arb(balls: list, c: Fraction, h: Fraction, eps: Fraction, prec: int) -> list:
    """Rigorous ``F_{c,h,eps}`` on a list of ``flint.arb`` balls at ``prec`` bits."""
    with _flint_prec(prec):
        cc = _arb(Fraction(c))
        a23 = _arb(Fraction(2, 3))
        k = _arb(2 * Fraction(h) ** 2 + Fraction(eps))
        num = _arb(6 * Fraction(h))
        out = []
        for b in balls:
            d = b - cc
            out.append(num / (a23 * (d * d).nonnegative_part() + k).sqrt())
        return out


def arb_balls(values: list, prec: int) -> list:
    """Balls enclosing exact rationals at ``prec`` bits."""
    with _flint_prec(prec):
        return [_arb(Fraction(v)) for v in values]


def fold_exact(t, c, h, eps):
    """``F_{c,h,eps}(t)`` as an exact number (Fraction or algebraic Expr)."""
    d = t - c
    q = (2 * d * d + 6 * h * h) / 3 + eps
    return 6 * h / exact_sqrt(q)


class FloatBackend:
    """float64 numpy arrays (the fast planner)."""

    name = "float64"
    prec = 53

    def array(self, values) -> np.ndarray:
        return np.array([float(v) for v in values], dtype=np.float64)

    def scalar(self, q) -> float:
        return float(q)

    def fold(self, v, c, h, eps):
        return fold_float(v, float(c), float(h), float(eps))

    def to_float(self, v) -> np.ndarray:
        return np.asarray(v, dtype=np.float64)

    def tiny(self) -> float:
        """Relative size below which two values cannot be told apart reliably."""
        return 2.0**-40


class MpBackend:
    """numpy object arrays of mpmath numbers in a private context of ``prec`` bits.

    Used when float64 cannot resolve the data (gaps below about ``2^-40`` of the
    spread).  It never touches mpmath's global precision.
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

    def fold(self, v, c, h, eps):
        c, h, eps = self.scalar(c), self.scalar(h), self.scalar(eps)
        d = v - c
        return (6 * h) / self._sqrt((2 * (d * d) + 6 * h * h) / 3 + eps)

    def to_float(self, v) -> np.ndarray:
        return np.array([float(x) for x in v], dtype=np.float64)

    def tiny(self):
        return self.ctx.mpf(2) ** (-(self.prec - 13))
