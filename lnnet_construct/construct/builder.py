r"""Theorem 1 constructions: width-3 LN-Nets that classify given labelled points.

:func:`build` returns the network; :func:`build_with_history` also returns the
plan and the merge history.  Both guarantee, when they return: every hidden
layer has width 3; the network has at most ``m - 2`` LayerNorm layers for
binary labels and ``m - K`` for ``K`` classes (``m`` distinct points; the
``paper`` method's MATH.md §3.3 procedure may add one symmetry-breaking
layer where symmetric data block every pair); and
**every input row is classified correctly, as certified** by the rigorous
verifier :func:`lnnet_construct.verify.verify` (interval/ball arithmetic,
independent of the planner).  Otherwise they raise.

Methods (MATH.md §3):

* ``"paper"`` — the faithful projection–merge algorithm (:mod:`.paper`):
  the paper's deterministic projection ``(1, s, s^2, ...)``, one merge per
  layer with the 45° height.  Exact algebraic weights (``exact=True``, the
  default for ``m <= 12``), otherwise rational weights within ``1e-9`` of the
  gaps of the exact choice.
* ``"default"`` — ours, with a :class:`.policy.Policy`.  By default
  (``prefer="float64"``) the float planner (:mod:`.planner`,
  :mod:`.floatbuild`): merges of same-label clusters near the low end of
  the line, planned in float64 numpy and kept inside a float budget, so that
  a plain float64 evaluation of the network follows the exact one
  (``meta["float_formats_kept"]`` lists the formats expected to keep every
  point: an estimate, not a proof; ``meta["float_budget"]`` says whether
  every fold kept the budget).  Every layer merges two clusters, so it has
  at most ``m - K`` layers.  Up to ``policy.greedy_max_points`` points the
  depth-first planner (:mod:`.greedy`, guarded by the float evaluations of
  :mod:`.shadow`) is tried too and used when it is shallower and keeps
  float64.  ``prefer="depth"``: the depth-first planner at every size (about
  ``0.3 m`` layers on random labels; float evaluation not guarded beyond
  ``greedy_max_points``; slow beyond a few thousand points).  The depth-first
  planner is also the fallback when floats cannot carry the data or the
  float plan fails its certified check (``meta["float_planner"]`` says why).
  ``meta["planner"]`` names the planner used.  The depth-first planner:
  the projection with fewest label runs,
  then folds that each remove as many runs as possible while keeping the gaps
  between neighbours of different labels wide (plain and tilted folds:
  :mod:`.greedy`, :mod:`.tilt`); short rational weights.  With three or
  more classes it folds for one class against the rest at a time
  (:mod:`.stages`; ``meta["planner_staged_layers"]`` counts those layers).
  Its depth is at most the theorem's ``m - max(K, 2)`` (at that bound, or
  after ``STALL_LAYERS`` layers in a row that remove no run, the paper's plan
  is used instead, with a tilted merge in place of the symmetry-breaking
  layer, :func:`.paper._tilted_merge`; every ``IDLE_STEP`` such layers first double the
  candidates searched, up to eight times).  For binary labels the paper needs at least
  ``R - 2`` layers (``R`` the runs along its projection; each of its merges
  removes at most one run); if a default plan needs more, it is
  compared with the paper's actual plan when ``m <= PAPER_CHECK_MAX`` and the
  shallower one is returned, and otherwise ``meta["paper_comparison"]`` says
  the comparison was skipped.  With three or more
  classes one paper fold can remove several runs, so there is no such bound
  and every plan is compared (up to ``PAPER_CHECK_MAX`` points; the paper's
  planning stops once it reaches our depth).  Fallbacks are recorded in
  ``meta["fallback"]``.  The depth-first planner's float guard
  (:mod:`.shadow`) records ``meta["float_points_at_risk"]`` (0: that format
  classifies every point, with room for another library's rounding; not a
  certificate) and ``meta["float_formats_kept"]``.

Classes are the sorted label texts (``str(label)``); binary networks use the
``"sign"`` decision (``> 0`` means ``classes[1]``), multi-class networks
``"argmax"`` with a nearest-centre (or, when no centres fit, an envelope)
read-out, and a single class gives a 0-layer network with one constant
output and decision ``"argmax"`` (FORMATS.md: ``"sign"`` needs two classes).

Examples
--------
>>> net = build([[0], [1], [2], [3]], ["a", "b", "a", "b"])
>>> net.depth <= 2, net.width, net.classes
(True, 3, ('a', 'b'))
>>> from lnnet_construct.forward import forward, decide
>>> from lnnet_construct.arith import get_arith
>>> [decide(net, forward(net, [x], get_arith("exact")), get_arith("exact")) for x in range(4)]
['a', 'b', 'a', 'b']
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np

from .. import __version__
from ..errors import ConstructionError, InputError, NumberFormatError, PrecisionExhausted
from ..numbers import Expr, format_number, to_exact
from .data import Dataset, prepare
from .floatbuild import plan_with_floats
from .greedy import choose_fold
from .history import merge_history
from .numeric import FixedBackend, FloatBackend, MpBackend, extended_available
from .parallel import planner_pool, resolve_workers
from .paper import ExactBlocked, PaperDeeper, is_done, plan_paper, plan_paper_exact
from .policy import Policy
from .projection import choose_direction, count_runs, normalise_scale, paper_direction, project
from .realise import Readout, binary_readout, multiclass_readout, realise
from .runs import opposite_gap
from .shadow import FloatShadow, Guard
from .stages import coarse_runs, stage_mapping
from .tracker import Tracker

__all__ = ["build", "build_with_history", "BuildResult", "Plan", "METHODS", "EXACT_MAX_POINTS"]

METHODS = ("default", "paper")
#: What the ``paper`` method does where every pair is blocked (``proofs/thm-multiclass.md``).
BREAKERS = ("monotone", "tilted")
#: ``exact=None`` uses exact algebraic arithmetic for the paper method up to this many distinct points.
EXACT_MAX_POINTS = 6
TOOL = f"lnnet_construct {__version__}"
#: Extra keyword options for :func:`.greedy.choose_fold` (experiments and benchmarks only).
PLANNER_OPTIONS: dict = {}
#: Above this many points a default plan past the paper's lower bound is not compared with the paper's.
PAPER_CHECK_MAX = 512
#: The default plan gives up (for the paper's) after this many layers in a row that remove no run.
STALL_LAYERS = 100
#: Every this many layers in a row that remove no run double the planner's candidates (up to 8 times).
IDLE_STEP = 25
#: A wider planner view goes back to float64 once its gaps are this many times float64's limit.
NARROW_MARGIN = 1e4


@dataclass(frozen=True)
class Plan:
    """What the planner decided.

    Attributes
    ----------
    direction : tuple of Fraction
        The projection ``w`` (first affine layer reads ``w·x``).
    folds : tuple of Fold
        ``(c, h, lam)`` per LayerNorm layer, exact.
    readout : Readout
    runs_per_layer : tuple of int
        Certified number of label runs after the projection and after each fold.
    method : str
    exact : bool
        Whether the values were followed in exact algebraic arithmetic.
    """

    direction: tuple
    folds: tuple
    readout: Readout
    runs_per_layer: tuple
    method: str
    exact: bool


@dataclass
class BuildResult:
    """A built network with its plan, merge history and certificate.

    ``history`` is a networkx ``DiGraph`` built on first access
    (:mod:`.history`); ``report`` is the :class:`lnnet_construct.verify.Report`
    of the final check.
    """

    network: object
    plan: Plan
    report: object
    seconds: float
    _layers: list = field(repr=False, default_factory=list)
    _groups: list | None = field(repr=False, default=None)
    _dataset: Dataset | None = field(repr=False, default=None)
    _history: object = field(repr=False, default=None)

    @property
    def history(self):
        """The merge history (networkx DiGraph); see :mod:`lnnet_construct.construct.history`."""
        if self._history is None:
            ds = self._dataset
            self._history = merge_history(self._layers, ds.labels, ds.classes, ds.members, self._groups)
        return self._history


def _parse_eps(eps) -> Fraction:
    try:
        e = to_exact(eps)
    except NumberFormatError as err:
        raise InputError(f"eps: {err}") from None
    if isinstance(e, Expr) or e < 0:
        raise InputError(f"eps must be a rational number >= 0, got {eps!r}")
    return e


def _binary_paper_bound(ds: Dataset) -> int:
    """``R - 2`` for the runs ``R`` along the paper's projection: a lower bound of the paper's depth (binary)."""
    t = project(ds.points, paper_direction(ds.points))
    order = sorted(range(ds.m), key=lambda i: t[i])
    return max(0, count_runs(ds.labels[order]) - 2)


def build(points: Sequence, labels: Sequence, *, method: str = "default", eps=0, seed=None, exact=None,
          progress: Callable | None = None, workers: int | None = None, breaker: str = "monotone",
          policy: Policy | None = None):
    """Construct a width-3 LN-Net that classifies every labelled point (certified).

    Parameters
    ----------
    points : sequence of sequences of exact numbers
        ints, Fractions, exact-number strings (FORMATS.md), numpy scalars;
        floats are taken as their exact binary value.
    labels : sequence
        One per point; classes are the sorted texts ``str(label)``.
    method : {"default", "paper"}
    eps : exact number >= 0
        LayerNorm epsilon of every layer (``1e-5`` matches torch's default).
    seed : int or None
        Seed of the randomised choices of ``"default"`` (None: a fixed seed;
        the result is deterministic either way).
    exact : bool or None
        Follow the values in exact algebraic arithmetic (paper: algebraic
        weights, exact merges).  None: for ``"paper"`` when there are at most
        :data:`EXACT_MAX_POINTS` distinct points.
    progress : callable(done, total) or None
        Called after each layer with the label runs removed so far and the
        runs to remove.
    workers : int or None
        Processes for the depth-first planner's search from
        :data:`~.parallel.PARALLEL_MIN_POINTS` points on (None: the cores, at
        most 2; 1: this process only).  The network does not depend on it.
    breaker : {"monotone", "tilted"}
        ``"paper"`` only: where every same-label pair is blocked, insert
        MATH.md §3.3's monotone layer (at most ``m - K + 1`` layers), or
        merge a pair with a tilted off-centre fold (Theorem 2's rotated
        read-out, at most ``m - K``; such a plan uses rational weights).
    policy : Policy or None
        The ``"default"`` method's knobs (:class:`.policy.Policy`; None: the
        defaults).  ``Policy(prefer="depth")`` trades float64 robustness
        for depth.

    Returns
    -------
    Network
        ``meta`` records method, tool, ln_layers, runs_after_projection,
        min_relative_margin (certified), eps, seed and more.

    Raises
    ------
    InputError
        Malformed points or labels (no points, ragged rows, non-finite or
        non-numeric coordinates, bad eps or method).
    ConflictingLabelsError
        Identical points with different labels.
    ConstructionError
        The certified check failed (a bug: please report it).
    """
    return build_with_history(points, labels, method=method, eps=eps, seed=seed, exact=exact,
                              progress=progress, workers=workers, breaker=breaker, policy=policy).network


def build_with_history(points: Sequence, labels: Sequence, *, method: str = "default", eps=0, seed=None,
                       exact=None, progress: Callable | None = None, certify: bool = True,
                       workers: int | None = None, breaker: str = "monotone",
                       policy: Policy | None = None) -> BuildResult:
    """Like :func:`build`, returning a :class:`BuildResult` (network, plan, history, report).

    ``certify=False`` skips the final rigorous verification (meta then says
    ``"certified": false``); only for experiments.
    """
    t0 = time.perf_counter()
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if breaker not in BREAKERS:
        raise InputError(f"breaker must be one of {', '.join(BREAKERS)}, got {breaker!r}")
    eps = _parse_eps(eps)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise InputError(f"seed must be an integer, got {seed!r}")
    workers = resolve_workers(workers)
    if policy is not None and not isinstance(policy, Policy):
        raise InputError(f"policy must be a lnnet_construct.construct.Policy, got {type(policy).__name__}")
    policy = policy or Policy()
    ds = prepare(points, labels)
    k = ds.k
    exact_auto = exact is None
    if exact is None:
        exact = method == "paper" and ds.m <= EXACT_MAX_POINTS
    if k == 1:
        w = tuple(Fraction(0) for _ in range(ds.dim))
        plan = Plan(w, (), Readout("constant", (), (0,)), (1,), method, bool(exact))
        layers, groups = [np.zeros(ds.m)], [np.zeros(ds.m, dtype=np.int64)]
        extra = {}
    elif method == "paper":
        plan, layers, groups, extra = _plan_paper(ds, eps, exact, progress, breaker=breaker)
    else:
        with planner_pool(workers, ds.m):
            plan, layers, groups, extra = _not_deeper_than_paper(
                ds, eps, _plan_default(ds, eps, seed, exact, progress, policy))
    meta = _meta(plan, ds, eps, method, seed, extra)
    net = realise(plan.direction, plan.folds, plan.readout, ds.classes, eps=eps, meta=meta)
    if certify and extra.get("planner") == "float" and _certify(net, ds, quiet=True) is None:
        # the float plan is not right in exact arithmetic (a bug or a float view too coarse): plan exactly
        with planner_pool(workers, ds.m):
            plan, layers, groups, extra = _not_deeper_than_paper(
                ds, eps, _plan_greedy(ds, eps, seed, exact, progress, ds.m <= policy.greedy_max_points))
        extra["float_planner"] = "dropped: its network failed the certified check"
        meta = _meta(plan, ds, eps, method, seed, extra)
        net = realise(plan.direction, plan.folds, plan.readout, ds.classes, eps=eps, meta=meta)
    if plan.exact and exact_auto and not _fits_network_file(net):
        # nested radicals past the file format's limits (FORMATS.md): the rational realisation instead
        plan, layers, groups, _ = _plan_paper(ds, eps, False, progress, breaker=breaker)
        extra = {**{key: v for key, v in extra.items() if key == "fallback"},
                 "exact_weights": "dropped: the algebraic weights were longer than a network file allows"}
        meta = _meta(plan, ds, eps, method, seed, extra)
        net = realise(plan.direction, plan.folds, plan.readout, ds.classes, eps=eps, meta=meta)
    report = None
    if certify:
        report = _certify(net, ds)
        m = report.min_relative_margin
        meta["min_relative_margin"] = format_number(m) if m is not None else None
        meta["min_relative_margin_float"] = float(m) if m is not None else None
        meta["certified"] = True
    else:
        meta["certified"] = False
    seconds = time.perf_counter() - t0
    meta["build_seconds"] = round(seconds, 3)
    net = net.with_meta(**meta)
    return BuildResult(net, plan, report, seconds, layers, groups, ds)


def _meta(plan: Plan, ds: Dataset, eps: Fraction, method: str, seed, extra: dict) -> dict:
    meta = {
        "method": method,
        "tool": TOOL,
        "ln_layers": len(plan.folds),
        "runs_after_projection": plan.runs_per_layer[0],
        "points": ds.n_rows,
        "distinct_points": ds.m,
        "classes": ds.k,
        "eps": format_number(eps),
        "seed": seed,
        "exact": bool(plan.exact),
        "readout": plan.readout.kind,
        "weights": "rational" if not any(isinstance(f.c, Expr) or isinstance(f.h, Expr) for f in plan.folds)
        else "algebraic",
    }
    meta.update(extra)
    return meta


def _fits_network_file(net) -> bool:
    """Whether ``net`` survives writing and reading a network file (number strings have limits)."""
    from ..errors import NetworkFormatError
    from ..io.network_file import network_from_dict, network_to_dict

    try:
        network_from_dict(network_to_dict(net))
    except NetworkFormatError:
        return False
    return True


def _certify(net, ds: Dataset, quiet: bool = False):
    """The certified report; ``quiet``: None instead of raising when some point is not verified."""
    from ..verify import verify

    texts = [ds.classes[c] for c in ds.labels]
    report = verify(net, ds.points, texts)
    if report.exit_code != 0 and quiet:
        return None
    if report.exit_code != 0:
        bad = [r for r in report.points if str(r.verdict) != "VERIFIED"][:3]
        raise ConstructionError(
            f"the built network failed its certified check on {report.refuted} refuted and "
            f"{report.inconclusive} inconclusive points (first: {bad}); please report this"
        )
    return report


# --------------------------------------------------------------------------
# default method

def _readout_from(st, k) -> Readout:
    if k == 2:
        return binary_readout(st.lows, st.highs, st.run_labels)
    return multiclass_readout(st.lows, st.highs, st.run_labels)


def _plan_default(ds: Dataset, eps: Fraction, seed, exact, progress, policy: Policy):
    """The float planner (:mod:`.floatbuild`), or the depth-first one where it is shallower and keeps float64.

    ``policy.prefer == "depth"``: the depth-first planner alone.  The float
    planner gives way to the depth-first one when floats cannot carry the
    data (:func:`.floatbuild.plan_with_floats` raises).  The depth-first
    planner is also tried on small sets (guarded) and on structured ones
    (few runs along the line; checked by a float64 evaluation afterwards).
    """
    small = ds.m <= (policy.greedy_max_points if ds.k <= 2 else policy.greedy_max_points_multiclass)
    if policy.prefer == "depth":
        return _plan_greedy(ds, eps, seed, exact, progress, small)
    try:
        result = plan_with_floats(ds, eps, seed=seed, policy=policy, progress=progress)
    except ConstructionError as err:
        out = _plan_greedy(ds, eps, seed, exact, progress, small)
        out[3]["float_planner"] = f"not used: {err}"
        return out
    structured = result[0].runs_per_layer[0] <= policy.greedy_runs_fraction * ds.m
    if small or structured:
        try:  # without fallbacks: only a shallower plan that keeps float64 is of use here
            greedy = _plan_greedy(ds, eps, seed, exact, None, small, paper_fallback=False)
        except ConstructionError:
            return result
        if len(greedy[0].folds) >= len(result[0].folds):
            return result
        if small and "float64" in greedy[3].get("float_formats_kept", ()):
            return greedy
        if not small and _float64_wrong(greedy[0], ds, eps) == 0:
            greedy[3]["float_formats_kept"] = ["float64"]
            greedy[3]["float_check"] = "a float64 evaluation of the network gets every point right (not a proof)"
            return greedy
    return result


def _plan_greedy(ds: Dataset, eps: Fraction, seed, exact, progress, guarded: bool, paper_fallback: bool = True):
    """The depth-first planner (:mod:`.greedy`); ``guarded``: follow the float evaluations (:mod:`.shadow`).

    ``paper_fallback=False``: raise :class:`ConstructionError` where it would fall back to the paper's plan.
    """
    w = choose_direction(ds.points, ds.labels, seed=seed)
    t = project(ds.points, w)
    w, t = normalise_scale(w, t)
    tracker = Tracker(t, ds.labels, eps, FloatBackend(), keep_history=True)
    guard = Guard(FloatShadow(ds.points, w, eps), tracker) if guarded else None

    def give_up(reason: str):
        if not paper_fallback:
            raise ConstructionError(reason)
        if guard is not None:  # the float guard may be what held the plan back: plan again without it
            out = _plan_greedy(ds, eps, seed, exact, progress, False)
            out[3]["float_guard"] = f"dropped: with it, {reason}"
            return out
        return _paper_instead(ds, eps, progress, f"{reason}; used the paper's plan")

    _fit_view(tracker, _exact_gap(t))
    views = [tracker.backend.name]
    tracker.history = [tracker.backend.to_float(tracker.values)]
    st = tracker.certify()
    runs = [st.runs]
    k = ds.k
    bound = ds.m - max(k, 2)
    rng = np.random.default_rng(0 if seed is None else seed)
    total = max(st.runs - max(k, 2), 1)
    extra: dict = {}
    n = ds.m
    # candidate budget: about 0.6 million (candidate, point) pairs per layer, but never fewer candidates
    # than at m = 2000: with fewer, large plans stall and fall back to the paper's plan
    opts = {"n_random": int(min(2000, max(300, 600_000 // max(n, 1)))),
            "uniform": int(min(1000, max(150, 300_000 // max(n, 1)))), **PLANNER_OPTIONS}
    last_progress = 0
    staged = 0
    while not is_done(st.run_labels, k):
        if tracker.depth >= bound:
            return give_up(f"the default plan reached the theorem's bound ({bound} layers)")
        if tracker.depth - last_progress >= STALL_LAYERS:
            return give_up(f"the default plan stalled at {st.runs} runs (no fold removed a run in "
                           f"{STALL_LAYERS} layers)")
        # a long idle streak searches more candidates (x2 per IDLE_STEP layers, up to x8) before the stall
        wider = 2 ** min(3, (tracker.depth - last_progress) // IDLE_STEP)
        layer_opts = opts if wider == 1 else {**opts, "n_random": opts["n_random"] * wider,
                                              "uniform": opts["uniform"] * wider}
        # three or more classes: fold for one class against the rest (:mod:`.stages`)
        mapping = stage_mapping(st.run_labels, k) if k >= 3 else None
        plan_labels = ds.labels if mapping is None else mapping[ds.labels]
        coarse_before = None if mapping is None else coarse_runs(st.run_labels, mapping)
        staged += mapping is not None
        for _ in range(4):
            choice = choose_fold(tracker.values, plan_labels, tracker.backend, eps, rng, guard=guard,
                                 errors=guard.errors() if guard else None,
                                 idle_layers=tracker.depth - last_progress, **layer_opts)
            tracker.apply(choice.c_rel, choice.h, choice.lam, choice.kappa)
            try:
                st = tracker.certify()
                if guard is not None:
                    guard.commit()
                break
            except PrecisionExhausted:
                # the rounded centre tied two labels (a cell below the view's resolution): plan again
                tracker.undo()
        else:
            return give_up("the default planner could not resolve its folds")
        if st.runs < runs[-1] or (mapping is not None and coarse_runs(st.run_labels, mapping) < coarse_before):
            last_progress = tracker.depth
        runs.append(st.runs)
        _fit_view(tracker)
        if tracker.backend.name != views[-1]:
            views.append(tracker.backend.name)
        if progress is not None:
            progress(min(total, runs[0] - st.runs), total)
    readout = _readout_from(st if guard is None else _float_safe(st, guard), k)
    extra["planner"] = "greedy"
    extra["planner_view"] = tracker.backend.name
    extra["planner_views"] = views
    if staged:
        extra["planner_staged_layers"] = staged
    if guard is not None:
        extra["float_formats_kept"] = [np.dtype(dt).name for dt in guard.kept]
        extra["float_points_at_risk"] = {np.dtype(dt).name: r for dt, r in zip(guard.formats, guard.risk)}
        if guard.given_up:
            extra["float_formats_given_up_at_layer"] = guard.given_up
    plan = Plan(tuple(w), tuple(tracker.folds), readout, tuple(runs), "default", False)
    return plan, tracker.history, None, extra


def _not_deeper_than_paper(ds: Dataset, eps: Fraction, result):
    """``result`` (a default plan, or its fallback), or the paper's plan where that is shallower.

    Binary: the paper needs at least ``R - 2`` layers (:func:`_binary_paper_bound`), so only a
    deeper plan is compared.  Three or more classes: one paper fold can remove several runs, so
    there is no such bound and every plan is compared.  Above ``PAPER_CHECK_MAX`` points the
    comparison is skipped and ``meta["paper_comparison"]`` says so.
    """
    plan, layers, groups, extra = result
    depth = len(plan.folds)
    cap = _binary_paper_bound(ds) if ds.k == 2 else 0
    if depth <= cap:
        return result
    if ds.m > PAPER_CHECK_MAX:
        extra["paper_comparison"] = (f"skipped (m > {PAPER_CHECK_MAX}); default {depth} layers, above the "
                                     f"paper's lower bound {cap}, within the theorem's bound {ds.m - max(ds.k, 2)}")
        return result
    try:  # only a shallower paper plan is of use: stop it at our depth
        p_plan, p_layers, p_groups, ex = _plan_paper(ds, eps, None, None, give_up_at=depth - 1)
    except PaperDeeper:
        extra["paper_comparison"] = f"paper at least {depth} layers, default {depth}"
        return result
    except ConstructionError as err:
        extra["paper_comparison"] = f"the paper's plan failed ({err}); default {depth} layers"
        return result
    if len(p_plan.folds) >= depth:  # the exact plan (few points) runs to its end
        extra["paper_comparison"] = f"paper {len(p_plan.folds)} layers, default {depth}"
        return result
    if extra.get("planner") == "float" and "float64" in extra.get("float_formats_kept", ()):
        # where depth and float64 conflict the default keeps float64: the paper's plan must keep it too
        wrong = _float64_wrong(p_plan, ds, eps)
        if wrong:
            extra["paper_comparison"] = (f"paper {len(p_plan.folds)} layers, default {depth}; kept the default: a "
                                         f"float64 evaluation of the paper's network gets {wrong} points wrong")
            return result
    reason = f"the paper's plan ({len(p_plan.folds)} layers) is shallower than ours ({depth})"
    if "fallback" in extra:
        reason = f"{extra['fallback']}; {reason}"
    return p_plan, p_layers, p_groups, {**ex, "planner": "paper", "fallback": reason}  # our notes are moot


def _float64_wrong(plan: Plan, ds: Dataset, eps: Fraction) -> int:
    """Points a plain float64 evaluation of ``plan``'s network gets wrong (not rigorous: a comparison only)."""
    from ..predict import predict_indices

    net = realise(plan.direction, plan.folds, plan.readout, ds.classes, eps=eps)
    got = predict_indices(net, ds.points, arith="float")
    return sum(g != int(lab) for g, lab in zip(got, ds.labels))


def _float_safe(st, guard):
    """The certified run bounds widened by the float guard's bars, where the runs stay apart.

    A threshold between widened runs separates the exact values and those
    of every float format the guard kept (:mod:`.shadow`).
    """
    lows, highs = list(st.lows), list(st.highs)
    for lo, hi in guard.bounds():  # widest format first: a narrower one only where it still fits
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):  # inputs beyond the format's range
            break
        wl, wh = list(lows), list(highs)
        for r in range(st.runs):
            members = st.run_of == r
            wl[r] = min(wl[r], Fraction(float(lo[members].min())))
            wh[r] = max(wh[r], Fraction(float(hi[members].max())))
        if not all(a < b for a, b in zip(wh, wl[1:])):
            break
        lows, highs = wl, wh
    return _Bounds(lows, highs, st.run_labels)


def _paper_instead(ds: Dataset, eps: Fraction, progress, reason: str):
    # rational, with tilted merges where symmetric data block every pair: within m - K layers
    plan, layers, groups, extra = _plan_paper(ds, eps, False, progress, breaker="tilted")
    return plan, layers, groups, {"fallback": reason, **extra}


def _fit_view(tracker, rel=None) -> None:
    """Move the planner's view to a wider number type once its gaps near its resolution, back once they widen.

    float64, then the vectorised extended ``longdouble`` (where it is wider),
    then fixed-point integers from the tracker's balls (escalated to at least
    32 bits more than the view), widened again as they run out.  A wider
    view goes back to float64 (its values rounded) once the gaps are
    :data:`NARROW_MARGIN` times float64's limit relative to the spread, and
    above that limit relative to the largest value (a fold can leave every
    value near its peak, where float64 would round them all to one
    number): the planner repairs gaps,
    and float64 layers cost about half a longdouble one.  ``rel`` is the
    exact smallest gap of the layer-0 data relative to its spread; without
    it the gap between neighbours of different labels is measured on the
    view.
    """
    be = tracker.backend
    rel_mag = rel
    if rel is None:
        rel, rel_mag = _view_gap(tracker.values, tracker.labels)
    fixed = isinstance(be, FixedBackend)
    tiny = FloatBackend().tiny()
    wide_enough = rel is not None and rel >= NARROW_MARGIN * tiny and rel_mag >= tiny
    if (fixed or be.dtype is not np.float64) and wide_enough:
        tracker.round_view(FloatBackend())
        return
    if rel is None or rel >= be.tiny():
        return
    if not fixed and be.dtype is np.float64 and extended_available():
        wider = FloatBackend(np.longdouble)
        if rel == 0 or rel >= wider.tiny():  # 0: below float64, try the next tier
            tracker.use_backend(wider)
            return
    bits = max(128, 64 + 2 * math.ceil(-math.log2(rel))) if rel > 0 else max(128, 2 * be.prec)
    prec = max(bits, be.prec + 64) if fixed else bits
    if tracker.prec < prec + 32:
        tracker.escalate(prec + 32)
    tracker.use_backend(FixedBackend(prec))


def _view_gap(values, labels):
    """Smallest gap between neighbours of different labels over the spread and over the largest magnitude.

    ``(None, None)`` without such neighbours.  Both matter for going back to
    float64: its rounding is relative to the values, which can sit far from
    0 when a fold leaves them all near its peak.
    """
    order = np.argsort(values, kind="stable")
    ts = values[order]
    gap, spread = opposite_gap(ts, labels[order]), ts[-1] - ts[0]
    if gap is None or not spread > 0:
        return None, None
    return float(gap / spread), float(gap / max(abs(ts[0]), abs(ts[-1])))


def _exact_gap(t):
    """The smallest gap of the exact projections over their spread (any labels), as a float; None if one value."""
    ts = sorted(t)
    spread = ts[-1] - ts[0]
    if spread == 0:
        return None
    gap = min(b - a for a, b in zip(ts, ts[1:]))
    # ldexp keeps ratios below the float range
    e = gap.numerator.bit_length() - gap.denominator.bit_length() - (spread.numerator.bit_length()
                                                                     - spread.denominator.bit_length())
    return math.ldexp(float((gap / spread) * Fraction(2) ** -e), e)


# --------------------------------------------------------------------------
# paper method

def _plan_paper(ds: Dataset, eps: Fraction, exact, progress, breaker: str = "monotone", give_up_at=None):
    w = paper_direction(ds.points)
    t = project(ds.points, w)
    w, t = normalise_scale(w, t)
    k = ds.k
    if exact is None:
        exact = ds.m <= EXACT_MAX_POINTS
    if exact:
        try:
            folds, layers = plan_paper_exact(t, ds.labels, k, eps, breaker)
        except ExactBlocked:  # a tilted merge has no exact realisation: the rational plan
            return _plan_paper(ds, eps, False, progress, breaker, give_up_at)
        final = layers[-1]
        # certified bounds of the final clusters (exact values, enclosed)
        from ..arith.arb import ArbArith

        bits = 256
        while True:
            A = ArbArith(bits)
            lows, highs, run_labels = [], [], []
            for v, lab, _ in final:
                with A.active():
                    ball = A.const(v)
                lo, hi = A.lower(ball), A.upper(ball)
                if lo is None:  # not finite at this precision (deep radicals)
                    break
                if run_labels and run_labels[-1] == lab:
                    highs[-1] = hi
                else:
                    lows.append(lo)
                    highs.append(hi)
                    run_labels.append(lab)
            if lo is not None and all(a < b for a, b in zip(highs, lows[1:])):
                break
            bits *= 4
            if bits > 1 << 18:  # pragma: no cover - distinct algebraic numbers separate long before
                raise ConstructionError("could not separate the final clusters")
        readout = _readout_from(_Bounds(lows, highs, run_labels), k)
        runs = tuple(count_runs([c[1] for c in layer]) for layer in layers)
        plan = Plan(tuple(w), tuple(folds), readout, runs, "paper", True)
        m = ds.m
        fl_layers, groups = [], []
        for layer in layers:
            vals = np.zeros(m)
            gid = np.zeros(m, dtype=np.int64)
            for j, (v, _, mem) in enumerate(layer):
                for i in mem:
                    vals[i] = float(v)
                    gid[i] = j
            fl_layers.append(vals)
            groups.append(gid)
        return plan, fl_layers, groups, {}
    def make_tracker():
        return Tracker(t, ds.labels, eps, MpBackend(128), keep_history=True)

    st0 = make_tracker().certify()
    total = max(st0.runs - max(k, 2), 1)

    def _progress(runs_now):
        if progress is not None:
            progress(min(total, st0.runs - runs_now), total)

    tracker, groups, runs = plan_paper(make_tracker, ds.labels, k, progress=_progress, breaker=breaker,
                                       give_up_at=give_up_at)
    st = tracker.certify()
    readout = _readout_from(st, k)
    plan = Plan(tuple(w), tuple(tracker.folds), readout, tuple(runs), "paper", False)
    return plan, tracker.history, groups, {}


@dataclass
class _Bounds:
    lows: list
    highs: list
    run_labels: list
