"""Tests for the normalisation facts of MATH.md §8: Lipschitz, isometry, one-LN networks, LN on 2 neurons."""

from __future__ import annotations

import random
from fractions import Fraction as F

import mpmath
import pytest
import sympy as sp
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from lnnet_construct.arith import Sign, get_arith
from lnnet_construct.errors import InputError, ZeroVarianceError
from lnnet_construct.ops import layer_norm
from lnnet_construct.theory.isometry import (
    gram,
    isometry,
    isometry_gain,
    isometry_nth_power,
    normalise_rows_gram,
)
from lnnet_construct.theory.lipschitz import (
    batchnorm_lipschitz,
    ln_jacobian,
    ln_jacobian_closed_form,
    ln_jtj_eigenvalues,
    ln_lipschitz_constant,
    ln_spectral_norm,
)
from lnnet_construct.theory.one_ln import (
    alternation_bound_holds,
    derivative_numerator,
    derivative_numerator_symbolic,
    ln2,
    one_ln_value,
    stationary_points,
)

SYM = get_arith("sympy")
EXACT = get_arith("exact")
CTX = mpmath.ctx_mp.MPContext()  # private context: never touch mpmath.mp
CTX.prec = 200


def R(q):
    q = F(q)
    return sp.Rational(q.numerator, q.denominator)


def var_of(x):
    m = sum(x, F(0)) / len(x)
    return sum(((v - m) ** 2 for v in x), F(0)) / len(x)


def is_zero(e):
    return SYM.sign(e) is Sign.ZERO


def mp_of(e):
    return CTX.mpf(sp.N(e, 70))


def oracle_ln(z, eps):
    """LN from the MATH.md formula, on sympy inputs (independent of ops.layer_norm)."""
    d = len(z)
    mu = sum(z) / d
    var = sum((v - mu) ** 2 for v in z) / d
    return [(v - mu) / sp.sqrt(var + R(eps)) for v in z]


# ============================================================================ Lipschitz


@pytest.mark.parametrize("d,eps", [(3, F(0)), (3, F(1, 3)), (4, F(0)), (5, F(2)), (6, F(1, 7))])
def test_jacobian_exact_matches_closed_form_and_oracle(d, eps):
    rng = random.Random(d * 31 + int(eps * 7))
    x = [F(rng.randint(-9, 9), rng.randint(1, 4)) for _ in range(d)]
    assert var_of(x) != 0
    j = ln_jacobian(x, eps)
    k = ln_jacobian_closed_form(x, eps)
    syms = sp.symbols(f"t0:{d}", real=True)
    jo = sp.Matrix(oracle_ln(list(syms), eps)).jacobian(sp.Matrix(syms)).subs(dict(zip(syms, map(R, x))))
    for a, b, c in zip(j, k, jo):
        assert is_zero(a - b) and is_zero(a - c)


@pytest.mark.parametrize("d", [3, 4, 5, 6])
def test_spectral_norm_is_one_over_s(d):
    rng = random.Random(d)
    for eps in (F(0), F(1, 5), F(3)):
        x = [F(rng.randint(-9, 9), rng.randint(1, 3)) for _ in range(d)]
        if var_of(x) == 0:
            continue
        s2 = var_of(x) + eps
        norm = ln_spectral_norm(x, eps)
        assert norm**2 == R(1 / s2)  # exact: ||J||_2 = 1/s
        # eigen-structure of J^T J: 0 (on 1), (eps/s^2)^2/s^2 (on y), 1/s^2 (d - 2 times)
        ev = ln_jtj_eigenvalues(x, eps)
        expected = sorted([F(0), (eps / s2) ** 2 / s2] + [1 / s2] * (d - 2))
        assert [F(int(e.p), int(e.q)) for e in ev] == expected
        # independent numeric SVD in mpmath (200 bits) of the exact Jacobian
        jm = CTX.matrix([[mp_of(e) for e in row] for row in ln_jacobian(x, eps).tolist()])
        smax = max(CTX.svd_r(jm, compute_uv=False))
        assert abs(smax - mp_of(norm)) < CTX.mpf(2) ** -150


def test_width_two_spectral_norm():
    # d = 2: J = (eps/(var+eps)) P / s, not 1/s
    x, eps = [0, 2], F(1)
    assert ln_spectral_norm(x, eps) == sp.Rational(1, 2) / sp.sqrt(2)
    assert ln_spectral_norm([0, 2], 0) == 0


def test_lipschitz_constant_is_attained_at_zero_variance():
    eps = F(1, 9)
    c = ln_lipschitz_constant(4, eps)
    assert c == 3
    assert ln_spectral_norm([5, 5, 5, 5], eps) == c  # var = 0
    rng = random.Random(3)
    for _ in range(5):
        x = [F(rng.randint(-5, 5)) for _ in range(4)]
        assert SYM.sign(c - ln_spectral_norm(x, eps)) in (Sign.POSITIVE, Sign.ZERO)
    assert ln_lipschitz_constant(3, 0) == sp.oo


def test_jacobian_errors():
    with pytest.raises(ZeroVarianceError):
        ln_jacobian([1, 1, 1], 0)
    with pytest.raises(InputError):
        ln_jacobian([1], 0)
    with pytest.raises(InputError):
        ln_spectral_norm([1, 2, 3], -1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.fractions(-10, 10, max_denominator=9), st.fractions(0, 10, max_denominator=9)),
                min_size=1, max_size=5),
       st.fractions(0, 3, max_denominator=5))
@example([(F(10**12), F(0)), (F(1), F(10**12))], F(1, 10**12))
def test_batchnorm_lipschitz(channels, eps):
    gamma = [g for g, _ in channels]
    var = [v for _, v in channels]
    assume(all(v + eps > 0 for v in var))
    got = batchnorm_lipschitz(gamma, var, eps)
    # exact: got^2 equals the largest gamma^2/(var+eps), and dominates every channel
    sq = [g * g / (v + eps) for g, v in zip(gamma, var)]
    assert got**2 == R(max(sq))
    # numeric cross-check against per-channel mpmath values
    best = max(abs(CTX.mpf(g.numerator) / g.denominator) / CTX.sqrt(CTX.mpf((v + eps).numerator) / (v + eps).denominator)
               for g, v in zip(gamma, var))
    assert abs(mp_of(got) - best) <= best * CTX.mpf(2) ** -150


def test_batchnorm_errors():
    with pytest.raises(ZeroVarianceError):
        batchnorm_lipschitz([1], [0], 0)
    with pytest.raises(InputError):
        batchnorm_lipschitz([1, 2], [1], 0)
    with pytest.raises(InputError):
        batchnorm_lipschitz([1], [-1], 2)


# ============================================================================ isometry


def rand_x(rng, n, k):
    return [[F(rng.randint(-6, 6), rng.randint(1, 3)) for _ in range(k)] for _ in range(n)]


@pytest.mark.parametrize("n,k", [(2, 2), (3, 3), (3, 5), (4, 4), (5, 6)])
def test_normalisation_never_lowers_isometry(n, k):
    rng = random.Random(n * 10 + k)
    for _ in range(3):
        x = rand_x(rng, n, k)
        g = gram(x)
        if any(g[i][i] == 0 for i in range(n)):
            continue
        r = isometry_gain(g)
        gm = sp.Matrix([[R(e) for e in row] for row in g])
        det = gm.det()
        tr = gm.trace()
        assert r.before_nth == F(int(det.p), int(det.q)) / (F(int(tr.p), int(tr.q)) / n) ** n
        # independent: det of the explicitly normalised (irrational) matrix, trace n
        gp = normalise_rows_gram(g)
        assert all(is_zero(gp[i, i] - 1) for i in range(n))
        det_p = sp.radsimp(sp.expand(gp.det()))
        assert is_zero(det_p - R(r.after_nth))
        assert r.holds
        if r.gain_nth is not None:
            diag = [g[i][i] for i in range(n)]
            am, prod = sum(diag, F(0)) / n, F(1)
            for e in diag:
                prod *= e
            assert r.gain_nth == am**n / prod >= 1
            assert r.after_nth == r.before_nth * r.gain_nth
            assert r.equality == (len(set(diag)) == 1)


def test_isometry_matches_eigenvalues_numerically():
    m = [[4, 1, 0], [1, 3, 1], [0, 1, 2]]
    ev = CTX.eigsy(CTX.matrix(m), eigvals_only=True)
    gm = CTX.root(ev[0] * ev[1] * ev[2], 3)
    am = (ev[0] + ev[1] + ev[2]) / 3
    assert abs(mp_of(isometry(m)) - gm / am) < CTX.mpf(2) ** -150
    assert isometry_nth_power(m) == F(18, 27)  # det 18, (tr/3)^3 = 27


def test_isometry_equality_and_singular_cases():
    assert isometry_gain([[2, 1], [1, 2]]).equality  # equal norms
    r = isometry_gain(gram([[1, 2], [2, 4]]))        # rank 1
    assert r.gain_nth is None and r.before_nth == 0 and r.after_nth == 0 and r.holds
    assert isometry([[3, 0], [0, 3]]) == 1


def test_isometry_errors():
    with pytest.raises(InputError, match="symmetric"):
        isometry([[1, 2], [0, 1]])
    with pytest.raises(InputError, match="semi-definite"):
        isometry([[1, 2], [2, 1]])
    with pytest.raises(InputError, match="semi-definite"):
        isometry([[0, 1], [1, 5]])
    with pytest.raises(InputError, match="zero matrix"):
        isometry([[0, 0], [0, 0]])
    with pytest.raises(InputError, match="zero sample"):
        normalise_rows_gram([[0, 0], [0, 1]])


# ============================================================================ one-LN networks

small_q = st.fractions(min_value=-4, max_value=4, max_denominator=5)


@st.composite
def one_ln_net(draw, max_d=4):
    d = draw(st.integers(2, max_d))
    vec = st.lists(small_q, min_size=d, max_size=d)
    return (draw(vec), draw(vec), draw(vec), draw(small_q),
            draw(st.sampled_from([F(0), F(1, 100), F(1, 2), F(3)])))


def non_degenerate(w, b, eps):
    u = [v - sum(w, F(0)) / len(w) for v in w]
    return any(u) and (eps > 0 or any(v - sum(b, F(0)) / len(b) for v in b))


@settings(max_examples=25, deadline=None)
@given(one_ln_net(max_d=3))
@example(([F(0), F(0), F(1)], [F(1), F(0), F(0)], [F(0), F(1), F(0)], F(0), F(0)))
@example(([F(1), F(-1)], [F(1), F(0)], [F(0), F(0)], F(0), F(1, 2)))
def test_derivative_numerator_is_affine(net):
    a, w, b, c, eps = net
    assume(non_degenerate(w, b, eps))
    poly = derivative_numerator_symbolic(a, w, b, eps)
    assert poly.degree() <= 1
    alpha, beta = derivative_numerator(a, w, b, eps)
    coeffs = [sp.Integer(0)] * (2 - len(poly.all_coeffs())) + poly.all_coeffs()
    assert coeffs == [R(alpha), R(beta)]


@settings(max_examples=25, deadline=None)
@given(one_ln_net())
def test_stationary_point_is_a_zero_of_the_oracle_derivative(net):
    a, w, b, c, eps = net
    assume(non_degenerate(w, b, eps))
    sp_ = stationary_points(a, w, b, c, eps)
    x = sp.Symbol("x", real=True)
    f = sum(R(ai) * y for ai, y in zip(a, oracle_ln([R(wi) * x + R(bi) for wi, bi in zip(w, b)], eps))) + R(c)
    fp = sp.diff(f, x)
    for p in sp_.points:
        assert is_zero(fp.subs(x, R(p)))
    alpha, beta = derivative_numerator(a, w, b, eps)
    # away from the stationary point f' has the sign of alpha x + beta (q > 0)
    for t in (F(-7), F(-1, 3), F(2), F(11)):
        if t in sp_.undefined_at:
            continue
        lin = alpha * t + beta
        s = SYM.sign(fp.subs(x, R(t)))
        assert s is Sign.of_fraction(lin)


@settings(max_examples=40, deadline=None)
@given(one_ln_net(), st.lists(st.fractions(-6, 6, max_denominator=4), min_size=4, max_size=4, unique=True))
def test_alternation_bound_on_random_networks(net, xs):
    a, w, b, c, eps = net
    assume(non_degenerate(w, b, eps))
    xs = sorted(xs)
    try:
        r = alternation_bound_holds(a, w, b, c, eps, xs)
    except ZeroVarianceError:
        return  # f undefined at one of the points (eps = 0)
    assert r.holds
    assert len(r.stationary.points) <= 1


def within_one(value, target):
    return EXACT.sign(value - target - 1) is Sign.NEGATIVE and EXACT.sign(value - target + 1) is Sign.POSITIVE


def test_alternation_near_miss_bump():
    # the fold of MATH.md §2.2 is a bump: f(t) = k * v2 . LN(t v1 + v2) + c0, peak at t = 0.
    # It matches -1, +1, -1 at three points within error < 1 (so the comparisons are not
    # vacuous), but no fourth alternating point can be matched.
    k = F(4, 7)
    a, w, b = [k, k, -2 * k], [1, -1, 0], [1, 1, -2]
    peak = one_ln_value(a, w, b, 0, 0, 0, EXACT)
    tail = one_ln_value(a, w, b, 0, 0, 10, EXACT)
    c0 = F(-(float(peak) + float(tail)) / 2).limit_denominator(1000)
    assert stationary_points(a, w, b, c0, 0).points == (F(0),)
    vals = [one_ln_value(a, w, b, c0, 0, t, EXACT) for t in (-10, 0, 10)]
    assert all(within_one(v, t) for v, t in zip(vals, (-1, 1, -1)))
    r = alternation_bound_holds(a, w, b, c0, 0, [-10, 0, 10, 20])
    assert r.holds
    assert not within_one(r.values[3], 1)


def test_one_ln_value_matches_oracle():
    a, w, b, c, eps = [1, 2, -1], [1, -1, 3], [0, 1, 2], F(1, 2), F(1, 4)
    x = F(3, 7)
    got = one_ln_value(a, w, b, c, eps, x, EXACT)
    got_sym = got.to_sympy() if hasattr(got, "to_sympy") else R(got)
    ref = sum(R(ai) * y for ai, y in zip(a, oracle_ln([R(wi * x + bi) for wi, bi in zip(w, b)], eps))) + R(c)
    assert is_zero(got_sym - ref)
    assert not is_zero(got_sym - ref - R(F(1, 10**9)))  # the comparison can fail


def test_stationary_cases():
    # w parallel to 1: f constant
    with pytest.raises(ZeroVarianceError):
        stationary_points([1, 2], [1, 1], [3, 3], 0, 0)
    r = stationary_points([1, 2], [1, 1], [3, 4], 0, 0)
    assert r.constant and r.points == ()
    # sign unit (eps = 0, d = 2): undefined at x = 0, constant on both sides
    r = stationary_points([1, -1], [1, 0], [0, 0], 0, 0)
    assert r.constant and r.undefined_at == (F(0),)
    # eps > 0, d = 2: sigmoid, strictly monotone
    r = stationary_points([1, -1], [1, 0], [0, 0], 0, F(1, 2))
    assert not r.constant and r.points == ()
    with pytest.raises(InputError):
        alternation_bound_holds([1, 0], [1, 0], [0, 0], 0, 1, [1, 2, 3])


# ============================================================================ LN on two neurons


@settings(max_examples=100, deadline=None)
@given(st.fractions(-10, 10, max_denominator=9), st.fractions(-10, 10, max_denominator=9),
       st.sampled_from([F(0), F(1, 10**12), F(1, 3), F(5)]))
@example(F(10**12), F(-10**12), F(1, 10**12))
def test_ln2_matches_layer_norm(a, b, eps):
    if a == b and eps == 0:
        with pytest.raises(ZeroVarianceError):
            ln2(a, b, eps)
        return
    got = ln2(a, b, eps)
    ref = layer_norm([a, b], eps=eps, arith=EXACT)
    assert all(EXACT.sign(g - r) is Sign.ZERO for g, r in zip(got, ref))
    t = (a - b) / 2
    if eps == 0:
        assert got == ((1, -1) if t > 0 else (-1, 1))
    else:
        # y = t / sqrt(t^2 + eps): y has the sign of t and y^2 = t^2/(t^2+eps)
        y = got[0]
        assert EXACT.sign(y) is Sign.of_fraction(t)
        assert EXACT.sign(y * y - t * t / (t * t + eps)) is Sign.ZERO
