r"""Running error bounds of floating-point operations, computed with upward rounding.

A quantity of an algorithm is an :class:`Err`: an outward-rounded float64
:class:`~lnnet_construct.arith.interval.Interval` ``v`` enclosing its exact
value (the algorithm run in exact arithmetic on the same floating-point
inputs), and an array ``e >= 0`` bounding ``|computed - exact|`` for **every**
evaluation of the algorithm in the format (any rounding allowed by the
standard model ``fl(z) = z (1 + d) + h``, ``|d| <= u``, with ``h = 0`` for
additions and ``|h| <= eta`` otherwise).  Each operation propagates the input
errors exactly (first and second order) and adds its own rounding:

=========  =====================================================================
operation  error bound of the result
=========  =====================================================================
a +- b     ``Ea + Eb + u (|a +- b| + Ea + Eb)``
a * b      ``p + u (|ab| + p) + eta``, ``p = |a| Eb + |b| Ea + Ea Eb``
a / b      ``p + u (|a/b| + p) + eta``, ``p = (Ea + |a/b| Eb) / (|b| - Eb)``
sqrt(a)    ``p + u (sqrt|a| + p)``, ``p = min(Ea / (sqrt a + sqrt(a - Ea)), sqrt Ea)``
sum        ``sum E + gamma_{n-1} sum (|t| + E)`` in any order (Higham, §4.2)
=========  =====================================================================

where ``|x|`` is the largest magnitude in the enclosure.  A fused
multiply-add rounds once where these bounds allow two roundings, so the
bounds hold with or without FMA.  Every bound is computed in float64 with
each operation rounded upward (``np.nextafter``), so it is rigorous; an
undefined step (division by a quantity that may vanish, a square root of a
possibly negative number, overflow) gives ``inf``.

Examples
--------
>>> import numpy as np
>>> from lnnet_construct.arith.interval import Interval
>>> u = 2.0**-53
>>> x = exact(Interval([1.0], [1.0]))
>>> third = div(x, exact(Interval([3.0], [3.0])), u, 2.0**-1074)
>>> bool(third.e[0] >= abs(1 / 3 - float(np.float64(1) / 3)))        # one rounding of 1/3
True
>>> bool(third.e[0] < 2 * u)
True
"""

from __future__ import annotations

import numpy as np

from ...arith.interval import Interval

__all__ = ["up", "down", "uadd", "umul", "udiv", "usqrt", "dsub", "dsqrt", "gamma", "mag", "mig", "Err", "exact",
           "add", "sub", "mul", "square", "div", "sqrt", "sum_any", "mean_of", "cast", "mid_rad", "quiet"]

_INF = np.inf


# The helpers below run inside ``np.errstate(all="ignore")`` (see :func:`quiet`): underflow and
# overflow flags are expected there (a bound may be inf), and entering the context per call is slow.

def quiet(fn):
    """Decorator: run ``fn`` with numpy's floating-point flags ignored (inf and 0/0 are outcomes here)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return wrapper


def up(x):
    """The next float64 above ``x`` (an upper bound of the exact result that rounded to ``x``)."""
    return np.nextafter(x, _INF)


def down(x):
    """The next float64 below ``x``."""
    return np.nextafter(x, -_INF)


def uadd(a, b):
    """Upper bound of ``a + b`` (adding an exact 0 is exact: ``uadd(a, 0) == a``)."""
    s = np.nextafter(np.add(a, b), _INF)
    return np.where(np.equal(b, 0), a, np.where(np.equal(a, 0), b, s))


def umul(a, b):
    """Upper bound of ``a * b`` for ``a, b >= 0`` (``0 * inf`` is ``inf``; an exact 0 factor gives 0)."""
    p = np.multiply(a, b)
    r = np.where(np.isnan(p), _INF, np.nextafter(p, _INF))
    return np.where((np.equal(a, 0) & np.isfinite(b)) | (np.equal(b, 0) & np.isfinite(a)), 0.0, r)


def udiv(a, b):
    """Upper bound of ``a / b`` for ``a >= 0`` and ``b > 0`` (``inf`` where ``b <= 0``)."""
    q = np.where(np.asarray(b) > 0, np.divide(a, b), _INF)
    return np.where(np.isnan(q), _INF, up(q))


def usqrt(a):
    """Upper bound of ``sqrt(a)`` for ``a >= 0``."""
    return up(np.sqrt(np.maximum(a, 0.0)))


def dsub(a, b):
    """Lower bound of ``a - b``."""
    return down(np.subtract(a, b))


def dsqrt(a):
    """Lower bound of ``sqrt(a)`` (0 for ``a <= 0``)."""
    return np.maximum(down(np.sqrt(np.maximum(a, 0.0))), 0.0)


@quiet
def gamma(n: int, u: float) -> float:
    """Upper bound of Higham's ``gamma_n = n u / (1 - n u)`` (0 for ``n <= 0``).

    >>> gamma(2, 2.0**-53) > 2 * 2.0**-53
    True
    """
    if n <= 0:
        return 0.0
    return float(up(up(n * u) / down(1.0 - n * u)))


def mag(x: Interval):
    """Largest ``|value|`` in each interval."""
    return np.maximum(np.abs(x.lo), np.abs(x.hi))


def mig(x: Interval):
    """Smallest ``|value|`` in each interval (0 when it contains 0)."""
    with np.errstate(all="ignore"):
        return np.where((x.lo <= 0) & (x.hi >= 0), 0.0, np.minimum(np.abs(x.lo), np.abs(x.hi)))


@quiet
def mid_rad(x: Interval):
    """``(mid, rad)``: a float centre and an upward-rounded radius with ``x ⊆ [mid - rad, mid + rad]``."""
    with np.errstate(all="ignore"):
        m = 0.5 * x.lo + 0.5 * x.hi
        m = np.where(np.isfinite(m), m, 0.0)
        r = np.maximum(up(x.hi - m), up(m - x.lo))
        r = np.where(np.isnan(r), _INF, r)
        return m, r


class Err:
    """An algorithm quantity: enclosure ``v`` of its exact value and bound ``e`` on the rounding error."""

    __slots__ = ("v", "e")

    def __init__(self, v: Interval, e):
        self.v = v
        self.e = np.asarray(e, dtype=np.float64)

    def __repr__(self):
        return f"Err(v={self.v!r}, e={self.e!r})"

    def computed(self) -> Interval:
        """Enclosure of every computed value: ``v`` widened by ``e``."""
        with np.errstate(all="ignore"):
            return Interval(down(self.v.lo - self.e), up(self.v.hi + self.e))

    def override(self, v: Interval) -> "Err":
        """Same error, a tighter enclosure of the same exact value (e.g. from an algebraic identity)."""
        return Err(v, self.e)


def exact(v: Interval) -> Err:
    """A quantity computed without error (an input, or an exactly representable constant)."""
    return Err(v, np.zeros(np.broadcast(v.lo, v.hi).shape))


def _finish(v: Interval, p, u, eta):
    # own rounding u (|v| + p) + eta on top of the propagated error p; inf where it may overflow
    e = uadd(p, uadd(umul(u, uadd(mag(v), p)), eta))
    return Err(v, np.where(np.isfinite(e) & np.isfinite(mag(v)), e, _INF))


def _is(a: Err, c: float):
    """Where ``a`` is exactly the constant ``c`` (computed without error)."""
    return (a.v.lo == c) & (a.v.hi == c) & (a.e == 0)


def _pass(r: Err, mask, other: Err) -> Err:
    """``r``, but the exact operand ``other`` (error and all) where ``mask``: an operation IEEE does exactly."""
    if not np.any(mask):
        return r
    return Err(r.v, np.where(mask, other.e, r.e))


@quiet
def add(a: Err, b: Err, u: float, *, value: Interval | None = None) -> Err:
    """``a + b`` (``value``: a tighter enclosure of the exact sum, if known); ``0 + b`` is exact."""
    v = value if value is not None else a.v + b.v
    r = _finish(v, uadd(a.e, b.e), u, 0.0)
    return _pass(_pass(r, _is(a, 0.0), b), _is(b, 0.0), a)


@quiet
def sub(a: Err, b: Err, u: float, *, value: Interval | None = None) -> Err:
    """``a - b``; ``a - 0`` and ``0 - b`` are exact."""
    v = value if value is not None else a.v - b.v
    r = _finish(v, uadd(a.e, b.e), u, 0.0)
    return _pass(_pass(r, _is(a, 0.0), b), _is(b, 0.0), a)


def _prod_err(a: Err, b: Err):
    return uadd(uadd(umul(mag(a.v), b.e), umul(mag(b.v), a.e)), umul(a.e, b.e))


@quiet
def mul(a: Err, b: Err, u: float, eta: float, *, value: Interval | None = None) -> Err:
    """``a * b``."""
    v = value if value is not None else a.v * b.v
    r = _finish(v, _prod_err(a, b), u, eta)
    return _pass(_pass(r, _is(a, 1.0), b), _is(b, 1.0), a)


@quiet
def square(a: Err, u: float, eta: float) -> Err:
    """``a * a`` (the enclosure stays >= 0)."""
    from ...arith.interval import IntervalArith

    return _finish(IntervalArith().square(a.v), _prod_err(a, a), u, eta)


@quiet
def div(a: Err, b: Err, u: float, eta: float, *, value: Interval | None = None) -> Err:
    """``a / b`` (``inf`` error where ``|b|`` may be 0 or the computed ``b`` may be 0)."""
    v = value if value is not None else a.v / b.v
    den = dsub(mig(b.v), b.e)
    p = udiv(uadd(a.e, umul(mag(v), b.e)), den)
    return _pass(_finish(v, p, u, eta), _is(b, 1.0), a)


@quiet
def sqrt(a: Err, u: float) -> Err:
    """``sqrt(a)`` (``inf`` error where the computed ``a`` may be negative)."""
    from ...arith.interval import IntervalArith

    v = IntervalArith().sqrt(a.v)
    lo = a.v.lo
    low_computed = dsub(lo, a.e)
    p1 = udiv(a.e, down(dsqrt(lo) + dsqrt(low_computed)))
    p2 = usqrt(up(a.e))
    p = np.where(a.e == 0, 0.0, np.minimum(p1, p2))
    p = np.where(low_computed >= 0, p, _INF)
    res = _finish(v, p, u, 0.0)
    return res


@quiet
def sum_any(terms, u: float, *, value: Interval | None = None) -> Err:
    """Sum of ``terms`` (a list of Err) in any order and association."""
    n = len(terms)
    v = value
    if v is None:
        v = terms[0].v
        for t in terms[1:]:
            v = v + t.v
    se = terms[0].e
    sm = uadd(mag(terms[0].v), terms[0].e)
    for t in terms[1:]:
        se = uadd(se, t.e)
        sm = uadd(sm, uadd(mag(t.v), t.e))
    e = uadd(se, umul(gamma(n - 1, u), sm))
    return Err(v, np.where(np.isfinite(e) & np.isfinite(mag(v)), e, _INF))


@quiet
def mean_of(total: Err, k: int, u: float, eta: float, *, value: Interval | None = None) -> Err:
    """``total / k`` for an integer ``k``, computed either as a division or as ``total * fl(1/k)``."""
    kk = exact(Interval(np.float64(k), np.float64(k)))
    d = div(total, kk, u, eta, value=value)
    inv = Interval(down(np.float64(1.0) / k), up(np.float64(1.0) / k))
    r = Err(inv, np.full(np.shape(inv.lo), umul(u, up(1.0 / k))))  # fl(1/k) within u/k of 1/k
    m = mul(total, r, u, eta, value=value if value is not None else d.v)
    return Err(d.v, np.maximum(d.e, m.e))


@quiet
def cast(a: Err, u: float, eta: float) -> Err:
    """Conversion to a narrower format with unit roundoff ``u`` (e.g. float64 data, float32 statistics)."""
    return _finish(a.v, a.e, u, eta)
