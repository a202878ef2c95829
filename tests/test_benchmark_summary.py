"""``benchmarks/summary.py``: the README's table and the docs' tables are generated from the JSON, and stay so."""

import doctest
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "summary.py"
RESULTS = ROOT / "benchmarks" / "results"


@pytest.fixture(scope="module")
def summary():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import summary
        yield summary
    finally:
        sys.path.remove(str(SCRIPT.parent))


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_its_doctests(summary):
    assert doctest.testmod(summary).failed == 0


def test_readme_and_docs_tables_are_up_to_date_with_the_json():
    out = _run("--check")
    assert out.returncode == 0, out.stderr


def test_the_readme_summary_rows_are_the_json_rows():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [ln for ln in text.splitlines() if ln.startswith("| ") and ", m = " in ln and ".json`" in ln]
    assert len(rows) >= 4
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        name, m = cells[0].split(", m = ")
        sources = re.findall(r"`([^`]+\.json)`", cells[-1])
        measured = [r for s in sources for r in json.loads((RESULTS / s).read_text())["rows"] if "ln_layers" in r]
        layers = {r["ln_layers"] for r in measured if r["m"] == int(m) and r["method"] == "default"
                  and r["data"].startswith(name.replace(" ", "-"))}
        assert int(cells[1].split(" / ")[0]) in layers, line


def test_every_results_file_has_its_section_in_the_docs():
    tables = (ROOT / "docs" / "benchmarks" / "tables.md").read_text(encoding="utf-8")
    for path in RESULTS.glob("*.json"):
        assert f"## `{path.name}`" in tables
        data = json.loads(path.read_text())
        for key, rows in data.items():
            if isinstance(rows, list) and rows and isinstance(rows[0], dict):
                assert f"**{key}** ({len(rows)} rows)" in tables, (path.name, key)


def _copy(tmp_path, readme_text):
    results = tmp_path / "results"
    results.mkdir()
    for p in RESULTS.glob("*.json"):
        (results / p.name).write_bytes(p.read_bytes())
    readme = tmp_path / "README.md"
    readme.write_text(readme_text, encoding="utf-8")
    return readme, results, tmp_path / "tables.md"


def test_rewriting_keeps_everything_outside_the_markers(tmp_path, summary):
    before, after = "# title\n\ntext before\n", "\ntext after\n"
    readme, results, tables = _copy(tmp_path, f"{before}{summary.START}\nstale table\n{summary.END}{after}")
    args = ("--readme", readme, "--results", results, "--tables", tables)
    assert _run(*args, "--check").returncode == 1          # stale
    out = _run(*args)
    assert out.returncode == 0, out.stderr
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(before + summary.START + "\n") and text.endswith(summary.END + after)
    assert "stale table" not in text and "| random, m = 256 |" in text
    assert tables.read_text(encoding="utf-8").startswith("# Benchmark tables")
    assert _run(*args, "--check").returncode == 0


@pytest.mark.parametrize("problem", ["no markers", "bad json"])
def test_bad_input_gets_one_line_and_exit_code_3(tmp_path, summary, problem):
    readme, results, tables = _copy(tmp_path, f"{summary.START}\n{summary.END}\n")
    if problem == "no markers":
        readme.write_text("# no table here\n", encoding="utf-8")
    else:
        (results / "broken.json").write_text("{not json", encoding="utf-8")
    out = _run("--readme", readme, "--results", results, "--tables", tables)
    assert out.returncode == 3
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert not tables.exists()
