r"""Input normalisation for the constructions: exact points, classes, merged duplicates.

:func:`prepare` turns user input (any exact numbers, any printable labels)
into a :class:`Dataset`:

* coordinates become :class:`~fractions.Fraction` exactly (a float is taken as
  its exact binary value, ``"0.1"`` is ``1/10``);
* a label's class is its text ``str(label)``; classes are sorted by text, so
  the result does not depend on the order of the rows;
* identical points with the same label are merged into one *unique point*
  that remembers every row it came from;
* identical points with different labels are refused
  (:class:`~lnnet_construct.errors.ConflictingLabelsError`, naming both rows,
  1-based).

Examples
--------
>>> ds = prepare([[0, 1], ["1/2", 0], [0, 1]], ["b", "a", "b"])
>>> ds.classes, ds.m, ds.n_rows
(('a', 'b'), 2, 3)
>>> ds.members
((0, 2), (1,))
>>> prepare([[1], [1]], ["x", "y"])
Traceback (most recent call last):
...
lnnet_construct.errors.ConflictingLabelsError: expected distinct points, but rows 1 and 2 are equal with labels 'x' and 'y'
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..errors import ConflictingLabelsError, InputError, NumberFormatError
from ..numbers import Expr, format_number, to_exact

__all__ = ["Dataset", "prepare"]


@dataclass(frozen=True)
class Dataset:
    """Distinct labelled points, ready for a construction.

    Attributes
    ----------
    points : tuple of tuple of Fraction
        The unique points (first occurrence order).
    labels : numpy.ndarray of int
        Class index of each unique point (into ``classes``).
    classes : tuple of str
        Class texts, sorted.
    members : tuple of tuple of int
        For each unique point, the 0-based input rows it stands for.
    dim : int
    n_rows : int
        Number of input rows (before merging duplicates).
    """

    points: tuple
    labels: np.ndarray
    classes: tuple
    members: tuple
    dim: int
    n_rows: int

    @property
    def m(self) -> int:
        """Number of distinct points."""
        return len(self.points)

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.classes)

    def row_labels(self) -> list:
        """The class text of every input row (in input order)."""
        out = [None] * self.n_rows
        for u, rows in enumerate(self.members):
            for r in rows:
                out[r] = self.classes[self.labels[u]]
        return out


def _coordinate(v, row: int, col: int) -> Fraction:
    try:
        q = to_exact(v)
    except NumberFormatError as e:
        raise InputError(f"row {row}, coordinate {col}: {e}") from None
    if isinstance(q, Expr):
        raise InputError(
            f"row {row}, coordinate {col}: the construction needs rational coordinates, got {format_number(q)!r}"
        )
    return q


def prepare(points: Sequence, labels: Sequence) -> Dataset:
    """Normalise points and labels (see module docstring).

    Parameters
    ----------
    points : sequence of sequences of exact numbers
        ints, Fractions, numeric strings of the FORMATS.md grammar, numpy
        scalars or floats (taken exactly).
    labels : sequence of hashable printable values
        One per point; the class of a label is ``str(label)``.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        No points, ragged rows, non-numeric or non-finite coordinates,
        irrational coordinates, or a label count that differs from the
        point count.
    ConflictingLabelsError
        Two rows hold the same point with different labels.
    """
    points = list(points)
    labels = list(labels)
    if not points:
        raise InputError("expected at least one point, got none")
    if len(labels) != len(points):
        raise InputError(f"expected one label per point: {len(points)} points but {len(labels)} labels")
    rows = []
    dim = None
    for i, p in enumerate(points, start=1):
        if isinstance(p, (str, bytes)):
            raise InputError(f"row {i}: expected a sequence of coordinates, got {p!r}")
        try:
            coords = list(p)
        except TypeError:
            raise InputError(f"row {i}: expected a sequence of coordinates, got {p!r}") from None
        if dim is None:
            dim = len(coords)
            if dim == 0:
                raise InputError("row 1: expected at least one coordinate")
        elif len(coords) != dim:
            raise InputError(f"row {i}: expected {dim} coordinates (as row 1), got {len(coords)}")
        rows.append(tuple(_coordinate(v, i, j) for j, v in enumerate(coords, start=1)))
    texts = [str(lab) for lab in labels]
    classes = tuple(sorted(set(texts)))
    index = {c: k for k, c in enumerate(classes)}
    first: dict = {}
    uniq: list = []
    members: list = []
    ulabels: list = []
    for r, (p, t) in enumerate(zip(rows, texts)):
        u = first.get(p)
        if u is None:
            first[p] = len(uniq)
            uniq.append(p)
            members.append([r])
            ulabels.append(index[t])
        else:
            if classes[ulabels[u]] != t:
                r0 = members[u][0]
                raise ConflictingLabelsError(
                    f"expected distinct points, but rows {r0 + 1} and {r + 1} are equal with labels "
                    f"{texts[r0]!r} and {t!r}"
                )
            members[u].append(r)
    return Dataset(
        points=tuple(uniq),
        labels=np.array(ulabels, dtype=np.int64),
        classes=classes,
        members=tuple(tuple(x) for x in members),
        dim=dim,
        n_rows=len(rows),
    )
