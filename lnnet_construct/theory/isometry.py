r"""Isometry of Gram matrices and why normalising samples never lowers it.

For a positive semi-definite ``n x n`` matrix ``M`` (MATH.md §8, seed 003):

.. math:: I(M) = \frac{\det(M)^{1/n}}{\operatorname{tr}(M)/n} \in [0, 1],

the geometric over the arithmetic mean of the eigenvalues.  Normalising the
rows of ``X`` (what LN does to each sample, up to centering) maps the Gram
matrix ``G = X X^T`` to ``G' = D^{-1/2} G D^{-1/2}`` with ``D = diag(G)``, and

.. math:: \frac{I(G')}{I(G)} = \frac{\mathrm{AM}(r^2)}{\mathrm{GM}(r^2)} \ge 1,
          \qquad r_i^2 = G_{ii}.

Everything here is exact: ``I(M)^n = det(M) / (tr(M)/n)^n`` is rational for
rational ``M``, so comparisons use n-th powers.

Proof: ``proofs/gram-isometry.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from lnnet_construct.errors import InputError
from lnnet_construct.theory._common import rational_matrix
from lnnet_construct.theory._linalg import ExactField, determinant, is_positive_semidefinite

__all__ = ["gram", "isometry", "isometry_nth_power", "normalise_rows_gram",
           "IsometryGain", "isometry_gain"]

_Q = ExactField(None)


def _psd(m: Any, what: str = "M") -> tuple[tuple[Fraction, ...], ...]:
    rows = rational_matrix(m, what)
    n = len(rows)
    if any(len(r) != n for r in rows):
        raise InputError(f"{what} must be square, got {n}x{len(rows[0])}")
    for i in range(n):
        for j in range(i):
            if rows[i][j] != rows[j][i]:
                raise InputError(f"{what} must be symmetric, but entries ({i},{j}) and ({j},{i}) differ")
    if not is_positive_semidefinite([list(r) for r in rows]):
        raise InputError(f"{what} is not positive semi-definite")
    return rows


def gram(x: Any) -> tuple[tuple[Fraction, ...], ...]:
    """Exact Gram matrix ``G = X X^T`` of the rows (samples) of ``X``.

    Parameters
    ----------
    x : sequence of sequences of rational numbers
        One row per sample.

    Returns
    -------
    tuple of tuples of Fraction

    Examples
    --------
    >>> gram([[1, 2], [0, 1]])
    ((Fraction(5, 1), Fraction(2, 1)), (Fraction(2, 1), Fraction(1, 1)))

    References
    ----------
    ``proofs/gram-isometry.md``.
    """
    rows = rational_matrix(x, "X")
    return tuple(tuple(sum((a * b for a, b in zip(r, s)), Fraction(0)) for s in rows) for r in rows)


def isometry_nth_power(m: Any) -> Fraction:
    r"""Exact ``I(M)^n = det(M) / (tr(M)/n)^n`` for a rational PSD matrix.

    Parameters
    ----------
    m : square matrix of rational numbers
        Symmetric positive semi-definite (checked exactly).

    Returns
    -------
    Fraction
        In ``[0, 1]``; 1 exactly when ``M`` is a positive multiple of the identity.

    Raises
    ------
    InputError
        If ``M`` is not square, symmetric and PSD, or ``M = 0`` (``tr = 0``).

    Examples
    --------
    >>> isometry_nth_power([[2, 0], [0, 2]])
    Fraction(1, 1)
    >>> isometry_nth_power([[1, 0], [0, 3]])   # det 3, (tr/2)^2 = 4
    Fraction(3, 4)

    References
    ----------
    ``proofs/gram-isometry.md``.
    """
    rows = _psd(m)
    n = len(rows)
    tr = sum((rows[i][i] for i in range(n)), Fraction(0))
    if tr == 0:
        raise InputError("isometry is undefined for the zero matrix (trace 0)")
    return determinant([list(r) for r in rows], _Q) / (tr / n) ** n


def isometry(m: Any) -> sympy.Expr:
    r"""Exact isometry ``I(M) = det(M)^{1/n} / (tr(M)/n)`` as a sympy number.

    Parameters
    ----------
    m : square matrix of rational numbers
        Symmetric positive semi-definite (checked exactly).

    Returns
    -------
    sympy.Expr
        The real ``n``-th root of :func:`isometry_nth_power`.

    Raises
    ------
    InputError
        As :func:`isometry_nth_power`.

    Examples
    --------
    >>> isometry([[1, 0], [0, 3]])
    sqrt(3)/2

    References
    ----------
    ``proofs/gram-isometry.md``.
    """
    p = isometry_nth_power(m)
    n = len(rational_matrix(m, "M"))
    return sympy.root(sympy.Rational(p.numerator, p.denominator), n)


def normalise_rows_gram(g: Any) -> sympy.Matrix:
    r"""The Gram matrix after normalising every sample: ``G'_ij = G_ij / sqrt(G_ii G_jj)``.

    Parameters
    ----------
    g : Gram matrix (rational, symmetric PSD)

    Returns
    -------
    sympy.Matrix
        Exact entries (square roots where needed); unit diagonal.

    Raises
    ------
    InputError
        If ``G`` is not symmetric PSD or has a zero diagonal entry (a zero
        sample cannot be normalised).

    Examples
    --------
    >>> normalise_rows_gram([[4, 2], [2, 2]])
    Matrix([
    [           1, sqrt(2)/2],
    [sqrt(2)/2,           1]])

    References
    ----------
    ``proofs/gram-isometry.md``.
    """
    rows = _psd(g, "G")
    n = len(rows)
    if any(rows[i][i] == 0 for i in range(n)):
        raise InputError("cannot normalise a zero sample: G has a zero diagonal entry")
    q = [[sympy.Rational(e.numerator, e.denominator) for e in r] for r in rows]
    return sympy.Matrix(n, n, lambda i, j: q[i][j] / sympy.sqrt(q[i][i] * q[j][j]))


@dataclass(frozen=True)
class IsometryGain:
    """Exact comparison of ``I(G)`` and ``I(G')`` through n-th powers.

    Attributes
    ----------
    before_nth, after_nth : Fraction
        ``I(G)^n`` and ``I(G')^n = det(G) / prod(G_ii)``.
    gain_nth : Fraction or None
        ``(I(G')/I(G))^n = (AM(r^2)/GM(r^2))^n = (tr(G)/n)^n / prod(G_ii)``;
        ``None`` when ``det(G) = 0`` (both isometries are 0).
    holds : bool
        ``I(G') >= I(G)``, decided exactly.
    equality : bool
        ``I(G') == I(G)``; for ``det(G) > 0`` exactly when all ``G_ii`` are equal.
    """

    before_nth: Fraction
    after_nth: Fraction
    gain_nth: Fraction | None
    holds: bool
    equality: bool


def isometry_gain(g: Any) -> IsometryGain:
    r"""Check ``I(G')/I(G) = AM(r^2)/GM(r^2) >= 1`` exactly.

    ``G' = D^{-1/2} G D^{-1/2}`` has ``det(G') = det(G)/prod(G_ii)`` and
    ``tr(G') = n``; both n-th powers are therefore rational.

    Parameters
    ----------
    g : Gram matrix (rational, symmetric PSD, positive diagonal)

    Returns
    -------
    IsometryGain

    Raises
    ------
    InputError
        As :func:`normalise_rows_gram`.

    Examples
    --------
    >>> r = isometry_gain(gram([[1, 0], [1, 1]]))   # G = [[1, 1], [1, 2]]
    >>> r.gain_nth, r.holds, r.equality             # (3/2)^2 / 2
    (Fraction(9, 8), True, False)

    References
    ----------
    ``proofs/gram-isometry.md``.
    """
    rows = _psd(g, "G")
    n = len(rows)
    diag = [rows[i][i] for i in range(n)]
    if any(e == 0 for e in diag):
        raise InputError("cannot normalise a zero sample: G has a zero diagonal entry")
    det = determinant([list(r) for r in rows], _Q)
    tr = sum(diag, Fraction(0))
    prod = math.prod(diag, start=Fraction(1))
    before = det / (tr / n) ** n
    after = det / prod
    if det == 0:
        return IsometryGain(before, after, None, True, True)
    gain = (tr / n) ** n / prod
    return IsometryGain(before, after, gain, after >= before, after == before)
