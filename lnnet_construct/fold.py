r"""The fold: one width-3 LayerNorm layer acting on a scalar (MATH.md §2), and its realisation.

Embed a scalar ``t`` as ``z = (t - c) v1 + h v2`` with the rational basis
``v1 = (1, -1, 0)``, ``v2 = (1, 1, -2)`` of ``1^⊥``, apply LayerNorm and read
``τ = v2 · LN(z)``:

.. math::

    \tau(t) = \frac{6h}{\sqrt{(2(t-c)^2 + 6h^2)/3 + \varepsilon}}

which is even about ``c`` and strictly decreasing in ``|t - c|`` for every
``eps >= 0`` and ``h > 0``: one fold of the line at ``c``
(``proofs/ln-circle.md``).

**The float form.**  Networks are written in an exactly equivalent form that
floating-point evaluation handles well (``proofs/thm-binary.md``, *the float form*): the layer
before LayerNorm emits ``z = lam (a, -a, -3h)`` with ``a = t - c``
(:func:`fold_layer`), and the next layer reads ``tau = -3 y_3 + kappa (y_1 - y_2)``
(:func:`read_vector`, ``kappa = 0`` for a plain fold).  ``z`` differs from
MATH.md's ``lam((t - c) v1 + h v2)`` by a multiple of ``(1, 1, 1)``, which
LayerNorm removes, and ``(0, 0, -3)`` differs from ``v2`` by ``-(1, 1, 1)``,
orthogonal to every LayerNorm output; so every value is the same real
number.  In floats ``a + (-a)`` is exactly 0, the mean is ``-h`` to within
one rounding of ``h``, and ``y_3 = -2h/sigma`` keeps its relative precision
however large ``|a|`` is, where ``y_1 + y_2 - 2 y_3`` would cancel.

:func:`fold_network` writes a whole fold plan as a :class:`Network` in this
form; output ``±(tau - θ)`` (binary) or rows ``2 a_k r^T`` with biases
``-a_k^2`` (nearest centre), ``r`` the read vector.

Examples
--------
>>> from fractions import Fraction
>>> from lnnet_construct.arith import get_arith
>>> A = get_arith("exact")
>>> a = fold_value(Fraction(0), 1, 1, 0, A); b = fold_value(Fraction(2), 1, 1, 0, A)
>>> A.sign(a - b)          # equal distance from c = 1: exact merge
<Sign.ZERO: 0>
>>> net = fold_network([1], [(1, 1)], ("sign", Fraction(5), 1), classes=["even", "odd"])
>>> net.depth, net.width
(1, 3)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from .network import Affine, LayerNorm, Network
from .numbers import to_exact
from .ops import layer_norm

__all__ = ["V1", "V2", "fold_value", "fold_values", "fold_layer", "fold_rows", "read_vector", "fold_network", "read_scalar"]

V1 = (Fraction(1), Fraction(-1), Fraction(0))
V2 = (Fraction(1), Fraction(1), Fraction(-2))


def read_vector(kappa=0) -> list:
    """What the layer after a fold reads: ``(kappa, -kappa, -3)``, equal to ``v2 + kappa v1`` on LayerNorm outputs.

    >>> [str(x) for x in read_vector(Fraction(1, 2))]
    ['1/2', '-1/2', '-3']
    """
    kappa = Fraction(kappa) if isinstance(kappa, int) else kappa
    return [kappa, -kappa, Fraction(-3)]


def fold_rows(src, c, h, lam=1) -> tuple:
    """``(weight, bias)`` of :func:`fold_layer` as tuples (for callers that skip building an :class:`Affine`)."""
    weight = (tuple(lam * s for s in src), tuple(-lam * s for s in src), tuple(0 * s for s in src))
    return weight, (-lam * c, lam * c, -3 * lam * h)


def fold_layer(src, c, h, lam=1) -> Affine:
    """The affine layer of a fold at ``c`` with height ``h``, reading ``t = src · x``: ``z = lam (a, -a, -3h)``, ``a = t - c``.

    Equal, after LayerNorm, to MATH.md's ``lam((t - c) v1 + h v2)`` (the two differ by ``lam h (1, 1, 1)``).

    >>> lay = fold_layer([Fraction(2)], Fraction(1), Fraction(1, 3))
    >>> [[str(v) for v in row] for row in lay.weight], [str(b) for b in lay.bias]
    ([['2'], ['-2'], ['0']], ['-1', '1', '-1'])
    """
    return Affine(*fold_rows(src, c, h, lam))


def fold_value(t, c, h, eps, arith):
    """``v2 · LN((t - c) v1 + h v2)`` in ``arith``, through the package's one LayerNorm."""
    with arith.active():
        d = arith.lift(t) - arith.const(to_exact(c))
        hh = arith.const(to_exact(h))
        z = [d * arith.const(a) + hh * arith.const(b) for a, b in zip(V1, V2)]
        y = layer_norm(z, eps=to_exact(eps), arith=arith)
        return read_scalar(y, arith)


def read_scalar(y: Sequence, arith):
    """``v2 · y``: the scalar a fold layer passes on."""
    return y[0] + y[1] - arith.const(2) * y[2]


def fold_values(ts, c, h, eps, arith) -> list:
    """:func:`fold_value` for each of ``ts``."""
    return [fold_value(t, c, h, eps, arith) for t in ts]


def fold_network(direction, folds, readout, *, classes, eps=0, meta=None) -> Network:
    """The LN-Net of a fold plan (see module docstring).

    Parameters
    ----------
    direction : sequence of exact numbers
        The projection ``w`` (input dimension ``len(direction)``).
    folds : sequence of ``(c, h)`` with ``h > 0``
        One LayerNorm layer each, in order.
    readout : tuple
        ``("sign", theta, orientation)`` with orientation ±1: output
        ``orientation * (τ - θ)``; or ``("centres", a_1, ..., a_K)``: nearest
        centre on ``τ`` (``argmax_k 2 a_k τ - a_k^2``); or ``("envelope", b_1, ..., b_{K-1})``
        with increasing boundaries: output ``k`` wins for ``b_k < τ < b_{k+1}`` (lines of slope
        ``k``, always feasible); or ``("constant", k)``
        for a single class among ``classes`` (argmax of zero rows and a
        bias preferring class ``k``).
    classes : sequence of str or int
    eps : exact number, default 0

    Returns
    -------
    Network
        Width 3, depth ``len(folds)``.
    """
    w = [to_exact(v) for v in direction]
    eps = to_exact(eps)
    layers: list = []
    for k, (c, h) in enumerate(folds):
        layers.append(fold_layer(w if k == 0 else read_vector(), to_exact(c), to_exact(h)))
        layers.append(LayerNorm(eps=eps))
    # the scalar the read-out sees: w·x without folds, tau after them
    read = w if not folds else read_vector()
    kind = readout[0]
    if kind == "sign":
        theta, orient = to_exact(readout[1]), int(readout[2])
        layers.append(Affine([[orient * r for r in read]], [-orient * theta]))
        decision = "sign"
    elif kind == "centres":
        centres = [to_exact(a) for a in readout[1:]]
        layers.append(Affine([[2 * a * r for r in read] for a in centres], [-a * a for a in centres]))
        decision = "argmax"
    elif kind == "envelope":
        # argmax_k (k τ + β_k) with β_{k+1} = β_k - b_k: the upper envelope of lines of
        # increasing slope, so output k wins exactly for b_{k-1} < τ < b_k (always feasible,
        # unlike nearest-centre read-outs; proofs/thm-multiclass.md).
        bounds = [to_exact(b) for b in readout[1:]]
        betas = [Fraction(0)]
        for b in bounds:
            betas.append(betas[-1] - b)
        layers.append(Affine([[k * r for r in read] for k in range(len(betas))], betas))
        decision = "argmax"
    elif kind == "constant":
        k, n = int(readout[1]), len(classes)
        if n == 2:  # zero weights, bias +-1: a constant sign
            layers.append(Affine([[0 for _ in read]], [1 if k == 1 else -1]))
            decision = "sign"
        else:
            layers.append(Affine([[0 for _ in read] for _ in range(n)], [1 if j == k else 0 for j in range(n)]))
            decision = "argmax"
    else:
        raise ValueError(f"unknown readout {kind!r}")
    return Network(len(w), layers, classes, decision, meta or {})
