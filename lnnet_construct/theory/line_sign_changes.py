r"""Sign changes of *any* plain width-3 LN-Net along a line, counted exactly (``proofs/vc-line-width3.md``).

A plain width-3 network (one-group LayerNorm without elementwise affine,
scalar output) acts on the circle coordinates ``(u, w)`` of its pre-LN
vectors (:func:`plane_recursion`):

.. math::

    (u_1, w_1) = (A_u \cdot x + u_0,\; A_w \cdot x + w_0), \qquad
    n_k = \sqrt{(2u_k^2 + 6w_k^2)/3 + \varepsilon_k},

    (u_{k+1}, w_{k+1}) = M_k (u_k, w_k)/n_k + \gamma_k, \qquad F = (\rho u_L + \sigma w_L)/n_L + b.

Along a line ``x = p + s q`` write ``y_k = n_k`` and clear denominators:
``u_k = U_k / (y_1 \cdots y_{k-1})`` with ``U_k`` polynomial in ``s, y_1, ...``,
the relations ``3 y_k^2 (y_1 \cdots y_{k-1})^2 = 2U_k^2 + 6W_k^2 + 3 eps_k (y_1 \cdots y_{k-1})^2``
and ``F = 0  <=>  rho U_L + sigma W_L + b y_1 \cdots y_L = 0``.  Eliminating
``y_L, ..., y_1`` by resultants gives a polynomial in ``s`` that vanishes at
every zero of ``F`` on the line (:func:`eliminant`; a resultant lies in the
ideal of its two arguments, so a common root forces it to vanish).  Its degree
is ``2^L`` for the networks seen so far (``proofs/vc-line-width3.md``, the
conjecture).  At ``eps = 0`` the points where a LayerNorm is undefined are
roots of similar eliminants (:func:`undefined_polynomials`).  The real roots
of all of them (isolated exactly by sympy, rational intervals) cut the line
into intervals on which ``F`` is defined, continuous and non-zero; a rational
sample in each and the exact sign of the network's output there (its own
forward pass) count the sign changes exactly (:func:`sign_changes_general`).

Examples
--------
>>> from fractions import Fraction as Q
>>> from lnnet_construct.theory.fold_chain import sawtooth_chain
>>> r = sign_changes_general(sawtooth_chain(2).network(), (Q(0),), (Q(1),))
>>> r["sign_changes"], r["degree"]
(4, 4)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import sympy

from .fold_chain import exact_chain_specs

__all__ = ["plane_recursion", "zero_polynomial", "eliminant", "undefined_polynomials", "sign_changes_general",
           "net_specs"]


def _uw(a, b, c):
    return (a - b) / 2, (a + b - 2 * c) / 6


def plane_recursion(specs, dim: int) -> dict | None:
    """The exact ``(u, w)`` recursion of a plain width-3 network; None if the layers are not of that shape.

    Returns ``{"L", "first": (Au, u0, Aw, w0), "inner": [(m11, m12, m21, m22, g1, g2), ...], "out": (rho, sigma, b),
    "eps": [...]}`` (Fractions; ``inner`` has ``L - 1`` entries); at ``L = 0``, ``"out"`` is ``(row, b)`` on the input.

    >>> rec = plane_recursion([("affine", ((1,), (-1,), (0,)), (0, 0, -3)), ("layernorm", 0),
    ...                        ("affine", ((0, 0, -3),), (2,))], 1)
    >>> rec["first"], rec["out"]
    (((Fraction(1, 1),), Fraction(0, 1), (Fraction(0, 1),), Fraction(1, 1)), (Fraction(0, 1), Fraction(6, 1), Fraction(2, 1)))
    """
    specs = exact_chain_specs(specs)
    if specs is None:
        return None
    if len(specs[-1][1]) != 1:
        return None
    (row,), (b,) = specs[-1][1], specs[-1][2]
    L = len(specs) // 2
    if L == 0:
        return {"L": 0, "out": (tuple(row), b), "eps": []} if len(row) == dim else None
    W, bias = specs[0][1], specs[0][2]
    if len(W) != 3 or any(len(r) != dim for r in W) or len(row) != 3:
        return None
    cols = [_uw(W[0][j], W[1][j], W[2][j]) for j in range(dim)]
    u0, w0 = _uw(*bias)
    first = (tuple(c[0] for c in cols), u0, tuple(c[1] for c in cols), w0)
    v1, v2 = (1, -1, 0), (1, 1, -2)

    def dot(a, c):
        return sum((x * y for x, y in zip(a, c)), Fraction(0))

    inner = []
    for k in range(2, len(specs) - 1, 2):
        W2, b2 = specs[k][1], specs[k][2]
        if len(W2) != 3 or any(len(r) != 3 for r in W2):
            return None
        ru = tuple((W2[0][j] - W2[1][j]) / 2 for j in range(3))
        rw = tuple((W2[0][j] + W2[1][j] - 2 * W2[2][j]) / 6 for j in range(3))
        g1, g2 = _uw(*b2)
        inner.append((dot(ru, v1), dot(ru, v2), dot(rw, v1), dot(rw, v2), g1, g2))
    rho = row[0] - row[1]
    sigma = row[0] + row[1] - 2 * row[2]
    eps = [specs[k][1] for k in range(1, len(specs), 2)]
    return {"L": L, "first": first, "inner": inner, "out": (rho, sigma, b), "eps": eps}


def _q(x):
    x = Fraction(x)
    return sympy.Rational(x.numerator, x.denominator)


def _line_uw(rec, p, q, s):
    Au, u0, Aw, w0 = rec["first"]
    u = sum((_q(a) * (_q(pi) + s * _q(qi)) for a, pi, qi in zip(Au, p, q)), sympy.Integer(0)) + _q(u0)
    w = sum((_q(a) * (_q(pi) + s * _q(qi)) for a, pi, qi in zip(Aw, p, q)), sympy.Integer(0)) + _q(w0)
    return sympy.expand(u), sympy.expand(w)


def _eliminate_n(expr, N, C1, s):
    """``a + c N`` (after ``N^2 -> C1``) becomes ``a^2 - c^2 C1``: every root of ``a + c N`` with ``N = sqrt(C1)`` is a root."""
    P = sympy.Poly(sympy.expand(expr), N)
    a = c = sympy.Integer(0)
    for (e,), coef in P.terms():
        if e % 2:
            c += coef * C1 ** (e // 2)
        else:
            a += coef * C1 ** (e // 2)
    return sympy.Poly(sympy.expand(a * a - c * c * C1), s)


def zero_polynomial(rec: dict, p: Sequence, q: Sequence):
    """For ``L <= 2``: a polynomial in ``s`` of degree ``<= 2^L`` vanishing at every zero of ``F(p + s q)``, by hand.

    (:func:`eliminant` does the same for every ``L`` by resultants; the two are compared in the tests.)

    The writing ``F = 0  =>  3(rho U + sigma W)^2 = b^2 S`` (``U = n_1 u_2``,
    ``W = n_1 w_2``, ``S = 2U^2 + 6W^2 + 3 eps_2 n_1^2``), then the elimination
    of ``n_1``, only squares: the implication goes one way, which is all the
    count needs.
    """
    s, N = sympy.Symbol("s"), sympy.Symbol("N")
    if rec["L"] == 0:
        row, b = rec["out"]
        return sympy.Poly(sum((_q(a) * (_q(pi) + s * _q(qi)) for a, pi, qi in zip(row, p, q)), sympy.Integer(0))
                          + _q(b), s)
    u, w = _line_uw(rec, p, q, s)
    C1 = (2 * u**2 + 6 * w**2) / 3 + _q(rec["eps"][0])
    rho, sigma, b = (_q(v) for v in rec["out"])
    if rec["L"] == 1:
        # F = (rho u + sigma w)/N + b = 0  =>  (rho u + sigma w)^2 = b^2 C1
        return sympy.Poly(sympy.expand((rho * u + sigma * w) ** 2 - b**2 * C1), s)
    if rec["L"] != 2:
        raise ValueError("zero_polynomial handles L <= 2; use eliminant")
    m11, m12, m21, m22, g1, g2 = (_q(v) for v in rec["inner"][0])
    U = m11 * u + m12 * w + g1 * N
    W = m21 * u + m22 * w + g2 * N
    S = 2 * U**2 + 6 * W**2 + 3 * _q(rec["eps"][1]) * N**2
    return _eliminate_n(3 * (rho * U + sigma * W) ** 2 - b**2 * S, N, C1, s)


def _tower(rec: dict, p: Sequence, q: Sequence):
    """``(s, ys, U, W, rels, prod)``: the cleared-denominator recursion along the line (module docstring)."""
    L = rec["L"]
    s = sympy.Symbol("s")
    ys = sympy.symbols(f"y1:{L + 1}")
    u, w = _line_uw(rec, p, q, s)
    Us, Ws, rels = [u], [w], []
    prod = sympy.Integer(1)  # y_1 ... y_{k-1}
    for k in range(L):
        U, W = Us[-1], Ws[-1]
        rels.append(sympy.expand(3 * ys[k] ** 2 * prod**2 - (2 * U**2 + 6 * W**2 + 3 * _q(rec["eps"][k]) * prod**2)))
        prod = prod * ys[k]
        if k < L - 1:
            m11, m12, m21, m22, g1, g2 = (_q(v) for v in rec["inner"][k])
            Us.append(sympy.expand(m11 * U + m12 * W + g1 * prod))
            Ws.append(sympy.expand(m21 * U + m22 * W + g2 * prod))
    return s, ys, Us, Ws, rels, prod


def _eliminate(expr, ys, rels, upto: int, s):
    """Resultants of ``expr`` with ``rels[k]`` in ``y_{k+1}``, for ``k = upto - 1, ..., 0``; powers of the
    remaining ``y`` dividing the result are removed (every ``y_k > 0``)."""
    E = sympy.expand(expr)
    for k in reversed(range(upto)):
        E = sympy.expand(sympy.resultant(E, rels[k], ys[k]))
        if E == 0:
            break
        if k > 0:
            P = sympy.Poly(E, *ys[:k])
            low = [min(m[i] for m in P.monoms()) for i in range(k)]
            if any(low):
                E = sympy.expand(sympy.cancel(E / sympy.Mul(*[ys[i] ** low[i] for i in range(k)])))
    return sympy.Poly(E, s)


def eliminant(rec: dict, p: Sequence, q: Sequence):
    """A polynomial in ``s`` vanishing at every zero of ``F(p + s q)``, for any ``L`` (resultants; module docstring)."""
    if rec["L"] == 0:
        return zero_polynomial(rec, p, q)
    s, ys, Us, Ws, rels, prod = _tower(rec, p, q)
    rho, sigma, b = (_q(v) for v in rec["out"])
    return _eliminate(rho * Us[-1] + sigma * Ws[-1] + b * prod, ys, rels, rec["L"], s)


def undefined_polynomials(rec: dict, p: Sequence, q: Sequence) -> list:
    """Polynomials in ``s`` vanishing wherever a LayerNorm's variance + eps is 0 (only possible where eps = 0)."""
    if rec["L"] == 0:
        return []
    s, ys, Us, Ws, rels, prod = _tower(rec, p, q)
    out = []
    for k in range(rec["L"]):
        if rec["eps"][k] == 0:   # variance 0 at layer k+1 <=> U_k = W_k = 0 <=> 2U^2 + 6W^2 = 0
            out.append(_eliminate(2 * Us[k] ** 2 + 6 * Ws[k] ** 2, ys, rels, k, s))
    return out


def _network_sign(net, x) -> int:
    from ..arith import Sign, get_arith
    from ..arith.exact import exact_sign
    from ..forward import forward

    out = forward(net, list(x), get_arith("exact"))
    return {Sign.POSITIVE: 1, Sign.NEGATIVE: -1, Sign.ZERO: 0}[exact_sign(out[0])]


def _samples(poly) -> list:
    """Rationals: one below every real root of ``poly``, one between consecutive roots, one above (exact)."""
    if poly.degree() <= 0:
        return [Fraction(0)]
    width = Fraction(1)
    while True:
        ivs = [(Fraction(str(lo)), Fraction(str(hi))) for (lo, hi), _ in poly.intervals(eps=sympy.Rational(width))]
        if not ivs:
            return [Fraction(0)]
        pts = [ivs[0][0] - 1]
        ok = True
        for (_, hi), (lo, _) in zip(ivs, ivs[1:]):
            mid = (hi + lo) / 2
            if not hi <= mid <= lo or poly.eval(_q(mid)) == 0:
                ok = False
                break
            pts.append(mid)
        if ok:
            pts.append(ivs[-1][1] + 1)
            return pts
        width /= 16


def sign_changes_general(net, p: Sequence, q: Sequence) -> dict:
    """Sign changes of ``net`` (plain, width 3, any number of LN layers) along ``p + s q``, exactly.

    Returns
    -------
    dict
        ``sign_changes``, ``degree`` (of the eliminant), ``roots`` (real
        roots of the eliminant and the undefined polynomials), ``signs``
        (network, per sample), ``samples`` (exact ``s``); ``degenerate`` is
        True (and no count is given) when the eliminant vanishes identically,
        e.g. a constant network.

    Raises
    ------
    ValueError
        If the network is not a plain width-3 network.
    """
    from .fold_chain import sign_changes

    specs = net_specs(net)
    rec = plane_recursion(specs, len(p))
    if rec is None:
        raise ValueError("not a plain width-3 network")
    zp = eliminant(rec, p, q)
    if zp.is_zero:
        return {"degenerate": True, "sign_changes": None, "degree": None, "roots": None, "signs": [], "samples": []}
    allp = zp
    for up in undefined_polynomials(rec, p, q):
        if not up.is_zero:
            allp = allp * up
    sq = sympy.Poly(sympy.sqf_part(allp.as_expr()), allp.gens[0]) if allp.degree() > 0 else allp
    samples = _samples(sq)
    pts = [[Fraction(pi) + t * Fraction(qi) for pi, qi in zip(p, q)] for t in samples]
    signs = [_network_sign(net, x) for x in pts]
    return {"degenerate": False, "sign_changes": sign_changes(signs), "degree": zp.degree(),
            "roots": max(len(samples) - 1, 0), "signs": signs, "samples": samples}


def net_specs(net) -> tuple:
    """Plain layer specs of a :class:`~lnnet_construct.network.Network` (``("affine", W, b)``, ``("layernorm", eps)``)."""
    from ..network import Affine, LayerNorm

    out = []
    for layer in net.layers:
        if isinstance(layer, Affine):
            out.append(("affine", layer.weight, layer.bias))
        elif isinstance(layer, LayerNorm) and layer.groups == 1 and not layer.has_affine:
            out.append(("layernorm", layer.eps))
        else:
            raise ValueError("only plain layers (affine, one-group LayerNorm without elementwise affine)")
    return tuple(out)
