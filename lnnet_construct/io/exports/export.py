r"""Write a network in an ecosystem format, and prove what the written file predicts.

:func:`export_network` writes ``torch`` (TorchScript), ``onnx`` or ``npz``.
Given points, it proves per point that every float64 evaluation of the
export's object decides the certified class (FLOAT-VERIFIED,
:func:`~lnnet_construct.io.exports.parity.float_parity_report`), then
**loads the written file back with its own runtime** (``torch.jit.load``,
onnxruntime, ``np.load`` + a numpy float64 evaluation of the stored arrays)
and compares its decisions with the certified ones.  With
``require_verified=True`` nothing is written unless every point is
FLOAT-VERIFIED (what ``lnnet export`` does without ``--force``).

Examples
--------
>>> import tempfile, os
>>> from fractions import Fraction
>>> from lnnet_construct.network import Network, Affine, LayerNorm
>>> net = Network(1, [Affine([[1], [-1], [0]], [0, 0, 1]), LayerNorm(), Affine([[1, -1, 0]], [0])],
...               classes=["a", "b"])
>>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
>>> rep = export_network(net, path, "npz", points=[[2], [-3], [0], [Fraction(1, 10**30)]])
>>> rep.agree, rep.float_verified, [(e["row"], e["certified"]) for e in rep.below_resolution], rep.ok
(3, 2, [(3, None), (4, 'b')], True)
>>> rep = export_network(net, path + "2", "npz", points=[[0]], require_verified=True)
>>> rep.written, os.path.exists(path + "2")
(False, False)
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...network import Network
from ...predict import DEFAULT_MAX_BITS
from .parity import UNIT_ROUNDOFF, ParityReport, _float_points, float_parity_report, float_verdicts

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
        from fractions import Fraction

        from ...verify.floats.replay import replay
        from .to_npz import load_npz

        # the stored float64 arrays, evaluated in float64 with numpy (x @ W.T + b, two-pass LayerNorm)
        floats = load_npz(path, exact=False)
        return replay(floats, [[Fraction(float(v)) for v in row] for row in X], "float64", "two-pass")


def export_network(network: Network, path, to: str, *, points=None, onnx_layernorm: str = "decomposed",
                   max_bits: int = DEFAULT_MAX_BITS, progress=None, require_verified: bool = False) -> ParityReport:
    """Write ``network`` to ``path`` in format ``to``; with ``points``, prove parity (see module docstring).

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
    require_verified : bool, default False
        Write only when every point is FLOAT-VERIFIED (``report.written`` says).

    Returns
    -------
    ParityReport
        With no points: an empty report (``n_points == 0``).
    """
    if to not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {to!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    if to == "onnx" and onnx_layernorm not in ("decomposed", "native"):
        raise InputError(f"onnx_layernorm must be decomposed or native, got {onnx_layernorm!r}")
    u = UNIT_ROUNDOFF["float64"]
    u_stats = u
    if to == "onnx":
        from .to_onnx import stats_roundoff

        u_stats = stats_roundoff(onnx_layernorm)
    if not points:
        _write(network, path, to, onnx_layernorm)
        return ParityReport(to, str(path), unit_roundoff=u, stats_unit_roundoff=u_stats)
    points = [tuple(p) for p in points]
    for i, p in enumerate(points, start=1):
        if len(p) != network.input_dim:
            raise InputError(f"row {i} has {len(p)} coordinates, the network expects {network.input_dim}")
    verdicts = float_verdicts(network, points, to, onnx_layernorm=onnx_layernorm, max_bits=max_bits,
                              progress=progress)
    outputs = None
    if not require_verified or verdicts[1].verified == len(points):
        _write(network, path, to, onnx_layernorm)
        outputs = run_export(path, to, _float_points(points))
    rep = float_parity_report(network, points, outputs, fmt=to, path=str(path), onnx_layernorm=onnx_layernorm,
                              verdicts=verdicts)
    rep.unit_roundoff = u
    return rep
