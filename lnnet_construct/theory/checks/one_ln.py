r"""``ln2-sign`` and ``ln-one-stationary``: LayerNorm on two neurons, and one-LN networks (MATH.md §8).

``ln2-sign``: LN on two neurons is ``sign(a - b) (1, -1)`` for ``eps = 0`` and
``(t, -t)/sqrt(t^2 + eps)`` with ``t = (a - b)/2`` for ``eps > 0`` -- proven
symbolically on the package's LayerNorm, then confirmed exactly at random
rational inputs, including LN-G with groups of two (a layer of sigmoidal
units).

``ln-one-stationary``: for ``f(x) = a^T LN_eps(w x + b) + c`` on a scalar,
``f'(x) q(x)^{3/2}`` is affine in ``x`` -- proven by symbolic differentiation
of the package's LayerNorm and compared with the closed form -- so ``f`` has
at most one stationary point.  Independently of any derivative, the exact
values of ``f`` on a rational grid change direction at most once (exactly
once when the stationary point lies inside the grid, never when it lies
outside), and ``f``
cannot match ``+-1`` alternating at four points within error ``< 1`` (while
three alternating points can be matched, so four is the right count).

The alternation claim is tested where it is tight (:func:`near_miss`): each
network is rescaled (``s (f - l)``, rational ``s``, ``l``) so that it peaks
near ``+1`` at its stationary point and crosses 0 on both sides, and four
points are put at the left crossing, near the stationary point and just
past the right crossing.  Three errors are then below 1 and the fourth just
above; how close is reported (``near_misses``).  The points are chosen in
mpmath; every decision is exact.

Proofs: ``proofs/ln2-sign.md``, ``proofs/ln-one-stationary.md``.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from lnnet_construct.theory import one_ln as ol
from lnnet_construct.theory.checks._support import Claims, all3, exact_text, random_rational, rng_for, symbolic_zero
from lnnet_construct.theory.registry import Outcome, Param, Theorem

__all__ = ["THEOREMS", "generate_ln2", "check_ln2", "generate_stationary", "check_stationary", "BUMP", "near_miss"]

LN2_ID = "ln2-sign"
STAT_ID = "ln-one-stationary"

#: A one-LN bump (the fold of MATH.md §2 with c = 0, h = 1) shifted down: f(0) > 0 > f(+-3).
BUMP = {"a": (1, 1, -2), "w": (1, -1, 0), "b": (1, 1, -2), "c": Fraction(-318, 100), "eps": Fraction(0)}


# ----------------------------------------------------------------------------- ln2-sign


def generate_ln2(m: int = 6, seed: int = 0) -> dict:
    """``m`` random rational pairs (a, b) with a random eps (0 for the first half), and a grouped input."""
    rng = rng_for(LN2_ID, seed)
    pairs = []
    for i in range(m):
        a, b = random_rational(rng), random_rational(rng)
        if a == b:
            b += 1
        eps = Fraction(0) if i < (m + 1) // 2 else random_rational(rng, 1, 3, (2, 3, 5))
        pairs.append((a, b, eps))
    grouped = [random_rational(rng) for _ in range(2 * m)]
    return {"seed": seed, "pairs": pairs, "grouped": grouped, "grouped_eps": random_rational(rng, 0, 2, (3, 7))}


def check_ln2(instance: dict) -> Outcome:
    """See the module docstring."""
    from lnnet_construct.arith import Sign, get_arith
    from lnnet_construct.errors import ZeroVarianceError
    from lnnet_construct.ops import layer_norm

    S, E = get_arith("sympy"), get_arith("exact")
    cl = Claims()
    b = sympy.Symbol("b", real=True)
    delta, eps = sympy.symbols("delta epsilon", positive=True)
    up = layer_norm([b + delta, b], eps=0, arith=S)
    down = layer_norm([b - delta, b], eps=0, arith=S)
    cl.add("eps = 0, a > b: LN(a, b) = (1, -1)", _all_zero([up[0] - 1, up[1] + 1]))
    cl.add("eps = 0, a < b: LN(a, b) = (-1, 1)", _all_zero([down[0] + 1, down[1] - 1]))
    a = sympy.Symbol("a", real=True)
    y = layer_norm([a, b], eps=eps, arith=S)
    t = (a - b) / 2
    cl.add("eps > 0: LN(a, b) = (t, -t)/sqrt(t^2 + eps), t = (a - b)/2",
           _all_zero([y[0] - t / sympy.sqrt(t**2 + eps), y[1] + t / sympy.sqrt(t**2 + eps)]))
    tt = sympy.Symbol("t", real=True)
    sig = tt / sympy.sqrt(tt**2 + eps)
    dsig = sympy.diff(sig, tt)
    cl.add("t/sqrt(t^2 + eps) is a sigmoid: derivative eps/(t^2+eps)^(3/2) > 0, limits -1 and 1",
           all3([symbolic_zero(dsig - eps / (tt**2 + eps) ** sympy.Rational(3, 2)),
                 (eps / (tt**2 + eps) ** sympy.Rational(3, 2)).is_positive,
                 sympy.limit(sig, tt, sympy.oo) == 1 and sympy.limit(sig, tt, -sympy.oo) == -1]))
    try:
        layer_norm([Fraction(2), Fraction(2)], eps=0, arith=E)
        undefined = False
    except ZeroVarianceError:
        undefined = True
    cl.add("eps = 0, a = b: LN(a, a) is undefined (zero variance is refused)", undefined)
    rows, ok = [], True
    for av, bv, ev in instance["pairs"]:
        got = layer_norm([av, bv], eps=ev, arith=E)
        want = ol.ln2(av, bv, ev)
        ok &= all(E.sign(g - w) is Sign.ZERO for g, w in zip(got, want))
        if ev == 0:
            ok &= got[0] == (1 if av > bv else -1)
        rows.append({"a": exact_text(av), "b": exact_text(bv), "eps": exact_text(ev), "LN": [exact_text(v) for v in got]})
    cl.add(f"layer_norm equals the closed form exactly at {len(rows)} rational pairs", ok)
    x, ge = instance["grouped"], instance["grouped_eps"]
    grouped = layer_norm(x, eps=ge, groups=len(x) // 2, arith=E)
    units = [v for i in range(0, len(x), 2) for v in ol.ln2(x[i], x[i + 1], ge)]
    cl.add("LN-G with groups of two = independent two-neuron units (a layer of sigmoids)",
           all(E.sign(g - u) is Sign.ZERO for g, u in zip(grouped, units)), width=len(x))
    summary = ("LN on two neurons is a sign unit (eps = 0) or t/sqrt(t^2+eps), symbolically and exactly"
               if cl.status == "holds" else f"not proven: {', '.join(cl.failed())}")
    return Outcome(cl.status, summary, {"claims": cl.items, "pairs": rows, "seed": instance["seed"]})


def _all_zero(exprs) -> bool | None:
    return all3(symbolic_zero(e) for e in exprs)


# ----------------------------------------------------------------------------- ln-one-stationary


def _centre(v):
    m = sum(v, Fraction(0)) / len(v)
    return [e - m for e in v]


def _parallel(u, v) -> bool:
    return all(u[i] * v[j] == u[j] * v[i] for i in range(len(u)) for j in range(i + 1, len(u)))


def _mp_f(a, w, b, c, eps, x, ctx):
    """Floating-point ``f(x)`` (mpmath; choosing points only, never a verdict)."""
    z = [ctx.mpf(wi.numerator) / wi.denominator * x + ctx.mpf(bi.numerator) / bi.denominator for wi, bi in zip(w, b)]
    mu = ctx.fsum(z) / len(z)
    q = ctx.fsum((e - mu) ** 2 for e in z) / len(z) + ctx.mpf(eps.numerator) / eps.denominator
    return ctx.fsum(ctx.mpf(ai.numerator) / ai.denominator * (e - mu) for ai, e in zip(a, z)) / ctx.sqrt(q) \
        + ctx.mpf(c.numerator) / c.denominator


def _rat(x, ctx, den: int = 10**9) -> Fraction:
    return Fraction(ctx.nstr(x, 25)).limit_denominator(den)


def near_miss(net: dict, rng, configs: int = 3):
    """Rescaled copies of a one-LN network with four points where the alternation bound is nearly tight.

    Parameters
    ----------
    net : dict
        ``a, w, b, c, eps`` (rationals).
    rng : random.Random
        Jitters the points (``configs`` configurations).
    configs : int

    Returns
    -------
    list of dict
        Each ``{"a", "w", "b", "c", "eps", "xs"}`` with ``g = s (f - l)``:
        ``g(x_1) < 0`` left of ``x_0``, ``g(x_2) ~ 1`` at the stationary
        point ``x_0``, ``0 > g(x_3) > g(x_4)`` just right of the right zero
        (after negating f if ``x_0`` is a minimum).  Empty if f has no
        stationary point, is undefined somewhere, or is too flat.
    """
    import mpmath

    a, w, b, c, eps = (net[k] for k in ("a", "w", "b", "c", "eps"))
    st = ol.stationary_points(a, w, b, c, eps)
    if st.constant or st.undefined_at or len(st.points) != 1:
        return []
    ctx = mpmath.mp.clone()
    ctx.dps = 40
    x0 = st.points[0]
    X0 = ctx.mpf(x0.numerator) / x0.denominator
    f0 = _mp_f(a, w, b, c, eps, X0, ctx)
    if f0 < _mp_f(a, w, b, c, eps, X0 + 1, ctx):   # a minimum: negate so that x0 is the maximum
        a, c = [-v for v in a], -c
        f0 = -f0
    p = _centre(w)
    pa = sum((x * y for x, y in zip(a, p)), Fraction(0))
    pn = ctx.sqrt(sum((v * v for v in p), Fraction(0)))
    lim = [ctx.mpf(c.numerator) / c.denominator + sg * ctx.sqrt(len(a)) * pa / pn for sg in (1, -1)]
    top = max(lim)
    if not f0 - top > ctx.mpf(10) ** -6 * (1 + abs(f0)):
        return []
    level = _rat(top + (f0 - top) / 2, ctx)
    scale = _rat(1 / (f0 - level), ctx)
    if scale <= 0:
        return []
    a2, c2 = [scale * v for v in a], scale * (c - level)

    def g(x):
        return _mp_f(a2, w, b, c2, eps, x, ctx)

    def crossing(direction):
        step = ctx.mpf(1)
        while g(X0 + direction * step) >= 0:
            step *= 2
            if step > 2**60:
                return None
        lo, hi = X0, X0 + direction * step   # g(lo) > 0 > g(hi)
        for _ in range(120):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if g(mid) > 0 else (lo, mid)
        return hi, abs(hi - X0)

    right, left = crossing(1), crossing(-1)
    if right is None or left is None:
        return []
    out = []
    for _ in range(configs):
        span = right[1]
        x3 = _rat(right[0] + span * ctx.mpf(rng.uniform(1, 9)) * ctx.mpf(10) ** -7, ctx, 10**12)
        x4 = _rat(right[0] + span * ctx.mpf(rng.uniform(2, 9)) * ctx.mpf(10) ** -6, ctx, 10**12)
        x2 = _rat(X0 + span * ctx.mpf(rng.uniform(-1, 1)) * ctx.mpf(10) ** -3, ctx, 10**12)
        X1 = left[0] - left[1] * ctx.mpf(rng.uniform(0.01, 0.5))
        while g(X1) < -ctx.mpf(3) / 2:   # keep g(x1) in (-2, 0): within 1 of -1
            X1 = (X1 + left[0]) / 2
        x1 = _rat(X1, ctx, 10**12)
        if not x1 < x2 < x3 < x4:
            continue
        out.append({"a": a2, "w": list(w), "b": list(b), "c": c2, "eps": eps, "xs": [x1, x2, x3, x4]})
    return out


def generate_stationary(d: int = 3, m: int = 4, seed: int = 0) -> dict:
    """``m`` random one-LN networks ``(a, w, b, c, eps)`` on width ``d``, and four increasing points each.

    Half use ``eps = 0``; for those (when ``d >= 3``) ``Pw`` and ``Pb`` are not
    parallel, so ``f`` is defined everywhere.
    """
    rng = rng_for(STAT_ID, seed)
    nets = []
    while len(nets) < m:
        eps = Fraction(0) if len(nets) % 2 == 0 else random_rational(rng, 1, 2, (2, 3, 5))
        a = [random_rational(rng, -3, 3) for _ in range(d)]
        w = [random_rational(rng, -3, 3) for _ in range(d)]
        b = [random_rational(rng, -3, 3) for _ in range(d)]
        u, v = _centre(w), _centre(b)
        if all(e == 0 for e in u) or (eps == 0 and d >= 3 and _parallel(u, v)):
            continue
        xs = sorted({random_rational(rng, -4, 4, (1, 2)) for _ in range(8)})
        if len(xs) < 4:
            continue
        pick = sorted(rng.sample(xs, 4))
        nets.append({"a": a, "w": w, "b": b, "c": random_rational(rng, -2, 2), "eps": eps, "xs": pick})
    grid = [Fraction(k, 2) for k in range(-12, 13)]
    jitter = rng_for(STAT_ID + ":near", seed)
    near = [nm for net in nets for nm in near_miss(net, jitter)]
    return {"d": d, "seed": seed, "nets": nets, "grid": grid, "near": near}


def _direction_changes(values, E) -> int:
    """How often consecutive differences change sign (zeros ignored), decided exactly."""
    from lnnet_construct.arith import Sign

    signs = [E.sign(q - p) for p, q in zip(values, values[1:])]
    signs = [s for s in signs if s is not Sign.ZERO]
    return sum(1 for s, t in zip(signs, signs[1:]) if s is not t)


def check_stationary(instance: dict) -> Outcome:
    """See the module docstring."""
    from lnnet_construct.arith import Sign, get_arith

    E = get_arith("exact")
    cl = Claims()
    rows = []
    for k, net in enumerate(instance["nets"]):
        a, w, b, c, eps = net["a"], net["w"], net["b"], net["c"], net["eps"]
        try:
            poly = ol.derivative_numerator_symbolic(a, w, b, eps)
            coeffs = [Fraction(int(q.p), int(q.q)) for q in poly.all_coeffs()]
            affine_ok = poly.degree() <= 1
        except ArithmeticError as e:  # the symbolic derivative is not affine: a counterexample
            cl.add(f"net {k}: f'(x) q(x)^(3/2) is affine in x (symbolic, package LN)", False, error=str(e))
            continue
        alpha, beta = ol.derivative_numerator(a, w, b, eps)
        closed = [alpha, beta] if alpha != 0 else [beta]   # Poly.all_coeffs() drops a zero leading term
        cl.add(f"net {k}: f'(x) q(x)^(3/2) = alpha x + beta (symbolic = closed form)",
               affine_ok and coeffs == closed,
               alpha=exact_text(alpha), beta=exact_text(beta))
        st = ol.stationary_points(a, w, b, c, eps)
        cl.add(f"net {k}: at most one stationary point", st.constant or len(st.points) <= 1,
               points=[exact_text(p) for p in st.points], constant=st.constant)
        grid = [x for x in instance["grid"] if x not in st.undefined_at]
        values = [ol.one_ln_value(a, w, b, c, eps, x, arith=E) for x in grid]
        changes = _direction_changes(values, E)
        cl.add(f"net {k}: exact values on a {len(grid)}-point grid change direction at most once", changes <= 1,
               changes=changes)
        # The values must also agree with where the derivative says f turns.
        if not st.constant and not st.undefined_at:
            x0 = st.points[0] if st.points else None
            if x0 is not None and grid[1] <= x0 <= grid[-2]:
                cl.add(f"net {k}: the grid turns once, as the stationary point {exact_text(x0)} inside it says",
                       changes == 1)
            elif x0 is None or x0 < grid[0] or x0 > grid[-1]:
                cl.add(f"net {k}: the grid is monotone, as no stationary point lies inside it", changes == 0)
        alt = ol.alternation_bound_holds(a, w, b, c, eps, net["xs"])
        cl.add(f"net {k}: cannot match +-1 alternating at four points within error < 1", alt.holds,
               xs=[exact_text(x) for x in net["xs"]])
        rows.append({"a": [exact_text(v) for v in a], "w": [exact_text(v) for v in w],
                     "b": [exact_text(v) for v in b], "c": exact_text(c), "eps": exact_text(eps)})
    # The alternation bound where it is nearly tight: three errors < 1, the fourth just above.
    near_rows = []
    for k, nm in enumerate(instance.get("near", ())):
        alt = ol.alternation_bound_holds(nm["a"], nm["w"], nm["b"], nm["c"], nm["eps"], nm["xs"])
        targets = (-1, 1, -1, 1)
        three = all(E.sign(v - t - 1) is Sign.NEGATIVE and E.sign(v - t + 1) is Sign.POSITIVE
                    for v, t in zip(alt.values[:3], targets))
        near_rows.append({"xs": [exact_text(x) for x in nm["xs"]], "three_within_1": three,
                          # evidence only (float): how close the bound came
                          "largest_error": max(abs(E.to_float(v) - t) for v, t in zip(alt.values, targets))})
        cl.add(f"near miss {k}: cannot match +-1 alternating at four points near the stationary point",
               alt.holds, xs=near_rows[-1]["xs"], three_within_1=three)
    # Tightness: a bump matches three alternating points (-1, 1, -1) within error < 1 ...
    bump = [ol.one_ln_value(BUMP["a"], BUMP["w"], BUMP["b"], BUMP["c"], BUMP["eps"], x, arith=E) for x in (-3, 0, 3)]
    within = all(E.sign(v - t - 1) is Sign.NEGATIVE and E.sign(v - t + 1) is Sign.POSITIVE
                 for v, t in zip(bump, (-1, 1, -1)))
    cl.add("three alternating points CAN be matched within error < 1 (a one-LN bump), so four is the right count",
           within, values=[exact_text(v) for v in bump])
    # ... but not four.
    cl.add("the same bump cannot match four alternating points",
           ol.alternation_bound_holds(BUMP["a"], BUMP["w"], BUMP["b"], BUMP["c"], BUMP["eps"], [-3, -1, 1, 3]).holds)
    summary = (f"{len(rows)} random one-LN networks: f' q^(3/2) affine, <= 1 stationary point, no 4-point "
               "alternation; 3 points matchable" if cl.status == "holds"
               else f"not proven: {', '.join(cl.failed())}")
    return Outcome(cl.status, summary, {"claims": cl.items, "networks": rows, "near_misses": near_rows,
                                        "d": instance["d"], "seed": instance["seed"]})


THEOREMS = (
    Theorem(
        id=LN2_ID,
        title="LayerNorm on two neurons is a sign unit",
        statement=(
            "On two neurons, LN(a, b) = sign(a - b) (1, -1) when eps = 0 (undefined at a = b), and "
            "LN_eps(a, b) = (t, -t)/sqrt(t^2 + eps) with t = (a - b)/2 when eps > 0, a sigmoid in t. A parallel "
            "LN with groups of two is therefore a layer of sign or sigmoidal units."
        ),
        formula="LN(a, b) = sign(a-b) (1, -1) (eps = 0); LN_eps(a, b) = (t, -t)/sqrt(t^2 + eps), t = (a-b)/2",
        source="ours (MATH.md §1.1, §8; context: seed 001, parallel LN)",
        mode="exact",
        params=(
            Param("m", 6, 1, 100, "number of random rational pairs"),
            Param("seed", 0, None, None, "seed of the pairs"),
        ),
        generate=generate_ln2,
        check=check_ln2,
    ),
    Theorem(
        id=STAT_ID,
        title="One-LN networks have at most one stationary point",
        statement=(
            "For f(x) = a^T LN_eps(w x + b) + c on a scalar x, f'(x) q(x)^(3/2) is affine in x, where "
            "q(x) = ||P(w x + b)||^2/d + eps. So f has at most one stationary point (or is constant), and cannot "
            "match +-1 alternating at four points within error < 1."
        ),
        formula="f'(x) q(x)^(3/2) = alpha x + beta; #{x : f'(x) = 0} <= 1; max_i |f(x_i) - (-1)^i s| >= 1 (4 points)",
        source="ours (MATH.md §8; context: seed 001, parallel LN)",
        mode="exact",
        params=(
            Param("d", 3, 2, 8, "LayerNorm width"),
            Param("m", 4, 1, 50, "number of random networks"),
            Param("seed", 0, None, None, "seed of the networks and points"),
        ),
        generate=generate_stationary,
        check=check_stationary,
    ),
)
