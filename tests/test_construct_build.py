"""The Theorem 1 constructions: every built network classifies every point.

Each network is checked by an oracle independent of the planner and of the
verifier (tests/construct_oracles.py: the generic forward pass in exact or
ball arithmetic, and a from-scratch float evaluation with torch semantics).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from construct_oracles import arb_decide, classifies_all, exact_decide, float_errors, idle_fold
from lnnet_construct.construct import Policy, build, build_with_history
from lnnet_construct.errors import ConflictingLabelsError, InputError
from lnnet_construct.network import LayerNorm


def _random_set(m, d=2, k=2, seed=0, span=1000):
    rng = np.random.default_rng(seed)
    pts = set()
    while len(pts) < m:
        pts.add(tuple(Fraction(int(v), span) for v in rng.integers(-span, span, size=d)))
    pts = sorted(pts)
    rng.shuffle(pts)
    labels = [int(v) for v in rng.integers(0, k, size=m)]
    labels[:k] = range(k)
    return pts, labels


def _shape_ok(net, m, k):
    assert net.depth <= m - max(k, 2) or (k == 1 and net.depth == 0)
    for layer_idx, layer in enumerate(net.layers[:-1]):
        if isinstance(layer, LayerNorm):
            continue
        assert layer.out_dim == 3
    assert net.width in (0, 3)


@pytest.mark.parametrize("method", ["default", "paper"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_binary_certified_independently(method, seed):
    pts, labels = _random_set(30, seed=seed)
    net = build(pts, labels, method=method)
    _shape_ok(net, 30, 2)
    assert net.meta["method"] == method and net.meta["certified"] is True
    assert net.meta["ln_layers"] == net.depth
    assert Fraction(net.meta["min_relative_margin"]) > 0
    assert classifies_all(net, pts, labels)


@pytest.mark.parametrize("m", [3, 4, 5, 6, 7, 9, 12])
def test_paper_uses_exactly_m_minus_2_layers_on_alternating_labels(m):
    pts = [[i] for i in range(m)]
    labels = [i % 2 for i in range(m)]
    net = build(pts, labels, method="paper")
    assert net.depth == m - 2
    oracle = exact_decide if net.depth <= 2 else arb_decide
    assert classifies_all(net, pts, labels, oracle)
    assert net.meta["exact"] is (m <= 6)


@pytest.mark.parametrize("m", [4, 8, 16, 33])
def test_default_not_deeper_than_paper_on_alternating_labels(m):
    pts = [[i] for i in range(m)]
    labels = [i % 2 for i in range(m)]
    net = build(pts, labels)
    assert net.depth <= m - 2
    assert classifies_all(net, pts, labels)


def test_default_beats_paper_on_random_labels():
    pts, labels = _random_set(64, seed=5)
    d = build(pts, labels)
    p = build(pts, labels, method="paper")
    assert d.depth <= p.depth // 2
    assert classifies_all(d, pts, labels)


@pytest.mark.parametrize("k", [3, 4, 5])
@pytest.mark.parametrize("method", ["default", "paper"])
def test_multiclass(k, method):
    pts, labels = _random_set(24, k=k, seed=k)
    net = build(pts, labels, method=method)
    _shape_ok(net, 24, k)
    assert net.decision == "argmax" and len(net.classes) == k
    assert classifies_all(net, pts, labels)


@pytest.mark.parametrize("method", ["default", "paper"])
def test_symmetric_equispaced_confusion_case(method):
    # folding at the midpoint of the two outer 'a's puts 'b' and 'c' at equal distance (MATH.md §3.3)
    pts = [[0], [1], [2], [3]]
    labels = ["a", "b", "c", "a"]
    net = build(pts, labels, method=method)
    assert classifies_all(net, pts, labels, exact_decide if net.depth <= 2 else arb_decide)
    if method == "default":
        assert net.depth <= 1  # m - K
    else:
        assert net.depth == 2  # one monotone layer breaks the symmetry, then one merge


def test_symmetric_multiclass_line():
    labels = list("abcbacbabc")
    pts = [[i] for i in range(len(labels))]
    for method in ("default", "paper"):
        net = build(pts, labels, method=method)
        assert classifies_all(net, pts, labels)


def test_eps_networks_are_correct_in_exact_and_float64():
    pts, labels = _random_set(40, seed=3)
    net = build(pts, labels, eps="1e-5")
    assert all(layer.eps == Fraction(1, 10**5) for layer in net.layers if isinstance(layer, LayerNorm))
    assert net.meta["eps"] == "1/100000"
    assert classifies_all(net, pts, labels)
    assert float_errors(net, pts, labels) == 0


def test_eps_paper():
    pts, labels = _random_set(16, seed=4)
    net = build(pts, labels, method="paper", eps=Fraction(1, 10**5))
    assert classifies_all(net, pts, labels)


def test_duplicates_merged_and_conflicts_refused():
    pts = [[0, 0], [1, 1], [0, 0], ["1/2", "0.5"], [1, 1]]
    labels = ["x", "y", "x", "y", "y"]
    net = build(pts, labels)
    assert net.meta["points"] == 5 and net.meta["distinct_points"] == 3
    assert classifies_all(net, pts, labels)
    with pytest.raises(ConflictingLabelsError, match=r"rows 3 and 17 are equal with labels 'a' and 'b'"):
        bad = [[i, 0] for i in range(20)]
        bad[16] = [2, 0]
        build(bad, ["a"] * 16 + ["b"] + ["a"] * 3)


def test_single_class_and_two_points():
    net = build([[1, 2], [3, 4]], ["only", "only"])
    assert net.depth == 0 and net.classes == ("only",) and net.decision == "argmax"
    assert exact_decide(net, [5, 6]) == "only"
    net = build([[0], [1]], ["p", "q"])
    assert net.depth == 0
    assert classifies_all(net, [[0], [1]], ["p", "q"], exact_decide)
    net = build([[0], [1]], ["p", "q"], method="paper")
    assert net.depth == 0


def test_random_labels_in_30_dimensions():
    pts, labels = _random_set(40, d=30, seed=7)
    net = build(pts, labels)
    _shape_ok(net, 40, 2)
    assert net.input_dim == 30
    assert classifies_all(net, pts, labels)


def test_clusters_separated_by_1e_12():
    rng = np.random.default_rng(11)
    pts, labels = [], []
    for c in range(6):
        for j in range(4):
            pts.append((Fraction(c) + j * Fraction(1, 10**12), Fraction(c % 3) + j * Fraction(1, 10**12)))
            labels.append(int(rng.integers(0, 2)))
    labels[0], labels[1] = 0, 1
    for method in ("default", "paper"):
        net = build(pts, labels, method=method)
        assert classifies_all(net, pts, labels)


@pytest.mark.parametrize("scale", [Fraction(10) ** 12, Fraction(1, 10**12)])
def test_coordinates_of_size_1e_pm_12(scale):
    pts, labels = _random_set(20, seed=8)
    pts = [tuple(v * scale for v in p) for p in pts]
    net = build(pts, labels)
    assert classifies_all(net, pts, labels)
    assert float_errors(net, pts, labels) == 0


def test_decimals_equal_as_doubles_but_not_exactly():
    a, b = "0.1", "0.1000000000000000055511151231257827"
    assert float(a) == float(b) and Fraction(a) != Fraction(b)
    pts = [[a, "0"], [b, "0"], ["0.3", "0"], ["0.2", "1"]]
    labels = ["u", "v", "u", "v"]
    for method in ("default", "paper"):
        net = build(pts, labels, method=method)
        assert classifies_all(net, pts, labels)


def test_three_classes_are_planned_one_class_at_a_time():
    # random labels, m = 200, K = 3: 183 layers when folding for all three labels at once (planner
    # seed 0); one class against the rest, then the last two, took 84 (data seeds 0-5: 77-92, against 77-183)
    pts, labels = _random_set(200, k=3, seed=3, span=10**5)
    net = build(pts, labels, policy=Policy(prefer="depth"))
    assert net.meta["planner_staged_layers"] > 0 and "fallback" not in net.meta
    assert net.depth <= 120 and classifies_all(net, pts, labels)


def test_unicode_and_mixed_labels():
    pts = [[0], [1], [2], [3], [4]]
    labels = ["α", "β", 3, "α", "日本"]
    net = build(pts, labels)
    assert set(net.classes) == {"α", "β", "3", "日本"}
    assert classifies_all(net, pts, labels)


def test_bad_inputs():
    with pytest.raises(InputError, match="at least one point"):
        build([], [])
    with pytest.raises(InputError, match="row 2: expected 2 coordinates"):
        build([[0, 1], [1]], ["a", "b"])
    with pytest.raises(InputError, match="not a finite number"):
        build([[float("nan")]], ["a"])
    with pytest.raises(InputError, match="eps"):
        build([[0], [1]], ["a", "b"], eps=-1)
    with pytest.raises(InputError, match="method"):
        build([[0], [1]], ["a", "b"], method="magic")
    with pytest.raises(InputError, match="one label per point"):
        build([[0], [1]], ["a"])


def test_floats_are_taken_exactly():
    net = build([[0.1], [0.30000000000000004]], ["a", "b"])
    assert classifies_all(net, [[Fraction(0.1)], [Fraction(0.30000000000000004)]], ["a", "b"])


def test_history_graph():
    pts, labels = _random_set(20, seed=9)
    res = build_with_history(pts, labels)
    g = res.history
    depth = res.network.depth
    assert {d["layer"] for _, d in g.nodes(data=True)} == set(range(depth + 1))
    for layer in range(depth + 1):
        rows = [r for n, d in g.nodes(data=True) if d["layer"] == layer for r in d["members"]]
        assert sorted(rows) == list(range(20))
    for (la, _), (lb, _) in g.edges:
        assert lb == la + 1
    last = [d for _, d in g.nodes(data=True) if d["layer"] == depth]
    if res.network.meta["planner"] == "greedy":  # the depth-first planner's clusters are label runs
        assert len(last) == 2
    else:  # the float planner's are its merge clusters, each of one label, fewer than the points
        assert 2 <= len(last) < 20
    assert all(len({labels[r] for r in d["members"]}) == 1 for _, d in g.nodes(data=True))
    assert all(d["value_is_float"] for _, d in g.nodes(data=True))


def test_paper_history_has_one_merge_per_layer():
    m = 8
    res = build_with_history([[i] for i in range(m)], [i % 2 for i in range(m)], method="paper")
    g = res.history
    sizes = [sum(1 for _, d in g.nodes(data=True) if d["layer"] == k) for k in range(res.network.depth + 1)]
    assert sizes == list(range(m, 1, -1))


def test_a_stalled_default_plan_falls_back_to_the_paper(monkeypatch):
    import lnnet_construct.construct.builder as B

    monkeypatch.setattr(B, "choose_fold", idle_fold)
    monkeypatch.setattr(B, "STALL_LAYERS", 5)
    pts = [(Fraction(i),) for i in range(8)]
    labels = [0, 1] * 4
    res = build_with_history(pts, labels, policy=Policy(prefer="depth"))
    net = res.network
    assert "stalled" in net.meta["fallback"]
    assert net.depth == 6 and classifies_all(net, pts, labels)


@pytest.mark.parametrize("eps", [Fraction(0), Fraction(1, 10**5)])
@pytest.mark.parametrize("m,k", [(4, 3), (15, 5), (17, 4), (29, 3)])
def test_the_fallback_stays_within_m_minus_k_where_every_pair_is_blocked(monkeypatch, m, k, eps):
    # equispaced labels i mod k: every same-label pair has two clusters of different labels symmetric
    # about its midpoint, so MATH.md 3.3's procedure spends a monotone layer (m - k + 1 in all)
    import lnnet_construct.construct.builder as B

    pts = [(Fraction(i),) for i in range(m)]
    labels = [i % k for i in range(m)]
    assert build(pts, labels, method="paper", eps=eps).depth == m - k + 1   # the faithful procedure
    monkeypatch.setattr(B, "choose_fold", idle_fold)
    monkeypatch.setattr(B, "STALL_LAYERS", 3)
    net = build(pts, labels, eps=eps)
    assert "used the paper's plan" in net.meta["fallback"]
    assert net.depth <= m - k and classifies_all(net, pts, labels)


def test_equispaced_classes_with_eps_stay_within_m_minus_k():
    # found by fuzzing: the default plan reached m - K here and the paper's plan took m - K + 1
    pts = [(Fraction(i),) for i in range(17)]
    labels = [i % 4 for i in range(17)]
    net = build(pts, labels, eps=Fraction(1, 10**5))
    assert net.depth <= 17 - 4 and classifies_all(net, pts, labels)


def test_an_idle_streak_widens_the_candidate_search(monkeypatch):
    import lnnet_construct.construct.builder as B
    from lnnet_construct.construct.greedy import choose_fold

    asked = []

    def idle_then_plan(values, labels, backend, eps, rng, **kw):
        asked.append(kw["n_random"])
        if len(asked) <= 9:  # monotone folds: they remove no run
            return idle_fold(values, labels, backend, eps, rng)
        return choose_fold(values, labels, backend, eps, rng, **kw)

    monkeypatch.setattr(B, "choose_fold", idle_then_plan)
    monkeypatch.setattr(B, "IDLE_STEP", 3)
    pts = [(Fraction(i),) for i in range(24)]
    labels = [0, 1] * 12
    net = build_with_history(pts, labels).network
    assert "fallback" not in net.meta
    base = asked[0]
    # x2 after 3 idle layers, x4 after 6, x8 (the cap) after 9 and on, back to x1 once a run goes
    assert asked[:10] == [base] * 3 + [2 * base] * 3 + [4 * base] * 3 + [8 * base]
    assert asked[-1] == base and classifies_all(net, pts, labels)


def test_a_forced_squeeze_narrows_an_end_run_until_a_run_can_go():
    # two wide end runs around six one-point runs: no plain fold removes a run; after a long idle
    # streak the planner squeezes an end run (centre near its middle) until a fold removes one
    from lnnet_construct.construct.greedy import FORCE_IDLE_LAYERS, choose_fold, end_folds
    from lnnet_construct.construct.numeric import FloatBackend, fold_float
    from lnnet_construct.construct.runs import count_runs_sorted

    ts = np.concatenate([np.linspace(0, 30, 31), np.arange(31.0, 37.0), np.linspace(37, 67, 31)])
    ls = np.array([0] * 31 + [1, 0, 1, 0, 1, 0] + [1] * 31)
    be, rng = FloatBackend(), np.random.default_rng(0)
    assert choose_fold(ts, ls, be, Fraction(0), rng, tilt=False).runs == 8
    squeezed = 0
    for _ in range(6):
        ch = choose_fold(ts, ls, be, Fraction(0), rng, tilt=False, idle_layers=FORCE_IDLE_LAYERS)
        if ch.runs < 8:
            break
        o = np.argsort(ts)
        _, squeezes = end_folds(ts[o], ls[o], be)
        assert any(abs(float(ch.c_rel) - mid) <= width / 20 for mid, width in squeezes)
        ts = fold_float(ts, float(ch.c_rel), float(ch.h), 0.0)
        assert count_runs_sorted(ls[np.argsort(ts)]) == 8
        squeezed += 1
    assert squeezed >= 1 and ch.runs < 8
    ts = fold_float(ts, float(ch.c_rel), float(ch.h), 0.0, float(ch.kappa))
    assert count_runs_sorted(ls[np.argsort(ts)]) == ch.runs


def test_a_sharp_fold_beside_the_smallest_gap_widens_it():
    from lnnet_construct.construct.greedy import H_GRID, repair_centres
    from lnnet_construct.construct.numeric import FloatBackend, fold_float

    rng = np.random.default_rng(4)
    ts = np.sort(rng.random(40)) * 3
    ts = np.sort(np.append(ts, ts[18] + 1e-11))
    ls = np.insert(np.repeat(np.arange(10) % 2, 4), 19, 0)
    ls[19] = 1 - ls[18]                       # the pair 1e-11 apart has two labels
    spread = ts[-1] - ts[0]
    cents = repair_centres(ts, ls, spread, FloatBackend(), pairs=1)
    assert len(cents) == 6 and np.all(np.abs(cents - ts[18]) < spread / 7)
    pair = ts[18:20]
    widened = max(abs(np.diff(fold_float(pair, c, h, 0.0))[0]) for c in cents for h in H_GRID * spread)
    assert widened > 30 * (pair[1] - pair[0])   # a plain fold F has slope at most 0.94 / h


@pytest.mark.parametrize("m,k,seed", [(60, 3, 1), pytest.param(48, 4, 4, marks=pytest.mark.xfail(
    reason="known: since networks use the float form, the guard's float view makes this eps plan 27 layers "
           "against 20 + 4", strict=True))])
def test_eps_does_not_flatten_the_default_plan(m, k, seed):
    # with eps = 1e-5 these took 30 and 41 layers against 18 and 20 with eps = 0: eps flattened the
    # steep folds and the tilted folds were off; now each layer is scaled so that eps_eff is negligible
    rng = np.random.default_rng(seed)
    pts = [tuple(Fraction(int(v), 1000) for v in rng.integers(-1000, 1000, 2)) for _ in range(m)]
    labels = [int(v) for v in rng.integers(0, k, m)]
    depth_first = Policy(prefer="depth")
    plain = build(pts, labels, policy=depth_first)
    net = build(pts, labels, eps=Fraction(1, 10**5), policy=depth_first)
    assert "fallback" not in net.meta and net.depth <= plain.depth + 4
    assert classifies_all(net, pts, labels)
