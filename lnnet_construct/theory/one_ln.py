r"""One LayerNorm on a scalar input is weak (MATH.md §8, seed 001).

For ``f(x) = a^T LN_eps(w x + b) + c`` with ``x`` a scalar, ``u = P w`` and
``v = P b``:

.. math::

    q(x) = \frac{\lVert x u + v\rVert^2}{d} + \varepsilon, \qquad
    f'(x)\, q(x)^{3/2} = \alpha x + \beta,

    \alpha = \frac{(a\cdot u)(u\cdot v) - (a\cdot v)\lVert u\rVert^2}{d}, \qquad
    \beta = (a\cdot u)\Bigl(\frac{\lVert v\rVert^2}{d} + \varepsilon\Bigr) - \frac{(a\cdot v)(u\cdot v)}{d} .

The ``x^2`` terms cancel, so ``f'`` changes sign at most once: ``f`` has at
most one stationary point and cannot match ``+-1`` alternating at four
points within error ``< 1`` (that would need ``f'`` to change sign twice).

On two neurons ``LN(a, b) = (t, -t)/sqrt(t^2 + eps)`` with ``t = (a - b)/2``:
a sign unit for ``eps = 0`` and a sigmoid for ``eps > 0``.

Proofs: ``proofs/ln-one-stationary.md`` and ``proofs/ln2-sign.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import sympy

from lnnet_construct.arith import Sign, get_arith
from lnnet_construct.errors import InputError, ZeroVarianceError
from lnnet_construct.numbers import exact_sqrt
from lnnet_construct.ops import layer_norm
from lnnet_construct.theory._common import rational, rational_vector

__all__ = [
    "one_ln_value",
    "derivative_numerator",
    "derivative_numerator_symbolic",
    "StationaryPoints",
    "stationary_points",
    "AlternationCheck",
    "alternation_bound_holds",
    "ln2",
]


def _params(a, w, b, eps):
    av, wv, bv = rational_vector(a, "a"), rational_vector(w, "w"), rational_vector(b, "b")
    d = len(av)
    if d < 2 or len(wv) != d or len(bv) != d:
        raise InputError(f"a, w, b need one common length d >= 2, got {len(av)}, {len(wv)}, {len(bv)}")
    epsq = rational(eps, "eps")
    if epsq < 0:
        raise InputError(f"eps must be >= 0, got {epsq}")
    return av, wv, bv, epsq


def _dot(p, q) -> Fraction:
    return sum((x * y for x, y in zip(p, q)), Fraction(0))


def _centre(v):
    m = sum(v, Fraction(0)) / len(v)
    return [e - m for e in v]


def one_ln_value(a: Any, w: Any, b: Any, c: Any, eps: Any, x: Any, arith: Any = "exact"):
    r"""``f(x) = a^T LN_eps(w x + b) + c`` with the package's LayerNorm.

    Parameters
    ----------
    a, w, b : sequences of rational numbers
        Output weights, input weights and input bias (length ``d >= 2``).
    c : rational number
        Output bias.
    eps : rational number, ``>= 0``
    x : rational number (or an element of ``arith``, e.g. a sympy symbol)
    arith : str or Arith, default "exact"

    Returns
    -------
    element of ``arith``

    Raises
    ------
    ZeroVarianceError
        If ``eps = 0`` and ``w x + b`` has zero variance.

    Examples
    --------
    >>> one_ln_value([1, -1], [1, 0], [0, 0], 0, 0, 3)   # width 2: sign(x) * 2
    Fraction(2, 1)

    References
    ----------
    ``proofs/ln-one-stationary.md``.
    """
    av, wv, bv, epsq = _params(a, w, b, eps)
    A = get_arith(arith) if isinstance(arith, str) else arith
    xe = A.const(rational(x, "x")) if isinstance(x, (int, Fraction, str)) else x
    z = [A.const(wi) * xe + A.const(bi) for wi, bi in zip(wv, bv)]
    y = layer_norm(z, eps=epsq, arith=A)
    return A.fsum([A.const(ai) * yi for ai, yi in zip(av, y)]) + A.const(rational(c, "c"))


def derivative_numerator(a: Any, w: Any, b: Any, eps: Any) -> tuple[Fraction, Fraction]:
    r"""Closed form ``(alpha, beta)`` with ``f'(x) q(x)^{3/2} = alpha x + beta``.

    Parameters
    ----------
    a, w, b : sequences of rational numbers
    eps : rational number, ``>= 0``

    Returns
    -------
    (Fraction, Fraction)

    Examples
    --------
    >>> derivative_numerator([0, 0, 1], [1, 0, 0], [0, 1, 0], 0)
    (Fraction(1, 9), Fraction(-1, 9))

    References
    ----------
    ``proofs/ln-one-stationary.md``.
    """
    av, wv, bv, epsq = _params(a, w, b, eps)
    d = len(av)
    u, v = _centre(wv), _centre(bv)
    au, av_, uv, uu, vv = _dot(av, u), _dot(av, v), _dot(u, v), _dot(u, u), _dot(v, v)
    alpha = (au * uv - av_ * uu) / d
    beta = au * (vv / d + epsq) - av_ * uv / d
    return alpha, beta


def derivative_numerator_symbolic(a: Any, w: Any, b: Any, eps: Any) -> sympy.Poly:
    r"""``f'(x) q(x)^{3/2}`` computed symbolically, proven to be a polynomial of degree <= 1.

    ``f`` is built with :func:`lnnet_construct.ops.layer_norm` on a sympy
    symbol and differentiated.  Every ``sqrt`` in ``f'`` has the same
    radicand ``B`` (checked, and checked equal to ``q``); writing
    ``sqrt(B) = r`` makes ``f' r^3`` a polynomial in ``x`` and ``r``, which is
    reduced modulo ``r^2 - B``.  The remainder must be free of ``r``.

    Parameters
    ----------
    a, w, b : sequences of rational numbers
    eps : rational number, ``>= 0``

    Returns
    -------
    sympy.Poly
        In the generator ``x``, with rational coefficients and degree <= 1.

    Raises
    ------
    ArithmeticError
        If the result is not affine (would contradict the theorem).

    Examples
    --------
    >>> derivative_numerator_symbolic([0, 0, 1], [1, 0, 0], [0, 1, 0], 0).all_coeffs()
    [1/9, -1/9]

    References
    ----------
    ``proofs/ln-one-stationary.md``.
    """
    av, wv, bv, epsq = _params(a, w, b, eps)
    d = len(av)
    x = sympy.Symbol("x", real=True)
    f = one_ln_value(av, wv, bv, 0, epsq, x, arith="sympy")
    fp = sympy.diff(f, x)
    u, v = _centre(wv), _centre(bv)
    q = sum(((ui * x + vi) ** 2 for ui, vi in zip(map(_rat, u), map(_rat, v))), sympy.Integer(0)) / d + _rat(epsq)
    bases = {p.base for p in fp.atoms(sympy.Pow) if p.exp.is_Rational and p.exp.q == 2}
    if not bases:
        poly = sympy.Poly(sympy.expand(fp), x)  # no square root left: f' is a polynomial (here 0)
    else:
        if len(bases) != 1:
            raise ArithmeticError(f"expected one radicand in f', found {len(bases)}")
        base = bases.pop()
        if sympy.expand(base - q) != 0:
            raise ArithmeticError("the radicand of LN is not q(x) = ||P(wx+b)||^2/d + eps")
        r = sympy.Dummy("r", positive=True)
        g = fp.replace(lambda e: e.is_Pow and e.base == base and (2 * e.exp).is_integer,
                       lambda e: r ** (2 * e.exp))
        g = sympy.expand(g * r**3)
        rem = sympy.rem(sympy.Poly(g, r), sympy.Poly(r**2 - base, r))
        if rem.degree() > 0:
            raise ArithmeticError("f' q^{3/2} has an odd power of sqrt(q) left over")
        poly = sympy.Poly(sympy.expand(rem.as_expr()), x)
    if poly.degree() > 1:
        raise ArithmeticError(f"f' q^(3/2) has degree {poly.degree()} > 1: this contradicts the theorem")
    return poly


def _rat(q: Fraction) -> sympy.Rational:
    return sympy.Rational(q.numerator, q.denominator)


@dataclass(frozen=True)
class StationaryPoints:
    """The stationary points of ``f(x) = a^T LN_eps(w x + b) + c``.

    Attributes
    ----------
    points : tuple of Fraction
        Where ``f'`` vanishes (at most one unless ``constant``).
    constant : bool
        ``f'`` vanishes identically (on each interval where ``f`` is defined).
    undefined_at : tuple of Fraction
        Zeros of ``q`` (only with ``eps = 0``): ``f`` is undefined there.
    """

    points: tuple
    constant: bool
    undefined_at: tuple


def stationary_points(a: Any, w: Any, b: Any, c: Any, eps: Any) -> StationaryPoints:
    r"""Exact stationary points of ``f(x) = a^T LN_eps(w x + b) + c`` (``c`` does not matter).

    ``f'(x) = (alpha x + beta) / q(x)^{3/2}``, so ``f'`` vanishes exactly at
    ``-beta/alpha`` (if ``alpha != 0`` and ``q`` does not vanish there),
    nowhere (``alpha = 0 != beta``), or everywhere (``alpha = beta = 0``).

    Parameters
    ----------
    a, w, b : sequences of rational numbers
    c : rational number
    eps : rational number, ``>= 0``

    Returns
    -------
    StationaryPoints

    Examples
    --------
    >>> stationary_points([0, 0, 1], [1, 0, 0], [0, 1, 0], 0, 0)
    StationaryPoints(points=(Fraction(1, 1),), constant=False, undefined_at=())
    >>> stationary_points([1, -1], [1, 0], [0, 0], 0, 0)    # a sign unit: constant pieces
    StationaryPoints(points=(), constant=True, undefined_at=(Fraction(0, 1),))

    References
    ----------
    ``proofs/ln-one-stationary.md``.
    """
    av, wv, bv, epsq = _params(a, w, b, eps)
    rational(c, "c")
    alpha, beta = derivative_numerator(av, wv, bv, epsq)
    u, v = _centre(wv), _centre(bv)
    undefined: tuple = ()
    if epsq == 0:
        uu = _dot(u, u)
        if uu == 0:
            if _dot(v, v) == 0:
                raise ZeroVarianceError("w x + b has zero variance for every x and eps = 0")
        else:
            x0 = -_dot(u, v) / uu  # q(x) = 0 iff x u + v = 0
            if all(x0 * ui + vi == 0 for ui, vi in zip(u, v)):
                undefined = (x0,)
    if alpha == 0:
        return StationaryPoints((), beta == 0, undefined)
    p = -beta / alpha
    return StationaryPoints(() if p in undefined else (p,), False, undefined)


@dataclass(frozen=True)
class AlternationCheck:
    """Result of :func:`alternation_bound_holds`.

    Attributes
    ----------
    holds : bool
        For both patterns ``s (-1)^i`` (``s = +-1``) some point has error
        ``|f(x_i) - s(-1)^i| >= 1``, decided exactly.
    values : tuple
        The exact ``f(x_i)``.
    stationary : StationaryPoints
        The theorem's reason: at most one stationary point.
    """

    holds: bool
    values: tuple
    stationary: StationaryPoints


def alternation_bound_holds(a: Any, w: Any, b: Any, c: Any, eps: Any, xs: Sequence) -> AlternationCheck:
    r"""Exact check that ``f`` does not match ``+-1`` alternating at ``x1 < x2 < x3 < x4``.

    The theorem: all errors ``< 1`` would force ``f(x_1), ..., f(x_4)`` to
    alternate in sign, so ``f'`` would change sign twice, while
    ``f' q^{3/2} = alpha x + beta`` changes sign at most once.  This function
    evaluates ``f`` exactly at the points and decides each comparison with
    exact signs.

    Parameters
    ----------
    a, w, b : sequences of rational numbers
    c : rational number
    eps : rational number, ``>= 0``
    xs : sequence of at least four strictly increasing rational numbers

    Returns
    -------
    AlternationCheck

    Raises
    ------
    InputError
        Fewer than four points, or not strictly increasing.
    ZeroVarianceError
        ``f`` is undefined at one of the points.

    Examples
    --------
    >>> alternation_bound_holds([1, 0, 0], [1, 0, 0], [0, 1, 0], 0, 0, [-2, -1, 1, 2]).holds
    True

    References
    ----------
    ``proofs/ln-one-stationary.md``.
    """
    pts = rational_vector(xs, "xs")
    if len(pts) < 4 or any(p >= q for p, q in zip(pts, pts[1:])):
        raise InputError("xs must hold at least four strictly increasing numbers")
    A = get_arith("exact")
    values = tuple(one_ln_value(a, w, b, c, eps, p, arith=A) for p in pts)

    def within(value, target) -> bool:  # |value - target| < 1, exactly
        return A.sign(value - target - 1) is Sign.NEGATIVE and A.sign(value - target + 1) is Sign.POSITIVE

    matched = any(all(within(f, s * (-1) ** i) for i, f in enumerate(values)) for s in (1, -1))
    return AlternationCheck(not matched, values, stationary_points(a, w, b, c, eps))


def ln2(a: Any, b: Any, eps: Any = 0) -> tuple:
    r"""Closed form of LayerNorm on two neurons.

    .. math:: \mathrm{LN}_\varepsilon(a, b) = \frac{(t, -t)}{\sqrt{t^2 + \varepsilon}},\qquad t = \frac{a-b}{2},

    i.e. ``sign(a - b) (1, -1)`` for ``eps = 0``.

    Parameters
    ----------
    a, b : rational numbers
    eps : rational number, ``>= 0``

    Returns
    -------
    tuple
        Two exact numbers (``Fraction`` or the package's algebraic ``Expr``).

    Raises
    ------
    ZeroVarianceError
        If ``a = b`` and ``eps = 0``.

    Examples
    --------
    >>> ln2(3, 1)
    (Fraction(1, 1), Fraction(-1, 1))
    >>> ln2(3, 1, eps=3)            # t = 1: 1/sqrt(4)
    (Fraction(1, 2), Fraction(-1, 2))

    References
    ----------
    ``proofs/ln2-sign.md``.
    """
    t = (rational(a, "a") - rational(b, "b")) / 2
    epsq = rational(eps, "eps")
    if epsq < 0:
        raise InputError(f"eps must be >= 0, got {epsq}")
    if epsq == 0:
        if t == 0:
            raise ZeroVarianceError("LN(a, a) is undefined for eps = 0")
        y = Fraction(1 if t > 0 else -1)
    else:
        y = t / exact_sqrt(t * t + epsq)
    return (y, -y)
