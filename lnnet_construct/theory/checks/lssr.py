r"""``lssr-affine-invariance`` and ``lssr-ln-breaks``: the two LSSR statements of MATH.md §5 (ours).

Everything is exact: LSSR values are rationals (or algebraic numbers after a
LayerNorm) from :mod:`lnnet_construct.theory.ssr`, compared exactly.  The
base LSSR is cross-checked against an independent formula (sympy's
pseudo-inverse), and ranks are exact (sympy over QQ).

Proofs: ``proofs/lssr-affine-invariance.md``, ``proofs/lssr-ln-breaks.md``.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from lnnet_construct.theory import ssr as ssr_mod
from lnnet_construct.theory.checks._support import Claims, exact_text, random_rational, rng_for
from lnnet_construct.theory.registry import Outcome, Param, Theorem

__all__ = ["THEOREMS", "generate_affine", "check_affine", "generate_breaks", "check_breaks", "lssr_pinv"]

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
