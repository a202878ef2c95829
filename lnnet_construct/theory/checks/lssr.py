r"""``lssr-affine-invariance`` and ``lssr-ln-breaks``: the two LSSR statements of MATH.md §5 (ours).

Everything is exact: LSSR values are rationals (or algebraic numbers after a
LayerNorm) from :mod:`lnnet_construct.theory.ssr`, compared exactly.  The
base LSSR is cross-checked against an independent formula (sympy's
pseudo-inverse), and ranks are exact (sympy over QQ).

Minimality of every LSSR is checked three ways, on scatter matrices computed
here (not by :mod:`~lnnet_construct.theory.ssr`): an exact certificate
(``S_W - LSSR S_T`` is positive semidefinite, by a rational LDL^T, see
:func:`is_psd_exact`), an independent optimiser (the generalised
eigenproblem in mpmath, :func:`mp_minimiser`, whose minimiser is rounded to a
rational direction and its SSR computed exactly), and exact SSRs at random
rational directions.  A direction below the LSSR is a refutation; the
optimiser never decides ``holds``.

Proofs: ``proofs/lssr-affine-invariance.md``, ``proofs/lssr-ln-breaks.md``.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from lnnet_construct.theory import ssr as ssr_mod
from lnnet_construct.theory.checks._support import Claims, exact_text, random_rational, rng_for
from lnnet_construct.theory.registry import Outcome, Param, Theorem

__all__ = ["THEOREMS", "generate_affine", "check_affine", "generate_breaks", "check_breaks", "lssr_pinv",
           "is_psd_exact", "mp_minimiser", "scatter_exact"]

AFFINE_ID = "lssr-affine-invariance"
BREAKS_ID = "lssr-ln-breaks"


def _q(x: Fraction) -> sympy.Rational:
    return sympy.Rational(x.numerator, x.denominator)


def lssr_pinv(x1, x2) -> Fraction:
    r"""``1 - (m1 m2/m) Delta^T S_T^+ Delta`` with sympy's ``Matrix.pinv`` (an independent oracle).

    >>> lssr_pinv([[0, 0], [1, 1]], [[1, 0], [0, 1]])
    Fraction(1, 1)
    """
    p1 = sympy.Matrix([[_q(Fraction(v)) for v in p] for p in x1])
    p2 = sympy.Matrix([[_q(Fraction(v)) for v in p] for p in x2])
    m1, m2 = p1.rows, p2.rows
    allp = p1.col_join(p2)
    mu = sympy.ones(1, m1 + m2) * allp / (m1 + m2)
    delta = (sympy.ones(1, m1) * p1 / m1 - sympy.ones(1, m2) * p2 / m2).T
    c = allp - sympy.ones(m1 + m2, 1) * mu
    st = c.T * c
    val = 1 - sympy.Rational(m1 * m2, m1 + m2) * (delta.T * st.pinv() * delta)[0, 0]
    val = sympy.simplify(val)
    if not val.is_Rational:  # rational data give a rational LSSR
        raise ArithmeticError(f"pseudo-inverse LSSR is not rational: {val}")
    return Fraction(int(val.p), int(val.q))


# ----------------------------------------------------------------------------- minimality


def scatter_exact(x1, x2) -> tuple:
    """``(S_W, S_T)`` as lists of Fraction rows, computed directly from the definitions (rational points).

    >>> scatter_exact([[0], [2]], [[1]])
    ([[Fraction(2, 1)]], [[Fraction(2, 1)]])
    """
    p1 = [[Fraction(v) for v in p] for p in x1]
    p2 = [[Fraction(v) for v in p] for p in x2]
    d = len(p1[0])

    def mean(ps):
        return [sum((p[j] for p in ps), Fraction(0)) / len(ps) for j in range(d)]

    def scatter(ps, mu):
        return [[sum(((p[i] - mu[i]) * (p[j] - mu[j]) for p in ps), Fraction(0)) for j in range(d)]
                for i in range(d)]

    s1, s2 = scatter(p1, mean(p1)), scatter(p2, mean(p2))
    return ([[a + b for a, b in zip(r1, r2)] for r1, r2 in zip(s1, s2)], scatter(p1 + p2, mean(p1 + p2)))


def is_psd_exact(mat) -> bool:
    """Exact test that a symmetric rational matrix is positive semidefinite (LDL^T with Schur complements).

    A symmetric M is PSD iff either ``M00 > 0`` and the Schur complement
    ``M' - v v^T / M00`` is PSD, or ``M00 = 0``, the first row is zero and
    the rest is PSD (a PSD matrix with a zero diagonal entry has a zero row).

    >>> is_psd_exact([[1, 1], [1, 1]]), is_psd_exact([[0, 1], [1, 5]]), is_psd_exact([[2, 1], [1, -1]])
    (True, False, False)
    """
    m = [[Fraction(v) for v in row] for row in mat]
    while m:
        a = m[0][0]
        if a < 0:
            return False
        rest = [row[1:] for row in m[1:]]
        if a == 0:
            if any(v != 0 for v in m[0][1:]):
                return False
            m = rest
            continue
        v = m[0][1:]
        m = [[rest[i][j] - v[i] * v[j] / a for j in range(len(v))] for i in range(len(v))]
    return True


def mp_minimiser(sw, st, dps: int = 40):
    r"""Minimise ``a^T S_W a / a^T S_T a`` numerically (mpmath), independently of :mod:`.ssr`.

    The range of ``S_T`` (eigenvectors with eigenvalue above ``10^-(dps/2)``
    of the largest) carries a generalised symmetric eigenproblem
    ``A y = lambda B y``; with ``B = L L^T`` it is the ordinary one of
    ``L^-1 A L^-T``.  Returns ``(value, direction)``, floating point
    (mpmath), or None if ``S_T = 0``.  Never a verdict: the caller rounds the
    direction to a rational and computes its SSR exactly.

    >>> v, a = mp_minimiser([[1, 0], [0, 2]], [[2, 0], [0, 3]])
    >>> round(float(v), 12), abs(float(a[1])) < 1e-30   # the minimum 1/2 is at a = e_0
    (0.5, True)
    """
    import mpmath

    ctx = mpmath.mp.clone() if hasattr(mpmath.mp, "clone") else mpmath.MPContext()
    ctx.dps = dps
    S = ctx.matrix([[ctx.mpf(Fraction(v).numerator) / Fraction(v).denominator for v in r] for r in st])
    W = ctx.matrix([[ctx.mpf(Fraction(v).numerator) / Fraction(v).denominator for v in r] for r in sw])
    d = S.rows
    ev, Q = ctx.eigsy(S)
    top = max(abs(ev[i]) for i in range(d))
    if top == 0:
        return None
    keep = [i for i in range(d) if ev[i] > top * ctx.mpf(10) ** (-(dps // 2))]
    U = ctx.matrix(d, len(keep))
    for c, i in enumerate(keep):
        for r in range(d):
            U[r, c] = Q[r, i]
    B, A = U.T * S * U, U.T * W * U
    L = ctx.cholesky(B)
    Li = ctx.inverse(L)
    C = Li * A * Li.T
    C = (C + C.T) / 2
    lam, Y = ctx.eigsy(C)
    k = min(range(len(keep)), key=lambda i: lam[i])
    y = ctx.matrix([Y[i, k] for i in range(len(keep))])
    a = U * (Li.T * y)
    return lam[k], [a[i] for i in range(d)]


def _quad(m, a):
    return sum((a[i] * m[i][j] * a[j] for i in range(len(a)) for j in range(len(a))), Fraction(0))


def _ssr_exact(sw, st, a):
    den = _quad(st, a)
    return None if den == 0 else _quad(sw, a) / den


def _minimality_claims(cl: Claims, x1, x2, value, rng, name: str = "X", directions: int = 0) -> None:
    """Claims that ``value`` is the minimum of SSR_a over all a (see the module docstring)."""
    import mpmath

    sw, st = scatter_exact(x1, x2)
    d = len(sw)
    gap = [[sw[i][j] - value * st[i][j] for j in range(d)] for i in range(d)]
    cl.add(f"LSSR({name}) is minimal: S_W - LSSR S_T is positive semidefinite (exact LDL^T)", is_psd_exact(gap))
    if not directions:
        return
    found = mp_minimiser(sw, st)
    if found is not None:
        val, a = found
        scale = max(abs(v) for v in a)
        q = [Fraction(mpmath.nstr(v / scale, 30)).limit_denominator(10**15) for v in a]
        got = _ssr_exact(sw, st, q)
        cl.add(f"an independent optimiser (mpmath generalised eigenproblem) finds no direction with SSR below "
               f"LSSR({name}): its minimiser, rounded to a rational, has exact SSR >= LSSR",
               None if got is None else got >= value,
               optimiser_value=mpmath.nstr(val, 20), rounded_ssr_minus_lssr=None if got is None
               else mpmath.nstr(mpmath.mpf((got - value).numerator) / (got - value).denominator, 5))
    worst = None
    for _ in range(directions):
        a = [random_rational(rng, -3, 3, (1, 2, 3)) for _ in range(d)]
        r = _ssr_exact(sw, st, a)
        if r is not None and (worst is None or r < worst):
            worst = r
    cl.add(f"{directions} random rational directions: exact SSR_a >= LSSR({name})",
           None if worst is None else worst >= value, smallest=None if worst is None else exact_text(worst))


# ----------------------------------------------------------------------------- affine invariance


def _matrix(rng, rows, cols, lo=-3, hi=3):
    return [[random_rational(rng, lo, hi, (1, 1, 2)) for _ in range(cols)] for _ in range(rows)]


def _matmul(a, b):
    return [[sum((a[i][k] * b[k][j] for k in range(len(b))), Fraction(0)) for j in range(len(b[0]))]
            for i in range(len(a))]


def _rank(w) -> int:
    return sympy.Matrix([[_q(v) for v in row] for row in w]).rank()


def _apply(w, b, pts):
    return [tuple(sum((wi * xi for wi, xi in zip(row, p)), Fraction(0)) + bi for row, bi in zip(w, b)) for p in pts]


def generate_affine(m: int = 8, d: int = 3, seed: int = 0) -> dict:
    """Two random rational classes in Q^d (both non-empty, not all equal) and six affine maps.

    The maps: invertible ``d x d``; injective ``(d+1) x d``; rank ``d-1``
    square; wide ``(d-1) x d``; rank 1 into R; and a composition of two
    affine layers ``R^d -> R^(d+1) -> R^2``.
    """
    rng = rng_for(AFFINE_ID, seed)
    while True:
        pts = [tuple(random_rational(rng, -4, 4, (1, 2, 3)) for _ in range(d)) for _ in range(m)]
        labels = [0, 1] + [rng.randint(0, 1) for _ in range(m - 2)]
        rng.shuffle(labels)
        if len(set(pts)) > 1:
            break
    x1 = [p for p, lab in zip(pts, labels) if lab == 0]
    x2 = [p for p, lab in zip(pts, labels) if lab == 1]

    def full_rank(rows, cols):
        while True:
            w = _matrix(rng, rows, cols)
            if _rank(w) == min(rows, cols):
                return w

    def bias(k):
        return [random_rational(rng, -3, 3) for _ in range(k)]

    maps = [
        ("invertible d x d", full_rank(d, d), bias(d)),
        ("injective (d+1) x d", full_rank(d + 1, d), bias(d + 1)),
        ("rank d-1, d x d", _matmul(full_rank(d, d - 1), full_rank(d - 1, d)), bias(d)),
        ("wide (d-1) x d", full_rank(d - 1, d), bias(d - 1)),
        ("rank 1 into R", full_rank(1, d), bias(1)),
    ]
    w1, b1 = full_rank(d + 1, d), bias(d + 1)
    w2, b2 = full_rank(2, d + 1), bias(2)
    # W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2): a composition of linear layers.
    wc = _matmul(w2, w1)
    bc = [sum((w2[i][k] * b1[k] for k in range(d + 1)), Fraction(0)) + b2[i] for i in range(2)]
    maps.append(("composition R^d -> R^(d+1) -> R^2", wc, bc))
    probes = [[random_rational(rng, -3, 3) for _ in range(len(w))] for _, w, _ in maps]
    return {"seed": seed, "x1": x1, "x2": x2, "maps": maps, "probes": probes}


def check_affine(instance: dict) -> Outcome:
    """Affine invariance on each map: LSSR(f(X)) >= LSSR(X), equality when W is injective."""
    from lnnet_construct.errors import InputError

    cl = Claims()
    x1, x2 = instance["x1"], instance["x2"]
    d = len(x1[0])
    base = ssr_mod.lssr(x1, x2)
    cl.add("LSSR(X) equals the independent sympy pseudo-inverse formula", base == lssr_pinv(x1, x2),
           lssr=exact_text(base))
    a = ssr_mod.lssr_direction(x1, x2)
    cl.add("the minimum is attained: SSR_a(X) = LSSR(X) at a = lssr_direction(X)", ssr_mod.ssr(x1, x2, a) == base)
    _minimality_claims(cl, x1, x2, base, rng_for(AFFINE_ID + ":directions", instance["seed"]), directions=64)
    rows, strict = [], 0
    for (name, w, b), probe in zip(instance["maps"], instance["probes"]):
        f1, f2 = _apply(w, b, x1), _apply(w, b, x2)
        rank = _rank(w)
        row = {"map": name, "shape": [len(w), d], "rank": rank, "injective": rank == d,
               "weight": [[exact_text(v) for v in r] for r in w], "bias": [exact_text(v) for v in b]}
        try:
            after = ssr_mod.lssr(f1, f2)
        except InputError as e:  # f maps every point to one value: LSSR(f(X)) undefined
            row.update(after=None, note=str(e))
            rows.append(row)
            continue
        row["after"] = exact_text(after)
        cl.add(f"{name}: LSSR(f(X)) >= LSSR(X)", after >= base, after=exact_text(after), before=exact_text(base))
        _minimality_claims(cl, f1, f2, after, None, name=f"f(X), {name}")
        if rank == d:
            cl.add(f"{name}: injective, so LSSR(f(X)) = LSSR(X)", after == base)
        strict += after > base
        # The proof's identity: SSR_a(f(X)) = SSR_{W^T a}(X).
        wta = [sum((w[i][j] * probe[i] for i in range(len(w))), Fraction(0)) for j in range(d)]
        try:
            lhs = ssr_mod.ssr(f1, f2, probe)
        except InputError:
            lhs = None
        if lhs is not None:
            cl.add(f"{name}: SSR_a(f(X)) = SSR_(W^T a)(X) at a random a", lhs == ssr_mod.ssr(x1, x2, wta))
        rows.append(row)
    status = cl.status
    summary = (f"LSSR(X) = {exact_text(base)}; {len(rows)} affine maps, none lowered it"
               f" ({strict} raised it strictly)" if status == "holds"
               else f"not proven: {', '.join(cl.failed())}")
    return Outcome(status, summary, {
        "claims": cl.items, "lssr_before": exact_text(base), "maps": rows, "strict_increases": strict,
        "x1": [[exact_text(v) for v in p] for p in x1], "x2": [[exact_text(v) for v in p] for p in x2],
        "seed": instance["seed"],
    })


# ----------------------------------------------------------------------------- LN breaks the bound


def generate_breaks(seed: int = 0) -> dict:
    """``seed = 0``: the canonical witness (h = 1, eps = 0); otherwise random rational h > 0, eps >= 0."""
    if seed == 0:
        return {"seed": 0, "h": Fraction(1), "eps": Fraction(0)}
    rng = rng_for(BREAKS_ID, seed)
    return {"seed": seed, "h": random_rational(rng, 1, 4, (1, 2, 3, 5)),
            "eps": rng.choice([Fraction(0), random_rational(rng, 0, 2, (2, 3, 7))])}


def _mean(points):
    return tuple(sum(c, Fraction(0)) / len(points) for c in zip(*points))


def check_breaks(instance: dict) -> Outcome:
    """The XOR witness (exact) and the 1-D version: LSSR 1 before, 0 after one LN layer."""
    from lnnet_construct.arith import Sign, get_arith
    from lnnet_construct.ops import layer_norm
    from lnnet_construct.predict import predict

    cl = Claims()
    h, eps = instance["h"], instance["eps"]
    w = ssr_mod.xor_witness(h=h, eps=eps)
    cl.add("XOR class means coincide (so every projection has SSR 1)", _mean(w.x1) == _mean(w.x2))
    cl.add("LSSR(XOR) = 1 before the network", w.lssr_before == 1, value=exact_text(w.lssr_before))
    cl.add("each class collapses to one read-out value, and the two values differ (exact signs)", w.collapsed,
           readout_A=[exact_text(v) for v in w.readout1], readout_B=[exact_text(v) for v in w.readout2])
    cl.add("LSSR of the LN outputs (in R^3) = 0", w.lssr_after_ln == 0, value=exact_text(w.lssr_after_ln))
    cl.add("LSSR of the read-out = 0 < 1", w.lssr_after == 0, value=exact_text(w.lssr_after))
    net = w.to_network()
    pts = list(w.x1) + list(w.x2)
    want = ["A"] * len(w.x1) + ["B"] * len(w.x2)
    got = predict(net, pts, arith="exact")
    cl.add("the one-LN network classifies XOR (exact evaluation)", got == want, predictions=got,
           depth=net.depth, width=net.width)

    # 1-D version: X1 = {-1, 1}, X2 = {0}, layer v2 . LN(t v1 + h v2).
    A = get_arith("sympy")
    v1, v2 = (1, -1, 0), (1, 1, -2)
    hs = sympy.Rational(h.numerator, h.denominator)
    epss = sympy.Rational(eps.numerator, eps.denominator)

    def read(t):
        y = layer_norm([t * a + hs * b for a, b in zip(v1, v2)], eps=epss, arith=A)
        return sympy.radsimp(sum(b * yi for b, yi in zip(v2, y)))

    one1, one2 = [[-1], [1]], [[0]]
    before = ssr_mod.lssr(one1, one2)
    r1 = [read(sympy.Integer(t[0])) for t in one1]
    r2 = [read(sympy.Integer(t[0])) for t in one2]
    collapsed = A.sign(r1[0] - r1[1]) is Sign.ZERO and A.sign(r1[0] - r2[0]) is not Sign.ZERO
    after = ssr_mod.lssr([[v] for v in r1], [[v] for v in r2])
    cl.add("1-D: LSSR({-1, 1} vs {0}) = 1 before", before == 1, value=exact_text(before))
    cl.add("1-D: v2.LN(t v1 + h v2) maps -1 and 1 to one value, 0 to another", collapsed,
           values_X1=[exact_text(v) for v in r1], values_X2=[exact_text(v) for v in r2])
    cl.add("1-D: LSSR after = 0", after == 0, value=exact_text(after))
    summary = ("LSSR 1 -> 0 through one LN layer (XOR and 1-D), exact" if cl.status == "holds"
               else f"not proven: {', '.join(cl.failed())}")
    return Outcome(cl.status, summary, {"claims": cl.items, "h": exact_text(h), "eps": exact_text(eps),
                                        "seed": instance["seed"]})


THEOREMS = (
    Theorem(
        id=AFFINE_ID,
        title="Affine maps never lower the LSSR",
        statement=(
            "For two classes X1, X2 and every affine map f(x) = W x + b (including any composition of linear "
            "layers), LSSR(f(X1), f(X2)) >= LSSR(X1, X2), with equality when W is injective. Linear networks "
            "therefore cannot make data more linearly separable in the LSSR sense."
        ),
        formula="LSSR(W X + b) >= LSSR(X), with '=' if rank W = d; LSSR = 1 - (m1 m2/m) Delta^T S_T^+ Delta",
        source=("ours (MATH.md §5, its 'Proposition 1': MATH.md's numbering, not the paper's); context: the "
                "seed's summary names an SSR/LSSR framework, and the seed lists a Proposition 1 of the paper that "
                "begins with a linear network; its statement, SSR formula and LSSR are not in the seeds"),
        mode="exact",
        params=(
            Param("m", 8, 2, 200, "number of points (both classes non-empty)"),
            Param("d", 3, 2, 8, "input dimension"),
            Param("seed", 0, None, None, "seed of the points, labels and maps"),
        ),
        generate=generate_affine,
        check=check_affine,
    ),
    Theorem(
        id=BREAKS_ID,
        title="One LayerNorm lowers the LSSR",
        statement=(
            "There are data and a network with one LN layer whose output has a smaller LSSR than its input: "
            "XOR has LSSR 1 (the class means coincide); rotating by 45 degrees, fixing the second coordinate "
            "to h > 0, applying LN on three neurons and reading the v2 coordinate collapses each class to one "
            "value, so the LSSR drops to 0. The 1-D version: X1 = {-1, 1}, X2 = {0} under v2.LN(t v1 + h v2)."
        ),
        formula="LSSR(XOR) = 1, LSSR(v2.LN(A x + h v2)) = 0; LSSR({-1,1},{0}) = 1 -> 0",
        source=("ours (MATH.md §5, its 'Proposition 2': MATH.md's numbering, not the paper's); context: the "
                "seed's summary says the paper shows with SSR/LSSR that LN induces nonlinearity, and its figure 1 "
                "caption describes solving XOR; the statement, witness and values are ours"),
        mode="exact",
        params=(Param("seed", 0, 0, None, "0: the canonical witness h = 1, eps = 0; other seeds: random rational h > 0, eps >= 0"),),
        generate=generate_breaks,
        check=check_breaks,
    ),
)
