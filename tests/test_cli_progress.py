"""Progress bars: tqdm on stderr only, counts clamped to [0, total], silent off a terminal and with -q."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lnnet_construct.cli import common
from lnnet_construct.cli.common import Progress
from lnnet_construct.cli.main import main
from lnnet_construct.io import save_network, save_points_csv
from lnnet_construct.verify.testnets import paper_fold_network

ROOT = Path(__file__).resolve().parents[1]
M = 29


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def _counts(text):
    """Every ``done/total`` pair the bar drew."""
    return [(int(a), int(b)) for a, b in re.findall(r"(-?\d+)/(-?\d+)", text)]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("progress")
    labels = [i % 2 for i in range(M)]
    save_network(paper_fold_network(range(M), labels), d / "net.json")
    save_points_csv([[t] for t in range(M)], labels, d / "pts.csv")
    return d


def test_callback_counts_are_clamped():
    term = FakeTerminal()
    with Progress(0, "build", stream=term, unit="run") as bar:
        for done, total in [(-8, 8), (3, 8), (-197, 1076), (2000, 1076), (5, 4)]:
            bar(done, total)
            assert 0 <= bar.done <= bar.total == total
        assert bar.done == 4
    drawn = _counts(term.getvalue())
    assert drawn, "a terminal gets a bar"
    assert all(0 <= d <= t for d, t in drawn), drawn
    assert drawn[-1] == (4, 4)


def test_update_counts_are_clamped():
    term = FakeTerminal()
    with Progress(5, "verify", stream=term) as bar:
        for n in (2, 2, 2, 7, -1):
            bar.update(n)
            assert 0 <= bar.done <= 5
    assert all(0 <= d <= t for d, t in _counts(term.getvalue()))


def test_silent_off_a_terminal_and_when_disabled():
    for stream, enabled in [(io.StringIO(), True), (FakeTerminal(), False)]:
        with Progress(3, "x", stream=stream, enabled=enabled) as bar:
            bar.update(1)
            bar(3, 3)
        assert stream.getvalue() == ""


def test_cli_bar_goes_to_stderr_on_a_terminal(files, capsys, monkeypatch):
    monkeypatch.setattr(common, "_is_terminal", lambda stream: True)
    code = main(["verify", str(files / "net.json"), str(files / "pts.csv"), "--json"])
    cap = capsys.readouterr()
    assert code == 0
    assert json.loads(cap.out)["verified"] == M  # stdout holds the JSON alone
    assert "verify (auto)" in cap.err and (M, M) in _counts(cap.err)
    code = main(["verify", str(files / "net.json"), str(files / "pts.csv"), "--json", "-q"])
    assert code == 0 and capsys.readouterr().err == ""


def test_cli_no_bar_when_stderr_is_not_a_terminal(files, capsys):
    code = main(["verify", str(files / "net.json"), str(files / "pts.csv"), "--json"])
    cap = capsys.readouterr()
    assert code == 0 and json.loads(cap.out)["verified"] == M
    assert cap.err == ""


@pytest.mark.parametrize("argv", [
    ["verify", "{d}/net.json", "{d}/pts.csv"],
    ["build", "{d}/pts.csv", "-o", "{d}/built.json"],
])
def test_subprocess_stderr_pipe_gets_no_bar(files, argv):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "lnnet_construct", *[a.format(d=files) for a in argv]],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "it/s" not in proc.stderr and not _counts(proc.stderr)
    assert len(proc.stderr.strip().splitlines()) == 1  # the summary line only
