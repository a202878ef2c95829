"""Hypothesis property tests of the LayerNorm identities of MATH.md §1 (exact arithmetic)."""

from fractions import Fraction

import sympy
from hypothesis import assume, example, given
from hypothesis import strategies as st

from lnnet_construct.arith import Sign, get_arith
from lnnet_construct.ops import layer_norm

E = get_arith("exact")
rat = st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**4)
vectors = st.lists(rat, min_size=2, max_size=6)


def _not_constant(x):
    return len(set(x)) > 1


def _zero(v):
    return E.sign(v) is Sign.ZERO


@given(vectors)
@example([Fraction(0), Fraction(1)])
@example([Fraction(10**6), Fraction(10**6), Fraction(-10**6)])
@example([Fraction(1, 10**4), Fraction(0), Fraction(0)])
def test_zero_mean(x):
    assume(_not_constant(x))
    y = layer_norm(x, eps=0, arith=E)
    assert _zero(sum(y, Fraction(0)))


@given(vectors)
@example([Fraction(3), Fraction(3), Fraction(3), Fraction(4)])
def test_squared_norm_is_d(x):
    assume(_not_constant(x))
    y = layer_norm(x, eps=0, arith=E)
    assert _zero(sum((v * v for v in y), Fraction(0)) - len(x))


@given(vectors, st.fractions(min_value=Fraction(1, 1000), max_value=1000, max_denominator=1000), rat)
@example([Fraction(0), Fraction(1), Fraction(2)], Fraction(1, 1000), Fraction(10**6))
def test_invariant_under_positive_scaling_and_shifts_along_one(x, c, t):
    assume(_not_constant(x))
    y1 = layer_norm(x, eps=0, arith=E)
    y2 = layer_norm([c * v + t for v in x], eps=0, arith=E)
    assert all(_zero(a - b) for a, b in zip(y1, y2))


@given(rat, rat)
@example(Fraction(1), Fraction(1, 10**4))
def test_width_two_is_a_sign_unit(a, b):
    assume(a != b)
    y = layer_norm([a, b], eps=0, arith=E)
    s = 1 if a > b else -1
    assert y == [Fraction(s), Fraction(-s)]


@given(rat, rat, st.fractions(min_value=Fraction(1, 10**6), max_value=10, max_denominator=10**6))
def test_width_two_with_eps_is_t_over_sqrt(a, b, eps):
    y = layer_norm([a, b], eps=eps, arith=E)
    t = (a - b) / 2
    want = t / sympy.sqrt(sympy.Rational(t.numerator, t.denominator) ** 2 + sympy.Rational(eps.numerator, eps.denominator))
    got = y[0].to_sympy() if hasattr(y[0], "to_sympy") else sympy.Rational(y[0].numerator, y[0].denominator)
    assert sympy.simplify(got - want) == 0
    assert _zero(y[0] + y[1])


@given(st.lists(rat, min_size=6, max_size=6), st.sampled_from([1, 2, 3]))
def test_groups_normalise_each_block(x, g):
    s = 6 // g
    blocks = [x[i * s:(i + 1) * s] for i in range(g)]
    assume(all(_not_constant(b) for b in blocks))
    y = layer_norm(x, eps=0, groups=g, arith=E)
    for i, b in enumerate(blocks):
        assert y[i * s:(i + 1) * s] == layer_norm(b, eps=0, arith=E)


@given(st.lists(rat, min_size=3, max_size=3), st.lists(rat, min_size=3, max_size=3), st.lists(rat, min_size=3, max_size=3))
def test_affine_after_normalisation(x, w, b):
    assume(_not_constant(x))
    plain = layer_norm(x, eps=Fraction(1, 10**5), arith=E)
    full = layer_norm(x, eps=Fraction(1, 10**5), weight=w, bias=b, arith=E)
    assert all(_zero(f - (wi * p + bi)) for f, p, wi, bi in zip(full, plain, w, b))
