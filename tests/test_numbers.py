"""Exact number grammar: parsing, canonical printing, refusal of anything else."""

from fractions import Fraction

import pytest
import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from lnnet_construct.errors import NumberFormatError
from lnnet_construct.numbers import Expr, exact_sqrt, format_number, parse_number, to_exact, to_fraction


@pytest.mark.parametrize(
    "text, value",
    [
        ("-12", Fraction(-12)),
        ("3/7", Fraction(3, 7)),
        ("0.1", Fraction(1, 10)),
        ("-2.5e-3", Fraction(-1, 400)),
        ("1E+3", Fraction(1000)),
        (".5", Fraction(1, 2)),
        ("0.00001", Fraction(1, 100000)),
        ("1e-5", Fraction(1, 100000)),
        (" 1 + 2*3 ", Fraction(7)),
        ("2/3/4", Fraction(1, 6)),
        ("1-2-3", Fraction(-4)),
        ("--2", Fraction(2)),
        ("sqrt(9/4)", Fraction(3, 2)),
        ("(1/3)*3", Fraction(1)),
        (7, Fraction(7)),
    ],
)
def test_parse_rationals(text, value):
    got = parse_number(text)
    assert isinstance(got, Fraction) and got == value


def test_decimal_is_exact_not_binary():
    assert parse_number("0.1") != Fraction(0.1)
    assert parse_number("0.1000000000000000055511151231257827021181583404541015625") == Fraction(0.1)


def test_algebraic_values_match_sympy():
    for text, expected in [
        ("sqrt(2)/2", sympy.sqrt(2) / 2),
        ("1 + sqrt(3)*sqrt(3)", sympy.Integer(4)),
        ("sqrt(1 + sqrt(2))", sympy.sqrt(1 + sympy.sqrt(2))),
        ("-sqrt(8)", -2 * sympy.sqrt(2)),
    ]:
        got = parse_number(text)
        value = got.to_sympy() if isinstance(got, Expr) else sympy.Rational(got.numerator, got.denominator)
        assert sympy.simplify(value - expected) == 0


@pytest.mark.parametrize(
    "bad",
    [
        "__import__('os').system('echo x')",
        "eval('1')",
        "1;2",
        "lambda: 1",
        "2**3",
        "nan",
        "NaN",
        "inf",
        "-Infinity",
        "",
        "   ",
        "1/0",
        "sqrt(-1)",
        "sqrt(2",
        "(1",
        "1 +",
        "0x10",
        "1_000",
        "1e100000",
        "+1",
        "1.2.3",
        "sqrt 2",
        "exp(1)",
        "pi",
        "1/(2-2)",
    ],
)
def test_refuses_non_grammar(bad):
    with pytest.raises(NumberFormatError):
        parse_number(bad)


def test_refuses_json_float_and_bool():
    with pytest.raises(NumberFormatError, match="JSON float"):
        parse_number(0.5)
    with pytest.raises(NumberFormatError):
        parse_number(True)


def test_code_is_never_executed(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    with pytest.raises(NumberFormatError):
        parse_number(f"__import__('pathlib').Path({str(marker)!r}).touch()")
    assert not marker.exists()


def test_deep_nesting_is_refused_cleanly():
    with pytest.raises(NumberFormatError, match="nesting"):
        parse_number("(" * 500 + "1" + ")" * 500)


def test_exact_sqrt_simplifies_square_factors():
    assert exact_sqrt(Fraction(9, 16)) == Fraction(3, 4)
    assert format_number(exact_sqrt(Fraction(50))) == "5*sqrt(2)"
    assert format_number(exact_sqrt(Fraction(1, 2))) == "sqrt(2)/2" or sympy.simplify(
        parse_number(format_number(exact_sqrt(Fraction(1, 2)))).to_sympy() - sympy.sqrt(2) / 2
    ) == 0


def test_to_fraction_of_floats_is_binary_exact():
    import numpy as np

    assert to_fraction(0.1) == Fraction(3602879701896397, 36028797018963968)
    assert to_fraction(np.float32(0.5)) == Fraction(1, 2)
    assert to_fraction(np.int64(-3)) == Fraction(-3)
    with pytest.raises(NumberFormatError):
        to_fraction(float("inf"))
    with pytest.raises(NumberFormatError):
        to_exact(object())


rationals = st.fractions(max_denominator=10**6).filter(lambda q: abs(q) < 10**9)
atoms = st.one_of(rationals, rationals.map(abs).map(lambda q: exact_sqrt(q)))


@st.composite
def exprs(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(atoms)
    op = draw(st.sampled_from(["add", "sub", "mul", "div", "neg", "sqrt"]))
    a = draw(exprs(depth=depth - 1))
    if op == "neg":
        return -a
    if op == "sqrt":
        value = a.to_sympy() if isinstance(a, Expr) else a
        if (value < 0) if not isinstance(value, Fraction) else value < 0:
            a = -a
        return exact_sqrt(a)
    b = draw(exprs(depth=depth - 1))
    if op == "div":
        if b == 0 or (isinstance(b, Expr) and b.to_sympy() == 0):
            return a
        return a / b
    return {"add": a + b, "sub": a - b, "mul": a * b}[op]


def _sym(x):
    return x.to_sympy() if isinstance(x, Expr) else sympy.Rational(x.numerator, x.denominator)


@given(exprs())
@example(Fraction(-3, 7))
@example(exact_sqrt(Fraction(2)) * Fraction(-1, 3))
@example(Fraction(1) - (Fraction(2) - exact_sqrt(Fraction(3))))
@example(-(-exact_sqrt(Fraction(5))))
@example(Fraction(10**12) + exact_sqrt(Fraction(1, 10**12)))
def test_format_parse_round_trip_is_byte_stable(x):
    text = format_number(x)
    y = parse_number(text)
    assert format_number(y) == text  # load -> save byte-stable
    assert y == x  # same exact object, structurally
    assert abs(sympy.N(_sym(x) - _sym(y), 50)) <= 1e-40 * (1 + abs(sympy.N(_sym(x), 50)))
