"""The float planner (construct/planner.py and friends): state bookkeeping, budgets, networks it builds.

The networks are certified by the builder's own rigorous check; here they are
also evaluated independently in plain float64 (numpy, the oracle of
construct_oracles) and, where torch is installed, through the torch export.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from construct_oracles import classifies_all, float_errors
from lnnet_construct.construct import Policy, build
from lnnet_construct.construct.clusters import ClusterState
from lnnet_construct.construct.planner import plan_float
from lnnet_construct.construct.projection import _project_int, project
from lnnet_construct.construct.strategies import end_merges, paper_merge
from lnnet_construct.errors import InputError


def _random_set(m, seed, k=2, d=2):
    rng = np.random.default_rng(seed)
    pts = {tuple(Fraction(int(v), 10**4) for v in rng.integers(-10**4, 10**4, d)) for _ in range(3 * m)}
    pts = sorted(pts)[:m]
    rng.shuffle(pts)
    labels = [int(v) for v in rng.integers(0, k, m)]
    for c in range(k):  # every class present
        labels[c] = c
    return pts, labels


@settings(max_examples=40, deadline=None)
@given(vals=st.lists(st.floats(-10, 10, allow_nan=False).filter(lambda x: x == 0 or abs(x) > 1e-200),
                    min_size=3, max_size=30, unique=True),
       data=st.data())
@example(vals=[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], data=None)
def test_preview_order_is_the_sorted_order_of_the_new_values(vals, data):
    t = np.array(vals)
    labels = np.arange(len(t)) % 2
    stt = ClusterState(t, labels, err0=np.zeros(len(t)))
    vs = stt.sorted_values()
    # any centre near the low end: the zone logic must agree with a full sort
    k = 1 if data is None else data.draw(st.integers(1, len(t) - 1))
    c = (vs[0] + vs[k]) / 2
    new, order, _ = stt.preview(c, 1e-3)
    assert np.all(np.diff(new[order]) >= 0)
    assert sorted(order.tolist()) == list(range(len(t)))


def test_a_merge_joins_two_clusters_and_keeps_them_together():
    t = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    stt = ClusterState(t, np.array([0, 1, 0, 1, 0, 1]), err0=np.full(6, 4.0))
    cand = paper_merge(stt)[0]
    assert cand.merge == (0, 2) and cand.c == 1.0
    stt.fold(cand.c, cand.half_gap / 64, merge=cand.merge)
    assert stt.cluster[0] == stt.cluster[2]
    pos = {int(i): k for k, i in enumerate(stt.order)}
    assert abs(pos[0] - pos[2]) == 1  # the merged pair is adjacent in value order
    assert stt.runs == 5  # 1 moved to the top, 0 and 2 joined the run of 3's neighbours


def test_end_merges_price_runs_as_a_full_fold_does():
    rng = np.random.default_rng(5)
    t = np.sort(rng.random(40))
    labels = rng.integers(0, 2, 40)
    stt = ClusterState(t, labels, err0=np.zeros(40))
    cands = end_merges(stt, window=12)
    assert cands
    for cand in cands[:25]:
        new, order, _ = stt.preview(cand.c, cand.half_gap / 64)
        d = np.abs(t - cand.c)  # the runs by distance from c, counted independently
        ls = labels[np.argsort(-d, kind="stable")]
        # the pair is exactly tied in exact arithmetic; in float it may split by an ulp, same label
        assert 1 + np.count_nonzero(ls[1:] != ls[:-1]) == cand.runs


def _float_network(pts, labels, eps=0):
    from lnnet_construct.construct.data import prepare
    from lnnet_construct.construct.floatbuild import plan_with_floats
    from lnnet_construct.construct.realise import realise

    ds = prepare(pts, labels)
    plan, _, _, extra = plan_with_floats(ds, Fraction(eps))
    net = realise(plan.direction, plan.folds, plan.readout, ds.classes, eps=Fraction(eps))
    return net, extra, ds


@pytest.mark.parametrize("m,k,seed", [(40, 2, 1), (120, 2, 2), (90, 3, 3), (200, 10, 4)])
def test_float_plans_are_certified_shallow_enough_and_right_in_float64(m, k, seed):
    from lnnet_construct.verify import verify

    pts, labels = _random_set(m, seed, k)
    net, extra, ds = _float_network(pts, labels)
    assert net.depth <= m - max(k, 2) and net.width == 3
    assert verify(net, pts, [str(v) for v in labels]).exit_code == 0
    assert classifies_all(net, pts, labels)
    assert extra["float_budget"] == "kept" and "float64" in extra["float_formats_kept"]
    assert float_errors(net, pts, labels, np.float64) == 0


def test_float_plans_with_eps_are_certified():
    pts, labels = _random_set(60, 7)
    net, extra, _ = _float_network(pts, labels, Fraction(1, 10**5))
    assert net.depth <= 58
    assert classifies_all(net, pts, labels)
    assert float_errors(net, pts, labels, np.float64) == 0


def test_the_default_keeps_a_float_plan_beside_a_shallower_paper_plan_only_when_floats_need_it():
    pts, labels = _random_set(120, 2)
    net = build(pts, labels, policy=Policy(greedy_max_points=0, greedy_max_points_multiclass=0))
    assert net.meta["planner"] in ("float", "paper")
    if net.meta["planner"] == "paper":  # chosen only where it is shallower and right in float64
        assert "shallower" in net.meta["fallback"] and float_errors(net, pts, labels, np.float64) == 0
    assert net.depth <= 118 and classifies_all(net, pts, labels)


def test_the_torch_export_of_a_float_plan_is_right_in_float64():
    torch = pytest.importorskip("torch")
    from lnnet_construct.io.exports.to_torch import to_torch

    pts, labels = _random_set(600, 8)  # above the paper comparison's size: the float plan is kept
    net = build(pts, labels, policy=Policy(greedy_max_points=0))
    assert net.meta["planner"] == "float"
    X = torch.tensor([[float(v) for v in p] for p in pts], dtype=torch.float64)
    with torch.no_grad():
        y = to_torch(net)(X).numpy().ravel()
    pred = np.where(y > 0, 1, 0)
    assert np.count_nonzero(pred != np.array(labels)) == 0


def test_every_network_is_written_in_the_float_form():
    pts, labels = _random_set(30, 9)
    for policy in (Policy(), Policy(prefer="depth")):
        net = build(pts, labels, policy=policy)
        for layer in net.layers[2:-1:2]:  # affine layers after the first
            r0, r1, r2 = (tuple(row) for row in layer.weight)
            assert r1 == tuple(-v for v in r0) and set(r2) == {0}
            assert r0[0] == -r0[1] and r0[2] != 0  # lam (kappa, -kappa, -3)
            assert layer.bias[0] == -layer.bias[1]


def test_plan_float_never_exceeds_the_bound_and_ends_with_one_run_per_class():
    rng = np.random.default_rng(11)
    for k in (2, 3, 5):
        t = rng.random(150)
        labels = rng.integers(0, k, 150)
        labels[:k] = np.arange(k)
        p = plan_float(t, labels, k, np.full(150, 3.0))
        assert len(p.folds) <= 150 - max(k, 2)
        assert p.runs[-1] == max(k, 2) or (k == 2 and p.runs[-1] <= 2)
        ls = labels[p.order]
        assert 1 + np.count_nonzero(ls[1:] != ls[:-1]) == p.runs[-1]


fracs = st.fractions(max_denominator=10**6).filter(lambda q: abs(q) < 10**12)


@settings(max_examples=60, deadline=None)
@given(pts=st.lists(st.tuples(fracs, fracs, fracs), min_size=1, max_size=12),
       w=st.tuples(st.fractions(max_denominator=10**20), st.fractions(max_denominator=10**20),
                   st.fractions(max_denominator=10**20)))
@example(pts=[(Fraction(2**61), Fraction(-(2**61)), Fraction(1))], w=(Fraction(3), Fraction(5), Fraction(1, 7)))
def test_the_int64_projection_is_exact(pts, w):
    pts = tuple(pts)
    exact = [sum((a * b for a, b in zip(p, w)), Fraction(0)) for p in pts]
    fast = _project_int(pts, w)
    assert fast is None or fast == exact
    assert project(pts, w) == exact


@pytest.mark.parametrize("kw, word", [({"window": 1}, "window"), ({"prefer": "fast"}, "prefer"),
                                      ({"strategies": ("nope",)}, "strategies"), ({"float64_margin": 0.5}, "margin"),
                                      ({"min_relative_gap": 2.0}, "min_relative_gap")])
def test_bad_policies_get_one_clear_line(kw, word):
    with pytest.raises(InputError, match=word) as err:
        Policy(**kw)
    assert "\n" not in str(err.value)


def test_build_refuses_a_policy_of_the_wrong_type():
    with pytest.raises(InputError, match="policy"):
        build([[0], [1]], ["a", "b"], policy={"prefer": "depth"})
