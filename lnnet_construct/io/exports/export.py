r"""Write a network in an ecosystem format, and check the written file against certified predictions.

:func:`export_network` writes ``torch`` (TorchScript), ``onnx`` or ``npz``.
Given points, it then **loads the written file back with its own runtime**
(``torch.jit.load``, onnxruntime, ``np.load`` + a float64 evaluation of the
stored arrays), evaluates every point, and compares the decisions with the
certified ones: the :class:`~lnnet_construct.io.exports.parity.ParityReport`
lists the points below float64 resolution and any disagreement above it.

Examples
--------
>>> import tempfile, os
>>> from fractions import Fraction
>>> from lnnet_construct.network import Network, Affine, LayerNorm
>>> net = Network(1, [Affine([[1], [-1], [0]], [0, 0, 1]), LayerNorm(), Affine([[1, -1, 0]], [0])],
...               classes=["a", "b"])
>>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
>>> rep = export_network(net, path, "npz", points=[[2], [-3], [0], [Fraction(1, 10**30)]])
>>> rep.agree, [(e["row"], e["certified"]) for e in rep.below_resolution], rep.ok
(3, [(3, None), (4, 'b')], True)
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...network import Network
from ...predict import DEFAULT_MAX_BITS
from .parity import UNIT_ROUNDOFF, ParityReport, _float_points, parity_report

__all__ = ["export_network", "EXPORT_FORMATS", "run_export"]

EXPORT_FORMATS = ("torch", "onnx", "npz")


def _write(network, path, fmt, onnx_layernorm):
    if fmt == "torch":
        from .to_torch import save_torchscript

        save_torchscript(network, path)
    elif fmt == "onnx":
        from .to_onnx import save_onnx

        save_onnx(network, path, layernorm=onnx_layernorm)
    elif fmt == "npz":
        from .to_npz import save_npz

        save_npz(network, path)
    else:
        raise InputError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")


def run_export(path, fmt, X) -> np.ndarray:
    """Outputs of the exported file at ``path`` on float64 inputs ``X``, using the format's own runtime."""
    with np.errstate(all="ignore"):  # NaN for a zero-variance LayerNorm is an outcome, not an error
        if fmt == "torch":
            from .to_torch import load_torchscript, torch_outputs

            module, _ = load_torchscript(path)
            return torch_outputs(module, X)
        if fmt == "onnx":
            from .to_onnx import onnx_outputs

            return onnx_outputs(path, X)
        from ...arith import get_arith
        from ...forward import forward
        from .to_npz import load_npz

        # the stored float64 arrays, evaluated in float64 by the package's one forward pass
        floats = load_npz(path, exact=False)
        F = get_arith("float")
        with F.active():
            cols = forward(floats, [np.asarray(X[:, j], dtype=np.float64) for j in range(X.shape[1])], F)
            return np.stack([np.broadcast_to(np.asarray(c, dtype=np.float64), (len(X),)) for c in cols], axis=1)


def export_network(network: Network, path, to: str, *, points=None, onnx_layernorm: str = "decomposed",
                   max_bits: int = DEFAULT_MAX_BITS, progress=None) -> ParityReport:
    """Write ``network`` to ``path`` in format ``to``; with ``points``, check parity (see module docstring).

    Parameters
    ----------
    network : Network
    path : str or path-like
    to : {"torch", "onnx", "npz"}
    points : sequence of sequences of exact numbers, optional
    onnx_layernorm : {"decomposed", "native"}
        See :mod:`lnnet_construct.io.exports.to_onnx`.
    max_bits : int
        Precision cap of the certified evaluation.
    progress : Progress, optional
        Advanced once per point during the certified evaluation.

    Returns
    -------
    ParityReport
        With no points: an empty report (``n_points == 0``).
    """
    if to not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {to!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    _write(network, path, to, onnx_layernorm)
    u = UNIT_ROUNDOFF["float64"]
    u_stats = u
    if to == "onnx":
        from .to_onnx import stats_roundoff

        u_stats = stats_roundoff(onnx_layernorm)
    if not points:
        return ParityReport(to, str(path), unit_roundoff=u, stats_unit_roundoff=u_stats)
    points = [tuple(p) for p in points]
    for i, p in enumerate(points, start=1):
        if len(p) != network.input_dim:
            raise InputError(f"row {i} has {len(p)} coordinates, the network expects {network.input_dim}")
    outputs = run_export(path, to, _float_points(points))
    return parity_report(network, points, outputs, fmt=to, path=str(path), u=u, u_stats=u_stats, max_bits=max_bits,
                         progress=progress)
