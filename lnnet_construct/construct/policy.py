r"""The planner's policy: the few knobs that decide which folds it makes.

Mechanism (:mod:`.clusters`, :mod:`.strategies`, :mod:`.planner`) is kept
apart from policy: the planner's behaviour is a function of the data and one
frozen :class:`Policy`.  Tests and benchmarks pass a policy instead of
patching module constants.

Examples
--------
>>> p = Policy()
>>> p.prefer, p.window
('float64', 64)
>>> Policy(window=1)
Traceback (most recent call last):
...
lnnet_construct.errors.InputError: policy: window must be an integer >= 2, got 1
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError

__all__ = ["Policy", "PREFERENCES", "UNIT_ROUNDOFF"]

#: What the default method optimises first: plain float64 evaluation, or depth.
PREFERENCES = ("float64", "depth")

#: Unit roundoff of the float formats the planner budgets for.
UNIT_ROUNDOFF = {"float64": 2.0 ** -53, "float32": 2.0 ** -24}


@dataclass(frozen=True)
class Policy:
    """Knobs of the ``default`` construction.

    Attributes
    ----------
    prefer : {"float64", "depth"}
        ``"float64"``: every fold keeps a float64 evaluation's expected
        errors ``float64_margin`` times below the gaps between neighbours of
        different labels and the spread of the values below ``max_range``,
        so a plain float64 evaluation follows the exact one (:mod:`.planner`); the depth-first
        planner (:mod:`.greedy`) is tried as well up to ``greedy_max_points``
        points and kept when it is shallower and keeps float64 too.
        ``"depth"``: the depth-first planner at every size (float evaluation
        not guarded above ``greedy_max_points`` points; slow beyond a few
        thousand points).
    window : int
        Clusters at the low end of the line whose same-label pairs are the
        float planner's candidate merges.
    shortlist : int
        Best-priced candidates checked against the float budget per layer.
    height_divisor : float
        A merge's height is half the pair's gap over this.
    float64_margin : float
        How many times smaller than the gaps between neighbours of different
        labels a fold must keep a float64 evaluation's expected errors
        (:mod:`.clusters`).
    min_relative_gap : float
        Smallest relative gap a fold may leave between neighbours of
        different labels, whatever the error bounds (a gap near float64's
        resolution leaves no fold after it a way to keep the budget).
    max_range : float
        Largest ratio of the largest to the smallest value after a fold.
    greedy_max_points : int
        Up to this many distinct points ``"float64"`` also runs the
        depth-first planner (with its float guard).
    greedy_max_points_multiclass : int
        The same bound for three or more classes (where the depth-first
        planner often stalls, and stalling is slow).
    greedy_runs_fraction : float
        Beyond those sizes the depth-first planner (without its float guard)
        is still tried where the projection leaves at most this fraction of
        ``m`` label runs (structured data, where it is fast and shallow), and
        kept where it is shallower and a float64 evaluation of its network
        gets every point right.
    strategies : tuple of str
        The float planner's candidate generators, in order
        (:data:`.strategies.STRATEGIES`).  The default ``("paper-merge",)``
        is the paper's merge order; ``("end-merge", "paper-merge")`` also
        tries the best-priced merges near the low end, a few percent
        shallower where they keep the float budget (else the plan is made
        again in the paper's order).
    """

    prefer: str = "float64"
    window: int = 64
    shortlist: int = 8
    height_divisor: float = 64.0
    float64_margin: float = 16.0
    min_relative_gap: float = 2.0 ** -30
    max_range: float = 2.0 ** 45
    greedy_max_points: int = 512
    greedy_max_points_multiclass: int = 256
    greedy_runs_fraction: float = 0.25
    strategies: tuple = ("paper-merge",)

    def __post_init__(self):
        if self.prefer not in PREFERENCES:
            raise InputError(f"policy: prefer must be one of {', '.join(PREFERENCES)}, got {self.prefer!r}")
        for name in ("window", "shortlist", "greedy_max_points", "greedy_max_points_multiclass"):
            v = getattr(self, name)
            low = 2 if name == "window" else (1 if name == "shortlist" else 0)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise InputError(f"policy: {name} must be an integer >= {low}, got {v!r}")
        from .strategies import STRATEGIES

        if not self.strategies or any(s not in STRATEGIES for s in self.strategies):
            raise InputError(f"policy: strategies must be a non-empty tuple of {', '.join(STRATEGIES)}, "
                             f"got {self.strategies!r}")
        if not 0 <= self.greedy_runs_fraction <= 1:
            raise InputError(f"policy: greedy_runs_fraction must lie in [0, 1], got {self.greedy_runs_fraction!r}")
        if not self.height_divisor >= 1:
            raise InputError(f"policy: height_divisor must be >= 1, got {self.height_divisor!r}")
        if not 0 < self.min_relative_gap < 1:
            raise InputError(f"policy: min_relative_gap must lie in (0, 1), got {self.min_relative_gap!r}")
        if not self.float64_margin >= 1:
            raise InputError(f"policy: float64_margin must be >= 1, got {self.float64_margin!r}")
        if not self.max_range > 1:
            raise InputError(f"policy: max_range must be > 1, got {self.max_range!r}")
