"""Tests for lnnet_construct.theory.hessian (MATH.md §7).

Three independent routes to H(LN-G; x):
1. the module's exact measure (sympy derivatives of the package's LayerNorm);
2. an oracle LN written here from the MATH.md formula, differentiated with
   ``sympy.hessian``;
3. the closed forms.
"""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest
import sympy as sp
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from lnnet_construct.errors import InputError, ZeroVarianceError
from lnnet_construct.theory.hessian import (
    hessian_measure,
    lng_amplification_bound,
    lng_hessian_closed_form,
    ln_hessian_closed_form,
    ln_hessian_measure,
)


def oracle_ln(xs, groups):
    """LN-G from MATH.md §1.1/§1.2: (x - mu)/sqrt(var) per contiguous block, eps = 0."""
    s = len(xs) // groups
    out = []
    for k in range(groups):
        block = xs[k * s:(k + 1) * s]
        mu = sum(block) / s
        var = sum((v - mu) ** 2 for v in block) / s
        out += [(v - mu) / sp.sqrt(var) for v in block]
    return out


def oracle_measure(point, groups):
    syms = sp.symbols(f"y0:{len(point)}", real=True)
    subs = {s: sp.Rational(q.numerator, q.denominator) for s, q in zip(syms, point)}
    total = 0
    for f in oracle_ln(list(syms), groups):
        h = sp.hessian(f, syms).subs(subs)
        total += sum(sp.expand(e**2) for e in h)
    total = sp.expand(total)
    assert total.is_Rational, total
    return F(int(total.p), int(total.q))


def random_point(rng, d):
    return [F(rng.randint(-12, 12), rng.randint(1, 4)) for _ in range(d)]


def group_vars(x, g):
    s = len(x) // g
    out = []
    for k in range(g):
        b = x[k * s:(k + 1) * s]
        m = sum(b, F(0)) / s
        out.append(sum(((v - m) ** 2 for v in b), F(0)) / s)
    return out


# ----------------------------------------------------------------------------- exact vs closed form


@pytest.mark.parametrize("d,g", [(3, 1), (4, 1), (4, 2), (6, 1), (6, 2), (6, 3)])
def test_exact_hessian_equals_closed_form(d, g):
    rng = random.Random(100 * d + g)
    done = 0
    while done < 3:
        x = random_point(rng, d)
        if any(v == 0 for v in group_vars(x, g)):
            continue
        exact = ln_hessian_measure(x, groups=g)
        assert isinstance(exact, F)
        assert exact == lng_hessian_closed_form(x, g)
        if g == 1:
            assert exact == ln_hessian_closed_form(x)
        done += 1


@pytest.mark.parametrize("d,g", [(3, 1), (4, 1), (4, 2)])
def test_exact_hessian_equals_independent_oracle(d, g):
    rng = random.Random(7 * d + g)
    x = random_point(rng, d)
    while any(v == 0 for v in group_vars(x, g)):
        x = random_point(rng, d)
    assert ln_hessian_measure(x, groups=g) == oracle_measure(x, g)


def test_group_size_two_has_zero_curvature():
    # s = 2: each group is a sign unit, locally constant
    assert ln_hessian_measure([1, 5, -2, 0], groups=2) == 0
    assert lng_hessian_closed_form([1, 5, -2, 0], 2) == 0


def test_hand_value_d3():
    # x = (0, 1, 2): var = 2/3, H = 3 * 1 / (3 * 4/9) = 9/4
    assert ln_hessian_closed_form([0, 1, 2]) == F(9, 4)
    assert ln_hessian_measure([0, 1, 2]) == F(9, 4)


def test_generic_measure_hand_computed():
    a, b = sp.symbols("a b")
    # f1 = a^3: Hessian [[6a, 0], [0, 0]]; f2 = a*b: [[0, 1], [1, 0]]  -> 36 a^2 + 2
    assert hessian_measure([a**3, a * b], [a, b], [F(1, 2), 7]) == 36 * F(1, 4) + 2


def test_eps_positive_lowers_curvature_here():
    x = [0, 1, 5]
    assert ln_hessian_measure(x, eps=F(1, 3)) < ln_hessian_measure(x)


def test_errors():
    with pytest.raises(ZeroVarianceError):
        ln_hessian_closed_form([2, 2, 2])
    with pytest.raises(ZeroVarianceError):
        lng_hessian_closed_form([1, 2, 3], 3)  # s = 1
    with pytest.raises(ZeroVarianceError):
        ln_hessian_measure([1, 1, 3, 4], groups=2)
    with pytest.raises(InputError, match="divisor"):
        lng_hessian_closed_form([1, 2, 3, 4], 3)
    with pytest.raises(InputError, match="d >= 3"):
        lng_amplification_bound([0, 1], 1)


# ----------------------------------------------------------------------------- the amplification theorem


@st.composite
def grouped_points(draw):
    g = draw(st.integers(1, 4))
    s = draw(st.integers(2, 5))
    x = draw(st.lists(st.fractions(min_value=-20, max_value=20, max_denominator=9),
                      min_size=g * s, max_size=g * s))
    return x, g


@settings(max_examples=150, deadline=None)
@given(grouped_points())
@example(([F(0), F(1), F(2), F(10**12), F(10**12 + 1), F(10**12 + 2)], 2))  # huge offset
@example(([F(0), F(1, 10**12), F(2, 10**12), F(0), F(1), F(2)], 2))          # tiny group
@example(([F(0), F(1), F(2), F(2), F(1), F(0)], 2))                          # equality case
def test_amplification_inequality(data):
    x, g = data
    assume(all(v != 0 for v in group_vars(x, g)))
    d, s = len(x), len(x) // g
    assume(d >= 3)
    r = lng_amplification_bound(x, g)
    assert r.holds
    assert r.grouped >= r.bound
    assert r.factor == F(g * (d - 2 * g), d - 2)
    # the reported values are the closed forms
    assert r.grouped == lng_hessian_closed_form(x, g) and r.plain == ln_hessian_closed_form(x)
    if r.equal_group_stats:
        assert r.equality
    if r.equality and s > 2:
        # for s > 2 equality forces equal group means and variances
        assert r.equal_group_stats


@pytest.mark.parametrize("block,g", [
    ([F(0), F(1), F(5)], 2),
    ([F(-1, 3), F(7), F(2), F(2)], 3),
    ([F(3), F(-4), F(1, 2), F(9), F(0)], 2),
])
def test_equality_on_constructed_points(block, g):
    # every group is a permutation or a reflection about the mean of the same block:
    # equal means and equal variances
    m = sum(block, F(0)) / len(block)
    variants = [block, block[::-1], [2 * m - v for v in block]]
    x = [v for k in range(g) for v in variants[k % 3]]
    r = lng_amplification_bound(x, g)
    assert r.equal_group_stats and r.equality and r.holds
    # and the exact measure agrees with the bound for a small case
    if len(x) <= 6:
        assert ln_hessian_measure(x, groups=g) == r.bound


def test_strict_inequality_example():
    # groups with different variances: Jensen is strict
    r = lng_amplification_bound([0, 1, 2, 0, 2, 4], 2)
    assert r.holds and not r.equality and not r.equal_group_stats
    assert r.grouped > r.bound


def test_grouping_with_equal_variances_but_different_means_is_strict():
    # sigma^2 > mean of sigma_k^2 when group means differ
    r = lng_amplification_bound([0, 1, 2, 10, 11, 12], 2)
    assert not r.equal_group_stats and r.holds and not r.equality
