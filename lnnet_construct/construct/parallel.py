"""Worker processes for the ``default`` planner's tilted-fold search.

The planner is CPU-bound Python and numpy, so threads do not help; worker
processes do.  Each layer, the eight tilted searches (one per second fixed
point ``q``, :mod:`.tilt`) go to the workers while the main process scores
the plain folds.  Every search gets its own random generator, seeded in a
fixed order by the planner's, so the plan is the same for any number of
workers (``workers=1`` runs everything in the main process).

Workers are forked (where the platform has ``fork``; elsewhere the search
stays in this process).  ``spawn`` and ``forkserver`` would re-run the
caller's ``__main__`` in every worker, which breaks any script that calls
:func:`~.builder.build` without an ``if __name__ == "__main__"`` guard.
The forked workers only run numpy and this package's planner code.
:func:`planner_pool` starts them from :data:`PARALLEL_MIN_POINTS` points on
and stops them when the build ends.

>>> with planner_pool(1, 10**6) as pool:
...     pool is None and current() is None
True
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

__all__ = ["PARALLEL_MIN_POINTS", "auto_workers", "current", "planner_pool", "resolve_workers"]

#: Points from which worker processes pay for their start.
PARALLEL_MIN_POINTS = 512

_CURRENT: list = []


def auto_workers() -> int:
    """Worker processes used by ``workers=None``: the machine's cores, at most 2 (the search has 8 parts)."""
    return max(1, min(2, os.cpu_count() or 1))


def resolve_workers(workers) -> int:
    """``workers`` checked (a positive int, or None for :func:`auto_workers`)."""
    from ..errors import InputError

    if workers is None:
        return auto_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"workers must be a positive integer, got {workers!r}")
    return workers


def current() -> ProcessPoolExecutor | None:
    """The pool of the build in progress, or None (work runs in this process)."""
    return _CURRENT[-1] if _CURRENT else None


@contextlib.contextmanager
def planner_pool(workers: int, n_points: int):
    """Worker processes for one build (none for ``workers <= 1``, small inputs, or a build inside a build)."""
    if (workers <= 1 or n_points < PARALLEL_MIN_POINTS or _CURRENT
            or "fork" not in multiprocessing.get_all_start_methods()):
        yield None
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    _CURRENT.append(pool)
    try:
        yield pool
    finally:
        _CURRENT.pop()
        pool.shutdown(wait=True, cancel_futures=True)
