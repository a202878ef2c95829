r"""Tier 2: one point at a time, at a chosen precision (python-flint ``arb`` or mpmath ``iv``).

* :func:`arb_chain_point`: the scalar chain in arb balls.  Each LN layer maps
  the ball of ``s = sigma - sigma0`` to the union of ``g`` at its endpoints
  (and at the stationary point when the ball meets it), as in tier 1, so
  the enclosure does not suffer from the dependency problem however deep
  the network is.
* :func:`generic_point`: the package's one forward pass in any rigorous
  scalar arithmetic (arb, iv), then the head.

Both return a :class:`ScalarOutcome`; nothing here decides a verdict from
anything but rigorous bounds.

Examples
--------
>>> from lnnet_construct.fold import fold_network
>>> from lnnet_construct.verify.chain import detect_chain
>>> net = fold_network([1], [(1, 1)], ("sign", 3, 1), classes=["a", "b"])
>>> ac = ArbChain(detect_chain(net), 64)
>>> out = arb_chain_point(ac, Fraction(1), 1)     # t = c: tau = 6h/sqrt(2 h^2) = 3 sqrt 2 > 3
>>> out.status, float(out.outputs[0][0]) > 0.24
(1, True)
>>> from lnnet_construct.arith import get_arith
>>> generic_point(net, [Fraction(1)], 1, get_arith("iv", 64)).status
1
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import flint

from ..arith.arb import ArbArith, arf_fraction
from ..errors import ArithmeticUndecided, ZeroVarianceError
from ..numbers import Expr
from .chain import Chain, Readout, Stage
from .head import decision_rows, forward_body, split_head

__all__ = ["ScalarOutcome", "ArbChain", "arb_chain_point", "arb_chain_head", "generic_point", "outcome_from_bounds"]


@dataclass
class ScalarOutcome:
    """Result of one point at one precision.

    ``status``: 1 verified, -1 refuted, 0 undecided.  ``zero``: refuted by an
    exact zero output / exact tie.  ``zero_variance``: refuted because a
    LayerNorm variance is exactly 0.  Bounds are exact Fractions.
    """

    status: int
    zero: bool = False
    zero_variance: bool = False
    outputs: list | None = None
    margin: tuple | None = None
    beaten_by: int = -1
    d_lo: Fraction | None = None
    d_hi: Fraction | None = None
    note: str = ""

    @classmethod
    def undecided(cls, note: str = "") -> "ScalarOutcome":
        return cls(0, note=note)


def _margin_bounds(d, den):
    """Enclosure of ``d / den`` from Fraction bounds (``den >= 0``), or None."""
    dlo, dhi = d
    nlo, nhi = den
    if dlo == 0 and dhi == 0:
        return Fraction(0), Fraction(0)
    if nhi <= 0:
        return None
    if dlo >= 0:
        lo = dlo / nhi
    elif nlo > 0:
        lo = dlo / nlo
    else:
        return None
    if dhi <= 0:
        hi = dhi / nhi
    elif nlo > 0:
        hi = dhi / nlo
    else:
        return None
    return lo, hi


def abs_exact_bounds(x):
    """Exact bounds of ``|x|`` for an exact number (itself when rational)."""
    if not isinstance(x, Expr):
        q = abs(Fraction(x))
        return q, q
    from .batch import exact_bounds

    return _abs_bounds(*exact_bounds(x, 512))


def _abs_bounds(lo: Fraction, hi: Fraction):
    if lo <= 0 <= hi:
        return Fraction(0), max(-lo, hi)
    return min(abs(lo), abs(hi)), max(abs(lo), abs(hi))


def outcome_from_bounds(decision, W, b, c, outputs, quantity, absy) -> ScalarOutcome:
    """Verdict, margin and evidence from rigorous Fraction bounds.

    ``outputs``: list of ``(lo, hi)`` per output; ``quantity(r, bias)``:
    bounds of ``r · y + bias``; ``absy``: bounds of ``|y_j|``.  Any None
    (a non-finite enclosure) leaves the point undecided.
    """
    if outputs is None or any(o is None for o in outputs) or any(a is None for a in absy):
        return ScalarOutcome.undecided("non-finite enclosure")
    dlo = dhi = mlo = mhi = None
    margins_ok = True
    zero = False
    beaten = -1
    for k, r, bias in decision_rows(decision, W, b, c):
        if decision == "sign":
            o = outputs[0]
            d = o if c == 1 else (-o[1], -o[0])
        else:
            d = quantity(r, bias)
            if d is None:
                return ScalarOutcome.undecided("non-finite enclosure")
        den_lo, den_hi = abs_exact_bounds(bias)
        for rj, (alo, ahi) in zip(r, absy):
            if rj != 0:
                rlo, rhi = abs_exact_bounds(rj)
                den_lo += rlo * alo
                den_hi += rhi * ahi
        mar = _margin_bounds(d, (den_lo, den_hi))
        if dhi is None or d[1] < dhi:
            zero = d[0] == 0 and d[1] == 0
            dhi = d[1]
        if d[1] < 0 and beaten < 0:
            beaten = k
        dlo = d[0] if dlo is None else min(dlo, d[0])
        if mar is None:
            margins_ok = False
        else:
            mlo = mar[0] if mlo is None else min(mlo, mar[0])
            mhi = mar[1] if mhi is None else min(mhi, mar[1])
    if dlo is None:  # one output and argmax: its class wins whatever the value
        return ScalarOutcome(1, outputs=outputs)
    status = 1 if dlo > 0 else -1 if dhi <= 0 else 0
    margin = (mlo, mhi) if margins_ok and mlo is not None else None
    return ScalarOutcome(status, zero=zero and status == -1, outputs=outputs, margin=margin,
                         beaten_by=beaten if status == -1 else -1, d_lo=dlo, d_hi=dhi)


# ---------------------------------------------------------------------------
# generic path


def generic_point(network, point, c: int, arith) -> ScalarOutcome:
    """One point through the generic forward pass in a rigorous scalar arithmetic."""
    body, W, b = split_head(network)
    try:
        y = forward_body(body, point, arith)
    except ZeroVarianceError:
        return ScalarOutcome(-1, zero_variance=True)
    except ArithmeticUndecided as e:
        return ScalarOutcome.undecided(str(e))
    except ZeroDivisionError:
        return ScalarOutcome.undecided("division by an enclosure containing 0")
    with arith.active():
        def bounds(v):
            lo, hi = arith.lower(v), arith.upper(v)
            return None if lo is None or hi is None else (lo, hi)

        def value(r, bias):
            if all(x == 0 for x in r) and not isinstance(bias, Expr):
                return (Fraction(bias), Fraction(bias))
            terms = [arith.const(rj) * yj for rj, yj in zip(r, y) if rj != 0]
            return bounds(arith.fsum(terms) + arith.const(bias))

        outputs = [value(W[i], b[i]) for i in range(len(W))]
        absy = []
        for v in y:
            bb = bounds(v)
            absy.append(None if bb is None else _abs_bounds(*bb))
        return outcome_from_bounds(network.decision, W, b, c, outputs, value, absy)


# ---------------------------------------------------------------------------
# chain path in arb


def _arb(x, A: ArbArith):
    return A.const(x)


class ArbChain:
    """The constants of a chain as arb balls at one precision (inner layers computed on first use)."""

    def __init__(self, chain: Chain, prec: int):
        self.chain = chain
        self.prec = int(prec)
        self.A = ArbArith(self.prec)
        last = chain.last
        self.last = self._stage(last)
        self.head = {tuple(r): self._ro(last.readout(r)) for r in chain.head_readouts()}
        self._layers = None

    def layers(self):
        """Per inner layer ``(stage constants, read-out constants, fast fold constants or None)``."""
        if self._layers is None:
            out = []
            for k, ro in enumerate(self.chain.inner):
                st = self.chain.stages[k]
                sc, rc = self._stage(st), self._ro(ro)
                # fold layers (A = 0, B' != 0, E' > 0) in a flat form for the inner loop
                fast = (sc[0], rc[4], rc[5]) if ro.a_zero and not ro.b1_zero and not st.e1_zero else None
                out.append((sc, rc, fast))
            self._layers = out
        return self._layers

    def _stage(self, st: Stage):
        sigma0, C, E1, _ = st.arb(self.prec)
        return (sigma0, C, E1, st.e1_zero)

    def _ro(self, ro: Readout):
        if ro.is_zero:
            return (ro, None, None, None, None, None)
        return (ro,) + ro.arb(self.prec)


def _g(ro_c, C, E1, x):
    ro, a, b1, ss, K, F = ro_c
    if ro.a_zero:
        return K / (x * x + F).sqrt()
    return (a * x + b1) / (C * x * x + E1).sqrt()


def _image(ro_c, C, E1, s):
    """Ball enclosing ``g(s)`` for every point of the ball ``s`` (the LN must be defined there)."""
    ro, a, b1, ss, K, F = ro_c
    if ro.is_zero:
        return flint.arb(0)
    if ro.a_zero:
        v = _g(ro_c, C, E1, s.abs_lower())
        return v.union(_g(ro_c, C, E1, s.abs_upper()))
    v = _g(ro_c, C, E1, s.lower()).union(_g(ro_c, C, E1, s.upper()))
    if ss is not None and s.overlaps(ss):
        v = v.union(_g(ro_c, C, E1, ss))
    return v


def _defined(s, e1_zero: bool):
    """1 defined, 0 undecided, -1 proven zero variance."""
    if not s.is_finite():
        return 0
    if not e1_zero:
        return 1
    if s.is_zero():
        return -1
    return 1 if s.abs_lower() > 0 else 0


def arb_chain_point(ac: ArbChain, sigma1, c: int) -> ScalarOutcome:
    """One point of a chain network at ``ac.prec`` bits (``sigma1 = q1 · x`` exact)."""
    with ac.A.active():
        sigma = _arb(sigma1, ac.A)
        for k, (sc, rc, f) in enumerate(ac.layers()):
            if f is not None:
                # g(s) = K / sqrt(s^2 + F), monotone in |s|: the image of the ball is the union of
                # g at the rigorous bounds of |s| (non-finite balls stay rigorous: |s| in [0, inf])
                s = sigma - f[0]
                a = s.abs_lower()
                b = s.abs_upper()
                sigma = (f[1] / (a * a + f[2]).sqrt()).union(f[1] / (b * b + f[2]).sqrt())
                continue
            s0, C, E1, e1z = sc
            s = sigma - s0
            dfn = _defined(s, e1z)
            if dfn < 0:
                return ScalarOutcome(-1, zero_variance=True)
            if dfn == 0:
                return ScalarOutcome.undecided(f"LayerNorm {k + 1}: variance not proven positive")
            sigma = _image(rc, C, E1, s)
            if not sigma.is_finite():
                return ScalarOutcome.undecided("non-finite enclosure")
        return _head(ac, sigma, c)


def arb_chain_head(ac: ArbChain, mid: Fraction, rad: float, c: int) -> ScalarOutcome:
    """The verdict from a ball ``[mid - rad, mid + rad]`` of the last scalar ``sigma_L``."""
    with ac.A.active():
        sigma = _arb(mid, ac.A) + flint.arb(0, rad)
        return _head(ac, sigma, c)


def _ball_bounds(x):
    """Exact dyadic ``(lo, hi)`` of a finite arb ball (outward), or None."""
    if not x.is_finite():
        return None
    return arf_fraction(x.lower()), arf_fraction(x.upper())


def _head(ac: ArbChain, sigma, c: int) -> ScalarOutcome:
    """Outputs, verdict and margin from the ball of ``sigma_L``, all in arb (Fractions only at the end)."""
    chain = ac.chain
    s0, C, E1, e1z = ac.last
    s = sigma - s0
    dfn = _defined(s, e1z)
    if dfn < 0:
        return ScalarOutcome(-1, zero_variance=True)
    if dfn == 0:
        return ScalarOutcome.undecided(f"LayerNorm {chain.depth}: variance not proven positive")
    W, b = chain.out_weight, chain.out_bias
    A = ac.A

    def value(r, bias):
        ro_c = ac.head[tuple(r)]
        if ro_c[0].is_zero:
            return _arb(bias, A)  # exactly the bias (an exact ball when it is dyadic, e.g. 0)
        return _image(ro_c, C, E1, s) + _arb(bias, A)

    outs = [value(W[i], b[i]) for i in range(len(W))]
    absy = []
    for j in range(chain.last.n):
        y = _image(ac.head[chain.unit(j)], C, E1, s)
        absy.append(y.abs_lower().union(y.abs_upper()))
    all_positive, refuted, saw_zero, beaten = True, False, False, -1
    margins = []
    for k, r, bias in decision_rows(chain.decision, W, b, c):
        if chain.decision == "sign":
            d = outs[0] if c == 1 else -outs[0]
        else:
            d = value(r, bias)
        if not d.is_finite():
            return ScalarOutcome.undecided("non-finite enclosure")
        den = abs(_arb(bias, A))
        for rj, ay in zip(r, absy):
            if rj != 0:
                den += abs(_arb(rj, A)) * ay
        if d.is_zero():
            margins.append((Fraction(0), Fraction(0)))
        else:
            margins.append(_ball_bounds(d / den) if den > 0 else None)
        if not d > 0:
            all_positive = False
        if d <= 0:  # proven: the label does not win against class k
            refuted = True
            if d.is_zero():
                saw_zero = True
            elif d < 0 and beaten < 0:
                beaten = k
    if not (all_positive or refuted):
        return ScalarOutcome.undecided()
    outputs = [_ball_bounds(o) for o in outs]
    if any(o is None for o in outputs):
        return ScalarOutcome.undecided("non-finite enclosure")
    margin = None
    if margins and all(m is not None for m in margins):
        margin = (min(m[0] for m in margins), min(m[1] for m in margins))
    if refuted:
        return ScalarOutcome(-1, zero=saw_zero and beaten < 0, outputs=outputs, margin=margin, beaten_by=beaten)
    return ScalarOutcome(1, outputs=outputs, margin=margin)
