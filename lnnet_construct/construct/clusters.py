r"""The float planner's state: each point's float64 value, its cluster, its error budget.

A *cluster* is a set of points that a merge (a fold centred at the midpoint
of two same-label clusters) made equal in exact arithmetic up to the
rounding of the centre; its points stay next to each other in value order.
:class:`ClusterState` keeps

* ``values``: the scalar each point carries, as a float64 evaluation of the
  float form (:mod:`lnnet_construct.fold`) computes it;
* ``order``: the points in ascending value, updated per fold without a full
  sort (a fold near the low end reverses everything beyond its *zone* and
  only sorts the zone, :meth:`ClusterState.fold`);
* ``cluster``: each point's cluster id;
* ``rho``: a first-order bound of each value's relative error, in units of
  the format's unit roundoff ``u`` (the rounding of each layer times the
  slopes after it; before the first fold, ``err0`` bounds the absolute
  error of the projection), and ``ratio``: the smallest relative gap between
  neighbours of different labels over the sum of their ``rho``, over every
  layer so far.  A format with unit roundoff ``u`` is expected to keep every
  point where ``ratio >= 4 u`` (an estimate that guides the plan, not a
  proof; the network itself is certified exactly).

Examples
--------
>>> import numpy as np
>>> st = ClusterState(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0, 1, 0, 1]), err0=np.full(4, 4.0))
>>> st.runs
4
>>> st.fold(1.0, 0.25, merge=(0, 2))   # fold at 1: points 0 and 2 merge
>>> st.runs, int(st.cluster[2])
(3, 0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["ClusterState", "fold_values", "relative_gaps", "TIE"]

#: Same-label neighbours closer than this, relative, are one cluster (floats cannot centre a fold between them).
TIE = 2.0 ** -40


def fold_values(a, h, lam=1.0, eps=0.0):
    """``-3 y_3`` of ``LN(lam (a, -a, -3h))``: ``6h / sqrt((2a^2 + 6h^2)/3 + eps/lam^2)`` (float64)."""
    return 6.0 * h / np.sqrt((2.0 * a * a + 6.0 * h * h) / 3.0 + eps / (lam * lam))


def relative_gaps(values_sorted, labels_sorted):
    """Relative gaps ``(v_{k+1} - v_k) / v_{k+1}`` between ascending neighbours of different labels."""
    opp = labels_sorted[1:] != labels_sorted[:-1]
    hi = values_sorted[1:][opp]
    with np.errstate(divide="ignore", invalid="ignore"):
        return (hi - values_sorted[:-1][opp]) / np.abs(hi)


class ClusterState:
    """Values, value order, clusters and error budgets of the points (see module docstring).

    Parameters
    ----------
    values : float64 array
        The projections ``t`` (positive spread; any offset).
    labels : int array
    err0 : float64 array
        Absolute error bound of the projections in a float evaluation, in units of ``u``.
    eps : float
        LayerNorm epsilon (as a float; folds are scaled by ``lam`` against it).
    """

    def __init__(self, values, labels, err0, eps: float = 0.0):
        self.values = np.asarray(values, dtype=np.float64).copy()
        self.labels = np.asarray(labels)
        self.order = np.argsort(self.values, kind="stable")
        self.cluster = np.arange(len(self.values))
        self._members = {i: np.array([i]) for i in range(len(self.values))}
        self.err0 = np.asarray(err0, dtype=np.float64).copy()
        self.rho = None
        self.eps = float(eps)
        vs, ls = self.values[self.order], self.labels[self.order]
        opp = np.flatnonzero(ls[1:] != ls[:-1])
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (vs[opp + 1] - vs[opp]) / (self.err0[self.order[opp]] + self.err0[self.order[opp + 1]])
        self.ratio = float(r.min()) if len(r) else np.inf
        self.runs = 1 + len(opp) if len(ls) else 0

    @property
    def n(self) -> int:
        return len(self.values)

    def sorted_values(self):
        return self.values[self.order]

    def run_labels(self) -> list:
        """Label of each run, low to high."""
        ls = self.labels[self.order]
        keep = np.concatenate([[True], ls[1:] != ls[:-1]])
        return ls[keep].tolist()

    def blocks(self, want: int):
        """The lowest clusters: ``(starts, ends, reps, labels, ids)`` for up to ``want`` blocks of ``order``.

        ``starts[k]:ends[k]`` index ``order``; ``reps`` is the value of a
        block's first point.  Fewer blocks come back only when all points
        are covered.
        """
        z = min(self.n, 4 * want)
        while True:
            cid = self.cluster[self.order[:z]]
            starts = np.concatenate([[0], np.flatnonzero(cid[1:] != cid[:-1]) + 1])
            if len(starts) > want or z == self.n:
                ends = np.concatenate([starts[1:], [z]])[:want]
                starts = starts[:want]
                first = self.order[starts]
                return starts, ends, self.values[first], self.labels[first], self.cluster[first]
            z = min(self.n, 2 * z)

    def zone_end(self, c: float) -> int:
        """Points ``order[:k]`` whose distance to ``c`` is at most the lowest point's (the fold interleaves them)."""
        vs = self.sorted_values()
        reach = c + (c - vs[0])
        k = int(np.searchsorted(vs, reach, side="right"))
        # points of one cluster may straddle the reach by rounding: keep clusters whole
        step = 64
        while 0 < k < self.n:
            cid = self.cluster[self.order[k - 1]]
            nxt = self.cluster[self.order[k:k + step]] != cid
            if nxt.any():
                return k + int(np.argmax(nxt))
            k, step = min(self.n, k + step), 2 * step
        return k

    def preview(self, c: float, h: float, lam: float = 1.0):
        """``(values, order, rho)`` after a fold at ``c`` with height ``h`` (nothing is changed)."""
        k = self.zone_end(c)
        a = self.values - c
        new = fold_values(a, h, lam, self.eps)
        zone = self.order[:k]
        zone = zone[np.argsort(new[zone], kind="stable")]
        # first order: a = t - c carries base + |t| + |c| (input error, rounding of t - c and of c);
        # F's relative error is |a| (that) / (a^2 + 3h^2), plus a few roundings in LayerNorm and the read
        base = self.err0 if self.rho is None else self.rho * np.abs(self.values)
        rho = np.abs(a) * (base + np.abs(self.values) + abs(c)) / (a * a + 3.0 * h * h) + 5.0
        return new, np.concatenate([self.order[k:][::-1], zone]), rho

    def _budget(self, values, order, rho):
        """Smallest relative gap over summed ``rho`` between neighbours of different labels, and the range."""
        vs, ls = values[order], self.labels[order]
        opp = np.flatnonzero(ls[1:] != ls[:-1])
        with np.errstate(divide="ignore", invalid="ignore"):
            g = (vs[opp + 1] - vs[opp]) / vs[opp + 1]
            r = g / (rho[order[opp]] + rho[order[opp + 1]])
        ratio = float(np.nanmin(r)) if len(r) else np.inf
        gap = float(np.nanmin(g)) if len(g) else np.inf
        return ratio, gap, (float(vs[-1] / vs[0]) if vs[0] > 0 else np.inf), len(opp) + 1

    def check(self, c: float, h: float, lam: float = 1.0):
        """``(ratio, gap, range)`` after the fold: the budget ratio of its layer (see module docstring),
        the smallest relative gap between neighbours of different labels, and max/min value."""
        ratio, gap, rng, _ = self._budget(*self.preview(c, h, lam))
        return ratio, gap, rng

    def fold(self, c: float, h: float, lam: float = 1.0, merge=None) -> None:
        """Apply a fold; ``merge = (p, q)`` joins cluster ``q`` into ``p``."""
        self.values, self.order, self.rho = self.preview(c, h, lam)
        if merge is not None:
            self._join(*merge)
        # neighbours of one label that floats no longer tell apart travel as one cluster
        vs, ls, cid = self.values[self.order], self.labels[self.order], self.cluster[self.order]
        with np.errstate(invalid="ignore"):
            close = (ls[1:] == ls[:-1]) & (cid[1:] != cid[:-1]) & (vs[1:] - vs[:-1] <= TIE * np.abs(vs[1:]))
        for k in np.flatnonzero(close):
            self._join(self.cluster[self.order[k]], self.cluster[self.order[k + 1]])
        cid = self.cluster[self.order]
        starts = np.concatenate([[0], np.flatnonzero(cid[1:] != cid[:-1]) + 1])
        if len(starts) != len(self._members):  # rounding split a cluster: its pieces go on alone
            block = np.cumsum(np.isin(np.arange(self.n), starts)) - 1
            self.cluster[self.order] = self.order[starts][block]
            self._members = {int(self.order[b]): self.order[b:e]
                             for b, e in zip(starts, np.concatenate([starts[1:], [self.n]]))}
        ratio, _, _, self.runs = self._budget(self.values, self.order, self.rho)
        self.ratio = min(self.ratio, ratio)

    def _join(self, p, q) -> None:
        if p == q:
            return
        if len(self._members[p]) < len(self._members[q]):
            p, q = q, p
        mq = self._members.pop(q)
        self.cluster[mq] = p
        self._members[p] = np.concatenate([self._members[p], mq])

    def formats_kept(self, unit_roundoff: dict) -> list:
        """Formats whose unit roundoff ``u`` satisfies ``ratio >= 4 u`` (see module docstring)."""
        return [name for name, u in unit_roundoff.items() if self.ratio >= 4 * u]
