"""Run the code blocks of a Markdown page (README, how-tos) as a reader would: in a fresh folder, in order.

``bash`` blocks run in ``bash -e`` with an ``lnnet`` on ``PATH`` that starts
this checkout's package; ``python`` blocks run in a fresh interpreter.  Both
see this checkout first on ``PYTHONPATH``, whatever else is installed.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def code_blocks(path: Path, lang: str | None = None) -> list[tuple[str, str]]:
    """``(language, code)`` of every fenced block of ``path`` (of ``lang`` only, if given), in order."""
    blocks = re.findall(r"^```(\w+)\n(.*?)^```", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return [(la, code) for la, code in blocks if lang is None or la == lang]


def reader_env(folder: Path) -> dict:
    """Environment with ``lnnet`` (this checkout, this interpreter) first on PATH."""
    bin_dir = folder / ".bin"
    bin_dir.mkdir(exist_ok=True)
    lnnet = bin_dir / "lnnet"
    lnnet.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lnnet_construct "$@"\n', encoding="utf-8")
    lnnet.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["MPLBACKEND"] = "Agg"
    return env


def run_block(lang: str, code: str, folder: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run one block in ``folder``; bash stops at the first failing command."""
    argv = ["bash", "-e", "-o", "pipefail", "-c", code] if lang == "bash" else [sys.executable, "-c", code]
    return subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
