"""Ecosystem formats: TorchScript, ONNX and npz exports, torch import, and the parity report.

========================  ==============================================  ==================
module                    does                                            needs
========================  ==============================================  ==================
``arrays``                float64 parameter arrays of a network           numpy
``parity``                float resolution per point, parity report       numpy
``to_torch``              ``nn.Sequential`` / TorchScript export          torch
``to_onnx``               ONNX opset 17 export                            onnx (onnxruntime
                                                                          to run it)
``to_npz``                npz export and import (no pickle)               numpy
``from_torch``            exact ``Network`` from a torch module/archive   torch
``export``                ``export_network``: write + parity check        (as the format)
========================  ==============================================  ==================

torch, onnx and onnxruntime are optional: the modules that need them import
them on first use and raise
:class:`~lnnet_construct.errors.MissingDependencyError` if they are absent.
"""

from __future__ import annotations

import importlib

__all__ = [
    "export_network",
    "EXPORT_FORMATS",
    "to_torch",
    "save_torchscript",
    "to_onnx",
    "save_onnx",
    "save_npz",
    "load_npz",
    "from_torch",
    "load_torch_model",
    "parity_report",
    "ParityReport",
    "float_error_bounds",
    "certified_margins",
    "SAFETY",
]

_WHERE = {
    "export_network": "export",
    "EXPORT_FORMATS": "export",
    "to_torch": "to_torch",
    "save_torchscript": "to_torch",
    "to_onnx": "to_onnx",
    "save_onnx": "to_onnx",
    "save_npz": "to_npz",
    "load_npz": "to_npz",
    "from_torch": "from_torch",
    "load_torch_model": "from_torch",
    "parity_report": "parity",
    "ParityReport": "parity",
    "float_error_bounds": "parity",
    "certified_margins": "parity",
    "SAFETY": "parity",
}


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def require(module: str, extra: str):
    """Import an optional dependency or raise MissingDependencyError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        from ...errors import MissingDependencyError

        raise MissingDependencyError(
            f"{module} is needed for this and is not installed ({e}); "
            f"install it with: pip install 'lnnet_construct[{extra}]'"
        ) from None
