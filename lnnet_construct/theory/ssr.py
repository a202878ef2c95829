r"""Sum-of-squares ratios: how well a linear projection separates two classes.

Definitions (ours, MATH.md §5; the seed's summary names an SSR/LSSR framework but gives no formula).
For classes ``X1`` (``m1`` points) and ``X2`` (``m2`` points), ``m = m1 + m2``,
class means ``mu1``, ``mu2``, overall mean ``mu`` and ``Delta = mu1 - mu2``:

.. math::

    S_W = \sum_{x\in X_1}(x-\mu_1)(x-\mu_1)^T + \sum_{x\in X_2}(x-\mu_2)(x-\mu_2)^T,
    \qquad S_T = \sum_{x}(x-\mu)(x-\mu)^T = S_W + \tfrac{m_1 m_2}{m}\Delta\Delta^T,

    \mathrm{SSR}_a = \frac{a^T S_W a}{a^T S_T a}, \qquad
    \mathrm{LSSR} = \min_a \mathrm{SSR}_a = 1 - \tfrac{m_1 m_2}{m}\,\Delta^T S_T^{+}\Delta .

Everything is exact: rational data give ``Fraction`` results, algebraic data
(for example values after a LayerNorm) are handled in an exact algebraic
number field.  An ``mpmath`` variant is provided for speed and cross-checks;
it is floating point and never a verdict.

Proofs: ``proofs/lssr-affine-invariance.md`` (affine invariance) and
``proofs/lssr-ln-breaks.md`` (LN breaks the bound); MATH.md §5 numbers them
Propositions 1 and 2 (its numbering, not the paper's).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import mpmath
import sympy
from mpmath.libmp import from_rational, round_nearest

from lnnet_construct.errors import InputError
from lnnet_construct.theory._common import exact_vector, point_rows, to_sympy
from lnnet_construct.theory._linalg import ExactField, field_for, solve_consistent

__all__ = ["Scatter", "scatter_matrices", "ssr", "lssr", "lssr_direction", "lssr_mp", "XorWitness", "xor_witness"]


@dataclass(frozen=True)
class Scatter:
    """Exact scatter statistics of two classes.

    Attributes
    ----------
    m1, m2 : int
        Class sizes.
    mean1, mean2, delta : tuple
        Class means and ``delta = mean1 - mean2``.
    within, total : tuple of tuples
        ``S_W`` and ``S_T`` as ``d x d`` row tuples.
    """

    m1: int
    m2: int
    mean1: tuple
    mean2: tuple
    delta: tuple
    within: tuple
    total: tuple


def _classes(x1: Any, x2: Any, extra: Sequence = ()):
    """Coerce both classes, check dimensions and put every entry in one exact field."""
    r1 = point_rows(x1, "class X1")
    r2 = point_rows(x2, "class X2")
    d = len(r1[0])
    if len(r2[0]) != d:
        raise InputError(f"class X1 has dimension {d} but class X2 has dimension {len(r2[0])}")
    flat = [e for p in r1 + r2 for e in p] + list(extra)
    field, els = field_for(flat)
    it = iter(els)
    p1 = [[next(it) for _ in range(d)] for _ in r1]
    p2 = [[next(it) for _ in range(d)] for _ in r2]
    rest = list(it)
    return field, p1, p2, rest


def _mean(points, field: ExactField):
    d = len(points[0])
    m = field.one * len(points)
    return [sum((p[j] for p in points), field.zero) / m for j in range(d)]


def _scatter(points, centre, field: ExactField):
    d = len(centre)
    s = [[field.zero] * d for _ in range(d)]
    for p in points:
        c = [p[j] - centre[j] for j in range(d)]
        for i in range(d):
            if field.is_zero(c[i]):
                continue
            for j in range(d):
                s[i][j] = s[i][j] + c[i] * c[j]
    return s


def _stats(field, p1, p2):
    mu1, mu2 = _mean(p1, field), _mean(p2, field)
    mu = _mean(p1 + p2, field)
    delta = [a - b for a, b in zip(mu1, mu2)]
    st = _scatter(p1 + p2, mu, field)
    if all(field.is_zero(e) for row in st for e in row):
        raise InputError("LSSR is undefined: all points are equal, so the total scatter S_T is zero")
    return delta, st


def scatter_matrices(x1: Any, x2: Any) -> Scatter:
    r"""Exact within-class and total scatter matrices of two classes.

    Parameters
    ----------
    x1, x2 : sequence of points
        Each point is a sequence of exact numbers (``int``, ``Fraction``,
        number strings, algebraic expressions); a bare number is a 1-D point.

    Returns
    -------
    Scatter
        Exact statistics; entries are ``Fraction`` or sympy expressions.

    Raises
    ------
    InputError
        If a class is empty or the dimensions differ.

    Examples
    --------
    >>> s = scatter_matrices([[0], [2]], [[1]])
    >>> s.total, s.within, s.delta
    (((Fraction(2, 1),),), ((Fraction(2, 1),),), (Fraction(0, 1),))

    References
    ----------
    ``proofs/lssr-affine-invariance.md`` (identity ``S_T = S_W + (m1 m2/m) Delta Delta^T``).
    """
    field, p1, p2, _ = _classes(x1, x2)
    mu1, mu2 = _mean(p1, field), _mean(p2, field)
    mu = _mean(p1 + p2, field)
    sw1, sw2 = _scatter(p1, mu1, field), _scatter(p2, mu2, field)
    sw = [[a + b for a, b in zip(r1, r2)] for r1, r2 in zip(sw1, sw2)]
    st = _scatter(p1 + p2, mu, field)
    pub = field.to_public
    return Scatter(
        m1=len(p1), m2=len(p2),
        mean1=tuple(map(pub, mu1)), mean2=tuple(map(pub, mu2)),
        delta=tuple(pub(a - b) for a, b in zip(mu1, mu2)),
        within=tuple(tuple(map(pub, r)) for r in sw),
        total=tuple(tuple(map(pub, r)) for r in st),
    )


def ssr(x1: Any, x2: Any, a: Sequence) -> Any:
    r"""Exact sum-of-squares ratio of the projection ``a``.

    .. math:: \mathrm{SSR}_a = \frac{a^T S_W a}{a^T S_T a} \in [0, 1]

    computed from the projected values ``a . x`` (no matrices needed).

    Parameters
    ----------
    x1, x2 : sequence of points
        The two classes (exact numbers; a bare number is a 1-D point).
    a : sequence of numbers
        The projection direction.

    Returns
    -------
    Fraction or sympy expression
        Exact ``SSR_a``; 0 means the projection maps each class to one value.

    Raises
    ------
    InputError
        If a class is empty, the dimensions differ, or ``a^T S_T a = 0``
        (the projection maps every point to the same value).

    Examples
    --------
    >>> ssr([[0, 0], [1, 1]], [[1, 0], [3, 3]], [1, 0])
    Fraction(10, 19)
    >>> ssr([[0, 0], [1, 1]], [[1, 0], [3, 3]], [0, 1])
    Fraction(5, 6)
    >>> ssr([[0, 0], [1, 1]], [[1, 0], [0, 1]], [1, -1])   # XOR: every projection gives 1
    Fraction(1, 1)

    References
    ----------
    ``proofs/lssr-affine-invariance.md``.
    """
    av = exact_vector(a, "the projection a")
    field, p1, p2, aa = _classes(x1, x2, av)
    if len(aa) != len(p1[0]):
        raise InputError(f"projection a has length {len(aa)} but the points have dimension {len(p1[0])}")

    def proj(points):
        return [sum((ai * xi for ai, xi in zip(aa, p)), field.zero) for p in points]

    t1, t2 = proj(p1), proj(p2)

    def ss(ts):
        mean = sum(ts, field.zero) / (field.one * len(ts))
        return sum(((t - mean) * (t - mean) for t in ts), field.zero)

    total = ss(t1 + t2)
    if field.is_zero(total):
        raise InputError("SSR_a is undefined: a^T S_T a = 0, the projection a maps every point to the same value")
    return field.to_public((ss(t1) + ss(t2)) / total)


def _lssr_exact(x1, x2):
    field, p1, p2, _ = _classes(x1, x2)
    delta, st = _stats(field, p1, p2)
    # Why an exact solution v of S_T v = Delta gives Delta^T S_T^+ Delta = Delta^T v:
    # (i) Delta lies in range(S_T).  For z in ker(S_T),
    #     0 = z^T S_T z = z^T S_W z + (m1 m2/m)(z^T Delta)^2 with both terms >= 0,
    #     so z^T Delta = 0; Delta is orthogonal to ker(S_T) = range(S_T)^perp (S_T symmetric).
    # (ii) Hence S_T v = Delta is solvable, and every solution is v = S_T^+ Delta + k with
    #     k in ker(S_T), so Delta^T v = Delta^T S_T^+ Delta + Delta^T k = Delta^T S_T^+ Delta.
    v = solve_consistent(st, delta, field)
    if v is None:  # impossible by (i); kept as a guard against a broken invariant
        raise ArithmeticError("S_T v = Delta has no solution; this contradicts range(S_T) containing Delta")
    q = sum((a * b for a, b in zip(delta, v)), field.zero)
    m1, m2 = len(p1), len(p2)
    value = field.one - field.one * (m1 * m2) / (field.one * (m1 + m2)) * q
    return field, value, v, q, st


def lssr(x1: Any, x2: Any, *, arith: str = "exact", prec: int = 53) -> Any:
    r"""Linear sum-of-squares ratio: the smallest ``SSR_a`` over all projections.

    .. math:: \mathrm{LSSR} = 1 - \frac{m_1 m_2}{m}\,\Delta^T S_T^{+}\Delta

    The exact version solves ``S_T v = Delta`` by exact Gauss-Jordan
    elimination; because ``Delta`` always lies in ``range(S_T)``, any solution
    gives ``Delta^T S_T^+ Delta = Delta^T v`` (see the comment in the source
    and ``proofs/lssr-affine-invariance.md``).

    Parameters
    ----------
    x1, x2 : sequence of points
        The two classes.  Exact numbers; algebraic entries (sympy or the
        package's ``Expr``) are computed in an exact algebraic field.
    arith : {"exact", "mpmath"}
        ``"exact"`` (default) returns ``Fraction`` for rational data and a
        sympy expression for algebraic data.  ``"mpmath"`` returns an ``mpf``
        from a floating pseudo-inverse (eigen-decomposition with a relative
        cut-off); it is **not rigorous** and only meant for speed and checks.
    prec : int
        Working precision in bits for ``arith="mpmath"``.

    Returns
    -------
    Fraction, sympy expression or mpmath.mpf
        ``LSSR`` in ``[0, 1]``: 1 when the class means coincide, 0 when some
        projection maps each class to one value.

    Raises
    ------
    InputError
        If a class is empty, dimensions differ, all points are equal
        (``S_T = 0``: LSSR undefined) or ``arith`` is unknown.

    Notes
    -----
    For algebraic data the cost grows with the degree of the number field,
    i.e. with the number of independent square roots (about 0.4 s for five
    distinct ones); for data with many distinct radicals use
    ``arith="mpmath"`` as a non-rigorous estimate.

    Examples
    --------
    >>> lssr([[0, 0], [1, 1]], [[1, 0], [0, 1]])   # XOR: means coincide
    Fraction(1, 1)
    >>> lssr([[0, 0]], [[3, 1]])                     # two points separate
    Fraction(0, 1)
    >>> lssr([-1, 1], [0])                           # 1-D points may be bare numbers
    Fraction(1, 1)
    >>> lssr([[0], [1]], [[1], [3]])
    Fraction(10, 19)
    >>> abs(float(lssr([[0], [1]], [[1], [3]], arith="mpmath")) - 10 / 19) < 1e-12
    True

    References
    ----------
    ``proofs/lssr-affine-invariance.md``, ``proofs/lssr-ln-breaks.md``.
    """
    if arith == "exact":
        field, value, *_ = _lssr_exact(x1, x2)
        return field.to_public(value)
    if arith == "mpmath":
        return lssr_mp(x1, x2, prec=prec)
    raise InputError(f"unknown arith {arith!r} for lssr; expected 'exact' or 'mpmath'")


def lssr_direction(x1: Any, x2: Any) -> tuple:
    r"""An exact projection ``a`` attaining the minimum: ``SSR_a == LSSR``.

    If ``Delta != 0`` this is a solution ``v`` of ``S_T v = Delta``: then
    ``v^T S_T v = Delta^T v = q`` and ``v^T S_W v = q - (m1 m2/m) q^2``, so
    ``SSR_v = 1 - (m1 m2/m) q = LSSR``.  If ``Delta = 0`` every projection
    with ``a^T S_T a > 0`` has ``SSR_a = 1``; a coordinate axis with positive
    variance is returned.

    Parameters
    ----------
    x1, x2 : sequence of points
        The two classes.

    Returns
    -------
    tuple
        The direction, entries ``Fraction`` or sympy expressions.

    Raises
    ------
    InputError
        As :func:`lssr`.

    Examples
    --------
    >>> x1, x2 = [[0, 0], [2, 1]], [[1, 0], [3, 3]]
    >>> a = lssr_direction(x1, x2)
    >>> ssr(x1, x2, a) == lssr(x1, x2)
    True

    References
    ----------
    ``proofs/lssr-affine-invariance.md``.
    """
    field, _, v, q, st = _lssr_exact(x1, x2)
    if field.is_zero(q):
        i = next(i for i in range(len(st)) if not field.is_zero(st[i][i]))
        v = [field.one if j == i else field.zero for j in range(len(st))]
    return tuple(field.to_public(e) for e in v)


def lssr_mp(x1: Any, x2: Any, *, prec: int = 53):
    """Floating-point LSSR with mpmath at ``prec`` bits (NOT rigorous).

    Uses a private mpmath context, so the global precision is untouched.
    Eigenvalues of ``S_T`` below ``d * max_eig * 2**(8 - prec)`` are treated
    as zero when forming the pseudo-inverse.

    Parameters
    ----------
    x1, x2 : sequence of points
        The two classes (exact numbers).
    prec : int
        Working precision in bits.

    Returns
    -------
    mpmath.mpf
        An approximation of :func:`lssr`.

    Raises
    ------
    InputError
        As :func:`lssr`.

    Examples
    --------
    >>> float(lssr_mp([[0, 0], [1, 1]], [[1, 0], [0, 1]], prec=80))
    1.0

    References
    ----------
    ``proofs/lssr-affine-invariance.md``.
    """
    field, p1, p2, _ = _classes(x1, x2)
    delta, st = _stats(field, p1, p2)  # exact statistics, validated
    ctx = mpmath.ctx_mp.MPContext()
    ctx.prec = prec

    def conv(e):
        e = field.to_public(e)
        if isinstance(e, Fraction):
            return ctx.make_mpf(from_rational(e.numerator, e.denominator, prec, round_nearest))
        return ctx.make_mpf(to_sympy(e).evalf(n=prec // 3 + 10)._mpf_)  # sympy Float, extra digits

    d = len(delta)
    s = ctx.matrix([[conv(e) for e in row] for row in st])
    dl = [conv(e) for e in delta]
    evals, evecs = ctx.eigsy(s)
    lam_max = max(abs(evals[i]) for i in range(d))
    cut = lam_max * d * ctx.ldexp(1, 8 - prec)
    q = ctx.zero
    for k in range(d):
        if evals[k] > cut:
            c = ctx.fsum(evecs[i, k] * dl[i] for i in range(d))
            q += c * c / evals[k]
    m1, m2 = len(p1), len(p2)
    return 1 - ctx.mpf(m1 * m2) / (m1 + m2) * q


# ----------------------------------------------------------------------------- LN breaks the bound


@dataclass(frozen=True)
class XorWitness:
    r"""A one-LN-layer network that lowers the LSSR of XOR from 1 to 0 (exact).

    The network (MATH.md §5, §2.2), with ``v1 = (1,-1,0)``, ``v2 = (1,1,-2)``:

    1. ``t = x_1 - x_2`` (rotate by 45 degrees, rationally scaled) and replace the
       other rotated coordinate by the constant ``h``: ``z = t v1 + h v2``;
    2. ``LN_eps`` on width 3;
    3. read the ordinate ``s = v2 . LN(z)``.

    Class ``A`` has ``t = 0`` and class ``B`` has ``t = +-1``; the fold is
    even in ``t``, so each class collapses to a single value.

    Attributes
    ----------
    x1, x2 : tuple of tuple of Fraction
        Class ``A`` = {(0,0), (1,1)}, class ``B`` = {(1,0), (0,1)}.
    first_weight, first_bias : tuple
        The affine map ``R^2 -> R^3``: ``v1 (1,-1)`` and ``h v2``.
    eps : Fraction
        LayerNorm epsilon.
    readout_weight, readout_bias : tuple
        ``v2^T`` and ``0``.
    ln_outputs1, ln_outputs2 : tuple of tuple of sympy expressions
        Exact LayerNorm outputs of each class.
    readout1, readout2 : tuple of sympy expressions
        Exact ordinates of each class.
    collapsed : bool
        Each class has a single ordinate and the two differ (exact signs).
    lssr_before, lssr_after_ln, lssr_after : exact numbers
        LSSR of the inputs (1), of the LN outputs and of the ordinates (0).
    """

    x1: tuple
    x2: tuple
    first_weight: tuple
    first_bias: tuple
    eps: Fraction
    readout_weight: tuple
    readout_bias: tuple
    ln_outputs1: tuple
    ln_outputs2: tuple
    readout1: tuple
    readout2: tuple
    collapsed: bool
    lssr_before: Any
    lssr_after_ln: Any
    lssr_after: Any

    def to_network(self):
        """The witness as a :class:`lnnet_construct.network.Network` with a sign decision.

        The readout bias is a rational threshold strictly between the two
        class ordinates (checked exactly); ``classes = ("B", "A")`` since class
        ``A`` has the larger ordinate.

        Examples
        --------
        >>> net = xor_witness().to_network()
        >>> net.depth, net.width, net.layers[-1].bias     # 3*sqrt(6)/2 < 4 < 3*sqrt(2)
        (1, 3, (Fraction(-4, 1),))

        References
        ----------
        ``proofs/lssr-ln-breaks.md``.
        """
        from lnnet_construct.arith import Sign, get_arith
        from lnnet_construct.network import Affine, LayerNorm, Network

        A = get_arith("sympy")
        hi, lo = self.readout1[0], self.readout2[0]
        if A.sign(hi - lo) is not Sign.POSITIVE:
            raise ArithmeticError("class A should have the larger ordinate")
        lo_q, hi_q = Fraction(str(lo.evalf(30))), Fraction(str(hi.evalf(30)))
        gap = (hi_q - lo_q) / 4
        theta = _simplest_between(lo_q + gap, hi_q - gap)
        th = sympy.Rational(theta.numerator, theta.denominator)
        if A.sign(hi - th) is not Sign.POSITIVE or A.sign(th - lo) is not Sign.POSITIVE:
            raise ArithmeticError("threshold is not strictly between the class ordinates")
        return Network(2, [Affine(self.first_weight, self.first_bias), LayerNorm(eps=self.eps),
                           Affine([self.readout_weight], [-theta])],
                       classes=["B", "A"], meta={"method": "xor_witness", "proof": "proofs/lssr-ln-breaks.md"})


def _simplest_between(lo: Fraction, hi: Fraction) -> Fraction:
    """The fraction with the smallest denominator in ``[lo, hi]`` (continued fractions)."""
    fl = lo.numerator // lo.denominator
    if fl == lo or fl + 1 <= hi:
        return Fraction(fl if fl == lo else fl + 1)
    return fl + 1 / _simplest_between(1 / (hi - fl), 1 / (lo - fl))


def xor_witness(h: Any = 1, eps: Any = 0) -> XorWitness:
    r"""LN breaks the bound (``lssr-ln-breaks``): exact XOR data and a 1-LN-layer network with ``LSSR`` 1 -> 0.

    Linear maps can never lower the LSSR (``lssr-affine-invariance``); this network does.
    The LayerNorm is evaluated exactly with the package's single
    implementation (:func:`lnnet_construct.ops.layer_norm`, sympy arithmetic),
    and the collapse of each class to one value is decided with exact signs.

    Parameters
    ----------
    h : positive rational number, default 1
        The constant second coordinate (height of the fold).
    eps : rational number, ``>= 0``, default 0

    Returns
    -------
    XorWitness

    Raises
    ------
    InputError
        If ``h <= 0`` or ``eps < 0``.

    Examples
    --------
    >>> w = xor_witness()
    >>> w.lssr_before, w.lssr_after, w.collapsed
    (Fraction(1, 1), Fraction(0, 1), True)
    >>> w.readout1[0], w.readout2[0]
    (3*sqrt(2), 3*sqrt(6)/2)

    References
    ----------
    ``proofs/lssr-ln-breaks.md``.
    """
    from lnnet_construct.arith import Sign, get_arith
    from lnnet_construct.ops import affine, layer_norm
    from lnnet_construct.theory._common import rational

    hq, epsq = rational(h, "h"), rational(eps, "eps")
    if hq <= 0:
        raise InputError(f"h must be > 0, got {hq}")
    if epsq < 0:
        raise InputError(f"eps must be >= 0, got {epsq}")
    v1, v2 = (1, -1, 0), (1, 1, -2)
    one = Fraction(1)
    x1 = ((0 * one, 0 * one), (one, one))
    x2 = ((one, 0 * one), (0 * one, one))
    w1 = tuple((Fraction(a), Fraction(-a)) for a in v1)   # v1 (1, -1): t = x_1 - x_2
    b1 = tuple(hq * a for a in v2)                        # h v2
    rw, rb = tuple(Fraction(a) for a in v2), (Fraction(0),)
    A = get_arith("sympy")

    def run(points):
        lns, outs = [], []
        for p in points:
            y = layer_norm(affine(p, w1, b1, A), eps=epsq, arith=A)
            lns.append(tuple(sympy.radsimp(e) for e in y))
            outs.append(sympy.radsimp(affine(y, [rw], rb, A)[0]))
        return tuple(lns), tuple(outs)

    ln1, r1 = run(x1)
    ln2, r2 = run(x2)
    same1 = all(A.sign(e - r1[0]) is Sign.ZERO for e in r1)
    same2 = all(A.sign(e - r2[0]) is Sign.ZERO for e in r2)
    distinct = A.sign(r1[0] - r2[0]) is not Sign.ZERO
    return XorWitness(
        x1=x1, x2=x2, first_weight=w1, first_bias=b1, eps=epsq, readout_weight=rw, readout_bias=rb,
        ln_outputs1=ln1, ln_outputs2=ln2, readout1=r1, readout2=r2,
        collapsed=same1 and same2 and distinct,
        lssr_before=lssr(x1, x2), lssr_after_ln=lssr(ln1, ln2), lssr_after=lssr(r1, r2),
    )
