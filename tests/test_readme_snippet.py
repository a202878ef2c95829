"""Every code block of the README runs as printed, in a fresh interpreter, without a traceback (one once recursed forever)."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DATA = "x,y,label\n0,0,a\n1,0,b\n2,0,a\n0,1,b\n3,1,a\n"
# the test command is what CI runs; running it here would run this suite inside itself
TEST_COMMAND = "python -m pytest -q"


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def _cli(line):
    """A README shell line as argv, with ``lnnet`` run from this checkout; comments dropped."""
    argv = shlex.split(line, comments=True)
    return [sys.executable, "-m", "lnnet_construct", *argv[1:]] if argv and argv[0] == "lnnet" else argv


def _run(argv, cwd, timeout=300):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_the_readme_python_example_builds_verifies_and_saves(tmp_path):
    block = next(b for b in _blocks("python") if "verify(" in b)
    (tmp_path / "data.csv").write_text(DATA, encoding="utf-8")
    code = block + "\nprint(report.exit_code, report.verified, net.width)\n"
    out = _run([sys.executable, "-c", code], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["0", "5", "3"]
    assert (tmp_path / "net.json").is_file()


def test_every_readme_python_block_runs(tmp_path):
    blocks = _blocks("python")
    assert len(blocks) >= 2
    assert any("from lnnet_construct import LNNetClassifier" in b and "make_pipeline(" in b for b in blocks)
    (tmp_path / "data.csv").write_text(DATA, encoding="utf-8")
    for block in blocks:
        if "sklearn" in block:
            pytest.importorskip("sklearn")
        out = _run([sys.executable, "-c", block], tmp_path)
        assert out.returncode == 0 and "Traceback" not in out.stderr, (block, out.stderr[-2000:])


def test_the_setup_commands(tmp_path):
    setup = [b.strip() for b in _blocks("bash") if b.strip().startswith("pip install")]
    assert len(setup) == 2, setup
    demo, tests = setup
    # the test command is exactly the one .ci/run runs
    assert tests == "pip install -e '.[test]' && " + TEST_COMMAND
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # the demo command works once the package is installed (as it is here)
    install, _, command = demo.partition(" && ")
    assert install == "pip install -e '.[plot]'" and command.startswith("lnnet demo")
    out = _run(_cli(command), tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    assert (tmp_path / "lnnet-demo" / "index.html").is_file()


def test_every_tour_command_runs_without_a_traceback(tmp_path):
    tour = [b for b in _blocks("bash") if not b.strip().startswith("pip install")]
    assert tour
    lines = [ln for b in tour for ln in b.splitlines() if ln.strip()]
    assert any(ln.startswith("lnnet build") for ln in lines)
    for line in lines:
        if line.startswith("printf "):
            out = subprocess.run(line.split("#")[0], shell=True, cwd=tmp_path, capture_output=True, text=True)
        else:
            if "--to onnx" in line:
                pytest.importorskip("onnx")
            out = _run(_cli(line), tmp_path)
        assert out.returncode == 0, (line, out.stderr[-2000:])
        assert "Traceback" not in out.stderr, line
    assert (tmp_path / "data.csv").read_text(encoding="utf-8") == DATA


def test_the_readme_is_a_users_page():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    # commit ids belong in git and the benchmark history, not on the front page
    assert not re.findall(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b", text)
    assert "![" in text and "(docs/benchmarks/tables.md)" in text
    for image in re.findall(r"!\[[^]]*\]\(([^)]+)\)", text):
        assert (ROOT / image).is_file(), image


def test_verify_from_the_package_is_both_the_function_and_the_subpackage():
    code = ("from lnnet_construct import verify\n"
            "import lnnet_construct.verify.replay as r\n"
            "from lnnet_construct.fold import fold_network\n"
            "net = fold_network([1], [(2, 1)], ('sign', '3.6', 1), classes=['out', 'in'])\n"
            "print(verify(net, [[0], [2]], ['out', 'in']).verified, r.__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["2", "lnnet_construct.verify.replay"]
