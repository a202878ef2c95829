r"""The split of a network into a body and its output affine ("head"), shared by every tier.

The relative margin is read at the last hidden vector ``y`` (the input of the
output affine ``o = W y + b``); a network that does not end in an affine
layer gets the identity head (``o = y``).

>>> from lnnet_construct.network import Network, Affine, LayerNorm
>>> from lnnet_construct.arith import get_arith
>>> net = Network(1, [Affine([[1], [-1]], [0, 1]), LayerNorm(), Affine([[1, 0]], [0])], classes=["a", "b"])
>>> body, W, b = split_head(net)
>>> len(body), W, b
(2, ((Fraction(1, 1), Fraction(0, 1)),), (Fraction(0, 1),))
>>> forward_body(body, [Fraction(3)], get_arith("exact"))
[Fraction(1, 1), Fraction(-1, 1)]
"""

from __future__ import annotations

from fractions import Fraction

from ..network import Affine, Network
from ..ops import affine, layer_norm

__all__ = ["split_head", "forward_body", "decision_rows"]


def split_head(network: Network):
    """``(body_layers, W, b)``: the layers before the output affine, and its weight and bias."""
    layers = network.layers
    if layers and isinstance(layers[-1], Affine):
        return layers[:-1], layers[-1].weight, layers[-1].bias
    n = network.output_dim
    W = tuple(tuple(Fraction(int(i == j)) for j in range(n)) for i in range(n))
    return layers, W, tuple(Fraction(0) for _ in range(n))


def forward_body(layers, x, arith) -> list:
    """The vector after ``layers`` (the network's one affine and LayerNorm, in ``arith``)."""
    with arith.active():
        v = [arith.lift(c) for c in x]
        for layer in layers:
            if isinstance(layer, Affine):
                v = affine(v, layer.weight, layer.bias, arith)
            else:
                v = layer_norm(v, eps=layer.eps, groups=layer.groups, weight=layer.weight,
                               bias=layer.bias, arith=arith)
        return v


def decision_rows(decision: str, W, b, c: int):
    """The signed decision quantities for label class ``c``: ``[(k, r, bias), ...]``.

    Each quantity ``r · y + bias`` must be positive for the label to win:
    ``±(W_0 · y + b_0)`` for a sign network, ``(W_c - W_k) · y + (b_c - b_k)``
    for every ``k != c`` for argmax.  ``k`` is the competing class.

    >>> decision_rows("sign", ((Fraction(2),),), (Fraction(-1),), 0)
    [(1, (Fraction(-2, 1),), Fraction(1, 1))]
    """
    if decision == "sign":
        if c == 1:
            return [(0, tuple(W[0]), b[0])]
        return [(1, tuple(-w for w in W[0]), -b[0])]
    return [(k, tuple(wc - wk for wc, wk in zip(W[c], W[k])), b[c] - b[k]) for k in range(len(W)) if k != c]
