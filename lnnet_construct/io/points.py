"""Points files (CSV or JSON) parsed exactly, with the bad-input rules of FORMATS.md.

CSV: a header row; the column named ``label`` holds the label (as text);
every other column is a coordinate in the exact grammar.  JSON:
``{"points": [["1/2", "3"], ...], "labels": ["a", ...]}``.

Every malformed file is refused with one :class:`PointsFormatError` line that
names the file, the row (1-based data row, header excluded) and column:
NaN/inf, ragged rows, non-numeric cells, no ``label`` column, no points,
empty files, malformed JSON.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "pts.csv"
>>> _ = p.write_text("x,y,label\\n0.1,1/3,a\\n-2,1e-3,b\\n")
>>> ps = load_points(p)
>>> ps.points[0], ps.labels
((Fraction(1, 10), Fraction(1, 3)), ('a', 'b'))
>>> _ = p.write_text("x,y,label\\n0.1,nan,a\\n")
>>> load_points(p)
Traceback (most recent call last):
...
lnnet_construct.errors.PointsFormatError: ...pts.csv: row 1, column 'y': 'nan' is not a finite number (NaN and inf are refused)
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConflictingLabelsError, NumberFormatError, PointsFormatError
from ..numbers import format_number, parse_number
from .jsonutil import JsonFloat, loads_strict, read_text

__all__ = ["PointSet", "load_points", "parse_points_csv", "parse_points_json", "save_points_csv", "check_consistent"]


@dataclass(frozen=True)
class PointSet:
    """Exact points (tuples of Fraction/Expr) with text labels (None if the file had none)."""

    points: tuple
    labels: tuple | None
    dim: int
    columns: tuple = ()

    def __len__(self):
        return len(self.points)


def load_points(path, *, require_labels: bool = True) -> PointSet:
    """Load a CSV or JSON points file (JSON if the name ends in .json or the text starts with '{')."""
    text = read_text(path, PointsFormatError)
    if not text.strip():
        raise PointsFormatError(f"{path}: file is empty (expected a header row and points)")
    if str(path).lower().endswith(".json") or text.lstrip().startswith("{"):
        return parse_points_json(text, str(path), require_labels=require_labels)
    return parse_points_csv(text, str(path), require_labels=require_labels)


def _cell(value, where: str):
    if isinstance(value, JsonFloat):
        raise PointsFormatError(f"{where}: JSON float {value} is refused; write it as a string \"{value}\"")
    try:
        return parse_number(value.strip() if isinstance(value, str) else value)
    except NumberFormatError as e:
        raise PointsFormatError(f"{where}: {e}") from None


def parse_points_csv(text: str, source: str = "points", *, require_labels: bool = True) -> PointSet:
    """Parse CSV text (see module docstring)."""
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise PointsFormatError(f"{source}: malformed CSV: {e}") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise PointsFormatError(f"{source}: file is empty (expected a header row and points)")
    header = [h.strip() for h in rows[0]]
    if "label" in header:
        li = header.index("label")
        if header.count("label") > 1:
            raise PointsFormatError(f"{source}: header has more than one 'label' column")
    elif require_labels:
        raise PointsFormatError(f"{source}: no 'label' column in the header {header}")
    else:
        li = None
    coord_cols = [i for i in range(len(header)) if i != li]
    if not coord_cols:
        raise PointsFormatError(f"{source}: no coordinate columns in the header {header}")
    for i in coord_cols:
        if not header[i]:
            raise PointsFormatError(f"{source}: header column {i + 1} has no name")
    data = rows[1:]
    if not data:
        raise PointsFormatError(f"{source}: no points (only a header row)")
    points, labels = [], []
    for r, row in enumerate(data, start=1):
        if len(row) != len(header):
            raise PointsFormatError(
                f"{source}: row {r} has {len(row)} cells, expected {len(header)} (ragged rows)"
            )
        points.append(tuple(_cell(row[i], f"{source}: row {r}, column {header[i]!r}") for i in coord_cols))
        if li is not None:
            label = row[li].strip()
            if label == "":
                raise PointsFormatError(f"{source}: row {r}: empty label")
            labels.append(label)
    return PointSet(tuple(points), tuple(labels) if li is not None else None, len(coord_cols),
                    tuple(header[i] for i in coord_cols))


def parse_points_json(text: str, source: str = "points", *, require_labels: bool = True) -> PointSet:
    """Parse JSON text ``{"points": [...], "labels": [...]}``."""
    doc = loads_strict(text, source, PointsFormatError)
    if not isinstance(doc, dict) or "points" not in doc:
        raise PointsFormatError(f"{source}: expected an object with a 'points' list")
    pts = doc["points"]
    if not isinstance(pts, list):
        raise PointsFormatError(f"{source}: 'points' must be a list of rows")
    if not pts:
        raise PointsFormatError(f"{source}: no points")
    labels = doc.get("labels")
    if labels is None and require_labels:
        raise PointsFormatError(f"{source}: no 'labels' list")
    if labels is not None:
        if not isinstance(labels, list):
            raise PointsFormatError(f"{source}: 'labels' must be a list")
        if len(labels) != len(pts):
            raise PointsFormatError(f"{source}: {len(pts)} points but {len(labels)} labels")
    dim = None
    points = []
    for r, row in enumerate(pts, start=1):
        if not isinstance(row, list):
            raise PointsFormatError(f"{source}: points[{r - 1}] must be a list of numbers")
        if dim is None:
            dim = len(row)
            if dim == 0:
                raise PointsFormatError(f"{source}: points[0] has no coordinates")
        if len(row) != dim:
            raise PointsFormatError(f"{source}: row {r} has {len(row)} coordinates, expected {dim} (ragged rows)")
        points.append(tuple(_cell(v, f"{source}: row {r}, coordinate {j + 1}") for j, v in enumerate(row)))
    texts = None
    if labels is not None:
        texts = []
        for r, lab in enumerate(labels, start=1):
            if isinstance(lab, (dict, list)) or lab is None or isinstance(lab, bool):
                raise PointsFormatError(f"{source}: labels[{r - 1}] must be a string or a number")
            texts.append(str(lab))
    return PointSet(tuple(points), tuple(texts) if texts is not None else None, dim)


def check_consistent(points, labels, source: str = "points") -> None:
    """Refuse identical points with different labels, naming both rows (1-based).

    >>> check_consistent([(1, 2), (3, 4), (1, 2)], ["a", "b", "c"])
    Traceback (most recent call last):
    ...
    lnnet_construct.errors.ConflictingLabelsError: points: expected distinct points, but rows 1 and 3 are equal with labels 'a' and 'c'
    """
    seen: dict = {}
    for i, (p, lab) in enumerate(zip(points, labels), start=1):
        key = tuple(p)
        if key in seen and labels[seen[key] - 1] != lab:
            j = seen[key]
            raise ConflictingLabelsError(
                f"{source}: expected distinct points, but rows {j} and {i} are equal with labels "
                f"{labels[j - 1]!r} and {lab!r}"
            )
        seen.setdefault(key, i)


def save_points_csv(points, labels, path, columns=None) -> None:
    """Write points exactly (canonical number text) as CSV with a ``label`` column."""
    points = list(points)
    dim = len(points[0])
    columns = list(columns or [f"x{j + 1}" for j in range(dim)])
    with open(Path(path), "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(columns + ["label"])
        for p, lab in zip(points, labels):
            w.writerow([format_number(v) for v in p] + [str(lab)])
