"""Generate the notebooks (``notebooks/*.ipynb``) from their percent-format sources (``notebooks/src/*.py``).

The sources are plain Python files split into cells by marker lines:

* ``# %%`` starts a code cell;
* ``# %% [markdown]`` starts a markdown cell, whose lines are comments
  (``# text``; the leading ``# `` is removed);
* in code cells, a commented IPython magic (``# %matplotlib inline``) is
  uncommented, so the source stays valid Python.

Anything before the first marker is a header for people reading the source
and is not copied.  The notebooks are written **without outputs**
(``outputs: []``, ``execution_count: null``), as the test suite requires.

Usage::

    python notebooks/build_notebooks.py            # write notebooks/*.ipynb
    python notebooks/build_notebooks.py --check    # exit 1 if any .ipynb is stale
    python notebooks/build_notebooks.py --execute  # also run each one in a scratch folder (nbclient)

``--execute`` runs each notebook in a real ``python3`` kernel inside a
temporary copy of this folder (like ``tests/test_notebooks.py``), prints the
time it took, and never writes executed notebooks back here.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}


_MAGIC = re.compile(r"^# %[A-Za-z]")


def _strip_blank_edges(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _markdown_line(line: str, where: str) -> str:
    if line.startswith("# "):
        return line[2:]
    if line.rstrip() == "#":
        return ""
    raise ValueError(f"{where}: a markdown cell line must start with '# ', got {line!r}")


def parse_percent(text: str, source: str = "source") -> list:
    """Cells of a percent-format source, as nbformat cells (no outputs)."""
    cells = []
    kind, lines, start = None, [], 0
    for lineno, line in enumerate(text.splitlines() + ["# %%"], start=1):
        if line.startswith("# %%"):
            if kind is not None:
                body = _strip_blank_edges(lines)
                if kind == "markdown":
                    md = [_markdown_line(l, f"{source}:{start + i + 1}") for i, l in enumerate(body)]
                    cells.append(nbformat.v4.new_markdown_cell("\n".join(md)))
                elif body:
                    code = [l[2:] if _MAGIC.match(l) else l for l in body]
                    cells.append(nbformat.v4.new_code_cell("\n".join(code)))
            rest = line[4:].strip()
            if rest not in ("", "[markdown]"):
                raise ValueError(f"{source}:{lineno}: unknown cell marker {line!r}")
            kind, lines, start = ("markdown" if rest == "[markdown]" else "code"), [], lineno
        elif kind is not None:
            lines.append(line)
    return cells


def build_notebook(src: Path):
    nb = nbformat.v4.new_notebook()
    nb.cells = parse_percent(src.read_text(encoding="utf-8"), src.name)
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    for cell in nb.cells:
        cell.pop("id", None)  # stable files: no random cell ids (nbformat 4.4 has none)
    nb.nbformat, nb.nbformat_minor = 4, 4
    nbformat.validate(nb)
    return nb


def render(nb) -> str:
    return nbformat.writes(nb) + "\n"


def sources() -> list[Path]:
    return sorted(SRC.glob("[0-9]*.py"))


def execute(path: Path, timeout: int = 120, save_to: Path | None = None) -> float:
    """Run one notebook in a scratch copy of this folder; return the seconds it took.

    ``save_to`` (a folder outside ``notebooks/``) receives the executed copy, for reading.
    """
    import nbclient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="lnnet-nb-") as tmp:
        for extra in HERE.iterdir():
            if extra.suffix in (".csv", ".json") and extra.is_file():
                shutil.copy(extra, tmp)
        client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                         resources={"metadata": {"path": tmp}})
        t0 = time.perf_counter()
        client.execute()
        elapsed = time.perf_counter() - t0
    if save_to is not None:
        save_to.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, save_to / path.name)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    if errors:
        raise RuntimeError(f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}")
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the .ipynb files are up to date")
    parser.add_argument("--execute", action="store_true", help="execute each notebook after writing it")
    parser.add_argument("--save-executed", metavar="DIR", type=Path,
                        help="with --execute: write executed copies to DIR (must be outside notebooks/)")
    parser.add_argument("names", nargs="*", help="only these sources (stems or file names)")
    args = parser.parse_args(argv)
    if args.save_executed is not None and HERE in [args.save_executed.resolve(), *args.save_executed.resolve().parents]:
        parser.error("--save-executed must point outside notebooks/ (notebooks are kept without outputs)")
    todo = sources()
    if args.names:
        want = {Path(n).stem for n in args.names}
        todo = [s for s in todo if s.stem in want]
    stale = []
    for src in todo:
        out = HERE / f"{src.stem}.ipynb"
        text = render(build_notebook(src))
        if args.check:
            if not out.exists() or out.read_text(encoding="utf-8") != text:
                stale.append(out.name)
            continue
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out.relative_to(HERE.parent)}", file=sys.stderr)
        if args.execute:
            print(f"  executed in {execute(out, save_to=args.save_executed):.1f}s", file=sys.stderr)
    if stale:
        print("stale notebooks (run python notebooks/build_notebooks.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
