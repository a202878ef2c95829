r"""Verdicts and the verification report.

The **relative margin** (package-wide definition) of a point with label class
``c`` is read at the last hidden vector ``y`` (the input of the output affine
``o = W y + b``):

.. math::

    \text{sign:}\quad \frac{\pm o}{\sum_j |W_j y_j| + |b|},\qquad
    \text{argmax:}\quad \min_{k \ne c}
      \frac{o_c - o_k}{\sum_j |(W_{c,j} - W_{k,j}) y_j| + |b_c - b_k|}

(``+o`` when ``c`` is ``classes[1]``, ``-o`` when it is ``classes[0]``).  It
lies in ``[-1, 1]``; it is positive exactly when the network outputs the
label.  A report gives a certified enclosure ``[lo, hi]`` of it per point; for
a VERIFIED point ``lo > 0`` is a certified lower bound.

>>> r = PointResult(0, "a", Verdict.VERIFIED, output=((Fraction(1), Fraction(2)),),
...                 margin=(Fraction(1, 8), Fraction(1, 4)), bits=53, method="interval")
>>> rep = Report([r], max_bits=64, backend="auto", seconds=0.0)
>>> rep.exit_code, rep.bits_needed, rep.counts
(0, 3.0, {'VERIFIED': 1, 'REFUTED': 0, 'INCONCLUSIVE': 0})
>>> rep.to_json()["points"][0]["margin"]
['1/8', '1/4']
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from fractions import Fraction

from ..numbers import format_number

__all__ = ["Verdict", "PointResult", "Report", "EXIT_VERIFIED", "EXIT_REFUTED", "EXIT_INCONCLUSIVE"]

EXIT_VERIFIED = 0
EXIT_REFUTED = 1
EXIT_INCONCLUSIVE = 2


class Verdict(enum.Enum):
    """The certified verdict on one point."""

    #: the network provably outputs the point's label
    VERIFIED = "VERIFIED"
    #: provably not: another class wins, the output is exactly 0 / an exact tie,
    #: a LayerNorm variance is exactly 0, or the label is not a class
    REFUTED = "REFUTED"
    #: undecided at the precision cap
    INCONCLUSIVE = "INCONCLUSIVE"

    def __str__(self):
        return self.value


def _q(x):
    return None if x is None else format_number(x)


def _f(x):
    if x is None:
        return None
    try:
        return float(x)
    except OverflowError:
        return math.copysign(math.inf, x)


@dataclass(frozen=True)
class PointResult:
    """The verdict on one point, with its evidence.

    Attributes
    ----------
    index : int
        Position of the point (0-based).
    label : str
    verdict : Verdict
    reason : str
        Why (empty for VERIFIED).
    output : tuple of (Fraction, Fraction) or None
        Certified enclosure of each network output (exact dyadic endpoints).
    margin : (Fraction, Fraction) or None
        Certified enclosure of the signed relative margin (module docstring).
    bits : int or None
        Working precision that decided the point (53 for the float64 tier;
        None for exact arithmetic or a label that is not a class).
    method : str
        ``"interval-chain"``, ``"interval"``, ``"arb-chain"``, ``"arb"``,
        ``"iv"``, ``"exact"``, ``"rational"`` or ``"label"``.
    predicted : str or None
        The class the network outputs, when it is known to be another one.
    """

    index: int
    label: str
    verdict: Verdict
    reason: str = ""
    output: tuple | None = None
    margin: tuple | None = None
    bits: int | None = None
    method: str = ""
    predicted: str | None = None

    @property
    def margin_lower(self) -> Fraction | None:
        """Certified lower bound of the signed relative margin."""
        return None if self.margin is None else self.margin[0]

    def to_json(self) -> dict:
        d = {
            "index": self.index,
            "label": self.label,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "bits": self.bits,
            "method": self.method,
            "margin": None if self.margin is None else [_q(self.margin[0]), _q(self.margin[1])],
            "margin_float": None if self.margin is None else _f(self.margin[0]),
            "output": None if self.output is None else [[_q(lo), _q(hi)] for lo, hi in self.output],
        }
        if self.predicted is not None:
            d["predicted"] = self.predicted
        return d


@dataclass
class Report:
    """Verdicts on every point, with totals (see :func:`lnnet_construct.verify.verify`)."""

    points: list
    max_bits: int
    backend: str
    seconds: float
    structure: str = ""
    escalated: int = 0
    timings: dict = field(default_factory=dict)

    @property
    def counts(self) -> dict:
        c = {v.value: 0 for v in Verdict}
        for p in self.points:
            c[p.verdict.value] += 1
        return c

    @property
    def verified(self) -> int:
        return self.counts["VERIFIED"]

    @property
    def refuted(self) -> int:
        return self.counts["REFUTED"]

    @property
    def inconclusive(self) -> int:
        return self.counts["INCONCLUSIVE"]

    @property
    def exit_code(self) -> int:
        """0 all verified, 1 some refuted, 2 some inconclusive and none refuted."""
        if self.refuted:
            return EXIT_REFUTED
        if self.inconclusive:
            return EXIT_INCONCLUSIVE
        return EXIT_VERIFIED

    @property
    def min_relative_margin(self) -> Fraction | None:
        """Smallest certified margin lower bound over the VERIFIED points (None if none)."""
        ms = [p.margin[0] for p in self.points if p.verdict is Verdict.VERIFIED and p.margin is not None]
        return min(ms) if ms else None

    @property
    def bits_needed(self) -> float | None:
        """``-log2`` of :attr:`min_relative_margin`."""
        m = self.min_relative_margin
        if m is None or m <= 0:
            return None
        return -(math.log2(m.numerator) - math.log2(m.denominator))

    @property
    def max_bits_used(self) -> int | None:
        bits = [p.bits for p in self.points if p.bits is not None]
        return max(bits) if bits else None

    def to_json(self) -> dict:
        """JSON-ready dict: ``verified, refuted, inconclusive, max_bits, seconds, points, ...``."""
        m = self.min_relative_margin
        return {
            "verified": self.verified,
            "refuted": self.refuted,
            "inconclusive": self.inconclusive,
            "max_bits": self.max_bits,
            "seconds": self.seconds,
            "exit_code": self.exit_code,
            "backend": self.backend,
            "structure": self.structure,
            "min_relative_margin": _q(m),
            "min_relative_margin_float": _f(m),
            "bits_needed": self.bits_needed,
            "max_bits_used": self.max_bits_used,
            "escalated": self.escalated,
            "timings": {k: round(v, 6) for k, v in self.timings.items()},
            "points": [p.to_json() for p in self.points],
        }

    def summary(self) -> str:
        """One human-readable line."""
        bn = self.bits_needed
        return (
            f"{self.verified} verified, {self.refuted} refuted, {self.inconclusive} inconclusive "
            f"of {len(self.points)} points in {self.seconds:.3f}s ({self.structure or self.backend}); "
            f"bits needed {'-' if bn is None else f'{bn:.1f}'}, max bits used {self.max_bits_used}, "
            f"escalated {self.escalated}"
        )
