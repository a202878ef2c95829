r"""Dependency-free replay checker for verification certificates (standard library only).

This module imports nothing but ``json``, ``math``, ``fractions`` and
``sys``: no numpy, flint, mpmath, sympy, and no other part of
``lnnet_construct``.  A third party can copy this one file and re-check a
certificate with a plain Python 3.10+.

What it re-checks, for every point of a certificate
(``format: "lnnet-certificate"``, ``version: 1``):

* it parses the network (format v1) and the points with its **own** parser
  of the exact-number grammar of FORMATS.md (never ``eval``);
* it recomputes, step by step, the image of each claimed enclosure in
  **exact rational interval arithmetic** (square roots bounded with
  ``math.isqrt``, rounded outward to the entry's ``bits`` significant bits)
  and checks that it lies inside the next claimed enclosure;
* it checks that the last enclosure decides the claimed verdict: VERIFIED
  needs every decision quantity ``> 0``; REFUTED needs one ``<= 0``, or a
  LayerNorm variance that is exactly 0, or a label that is not a class.

Two kinds of enclosures (``"mode"``):

``"chain"``
    The network must be a rank-1 scalar chain (affine, LN, ..., affine;
    every affine but the last of rank 1 with rational entries; LNs without
    affine and with one group); the checker factors each ``W = p q^T``
    itself (first non-zero entry as pivot).  A point's enclosures are the
    scalars ``sigma_k = q_k · (input of affine k)``, one per LN layer.  Each
    LN layer is the map ``g(s) = (A s + B')/sqrt(C s^2 + E')`` of
    ``s = sigma - sigma0``; since ``g'`` has the affine numerator
    ``A E' - B' C s``, the image of an interval is the hull of ``g`` at its
    endpoints and (when it lies inside) at ``s* = A E'/(B' C)``.
``"generic"``
    Any network: one box (an interval per coordinate) after every layer but
    the output affine, computed with the LayerNorm formula of MATH.md §1.

INCONCLUSIVE entries claim nothing and are not checked.  An entry whose
REFUTED verdict rests on exact algebra the checker cannot redo (an
algebraic exact zero) is counted as *unchecked*; the checker still rejects it
if its enclosure contradicts the claim.

Command line: ``python replay.py CERT`` (exit 0 accepted, 1 rejected,
3 malformed); also ``lnnet verify --replay CERT``.

Examples
--------
>>> cert = {"format": "lnnet-certificate", "version": 1, "mode": "generic",
...   "network": {"format": "lnnet", "version": 1, "input_dim": 1, "classes": ["a", "b"],
...               "decision": "sign", "layers": [{"type": "affine", "weight": [["1"]], "bias": ["-1/3"]}]},
...   "points": [["1"], ["0"]], "labels": ["b", "a"],
...   "entries": [{"verdict": "VERIFIED", "bits": 64, "enclosures": []},
...               {"verdict": "VERIFIED", "bits": 64, "enclosures": []}]}
>>> replay_certificate(cert).accepted
True
>>> cert["entries"][1]["verdict"] = "REFUTED"
>>> r = replay_certificate(cert); r.accepted, r.failures[0][0]
(False, 1)
"""

from __future__ import annotations

import json
import math
import sys
from fractions import Fraction

__all__ = ["ReplayResult", "replay_certificate", "CertificateMalformed", "Model", "FORMAT", "VERSION"]

FORMAT = "lnnet-certificate"
VERSION = 1
MAX_BITS = 1 << 16
_MAX_TEXT = 100_000
_MAX_DEPTH = 200
_MAX_EXP = 10_000


class CertificateMalformed(ValueError):
    """The certificate (or its network / points) does not follow the format."""


class _Undecided(Exception):
    """A step whose image the checker cannot bound (e.g. a variance not proven positive)."""


class _ZeroVariance(Exception):
    """A LayerNorm variance proven to be exactly 0."""


class ReplayResult:
    """Outcome of a replay.

    Attributes
    ----------
    accepted : bool
        Well formed, and no claim failed.
    malformed : bool
    reason : str
        Why it was rejected or malformed (empty if accepted).
    checked : int
        Entries whose verdict was re-derived.
    unchecked : list of (int, str)
        Entries the checker could not re-derive but found consistent.
    failures : list of (int, str)
        Entries whose claim does not re-check.
    """

    def __init__(self):
        self.accepted = False
        self.malformed = False
        self.reason = ""
        self.checked = 0
        self.unchecked = []
        self.failures = []

    @property
    def exit_code(self) -> int:
        """0 accepted, 1 rejected, 3 malformed."""
        return 3 if self.malformed else 0 if self.accepted else 1

    def summary(self) -> str:
        if self.malformed:
            return f"malformed certificate: {self.reason}"
        head = "accepted" if self.accepted else "REJECTED"
        text = f"{head}: {self.checked} verdicts re-checked"
        if self.unchecked:
            text += f", {len(self.unchecked)} not re-checkable here (consistent)"
        if self.failures:
            i, why = self.failures[0]
            text += f", {len(self.failures)} failed (first: entry {i}: {why})"
        return text

    def __repr__(self):
        return f"ReplayResult({self.summary()!r})"


# ---------------------------------------------------------------------------
# exact numbers: an independent parser of the FORMATS.md grammar

def _tokens(text):
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "+-*/()":
            out.append(("op", ch))
            i += 1
            continue
        if text.startswith("sqrt", i):
            j = i + 4
            while j < n and text[j].isspace():
                j += 1
            if j < n and text[j] == "(":
                out.append(("sqrt", None))
                i = j + 1
                continue
        if ch.isdigit() or ch == ".":
            j = i
            while j < n and text[j].isdigit():
                j += 1
            if j < n and text[j] == ".":
                j += 1
                while j < n and text[j].isdigit():
                    j += 1
            mant = text[i:j]
            if mant == "." or not any(c.isdigit() for c in mant):
                raise CertificateMalformed(f"bad number {text!r}")
            exp = 0
            if j < n and text[j] in "eE":
                k = j + 1
                if k < n and text[k] in "+-":
                    k += 1
                d0 = k
                while k < n and text[k].isdigit():
                    k += 1
                if k == d0:
                    raise CertificateMalformed(f"bad exponent in {text!r}")
                exp = int(text[j + 1:k])
                j = k
            if abs(exp) > _MAX_EXP:
                raise CertificateMalformed(f"exponent too large in {text!r}")
            whole, _, frac = mant.partition(".")
            value = Fraction(int((whole or "0") + frac or "0")) * Fraction(10) ** (exp - len(frac))
            out.append(("num", value))
            i = j
            continue
        raise CertificateMalformed(f"unexpected character {ch!r} in number {text!r}")
    return out


class _NumParser:
    def __init__(self, text):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def parse(self):
        v = self.expr()
        if self.i != len(self.toks):
            raise CertificateMalformed(f"trailing input in number {self.text!r}")
        return v

    def expr(self):
        v = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            w = self.term()
            v = _num_op("add" if op == "+" else "sub", v, w)
        return v

    def term(self):
        v = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            w = self.unary()
            v = _num_op("mul" if op == "*" else "div", v, w)
        return v

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            self._enter()
            v = self.unary()
            self.depth -= 1
            return _num_op("neg", v)
        return self.atom()

    def _enter(self):
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise CertificateMalformed(f"number nested too deeply: {self.text[:40]!r}")

    def atom(self):
        kind, val = self.take()
        if kind == "num":
            return val
        if kind == "sqrt" or (kind, val) == ("op", "("):
            self._enter()
            v = self.expr()
            if self.take() != ("op", ")"):
                raise CertificateMalformed(f"missing ')' in {self.text!r}")
            self.depth -= 1
            return _num_op("sqrt", v) if kind == "sqrt" else v
        raise CertificateMalformed(f"unexpected token in number {self.text!r}")


def _num_op(op, a, b=None):
    """Fold rational operations; keep a tree when a square root is irrational."""
    if isinstance(a, Fraction) and (b is None or isinstance(b, Fraction)):
        if op == "add":
            return a + b
        if op == "sub":
            return a - b
        if op == "mul":
            return a * b
        if op == "div":
            if b == 0:
                raise CertificateMalformed("division by zero in a number")
            return a / b
        if op == "neg":
            return -a
        if a < 0:
            raise CertificateMalformed("square root of a negative number")
        r = _exact_sqrt(a)
        if r is not None:
            return r
    return (op, a, b)


def _exact_sqrt(q: Fraction):
    n, d = q.numerator, q.denominator
    rn, rd = math.isqrt(n), math.isqrt(d)
    if rn * rn == n and rd * rd == d:
        return Fraction(rn, rd)
    return None


def parse_number(value):
    """Parse a JSON number field: a string in the grammar, or a JSON integer."""
    if isinstance(value, bool) or value is None:
        raise CertificateMalformed(f"{value!r} is not a number")
    if isinstance(value, int):
        return Fraction(value)
    if not isinstance(value, str):
        raise CertificateMalformed(f"{value!r} is not an exact number (floats are refused)")
    if len(value) > _MAX_TEXT:
        raise CertificateMalformed("number string too long")
    q = _plain_rational(value)
    if q is not None:
        return q
    low = value.strip().lower().lstrip("+-").strip()
    if low in ("nan", "inf", "infinity"):
        raise CertificateMalformed(f"{value!r} is not finite")
    if not value.strip():
        raise CertificateMalformed("empty number")
    return _NumParser(value).parse()


def _plain_rational(text: str):
    """Fast path for ``"-p/q"`` and ``"p"`` (most enclosure endpoints), or None."""
    num, slash, den = text.partition("/")
    neg = num.startswith("-")
    digits = num[1:] if neg else num
    if not digits.isdigit() or not digits.isascii() or (slash and not (den.isdigit() and den.isascii())):
        return None
    if slash and int(den) == 0:
        raise CertificateMalformed("division by zero in a number")
    p = -int(digits) if neg else int(digits)
    return Fraction(p, int(den)) if slash else Fraction(p)


def _is_rational(x):
    return isinstance(x, Fraction)


# ---------------------------------------------------------------------------
# rational interval arithmetic, rounded outward to a number of significant bits

def _round_down(q: Fraction, bits: int) -> Fraction:
    if q == 0:
        return q
    n, d = q.numerator, q.denominator
    e = n.bit_length() - d.bit_length() if n > 0 else (-n).bit_length() - d.bit_length()
    shift = bits - e
    if shift >= 0:
        k = (n << shift) // d
        return Fraction(k, 1 << shift)
    k = n // (d << -shift)
    return Fraction(k << -shift)


def _round_up(q: Fraction, bits: int) -> Fraction:
    return -_round_down(-q, bits)


def _size(q: Fraction) -> int:
    return q.numerator.bit_length() + q.denominator.bit_length()


def _rnd(iv, bits):
    """Round an interval outward to ``bits`` significant bits (small exact points stay exact)."""
    lo, hi = iv
    if lo == hi and _size(lo) <= 2 * bits + 128:
        return iv
    if _size(lo) > bits + 64:
        lo = _round_down(lo, bits)
    if _size(hi) > bits + 64:
        hi = _round_up(hi, bits)
    return lo, hi


def _pt(q):
    return (q, q)


def _add(a, b):
    return a[0] + b[0], a[1] + b[1]


def _sub(a, b):
    return a[0] - b[1], a[1] - b[0]


def _neg(a):
    return -a[1], -a[0]


def _mul(a, b):
    if a[0] == a[1] and b[0] == b[1]:
        p = a[0] * b[0]
        return p, p
    ps = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    return min(ps), max(ps)


def _scale(q: Fraction, a):
    """``q * a`` for an exact rational ``q``."""
    if q >= 0:
        return q * a[0], q * a[1]
    return q * a[1], q * a[0]


def _div(a, b):
    if b[0] <= 0 <= b[1]:
        raise _Undecided("division by an interval containing 0")
    qs = (a[0] / b[0], a[0] / b[1], a[1] / b[0], a[1] / b[1])
    return min(qs), max(qs)


def _square(a):
    lo, hi = a
    if lo >= 0:
        return lo * lo, hi * hi
    if hi <= 0:
        return hi * hi, lo * lo
    return Fraction(0), max(lo * lo, hi * hi)


def _sqrt_lo(q: Fraction, bits: int) -> Fraction:
    if q <= 0:
        return Fraction(0)
    r = _exact_sqrt(q)
    if r is not None and _size(r) <= 2 * bits + 128:
        return r
    n, d = q.numerator, q.denominator
    # sqrt(n/d) = sqrt(n d)/d; scale by 4^k so that the integer root has >= bits+2 bits
    k = max(0, bits + 2 - (n * d).bit_length() // 2)
    return Fraction(math.isqrt((n * d) << (2 * k)), d << k)


def _sqrt_hi(q: Fraction, bits: int) -> Fraction:
    if q <= 0:
        return Fraction(0)
    r = _exact_sqrt(q)
    if r is not None and _size(r) <= 2 * bits + 128:
        return r
    n, d = q.numerator, q.denominator
    k = max(0, bits + 2 - (n * d).bit_length() // 2)
    m = (n * d) << (2 * k)
    s = math.isqrt(m)
    if s * s < m:
        s += 1
    return Fraction(s, d << k)


def _sqrt(a, bits):
    if a[1] < 0:
        raise _Undecided("square root of a negative interval")
    return _sqrt_lo(max(a[0], Fraction(0)), bits), _sqrt_hi(a[1], bits)


def _positive_sqrt(a, bits):
    """sqrt of a LayerNorm variance: exactly 0 raises _ZeroVariance, not proven > 0 raises _Undecided."""
    if a[0] == 0 and a[1] == 0:
        raise _ZeroVariance()
    if a[0] <= 0:
        raise _Undecided("LayerNorm variance not proven positive")
    return _sqrt(a, bits)


def _inside(a, b) -> bool:
    return b[0] <= a[0] and a[1] <= b[1]


def _hull(*ivs):
    return min(i[0] for i in ivs), max(i[1] for i in ivs)


def _num_iv(x, bits, memo):
    """Interval of a parsed number (exact point when rational)."""
    if isinstance(x, Fraction):
        return (x, x)
    key = (id(x), bits)
    if key in memo:
        return memo[key][1]
    op, a, b = x
    ia = _num_iv(a, bits + 8, memo)
    ib = None if b is None else _num_iv(b, bits + 8, memo)
    if op == "add":
        r = _add(ia, ib)
    elif op == "sub":
        r = _sub(ia, ib)
    elif op == "mul":
        r = _mul(ia, ib)
    elif op == "div":
        r = _div(ia, ib)
    elif op == "neg":
        r = _neg(ia)
    else:
        r = _sqrt(ia, bits + 8)
    r = _rnd(r, bits + 8)
    memo[key] = (x, r)
    return r


# ---------------------------------------------------------------------------
# the network, read independently of lnnet_construct

class _JsonFloat(str):
    pass


def _load_json(path_or_dict):
    if isinstance(path_or_dict, dict):
        return json.loads(json.dumps(path_or_dict), parse_float=_JsonFloat)
    try:
        with open(path_or_dict, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as e:
        raise CertificateMalformed(f"{path_or_dict}: cannot read ({e.strerror})") from None
    try:
        return json.loads(text, parse_float=_JsonFloat, parse_constant=_bad_constant)
    except ValueError as e:
        raise CertificateMalformed(f"{path_or_dict}: not valid JSON ({e})") from None
    except RecursionError:
        raise CertificateMalformed(f"{path_or_dict}: JSON nested too deeply") from None


def _bad_constant(name):
    raise ValueError(f"{name} is not allowed")


def _num(v, where):
    if isinstance(v, _JsonFloat):
        raise CertificateMalformed(f"{where}: JSON float {v} (exact numbers are strings)")
    try:
        return parse_number(v)
    except CertificateMalformed as e:
        raise CertificateMalformed(f"{where}: {e}") from None


def _nums(vs, where):
    if not isinstance(vs, list):
        raise CertificateMalformed(f"{where}: expected a list")
    return [_num(v, f"{where}[{i}]") for i, v in enumerate(vs)]


class Model:
    """The network of a certificate, parsed and checked by this module alone."""

    def __init__(self, doc):
        if not isinstance(doc, dict) or doc.get("format") != "lnnet" or doc.get("version") != 1:
            raise CertificateMalformed("network: expected format 'lnnet' version 1")
        d = doc.get("input_dim")
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise CertificateMalformed("network: bad input_dim")
        self.input_dim = d
        classes = doc.get("classes")
        if not isinstance(classes, list) or any(isinstance(c, (bool, list, dict)) or c is None for c in classes):
            raise CertificateMalformed("network: bad classes")
        self.classes = [str(c) for c in classes]
        if len(set(self.classes)) != len(self.classes):
            raise CertificateMalformed("network: duplicate classes")
        self.decision = doc.get("decision")
        if self.decision not in ("sign", "argmax"):
            raise CertificateMalformed("network: bad decision")
        layers = doc.get("layers")
        if not isinstance(layers, list):
            raise CertificateMalformed("network: layers must be a list")
        self.layers = []
        width = d
        for i, L in enumerate(layers):
            where = f"network.layers[{i}]"
            if not isinstance(L, dict):
                raise CertificateMalformed(f"{where}: expected an object")
            if L.get("type") == "affine":
                W = L.get("weight")
                if not isinstance(W, list) or not W:
                    raise CertificateMalformed(f"{where}: bad weight")
                W = [_nums(r, f"{where}.weight[{k}]") for k, r in enumerate(W)]
                b = _nums(L.get("bias"), f"{where}.bias")
                if any(len(r) != width for r in W) or len(b) != len(W):
                    raise CertificateMalformed(f"{where}: shapes do not chain")
                self.layers.append(("affine", W, b))
                width = len(W)
            elif L.get("type") == "layernorm":
                eps = _num(L.get("eps", "0"), f"{where}.eps")
                g = L.get("groups", 1)
                if isinstance(g, bool) or not isinstance(g, int) or g < 1 or width % g:
                    raise CertificateMalformed(f"{where}: bad groups")
                gam = _nums(L["weight"], f"{where}.weight") if "weight" in L else None
                bet = _nums(L["bias"], f"{where}.bias") if "bias" in L else None
                for v in (gam, bet):
                    if v is not None and len(v) != width:
                        raise CertificateMalformed(f"{where}: affine of the wrong length")
                if isinstance(eps, Fraction) and eps < 0:
                    raise CertificateMalformed(f"{where}: negative eps")
                self.layers.append(("ln", eps, g, gam, bet))
            else:
                raise CertificateMalformed(f"{where}: unknown layer type")
        self.output_dim = width
        if self.decision == "sign" and (width != 1 or len(self.classes) != 2):
            raise CertificateMalformed("network: a sign network needs 1 output and 2 classes")
        if self.decision == "argmax" and len(self.classes) != width:
            raise CertificateMalformed("network: argmax needs one class per output")
        if self.layers and self.layers[-1][0] == "affine":
            self.body = self.layers[:-1]
            self.W, self.b = self.layers[-1][1], self.layers[-1][2]
        else:
            self.body = self.layers
            self.W = [[Fraction(int(i == j)) for j in range(width)] for i in range(width)]
            self.b = [Fraction(0)] * width
        self.memo = {}
        self._chain = None
        self._rows = {}

    def rows(self, c):
        """Decision quantities ``(r, bias)`` for label class ``c`` (each must be > 0 to win)."""
        got = self._rows.get(c)
        if got is None:
            W, b = self.W, self.b
            if self.decision == "sign":
                if c == 1:
                    got = [(W[0], b[0])]
                else:
                    got = [([_num_op("neg", w) for w in W[0]], _num_op("neg", b[0]))]
            else:
                got = [([_num_op("sub", x, y) for x, y in zip(W[c], W[k])], _num_op("sub", b[c], b[k]))
                       for k in range(len(W)) if k != c]
            self._rows[c] = got
        return got

    # --- chain structure -------------------------------------------------
    def chain(self):
        """Per LN layer ``(Pp, C, b, eps, n)`` and read-outs, or raise CertificateMalformed."""
        if self._chain is not None:
            return self._chain
        L = self.layers
        if len(L) < 3 or len(L) % 2 == 0 or any(L[k][0] != ("affine" if k % 2 == 0 else "ln") for k in range(len(L))):
            raise CertificateMalformed("mode 'chain' but the network is not affine, LN, ..., affine")
        stages, reads = [], []
        for k in range(0, len(L) - 1, 2):
            _, W, b = L[k]
            _, eps, g, gam, bet = L[k + 1]
            if g != 1 or gam is not None or bet is not None:
                raise CertificateMalformed("mode 'chain' but an LN has groups or an affine")
            pq = _rank1(W)
            if pq is None:
                raise CertificateMalformed(f"mode 'chain' but layers[{k}] is not a rational rank-1 matrix")
            p, q = pq
            n = len(p)
            mean = sum(p, Fraction(0)) / n
            Pp = [x - mean for x in p]
            C = sum((x * x for x in Pp), Fraction(0)) / n
            if C == 0 or n < 2:
                raise CertificateMalformed("mode 'chain' but a LayerNorm input does not depend on its scalar")
            stages.append({"Pp": Pp, "C": C, "b": b, "eps": eps, "n": n, "memo": {}})
            reads.append(q)
        self._chain = (reads, stages)
        return self._chain


def _rank1(W):
    if any(not _is_rational(v) for row in W for v in row):
        return None
    pivot = next(((i, j) for i, row in enumerate(W) for j, v in enumerate(row) if v != 0), None)
    if pivot is None:
        return None
    i0, j0 = pivot
    q = list(W[i0])
    p = [row[j0] / q[j0] for row in W]
    if any(p[i] * q[j] != W[i][j] for i in range(len(W)) for j in range(len(q))):
        return None
    return p, q


# ---------------------------------------------------------------------------
# one step of each kind (shared by the checker and by the certificate writer)

def _stage_consts(model, st, bits):
    """Intervals of ``sigma0, C, E'`` and of ``Pb`` for a chain stage at ``bits``."""
    key = ("stage", bits)
    if key in st["memo"]:
        return st["memo"][key]
    n, Pp, C = st["n"], st["Pp"], st["C"]
    wb = bits + 32
    bs = [_rnd(_num_iv(v, wb, model.memo), wb) for v in st["b"]]
    # centred entries: (1 - 1/n) b_i - (1/n) sum_{j != i} b_j, each input once
    Pb = []
    for i in range(n):
        acc = _scale(Fraction(n - 1, n), bs[i])
        for j in range(n):
            if j != i:
                acc = _add(acc, _scale(Fraction(-1, n), bs[j]))
        Pb.append(_rnd(acc, wb))
    D = (Fraction(0), Fraction(0))
    for a, x in zip(Pp, Pb):
        D = _add(D, _scale(a, x))
    D = _scale(Fraction(1, n), D)
    sigma0 = _rnd(_scale(-1 / C, D), wb)
    cross = (Fraction(0), Fraction(0))
    for i in range(n):
        for j in range(i + 1, n):
            cross = _add(cross, _square(_sub(_scale(Pp[i], Pb[j]), _scale(Pp[j], Pb[i]))))
    E1 = _add(_scale(1 / (n * n * C), cross), _num_iv(st["eps"], wb, model.memo))
    E1 = _rnd((max(E1[0], Fraction(0)), E1[1]), wb)
    got = (sigma0, C, E1, Pb)
    st["memo"][key] = got
    return got


def _readout(model, st, r, bits):
    """``(A, B', s*)`` for read-out ``r`` (``s*`` None: monotone; "unknown": B' not separated from 0)."""
    key = ("ro", bits, id(r))  # read-out vectors are owned by the model and live as long as the memo
    if key in st["memo"]:
        return st["memo"][key]
    sigma0, C, E1, Pb = _stage_consts(model, st, bits)
    wb = bits + 32
    if not all(_is_rational(v) for v in r):
        raise CertificateMalformed("a read-out with algebraic weights in mode 'chain'")
    A = sum((a * x for a, x in zip(r, st["Pp"])), Fraction(0))
    B = (Fraction(0), Fraction(0))
    for a, x in zip(r, Pb):
        if a != 0:
            B = _add(B, _scale(a, x))
    B1 = _rnd(B if A == 0 else _add(B, _scale(A, sigma0)), wb)
    if B1 == (0, 0):
        sstar = None
    elif B1[0] <= 0 <= B1[1]:
        sstar = "unknown"
    elif A == 0 or E1 == (0, 0):
        sstar = _pt(Fraction(0))
    else:
        sstar = _rnd(_div(_scale(A, E1), _scale(C, B1)), wb)
    got = (A, B1, sstar)
    st["memo"][key] = got
    return got


def _g(A, B1, C, E1, s, bits):
    num = _add(_scale(A, s), B1)
    Q = _add(_scale(C, _square(s)), E1)
    if Q[0] <= 0:
        raise _Undecided("LayerNorm variance not proven positive")
    return _rnd(_div(num, _sqrt(Q, bits + 16)), bits + 16)


def chain_image(model, k, sigma, r, bits):
    """Enclosure of ``r · LN_k(p_k sigma + b_k)`` for all sigma in the interval (one chain step)."""
    reads, stages = model.chain()
    st = stages[k]
    sigma0, C, E1, Pb = _stage_consts(model, st, bits)
    s = _sub(sigma, sigma0)
    # the variance C s^2 + E' must be proven positive on the whole interval
    if C * _square(s)[0] + E1[0] <= 0:
        if s == (0, 0) and E1 == (0, 0):
            raise _ZeroVariance()
        raise _Undecided("LayerNorm variance not proven positive")
    A, B1, sstar = _readout(model, st, r, bits)
    if A == 0 and B1 == (0, 0):
        return _pt(Fraction(0))
    if sstar == "unknown":
        return _rnd(_g(A, B1, C, E1, s, bits), bits)
    parts = [_g(A, B1, C, E1, _pt(s[0]), bits), _g(A, B1, C, E1, _pt(s[1]), bits)]
    if sstar is not None and sstar[0] <= s[1] and s[0] <= sstar[1]:
        parts.append(_g(A, B1, C, E1, (max(sstar[0], s[0]), min(sstar[1], s[1])), bits))
    return _rnd(_hull(*parts), bits)


def layer_image(model, layer, box, bits):
    """Enclosure of one layer applied to a box (generic mode)."""
    wb = bits + 16
    if layer[0] == "affine":
        _, W, b = layer
        out = []
        for row, bi in zip(W, b):
            acc = _num_iv(bi, wb, model.memo)
            for w, x in zip(row, box):
                if w != 0:
                    acc = _add(acc, _scale(w, x) if _is_rational(w) else _mul(_num_iv(w, wb, model.memo), x))
            out.append(_rnd(acc, bits))
        return out
    _, eps, groups, gam, bet = layer
    n = len(box)
    s = n // groups
    epsi = _num_iv(eps, wb, model.memo)
    out = []
    for g in range(groups):
        blk = box[g * s:(g + 1) * s]
        cen = []
        for i in range(s):
            acc = _scale(Fraction(s - 1, s), blk[i])
            for j in range(s):
                if j != i:
                    acc = _add(acc, _scale(Fraction(-1, s), blk[j]))
            cen.append(acc)
        var = (Fraction(0), Fraction(0))
        for c in cen:
            var = _add(var, _square(c))
        var = _add(_scale(Fraction(1, s), var), epsi)
        den = _positive_sqrt(var, wb)
        out.extend(_div(c, den) for c in cen)
    if gam is not None:
        out = [_mul(_num_iv(w, wb, model.memo), y) for w, y in zip(gam, out)]
    if bet is not None:
        out = [_add(y, _num_iv(v, wb, model.memo)) for y, v in zip(out, bet)]
    return [_rnd(y, bits) for y in out]


def head_values(model, y_or_sigma, c, bits, chain: bool):
    """Enclosures of the decision quantities for label class ``c``."""
    wb = bits + 16
    vals = []
    for r, bias in model.rows(c):
        bi = _num_iv(bias, wb, model.memo)
        if chain:
            v = _add(chain_image(model, len(model.chain()[1]) - 1, y_or_sigma, r, bits), bi)
        else:
            acc = bi
            for w, x in zip(r, y_or_sigma):
                if w != 0:
                    acc = _add(acc, _scale(w, x) if _is_rational(w) else _mul(_num_iv(w, wb, model.memo), x))
            v = acc
        vals.append(v)
    return vals


def decide(vals):
    """'VERIFIED', 'REFUTED' or None from the decision quantities' enclosures."""
    if all(v[0] > 0 for v in vals):
        return "VERIFIED"
    if any(v[1] <= 0 for v in vals):
        return "REFUTED"
    return None


def walk(model, mode, point, c, bits, claims=None):
    """Re-derive (``claims`` given: check) the enclosures of one point.

    Returns ``(enclosures, verdict, note)``; ``verdict`` is what the
    enclosures prove (None: nothing).  With ``claims``, each recomputed
    image must lie inside the claimed enclosure, and the walk continues from
    the claim; a containment failure raises ``AssertionError`` with a reason.
    """
    wb = bits + 16
    x = [_rnd(_num_iv(v, wb, model.memo), wb) for v in point]
    encl = []
    try:
        if mode == "chain":
            reads, stages = model.chain()
            sigma = (Fraction(0), Fraction(0))
            for a, xi in zip(reads[0], x):
                if a != 0:
                    sigma = _add(sigma, _scale(a, xi))
            sigma = _rnd(sigma, bits)
            for k in range(len(stages)):
                sigma = _claim(sigma, claims, k, f"sigma_{k + 1}")
                encl.append(sigma)
                if k + 1 < len(stages):
                    sigma = chain_image(model, k, sigma, reads[k + 1], bits)
            return encl, decide(head_values(model, sigma, c, bits, True)), ""
        box = x
        for k, layer in enumerate(model.body):
            box = layer_image(model, layer, box, bits)
            if claims is not None:
                if k >= len(claims) or not isinstance(claims[k], list) or len(claims[k]) != len(box):
                    raise AssertionError(f"enclosure {k} missing or of the wrong size")
                box = [_claim(v, [claims[k][j]], 0, f"layer {k} coordinate {j}") for j, v in enumerate(box)]
            encl.append(box)
        return encl, decide(head_values(model, box, c, bits, False)), ""
    except _ZeroVariance:
        return encl, "REFUTED", "zero-variance"
    except _Undecided as e:
        return encl, None, str(e)


def _claim(value, claims, k, what):
    if claims is None:
        return value
    if k >= len(claims):
        raise AssertionError(f"no claimed enclosure for {what}")
    got = claims[k]
    if not _inside(value, got):
        raise AssertionError(f"{what}: recomputed [{float(value[0]):.17g}, {float(value[1]):.17g}] "
                             f"is not inside the claimed [{float(got[0]):.17g}, {float(got[1]):.17g}]")
    return got


# ---------------------------------------------------------------------------
# the checker

def _interval(v, where):
    if not isinstance(v, list) or len(v) != 2:
        raise CertificateMalformed(f"{where}: expected [lo, hi]")
    lo, hi = _num(v[0], where), _num(v[1], where)
    if not (_is_rational(lo) and _is_rational(hi)) or lo > hi:
        raise CertificateMalformed(f"{where}: enclosure endpoints must be rationals with lo <= hi")
    return lo, hi


def _parse_claims(raw, mode, where):
    if not isinstance(raw, list):
        raise CertificateMalformed(f"{where}: enclosures must be a list")
    if mode == "chain":
        return [_interval(v, f"{where}[{k}]") for k, v in enumerate(raw)]
    out = []
    for k, box in enumerate(raw):
        if not isinstance(box, list):
            raise CertificateMalformed(f"{where}[{k}]: expected a list of intervals")
        out.append([_interval(v, f"{where}[{k}][{j}]") for j, v in enumerate(box)])
    return out


def replay_certificate(path_or_dict) -> ReplayResult:
    """Re-check a certificate (a path, or the parsed dict); see the module docstring."""
    res = ReplayResult()
    try:
        doc = _load_json(path_or_dict)
        _check(doc, res)
    except CertificateMalformed as e:
        res.malformed = True
        res.accepted = False
        res.reason = str(e)
        return res
    res.accepted = not res.failures
    if res.failures:
        res.reason = f"entry {res.failures[0][0]}: {res.failures[0][1]}"
    return res


def _check(doc, res: ReplayResult):
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise CertificateMalformed(f"expected format {FORMAT!r} version {VERSION}")
    mode = doc.get("mode")
    if mode not in ("chain", "generic"):
        raise CertificateMalformed("mode must be 'chain' or 'generic'")
    model = Model(doc.get("network"))
    points, labels, entries = doc.get("points"), doc.get("labels"), doc.get("entries")
    if not (isinstance(points, list) and isinstance(labels, list) and isinstance(entries, list)):
        raise CertificateMalformed("points, labels and entries must be lists")
    if not (len(points) == len(labels) == len(entries)):
        raise CertificateMalformed("points, labels and entries differ in length")
    if mode == "chain":
        model.chain()
    counts = {"VERIFIED": 0, "REFUTED": 0, "INCONCLUSIVE": 0}
    for i, (p, lab, e) in enumerate(zip(points, labels, entries)):
        where = f"entries[{i}]"
        if not isinstance(e, dict):
            raise CertificateMalformed(f"{where}: expected an object")
        pt = _nums(p, f"points[{i}]")
        if len(pt) != model.input_dim:
            raise CertificateMalformed(f"points[{i}]: wrong dimension")
        if isinstance(lab, (dict, list, bool)) or lab is None:
            raise CertificateMalformed(f"labels[{i}]: expected text")
        verdict = e.get("verdict")
        if verdict not in counts:
            raise CertificateMalformed(f"{where}: bad verdict {verdict!r}")
        counts[verdict] += 1
        _check_entry(model, mode, i, pt, str(lab), e, verdict, res)
    summary = doc.get("summary")
    if summary is not None:
        for k, v in counts.items():
            if summary.get(k.lower()) != v:
                res.failures.append((-1, f"summary says {summary.get(k.lower())} {k.lower()}, entries say {v}"))


def _check_entry(model, mode, i, pt, label, e, verdict, res):
    if label not in model.classes:
        if verdict != "REFUTED":
            res.failures.append((i, f"label {label!r} is not a class, so the verdict must be REFUTED"))
        else:
            res.checked += 1
        return
    if verdict == "INCONCLUSIVE":
        return
    bits = e.get("bits")
    if isinstance(bits, bool) or not isinstance(bits, int) or not 2 <= bits <= MAX_BITS:
        raise CertificateMalformed(f"entries[{i}]: bits must be an integer in [2, {MAX_BITS}]")
    claims = _parse_claims(e.get("enclosures"), mode, f"entries[{i}].enclosures")
    evidence = e.get("evidence", "enclosures")
    c = model.classes.index(label)
    try:
        _, proven, note = walk(model, mode, pt, c, bits, claims)
    except AssertionError as err:
        res.failures.append((i, str(err)))
        return
    if proven == verdict:
        res.checked += 1
        return
    if verdict == "REFUTED" and evidence == "exact" and proven is None:
        res.unchecked.append((i, "refuted by exact algebra that this checker does not redo"))
        return
    if proven is not None:
        what = proven
    else:
        what = f"nothing ({note})" if note else "nothing"
    res.failures.append((i, f"claims {verdict} but the enclosures prove {what}"))


def main(argv=None) -> int:
    """``python replay.py CERT``: print the outcome; exit 0 accepted, 1 rejected, 3 malformed."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python replay.py CERTIFICATE", file=sys.stderr)
        return 3
    res = replay_certificate(argv[0])
    print(res.summary())
    return res.exit_code


if __name__ == "__main__":
    sys.exit(main())
