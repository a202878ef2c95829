r"""Short rationals: the simplest fraction inside an interval.

Weights are written as exact rationals with as few digits as the certified
margins allow: the planner computes an interval of safe values and takes the
*simplest* rational in it (smallest denominator, then smallest numerator),
found with continued fractions (the Stern–Brocot descent).

Examples
--------
>>> simplest_between(Fraction(3, 10), Fraction(4, 10))
Fraction(1, 3)
>>> simplest_between(Fraction(-7, 2), Fraction(-3, 1))
Fraction(-3, 1)
>>> simplest_near(0.7071, 0.001)
Fraction(29, 41)
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = ["simplest_between", "simplest_near", "to_fraction_exact"]


def to_fraction_exact(x) -> Fraction:
    """A float, numpy float (any width), int, Fraction or mpmath ``mpf`` as an exact Fraction (its exact binary value)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"{x} is not finite")
        return Fraction(x)
    if isinstance(x, np.floating):  # float64 and the extended longdouble, exactly
        if not np.isfinite(x):
            raise ValueError(f"{x} is not finite")
        return Fraction(*x.as_integer_ratio())
    mpf_ = getattr(x, "_mpf_", None)
    if mpf_ is not None:
        from mpmath.libmp import to_rational

        p, q = to_rational(mpf_)
        return Fraction(p, q)
    return Fraction(float(x))


def _simplest_positive(lo: Fraction, hi: Fraction) -> Fraction:
    # simplest rational in [lo, hi] with 0 <= lo <= hi: continued-fraction descent, iterative
    # (intervals from deep plans can need thousands of partial quotients)
    terms = []
    while True:
        fl = lo.numerator // lo.denominator
        if fl == lo:
            result = Fraction(fl)
            break
        if fl + 1 <= hi:
            result = Fraction(fl + 1)
            break
        # both in (fl, fl + 1): continue with the reciprocals of the fractional parts
        terms.append(fl)
        lo, hi = 1 / (hi - fl), 1 / (lo - fl)
    for fl in reversed(terms):
        result = fl + 1 / result
    return result


def simplest_between(lo, hi) -> Fraction:
    """The simplest rational in the closed interval ``[lo, hi]``.

    Parameters
    ----------
    lo, hi : Fraction or int (or floats/mpf, taken exactly), ``lo <= hi``

    Returns
    -------
    Fraction
        Smallest denominator among the rationals in ``[lo, hi]``, and among
        those the one closest to 0.

    Examples
    --------
    >>> simplest_between(Fraction(1, 1000), Fraction(2, 1000))
    Fraction(1, 500)
    >>> simplest_between(-1, 1)
    Fraction(0, 1)
    """
    lo, hi = to_fraction_exact(lo), to_fraction_exact(hi)
    if lo > hi:
        raise ValueError(f"empty interval [{lo}, {hi}]")
    if lo <= 0 <= hi:
        return Fraction(0)
    if hi < 0:
        return -_simplest_positive(-hi, -lo)
    return _simplest_positive(lo, hi)


def simplest_near(x, tol) -> Fraction:
    """The simplest rational within ``tol`` (absolute, > 0) of ``x`` (both taken exactly)."""
    x, tol = to_fraction_exact(x), to_fraction_exact(tol)
    if tol <= 0:
        return x
    return simplest_between(x - tol, x + tol)
