"""The run combinatorics of the planner against brute force, and the projection choice."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lnnet_construct.construct.projection import choose_direction, is_injective, project
from lnnet_construct.construct.runs import count_runs_sorted, label_cell, run_bounds, runs_after


def brute_runs(ts, ls, c):
    """Runs after the fold at c: sort by exact distance (Fractions), count label changes."""
    order = sorted(range(len(ts)), key=lambda i: abs(Fraction(ts[i]) - Fraction(c)))
    lab = [ls[i] for i in order]
    return 1 + sum(a != b for a, b in zip(lab, lab[1:]))


@st.composite
def line_sets(draw):
    n = draw(st.integers(1, 300))
    ints = draw(st.lists(st.integers(-10**6, 10**6), min_size=n, max_size=n, unique=True))
    labels = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    ts = np.array(sorted(ints), dtype=np.float64)
    order = np.argsort(np.array(ints))
    ls = np.array(labels)[order]
    # centres on a quarter-integer grid never tie with integer data except at true equal distances
    cands = np.array(draw(st.lists(st.integers(-4 * 10**6 - 8, 4 * 10**6 + 8), min_size=1, max_size=30)),
                     dtype=np.float64) / 4 + 1 / 8
    return ts, ls, cands


@settings(max_examples=60, deadline=None)
@given(line_sets())
@example((np.arange(5.0), np.array([0, 1, 0, 1, 0]), np.array([2.125, 1.125, -1.0, 4.5])))
@example((np.arange(40.0), np.arange(40) % 2, np.array([0.375, 38.875, 19.625])))  # tiny windows at both ends
@example((np.array([0.0]), np.array([1]), np.array([0.125])))                       # one point
def test_windowed_runs_match_brute_force(case):
    ts, ls, cands = case
    got = runs_after(ts, ls, cands)
    want = [brute_runs(ts, ls, c) for c in cands]
    assert got.tolist() == want


@settings(max_examples=40, deadline=None)
@given(line_sets(), st.integers(2, 300))  # from 2 bits on, no exact distance ties
@example((np.arange(5.0), np.array([0, 1, 0, 1, 0]), np.array([2.125, 1.125, -1.0])), 200)
def test_fixed_point_runs_match_brute_force(case, bits):
    # the same sets as fixed-point ints (FixedBackend) pushed 2^bits apart, plus near ties
    # 2^-bits apart that no 62-bit key separates
    ts, ls, cands = case
    scale = 1 << (bits + 3)
    ti = np.array([int(t) * scale + (k % 3) for k, t in enumerate(ts)], dtype=object)
    ci = np.array([int(c * 8) * (scale // 8) for c in cands], dtype=object)
    order = sorted(range(len(ti)), key=lambda k: ti[k])
    ti, ls = ti[order], ls[order]
    assert runs_after(ti, ls, ci).tolist() == [brute_runs(list(ti), ls, c) for c in ci]


@settings(max_examples=40, deadline=None)
@given(line_sets(), st.integers(40, 300), st.integers(0, 2**31))
@example((np.arange(6.0), np.array([0, 0, 1, 1, 0, 1]), np.array([2.5, 0.125])), 100, 7)
def test_fixed_point_runs_with_merged_points_match_brute_force(case, bits, seed):
    # fixed-point views after merges: equal values of one label (exact ties, equal int64 keys) next to
    # opposite labels a few units apart (keys within 1), on both sides of the centres
    ts, ls, cands = case
    rng = np.random.default_rng(seed)
    scale = 1 << bits
    twins = rng.random(len(ts)) < 0.4
    base = [int(t) * scale for t in ts]
    ti = base + [b for b, tw in zip(base, twins) if tw]
    li = list(ls) + [lab for lab, tw in zip(ls, twins) if tw]
    # multiples of 4 and odd centres: no exact ties across a centre (those are the caller's concern)
    ti = [4 * (t + int(rng.integers(0, 3)) * int(lab != li[0])) for t, lab in zip(ti, li)]
    ci = [4 * (int(c * 8) * (scale // 8) + int(rng.integers(-2, 3))) + 1 for c in cands]
    order = sorted(range(len(ti)), key=lambda k: ti[k])
    ti = np.array([ti[k] for k in order], dtype=object)
    li = np.array([li[k] for k in order])
    ci = np.array(ci, dtype=object)
    assert runs_after(ti, li, ci).tolist() == [brute_runs(list(ti), li, c) for c in ci]


def test_fixed_point_keys_one_apart_are_checked_exactly():
    # with 2^101-sized ints the int64 keys drop 41 bits; c's dropped bits are all ones, so the right
    # neighbour (distance 2) gets key 1 and the left one (distance 3) key 0: the keys invert the order
    s = 41
    c = (1 << 100) + (1 << s) - 1
    ts = np.array([c - 3, c + 2, c + 100 * (1 << s)], dtype=object)
    ls = np.array([0, 1, 0])
    assert runs_after(ts, ls, np.array([c], dtype=object)).tolist() == [brute_runs(list(ts), ls, c)] == [2]


@st.composite
def long_run_sets(draw):
    ts, _, cands = draw(line_sets())
    n = len(ts)
    # long runs, so that the end-point screen is used (fewer than n/2 end points)
    lengths = draw(st.lists(st.integers(5, 40), min_size=1, max_size=n))
    runs = np.repeat(np.arange(len(lengths)) % draw(st.integers(2, 3)), lengths)
    ls = np.resize(runs, n)
    centres = (ts[draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=20))] + 0.25)
    return ts, ls, np.concatenate([cands, centres])


@settings(max_examples=60, deadline=None)
@given(long_run_sets(), st.integers(0, 40))
@example((np.arange(12.0), np.repeat([0, 1, 0], 4), np.array([5.5, 1.5, 3.75])), 0)
@example((np.arange(12.0), np.repeat([0, 1, 0], 4), np.array([5.5, 1.5, 3.75])), 3)
def test_screened_runs_are_exact_up_to_the_threshold_and_lower_bounds_above_it(case, upto):
    ts, ls, cands = case
    got = runs_after(ts, ls, cands, upto=upto)
    want = np.array([brute_runs(ts, ls, c) for c in cands])
    exact = want <= upto
    assert got[exact].tolist() == want[exact].tolist()
    assert np.all(got[~exact] <= want[~exact]) and np.all(got[~exact] > upto)


def test_windows_are_used_for_end_candidates():
    # 5000 points: a tuck at the left end must not need a 5000-wide sort to be right
    rng = np.random.default_rng(1)
    ts = np.sort(rng.random(5000))
    ls = rng.integers(0, 2, 5000)
    cands = np.concatenate([(ts[:10] + ts[1:11]) / 2 + 1e-9, (ts[-11:-1] + ts[-10:]) / 2 - 1e-9])
    assert runs_after(ts, ls, cands).tolist() == [brute_runs(ts, ls, c) for c in cands]


@settings(max_examples=40, deadline=None)
@given(line_sets(), st.floats(0.01, 0.99))
def test_every_centre_in_a_label_cell_gives_the_same_sequence(case, frac):
    ts, ls, cands = case
    if len(ts) < 2:
        return
    rs, re_ = run_bounds(ls)
    for c in cands:
        dl, dr = label_cell(ts, ls, c, rs, re_)
        if not (dl > 0 and dr > 0):
            continue
        span = ts[-1] - ts[0] + 1
        lo, hi = c - min(dl, span), c + min(dr, span)
        c2 = lo + (hi - lo) * frac
        seq = [ls[i] for i in sorted(range(len(ts)), key=lambda i: abs(ts[i] - c))]
        seq2 = [ls[i] for i in sorted(range(len(ts)), key=lambda i: abs(ts[i] - c2))]
        # same labels in the same order (points of one label may swap among themselves)
        assert seq == seq2


def test_count_runs_sorted():
    assert count_runs_sorted(np.array([0, 0, 1, 0, 1, 1])) == 4
    assert count_runs_sorted(np.array([], dtype=int)) == 0


def test_direction_is_injective_and_prefers_a_wide_gap():
    rng = np.random.default_rng(3)
    pts = [tuple(Fraction(int(v), 1000) for v in rng.integers(-1000, 1000, 2)) for _ in range(200)]
    pts = list(dict.fromkeys(pts))
    labels = rng.integers(0, 2, len(pts))
    w = choose_direction(pts, labels)
    t = project(pts, w)
    assert is_injective(t)

    def min_gap(t):
        order = sorted(range(len(t)), key=lambda i: t[i])
        g = [t[b] - t[a] for a, b in zip(order, order[1:]) if labels[a] != labels[b]]
        return min(g) / (max(t) - min(t))

    # against 40 other directions: the chosen line keeps the labels further apart than most
    others = [min_gap(project(pts, (Fraction(int(a)), Fraction(int(b)))))
              for a, b in rng.integers(1, 50, (40, 2))]
    assert min_gap(t) >= np.median(others)


@settings(max_examples=80, deadline=None)
@given(line_sets())
@example((np.arange(7.0), np.array([0, 1, 1, 0, 1, 0, 1]), np.array([0.5])))
@example((np.array([0.0, 10.0, 11.0, 12.0, 13.0]), np.array([0, 1, 0, 1, 0]), np.array([0.5])))  # wide end run
def test_end_folds_peel_one_run_and_squeezes_keep_them(case):
    from lnnet_construct.construct.greedy import end_folds
    from lnnet_construct.construct.numeric import FloatBackend

    ts, ls, _ = case
    now = count_runs_sorted(ls)
    peels, squeezes = end_folds(ts, ls, FloatBackend())
    assert all(brute_runs(ts, ls, c) == now - 1 for c in peels)
    assert all(brute_runs(ts, ls, c) == now and w >= 0 for c, w in squeezes)
    if now >= 3 and len(set(ls.tolist())) == 2:
        # binary labels: the left peel exists exactly when the first run is narrower than a4 - b2
        change = np.flatnonzero(ls[1:] != ls[:-1])
        a, b = ts[np.concatenate([[0], change + 1])], ts[np.concatenate([change, [len(ts) - 1]])]
        fits = (b[0] - a[0]) < ((a[3] if now > 3 else np.inf) - b[1])
        lo = (b[0] + b[1]) / 2
        assert fits == any(lo < c < (a[1] + a[2]) / 2 for c in peels)


@settings(max_examples=200, deadline=None)
@given(ts=st.lists(st.integers(-50, 50), max_size=40), keys=st.lists(st.integers(-60, 60), max_size=40),
       big=st.booleans())
@example(ts=[1, 2, 2, 5], keys=[6, 2, 2, 0], big=True)   # keys equal to each other and to points
def test_merged_search_of_big_ints_matches_counting(ts, keys, big):
    # the fixed-point view's ints: label_cell finds mirror images by one merge instead of bisection
    from lnnet_construct.construct.runs import _search_descending

    scale = 2**200 if big else 1
    pts = np.array(sorted(t * scale for t in ts), dtype=object)
    ks = np.array(sorted((k * scale for k in keys), reverse=True), dtype=object)
    for side in ("left", "right"):
        want = [sum(t < k if side == "left" else t <= k for t in pts) for k in ks]   # counting, no numpy
        assert _search_descending(pts, ks, side).tolist() == want
        assert _search_descending(pts.astype(float), ks.astype(float), side).tolist() == want
