"""The planner's number systems: float64, the extended longdouble tier, fixed point, and the switches between them."""

from fractions import Fraction as Q

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lnnet_construct.construct import build
from lnnet_construct.construct.builder import _fit_view
from lnnet_construct.construct.numeric import (
    FixedBackend,
    FloatBackend,
    extended_available,
)
from lnnet_construct.construct.rational import to_fraction_exact
from lnnet_construct.construct.tracker import Tracker

needs_extended = pytest.mark.skipif(not extended_available(), reason="numpy longdouble is float64 here")


def _fold_squared(t: Q, c: Q, h: Q) -> Q:
    # F^2 = 36 h^2 / ((2 (t-c)^2 + 6 h^2)/3), exact (independent of numeric.py)
    return 36 * h * h / ((2 * (t - c) ** 2 + 6 * h * h) / 3)


fractions = st.fractions(min_value=-10, max_value=10, max_denominator=10**12)


@needs_extended
@settings(max_examples=200, deadline=None)
@given(q=fractions)
@example(q=Q(1, 3))
@example(q=Q(10**40 + 1, 10**40))   # needs more than 53 bits
def test_longdouble_rounds_to_64_bits(q):
    x = to_fraction_exact(FloatBackend(np.longdouble).scalar(q))
    assert abs(x - q) <= abs(q) * Q(1, 2**64)


@needs_extended
@settings(max_examples=60, deadline=None)
@given(ts=st.lists(fractions, min_size=1, max_size=8), c=fractions,
       h=st.fractions(min_value=Q(1, 100), max_value=10, max_denominator=1000))
def test_longdouble_fold_is_nearer_the_exact_fold(ts, c, h):
    exact = [_fold_squared(t, c, h) for t in ts]
    errs = {}
    for be in (FloatBackend(), FloatBackend(np.longdouble)):
        vals = be.fold(be.array(ts), c, h, Q(0))
        errs[be.name] = max(abs(to_fraction_exact(v) ** 2 - e) / e for v, e in zip(vals, exact))
    assert errs["longdouble"] <= Q(1, 2**58)
    assert errs["float64"] <= Q(1, 2**47)


def _tracker(gap):
    # an opposite-label pair ``gap`` apart, far from the tracker's offset (near the median, -997)
    ts = [Q(-1000), Q(-999), Q(-998), Q(-997), Q(1000), Q(1000) + gap, Q(1001)]
    return Tracker(ts, np.array([0, 1, 0, 1, 0, 1, 0]), Q(0), FloatBackend())


@needs_extended
def test_a_view_below_float64_moves_to_longdouble():
    gap = Q(1, 10**12)  # 9 float64 ulps at 2000 from the offset; relative to the spread about 5e-16
    tr = _tracker(gap)
    f64 = FloatBackend().array([t - tr.offset for t in tr.t])
    _fit_view(tr)
    assert tr.backend.name == "longdouble"
    seen = to_fraction_exact(tr.values[5]) - to_fraction_exact(tr.values[4])
    assert abs(seen - gap) < gap / 1000
    assert abs(to_fraction_exact(f64[5]) - to_fraction_exact(f64[4]) - gap) > gap / 1000   # float64 could not


def test_a_view_below_every_float_moves_to_fixed_point():
    gap = Q(1, 10**30)
    tr = _tracker(gap)
    _fit_view(tr, rel=1e-30 / 2)   # the layer-0 data
    assert isinstance(tr.backend, FixedBackend) and tr.backend.prec >= 2 * 99 and tr.prec >= tr.backend.prec + 32
    seen = tr.backend.to_fraction(tr.values[5]) - tr.backend.to_fraction(tr.values[4])
    assert abs(seen - gap) < gap / 1000


def test_a_resolved_view_stays_float64():
    tr = _tracker(Q(1, 10**6))
    _fit_view(tr)
    assert tr.backend.name == "float64"


@pytest.mark.parametrize("wide", ["longdouble", "fixed"])
def test_a_wider_view_goes_back_to_float64_once_its_gaps_are_wide(wide):
    from lnnet_construct.construct.builder import NARROW_MARGIN

    if wide == "longdouble" and not extended_available():
        pytest.skip("no extended longdouble here")
    tr = _tracker(Q(1, 10**3))   # gaps far above float64's limit (5e-7 of the spread)
    tr.use_backend(FloatBackend(np.longdouble) if wide == "longdouble" else FixedBackend(200))
    exact = [tr.backend.to_fraction(v) for v in tr.values]
    _fit_view(tr)
    assert tr.backend.name == "float64" and tr.values.dtype == np.float64
    assert all(abs(to_fraction_exact(v) - x) <= abs(x) * Q(1, 2**52) for v, x in zip(tr.values, exact))
    # just below the margin it stays wide
    tr2 = _tracker(Q(1, 10**3))
    tr2.use_backend(FixedBackend(200))
    _fit_view(tr2, rel=NARROW_MARGIN * FloatBackend().tiny() / 2)
    assert tr2.backend.name == "fixed"


def test_a_wide_view_stays_wide_while_float64_would_round_its_values_together():
    # every value near 3 (a fold's peak), spread 2e-30: wide relative to the spread, not to the values
    ts = [Q(3) + k * Q(1, 10**30) for k in range(5)]
    tr = Tracker(ts, np.array([0, 1, 0, 1, 0]), Q(0), FloatBackend())
    tr.offset = Q(0)              # as after a fold: values absolute, not centred
    tr.use_backend(FixedBackend(300))
    _fit_view(tr)                 # gaps: a quarter of the spread, 3e-31 of the values
    assert tr.backend.name == "fixed"
    assert len({float(tr.backend.to_fraction(v)) for v in tr.values}) == 1   # what float64 would have seen


@needs_extended
def test_build_plans_clusters_1e13_apart_in_longdouble():
    pts = [[Q(k), Q(k, 10**13)] for k in range(6)] + [[Q(k) + Q(1, 10**13), Q(0)] for k in range(6)]
    labels = [k % 2 for k in range(6)] + [(k + 1) % 2 for k in range(6)]
    net = build(pts, labels)
    assert "longdouble" in net.meta["planner_views"] and net.meta["certified"]


@needs_extended
@settings(max_examples=100, deadline=None)
@given(q=fractions, prec=st.sampled_from([64, 128, 300]))
def test_ball_midpoints_round_to_64_bits(q, prec):
    from lnnet_construct.construct.numeric import arb_balls

    ball = arb_balls([q], prec)[0]
    man, exp = ball.mid().man_exp()
    mid = Q(int(man)) * Q(2) ** int(exp)
    x = to_fraction_exact(FloatBackend(np.longdouble).from_ball(ball))
    assert abs(x - mid) <= abs(mid) * Q(1, 2**64)


def test_a_view_past_longdouble_moves_to_fixed_point():
    gap = Q(1, 10**30)
    tr = _tracker(gap)
    _fit_view(tr)
    if extended_available():
        assert tr.backend.name == "longdouble"
        _fit_view(tr)
    assert isinstance(tr.backend, FixedBackend) and tr.prec >= tr.backend.prec + 32
    seen = tr.backend.to_fraction(tr.values[5]) - tr.backend.to_fraction(tr.values[4])
    assert abs(seen - gap) < gap / 1000
    prec = tr.backend.prec
    tr.values[5] = tr.values[4]        # a tie in the view: the next fixed-point view is wider
    _fit_view(tr)
    assert tr.backend.prec >= prec + 64


@settings(max_examples=200, deadline=None)
@given(q=fractions, prec=st.sampled_from([64, 128, 300]))
@example(q=Q(-1, 3), prec=64)
def test_fixed_point_rounds_to_its_resolution(q, prec):
    be = FixedBackend(prec)
    assert abs(be.to_fraction(be.scalar(q)) - q) <= Q(1, 2 ** (prec + 1))


@settings(max_examples=100, deadline=None)
@given(q=fractions, prec=st.sampled_from([64, 128, 300]))
def test_fixed_point_from_a_ball_is_its_midpoint(q, prec):
    from lnnet_construct.construct.numeric import arb_balls

    ball = arb_balls([q], prec + 40)[0]
    man, exp = ball.mid().man_exp()
    mid = Q(int(man)) * Q(2) ** int(exp)
    be = FixedBackend(prec)
    assert abs(be.to_fraction(be.from_ball(ball)) - mid) <= Q(1, 2 ** (prec + 1))


@settings(max_examples=60, deadline=None)
@given(ts=st.lists(fractions, min_size=1, max_size=8), c=fractions,
       h=st.fractions(min_value=Q(1, 100), max_value=10, max_denominator=1000))
def test_fixed_point_fold_matches_the_exact_fold(ts, c, h):
    be = FixedBackend(200)
    vals = be.fold(be.array(ts), c, h, Q(0))
    for v, t in zip(vals, ts):
        e = _fold_squared(t, c, h)
        assert abs(be.to_fraction(v) ** 2 - e) / e <= Q(1, 2**180)


def _gap_mp(a, b, h):
    # F(a) - F(b) at 400 bits, directly from the definition (independent of numeric.py)
    import mpmath

    ctx = mpmath.MPContext()
    ctx.prec = 400

    def f(r):
        r = ctx.mpf(r.numerator) / r.denominator
        hh = ctx.mpf(h)
        return 6 * hh / ctx.sqrt((2 * r * r + 6 * hh * hh) / 3)

    return float(f(a) - f(b))


@settings(max_examples=60, deadline=None)
@given(a=st.fractions(min_value=0, max_value=5, max_denominator=10**6),
       e=st.integers(min_value=1, max_value=120), h=st.sampled_from([0.01, 0.5, 3.0]))
@example(a=Q(1), e=100, h=0.5)   # a gap of 2^-100: no float sees it
def test_fixed_point_pair_gaps_keep_their_relative_accuracy(a, e, h):
    b = a + Q(1, 2**e)
    be = FixedBackend(256)
    ra, rb = be.array([a]), be.array([b])
    got = be.pair_gaps(ra, rb, [h], Q(0))[0]
    want = _gap_mp(be.to_fraction(ra[0]), be.to_fraction(rb[0]), h)
    assert want > 0 and abs(got - want) <= 1e-12 * want
    if e > 60:   # the float64 tier sees no gap at all
        assert FloatBackend().pair_gaps(np.array([float(a)]), np.array([float(b)]), [h], Q(0))[0] <= 0


def test_the_planner_works_on_a_fixed_point_view():
    # alternating clusters 1e-40 apart: far below every float; the fold planned on the fixed view is certified
    from lnnet_construct.construct.greedy import choose_fold

    ts = [Q(k // 2) + (k % 2) * Q(1, 10**40) for k in range(12)]
    labels = np.array([(k // 2 + k) % 2 for k in range(12)])
    tr = Tracker(ts, labels, Q(0), FixedBackend(300))
    runs0 = tr.certify().runs
    choice = choose_fold(tr.values, labels, tr.backend, Q(0), np.random.default_rng(0), n_random=120, uniform=40)
    tr.apply(choice.c_rel, choice.h, choice.lam)
    st_ = tr.certify()
    assert st_.runs == choice.runs < runs0


def test_build_plans_clusters_1e13_apart_on_a_fixed_point_view(monkeypatch):
    # without longdouble the view after float64 is fixed point
    from lnnet_construct.construct import builder

    monkeypatch.setattr(builder, "extended_available", lambda: False)
    pts = [[Q(k), Q(k, 10**13)] for k in range(6)] + [[Q(k) + Q(1, 10**13), Q(0)] for k in range(6)]
    labels = [k % 2 for k in range(6)] + [(k + 1) % 2 for k in range(6)]
    net = build(pts, labels)
    assert "fixed" in net.meta["planner_views"] and net.meta["certified"]


def test_a_view_switch_keeps_values_of_balls_that_are_not_finite():
    # a ball with infinite radius keeps the old view value, converted to the new view's numbers
    import flint

    tr = _tracker(Q(1, 10**6))
    tr.escalate(128)
    old = [tr.backend.to_fraction(v) for v in tr.values]
    tr._balls[2] = flint.arb(0, float("inf"))
    tr.use_backend(FixedBackend(100))
    assert all(isinstance(v, int) for v in tr.values)
    assert abs(tr.backend.to_fraction(tr.values[2]) - old[2]) <= Q(1, 2**100)
    assert abs(tr.backend.to_fraction(tr.values[3]) - old[3]) <= Q(1, 2**40)
