"""lnnet_construct: explicit, certified LayerNorm networks (Ni, Guo, Jia, Huang, ICML 2024).

The package turns the constructive proofs of *On the Nonlinearity of Layer
Normalization* into checked software: exact networks of affine and LayerNorm
layers (width 3) that provably classify given points, rigorous verification,
and checks of the related theorems.

>>> from lnnet_construct import Network, Affine, LayerNorm, get_arith
>>> Network(1, [Affine([[1]], [0])], classes=["neg", "pos"]).depth
0
"""

__version__ = "0.1.0"

from .arith import Sign, get_arith
from .errors import LNNetError
from .network import Affine, LayerNorm, Network

__all__ = ["Network", "Affine", "LayerNorm", "get_arith", "Sign", "LNNetError", "LNNetClassifier", "__version__"]


def __getattr__(name):
    # Heavier entry points load lazily so `import lnnet_construct` stays fast.  `verify` is not
    # handled here: it is the subpackage, which the import system loads and which is callable.
    if name == "build":
        from .construct import build

        return build
    if name == "Report":
        from .verify import Report

        return Report
    if name == "LNNetClassifier":  # lazily: it imports scikit-learn when that is installed
        from .estimator import LNNetClassifier

        return LNNetClassifier
    if name in ("load_network", "save_network", "load_points"):
        from . import io as _io

        return getattr(_io, name)
    raise AttributeError(f"module 'lnnet_construct' has no attribute {name!r}")
