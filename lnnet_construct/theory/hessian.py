r"""A curvature measure of nonlinearity, and why grouping amplifies it (MATH.md §7).

Our measure (the paper's exact measure is not available):

.. math:: H(f; x) = \sum_i \lVert \nabla^2 f_i(x) \rVert_F^2 .

Closed forms with ``eps = 0`` (``sigma^2`` the population variance):

.. math::

    H(\mathrm{LN}; x) = \frac{3(d-2)}{d\,\sigma^4}, \qquad
    H(\mathrm{LN\text{-}G}; x) = \sum_{k=1}^{g} \frac{3(s-2)}{s\,\sigma_k^4},\quad s = d/g .

Theorem (ours): ``H(LN-G_g; x) >= g (d - 2g)/(d - 2) * H(LN; x)`` whenever all
``sigma_k > 0``, with equality when all group means and all group variances
are equal.

The exact measure differentiates the package's single LayerNorm
(:func:`lnnet_construct.ops.layer_norm` on sympy symbols) and substitutes a
rational point; the closed forms are plain ``Fraction`` arithmetic.  The
tests compare the two.

Proof: ``proofs/lng-hessian.md``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import sympy

from lnnet_construct.arith import get_arith
from lnnet_construct.errors import InputError, ZeroVarianceError
from lnnet_construct.ops import layer_norm
from lnnet_construct.theory._common import rational, rational_vector, to_exact_scalar

__all__ = [
    "hessian_measure",
    "ln_hessian_measure",
    "ln_hessian_closed_form",
    "lng_hessian_closed_form",
    "AmplificationCheck",
    "lng_amplification_bound",
]


def _group_stats(x: Sequence[Fraction], groups: int) -> list[tuple[Fraction, Fraction]]:
    """(mean, population variance) of each contiguous group, exactly."""
    d = len(x)
    if groups < 1 or d % groups:
        raise InputError(f"groups={groups} must be a positive divisor of the width {d}")
    s = d // groups
    out = []
    for k in range(groups):
        block = x[k * s:(k + 1) * s]
        mu = sum(block, Fraction(0)) / s
        out.append((mu, sum(((v - mu) ** 2 for v in block), Fraction(0)) / s))
    return out


def _checked_stats(x: Any, groups: int) -> tuple[tuple[Fraction, ...], list]:
    xv = rational_vector(x, "x")
    stats = _group_stats(xv, groups)
    for k, (_, var) in enumerate(stats):
        if var == 0:
            raise ZeroVarianceError(f"group {k} of x has zero variance, so LN (eps = 0) is not differentiable there")
    return xv, stats


def hessian_measure(components: Sequence[sympy.Expr], symbols: Sequence[sympy.Symbol],
                    point: Sequence) -> Any:
    r"""``H(f; x) = sum_i ||Hess f_i(x)||_F^2`` for sympy component expressions.

    Parameters
    ----------
    components : sequence of sympy expressions
        The components ``f_i`` in the variables ``symbols``.
    symbols : sequence of sympy symbols
    point : sequence of exact numbers
        Where to evaluate (same length as ``symbols``).

    Returns
    -------
    Fraction or sympy expression
        Exact value (``Fraction`` when rational).

    Examples
    --------
    >>> a, b = sympy.symbols("a b")
    >>> hessian_measure([a**2 * b, a + b], [a, b], [1, 3])   # [[2b, 2a], [2a, 0]] at (1, 3)
    Fraction(44, 1)

    References
    ----------
    ``proofs/lng-hessian.md``.
    """
    symbols = tuple(symbols)
    pt = [sympy.Rational(q.numerator, q.denominator) for q in rational_vector(point, "point")]
    if len(pt) != len(symbols):
        raise InputError(f"point has length {len(pt)} but there are {len(symbols)} symbols")
    return _measure_at(_second_derivatives(tuple(components), symbols), dict(zip(symbols, pt)))


def _second_derivatives(components, symbols) -> list[tuple[int, sympy.Expr]]:
    """(multiplicity, d^2 f_i / dx_j dx_k) for j <= k: off-diagonal entries count twice."""
    out = []
    for f in components:
        for i, xi in enumerate(symbols):
            dfi = sympy.diff(f, xi)
            for j in range(i, len(symbols)):
                out.append((1 if i == j else 2, sympy.diff(dfi, symbols[j])))
    return out


def _measure_at(entries, subs) -> Any:
    total = sympy.Integer(0)
    for mult, h in entries:
        total += mult * sympy.expand(h.subs(subs) ** 2)
    return to_exact_scalar(sympy.expand(total))


@functools.lru_cache(maxsize=32)
def _ln_second_derivatives(d: int, groups: int, eps: Fraction):
    syms = sympy.symbols(f"x0:{d}", real=True)
    comps = layer_norm(list(syms), eps=eps, groups=groups, arith=get_arith("sympy"))
    return syms, _second_derivatives(tuple(comps), syms)


def ln_hessian_measure(x: Any, groups: int = 1, eps: Any = 0) -> Any:
    r"""Exact ``H(LN-G; x)`` by symbolic differentiation of the package's LayerNorm.

    Builds ``layer_norm`` (``groups`` contiguous groups, ``eps``) on sympy
    symbols, differentiates twice, substitutes the rational point ``x`` and
    sums the squared Frobenius norms of the component Hessians.

    Parameters
    ----------
    x : sequence of rational numbers
        The point; every group needs a positive variance when ``eps = 0``.
    groups : int
        Number of contiguous groups (``1`` is plain LN).
    eps : rational number, default 0

    Returns
    -------
    Fraction or sympy expression
        Rational for ``eps = 0`` (see :func:`lng_hessian_closed_form`).

    Raises
    ------
    InputError
        If ``groups`` does not divide ``len(x)``.
    ZeroVarianceError
        If ``eps = 0`` and a group of ``x`` has zero variance.

    Examples
    --------
    >>> ln_hessian_measure([0, 1, 2])          # 3(d-2)/(d sigma^4), sigma^2 = 2/3
    Fraction(9, 4)
    >>> ln_hessian_measure([0, 1, 2], eps=1) < ln_hessian_measure([0, 1, 2])
    True

    References
    ----------
    ``proofs/lng-hessian.md``.
    """
    epsq = rational(eps, "eps")
    if epsq < 0:
        raise InputError(f"eps must be >= 0, got {epsq}")
    if epsq == 0:
        xv, _ = _checked_stats(x, groups)
    else:
        xv = rational_vector(x, "x")
        _group_stats(xv, groups)
    # The symbolic second derivatives depend only on (d, groups, eps): cache them.
    syms, entries = _ln_second_derivatives(len(xv), groups, epsq)
    return _measure_at(entries, {s: sympy.Rational(q.numerator, q.denominator) for s, q in zip(syms, xv)})


def ln_hessian_closed_form(x: Any) -> Fraction:
    r"""Closed form ``H(LN; x) = 3(d-2)/(d sigma^4)`` (``eps = 0``).

    Parameters
    ----------
    x : sequence of rational numbers
        Width ``d >= 2`` with positive variance ``sigma^2``.

    Returns
    -------
    Fraction

    Raises
    ------
    ZeroVarianceError
        If ``x`` has zero variance.

    Examples
    --------
    >>> ln_hessian_closed_form([0, 1, 2])
    Fraction(9, 4)
    >>> ln_hessian_closed_form([5, -1])        # width 2: a sign unit, no curvature
    Fraction(0, 1)

    References
    ----------
    ``proofs/lng-hessian.md``.
    """
    return lng_hessian_closed_form(x, 1)


def lng_hessian_closed_form(x: Any, groups: int) -> Fraction:
    r"""Closed form ``H(LN-G; x) = sum_k 3(s-2)/(s sigma_k^4)`` (``eps = 0``).

    Parameters
    ----------
    x : sequence of rational numbers
        Width ``d``; each of the ``groups`` contiguous blocks of size
        ``s = d/groups`` must have positive variance ``sigma_k^2``.
    groups : int

    Returns
    -------
    Fraction

    Raises
    ------
    InputError
        If ``groups`` does not divide ``d``.
    ZeroVarianceError
        If a group has zero variance (always the case for ``s = 1``).

    Examples
    --------
    >>> lng_hessian_closed_form([0, 1, 2, 0, 2, 4], 2)   # 9/4 + 9/64
    Fraction(153, 64)

    References
    ----------
    ``proofs/lng-hessian.md``.
    """
    xv, stats = _checked_stats(x, groups)
    s = len(xv) // groups
    return sum((Fraction(3 * (s - 2), s) / var**2 for _, var in stats), Fraction(0))


@dataclass(frozen=True)
class AmplificationCheck:
    """Exact check of ``H(LN-G_g; x) >= g (d-2g)/(d-2) H(LN; x)``.

    Attributes
    ----------
    grouped, plain : Fraction
        ``H(LN-G_g; x)`` and ``H(LN; x)`` (closed forms).
    factor : Fraction
        ``g (d - 2g) / (d - 2)``.
    bound : Fraction
        ``factor * plain``.
    holds, equality : bool
        ``grouped >= bound`` and ``grouped == bound``, decided exactly.
    equal_group_stats : bool
        All group means equal and all group variances equal (the sufficient
        equality condition of the theorem).
    """

    grouped: Fraction
    plain: Fraction
    factor: Fraction
    bound: Fraction
    holds: bool
    equality: bool
    equal_group_stats: bool


def lng_amplification_bound(x: Any, groups: int) -> AmplificationCheck:
    r"""Check the LN-G amplification inequality exactly at a rational point.

    .. math:: H(\mathrm{LN\text{-}G}_g; x) \ge \frac{g(d-2g)}{d-2}\, H(\mathrm{LN}; x)

    Proof sketch: ``sigma^2 >= (1/g) sum sigma_k^2`` (total variance is at
    least the mean within-group variance) and Jensen
    ``(1/g) sum sigma_k^{-4} >= ((1/g) sum sigma_k^2)^{-2}``.

    Parameters
    ----------
    x : sequence of rational numbers
        Width ``d >= 3``; every group needs positive variance.
    groups : int
        ``g``, dividing ``d``.

    Returns
    -------
    AmplificationCheck

    Raises
    ------
    InputError
        If ``d < 3`` or ``groups`` does not divide ``d``.
    ZeroVarianceError
        If a group has zero variance.

    Examples
    --------
    >>> r = lng_amplification_bound([0, 1, 2, 0, 2, 4], 2)
    >>> r.holds, r.equality, r.factor
    (True, False, Fraction(1, 1))
    >>> lng_amplification_bound([0, 1, 2, 2, 1, 0], 2).equality   # equal group stats
    True

    References
    ----------
    ``proofs/lng-hessian.md``.
    """
    xv, stats = _checked_stats(x, groups)
    d = len(xv)
    if d < 3:
        raise InputError(f"the amplification bound needs width d >= 3, got {d}")
    _checked_stats(xv, 1)
    grouped = lng_hessian_closed_form(xv, groups)
    plain = ln_hessian_closed_form(xv)
    factor = Fraction(groups * (d - 2 * groups), d - 2)
    bound = factor * plain
    equal_stats = len({m for m, _ in stats}) == 1 and len({v for _, v in stats}) == 1
    return AmplificationCheck(grouped, plain, factor, bound, grouped >= bound, grouped == bound, equal_stats)
