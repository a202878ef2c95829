r"""The merge history of a construction as a networkx ``DiGraph``.

Nodes are ``(layer, j)``: cluster ``j`` (numbered from the lowest value up) of
the scalar after ``layer`` folds (layer 0 is the projection).  A *cluster* is a
group of points the construction treats as one:

* ``paper`` method: the clusters of MATH.md §3.1 (points merged by the folds;
  exactly equal values in exact mode, equal up to a planned tiny spread
  otherwise);
* ``default`` method: the float planner's merge clusters (as for
  ``paper``); with the depth-first planner, the label runs (maximal blocks
  of one label along the line), which is what its folds merge.

Node attributes:

* ``layer`` (int), ``label``/``class`` (class text);
* ``value``: the mean value of the cluster's points **as a float** (for
  plots only; ``value_is_float`` is True to say so), ``low``/``high`` the
  float range;
* ``members``: ``frozenset`` of 0-based data rows, ``size`` its length.

An edge ``(k, i) -> (k+1, j)`` means some point of cluster ``i`` lies in
cluster ``j`` after the next fold.

Examples
--------
>>> import numpy as np
>>> g = merge_history([np.array([0., 1., 2.]), np.array([3., 4., 3.])],
...                   np.array([0, 1, 0]), ("a", "b"), [(0,), (1,), (2,)],
...                   groups=[np.array([0, 1, 2]), np.array([0, 1, 0])])
>>> sorted(g.nodes)
[(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
>>> g.nodes[(1, 0)]["members"]
frozenset({0, 2})
"""

from __future__ import annotations

import networkx as nx
import numpy as np

__all__ = ["merge_history", "run_groups"]


def run_groups(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Group id of every point: its label run (0 = lowest values)."""
    order = np.argsort(values, kind="stable")
    ls = labels[order]
    run = np.cumsum(np.concatenate([[0], (ls[1:] != ls[:-1]).astype(np.int64)]))
    out = np.empty(len(values), dtype=np.int64)
    out[order] = run
    return out


def merge_history(layer_values, labels, classes, members, groups=None) -> nx.DiGraph:
    """Build the history graph.

    Parameters
    ----------
    layer_values : list of float arrays
        The scalar of every unique point after each layer (layer 0 first).
    labels : array of int
        Class index per unique point.
    classes : sequence of str
    members : sequence of tuples of int
        Data rows of every unique point.
    groups : list of int arrays, optional
        Cluster id per unique point and layer; default: label runs.

    Returns
    -------
    networkx.DiGraph
    """
    g = nx.DiGraph()
    labels = np.asarray(labels)
    prev = None
    for layer, vals in enumerate(layer_values):
        vals = np.asarray(vals, dtype=np.float64)
        gid = np.asarray(groups[layer]) if groups is not None else run_groups(vals, labels)
        # renumber clusters by increasing mean value
        ids = np.unique(gid)
        means = np.array([vals[gid == i].mean() for i in ids])
        rank = {int(i): r for r, i in enumerate(ids[np.argsort(means, kind="stable")])}
        node_of = np.array([rank[int(i)] for i in gid], dtype=np.int64)
        for i in ids:
            sel = np.nonzero(gid == i)[0]
            rows = frozenset(r for u in sel for r in members[u])
            g.add_node(
                (layer, rank[int(i)]),
                layer=layer,
                value=float(vals[sel].mean()),
                value_is_float=True,
                low=float(vals[sel].min()),
                high=float(vals[sel].max()),
                label=classes[int(labels[sel[0]])],
                **{"class": classes[int(labels[sel[0]])]},
                members=rows,
                size=len(rows),
            )
        if prev is not None:
            for a, b in set(zip(prev.tolist(), node_of.tolist())):
                g.add_edge((layer - 1, a), (layer, b))
        prev = node_of
    return g
