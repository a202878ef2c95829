"""Evaluate a network on points and read off classes, in exact, rigorous or float arithmetic.

* ``"exact"``: exact algebraic evaluation; every sign decided exactly.
* ``"interval"``: a vectorised outward-rounded float64 interval pass for all
  points, then python-flint balls at rising precision (64, 128, ... bits up
  to ``max_bits``) for the points still undecided; ``None`` where the cap is
  reached.  Every reported class is certain.
* ``"float"``: plain float64 (NOT rigorous).

A point where the network decides nothing (exact 0 output, exact tie, or a
LayerNorm with exactly zero variance) gets ``None`` in every mode.

Examples
--------
>>> from lnnet_construct.network import Network, Affine, LayerNorm
>>> net = Network(1, [Affine([[1], [-1], [0]], [0, 0, 1]), LayerNorm(), Affine([[1, -1, 0]], [0])],
...               classes=["a", "b"])
>>> predict(net, [[2], [-3], [0]], arith="interval")
['b', 'a', None]
>>> predict(net, [[2], [-3], [0]], arith="exact")
['b', 'a', None]
"""

from __future__ import annotations

from .arith import get_arith
from .errors import ArithmeticUndecided, InputError, ZeroVarianceError
from .forward import batch_input, decide_batch, decide_index, forward

__all__ = ["predict", "predict_indices", "DEFAULT_MAX_BITS"]

DEFAULT_MAX_BITS = 4096


def _check_dims(network, points):
    for i, p in enumerate(points, start=1):
        if len(p) != network.input_dim:
            raise InputError(f"row {i} has {len(p)} coordinates, the network expects {network.input_dim}")


def predict(network, points, *, arith: str = "exact", max_bits: int = DEFAULT_MAX_BITS, progress=None) -> list:
    """Class per point (``None`` where undecided); see module docstring."""
    idx = predict_indices(network, points, arith=arith, max_bits=max_bits, progress=progress)
    return [None if i is None else network.classes[i] for i in idx]


def predict_indices(network, points, *, arith: str = "exact", max_bits: int = DEFAULT_MAX_BITS, progress=None) -> list:
    """Class index per point, or ``None``."""
    points = [tuple(p) for p in points]
    _check_dims(network, points)
    if not points:
        return []
    if arith == "float":
        A = get_arith("float")
        codes = decide_batch(network, forward(network, batch_input(points, A), A), A)
        return [int(c) if c >= 0 else None for c in codes]
    if arith == "exact":
        A = get_arith("exact")
        out = []
        for p in points:
            out.append(_scalar_index(network, p, A))
            if progress:
                progress.update()
        return out
    if arith == "interval":
        A = get_arith("interval")
        codes = decide_batch(network, forward(network, batch_input(points, A), A), A)
        out = []
        for p, c in zip(points, codes):
            out.append(int(c) if c >= 0 else _escalate(network, p, max_bits))
            if progress:
                progress.update()
        return out
    raise InputError(f"unknown arithmetic {arith!r}; expected exact, interval or float")


def _scalar_index(network, p, A):
    try:
        idx, _status = decide_index(network, forward(network, p, A), A)
    except ZeroVarianceError:
        return None
    return idx


def _escalate(network, p, max_bits):
    bits = 64
    while bits <= max_bits:
        A = get_arith("arb", prec=bits)
        try:
            idx, status = decide_index(network, forward(network, p, A), A)
        except ZeroVarianceError:
            return None
        except ArithmeticUndecided:
            idx, status = None, "unknown"
        if status != "unknown":
            return idx
        bits *= 2
    return None
