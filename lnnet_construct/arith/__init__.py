"""Number systems behind one small interface (see :mod:`lnnet_construct.arith.base`).

=============  ===========  =========  =============================================
name           rigorous     batched    elements
=============  ===========  =========  =============================================
``exact``      exact        no         Fraction, or algebraic ``Expr``
``sympy``      exact        no         sympy expressions (symbols allowed)
``arb``        rigorous     no         python-flint balls at ``prec`` bits
``iv``         rigorous     no         mpmath intervals at ``prec`` bits
``interval``   rigorous     yes        outward-rounded float64 numpy intervals
``mpmath``     NO           no         mpmath ``mpf`` at ``prec`` bits
``float``      NO           yes        numpy float64
=============  ===========  =========  =============================================

>>> get_arith("arb", prec=200)
ArbArith('arb', prec=200)
>>> get_arith("interval").is_rigorous, get_arith("float").is_rigorous
(True, False)
"""

from __future__ import annotations

from .base import SIGN_UNKNOWN_CODE, Arith, Sign

__all__ = ["Arith", "Sign", "SIGN_UNKNOWN_CODE", "get_arith", "ARITH_NAMES"]

ARITH_NAMES = ("exact", "sympy", "arb", "iv", "interval", "mpmath", "float")


def get_arith(name: str, prec: int | None = None) -> Arith:
    """A fresh arithmetic object by name; ``prec`` (bits) for arb, iv and mpmath.

    Raises
    ------
    ValueError
        For an unknown name.
    """
    if name == "exact":
        from .exact import ExactArith

        return ExactArith()
    if name == "sympy":
        from .sympy_arith import SympyArith

        return SympyArith()
    if name == "arb":
        from .arb import ArbArith

        return ArbArith(prec or 128)
    if name == "iv":
        from .mp import IvArith

        return IvArith(prec or 113)
    if name == "mpmath":
        from .mp import MpfArith

        return MpfArith(prec or 113)
    if name == "interval":
        from .interval import IntervalArith

        return IntervalArith()
    if name == "float":
        from .interval import FloatArith

        return FloatArith()
    from ..errors import InputError

    raise InputError(f"unknown arithmetic {name!r}; expected one of {', '.join(ARITH_NAMES)}")
