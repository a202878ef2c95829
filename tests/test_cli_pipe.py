"""A reader that closes the pipe early (``lnnet check --list | head``): quiet exit 141, no error text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lnnet_construct.cli.main import EXIT_BROKEN_PIPE
from lnnet_construct.io import save_network, save_points_csv
from lnnet_construct.verify.testnets import paper_fold_network

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("pipe")
    labels = [i % 2 for i in range(9)]
    save_network(paper_fold_network(range(9), labels), d / "net.json")
    save_points_csv([[t] for t in range(9)], labels, d / "pts.csv")
    return d


def _closed_pipe_run(argv, *, stderr_too=False):
    """Run ``python -m lnnet_construct argv`` with stdout on a pipe whose read end is already closed."""
    r, w = os.pipe()
    os.close(r)  # every write to w now fails with EPIPE: no race with the child
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        proc = subprocess.run([sys.executable, "-m", "lnnet_construct", *map(str, argv)], stdout=w,
                              stderr=w if stderr_too else subprocess.PIPE, env=env, cwd=ROOT, timeout=120)
    finally:
        os.close(w)
    return proc.returncode, (proc.stderr or b"").decode()


@pytest.mark.parametrize("argv", [
    ["check", "--list"],
    ["check", "--list", "--json"],
    ["check", "gram-isometry"],
    ["predict", "{d}/net.json", "{d}/pts.csv"],
    ["verify", "{d}/net.json", "{d}/pts.csv", "-q"],
    ["build", "{d}/pts.csv", "-o", "{d}/built.json", "--json", "-q"],
])
def test_closed_stdout_exits_quietly(files, argv):
    code, err = _closed_pipe_run([a.format(d=files) for a in argv])
    assert code == EXIT_BROKEN_PIPE, err
    assert err == ""  # neither "error: [Errno 32] Broken pipe" nor "Exception ignored ..."


def test_closed_stdout_and_stderr(files):
    # an error message to a closed stderr must not turn into a traceback or a hang either
    code, _ = _closed_pipe_run(["check", "no-such-theorem"], stderr_too=True)
    assert code == EXIT_BROKEN_PIPE


def test_open_pipe_still_gets_everything():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "lnnet_construct", "check", "--list"], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0 and proc.stderr == "" and "gram-isometry" in proc.stdout
