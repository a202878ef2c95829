"""Small helpers shared by the sub-commands: JSON output, progress bars (tqdm), common options."""

from __future__ import annotations

import json
import sys

__all__ = ["print_json", "Progress", "add_quiet", "add_json"]


def print_json(obj) -> None:
    """Print ``obj`` as JSON on stdout (the only thing a ``--json`` command prints there)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def add_json(p) -> None:
    p.add_argument("--json", action="store_true", help="print a JSON object on stdout and nothing else")


def add_quiet(p) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar on stderr")


def _is_terminal(stream) -> bool:
    """True when ``stream`` is an interactive terminal (a bar in a log file or a pipe is noise)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


class Progress:
    """A tqdm progress bar on stderr, fed either as ``update(n)`` or as a ``progress(done, total)`` callback.

    The count shown is clamped to ``[0, total]``: a construction may report
    runs that went up again (``done < 0``) and a caller may overshoot.  The
    bar is silent when ``enabled`` is false (``--quiet``) or when the stream
    is not a terminal; it is created at the first update, so a job that
    reports nothing prints nothing.

    Parameters
    ----------
    total : int
        Expected count (a ``progress(done, total)`` call may change it).
    label : str
        Text in front of the bar.
    enabled : bool
        False for ``--quiet``.
    stream : file, optional
        Where the bar goes (default ``sys.stderr``; never stdout, which holds results).
    unit : str
        What is counted ("point", "run").

    Examples
    --------
    >>> bar = Progress(4, "demo", enabled=False)
    >>> bar(-3, 4); bar.done
    0
    >>> bar.update(9); bar.done
    4
    >>> bar(2, 8); (bar.done, bar.total)
    (2, 8)
    """

    def __init__(self, total: int, label: str, *, enabled: bool = True, stream=None, unit: str = "it"):
        self.total = max(int(total or 0), 0)
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(enabled) and _is_terminal(self.stream)
        self.done = 0
        self._bar = None

    def _clamp(self, n) -> int:
        return min(max(int(n), 0), self.total)

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` (the interface of :func:`lnnet_construct.verify.verify` and ``predict``)."""
        self._show(self._clamp(self.done + n))

    def __call__(self, done, total) -> None:
        """Set the count to ``done`` of ``total`` (the callback of :func:`lnnet_construct.construct.build`)."""
        self.total = max(int(total), 0)
        self._show(self._clamp(done))

    def _show(self, done: int) -> None:
        step, self.done = done - self.done, done
        if not self.enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc=self.label, unit=self.unit, file=self.stream,
                             dynamic_ncols=True, leave=True)
        if self._bar.total != self.total:
            self._bar.total = self.total
        if step >= 0:
            self._bar.update(step)  # tqdm rate-limits the redraws
        else:  # tqdm only redraws on forward steps: set the count and redraw now
            self._bar.n = done
            self._bar.refresh()

    def close(self) -> None:
        """Finish the bar's line (nothing if it never showed)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
