r"""PyTorch export: an ``nn.Sequential`` of ``nn.Linear`` and ``nn.LayerNorm`` in float64, and TorchScript.

:func:`to_torch` turns a :class:`~lnnet_construct.network.Network` into an
eager ``nn.Sequential`` (float64 parameters, the nearest floats to the exact
ones):

* ``Affine`` → ``nn.Linear(in, out)``;
* ``LayerNorm`` with ``groups=1`` → ``nn.LayerNorm(n, eps=float(eps),
  elementwise_affine=..., bias=...)`` (``eps=0.0`` is accepted by torch);
* ``LayerNorm`` with ``groups=g > 1`` → :class:`GroupedLayerNorm`: reshape to
  ``(..., g, n/g)``, ``nn.LayerNorm(n/g)`` over the last dimension, reshape
  back, then the elementwise affine over the full width.

The module returns the raw outputs; the decision rule and class names are
stored beside it (``lnnet.json`` in the TorchScript archive's extra files).

:func:`save_torchscript` scripts the module and saves a TorchScript archive.
The archive carries its own code, so ``torch.jit.load(path)`` works in a
process where ``lnnet_construct`` is not installed::

    import torch, json
    extra = {"lnnet.json": ""}
    model = torch.jit.load("net.pt", _extra_files=extra)
    info = json.loads(extra["lnnet.json"])          # classes, decision
    out = model(torch.tensor(X, dtype=torch.float64))

torch ≥ 2.10 marks the ``torch.jit`` API as deprecated in favour of
``torch.export``; TorchScript is still the format that ``torch.jit.load``
reads without the defining Python code, so it is what the issue asks for.
The deprecation warnings are silenced only around our own calls.
"""

from __future__ import annotations

import contextlib
import json
import warnings

import numpy as np

from ...network import Network
from ..network_file import TOOL
from . import require
from .arrays import float_layers

__all__ = ["to_torch", "save_torchscript", "load_torchscript", "torch_outputs", "grouped_layer_norm_class",
           "EXTRA_FILE", "jit_quiet"]

#: Name of the extra file in a TorchScript archive holding classes and decision.
EXTRA_FILE = "lnnet.json"


def _torch():
    return require("torch", "torch")


@contextlib.contextmanager
def jit_quiet():
    """Silence only torch.jit's own deprecation warnings (see module docstring)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit.*deprecated", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=r"`torch\.jit\..*", category=DeprecationWarning)
        yield


def grouped_layer_norm_class():
    """The :class:`~lnnet_construct.io.exports.torch_modules.GroupedLayerNorm` class (imports torch)."""
    _torch()
    from .torch_modules import GroupedLayerNorm

    return GroupedLayerNorm


def to_torch(network: Network):
    """Eager float64 ``nn.Sequential`` computing the network's outputs (see module docstring).

    Examples
    --------
    >>> from lnnet_construct.network import Network, Affine, LayerNorm
    >>> net = Network(1, [Affine([[1], [-1], [0]], [0, 0, 1]), LayerNorm(), Affine([[1, 1, -2]], [0])],
    ...               classes=["a", "b"])
    >>> m = to_torch(net); m
    Sequential(
      (0): Linear(in_features=1, out_features=3, bias=True)
      (1): LayerNorm((3,), eps=0.0, elementwise_affine=False, bias=False)
      (2): Linear(in_features=3, out_features=1, bias=True)
    )
    >>> import torch
    >>> m(torch.tensor([[2.0]], dtype=torch.float64)).dtype
    torch.float64
    """
    torch = _torch()
    nn = torch.nn
    modules = []
    with torch.no_grad():
        for layer in float_layers(network):
            if layer["type"] == "affine":
                W, b = layer["weight"], layer["bias"]
                lin = nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
                lin.weight.copy_(torch.from_numpy(W))
                lin.bias.copy_(torch.from_numpy(b))
                modules.append(lin)
                continue
            n, g, eps = layer["width"], layer["groups"], layer["eps"]
            w, b = layer["weight"], layer["bias"]
            if g > 1:
                modules.append(grouped_layer_norm_class()(n, g, eps, w, b))
            elif w is None and b is None:
                modules.append(nn.LayerNorm(n, eps=eps, elementwise_affine=False, dtype=torch.float64))
            else:
                ln = nn.LayerNorm(n, eps=eps, elementwise_affine=True, bias=b is not None, dtype=torch.float64)
                ln.weight.copy_(torch.from_numpy(w if w is not None else np.ones(n)))
                if b is not None:
                    ln.bias.copy_(torch.from_numpy(b))
                modules.append(ln)
    seq = nn.Sequential(*modules)
    seq.requires_grad_(False)
    return seq.eval()


def _info(network: Network) -> dict:
    return {"format": "lnnet-torch", "version": 1, "input_dim": network.input_dim,
            "classes": list(network.classes), "decision": network.decision, "dtype": "float64", "tool": TOOL}


def save_torchscript(network: Network, path) -> None:
    """Script :func:`to_torch` and save a TorchScript archive (classes and decision in ``lnnet.json``)."""
    torch = _torch()
    with jit_quiet():
        scripted = torch.jit.script(to_torch(network))
        torch.jit.save(scripted, str(path), _extra_files={EXTRA_FILE: json.dumps(_info(network))})


def load_torchscript(path):
    """``(module, info)``: a TorchScript archive and its ``lnnet.json`` (``{}`` if absent)."""
    torch = _torch()
    extra = {EXTRA_FILE: ""}
    with jit_quiet():
        module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    raw = extra.get(EXTRA_FILE) or b""
    info = {}
    if raw:
        from ..jsonutil import loads_strict
        from ...errors import InputError

        info = loads_strict(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw, f"{path}: {EXTRA_FILE}")
        if not isinstance(info, dict):
            raise InputError(f"{path}: {EXTRA_FILE} is not a JSON object")
    return module, info


def torch_outputs(module, X) -> np.ndarray:
    """Outputs of a torch module on a float64 array ``X`` (n_points × input_dim)."""
    torch = _torch()
    with torch.no_grad(), jit_quiet():
        out = module(torch.as_tensor(np.asarray(X, dtype=np.float64)))
    return out.detach().cpu().numpy().astype(np.float64)

