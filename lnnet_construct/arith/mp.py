"""mpmath arithmetics in private contexts: ``mpf`` (non-rigorous) and ``iv`` (rigorous).

Each instance owns an ``mpmath`` context, so no global precision is ever
touched.  Two pitfalls of mpmath 1.3's interval context are handled here:

* ``x*x`` on ``[-1, 2]`` is ``[-2, 4]``: :meth:`IvArith.square` uses ``x**2``;
* comparisons return ``None`` when undecided: signs are read from the
  endpoints instead.

Examples
--------
>>> from fractions import Fraction
>>> A = IvArith(prec=80)
>>> x = A.const(Fraction(-1)) + A.const(Fraction(3, 2)) * A.const(2)
>>> A.sign(x)
<Sign.POSITIVE: 1>
>>> A.lower(x) <= 2 <= A.upper(x)
True
>>> M = MpfArith(prec=200)
>>> M.prec, float(M.sqrt(M.const(2)) ** 2)
(200, 2.0)
"""

from __future__ import annotations

from fractions import Fraction

from mpmath import libmp
from mpmath.ctx_iv import MPIntervalContext
from mpmath.ctx_mp import MPContext

from ..errors import ArithmeticUndecided, ZeroVarianceError
from .base import Arith, Sign

__all__ = ["MpfArith", "IvArith", "mpf_to_fraction"]


def mpf_to_fraction(x) -> Fraction:
    """Exact rational value of an mpmath ``mpf`` (keeps the sign, unlike ``man_exp``)."""
    return Fraction(*libmp.to_rational(x._mpf_))


class MpfArith(Arith):
    """mpmath ``mpf`` at ``prec`` bits: fast, arbitrary precision, NOT rigorous."""

    name = "mpmath"
    is_rigorous = False
    batched = False

    def __init__(self, prec: int = 113):
        super().__init__()
        self.prec = int(prec)
        self.ctx = MPContext()
        self.ctx.prec = self.prec

    def _from_fraction(self, q):
        return self.ctx.mpf(q.numerator) / q.denominator

    def sqrt(self, x):
        return self.ctx.sqrt(x)

    def positive_sqrt(self, x):
        if x == 0:
            raise ZeroVarianceError("LayerNorm variance is 0 (and eps = 0)")
        if x < 0:
            raise ArithmeticUndecided("negative LayerNorm variance")
        return self.ctx.sqrt(x)

    def sign(self, x) -> Sign:
        if self.ctx.isnan(x):
            return Sign.UNKNOWN
        return Sign.POSITIVE if x > 0 else Sign.NEGATIVE if x < 0 else Sign.ZERO

    def to_float(self, x):
        return float(x)


class IvArith(Arith):
    """mpmath interval arithmetic at ``prec`` bits (rigorous, independent of arb)."""

    name = "iv"
    is_rigorous = True
    batched = False

    def __init__(self, prec: int = 113):
        super().__init__()
        self.prec = int(prec)
        self.ctx = MPIntervalContext()
        self.ctx.prec = self.prec

    def _from_fraction(self, q):
        return self.ctx.mpf(q.numerator) / self.ctx.mpf(q.denominator)

    def _ends(self, x):
        lo, hi = x._mpi_
        return lo, hi

    def sqrt(self, x):
        return self.ctx.sqrt(x)

    def square(self, x):
        return x**2

    def positive_sqrt(self, x):
        s = self.sign(x)
        if s is Sign.ZERO:
            raise ZeroVarianceError("LayerNorm variance is exactly 0 (and eps = 0)")
        if s is not Sign.POSITIVE:
            raise ArithmeticUndecided(f"LayerNorm variance not proven positive at {self.prec} bits")
        return self.ctx.sqrt(x)

    def sign(self, x) -> Sign:
        lo, hi = self._ends(x)
        if lo == libmp.fnan or hi == libmp.fnan:
            return Sign.UNKNOWN
        if libmp.mpf_sign(lo) > 0:
            return Sign.POSITIVE
        if libmp.mpf_sign(hi) < 0:
            return Sign.NEGATIVE
        if lo == libmp.fzero and hi == libmp.fzero:
            return Sign.ZERO
        return Sign.UNKNOWN

    def lower(self, x):
        lo, _ = self._ends(x)
        return None if lo in (libmp.finf, libmp.fninf, libmp.fnan) else Fraction(*libmp.to_rational(lo))

    def upper(self, x):
        _, hi = self._ends(x)
        return None if hi in (libmp.finf, libmp.fninf, libmp.fnan) else Fraction(*libmp.to_rational(hi))

    def to_float(self, x):
        return float(x.mid)
