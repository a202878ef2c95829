"""Every code block of the README runs as printed, in a fresh folder, without a traceback (one once recursed forever)."""

import re
import subprocess
import sys

import pytest

from docblocks import ROOT, code_blocks, reader_env, run_block

README = ROOT / "README.md"
DATA = "x,y,label\n0,0,a\n1,0,b\n2,0,a\n0,1,b\n3,1,a\n"
# the test command is what CI runs; running it here would run this suite inside itself
TEST_COMMAND = "python -m pytest -q"


def _blocks(lang):
    return [code for _, code in code_blocks(README, lang)]


def test_the_readme_python_example_builds_verifies_and_saves(tmp_path):
    block = next(b for b in _blocks("python") if "verify(" in b)
    (tmp_path / "data.csv").write_text(DATA, encoding="utf-8")
    out = run_block("python", block + "\nprint(report.exit_code, report.verified, net.width)\n", tmp_path,
                    reader_env(tmp_path))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["0", "5", "3"]
    assert (tmp_path / "net.json").is_file()


def test_every_readme_python_block_runs(tmp_path):
    blocks = _blocks("python")
    assert len(blocks) >= 2
    assert any("from lnnet_construct import LNNetClassifier" in b and "make_pipeline(" in b for b in blocks)
    (tmp_path / "data.csv").write_text(DATA, encoding="utf-8")
    env = reader_env(tmp_path)
    for block in blocks:
        if "sklearn" in block:
            pytest.importorskip("sklearn")
        out = run_block("python", block, tmp_path, env)
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
    out = run_block("bash", command, tmp_path, reader_env(tmp_path))
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    assert (tmp_path / "lnnet-demo" / "index.html").is_file()


def test_every_tour_command_runs_without_a_traceback(tmp_path):
    tour = [b for b in _blocks("bash") if not b.strip().startswith("pip install")]
    assert tour and any(ln.startswith("lnnet build") for b in tour for ln in b.splitlines())
    if any("--to onnx" in b for b in tour):
        pytest.importorskip("onnx")
    env = reader_env(tmp_path)
    for block in tour:
        out = run_block("bash", block, tmp_path, env)
        assert out.returncode == 0, (block, out.stderr[-2000:])
        assert "Traceback" not in out.stderr, block
    assert (tmp_path / "data.csv").read_text(encoding="utf-8") == DATA
    assert (tmp_path / "cert.json").is_file() and (tmp_path / "net.onnx").is_file()


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
