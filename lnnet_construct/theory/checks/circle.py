r"""``ln-circle``: the circle lemma and the fold identities of MATH.md §2, symbolically.

Every identity is checked on sympy symbols through the package's single
LayerNorm (:func:`lnnet_construct.ops.layer_norm` with the ``sympy``
arithmetic), so what is proven is a property of the code the constructions
run.  The rational spot checks (seeded) go through :func:`lnnet_construct.fold.fold_value`
in exact arithmetic, the function the constructions call.

Proof: ``proofs/ln-circle.md``.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from lnnet_construct.theory.checks._support import Claims, all3, exact_text, rng_for, random_rational, symbolic_zero
from lnnet_construct.theory.registry import Outcome, Param, Theorem

__all__ = ["THEOREMS", "generate", "check", "fold_symbolic"]

ID = "ln-circle"

_S2, _S3, _S6 = sympy.sqrt(2), sympy.sqrt(3), sympy.sqrt(6)
U1 = (1 / _S2, -1 / _S2, sympy.Integer(0))
U2 = (1 / _S6, 1 / _S6, -2 / _S6)
V1 = (sympy.Integer(1), sympy.Integer(-1), sympy.Integer(0))
V2 = (sympy.Integer(1), sympy.Integer(1), sympy.Integer(-2))


def _ln(z, eps):
    from lnnet_construct.arith import get_arith
    from lnnet_construct.ops import layer_norm

    return layer_norm(list(z), eps=eps, arith=get_arith("sympy"))


def _dot(p, q):
    return sum((a * b for a, b in zip(p, q)), sympy.Integer(0))


def fold_symbolic(t, c, h, eps, basis: str = "orthonormal"):
    r"""``e2 · LN((t - c) e1 + h e2)`` through the package's LayerNorm, on sympy values.

    ``basis="orthonormal"`` uses ``u1, u2``; ``"rational"`` uses ``v1 = (1,-1,0)``,
    ``v2 = (1,1,-2)``.

    >>> t, c = sympy.symbols("t c", real=True)
    >>> sympy.simplify(fold_symbolic(c, c, 1, 0))     # at the fold centre: sqrt(3)
    sqrt(3)
    """
    e1, e2 = (U1, U2) if basis == "orthonormal" else (V1, V2)
    z = [(t - c) * a + h * b for a, b in zip(e1, e2)]
    return _dot(e2, _ln(z, eps))


def generate(seed: int = 0, m: int = 4) -> dict:
    """Rational spot-check data: ``m`` fold centres/heights/eps and pairs of points."""
    rng = rng_for(ID, seed)
    spots = []
    for _ in range(m):
        c = random_rational(rng)
        h = random_rational(rng, 1, 4)
        eps = rng.choice([Fraction(0), random_rational(rng, 0, 2)])
        d1 = random_rational(rng, 1, 5)
        d2 = d1 + random_rational(rng, 1, 3)           # |t2 - c| > |t1 - c|
        spots.append({"c": c, "h": h, "eps": eps, "near": c - d1, "mirror": c + d1, "far": c + d2})
    return {"seed": seed, "spots": spots}


def check(instance: dict) -> Outcome:
    """Check every identity of MATH.md §2 (see the module docstring)."""
    cl = Claims()
    t, c, a, b = sympy.symbols("t c a b", real=True)
    h, delta, lam, gap = sympy.symbols("h delta lambda g", positive=True)
    eps = sympy.Symbol("epsilon", nonnegative=True)
    x = sympy.symbols("x0:3", real=True)

    # §1.1 / §2.1: LN(x) lies in 1^perp and, with eps = 0, on the sphere of radius sqrt(3).
    y = _ln(x, eps)
    cl.add("LN_eps(x) lies in the plane 1^perp: sum_i LN(x)_i = 0", symbolic_zero(sum(y)))
    y0 = _ln(x, 0)
    cl.add("||LN(x)||^2 = 3 for eps = 0 (a circle of radius sqrt3 in 1^perp)",
           symbolic_zero(_dot(y0, y0) - 3))
    circ = _ln([a * p + b * q for p, q in zip(U1, U2)], 0)
    want = [_S3 * (a * p + b * q) / sympy.sqrt(a**2 + b**2) for p, q in zip(U1, U2)]
    cl.add("LN(a u1 + b u2) = sqrt3 (a u1 + b u2) / sqrt(a^2 + b^2)",
           all3(symbolic_zero(g - w) for g, w in zip(circ, want)))

    # §2.2: the fold formula in the orthonormal basis, with and without eps.
    s = fold_symbolic(t, c, h, eps)
    f_eps = h / sympy.sqrt(((t - c) ** 2 + h**2) / 3 + eps)
    cl.add("s(t) = u2.LN((t-c) u1 + h u2) = h / sqrt(((t-c)^2 + h^2)/3 + eps)", symbolic_zero(s - f_eps),
           formula=str(f_eps))
    s0 = fold_symbolic(t, c, h, 0)
    f0 = _S3 * h / sympy.sqrt((t - c) ** 2 + h**2)
    cl.add("s(t) = sqrt3 h / sqrt((t-c)^2 + h^2) for eps = 0", symbolic_zero(s0 - f0), formula=str(f0))

    # Rational basis: v2.LN((t-c) v1 + h v2) = 6h / sqrt((2(t-c)^2 + 6h^2)/3 + eps).
    r = fold_symbolic(t, c, h, eps, "rational")
    fr = 6 * h / sympy.sqrt((2 * (t - c) ** 2 + 6 * h**2) / 3 + eps)
    cl.add("tau(t) = v2.LN((t-c) v1 + h v2) = 6h / sqrt((2(t-c)^2 + 6h^2)/3 + eps)", symbolic_zero(r - fr),
           formula=str(fr))
    r0 = fold_symbolic(t, c, h, 0, "rational")
    cl.add("tau(t) = sqrt3 * 6h / sqrt(2(t-c)^2 + 6h^2) for eps = 0",
           symbolic_zero(r0 - _S3 * 6 * h / sympy.sqrt(2 * (t - c) ** 2 + 6 * h**2)))

    # Evenness about c and strict decrease in |t - c|.
    cl.add("evenness: s(c + delta) = s(c - delta)",
           symbolic_zero(fold_symbolic(c + delta, c, h, eps) - fold_symbolic(c - delta, c, h, eps)))
    ds = sympy.diff(fold_symbolic(c + delta, c, h, eps), delta)
    ds_closed = -h * delta / (3 * (((delta**2 + h**2) / 3 + eps) ** sympy.Rational(3, 2)))
    cl.add("ds/d delta at t = c + delta equals -h delta / (3 (((delta^2 + h^2)/3 + eps)^(3/2)))",
           symbolic_zero(ds - ds_closed), derivative=str(ds_closed))
    neg = ds_closed.is_negative
    cl.add("strict decrease: that derivative is < 0 for delta > 0, h > 0, eps >= 0",
           True if neg is True else (False if neg is False else None))
    cl.add("with eps = 0 only the direction of (t - c, h) matters: s(c + lam delta; lam h) = s(c + delta; h)",
           symbolic_zero(fold_symbolic(c + lam * delta, c, lam * h, 0) - fold_symbolic(c + delta, c, h, 0)))

    # Exact merge with the 45-degree choice c = (t1 + tj)/2, h = (tj - t1)/2: level sqrt(3/2).
    t1 = t
    tj = t + gap
    cm, hm = (t1 + tj) / 2, (tj - t1) / 2
    cl.add("exact merge: s(t1) = s(tj) when c = (t1+tj)/2 (any h > 0, eps >= 0)",
           symbolic_zero(fold_symbolic(t1, cm, h, eps) - fold_symbolic(tj, cm, h, eps)))
    left = fold_symbolic(t1, cm, hm, 0)
    cl.add("merged level is sqrt(3/2) for h = (tj - t1)/2, eps = 0",
           symbolic_zero(left - sympy.sqrt(sympy.Rational(3, 2))))
    cl.add("merged level in the rational basis is 3 sqrt(3/2)",
           symbolic_zero(fold_symbolic(t1, cm, hm, 0, "rational") - 3 * sympy.sqrt(sympy.Rational(3, 2))))

    spots = _spot_checks(instance["spots"], cl)
    summary = (f"{cl.counts['holds']} of {len(cl.items)} identities proven"
               + ("" if cl.status == "holds" else f"; not proven: {', '.join(cl.failed())}"))
    return Outcome(cl.status, summary, {"claims": cl.items, "spot_checks": spots, "seed": instance["seed"]})


def _spot_checks(spots, cl: Claims) -> list:
    """The package's fold (exact arithmetic) against the closed form at rational points."""
    from lnnet_construct.arith import Sign, get_arith
    from lnnet_construct.fold import fold_value

    A = get_arith("exact")
    rows, ok_formula, ok_even, ok_order = [], True, True, True
    for sp in spots:
        c, h, eps = sp["c"], sp["h"], sp["eps"]
        vals = {k: fold_value(sp[k], c, h, eps, A) for k in ("near", "mirror", "far")}
        # closed form tau = 6h / sqrt((2(t-c)^2 + 6h^2)/3 + eps), squared: rational
        for k, v in vals.items():
            want_sq = 36 * h * h / ((2 * (sp[k] - c) ** 2 + 6 * h * h) / 3 + eps)
            ok_formula &= A.sign(v) is Sign.POSITIVE and A.sign(v * v - want_sq) is Sign.ZERO
        ok_even &= A.sign(vals["near"] - vals["mirror"]) is Sign.ZERO
        ok_order &= A.sign(vals["mirror"] - vals["far"]) is Sign.POSITIVE
        rows.append({**{k: exact_text(v) for k, v in sp.items()},
                     **{f"tau_{k}": exact_text(v) for k, v in vals.items()}})
    cl.add("fold.fold_value (exact) equals the rational-basis closed form at the spot points", ok_formula)
    cl.add("fold.fold_value merges mirror points exactly (exact sign 0)", ok_even)
    cl.add("fold.fold_value is strictly smaller farther from c (exact sign)", ok_order)
    return rows


THEOREMS = (
    Theorem(
        id=ID,
        title="Circle lemma and the fold",
        statement=(
            "LayerNorm on three neurons (eps = 0) maps onto the circle of radius sqrt3 in the plane 1^perp. "
            "Embedding a scalar t as (t - c) u1 + h u2 (h > 0) and reading the u2 coordinate gives "
            "s(t) = h / sqrt(((t-c)^2 + h^2)/3 + eps): even about c (mirror points merge exactly) and "
            "strictly decreasing in |t - c|, i.e. one fold of the line at c. With the rational basis "
            "v1 = (1,-1,0), v2 = (1,1,-2) the read-out is 6h / sqrt((2(t-c)^2 + 6h^2)/3 + eps)."
        ),
        formula=(
            "sum LN(x) = 0; ||LN(x)||^2 = 3 (eps = 0); LN(a u1 + b u2) = sqrt3 (a u1 + b u2)/sqrt(a^2+b^2); "
            "u2.LN((t-c) u1 + h u2) = h/sqrt(((t-c)^2+h^2)/3+eps); s(c+delta) = s(c-delta); "
            "ds/d|t-c| < 0; s(t1) = s(tj) = sqrt(3/2) for c = (t1+tj)/2, h = (tj-t1)/2"
        ),
        source="ours (MATH.md §2: the engine of every construction)",
        mode="exact",
        params=(
            Param("seed", 0, None, None, "seed of the rational spot checks"),
            Param("m", 4, 1, 50, "number of rational spot checks of fold.fold_value"),
        ),
        generate=generate,
        check=check,
    ),
)
