"""Input coercion shared by the ``theory`` modules (private).

Numbers come in as ``int``, ``Fraction``, exact number strings (FORMATS.md
grammar), the package's algebraic ``Expr``, sympy numbers, or floats (read
as their exact binary value).  They leave as ``Fraction`` when rational and
as a sympy expression otherwise.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

from lnnet_construct.errors import InputError
from lnnet_construct.numbers import to_exact

__all__ = ["exact_number", "rational", "exact_vector", "rational_vector",
           "rational_matrix", "point_rows", "to_exact_scalar", "to_sympy"]


def to_exact_scalar(e):
    """Return ``Fraction`` for a rational value, the sympy expression otherwise."""
    if isinstance(e, Fraction):
        return e
    if isinstance(e, int) and not isinstance(e, bool):
        return Fraction(e)
    if isinstance(e, sympy.Basic) and e.is_Rational:
        return Fraction(int(e.p), int(e.q))
    return e


def to_sympy(e) -> sympy.Expr:
    """Exact conversion of an exact number to a sympy expression."""
    if isinstance(e, Fraction):
        return sympy.Rational(e.numerator, e.denominator)
    if isinstance(e, int):
        return sympy.Integer(e)
    if isinstance(e, sympy.Basic):
        return e
    if hasattr(e, "to_sympy"):  # the package's algebraic Expr
        return e.to_sympy()
    raise InputError(f"expected an exact number, got {type(e).__name__}")


def exact_number(x: Any):
    """Coerce one number: ``Fraction`` if rational, else a sympy expression.

    Raises
    ------
    InputError
        For anything that is not a finite real number.
    """
    if isinstance(x, sympy.Basic):
        if x.is_Rational:
            return Fraction(int(x.p), int(x.q))
        if not x.is_number or x.is_extended_real is not True or not x.is_finite:
            raise InputError(f"expected a finite real number, got {x}")
        return x
    v = to_exact(x)  # NumberFormatError (an InputError) for bad input
    if isinstance(v, Fraction):
        return v
    return v.to_sympy()  # the package's Expr: always irrational


def rational(x: Any, what: str = "value") -> Fraction:
    """Coerce one number that must be rational."""
    q = exact_number(x)
    if not isinstance(q, Fraction):
        raise InputError(f"expected a rational {what}, got {q}")
    return q


def exact_vector(v: Any, what: str = "vector") -> tuple:
    """Coerce a sequence of numbers."""
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        raise InputError(f"expected a sequence of numbers for {what}")
    return tuple(exact_number(e) for e in v)


def rational_vector(v: Any, what: str = "vector") -> tuple[Fraction, ...]:
    """Coerce a sequence of rational numbers."""
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        raise InputError(f"expected a sequence of numbers for {what}")
    return tuple(rational(e, what) for e in v)


def rational_matrix(m: Any, what: str = "matrix") -> tuple[tuple[Fraction, ...], ...]:
    """Coerce a rectangular matrix of rational numbers (a sequence of rows)."""
    if hasattr(m, "tolist") and not isinstance(m, sympy.MatrixBase):
        m = m.tolist()
    if isinstance(m, sympy.MatrixBase):
        m = m.tolist()
    rows = tuple(rational_vector(r, f"a row of {what}") for r in m)
    if not rows or not rows[0]:
        raise InputError(f"{what} is empty")
    if any(len(r) != len(rows[0]) for r in rows):
        raise InputError(f"{what} has rows of different lengths")
    return rows


def point_rows(points: Any, what: str) -> tuple[tuple, ...]:
    """Coerce a class of points; a bare number is a 1-D point.

    Raises
    ------
    InputError
        If the class is empty or its points have different dimensions.
    """
    if isinstance(points, (str, bytes)) or not hasattr(points, "__iter__"):
        raise InputError(f"{what} must be a sequence of points")
    rows = []
    for i, p in enumerate(points):
        if isinstance(p, (str, bytes)) or not hasattr(p, "__iter__"):
            rows.append((exact_number(p),))
        else:
            rows.append(exact_vector(p, f"point {i} of {what}"))
    if not rows:
        raise InputError(f"{what} has no points")
    d = len(rows[0])
    if d == 0:
        raise InputError(f"{what}: points have dimension 0")
    for i, r in enumerate(rows):
        if len(r) != d:
            raise InputError(f"{what}: point {i} has dimension {len(r)}, but point 0 has {d}")
    return tuple(rows)
