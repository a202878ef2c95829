"""Whole-suite environment (tests and doctests): numpy raises on floating-point errors."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _numpy_raises():
    old = np.seterr(all="raise")
    yield
    np.seterr(**old)


def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


# Doctests of optional extras run only where the extra is installed (the test extra installs all).
collect_ignore_glob = []
if _missing("torch"):
    collect_ignore_glob += ["lnnet_construct/io/exports/to_torch.py", "lnnet_construct/io/exports/from_torch.py",
                            "lnnet_construct/io/exports/torch_modules.py"]
if _missing("onnx") or _missing("onnxruntime"):
    collect_ignore_glob += ["lnnet_construct/io/exports/to_onnx.py"]
if _missing("matplotlib"):
    collect_ignore_glob += ["lnnet_construct/plot.py"]
