"""Vectorised outward-rounded float64 interval arithmetic (rigorous), and plain float64.

:class:`Interval` holds numpy arrays ``lo`` and ``hi`` (one entry per point).
Every IEEE operation used here (``+ - * / sqrt``) is correctly rounded to
nearest, so moving each computed endpoint one ulp outward with
``np.nextafter`` gives a guaranteed enclosure.  NaN never survives: an
undefined result becomes the unbounded interval ``[-inf, inf]`` ("unknown").

Constants are enclosed from exact rationals: ``float(Fraction)`` is correctly
rounded, and the exact comparison ``Fraction(f) <= q`` tells which side needs
one more ulp.

Examples
--------
>>> from fractions import Fraction
>>> A = IntervalArith()
>>> x = A.const(Fraction(1, 10))
>>> bool(x.lo[()] < 0.1 <= x.hi[()]) or bool(x.lo[()] <= 0.1 < x.hi[()])
True
>>> A.sign(A.square(A.interval([-1.0], [2.0])) - A.const(5))
<Sign.NEGATIVE: -1>
>>> F = FloatArith()
>>> F.sign_codes(F.sqrt(F.const(2)) - F.const(1))
array([1], dtype=int8)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

import contextlib

from .base import SIGN_UNKNOWN_CODE, Arith

__all__ = ["Interval", "IntervalArith", "FloatArith", "enclose_fraction"]

_INF = np.inf


def _down(x):
    with np.errstate(under="ignore"):  # a step among subnormals is exact; only the flag is raised
        return np.nextafter(x, -_INF)


def _up(x):
    with np.errstate(under="ignore"):
        return np.nextafter(x, _INF)


def enclose_fraction(q: Fraction) -> tuple[float, float]:
    """Tightest float64 interval ``[lo, hi]`` containing the rational ``q``.

    >>> enclose_fraction(Fraction(1, 2))
    (0.5, 0.5)
    >>> lo, hi = enclose_fraction(Fraction(1, 3)); lo < hi
    True
    """
    try:
        f = float(q)
    except OverflowError:
        return (float(np.finfo(float).max), _INF) if q > 0 else (-_INF, -float(np.finfo(float).max))
    fq = Fraction(f) if np.isfinite(f) else None
    if fq is None:
        return (float(np.finfo(float).max), _INF) if q > 0 else (-_INF, -float(np.finfo(float).max))
    if fq == q:
        return f, f
    if fq < q:
        return f, float(_up(f))
    return float(_down(f)), f


class Interval:
    """Arrays of closed intervals ``[lo, hi]`` with outward-rounded arithmetic."""

    __slots__ = ("lo", "hi")
    __array_priority__ = 1000

    def __init__(self, lo, hi):
        self.lo = np.asarray(lo, dtype=np.float64)
        self.hi = np.asarray(hi, dtype=np.float64)

    def __repr__(self):
        return f"Interval(lo={self.lo!r}, hi={self.hi!r})"

    @staticmethod
    def _clean(lo, hi):
        # NaN arises from inf - inf or 0 * inf: widen to "unknown".
        bad = np.isnan(lo) | np.isnan(hi)
        if bad.any():
            lo = np.where(bad, -_INF, lo)
            hi = np.where(bad, _INF, hi)
        return Interval(lo, hi)

    def __add__(self, other):
        o = _as_interval(other)
        with np.errstate(all="ignore"):
            return Interval._clean(_down(self.lo + o.lo), _up(self.hi + o.hi))

    __radd__ = __add__

    def __sub__(self, other):
        o = _as_interval(other)
        with np.errstate(all="ignore"):
            return Interval._clean(_down(self.lo - o.hi), _up(self.hi - o.lo))

    def __rsub__(self, other):
        return _as_interval(other) - self

    def __neg__(self):
        return Interval(-self.hi, -self.lo)

    def __mul__(self, other):
        o = _as_interval(other)
        with np.errstate(all="ignore"):
            p = np.stack(np.broadcast_arrays(self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi))
            # 0 * inf is NaN; the true product of a finite number with 0 is 0
            # but an infinite endpoint means "unknown", so NaN -> unbounded.
            lo = np.min(p, axis=0)
            hi = np.max(p, axis=0)
            return Interval._clean(_down(lo), _up(hi))

    __rmul__ = __mul__

    def __truediv__(self, other):
        o = _as_interval(other)
        with np.errstate(all="ignore"):
            zero_in = (o.lo <= 0) & (o.hi >= 0)
            q = np.stack(np.broadcast_arrays(self.lo / o.lo, self.lo / o.hi, self.hi / o.lo, self.hi / o.hi))
            lo = np.where(zero_in, -_INF, _down(np.min(q, axis=0)))
            hi = np.where(zero_in, _INF, _up(np.max(q, axis=0)))
            return Interval._clean(lo, hi)

    def __rtruediv__(self, other):
        return _as_interval(other) / self

    def __getitem__(self, idx):
        return Interval(self.lo[idx], self.hi[idx])

    @property
    def width(self):
        """Widths ``hi - lo`` (float, rounded up)."""
        with np.errstate(all="ignore"):
            return _up(self.hi - self.lo)

    def contains(self, value) -> np.ndarray:
        """Boolean mask: does each interval contain the exact rational ``value``?"""
        v = Fraction(value)
        return np.array(
            [Fraction(float(lo)) <= v <= Fraction(float(hi)) if np.isfinite(lo) and np.isfinite(hi)
             else (lo == -_INF or Fraction(float(lo)) <= v) and (hi == _INF or v <= Fraction(float(hi)))
             for lo, hi in zip(np.ravel(self.lo), np.ravel(self.hi))]
        )


def _as_interval(x) -> Interval:
    if isinstance(x, Interval):
        return x
    raise TypeError(f"cannot mix an Interval with {type(x).__name__}; convert constants with arith.const")


class IntervalArith(Arith):
    """Batched outward-rounded float64 intervals (rigorous, vectorised over points)."""

    name = "interval"
    is_rigorous = True
    batched = True
    prec = 53

    def _from_fraction(self, q):
        lo, hi = enclose_fraction(q)
        return Interval(lo, hi)

    @staticmethod
    def interval(lo, hi) -> Interval:
        """An element from float endpoints (the caller guarantees ``lo <= hi``)."""
        return Interval(lo, hi)

    def points(self, column) -> Interval:
        """Element enclosing a column of exact numbers (one per point)."""
        from ..numbers import Expr

        los, his = [], []
        for q in column:
            if isinstance(q, Expr):
                e = self.const(q)
                los.append(float(e.lo))
                his.append(float(e.hi))
            else:
                lo, hi = enclose_fraction(Fraction(q))
                los.append(lo)
                his.append(hi)
        return Interval(np.array(los), np.array(his))

    def sqrt(self, x):
        with np.errstate(all="ignore"):
            lo = np.where(x.lo > 0, _down(np.sqrt(np.maximum(x.lo, 0.0))), 0.0)
            lo = np.maximum(lo, 0.0)
            hi = np.where(x.hi >= 0, _up(np.sqrt(np.maximum(x.hi, 0.0))), np.nan)
            return Interval._clean(lo, hi)

    def square(self, x):
        with np.errstate(all="ignore"):
            a = x.lo * x.lo
            b = x.hi * x.hi
            zero_in = (x.lo <= 0) & (x.hi >= 0)
            lo = np.where(zero_in, 0.0, np.maximum(_down(np.minimum(a, b)), 0.0))
            hi = _up(np.maximum(a, b))
            return Interval._clean(lo, hi)

    def positive_sqrt(self, x):
        # Entries not proven positive give [0, hi]; dividing by them yields
        # the unbounded interval, i.e. "unknown" — never an exception.
        return self.sqrt(x)

    def sign_codes(self, x):
        lo, hi = np.atleast_1d(x.lo), np.atleast_1d(x.hi)
        codes = np.full(np.broadcast(lo, hi).shape, SIGN_UNKNOWN_CODE, dtype=np.int8)
        codes[lo > 0] = 1
        codes[hi < 0] = -1
        codes[(lo == 0) & (hi == 0)] = 0
        return codes

    def lower(self, x):
        return Fraction(float(x.lo)) if np.isfinite(x.lo) else None

    def upper(self, x):
        return Fraction(float(x.hi)) if np.isfinite(x.hi) else None

    def to_float(self, x):
        with np.errstate(all="ignore"):
            return 0.5 * (x.lo + x.hi)


class FloatArith(Arith):
    """Plain float64 numpy arrays: fast and NOT rigorous (for speed, plots and exports)."""

    name = "float"
    is_rigorous = False
    batched = True
    prec = 53

    def __init__(self, dtype=np.float64):
        super().__init__()
        self.dtype = np.dtype(dtype)

    def _from_fraction(self, q):
        return self.dtype.type(float(q))

    def points(self, column):
        return np.array([float(q) for q in column], dtype=self.dtype)

    def sqrt(self, x):
        with np.errstate(all="ignore"):
            return np.sqrt(x)

    def positive_sqrt(self, x):
        with np.errstate(all="ignore"):
            return np.where(x > 0, np.sqrt(np.where(x > 0, x, 1)), np.nan).astype(self.dtype)

    def sign_codes(self, x):
        x = np.atleast_1d(x)
        codes = np.full(x.shape, SIGN_UNKNOWN_CODE, dtype=np.int8)
        codes[x > 0] = 1
        codes[x < 0] = -1
        codes[x == 0] = 0
        return codes

    def to_float(self, x):
        return x

    @contextlib.contextmanager
    def active(self):
        # Overflow or 0/0 are expected outcomes here (they become NaN = unknown).
        with np.errstate(all="ignore"):
            yield self

