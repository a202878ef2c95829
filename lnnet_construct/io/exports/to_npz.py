r"""npz export: float64 arrays per layer and a JSON description, no pickle.

Written with :func:`numpy.savez` from plain float64 arrays and one unicode
scalar, so ``np.load(path, allow_pickle=False)`` reads it.  Entries:

* ``layers.json``: a JSON string::

      {"format": "lnnet-npz", "version": 1, "dtype": "float64",
       "input_dim": 2, "classes": ["neg", "pos"], "decision": "sign",
       "layers": [{"type": "affine", "weight": "layer0.weight", "bias": "layer0.bias"},
                  {"type": "layernorm", "width": 3, "groups": 1, "eps": 1e-05,
                   "eps_exact": "1/100000", "weight": null, "bias": null}, ...]}

  where array-valued fields name the npz entries holding them;
* ``layer<k>.weight``, ``layer<k>.bias``: float64 arrays (affine ``weight``
  is out × in; LayerNorm ``weight``/``bias`` have the layer's width);
* ``network.json``: the exact network file (format v1), so that the exact
  parameters travel with their float64 roundings.

A LayerNorm layer computes, per contiguous group of size ``width/groups``,
``(x - mean) / sqrt(var + eps)`` with the population variance, then
``weight * y + bias`` (MATH.md §1).

Examples
--------
>>> import tempfile, os
>>> from lnnet_construct.network import Network, Affine, LayerNorm
>>> net = Network(1, [Affine([[1], [-1], ["1/3"]], [0, 0, 1]), LayerNorm(eps="1e-5"),
...                   Affine([[1, 1, -2]], [0])], classes=["a", "b"])
>>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
>>> save_npz(net, path)
>>> with np.load(path, allow_pickle=False) as z:
...     sorted(z.files), z["layer0.weight"].dtype
(['layer0.bias', 'layer0.weight', 'layer2.bias', 'layer2.weight', 'layers.json', 'network.json'], dtype('float64'))
>>> load_npz(path) == net                      # the exact network
True
>>> load_npz(path, exact=False).layers[0].weight[2][0] == Fraction(1 / 3)   # the float64 one
True
"""

from __future__ import annotations

import json
import zipfile
from fractions import Fraction

import numpy as np

from ...errors import NetworkFormatError
from ...network import Affine, LayerNorm, Network
from ..network_file import TOOL, dumps_network, loads_network
from .arrays import float_layers

__all__ = ["save_npz", "load_npz", "npz_description"]


def npz_description(network: Network) -> tuple[dict, dict]:
    """``(description, arrays)``: the ``layers.json`` document and the named float64 arrays."""
    arrays: dict = {}
    layers = []
    for k, layer in enumerate(float_layers(network)):
        d = {key: val for key, val in layer.items() if key not in ("weight", "bias")}
        for key in ("weight", "bias"):
            if layer[key] is None:
                d[key] = None
            else:
                arrays[f"layer{k}.{key}"] = layer[key]
                d[key] = f"layer{k}.{key}"
        layers.append(d)
    doc = {"format": "lnnet-npz", "version": 1, "dtype": "float64", "input_dim": network.input_dim,
           "classes": list(network.classes), "decision": network.decision, "layers": layers, "tool": TOOL}
    return doc, arrays


def save_npz(network: Network, path) -> None:
    """Write the npz export (see module docstring); ``path`` is used as given (no ``.npz`` appended)."""
    doc, arrays = npz_description(network)
    entries = dict(arrays)
    entries["layers.json"] = np.array(json.dumps(doc))
    entries["network.json"] = np.array(dumps_network(network))
    with open(path, "wb") as fh:  # a file object: numpy must not rename the file
        np.savez(fh, **entries)


def load_npz(path, *, exact: bool = True) -> Network:
    """Read an npz export back.

    Parameters
    ----------
    exact : bool, default True
        True: the exact network stored in ``network.json``.  False: a network
        built from the float64 arrays, each float taken as its exact binary
        value (what a float64 runtime computes with).
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            files = set(z.files)
            if "layers.json" not in files:
                raise NetworkFormatError(f"{path}: no 'layers.json' entry; not an lnnet npz export")
            if exact:
                if "network.json" not in files:
                    raise NetworkFormatError(f"{path}: no 'network.json' entry; load it with exact=False")
                return loads_network(str(z["network.json"]), f"{path}: network.json")
            doc = json.loads(str(z["layers.json"]))
            layers = []
            for k, d in enumerate(doc["layers"]):
                def arr(key):
                    name = d.get(key)
                    if name is None:
                        return None
                    a = np.asarray(z[name], dtype=np.float64)
                    return [[Fraction(float(v)) for v in row] for row in a] if a.ndim == 2 else [Fraction(float(v)) for v in a]
                if d["type"] == "affine":
                    layers.append(Affine(arr("weight"), arr("bias")))
                elif d["type"] == "layernorm":
                    layers.append(LayerNorm(eps=Fraction(float(d["eps"])), groups=int(d["groups"]),
                                            weight=arr("weight"), bias=arr("bias")))
                else:
                    raise NetworkFormatError(f"{path}: layers[{k}]: unknown layer type {d['type']!r}")
            return Network(int(doc["input_dim"]), layers, doc["classes"], doc["decision"],
                           {"source": f"float64 arrays of {path}"})
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as e:
        if isinstance(e, NetworkFormatError):
            raise
        raise NetworkFormatError(f"{path}: not a readable lnnet npz export ({type(e).__name__}: {e})") from None
