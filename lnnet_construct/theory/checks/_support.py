r"""Shared helpers of the theorem checkers (private): exact text, claims, symbolic zero tests.

* :func:`exact_text` writes an exact number as a string: ``"p/q"`` for
  rationals, the FORMATS.md grammar for algebraic numbers (sympy results are
  converted when they use only ``+ - * /`` and square roots), and sympy's
  own text otherwise.
* :func:`jsonable` turns evidence into JSON-ready data, exact values as strings.
* :class:`Claims` collects the parts of a theorem a checker verified, each
  ``holds``, ``fails`` or ``inconclusive``; the worst one decides the status.
* :func:`symbolic_zero` decides whether a symbolic expression is identically
  zero: ``simplify`` proving 0 is a proof; a rational sample point where the
  expression is exactly non-zero is a disproof; anything else is undecided.

Examples
--------
>>> from fractions import Fraction
>>> import sympy
>>> exact_text(Fraction(-3, 4)), exact_text(sympy.sqrt(8) / 3)
('-3/4', '2*sqrt(2)/3')
>>> c = Claims()
>>> c.add("one plus one", 1 + 1 == 2, value=2)
True
>>> c.status
'holds'
>>> x = sympy.Symbol("x", positive=True)
>>> symbolic_zero(sympy.sqrt(x**2) - x), symbolic_zero(sympy.sqrt(x) - x)
(True, False)
"""

from __future__ import annotations

import enum
import math
import random
from fractions import Fraction
from typing import Any, Mapping, Sequence

import sympy

from lnnet_construct.numbers import Expr, exact_sqrt, format_number

__all__ = ["exact_text", "sympy_to_exact", "jsonable", "Claims", "all3", "symbolic_zero", "rng_for",
           "random_rational", "HOLDS", "FAILS", "INCONCLUSIVE"]

HOLDS, FAILS, INCONCLUSIVE = "holds", "fails", "inconclusive"
_RANK = {HOLDS: 0, INCONCLUSIVE: 1, FAILS: 2}


# ----------------------------------------------------------------------------- exact text


def sympy_to_exact(e) -> Fraction | Expr | None:
    """Convert a sympy number built from rationals, ``+ - * /`` and square roots.

    Returns ``None`` for anything else (cube roots, ``pi``, symbols, ...).

    >>> sympy_to_exact(1 + sympy.sqrt(2) / 2)
    Expr('1 + sqrt(2)/2')
    >>> sympy_to_exact(sympy.Rational(5, 7))
    Fraction(5, 7)
    >>> sympy_to_exact(sympy.cbrt(2)) is None
    True
    """
    if not isinstance(e, sympy.Basic):
        return None
    if e.is_Rational:
        return Fraction(int(e.p), int(e.q))
    if e.is_Add:
        parts = [sympy_to_exact(a) for a in e.args]
        if any(p is None for p in parts):
            return None
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out
    if e.is_Mul:
        # p/q * rest is written p*rest/q, the way the FORMATS grammar reads best: 3*sqrt(2)/4
        coeff, rest = e.as_coeff_Mul()
        parts = [sympy_to_exact(a) for a in sympy.Mul.make_args(rest)]
        if any(p is None for p in parts):
            return None
        out = parts[0]
        for p in parts[1:]:
            out = out * p
        num, den = int(coeff.p), int(coeff.q)
        if num == -1:
            out = -out
        elif num != 1:
            out = Fraction(num) * out
        return out if den == 1 else out / den
    if e.is_Pow:
        base, ex = sympy_to_exact(e.base), e.exp
        if base is None or not ex.is_Rational or int(ex.q) not in (1, 2):
            return None
        p, q = int(ex.p), int(ex.q)
        if q == 2:
            if isinstance(base, Fraction) and base < 0:
                return None
            base = exact_sqrt(base)
        out: Fraction | Expr = Fraction(1)
        for _ in range(abs(p)):
            out = out * base
        return out if p >= 0 else 1 / out
    return None


def exact_text(x) -> str:
    """Exact string of a number (see the module docstring)."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, (int, Fraction, Expr)):
        return format_number(x)
    if isinstance(x, sympy.Basic):
        v = sympy_to_exact(x)
        return format_number(v) if v is not None else str(x)
    return str(x)


def jsonable(obj: Any) -> Any:
    """JSON-ready copy of ``obj``: exact numbers become strings, tuples become lists.

    >>> jsonable({"q": Fraction(1, 3), "v": (1, Fraction(2)), "ok": True, "x": 0.5})
    {'q': '1/3', 'v': [1, '2'], 'ok': True, 'x': 0.5}
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if isinstance(obj, (Fraction, Expr, sympy.Basic)):
        return exact_text(obj)
    if isinstance(obj, enum.Enum):
        return jsonable(obj.value)
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else obj
        return [jsonable(v) for v in items]
    if hasattr(obj, "tolist"):
        return jsonable(obj.tolist())
    return str(obj)


# ----------------------------------------------------------------------------- claims


class Claims:
    """The parts of a theorem a checker verified, in order.

    ``add(name, ok, **details)`` records one claim: ``ok`` is True (holds),
    False (fails) or None (could not be decided).  :attr:`status` is
    ``fails`` if any claim failed, else ``inconclusive`` if any is undecided,
    else ``holds`` (and ``inconclusive`` when nothing was checked).
    """

    def __init__(self):
        self.items: list[dict] = []

    def add(self, name: str, ok: bool | None, **details) -> bool | None:
        """Record a claim; returns ``ok`` so that callers can branch on it."""
        if ok is not None and not isinstance(ok, bool):
            # sympy's BooleanTrue is not True: refuse it rather than report it as undecided
            raise TypeError(f"claim {name!r}: expected True, False or None, got {type(ok).__name__}")
        result = HOLDS if ok is True else FAILS if ok is False else INCONCLUSIVE
        self.items.append({"claim": name, "result": result, **details})
        return ok

    @property
    def status(self) -> str:
        if not self.items:
            return INCONCLUSIVE
        return max((c["result"] for c in self.items), key=_RANK.__getitem__)

    @property
    def counts(self) -> dict:
        out = {HOLDS: 0, FAILS: 0, INCONCLUSIVE: 0}
        for c in self.items:
            out[c["result"]] += 1
        return out

    def failed(self) -> list[str]:
        """Names of the claims that failed or were undecided."""
        return [c["claim"] for c in self.items if c["result"] != HOLDS]


def all3(values) -> bool | None:
    """Three-valued AND: False if any is False, else None if any is None, else True.

    >>> all3([True, None, True]), all3([None, False]), all3([True, True])
    (None, False, True)
    """
    values = list(values)
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


# ----------------------------------------------------------------------------- symbolic zero


def _sample_values(sym: sympy.Symbol) -> list:
    if sym.is_positive:
        vals = ["1/2", "1", "3/2", "2", "7/3"]
    elif sym.is_nonnegative:
        vals = ["0", "1/3", "1", "2", "5/2"]
    else:
        vals = ["-2", "-1/2", "1/3", "1", "5/2"]
    return [sympy.Rational(v) for v in vals]


def symbolic_zero(expr, *, samples: int = 6) -> bool | None:
    """Is ``expr`` identically zero on the domain its symbols' assumptions allow?

    Returns True when sympy's ``simplify`` reduces it to 0 (a proof), False
    when it is exactly non-zero at some rational sample point inside the
    domain (a disproof, decided by an exact sign), and None otherwise.

    Parameters
    ----------
    expr : sympy expression
    samples : int
        How many rational sample points to try before giving up.

    Examples
    --------
    >>> t = sympy.Symbol("t", real=True)
    >>> symbolic_zero((t + 1)**2 - t**2 - 2*t - 1)
    True
    >>> symbolic_zero(sympy.sqrt(t**2) - t)       # |t| - t: non-zero at t = -2
    False
    """
    from lnnet_construct.arith import Sign
    from lnnet_construct.arith.sympy_arith import sympy_sign
    from sympy.polys.polyerrors import NotAlgebraic, PolynomialError

    from lnnet_construct.errors import ArithmeticUndecided

    if not isinstance(expr, sympy.Basic):
        q = Fraction(expr)
        expr = sympy.Rational(q.numerator, q.denominator)
    if sympy.simplify(expr) == 0:
        return True
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    grid = [_sample_values(s) for s in syms]
    rng = random.Random(0)
    tried = 0
    for _ in range(4 * samples):
        if tried >= samples:
            break
        val = expr.subs({s: rng.choice(g) for s, g in zip(syms, grid)})
        if val.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or val.free_symbols:
            continue
        tried += 1
        try:
            if sympy_sign(val) is not Sign.ZERO:
                return False
        except (ArithmeticUndecided, NotAlgebraic, PolynomialError, NotImplementedError):
            continue  # not decidable here: try another sample
    return None


# ----------------------------------------------------------------------------- randomness


def rng_for(theorem_id: str, seed: int) -> random.Random:
    """A reproducible generator for one theorem and seed (independent streams per theorem).

    >>> rng_for("x", 0).random() == rng_for("x", 0).random()
    True
    """
    return random.Random(f"{theorem_id}:{seed}")


def random_rational(rng: random.Random, lo: int = -5, hi: int = 5, denominators: Sequence[int] = (1, 2, 3, 4, 5, 7)) -> Fraction:
    """A random rational ``n/q`` with ``lo <= n/q <= hi`` and ``q`` from ``denominators``.

    >>> import random
    >>> -5 <= random_rational(random.Random(1)) <= 5
    True
    """
    q = rng.choice(list(denominators))
    return Fraction(rng.randint(lo * q, hi * q), q)
