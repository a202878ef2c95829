r"""Exact detection of rank-1 scalar chains, and the scalar map of each LayerNorm layer.

A network is a **rank-1 scalar chain** when its layers are

    Affine_1, LN_1, Affine_2, LN_2, ..., Affine_L, LN_L, Affine_out      (L >= 1)

with every ``Affine_k`` (k <= L) of rank exactly 1, ``W_k = p_k q_k^T`` with
rational entries, and every LN without elementwise affine and with one
group.  Every network the constructions emit has this shape (MATH.md §2.2:
``v1 w^T``, ``v1 v2^T``).  Then the hidden state is a function of one scalar
per layer: ``sigma_1 = q_1 · x`` and, with ``z = p_k sigma_k + b_k``,

.. math::

    \sigma_{k+1} = q_{k+1} \cdot \mathrm{LN}(z)
                 = \frac{A\sigma + B}{\sqrt{C\sigma^2 + 2D\sigma + E}},\qquad
    \begin{aligned}
    A &= q'\cdot Pp, & B &= q'\cdot Pb, & C &= |Pp|^2/n,\\
    D &= Pp\cdot Pb/n, & E &= |Pb|^2/n + \varepsilon
    \end{aligned}

(``P`` the centring projector, ``n`` the width).  In the centred variable
``s = sigma - sigma0`` with ``sigma0 = -D/C`` this is

.. math::

    g(s) = \frac{A s + B'}{\sqrt{C s^2 + E'}},\qquad B' = B + A\sigma_0,\quad
    E' = E - D^2/C = \frac{\sum_{i<j}(Pp_i Pb_j - Pp_j Pb_i)^2}{n^2 C} + \varepsilon \ \ge 0,

and ``g'(s) = (A E' - B' C s) / (C s^2 + E')^{3/2}`` has an affine numerator
(``proofs/ln-one-stationary.md``, the derivative identity):
``g`` is monotone (``B' = 0``) or has the single stationary point
``s* = A E' / (B' C)``.  The exact image of an interval on which the
LayerNorm is defined is therefore the hull of ``g`` at its endpoints and at
``s*`` when ``s*`` lies inside.  ``E' > 0``
means the LayerNorm is defined for every input; ``E' = 0`` happens only when
``Pb`` is parallel to ``Pp`` and ``eps = 0`` (LN is then a sign unit whose
variance vanishes at ``s = 0``).

The structural facts (rank 1, ``A = 0``, ``B' = 0``, ``E' = 0``) are decided
exactly: by an arb enclosure when it excludes 0, otherwise by exact
arithmetic.  The numeric constants are enclosed in arb balls computed from
the exact parameters at the precision asked for (:meth:`Stage.arb`,
:meth:`Readout.arb`), which stays cheap even when the fold centres are
rationals with thousands of digits.  When an algebraic constant's sign
cannot be settled the network is not treated as a chain (the generic path
is always available).

Examples
--------
>>> from lnnet_construct.fold import fold_network
>>> net = fold_network([1, 0], [(1, 1), (2, "1/2")], ("sign", 3, 1), classes=["a", "b"])
>>> ch = detect_chain(net)
>>> ch.depth, ch.q1
(2, (Fraction(1, 1), Fraction(0, 1)))
>>> ch.stages[0].exact_constants()      # (C, sigma0, E'): sigma0 is the fold centre c = 1
(Fraction(2, 3), Fraction(1, 1), Fraction(2, 1))
>>> ro = ch.inner[0]
>>> ro.A, ro.a_zero, ro.b1_zero, ro.exact_constants()   # read v2: A = v2·v1 = 0, s* = 0
(Fraction(0, 1), True, False, (Fraction(0, 1), Fraction(6, 1), Fraction(0, 1)))
"""

from __future__ import annotations

from fractions import Fraction

import flint

from ..arith.base import Sign
from ..network import Affine, LayerNorm, Network
from ..numbers import Expr

__all__ = ["Chain", "Stage", "Readout", "detect_chain", "chain_reason", "constant_sign", "to_arb"]

#: Precisions (bits) tried when deciding the sign of an algebraic constant.
_CONST_BITS = (128, 1024, 4096)
#: Precision of the arb enclosures used to settle structural signs quickly.
_TEST_BITS = 192


def constant_sign(x) -> Sign:
    """Exact sign of a rational, or of an algebraic constant when arb can settle it.

    Returns UNKNOWN (never guesses) for an algebraic number that arb cannot
    separate from 0 at 4096 bits; an exact zero test is deliberately not
    attempted here (it can be very slow), the caller falls back instead.

    >>> from lnnet_construct.numbers import parse_number
    >>> constant_sign(Fraction(-1, 3)), constant_sign(parse_number("sqrt(2) - 1"))
    (<Sign.NEGATIVE: -1>, <Sign.POSITIVE: 1>)
    >>> constant_sign(parse_number("sqrt(2)*sqrt(2) - 2"))
    <Sign.UNKNOWN: 2>
    """
    if not isinstance(x, Expr):
        return Sign.of_fraction(Fraction(x))
    from ..arith.arb import ArbArith

    for bits in _CONST_BITS:
        s = ArbArith(bits).sign_of_exact(x)
        if s.is_known:
            return s
    return Sign.UNKNOWN


def to_arb(x, prec: int):
    """Arb ball enclosing an exact number at the current flint precision (``prec`` for Exprs).

    Must be called while ``flint.ctx.prec == prec``.
    """
    if isinstance(x, Expr):
        from ..arith.arb import ArbArith

        return ArbArith(prec).const(x)
    if isinstance(x, int):
        return flint.arb(x)
    return flint.arb(flint.fmpq(x.numerator, x.denominator))


class _precision:
    """Sets ``flint.ctx.prec`` for a block (a plain class: this runs thousands of times per network)."""

    __slots__ = ("prec", "old")

    def __init__(self, prec: int):
        self.prec = prec

    def __enter__(self):
        self.old = flint.ctx.prec
        flint.ctx.prec = self.prec

    def __exit__(self, *exc):
        flint.ctx.prec = self.old


def _fmpq(x):
    return flint.fmpq(x.numerator, x.denominator)


def _is_rational(values) -> bool:
    return not any(isinstance(v, Expr) for v in values)


def _dot(u, v):
    total = Fraction(0)
    for a, b in zip(u, v):
        if a == 0 or b == 0:  # keeps Expr trees small
            continue
        total = total + a * b
    return total


def _centre(v):
    n = len(v)
    mean = _dot(v, [Fraction(1)] * n) / n
    return tuple(x - mean for x in v)


def _arb_sign(ball) -> Sign:
    if not ball.is_finite():
        return Sign.UNKNOWN
    if ball > 0:
        return Sign.POSITIVE
    if ball < 0:
        return Sign.NEGATIVE
    if ball.is_zero():
        return Sign.ZERO
    return Sign.UNKNOWN


class Stage:
    """One LayerNorm layer of a chain: its input ``z = p sigma + b`` (``p`` rational) and constants."""

    def __init__(self, p, b, eps, _pp_cache=None):
        self.n = len(p)
        got = None if _pp_cache is None else _lookup(_pp_cache, p)
        if got is None:
            Pp = _centre(p)
            got = (Pp, _dot(Pp, Pp) / self.n, [])
            if _pp_cache is not None:
                _pp_cache.append((p, got))
        self.Pp, self.C, self._slopes = got  # _slopes: (r, r · Pp) pairs shared by stages with this p
        self.b = tuple(b)
        self.eps = eps
        self._arb: dict = {}
        self._exact = None
        self._q = None
        self._ro: list = []
        self.e1_zero = None  # set by _decide()

    def rational(self):
        """``(sigma0, C, E', Pb)`` as exact ``fmpq`` when ``b`` and ``eps`` are rational, else None.

        The fast path for constructed networks: a few exact operations per
        layer decide the structure and seed every arb enclosure.
        """
        if self._q is None:
            self._q = False
            if _is_rational(self.b) and _is_rational((self.eps,)):
                n = self.n
                b = [_fmpq(v) for v in self.b]
                mean = sum(b[1:], b[0]) / n
                Pb = [v - mean for v in b]
                Pp = [_fmpq(v) for v in self.Pp]
                C = _fmpq(self.C)
                D = sum((a * c for a, c in zip(Pp, Pb)), flint.fmpq(0)) / n
                E = sum((c * c for c in Pb), flint.fmpq(0)) / n + _fmpq(Fraction(self.eps))
                self._q = (-D / C, C, E - D * D / C, Pb)
        return self._q or None

    def _decide(self) -> bool:
        """Settle ``E' = 0`` exactly; False when it cannot be settled."""
        if self.C == 0:
            return False
        se = constant_sign(self.eps)
        if not se.is_known or se is Sign.NEGATIVE:
            return False
        if se is Sign.POSITIVE:
            self.e1_zero = False
            return True
        q = self.rational()
        if q is not None:
            self.e1_zero = q[2] == 0
            return True
        s = _arb_sign(self.arb(_TEST_BITS)[2])
        if s is Sign.POSITIVE:
            self.e1_zero = False
            return True
        # exact: E' n^2 C = sum_{i<j} (Pp_i Pb_j - Pp_j Pb_i)^2 (eps = 0 here)
        Pb = _centre(self.b)
        signs = []
        for i in range(self.n):
            for j in range(i + 1, self.n):
                signs.append(constant_sign(self.Pp[i] * Pb[j] - self.Pp[j] * Pb[i]))
        if any(not s.is_known for s in signs):
            return False
        self.e1_zero = all(s is Sign.ZERO for s in signs)
        return True

    def exact_constants(self):
        """``(C, sigma0, E')`` exactly (Fraction or Expr); slow for huge rationals, for tests."""
        if self._exact is None:
            Pb = _centre(self.b)
            D = _dot(self.Pp, Pb) / self.n
            E = _dot(Pb, Pb) / self.n + self.eps
            self._exact = (self.C, -D / self.C, E - D * D / self.C, Pb)
        return self._exact[:3]

    def arb(self, prec: int):
        """``(sigma0, C, E', Pb)`` as arb balls at ``prec`` bits (sets the precision while computing)."""
        got = self._arb.get(prec)
        q = self.rational() if got is None else None
        if q is not None:
            s0, C, E1, Pb = q
            with _precision(prec):
                got = (flint.arb(s0), flint.arb(C), flint.arb(0) if self.e1_zero else flint.arb(E1),
                       [flint.arb(v) for v in Pb])
            self._arb[prec] = got
        if got is None:
            with _precision(prec):
                n = self.n
                bs = [to_arb(v, prec) for v in self.b]
                mean = sum(bs[1:], bs[0]) / n
                Pb = [v - mean for v in bs]
                Pp = [to_arb(v, prec) for v in self.Pp]
                C = to_arb(self.C, prec)
                D = sum((a * b for a, b in zip(Pp, Pb)), flint.arb(0)) / n
                cross = flint.arb(0)
                for i in range(n):
                    for j in range(i + 1, n):
                        t = Pp[i] * Pb[j] - Pp[j] * Pb[i]
                        cross += t * t
                # E' from the Lagrange identity: a sum of squares, never negative
                E1 = (cross / (n * n * C)).nonnegative_part() + to_arb(self.eps, prec)
                if self.e1_zero:
                    E1 = flint.arb(0)
                got = (-D / C, C, E1, Pb)
            self._arb[prec] = got
        return got

    def readout(self, r) -> "Readout | None":
        """The read-out ``r · LN(z)`` (cached); None if one of its structural signs is undecidable."""
        key = tuple(r)
        found = _lookup(self._ro, key, missing=False)
        if found is not False:
            return found
        ro = Readout(self, key)
        ro = ro if ro._decide() else None
        self._ro.append((key, ro))
        return ro


class Readout:
    """``g(s) = (A s + B') / sqrt(C s^2 + E')`` for one read-out vector ``r`` of a stage."""

    def __init__(self, stage: Stage, r):
        self.stage = stage
        self.r = r
        A = _lookup(stage._slopes, r)
        if A is None:
            A = _dot(r, stage.Pp)
            stage._slopes.append((r, A))
        self.A = A
        self.a_zero = self.A == 0
        self.b1_zero = None
        self._arb: dict = {}
        self._b1q = None

    def rational_b1(self):
        """``B'`` as an exact ``fmpq`` when the stage and ``r`` are rational, else None."""
        if self._b1q is None:
            self._b1q = False
            q = self.stage.rational()
            if q is not None and _is_rational(self.r):
                s0, _, _, Pb = q
                B = sum((_fmpq(a) * c for a, c in zip(self.r, Pb) if a != 0), flint.fmpq(0))
                self._b1q = B if self.a_zero else B + _fmpq(self.A) * s0
        return None if self._b1q is False else self._b1q

    @property
    def is_zero(self) -> bool:
        """True when ``g`` is identically 0 (wherever the LayerNorm is defined)."""
        return self.a_zero and self.b1_zero

    def _decide(self) -> bool:
        st = self.stage
        if all(v == 0 for v in self.r):
            self.b1_zero = True
            return True
        q = self.rational_b1()
        if q is not None:
            self.b1_zero = q == 0
            return True
        s = _arb_sign(self._b1_ball(_TEST_BITS))
        if s.is_known and s is not Sign.ZERO:
            self.b1_zero = False
            return True
        # exact: B' = r · (Pb - (Pp·Pb / |Pp|^2) Pp)
        Pb = _centre(st.b)
        B1 = _dot(self.r, Pb) - self.A * _dot(st.Pp, Pb) / (st.C * st.n) if not self.a_zero else _dot(self.r, Pb)
        sb = constant_sign(B1)
        if not sb.is_known:
            return False
        self.b1_zero = sb is Sign.ZERO
        return True

    def _b1_ball(self, prec):
        q = self.rational_b1()
        if q is not None:
            with _precision(prec):
                return flint.arb(q)
        st = self.stage
        sigma0, C, E1, Pb = st.arb(prec)
        with _precision(prec):
            B = sum((to_arb(a, prec) * b for a, b in zip(self.r, Pb) if a != 0), flint.arb(0))
            return B if self.a_zero else B + to_arb(self.A, prec) * sigma0

    def exact_constants(self):
        """``(A, B', s*)`` exactly (``s*`` None when ``g`` is monotone); for tests."""
        C, sigma0, E1 = self.stage.exact_constants()
        Pb = self.stage._exact[3]
        B1 = _dot(self.r, Pb) + self.A * sigma0
        if self.b1_zero:
            sstar = None
        elif self.a_zero or self.stage.e1_zero:
            sstar = Fraction(0)
        else:
            sstar = self.A * E1 / (B1 * C)
        return self.A, B1, sstar

    def slope(self, prec: int):
        """``J = A/sqrt(C)`` as an arb ball: ``g(s) = (J s + K)/sqrt(s^2 + F)`` (0 for a plain fold)."""
        if self.a_zero:
            return flint.arb(0)
        C = self.stage.arb(prec)[1]
        with _precision(prec):
            return to_arb(self.A, prec) / C.sqrt()

    def arb(self, prec: int):
        """``(A, B', s*, K, F)`` as arb balls at ``prec`` bits, ``K = B'/sqrt(C)``, ``F = E'/C``.

        ``s*`` is None when ``g`` is monotone; B', s*, K are exact zeros where
        the structure says so.
        """
        got = self._arb.get(prec)
        if got is None:
            st = self.stage
            sigma0, C, E1, Pb = st.arb(prec)
            with _precision(prec):
                A = to_arb(self.A, prec)
                if self.b1_zero:
                    B1 = flint.arb(0)
                    sstar = None
                else:
                    B1 = self._b1_ball(prec)
                    sstar = flint.arb(0) if (self.a_zero or st.e1_zero) else A * E1 / (B1 * C)
                K = B1 / C.sqrt() if not self.b1_zero else flint.arb(0)
                F = E1 / C
                got = (A, B1, sstar, K, F)
            self._arb[prec] = got
        return got


class Chain:
    """A rank-1 scalar chain (see module docstring)."""

    def __init__(self, q1, stages, inner, out_weight, out_bias, decision):
        self.q1 = tuple(q1)
        self.stages = tuple(stages)
        #: read-outs of stage k giving sigma_{k+1} (length depth - 1)
        self.inner = tuple(inner)
        self.out_weight = out_weight
        self.out_bias = out_bias
        self.decision = decision
        #: derived data cached by the tiers (float constants, ...)
        self.cache: dict = {}

    @property
    def depth(self) -> int:
        return len(self.stages)

    @property
    def last(self) -> Stage:
        return self.stages[-1]

    def sigma1(self, point):
        """Exact first scalar ``q1 · x``."""
        return _dot(self.q1, point)

    def unit(self, j):
        """The read-out vector ``e_j`` of the last stage (``y_j``)."""
        return tuple(Fraction(int(i == j)) for i in range(self.last.n))

    def head_readouts(self):
        """Every read-out vector the head needs: output rows, differences, negation, unit vectors."""
        rows = [tuple(r) for r in self.out_weight]
        out = list(rows)
        if self.decision == "sign":
            out.append(tuple(-v for v in rows[0]))
        else:
            for c in range(len(rows)):
                for k in range(len(rows)):
                    if c != k:
                        out.append(tuple(a - b for a, b in zip(rows[c], rows[k])))
        out.extend(self.unit(j) for j in range(self.last.n))
        return out


def _lookup(pairs: list, key, missing=None):
    """Value for ``key`` in a short list of ``(key, value)`` pairs, by equality.

    Hashing Fractions is slow; the keys here (weights, read-outs) are few
    and usually repeat, so a linear scan with ``==`` is cheaper.
    """
    for k, v in pairs:
        if k is key or k == key:
            return v
    return missing


def _factor_rank1(weight):
    """``(p, q)`` with ``W = p q^T`` exactly, or None (rank 0, rank >= 2, or algebraic entries)."""
    if any(isinstance(v, Expr) for row in weight for v in row):
        return None
    pivot = None
    for i, row in enumerate(weight):
        for j, v in enumerate(row):
            if v != 0:
                pivot = (i, j)
                break
        if pivot:
            break
    if pivot is None:
        return None
    i0, j0 = pivot
    q = tuple(weight[i0])
    p = tuple(row[j0] / q[j0] for row in weight)
    for pi, row in zip(p, weight):
        for qj, v in zip(q, row):
            if pi * qj != v:
                return None
    return p, q


def chain_reason(network: Network) -> str | None:
    """Why ``network`` is not a chain (None if it is one)."""
    return _detect(network)[1]


def detect_chain(network: Network) -> Chain | None:
    """The :class:`Chain` of ``network``, or None when it is not a rank-1 scalar chain."""
    return _detect(network)[0]


def _detect(network: Network):
    layers = network.layers
    if len(layers) < 3 or len(layers) % 2 == 0:
        return None, "not an alternation affine, LN, ..., affine with at least one LN"
    for k, layer in enumerate(layers):
        want = Affine if k % 2 == 0 else LayerNorm
        if not isinstance(layer, want):
            return None, f"layers[{k}] is not {'an affine' if want is Affine else 'a layernorm'} layer"
    if len(layers[-1].weight) > 64:
        return None, "more than 64 outputs"
    stages, reads = [], []
    factor_cache: list = []
    pp_cache: list = []
    for k in range(0, len(layers) - 1, 2):
        aff, ln = layers[k], layers[k + 1]
        if ln.groups != 1 or ln.has_affine:
            return None, f"layers[{k + 1}] has groups or an elementwise affine"
        f = _lookup(factor_cache, aff.weight, missing=False)
        if f is False:
            f = _factor_rank1(aff.weight)
            factor_cache.insert(0, (aff.weight, f))
            del factor_cache[8:]
        if f is None:
            return None, f"layers[{k}] is not an exact rational rank-1 matrix"
        p, q = f
        if len(p) < 2:
            return None, f"layers[{k + 1}] has width 1"
        st = Stage(p, aff.bias, ln.eps, pp_cache)
        if not st._decide():
            return None, f"layers[{k + 1}]: degenerate or undecidable LayerNorm constants"
        stages.append(st)
        reads.append(q)
    inner = []
    for k in range(1, len(stages)):
        ro = stages[k - 1].readout(reads[k])
        if ro is None:
            return None, f"read-out of LN layer {k}: undecidable constant"
        inner.append(ro)
    out = layers[-1]
    chain = Chain(reads[0], stages, inner, out.weight, out.bias, network.decision)
    for r in chain.head_readouts():
        if chain.last.readout(r) is None:
            return None, "output read-out: undecidable constant"
    return chain, None
