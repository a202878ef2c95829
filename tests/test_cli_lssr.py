"""`lnnet lssr` against an independent exact computation written here.

The oracle parses the coordinates with Python's own ``Fraction`` (not the
package's parser) and computes ``1 - (m1 m2/m) Delta^T S_T^+ Delta`` with
sympy's ``Matrix.pinv``; where ``S_W`` is invertible a second, different
formula, ``1 / (1 + (m1 m2/m) Delta^T S_W^{-1} Delta)`` (Sherman-Morrison),
must agree too.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from lnnet_construct.cli.main import main

# ----------------------------------------------------------------------------- oracle


def _rows(cells):
    return [[Fraction(c) for c in row] for row in cells]


def oracle(x1, x2):
    """LSSR of two classes of Fraction rows, by sympy pseudo-inverse (and Sherman-Morrison when possible)."""
    def mat(rows):
        return sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in r] for r in rows])

    a, b = mat(x1), mat(x2)
    m1, m2 = a.rows, b.rows
    mu1 = sum((a.row(i) for i in range(m1)), sympy.zeros(1, a.cols)) / m1
    mu2 = sum((b.row(i) for i in range(m2)), sympy.zeros(1, a.cols)) / m2
    allp = a.col_join(b)
    mu = (mu1 * m1 + mu2 * m2) / (m1 + m2)
    c = allp - sympy.ones(m1 + m2, 1) * mu
    st_ = c.T * c
    delta = (mu1 - mu2).T
    k = sympy.Rational(m1 * m2, m1 + m2)
    value = sympy.simplify(1 - k * (delta.T * st_.pinv() * delta)[0, 0])
    ca = a - sympy.ones(m1, 1) * mu1
    cb = b - sympy.ones(m2, 1) * mu2
    sw = ca.T * ca + cb.T * cb
    if sw.det() != 0:
        other = 1 / (1 + k * (delta.T * sw.inv() * delta)[0, 0])
        assert sympy.simplify(other - value) == 0, "the two oracle formulas disagree"
    return value


# ----------------------------------------------------------------------------- helpers


def write_csv(path, header, rows, labels):
    lines = [",".join(header + ["label"])] + [",".join(list(map(str, r)) + [lab]) for r, lab in zip(rows, labels)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(capsys, *argv):
    code = main(["lssr", *map(str, argv)])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def cli_value(capsys, path):
    code, out, err = run(capsys, path, "--json")
    assert code == 0, err
    doc = json.loads(out)   # stdout holds the JSON and nothing else
    return doc


def as_sympy(text):
    from lnnet_construct.numbers import parse_number, to_exact

    v = parse_number(text)
    return sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else to_exact(v).to_sympy()


def split(cells, labels, first):
    rows = _rows(cells)
    x1 = [r for r, lab in zip(rows, labels) if lab == first]
    x2 = [r for r, lab in zip(rows, labels) if lab != first]
    return x1, x2


# ----------------------------------------------------------------------------- named cases

CASES = {
    "xor": ([["0", "0"], ["1", "1"], ["1", "0"], ["0", "1"]], ["p", "p", "q", "q"]),
    "two-points": ([["-7/3", "2"], ["5", "0.25"]], ["b", "a"]),
    "one-d-prop2": ([["-1"], ["1"], ["0"]], ["x1", "x1", "x2"]),
    "clustered": ([["0", "1e-12"], ["1e-12", "0"], ["2e-12", "1e-12"], ["0", "0"], ["3e-12", "3e-12"]],
                  ["u", "u", "v", "v", "v"]),
    "clustered-far": ([["1000000", "1000000.000000000001"], ["1000000.000000000001", "1000000"],
                       ["1000000", "1000000"]], ["s", "t", "t"]),
    "rank-deficient-3d": ([["1", "2", "3"], ["2", "4", "6"], ["0", "1", "2"], ["3", "5", "7"], ["-1", "0", "1"]],
                          ["a", "b", "a", "b", "b"]),
    "duplicates": ([["1", "1"], ["1", "1"], ["2", "0"], ["2", "0"], ["0", "3"]], ["a", "a", "b", "b", "a"]),
    "numeric-labels": ([["3"], ["1/2"], ["-4"], ["9"]], ["10", "9", "10", "9"]),
    "separable": ([["0", "0"], ["1", "0"], ["0", "5"], ["1", "5"]], ["lo", "lo", "hi", "hi"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_named_sets_match_oracle(name, tmp_path, capsys):
    cells, labels = CASES[name]
    dim = len(cells[0])
    path = write_csv(tmp_path / f"{name}.csv", [f"x{j}" for j in range(dim)], cells, labels)
    doc = cli_value(capsys, path)
    first = sorted(set(labels))[0]
    x1, x2 = split(cells, labels, first)
    want = oracle(x1, x2)
    assert sympy.simplify(as_sympy(doc["lssr"]) - want) == 0
    assert doc["classes"] == sorted(set(labels)) and doc["classes"][0] == first
    assert (doc["m1"], doc["m2"], doc["m"], doc["dim"]) == (len(x1), len(x2), len(cells), dim)


def test_hand_values(tmp_path, capsys):
    """Values known without any computation: XOR is 1, two points are 0, separable columns 0."""
    for name, want in (("xor", "1"), ("two-points", "0"), ("one-d-prop2", "1"), ("separable", "0")):
        cells, labels = CASES[name]
        path = write_csv(tmp_path / f"{name}.csv", [f"x{j}" for j in range(len(cells[0]))], cells, labels)
        assert cli_value(capsys, path)["lssr"] == want


def test_clustered_is_not_a_float_artefact(tmp_path, capsys):
    """1e-12 apart: floats would lose these points; the exact value is scale-invariant."""
    cells, labels = CASES["clustered"]
    scaled = [[str(Fraction(c) * 10**12) for c in row] for row in cells]
    a = cli_value(capsys, write_csv(tmp_path / "a.csv", ["x", "y"], cells, labels))["lssr"]
    b = cli_value(capsys, write_csv(tmp_path / "b.csv", ["x", "y"], scaled, labels))["lssr"]
    assert a == b and a not in ("0", "1")


def test_direction_attains_the_minimum(tmp_path, capsys):
    """SSR along the printed direction, computed here from scratch, equals the printed LSSR."""
    cells, labels = CASES["rank-deficient-3d"]
    doc = cli_value(capsys, write_csv(tmp_path / "r.csv", ["x", "y", "z"], cells, labels))
    a = [Fraction(v) for v in doc["direction"]]
    x1, x2 = split(cells, labels, doc["classes"][0])

    def ss(ts):
        mean = sum(ts, Fraction(0)) / len(ts)
        return sum(((t - mean) ** 2 for t in ts), Fraction(0))

    t1 = [sum((ai * xi for ai, xi in zip(a, p)), Fraction(0)) for p in x1]
    t2 = [sum((ai * xi for ai, xi in zip(a, p)), Fraction(0)) for p in x2]
    assert (ss(t1) + ss(t2)) / ss(t1 + t2) == Fraction(doc["lssr"])


def test_symmetric_in_the_classes(tmp_path, capsys):
    """Renaming the labels so that the other class sorts first gives the same value, m1 and m2 swapped."""
    cells, labels = CASES["rank-deficient-3d"]
    swapped = ["z" if lab == "a" else "a" for lab in labels]
    d1 = cli_value(capsys, write_csv(tmp_path / "1.csv", ["x", "y", "z"], cells, labels))
    d2 = cli_value(capsys, write_csv(tmp_path / "2.csv", ["x", "y", "z"], cells, swapped))
    assert d1["lssr"] == d2["lssr"] and (d1["m1"], d1["m2"]) == (d2["m2"], d2["m1"])


def test_algebraic_coordinates(tmp_path, capsys):
    cells = [["sqrt(2)", "0"], ["0", "1"], ["1", "sqrt(3)"], ["2", "2"]]
    labels = ["a", "b", "a", "b"]
    doc = cli_value(capsys, write_csv(tmp_path / "alg.csv", ["x", "y"], cells, labels))
    sym = [[sympy.sqrt(2), 0], [0, 1], [1, sympy.sqrt(3)], [2, 2]]
    a, b = sympy.Matrix([sym[0], sym[2]]), sympy.Matrix([sym[1], sym[3]])
    allp = a.col_join(b)
    mu = sympy.ones(1, 4) * allp / 4
    c = allp - sympy.ones(4, 1) * mu
    delta = (sympy.ones(1, 2) * a / 2 - sympy.ones(1, 2) * b / 2).T
    want = 1 - (delta.T * (c.T * c).inv() * delta)[0, 0]
    assert sympy.simplify(as_sympy(doc["lssr"]) - want) == 0


def test_json_points_file(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"points": [["0", "0"], ["1", "1"], ["1", "0"], ["0", "1"]], "labels": [1, 1, 2, 2]}))
    doc = cli_value(capsys, path)
    assert doc["lssr"] == "1" and doc["classes"] == ["1", "2"]


def test_plain_output(tmp_path, capsys):
    cells, labels = CASES["two-points"]
    code, out, err = run(capsys, write_csv(tmp_path / "t.csv", ["x", "y"], cells, labels))
    assert code == 0 and out.startswith("LSSR = 0") and "X1 = 'a' (1 point)" in out and err == ""


# ----------------------------------------------------------------------------- property test


point = st.lists(st.integers(-6, 6), min_size=2, max_size=2)


@given(st.lists(point, min_size=1, max_size=5), st.lists(point, min_size=1, max_size=5))
@example([[0, 0], [1, 1]], [[1, 0], [0, 1]])          # XOR
@example([[0, 0]], [[3, 1]])                          # two points
@example([[1, 1], [1, 1]], [[2, 2]])                  # collinear, duplicates
@example([[0, 0], [0, 2]], [[0, 1]])                  # all on a line x = 0: S_T singular
def test_random_integer_sets_match_oracle(x1, x2):
    import tempfile
    from pathlib import Path

    if len({tuple(p) for p in x1 + x2}) == 1:
        return  # all points equal: refused (tested below)
    with tempfile.TemporaryDirectory() as d:
        path = write_csv(Path(d) / "p.csv", ["x", "y"], x1 + x2, ["A"] * len(x1) + ["B"] * len(x2))
        from lnnet_construct.cli.cmd_lssr import lssr_of_file

        doc = lssr_of_file(path)
    want = oracle(_rows(x1), _rows(x2))
    assert Fraction(doc["lssr"]) == Fraction(int(want.p), int(want.q))


# ----------------------------------------------------------------------------- bad input


BAD = {
    "three classes": ("x,label\n0,a\n1,b\n2,c\n", "3 classes"),
    "one class": ("x,label\n0,a\n1,a\n", "only one class"),
    "all points equal": ("x,y,label\n1/2,1,a\n0.5,1,b\n", "all points are equal"),
    "nan": ("x,label\n0,a\nnan,b\n", "NaN"),
    "ragged": ("x,y,label\n0,1,a\n1,b\n", "ragged"),
    "no label column": ("x,y\n0,1\n1,0\n", "no 'label' column"),
    "no points": ("x,label\n", "no points"),
    "non-numeric": ("x,label\n0,a\nabc,b\n", "not an exact number"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_one_line_exit_3(name, tmp_path, capsys):
    text, needle = BAD[name]
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    for extra in ((), ("--json",)):
        code, out, err = run(capsys, path, *extra)
        assert code == 3 and out == ""
        assert err.count("\n") == 1 and needle in err and "Traceback" not in err
        assert str(path) in err


def test_missing_file(tmp_path, capsys):
    code, out, err = run(capsys, tmp_path / "nope.csv")
    assert code == 3 and out == "" and err.count("\n") == 1
