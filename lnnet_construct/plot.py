r"""Figures: decision regions, the fold on the circle, trajectories through the folds, margins against depth, merge history.

matplotlib is optional (``pip install 'lnnet_construct[plot]'``); it is
imported on first use, and a missing install raises
:class:`~lnnet_construct.errors.MissingDependencyError`.  Every function
builds a :class:`matplotlib.figure.Figure` directly (no pyplot, no global
state), or draws into a given ``ax``, and returns the figure.  Save it with
``fig.savefig("name.png")``.

Everything drawn here is a **float64 evaluation (not certified)**, and the
titles say so; the certified numbers come from :mod:`lnnet_construct.verify`
(which :func:`plot_margin_vs_depth` can plot).

The data behind each figure is available from a plain function, so it can
be tested and reused: :func:`decision_grid`, :func:`fold_trajectories`,
:func:`layer_gaps`, :func:`fold_on_circle_data`, :func:`merge_history_counts`.
Layer axes get at most about ten integer ticks, so the figures stay
readable at any depth.

Examples
--------
>>> net, X, y = xor_example()
>>> fig = plot_fold_on_circle(net, X, y)
>>> len(fig.axes)
4
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .errors import InputError, MissingDependencyError
from .fold import V1, V2
from .network import Affine, LayerNorm, Network

__all__ = [
    "NOT_CERTIFIED",
    "decision_grid",
    "plot_decision_regions",
    "fold_trajectories",
    "plot_fold_trajectory",
    "layer_gaps",
    "plot_margin_vs_depth",
    "merge_history_counts",
    "plot_merge_history",
    "plot_merge_graph",
    "fold_on_circle_data",
    "plot_fold_on_circle",
    "xor_example",
]

#: The label every float-evaluated figure carries.
NOT_CERTIFIED = "float64 evaluation (not certified)"

_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
_SQRT3 = math.sqrt(3.0)


def _mpl():
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingDependencyError(
            "plotting needs matplotlib, which is not installed; install it with: pip install 'lnnet_construct[plot]'"
        ) from None
    return matplotlib, Figure


def _new_axes(ax, ncols=1, figsize=(5.5, 4.5)):
    _, Figure = _mpl()
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot(1, ncols, 1)


def _float_columns(network: Network, points):
    """Float64 activations after every layer, as arrays (n_points, width) (NOT rigorous)."""
    from .arith import get_arith
    from .forward import batch_input, forward_layers

    points = [tuple(p) for p in points]
    if not points:
        raise InputError("no points to evaluate")
    F = get_arith("float")
    with F.active():
        acts = [np.stack([np.broadcast_to(np.asarray(v, dtype=np.float64), (len(points),)) for v in a], axis=1)
                for a in forward_layers(network, batch_input(points, F), F)]
    return acts


def _codes_from_outputs(network: Network, out: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if network.decision == "sign":
            o = out[:, 0]
            codes = np.where(o > 0, 1, np.where(o < 0, 0, -1))
        else:
            best = np.argmax(np.where(np.isnan(out), -np.inf, out), axis=1)
            top = out[np.arange(len(out)), best]
            ties = (out == top[:, None]).sum(axis=1) > 1
            codes = np.where(ties | np.isnan(top), -1, best)
    return codes.astype(np.int64)


def _label_index(network: Network, labels):
    texts = list(network.class_texts)
    return [texts.index(str(l)) if str(l) in texts else -1 for l in labels]


def _limits(points, pad=0.15, default=(-1.0, 1.0)):
    if points is None or len(points) == 0:
        return default, default
    P = np.array([[float(v) for v in p] for p in points], dtype=np.float64)
    lo, hi = P.min(axis=0), P.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    lo, hi = lo - pad * span, hi + pad * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


# --------------------------------------------------------------------------
# decision regions

def decision_grid(network: Network, xlim, ylim, resolution: int = 200):
    """Class index on a ``resolution`` × ``resolution`` grid of a 2-D input (float64, NOT certified).

    Returns
    -------
    xs, ys : ndarray
        Grid coordinates (cell centres), each of length ``resolution``.
    codes : ndarray of int, shape (len(ys), len(xs))
        ``codes[i, j]`` is the class index at ``(xs[j], ys[i])``; ``-1`` where
        the float outputs decide nothing (0, tie, NaN).

    Examples
    --------
    >>> from lnnet_construct.network import Network, Affine
    >>> net = Network(2, [Affine([[1, -1]], [0])], classes=["x1 < x2", "x1 > x2"])
    >>> xs, ys, codes = decision_grid(net, (-1, 1), (-1, 1), resolution=4)
    >>> codes                  # row i is y = ys[i]: class 1 right of the diagonal, -1 on it
    array([[-1,  1,  1,  1],
           [ 0, -1,  1,  1],
           [ 0,  0, -1,  1],
           [ 0,  0,  0, -1]])
    """
    if network.input_dim != 2:
        raise InputError(f"decision regions need a 2-D input, the network has input_dim {network.input_dim}")
    from .arith import get_arith
    from .forward import forward

    xs = np.linspace(xlim[0], xlim[1], resolution)
    ys = np.linspace(ylim[0], ylim[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    F = get_arith("float")
    with F.active():
        outs = forward(network, [gx.ravel(), gy.ravel()], F)
        out = np.stack([np.broadcast_to(np.asarray(o, dtype=np.float64), (gx.size,)) for o in outs], axis=1)
    return xs, ys, _codes_from_outputs(network, out).reshape(gx.shape)


def plot_decision_regions(network: Network, points=None, labels=None, *, ax=None, xlim=None, ylim=None,
                          resolution: int = 200, title: str | None = None):
    """Decision regions of a 2-D network, with the points on top (float64 grid, NOT certified).

    The regions are drawn with ``imshow`` from :func:`decision_grid` (the
    image array is the class-index grid, ``-1`` masked), so
    ``fig.axes[0].images[0].get_array()`` is the grid itself.
    """
    matplotlib, _ = _mpl()
    from matplotlib.colors import ListedColormap

    fig, ax = _new_axes(ax)
    dx, dy = _limits(points)
    xlim = xlim or dx
    ylim = ylim or dy
    xs, ys, codes = decision_grid(network, xlim, ylim, resolution)
    k = len(network.classes)
    cmap = ListedColormap([_COLOURS[i % len(_COLOURS)] for i in range(k)]).with_extremes(bad="white")
    ax.imshow(np.ma.masked_less(codes, 0), origin="lower", extent=(xlim[0], xlim[1], ylim[0], ylim[1]),
              cmap=cmap, vmin=-0.5, vmax=k - 0.5, alpha=0.3, aspect="auto", interpolation="nearest")
    if points is not None:
        P = np.array([[float(v) for v in p] for p in points], dtype=np.float64)
        idx = _label_index(network, labels) if labels is not None else [0] * len(P)
        for c in sorted(set(idx)):
            sel = [i for i, v in enumerate(idx) if v == c]
            name = network.classes[c] if c >= 0 else "(not a class)"
            ax.scatter(P[sel, 0], P[sel, 1], s=28, color=_COLOURS[c % len(_COLOURS)] if c >= 0 else "k",
                       edgecolor="k", linewidth=0.6, label=str(name), zorder=3)
        ax.legend(loc="best", fontsize=8)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title((title + "\n" if title else f"decision regions (depth {network.depth})\n") + NOT_CERTIFIED, fontsize=9)
    return fig


# --------------------------------------------------------------------------
# trajectories through the folds

def _check_width3(network: Network):
    widths = [network.input_dim] + list(network.widths)
    ln = [i for i, layer in enumerate(network.layers) if isinstance(layer, LayerNorm)]
    if not ln or any(widths[i] != 3 for i in ln):
        raise InputError("this figure needs a network whose LayerNorm layers all have width 3 (a fold network)")
    if not isinstance(network.layers[0], Affine):
        raise InputError("this figure needs a network that starts with an affine layer")
    return ln


def fold_trajectories(network: Network, points) -> np.ndarray:
    r"""The scalar each point carries through the folds, layer by layer (float64, NOT certified).

    Column 0 is ``v1·z/2`` for the first affine output ``z``: for a network
    from :func:`lnnet_construct.fold.fold_network` that is ``t - c_1``, the
    projection ``t = w·x`` measured from the first fold centre.  Column ``k``
    (``k >= 1``) is ``τ_k = v2·y`` after the ``k``-th LayerNorm, the value the
    next fold reads (``v1 = (1,-1,0)``, ``v2 = (1,1,-2)``; MATH.md §2.2).

    Returns
    -------
    ndarray of shape (n_points, depth + 1)

    Examples
    --------
    >>> from lnnet_construct.fold import fold_network
    >>> net = fold_network([1], [(1, 1)], ("sign", 4, 1), classes=["a", "b"])
    >>> T = fold_trajectories(net, [[0], [2], [1]])
    >>> T[:, 0].tolist()                        # t - c
    [-1.0, 1.0, 0.0]
    >>> bool(T[0, 1] == T[1, 1]), round(float(T[2, 1]) ** 2, 9)   # merged; 6/sqrt(2) at the centre
    (True, 18.0)
    """
    ln = _check_width3(network)
    acts = _float_columns(network, points)
    v1 = np.array([float(v) for v in V1])
    v2 = np.array([float(v) for v in V2])
    cols = [acts[0] @ v1 / 2] + [acts[i] @ v2 for i in ln]
    return np.stack(cols, axis=1)


def plot_fold_trajectory(network: Network, points, labels, *, ax=None, title: str | None = None):
    """Each point's scalar through the folds (:func:`fold_trajectories`), coloured by label.

    One line collection per class, so the figure stays light at any depth;
    markers only on short, sparse plots, and at most about ten integer ticks
    on the layer axis.

    Examples
    --------
    >>> from lnnet_construct.fold import fold_network
    >>> net = fold_network([1], [(k, 1) for k in range(300)], ("sign", 4, 1), classes=["a", "b"])
    >>> fig = plot_fold_trajectory(net, [[0], [1], [2]], ["a", "b", "a"])
    >>> len(fig.axes[0].get_xticks()) <= 12
    True
    """
    _mpl()
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    fig, ax = _new_axes(ax, figsize=(6.5, 4.5))
    T = fold_trajectories(network, points)
    idx = np.array(_label_index(network, labels))
    layers = np.arange(T.shape[1], dtype=np.float64)
    # markers help on a few short lines only; on deep or crowded plots they hide the lines
    markers = T.shape[1] <= 30 and T.shape[0] <= 60
    alpha = 0.6 if T.shape[0] <= 60 else 0.3
    handles = []
    for c in sorted(set(idx.tolist())):
        rows = T[idx == c]
        colour = _COLOURS[c % len(_COLOURS)] if c >= 0 else "k"
        ax.add_collection(LineCollection([np.column_stack([layers, r]) for r in rows], colors=colour,
                                         linewidths=1, alpha=alpha))
        if markers:
            ax.plot(np.tile(layers, len(rows)), rows.ravel(), "o", color=colour, alpha=alpha, markersize=3)
        name = str(network.classes[c]) if c >= 0 else "(not a class)"
        handles.append(Line2D([], [], color=colour, marker="o" if markers else None, label=name))
    _integer_axis(ax.xaxis)
    ax.autoscale_view()
    ax.set_xlim(layers[0] - 0.02 * max(layers[-1], 1), layers[-1] + 0.02 * max(layers[-1], 1))
    ax.set_xlabel("layer (0: projection $t - c_1$; $k$: $\\tau = v_2\\cdot y$ after LayerNorm $k$)")
    ax.set_ylabel("scalar")
    ax.legend(handles=handles, loc="best", fontsize=8)
    ax.set_title((title + "\n" if title else "points through the folds\n") + NOT_CERTIFIED, fontsize=9)
    return fig


def _integer_axis(axis, nbins=10):
    # one tick per layer overlaps beyond ~20 layers; at most nbins integer ticks at any depth
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=nbins, integer=True))


# --------------------------------------------------------------------------
# margins and bits against depth

def layer_gaps(network: Network, points, labels) -> dict:
    r"""Smallest gap between opposite-label points after each fold (float64, NOT certified).

    For layer ``k`` (column ``k`` of :func:`fold_trajectories`) the gap is
    ``min |τ_i - τ_j|`` over pairs with different labels, the relative gap
    divides it by ``max |τ|``, and ``bits = -log2(relative gap)`` is the
    precision needed to tell the two points apart.  Once the relative gap
    drops below float64 resolution the value is an artefact of rounding,
    which is why certified margins come from :mod:`lnnet_construct.verify`.

    Returns
    -------
    dict of ndarrays ``layer``, ``gap``, ``relative_gap``, ``bits``

    Examples
    --------
    >>> from lnnet_construct.fold import fold_network
    >>> net = fold_network([1], [(1, 1)], ("sign", 4, 1), classes=["a", "b"])
    >>> g = layer_gaps(net, [[0], [1], [2]], ["a", "b", "a"])
    >>> g["gap"].round(6).tolist()              # |t - c| gap 1; then 3*sqrt(2) - 6/sqrt(8/3)
    [1.0, 0.568406]
    """
    T = fold_trajectories(network, points)
    labels = [str(l) for l in labels]
    if len(labels) != len(T):
        raise InputError(f"{len(T)} points but {len(labels)} labels")
    gaps, rel = [], []
    for col in T.T:
        order = np.argsort(col)
        best = np.inf
        # the closest opposite-label pair is adjacent in sorted order after merging equal-label runs
        last = {}
        for i in order:
            for lab, v in last.items():
                if lab != labels[i]:
                    best = min(best, abs(col[i] - v))
            last[labels[i]] = col[i]
        gaps.append(best)
        scale = np.max(np.abs(col)) if len(col) else 1.0
        rel.append(best / scale if scale > 0 else np.inf)
    gaps, rel = np.array(gaps), np.array(rel)
    with np.errstate(divide="ignore"):
        bits = np.where(rel > 0, -np.log2(np.where(rel > 0, rel, 1.0)), np.inf)
    return {"layer": np.arange(len(gaps)), "gap": gaps, "relative_gap": rel, "bits": bits}


def plot_margin_vs_depth(network: Network | None = None, points=None, labels=None, *, reports=None, ax=None,
                         title: str | None = None):
    """Margin and bits against depth.

    Two sources:

    * ``network, points, labels``: the smallest opposite-label gap after each
      fold (:func:`layer_gaps`, float64, NOT certified) and the bits it needs;
    * ``reports=[(depth, Report), ...]``: certified results of
      :func:`lnnet_construct.verify.verify` for networks of several depths:
      ``min_relative_margin`` and ``bits_needed`` (certified lower bounds).
    """
    _mpl()
    fig, ax = _new_axes(ax, figsize=(6.5, 4.5))
    if reports is not None:
        pairs = sorted(((int(d), r) for d, r in reports), key=lambda t: t[0])
        depth = np.array([d for d, _ in pairs])
        margin = np.array([float(r.min_relative_margin) if r.min_relative_margin is not None else np.nan for _, r in pairs])
        bits = np.array([r.bits_needed if r.bits_needed is not None else np.nan for _, r in pairs])
        xlabel, mlabel, tag = "depth (LayerNorm layers)", "certified min relative margin", "certified (lnnet verify)"
    else:
        if network is None or points is None or labels is None:
            raise InputError("plot_margin_vs_depth needs network, points and labels, or reports=[(depth, Report), ...]")
        g = layer_gaps(network, points, labels)
        depth, margin, bits = g["layer"], g["relative_gap"], g["bits"]
        xlabel, mlabel, tag = "layer (fold)", "min relative gap between labels", NOT_CERTIFIED
    marker = "o-" if len(depth) <= 40 else "-"
    ax.semilogy(depth, margin, marker, color=_COLOURS[0], label=mlabel)
    _integer_axis(ax.xaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(mlabel, color=_COLOURS[0])
    ax2 = ax.twinx()
    ax2.plot(depth, bits, "s--" if len(depth) <= 40 else "--", color=_COLOURS[1], label="bits needed")
    ax2.axhline(53, color="grey", linewidth=0.8, linestyle=":")
    ax2.text(depth.min() if len(depth) else 0, 53, " float64 (53 bits)", va="bottom", fontsize=7, color="grey")
    ax2.set_ylabel("bits needed", color=_COLOURS[1])
    ax.set_title((title + "\n" if title else "margin and precision against depth\n") + tag, fontsize=9)
    return fig


# --------------------------------------------------------------------------
# merge history

def _node_class(data) -> str:
    return str(data.get("class", data.get("cls", data.get("label", ""))))


def _value_key(node, data):
    # nodes without a numeric value keep a stable order after the valued ones
    v = data.get("value", data.get("position"))
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(node))


def _nodes_by_layer(graph) -> dict:
    """``{layer: [(node, data), ...]}``, each layer sorted by value; the layer is the ``layer`` (or ``step``)
    attribute, else the node's topological generation."""
    import networkx as nx

    if not isinstance(graph, nx.DiGraph):
        raise InputError(f"expected a networkx DiGraph, got {type(graph).__name__}")
    gen_of = {n: k for k, gen in enumerate(nx.topological_generations(graph)) for n in gen}
    by_layer: dict = {}
    for n, data in graph.nodes(data=True):
        by_layer.setdefault(data.get("layer", data.get("step", gen_of[n])), []).append((n, data))
    return {x: sorted(nodes, key=lambda nd: _value_key(*nd)) for x, nodes in sorted(by_layer.items())}


def merge_history_counts(graph) -> dict:
    r"""Clusters and label runs per layer of a merge history (the data of :func:`plot_merge_history`).

    A node's layer is its ``layer`` attribute (else its topological
    generation); its class is ``class``, ``cls`` or ``label``.  The runs of a
    layer are the maximal blocks of one class when its clusters are sorted by
    ``value``; the construction is done when one run per class is left
    (MATH.md §3.1).

    Returns
    -------
    dict of int ndarrays ``layer``, ``clusters``, ``runs``

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph()
    >>> for n, (layer, value, cls) in enumerate([(0, 0, "a"), (0, 1, "b"), (0, 2, "a"), (1, 0, "a"), (1, 1, "b")]):
    ...     g.add_node(n, layer=layer, value=value, cls=cls)
    >>> {k: v.tolist() for k, v in merge_history_counts(g).items()}
    {'layer': [0, 1], 'clusters': [3, 2], 'runs': [3, 2]}
    """
    by_layer = _nodes_by_layer(graph)
    clusters, runs = [], []
    for nodes in by_layer.values():
        classes = [_node_class(d) for _, d in nodes]
        clusters.append(len(nodes))
        runs.append(1 + sum(a != b for a, b in zip(classes, classes[1:])))
    return {"layer": np.array(list(by_layer), dtype=np.int64), "clusters": np.array(clusters, dtype=np.int64),
            "runs": np.array(runs, dtype=np.int64)}


def plot_merge_history(graph, *, ax=None, title: str | None = None):
    """Summarise a construction's merge history: clusters and label runs per layer, as two curves.

    The counts come from :func:`merge_history_counts`, so the figure has a
    fixed number of artists however deep the network is (a plot of every
    node is unreadable beyond a few dozen; :func:`plot_merge_graph` draws
    small histories node by node).  The dotted line is one run per class,
    where the construction stops.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph([((0, 0), (1, 0)), ((0, 2), (1, 0)), ((0, 1), (1, 1))])
    >>> for (layer, j) in g.nodes:
    ...     g.nodes[(layer, j)].update(layer=layer, value=j, cls="ab"[j % 2])
    >>> fig = plot_merge_history(g)
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['clusters', 'label runs', 'one run per class']
    """
    _mpl()
    counts = merge_history_counts(graph)
    fig, ax = _new_axes(ax, figsize=(6.5, 4.0))
    if len(counts["layer"]) == 0:
        ax.set_title("empty merge history", fontsize=9)
        return fig
    x = counts["layer"]
    style = dict(drawstyle="steps-post", linewidth=1.5)
    ax.plot(x, counts["clusters"], color=_COLOURS[0], label="clusters", **style)
    ax.plot(x, counts["runs"], color=_COLOURS[1], linestyle="--", label="label runs", **style)
    n_classes = len({_node_class(d) for _, d in graph.nodes(data=True)})
    ax.axhline(n_classes, color="0.5", linestyle=":", linewidth=1, label="one run per class")
    _integer_axis(ax.xaxis)
    _integer_axis(ax.yaxis, nbins=8)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("layer (0: projection)")
    ax.set_ylabel("count")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(f"{title or 'merge history'}\n{counts['runs'][0]} label runs to {counts['runs'][-1]} "
                 f"in {x[-1] - x[0]} layers", fontsize=9)
    return fig


def plot_merge_graph(graph, *, ax=None, title: str | None = None, max_nodes: int = 80):
    """Draw a small merge history (a networkx DiGraph) node by node, layer by layer.

    Nodes are placed by their ``layer`` attribute (or topological generation)
    along x and by their ``value`` attribute (or order) along y; the
    ``class``/``cls`` attribute picks the colour.  Beside each node goes its
    ``members`` (the data rows, 1-based, when there are at most six), else
    its ``label`` attribute, else its name.  This is the layout of
    :attr:`lnnet_construct.construct.BuildResult.history`, whose ``value`` is
    a float (NOT certified).  Graphs with more than ``max_nodes`` nodes are
    refused: summarise them with :func:`plot_merge_history`.

    Raises
    ------
    InputError
        If ``graph`` is not a DiGraph or has more than ``max_nodes`` nodes.
    """
    _mpl()
    by_layer = _nodes_by_layer(graph)
    if graph.number_of_nodes() > max_nodes:
        raise InputError(f"the merge history has {graph.number_of_nodes()} nodes, more than max_nodes={max_nodes} "
                         "can show readably; use plot_merge_history for a summary")
    fig, ax = _new_axes(ax, figsize=(7.5, 4.5))
    if graph.number_of_nodes() == 0:
        ax.set_title("empty merge history")
        return fig
    pos = {}
    for x, nodes in by_layer.items():
        for j, (n, data) in enumerate(nodes):
            key = _value_key(n, data)
            pos[n] = (float(x), key[1] if key[0] == 0 else float(j))
    classes = sorted({str(d.get("class", d.get("cls", ""))) for _, d in graph.nodes(data=True)})
    colour = {c: _COLOURS[i % len(_COLOURS)] for i, c in enumerate(classes)}
    for u, v in graph.edges():
        (x0, y0), (x1, y1) = pos[u], pos[v]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="->", color="0.5", linewidth=0.8, shrinkA=4, shrinkB=4))
    for n, data in graph.nodes(data=True):
        x, y = pos[n]
        c = str(data.get("class", data.get("cls", "")))
        ax.plot([x], [y], "o", color=colour[c], markersize=7, markeredgecolor="k", markeredgewidth=0.5, zorder=3)
        members = data.get("members")
        if members is not None and 0 < len(members) <= 6:
            text = "{" + ",".join(str(r + 1) for r in sorted(members)) + "}"
        else:
            text = str(data.get("label", n))
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(5, 3), fontsize=7)
    _integer_axis(ax.xaxis)
    ax.set_xlabel("layer")
    ax.set_ylabel("value")
    ax.set_title(title or f"merge history ({graph.number_of_nodes()} nodes)", fontsize=9)
    ax.margins(0.1)
    return fig


# --------------------------------------------------------------------------
# the fold on the circle (the paper's XOR figure)

def xor_example():
    r"""The XOR data and a one-fold network that separates it (MATH.md §2.2, §5).

    Points ``(0,0), (1,1)`` (label 0) and ``(0,1), (1,0)`` (label 1).
    Project on ``w = (1, 1)`` (the 45° rotation, up to scale): ``t = 0, 2``
    and ``t = 1, 1``.  Fold at ``c = 1`` with height ``h = 1``: the label-0
    points sit at ``(t - c, h) = (∓1, 1)``, at 45° on either side, and merge
    exactly; the label-1 points sit at the top of the circle.  Read
    ``τ = v2·y`` and threshold at ``θ = 4``, between ``6/sqrt(8/3) ≈ 3.67``
    and ``3 sqrt(2) ≈ 4.24``.

    Returns
    -------
    (Network, list of points, list of labels)
    """
    from .fold import fold_network

    X = [(Fraction(0), Fraction(0)), (Fraction(1), Fraction(1)), (Fraction(0), Fraction(1)), (Fraction(1), Fraction(0))]
    y = [0, 0, 1, 1]
    net = fold_network([1, 1], [(1, 1)], ("sign", 4, 1), classes=[0, 1], meta={"example": "xor"})
    return net, X, y


def fold_on_circle_data(network: Network, points) -> dict:
    r"""Coordinates for :func:`plot_fold_on_circle` (float64, NOT certified).

    With the orthonormal basis ``u1 = v1/sqrt2``, ``u2 = v2/sqrt6`` of the
    plane ``1^⊥`` in R^3:

    * ``plane``: ``(u1·z, u2·z)`` of the first affine output ``z`` (rotated
      and lifted to a fixed height for a fold network);
    * ``circle``: ``(u1·y, u2·y)`` of the first LayerNorm output ``y`` (on the
      circle of radius ``sqrt3`` when ``eps = 0``);
    * ``ordinate``: ``u2·y``, the value the next layer reads;
    * ``direction``: the input direction ``W1^T u1`` the first layer projects on;
    * ``threshold``: the ordinate where the output changes sign, when the
      output layer right after reads ``y`` along ``v2`` (else None).
    """
    ln = _check_width3(network)
    first_ln = ln[0]
    acts = _float_columns(network, points)
    pre = acts[first_ln - 1]
    post = acts[first_ln]
    u1 = np.array([1.0, -1.0, 0.0]) / math.sqrt(2)
    u2 = np.array([1.0, 1.0, -2.0]) / math.sqrt(6)
    W1 = np.array([[float(v) for v in row] for row in network.layers[0].weight])
    direction = W1.T @ u1 if W1.shape[0] == 3 else None
    threshold = None
    nxt = network.layers[first_ln + 1] if first_ln + 1 < len(network.layers) else None
    if isinstance(nxt, Affine) and nxt.out_dim == 1 and network.decision == "sign":
        w = np.array([float(v) for v in nxt.weight[0]])
        w = w - w.mean()  # LayerNorm outputs lie in 1-perp: only the centred read vector matters
        alpha = w @ u2
        if alpha != 0 and np.allclose(w, alpha * u2):
            threshold = -float(nxt.bias[0]) / alpha
    return {"plane": np.stack([pre @ u1, pre @ u2], axis=1), "circle": np.stack([post @ u1, post @ u2], axis=1),
            "ordinate": post @ u2, "direction": direction, "threshold": threshold}


def plot_fold_on_circle(network: Network | None = None, points=None, labels=None, *, title: str | None = None):
    """The four-panel fold figure: project, lift to a fixed height, normalise onto the circle, read the ordinate.

    Without arguments it draws the XOR example (:func:`xor_example`).  The
    network must have a 2-D input and a width-3 first LayerNorm; panels
    2–4 come from its float64 activations (:func:`fold_on_circle_data`).
    """
    _, Figure = _mpl()
    if network is None:
        network, points, labels = xor_example()
    if points is None or labels is None:
        raise InputError("plot_fold_on_circle needs points and labels with a network")
    if network.input_dim != 2:
        raise InputError(f"the fold figure needs a 2-D input, the network has input_dim {network.input_dim}")
    data = fold_on_circle_data(network, points)
    idx = _label_index(network, labels)
    colours = [_COLOURS[c % len(_COLOURS)] if c >= 0 else "k" for c in idx]
    P = np.array([[float(v) for v in p] for p in points], dtype=np.float64)
    fig = Figure(figsize=(13, 3.6), layout="constrained")
    axes = fig.subplots(1, 4)

    ax = axes[0]
    ax.scatter(P[:, 0], P[:, 1], c=colours, s=50, edgecolor="k", zorder=3)
    if data["direction"] is not None:
        d = data["direction"] / (np.linalg.norm(data["direction"]) or 1.0)
        ctr = P.mean(axis=0)
        span = np.ptp(P, axis=0).max() or 1.0
        ax.plot([ctr[0] - d[0] * span, ctr[0] + d[0] * span], [ctr[1] - d[1] * span, ctr[1] + d[1] * span],
                "--", color="0.4", linewidth=1, label="projection direction")
        ax.legend(loc="best", fontsize=7)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title("1. input points", fontsize=9)

    ax = axes[1]
    pl = data["plane"]
    ax.scatter(pl[:, 0], pl[:, 1], c=colours, s=50, edgecolor="k", zorder=3)
    ax.axhline(0, color="0.7", linewidth=0.8)
    ax.axvline(0, color="0.7", linewidth=0.8)
    for a, b in pl:
        ax.plot([0, a], [0, b], color="0.6", linewidth=0.7)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title("2. rotate, fix the height\n$(u_1\\cdot z,\\ u_2\\cdot z)$", fontsize=9)

    ax = axes[2]
    th = np.linspace(0, 2 * np.pi, 400)
    ax.plot(_SQRT3 * np.cos(th), _SQRT3 * np.sin(th), color="0.5", linewidth=1, label="radius $\\sqrt{3}$")
    ci = data["circle"]
    for (a, b), (p, q) in zip(pl, ci):
        r = math.hypot(a, b) or 1.0
        s = max(_SQRT3 / r, 1.0)
        ax.plot([0, a * s], [0, b * s], color="0.8", linewidth=0.7)
    ax.scatter(ci[:, 0], ci[:, 1], c=colours, s=50, edgecolor="k", zorder=3)
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title("3. LayerNorm: onto the circle", fontsize=9)

    ax = axes[3]
    o = data["ordinate"]
    ax.scatter(np.zeros_like(o) + 0.05 * (np.arange(len(o)) - (len(o) - 1) / 2) / max(len(o), 1), o,
               c=colours, s=50, edgecolor="k", zorder=3)
    if data["threshold"] is not None:
        ax.axhline(data["threshold"], color="k", linestyle="--", linewidth=1, label="output threshold")
        ax.legend(loc="best", fontsize=7)
    ax.set_xticks([])
    ax.set_xlim(-0.5, 0.5)
    ax.set_ylabel("$u_2\\cdot y$")
    ax.set_title("4. read the ordinate", fontsize=9)
    fig.suptitle((title + " — " if title else "LayerNorm as a fold on the circle — ") + NOT_CERTIFIED, fontsize=10)
    return fig
