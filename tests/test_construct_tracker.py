"""The builder's certified tracker: its enclosures contain the exact fold values."""

import itertools
from fractions import Fraction as Q

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lnnet_construct.construct.numeric import MpBackend
from lnnet_construct.construct.tracker import Tracker


def _fold_squared(t: Q, c: Q, h: Q, eps: Q) -> Q:
    # F^2 = 36 h^2 / ((2 (t-c)^2 + 6 h^2)/3 + eps), exact (independent of numeric.py)
    return 36 * h * h / ((2 * (t - c) ** 2 + 6 * h * h) / 3 + eps)


fractions = st.fractions(min_value=-10, max_value=10, max_denominator=10**6)


@settings(max_examples=40, deadline=None)
@given(ts=st.lists(fractions, min_size=2, max_size=6, unique=True), c=fractions,
       h=st.fractions(min_value=Q(1, 100), max_value=10, max_denominator=1000),
       escalate_first=st.booleans())
# the offset is far from zero and the balls were made before the first fold (the CI failure)
@example(ts=[Q(1), Q(1) + Q(1, 10**17), Q(3), Q(3) - Q(1, 10**16)], c=Q(2), h=Q(5, 7), escalate_first=True)
def test_one_fold_is_enclosed(ts, c, h, escalate_first):
    tracker = Tracker(ts, np.arange(len(ts)) % 2, Q(0), MpBackend(128))
    if escalate_first:
        tracker.escalate(128)
    c_rel = c - tracker.offset
    tracker.apply(c_rel, h)
    squares = [_fold_squared(t, c, h, Q(0)) for t in ts]
    lo, hi = tracker.bounds()
    for i, s in enumerate(squares):
        a, z = Q(float(lo[i])), Q(float(hi[i]))
        assert a <= 0 or a * a <= s, (i, ts[i])
        assert z >= 0 and z * z >= s, (i, ts[i])


def _exact_runs(values, labels):
    order = sorted(range(len(values)), key=values.__getitem__)
    runs = 1 + sum(labels[a] != labels[b] for a, b in itertools.pairwise(order))
    return runs, order


@settings(max_examples=40, deadline=None)
@given(ts=st.lists(fractions, min_size=2, max_size=8, unique=True), c=fractions,
       h=st.fractions(min_value=Q(1, 100), max_value=10, max_denominator=1000),
       labels=st.lists(st.integers(0, 1), min_size=8, max_size=8))
@example(ts=[Q(1), Q(1) + Q(1, 10**30), Q(3) - Q(1, 10**30), Q(3)], c=Q(2), h=Q(5, 7), labels=[0, 1, 1, 0] * 2)
def test_ball_structure_matches_the_exact_order(ts, c, h, labels):
    labels = np.array(labels[:len(ts)])
    tracker = Tracker(ts, labels, Q(0), MpBackend(128))
    tracker.apply(c - tracker.offset, h)
    tracker.escalate(256)
    squares = [_fold_squared(t, c, h, Q(0)) for t in ts]   # the fold is positive: order by squares
    st_ = tracker.structure()
    runs, _ = _exact_runs(squares, labels)
    if st_ is None:   # only allowed when two opposite labels tie exactly (merged points)
        assert any(squares[i] == squares[j] and labels[i] != labels[j]
                   for i in range(len(ts)) for j in range(i))
        return
    assert st_.runs == runs
    for i, s in enumerate(squares):
        lo, hi = st_.lows[st_.run_of[i]], st_.highs[st_.run_of[i]]
        assert lo * lo <= s <= hi * hi


@settings(max_examples=40, deadline=None)
@given(ts=st.lists(fractions, min_size=1, max_size=8, unique=True), labels=st.lists(st.integers(0, 1), min_size=8,
                                                                                    max_size=8),
       balls=st.booleans())
@example(ts=[Q(10**6 + 1, 10**6), Q(10**6 + 2, 10**6)], labels=[0, 1] * 4, balls=True)   # far from 0, close
def test_unfolded_bounds_are_exact_fractions_around_the_points(ts, labels, balls):
    # layer 0, with float enclosures or with balls: the bounds include the offset the view subtracted
    labels = np.array(labels[:len(ts)])
    tracker = Tracker(ts, labels, Q(0), MpBackend(128))
    if balls:
        tracker.escalate(128)
    st_ = tracker.structure()
    assert st_.runs == _exact_runs(ts, labels)[0]
    for i, t in enumerate(ts):
        lo, hi = st_.lows[st_.run_of[i]], st_.highs[st_.run_of[i]]
        assert type(lo) is Q and type(hi) is Q and lo <= t <= hi
    assert list(st_.highs[:-1]) == [st_.highs[r] for r in range(st_.runs - 1)]
    assert all(a < b for a, b in zip(st_.highs, list(st_.lows)[1:]))


@given(st.lists(st.fractions(min_value=-10**12, max_value=10**12, max_denominator=10**15), min_size=1, max_size=30))
@example([Q(1, 3), Q(0), Q(-2**60 - 1, 2**61)])
def test_vectorised_ball_midpoints_match_the_exact_rounding(vals):
    import flint
    import numpy as np

    from lnnet_construct.construct.numeric import FloatBackend, arb_balls

    balls = arb_balls(vals, 200) + [flint.arb(0, float("inf"))]
    for dt in (np.float64, np.longdouble):
        be = FloatBackend(dt)
        got, finite = be.from_balls(balls, 264)
        assert list(finite) == [True] * len(vals) + [False]
        want = np.array([be.from_ball(b) for b in balls[:-1]], dtype=dt)
        # within one ulp of the correctly rounded midpoint (equal for float64)
        with np.errstate(under="ignore"):  # spacing(0) is subnormal
            ulp = np.spacing(np.abs(want).astype(dt))
        assert np.all(np.abs(got[:-1] - want) <= (0 if dt is np.float64 else 1) * ulp)
