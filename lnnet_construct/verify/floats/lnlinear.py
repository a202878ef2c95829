r"""First-order LayerNorm rounding analysis with a rigorous remainder (one noise symbol per rounding).

:mod:`.lnmodel` bounds each operation's error by magnitudes, so errors that
cancel are counted twice: the rounding of the mean moves every centred entry
the same way, and the variance ``sum (x - m~)^2`` depends on it only at
second order.  Here the error of each quantity is an **affine form**

.. math::

    \tilde q - q = \sum_k c_k\,\delta_k + \rho, \qquad |\delta_k| \le 1,\ |\rho| \le r,

with one symbol ``delta_k`` per rounding (its coefficient bounds that
rounding: ``u (|q| + |error|) + eta``), exact linear propagation of the
coefficients (taken at the centre of the exact value's enclosure), and
everything else (products of errors, the spread of the exact values over
the box, the float64 rounding of the coefficients themselves) in the
remainder ``r``, computed with upward rounding.  The bound on
``|computed - exact|`` is ``sum |c_k| + r``.  A sum in unknown order gets a
single symbol with coefficient ``gamma_{n-1} sum (|t| + |error|)``
(Higham, §4.2), a division by ``s`` covers ``/ s`` and ``* fl(1/s)``.

For one assumed algorithm and formula the coefficients of the ``s``
outputs share their symbols, so the rounding error of a group is a
zonotope (:func:`ln_rounding_forms`), which the network-level zonotope takes
as generators; for several, the per-entry bounds are combined by maximum
(:func:`ln_rounding_linear`).

Examples
--------
>>> import numpy as np
>>> from lnnet_construct.arith.interval import Interval
>>> from lnnet_construct.verify.floats.formats import FORMATS
>>> from lnnet_construct.verify.floats.lnmodel import ln_rounding_bound
>>> x = np.array([[[1.895e8, -1.895e8, -1.381e8]]])
>>> X, eps = Interval(x, x), Interval(np.float64(1e-5), np.float64(1e-5))
>>> f32 = FORMATS["float32"]
>>> E_mag, _ = ln_rounding_bound(X, eps, f32, ("two-pass",))
>>> E_lin, ok = ln_rounding_linear(X, eps, f32, [("two-pass", "divide")])
>>> bool(ok[0, 0]) and bool(np.all(E_lin < E_mag))
True
"""

from __future__ import annotations

import numpy as np

from ...arith.interval import Interval
from . import bounds as B
from .formats import FloatFormat
from .lnmodel import FORMULAS_OF, LNExact, ln_exact

__all__ = ["Aff", "ln_rounding_linear", "ln_rounding_forms", "variants"]

_U64 = 2.0**-53


def variants(algorithms) -> list:
    """The ``(algorithm, formula)`` pairs assumed for a list of algorithms (:data:`.lnmodel.FORMULAS_OF`).

    An entry ``"algorithm/formula"`` names one pair.

    >>> variants(["one-pass", "welford/divide"])
    [('one-pass', 'divide'), ('welford', 'divide')]
    """
    out = []
    for a in algorithms:
        name, _, formula = a.partition("/")
        out += [(name, formula)] if formula else [(name, f) for f in FORMULAS_OF[name]]
    return out


def _point(v) -> Interval:
    v = np.float64(v)
    return Interval(v, v)


class Aff:
    """Exact-value enclosure ``v``, symbol coefficients ``c`` (last axis) and remainder ``r``."""

    __slots__ = ("v", "c", "r")

    def __init__(self, v: Interval, c, r):
        self.v = v
        self.c = c
        self.r = np.asarray(r, dtype=np.float64)

    def errmax(self):
        """Upper bound of ``|computed - exact|``."""
        if self.c.shape[-1] == 0:
            return self.r
        return B.uadd(_abs_sum(self.c), self.r)


def _abs_sum(c):
    # sum of |c| over the last axis, rounded up: float sum, then a relative margin for its rounding
    K = c.shape[-1]
    s = np.abs(c).sum(axis=-1)
    return B.up(s * (1.0 + (K + 1) * 2.0**-52))


def _mid(v: Interval):
    with np.errstate(all="ignore"):
        m = 0.5 * v.lo + 0.5 * v.hi
        return np.where(np.isfinite(m), m, 0.0)


def _rad(v: Interval, m):
    with np.errstate(all="ignore"):
        return np.maximum(B.up(v.hi - m), B.up(m - v.lo))


class _Lin:
    """Operations on :class:`Aff` in one format; allocates one symbol per rounding."""

    def __init__(self, fmt: FloatFormat, shape):
        self.u = fmt.u
        self.eta = fmt.eta
        self.limit = fmt.max / 4
        self.shape = tuple(shape)
        self.cols = []  # the coefficient columns of every symbol so far are kept by the forms themselves
        self.K = 0

    # --- helpers --------------------------------------------------------
    def pad(self, c):
        k = c.shape[-1]
        if k == self.K:
            return c
        return np.concatenate([c, np.zeros(self.shape + (self.K - k,))], axis=-1)

    def exact(self, v: Interval) -> Aff:
        return Aff(v, np.zeros(self.shape + (0,)), np.zeros(self.shape))

    def _new(self, c, coef):
        """``c`` with one more symbol of coefficient ``coef`` (>= 0)."""
        c = self.pad(c)
        self.K += 1
        return np.concatenate([c, np.asarray(coef, dtype=np.float64).reshape(self.shape + (1,))], axis=-1)

    def _round(self, v: Interval, c, r, eta):
        """Attach the rounding of a result whose computed value is within ``errmax`` of ``v``."""
        em = B.uadd(_abs_sum(c), r) if c.shape[-1] else r
        coef = B.uadd(B.umul(self.u, B.uadd(B.mag(v), em)), eta)
        bad = ~(B.uadd(B.mag(v), em) <= self.limit)
        r = np.where(bad, np.inf, r)
        return Aff(v, self._new(c, coef), r)

    @staticmethod
    def _coef_err(c):
        """Bound on the float64 rounding of freshly computed coefficients."""
        if c.shape[-1] == 0:
            return 0.0
        return B.umul(2.0**-52, _abs_sum(c))

    @staticmethod
    def _is(a: Aff, val):
        zero_c = np.all(a.c == 0, axis=-1) if a.c.shape[-1] else True
        return (a.v.lo == val) & (a.v.hi == val) & (a.r == 0) & zero_c

    def _pass(self, res: Aff, mask, other: Aff) -> Aff:
        """Where ``mask``, IEEE computes the operation exactly: the result carries ``other``'s error."""
        if not np.any(mask):
            return res
        K = max(res.c.shape[-1], other.c.shape[-1], self.K)
        self.K = K
        rc, oc = self.pad(res.c), self.pad(other.c)
        return Aff(res.v, np.where(np.asarray(mask)[..., None], oc, rc), np.where(mask, other.r, res.r))

    # --- operations -----------------------------------------------------
    def add(self, a: Aff, b: Aff, value=None, sign=1.0) -> Aff:
        v = value if value is not None else (a.v + b.v if sign > 0 else a.v - b.v)
        ca, cb = self.pad(a.c), self.pad(b.c)
        c = ca + sign * cb
        r = B.uadd(a.r, b.r)
        if c.shape[-1]:  # the float64 rounding of the coefficient sums
            r = B.uadd(r, B.umul(2.0**-53, B.uadd(_abs_sum(ca), _abs_sum(cb))))
        res = self._round(v, c, r, 0.0)
        res = self._pass(res, self._is(b, 0.0), a)
        if sign > 0:
            res = self._pass(res, self._is(a, 0.0), b)
        return res

    def sub(self, a: Aff, b: Aff, value=None) -> Aff:
        return self.add(a, b, value, sign=-1.0)

    def mul(self, a: Aff, b: Aff, value=None) -> Aff:
        v = value if value is not None else a.v * b.v
        am, bm = _mid(a.v), _mid(b.v)
        ar, br = _rad(a.v, am), _rad(b.v, bm)
        ca, cb = self.pad(a.c), self.pad(b.c)
        with np.errstate(all="ignore"):
            c = am[..., None] * cb + bm[..., None] * ca
        ea, eb = a.errmax(), b.errmax()
        sa = _abs_sum(ca) if ca.shape[-1] else 0.0
        sb = _abs_sum(cb) if cb.shape[-1] else 0.0
        r = B.uadd(B.uadd(B.umul(ar, sb), B.umul(B.mag(a.v), b.r)),
                   B.uadd(B.umul(br, sa), B.umul(B.mag(b.v), a.r)))
        # float64 rounding of am * cb + bm * ca: at most 2 ulps of |am| |cb| + |bm| |ca|
        r = B.uadd(r, B.uadd(B.umul(ea, eb), B.umul(2.0**-51, B.uadd(B.umul(np.abs(am), sb), B.umul(np.abs(bm), sa)))))
        res = self._round(v, c, r, self.eta)
        return self._pass(self._pass(res, self._is(a, 1.0), b), self._is(b, 1.0), a)

    def square(self, a: Aff) -> Aff:
        from ...arith.interval import IntervalArith

        return self.mul(a, a, value=IntervalArith().square(a.v))

    def div(self, a: Aff, b: Aff, value=None) -> Aff:
        v = value if value is not None else a.v / b.v
        q = v
        qm, bm = _mid(q), _mid(b.v)
        qr, br = _rad(q, qm), _rad(b.v, bm)
        ca, cb = self.pad(a.c), self.pad(b.c)
        eb = b.errmax()
        den = B.dsub(B.mig(b.v), eb)  # lower bound of |b~|
        with np.errstate(all="ignore"):
            lin = ca - qm[..., None] * cb  # T = L_a - q_mid L_b
            c = lin / bm[..., None]
            tmax = _abs_sum(lin) if lin.shape[-1] else np.zeros(self.shape)
            w = B.uadd(B.uadd(a.r, B.umul(B.mag(q), b.r)), B.umul(qr, _abs_sum(cb) if cb.shape[-1] else 0.0))
            sa = _abs_sum(ca) if ca.shape[-1] else 0.0
            sb = _abs_sum(cb) if cb.shape[-1] else 0.0
            w = B.uadd(w, B.umul(2.0**-51, B.uadd(sa, B.umul(np.abs(qm), sb))))  # the float64 rounding of lin
            # |T/b~ - T/b_mid| <= tmax (rad b + eb) / (|b_mid| |b~|)
            r1 = B.udiv(B.umul(tmax, B.uadd(br, eb)), B.down(np.abs(bm) * B.down(den)))
            r = B.uadd(B.uadd(r1, B.udiv(w, den)), self._coef_err(c))
        r = np.where((den > 0) & (np.abs(bm) > 0), r, np.inf)
        c = np.where(np.isfinite(c), c, 0.0)
        res = self._round(v, c, r, self.eta)
        return self._pass(res, self._is(b, 1.0), a)

    def sqrt(self, a: Aff) -> Aff:
        from ...arith.interval import IntervalArith

        v = IntervalArith().sqrt(a.v)
        am = _mid(a.v)
        ea = a.errmax()
        ca = self.pad(a.c)
        low = B.dsub(a.v.lo, ea)
        with np.errstate(all="ignore"):
            s_mid = np.sqrt(np.maximum(am, 0.0))
            c = ca / (2.0 * s_mid)[..., None]
            tmax = _abs_sum(ca) if ca.shape[-1] else np.zeros(self.shape)
            # |sqrt(t) - s_mid| over every t the computed or exact argument can take (s_mid: any positive float)
            dev = np.maximum(B.up(B.usqrt(B.uadd(a.v.hi, ea)) - s_mid), B.up(s_mid - B.dsqrt(low)))
            D_lo = B.down(B.dsqrt(low) + B.dsqrt(a.v.lo))
            r1 = B.udiv(B.umul(tmax, B.umul(2.0, dev)), B.down(D_lo * (2.0 * s_mid)))
            r = B.uadd(B.uadd(r1, B.udiv(a.r, D_lo)), self._coef_err(c))
        ok = (low > 0) & (s_mid > 0)
        r = np.where(ok, r, np.inf)
        c = np.where(np.isfinite(c), c, 0.0)
        return self._round(v, c, r, 0.0)

    def sum(self, terms, value=None) -> Aff:
        n = len(terms)
        v = value
        if v is None:
            v = terms[0].v
            for t in terms[1:]:
                v = v + t.v
        c = self.pad(terms[0].c)
        r = terms[0].r
        sm = B.uadd(B.mag(terms[0].v), terms[0].errmax())
        sc = _abs_sum(c) if c.shape[-1] else 0.0
        for t in terms[1:]:
            ct = self.pad(t.c)
            c = self.pad(c) + ct
            if ct.shape[-1]:
                sc = B.uadd(sc, _abs_sum(ct))
            r = B.uadd(r, t.r)
            sm = B.uadd(sm, B.uadd(B.mag(t.v), t.errmax()))
        if n == 1:
            return Aff(v, c, r)
        r = B.uadd(r, B.umul(n * 2.0**-53, sc))  # the float64 rounding of the coefficient sums
        coef = B.umul(B.gamma(n - 1, self.u), sm)
        bad = ~(sm <= self.limit)
        return Aff(v, self._new(c, coef), np.where(bad, np.inf, r))

    def mean(self, total: Aff, k: int, value=None) -> Aff:
        """``total / k`` as a division or as ``total * fl(1/k)``: one symbol covering both."""
        v = value if value is not None else total.v / _point(k)
        c = self.pad(total.c) / k  # exact scaling when k is a power of 2, else one float64 rounding
        r = B.uadd(B.udiv(total.r, float(k)), self._coef_err(c))
        em = B.uadd(_abs_sum(c) if c.shape[-1] else 0.0, r)
        # division: u |q~|; product with fl(1/k) = (1/k)(1 + t), |t| <= u: u |q~| + u (1 + u) |q~|, plus eta
        coef = B.uadd(B.umul(B.up(2.0 * self.u + self.u * self.u), B.uadd(B.mag(v), em)), 2.0 * self.eta)
        if k == 1:
            return Aff(v, c, r)
        return Aff(v, self._new(c, coef), r)

    def cast(self, a: Aff) -> Aff:
        return self._round(a.v, self.pad(a.c), a.r, self.eta)


def _two_pass(xs, L: _Lin, ex: LNExact):
    s = len(xs)
    m = L.mean(L.sum(xs), s, value=ex.M)
    d = [L.sub(x, m, value=ex.D[j]) for j, x in enumerate(xs)]
    var = L.mean(L.sum([L.square(dj) for dj in d]), s, value=ex.V)
    return m, var


def _select(L: _Lin, mask, a: Aff, b: Aff) -> Aff:
    """``a`` where ``mask``, else ``b`` (both forms of the same exact quantity; ``b``'s enclosure is kept)."""
    ca, cb = L.pad(a.c), L.pad(b.c)
    return Aff(b.v, np.where(mask[..., None], ca, cb), np.where(mask, a.r, b.r))


def _welford(xs, L: _Lin, ex: LNExact, negated=None):
    from ...arith.interval import IntervalArith

    IA = IntervalArith()
    s = len(xs)
    m1, m2 = xs[0], L.exact(_point(0.0))  # the first step is exact
    prefix = xs[0].v
    for k, x in enumerate(xs[1:], start=2):
        prefix = prefix + x.v
        mk = prefix / _point(k)
        delta = L.sub(x, m1)
        m1 = L.add(m1, L.mean(delta, k), value=mk)
        t = L.sub(x, m1)
        q = IA.square(xs[0].v - mk)
        for y in xs[1:k]:
            q = q + IA.square(y.v - mk)
        m2 = L.add(m2, L.mul(delta, t), value=Interval(np.maximum(q.lo, 0.0), q.hi))
        if k == 2 and negated is not None and np.any(negated):
            # x2 = -x1 exactly: delta = -2 x1 and m1 = x1 + delta / 2 = 0 are exact, t = x2, m2 = delta * t
            x1 = xs[0].v
            d2 = L.exact(Interval(-2.0 * x1.hi, -2.0 * x1.lo))
            m1 = _select(L, negated, Aff(m1.v, np.zeros(L.shape + (0,)), np.zeros(L.shape)), m1)
            m2 = _select(L, negated, L.mul(d2, xs[1], value=m2.v), m2)
    return Aff(ex.M, m1.c, m1.r), L.mean(m2, s, value=ex.V)


def _one_pass(xs, L: _Lin, ex: LNExact):
    s = len(xs)
    m = L.mean(L.sum(xs), s, value=ex.M)
    a = L.mean(L.sum([L.square(x) for x in xs]), s)
    var = L.sub(a, L.square(m), value=ex.V)
    return m, var


_ALGS = {"two-pass": _two_pass, "welford": _welford, "one-pass": _one_pass}


def _run(X: Interval, eps: Interval, fmt: FloatFormat, variant, stats, ex: LNExact, negated=None):
    """Affine forms of the ``s`` outputs of one ``(algorithm, formula)``, and where LN is proven defined."""
    name, formula = variant
    st = stats or fmt
    shape = np.shape(ex.M.lo)
    L = _Lin(st, shape)
    xs = [L.exact(x) for x in ex.xs]
    if st.u > fmt.u:
        xs = [L.cast(x) for x in xs]
    if name == "welford" and st.u <= fmt.u:
        m, var = _welford(xs, L, ex, negated)
    else:
        m, var = _ALGS[name](xs, L, ex)
    ve = L.add(var, L.exact(eps), value=ex.VE)
    ok = B.dsub(ve.v.lo, ve.errmax()) > 0
    std = L.sqrt(ve)
    one = L.exact(_point(1.0))
    inv_S = one.v / ex.S
    outs = []
    if formula == "divide":
        for j, x in enumerate(xs):
            outs.append(L.div(L.sub(x, m, value=ex.D[j]), std, value=ex.H[j]))
    else:
        rstd = L.div(one, std, value=inv_S)
        if formula == "times-rstd":
            for j, x in enumerate(xs):
                outs.append(L.mul(L.sub(x, m, value=ex.D[j]), rstd, value=ex.H[j]))
        else:
            nb = L.mul(m, rstd, value=ex.M * inv_S)
            for j, x in enumerate(xs):
                outs.append(L.sub(L.mul(x, rstd, value=x.v * inv_S), nb, value=ex.H[j]))
    K = L.K
    C = np.stack([L.pad(o.c) for o in outs], axis=-2)  # (..., s, K)
    R = np.stack([o.r for o in outs], axis=-1)          # (..., s)
    ok = ok & np.all(np.isfinite(R), axis=-1) & np.all(np.isfinite(C), axis=(-2, -1))
    return C[..., :K], R, ok


def ln_rounding_forms(X: Interval, eps: Interval, fmt: FloatFormat, variant, *, stats=None,
                      exact: LNExact | None = None, negated=None):
    """``(C, R, ok)``: the rounding error of each group is ``C delta + rho``, ``|rho| <= R``.

    ``C`` has shape ``X.shape + (K,)`` (one column per rounding symbol, shared
    by the group's entries), ``R`` the shape of ``X``; ``ok`` (shape
    ``X.shape[:-1]``) says where ``var + eps`` is proven positive.
    ``negated`` (shape ``X.shape[:-1]``, optional) marks the groups whose
    entries 0 and 1 are exact negatives of each other for every input in
    the set (not merely in the box ``X``): Welford's second step is exact there.
    """
    ex = exact if exact is not None else ln_exact(X, eps)
    with np.errstate(all="ignore"):
        return _run(X, eps, fmt, tuple(variant), stats, ex, negated)


def ln_rounding_linear(X: Interval, eps: Interval, fmt: FloatFormat, variants_, *, stats=None,
                       exact: LNExact | None = None, negated=None):
    """Per-entry bound on ``|LN computed - LN exact|`` over several ``(algorithm, formula)`` pairs (the maximum)."""
    ex = exact if exact is not None else ln_exact(X, eps)
    E = None
    ok = None
    for var in variants_:
        with np.errstate(all="ignore"):
            C, R, ok1 = _run(X, eps, fmt, tuple(var), stats, ex, negated)
        e = B.uadd(_abs_sum(C), R) if C.shape[-1] else R
        E = e if E is None else np.maximum(E, e)
        ok = ok1 if ok is None else ok & ok1
    E = np.where(ok[..., None] & np.isfinite(E), E, np.inf)
    return E, ok
