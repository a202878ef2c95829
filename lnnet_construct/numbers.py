r"""Exact numbers: the grammar of FORMATS.md, an algebraic expression type, canonical text.

Every parameter and coordinate is an exact real number.  Rationals are
:class:`fractions.Fraction`; anything that needs a square root of a
non-square rational is an :class:`Expr`, a small immutable expression tree
over ``+ - * /`` and ``sqrt`` with rational leaves.

The parser is a hand-written recursive-descent parser for::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := "-" unary | atom
    atom   := integer | decimal | "sqrt(" expr ")" | "(" expr ")"

It never calls ``eval``, ``sympify`` or ``parse_expr``: file content is
untrusted.

Examples
--------
>>> parse_number("0.1")
Fraction(1, 10)
>>> parse_number("-2.5e-3")
Fraction(-1, 400)
>>> x = parse_number("sqrt(2)/2")
>>> format_number(x)
'sqrt(2)/2'
>>> format_number(parse_number("sqrt(8)"))
'2*sqrt(2)'
>>> format_number(parse_number("sqrt(4)"))
'2'
>>> parse_number("__import__('os')")
Traceback (most recent call last):
...
lnnet_construct.errors.NumberFormatError: "__import__('os')" is not an exact number: unexpected character '_' at position 1 (expected an integer, a decimal, 'sqrt(', '(' or '-')
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from numbers import Rational
from typing import Union

from .errors import NumberFormatError

__all__ = [
    "Expr",
    "Exact",
    "parse_number",
    "format_number",
    "to_fraction",
    "to_exact",
    "is_rational",
    "exact_sqrt",
]

#: Largest accepted decimal exponent; bigger ones would build huge integers.
MAX_EXPONENT = 10_000
#: Largest accepted number string and nesting depth (untrusted input).
MAX_LENGTH = 100_000
MAX_DEPTH = 200


class Expr:
    """An exact algebraic number built from rationals with ``+ - * /`` and ``sqrt``.

    Instances are immutable and hashable (structurally).  Arithmetic with
    ``int``, :class:`~fractions.Fraction` or other ``Expr`` returns a
    ``Fraction`` whenever both operands are rational, so an ``Expr`` always
    contains at least one irrational square root.

    Parameters
    ----------
    op : {"add", "sub", "mul", "div", "neg", "sqrt"}
    args : tuple of Fraction or Expr

    Examples
    --------
    >>> r2 = exact_sqrt(Fraction(2))
    >>> r2 * r2
    Expr('sqrt(2)*sqrt(2)')
    >>> float(r2 / 2) == 2 ** -0.5
    True
    >>> r2.to_sympy()**2
    2
    """

    __slots__ = ("op", "args", "_hash")

    def __init__(self, op: str, args: tuple):
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "args", tuple(args))
        object.__setattr__(self, "_hash", hash((op, self.args)))

    def __setattr__(self, name, value):
        raise AttributeError("Expr is immutable")

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        # Structural equality; numeric equality of algebraic numbers needs
        # an exact sign decision (lnnet_construct.arith.exact).
        if isinstance(other, Expr):
            return self.op == other.op and self.args == other.args
        return NotImplemented

    def __repr__(self):
        return f"Expr({format_number(self)!r})"

    # arithmetic -------------------------------------------------------
    def __add__(self, other):
        return _binary("add", self, other)

    def __radd__(self, other):
        return _binary("add", other, self)

    def __sub__(self, other):
        return _binary("sub", self, other)

    def __rsub__(self, other):
        return _binary("sub", other, self)

    def __mul__(self, other):
        return _binary("mul", self, other)

    def __rmul__(self, other):
        return _binary("mul", other, self)

    def __truediv__(self, other):
        return _binary("div", self, other)

    def __rtruediv__(self, other):
        return _binary("div", other, self)

    def __neg__(self):
        return Expr("neg", (self,))

    def __pos__(self):
        return self

    def __float__(self):
        """A float within a few ulps of the value (for plots, planning and exports only).

        Evaluated with arb balls at rising precision until the ball is narrow,
        so cancellation (e.g. decimals that collide as doubles) cannot give 0/0.
        """
        from .arith.arb import ArbArith
        from .errors import ArithmeticUndecided

        bits = 64
        while bits <= 1 << 16:
            A = ArbArith(bits)
            with A.active():
                v = A.const(self)
                if v.is_finite() and (v.is_zero() or v.rel_accuracy_bits() >= 60):
                    return float(v.mid())
            bits *= 4
        raise ArithmeticUndecided("could not approximate an algebraic number to float accuracy")

    def to_sympy(self):
        """Convert to an exact sympy expression.

        >>> parse_number("1/2 + sqrt(3)").to_sympy()
        1/2 + sqrt(3)
        """
        import sympy

        return evaluate(self, _SympyOps(sympy))


Exact = Union[Fraction, Expr]


class _SympyOps:
    def __init__(self, sympy):
        self.sympy = sympy

    def const(self, q):
        return self.sympy.Rational(q.numerator, q.denominator)

    def sqrt(self, x):
        return self.sympy.sqrt(x)


def evaluate(x: Exact, ops):
    """Evaluate an exact number with the primitives of ``ops``.

    ``ops`` needs ``const(Fraction)`` and ``sqrt(element)``; its elements
    must support ``+ - * /`` and unary ``-``.  Shared sub-trees are
    evaluated once, iteratively (no recursion limit on deep trees).

    >>> class F:
    ...     const = staticmethod(float)
    ...     sqrt = staticmethod(math.sqrt)
    >>> round(evaluate(parse_number("sqrt(2)*sqrt(2) - 1"), F()), 12)
    1.0
    """
    if not isinstance(x, Expr):
        return ops.const(Fraction(x))
    memo: dict[int, object] = {}
    stack = [x]
    while stack:
        node = stack[-1]
        key = id(node)
        if key in memo:
            stack.pop()
            continue
        pending = [a for a in node.args if isinstance(a, Expr) and id(a) not in memo]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        vals = [memo[id(a)] if isinstance(a, Expr) else ops.const(a) for a in node.args]
        op = node.op
        if op == "add":
            v = vals[0] + vals[1]
        elif op == "sub":
            v = vals[0] - vals[1]
        elif op == "mul":
            v = vals[0] * vals[1]
        elif op == "div":
            v = vals[0] / vals[1]
        elif op == "neg":
            v = -vals[0]
        else:  # sqrt
            v = ops.sqrt(vals[0])
        memo[key] = v
    return memo[id(x)]


def is_rational(x) -> bool:
    """True for ints and Fractions (not for :class:`Expr`)."""
    return isinstance(x, (int, Fraction)) and not isinstance(x, bool)


def _binary(op, a, b):
    a = _coerce(a)
    b = _coerce(b)
    if a is NotImplemented or b is NotImplemented:
        return NotImplemented
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return _apply_rational(op, a, b)
    # cheap simplifications that keep trees small
    if op == "mul" and (a == 0 or b == 0):
        return Fraction(0)
    if op in ("add", "sub") and b == 0:
        return a
    if op == "add" and a == 0:
        return b
    if op in ("mul", "div") and b == 1:
        return a
    if op == "mul" and a == 1:
        return b
    if op == "div" and isinstance(b, Fraction) and b == 0:
        raise ZeroDivisionError("division by zero")
    return Expr(op, (a, b))


def _apply_rational(op, a: Fraction, b: Fraction) -> Fraction:
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    return a / b


def _coerce(x):
    if isinstance(x, (Fraction, Expr)):
        return x
    if isinstance(x, int) and not isinstance(x, bool):
        return Fraction(x)
    if isinstance(x, Rational):
        return Fraction(x.numerator, x.denominator)
    return NotImplemented


def exact_sqrt(q: Exact) -> Exact:
    """Exact square root: a Fraction when ``q`` is a rational square, else an Expr.

    Pulls out square factors of small primes so that ``sqrt(8)`` is ``2*sqrt(2)``.

    >>> exact_sqrt(Fraction(9, 4))
    Fraction(3, 2)
    >>> format_number(exact_sqrt(Fraction(12)))
    '2*sqrt(3)'
    """
    if isinstance(q, Expr):
        return Expr("sqrt", (q,))
    q = Fraction(q)
    if q < 0:
        raise NumberFormatError(f"sqrt of a negative number ({format_number(q)})")
    n, d = q.numerator, q.denominator
    # sqrt(n/d) = sqrt(n*d)/d
    nd = n * d
    r = math.isqrt(nd)
    if r * r == nd:
        return Fraction(r, d)
    outside, inside = _square_part(nd)
    root = Expr("sqrt", (Fraction(inside),))
    coef = Fraction(outside, d)
    return root if coef == 1 else Expr("mul", (coef, root))


def _square_part(n: int) -> tuple[int, int]:
    """Split n = outside**2 * inside, removing squares of primes below 1000."""
    outside = 1
    for p in _SMALL_PRIMES:
        pp = p * p
        if pp > n:
            break
        while n % pp == 0:
            n //= pp
            outside *= p
    return outside, n


_SMALL_PRIMES = [p for p in range(2, 1000) if all(p % k for k in range(2, math.isqrt(p) + 1))]


def to_fraction(x) -> Fraction:
    """Convert a rational-valued input to a Fraction exactly.

    Ints, Fractions, numpy integers, grammar strings and floats are accepted;
    a float is taken as its exact binary value (``0.1`` is not 1/10).

    >>> to_fraction(0.5), to_fraction("0.1"), to_fraction(3)
    (Fraction(1, 2), Fraction(1, 10), Fraction(3, 1))
    >>> to_fraction(float("nan"))
    Traceback (most recent call last):
    ...
    lnnet_construct.errors.NumberFormatError: nan is not a finite number
    """
    v = to_exact(x)
    if isinstance(v, Expr):
        raise NumberFormatError(f"{format_number(v)!r} is not rational")
    return v


def to_exact(x) -> Exact:
    """Convert any supported number (or grammar string) to Fraction or Expr exactly."""
    if isinstance(x, (Fraction, Expr)):
        return x
    if isinstance(x, bool):
        raise NumberFormatError(f"{x!r} is a boolean, not a number")
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, str):
        return parse_number(x)
    if isinstance(x, Rational):
        return Fraction(x.numerator, x.denominator)
    try:
        f = float(x)
    except (TypeError, ValueError):
        raise NumberFormatError(f"{x!r} is not a number") from None
    if hasattr(x, "is_integer") or hasattr(x, "dtype") or isinstance(x, float):
        if not math.isfinite(f):
            raise NumberFormatError(f"{f} is not a finite number")
        if hasattr(x, "dtype") and getattr(x.dtype, "kind", "f") in "iu":
            return Fraction(int(x))
        return Fraction(f)
    raise NumberFormatError(f"{x!r} is not a number")


# --------------------------------------------------------------------------
# parsing

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)|(?P<sqrt>sqrt\s*\()|(?P<op>[-+*/()]))"
)
_NONFINITE = re.compile(r"^\s*[-+]?\s*(nan|inf|infinity)\s*$", re.IGNORECASE)


def parse_number(text) -> Exact:
    """Parse an exact number string (FORMATS.md grammar) into a Fraction or Expr.

    Parameters
    ----------
    text : str or int
        JSON integers are accepted as they are; floats are refused because
        their textual value is ambiguous.

    Returns
    -------
    Fraction or Expr
        A Fraction whenever the value is rational after exact folding.

    Raises
    ------
    NumberFormatError
        For anything outside the grammar, NaN/inf, division by zero,
        sqrt of a negative number, or absurd sizes.

    Examples
    --------
    >>> parse_number("3/7")
    Fraction(3, 7)
    >>> parse_number(" 1e-5 ")
    Fraction(1, 100000)
    >>> parse_number("(1 + sqrt(2))*(1 - sqrt(2))")
    Expr('(1 + sqrt(2))*(1 - sqrt(2))')
    >>> parse_number(0.5)
    Traceback (most recent call last):
    ...
    lnnet_construct.errors.NumberFormatError: 0.5 is a JSON float; write exact numbers as strings such as "1/2" or "0.5"
    """
    if isinstance(text, bool):
        raise NumberFormatError(f"{text!r} is a boolean, not a number")
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        raise NumberFormatError(
            f"{text!r} is a JSON float; write exact numbers as strings such as \"1/2\" or \"0.5\""
        )
    if not isinstance(text, str):
        raise NumberFormatError(f"{text!r} is not a number string")
    if len(text) > MAX_LENGTH:
        raise NumberFormatError(f"number string of {len(text)} characters is too long")
    if _NONFINITE.match(text):
        raise NumberFormatError(f"{text.strip()!r} is not a finite number (NaN and inf are refused)")
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.depth = 0

    def fail(self, what: str):
        shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        raise NumberFormatError(f"{shown!r} is not an exact number: {what}")

    def peek(self):
        m = _TOKEN.match(self.text, self.pos)
        if m is None:
            rest = self.text[self.pos:].lstrip()
            if not rest:
                return None, None, len(self.text)
            at = len(self.text) - len(rest)
            self.fail(
                f"unexpected character {rest[0]!r} at position {at + 1} "
                "(expected an integer, a decimal, 'sqrt(', '(' or '-')"
            )
        kind = m.lastgroup
        return kind, m.group(kind), m

    def take(self):
        kind, value, m = self.peek()
        if kind is not None:
            self.pos = m.end()
        return kind, value

    def parse(self):
        if not self.text.strip():
            self.fail("empty string")
        value = self.expr()
        kind, tok, _ = self.peek()
        if kind is not None:
            self.fail(f"unexpected {tok!r} at position {self.pos + 1}")
        return value

    def expr(self):
        value = self.term()
        while True:
            kind, tok, _ = self.peek()
            if kind == "op" and tok in "+-":
                self.take()
                rhs = self.term()
                value = value + rhs if tok == "+" else value - rhs
            else:
                return value

    def term(self):
        value = self.unary()
        while True:
            kind, tok, _ = self.peek()
            if kind == "op" and tok in "*/":
                self.take()
                rhs = self.unary()
                if tok == "*":
                    value = value * rhs
                else:
                    if isinstance(rhs, Fraction) and rhs == 0:
                        self.fail("division by zero")
                    value = value / rhs
            else:
                return value

    def unary(self):
        kind, tok, _ = self.peek()
        if kind == "op" and tok == "-":
            self.take()
            self.enter()
            v = self.unary()
            self.depth -= 1
            return -v
        return self.atom()

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"nesting deeper than {MAX_DEPTH}")

    def atom(self):
        kind, tok = self.take()
        if kind == "num":
            return _decimal(tok, self)
        if kind == "sqrt" or (kind == "op" and tok == "("):
            self.enter()
            inner = self.expr()
            k2, t2 = self.take()
            if not (k2 == "op" and t2 == ")"):
                self.fail("missing ')'")
            self.depth -= 1
            if kind == "sqrt":
                if isinstance(inner, Fraction):
                    if inner < 0:
                        self.fail("sqrt of a negative number")
                    return exact_sqrt(inner)
                return Expr("sqrt", (inner,))
            return inner
        if kind is None:
            self.fail("unexpected end of input")
        self.fail(f"unexpected {tok!r} at position {self.pos}")


def _decimal(tok: str, parser: _Parser) -> Fraction:
    mant, _, exp = tok.replace("E", "e").partition("e")
    e = int(exp) if exp else 0
    if abs(e) > MAX_EXPONENT:
        parser.fail(f"exponent {e} is outside [-{MAX_EXPONENT}, {MAX_EXPONENT}]")
    whole, _, frac = mant.partition(".")
    digits = int((whole or "0") + frac)
    e -= len(frac)
    return Fraction(digits * 10**e) if e >= 0 else Fraction(digits, 10**-e)


# --------------------------------------------------------------------------
# canonical printing

_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "atom": 4}


def format_number(x) -> str:
    """Canonical text of an exact number; ``parse_number(format_number(x)) == x``.

    Rationals print as ``"p"`` or ``"p/q"``; expressions print with minimal
    parentheses, so that load → save is byte-stable.

    >>> format_number(Fraction(-3, 7))
    '-3/7'
    >>> format_number(parse_number("1 - (2 - sqrt(3))"))
    '1 - (2 - sqrt(3))'
    """
    if isinstance(x, bool):
        raise NumberFormatError(f"{x!r} is a boolean, not a number")
    if isinstance(x, int):
        return str(x)
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    if isinstance(x, Expr):
        return _fmt(x)[0]
    return format_number(to_exact(x))


def _fmt(x) -> tuple[str, int]:
    if isinstance(x, Fraction):
        if x.denominator == 1:
            return str(x.numerator), (_PREC["neg"] if x < 0 else _PREC["atom"])
        return format_number(x), _PREC["mul"] if x > 0 else _PREC["neg"]
    op = x.op
    if op == "sqrt":
        return f"sqrt({_fmt(x.args[0])[0]})", _PREC["atom"]
    if op == "neg":
        s, p = _fmt(x.args[0])
        return "-" + (s if p >= _PREC["neg"] and not s.startswith("-") else f"({s})"), _PREC["neg"]
    my = _PREC[op]
    ls, lp = _fmt(x.args[0])
    rs, rp = _fmt(x.args[1])
    if lp < my:
        ls = f"({ls})"
    # right operand of - and / (and anything of equal precedence) needs parens
    if rp < my or (rp == my and op in ("sub", "div", "add", "mul")) or (op in ("mul", "div") and rp == _PREC["neg"]) or rs.startswith("-") and op in ("add", "sub", "mul", "div"):
        rs = f"({rs})"
    sym = {"add": " + ", "sub": " - ", "mul": "*", "div": "/"}[op]
    return ls + sym + rs, my
