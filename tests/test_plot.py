"""Figures: each one renders to a non-empty PNG, and the numbers behind it are right."""

import math
import sys
from fractions import Fraction

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import networkx as nx  # noqa: E402

from lnnet_construct import plot  # noqa: E402
from lnnet_construct.errors import InputError, MissingDependencyError  # noqa: E402
from lnnet_construct.fold import fold_network  # noqa: E402
from lnnet_construct.network import Affine, Network  # noqa: E402

from netzoo import ZOO, grid_points, net_deep, oracle_class  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"

# a three-fold plan on the line, eps > 0 (values chosen by hand, not by the code under test)
PLAN = [(Fraction(1), Fraction(1)), (Fraction(7, 2), Fraction(1, 2)), (Fraction(3), Fraction(1, 4))]
EPS = Fraction(1, 100)


def _plan_net():
    return fold_network([1, 2], PLAN, ("sign", Fraction(3), 1), classes=["a", "b"], eps=EPS)


def _closed_form(t, c, h, eps):
    # MATH.md §2.2, rational basis: v2 · LN((t-c) v1 + h v2) = 6h / sqrt((2(t-c)^2 + 6h^2)/3 + eps)
    return 6 * h / math.sqrt((2 * (t - c) ** 2 + 6 * h ** 2) / 3 + eps)


def _png_ok(fig, path):
    fig.savefig(path, dpi=60)
    data = path.read_bytes()
    return data[:8] == PNG and len(data) > 2000


def test_every_figure_renders(tmp_path):
    net, X, y = plot.xor_example()
    pts = [[Fraction(i, 3), Fraction(-i, 5)] for i in range(-4, 5)]
    labels = ["a" if i % 3 else "b" for i in range(len(pts))]
    from lnnet_construct.verify import verify

    reports = []
    for k in (1, 2, 3):
        deep = net_deep(k)
        pp = grid_points(2)[:12]
        lab = [oracle_class(deep, p) for p in pp]
        keep = [i for i, l in enumerate(lab) if l is not None]
        reports.append((k, verify(deep, [pp[i] for i in keep], [lab[i] for i in keep])))
    g = nx.DiGraph()
    g.add_edge("t0", "m1")
    g.add_edge("t2", "m1")
    g.add_node("t1", layer=0, value=1.0, label="t1", cls="b")
    figs = {
        "regions": plot.plot_decision_regions(net, X, y),
        "regions_argmax": plot.plot_decision_regions(ZOO["argmax3"](), grid_points(2)[:10], ["red"] * 10, resolution=50),
        "circle": plot.plot_fold_on_circle(),
        "trajectory": plot.plot_fold_trajectory(_plan_net(), pts, labels),
        "margin_layers": plot.plot_margin_vs_depth(_plan_net(), pts, labels),
        "margin_reports": plot.plot_margin_vs_depth(reports=reports),
        "merge": plot.plot_merge_history(g),
        "merge_graph": plot.plot_merge_graph(g),
    }
    for name, fig in figs.items():
        assert _png_ok(fig, tmp_path / f"{name}.png"), name
    assert "not certified" in figs["regions"].axes[0].get_title()
    assert "certified" in figs["margin_reports"].axes[0].get_title()


def test_regions_agree_with_certified_predictions():
    from lnnet_construct.io.exports.parity import certified_margins

    net = ZOO["eps_decimal"]()
    xs, ys, codes = plot.decision_grid(net, (-2, 2), (-1.5, 1.5), resolution=41)
    rng = np.random.default_rng(5)
    cells = [(int(i), int(j)) for i, j in zip(rng.integers(0, 41, 150), rng.integers(0, 41, 150))]
    pts = [(Fraction(float(xs[j])), Fraction(float(ys[i]))) for i, j in cells]
    idx, margins = certified_margins(net, pts)
    checked = 0
    for (i, j), c, m in zip(cells, idx, margins):
        if c is not None and m > 1e-9:
            assert codes[i, j] == c
            checked += 1
    assert checked > 140
    assert {0, 1} <= set(np.unique(codes))


def test_plotted_image_is_the_grid():
    net, X, y = plot.xor_example()
    fig = plot.plot_decision_regions(net, X, y, xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), resolution=30)
    img = fig.axes[0].images[0].get_array()
    _, _, codes = plot.decision_grid(net, (-0.5, 1.5), (-0.5, 1.5), resolution=30)
    assert np.array_equal(np.ma.filled(img, -1), codes)


def test_trajectories_match_the_closed_form_of_the_fold():
    net = _plan_net()
    pts = [[Fraction(1, 2), Fraction(1, 3)], [Fraction(-1), Fraction(2)], [Fraction(3), Fraction(0)]]
    T = plot.fold_trajectories(net, pts)
    assert T.shape == (3, 4)
    for row, p in zip(T, pts):
        t = float(p[0] + 2 * p[1])
        assert row[0] == pytest.approx(t - float(PLAN[0][0]), rel=1e-14, abs=1e-14)
        for k, (c, h) in enumerate(PLAN, start=1):
            t = _closed_form(t, float(c), float(h), float(EPS))
            assert row[k] == pytest.approx(t, rel=1e-13)


def test_xor_figure_data():
    net, X, y = plot.xor_example()
    d = plot.fold_on_circle_data(net, X)
    radius = np.hypot(d["circle"][:, 0], d["circle"][:, 1])
    assert np.allclose(radius, math.sqrt(3), rtol=1e-14)             # eps = 0: on the circle of radius sqrt3
    o = d["ordinate"]
    assert o[0] == o[1]                                              # label 0 merges exactly (even in float)
    assert o[2] == pytest.approx(math.sqrt(3), rel=1e-14) and o[3] == o[2]  # label 1 at the top
    assert o[0] < d["threshold"] < o[2]
    assert d["threshold"] == pytest.approx(4 / math.sqrt(6), rel=1e-14)   # θ = 4 on v2·y is 4/sqrt6 on u2·y
    assert np.allclose(d["plane"][:, 1], math.sqrt(6))               # fixed height h |v2| = sqrt6
    assert np.allclose(np.abs(d["direction"]) / np.linalg.norm(d["direction"]), [2 ** -0.5] * 2)
    fig = plot.plot_fold_on_circle(net, X, y)
    assert len(fig.axes) == 4


def test_layer_gaps_against_brute_force():
    net = _plan_net()
    rng = np.random.default_rng(2)
    pts = [[Fraction(int(a), 7), Fraction(int(b), 5)] for a, b in rng.integers(-20, 20, size=(25, 2))]
    labels = ["a" if v % 2 else "b" for v in rng.integers(0, 10, 25)]
    g = plot.layer_gaps(net, pts, labels)
    T = plot.fold_trajectories(net, pts)
    for k in range(T.shape[1]):
        brute = min(abs(T[i, k] - T[j, k]) for i in range(25) for j in range(25) if labels[i] != labels[j])
        assert g["gap"][k] == brute
        assert g["bits"][k] == pytest.approx(-math.log2(brute / np.max(np.abs(T[:, k]))))


def test_merge_graph_places_nodes_by_layer_and_value():
    g = nx.DiGraph()
    for n, layer, value in [("a", 0, 0.0), ("b", 0, 2.0), ("c", 1, 1.0)]:
        g.add_node(n, layer=layer, value=value, label=n.upper(), cls="x" if n != "b" else "y")
    g.add_edges_from([("a", "c"), ("b", "c")])
    fig = plot.plot_merge_graph(g)
    ax = fig.axes[0]
    points = sorted((line.get_xdata()[0], line.get_ydata()[0]) for line in ax.lines)
    assert points == [(0.0, 0.0), (0.0, 2.0), (1.0, 1.0)]
    assert sorted(t.get_text() for t in ax.texts if t.get_text()) == ["A", "B", "C"]
    assert sum(1 for t in ax.texts if not t.get_text()) == g.number_of_edges()   # one arrow per edge
    with pytest.raises(InputError):
        plot.plot_merge_graph(nx.Graph())
    with pytest.raises(InputError, match="plot_merge_history"):
        plot.plot_merge_graph(g, max_nodes=2)


def test_merge_graph_from_the_construction(tmp_path):
    construct = pytest.importorskip("lnnet_construct.construct")
    X = [[Fraction(i)] for i in range(6)]
    res = construct.build_with_history(X, ["0", "1", "0", "1", "0", "1"], method="paper")
    g = res.history
    fig = plot.plot_merge_graph(g)
    assert _png_ok(fig, tmp_path / "merge.png")
    assert len(fig.axes[0].lines) == g.number_of_nodes()
    texts = {t.get_text() for t in fig.axes[0].texts if t.get_text()}
    assert "{1,3,5}" in texts and "{2,4,6}" in texts    # the two final clusters, rows 1-based


def _random_history(n_points, n_layers, seed):
    """A merge history of random values in which same-label points merge, with its values and labels."""
    from lnnet_construct.construct.history import merge_history

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n_points)
    values = [rng.permutation(n_points).astype(float)]
    for _ in range(n_layers):
        v = values[-1].copy()
        i, j = rng.integers(0, n_points, 2)
        if labels[i] == labels[j]:
            v[v == v[i]] = v[j]               # i's cluster joins j's: distinct values are the clusters
        values.append(v)
    groups = [np.unique(v, return_inverse=True)[1] for v in values]
    g = merge_history(values, labels, ("a", "b"), [(r,) for r in range(n_points)], groups=groups)
    return g, values, labels


def test_merge_history_counts_against_the_raw_values():
    g, values, labels = _random_history(40, 60, seed=3)
    counts = plot.merge_history_counts(g)
    assert counts["layer"].tolist() == list(range(61))
    assert counts["clusters"][-1] < counts["clusters"][0]
    for k, v in enumerate(values):
        ls = labels[np.argsort(v, kind="stable")]
        assert counts["runs"][k] == 1 + int(np.count_nonzero(ls[1:] != ls[:-1]))
        assert counts["clusters"][k] == len(set(v.tolist()))


def test_merge_history_plot_summarises_a_deep_history():
    g, _, _ = _random_history(120, 300, seed=1)
    assert g.number_of_nodes() > 3000
    fig = plot.plot_merge_history(g)
    ax = fig.axes[0]
    artists = len(ax.lines) + len(ax.texts) + len(ax.collections) + len(ax.patches)
    assert artists <= 6                       # a fixed handful, not one per node or per layer
    counts = plot.merge_history_counts(g)
    curves = {line.get_label(): line for line in ax.lines}
    assert curves["clusters"].get_ydata().tolist() == counts["clusters"].tolist()
    assert curves["label runs"].get_ydata().tolist() == counts["runs"].tolist()
    lo, hi = ax.get_xlim()
    assert len([t for t in ax.get_xticks() if lo <= t <= hi]) <= 12


def test_merge_history_runs_match_the_plan():
    from lnnet_construct.construct import build_with_history

    rng = np.random.default_rng(4)
    X = [[Fraction(int(a), 50), Fraction(int(b), 50)] for a, b in rng.integers(-50, 50, size=(60, 2))]
    y = [str(v) for v in rng.integers(0, 2, 60)]
    res = build_with_history(X, y, seed=0)
    counts = plot.merge_history_counts(res.history)
    assert counts["runs"].tolist() == list(res.plan.runs_per_layer)
    assert len(counts["layer"]) == res.network.depth + 1


def test_fold_plot_is_readable_at_depth_300():
    folds = [(Fraction(k % 7, 3), Fraction(1 + k % 3, 2)) for k in range(300)]
    net = fold_network([1, 1], folds, ("sign", Fraction(3), 1), classes=["a", "b"])
    rng = np.random.default_rng(0)
    pts = [[Fraction(int(a), 10), Fraction(int(b), 10)] for a, b in rng.integers(-20, 20, size=(80, 2))]
    labels = ["a" if i % 2 else "b" for i in range(80)]
    fig = plot.plot_fold_trajectory(net, pts, labels)
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    assert 3 <= len(ticks) <= 12
    assert all(float(t).is_integer() for t in ticks)
    assert lo <= 0 and hi >= 300                 # the whole depth is shown
    assert len(ax.lines) + len(ax.collections) <= 4   # one collection per class, not one line per point


def test_demo_writes_an_index_of_its_pictures(tmp_path):
    import re
    import subprocess

    out = tmp_path / "demo"
    run = subprocess.run([sys.executable, "-m", "lnnet_construct", "demo", "-o", str(out), "--quiet"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    page = (out / "index.html").read_text(encoding="utf-8")
    written = sorted(p.name for p in out.glob("*.png"))
    assert len(written) >= 6
    shown = re.findall(r'<img src="([^"]+)"', page)
    assert sorted(shown) == written
    captions = re.findall(r"<figcaption>([^<]+)</figcaption>", page)
    assert len(captions) == len(shown) and all(c.strip() for c in captions)
    for src, caption in zip(shown, captions):
        if ".regions." in src:
            assert "float64 evaluation (not certified)" in caption
    assert "Traceback" not in run.stderr


def test_wrong_inputs_are_refused():
    with pytest.raises(InputError, match="2-D"):
        plot.decision_grid(ZOO["ln_affine"](), (0, 1), (0, 1))
    with pytest.raises(InputError, match="width 3"):
        plot.fold_trajectories(ZOO["grouped"](), [[0, 1]])
    with pytest.raises(InputError, match="labels"):
        plot.layer_gaps(_plan_net(), [[0, 1], [1, 0]], ["a"])
    with pytest.raises(InputError, match="reports"):
        plot.plot_margin_vs_depth()


def test_missing_matplotlib_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'lnnet_construct\[plot\]'"):
        plot.plot_fold_on_circle()
    net = Network(2, [Affine([[1, 1]], [0])], classes=["a", "b"])
    assert plot.decision_grid(net, (0, 1), (0, 1), resolution=3)[2].shape == (3, 3)  # data functions need no matplotlib
