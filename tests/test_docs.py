"""The Sphinx docs build with warnings as errors, offline, and every example in the how-tos runs."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from docblocks import ROOT, code_blocks, reader_env, run_block

DOCS = ROOT / "docs"
SPEC = ROOT.parent / "shared" / "spec"  # the project's specification, beside the checkout where it exists
HOWTOS = sorted(p for p in (DOCS / "howto").glob("*.md") if p.name != "index.md")


def _build(out: Path, execute: str) -> Path:
    missing = [m for m in ("sphinx", "myst_nb") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the docs extra is not installed ({', '.join(missing)})")
    env = dict(os.environ, LNNET_DOCS_EXECUTE=execute, PYTHONPATH=str(ROOT))
    # no proxy can help: a build that tried the network would fail here instead of hanging
    env.update(http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9", no_proxy="")
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", str(DOCS),
                          str(out / "html"), "-d", str(out / "doctrees"), "-q"],
                         capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr[-4000:]
    return out / "html"


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("docs"), "off")


@pytest.mark.slow
def test_the_notebooks_render_with_their_outputs(tmp_path):
    html = _build(tmp_path, "force")     # the default build: every notebook runs in a kernel
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        page = (html / "_generated" / "notebooks" / f"{nb.stem}.html").read_text(encoding="utf-8")
        assert "cell_output" in page, nb.name
        assert "Traceback" not in page, nb.name
    assert any((html / "_images").glob("*.png"))


def _text(page: Path) -> str:
    return re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))


def test_the_pages_are_there(html):
    for page in ("index", "api", "math", "formats", "proofs", "notebooks", "howto/index", "benchmarks/index",
                 "benchmarks/tables", "benchmarks/history"):
        assert (html / f"{page}.html").is_file(), page


def test_every_notebook_and_proof_has_a_page(html):
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        assert (html / "_generated" / "notebooks" / f"{nb.stem}.html").is_file(), nb.name
    for proof in (ROOT / "proofs").glob("*.md"):
        assert (html / "_generated" / "proofs" / f"{proof.stem}.html").is_file(), proof.name
    # the math page links the proofs
    links = set(re.findall(r'href="(_generated/proofs/[^"#]+)', (html / "math.html").read_text(encoding="utf-8")))
    assert "_generated/proofs/thm-binary.html" in links and all((html / link).is_file() for link in links)


def test_the_api_reference_documents_the_public_names(html):
    api = html / "api" / "generated"
    for module, name in [("lnnet_construct.construct.builder", "build"), ("lnnet_construct.verify.engine", "verify"),
                         ("lnnet_construct.estimator", "LNNetClassifier"), ("lnnet_construct.network", "Network"),
                         ("lnnet_construct.plot", "plot_merge_history"), ("lnnet_construct.io.points", "load_points")]:
        page = api / f"{module}.html"
        assert page.is_file(), module
        assert f'id="{module}.{name}"' in page.read_text(encoding="utf-8"), (module, name)
    # docstring sections come through napoleon as field lists, and doctests as code
    plot = (api / "lnnet_construct.plot.html").read_text(encoding="utf-8")
    assert "Returns" in plot and "&gt;&gt;&gt;" in plot


def test_the_benchmark_tables_page_shows_the_json(html):
    page = _text(html / "benchmarks" / "tables.html")
    for path in (ROOT / "benchmarks" / "results").glob("*.json"):
        assert path.name in page
    verification = json.loads((ROOT / "benchmarks" / "results" / "verification.json").read_text())
    assert all(str(r["depth"]) in page for r in verification["rows"])


@pytest.mark.skipif(not SPEC.is_dir(), reason="the project's spec folder is not beside this checkout")
def test_math_and_formats_are_the_spec():
    assert (DOCS / "formats.md").read_text(encoding="utf-8") == (SPEC / "FORMATS.md").read_text(encoding="utf-8")
    math = (DOCS / "math.md").read_text(encoding="utf-8")
    for line in (SPEC / "MATH.md").read_text(encoding="utf-8").splitlines():
        # every line of the spec is on the page, the mentions of proofs/ turned into links
        assert line.replace("in `proofs/`", "in [`proofs/`](proofs.md)") in math, line


@pytest.mark.parametrize("page", HOWTOS, ids=lambda p: p.stem)
def test_every_howto_example_runs(page, tmp_path):
    blocks = code_blocks(page)
    assert blocks, page.name
    code = "\n".join(c for _, c in blocks)
    for module in ("torch", "onnx", "matplotlib"):  # optional extras
        if module in code:
            pytest.importorskip(module)
    env = reader_env(tmp_path)
    for lang, code in blocks:
        assert lang in ("bash", "python"), (page.name, lang)
        out = run_block(lang, code, tmp_path, env)
        assert out.returncode == 0, (page.name, code, out.stderr[-2000:])
        assert "Traceback" not in out.stderr, (page.name, code, out.stderr[-2000:])
