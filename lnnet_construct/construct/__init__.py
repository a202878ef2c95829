r"""Theorem 1 constructions: certified width-3 LN-Nets for any labelled points.

>>> from lnnet_construct.construct import build
>>> build([[0], [1], [2]], ["x", "y", "x"]).depth
1

Modules, by role:

* :mod:`.builder` — :func:`build`, :func:`build_with_history` (the entry points);
* :mod:`.data` — input normalisation (duplicates, conflicts, classes);
* :mod:`.projection` — step 0, the line;
* :mod:`.greedy` — the ``default`` planner; :mod:`.paper` — the ``paper`` planner;
* :mod:`.tracker` — certified values between layers; :mod:`.numeric` — the fold in each number system;
* :mod:`.realise` — plan to network, read-outs; :mod:`.history` — the merge history graph;
* :mod:`.rational` — short rationals.
"""

from .builder import EXACT_MAX_POINTS, METHODS, BuildResult, Plan, build, build_with_history
from .history import merge_history

__all__ = ["build", "build_with_history", "BuildResult", "Plan", "METHODS", "EXACT_MAX_POINTS", "merge_history"]
