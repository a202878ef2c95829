r"""Fold chains on a line: exact sign changes (``proofs/fold-chain-sign-changes.md``).

A **fold chain** of depth ``k`` on ``R^d`` is the scalar recursion

.. math::

    t_0 = w \cdot x, \qquad t_j = F_j(t_{j-1}) = \frac{6 h_j}{\sqrt{(2 (t_{j-1} - c_j)^2 + 6 h_j^2)/3 + e_j}},

read out as ``orient * sign(t_k - theta)`` (or a constant sign).  Each
``F_j`` is even about ``c_j`` and strictly decreasing in ``|t - c_j|``
(``proofs/ln-circle.md``); it is what one width-3 LayerNorm layer does to a
scalar (MATH.md §2.2, :func:`lnnet_construct.fold.fold_network`).  ``e_j``
is the LayerNorm eps divided by the square of the scale of the layer
before (``eps / lam^2``, see ``proofs/vc-lower-bound.md``, eps scaling).

This module

* reads a fold chain off a network's plain layers exactly
  (:func:`parse_fold_chain`; ``None`` for a network that is not one);
* lists the zeros of ``t_k - theta`` along a line exactly, as algebraic
  numbers, by inverting the folds (:func:`chain_zeros`:
  ``F(t) = v  <=>  (t - c)^2 = 54 h^2 / v^2 - 3e/2 - 3h^2``);
* counts the sign changes of the network's output along a line
  (:func:`sign_changes_on_line`): the zeros are sorted exactly, a rational
  point is placed in every gap (proven to lie in it), and the output sign at
  each point is decided exactly through the network's own forward pass;
* counts them a second, independent way, from the values at the turning
  points (:func:`turning_value_sign_changes`);
* builds the *sawtooth* chain whose sign changes reach ``2^k``
  (:func:`sawtooth_chain`).

No decision rests on floating point: signs of algebraic numbers are decided
by :func:`lnnet_construct.arith.exact.exact_sign` (arb balls at rising
precision, then sympy's exact zero test).  Floats only plan the sawtooth
chain, which the counts then check exactly.

Examples
--------
>>> from fractions import Fraction as Q
>>> ch = sawtooth_chain(2)
>>> net = ch.network()
>>> r = sign_changes_on_line(net, ch, (Q(0),), (Q(1),))
>>> r["sign_changes"], r["zeros"], turning_value_sign_changes(ch)
(4, 4, 4)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from ..arith.base import Sign
from ..numbers import exact_sqrt

__all__ = ["ChainFold", "FoldChain", "parse_fold_chain", "chain_zeros", "sign_changes_on_line",
           "turning_value_sign_changes", "sawtooth_chain", "fold_max", "sign_changes"]

_ZERO = Fraction(0)
_V1 = (Fraction(1), Fraction(-1), Fraction(0))
_V2 = (Fraction(1), Fraction(1), Fraction(-2))


def _sign(x) -> Sign:
    from ..arith.exact import exact_sign

    return exact_sign(x)


@dataclass(frozen=True)
class ChainFold:
    """One fold ``t -> 6h / sqrt((2(t - c)^2 + 6h^2)/3 + e)`` (``h > 0``, ``e >= 0``), exact rationals."""

    c: Fraction
    h: Fraction
    e: Fraction = _ZERO

    def __post_init__(self):
        if not self.h > 0 or self.e < 0:
            raise ValueError(f"a fold needs h > 0 and e >= 0, got h={self.h}, e={self.e}")

    def value(self, t):
        """``F(t)`` exactly (a Fraction or an algebraic :class:`~lnnet_construct.numbers.Expr`)."""
        d = t - self.c
        return 6 * self.h / exact_sqrt((2 * d * d + 6 * self.h * self.h) / 3 + self.e)

    def preimages(self, v) -> list:
        """The points ``t`` with ``F(t) = v``, increasing: none, ``[c]`` or ``[c - r, c + r]``.

        >>> from lnnet_construct.numbers import format_number
        >>> f = ChainFold(Fraction(1), Fraction(1))
        >>> [format_number(t) for t in f.preimages(Fraction(2))]
        ['1 - 1/2*sqrt(42)', '1 + 1/2*sqrt(42)']
        >>> [_sign(f.value(t) - 2) for t in f.preimages(Fraction(2))]
        [<Sign.ZERO: 0>, <Sign.ZERO: 0>]
        >>> f.preimages(Fraction(5))      # above the maximum 3 sqrt(2)
        []
        """
        if _sign(v) is not Sign.POSITIVE:
            return []
        h, e = self.h, self.e
        radicand = 54 * h * h / (v * v) - Fraction(3, 2) * e - 3 * h * h
        s = _sign(radicand)
        if s is Sign.NEGATIVE:
            return []
        if s is Sign.ZERO:
            return [self.c]
        r = exact_sqrt(radicand)
        return [self.c - r, self.c + r]


def fold_max(f: ChainFold):
    """``F(c) = 6h / sqrt(2h^2 + e)``, the largest value of the fold."""
    return f.value(f.c)


@dataclass(frozen=True)
class FoldChain:
    """A fold chain: direction ``w``, folds, and a read-out (see the module docstring).

    Attributes
    ----------
    direction : tuple of Fraction
        ``w``; the input dimension is ``len(direction)``.
    folds : tuple of ChainFold
    readout : tuple
        ``("sign", theta, orient)`` with ``orient`` in ``{1, -1}``: output
        sign ``orient * sign(t_k - theta)``; or ``("constant", s)``, ``s`` in
        ``{1, -1}``.
    """

    direction: tuple
    folds: tuple
    readout: tuple

    @property
    def depth(self) -> int:
        return len(self.folds)

    def network(self, eps=0, classes=(0, 1)):
        """The LN-Net of this chain (:func:`lnnet_construct.fold.fold_network`); needs every ``e_j == eps``."""
        from ..fold import fold_network

        eps = Fraction(eps)
        if any(f.e != eps for f in self.folds):
            raise ValueError("network() needs every fold's e equal to eps")
        ro = self.readout if self.readout[0] == "sign" else ("constant", 1 if self.readout[1] > 0 else 0)
        return fold_network(list(self.direction), [(f.c, f.h) for f in self.folds], ro, classes=list(classes),
                            eps=eps)

    def scalars(self, x) -> list:
        """``[t_0, t_1, ..., t_k]`` at an exact point ``x`` (this module's formula, not the network's)."""
        t = sum((Fraction(a) * Fraction(b) for a, b in zip(self.direction, x)), _ZERO)
        out = [t]
        for f in self.folds:
            t = f.value(t)
            out.append(t)
        return out

    def output_sign(self, x) -> int:
        """``+1`` or ``-1`` (``0`` on a zero) of the read-out at ``x``, decided exactly."""
        if self.readout[0] == "constant":
            return 1 if self.readout[1] > 0 else -1
        _, theta, orient = self.readout
        s = _sign(self.scalars(x)[-1] - theta)
        return int(orient) * {Sign.POSITIVE: 1, Sign.NEGATIVE: -1, Sign.ZERO: 0}[s]


# ----------------------------------------------------------------------------- reading a network


def _dot(a, b):
    return sum((x * y for x, y in zip(a, b)), _ZERO)


def _uw(a, b, c):
    """Coordinates of ``P (a, b, c)`` in the basis ``v1 = (1,-1,0)``, ``v2 = (1,1,-2)`` of ``1^⊥``."""
    return (a - b) / 2, (a + b - 2 * c) / 6


def exact_chain_specs(specs):
    """Layer specs ``affine, layernorm, ..., affine`` with every number as a Fraction, or None for another shape."""
    specs = list(specs)
    kinds = [s[0] for s in specs]
    if not specs or kinds != ["affine", "layernorm"] * (len(specs) // 2) + ["affine"]:
        return None
    try:
        return [(s[0], tuple(tuple(Fraction(v) for v in r) for r in s[1]), tuple(Fraction(v) for v in s[2]))
                if s[0] == "affine" else (s[0], Fraction(s[1])) for s in specs]
    except (TypeError, ValueError):
        return None


def parse_fold_chain(specs, dim: int) -> FoldChain | None:
    """The fold chain a plain network computes, read off its layers exactly; None if it is not one.

    A centred pre-LN vector is ``u v1 + w v2`` and ``LN_eps`` maps it to
    ``(u v1 + w v2) / n``, ``n = sqrt((2u^2 + 6w^2)/3 + eps)``.  The network
    is a fold chain when every pre-LN ``w`` is a non-zero constant and every
    ``u`` is an affine function of the previous layer's ``6|w|/n`` alone
    (that is, no layer reads the odd part ``v1 · y``).  Then the layer is the
    fold at ``c = -beta/mu`` with ``h = |w/mu|`` and ``e = eps/mu^2`` of the
    scalar, for ``u = mu t + beta``.

    Parameters
    ----------
    specs : sequence
        ``Labelling.layer_specs()``: ``("affine", weight, bias)`` and
        ``("layernorm", eps)`` tuples, exact rationals.
    dim : int
        Input dimension.

    Returns
    -------
    FoldChain or None

    Examples
    --------
    >>> from lnnet_construct.theory.vc import fold_specs
    >>> ch = parse_fold_chain(fold_specs([2], [(1, 1)], ("sign", 3, -1)), 1)
    >>> ch.direction, ch.folds[0].c, ch.folds[0].h, ch.readout
    ((Fraction(2, 1),), Fraction(1, 1), Fraction(1, 1), ('sign', Fraction(3, 1), -1))
    """
    specs = exact_chain_specs(specs)
    if specs is None or len(specs[-1][1]) != 1:
        return None
    if len(specs) == 1:
        (row,), (b,) = specs[0][1], specs[0][2]
        if len(row) != dim:
            return None
        if all(v == 0 for v in row):
            return None if b == 0 else FoldChain(tuple(row), (), ("constant", 1 if b > 0 else -1))
        return FoldChain(tuple(row), (), ("sign", -b, 1))
    folds = []
    direction = None
    prev_sign = None  # sign of the previous pre-LN w: y . v2 = sign * 6|w|/n = sign * t
    for k in range(0, len(specs) - 1, 2):
        W, b = specs[k][1], specs[k][2]
        eps = specs[k + 1][1]
        if len(W) != 3 or eps < 0:
            return None
        u0, w0 = _uw(*b)
        if w0 == 0:
            return None
        if k == 0:
            if any(len(r) != dim for r in W):
                return None
            cols = [_uw(W[0][j], W[1][j], W[2][j]) for j in range(dim)]
            if any(cw != 0 for _, cw in cols):
                return None
            direction = tuple(cu for cu, _ in cols)
            mu = Fraction(1)
        else:
            if any(len(r) != 3 for r in W):
                return None
            ru = tuple((W[0][j] - W[1][j]) / 2 for j in range(3))
            rw = tuple((W[0][j] + W[1][j] - 2 * W[2][j]) / 6 for j in range(3))
            if _dot(ru, _V1) != 0 or _dot(rw, _V1) != 0 or _dot(rw, _V2) != 0:
                return None
            mu = _dot(ru, _V2) * prev_sign / 6
            if mu == 0:
                return None
        folds.append(ChainFold(-u0 / mu, abs(w0 / mu), eps / (mu * mu)))
        prev_sign = 1 if w0 > 0 else -1
    (r,), (ob,) = specs[-1][1], specs[-1][2]
    if len(r) != 3 or _dot(r, _V1) != 0:
        return None
    nu = _dot(r, _V2) * prev_sign / 6
    if nu == 0:
        ro = None if ob == 0 else ("constant", 1 if ob > 0 else -1)
    else:
        ro = ("sign", -ob / nu, 1 if nu > 0 else -1)
    if ro is None:
        return None
    return FoldChain(direction, tuple(folds), ro)


# ----------------------------------------------------------------------------- zeros and sign changes


def chain_zeros(chain: FoldChain) -> list:
    """All ``t_0`` with ``t_k = theta``, exact and increasing (empty for a constant read-out).

    Backward: the level set ``{theta}`` of ``t_k`` is pulled back through
    ``F_k, ..., F_1`` with :meth:`ChainFold.preimages`.  Preimages of
    distinct values are disjoint, so the list has no repeats and at most
    ``2^k`` entries; it is sorted by exact comparisons of neighbours.
    """
    if chain.readout[0] == "constant":
        return []
    levels = [Fraction(chain.readout[1])]
    for f in reversed(chain.folds):
        levels = [t for v in levels for t in f.preimages(v)]
    return _sort_exact(levels)


def _sort_exact(values) -> list:
    def cmp(a, b):
        return {Sign.POSITIVE: 1, Sign.NEGATIVE: -1, Sign.ZERO: 0}[_sign(a - b)]

    out = sorted(values, key=functools.cmp_to_key(cmp))
    for a, b in zip(out, out[1:]):
        if _sign(b - a) is not Sign.POSITIVE:
            raise ValueError("two zeros of a fold chain coincide (the preimage lists overlap)")
    return out


def _bounds(x, bits):
    from ..verify.batch import exact_bounds

    return exact_bounds(x, bits)


def _rational_between(a, b) -> Fraction:
    """A simple rational ``q`` with ``a < q < b`` (``a < b`` exact), proven exactly."""
    from .vc import simplest_between

    bits = 64
    while True:
        _, ahi = _bounds(a, bits)
        blo, _ = _bounds(b, bits)
        if ahi < blo:
            gap = blo - ahi
            q = simplest_between(ahi + gap / 4, blo - gap / 4)
            if _sign(q - a) is Sign.POSITIVE and _sign(b - q) is Sign.POSITIVE:
                return q
        bits *= 4
        if bits > 1 << 16:
            from ..errors import ArithmeticUndecided

            raise ArithmeticUndecided("could not separate two zeros of a fold chain")


def sample_points(zeros) -> list:
    """Rationals: one below the first zero, one in every gap, one above the last (``[0]`` if none)."""
    if not zeros:
        return [_ZERO]
    lo, _ = _bounds(zeros[0], 64)
    _, hi = _bounds(zeros[-1], 64)
    return ([Fraction(math.floor(lo)) - 1] + [_rational_between(a, b) for a, b in zip(zeros, zeros[1:])]
            + [Fraction(math.ceil(hi)) + 1])


def sign_changes(signs: Sequence[int]) -> int:
    """Sign changes of a sequence, zeros dropped.

    >>> sign_changes([1, 0, 1, -1, 0, -1, 1])
    2
    """
    nz = [s for s in signs if s != 0]
    return sum(1 for a, b in zip(nz, nz[1:]) if a != b)


def _network_sign(net, x) -> int:
    from ..arith import get_arith
    from ..forward import forward

    out = forward(net, list(x), get_arith("exact"))
    if len(out) != 1:
        raise ValueError("a fold chain network has one output")
    return {Sign.POSITIVE: 1, Sign.NEGATIVE: -1, Sign.ZERO: 0}[_sign(out[0])]


def sign_changes_on_line(net, chain: FoldChain, p: Sequence, q: Sequence) -> dict:
    """Sign changes of ``net`` along the line ``x(s) = p + s q``, counted exactly.

    The zeros of the chain's read-out are listed by :func:`chain_zeros`
    (in ``t_0``; ``t_0(s) = w·p + s w·q``), a rational point is put in each
    gap and beyond both ends (:func:`sample_points`), and the sign of the
    network's output there is decided exactly by its forward pass.  Between
    samples the output is continuous and has exactly one zero of the chain,
    so the count is the number of sign changes of the output along the whole
    line, provided the zero list is complete (it is, by the inversion
    formula; ``proofs/fold-chain-sign-changes.md``).

    Returns
    -------
    dict
        ``zeros`` (how many), ``sign_changes``, ``signs`` (network, per
        sample), ``chain_signs`` (this module's formula, per sample; they
        must agree), ``samples_t`` (the sample values of ``t_0``, exact).
    """
    p = [Fraction(v) for v in p]
    q = [Fraction(v) for v in q]
    a = _dot(chain.direction, q)
    b = _dot(chain.direction, p)
    if a == 0:  # t_0 is constant on the line: so is everything after it
        pts = [p]
        ts = [b]
        nz = 0
    else:
        zs = chain_zeros(chain)
        ts = sample_points(zs)
        pts = [[pi + (t - b) / a * qi for pi, qi in zip(p, q)] for t in ts]
        nz = len(zs)
    signs = [_network_sign(net, x) for x in pts]
    chain_signs = [chain.output_sign(x) for x in pts]
    return {"zeros": nz, "sign_changes": sign_changes(signs), "signs": signs, "chain_signs": chain_signs,
            "samples_t": ts}


# ----------------------------------------------------------------------------- turning values


_INF = object()  # the limits t_0 -> -inf and +inf (both folded to the limit value 0)


def turning_value_sign_changes(chain: FoldChain) -> int:
    """Sign changes of the read-out along the line counted from turning values (a second method).

    ``t_0`` runs from ``-inf`` to ``+inf``.  If ``t_{j-1}`` is monotone between
    consecutive entries of a value list, then ``t_j = F_j(t_{j-1})`` is monotone
    between consecutive entries of the list obtained by inserting ``c_j``
    wherever it lies strictly between two entries and applying ``F_j``
    (``F_j(±inf) = 0`` as a limit).  The sign changes of ``t_k - theta`` are
    those of the final list, zeros dropped.  Exact.
    """
    if chain.readout[0] == "constant":
        return 0
    vals: list = [_INF, _INF]  # t_0 at -inf and +inf; increasing between them
    first = True
    for f in chain.folds:
        new = []
        for i, (a, b) in enumerate(zip(vals, vals[1:])):
            if first:
                between = True  # c lies between -inf and +inf
            else:
                sa, sb = _sign(a - f.c), _sign(b - f.c)
                between = (sa is Sign.NEGATIVE and sb is Sign.POSITIVE) or (sa is Sign.POSITIVE and sb is Sign.NEGATIVE)
            if i == 0:
                new.append(_ZERO if a is _INF else f.value(a))
            if between:
                new.append(fold_max(f))
            new.append(_ZERO if b is _INF else f.value(b))
        vals = new
        first = False
    theta = Fraction(chain.readout[1])
    if not chain.folds:
        return 1  # t_0 - theta runs from -inf to +inf
    s = [{Sign.POSITIVE: 1, Sign.NEGATIVE: -1, Sign.ZERO: 0}[_sign(v - theta)] for v in vals]
    return sign_changes(s)


# ----------------------------------------------------------------------------- the sawtooth


def sawtooth_chain(depth: int, eps=0, dim: int = 1) -> FoldChain:
    """A chain of ``depth`` folds whose read-out changes sign ``2^depth`` times along the first axis.

    ``c_1 = 0``; each later centre (and the threshold) is a simple rational in
    the middle third between the largest low turning value and the common
    high value ``F_j(c_j)``, so every monotone piece crosses it.  Planned in
    float64; the counts check it exactly.

    >>> sawtooth_chain(1).folds
    (ChainFold(c=Fraction(0, 1), h=Fraction(1, 1), e=Fraction(0, 1)),)
    """
    from .vc import simplest_between

    eps = Fraction(eps)

    def fl(f, t):
        return 6 * float(f.h) / math.sqrt((2 * (t - float(f.c)) ** 2 + 6 * float(f.h) ** 2) / 3 + float(f.e))

    folds = []
    lows: list = []  # float low turning values of the current scalar
    high = None
    for j in range(depth):
        if j == 0:
            f = ChainFold(Fraction(0), Fraction(1), eps)
            lows = [0.0]
        else:
            lo = max(lows)
            third = (high - lo) / 3
            c = simplest_between(Fraction(lo + third), Fraction(high - third))
            h = simplest_between(Fraction((high - lo) / 2 * 0.9), Fraction((high - lo) / 2 * 1.1))
            f = ChainFold(c, h, eps)
            lows = [fl(f, v) for v in lows] + [fl(f, high)]
        folds.append(f)
        high = fl(f, float(f.c))
    if depth == 0:
        theta = Fraction(0)
    else:
        lo = max(lows)
        third = (high - lo) / 3
        theta = simplest_between(Fraction(lo + third), Fraction(high - third))
    direction = (Fraction(1),) + (Fraction(0),) * (dim - 1)
    return FoldChain(direction, tuple(folds), ("sign", theta, 1))
