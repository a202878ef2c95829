"""Small exact linear algebra over a field (private helper of ``theory``).

Every routine works on lists of rows whose entries are elements of one exact
field: plain :class:`fractions.Fraction`, or elements of a sympy domain
(``QQ`` or an algebraic field ``QQ<sqrt(2), ...>``).  Zero tests are exact,
so pivoting decisions never rest on rounding.

The routines are deliberately plain Gauss-Jordan elimination: the tests
compare them with sympy's ``Matrix.pinv`` and ``Matrix.det``, which use
different algorithms.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from sympy.polys.constructor import construct_domain

from lnnet_construct.errors import InputError
from lnnet_construct.theory._common import to_exact_scalar, to_sympy

__all__ = [
    "ExactField",
    "field_for",
    "solve_consistent",
    "determinant",
    "is_positive_semidefinite",
]


class ExactField:
    """An exact field: conversion in, conversion out and a zero test.

    Parameters
    ----------
    domain : sympy domain or None
        ``None`` means plain ``Fraction`` arithmetic.
    """

    def __init__(self, domain=None):
        self.domain = domain

    def is_zero(self, x) -> bool:
        """Exact zero test."""
        if self.domain is None:
            return x == 0
        return self.domain.is_zero(x)

    @property
    def zero(self):
        """The additive identity."""
        return Fraction(0) if self.domain is None else self.domain.zero

    @property
    def one(self):
        """The multiplicative identity."""
        return Fraction(1) if self.domain is None else self.domain.one

    def to_public(self, x):
        """Convert an element back: ``Fraction`` if rational, else a sympy expression."""
        if self.domain is None:
            return x
        e = self.domain.to_sympy(x)
        return to_exact_scalar(e)


def field_for(entries: Sequence[Any]) -> tuple[ExactField, list]:
    """Choose the smallest exact field holding every entry and convert them.

    Rational entries (``Fraction``) stay ``Fraction``.  Anything else must be
    a sympy expression for an algebraic number; sympy's ``construct_domain``
    then builds the algebraic field ``QQ<theta>`` with exact arithmetic.

    Raises
    ------
    InputError
        If an entry is not an algebraic number (a symbol, ``pi``, ...).
    """
    if all(isinstance(e, Fraction) for e in entries):
        return ExactField(None), list(entries)
    exprs = [to_sympy(e) for e in entries]
    if any(e.free_symbols for e in exprs):
        raise InputError("exact linear algebra needs numbers, not symbols")
    try:
        domain, elements = construct_domain(exprs, extension=True)
    except Exception as exc:  # sympy raises several types for non-algebraic input
        raise InputError(f"cannot build an exact algebraic field for these numbers: {exc}") from exc
    if not domain.is_Field:
        field = domain.get_field()
        elements = [field.convert_from(e, domain) for e in elements]
        domain = field
    if not (domain.is_QQ or domain.is_AlgebraicField):
        raise InputError(f"exact linear algebra needs algebraic numbers, got domain {domain}")
    return ExactField(domain), elements


def solve_consistent(a: list[list], y: list, field: ExactField) -> list | None:
    """Return one exact solution ``v`` of ``a v = y``, or ``None`` if there is none.

    Free variables are set to zero.  ``a`` is ``n x k`` and is not modified.
    """
    is_zero = field.is_zero
    n = len(a)
    k = len(a[0]) if n else 0
    rows = [list(r) + [yi] for r, yi in zip(a, y)]
    pivots: list[int] = []
    r = 0
    for col in range(k):
        piv = next((i for i in range(r, n) if not is_zero(rows[i][col])), None)
        if piv is None:
            continue
        rows[r], rows[piv] = rows[piv], rows[r]
        p = rows[r][col]
        rows[r] = [e / p for e in rows[r]]
        for i in range(n):
            if i != r and not is_zero(rows[i][col]):
                f = rows[i][col]
                rows[i] = [ei - f * er for ei, er in zip(rows[i], rows[r])]
        pivots.append(col)
        r += 1
        if r == n:
            break
    # A zero row with a non-zero right-hand side means the system is inconsistent.
    for i in range(r, n):
        if not is_zero(rows[i][k]):
            return None
    v = [field.zero] * k
    for i, col in enumerate(pivots):
        v[col] = rows[i][k]
    return v


def determinant(a: list[list], field: ExactField):
    """Exact determinant by Gaussian elimination over the field."""
    is_zero = field.is_zero
    n = len(a)
    rows = [list(r) for r in a]
    det = field.one
    for col in range(n):
        piv = next((i for i in range(col, n) if not is_zero(rows[i][col])), None)
        if piv is None:
            return field.zero
        if piv != col:
            rows[col], rows[piv] = rows[piv], rows[col]
            det = -det
        p = rows[col][col]
        det = det * p
        for i in range(col + 1, n):
            if not is_zero(rows[i][col]):
                f = rows[i][col] / p
                rows[i] = [ei - f * ec for ei, ec in zip(rows[i], rows[col])]
    return det


def is_positive_semidefinite(a: list[list[Fraction]]) -> bool:
    """Exact PSD test for a symmetric rational matrix.

    Symmetric elimination in the natural order: a negative pivot proves an
    indefinite matrix; a zero pivot is allowed only when its whole row is
    zero (otherwise a 2x2 principal minor is negative).
    """
    n = len(a)
    rows = [list(r) for r in a]
    for col in range(n):
        p = rows[col][col]
        if p < 0:
            return False
        if p == 0:
            if any(rows[col][j] != 0 for j in range(col, n)):
                return False
            continue
        for i in range(col + 1, n):
            if rows[i][col] != 0:
                f = rows[i][col] / p
                rows[i] = [ei - f * ec for ei, ec in zip(rows[i], rows[col])]
    return True
