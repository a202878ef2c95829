"""Rigorous ball arithmetic with python-flint ``arb`` at an instance-owned precision.

python-flint keeps its working precision in the global ``flint.ctx.prec``;
every evaluation runs inside :meth:`ArbArith.active`, which sets it and always
restores it.  Predicates are three-valued: a ball that contains 0 has
UNKNOWN sign, a non-finite ball too.  Constants are converted from exact
rationals (``arb(fmpq(p, q))``), never from float literals.

Examples
--------
>>> from fractions import Fraction
>>> A = ArbArith(prec=100)
>>> with A.active():
...     x = A.const(Fraction(1, 10))
...     A.sign(A.square(x) - A.const(Fraction(1, 100)))
<Sign.UNKNOWN: 2>
>>> with A.active():
...     A.sign(A.sqrt(A.const(2)) - A.const(Fraction(14142, 10000)))
<Sign.POSITIVE: 1>
"""

from __future__ import annotations

import contextlib
from fractions import Fraction

import flint

from ..errors import ArithmeticUndecided, ZeroVarianceError
from .base import Arith, Sign

__all__ = ["ArbArith", "arb_to_interval", "arf_fraction"]


def arf_fraction(a) -> Fraction:
    """The exact value of a point (an arb midpoint, bound or zero-radius ball) as a Fraction."""
    man, exp = a.man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man << exp) if exp >= 0 else Fraction(man, 1 << -exp)


def arb_to_interval(x) -> tuple[Fraction, Fraction] | None:
    """Exact dyadic endpoints ``(lo, hi)`` of a finite ball, or None if not finite.

    >>> with ArbArith(64).active():
    ...     lo, hi = arb_to_interval(flint.arb(flint.fmpq(1, 3)))
    >>> lo < Fraction(1, 3) < hi
    True
    """
    if not x.is_finite():
        return None
    m = arf_fraction(x.mid())
    r = arf_fraction(x.rad())
    return m - r, m + r


class ArbArith(Arith):
    """python-flint ``arb`` balls at ``prec`` bits (rigorous)."""

    name = "arb"
    is_rigorous = True
    batched = False

    def __init__(self, prec: int = 128):
        super().__init__()
        self.prec = int(prec)

    @contextlib.contextmanager
    def active(self):
        old = flint.ctx.prec
        flint.ctx.prec = self.prec
        try:
            yield self
        finally:
            flint.ctx.prec = old

    def const(self, q):
        # The cache would hold balls rounded at this precision: fine, since
        # the cache belongs to this instance and its precision never changes.
        with self.active():
            return super().const(q)

    def _from_fraction(self, q: Fraction):
        return flint.arb(flint.fmpq(q.numerator, q.denominator))

    def sqrt(self, x):
        return x.sqrt()

    def square(self, x):
        # arb's x**2 is NaN on a ball containing 0; x*x may dip below 0.
        return (x * x).nonnegative_part()

    def positive_sqrt(self, x):
        if x.is_zero():
            raise ZeroVarianceError("LayerNorm variance is exactly 0 (and eps = 0)")
        if not (x.is_finite() and x > 0):
            raise ArithmeticUndecided(f"LayerNorm variance not proven positive at {self.prec} bits")
        return x.sqrt()

    def sign(self, x) -> Sign:
        if not x.is_finite():
            return Sign.UNKNOWN
        if x.is_zero():
            return Sign.ZERO
        if x > 0:
            return Sign.POSITIVE
        if x < 0:
            return Sign.NEGATIVE
        return Sign.UNKNOWN

    def sign_of_exact(self, q) -> Sign:
        """Sign of an exact number evaluated at this precision (UNKNOWN if 0 is not excluded)."""
        with self.active():
            return self.sign(self.const(q))

    def lower(self, x):
        iv = arb_to_interval(x)
        return None if iv is None else iv[0]

    def upper(self, x):
        iv = arb_to_interval(x)
        return None if iv is None else iv[1]

    def to_float(self, x):
        return float(x.mid())
