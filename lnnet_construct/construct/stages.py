r"""Multi-class plans one class at a time: the labels the ``default`` planner folds for.

With ``K >= 3`` classes a fold interleaves two label sequences, and two
random sequences over many labels hardly ever line up: folding for all ``K``
labels at once stalls with a few runs left, and the plan ends at the
theorem's bound.  So the planner folds for a coarser labelling instead:

* a class that already forms one run keeps its label (a fold that splits it
  adds runs, so the planner keeps it whole);
* of the other classes, the one with fewest runs is the *target* and keeps
  its label;
* the rest are one label.

That is nearly a binary problem, which the planner solves well.  Once the
target is one run, the next class becomes the target; with two classes left
to join, every class keeps its label.  The labelling is recomputed from the
certified run order after every fold, so it needs no state.

With three and four classes the staged plans are shallower; with five they
are no better (``benchmarks/results/construction_classes.json``; docs:
benchmark history, "Three or more classes").

Examples
--------
>>> import numpy as np
>>> run_labels = [0, 1, 2, 3, 1, 2, 0]          # class 3 is one run; 0 has two runs, 1 and 2 too
>>> mapping = stage_mapping(run_labels, 4)
>>> mapping.tolist()                             # target 0 (fewest runs, then lowest), rest -> 4
[0, 4, 4, 3]
>>> coarse_runs(run_labels, mapping)             # 0 | 4 4 | 3 | 4 4 | 0
5
>>> stage_mapping([0, 1, 2, 1], 3) is None       # two classes left to join: the labels as they are
True
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .runs import count_runs_sorted

__all__ = ["coarse_runs", "stage_mapping"]


def stage_mapping(run_labels, k: int):
    """Class -> planner label (module docstring), or None when the labels themselves are to be used."""
    counts = Counter(int(x) for x in run_labels)
    split = [c for c in range(k) if counts[c] > 1]
    if len(split) <= 2:
        return None
    target = min(split, key=lambda c: (counts[c], c))
    mapping = np.arange(k, dtype=np.int64)
    for c in split:
        if c != target:
            mapping[c] = k
    return mapping


def coarse_runs(run_labels, mapping) -> int:
    """Runs of the sequence ``run_labels`` (one label per run) once relabelled by ``mapping``."""
    return count_runs_sorted(np.asarray(mapping)[np.asarray(run_labels, dtype=np.int64)])
