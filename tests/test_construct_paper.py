"""The paper's algorithm (MATH.md §3.1–3.3): worked example, exact merges, conventions."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from construct_oracles import arb_decide, classifies_all, exact_decide
from lnnet_construct.arith import Sign, get_arith
from lnnet_construct.arith.exact import exact_sign
from lnnet_construct.construct import build, build_with_history
from lnnet_construct.construct.numeric import fold_exact, fold_float
from lnnet_construct.construct.paper import plan_paper_exact
from lnnet_construct.construct.projection import is_injective, paper_direction, project
from lnnet_construct.construct.rational import simplest_between
from lnnet_construct.ops import layer_norm

# MATH.md §3.2, orthonormal convention: (value, label, members) per layer, and (c, h) per fold
WORKED = [
    [(0.420084025208, 1, {5}), (0.547722557505, 0, {4}), (0.774596669241, 1, {3}),
     (1.22474487139, 0, {0, 2}), (1.73205080757, 1, {1})],
    [(0.267326491961, 1, {1}), (0.470911354967, 0, {0, 2}), (1.22474487139, 1, {3, 5}),
     (1.66793676033, 0, {4})],
    [(0.798194576601, 0, {4}), (1.22474487139, 1, {1, 3, 5}), (1.50170664163, 0, {0, 2})],
    [(1.22474487139, 0, {0, 2, 4}), (1.69417566555, 1, {1, 3, 5})],
]
WORKED_FOLDS = [(1, 1), (0.597340347225, 0.177256322017), (0.746035681676, 0.478709189715),
                (1.14995060912, 0.351756032515)]


def test_worked_example_of_math_3_2():
    folds, layers = plan_paper_exact([Fraction(i) for i in range(6)], np.array([0, 1, 0, 1, 0, 1]), 2)
    assert len(folds) == 4
    s6 = math.sqrt(6)
    for got, want in zip(layers[1:], WORKED):
        # our scalar is tau = v2·LN = sqrt(6) * (u2·LN)
        assert [(lab, set(mem)) for _, lab, mem in got] == [(lab, mem) for _, lab, mem in want]
        assert all(abs(float(v) / s6 - w) < 1e-10 for (v, _, _), (w, _, _) in zip(got, want))
    for k, (f, (c, h)) in enumerate(zip(folds, WORKED_FOLDS)):
        # first layer: c_rat = c_orth, h_rat = h_orth / sqrt3; later: c_rat = sqrt6 c_orth, h_rat = sqrt2 h_orth
        c_orth = float(f.c) if k == 0 else float(f.c) / s6
        h_orth = float(f.h) * math.sqrt(3) if k == 0 else float(f.h) / math.sqrt(2)
        assert abs(c_orth - c) < 1e-11 and abs(h_orth - h) < 1e-11


def test_worked_example_merges_are_exact_equalities():
    folds, layers = plan_paper_exact([Fraction(i) for i in range(6)], np.array([0, 1, 0, 1, 0, 1]), 2)
    # the merged level sqrt(3/2) in the orthonormal picture is exactly 3 in ours, shown symbolically
    for k in (1, 2):
        new = [v for v, _, mem in layers[k] if len(mem) == 2 and not any(len(m2) == 2 and m2 == mem
                                                                         for _, _, m2 in layers[k - 1])]
        assert new and all(exact_sign(v - 3) is Sign.ZERO for v in new)
    # and both ends of the first merge have the very same exact value
    f = folds[0]
    assert exact_sign(fold_exact(Fraction(0), f.c, f.h, 0) - fold_exact(Fraction(2), f.c, f.h, 0)) is Sign.ZERO


def test_worked_example_network_is_exactly_correct():
    pts = [[i] for i in range(6)]
    labels = [0, 1, 0, 1, 0, 1]
    res = build_with_history(pts, labels, method="paper")
    net = res.network
    assert net.depth == 4 and net.meta["weights"] == "algebraic" and net.meta["exact"] is True
    assert classifies_all(net, pts, labels)
    # history: one merge per layer
    g = res.history
    assert [sum(1 for _, d in g.nodes(data=True) if d["layer"] == k) for k in range(5)] == [6, 5, 4, 3, 2]


@pytest.mark.parametrize("t,c,h,eps", [(Fraction(3, 7), Fraction(1, 3), Fraction(2, 5), 0),
                                        (Fraction(-2), Fraction(5), Fraction(1, 9), Fraction(1, 10**5))])
def test_closed_form_fold_matches_the_package_layernorm(t, c, h, eps):
    A = get_arith("exact")
    z = [(t - c) * a + h * b for a, b in zip((1, -1, 0), (1, 1, -2))]
    y = layer_norm(z, eps=eps, arith=A)
    tau = y[0] + y[1] - 2 * y[2]
    assert A.sign(tau - fold_exact(t, c, h, eps)) is Sign.ZERO
    assert abs(float(tau) - fold_float(np.array([float(t)]), float(c), float(h), float(eps))[0]) < 1e-12


def test_paper_direction_is_beyond_the_roots():
    pts = [(Fraction(0), Fraction(0)), (Fraction(1), Fraction(-1)), (Fraction(2), Fraction(-2)),
           (Fraction(1, 3), Fraction(5))]
    w = paper_direction(pts)
    assert w[0] == 1 and w[1] > 1
    assert is_injective(project(pts, w))
    # (x_i - x_j)·(1, s) = 0 has its root s = 1 here: s must lie beyond it
    assert w[1] > 1


def test_simplest_between_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(200):
        a = Fraction(int(rng.integers(-1000, 1000)), int(rng.integers(1, 300)))
        b = a + Fraction(int(rng.integers(0, 50)), int(rng.integers(1, 3000)))
        s = simplest_between(a, b)
        assert a <= s <= b
        for q in range(1, s.denominator):
            assert math.ceil(a * q) > b * q  # no rational with a smaller denominator in [a, b]


def test_sqrt_expression_sizes_stay_parseable():
    from lnnet_construct.io.network_file import loads_network, dumps_network

    res = build_with_history([[i] for i in range(6)], [0, 1, 0, 1, 0, 1], method="paper")
    again = loads_network(dumps_network(res.network))
    assert classifies_all(again, [[i] for i in range(6)], [0, 1, 0, 1, 0, 1], exact_decide)


def test_simplest_between_needs_no_recursion_for_thousands_of_partial_quotients():
    # golden-ratio convergents: every partial quotient is 1, so the descent takes ~3000 steps
    a, b = 1, 1
    for _ in range(3000):
        a, b = b, a + b
    x = Fraction(b, a)
    tol = Fraction(1, a * a * 4)
    s = simplest_between(x - tol, x + tol)
    assert x - tol <= s <= x + tol
    assert s.denominator <= a


_B, _T = Fraction(10) ** 12, Fraction(1, 10**12)


@pytest.mark.parametrize("pts, labels", [
    ([(0, _B, _B), (_B, _B, _B), (0, _B, _T), (_B, _B, -_B), (_B, _B, _T), (0, _B, -_B), (_B, -_B, _B)],
     [0, 0, 0, 0, 0, 0, 1]),
    ([(0, _B, _B), (_B, _B, 0), (_B, _B, _B), (_B, _B, -_B), (_B, _B, _T), (_B, -_B, _B), (_B, -_B, _T)],
     [0, 0, 0, 0, 0, 0, 1]),
    ([(0, 0), (_B, _B), (_B, -_B), (-_B, _B), (_B, 0), (_B, _T), (0, _B)], [0, 0, 0, 0, 0, 1, 0]),
])
def test_paper_survives_the_cauchy_direction(monkeypatch, pts, labels):
    # s = B + 2 spreads these values over 48 decades: clusters coincide after a fold, a layer's gaps need
    # more bits than the last one's, and 128-bit ball midpoints drift far from the mpmath view
    from lnnet_construct.construct import builder

    def cauchy(points):
        den = math.lcm(*(v.denominator for p in points for v in p))
        big = max(abs(v * den) for p in points for v in p)
        return tuple(Fraction(2 * int(big) + 2) ** k for k in range(len(points[0])))

    monkeypatch.setattr(builder, "paper_direction", cauchy)
    pts = [tuple(Fraction(v) for v in p) for p in pts]
    net = build(pts, labels, method="paper")
    assert net.depth <= len(pts) - 2
    assert all(arb_decide(net, p) == str(lab) for p, lab in zip(pts, labels))


def test_paper_with_eps_keeps_eps_below_the_small_heights():
    # 5 classes, 120 points: late merges have heights far below the spread; scaled only by the spread,
    # eps = 1e-5 flattened those folds and the run order could not be certified even at 65536 bits
    rng = np.random.default_rng(11)
    pts = [tuple(Fraction(int(v), 10**5) for v in rng.integers(-10**5, 10**5, 3)) for _ in range(120)]
    labels = [int(v) for v in rng.integers(0, 5, 120)]
    net = build(pts, labels, method="paper", eps=Fraction(1, 10**5))
    assert net.depth <= len(set(pts)) - 5
    assert all(arb_decide(net, p) == str(lab) for p, lab in zip(pts, labels))


# found by fuzzing: a fold put two label-0 clusters at equal distances from its centre, the rational
# centre split them by ~1e-49, and merging them later (height ~1e-50) crushed every other cluster
# together; every retry with more digits did the same until "more than 4000 digits"
CRUSHED = ([(-15, 7), (-11, -11), (-1, 14), (-14, 7), (8, 16), (18, -17), (-16, -16), (16, -1), (16, 17),
            (2, -15)], [2, 0, 0, 2, 0, 0, 2, 1, 0, 0])


@pytest.mark.parametrize("breaker", ["monotone", "tilted"])
def test_paper_merges_clusters_that_a_rounded_centre_split(breaker):
    from lnnet_construct.construct.builder import _plan_paper
    from lnnet_construct.construct.data import prepare

    pts, labels = CRUSHED
    ds = prepare(pts, labels)
    plan = _plan_paper(ds, Fraction(0), False, None, breaker=breaker)[0]
    assert len(plan.folds) <= len(pts) - 3 + (breaker == "monotone")
    net = build(pts, labels, method="paper")
    assert classifies_all(net, pts, labels)


def test_merge_coincident_threshold_follows_the_digits():
    from lnnet_construct.construct.numeric import MpBackend
    from lnnet_construct.construct.paper import _merge_coincident

    be = MpBackend(300)
    tiny = Fraction(1, 10**30)
    reps = [(Fraction(0), 1), (Fraction(1), 0), (1 + tiny, 0), (Fraction(2), 1), (2 + tiny, 1), (Fraction(3), 0)]
    reps = [(be.scalar(v), be.scalar(v), i, lab) for i, (v, lab) in enumerate(reps)]
    # labels differ 1 apart: 1e-30 is a rounding split at 20 digits (merged), a real gap at 40 digits
    assert _merge_coincident(reps, np.arange(6), be, digits=20).tolist() == [0, 2, 2, 4, 4, 5]
    assert _merge_coincident(reps, np.arange(6), be, digits=40) is None


def test_a_comparison_stops_the_paper_plan_at_the_depth_it_must_beat():
    from lnnet_construct.construct.builder import _plan_paper
    from lnnet_construct.construct.data import prepare
    from lnnet_construct.construct.paper import PaperDeeper

    pts = [[i] for i in range(12)]
    labels = [i % 2 for i in range(12)]          # the paper needs m - 2 = 10 layers
    ds = prepare(pts, labels)
    assert len(_plan_paper(ds, Fraction(0), False, None, give_up_at=10)[0].folds) == 10
    with pytest.raises(PaperDeeper):
        _plan_paper(ds, Fraction(0), False, None, give_up_at=9)


def test_the_exact_paper_plan_stops_at_two_runs():
    # MATH.md 3.1 merges while the labels form more than 2 runs; the exact plan went on to 2 clusters
    pts, labels = [[0], [1], [2], [3]], ["a", "b", "a", "a"]
    net = build(pts, labels, method="paper")
    assert net.meta["exact"] and net.depth == 1
    assert classifies_all(net, pts, labels, exact_decide)
    assert build(pts, labels, method="paper", exact=False).depth == 1
