"""Small helpers shared by the sub-commands: JSON output, progress bars, common options."""

from __future__ import annotations

import json
import sys
import time

__all__ = ["print_json", "Progress", "add_quiet", "add_json"]


def print_json(obj) -> None:
    """Print ``obj`` as JSON on stdout (the only thing a ``--json`` command prints there)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def add_json(p) -> None:
    p.add_argument("--json", action="store_true", help="print a JSON object on stdout and nothing else")


def add_quiet(p) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar on stderr")


class Progress:
    """A minimal text progress bar on stderr (silent when ``enabled`` is false or stderr is not used).

    >>> with Progress(3, "demo", enabled=False) as bar:
    ...     for _ in range(3): bar.update()
    """

    def __init__(self, total: int, label: str, *, enabled: bool = True, stream=None):
        self.total = max(int(total), 1)
        self.label = label
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.done = 0
        self.start = time.perf_counter()
        self._last = 0.0

    def update(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < 0.1 and self.done < self.total:
            return
        self._last = now
        frac = min(self.done / self.total, 1.0)
        bar = "#" * int(30 * frac)
        self.stream.write(f"\r{self.label} [{bar:<30}] {self.done}/{self.total} {now - self.start:6.1f}s")
        self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
        return False
