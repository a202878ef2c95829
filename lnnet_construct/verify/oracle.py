r"""Exact verdicts: the oracle for small networks, and the exact fallbacks of the verifier.

* :func:`exact_outcome` evaluates one point in exact arithmetic:
  ``"exact"`` (Fractions, algebraic :class:`~lnnet_construct.numbers.Expr`
  with exact signs) or ``"sympy"`` (sympy's own closed forms and
  ``minimal_polynomial`` zero test, independent of python-flint).  Exact sign
  decisions stall beyond about 4 LayerNorm layers (nested radicals), so this
  is meant for small networks.
* :func:`rational_outcome` is the cheap exact path for points whose whole
  evaluation stays rational (every LayerNorm denominator a rational square,
  e.g. networks without LayerNorm); it gives up (None) at the first
  irrational square root.
* :func:`exact_verdicts` returns the exact verdict of every point (used by
  the tests as the reference).

Examples
--------
>>> from lnnet_construct.network import Network, Affine, LayerNorm
>>> net = Network(1, [Affine([[1], [-1], [0]], [0, 0, 1]), LayerNorm(), Affine([[1, 1, 1]], [0])],
...               classes=["a", "b"])
>>> exact_verdicts(net, [[2]], ["b"])          # outputs sum to 0: exactly zero, refuted
[<Verdict.REFUTED: 'REFUTED'>]
>>> net2 = Network(1, [Affine([[1]], ["-1/3"])], classes=["a", "b"])
>>> exact_verdicts(net2, [[1], ["1/3"], [0]], ["b", "b", "a"], arith="sympy")
[<Verdict.VERIFIED: 'VERIFIED'>, <Verdict.REFUTED: 'REFUTED'>, <Verdict.VERIFIED: 'VERIFIED'>]
"""

from __future__ import annotations

from fractions import Fraction

from ..arith import get_arith
from ..arith.base import Sign
from ..arith.exact import ExactArith
from ..errors import ArithmeticUndecided, ZeroVarianceError
from ..numbers import Expr, exact_sqrt, is_rational, to_exact
from .head import decision_rows, forward_body, split_head
from .report import Verdict
from .scalar import ScalarOutcome, _margin_bounds, abs_exact_bounds

__all__ = ["exact_outcome", "rational_outcome", "structural_outcome", "structural_zero", "exact_verdicts", "exact_verdict"]

#: Bit size beyond which the rational path gives up (numbers grow with depth).
_MAX_RATIONAL_BITS = 200_000


class _Irrational(Exception):
    pass


class _GiveUp(Exception):
    pass


class _Canon:
    """Hash-consing of expression DAGs: structurally equal expressions get the same integer.

    Works bottom-up with a memo keyed by object identity, so its cost is the
    size of the DAG, never of the (possibly exponentially larger) tree.
    """

    def __init__(self):
        self.table: dict = {}
        self.memo: dict = {}  # id(expr) -> (expr, canonical id); the expr keeps the id alive

    def __call__(self, x):
        if not isinstance(x, Expr):
            return ("q", Fraction(x))
        got = self.memo.get(id(x))
        if got is not None:
            return got[1]
        stack = [x]
        while stack:
            e = stack[-1]
            pending = [a for a in e.args if isinstance(a, Expr) and id(a) not in self.memo]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if id(e) in self.memo:
                continue
            key = (e.op,) + tuple(self.memo[id(a)][1] if isinstance(a, Expr) else ("q", Fraction(a)) for a in e.args)
            cid = self.table.setdefault(key, len(self.table))
            self.memo[id(e)] = (e, cid)
        return self.memo[id(x)][1]


def structural_zero(x, canon: _Canon | None = None) -> bool:
    """True when ``x`` is 0 by cancelling identical sub-expressions in its sums.

    ``x`` is flattened into a rational linear combination of non-sum terms
    (rational factors and divisors are absorbed); if every coefficient and the
    constant vanish, ``x`` is exactly 0.  A sufficient test only (False says
    nothing), but cheap at any depth: it catches a threshold set to the exact
    value of a network's own output.

    >>> from lnnet_construct.numbers import parse_number
    >>> t = parse_number("sqrt(2 + sqrt(3))/7")
    >>> structural_zero(parse_number("1/3") * t + (parse_number("2") - (t / 3 + 2)))
    True
    >>> structural_zero(parse_number("sqrt(2)*sqrt(2) - 2"))
    False
    """
    if not isinstance(x, Expr):
        return Fraction(x) == 0
    canon = canon or _Canon()
    terms: dict = {}
    const = Fraction(0)
    stack = [(x, Fraction(1))]
    while stack:
        e, c = stack.pop()
        if not isinstance(e, Expr):
            const += c * Fraction(e)
            continue
        op, args = e.op, e.args
        if op == "add":
            stack.append((args[0], c))
            stack.append((args[1], c))
        elif op == "sub":
            stack.append((args[0], c))
            stack.append((args[1], -c))
        elif op == "neg":
            stack.append((args[0], -c))
        elif op == "mul" and not isinstance(args[0], Expr):
            stack.append((args[1], c * Fraction(args[0])))
        elif op == "mul" and not isinstance(args[1], Expr):
            stack.append((args[0], c * Fraction(args[1])))
        elif op == "div" and not isinstance(args[1], Expr):
            stack.append((args[0], c / Fraction(args[1])))
        else:
            key = canon(e)
            terms[key] = terms.get(key, Fraction(0)) + c
    return const == 0 and all(v == 0 for v in terms.values())


class _StructuralExact(ExactArith):
    """Exact arithmetic that tries the cheap structural zero test before an exact zero test."""

    def __init__(self):
        super().__init__()
        self.canon = _Canon()

    def sign(self, x):
        if isinstance(x, Expr) and structural_zero(x, self.canon):
            return Sign.ZERO
        return super().sign(x)

    def positive_sqrt(self, x):
        if isinstance(x, Expr) and structural_zero(x, self.canon):
            raise ZeroVarianceError("LayerNorm variance is exactly 0 (and eps = 0)")
        return super().positive_sqrt(x)


class _ArbCheckedExact(ExactArith):
    """Exact values whose LayerNorm denominators are proven positive by arb alone (never sympy)."""

    def __init__(self, bits: int):
        super().__init__()
        self.bits = bits
        self.canon = _Canon()

    def positive_sqrt(self, x):
        if not isinstance(x, Expr):
            return super().positive_sqrt(x)
        if structural_zero(x, self.canon):
            raise ZeroVarianceError("LayerNorm variance is exactly 0 (and eps = 0)")
        from ..arith.arb import ArbArith

        if ArbArith(self.bits).sign_of_exact(x) is not Sign.POSITIVE:
            raise _GiveUp
        return exact_sqrt(x)


class _RationalArith(ExactArith):
    """Exact rationals only: gives up at the first irrational number."""

    name = "rational"

    def const(self, q):
        if isinstance(q, Expr):
            raise _Irrational
        return super().const(q)

    def sqrt(self, x):
        r = exact_sqrt(x)
        if isinstance(r, Expr):
            raise _Irrational
        return r

    def positive_sqrt(self, x):
        if x == 0:
            raise ZeroVarianceError("LayerNorm variance is exactly 0 (and eps = 0)")
        if x < 0:
            raise ArithmeticUndecided("negative LayerNorm variance")
        if x.numerator.bit_length() + x.denominator.bit_length() > _MAX_RATIONAL_BITS:
            raise _Irrational
        return self.sqrt(x)


def _bounds(v, bits=256):
    """Tight exact bounds of an exact value (itself when rational)."""
    from .batch import exact_bounds

    if is_rational(v):
        return Fraction(v), Fraction(v)
    return exact_bounds(v, bits)


def _outcome(network, point, c, arith) -> ScalarOutcome:
    body, W, b = split_head(network)
    y = forward_body(body, point, arith)
    with arith.active():
        def value(r, bias):
            return arith.fsum([arith.const(rj) * yj for rj, yj in zip(r, y) if rj != 0]) + arith.const(bias)

        outs = [value(W[i], b[i]) for i in range(len(W))]
        signs = []
        margins = []
        for k, r, bias in decision_rows(network.decision, W, b, c):
            d = value(r, bias)
            s = arith.sign(d)
            if s is Sign.UNKNOWN:
                raise ArithmeticUndecided("exact sign undecided")
            signs.append((k, s))
            margins.append((d, r, bias))
    negative = [k for k, s in signs if s is Sign.NEGATIVE]
    decided_pos = all(s is Sign.POSITIVE for _, s in signs)
    zero = not decided_pos and not negative
    beaten = negative[0] if negative else -1
    status = 1 if decided_pos else -1
    if arith.name == "sympy":
        return ScalarOutcome(status, zero=zero, beaten_by=beaten)
    # evidence: exact (or tight) bounds of outputs and margins
    outputs = [_bounds(o) for o in outs]
    absy = []
    for v in y:
        lo, hi = _bounds(v)
        absy.append((Fraction(0), max(-lo, hi)) if lo <= 0 <= hi else (min(abs(lo), abs(hi)), max(abs(lo), abs(hi))))
    mlo = mhi = None
    for d, r, bias in margins:
        dlo, dhi = _bounds(d)
        den = list(abs_exact_bounds(bias))
        for rj, (alo, ahi) in zip(r, absy):
            if rj != 0:
                rlo, rhi = abs_exact_bounds(rj)
                den[0] += rlo * alo
                den[1] += rhi * ahi
        mar = _margin_bounds((dlo, dhi), tuple(den))
        if mar is None:
            mlo = None
            break
        mlo = mar[0] if mlo is None else min(mlo, mar[0])
        mhi = mar[1] if mhi is None else min(mhi, mar[1])
    return ScalarOutcome(status, zero=zero, outputs=outputs, margin=None if mlo is None else (mlo, mhi),
                         beaten_by=beaten)


def structural_outcome(network, point, c: int, bits: int = 256) -> ScalarOutcome | None:
    """REFUTED when a decisive quantity is exactly 0 by structure (any depth); else None.

    The point is evaluated exactly (algebraic numbers as expression DAGs);
    every LayerNorm variance must be proven positive by arb at ``bits`` (or be
    structurally 0: REFUTED).  Nothing else is decided here: this fallback
    only finds exact zeros that enclosures can never certify.
    """
    A = _ArbCheckedExact(bits)
    try:
        y = forward_body(split_head(network)[0], [to_exact(v) for v in point], A)
    except ZeroVarianceError:
        return ScalarOutcome(-1, zero_variance=True)
    except (_GiveUp, ArithmeticUndecided):
        return None
    _, W, b = split_head(network)
    for k, r, bias in decision_rows(network.decision, W, b, c):
        d = A.fsum([A.const(rj) * yj for rj, yj in zip(r, y) if rj != 0]) + A.const(bias)
        if structural_zero(d, A.canon):
            return ScalarOutcome(-1, zero=True)
    return None


def exact_outcome(network, point, c: int, arith: str = "exact") -> ScalarOutcome:
    """Exact verdict data of one point (label class index ``c``); see module docstring.

    Raises
    ------
    ArithmeticUndecided
        Only if an exact sign decision gives up (practically never).
    """
    A = _StructuralExact() if arith == "exact" else get_arith(arith)
    try:
        return _outcome(network, [to_exact(v) for v in point], c, A)
    except ZeroVarianceError:
        return ScalarOutcome(-1, zero_variance=True)


def rational_outcome(network, point, c: int) -> ScalarOutcome | None:
    """Exact verdict data when the evaluation stays rational, else None."""
    try:
        return _outcome(network, [to_exact(v) for v in point], c, _RationalArith())
    except _Irrational:
        return None
    except ZeroVarianceError:
        return ScalarOutcome(-1, zero_variance=True)


def exact_verdict(network, point, label, arith: str = "exact") -> Verdict:
    """The exact verdict on one point (a label that is not a class is REFUTED)."""
    texts = network.class_texts
    if str(label) not in texts:
        return Verdict.REFUTED
    out = exact_outcome(network, point, texts.index(str(label)), arith)
    return Verdict.VERIFIED if out.status == 1 else Verdict.REFUTED


def exact_verdicts(network, points, labels, arith: str = "exact") -> list:
    """Exact verdicts of every point: the reference the verifier is tested against."""
    return [exact_verdict(network, p, lab, arith) for p, lab in zip(points, labels)]
