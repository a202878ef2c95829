"""The arithmetic interface every number system implements, and the three-valued sign.

An algorithm (the forward pass, LayerNorm, margins) is written once against an
arithmetic object, in the manner of mpmath's contexts.  An arithmetic
converts exact numbers into its elements (:meth:`Arith.const`), and supplies
the few primitives the algorithms need; elements themselves support
``+ - * /``.

Two flavours exist:

* **scalar** arithmetics (exact, sympy, mpmath, arb, iv): one element is one
  number; undecidable situations raise :class:`~lnnet_construct.errors.ArithmeticUndecided`.
* **batched** arithmetics (interval, float): one element is a numpy array
  over many points; undecidable entries become "unknown" entries
  (an unbounded interval, or NaN) and never raise.
"""

from __future__ import annotations

import contextlib
import enum
from fractions import Fraction

import numpy as np

__all__ = ["Sign", "Arith", "SIGN_UNKNOWN_CODE"]

#: Integer code used for "unknown" in batched sign arrays (others are -1, 0, 1).
SIGN_UNKNOWN_CODE = 2


class Sign(enum.Enum):
    """A three-valued sign: POSITIVE, NEGATIVE, ZERO or UNKNOWN.

    It cannot be used as a bool, so ``if arith.sign(x):`` is an error rather
    than a silent guess.

    >>> Sign.from_code(1)
    <Sign.POSITIVE: 1>
    >>> bool(Sign.UNKNOWN)
    Traceback (most recent call last):
    ...
    TypeError: Sign is three-valued: compare it with Sign.POSITIVE, Sign.NEGATIVE, Sign.ZERO or Sign.UNKNOWN
    """

    NEGATIVE = -1
    ZERO = 0
    POSITIVE = 1
    UNKNOWN = SIGN_UNKNOWN_CODE

    def __bool__(self):
        raise TypeError(
            "Sign is three-valued: compare it with Sign.POSITIVE, Sign.NEGATIVE, "
            "Sign.ZERO or Sign.UNKNOWN"
        )

    @property
    def is_known(self) -> bool:
        """True unless the sign is UNKNOWN."""
        return self is not Sign.UNKNOWN

    @classmethod
    def from_code(cls, code) -> "Sign":
        """The Sign of an integer code (-1, 0, 1, 2)."""
        return cls(int(code))

    @classmethod
    def of_fraction(cls, q) -> "Sign":
        """Exact sign of a rational."""
        return cls.POSITIVE if q > 0 else cls.NEGATIVE if q < 0 else cls.ZERO


class Arith:
    """Base class of arithmetic objects.

    Subclasses define ``name``, ``is_rigorous``, ``batched`` and the
    primitives below.  Constants are cached per instance, since the same
    weights are converted for every point.
    """

    name = "abstract"
    is_rigorous = False
    batched = False
    prec: int | None = None

    def __init__(self):
        self._cache: dict = {}

    def __repr__(self):
        p = f", prec={self.prec}" if self.prec else ""
        return f"{type(self).__name__}({self.name!r}{p})"

    # --- conversion ----------------------------------------------------
    def const(self, q):
        """Convert an exact number (int, Fraction or Expr) into an element."""
        try:
            return self._cache[q]
        except KeyError:
            pass
        except TypeError:  # unhashable: an element already
            return q
        v = self._convert(q)
        if len(self._cache) < 100_000:
            self._cache[q] = v
        return v

    def _convert(self, q):
        from ..numbers import Expr, evaluate

        if isinstance(q, Expr):
            return evaluate(q, self)
        if isinstance(q, (int, Fraction)):
            return self._from_fraction(Fraction(q))
        return q  # already an element

    def _from_fraction(self, q: Fraction):
        raise NotImplementedError

    def lift(self, x):
        """Element from an exact number or from an element of this arithmetic."""
        from ..numbers import Expr

        if isinstance(x, (int, Fraction, Expr)) and not isinstance(x, bool):
            return self.const(x)
        return x

    # --- primitives ----------------------------------------------------
    def sqrt(self, x):
        raise NotImplementedError

    def square(self, x):
        """``x**2`` (for intervals, the tight square, not ``x*x``)."""
        return x * x

    def fsum(self, xs):
        xs = list(xs)
        if not xs:
            return self.const(Fraction(0))
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total

    def positive_sqrt(self, x):
        """``sqrt(x)`` for a quantity that must be positive (a LayerNorm denominator).

        Scalar arithmetics raise ZeroVarianceError when ``x`` is proven zero
        and ArithmeticUndecided when positivity cannot be proven; batched
        ones return unknown entries instead.
        """
        raise NotImplementedError

    def sign(self, x) -> Sign:
        """Three-valued sign of a scalar element (for batched ones: of a size-1 array)."""
        codes = self.sign_codes(x)
        return Sign.from_code(np.asarray(codes).reshape(-1)[0])

    def sign_codes(self, x):
        """Integer sign codes (-1, 0, 1, 2 = unknown); an array for batched arithmetics."""
        return self.sign(x).value

    def lower(self, x) -> Fraction | None:
        """An exact rational lower bound of ``x`` (rigorous arithmetics), or None."""
        return None

    def upper(self, x) -> Fraction | None:
        """An exact rational upper bound of ``x`` (rigorous arithmetics), or None."""
        return None

    def to_float(self, x):
        """Float approximation (non-rigorous; for display)."""
        return float(x)

    @contextlib.contextmanager
    def active(self):
        """Context in which this arithmetic's precision is in force (restored after)."""
        yield self
