r"""The float planner: merges planned in float64 numpy, kept inside a float budget.

Each layer asks the strategies (:mod:`.strategies`) for candidate folds,
ranks them (:func:`.strategies.rank`) and takes the first of the best
``policy.shortlist`` whose fold, at some height, keeps

* a float64 evaluation's expected errors ``policy.float64_margin`` times
  smaller than every relative gap between neighbours of different labels
  (the budget ratio of :mod:`.clusters` at least ``margin * 2^-53``), and
  every such gap at least ``policy.min_relative_gap``, and
* the largest over the smallest value at most ``policy.max_range``

(:meth:`.clusters.ClusterState.check`).  The ordered fallbacks: the rest of
the shortlist; then, for the rest of the plan, the paper's merge order
alone (``FloatPlan.paper_order_from``); then the paper's merge (:func:`.strategies.paper_merge`); if all of them break
the budget, the one that leaves the most is made and the plan is marked as
not expected to keep float64 (``FloatPlan.budget_kept``).  Every layer
merges two clusters of one label, so the plan has at most ``m - K`` layers
(``m`` points, ``K`` classes).

Height: ``h`` is the pair's half gap over ``policy.height_divisor`` (the
folded values then fall off as ``1/|t - c|`` and keep their relative gaps),
raised by factors of 4 while the range is too wide.  With ``eps > 0`` the affine layer
is scaled by a power of two ``lam`` with ``lam^2 h^2 >= 2^60 eps``, so that
``eps`` moves no value by more than a part in ``2^60``.

Examples
--------
>>> import numpy as np
>>> t = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]); labels = np.array([0, 1, 0, 1, 0, 1])
>>> p = plan_float(t, labels, 2, np.full(6, 4.0))   # err0: 4 roundings each; the paper's order
>>> len(p.folds), p.runs[0], p.runs[-1], p.budget_kept
(4, 6, 2, True)
>>> len(plan_float(t, labels, 2, np.full(6, 4.0), policy=Policy(strategies=("end-merge", "paper-merge"))).folds)
3
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import ConstructionError
from .clusters import ClusterState, fold_values
from .policy import UNIT_ROUNDOFF, Policy
from .strategies import end_merges, paper_merge, rank

__all__ = ["FloatFold", "FloatPlan", "plan_float", "PAPER_ORDER"]

#: The paper's merge order (MATH.md §3.1) as a strategy list.
PAPER_ORDER = ("paper-merge",)

#: Values kept per point and layer for the merge history (beyond it, none are kept).
HISTORY_MAX_VALUES = 4_000_000


@dataclass(frozen=True)
class FloatFold:
    """A planned fold in floats: centre, height, scale (all exactly representable)."""

    c: float
    h: float
    lam: float
    strategy: str


@dataclass
class FloatPlan:
    """What :func:`plan_float` decided.

    ``values`` and ``order`` are the final float64 values and their order;
    ``runs`` the label runs after the projection and each fold;
    ``over_budget`` the layers where every candidate broke the budget;
    ``paper_order_from`` the layer from which the paper's merge order was
    used because the planner's own merges would break the budget;
    ``formats_kept`` the float formats expected to keep every point
    (:meth:`.clusters.ClusterState.formats_kept`); ``layers``/``groups``
    the per-layer values and cluster ids when they fit in
    :data:`HISTORY_MAX_VALUES` (else None).
    """

    folds: list
    values: np.ndarray
    order: np.ndarray
    runs: list
    budget_kept: bool
    over_budget: int
    formats_kept: list
    strategies: dict
    layers: list | None
    groups: list | None
    paper_order_from: int | None = None


def _lam(h: float, eps: float) -> float:
    if eps <= 0:
        return 1.0
    return 2.0 ** max(0, math.ceil(math.log2(math.sqrt(eps) * 2.0 ** 30 / h)))


def _height(state: ClusterState, cand, policy: Policy):
    """``(h, lam, ratio, ok)``: the first height that keeps the budget (``ok``), else the best seen; None without a gap."""
    if not cand.half_gap > 0:
        return None
    vs = state.sorted_values()
    amax = max(abs(vs[0] - cand.c), abs(vs[-1] - cand.c))
    near = cand.half_gap
    h = near / policy.height_divisor
    need = policy.float64_margin * UNIT_ROUNDOFF["float64"]
    best = None
    for _ in range(24):
        if not h > 0:
            break
        lam = _lam(h, state.eps)
        spread = float(fold_values(np.array([near]), h, lam, state.eps)[0]
                       / fold_values(np.array([amax]), h, lam, state.eps)[0])
        if spread <= policy.max_range:
            ratio, gap, rng = state.check(cand.c, h, lam)
            if ratio >= need and gap >= policy.min_relative_gap and rng <= policy.max_range:
                return h, lam, ratio, True
            gap = ratio
            if best is None or gap > best[2]:
                best = (h, lam, gap, False)
            break  # a taller fold squeezes more: it can only narrow the gaps
        h *= 4.0
    if best is None and h > 0:
        lam = _lam(h, state.eps)
        best = (h, lam, state.check(cand.c, h, lam)[0], False)
    return best


def plan_float(t, labels, k: int, err0, *, eps: float = 0.0, policy: Policy | None = None,
               progress: Callable | None = None) -> FloatPlan:
    """Plan merges for the float64 projections ``t`` with class indices ``labels`` (see module docstring).

    Parameters
    ----------
    t : float64 array
    labels : int array
    k : int
        Number of classes (the plan ends with one run per class; binary: two runs).
    err0 : float64 array
        Absolute error bound of ``t`` in a float evaluation, in units of the unit roundoff.
    eps : float
    policy : Policy
    progress : callable(done, total) or None

    Raises
    ------
    ConstructionError
        When no strategy proposes a merge (three or more classes whose
        remaining pairs all lie beyond the low end); the builder then uses
        another planner.
    """
    policy = policy or Policy()
    state = ClusterState(t, labels, err0, eps)
    target = max(k, 2)
    runs = [state.runs]
    folds: list = []
    used: dict = {}
    kept, over = True, 0
    strategies, switched = policy.strategies, None
    keep_history = len(t) * 2 <= HISTORY_MAX_VALUES
    layers = [state.values.copy()] if keep_history else None
    groups = [state.cluster.copy()] if keep_history else None
    total = max(state.runs - target, 1)
    while state.runs > target:
        tried = rank(end_merges(state, policy.window))[:policy.shortlist] if "end-merge" in strategies else []
        if "paper-merge" in strategies:
            tried += paper_merge(state)
        choice = None
        fallback = None
        for cand in tried:
            got = _height(state, cand, policy)
            if got is None:
                continue
            if got[3]:
                choice = (cand, got)
                break
            if fallback is None or got[2] > fallback[1][2]:
                fallback = (cand, got)
        if choice is None and "end-merge" in strategies:
            # the planner's own merges would break the budget: the paper's merge order from here on
            strategies = PAPER_ORDER
            switched = len(folds)
            continue
        if choice is None:
            if fallback is None:
                raise ConstructionError(f"the float planner found no merge at {state.runs} runs")
            choice, kept = fallback, False
            over += 1
        cand, (h, lam, _, _) = choice
        state.fold(cand.c, h, lam, merge=cand.merge)
        folds.append(FloatFold(cand.c, h, lam, cand.strategy))
        used[cand.strategy] = used.get(cand.strategy, 0) + 1
        runs.append(state.runs)
        if keep_history:
            layers.append(state.values.copy())
            groups.append(state.cluster.copy())
            keep_history = len(t) * (len(layers) + 1) <= HISTORY_MAX_VALUES
            if not keep_history:
                layers = groups = None
        if progress is not None:
            progress(max(0, runs[0] - state.runs), total)
    return FloatPlan(folds, state.values, state.order, runs, kept, over,
                     state.formats_kept(UNIT_ROUNDOFF) if kept else [], used, layers, groups, switched)
