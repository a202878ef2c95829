r"""The layer operations, written once against an arithmetic object.

This module holds the package's single LayerNorm implementation; every
backend (exact, sympy, arb, iv, interval, mpmath, float) goes through it.

.. math::

    \mathrm{LN}_\varepsilon(x) = \frac{x - \mu \mathbf 1}{\sqrt{\sigma^2 + \varepsilon}},\quad
    \mu = \tfrac1s \textstyle\sum_i x_i,\quad \sigma^2 = \tfrac1s \sum_i (x_i-\mu)^2

applied to each contiguous group of size ``s = n / groups`` (population
variance, as ``torch.nn.LayerNorm``), then the optional elementwise affine
``gamma * y + beta``.  See MATH.md §1 and ``proofs/ln-circle.md``.

Examples
--------
>>> from fractions import Fraction
>>> from lnnet_construct.arith import get_arith
>>> A = get_arith("exact")
>>> layer_norm([Fraction(3), Fraction(1)], eps=0, arith=A)   # width 2: a sign unit
[Fraction(1, 1), Fraction(-1, 1)]
>>> y = layer_norm([Fraction(0), Fraction(1), Fraction(5)], eps=0, arith=A)
>>> A.sign(sum(y, Fraction(0)))
<Sign.ZERO: 0>
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

__all__ = ["affine", "layer_norm"]


def affine(x: Sequence, weight, bias, arith) -> list:
    """``W x + b`` with exact ``weight`` (rows = outputs) and ``bias``.

    >>> from lnnet_construct.arith import get_arith
    >>> affine([Fraction(1), Fraction(2)], [[1, -1], [Fraction(1, 2), 0]], [0, 1], get_arith("exact"))
    [Fraction(-1, 1), Fraction(3, 2)]
    """
    xs = [arith.lift(v) for v in x]
    out = []
    for row, b in zip(weight, bias):
        terms = [arith.const(w) * v for w, v in zip(row, xs)]
        out.append(arith.fsum(terms) + arith.const(b))
    return out


def layer_norm(x: Sequence, *, eps=0, groups: int = 1, weight=None, bias=None, arith) -> list:
    r"""Grouped LayerNorm with optional elementwise affine, in any arithmetic.

    Parameters
    ----------
    x : sequence of elements or exact numbers
        Input vector of width ``n``; ``groups`` must divide ``n``.
    eps : exact number, default 0
    groups : int, default 1
    weight, bias : sequences of exact numbers or None
        The elementwise affine ``gamma, beta`` applied after normalisation.
    arith : Arith

    Returns
    -------
    list of elements

    Raises
    ------
    ZeroVarianceError
        (scalar arithmetics) a group's ``var + eps`` is proven to be 0.
    ArithmeticUndecided
        (scalar arithmetics) ``var + eps > 0`` cannot be proven at this
        precision.  Batched arithmetics return unknown entries instead.

    Notes
    -----
    The centred value is computed as ``(1 - 1/s) x_i - (1/s) sum_{j != i} x_j``
    so that each input appears once: the same number exactly, and a tighter
    enclosure for interval arithmetics.
    """
    xs = [arith.lift(v) for v in x]
    n = len(xs)
    s = n // groups
    inv_s = arith.const(Fraction(1, s))
    keep = arith.const(Fraction(s - 1, s))
    eps_e = arith.const(eps)
    out = []
    for g in range(groups):
        block = xs[g * s:(g + 1) * s]
        centred = []
        for i, xi in enumerate(block):
            others = arith.fsum([xj for j, xj in enumerate(block) if j != i])
            centred.append(keep * xi - inv_s * others)
        var = arith.fsum([arith.square(c) for c in centred]) * inv_s
        r = arith.positive_sqrt(var + eps_e)
        out.extend(c / r for c in centred)
    if weight is not None:
        out = [arith.const(w) * y for w, y in zip(weight, out)]
    if bias is not None:
        out = [y + arith.const(b) for y, b in zip(out, bias)]
    return out
