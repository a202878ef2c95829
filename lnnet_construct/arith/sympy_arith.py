"""Symbolic arithmetic through sympy (symbols allowed; exact signs for numbers).

Used for symbolic lemma checks (Hessians, Jacobians, the fold identities) and
as an exact oracle independent of :mod:`lnnet_construct.arith.exact` for the
sign of small networks' outputs.

Examples
--------
>>> import sympy
>>> A = SympyArith()
>>> A.sign(A.sqrt(A.const(2)) - A.const(1))
<Sign.POSITIVE: 1>
>>> t = sympy.Symbol("t", real=True)
>>> A.sign(t)
<Sign.UNKNOWN: 2>
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from ..errors import ArithmeticUndecided, ZeroVarianceError
from .base import Arith, Sign

__all__ = ["SympyArith", "sympy_sign"]


def sympy_sign(e, max_digits: int = 2000) -> Sign:
    """Sign of a closed-form sympy number, decided by sympy itself.

    An exact zero test (``minimal_polynomial``) first, then sympy's
    error-controlled ``evalf(strict=True)`` at rising precision.  Expressions
    with free symbols give UNKNOWN.
    """
    if not isinstance(e, sympy.Basic):
        q = Fraction(e)
        e = sympy.Rational(q.numerator, q.denominator)
    if e.free_symbols:
        return Sign.UNKNOWN
    if e.is_Rational:
        return Sign.of_fraction(Fraction(int(e.p), int(e.q)))
    t = sympy.Dummy("t")
    if sympy.minimal_polynomial(e, t) == t:
        return Sign.ZERO
    digits = 30
    while digits <= max_digits:
        try:
            v = e.evalf(digits, strict=True)
        except sympy.core.evalf.PrecisionExhausted:
            digits *= 4
            continue
        if v.is_zero is False and v.is_real:
            return Sign.POSITIVE if v > 0 else Sign.NEGATIVE
        digits *= 4
    raise ArithmeticUndecided("sympy could not decide a sign")


class SympyArith(Arith):
    """sympy expressions: exact and symbolic."""

    name = "sympy"
    is_rigorous = True
    batched = False

    def _from_fraction(self, q):
        return sympy.Rational(q.numerator, q.denominator)

    def sqrt(self, x):
        return sympy.sqrt(x)

    def square(self, x):
        return x**2

    def positive_sqrt(self, x):
        if x.free_symbols:
            return sympy.sqrt(x)
        s = sympy_sign(x)
        if s is Sign.ZERO:
            raise ZeroVarianceError("LayerNorm variance is exactly 0 (and eps = 0)")
        if s is not Sign.POSITIVE:
            raise ArithmeticUndecided("negative LayerNorm variance")
        return sympy.sqrt(x)

    def sign(self, x) -> Sign:
        return sympy_sign(x)

    def to_float(self, x):
        return float(x)
