r"""Exact arithmetic: rationals, upgraded to algebraic :class:`~lnnet_construct.numbers.Expr` by sqrt.

Signs are decided exactly:

1. rationals directly;
2. algebraic numbers by rigorous arb enclosures at rising precision until
   the ball excludes 0;
3. if the ball keeps containing 0, by an exact zero test
   (sympy's ``minimal_polynomial``, which works over algebraic number fields).

No floating point is involved in any decision.

Examples
--------
>>> from lnnet_construct.numbers import parse_number
>>> A = ExactArith()
>>> A.sign(parse_number("sqrt(2) - 1414/1000"))
<Sign.POSITIVE: 1>
>>> A.sign(parse_number("sqrt(2)*sqrt(2) - 2"))
<Sign.ZERO: 0>
>>> A.sign(parse_number("sqrt(3/2) - sqrt(6)/2"))
<Sign.ZERO: 0>
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import ArithmeticUndecided, ZeroVarianceError
from ..numbers import Expr, exact_sqrt
from .base import Arith, Sign

__all__ = ["ExactArith", "exact_sign"]

#: Precisions tried by the arb refinement before the exact zero test.
_REFINE_BITS = (64, 256, 1024, 4096)
#: Hard cap when an exact zero test has proven the number non-zero.
_MAX_BITS = 1 << 17


def exact_sign(x) -> Sign:
    """Exact sign of an int, Fraction or Expr (never UNKNOWN for a valid number).

    Raises
    ------
    ArithmeticUndecided
        Only if a proven non-zero algebraic number is closer to 0 than
        ``2**-131072`` relative to its evaluation — practically never.
    """
    if not isinstance(x, Expr):
        return Sign.of_fraction(Fraction(x))
    from .arb import ArbArith

    for bits in _REFINE_BITS:
        s = ArbArith(bits).sign_of_exact(x)
        if s.is_known:
            return s
    if _is_zero(x):
        return Sign.ZERO
    bits = _REFINE_BITS[-1]
    while bits < _MAX_BITS:
        bits *= 4
        s = ArbArith(bits).sign_of_exact(x)
        if s.is_known:
            return s
    raise ArithmeticUndecided(f"could not decide the sign of a non-zero algebraic number at {bits} bits")


def _is_zero(x: Expr) -> bool:
    import sympy

    e = x.to_sympy()
    if e == 0:
        return True
    t = sympy.Dummy("t")
    # Exact: an algebraic number is 0 iff its minimal polynomial is t.
    return sympy.minimal_polynomial(e, t) == t


class ExactArith(Arith):
    """Exact rationals and algebraic numbers (see module docstring)."""

    name = "exact"
    is_rigorous = True
    batched = False

    def _from_fraction(self, q):
        return q

    def const(self, q):
        if isinstance(q, int) and not isinstance(q, bool):
            return Fraction(q)
        return q

    def sqrt(self, x):
        if not isinstance(x, Expr) and x < 0:
            raise ArithmeticUndecided(f"sqrt of a negative number {x}")
        return exact_sqrt(x)

    def square(self, x):
        return x * x

    def positive_sqrt(self, x):
        s = exact_sign(x)
        if s is Sign.ZERO:
            raise ZeroVarianceError("LayerNorm variance is exactly 0 (and eps = 0)")
        if s is Sign.NEGATIVE:
            raise ArithmeticUndecided("negative LayerNorm variance")
        return exact_sqrt(x)

    def sign(self, x) -> Sign:
        return exact_sign(x)

    def lower(self, x):
        return x if not isinstance(x, Expr) else None

    upper = lower

    def to_float(self, x):
        return float(x)
