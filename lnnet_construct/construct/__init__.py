r"""Theorem 1 constructions: certified width-3 LN-Nets for any labelled points.

>>> from lnnet_construct.construct import build
>>> build([[0], [1], [2]], ["x", "y", "x"]).depth
1

Modules, by role:

* :mod:`.builder` — :func:`build`, :func:`build_with_history` (the entry points);
* :mod:`.data` — input normalisation (duplicates, conflicts, classes);
* :mod:`.projection` — step 0, the line;
* :mod:`.policy` — the ``default`` method's knobs; :mod:`.planner` — its float planner (state in
  :mod:`.clusters`, candidate folds in :mod:`.strategies`, route from data in :mod:`.floatbuild`);
* :mod:`.greedy` — the depth-first planner; :mod:`.paper` — the ``paper`` planner;
* :mod:`.tracker` — certified values between layers; :mod:`.numeric` — the fold in each number system;
* :mod:`.realise` — plan to network, read-outs; :mod:`.history` — the merge history graph;
* :mod:`.rational` — short rationals.
"""

from .builder import EXACT_MAX_POINTS, METHODS, BuildResult, Plan, build, build_with_history
from .history import merge_history
from .policy import Policy

__all__ = ["build", "build_with_history", "BuildResult", "Plan", "Policy", "METHODS", "EXACT_MAX_POINTS",
           "merge_history"]
