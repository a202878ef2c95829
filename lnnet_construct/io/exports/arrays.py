r"""Float arrays of a network's parameters: what every ecosystem export writes.

Each exact parameter (Fraction or algebraic ``Expr``) is rounded to the
nearest float64 (``float(Fraction)`` is correctly rounded; an ``Expr`` is
evaluated at 80 bits first).  That rounding is part of every float export,
and :mod:`lnnet_construct.io.exports.parity` accounts for it.

The layer descriptions are plain dicts, the same ones the npz format stores
as JSON (see :mod:`lnnet_construct.io.exports.to_npz`):

* ``{"type": "affine", "weight": (out, in) array, "bias": (out,) array}``
* ``{"type": "layernorm", "width": n, "groups": g, "eps": float,
  "eps_exact": "p/q", "weight": (n,) array or None, "bias": (n,) array or None}``

Examples
--------
>>> from lnnet_construct.network import Network, Affine, LayerNorm
>>> net = Network(1, [Affine([[1], [-1], ["1/3"]], [0, 0, 1]), LayerNorm(eps="1e-5"),
...                   Affine([[1, 1, -2]], [0])], classes=["a", "b"])
>>> layers = float_layers(net)
>>> layers[0]["weight"].dtype, layers[0]["weight"].shape, layers[1]["eps_exact"]
(dtype('float64'), (3, 1), '1/100000')
>>> float(layers[0]["weight"][2, 0]) == 1 / 3
True
"""

from __future__ import annotations

import numpy as np

from ...network import Affine, Network
from ...numbers import format_number

__all__ = ["float_layers", "to_float", "exported_decisions"]


def to_float(q) -> float:
    """Nearest float64 to an exact number (Fractions correctly rounded; NOT rigorous for Expr)."""
    return float(q)


def float_layers(network: Network, dtype=np.float64) -> list:
    """Layer descriptions with float parameter arrays (see module docstring)."""
    out = []
    width = network.input_dim
    for layer in network.layers:
        if isinstance(layer, Affine):
            out.append({
                "type": "affine",
                "weight": np.array([[to_float(v) for v in row] for row in layer.weight], dtype=dtype),
                "bias": np.array([to_float(v) for v in layer.bias], dtype=dtype),
            })
            width = layer.out_dim
        else:
            out.append({
                "type": "layernorm",
                "width": width,
                "groups": layer.groups,
                "eps": to_float(layer.eps),
                "eps_exact": format_number(layer.eps),
                "weight": None if layer.weight is None else np.array([to_float(v) for v in layer.weight], dtype=dtype),
                "bias": None if layer.bias is None else np.array([to_float(v) for v in layer.bias], dtype=dtype),
            })
    return out


def exported_decisions(network: Network, outputs) -> list:
    """Class index per row of float ``outputs`` by the network's rule, or None.

    ``sign``: ``> 0`` is class 1, ``< 0`` class 0, ``0`` (or NaN) decides
    nothing.  ``argmax``: the unique maximum; a tie (or NaN) decides nothing.

    >>> from lnnet_construct.network import Network, Affine
    >>> net = Network(1, [Affine([[1]], [0])], classes=["a", "b"])
    >>> exported_decisions(net, np.array([[2.0], [-1.0], [0.0]]))
    [1, 0, None]
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim == 1:
        outputs = outputs[:, None]
    res = []
    for row in outputs:
        if not np.all(np.isfinite(row)):
            res.append(None)
        elif network.decision == "sign":
            res.append(1 if row[0] > 0 else 0 if row[0] < 0 else None)
        else:
            best = int(np.argmax(row))
            res.append(None if np.count_nonzero(row == row[best]) > 1 else best)
    return res
