r"""Exact Jacobians and Lipschitz constants of LayerNorm and BatchNorm (MATH.md §8).

For ``x`` in ``R^d``, ``s = sqrt(var + eps)`` and ``y = P x / s``:

.. math:: J(x) = \frac1s\Bigl(P - \frac1d\, y y^T\Bigr),

a symmetric matrix with eigenvalues ``0`` (on ``1``), ``eps/(var+eps) / s``
(on ``y``) and ``1/s`` (on the ``d - 2`` remaining directions).  Hence for
``d >= 3``, ``||J(x)||_2 = 1/s`` and the global Lipschitz constant of
``LN_eps`` is ``1/sqrt(eps)`` (attained as ``var -> 0``).

``J^T J`` is a *rational* matrix at a rational point (the square roots
cancel), so its eigenvalues are decided exactly from its characteristic
polynomial over ``QQ``.

Inference-time BatchNorm ``x_i -> gamma_i (x_i - m_i)/sqrt(sigma_i^2 + eps) + beta_i``
is diagonal-affine, with Lipschitz constant ``max_i |gamma_i| / sqrt(sigma_i^2 + eps)``.

Proof: ``proofs/ln-lipschitz.md``.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import Any

import sympy

from lnnet_construct.arith import get_arith
from lnnet_construct.errors import InputError, ZeroVarianceError
from lnnet_construct.ops import layer_norm
from lnnet_construct.theory._common import rational, rational_vector

__all__ = [
    "ln_jacobian",
    "ln_jacobian_closed_form",
    "ln_jtj_eigenvalues",
    "ln_spectral_norm",
    "ln_lipschitz_constant",
    "batchnorm_lipschitz",
]


def _sym(q: Fraction) -> sympy.Rational:
    return sympy.Rational(q.numerator, q.denominator)


def _point(x: Any, eps: Any) -> tuple[tuple[Fraction, ...], Fraction, Fraction]:
    xv = rational_vector(x, "x")
    epsq = rational(eps, "eps")
    if epsq < 0:
        raise InputError(f"eps must be >= 0, got {epsq}")
    d = len(xv)
    if d < 2:
        raise InputError(f"LayerNorm needs width d >= 2, got {d}")
    mu = sum(xv, Fraction(0)) / d
    var = sum(((v - mu) ** 2 for v in xv), Fraction(0)) / d
    if var + epsq == 0:
        raise ZeroVarianceError("x has zero variance and eps = 0: LN is undefined there")
    return xv, epsq, var


@functools.lru_cache(maxsize=32)
def _symbolic_jacobian(d: int, eps: Fraction):
    syms = sympy.symbols(f"x0:{d}", real=True)
    comps = layer_norm(list(syms), eps=eps, arith=get_arith("sympy"))
    return syms, sympy.Matrix(comps).jacobian(sympy.Matrix(syms))


def ln_jacobian(x: Any, eps: Any = 0) -> sympy.Matrix:
    r"""Exact Jacobian of the package's LayerNorm at a rational point.

    Differentiates :func:`lnnet_construct.ops.layer_norm` on sympy symbols
    and substitutes ``x``.

    Parameters
    ----------
    x : sequence of rational numbers
        Width ``d >= 2``.
    eps : rational number, default 0

    Returns
    -------
    sympy.Matrix
        ``d x d``, exact (entries may contain one square root).

    Raises
    ------
    ZeroVarianceError
        If ``var(x) + eps = 0``.

    Examples
    --------
    >>> ln_jacobian([1, -1])          # width 2, eps = 0: a sign unit, locally constant
    Matrix([
    [0, 0],
    [0, 0]])

    References
    ----------
    ``proofs/ln-lipschitz.md``.
    """
    xv, epsq, _ = _point(x, eps)
    syms, jac = _symbolic_jacobian(len(xv), epsq)
    sub = {s: _sym(q) for s, q in zip(syms, xv)}
    return jac.subs(sub).applyfunc(lambda e: sympy.radsimp(sympy.expand(e)))


def ln_jacobian_closed_form(x: Any, eps: Any = 0) -> sympy.Matrix:
    r"""``J(x) = (1/s)(P - (1/d) y y^T)`` with ``s = sqrt(var + eps)``, ``y = P x / s``.

    Parameters
    ----------
    x : sequence of rational numbers
    eps : rational number, default 0

    Returns
    -------
    sympy.Matrix

    Examples
    --------
    >>> ln_jacobian_closed_form([0, 0, 3]) * 2 * sympy.sqrt(2)  # var = 2, s = sqrt(2), eps = 0
    Matrix([
    [ 1, -1, 0],
    [-1,  1, 0],
    [ 0,  0, 0]])

    References
    ----------
    ``proofs/ln-lipschitz.md``.
    """
    xv, epsq, var = _point(x, eps)
    d = len(xv)
    mu = sum(xv, Fraction(0)) / d
    px = [v - mu for v in xv]
    s2 = var + epsq
    # K = P - (1/d) y y^T = P - (1/d) Px (Px)^T / s^2 is rational.
    k = [[(Fraction(1) if i == j else Fraction(0)) - Fraction(1, d) - px[i] * px[j] / (d * s2)
          for j in range(d)] for i in range(d)]
    return sympy.Matrix(d, d, lambda i, j: _sym(k[i][j])) / sympy.sqrt(_sym(s2))


def ln_jtj_eigenvalues(x: Any, eps: Any = 0) -> list:
    r"""Exact eigenvalues of ``J^T J`` (with multiplicity, ascending).

    ``J^T J`` is computed from the symbolic Jacobian :func:`ln_jacobian`;
    its entries are rational (checked), and the eigenvalues are the roots of
    its characteristic polynomial over ``QQ``, found exactly by sympy.

    Parameters
    ----------
    x : sequence of rational numbers
    eps : rational number, default 0

    Returns
    -------
    list
        sympy numbers (rational here; ``CRootOf`` in general).

    Raises
    ------
    ArithmeticError
        If ``J^T J`` is not rational (would contradict the theory).

    Examples
    --------
    >>> ln_jtj_eigenvalues([0, 0, 3], eps=1)    # var = 2: 0, (1/3)^2/3, 1/3
    [0, 1/27, 1/3]

    References
    ----------
    ``proofs/ln-lipschitz.md``.
    """
    j = ln_jacobian(x, eps)
    m = (j.T * j).applyfunc(lambda e: sympy.radsimp(sympy.expand(e)))
    if not all(e.is_Rational for e in m):
        raise ArithmeticError("J^T J is not rational at a rational point; this contradicts the closed form")
    lam = sympy.Symbol("lam")
    return sympy.Poly(m.charpoly(lam).as_expr(), lam).real_roots()


def ln_spectral_norm(x: Any, eps: Any = 0) -> sympy.Expr:
    r"""Exact ``||J(x)||_2``: the square root of the largest eigenvalue of ``J^T J``.

    For ``d >= 3`` this equals ``1/sqrt(var + eps)``.

    Parameters
    ----------
    x : sequence of rational numbers
    eps : rational number, default 0

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> ln_spectral_norm([0, 0, 3])          # var = 2
    sqrt(2)/2
    >>> ln_spectral_norm([0, 2], eps=1)      # d = 2: eps/(var+eps) / s = (1/2)/sqrt(2)
    sqrt(2)/4

    References
    ----------
    ``proofs/ln-lipschitz.md``.
    """
    return sympy.sqrt(ln_jtj_eigenvalues(x, eps)[-1])


def ln_lipschitz_constant(d: int, eps: Any) -> sympy.Expr:
    r"""Global Lipschitz constant (spectral norm) of ``LN_eps`` on ``R^d``: ``1/sqrt(eps)``.

    ``sup_x 1/sqrt(var + eps) = 1/sqrt(eps)``, attained at ``var = 0`` where
    ``J = P/sqrt(eps)``; infinite for ``eps = 0``.

    Parameters
    ----------
    d : int
        Width, ``>= 2``.
    eps : rational number, ``>= 0``

    Returns
    -------
    sympy.Expr
        ``1/sqrt(eps)``, or ``sympy.oo`` when ``eps = 0``.

    Examples
    --------
    >>> ln_lipschitz_constant(3, "1/100")
    10
    >>> ln_lipschitz_constant(3, 0)
    oo

    References
    ----------
    ``proofs/ln-lipschitz.md``.
    """
    if d < 2:
        raise InputError(f"LayerNorm needs width d >= 2, got {d}")
    epsq = rational(eps, "eps")
    if epsq < 0:
        raise InputError(f"eps must be >= 0, got {epsq}")
    if epsq == 0:
        return sympy.oo
    return 1 / sympy.sqrt(_sym(epsq))


def batchnorm_lipschitz(gamma: Any, var: Any, eps: Any) -> sympy.Expr:
    r"""Lipschitz constant of inference-time BatchNorm: ``max_i |gamma_i| / sqrt(var_i + eps)``.

    The maximum is chosen exactly by comparing the rational squares
    ``gamma_i^2 / (var_i + eps)``.

    Parameters
    ----------
    gamma : sequence of rational numbers
        Per-channel scales.
    var : sequence of rational numbers
        Running variances ``sigma_i^2 >= 0``.
    eps : rational number, ``>= 0``

    Returns
    -------
    sympy.Expr

    Raises
    ------
    InputError
        Lengths differ, a variance or ``eps`` is negative, or the input is empty.
    ZeroVarianceError
        Some ``var_i + eps = 0``.

    Examples
    --------
    >>> batchnorm_lipschitz([1, -3], [3, 8], 1)     # max(1/2, 3/3)
    1
    >>> batchnorm_lipschitz(["1/2"], [1], 0)
    1/2

    References
    ----------
    ``proofs/ln-lipschitz.md``.
    """
    g = rational_vector(gamma, "gamma")
    v = rational_vector(var, "var")
    epsq = rational(eps, "eps")
    if not g or len(g) != len(v):
        raise InputError(f"gamma and var need the same positive length, got {len(g)} and {len(v)}")
    if epsq < 0 or any(e < 0 for e in v):
        raise InputError("variances and eps must be >= 0")
    if any(e + epsq == 0 for e in v):
        raise ZeroVarianceError("a channel has var + eps = 0: BatchNorm is undefined")
    best = max(gi * gi / (vi + epsq) for gi, vi in zip(g, v))
    return sympy.sqrt(_sym(best))
