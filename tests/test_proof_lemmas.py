"""Symbolic checks of the lemmas that the proofs in ``proofs/*.md`` cite.

Each ``proofs/<id>.md`` ends with a "Lemma checks" list of pytest node ids
in this file; ``test_every_proof_cites_existing_lemma_tests`` keeps the two
in step.

The point of this file is an *independent oracle*: nothing here imports
``lnnet_construct``.  Layer normalization is written out again, directly
from the formula of MATH.md section 1.1 (population variance)::

    LN_eps(x) = (x - mu 1) / sqrt(var + eps),
    mu = (1/d) sum_i x_i,  var = (1/d) sum_i (x_i - mu)^2.

Identities are checked on real sympy symbols wherever that is affordable,
otherwise at exact rational points.  Where a square root makes
``simplify`` weak, an identity ``A/sqrt(Q) == B/sqrt(R)`` is checked on its
parts (``A == B`` and ``Q == R`` as polynomials or rational functions),
which proves it.  The one floating-point test is labelled as such; it only
checks the decimals printed in MATH.md.
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
from fractions import Fraction
from pathlib import Path

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sympy.solvers.simplex import InfeasibleLPError, lpmin

ROOT = Path(__file__).resolve().parents[1]
PROOFS = ROOT / "proofs"

THEOREM_IDS = (
    "ln-circle",
    "lssr-affine-invariance",
    "lssr-ln-breaks",
    "thm-binary",
    "thm-multiclass",
    "vc-lower-bound",
    "lng-hessian",
    "ln-rmsnorm-fold",
    "ln-lipschitz",
    "ln2-sign",
    "ln-one-stationary",
    "gram-isometry",
    "fold-chain-sign-changes",
    "vc-upper-bound",
    "vc-line-width3",
)

# --------------------------------------------------------------------------
# The oracle: LN from the MATH.md formula, nothing else.
# --------------------------------------------------------------------------


def ln_parts(x, eps=0):
    """Return ``(x - mu 1, var + eps)``; LN is the first over sqrt of the second."""
    d = len(x)
    mu = sp.Add(*x) / d
    centred = [xi - mu for xi in x]
    var = sp.Add(*[ci**2 for ci in centred]) / d
    return centred, var + eps


def ln(x, eps=0):
    centred, radicand = ln_parts(x, eps)
    return [ci / sp.sqrt(radicand) for ci in centred]


def dot(u, v):
    return sp.Add(*[a * b for a, b in zip(u, v)])


def is_zero_poly(expr):
    """Exact test for a polynomial / rational-function identity."""
    return sp.cancel(sp.expand(expr)) == 0


def exact_rational(expr):
    """Reduce an expression that must be a rational number; fail if it is not one."""
    value = sp.expand(sp.radsimp(sp.expand(expr)))
    assert value.is_Rational, value
    return value


def is_zero_algebraic(expr):
    """Exact test for an algebraic *number*: its minimal polynomial is ``x``."""
    z = sp.Symbol("z")
    return sp.minimal_polynomial(expr, z) == z


U1 = [1 / sp.sqrt(2), -1 / sp.sqrt(2), 0]
U2 = [1 / sp.sqrt(6), 1 / sp.sqrt(6), -2 / sp.sqrt(6)]
V1 = [1, -1, 0]
V2 = [1, 1, -2]
ONES3 = [1, 1, 1]


# --------------------------------------------------------------------------
# 1.1 basic LN identities
# --------------------------------------------------------------------------


@pytest.mark.parametrize("d", [2, 3, 4, 5])
def test_ln_zero_mean(d):
    x = sp.symbols(f"x0:{d}", real=True)
    eps = sp.Symbol("eps", nonnegative=True)
    centred, _ = ln_parts(x, eps)
    # sum LN_i = (sum centred_i) / sqrt(var+eps), so the numerator decides.
    assert is_zero_poly(sp.Add(*centred))


@pytest.mark.parametrize("d", [2, 3, 4, 5])
def test_ln_norm_squared_is_d(d):
    x = sp.symbols(f"x0:{d}", real=True)
    centred, var = ln_parts(x, 0)
    # ||LN||^2 = sum centred_i^2 / var, and sum centred_i^2 = d var exactly.
    assert is_zero_poly(sp.Add(*[c**2 for c in centred]) - d * var)


@pytest.mark.parametrize("d", [3, 4])
def test_ln_scale_shift_invariance(d):
    x = sp.symbols(f"x0:{d}", real=True)
    scale = sp.Symbol("c", positive=True)
    shift = sp.Symbol("t", real=True)
    centred, var = ln_parts(x, 0)
    centred2, var2 = ln_parts([scale * xi + shift for xi in x], 0)
    for a, b in zip(centred2, centred):
        assert is_zero_poly(a - scale * b)
    assert is_zero_poly(var2 - scale**2 * var)
    # sqrt(c^2 var) = c sqrt(var) needs c > 0; the ratio is then LN(x).
    for a, b in zip(ln([scale * xi + shift for xi in x]), ln(x)):
        assert sp.simplify(a - b) == 0


@pytest.mark.parametrize("d", [2, 3, 4])
def test_ln_eps_shift_invariance(d):
    x = sp.symbols(f"x0:{d}", real=True)
    eps = sp.Symbol("eps", nonnegative=True)
    shift = sp.Symbol("t", real=True)
    centred, q = ln_parts(x, eps)
    centred2, q2 = ln_parts([xi + shift for xi in x], eps)
    assert all(is_zero_poly(a - b) for a, b in zip(centred, centred2))
    assert is_zero_poly(q - q2)


@pytest.mark.parametrize("d", [3, 4])
def test_ln_equals_sqrt_d_unit_projection(d):
    x = sp.symbols(f"x0:{d}", real=True)
    P = sp.eye(d) - sp.ones(d, d) / d
    Px = P * sp.Matrix(x)
    centred, var = ln_parts(x, 0)
    assert all(is_zero_poly(a - b) for a, b in zip(centred, Px))
    # LN = Px / sqrt(var) = sqrt(d) Px / ||Px||  iff  d var = ||Px||^2
    assert is_zero_poly(d * var - (Px.T * Px)[0, 0])


# --------------------------------------------------------------------------
# 2. circle lemma and the fold
# --------------------------------------------------------------------------


def test_circle_basis_orthonormal():
    for u, v, expected in [(U1, U1, 1), (U2, U2, 1), (U1, U2, 0), (U1, ONES3, 0), (U2, ONES3, 0)]:
        assert exact_rational(dot(u, v)) == expected
    assert dot(V1, V2) == 0 and dot(V1, ONES3) == 0 and dot(V2, ONES3) == 0
    assert dot(V1, V1) == 2 and dot(V2, V2) == 6


def test_circle_lemma():
    a, b = sp.symbols("a b", real=True)
    z = [a * p + b * q for p, q in zip(U1, U2)]
    centred, var = ln_parts(z, 0)
    # z is already centred, and var = (a^2 + b^2)/3
    assert all(sp.radsimp(sp.expand(c - zi)) == 0 for c, zi in zip(centred, z))
    assert sp.expand(var - (a**2 + b**2) / 3) == 0
    # so LN(z) = sqrt3 z / sqrt(a^2+b^2): coordinates sqrt3 (a, b)/sqrt(a^2+b^2)
    y = ln(z)
    r = sp.sqrt(a**2 + b**2)
    assert sp.simplify(dot(y, U1) - sp.sqrt(3) * a / r) == 0
    assert sp.simplify(dot(y, U2) - sp.sqrt(3) * b / r) == 0
    # the circle of radius sqrt3 in 1-perp (squared norm compared as a rational function)
    assert sp.simplify(sp.expand(dot(y, y)) - 3) == 0
    assert sp.simplify(dot(y, ONES3)) == 0


def _fold_symbols():
    t, c = sp.symbols("t c", real=True)
    h = sp.Symbol("h", positive=True)
    eps = sp.Symbol("eps", nonnegative=True)
    return t, c, h, eps


def test_fold_orthonormal_formula():
    t, c, h, eps = _fold_symbols()
    z = [(t - c) * p + h * q for p, q in zip(U1, U2)]
    centred, q = ln_parts(z, eps)
    # ordinate numerator u2 . centred = h, radicand ((t-c)^2+h^2)/3 + eps
    assert sp.radsimp(sp.expand(dot(U2, centred))) == h
    assert sp.expand(q - (((t - c) ** 2 + h**2) / 3 + eps)) == 0
    # eps = 0: h / sqrt(((t-c)^2+h^2)/3) == sqrt3 h / sqrt((t-c)^2+h^2); both > 0, compare squares
    s0 = h / sp.sqrt(((t - c) ** 2 + h**2) / 3)
    target = sp.sqrt(3) * h / sp.sqrt((t - c) ** 2 + h**2)
    assert is_zero_poly(s0**2 - target**2)


def test_fold_rational_basis_formula():
    t, c, h, eps = _fold_symbols()
    z = [(t - c) * p + h * q for p, q in zip(V1, V2)]
    centred, q = ln_parts(z, eps)
    assert sp.expand(dot(V2, centred)) == 6 * h
    assert sp.expand(q - ((2 * (t - c) ** 2 + 6 * h**2) / 3 + eps)) == 0
    s_eps = 6 * h / sp.sqrt(q)
    assert sp.simplify(dot(V2, ln(z, eps)) - s_eps) == 0
    # eps = 0 closed form of MATH.md: sqrt3 * 6h / sqrt(2 (t-c)^2 + 6 h^2)
    s0 = dot(V2, ln(z, 0))
    target = sp.sqrt(3) * 6 * h / sp.sqrt(2 * (t - c) ** 2 + 6 * h**2)
    assert is_zero_poly(s0**2 - target**2)
    # and it is the orthonormal fold at (sqrt2 (t-c), sqrt6 h), read with v2 = sqrt6 u2
    s_orth = sp.sqrt(6) * sp.sqrt(3) * (sp.sqrt(6) * h) / sp.sqrt(2 * (t - c) ** 2 + 6 * h**2)
    assert sp.simplify(s_orth - target) == 0


def _fold_value(t, c, h, eps):
    """Orthonormal-convention fold, written from MATH.md section 2.2."""
    return h / sp.sqrt(((t - c) ** 2 + h**2) / 3 + eps)


def test_fold_even_about_c():
    t, c, h, eps = _fold_symbols()
    delta = sp.Symbol("delta", real=True)
    assert sp.simplify(_fold_value(c + delta, c, h, eps) - _fold_value(c - delta, c, h, eps)) == 0


def test_fold_strictly_decreasing_in_distance():
    u = sp.Symbol("u", real=True)  # u = t - c
    h = sp.Symbol("h", positive=True)
    eps = sp.Symbol("eps", nonnegative=True)
    q = (u**2 + h**2) / 3 + eps
    s = h / sp.sqrt(q)
    # s'(u) q^{3/2} = -h u / 3 and q > 0, so sign s'(u) = -sign(u): strict decrease in |u|
    assert sp.simplify(sp.diff(s, u) * q ** sp.Rational(3, 2) + h * u / 3) == 0
    # monotone padding layer: for c < min t every u = t - c > 0, so the map reverses order
    assert sp.simplify(sp.diff(s, u).subs(u, 1) < 0)


def test_fold_merge_level_at_45_degrees():
    c = sp.Symbol("c", real=True)
    h = sp.Symbol("h", positive=True)
    for t in (c - h, c + h):
        assert sp.simplify(_fold_value(t, c, h, 0) - sp.sqrt(sp.Rational(3, 2))) == 0


def test_eps_scaling_lemma():
    """vc-lower-bound, eps scaling: LN_eps(lam z) = LN_{eps/lam^2}(z) on symbols (d = 3 and 4)."""
    lam, eps = sp.symbols("lam eps", positive=True)
    for d in (3, 4):
        z = sp.symbols(f"z0:{d}", real=True)
        lhs_c, lhs_r = ln_parts([lam * zi for zi in z], eps)
        rhs_c, rhs_r = ln_parts(list(z), eps / lam**2)
        # lhs = lam c / sqrt(lam^2 R): equal parts up to the factor lam, and radicands up to lam^2
        assert all(sp.expand(a - lam * b) == 0 for a, b in zip(lhs_c, rhs_c))
        assert sp.simplify(lhs_r - lam**2 * rhs_r) == 0
        vals = {lam: sp.Rational(7, 3), eps: sp.Rational(1, 5), **{zi: sp.Rational(k * k - 2 * k + 1, k + 1)
                                                                   for k, zi in enumerate(z)}}
        assert all(sp.simplify((a - b).subs(vals)) == 0
                   for a, b in zip(ln([lam * zi for zi in z], eps), ln(list(z), eps / lam**2)))


def test_fold_layer_weights_realise_embedding():
    """The affine rows of the MATH.md table produce (tau - c) v1 + h v2, in 1-perp."""
    c, h = sp.symbols("c h", real=True)
    w = sp.Matrix(sp.symbols("w0:3", real=True))
    x = sp.Matrix(sp.symbols("x0:3", real=True))
    v1, v2 = sp.Matrix(V1), sp.Matrix(V2)
    first = v1 * w.T * x + (-c * v1 + h * v2)
    assert sp.expand(first - ((w.T * x)[0, 0] - c) * v1 - h * v2) == sp.zeros(3, 1)
    y = sp.Matrix(sp.symbols("y0:3", real=True))
    later = v1 * v2.T * y + (-c * v1 + h * v2)
    tau = (v2.T * y)[0, 0]
    assert sp.expand(later - (tau - c) * v1 - h * v2) == sp.zeros(3, 1)
    assert sp.expand(sum(later)) == 0 and sp.expand(sum(first)) == 0


def test_float_form_equals_table():
    """The file's float form (a, -a, -3h) read along (kappa, -kappa, -3) equals the table's value, symbolically."""
    t, c, h, lam, kappa, eps = sp.symbols("t c h lam kappa eps", real=True)
    v1, v2 = sp.Matrix(V1), sp.Matrix(V2)

    def ln(z):
        mu = sum(z) / 3
        var = sum((zi - mu) ** 2 for zi in z) / 3
        return sp.Matrix([(zi - mu) / sp.sqrt(var + eps) for zi in z])

    table = (v2 + kappa * v1).T * ln(lam * ((t - c) * v1 + h * v2))
    a = t - c
    ours = sp.Matrix([kappa, -kappa, -3]).T * ln(lam * sp.Matrix([a, -a, -3 * h]))
    assert sp.simplify(table[0, 0] - ours[0, 0]) == 0
    # and the package writes exactly these rows (independent of the formula above)
    from fractions import Fraction

    from lnnet_construct.fold import fold_layer, read_vector

    lay = fold_layer([Fraction(2), Fraction(-1)], Fraction(1, 3), Fraction(1, 7), Fraction(5))
    assert lay.weight == ((10, -5), (-10, 5), (0, 0)) or [list(r) for r in lay.weight] == [[10, -5], [-10, 5], [0, 0]]
    assert list(lay.bias) == [Fraction(-5, 3), Fraction(5, 3), Fraction(-15, 7)]
    assert list(read_vector(Fraction(1, 2))) == [Fraction(1, 2), Fraction(-1, 2), -3]


def test_worked_example_first_layer_exact():
    # MATH.md 3.2, layer 1 (c=1, h=1): s(t) = sqrt(3 / ((t-1)^2 + 1))
    printed = {5: "0.420084025208", 4: "0.547722557505", 3: "0.774596669241",
               0: "1.22474487139", 2: "1.22474487139", 1: "1.73205080757"}
    for t, text in printed.items():
        s = _fold_value(sp.Integer(t), 1, 1, 0)
        assert sp.simplify(s**2 - sp.Rational(3, (t - 1) ** 2 + 1)) == 0
        digits = len(text.split(".")[1])
        assert abs(sp.N(s, 30) - sp.Rational(text)) < sp.Rational(1, 10**digits)


def test_worked_example_all_layers_mpmath():
    """FLOAT CHECK (mpmath, 60 digits): only confirms the decimals printed in MATH.md 3.2."""
    ctx = mpmath.mp.clone()
    ctx.dps = 60
    tol = ctx.mpf(10) ** -40
    clusters = [(ctx.mpf(t), t % 2, {t}) for t in range(6)]  # (value, label, members)
    printed_c = ["1", "0.597340347225", "0.746035681676", "1.14995060912"]
    printed_h = ["1", "0.177256322017", "0.478709189715", "0.351756032515"]
    layers = 0
    while True:
        clusters.sort(key=lambda cl: cl[0])
        runs = 1 + sum(1 for a, b in zip(clusters, clusters[1:]) if a[1] != b[1])
        if runs <= 2:
            break
        first = clusters[0]
        j = next(k for k in range(1, len(clusters)) if clusters[k][1] == first[1])
        c = (first[0] + clusters[j][0]) / 2
        h = (clusters[j][0] - first[0]) / 2
        assert abs(c - ctx.mpf(printed_c[layers])) < ctx.mpf("1e-11")
        assert abs(h - ctx.mpf(printed_h[layers])) < ctx.mpf("1e-11")
        new = []
        for value, label, members in clusters:
            s = ctx.sqrt(3) * h / ctx.sqrt((value - c) ** 2 + h**2)
            for k, (v2, l2, m2) in enumerate(new):
                if abs(v2 - s) < tol:
                    assert l2 == label
                    new[k] = (v2, l2, m2 | members)
                    break
            else:
                new.append((s, label, set(members)))
        clusters = new
        layers += 1
    assert layers == 4
    assert [sorted(m) for _, _, m in clusters] == [[0, 2, 4], [1, 3, 5]]
    assert abs(clusters[0][0] - ctx.sqrt(ctx.mpf(3) / 2)) < tol


# --------------------------------------------------------------------------
# 3. Theorem 1 (binary) and 3.3 (multi-class): the merge-step lemma
# --------------------------------------------------------------------------


def _fold_sq(t, c, h, eps):
    """Square of the fold value, exact in Fractions: s^2 = 3h^2 / ((t-c)^2 + h^2 + 3 eps)."""
    return 3 * h * h / ((t - c) ** 2 + h * h + 3 * eps)


def _groups(values, labels, c, h, eps):
    """Clusters after one fold, keyed by s^2 (s > 0, so s^2 orders and groups like s)."""
    out = {}
    for t, lab in zip(values, labels):
        out.setdefault(_fold_sq(t, c, h, eps), []).append((t, lab))
    return out


def _runs(labels):
    return 1 + sum(1 for a, b in zip(labels, labels[1:]) if a != b)


_values = st.lists(st.fractions(min_value=-12, max_value=12, max_denominator=4),
                   min_size=3, max_size=9, unique=True)
_eps = st.sampled_from([Fraction(0), Fraction(1, 100), Fraction(3)])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data(), values=_values, eps=_eps, h_scale=st.sampled_from([Fraction(1), Fraction(1, 16), Fraction(5)]))
@example(data=None, values=[Fraction(k) for k in range(6)], eps=Fraction(0), h_scale=Fraction(1))
@example(data=None, values=[Fraction(k) for k in range(4)], eps=Fraction(0), h_scale=Fraction(1))
def test_binary_merge_step_lemma(data, values, eps, h_scale):
    values = sorted(values)
    n = len(values)
    if data is None:  # pinned alternating labels 0,1,0,1,...
        labels = [k % 2 for k in range(n)]
    else:
        labels = data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    if _runs(labels) < 3:
        return
    j = next(k for k in range(1, n) if labels[k] == labels[0])
    c = (values[0] + values[j]) / 2
    h = h_scale * (values[j] - values[0]) / 2
    groups = _groups(values, labels, c, h, eps)
    merged = _fold_sq(values[0], c, h, eps)
    assert _fold_sq(values[j], c, h, eps) == merged            # t_1 and t_j merge exactly
    assert all(len({lab for _, lab in g}) == 1 for g in groups.values())  # no wrong merge
    assert len(groups) <= n - 1                                 # at least one cluster fewer
    assert all(labels[i] != labels[0] for i in range(1, j))     # between: other label
    assert all(_fold_sq(values[i], c, h, eps) > merged for i in range(1, j))
    right = [_fold_sq(values[i], c, h, eps) for i in range(j + 1, n)]
    assert all(r < merged for r in right)                       # right part below, reversed
    assert all(a > b for a, b in zip(right, right[1:]))         # and still distinct


@settings(max_examples=80, deadline=None)
@given(values=_values, data=st.data(), eps=_eps)
@example(values=[Fraction(k) for k in range(4)], data=None, eps=Fraction(0))
def test_admissible_pair_merge_lemma(values, data, eps):
    """A same-label pair folds without a wrong merge iff no different-label pair is symmetric about c."""
    values = sorted(values)
    n = len(values)
    labels = ["A", "B", "C", "A"] if data is None else data.draw(
        st.lists(st.sampled_from("ABC"), min_size=n, max_size=n))
    for a, b in itertools.combinations(range(n), 2):
        if labels[a] != labels[b]:
            continue
        c = (values[a] + values[b]) / 2
        h = (values[b] - values[a]) / 2
        admissible = not any(
            labels[i] != labels[k] and values[i] + values[k] == 2 * c
            for i, k in itertools.combinations(range(n), 2))
        groups = _groups(values, labels, c, h, eps)
        pure = all(len({lab for _, lab in g}) == 1 for g in groups.values())
        assert pure == admissible
        assert len(groups) <= n - 1


def test_projection_direction_separates_points():
    """w = (1, s, s^2, ...) with integer s beyond the Cauchy root bound of every (x_i - x_j).w."""
    pts = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (2, -1, 0), (-3, 0, 1), (0, 3, -1)]
    sv = sp.Symbol("s")
    bound = sp.Integer(0)
    for p, q in itertools.combinations(pts, 2):
        poly = sp.Poly(sum((a - b) * sv**k for k, (a, b) in enumerate(zip(p, q))), sv)
        assert not poly.is_zero  # distinct points give a nonzero polynomial in s
        coeffs = poly.all_coeffs()
        cauchy = 1 + max([abs(ck / coeffs[0]) for ck in coeffs[1:]], default=0)
        assert all(abs(root) < cauchy for root in sp.real_roots(poly))
        bound = max(bound, cauchy)
    s = int(sp.floor(bound)) + 1
    proj = [sum(xk * s**k for k, xk in enumerate(p)) for p in pts]
    assert len(set(proj)) == len(proj)
    # the bound matters: s = 1 makes (1,0,0) and (0,1,0) collide
    assert sum(pts[1]) == sum(pts[2])


def test_nearest_centre_identity():
    tau = sp.Symbol("tau", real=True)
    a = sp.symbols("a0:3", real=True)
    # (tau - a_k)^2 = tau^2 - (2 a_k tau - a_k^2): the tau^2 term is shared, so
    # argmax_k (2 a_k tau - a_k^2) = argmin_k |tau - a_k|
    for ak in a:
        assert sp.expand((tau - ak) ** 2 - (tau**2 - (2 * ak * tau - ak**2))) == 0
    # an instance: centres 0, 1, 3 and tau = 2.2 -> centre 3 on both sides
    centres = [0, 1, 3]
    tau0 = sp.Rational(11, 5)
    by_score = max(range(3), key=lambda k: 2 * centres[k] * tau0 - centres[k] ** 2)
    by_dist = min(range(3), key=lambda k: abs(tau0 - centres[k]))
    assert by_score == by_dist == 2


def test_nearest_centre_readout_can_be_infeasible():
    """1-D Voronoi cells cannot realise runs {0},{1},{2..100},{101},{102} (LP infeasible)."""
    a = sp.symbols("a1:6", real=True)
    m = sp.symbols("m1:5", real=True)
    gaps = [(0, 1), (1, 2), (100, 101), (101, 102)]
    cons = []
    for k in range(4):
        cons += [a[k] <= a[k + 1], 2 * m[k] - a[k] - a[k + 1] <= 0, a[k] + a[k + 1] - 2 * m[k] <= 0,
                 m[k] >= gaps[k][0], m[k] <= gaps[k][1]]
    with pytest.raises(InfeasibleLPError):
        lpmin(a[0], cons)
    # sanity: with equal gaps everywhere the same LP is feasible
    cons_ok = []
    gaps_ok = [(0, 1), (1, 2), (2, 3), (3, 4)]
    for k in range(4):
        cons_ok += [a[k] <= a[k + 1], 2 * m[k] - a[k] - a[k + 1] <= 0, a[k] + a[k + 1] - 2 * m[k] <= 0,
                    m[k] >= gaps_ok[k][0], m[k] <= gaps_ok[k][1], a[0] >= -10]
    lpmin(a[0], cons_ok)


def test_upper_envelope_readout():
    """Rows alpha_k tau + beta_k, alpha increasing, beta_{k+1} = beta_k + (alpha_k - alpha_{k+1}) b_k."""
    tau = sp.Symbol("tau", real=True)
    K = 4
    alpha = sp.symbols(f"alpha0:{K}", real=True)
    b = sp.symbols(f"b0:{K - 1}", real=True)
    beta = [sp.Symbol("beta0", real=True)]
    for k in range(K - 1):
        beta.append(beta[k] + (alpha[k] - alpha[k + 1]) * b[k])
    f = [alpha[k] * tau + beta[k] for k in range(K)]
    for k in range(K - 1):
        # f_{k+1} - f_k = (alpha_{k+1} - alpha_k)(tau - b_k): sign flips exactly at b_k
        assert sp.expand(f[k + 1] - f[k] - (alpha[k + 1] - alpha[k]) * (tau - b[k])) == 0
    # the instance on which nearest-centre fails (boundaries in the gaps)
    bounds = [sp.Rational(1, 2), sp.Rational(3, 2), sp.Rational(201, 2), sp.Rational(203, 2)]
    runs = [[0], [1], [2, 50, 100], [101], [102]]
    alph = list(range(5))
    bet = [sp.Integer(0)]
    for k in range(4):
        bet.append(bet[k] + (alph[k] - alph[k + 1]) * bounds[k])
    for cls, run in enumerate(runs):
        for t in run:
            scores = [alph[k] * t + bet[k] for k in range(5)]
            best = max(scores)
            assert scores.index(best) == cls and scores.count(best) == 1


def test_blocked_configuration_example():
    """t = 0,1,2,3 labelled A,B,C,A: every same-label pair is blocked (MATH.md's confusion)."""
    values = [Fraction(k) for k in range(4)]
    labels = ["A", "B", "C", "A"]
    pairs = [(a, b) for a, b in itertools.combinations(range(4), 2) if labels[a] == labels[b]]
    assert pairs == [(0, 3)]
    groups = _groups(values, labels, Fraction(3, 2), Fraction(3, 2), 0)
    assert any(len({lab for _, lab in g}) > 1 for g in groups.values())  # B and C merge
    # one off-centre fold (c = 7/5, h = 1) already makes every class contiguous, no merge
    order = sorted(zip(values, labels), key=lambda p: _fold_sq(p[0], Fraction(7, 5), 1, 0))
    assert len({_fold_sq(t, Fraction(7, 5), 1, 0) for t in values}) == 4
    assert _runs([lab for _, lab in order]) == 3
    # a monotone layer (c = -1, h = 1) breaks the symmetry: s0 + s3 != s1 + s2 exactly
    s = [sp.sqrt(sp.Rational(3, (k + 1) ** 2 + 1)) for k in range(4)]
    assert not is_zero_algebraic(s[0] + s[3] - s[1] - s[2])


def test_arctan_expansion_separates_blocked_sums():
    """If X_a + X_b = X_i + X_k (blocked), the 1/h^3 term of sum +-arctan(X/h) is -P (X_a X_b - X_i X_k)."""
    xa, xb, xi = sp.symbols("X_a X_b X_i", real=True)
    xk = xa + xb - xi  # the blocked case: equal sums
    w = sp.Symbol("w", positive=True)  # w = 1/h
    D = sum(sgn * sp.atan(X * w) for sgn, X in [(1, xa), (1, xb), (-1, xi), (-1, xk)])
    ser = sp.series(D, w, 0, 5).removeO()
    assert sp.expand(ser.coeff(w, 1)) == 0
    P = xa + xb
    assert sp.expand(ser.coeff(w, 3) - (-(xa**3 + xb**3 - xi**3 - xk**3) / 3)) == 0
    assert sp.expand(ser.coeff(w, 3) - P * (xa * xb - xi * xk)) == 0
    # equal sums and equal products force equal multisets (Vieta): X_i in {X_a, X_b}
    assert set(sp.solve(sp.Eq(xa * xb, xi * xk), xi)) == {xa, xb}


@pytest.mark.parametrize("eps", [sp.Integer(0), sp.Rational(1, 10)])
def test_rotated_readout_fold_resolves_blocked_example(eps):
    """A,B,C,A at 0,1,2,3: fold off-centre (c = 0, h = 10), read along rho with rho.(y_0 - y_3) = 0."""
    values = [0, 1, 2, 3]
    c, h = 0, 10
    ys = [sp.Matrix(ln([(t - c) * p + h * q for p, q in zip(V1, V2)], eps)) for t in values]
    rho = (ys[0] - ys[3]).cross(sp.Matrix(ONES3))
    assert sp.expand(sum(rho)) == 0  # rho lies in 1-perp
    sig = [(rho.T * y)[0, 0] for y in ys]
    assert sp.expand(sp.radsimp(sig[0] - sig[3])) == 0  # the A pair merges exactly
    # rigorous interval enclosures (mpmath.iv, default precision, nothing global changed)
    enc = [_iv_eval(v) for v in sig]
    for x, y in [(enc[0], enc[1]), (enc[0], enc[2]), (enc[1], enc[2])]:
        assert x.b < y.a or y.b < x.a  # disjoint enclosures: certainly different, no confusion
    # so three clusters remain for three classes: every class is one contiguous run, in one layer
    # (the symmetric fold at c = 3/2 instead merges B with C: test_blocked_configuration_example)


def test_tilted_fold_pairs_by_projective_involution():
    """thm-binary, tilted folds: reading along v2 + kappa v1 pairs points by the involution fixing p and q."""
    # p = 0 and q = -1 (so kappa > 0): F is unchanged by t -> p + d t with c -> p + d c, h -> d h, and the
    # other side (q > p) is the mirror image t -> -t, kappa -> -kappa; the general identity is symbolic and slow
    t = sp.Symbol("t", real=True)
    kap = sp.Symbol("kappa", positive=True)
    p, d = sp.Integer(0), sp.Integer(1)
    q = p - d
    c = (3 * p + kap**2 * q) / (kap**2 + 3)
    h = (p - q) * kap / (kap**2 + 3)
    assert is_zero_poly(c + kap * h - p) and is_zero_poly(c - 3 * h / kap - q)
    z = [(t - c) * a + h * b for a, b in zip(V1, V2)]
    centred, radicand = ln_parts(z, 0)
    r = [b + kap * a for a, b in zip(V1, V2)]
    num = sp.expand(dot(r, centred))
    assert is_zero_poly(num - (6 * h + 2 * kap * (t - c)))
    assert is_zero_poly(radicand - (2 * (t - c) ** 2 + 6 * h**2) / 3)
    # the partner of t under the involution with fixed points p, q
    t2 = q - 1 / (2 / (q - p) - 1 / (q - t))
    num2, rad2 = num.subs(t, t2), radicand.subs(t, t2)
    # equal values: num/sqrt(radicand) agree (squares agree, and the numerators have one sign, checked below)
    assert is_zero_poly(num**2 * rad2 - num2**2 * radicand)
    # at a rational instance the numerators are positive on both sides of p (inside the pairing's domain)
    vals = {kap: sp.Rational(1, 2)}
    for tv in (sp.Rational(1, 10), sp.Rational(-1, 4)):
        assert num.subs(vals).subs(t, tv) > 0 and num2.subs(vals).subs(t, tv) > 0
    # the peak: the derivative's numerator (ln-one-stationary) vanishes exactly at t = p
    assert is_zero_poly((sp.diff(num, t) * radicand - num * sp.diff(radicand, t) / 2).subs(t, p))


def _iv_eval(expr):
    """A rigorous mpmath interval enclosure of an exact sympy expression built from +,-,*,/,sqrt."""
    if expr.is_Rational:
        return mpmath.iv.mpf(int(expr.p)) / int(expr.q)
    if expr.is_Add:
        out = mpmath.iv.mpf(0)
        for a in expr.args:
            out = out + _iv_eval(a)
        return out
    if expr.is_Mul:
        out = mpmath.iv.mpf(1)
        for a in expr.args:
            out = out * _iv_eval(a)
        return out
    if expr.is_Pow and expr.exp.is_Rational:
        base = _iv_eval(expr.base)
        p, q = int(expr.exp.p), int(expr.exp.q)
        if q == 1:
            return base**p if p >= 0 else 1 / base ** (-p)
        if q == 2:
            root = mpmath.iv.sqrt(base)
            return root**p if p >= 0 else 1 / root ** (-p)
    raise TypeError(f"no enclosure rule for {expr!r}")


def test_fold_value_family_independence():
    """(1 + lam u)^(-1/2) for distinct lam are linearly independent (series + Vandermonde)."""
    u = sp.Symbol("u")
    lam = sp.symbols("l0:4", real=True)
    for lk in lam[:1]:
        ser = sp.series((1 + lk * u) ** sp.Rational(-1, 2), u, 0, 5).removeO()
        for k in range(5):
            assert sp.expand(ser.coeff(u, k) - sp.binomial(sp.Rational(-1, 2), k) * lk**k) == 0
    vander = sp.Matrix(4, 4, lambda k, j: lam[j] ** k)
    prod = sp.Mul(*[lam[j] - lam[i] for i, j in itertools.combinations(range(4), 2)])
    assert sp.expand(vander.det() - prod) == 0
    # the fold value as a function of h is such a function with u = 1/h^2, lam = d^2 + 3 eps
    h = sp.Symbol("h", positive=True)
    dist = sp.Symbol("d", nonnegative=True)
    eps = sp.Symbol("eps", nonnegative=True)
    s = _fold_value(dist, 0, h, eps)
    lamv = dist**2 + 3 * eps
    assert sp.simplify(s**2 - 3 * (1 + lamv / h**2) ** -1) == 0


# --------------------------------------------------------------------------
# 5. SSR / LSSR
# --------------------------------------------------------------------------


def scatter(points):
    m = len(points)
    mu = sum(points, sp.zeros(points[0].rows, 1)) / m
    return sum(((p - mu) * (p - mu).T for p in points), sp.zeros(points[0].rows, points[0].rows))


def class_stats(X1, X2):
    m1, m2 = len(X1), len(X2)
    mu1 = sum(X1, sp.zeros(X1[0].rows, 1)) / m1
    mu2 = sum(X2, sp.zeros(X2[0].rows, 1)) / m2
    SW = scatter(X1) + scatter(X2)
    ST = scatter(X1 + X2)
    return m1, m2, mu1 - mu2, SW, ST


def ssr(a, X1, X2):
    _, _, _, SW, ST = class_stats(X1, X2)
    return (a.T * SW * a)[0, 0] / (a.T * ST * a)[0, 0]


def lssr_formula(X1, X2):
    m1, m2, delta, _, ST = class_stats(X1, X2)
    return 1 - sp.Rational(m1 * m2, m1 + m2) * (delta.T * ST.pinv() * delta)[0, 0]


def col(*xs):
    return sp.Matrix([sp.sympify(x) for x in xs])


def test_scatter_decomposition_symbolic():
    # 2-D data, 2 + 1 points, all coordinates symbolic
    X1 = [col(*sp.symbols(f"p{i}_0:2", real=True)) for i in range(2)]
    X2 = [col(*sp.symbols("q0_0:2", real=True))]
    m1, m2, delta, SW, ST = class_stats(X1, X2)
    assert sp.expand(ST - SW - sp.Rational(m1 * m2, m1 + m2) * delta * delta.T) == sp.zeros(2, 2)
    # 1-D data, 2 + 2 points
    Y1 = [col(s) for s in sp.symbols("y0:2", real=True)]
    Y2 = [col(s) for s in sp.symbols("z0:2", real=True)]
    m1, m2, delta, SW, ST = class_stats(Y1, Y2)
    assert sp.expand(ST - SW - sp.Rational(m1 * m2, m1 + m2) * delta * delta.T) == sp.zeros(1, 1)


def test_lssr_cauchy_schwarz_identity():
    """k a^T S a - (a^T D)^2 = k w^T S w with k = D^T S^+ D, w = a - (a^T D / k) S^+ D."""
    p, r = sp.symbols("p r", positive=True)
    q = sp.Symbol("q", real=True)
    S = sp.Matrix([[p, q], [q, r]])
    Sinv = S.inv()  # generic S is invertible; the singular case is checked below with pinv
    a = col(*sp.symbols("a0:2", real=True))
    D = col(*sp.symbols("D0:2", real=True))
    k = (D.T * Sinv * D)[0, 0]
    w = a - ((a.T * D)[0, 0] / k) * Sinv * D
    lhs = k * (a.T * S * a)[0, 0] - (a.T * D)[0, 0] ** 2
    assert sp.cancel(lhs - k * (w.T * S * w)[0, 0]) == 0
    # singular PSD S with D in its range: same identity with the pseudo-inverse
    Ssing = sp.Matrix([[1, 2], [2, 4]])
    Dr = Ssing * col(3, -1)
    Sp = Ssing.pinv()
    assert Ssing * Sp * Dr == Dr and Sp * Ssing * Sp == Sp
    kr = (Dr.T * Sp * Dr)[0, 0]
    wr = a - ((a.T * Dr)[0, 0] / kr) * Sp * Dr
    lhs = kr * (a.T * Ssing * a)[0, 0] - (a.T * Dr)[0, 0] ** 2
    assert sp.expand(lhs - kr * (wr.T * Ssing * wr)[0, 0]) == 0


def test_lssr_minimality_certificate():
    """Lemma 4: S_W - LSSR S_T is PSD, and S_W - lam S_T is not for lam > LSSR (sympy's PSD test)."""
    X1 = [col(0, 0, 1), col(2, 1, 0), col(1, 3, 1), col(1, 1, 1)]
    X2 = [col(3, 0, 2), col(4, 2, 0), col(0, 1, 1)]
    _, _, _, SW, ST = class_stats(X1, X2)
    lam = sp.nsimplify(lssr_formula(X1, X2))
    assert lam.is_Rational and 0 < lam < 1
    assert (SW - lam * ST).is_positive_semidefinite
    assert not (SW - (lam + sp.Rational(1, 10**6)) * ST).is_positive_semidefinite
    # rank-deficient data (a plane in R^3): the certificate still holds on the degenerate direction
    Y1 = [col(0, 0, 0), col(1, 2, 0), col(2, 1, 0)]
    Y2 = [col(3, 3, 0), col(1, 0, 0)]
    _, _, _, SW, ST = class_stats(Y1, Y2)
    lam = sp.nsimplify(lssr_formula(Y1, Y2))
    assert ST.rank() == 2 and (SW - lam * ST).is_positive_semidefinite
    assert not (SW - (lam + sp.Rational(1, 10**6)) * ST).is_positive_semidefinite


def test_lssr_formula_equals_min_over_symbolic_direction():
    X1 = [col(0, 0), col(2, 1), col(1, 3)]
    X2 = [col(3, 0), col(4, 2)]
    alpha = sp.Symbol("alpha", real=True)
    f = sp.cancel(ssr(col(1, alpha), X1, X2))
    crit = sp.solve(sp.numer(sp.together(sp.diff(f, alpha))), alpha)
    candidates = [f.subs(alpha, c0) for c0 in crit if c0.is_real]
    candidates += [ssr(col(0, 1), X1, X2), sp.limit(f, alpha, sp.oo)]
    best = min(candidates)
    assert best.is_Rational and best == lssr_formula(X1, X2)
    # the minimiser predicted by the proof: a = S_T^+ Delta
    _, _, delta, _, ST = class_stats(X1, X2)
    assert ssr(ST.pinv() * delta, X1, X2) == lssr_formula(X1, X2)
    assert 0 <= lssr_formula(X1, X2) <= 1


def test_ssr_pullback_under_affine_map():
    W = sp.Matrix(2, 2, sp.symbols("w0:4", real=True))
    b = col(*sp.symbols("b0:2", real=True))
    a = col(*sp.symbols("a0:2", real=True))
    X1 = [col(0, 0), col(2, 1)]
    X2 = [col(3, 0), col(1, 5), col(-1, 2)]
    f = lambda x: W * x + b  # noqa: E731
    _, _, d0, SW0, ST0 = class_stats(X1, X2)
    _, _, d1, SW1, ST1 = class_stats([f(x) for x in X1], [f(x) for x in X2])
    assert sp.expand(SW1 - W * SW0 * W.T) == sp.zeros(2, 2)
    assert sp.expand(ST1 - W * ST0 * W.T) == sp.zeros(2, 2)
    assert sp.expand(d1 - W * d0) == sp.zeros(2, 1)
    Wa = W.T * a
    assert sp.expand((a.T * SW1 * a)[0, 0] - (Wa.T * SW0 * Wa)[0, 0]) == 0
    assert sp.expand((a.T * ST1 * a)[0, 0] - (Wa.T * ST0 * Wa)[0, 0]) == 0


def test_lssr_affine_injective_equality_and_projection_increase():
    X1 = [col(0, 0), col(0, 1), col(1, 2)]
    X2 = [col(3, 0), col(3, 2)]
    base = lssr_formula(X1, X2)
    Winj = sp.Matrix([[1, 2], [-1, 3], [sp.Rational(1, 2), 0]])
    b = col(5, -1, 7)
    img = lambda X, W, bb: [W * x + bb for x in X]  # noqa: E731
    assert lssr_formula(img(X1, Winj, b), img(X2, Winj, b)) == base
    Wproj = sp.Matrix([[0, 1]])  # keeps only the second coordinate
    proj = lssr_formula(img(X1, Wproj, col(0)), img(X2, Wproj, col(0)))
    assert proj > base


def test_lssr_xor_witness():
    X1 = [col(0, 0), col(1, 1)]
    X2 = [col(1, 0), col(0, 1)]
    assert lssr_formula(X1, X2) == 1  # class means coincide
    # one LN layer: z = (x1 - x2) v1 + v2 (rotate 45 deg, constant ordinate), then LN
    A = sp.Matrix(V1) * sp.Matrix([[1, -1]])
    b = sp.Matrix(V2)
    Y1 = [sp.Matrix(ln(list(A * x + b))) for x in X1]
    Y2 = [sp.Matrix(ln(list(A * x + b))) for x in X2]
    _, _, _, SW, ST = class_stats(Y1, Y2)
    v2 = sp.Matrix(V2)
    assert sp.simplify((v2.T * SW * v2)[0, 0]) == 0        # SSR_{v2} = 0 ...
    assert sp.simplify((v2.T * ST * v2)[0, 0]) != 0        # ... and it is defined
    # the read-out tau = v2 . y: classes become two distinct points, LSSR 0 by the formula
    T1 = [col(sp.radsimp((v2.T * y)[0, 0])) for y in Y1]
    T2 = [col(sp.radsimp((v2.T * y)[0, 0])) for y in Y2]
    assert T1[0] == T1[1] and T2[0] == T2[1] and T1[0] != T2[0]
    assert sp.simplify(lssr_formula(T1, T2)) == 0


def test_lssr_one_dimensional_witness():
    X1 = [col(-1), col(1)]
    X2 = [col(0)]
    assert lssr_formula(X1, X2) == 1
    s = lambda t: dot(U2, ln([t * p + q for p, q in zip(U1, U2)]))  # noqa: E731
    # exact: each ordinate minus its claimed value has minimal polynomial z
    assert is_zero_algebraic(s(-1) - sp.sqrt(sp.Rational(3, 2)))
    assert is_zero_algebraic(s(1) - sp.sqrt(sp.Rational(3, 2)))
    assert is_zero_algebraic(s(0) - sp.sqrt(3))
    T1 = [col(sp.sqrt(sp.Rational(3, 2)))] * 2
    T2 = [col(sp.sqrt(3))]
    assert sp.simplify(lssr_formula(T1, T2)) == 0


# --------------------------------------------------------------------------
# 7. LN-G Hessian measure
# --------------------------------------------------------------------------

_R = sp.Symbol("r", positive=True)  # stands for sqrt(var(x)); dr/dx_j = (dvar/dx_j) / (2 r)


@functools.lru_cache(maxsize=None)
def _ln_second_derivatives(d, expand=True):
    """Second derivatives of LN (eps = 0) as polynomials in x and 1/r, via the chain rule."""
    x = sp.symbols(f"x0:{d}", real=True)
    centred, var = ln_parts(x, 0)
    dvar = [sp.diff(var, xj) for xj in x]

    def D(expr, j):
        return sp.diff(expr, x[j]) + sp.diff(expr, _R) * dvar[j] / (2 * _R)

    second = []
    for ci in centred:
        first = [D(ci / _R, j) for j in range(d)]
        tidy = sp.expand if expand else (lambda e: e)
        second.append([[tidy(D(first[j], k)) for k in range(d)] for j in range(d)])
    return x, var, second


def _hessian_measure(second):
    return sp.Add(*[e**2 for block in second for row in block for e in row])


def test_chain_rule_operator_matches_sympy():
    x, var, second = _ln_second_derivatives(3)
    direct = ln(x)
    point = {x[0]: 2, x[1]: -1, x[2]: sp.Rational(1, 3)}
    rv = sp.sqrt(var.subs(point))
    for i in range(3):
        for j in range(3):
            for k in range(3):
                plain = sp.diff(direct[i], x[j], x[k]).subs(point)
                mine = second[i][j][k].subs(point).subs(_R, rv)
                assert sp.radsimp(plain - mine) == 0


def test_ln_hessian_closed_form_d3_symbolic():
    x, var, second = _ln_second_derivatives(3)
    H = sp.expand(_hessian_measure(second))
    # every term carries an even power of r, so r^2 -> var is exact
    Q = sp.Symbol("Q", positive=True)
    H = H.subs(_R, sp.sqrt(Q)).subs(Q, var)
    assert sp.cancel(H - sp.Rational(3 * (3 - 2), 3) / var**2) == 0


@pytest.mark.parametrize("d", [4, 5])
def test_ln_hessian_closed_form_rational_points(d):
    x, var, second = _ln_second_derivatives(d, expand=False)
    points = [[sp.Rational(k * k - 3 * k + 1, k + 2) for k in range(d)],
              [sp.Integer(1)] + [sp.Integer(0)] * (d - 1),
              [sp.Rational(-7, 3), 2, 5, sp.Rational(1, 2), -1][:d]]
    for pt in points:
        sub = dict(zip(x, pt))
        v = var.subs(sub)
        assert v > 0
        H = _hessian_measure([[[e.subs(sub).subs(_R, sp.sqrt(v)) for e in row] for row in block]
                              for block in second])
        assert exact_rational(H) == sp.Rational(3 * (d - 2), d) / v**2


def _ln_measure_at(pt):
    """H(LN; pt) at a rational point, from the chain-rule second derivatives."""
    x, var, second = _ln_second_derivatives(len(pt), expand=False)
    sub = dict(zip(x, pt))
    rv = sp.sqrt(var.subs(sub))
    return exact_rational(_hessian_measure(
        [[[e.subs(sub).subs(_R, rv) for e in row] for row in block] for block in second]))


def _lng_measure_at(pt, g):
    """H(LN-G_g; pt) by plain sympy differentiation of the grouped oracle, exact at a rational pt."""
    d = len(pt)
    s = d // g
    x = sp.symbols(f"x0:{d}", real=True)
    out = []
    for k in range(g):
        out += ln(list(x[k * s:(k + 1) * s]))
    sub = dict(zip(x, pt))
    total = 0
    for yi in out:
        for j in range(d):
            for k2 in range(j, d):
                e = sp.diff(yi, x[j], x[k2]).subs(sub)
                total += (1 if j == k2 else 2) * sp.radsimp(e) ** 2
    return exact_rational(total)


def test_lng_hessian_is_sum_over_groups():
    """LN-G on d = 6 with g = 2 (s = 3): block-diagonal second derivatives."""
    d, g = 6, 2
    s = d // g
    pt = [sp.Integer(v) for v in (3, -1, 4, 1, -5, 9)]
    sig2 = [ln_parts(pt[k * s:(k + 1) * s], 0)[1] for k in range(g)]
    expected = sum(sp.Rational(3 * (s - 2), s) / v**2 for v in sig2)
    assert _lng_measure_at(pt, g) == expected


@pytest.mark.parametrize("d,g", [(4, 2), (6, 3)])
def test_total_variance_decomposition(d, g):
    x = sp.symbols(f"x0:{d}", real=True)
    s = d // g
    _, var = ln_parts(x, 0)
    mu = sp.Add(*x) / d
    blocks = [x[k * s:(k + 1) * s] for k in range(g)]
    within = sp.Add(*[ln_parts(b, 0)[1] for b in blocks]) / g
    between = sp.Add(*[(sp.Add(*b) / s - mu) ** 2 for b in blocks]) / g
    # sigma^2 = (1/g) sum sigma_k^2 + (1/g) sum (mu_k - mu)^2  >=  (1/g) sum sigma_k^2
    assert sp.expand(var - within - between) == 0


def test_jensen_step():
    u, v, w = sp.symbols("u v w", positive=True)
    # g = 2: (u^-2 + v^-2)/2 - ((u+v)/2)^-2 = (u-v)^2 (u^2 + 4uv + v^2) / (2 u^2 v^2 (u+v)^2)
    lhs = (u**-2 + v**-2) / 2 - ((u + v) / 2) ** -2
    assert sp.cancel(lhs - (u - v) ** 2 * (u**2 + 4 * u * v + v**2) / (2 * u**2 * v**2 * (u + v) ** 2)) == 0
    # tangent-line form of convexity of phi(z) = z^-2 (works for every g):
    # phi(z) - phi(m) - phi'(m)(z - m) = (z - m)^2 (2z + m) / (z^2 m^3) >= 0 for z, m > 0
    z, m = u, w
    phi = lambda t: t**-2  # noqa: E731
    gap = phi(z) - phi(m) + 2 * m**-3 * (z - m)
    assert sp.cancel(gap - (z - m) ** 2 * (2 * z + m) / (z**2 * m**3)) == 0


def test_lng_bound_algebra():
    d, g, sig = sp.symbols("d g sigma", positive=True)
    H_ln = 3 * (d - 2) / (d * sig**4)
    # 3(s-2)/s * g * sigma^-4 with s = d/g is exactly the right-hand side of the theorem
    lower = 3 * (d / g - 2) / (d / g) * g / sig**4
    assert sp.cancel(lower - g * (d - 2 * g) / (d - 2) * H_ln) == 0
    # exact instances at d = 6, g = 2 (factor g(d-2g)/(d-2) = 1): equality when the group
    # means and variances agree, strict otherwise.  Both sides are differentiated, not taken
    # from the closed forms; the left side block by block (block-diagonality is
    # test_lng_hessian_is_sum_over_groups).
    for pt, equal in [((0, 1, 5, 0, 1, 5), True), ((3, -1, 4, 1, -5, 9), False)]:
        pt = [sp.Integer(v) for v in pt]
        lhs = _ln_measure_at(pt[:3]) + _ln_measure_at(pt[3:])
        rhs = sp.Rational(2 * (6 - 4), 6 - 2) * _ln_measure_at(pt)
        assert (lhs == rhs) if equal else (lhs > rhs)


# --------------------------------------------------------------------------
# 8. LN -> RMSNorm folding
# --------------------------------------------------------------------------


def rms_parts(z, eps=0):
    d = len(z)
    return list(z), sp.Add(*[zi**2 for zi in z]) / d + eps


def test_ln_equals_rms_of_centred_affine():
    W = sp.Matrix(3, 2, sp.symbols("w0:6", real=True))
    b = sp.Matrix(sp.symbols("b0:3", real=True))
    x = sp.Matrix(sp.symbols("x0:2", real=True))
    eps = sp.Symbol("eps", nonnegative=True)
    P = sp.eye(3) - sp.ones(3, 3) / 3
    c1, q1 = ln_parts(list(W * x + b), eps)
    c2, q2 = rms_parts(list(P * W * x + P * b), eps)
    assert all(sp.expand(a - bb) == 0 for a, bb in zip(c1, c2))
    assert sp.expand(q1 - q2) == 0
    # the centred layer's output has zero mean for every input
    assert sp.expand(sum(P * W * x + P * b)) == 0


def test_centring_is_invisible_to_ln_consumers():
    """z -> Pz changes z by a multiple of 1; sums and outside scalars keep it so; LN erases it."""
    z = sp.symbols("z0:3", real=True)
    w = sp.symbols("v0:3", real=True)
    alpha = sp.Symbol("alpha", real=True)
    eps = sp.Symbol("eps", nonnegative=True)
    mean = sp.Add(*z) / 3
    Pz = [zi - mean for zi in z]
    assert all(sp.expand(a - (b - mean)) == 0 for a, b in zip(Pz, z))
    before = [alpha * (zi + wi) for zi, wi in zip(z, w)]
    after = [alpha * (pi + wi) for pi, wi in zip(Pz, w)]
    c1, q1 = ln_parts(before, eps)
    c2, q2 = ln_parts(after, eps)
    assert all(sp.expand(a - b) == 0 for a, b in zip(c1, c2))
    assert sp.expand(q1 - q2) == 0
    # zero mean is preserved by sums and by any per-sample scalar
    a0 = sp.symbols("a0:2", real=True)
    zm = [a0[0], a0[1], -a0[0] - a0[1]]
    assert sp.expand(sum(alpha * (p + q) for p, q in zip(zm, zm[::-1]))) == 0


def test_folding_negative_examples():
    relu = lambda v: [sp.Max(0, vi) for vi in v]  # noqa: E731
    z = [sp.Integer(1), sp.Integer(2), sp.Integer(6)]
    Pz = ln_parts(z)[0]
    # ReLU between the centred layer and the LN: LN(ReLU(Pz)) != LN(ReLU(z))
    assert not is_zero_algebraic(ln(relu(Pz))[0] - ln(relu(z))[0])
    # ReLU(Pz) itself is not zero-mean, so RMS(ReLU(Pz)) != LN(ReLU(Pz))
    assert sum(relu(Pz)) != 0
    # uncentred bias: input (1,0,0) has mean 1/3, RMS and LN differ
    e1 = [sp.Integer(1), sp.Integer(0), sp.Integer(0)]
    rms = [zi / sp.sqrt(rms_parts(e1)[1]) for zi in e1]
    assert not is_zero_algebraic(rms[1] - ln(e1)[1])
    # non-uniform affine scaling gamma (1,2,3) after a zero-mean vector breaks zero mean
    y = ln([sp.Integer(0), sp.Integer(1), sp.Integer(5)])
    assert not is_zero_algebraic(sum(gk * yk for gk, yk in zip((1, 2, 3), y)))
    assert is_zero_algebraic(sum(y))


# --------------------------------------------------------------------------
# 8. Lipschitz
# --------------------------------------------------------------------------


def _ln_jacobian_d3():
    x = sp.symbols("x0:3", real=True)
    eps = sp.Symbol("eps", positive=True)
    y = ln(x, eps)
    J = sp.Matrix(3, 3, lambda i, j: sp.diff(y[i], x[j]))
    _, q = ln_parts(x, eps)
    return x, eps, y, J, q


def test_ln_jacobian_formula():
    x, eps, y, J, q = _ln_jacobian_d3()
    P = sp.eye(3) - sp.ones(3, 3) / 3
    Y = sp.Matrix(y)
    Jf = (P - Y * Y.T / 3) / sp.sqrt(q)
    assert all(sp.simplify(e) == 0 for e in (J - Jf))


def test_ln_jacobian_spectrum():
    x, eps, y, J, q = _ln_jacobian_d3()
    s = sp.sqrt(q)
    _, var = ln_parts(x, 0)
    Y = sp.Matrix(y)
    one = sp.Matrix(ONES3)
    perp = sp.Matrix(ONES3).cross(Y)  # orthogonal to 1 and to y
    assert all(sp.simplify(e) == 0 for e in (J - J.T))
    assert all(sp.simplify(e) == 0 for e in J * one)
    lam_y = eps / (var + eps) / s
    assert all(sp.simplify(e) == 0 for e in (J * Y - lam_y * Y))
    assert all(sp.simplify(e) == 0 for e in (J * perp - perp / s))
    # the y-eigenvalue lies in [0, 1/s]: 0 <= eps/(var+eps) <= 1
    assert sp.simplify(1 - eps / (var + eps) - var / (var + eps)) == 0
    # sup 1/s over x is 1/sqrt(eps), attained where var = 0 (x parallel to 1)
    assert sp.simplify(s.subs({x[0]: 7, x[1]: 7, x[2]: 7}) - sp.sqrt(eps)) == 0


def test_batchnorm_inference_lipschitz():
    gam = [sp.Rational(3, 2), -4, sp.Rational(1, 3)]
    var = [1, 3, sp.Rational(1, 9)]
    eps = sp.Rational(1, 100)
    D = sp.diag(*[gk / sp.sqrt(vk + eps) for gk, vk in zip(gam, var)])
    # singular values^2 are the eigenvalues of D^T D, here the rationals gamma_i^2/(var_i+eps)
    sv2 = list((D.T * D).eigenvals())
    assert all(e.is_Rational for e in sv2)
    expected2 = max(gk**2 / (vk + eps) for gk, vk in zip(gam, var))
    assert max(sv2) == expected2 == sp.Integer(16) / (3 + eps)


# --------------------------------------------------------------------------
# 8. one-LN networks, width-2 LN
# --------------------------------------------------------------------------


def test_one_ln_derivative_identity():
    xv = sp.Symbol("x", real=True)
    d = 3
    a = sp.symbols("a0:3", real=True)
    w = sp.symbols("w0:3", real=True)
    b = sp.symbols("b0:3", real=True)
    eps = sp.Symbol("eps", nonnegative=True)
    Rq = sp.Symbol("R", positive=True)  # R = sqrt(q(x)), dR/dx = q'(x) / (2R)
    centred, q = ln_parts([wi * xv + bi for wi, bi in zip(w, b)], eps)
    f = dot(a, centred) / Rq
    fprime = sp.diff(f, xv) + sp.diff(f, Rq) * sp.diff(q, xv) / (2 * Rq)
    expr = sp.expand(fprime * Rq**3)
    # only R^0 and R^2 occur, and R^2 = q(x): the result is a polynomial in x
    assert set(sp.Poly(expr, Rq).monoms()) <= {(0,), (2,)}
    expr = sp.expand(expr.subs(Rq, sp.sqrt(q)))
    poly = sp.Poly(expr, xv)
    assert poly.degree() <= 1  # f'(x) q(x)^{3/2} is affine in x
    # closed-form coefficients with p = Pw, r = Pb
    p, r = ln_parts(w, 0)[0], ln_parts(b, 0)[0]
    alpha = (dot(a, p) * dot(p, r) - dot(a, r) * dot(p, p)) / d
    beta = dot(a, p) * (dot(r, r) / d + eps) - dot(a, r) * dot(p, r) / d
    assert sp.expand(poly.coeff_monomial(xv) - alpha) == 0
    assert sp.expand(poly.coeff_monomial(1) - beta) == 0


def test_one_ln_degenerate_sign_case():
    """eps = 0 and P b = -x0 P w: LN(w x + b) = sign(x - x0) sqrt(d) Pw/||Pw||."""
    xv = sp.Symbol("x", real=True)
    w = [sp.Integer(2), sp.Integer(-1), sp.Integer(5)]
    x0 = sp.Rational(3, 7)
    b = [-x0 * wi + 11 for wi in w]  # the +11 is along 1 and disappears
    p = ln_parts(w, 0)[0]
    for xval, sgn in [(x0 + 1, 1), (x0 - sp.Rational(1, 5), -1), (x0 + 100, 1)]:
        y = ln([wi * xval + bi for wi, bi in zip(w, b)])
        target = [sgn * sp.sqrt(3) * pi / sp.sqrt(dot(p, p)) for pi in p]
        assert all(sp.radsimp(yi - ti) == 0 for yi, ti in zip(y, target))


def test_width2_ln_formula():
    a, b = sp.symbols("a b", real=True)
    eps = sp.Symbol("eps", nonnegative=True)
    t = (a - b) / 2
    centred, q = ln_parts([a, b], eps)
    assert sp.expand(centred[0] - t) == 0 and sp.expand(centred[1] + t) == 0
    assert sp.expand(q - (t**2 + eps)) == 0
    # eps = 0: t / sqrt(t^2) = sign(t)
    tp = sp.Symbol("tp", positive=True)
    assert tp / sp.sqrt(tp**2) == 1 and -tp / sp.sqrt(tp**2) == -1
    # eps > 0: phi(t) = t/sqrt(t^2+eps) is sigmoidal: phi' = eps/(t^2+eps)^{3/2} > 0, limits -1, 1
    ep = sp.Symbol("ep", positive=True)
    tt = sp.Symbol("t", real=True)
    phi = tt / sp.sqrt(tt**2 + ep)
    assert sp.simplify(sp.diff(phi, tt) * (tt**2 + ep) ** sp.Rational(3, 2) - ep) == 0
    assert sp.limit(phi, tt, sp.oo) == 1 and sp.limit(phi, tt, -sp.oo) == -1


# --------------------------------------------------------------------------
# 8. Gram isometry
# --------------------------------------------------------------------------


def _gram(n):
    r = sp.symbols(f"r0:{n}", positive=True)
    off = {}
    for i, j in itertools.combinations(range(n), 2):
        off[(i, j)] = off[(j, i)] = sp.Symbol(f"g{i}{j}", real=True)
    G = sp.Matrix(n, n, lambda i, j: r[i] ** 2 if i == j else off[(i, j)])
    Dm = sp.diag(*[1 / ri for ri in r])  # D^{-1/2}, with D_ii = G_ii = r_i^2
    return r, G, Dm * G * Dm


@pytest.mark.parametrize("n", [2, 3])
def test_gram_normalisation_det_and_trace(n):
    r, G, Gp = _gram(n)
    assert sp.cancel(Gp.det() - G.det() / sp.Mul(*[ri**2 for ri in r])) == 0
    assert sp.simplify(Gp.trace() - n) == 0
    assert all(sp.simplify(Gp[i, i] - 1) == 0 for i in range(n))


@pytest.mark.parametrize("n", [2, 3])
def test_gram_isometry_ratio_identity(n):
    r, G, Gp = _gram(n)
    # I(M)^n = det M / (tr M / n)^n, so (I(G')/I(G))^n = (tr G / n)^n / prod G_ii = (AM/GM)^n
    In = lambda M: M.det() / (M.trace() / n) ** n  # noqa: E731
    am = sp.Add(*[ri**2 for ri in r]) / n
    gm_n = sp.Mul(*[ri**2 for ri in r])
    assert sp.cancel(In(Gp) / In(G) - am**n / gm_n) == 0


def test_am_gm_small_n():
    x, y, z = sp.symbols("x y z", positive=True)
    # n = 2: ((x^2 + y^2)/2)^2 - x^2 y^2 = ((x^2 - y^2)/2)^2
    assert sp.expand(((x**2 + y**2) / 2) ** 2 - x**2 * y**2 - ((x**2 - y**2) / 2) ** 2) == 0
    # n = 3 in cube roots: x^3 + y^3 + z^3 - 3xyz = (x+y+z)((x-y)^2+(y-z)^2+(z-x)^2)/2
    assert sp.expand(x**3 + y**3 + z**3 - 3 * x * y * z
                     - (x + y + z) * ((x - y) ** 2 + (y - z) ** 2 + (z - x) ** 2) / 2) == 0


def test_isometry_scale_invariant_and_ln_gram():
    n = 3
    r, G, _ = _gram(n)
    cst = sp.Symbol("c", positive=True)
    In = lambda M: M.det() / (M.trace() / n) ** n  # noqa: E731
    assert sp.cancel(In(cst * G) - In(G)) == 0
    # rows of LN(X) (eps = 0): Gram = d * D^{-1/2} G_c D^{-1/2} with G_c the Gram of centred rows
    X = sp.Matrix([[1, 2, 6, 0], [3, -1, 0, 2], [5, 5, 1, 7]])
    d = X.cols
    lnX = sp.Matrix([ln(list(X.row(i))) for i in range(X.rows)])
    P = sp.eye(d) - sp.ones(d, d) / d
    Gc = (X * P) * (X * P).T
    Dm = sp.diag(*[1 / sp.sqrt(Gc[i, i]) for i in range(X.rows)])
    diff = lnX * lnX.T - d * Dm * Gc * Dm
    assert all(sp.radsimp(e) == 0 for e in diff)


# --------------------------------------------------------------------------
# fold-chain-sign-changes: folds are two-to-one; chains of L folds have at most 2^L zeros
# --------------------------------------------------------------------------


def _rfold(t, c, h, e):
    """The rational-basis fold of MATH.md section 2.2: 6h / sqrt((2(t-c)^2 + 6h^2)/3 + e)."""
    return 6 * h / sp.sqrt((2 * (t - c) ** 2 + 6 * h**2) / 3 + e)


def _rfold_preimages(v, c, h, e):
    """The inversion formula of the proof: F(t) = v iff v > 0 and (t - c)^2 = 54h^2/v^2 - 3e/2 - 3h^2."""
    if not bool(v > 0):
        return []
    r2 = 54 * h**2 / v**2 - sp.Rational(3, 2) * e - 3 * h**2
    if r2 == 0 or r2.equals(0):
        return [c]
    if not bool(r2 > 0):
        return []
    r = sp.sqrt(r2)
    return [c - r, c + r]


def test_fold_inverse_formula():
    """F(t) = v  <=>  (t - c)^2 = 54h^2/v^2 - 3e/2 - 3h^2 (v > 0); the right side is 0 at the top value."""
    c = sp.Symbol("c", real=True)
    h, v = sp.symbols("h v", positive=True)
    e = sp.Symbol("e", nonnegative=True)
    r2 = 54 * h**2 / v**2 - sp.Rational(3, 2) * e - 3 * h**2
    # with (t - c)^2 = r2 the fold's radicand is 36 h^2 / v^2, so F = 6h / (6h/v) = v
    assert sp.cancel((2 * r2 + 6 * h**2) / 3 + e - 36 * h**2 / v**2) == 0
    assert sp.simplify(6 * h / sp.sqrt(36 * h**2 / v**2) - v) == 0
    # conversely F(t) = v gives that square (solve the radicand equation for (t - c)^2)
    s = sp.Symbol("s", nonnegative=True)  # s = (t - c)^2
    assert sp.solve(sp.Eq((2 * s + 6 * h**2) / 3 + e, 36 * h**2 / v**2), s) == [sp.expand(r2)]
    # the top value F(c) = 6h/sqrt(2h^2 + e) is the one with r2 = 0: a single preimage, c
    top = 6 * h / sp.sqrt(2 * h**2 + e)
    assert sp.simplify(r2.subs(v, top)) == 0
    # at a rational point the formula returns both mirror points
    t0, c0, h0, e0 = sp.Rational(7, 2), sp.Rational(1, 3), sp.Rational(3, 4), sp.Rational(1, 10)
    pre = _rfold_preimages(_rfold(t0, c0, h0, e0), c0, h0, e0)
    assert len(pre) == 2 and sp.simplify(pre[1] - t0) == 0 and sp.simplify(pre[0] - (2 * c0 - t0)) == 0


def _chain_value(t, folds):
    for c, h, e in folds:
        t = _rfold(t, c, h, e)
    return t


def _random_fold_chain(rnd, L):
    folds = []
    lo, hi = -3.0, 3.0
    for j in range(L):
        c = sp.Rational(rnd.randint(-20, 20), 10) if j == 0 else sp.Rational(rnd.randint(int(10 * lo) - 2,
                                                                                          int(10 * hi) + 2), 10)
        h = sp.Rational(rnd.choice([1, 2, 3, 5]), rnd.choice([2, 4]))
        e = rnd.choice([sp.Integer(0), sp.Rational(1, 100)])
        folds.append((c, h, e))
        lo, hi = 0.0, float(6 * h / sp.sqrt(2 * h**2 + e))
    return folds


@pytest.mark.parametrize("L", [1, 2, 3])
def test_fold_chain_has_at_most_two_to_the_L_zeros(L):
    """Pulling {theta} back through L folds gives at most 2^L distinct points, each a zero; between
    consecutive ones the sign of F_L o ... o F_1 - theta is constant (checked at 60 digits)."""
    import random

    rnd = random.Random(f"fold-chain-zeros:{L}")
    for _ in range(6):
        folds = _random_fold_chain(rnd, L)
        top = float(6 * folds[-1][1] / sp.sqrt(2 * folds[-1][1] ** 2 + folds[-1][2]))
        theta = sp.Rational(int(rnd.uniform(0.2, top) * 100), 100)
        levels = [theta]
        for c, h, e in reversed(folds):
            levels = [t for v in levels for t in _rfold_preimages(v, c, h, e)]
        assert len(levels) <= 2**L
        with mpmath.workdps(60):
            zs = sorted(mpmath.mpf(sp.N(z, 70)) for z in levels)
            assert all(b - a > mpmath.mpf(10) ** -30 for a, b in zip(zs, zs[1:]))       # distinct
            for z in levels:                                                             # zeros
                assert abs(sp.N(_chain_value(z, folds) - theta, 60)) < 1e-40
            # constant sign strictly between zeros: sample 3 rationals per gap and beyond the ends
            ends = [zs[0] - 5] + zs + [zs[-1] + 5] if zs else [mpmath.mpf(-5), mpmath.mpf(5)]
            signs = []
            for a, b in zip(ends, ends[1:]):
                gap = [sp.sign(sp.N(_chain_value(sp.Rational(str(a + (b - a) * k / 4)), folds) - theta, 60))
                       for k in (1, 2, 3)]
                assert len(set(gap)) == 1 and gap[0] != 0
                signs.append(gap[0])
            changes = sum(1 for s, t in zip(signs, signs[1:]) if s != t)
            assert changes <= len(levels) <= 2**L


def _sign_changes(seq):
    nz = [s for s in seq if s != 0]
    return sum(1 for a, b in zip(nz, nz[1:]) if a != b)


@settings(max_examples=100, deadline=None)
@given(vals=st.lists(st.fractions(min_value=-5, max_value=5, max_denominator=3), min_size=2, max_size=8),
       theta=st.fractions(min_value=-5, max_value=5, max_denominator=3))
def test_turning_value_sign_change_lemma(vals, theta):
    """A continuous function strictly monotone between consecutive turning values has exactly the sign
    changes of its turning values (zeros dropped): exact, on the piecewise-linear function through them."""
    vals = [v for k, v in enumerate(vals) if k == 0 or v != vals[k - 1]]   # strictly monotone pieces
    if len(vals) < 2:
        return
    # dense exact sampling of the piecewise-linear interpolant: every breakpoint, every zero's two sides
    samples = []
    for a, b in zip(vals, vals[1:]):
        params = [Fraction(k, 8) for k in range(8)]
        if (a - theta) * (b - theta) < 0:
            z = (theta - a) / (b - a)
            params += [z - Fraction(1, 10**6), z + Fraction(1, 10**6)]
        samples += [a + (b - a) * t for t in sorted(params)]
    samples.append(vals[-1])
    seq = [(s > theta) - (s < theta) for s in samples]
    turning = [(v > theta) - (v < theta) for v in vals]
    assert _sign_changes(seq) == _sign_changes(turning)


def _sawtooth_folds(L):
    """The sawtooth of the proof: c_1 = 0, later centres (and theta) strictly between lows and the top."""
    folds, lows, top = [], [0.0], None
    for j in range(L):
        if j == 0:
            c, h = sp.Integer(0), sp.Integer(1)
        else:
            lo = max(lows)
            c = sp.Rational(round((lo + top) / 2 * 1000), 1000)
            h = sp.Rational(round((top - lo) / 2 * 1000), 1000)
            f = lambda t, c=c, h=h: float(_rfold(t, c, h, 0))  # noqa: E731
            lows = [f(v) for v in lows] + [f(top)]
        folds.append((c, h, sp.Integer(0)))
        top = float(_rfold(c, c, h, 0))
    theta = sp.Rational(round((max(lows) + top) / 2 * 1000), 1000)
    return folds, theta


@pytest.mark.parametrize("L", [1, 2, 3])
def test_sawtooth_chain_attains_two_to_the_L(L):
    """The sawtooth chain changes sign 2^L times: its 2^L - 1 turning points (c_1 and the preimages of the later
    centres, by the inversion formula) and the limit far out alternate around theta (signs at 50 digits)."""
    folds, theta = _sawtooth_folds(L)
    turns = [folds[0][0]]
    for k in range(1, L):
        levels = [folds[k][0]]
        for c, h, e in reversed(folds[:k]):
            levels = [t for v in levels for t in _rfold_preimages(v, c, h, e)]
        turns += levels
    assert len(turns) == 2**L - 1
    pts = sorted(turns, key=lambda z: sp.N(z, 50))
    far = sp.sign(sp.N(_chain_value(sp.Integer(10**9), folds) - theta, 50))   # both ends: t_1 -> 0
    signs = [far] + [sp.sign(sp.N(_chain_value(z, folds) - theta, 50)) for z in pts] + [far]
    assert _sign_changes(signs) == 2**L


# --------------------------------------------------------------------------
# vc-upper-bound: parameters, square-root elimination, Warren's bound, closed forms
# --------------------------------------------------------------------------


def test_width3_ln_circle_coordinates():
    """z in R^3: P z = u v1 + w v2 with u = (z1 - z2)/2, w = (z1 + z2 - 2 z3)/6, var + eps = (2u^2 + 6w^2)/3 + eps;
    the next affine layer's (u', w') are (alpha u + beta w)/n + gamma with alpha = (W1 - W2).v1/2, ... ."""
    z = sp.symbols("z1:4", real=True)
    eps = sp.Symbol("eps", nonnegative=True)
    u = (z[0] - z[1]) / 2
    w = (z[0] + z[1] - 2 * z[2]) / 6
    centred, q = ln_parts(list(z), eps)
    assert all(is_zero_poly(ci - (u * a + w * b)) for ci, a, b in zip(centred, V1, V2))
    assert is_zero_poly(q - ((2 * u**2 + 6 * w**2) / 3 + eps))
    W = sp.Matrix(3, 3, sp.symbols("W0:9", real=True))
    bias = sp.Matrix(sp.symbols("b0:3", real=True))
    U, Wc, n = sp.symbols("U Wc n", real=True)
    y = (U * sp.Matrix(V1) + Wc * sp.Matrix(V2)) / n
    zn = W * y + bias
    un, wn = (zn[0] - zn[1]) / 2, (zn[0] + zn[1] - 2 * zn[2]) / 6
    r_u, r_w = (W.row(0) - W.row(1)) / 2, (W.row(0) + W.row(1) - 2 * W.row(2)) / 6
    v1, v2 = sp.Matrix(V1), sp.Matrix(V2)
    assert is_zero_poly(un - (((r_u * v1)[0] * U + (r_u * v2)[0] * Wc) / n + (bias[0] - bias[1]) / 2))
    assert is_zero_poly(wn - (((r_w * v1)[0] * U + (r_w * v2)[0] * Wc) / n + (bias[0] + bias[1] - 2 * bias[2]) / 6))


def _elimination_rule(bits):
    a, b, mb, q1, q2 = bits
    return (a and not mb) or (a and mb and q1) or ((not a) and b and q2)


@pytest.mark.parametrize("A", [sp.Rational(k, 2) for k in range(-4, 5)])
def test_sqrt_sign_elimination_lemma(A):
    """Lemma A: A + B sqrt(C) > 0 is the Boolean rule of [A>0, B>0, -B>0, A^2 - B^2 C > 0, B^2 C - A^2 > 0]."""
    for B in [sp.Rational(k, 3) for k in range(-6, 7)]:
        for C in [sp.Integer(0), sp.Rational(1, 4), sp.Integer(1), sp.Integer(2), sp.Rational(9, 4), sp.Integer(9)]:
            truth = bool(sp.simplify(A + B * sp.sqrt(C)) > 0)
            bits = [A > 0, B > 0, -B > 0, A**2 - B**2 * C > 0, B**2 * C - A**2 > 0]
            assert _elimination_rule([bool(b) for b in bits]) == truth, (A, B, C)


def _eliminate(L, eps, x):
    """The square-root elimination of Lemma B, in sparse polynomial rings; returns the tree of predicates.

    Parameters: the first layer's (u1, w1) = (a x + a0, b x + b0); layer k >= 2: u_k = (al u + be w)/n + ga,
    w_k = (alp u + bep w)/n + gap (linear images of its 12 weights and biases); output
    F = (rho u_L + sig w_L)/n_L + bo.  Leaves are polynomials in the parameters only.
    """
    from sympy.polys.domains import QQ
    from sympy.polys.rings import ring

    names = ["a", "a0", "b", "b0"] + [f"{s}{k}" for k in range(2, L + 1)
                                      for s in ("al", "be", "ga", "alp", "bep", "gap")] + ["rho", "sig", "bo"]
    R, *gens = ring(names + ["u", "w", "n"], QQ)
    P = dict(zip(names, gens))
    u, w, n = gens[len(names):]
    ui, wi, ni = len(names), len(names) + 1, len(names) + 2
    C = (2 * u**2 + 6 * w**2) * QQ(1, 3) + QQ(eps.numerator, eps.denominator)

    def five(A, B):
        return [A, B, -B, A**2 - B**2 * C, B**2 * C - A**2]

    def build(phis, k):
        if k == 1:
            sub = [(u, P["a"] * x + P["a0"]), (w, P["b"] * x + P["b0"])]
            return [("leaf", p.compose(sub)) for p in phis]
        al, be, ga, alp, bep, gap = (P[f"{s}{k}"] for s in ("al", "be", "ga", "alp", "bep", "gap"))
        U, Wn = al * u + be * w + ga * n, alp * u + bep * w + gap * n      # n u_k and n w_k
        out = []
        for phi in phis:
            delta = max((m[ui] + m[wi] for m in phi.monoms()), default=0)
            acc = R.zero
            for mon, coef in phi.terms():
                rest = list(mon)
                rest[ui] = rest[wi] = 0
                acc += R({tuple(rest): coef}) * U ** mon[ui] * Wn ** mon[wi] * n ** (delta - mon[ui] - mon[wi])
            A = B = R.zero
            for mon, coef in acc.terms():          # n^2 -> C
                rest = list(mon)
                rest[ni] = 0
                term = R({tuple(rest): coef}) * C ** (mon[ni] // 2)
                if mon[ni] % 2:
                    B += term
                else:
                    A += term
            out.append(("node", build(five(A, B), k - 1)))
        return out

    return build(five(P["rho"] * u + P["sig"] * w, P["bo"]), L), names


def _leaves(tree):
    out = []
    for kind, v in tree:
        out += [v] if kind == "leaf" else _leaves(v)
    return out


def _decide(tree, point):
    return _elimination_rule([bool(v(*point) > 0) if kind == "leaf" else _decide(v, point) for kind, v in tree])


@pytest.mark.parametrize("L", [1, 2])
def test_sqrt_elimination_counts_degrees_and_decides_the_sign(L):
    """Lemma B at L = 1, 2: 5^L polynomial inequalities of degree <= D_L = 2^L(2L - 1) + 2 in the parameters,
    whose Boolean rule equals 1[F > 0] at random rational parameters (F evaluated exactly with sympy)."""
    import random

    eps, x = Fraction(1, 7), Fraction(3, 2)
    tree, names = _eliminate(L, eps, x)
    leaves = _leaves(tree)
    assert len(leaves) == 5**L
    assert max(max((sum(m) for m in p.monoms()), default=0) for p in leaves) <= 2**L * (2 * L - 1) + 2
    rnd = random.Random(f"sqrt-elimination:{L}")
    for _ in range(25):
        vals = {k: Fraction(rnd.randint(-9, 9), rnd.choice([1, 2, 3])) for k in names}
        # the network in (u, w) coordinates, exactly
        uu = sp.Rational(vals["a"] * x + vals["a0"])
        ww = sp.Rational(vals["b"] * x + vals["b0"])
        R = sp.Rational(eps.numerator, eps.denominator)
        for k in range(2, L + 1):
            nn = sp.sqrt((2 * uu**2 + 6 * ww**2) / 3 + R)
            g = {s: sp.Rational(vals[f"{s}{k}"]) for s in ("al", "be", "ga", "alp", "bep", "gap")}
            uu, ww = (g["al"] * uu + g["be"] * ww) / nn + g["ga"], (g["alp"] * uu + g["bep"] * ww) / nn + g["gap"]
        nn = sp.sqrt((2 * uu**2 + 6 * ww**2) / 3 + R)
        F = (sp.Rational(vals["rho"]) * uu + sp.Rational(vals["sig"]) * ww) / nn + sp.Rational(vals["bo"])
        if F == 0:
            continue
        point = [vals[k] for k in names] + [0, 0, 0]
        assert _decide(tree, point) == bool(F > 0)


def test_parameter_count_and_degree_closed_forms():
    """P = (3d + 3) + 12(L - 1) + 4 = 12L + 3d - 5; the degree recurrence delta' = 2 delta + 2,
    pi' = 2(delta + pi) from (2, 2) ends at delta_1 + pi_1 = 2^L (2L - 1) + 2; s_L = 5^L."""
    L, d = sp.symbols("L d", integer=True, positive=True)
    assert sp.expand((3 * d + 3) + 12 * (L - 1) + 4 - (12 * L + 3 * d - 5)) == 0
    for depth in range(1, 41):
        delta, pi, count = 2, 2, 5
        for _ in range(depth - 1):
            delta, pi, count = 2 * delta + 2, 2 * (delta + pi), 5 * count
        assert delta == 2 ** (depth + 1) - 2
        assert delta + pi == 2**depth * (2 * depth - 1) + 2 and count == 5**depth


def test_vc_closed_form_lemma():
    """log2 y <= y/2 + 1/2 for y > 0 (the concave gap's maximum, at y = 2/ln 2, is below 0.09), hence
    2^m <= (4eD(ms + P)/P)^P implies m <= 2P log2(8e s D); checked on a grid with mpmath intervals."""
    iv = mpmath.iv
    old = iv.prec
    iv.prec = 200
    try:
        ystar = 2 / iv.log(2)
        gap = iv.log(ystar) / iv.log(2) - ystar / 2
        assert gap.b < 0.09
        for P in (10, 37, 121, 300):
            for s in (1, 5, 125, 5**8):
                for D in (1, 4, 42, 20000):
                    closed = 2 * P * iv.log(8 * iv.e * s * D) / iv.log(2)
                    m = int(mpmath.ceil(closed.b)) + 1
                    log2_bound = P * iv.log(4 * iv.e * D * (m * s + P) / P) / iv.log(2)
                    assert (log2_bound - m).b < 0          # 2^m > the bound: m points cannot be shattered
    finally:
        iv.prec = old


def test_depth_lower_bound_grows_like_sqrt_m():
    """Corollary: for L = floor(sqrt(m)/7), sum_{l<=L} (4e D_l (m s_l + P_l)/P_l)^{P_l} < 2^(m-1) (d = 2, large m)."""
    iv = mpmath.iv
    old = iv.prec
    iv.prec = 200
    try:
        d = 2
        for m in (10**6, 10**7, 10**8):
            L = int(mpmath.sqrt(m) / 7)
            total = iv.mpf(0)
            for l in range(L + 1):
                P, s, D = (d + 1, 1, 1) if l == 0 else (12 * l + 3 * d - 5, 5**l, 2**l * (2 * l - 1) + 2)
                total += iv.exp(P * iv.log(4 * iv.e * D * (m * s + P) / P))
            assert (iv.log(total) / iv.log(2) - (m - 1)).b < 0
    finally:
        iv.prec = old


# --------------------------------------------------------------------------
# vc-line-width3: a line goes to half an ellipse; eps = 0 layers at most double the visits
# --------------------------------------------------------------------------


def _Q(u, w):
    return (2 * u**2 + 6 * w**2) / 3


def test_line_image_is_half_an_ellipse():
    """Lemma 1: with Q(Tz) = |z|^2 and the line (t, delta), delta > 0, the point (t, delta)/r, r^2 = t^2 + delta^2 + eps,
    lies on x^2 + (1 + eps/delta^2) y^2 = 1 and moves injectively (dx/dt = (delta^2 + eps)/r^3 > 0)."""
    z1, z2 = sp.symbols("z1 z2", real=True)
    T = (sp.sqrt(sp.Rational(3, 2)) * z1, sp.sqrt(sp.Rational(1, 2)) * z2)
    assert sp.expand(_Q(*T) - (z1**2 + z2**2)) == 0
    t = sp.Symbol("t", real=True)
    delta = sp.Symbol("delta", positive=True)
    eps = sp.Symbol("eps", nonnegative=True)
    r = sp.sqrt(t**2 + delta**2 + eps)
    x, y = t / r, delta / r
    assert sp.simplify(x**2 + (1 + eps / delta**2) * y**2 - 1) == 0
    assert sp.simplify(sp.diff(x, t) * r**3 - (delta**2 + eps)) == 0
    # at eps = 0 the ellipse is the unit circle (S in T-coordinates) and y > 0 is half of it
    assert sp.simplify((x**2 + y**2 - 1).subs(eps, 0)) == 0


def test_eps0_layer_at_most_doubles_the_visits():
    """(a): for an invertible affine A and P on S = {Q = 1}, the X on S with A(X) on the open ray through P solve a
    quadratic in the ray parameter with positive leading coefficient: at most two of them."""
    import random

    rnd = random.Random(29)
    tt = sp.Symbol("t", positive=True)
    for _ in range(30):
        M = sp.Matrix(2, 2, [sp.Rational(rnd.randint(-9, 9), rnd.choice([1, 2, 3])) for _ in range(4)])
        if M.det() == 0:
            continue
        g = sp.Matrix([sp.Rational(rnd.randint(-9, 9), 2) for _ in range(2)])
        z = sp.Matrix([sp.Rational(rnd.randint(-9, 9), 3) for _ in range(2)])
        if z == sp.zeros(2, 1):
            continue
        P = z / sp.sqrt(_Q(z[0], z[1]))                     # a point of S
        X = M.inv() * (tt * P - g)                          # A(X) = t P, t > 0
        eq = sp.expand(_Q(X[0], X[1]) - 1)
        poly = sp.Poly(eq, tt)
        assert poly.degree() == 2 and sp.simplify(poly.LC()) > 0
        roots = [r for r in sp.solve(eq, tt) if r.is_real and bool(r > 0)]
        assert len(roots) <= 2


def test_two_layer_zero_set_lies_on_a_conic():
    """(b): with k = (rho u + sigma w)^2 - b^2 n^2, k = n^2 G (G - 2b) for G = (rho u + sigma w)/n + b; so G = 0
    gives k = 0 and k = 0 gives G in {0, 2b}; and K(p, q) = k(A(p, q)) has degree <= 2."""
    u, w, rho, sigma, b = sp.symbols("u w rho sigma b", real=True)
    n = sp.Symbol("n", positive=True)
    G = (rho * u + sigma * w) / n + b
    k = (rho * u + sigma * w) ** 2 - b**2 * n**2
    assert sp.simplify(k - n**2 * G * (G - 2 * b)) == 0
    p, q, eps = sp.symbols("p q eps", real=True)
    m = sp.symbols("m11 m12 m21 m22 g1 g2", real=True)
    U, W = m[0] * p + m[1] * q + m[4], m[2] * p + m[3] * q + m[5]
    K = (rho * U + sigma * W) ** 2 - b**2 * (_Q(U, W) + eps)
    assert sp.Poly(sp.expand(K), p, q).total_degree() <= 2


def _oracle_eliminant(L, eps, rnd):
    """Resultant elimination of the zero condition along s (independent of the package): degree in s."""
    s = sp.Symbol("s")
    ys = sp.symbols(f"y1:{L + 1}")
    R = lambda: sp.Rational(rnd.randint(-7, 7), rnd.choice([1, 2, 3]))  # noqa: E731
    U, W = R() * s + R(), R() * s + R()
    prod, rels = sp.Integer(1), []
    for k in range(L):
        rels.append(sp.expand(3 * ys[k] ** 2 * prod**2 - (2 * U**2 + 6 * W**2 + 3 * eps * prod**2)))
        prod *= ys[k]
        if k < L - 1:
            U, W = (sp.expand(R() * U + R() * W + R() * prod), sp.expand(R() * U + R() * W + R() * prod))
    E = sp.expand(R() * U + R() * W + R() * prod)
    for k in reversed(range(L)):
        E = sp.expand(sp.resultant(E, rels[k], ys[k]))
        if k:
            P = sp.Poly(E, *ys[:k])
            low = [min(mm[i] for mm in P.monoms()) for i in range(k)]
            E = sp.expand(sp.cancel(E / sp.Mul(*[ys[i] ** low[i] for i in range(k)])))
    return sp.Poly(E, s)


@pytest.mark.parametrize("L", [1, 2, 3, 4])
@pytest.mark.parametrize("eps", [sp.Integer(0), sp.Rational(1, 7)])
def test_eliminant_degree_is_two_to_the_L(L, eps):
    """Evidence for the conjecture (and the check's counting method): eliminating the square roots of a random
    width-3 network along a line by resultants leaves a non-zero polynomial of degree exactly 2^L in s."""
    import random

    rnd = random.Random(f"eliminant:{L}:{eps}")
    for _ in range(2 if L < 4 else 1):
        P = _oracle_eliminant(L, eps, rnd)
        assert not P.is_zero and P.degree() == 2**L


# --------------------------------------------------------------------------
# The proofs folder and this file stay in step.
# --------------------------------------------------------------------------

_CITED = re.compile(r"tests/test_proof_lemmas\.py::(test_\w+)(\[[^\]]*\])?")
_REQUIRED_SECTIONS = ("Statement", "Source", "Proof", "What `lnnet check", "What it does not verify",
                      "Lemma checks")


def _defined_tests():
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def _lemma_section(text):
    match = re.search(r"^## Lemma checks\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    return match.group(1) if match else None


def test_all_ids_have_proof_files():
    found = {p.stem for p in PROOFS.glob("*.md") if p.name != "README.md"}
    assert found == set(THEOREM_IDS)
    readme = (PROOFS / "README.md").read_text(encoding="utf-8")
    for tid in THEOREM_IDS:
        assert f"`{tid}`" in readme and f"({tid}.md)" in readme
        text = (PROOFS / f"{tid}.md").read_text(encoding="utf-8")
        headings = re.findall(r"^## (.+)$", text, flags=re.M)
        for section in _REQUIRED_SECTIONS:
            assert any(hd.startswith(section) for hd in headings), (tid, section)


def test_every_proof_cites_existing_lemma_tests():
    defined = _defined_tests()
    used = set()
    for tid in THEOREM_IDS:
        section = _lemma_section((PROOFS / f"{tid}.md").read_text(encoding="utf-8"))
        assert section is not None, tid
        cited = [m.group(1) for m in _CITED.finditer(section)]
        assert cited, f"{tid}.md cites no lemma test"
        missing = sorted(set(cited) - defined)
        assert not missing, f"{tid}.md cites missing tests {missing}"
        used |= set(cited)
    # every lemma test here backs at least one proof (the two meta tests excepted)
    unused = defined - used - {"test_all_ids_have_proof_files", "test_every_proof_cites_existing_lemma_tests"}
    assert not unused, f"tests cited by no proof: {sorted(unused)}"
