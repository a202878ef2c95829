"""The one generic forward pass, and the decision read from its outputs.

``forward(network, x, arith)`` works for every arithmetic: scalar ones take
one point (``x`` is a sequence of exact numbers), batched ones take a whole
column-major batch (``x[j]`` is the element holding coordinate ``j`` of every
point; see :func:`batch_input`).

Examples
--------
>>> from lnnet_construct.network import Network, Affine, LayerNorm
>>> from lnnet_construct.arith import get_arith
>>> net = Network(1, [Affine([[1], [-1], [0]], [0, 0, 1]), LayerNorm(),
...                   Affine([[1, 0, 0]], [0])], classes=["a", "b"])
>>> out = forward(net, [2], get_arith("exact"))
>>> decide(net, out, get_arith("exact"))
'b'
>>> A = get_arith("interval")
>>> codes = decide_batch(net, forward(net, batch_input([[2], [-3]], A), A), A)
>>> [net.classes[c] if c >= 0 else None for c in codes]
['b', 'a']
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from .arith.base import Sign
from .network import Affine, Network
from .ops import affine, layer_norm

__all__ = ["forward", "forward_layers", "batch_input", "decide", "decide_batch", "output_signs"]


def forward_layers(network: Network, x: Sequence, arith) -> Iterator[list]:
    """Yield the vector after each layer (in the arithmetic ``arith``)."""
    with arith.active():
        v = [arith.lift(c) for c in x]
        for layer in network.layers:
            if isinstance(layer, Affine):
                v = affine(v, layer.weight, layer.bias, arith)
            else:
                v = layer_norm(v, eps=layer.eps, groups=layer.groups, weight=layer.weight,
                               bias=layer.bias, arith=arith)
            yield v


def forward(network: Network, x: Sequence, arith) -> list:
    """Output vector of ``network`` at ``x`` (see module docstring)."""
    if len(x) != network.input_dim:
        from .errors import InputError

        raise InputError(f"point has {len(x)} coordinates, the network expects {network.input_dim}")
    v = [arith.lift(c) for c in x] if not network.layers else None
    for v in forward_layers(network, x, arith):
        pass
    return v


def batch_input(points: Sequence[Sequence], arith) -> list:
    """Column-major batch of exact points for a batched arithmetic."""
    points = list(points)
    dim = len(points[0]) if points else 0
    return [arith.points([p[j] for p in points]) for j in range(dim)]


def output_signs(network: Network, outputs: list, arith) -> list:
    """The signs that decide the class: ``[sign(o)]`` or the signs of ``o_win - o_k``."""
    with arith.active():
        if network.decision == "sign":
            return [arith.sign(outputs[0])]
        return [arith.sign(outputs[i] - outputs[j]) for i in range(len(outputs)) for j in range(len(outputs)) if i < j]


def decide(network: Network, outputs: list, arith):
    """Class decided by scalar ``outputs``: a class name, or None if undecided.

    Undecided means an exact 0 / exact tie (the network decides nothing) or
    an unknown sign (the arithmetic could not tell).  Use
    :func:`decide_sign` for the distinction.
    """
    idx, _ = decide_index(network, outputs, arith)
    return None if idx is None else network.classes[idx]


def decide_index(network: Network, outputs: list, arith):
    """``(class index or None, status)`` with status 'decided', 'zero' or 'unknown'."""
    with arith.active():
        if network.decision == "sign":
            s = arith.sign(outputs[0])
            if s is Sign.POSITIVE:
                return 1, "decided"
            if s is Sign.NEGATIVE:
                return 0, "decided"
            return None, "zero" if s is Sign.ZERO else "unknown"
        k = len(outputs)
        signs = {(i, j): arith.sign(outputs[i] - outputs[j]) for i in range(k) for j in range(i + 1, k)}
    for i in range(k):
        if all(signs[(i, j)] is Sign.POSITIVE if i < j else signs[(j, i)] is Sign.NEGATIVE
               for j in range(k) if j != i):
            return i, "decided"
    if any(s is Sign.UNKNOWN for s in signs.values()):
        return None, "unknown"
    return None, "zero"


def decide_batch(network: Network, outputs: list, arith) -> np.ndarray:
    """Class index per point for batched outputs: ``-1`` unknown, ``-2`` exact zero/tie."""
    with arith.active():
        if network.decision == "sign":
            codes = arith.sign_codes(outputs[0])
            res = np.full(codes.shape, -1, dtype=np.int64)
            res[codes == 1] = 1
            res[codes == -1] = 0
            res[codes == 0] = -2
            return res
        k = len(outputs)
        n = np.atleast_1d(arith.sign_codes(outputs[0] - outputs[0])).shape[0] if k else 0
        res = np.full(n, -1, dtype=np.int64)
        for i in range(k):
            beats_all = np.ones(n, dtype=bool)
            for j in range(k):
                if i != j:
                    beats_all &= np.atleast_1d(arith.sign_codes(outputs[i] - outputs[j])) == 1
            res[beats_all] = i
        return res
