"""The witness search (vc_search), its helpers, and ``lnnet shatter`` build mode."""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lnnet_construct.cli.main import main
from lnnet_construct.fold import fold_network
from lnnet_construct.io.witness import load_witness
from lnnet_construct.theory import vc_search
from lnnet_construct.theory.vc import fold_float, simplest_between, verify_witness
from lnnet_construct.verify import verify


def _brute_simplest(lo: Fraction, hi: Fraction) -> Fraction:
    """Smallest denominator, then smallest |numerator|, in [lo, hi] (0 < lo <= hi)."""
    d = 1
    while True:
        n = math.ceil(lo * d)
        if Fraction(n, d) <= hi:
            return Fraction(n, d)
        d += 1


@settings(max_examples=200, deadline=None)
@given(st.fractions(Fraction(1, 400), 50, max_denominator=400), st.fractions(0, 3, max_denominator=400))
@example(Fraction(1, 3), Fraction(0))
@example(Fraction(999, 1000), Fraction(1, 500))
def test_simplest_between_matches_brute_force(lo, width):
    hi = lo + width
    got = simplest_between(lo, hi)
    assert got == _brute_simplest(lo, hi)
    assert simplest_between(-hi, -lo) == -got
    assert simplest_between(hi, lo) == got


def test_simplest_between_contains_zero():
    assert simplest_between(Fraction(-1, 3), Fraction(1, 7)) == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=2, max_size=8), st.integers(1, 3), st.randoms(use_true_random=False))
@example([0, 1, 0, 1, 0], 2, random.Random(0))
def test_plans_replay_to_certified_networks(labels, depth, rnd):
    ts = sorted(rnd.sample(range(-60, 60), len(labels)))
    choices = vc_search.plan_labelling(ts, labels, depth, node_budget=3000)
    runs = 1 + sum(a != b for a, b in zip(labels, labels[1:]))
    if runs > 2**depth + 1:
        assert choices is None  # the run bound
        return
    if choices is None:
        return  # not found within the node budget: allowed, nothing claimed
    folds, readout = vc_search.replay_plan(ts, labels, choices, depth)
    assert len(folds) <= depth
    net = fold_network([1], folds, readout, classes=[0, 1])
    assert verify(net, [[t] for t in ts], labels).exit_code == 0


def test_run_bound_is_sharp_on_alternating_labels():
    ts = list(range(9))
    alt = [i % 2 for i in range(9)]
    assert vc_search.plan_labelling(ts, alt, 3) is not None  # 9 runs = 2^3 + 1
    assert vc_search.plan_labelling(ts[:6], alt[:6], 2) is None  # 6 runs > 2^2 + 1


def test_fold_float_is_even_about_the_centre():
    t = np.array([-3.0, 5.0, 1.0])
    assert np.allclose(fold_float(t, 1.0, 2.0), fold_float(2.0 - t, 1.0, 2.0))


def test_candidate_directions_cover_every_order():
    rng = random.Random(5)
    pts = [(Fraction(rng.randint(-50, 50)), Fraction(rng.randint(-50, 50))) for _ in range(7)]
    dirs = vc_search.candidate_directions(pts)

    def order(w):
        ts = [w[0] * p[0] + w[1] * p[1] for p in pts]
        assert len(set(ts)) == len(ts)
        o = tuple(sorted(range(len(pts)), key=ts.__getitem__))
        return min(o, o[::-1])

    have = {order(w) for w in dirs}
    assert len(have) == len(dirs)  # one direction per cell
    for _ in range(2000):  # every order a random direction induces is represented
        a = rng.uniform(0, math.pi)
        w = (Fraction(math.cos(a)), Fraction(math.sin(a)))
        ts = [w[0] * p[0] + w[1] * p[1] for p in pts]
        if len(set(ts)) == len(ts):
            assert order(w) in have


def test_encode_decode_round_trip():
    pts = [(Fraction(x),) for x in (0, 3, 4, 9, 10)]
    plans, bad = vc_search.search_point_set(pts, 2)
    assert bad is None
    entry = vc_search.encode_entry(pts, plans, node_budget=7)
    assert entry["node_budget"] == 7 and entry["points"][1] == ["3"]
    assert vc_search._decode_plans(len(pts), entry["plans"]) == plans
    w = vc_search.witness_from_plans(2, pts, plans)
    assert verify_witness(w).status == "certified"


def test_search_finds_five_points_for_depth_two_and_certifies():
    res = vc_search.search(2, 1, budget_s=20, seed=1)
    assert res.best_n == 5 and res.certified  # = 2^2 + 1, the most a fold chain can do on a line
    assert res.to_json()["points"] is not None


def test_search_respects_the_bound_on_a_line():
    res = vc_search.search(1, 1, budget_s=5)
    assert res.best_n == 3 and res.tried == {}  # nothing to try: 2^1 + 1 = 3 = L + 2


def test_known_witness_embeds_and_respects_max_points():
    w = vc_search.known_witness(3, 3, max_points=10)
    assert w.dim == 3 and w.depth == 3 and w.n_points <= 10
    assert all(p[2] == 0 for p in w.points)
    assert vc_search.known_witness(0, 1) is None


# ----------------------------------------------------------------------------- lnnet shatter (build mode)


def test_cli_build_writes_a_certified_witness(tmp_path, capsys):
    out = tmp_path / "w.json"
    assert main(["shatter", "--depth", "2", "--dim", "2", "-o", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_points"] == len(load_witness(out).points) and info["certified"] is True
    assert info["n_points"] > 4 and info["labellings"] == 2 ** info["n_points"]
    assert verify_witness(out).status == "certified"


def test_cli_build_baseline(tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["shatter", "-L", "3", "--baseline", "-o", str(out), "--quiet"]) == 0
    assert "5 points" in capsys.readouterr().out
    assert load_witness(out).n_points == 5


@pytest.mark.parametrize("argv, needle", [
    (["shatter", "--depth", "-1", "-o", "x.json"], "--depth must be >= 0"),
    (["shatter", "--depth", "2", "--dim", "0", "-o", "x.json"], "--dim must be >= 1"),
    (["shatter", "--depth", "2"], "-o WITNESS is required"),
    (["shatter", "-o", "x.json"], "--depth L is required"),
    (["shatter", "--depth", "x", "-o", "x.json"], "invalid int value"),
    (["shatter", "--verify", "w.json", "--depth", "2"], "takes no --depth"),
])
def test_cli_bad_input_is_one_line_and_exit_3(argv, needle, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.json").exists()
