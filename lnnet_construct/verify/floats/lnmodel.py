r"""LayerNorm in floating point: the algorithms runtimes use, and a rigorous bound on their rounding error.

For a group ``x`` of ``s`` floating-point numbers (every ``x`` in a box
``X``), each runtime computes the mean ``m`` and the variance ``var`` by one
of these algorithms, each operation rounded in the format:

``"two-pass"`` (numpy, the decomposed ONNX graph)
    ``m = (sum x) / s``, ``d = x - m``, ``var = (sum d^2) / s``.
``"welford"`` (torch CPU ``LayerNorm``; onnxruntime's ``LayerNormalization`` in 1.32)
    ``delta = x - m1; m1 += delta / k; m2 += delta * (x - m1)`` for
    ``k = 1..s``, ``var = m2 / s``.  torch computes exactly this for groups
    of fewer than 32 bytes (at most 3 float64 or 7 float32 entries; the
    tests pin it); larger groups go through its vectorised lane-merged
    moments, which this model does not cover (the report says so).
``"one-pass"`` (onnxruntime ``LayerNormalization`` before its Welford)
    ``m = (sum x) / s``, ``var = (sum x^2) / s - m^2``: cancels badly when
    ``|m|`` is large against the standard deviation.

Sums are in any order; ``/ s`` may be a division or a product with
``fl(1/s)``; any multiply-add may be fused.  The normalised output is then
any of ``(x - m) / sqrt(var + eps)``, ``(x - m) * rstd`` and
``x * rstd - m * rstd`` with ``rstd = 1 / sqrt(var + eps)`` (torch clamps
``var`` at 0 first: the clamped value stays inside the same bound); each
algorithm is taken with the formulas of the runtimes that use it
(:data:`FORMULAS_OF`: torch 2.13 computes ``(x - m) * rstd`` after Welford,
earlier torch ``x * rstd - m * rstd``, onnxruntime 1.32 ``(x - m) / std``).
Operations that IEEE arithmetic does exactly (``0 + a``, ``a * 1``, the
first Welford step) add no rounding.

:func:`ln_rounding_bound` runs the error bounds of :mod:`.bounds` through
every assumed algorithm and output formula and returns, per output entry,
the largest bound on ``|computed - LN_eps(x)|`` over all of them, where
``LN_eps(x)`` is the exact LayerNorm of the same floating-point inputs with
the same floating-point ``eps``.  With ``stats`` in a narrower format
(ONNX ``stash_type=1``: float32 statistics of float64 data) the inputs are
first rounded to it and the whole normalisation runs in it.

A group whose computed ``var + eps`` is not proven positive is undecided
(``ok`` is False): the runtime may take the square root of 0 or of a
negative number.

Examples
--------
>>> import numpy as np
>>> from lnnet_construct.arith.interval import Interval
>>> from lnnet_construct.verify.floats.formats import FORMATS
>>> X = Interval(np.array([[[0.0, 1.0, 3.0]]]), np.array([[[0.0, 1.0, 3.0]]]))
>>> E, ok = ln_rounding_bound(X, Interval(0.0, 0.0), FORMATS["float64"], ALGORITHMS)
>>> bool(ok[0, 0]), bool(np.all(E < 1e-14))
(True, True)
>>> X = Interval(np.array([[[1e8, 1e8 + 1, 1e8 + 2]]]), np.array([[[1e8, 1e8 + 1, 1e8 + 2]]]))
>>> E, ok = ln_rounding_bound(X, Interval(0.0, 0.0), FORMATS["float32"], ("one-pass",))
>>> bool(ok[0, 0])      # E[x^2] - E[x]^2 in float32 cannot tell this variance from 0
False
"""

from __future__ import annotations

import numpy as np

from ...arith.interval import Interval, IntervalArith
from . import bounds as B
from .formats import FloatFormat

__all__ = ["ALGORITHMS", "FORMULAS", "FORMULAS_OF", "ln_rounding_bound", "ln_exact", "LNExact"]

ALGORITHMS = ("two-pass", "welford", "one-pass")
FORMULAS = ("divide", "times-rstd", "shifted")
#: output formulas assumed with each algorithm: those of the runtimes that use it (module docstring)
FORMULAS_OF = {
    "two-pass": ("divide", "times-rstd"),        # numpy users, the decomposed ONNX graph
    "welford": ("times-rstd", "shifted", "divide"),  # torch 2.x now and before, onnxruntime 1.32
    "one-pass": ("divide",),                     # onnxruntime before its Welford
}

_IA = IntervalArith()


def _comp(x: Interval, j):
    return Interval(x.lo[..., j], x.hi[..., j])


def _point(v) -> Interval:
    v = np.float64(v)
    return Interval(v, v)


class LNExact:
    """Enclosures of the exact LayerNorm quantities over a box (one group per trailing axis).

    Attributes ``M`` (mean), ``D`` (list: centred entries), ``V`` (variance),
    ``VE`` (``var + eps``), ``S`` (``sqrt(var + eps)``), ``H`` (list: outputs).
    """

    @B.quiet
    def __init__(self, X: Interval, eps: Interval):
        s = X.lo.shape[-1]
        xs = [_comp(X, j) for j in range(s)]
        tot = xs[0]
        for x in xs[1:]:
            tot = tot + x
        self.s = s
        self.xs = xs
        self.M = tot / _point(s)
        self.D = [x - self.M for x in xs]
        q = _IA.square(self.D[0])
        for d in self.D[1:]:
            q = q + _IA.square(d)
        V = q / _point(s)
        self.V = Interval(np.maximum(V.lo, 0.0), V.hi)  # a variance is >= 0
        self.VE = self.V + eps
        self.S = _IA.sqrt(self.VE)
        self.H = [d / self.S for d in self.D]

    @property
    def positive(self):
        """Where ``var + eps`` is proven positive (LayerNorm defined on the whole box)."""
        return self.VE.lo > 0


def ln_exact(X: Interval, eps: Interval) -> LNExact:
    """:class:`LNExact` of the box ``X`` (shape ``(..., s)``) with ``eps`` in the interval ``eps``."""
    return LNExact(X, eps)


class _Ctx:
    """Error-bound operations in one format, with an overflow guard."""

    def __init__(self, fmt: FloatFormat):
        self.u = fmt.u
        self.eta = fmt.eta
        self.limit = fmt.max / 4

    def _g(self, r: B.Err) -> B.Err:
        with np.errstate(all="ignore"):
            big = ~(B.uadd(B.mag(r.v), r.e) <= self.limit)
        if np.any(big):
            r = B.Err(r.v, np.where(big, np.inf, r.e))
        return r

    def add(self, a, b, value=None):
        return self._g(B.add(a, b, self.u, value=value))

    def sub(self, a, b, value=None):
        return self._g(B.sub(a, b, self.u, value=value))

    def mul(self, a, b, value=None):
        return self._g(B.mul(a, b, self.u, self.eta, value=value))

    def square(self, a):
        return self._g(B.square(a, self.u, self.eta))

    def div(self, a, b, value=None):
        return self._g(B.div(a, b, self.u, self.eta, value=value))

    def sqrt(self, a):
        return self._g(B.sqrt(a, self.u))

    def sum(self, terms, value=None):
        return self._g(B.sum_any(terms, self.u, value=value))

    def mean(self, total, k, value=None):
        return self._g(B.mean_of(total, k, self.u, self.eta, value=value))

    def cast(self, a):
        return self._g(B.cast(a, self.u, self.eta))


def _two_pass(xs, c: _Ctx, ex: LNExact):
    s = len(xs)
    m = c.mean(c.sum(xs), s, value=ex.M)
    d = [c.sub(x, m, value=ex.D[j]) for j, x in enumerate(xs)]
    var = c.mean(c.sum([c.square(dj) for dj in d]), s, value=ex.V)
    return m, var


def _welford(xs, c: _Ctx, ex: LNExact):
    s = len(xs)
    # the first step is exact in IEEE arithmetic: delta = x - 0, m1 = 0 + delta / 1, m2 = 0 + delta * 0
    m1, m2 = xs[0], B.exact(_point(0.0))
    prefix = xs[0].v
    for k, x in enumerate(xs[1:], start=2):
        prefix = prefix + x.v
        mk = prefix / _point(k)  # the exact m1 after k steps: the mean of the first k entries
        delta = c.sub(x, m1)
        m1 = c.add(m1, c.mean(delta, k), value=mk)
        t = c.sub(x, m1)
        q = _IA.square(xs[0].v - mk)
        for y in xs[1:k]:
            q = q + _IA.square(y.v - mk)
        m2 = c.add(m2, c.mul(delta, t), value=Interval(np.maximum(q.lo, 0.0), q.hi))
    return m1.override(ex.M), c.mean(m2, s, value=ex.V)


def _one_pass(xs, c: _Ctx, ex: LNExact):
    s = len(xs)
    m = c.mean(c.sum(xs), s, value=ex.M)
    a = c.mean(c.sum([c.square(x) for x in xs]), s)
    var = c.sub(a, c.square(m), value=ex.V)
    return m, var


_ALGS = {"two-pass": _two_pass, "welford": _welford, "one-pass": _one_pass}


@B.quiet
def ln_rounding_bound(X: Interval, eps: Interval, fmt: FloatFormat, algorithms=ALGORITHMS, *,
                      stats: FloatFormat | None = None, exact: LNExact | None = None):
    """Bound on ``|LN computed - LN exact|`` per entry, over the box ``X`` and every assumed algorithm.

    Parameters
    ----------
    X : Interval
        Arrays of shape ``(..., s)``: the floating-point inputs of each group.
    eps : Interval
        The floating-point eps values a runtime may use (exactly representable).
    fmt : FloatFormat
        Format of the data.
    algorithms : sequence of str
        Subset of :data:`ALGORITHMS`.
    stats : FloatFormat, optional
        Format of the statistics and of the normalisation (default ``fmt``).
    exact : LNExact, optional
        Precomputed :func:`ln_exact` of ``X``.

    Returns
    -------
    (E, ok)
        ``E`` of the shape of ``X`` (``inf`` where undecided); ``ok`` of
        shape ``X.shape[:-1]``: computed ``var + eps`` proven positive.
    """
    ex = exact if exact is not None else ln_exact(X, eps)
    st = stats or fmt
    c = _Ctx(st)
    xs = [B.exact(x) for x in ex.xs]
    if st.u > fmt.u:  # data rounded to the statistics' format first
        xs = [c.cast(x) for x in xs]
    one = B.exact(_point(1.0))
    epsq = B.exact(eps)
    best = [np.zeros(np.shape(ex.M.lo)) for _ in xs]
    ok = np.ones(np.shape(ex.M.lo), dtype=bool)
    inv_S = one.v / ex.S
    for name in algorithms:
        m, var = _ALGS[name](xs, c, ex)
        ve = c.add(var, epsq, value=ex.VE)
        ok &= B.dsub(ve.v.lo, ve.e) > 0
        std = c.sqrt(ve)
        rstd = c.div(one, std, value=inv_S)
        nb = c.mul(m, rstd, value=ex.M * inv_S)
        for j, x in enumerate(xs):
            d = c.sub(x, m, value=ex.D[j])
            forms = FORMULAS_OF[name]
            if "divide" in forms:
                best[j] = np.maximum(best[j], c.div(d, std, value=ex.H[j]).e)
            if "times-rstd" in forms:
                best[j] = np.maximum(best[j], c.mul(d, rstd, value=ex.H[j]).e)
            if "shifted" in forms:
                best[j] = np.maximum(best[j], c.sub(c.mul(x, rstd, value=x.v * inv_S), nb, value=ex.H[j]).e)
    E = np.stack(best, axis=-1)
    E = np.where(ok[..., None] & np.isfinite(E), E, np.inf)
    return E, ok
