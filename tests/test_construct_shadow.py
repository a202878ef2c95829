"""The planner's float shadow (construct/shadow.py): it follows the network's own float evaluation,
its risk count means what it says, and the formats a built network claims to keep classify every
point in independent float evaluations (the tests' numpy oracle, and torch)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from construct_oracles import float_errors, float_predict, float_states
from lnnet_construct.construct import Policy, build, build_with_history
from lnnet_construct.construct.shadow import FORMATS, FloatShadow, at_risk


def _random_set(m, seed, span=10**6):
    rng = np.random.default_rng(seed)
    pts = set()
    while len(pts) < m:
        pts.add(tuple(Fraction(int(v), span) for v in rng.integers(-span, span, size=2)))
    pts = sorted(pts)
    return pts, [int(v) for v in rng.integers(0, 2, size=m)]


@pytest.mark.parametrize("eps", [0, "1e-5"])
def test_the_shadow_is_the_networks_own_float_evaluation(eps):
    pts, labels = _random_set(40, 3)
    res = build_with_history(pts, labels, eps=eps, seed=1)
    sh = FloatShadow(res._dataset.points, res.plan.direction, res.network.layers[1].eps)
    states = {dt: list(float_states(res.network, res._dataset.points, dt)) for dt in FORMATS}
    assert len(res.plan.folds) >= 2
    for k, fold in enumerate(res.plan.folds):
        sh.commit(fold)
        for dt in FORMATS:
            # bit for bit: the oracle's state after the k-th LayerNorm
            assert np.array_equal(sh.state[dt], states[dt][2 * k + 1], equal_nan=True)


def _brute_risk(values, labels, bar):
    order = sorted(range(len(values)), key=lambda i: values[i])
    run, runs = {}, 0
    for a, b in zip([None] + order, order):
        if a is not None and labels[a] != labels[b]:
            runs += 1
        run[b] = runs
    count = 0
    for i in range(len(values)):
        if not np.isfinite(bar[i]):
            count += 1
            continue
        near = [j for j in range(len(values)) if abs(run[j] - run[i]) == 1]
        if any(abs(values[i] - values[j]) <= bar[i] + bar[j] for j in near):
            count += 1
    return count


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-50, 50), st.integers(0, 2), st.integers(0, 30)), min_size=1, max_size=25,
                unique_by=lambda x: x[0]))
@example([(0, 0, 5), (10, 1, 4), (20, 0, 5)])        # bars touch exactly: at risk
@example([(0, 0, 1), (1, 1, 0), (2, 0, 0), (3, 1, 0)])
@example([(0, 0, 0), (5, 1, 30), (9, 0, 0)])          # one wide bar covers both neighbours
def test_points_at_risk_match_a_brute_force_count(rows):
    v = np.array([r[0] for r in rows], dtype=float)
    labels = np.array([r[1] for r in rows])
    bar = np.array([r[2] / 4 for r in rows])
    assert at_risk(v, labels, bar) == _brute_risk(v, labels, bar)
    bar[0] = np.inf
    assert at_risk(v, labels, bar) == _brute_risk(v, labels, bar)


def _spiral(m):
    t = np.linspace(0.5, 3 * np.pi, m // 2)
    pts, labels = [], []
    for sgn, lab in ((1, 0), (-1, 1)):
        for a in t:
            pts.append((Fraction(sgn * a * np.cos(a)).limit_denominator(10**6),
                        Fraction(sgn * a * np.sin(a)).limit_denominator(10**6)))
            labels.append(lab)
    return pts, labels


CASES = [
    ("random-64", *_random_set(64, 0), 0),
    ("random-120", *_random_set(120, 7), 0),
    ("spiral-60", *_spiral(60), 0),
    ("random-48-eps", *_random_set(48, 2), "1e-5"),
    ("alternating-40", [(Fraction(i),) for i in range(40)], [i % 2 for i in range(40)], 0),
]


@pytest.mark.parametrize("name,pts,labels,eps", CASES, ids=[c[0] for c in CASES])
def test_the_formats_a_network_keeps_classify_every_point(name, pts, labels, eps):
    net = build(pts, labels, eps=eps, seed=0)
    kept = net.meta["float_formats_kept"]
    risk = net.meta["float_points_at_risk"]
    assert set(risk) == {"float32", "float64"}
    assert kept == [f for f in ("float64", "float32") if risk[f] == 0]
    assert "float64" in kept  # small, well-spread sets: float64 is never at risk
    for fmt in kept:
        assert float_errors(net, pts, labels, np.dtype(fmt).type) == 0, fmt


def test_a_kept_float32_also_classifies_in_torch():
    torch = pytest.importorskip("torch")
    from lnnet_construct.io.exports.to_torch import to_torch

    pts, labels = _random_set(120, 7)
    net = build(pts, labels, seed=0)
    assert "float32" in net.meta["float_formats_kept"]
    model = to_torch(net).float()
    x = torch.tensor([[float(v) for v in p] for p in pts], dtype=torch.float32)
    with torch.no_grad():
        out = model(x)[:, 0].numpy()
    pred = [net.class_texts[1] if o > 0 else net.class_texts[0] for o in out]
    assert pred == [str(lab) for lab in labels]
    assert np.all(out != 0)


def test_points_closer_than_float32_are_reported_at_risk():
    # clusters 1e-9 apart: float32 cannot tell them apart, float64 can
    pts = [(Fraction(i) + Fraction(j, 10**9),) for i in range(4) for j in range(2)]
    labels = [j for i in range(4) for j in range(2)]
    net = build(pts, labels, seed=0)
    assert net.meta["float_points_at_risk"]["float32"] > 0
    assert "float32" not in net.meta["float_formats_kept"]
    assert float_errors(net, pts, labels, np.float64) == 0
    assert float_predict(net, pts, np.float32) != [str(lab) for lab in labels]


def test_the_guard_is_what_keeps_float32(monkeypatch):
    # a set whose unguarded plan misclassifies points in float32 (seed found by search)
    pts, labels = _random_set(256, 3)
    net = build(pts, labels, seed=0)
    assert net.meta["float_formats_kept"] == ["float64", "float32"]
    assert float_errors(net, pts, labels, np.float32) == 0

    from lnnet_construct.construct import builder, greedy

    def unguarded(*args, guard=None, errors=None, **kwargs):
        return greedy.choose_fold(*args, **kwargs)

    monkeypatch.setattr(builder, "choose_fold", unguarded)
    plain = build(pts, labels, seed=0)
    assert plain.meta["float_points_at_risk"]["float32"] > 0
    assert float_errors(plain, pts, labels, np.float32) > 0


def test_the_threshold_lies_outside_every_kept_formats_bars():
    from lnnet_construct.construct.builder import _float_safe
    from lnnet_construct.construct.realise import binary_readout
    from lnnet_construct.construct.tracker import RunStructure

    st = RunStructure(order=np.arange(4), run_of=np.array([0, 0, 1, 1]), run_labels=[0, 1],
                      lows=[Fraction(0), Fraction(2)], highs=[Fraction(1), Fraction(3)])

    class Bars:  # float64 bars reach 1.9 and 1.95; float32's overlap, so they are left out
        def bounds(self):
            v = np.array([0.0, 1.0, 2.0, 3.0])
            return [(v - [0, 0, 0.05, 0], v + [0, 0.9, 0, 0]), (v - 0.6, v + 0.6)]

    theta, _ = binary_readout(*(lambda b: (b.lows, b.highs, b.run_labels))(_float_safe(st, Bars()))).params
    assert Fraction(19, 10) < theta < Fraction(195, 100)
    theta0, _ = binary_readout(st.lows, st.highs, st.run_labels).params
    assert not Fraction(19, 10) < theta0   # without the bars the threshold would sit inside one


def test_the_guard_is_only_used_up_to_its_size():
    from lnnet_construct.construct import Policy

    pts, labels = _random_set(24, 5)
    assert "float_points_at_risk" in build(pts, labels, policy=Policy(prefer="depth")).meta
    net = build(pts, labels, policy=Policy(prefer="depth", greedy_max_points=23))
    assert "float_points_at_risk" not in net.meta and "float_formats_kept" not in net.meta
    assert float_errors(net, pts, labels, np.float64) == 0


def test_a_guard_that_holds_the_plan_back_is_dropped_before_the_paper(monkeypatch):
    # a guarded plan that only idles (monotone folds) stalls; the plan is made again without the guard
    from lnnet_construct.construct import builder, greedy

    def held_back(values, labels, backend, eps, rng, guard=None, errors=None, **kw):
        if guard is None:
            return greedy.choose_fold(values, labels, backend, eps, rng, **kw)
        lo = min(backend.to_fraction(v) for v in values)
        return greedy.FoldChoice(c_rel=lo - 10, h=Fraction(1), lam=Fraction(1), runs=10**6, gap=0.0)

    monkeypatch.setattr(builder, "choose_fold", held_back)
    monkeypatch.setattr(builder, "STALL_LAYERS", 4)
    pts, labels = _random_set(30, 6)
    net = build(pts, labels, policy=Policy(prefer="depth"))
    assert net.meta["float_guard"].startswith("dropped: with it, the default plan stalled")
    assert "fallback" not in net.meta and "float_points_at_risk" not in net.meta
    assert net.depth < 28 and float_errors(net, pts, labels, np.float64) == 0
