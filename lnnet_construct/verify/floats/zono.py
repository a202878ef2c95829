r"""Zonotope enclosures of every floating-point evaluation of a network, vectorised over points.

After each layer, the set of values that any evaluation in the format can
produce (for one point) is enclosed in a zonotope

.. math::

    \{\, c + G\,\varepsilon + b \circ \eta \;:\; \varepsilon \in [-1, 1]^K,\ \eta \in [-1, 1]^n \,\}

with a float centre ``c`` (n entries), ``K`` generators (the columns of
``G``) and a box radius ``b >= 0``.  A zonotope keeps the correlations a box
loses: errors made early travel through the later layers as generators,
so an affine layer that reads only one direction of its input (the rank-1
layers the constructions emit) sees only the error along it.  The arrays are
``c: (N, n)``, ``G: (N, n, K)``, ``b: (N, n)``; nothing is rigorous about
``c`` and ``G`` themselves (they are just floats), the enclosure is.

**Affine layer** ``y = fl(W~ x + b~)``, ``W~`` in the hull of the format's
roundings of the exact ``W`` (centre ``Wc``, radius ``Wr``).  The exact
image of the zonotope under ``Wc`` is computed with outward rounding
(centre, generators, and the box turned into ``n`` new generators
``Wc[:, j] b_j``); the rounding residues, ``Wr |x| + br`` and the rounding of
the evaluation, ``gamma_{n+1} (|W~| |x| + |b~|) + 2 (n + 1) eta`` in any
summation order with or without FMA, go to the box.

**LayerNorm** ``y = LN_F(x)``: ``LN_F(x) = LN(x) + r`` with ``|r|`` bounded by
:func:`.lnmodel.ln_rounding_bound` over the box hull ``X`` of the zonotope,
and by the mean value theorem ``LN_i(c + D) = LN_i(c) + J_i(xi) D`` with
``xi`` in ``X`` and ``J_ij = (P_ij - h_i h_j / s) / sigma``
(``P = I - 11^T / s``).  With ``J0`` the centre of the Jacobian's enclosure
at the point ``c``: new centre ``LN(c)`` (intervals at the point ``c``),
generators ``J0 G`` and ``J0 diag(b)``, and to the box the interval residues,
``r`` and the remainder ``|J(xi) D - J0 D|``, bounded either by
``|[J]_X - J0| |D|`` or, keeping the cancellations of
``J D = (P D) / sigma - (h / sigma)(h . D) / s`` (``P`` removes the mean of
``D``; ``h_i / sigma`` is small where ``h_i`` is), by
``|P D|_i w(1/sigma) + (|h_i / sigma| sum_j w(h_j) |D_j| + w(h_i / sigma) |h(c) . D|) / s``
plus the rounding of ``J0`` (``w``: widths over ``X``), whichever is smaller.
A group whose entries 0 and 1 are exact negatives in every member (the
constructions' ``(a, -a, c)``) is marked, and Welford's second step is then exact.
The elementwise affine of a LayerNorm is a diagonal affine map with its
own roundings.

**Order reduction** keeps the ``max_generators - 1`` largest generators
(relative to each entry's scale) and merges the others onto the direction
``v`` of the largest of them (``sum g_k e_k = (sum a_k e_k) v + sum (g_k - a_k v) e_k``
lies in ``A v e' + box(sum |g_k - a_k v|)`` with ``A >= sum |a_k|``; for
nearly parallel generators almost nothing goes to the box; merging into a
box instead was tried and loses more on the constructions).  Entries that are exact negatives of each other keep that
property: their equal and opposite residues form one generator.

A point whose enclosure is not finite, or where a LayerNorm is not proven
defined (``var + eps`` not proven positive) is marked ``bad`` (undecided).

Examples
--------
>>> import numpy as np
>>> from lnnet_construct.verify.floats.formats import FORMATS
>>> z = Zono.from_box(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
>>> z = affine_step(z, np.array([[1.0, -1.0]]), np.zeros((1, 2)), np.array([0.5]), np.zeros(1), FORMATS["float64"])
>>> lo, hi = z.hull()
>>> bool(lo[0, 0] <= -0.5 <= hi[0, 0]) and bool(hi[0, 0] - lo[0, 0] < 1e-14)
True
"""

from __future__ import annotations

import numpy as np

from ...arith.interval import Interval, IntervalArith
from . import bounds as B
from .formats import FloatFormat
from .lnlinear import ln_rounding_forms, ln_rounding_linear, variants
from .lnmodel import ALGORITHMS, ln_exact, ln_rounding_bound

__all__ = ["Zono", "affine_step", "layernorm_step", "diag_affine_step", "reduce_order", "MAX_GENERATORS"]

#: Generators kept per point after each layer.
MAX_GENERATORS = 8

_IA = IntervalArith()
_U64 = 2.0**-53
_ETA64 = 2.0**-1074


def _pprod(a, b):
    """Outward enclosure of the exact products of floats ``a * b`` (broadcast)."""
    with np.errstate(all="ignore"):
        p = np.multiply(a, b)
        return B.down(p), B.up(p)


def _usum(arrs):
    acc = None
    for a in arrs:
        acc = a if acc is None else B.uadd(acc, a)
    return acc


class Zono:
    """A batch of zonotopes (see module docstring): ``c (N, n)``, ``G (N, n, K)``, ``b (N, n)``, ``bad (N,)``."""

    __slots__ = ("c", "G", "b", "bad")

    def __init__(self, c, G, b, bad=None):
        self.c = np.asarray(c, dtype=np.float64)
        self.G = np.asarray(G, dtype=np.float64)
        self.b = np.asarray(b, dtype=np.float64)
        N = self.c.shape[0]
        self.bad = np.zeros(N, dtype=bool) if bad is None else np.asarray(bad, dtype=bool)

    @classmethod
    def from_box(cls, c, r):
        """The boxes ``[c - r, c + r]`` (no generators)."""
        c = np.asarray(c, dtype=np.float64)
        return cls(c, np.zeros(c.shape + (0,)), np.asarray(r, dtype=np.float64))

    @property
    def n(self) -> int:
        return self.c.shape[1]

    @B.quiet
    def radius(self):
        """Upper bound of ``sum_k |G_k| + b`` per entry (the half-widths of the box hull)."""
        K = self.G.shape[2]
        acc = self.b
        for k in range(K):
            acc = B.uadd(acc, np.abs(self.G[:, :, k]))
        return acc

    @B.quiet
    def hull(self):
        """``(lo, hi)``: the box hull, rounded outward."""
        r = self.radius()
        with np.errstate(all="ignore"):
            return B.down(self.c - r), B.up(self.c + r)

    def hull_interval(self) -> Interval:
        lo, hi = self.hull()
        return Interval(np.where(np.isnan(lo), -np.inf, lo), np.where(np.isnan(hi), np.inf, hi))

    def mark(self, mask):
        self.bad = self.bad | np.asarray(mask, dtype=bool)

    def finite(self):
        return np.isfinite(self.c).all(axis=1) & np.isfinite(self.b).all(axis=1) & np.isfinite(self.G).all(axis=(1, 2))


def _linear(M, c, G, b):
    """Exact image under the float matrix ``M`` (shape ``(m, n)`` or ``(N, m, n)``), outward rounded.

    Returns ``(c', G', box)`` with the box holding every rounding residue and
    the generators ``M[:, j] b_j`` appended to ``G'``.
    """
    per_point = M.ndim == 3
    n = c.shape[1]
    Mc = M if per_point else M[None, :, :]
    # centre
    lo = hi = None
    for j in range(n):
        plo, phi = _pprod(Mc[:, :, j], c[:, None, j])
        lo = plo if lo is None else B.down(lo + plo)
        hi = phi if hi is None else B.up(hi + phi)
    cn, box = B.mid_rad(Interval(lo, hi))
    # generators
    K = G.shape[2]
    if K:
        glo = ghi = None
        for j in range(n):
            plo, phi = _pprod(Mc[:, :, j, None], G[:, None, j, :])
            glo = plo if glo is None else B.down(glo + plo)
            ghi = phi if ghi is None else B.up(ghi + phi)
        Gn, grad = B.mid_rad(Interval(glo, ghi))
        box = B.uadd(box, _usum([grad[:, :, k] for k in range(K)]))
    else:
        Gn = np.zeros(cn.shape + (0,))
    # the box becomes generators
    blo, bhi = _pprod(Mc, b[:, None, :])
    Bn, brad = B.mid_rad(Interval(blo, bhi))
    box = B.uadd(box, _usum([brad[:, :, j] for j in range(n)]))
    return cn, np.concatenate([Gn, Bn], axis=2), box


ROWS = ("any", "alike")


def _alike_classes(Wc, Wr, bc, br, nnz):
    """Rows equal up to sign (as floats, without rounding ambiguity): ``[[(row, sign), ...], ...]``."""
    classes: dict = {}
    for i in range(Wc.shape[0]):
        if nnz[i] == 0 or np.any(Wr[i] > 0) or br[i] > 0:
            continue
        row = np.concatenate([Wc[i], [bc[i]]])
        first = row[np.flatnonzero(row)[0]]
        sgn = 1.0 if first > 0 else -1.0
        classes.setdefault(tuple((row * sgn).tolist()), []).append((i, sgn))
    return [c for c in classes.values() if len(c) > 1]


@B.quiet
def affine_step(z: Zono, Wc, Wr, bc, br, fmt: FloatFormat, max_generators: int = MAX_GENERATORS,
                rows: str = "any") -> Zono:
    """The zonotope after ``fl(W~ x + b~)`` (see module docstring).

    ``Wc, Wr`` (shape ``(m, n)``) and ``bc, br`` (``(m,)``) are the centre and
    radius of the hull of the float weights and biases.  ``rows="any"``: each
    row in its own summation order; ``"alike"``: every row of the layer
    computed by the same sequence of operations (one kernel; the tests pin
    it for torch, onnxruntime and numpy), so rows that are equal up to sign
    make equal, or opposite, rounding errors: one generator instead of
    independent box entries.
    """
    X = z.radius()
    with np.errstate(all="ignore"):
        xmag = B.up(np.abs(z.c) + X)
    n = z.n
    cn, Gn, box = _linear(Wc, z.c, z.G, z.b)
    # the bias centre, added outward
    cn, rb = B.mid_rad(Interval(B.down(cn + bc[None, :]), B.up(cn + bc[None, :])))
    box = B.uadd(box, rb)
    with np.errstate(all="ignore"):
        # weight and bias uncertainty
        unc = br[None, :]
        wabs = B.uadd(np.abs(Wc), Wr)
        tot = np.abs(bc)[None, :] + br[None, :]
        for j in range(n):
            unc = B.uadd(unc, B.umul(Wr[None, :, j], xmag[:, None, j]))
            tot = B.uadd(tot, B.umul(wabs[None, :, j], xmag[:, None, j]))
        # rounding of the evaluation, any order, with or without FMA
        # a term with a zero weight is an exact 0 and adds exactly: count the nonzero terms of each row
        nnz = ((np.abs(Wc) + Wr) > 0).sum(axis=1) + ((np.abs(bc) + br) > 0)
        # k terms in any order: k - 1 roundings of sums of terms (or of products) bounded by T = sum |t|,
        # and the last one bounded by |y|: E <= ((k - 1) u (1 + gamma_k) T + u |y|) / (1 - u)
        lead = np.array([B.umul(max(int(k) - 1, 0) * fmt.u, 1.0 + B.gamma(int(k), fmt.u)) for k in nnz])
        ymag = B.uadd(B.uadd(np.abs(cn) + 0.0, box), B.uadd(np.abs(bc)[None, :], B.uadd(unc, _gen_radius(Gn))))
        rnd = B.umul(B.uadd(B.umul(lead[None, :], tot), B.umul(fmt.u, ymag)), B.up(1.0 / B.down(1.0 - fmt.u)))
        rnd = np.where(nnz[None, :] > 0, rnd, 0.0)
        rnd = B.uadd(rnd, B.umul(2.0 * (n + 1), fmt.eta))
    box = B.uadd(box, B.uadd(unc, rnd))
    if rows == "alike":
        # row i = sign * row i0 as floats: its exact value and its computed value are sign * those of row i0,
        # so the whole row is a signed copy and row i0's box becomes one shared generator
        cols = []
        for members in _alike_classes(Wc, Wr, bc, br, nnz):
            i0, s0 = members[0]
            common = np.max(box[:, [i for i, _ in members]], axis=1)
            g = np.zeros(box.shape)
            for i, sgn in members:
                rel = sgn * s0
                cn[:, i] = rel * cn[:, i0]
                Gn[:, i, :] = rel * Gn[:, i0, :]
                g[:, i] = sgn * common
                box[:, i] = 0.0
            cols.append(g[:, :, None])
        if cols:
            Gn = np.concatenate([Gn] + cols, axis=2)
    out = Zono(cn, Gn, box, z.bad)
    out.mark(~(tot <= fmt.max / 4).all(axis=1))
    out.mark(~out.finite())
    return reduce_order(out, max_generators)


def _gen_radius(G):
    """Upper bound of ``sum_k |G_k|`` per entry."""
    acc = np.zeros(G.shape[:2])
    for k in range(G.shape[2]):
        acc = B.uadd(acc, np.abs(G[:, :, k]))
    return acc


def _add_vector(z: Zono, v) -> Zono:
    """``z + v`` for a float vector ``v`` (the sum rounded outward into the box)."""
    with np.errstate(all="ignore"):
        lo = B.down(z.c + v[None, :])
        hi = B.up(z.c + v[None, :])
    c, r = B.mid_rad(Interval(lo, hi))
    return Zono(c, z.G, B.uadd(z.b, r), z.bad)


@B.quiet
def diag_affine_step(z: Zono, wc, wr, bc, br, fmt: FloatFormat) -> Zono:
    """The zonotope after the elementwise ``fl(fl(w~ * y) + b~)`` (either part may be None)."""
    c, G, b = z.c, z.G, z.b
    radius = z.radius()
    with np.errstate(all="ignore"):
        ymag = B.up(np.abs(c) + radius)
    box = np.zeros_like(b)
    A = ymag
    if wc is not None:
        clo, chi = _pprod(c, wc[None, :])
        c, r = B.mid_rad(Interval(clo, chi))
        glo, ghi = _pprod(G, wc[None, :, None])
        G, gr = B.mid_rad(Interval(glo, ghi))
        box = B.uadd(r, _usum([gr[:, :, k] for k in range(G.shape[2])]) if G.shape[2] else 0.0)
        b = B.umul(np.abs(wc)[None, :], b)
        wabs = B.uadd(np.abs(wc), wr)
        box = B.uadd(box, B.umul(wr[None, :], ymag))
        A = B.umul(wabs[None, :], ymag)
        # own rounding of the product
        box = B.uadd(box, B.uadd(B.umul(fmt.u, A), fmt.eta))
        A = B.uadd(A, B.uadd(B.umul(fmt.u, A), fmt.eta))
    out = Zono(c, G, B.uadd(b, box), z.bad)
    if bc is not None:
        out = _add_vector(out, bc)
        tot = B.uadd(A, B.uadd(np.abs(bc), br)[None, :])
        out = Zono(out.c, out.G, B.uadd(out.b, B.uadd(br[None, :], B.umul(fmt.u, tot))), out.bad)
    out.mark(~(A <= fmt.max / 4).all(axis=1))
    out.mark(~out.finite())
    return out


@B.quiet
def layernorm_step(z: Zono, groups: int, eps: tuple, fmt: FloatFormat, algorithms=ALGORITHMS, *,
                   stats: FloatFormat | None = None, max_generators: int = MAX_GENERATORS) -> Zono:
    """The zonotope after a LayerNorm without its elementwise affine (see module docstring).

    ``eps`` is ``(lo, hi)``: the hull of the floating-point eps values.
    """
    N, n = z.c.shape
    s = n // groups
    K = z.G.shape[2]
    E_int = Interval(np.float64(eps[0]), np.float64(eps[1]))
    lo, hi = z.hull()
    X = Interval(np.where(np.isnan(lo), -np.inf, lo).reshape(N, groups, s),
                 np.where(np.isnan(hi), np.inf, hi).reshape(N, groups, s))
    ex = ln_exact(X, E_int)
    pairs = variants(algorithms)
    # entries 0 and 1 of a group that are exact negatives of each other in every member of the zonotope
    # (the constructions' (a, -a, c)): Welford's second step is then exact
    neg = None
    if s >= 2 and (stats is None or stats.u <= fmt.u):
        cg, bg = z.c.reshape(N, groups, s), z.b.reshape(N, groups, s)
        Gg = z.G.reshape(N, groups, s, K)
        neg = (cg[..., 1] == -cg[..., 0]) & (bg[..., 0] == 0) & (bg[..., 1] == 0)
        if K:
            neg &= np.all(Gg[..., 1, :] == -Gg[..., 0, :], axis=-1)
    Cr = None
    if len(pairs) == 1:  # one algorithm and formula: its rounding error is a zonotope (shared symbols)
        Cr, Rr, ok = ln_rounding_forms(X, E_int, fmt, pairs[0], stats=stats, exact=ex, negated=neg)
        E = Rr
    else:  # several: the per-entry maximum, of the linearised or of the magnitude bounds (both rigorous)
        E, ok = ln_rounding_linear(X, E_int, fmt, pairs, stats=stats, exact=ex, negated=neg)
        E_mag, ok_mag = ln_rounding_bound(X, E_int, fmt, sorted({a.partition("/")[0] for a in algorithms}),
                                          stats=stats, exact=ex)
        E, ok = np.minimum(E, E_mag), ok | ok_mag
    # LN at the centre (a point: tight intervals)
    C = Interval(z.c.reshape(N, groups, s), z.c.reshape(N, groups, s))
    exc = ln_exact(C, E_int)
    ok &= exc.positive & ex.positive
    Hc = Interval(np.stack([h.lo for h in exc.H], axis=-1), np.stack([h.hi for h in exc.H], axis=-1))
    cn, box = B.mid_rad(Hc)
    # Jacobian J_ij = (P_ij - h_i h_j / s) / sigma, at the centre (the linear part) and over the box
    sp = Interval(np.float64(s), np.float64(s))

    def jacobian(e):
        lo = np.empty((N, groups, s, s))
        hi = np.empty((N, groups, s, s))
        for i in range(s):
            for j in range(s):
                hh = _IA.square(e.H[i]) if i == j else e.H[i] * e.H[j]
                p = (1.0 if i == j else 0.0) - 1.0 / s
                P = Interval(B.down(np.float64(p)), B.up(np.float64(p))) if s != 1 else Interval(0.0, 0.0)
                Jij = (P - hh / sp) / e.S
                lo[..., i, j] = Jij.lo
                hi[..., i, j] = Jij.hi
        return Interval(lo, hi)

    Jc = jacobian(exc)
    J0, JRc = B.mid_rad(Jc)
    J0 = np.where(np.isfinite(J0), J0, 0.0)
    JX = jacobian(ex)
    JRx = np.maximum(np.abs(B.down(JX.lo - J0)), np.abs(B.up(JX.hi - J0)))  # |[J]_X - J0|
    # block-diagonal matrices (N, n, n)
    Jfull = np.zeros((N, n, n))
    for g in range(groups):
        sl = slice(g * s, (g + 1) * s)
        Jfull[:, sl, sl] = J0[:, g]
    c_dummy = np.zeros((N, n))
    _, Gn, lbox = _linear(Jfull, c_dummy, z.G, z.b)
    box = B.uadd(box.reshape(N, n), lbox)
    D = z.radius()
    Dg = D.reshape(N, groups, s)
    # remainder |J(xi) D - J0 D| per entry, two rigorous bounds, the smaller one kept:
    # (a) |[J]_X - J0| |D|;
    # (b) from J(xi) D = (P D) / sigma - (h / sigma) (h . D) / s, whose cancellations (P annihilates
    #     the mean, h / sigma is small where h is) a box loses:
    #     |P D|_i w(1/sigma) + (|h_i/sigma| sum_j w(h_j) |D_j| + w(h_i/sigma) |h(c) . D|) / s + |Jc - J0| |D|
    rem_a = np.zeros((N, groups, s))
    rem_c = np.zeros((N, groups, s))
    for i in range(s):
        for j in range(s):
            rem_a[..., i] = B.uadd(rem_a[..., i], B.umul(JRx[..., i, j], Dg[..., j]))
            rem_c[..., i] = B.uadd(rem_c[..., i], B.umul(JRc[..., i, j], Dg[..., j]))
    Gg = z.G.reshape(N, groups, s, K)
    bg = z.b.reshape(N, groups, s)
    # |P D|_i: generators centred exactly (outward), the box through |P|
    if K:
        mlo = mhi = None
        for j in range(s):
            mlo = Gg[..., j, :] if mlo is None else B.down(mlo + Gg[..., j, :])
            mhi = Gg[..., j, :] if mhi is None else B.up(mhi + Gg[..., j, :])
        mlo, mhi = B.down(mlo / s), B.up(mhi / s)
    bsum = _usum([bg[..., j] for j in range(s)])
    PD = np.zeros((N, groups, s))
    for i in range(s):
        if K:
            cen = np.maximum(np.abs(B.down(Gg[..., i, :] - mhi)), np.abs(B.up(Gg[..., i, :] - mlo)))
            PD[..., i] = _usum([cen[..., k] for k in range(K)])
        # (1 - 1/s) b_i + (1/s) sum_{j != i} b_j <= b_i + sum_j b_j / s
        PD[..., i] = B.uadd(PD[..., i], B.uadd(bg[..., i], B.udiv(bsum, float(s))))
    one = Interval(np.float64(1.0), np.float64(1.0))
    invS = one / ex.S
    w_inv = B.up(invS.hi - invS.lo)
    Hs = [h / ex.S for h in ex.H]
    wH = [B.up(h.hi - h.lo) for h in ex.H]
    Hc_mid = [B.mid_rad(h)[0] for h in exc.H]
    Hc_rad = [B.mid_rad(h)[1] for h in exc.H]
    # |h(c) . D| <= sum_k |mid(h(c)) . G_k| + sum_j (rad h_j(c) |D_j| + |h_j(c)| b_j)
    Qc = np.zeros((N, groups))
    if K:
        qlo = qhi = None
        for j in range(s):
            plo, phi = _pprod(Hc_mid[j][..., None], Gg[..., j, :])
            qlo = plo if qlo is None else B.down(qlo + plo)
            qhi = phi if qhi is None else B.up(qhi + phi)
        qm = np.maximum(np.abs(qlo), np.abs(qhi))
        Qc = _usum([qm[..., k] for k in range(K)])
    for j in range(s):
        Qc = B.uadd(Qc, B.uadd(B.umul(Hc_rad[j], Dg[..., j]), B.umul(B.mag(exc.H[j]), bg[..., j])))
    cross = _usum([B.umul(wH[j], Dg[..., j]) for j in range(s)])
    rem_b = np.zeros((N, groups, s))
    for i in range(s):
        t = B.uadd(B.umul(B.mag(Hs[i]), cross), B.umul(B.up(Hs[i].hi - Hs[i].lo), Qc))
        rem_b[..., i] = B.uadd(B.uadd(B.umul(PD[..., i], w_inv), B.udiv(t, float(s))), rem_c[..., i])
    rem_b = np.where(np.isnan(rem_b), np.inf, rem_b)
    rem_a = np.where(np.isnan(rem_a), np.inf, rem_a)
    second = np.minimum(rem_a, rem_b).reshape(N, n)
    box = B.uadd(box, second)
    box = B.uadd(box, np.where(np.isnan(E), np.inf, E).reshape(N, n))
    if Cr is not None and Cr.shape[-1]:
        Kr = Cr.shape[-1]
        R = np.zeros((N, n, groups * Kr))
        for g in range(groups):
            R[:, g * s:(g + 1) * s, g * Kr:(g + 1) * Kr] = Cr[:, g]
        Gn = np.concatenate([Gn, np.where(np.isfinite(R), R, 0.0)], axis=2)
        box = np.where(np.isfinite(Cr).all(axis=-1).reshape(N, n), box, np.inf)
    out = Zono(cn.reshape(N, n), Gn, box, z.bad)
    out.mark(~ok.all(axis=1))
    out.mark(~out.finite())
    return reduce_order(out, max_generators)


@B.quiet
def reduce_order(z: Zono, max_generators: int = MAX_GENERATORS) -> Zono:
    """Merge generators down to ``max_generators`` (see module docstring); zero columns are dropped first."""
    G = z.G
    K = G.shape[2]
    if K <= max_generators:
        return z
    with np.errstate(all="ignore"):
        # sizes relative to each entry's scale: a generator that matters for a small entry is kept
        scale = np.abs(z.c) + z.radius() + 1e-300
        norms = (np.abs(G) / scale[:, :, None]).sum(axis=1)
        order = np.argsort(-norms, axis=1, kind="stable")
        Gs = np.take_along_axis(G, order[:, None, :], axis=2)
        keep = Gs[:, :, : max_generators - 1]
        rest = Gs[:, :, max_generators - 1:]
        v = rest[:, :, 0]
        vv = (v * v).sum(axis=1)
        alpha = np.where(vv[:, None] > 0, (rest * v[:, :, None]).sum(axis=1) / np.where(vv > 0, vv, 1.0)[:, None], 0.0)
        alpha = np.where(np.isfinite(alpha), alpha, 0.0)
        # residues g_k - a_k v, outward
        plo, phi = _pprod(alpha[:, None, :], v[:, :, None])
        rlo = B.down(rest - phi)
        rhi = B.up(rest - plo)
        res = np.maximum(np.abs(rlo), np.abs(rhi))
        box = _usum([res[:, :, k] for k in range(res.shape[2])])
        A = _usum([np.abs(alpha[:, k]) for k in range(alpha.shape[1])])
        gen = A[:, None] * v
        box = B.uadd(box, B.uadd(B.umul(2.0 * _U64, np.abs(gen)), _ETA64))
        # rows that are exact negatives of each other in every member stay so: their (equal, opposite)
        # residues form one generator instead of two independent box entries
        extra = []
        for i, j in negated_rows(z):
            mask = _negated_mask(z, i, j)
            if not np.any(mask):
                continue
            col = np.zeros(box.shape)
            both = np.maximum(box[:, i], box[:, j])
            col[:, i] = np.where(mask, both, 0.0)
            col[:, j] = np.where(mask, -both, 0.0)
            box[:, i] = np.where(mask, 0.0, box[:, i])
            box[:, j] = np.where(mask, 0.0, box[:, j])
            extra.append(col[:, :, None])
    out = Zono(z.c, np.concatenate([keep, gen[:, :, None]] + extra, axis=2), B.uadd(z.b, box), z.bad)
    out.mark(~out.finite())
    return out


def _negated_mask(z: Zono, i: int, j: int):
    """Per point: are entries ``i`` and ``j`` exact negatives of each other in every member of ``z``?"""
    m = (z.c[:, j] == -z.c[:, i]) & (z.b[:, i] == 0) & (z.b[:, j] == 0)
    if z.G.shape[2]:
        m &= np.all(z.G[:, j, :] == -z.G[:, i, :], axis=1)
    return m


def negated_rows(z: Zono):
    """Candidate pairs ``(i, j)``, ``i < j``, of entries that are exact negatives somewhere."""
    n = z.n
    return [(i, j) for i in range(n) for j in range(i + 1, n) if np.any(z.c[:, j] == -z.c[:, i])]
