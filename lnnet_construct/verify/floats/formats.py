r"""IEEE binary formats (float64, float32) and the exact rounding of rational numbers to them.

:class:`FloatFormat` holds what the error model needs: the unit roundoff
``u`` (``2^-53``, ``2^-24``), a bound ``eta`` on the absolute error of an
operation whose result underflows (gradual underflow: at most half the
smallest subnormal; ``eta`` is the smallest subnormal, a safe margin), the
largest finite value and the numpy dtype.

:func:`round_exact` rounds an exact rational to the nearest value of the
format (ties to even), computed exactly from the Fraction: for float32 it
does **not** go through float64 (``np.float32(float(q))`` can round twice
and miss by one ulp).  :func:`round_hull` gives the interval of the values an
export may hold for an exact parameter: the correctly rounded one and the
twice-rounded ``RN_F(RN_64(q))`` (what ``np.float32(float(q))`` and
``torch_module.float()`` produce); both are returned as python floats (every
float32 value is a float64 value).

Examples
--------
>>> from fractions import Fraction
>>> f32 = FORMATS["float32"]
>>> q = Fraction(1, 3)
>>> round_exact(q, f32) == float(np.float32(1 / 3))
True

A number that float64 rounds onto a float32 midpoint: twice rounded it goes
to the even neighbour, correctly rounded it goes up.

>>> q = Fraction(2**24 + 1, 2**24) + Fraction(1, 2**80)   # just above a float32 midpoint
>>> float(np.float32(float(q))) == 1.0, round_exact(q, f32) == 1 + 2.0**-23
(True, True)
>>> round_hull(q, f32) == (1.0, 1 + 2.0**-23, 1 + 2.0**-23)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...errors import InputError

__all__ = ["FloatFormat", "FORMATS", "get_format", "round_exact", "round_hull", "round_array_exact"]


@dataclass(frozen=True)
class FloatFormat:
    """An IEEE binary format under the standard model of floating-point arithmetic.

    Attributes
    ----------
    name : str
        ``"float64"`` or ``"float32"``.
    dtype : numpy dtype
    u : float
        Unit roundoff (half an ulp of 1): ``|fl(x) - x| <= u |x|`` without underflow.
    eta : float
        Bound on the absolute error of a multiplication, division or
        conversion whose result is subnormal (gradual underflow).
    max : float
        Largest finite value.
    """

    name: str
    dtype: type
    u: float
    eta: float
    max: float

    @property
    def bits(self) -> int:
        """Significand bits (53 or 24)."""
        return int(round(-np.log2(self.u))) + 0


FORMATS = {
    "float64": FloatFormat("float64", np.float64, 2.0**-53, 2.0**-1074, float(np.finfo(np.float64).max)),
    "float32": FloatFormat("float32", np.float32, 2.0**-24, 2.0**-149, float(np.finfo(np.float32).max)),
}

#: |q| at or above this rounds to infinity in float32 (the midpoint above the largest float32)
_F32_OVERFLOW = Fraction(2**128 - 2**103)


def get_format(name) -> FloatFormat:
    """The format called ``name`` (``"float64"`` or ``"float32"``; a FloatFormat passes through).

    >>> get_format("float32").u == 2.0**-24
    True
    >>> get_format("float16")
    Traceback (most recent call last):
    ...
    lnnet_construct.errors.InputError: unknown float format 'float16'; expected float64 or float32
    """
    if isinstance(name, FloatFormat):
        return name
    try:
        return FORMATS[str(name)]
    except KeyError:
        raise InputError(f"unknown float format {name!r}; expected float64 or float32") from None


def _f64(q: Fraction) -> float:
    try:
        return float(q)  # correctly rounded (CPython's int/int true division)
    except OverflowError:
        return float("inf") if q > 0 else float("-inf")


def _even32(x: np.float32) -> bool:
    return not (int(np.asarray(x, dtype=np.float32).view(np.uint32)) & 1)


def round_exact(q, fmt) -> float:
    """The value of format ``fmt`` nearest to the rational ``q`` (ties to even), as a python float.

    >>> round_exact(Fraction(1, 10), "float64") == 0.1
    True
    >>> round_exact(Fraction(10) ** 40, "float32")
    inf
    """
    fmt = get_format(fmt)
    q = Fraction(q)
    if fmt.name == "float64":
        return _f64(q)
    if q == 0:
        return 0.0
    if abs(q) >= _F32_OVERFLOW:
        return float("inf") if q > 0 else float("-inf")
    with np.errstate(all="ignore"):
        c = np.float32(_f64(q))
        cands = [c, np.nextafter(c, np.float32(np.inf)), np.nextafter(c, np.float32(-np.inf))]
    best, best_d = None, None
    for x in cands:
        if not np.isfinite(x):
            continue
        d = abs(Fraction(float(x)) - q)
        if best is None or d < best_d or (d == best_d and _even32(x) and not _even32(best)):
            best, best_d = x, d
    return float(best)


def round_hull(q, fmt) -> tuple[float, float, float]:
    """``(lo, hi, ref)``: the hull of the values an export in ``fmt`` may hold for the exact number ``q``.

    ``ref`` is the correctly rounded value ``RN_F(q)``; ``[lo, hi]`` also
    contains ``RN_F(RN_64(q))``.  An algebraic ``Expr`` is first enclosed in
    a float64 interval (rounding is monotone, so the hull of the rounded
    endpoints contains both roundings of the exact value).

    >>> round_hull(Fraction(1, 2), "float32")
    (0.5, 0.5, 0.5)
    """
    from ...numbers import Expr, to_exact

    fmt = get_format(fmt)
    q = to_exact(q) if not isinstance(q, (Fraction, int)) else Fraction(q)
    if isinstance(q, Expr):
        from ...arith.interval import IntervalArith

        enc = IntervalArith().const(q)
        lo64, hi64 = float(enc.lo), float(enc.hi)
        if not (np.isfinite(lo64) and np.isfinite(hi64)):
            return float("-inf"), float("inf"), float("nan")
        lo, hi = round_exact(Fraction(lo64), fmt), round_exact(Fraction(hi64), fmt)
        ref = min(max(round_exact(Fraction(float(q)), fmt), lo), hi)
        return lo, hi, ref
    ref = round_exact(q, fmt)
    with np.errstate(all="ignore"):
        twice = float(fmt.dtype(_f64(q)))
    return min(ref, twice), max(ref, twice), ref


def round_array_exact(values, fmt):
    """``(lo, hi, ref)`` float64 arrays of :func:`round_hull` over a nested sequence of exact numbers."""
    vals = [[round_hull(v, fmt) for v in row] for row in values]
    arr = np.array(vals, dtype=np.float64).reshape(len(vals), -1, 3) if vals else np.zeros((0, 0, 3))
    return arr[..., 0], arr[..., 1], arr[..., 2]
