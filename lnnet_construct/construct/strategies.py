r"""Candidate folds for the float planner: typed records and the strategies that propose them.

A strategy looks at a :class:`~.clusters.ClusterState` and returns
:class:`Candidate` records, priced by the label runs the fold leaves.  The
planner (:mod:`.planner`) ranks them with one scorer (:func:`rank`) and
checks the best against the float budget.

**end-merge** (:func:`end_merges`).  A fold centred at the midpoint ``c`` of
two same-label clusters ``p < q`` makes them equal; every point nearer to
``c`` than the lowest point is interleaved by distance, every point beyond
keeps its order (reversed).  Candidates are the same-label pairs among the
lowest ``window`` clusters whose interleaved *zone* lies inside the window,
so each is priced on at most ``window`` cluster values.  The paper's merge
(MATH.md §3.1: the lowest cluster with the next cluster of its label) is
among them whenever that cluster is in the window, and is always proposed.
The low end is where floats resolve the values best: a fold centred there
changes the relative gaps of only the points near it (:mod:`.clusters`).

Examples
--------
>>> import numpy as np
>>> from lnnet_construct.construct.clusters import ClusterState
>>> st = ClusterState(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), np.array([0, 1, 0, 1, 0]), err0=np.zeros(5))
>>> best = rank(end_merges(st, window=8))[0]   # a fold at 2 pairs 1 with 3 and 0 with 4: runs 2 | 1,3 | 0,4
>>> best.c, best.merge, best.runs
(2.0, (1, 3), 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Candidate", "end_merges", "paper_merge", "rank", "STRATEGIES"]


@dataclass(frozen=True)
class Candidate:
    """One fold the planner may make.

    Attributes
    ----------
    c : float
        Centre.
    merge : tuple of int
        The cluster ids ``(p, q)`` the fold makes equal.
    half_gap : float
        Distance from ``c`` to each of them.
    runs : int
        Label runs after the fold (priced on cluster values).
    span : int
        Clusters from ``p`` to ``q`` (the paper's merge has the smallest).
    strategy : str
    """

    c: float
    merge: tuple
    half_gap: float
    runs: int
    span: int
    strategy: str


def _tail_runs(state, ends, lab):
    """Runs beyond the window and whether the window's top label continues into them."""
    if ends[-1] >= state.n:
        return 0, None
    first_tail = state.labels[state.order[ends[-1]]]
    rw = 1 + int(np.count_nonzero(lab[1:] != lab[:-1]))
    join = int(lab[-1] == first_tail)
    return state.runs - rw + join, first_tail


def _price(reps, lab, i, j, tail, first_tail):
    """Runs after folding at the midpoints of ``reps[i], reps[j]`` (rows of candidates)."""
    c = (reps[i] + reps[j]) / 2
    d = np.abs(reps[None, :] - c[:, None])
    rows = np.arange(len(c))
    d[rows, j] = d[rows, i]  # the merge is exact
    srt = lab[np.argsort(d, axis=1, kind="stable")]
    runs = 1 + np.count_nonzero(srt[:, 1:] != srt[:, :-1], axis=1)
    if first_tail is not None:
        runs = runs + tail - (srt[:, -1] == first_tail)
    return c, runs


def end_merges(state, window: int) -> list:
    """Same-label merges among the lowest ``window`` clusters (see module docstring)."""
    starts, ends, reps, lab, ids = state.blocks(window)
    if len(reps) < 2:
        return []
    covered = ends[-1] >= state.n
    i, j = np.triu_indices(len(reps), 1)
    keep = (lab[i] == lab[j]) & (reps[i] != reps[j]) & (ids[i] != ids[j])  # equal values are merged already
    i, j = i[keep], j[keep]
    if not covered:  # the zone must lie inside the window
        i, j = i[reps[i] + reps[j] - reps[0] <= reps[-1]], j[reps[i] + reps[j] - reps[0] <= reps[-1]]
    if not len(i):
        return []
    tail, first_tail = _tail_runs(state, ends, lab)
    c, runs = _price(reps, lab, i, j, tail, first_tail)
    half = (reps[j] - reps[i]) / 2
    return [Candidate(float(c[k]), (int(ids[i[k]]), int(ids[j[k]])), float(half[k]), int(runs[k]),
                      int(j[k] - i[k]), "end-merge") for k in range(len(c))]


def paper_merge(state) -> list:
    """The lowest cluster with the next cluster of its label (MATH.md §3.1), priced on every cluster.

    Where the lowest cluster is the last of its class (three or more
    classes), the lowest cluster whose class has another cluster above it
    is merged with the next one instead; the points below it are folded
    beyond the pair.
    """
    vs = state.sorted_values()
    ls = state.labels[state.order]
    cid = state.cluster[state.order]
    last = np.zeros(int(ls.max()) + 1, dtype=np.int64)
    last[ls] = np.arange(len(ls))  # the last position of each label (fancy assignment keeps the last)
    open_ = np.flatnonzero(cid[last[ls]] != cid)
    if not len(open_):
        return []
    p = int(open_[0])
    q = np.flatnonzero((ls == ls[p]) & (cid != cid[p]) & (vs != vs[p]) & (np.arange(len(ls)) > p))
    if not len(q):
        return []
    q0 = int(q[0])
    c = (vs[p] + vs[q0]) / 2
    if not c - vs[p] > 0:
        return []
    new = np.abs(vs - c)
    new[(cid == cid[q0]) | (cid == cid[p])] = c - vs[p]
    srt = ls[np.argsort(new, kind="stable")]
    runs = 1 + int(np.count_nonzero(srt[1:] != srt[:-1]))
    span = int(np.count_nonzero(np.diff(cid[p:q0 + 1]) != 0))
    return [Candidate(float(c), (int(cid[p]), int(cid[q0])), float(c - vs[p]), runs, span, "paper-merge")]


#: The strategies in the order the planner asks them.
STRATEGIES = ("end-merge", "paper-merge")


def rank(cands) -> list:
    """The scorer: fewest runs after the fold, then the smallest span, then the lowest centre."""
    return sorted(cands, key=lambda k: (k.runs, k.span, k.c))
