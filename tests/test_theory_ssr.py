"""Tests for lnnet_construct.theory.ssr (SSR / LSSR, MATH.md §5).

The oracle is written here from the MATH.md formulas with sympy matrices and
sympy's ``Matrix.pinv`` (a different algorithm from the module's exact
Gauss-Jordan solve of ``S_T v = Delta``).
"""

from __future__ import annotations

from fractions import Fraction as F

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from lnnet_construct.errors import InputError
from lnnet_construct.theory.ssr import lssr, lssr_direction, lssr_mp, scatter_matrices, ssr, xor_witness

# ----------------------------------------------------------------------------- oracle


def oracle_lssr(x1, x2):
    """1 - (m1 m2/m) Delta^T pinv(S_T) Delta with sympy matrices (independent code)."""
    a1 = [sp.Matrix([sp.Rational(c.numerator, c.denominator) for c in p]) for p in x1]
    a2 = [sp.Matrix([sp.Rational(c.numerator, c.denominator) for c in p]) for p in x2]
    m1, m2 = len(a1), len(a2)
    mu1 = sum(a1, sp.zeros(*a1[0].shape)) / m1
    mu2 = sum(a2, sp.zeros(*a1[0].shape)) / m2
    mu = (sum(a1 + a2, sp.zeros(*a1[0].shape))) / (m1 + m2)
    st_ = sum(((p - mu) * (p - mu).T for p in a1 + a2), sp.zeros(a1[0].shape[0]))
    delta = mu1 - mu2
    val = 1 - sp.Rational(m1 * m2, m1 + m2) * (delta.T * st_.pinv() * delta)[0, 0]
    return val


def to_frac(e):
    assert e.is_Rational, e
    return F(int(e.p), int(e.q))


def apply_affine(w, b, pts):
    return [[sum((wij * xj for wij, xj in zip(row, p)), F(0)) + bi for row, bi in zip(w, b)] for p in pts]


def rank(w):
    return sp.Matrix([[sp.Rational(e.numerator, e.denominator) for e in r] for r in w]).rank()


# ----------------------------------------------------------------------------- strategies

small_q = st.fractions(min_value=-4, max_value=4, max_denominator=6)


@st.composite
def two_classes(draw, max_d=3, max_m=4):
    d = draw(st.integers(1, max_d))
    pt = st.lists(small_q, min_size=d, max_size=d)
    x1 = draw(st.lists(pt, min_size=1, max_size=max_m))
    x2 = draw(st.lists(pt, min_size=1, max_size=max_m))
    # duplicates on purpose: sometimes repeat a point of X1 inside X1 or X2
    if draw(st.booleans()):
        x1 = x1 + [x1[0]]
    return x1, x2


def not_all_equal(x1, x2):
    pts = [tuple(p) for p in x1 + x2]
    return len(set(pts)) > 1


HUGE = F(10) ** 12
TINY = F(1, 10**12)

# ----------------------------------------------------------------------------- pinned values


def test_xor_is_one():
    assert lssr([[0, 0], [1, 1]], [[1, 0], [0, 1]]) == 1
    assert lssr([["-1", "-1"], ["1", "1"]], [["1", "-1"], ["-1", "1"]]) == 1


def test_two_points_give_zero():
    assert lssr([[0, 0, 5]], [[3, 1, 5]]) == 0
    assert lssr([[HUGE]], [[TINY]]) == 0


def test_one_d_version_of_prop2_before():
    # MATH.md §5: X1 = {-1, 1}, X2 = {0} has LSSR 1 before the LN layer
    assert lssr([-1, 1], [0]) == 1


def test_hand_computed_one_d():
    # X1 = {0, 1}, X2 = {1, 3}: mu1 = 1/2, mu2 = 2, S_T = 19/4, Delta^2 = 9/4, c = 1
    assert lssr([[0], [1]], [[1], [3]]) == 1 - F(9, 4) / F(19, 4)


@pytest.mark.parametrize("x1,x2", [
    # duplicates inside and across classes
    ([[1, 2], [1, 2], [0, 0]], [[1, 2], [3, 1]]),
    # huge and tiny magnitudes as exact Fractions
    ([[HUGE, TINY], [HUGE + 1, 0]], [[-HUGE, TINY], [0, -TINY]]),
    ([[TINY, 0, 0], [0, TINY, 0]], [[0, 0, TINY], [TINY, TINY, TINY]]),
    # rank-deficient S_T: all points on a line in R^3
    ([[0, 0, 0], [1, 2, 3]], [[2, 4, 6], [F(1, 2), 1, F(3, 2)], [5, 10, 15]]),
    # decimals that collide as floats
    ([["0.1", "0.2"], ["0.3", "0"]], [["0.30000000000000004", "0"], ["0.1", "0.2000000000000001"]]),
])
def test_pinned_against_pinv(x1, x2):
    got = lssr(x1, x2)
    assert isinstance(got, F)
    assert got == to_frac(oracle_lssr([[F(c) for c in p] for p in x1], [[F(c) for c in p] for p in x2]))
    assert 0 <= got <= 1
    a = lssr_direction(x1, x2)
    assert ssr(x1, x2, a) == got


# ----------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_classes())
@example(([[F(0)], [F(0)]], [[F(1)]]))
@example(([[F(0), F(0)], [F(1), F(1)]], [[F(1), F(0)], [F(0), F(1)]]))
def test_lssr_matches_sympy_pinv(data):
    x1, x2 = data
    assume(not_all_equal(x1, x2))
    got = lssr(x1, x2)
    assert got == to_frac(oracle_lssr(x1, x2))
    assert 0 <= got <= 1


@settings(max_examples=80, deadline=None)
@given(two_classes(), st.lists(small_q, min_size=3, max_size=3))
@example(([[F(0)], [F(2)]], [[F(1)]]), [F(1), F(0), F(0)])
def test_lssr_is_a_lower_bound_of_ssr(data, a):
    x1, x2 = data
    assume(not_all_equal(x1, x2))
    d = len(x1[0])
    a = a[:d]
    proj = {sum((ai * xi for ai, xi in zip(a, p)), F(0)) for p in x1 + x2}
    assume(len(proj) > 1)  # a^T S_T a > 0
    s = ssr(x1, x2, a)
    assert 0 <= s <= 1
    assert lssr(x1, x2) <= s


@settings(max_examples=60, deadline=None)
@given(two_classes())
def test_direction_attains_minimum(data):
    x1, x2 = data
    assume(not_all_equal(x1, x2))
    a = lssr_direction(x1, x2)
    assert ssr(x1, x2, a) == lssr(x1, x2)


@settings(max_examples=100, deadline=None)
@given(two_classes(), st.integers(1, 4), st.data())
@example(([[F(0), F(0)], [F(1), F(1)]], [[F(1), F(0)], [F(0), F(1)]]), 1, None)
def test_prop1_affine_maps_never_lower_lssr(data, dout, draw):
    x1, x2 = data
    assume(not_all_equal(x1, x2))
    d = len(x1[0])
    if draw is None:  # pinned example: the projection onto x1 - x2 (rank 1)
        w, b = [[F(1), F(-1)]], [F(0)]
    else:
        w = draw.draw(st.lists(st.lists(small_q, min_size=d, max_size=d), min_size=dout, max_size=dout))
        if draw.draw(st.booleans()):  # force rank deficiency: repeat/scale a row
            w = w + [[2 * e for e in w[0]]]
        b = draw.draw(st.lists(small_q, min_size=len(w), max_size=len(w)))
    y1, y2 = apply_affine(w, b, x1), apply_affine(w, b, x2)
    before = lssr(x1, x2)
    if not not_all_equal(y1, y2):
        with pytest.raises(InputError):
            lssr(y1, y2)
        return
    after = lssr(y1, y2)
    assert after >= before
    if rank(w) == d:  # injective
        assert after == before


def test_prop1_injective_many_random_maps():
    import random
    rng = random.Random(1234)
    x1 = [[F(rng.randint(-9, 9), rng.randint(1, 5)) for _ in range(3)] for _ in range(5)]
    x2 = [[F(rng.randint(-9, 9), rng.randint(1, 5)) for _ in range(3)] for _ in range(4)]
    before = lssr(x1, x2)
    checked = 0
    for _ in range(40):
        dout = rng.randint(3, 5)
        w = [[F(rng.randint(-5, 5), rng.randint(1, 3)) for _ in range(3)] for _ in range(dout)]
        b = [F(rng.randint(-5, 5)) for _ in range(dout)]
        if rank(w) < 3:
            continue
        checked += 1
        assert lssr(apply_affine(w, b, x1), apply_affine(w, b, x2)) == before
    assert checked > 20


def test_prop1_rank_one_map_can_raise_lssr():
    # Projecting XOR-free data onto a bad line loses separability: strict increase.
    x1, x2 = [[0, 0], [0, 1]], [[1, 0], [1, 1]]
    assert lssr(x1, x2) == 0
    w, b = [[F(0), F(1)]], [F(0)]
    assert lssr(apply_affine(w, b, [[F(c) for c in p] for p in x1]),
                apply_affine(w, b, [[F(c) for c in p] for p in x2])) == 1


# ----------------------------------------------------------------------------- algebraic data


def test_algebraic_data_one_d_exact():
    r2, r3 = sp.sqrt(2), sp.sqrt(3)
    x1, x2 = [[r2], [1]], [[3], [r3], [0]]
    got = lssr(x1, x2)
    # 1-D: LSSR = SSR of the only direction = S_W / S_T, computed here by hand in sympy
    v1, v2 = [r2, 1], [3, r3, 0]
    m1m, m2m = sum(v1) / 2, sum(v2) / 3
    mu = (sum(v1) + sum(v2)) / 5
    sw = sum((v - m1m) ** 2 for v in v1) + sum((v - m2m) ** 2 for v in v2)
    stt = sum((v - mu) ** 2 for v in v1 + v2)
    t = sp.Symbol("t")
    assert sp.minimal_polynomial(got - sw / stt, t) == t
    assert abs(float(got) - float(lssr_mp(x1, x2, prec=100))) < 1e-12


def test_non_algebraic_input_is_refused():
    with pytest.raises(InputError):
        lssr([[sp.pi]], [[0], [1]])
    with pytest.raises(InputError):
        lssr([[sp.Symbol("x")]], [[0], [1]])


# ----------------------------------------------------------------------------- mpmath variant


@settings(max_examples=40, deadline=None)
@given(two_classes())
def test_mpmath_variant_agrees(data):
    x1, x2 = data
    assume(not_all_equal(x1, x2))
    exact = lssr(x1, x2)
    approx = lssr(x1, x2, arith="mpmath", prec=200)
    approx_q = F(*mpmath.libmp.to_rational(approx._mpf_))  # exact value of the mpf
    assert abs(approx_q - exact) < F(1, 2**150)


def test_mpmath_variant_leaves_global_precision_alone():
    before = mpmath.mp.prec
    lssr_mp([[0, 0], [1, 2]], [[3, 1]], prec=300)
    assert mpmath.mp.prec == before


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("x1,x2,msg", [
    ([], [[1]], "no points"),
    ([[1]], [], "no points"),
    ([[1, 2], [1, 2]], [[1, 2]], "all points are equal"),
    ([[1, 2]], [[1, 2, 3]], "dimension"),
    ([[1, 2], [3]], [[1, 2]], "dimension"),
    ([["nan"]], [[1]], "number"),
])
def test_degenerate_inputs_raise(x1, x2, msg):
    with pytest.raises(InputError, match=msg):
        lssr(x1, x2)


def test_ssr_rejects_constant_projection():
    with pytest.raises(InputError, match="a\\^T S_T a = 0"):
        ssr([[0, 0], [1, 1]], [[2, 2]], [1, -1])


def test_unknown_arith():
    with pytest.raises(InputError, match="unknown arith"):
        lssr([[0]], [[1]], arith="float")


def test_scatter_identity():
    # S_T = S_W + (m1 m2/m) Delta Delta^T, exactly
    s = scatter_matrices([[0, 1], [2, 3], [1, 1]], [[5, 0], [1, -1]])
    c = F(s.m1 * s.m2, s.m1 + s.m2)
    for i in range(2):
        for j in range(2):
            assert s.total[i][j] == s.within[i][j] + c * s.delta[i] * s.delta[j]


# ----------------------------------------------------------------------------- Proposition 2 witness


def fold_ordinate(t, h, eps):
    """v2 . LN(t v1 + h v2) from MATH.md §2.2: 6h / sqrt((2 t^2 + 6 h^2)/3 + eps)."""
    t, h, eps = (sp.Rational(q.numerator, q.denominator) for q in (F(t), F(h), F(eps)))
    return 6 * h / sp.sqrt((2 * t**2 + 6 * h**2) / 3 + eps)


@pytest.mark.parametrize("h,eps", [(1, 0), (F(1, 3), F(1, 10)), (5, 2), (F(1, 10**6), 0)])
def test_xor_witness(h, eps):
    from lnnet_construct.arith import Sign, get_arith
    from lnnet_construct.forward import decide, forward

    w = xor_witness(h=h, eps=eps)
    assert w.lssr_before == 1 == lssr(w.x1, w.x2)
    assert w.collapsed
    assert w.lssr_after == 0
    assert w.lssr_after_ln == 0 <= w.lssr_after  # Prop 1: the readout is linear
    A = get_arith("sympy")
    # class A has t = 0, class B has t = +-1; values from the closed form of the fold
    for v in w.readout1:
        assert A.sign(v - fold_ordinate(0, h, eps)) is Sign.ZERO
    for v in w.readout2:
        assert A.sign(v - fold_ordinate(1, h, eps)) is Sign.ZERO
    # the LN outputs are centred and (eps = 0) have squared norm 3
    for y in w.ln_outputs1 + w.ln_outputs2:
        assert A.sign(sum(y)) is Sign.ZERO
        if eps == 0:
            assert A.sign(sum(e**2 for e in y) - 3) is Sign.ZERO
    # as a certified network it classifies the four XOR points
    net = w.to_network()
    E = get_arith("exact")
    for p in w.x1:
        assert decide(net, forward(net, p, E), E) == "A"
    for p in w.x2:
        assert decide(net, forward(net, p, E), E) == "B"


def test_one_d_version_of_prop2_after():
    # X1 = {-1, 1}, X2 = {0}, layer t -> v2 . LN(t v1 + v2): LSSR 1 -> 0
    after1 = [fold_ordinate(t, 1, 0) for t in (-1, 1)]
    after2 = [fold_ordinate(0, 1, 0)]
    assert lssr([-1, 1], [0]) == 1
    assert lssr(after1, after2) == 0


def test_xor_witness_rejects_bad_parameters():
    with pytest.raises(InputError):
        xor_witness(h=0)
    with pytest.raises(InputError):
        xor_witness(eps=-1)
