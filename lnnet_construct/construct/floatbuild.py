r"""The float planner's route from a :class:`~.data.Dataset` to a plan (direction, exact folds, read-out).

:func:`plan_with_floats` chooses the projection (:func:`.projection.choose_direction`),
plans in float64 (:func:`.planner.plan_float`), and turns the floats into
exact rationals: every centre, height and scale is a float64, hence a
rational, and the network is the float form of those numbers
(:mod:`lnnet_construct.fold`), certified afterwards by the builder.  The
ordered fallbacks inside: the planner's own strategies, then the paper's
merge order alone when the first plan broke the float budget.

Examples
--------
>>> from lnnet_construct.construct.data import prepare
>>> ds = prepare([[0], [1], [2], [3], [4], [5]], [0, 1, 0, 1, 0, 1])
>>> plan, layers, groups, extra = plan_with_floats(ds, 0)
>>> len(plan.folds) <= ds.m - 2, extra["planner"], extra["float_formats_kept"]
(True, 'float', ['float64', 'float32'])
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np

from ..errors import ConstructionError
from .planner import PAPER_ORDER, plan_float
from .policy import Policy
from .projection import choose_direction, normalise_scale, project
from .realise import binary_readout, multiclass_readout
from .tracker import Fold

__all__ = ["plan_with_floats"]


def _floats(values, what: str = "the projections") -> np.ndarray:
    try:
        out = np.array([float(v) for v in values], dtype=np.float64)
    except OverflowError:
        out = np.array([np.inf])
    if not np.isfinite(out).all():
        raise ConstructionError(f"{what} do not fit in float64")
    return out


def _readout(values, order, labels, k):
    vs, ls = values[order], labels[order]
    change = np.flatnonzero(ls[1:] != ls[:-1])
    starts = np.concatenate([[0], change + 1])
    ends = np.concatenate([change, [len(ls) - 1]])
    lows = [Fraction(float(vs[a])) for a in starts]
    highs = [Fraction(float(vs[b])) for b in ends]
    run_classes = [int(ls[a]) for a in starts]
    if k == 2:
        return binary_readout(lows, highs, run_classes)
    return multiclass_readout(lows, highs, run_classes)


def plan_with_floats(ds, eps, *, seed=None, policy: Policy | None = None, progress=None):
    """``(plan, layers, groups, extra)`` of the float planner for ``ds`` (see module docstring).

    Raises
    ------
    ConstructionError
        When floats cannot carry the data (projections beyond float64, or two
        of different labels equal as floats) or no merge is found; the builder
        then uses the exact planners.
    """
    from .builder import Plan

    policy = policy or Policy()
    w = choose_direction(ds.points, ds.labels, seed=seed)
    t = project(ds.points, w)
    w, t = normalise_scale(w, t)
    tf = _floats(t)
    order = np.argsort(tf, kind="stable")
    ls = ds.labels[order]
    if np.any((tf[order][1:] == tf[order][:-1]) & (ls[1:] != ls[:-1])):
        raise ConstructionError("two points of different labels project to the same float64")
    x = np.abs(np.array([_floats(p, "the coordinates") for p in ds.points]))
    eps_f = float(_floats([eps], "eps")[0])
    if eps > 0 and eps_f == 0:
        raise ConstructionError("eps is below float64's range")
    # w·x - c in a float evaluation: each of the d + 1 terms rounds once, the sum d + 1 times
    err0 = (len(w) + 1) * (x @ np.abs(_floats(w)) + np.abs(tf))
    plan, note = None, None
    try:
        plan = plan_float(tf, ds.labels, ds.k, err0, eps=eps_f, policy=policy, progress=progress)
    except ConstructionError as err:
        if policy.strategies == PAPER_ORDER:
            raise
        note = f"{err}; planned again in the paper's merge order"
    if plan is not None and not plan.budget_kept and policy.strategies != PAPER_ORDER:
        note = (f"the planner's merges broke the float budget at {plan.over_budget} layers; "
                f"planned again in the paper's merge order")
    if note is not None:
        again = plan_float(tf, ds.labels, ds.k, err0, eps=eps_f,
                           policy=dataclasses.replace(policy, strategies=PAPER_ORDER), progress=progress)
        if plan is None or again.budget_kept or again.over_budget < plan.over_budget:
            plan = again
    folds = tuple(Fold(Fraction(f.c), Fraction(f.h), Fraction(f.lam)) for f in plan.folds)
    readout = _readout(plan.values, plan.order, ds.labels, ds.k)
    built = Plan(tuple(w), folds, readout, tuple(plan.runs), "default", False)
    extra = {"planner": "float", "float_formats_kept": plan.formats_kept,
             "float_budget": "kept" if plan.budget_kept else f"exceeded at {plan.over_budget} layers",
             "planner_strategies": dict(plan.strategies)}
    if note:
        extra["float_replan"] = note
    if plan.paper_order_from is not None:
        extra["paper_order_from_layer"] = plan.paper_order_from
    return built, plan.layers or [], plan.groups, extra
