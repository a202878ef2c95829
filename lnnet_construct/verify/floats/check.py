r"""Floating-point verdicts: does every IEEE evaluation of the network in a format predict the label?

:func:`float_verify` encloses, per point, every output that an evaluation of
the network in float64 or float32 can produce under the **verified object**:

* parameters, ``eps`` and input coordinates held in the format as the
  correctly rounded value of the exact number, or as its float64 value
  rounded again (``np.float32(float(q))``, ``module.float()``);
* affine rows ``fl(W x + b)`` in any summation order, with or without fused
  multiply-adds (:mod:`.zono`);
* LayerNorm statistics by any of the assumed algorithms
  (:data:`.lnmodel.ALGORITHMS`, default all three), and any of the three
  output formulas (:mod:`.lnmodel`); with ``stats="float32"``, the
  normalisation in float32 (ONNX ``stash_type=1``);
* IEEE 754 round-to-nearest with gradual underflow (no flush-to-zero),
  correctly rounded division and square root, no overflow (a point that
  could overflow is undecided).

Verdicts, for a point with label class ``c``:

``FLOAT-REFUTED``
    A reference evaluation in the format (:func:`.replay.replay`: numpy,
    parameters correctly rounded, the first assumed LayerNorm algorithm)
    decides another class or nothing, or the label is not a class.  The
    replay is an actual floating-point computation: a counterexample.
``FLOAT-VERIFIED``
    Otherwise, if the enclosure proves that every modelled evaluation
    decides ``c`` (``sign``: the output enclosure excludes 0 on the side of
    ``c``; ``argmax``: each difference ``o_c - o_k``, read off the zonotope,
    is proven positive).
``INCONCLUSIVE``
    Otherwise (the enclosure is too wide, a LayerNorm variance is not proven
    positive, or a value might overflow).

Exit codes as for ``lnnet verify``: 0 all verified, 1 some refuted, 2 some
inconclusive and none refuted.

Examples
--------
>>> from lnnet_construct.network import Network, Affine, LayerNorm
>>> net = Network(1, [Affine([[1], [-1], [0]], [0, 0, 1]), LayerNorm(eps="1e-5"),
...                   Affine([[1, 1, -2]], ["1/3"])], classes=["a", "b"])
>>> rep = float_verify(net, [[2], [-2]], ["a", "a"], "float32")
>>> [p.verdict.value for p in rep.points], rep.exit_code
(['FLOAT-VERIFIED', 'FLOAT-VERIFIED'], 0)
>>> rep = float_verify(net, [[2]], ["b"], "float64")
>>> rep.points[0].verdict.value, rep.points[0].predicted
('FLOAT-REFUTED', 'a')
"""

from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ...errors import InputError
from ...network import Network
from ...numbers import format_number
from . import bounds as B
from .formats import FORMATS, get_format, round_hull
from .lnlinear import variants
from .lnmodel import ALGORITHMS, FORMULAS

_AFFINE_TEXT = {"any": "any summation order per row, with or without FMA",
                "alike": "any summation order, with or without FMA, the same for every row of a layer"}
_FORMULA_TEXT = {"divide": "(x - mean) / sqrt(var + eps)", "times-rstd": "(x - mean) * rstd",
                 "shifted": "x * rstd - mean * rstd"}
from .replay import float_parameters, replay, round_points
from .zono import MAX_GENERATORS, ROWS, Zono, affine_step, diag_affine_step, layernorm_step

__all__ = ["FloatVerdict", "FloatPointResult", "FloatReport", "float_verify", "float_enclosures",
           "STATS_FORMATS", "FLOAT_EXIT"]

STATS_FORMATS = ("format", "float32")

#: exit codes (as for ``lnnet verify``)
FLOAT_EXIT = {"verified": 0, "refuted": 1, "inconclusive": 2}


class FloatVerdict(enum.Enum):
    """The verdict on one point for one float format."""

    VERIFIED = "FLOAT-VERIFIED"
    REFUTED = "FLOAT-REFUTED"
    INCONCLUSIVE = "INCONCLUSIVE"

    def __str__(self):
        return self.value


@dataclass(frozen=True)
class FloatPointResult:
    """The verdict on one point, with its evidence.

    Attributes
    ----------
    index : int
    label : str
    verdict : FloatVerdict
    reason : str
        Why (empty for FLOAT-VERIFIED).
    output : tuple of (float, float) or None
        Rigorous enclosure of every modelled evaluation of each output (None if undecided).
    replay : tuple of float
        The reference evaluation's outputs.
    predicted : str or None
        The reference evaluation's class (None: it decides nothing).
    """

    index: int
    label: str
    verdict: FloatVerdict
    reason: str = ""
    output: tuple | None = None
    replay: tuple = ()
    predicted: str | None = None

    def to_json(self) -> dict:
        def f(x):
            return x if math.isfinite(x) else (None if math.isnan(x) else ("inf" if x > 0 else "-inf"))

        return {
            "index": self.index,
            "label": self.label,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "output": None if self.output is None else [[f(lo), f(hi)] for lo, hi in self.output],
            "replay": [f(v) for v in self.replay],
            "predicted": self.predicted,
        }


@dataclass
class FloatReport:
    """Float verdicts on every point and the object verified (see :func:`float_verify`)."""

    points: list
    format: str
    object: dict
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)

    @property
    def counts(self) -> dict:
        c = {v.value: 0 for v in FloatVerdict}
        for p in self.points:
            c[p.verdict.value] += 1
        return c

    @property
    def verified(self) -> int:
        return self.counts[FloatVerdict.VERIFIED.value]

    @property
    def refuted(self) -> int:
        return self.counts[FloatVerdict.REFUTED.value]

    @property
    def inconclusive(self) -> int:
        return self.counts[FloatVerdict.INCONCLUSIVE.value]

    @property
    def exit_code(self) -> int:
        """0 all verified, 1 some refuted, 2 some inconclusive and none refuted."""
        if self.refuted:
            return FLOAT_EXIT["refuted"]
        if self.inconclusive:
            return FLOAT_EXIT["inconclusive"]
        return FLOAT_EXIT["verified"]

    def to_json(self) -> dict:
        return {
            "arith": self.format,
            "verified": self.verified,
            "refuted": self.refuted,
            "inconclusive": self.inconclusive,
            "exit_code": self.exit_code,
            "seconds": self.seconds,
            "object": self.object,
            "timings": {k: round(v, 6) for k, v in self.timings.items()},
            "points": [p.to_json() for p in self.points],
        }

    def describe(self) -> str:
        """What was verified, in one line."""
        o = self.object
        eps = ", ".join(sorted(set(o["eps"]))) if o["eps"] else "none"
        return (f"object: {o['format']} evaluation (u = 2^-{o['significand_bits']}); LayerNorm "
                f"{' | '.join(o['ln_formulas'])} (statistics in {o['ln_stats']}); eps {eps}; parameters and inputs "
                f"{o['parameters']}; affine rows {o['affine']}; {o['ieee']}")

    def summary(self) -> str:
        """One human-readable line."""
        return (f"{self.verified} float-verified, {self.refuted} float-refuted, {self.inconclusive} inconclusive "
                f"of {len(self.points)} points in {self.format} ({self.seconds:.3f}s)")


def _check(network, points, labels, arith, algorithms, stats):
    fmt = get_format(arith)
    algorithms = tuple(algorithms)
    if not algorithms:
        raise InputError("ln_algorithms must name at least one LayerNorm algorithm")
    for a in algorithms:
        name, _, formula = a.partition("/")
        if name not in ALGORITHMS:
            raise InputError(f"unknown LayerNorm algorithm {a!r}; expected some of {', '.join(ALGORITHMS)}"
                             " (optionally as algorithm/formula)")
        if formula and formula not in FORMULAS:
            raise InputError(f"unknown LayerNorm formula {formula!r} in {a!r}; expected one of {', '.join(FORMULAS)}")
    if stats not in STATS_FORMATS:
        raise InputError(f"ln_stats must be one of {', '.join(STATS_FORMATS)}, got {stats!r}")
    from ..engine import exact_points_and_labels

    points, labels = exact_points_and_labels(network, points, labels)
    stats_fmt = fmt if stats == "format" else FORMATS["float32"]
    if stats_fmt.u < fmt.u:
        stats_fmt = fmt
    return fmt, algorithms, stats_fmt, points, labels


def _lo_hi_centre(lo, hi, ref):
    with np.errstate(all="ignore"):
        c = np.where(np.isfinite(ref), ref, 0.5 * lo + 0.5 * hi)
        r = np.maximum(B.up(hi - c), B.up(c - lo))
        r = np.where((lo == c) & (hi == c), 0.0, r)  # a single float: no uncertainty at all
    return c, np.where(np.isnan(r), np.inf, r)


@B.quiet
def float_enclosures(network: Network, points, arith="float64", *, ln_algorithms=ALGORITHMS, ln_stats="format",
                     ln_eps32: bool = False, rows: str = "any", params=None,
                     max_generators: int = MAX_GENERATORS) -> Zono:
    """The output zonotopes of every modelled evaluation (one per point); ``bad`` marks undecided points.

    >>> from lnnet_construct.network import Network, Affine
    >>> net = Network(1, [Affine([[3]], ["1/10"])], classes=["a", "b"])
    >>> lo, hi = float_enclosures(net, [[1]], "float32").hull()
    >>> bool(lo[0, 0] < 3.1 < hi[0, 0]), bool(hi[0, 0] - lo[0, 0] < 1e-5)
    (True, True)
    """
    fmt = get_format(arith)
    stats_fmt = fmt if ln_stats == "format" else FORMATS["float32"]
    if stats_fmt.u < fmt.u:
        stats_fmt = fmt
    params = params if params is not None else float_parameters(network, fmt)
    lo, hi, ref = round_points(points, fmt)
    c, r = _lo_hi_centre(lo, hi, ref)
    z = Zono.from_box(c, r)
    z.mark(~(np.isfinite(lo) & np.isfinite(hi)).all(axis=1))
    for layer, p in zip(network.layers, params):
        if p["type"] == "affine":
            wlo, whi, wref = p["W"]
            Wc, Wr = _lo_hi_centre(wlo, whi, wref)
            blo, bhi, bref = p["b"]
            bc, br = _lo_hi_centre(blo, bhi, bref)
            if not (np.isfinite(Wc).all() and np.isfinite(bc).all()):
                z.mark(np.ones(len(z.bad), dtype=bool))
            z = affine_step(z, Wc, Wr, bc, br, fmt, max_generators, rows=rows)
        else:
            eps_hull = p["eps"][:2]
            if ln_eps32:
                e32 = round_hull(p["eps_exact"], "float32")
                eps_hull = (min(eps_hull[0], e32[0]), max(eps_hull[1], e32[1]))
            z = layernorm_step(z, p["groups"], eps_hull, fmt, ln_algorithms, stats=stats_fmt,
                               max_generators=max_generators)
            w = b = wr = br = None
            if p["w"] is not None:
                w, wr = _lo_hi_centre(*p["w"])
            if p["b"] is not None:
                b, br = _lo_hi_centre(*p["b"])
            if w is not None or b is not None:
                z = diag_affine_step(z, w, wr, b, br, fmt)
    return z


@B.quiet
def _decide(network: Network, z: Zono, label_idx):
    """Per point: True when the enclosure proves that every evaluation decides the label class."""
    N = len(label_idx)
    ok = ~z.bad
    if network.decision == "sign":
        lo, hi = z.hull()
        pos = label_idx == 1
        dec = np.where(pos, lo[:, 0] > 0, hi[:, 0] < 0)
        return ok & dec & (label_idx >= 0)
    res = np.zeros(N, dtype=bool)
    rows = np.arange(N)
    li = np.maximum(label_idx, 0)
    cc = z.c[rows, li]
    Gc = z.G[rows, li, :]
    bc = z.b[rows, li]
    res[:] = True
    with np.errstate(all="ignore"):
        for k in range(z.n):
            dlo = B.down(cc - z.c[:, k])
            dG = np.maximum(np.abs(B.down(Gc - z.G[:, k, :])), np.abs(B.up(Gc - z.G[:, k, :])))
            rad = B.uadd(bc, z.b[:, k])
            for j in range(dG.shape[1]):
                rad = B.uadd(rad, dG[:, j])
            pos = B.down(dlo - rad) > 0
            res &= np.where(li == k, True, pos)
    return ok & res & (label_idx >= 0)


def _object(network, fmt, algorithms, stats_fmt, params, eps32=False) -> dict:
    eps = []
    for p in params:
        if p["type"] == "layernorm":
            lo, hi, _ = p["eps"]
            if eps32:
                e32 = round_hull(p["eps_exact"], "float32")
                lo, hi = min(lo, e32[0]), max(hi, e32[1])
            lo, hi = float(lo), float(hi)
            eps.append(repr(lo) if lo == hi else f"[{lo!r}, {hi!r}]")
    return {
        "format": fmt.name,
        "significand_bits": {"float64": 53, "float32": 24}[fmt.name],
        "unit_roundoff": fmt.u,
        "ln_algorithms": list(algorithms),
        "ln_formulas": {f"{a}/{f}": _FORMULA_TEXT[f] for a, f in variants(algorithms)},
        "ln_stats": stats_fmt.name,
        "eps": eps,
        "eps_exact": [format_number(layer.eps) for layer in network.layers if layer.kind == "layernorm"],
        "parameters": f"RN_{fmt.name}(q) or RN_{fmt.name}(RN_float64(q))",
        "affine": "any summation order, with or without FMA",
        "ieee": "round to nearest, gradual underflow, correctly rounded sqrt and division, no overflow",
        "replay": f"numpy {fmt.name}, {algorithms[0]} LayerNorm, correctly rounded parameters",
        "ln_group_sizes": sorted({_group_size(network, k) for k in range(len(network.layers))
                                  if network.layers[k].kind == "layernorm"}),
        "notes": _notes(network, fmt),
    }


def _group_size(network, k) -> int:
    width = network.input_dim
    for layer in network.layers[:k]:
        if layer.kind == "affine":
            width = layer.out_dim
    return width // network.layers[k].groups


#: torch CPU runs Welford in order on groups below 32 bytes (vector lanes are merged from there on)
TORCH_WELFORD_MAX = {"float64": 3, "float32": 7}


def _notes(network, fmt) -> list:
    sizes = [_group_size(network, k) for k in range(len(network.layers)) if network.layers[k].kind == "layernorm"]
    big = max(sizes, default=0)
    if big > TORCH_WELFORD_MAX[fmt.name]:
        return [f"LayerNorm groups of {big} entries: torch CPU computes their moments with merged vector lanes "
                f"(from {TORCH_WELFORD_MAX[fmt.name] + 1} {fmt.name} entries on), an algorithm this object does "
                "not include"]
    return []


def float_verify(network: Network, points, labels, arith="float64", *, ln_algorithms=ALGORITHMS,
                 ln_stats: str = "format", ln_eps32: bool = False, rows: str = "any", max_generators: int = MAX_GENERATORS, progress=None) -> FloatReport:
    """Float verdict per point: does every evaluation in ``arith`` predict the label? (module docstring).

    Parameters
    ----------
    network : Network
    points : sequence of sequences of exact numbers
    labels : sequence of str (or int)
        Matched to ``network.class_texts`` by text.
    arith : {"float64", "float32"}
    ln_algorithms : sequence of str
        LayerNorm statistics assumed (subset of ``("two-pass", "welford", "one-pass")``).
    ln_stats : {"format", "float32"}
        Format of the LayerNorm statistics (``"float32"``: ONNX ``stash_type=1``).
    ln_eps32 : bool
        Also allow ``eps`` rounded to float32 (the ``epsilon`` attribute of
        ONNX ``LayerNormalization``, which onnxruntime uses even on float64 data).
    rows : {"any", "alike"}
        ``"any"``: each affine row summed in any order, with or without FMA,
        independently of the other rows.  ``"alike"``: moreover every row of
        a layer is computed by the same sequence of operations (what a GEMM
        kernel does; pinned by the tests for torch, onnxruntime and numpy),
        so rows equal up to sign round alike.
    max_generators : int
        Zonotope order kept per point.
    progress : object with ``update(n)``, optional

    Returns
    -------
    FloatReport

    Raises
    ------
    InputError
        Unknown format or algorithm, mismatched points and labels, wrong dimensions.
    """
    t0 = time.perf_counter()
    fmt, algorithms, stats_fmt, points, labels = _check(network, points, labels, arith, ln_algorithms, ln_stats)
    texts = network.class_texts
    label_idx = np.array([texts.index(lab) if lab in texts else -1 for lab in labels], dtype=np.int64)
    params = float_parameters(network, fmt)
    obj = _object(network, fmt, algorithms, stats_fmt, params, ln_eps32)
    obj["affine"] = _AFFINE_TEXT[rows] if rows in _AFFINE_TEXT else rows
    if not points:
        return FloatReport([], fmt.name, obj, time.perf_counter() - t0)
    t1 = time.perf_counter()
    ref = replay(network, points, fmt, algorithms[0], params=params)
    from ...io.exports.arrays import exported_decisions

    got = exported_decisions(network, ref)
    t2 = time.perf_counter()
    if rows not in ROWS:
        raise InputError(f"rows must be one of {', '.join(ROWS)}, got {rows!r}")
    z = float_enclosures(network, points, fmt, ln_algorithms=algorithms, ln_stats=ln_stats, ln_eps32=ln_eps32,
                         rows=rows, params=params, max_generators=max_generators)
    decided = _decide(network, z, label_idx)
    lo, hi = z.hull()
    t3 = time.perf_counter()
    results = []
    for i in range(len(points)):
        lab = labels[i]
        rp = tuple(float(v) for v in ref[i])
        pred = None if got[i] is None else texts[got[i]]
        out = None if z.bad[i] else tuple((float(a), float(b)) for a, b in zip(lo[i], hi[i]))
        if label_idx[i] < 0:
            expected = ", ".join(repr(t) for t in texts)
            v, why = FloatVerdict.REFUTED, f"label {lab!r} is not a class of the network (expected one of {expected})"
        elif got[i] != label_idx[i]:
            what = f"outputs {pred!r}" if pred is not None else "decides nothing (a zero, tie or NaN output)"
            v, why = FloatVerdict.REFUTED, f"the {fmt.name} reference evaluation {what}"
        elif decided[i]:
            v, why = FloatVerdict.VERIFIED, ""
        elif z.bad[i]:
            v, why = FloatVerdict.INCONCLUSIVE, ("a LayerNorm variance is not proven positive, or a value may "
                                                 f"overflow, in {fmt.name}")
        else:
            v, why = FloatVerdict.INCONCLUSIVE, f"the {fmt.name} error enclosure does not decide the class"
        results.append(FloatPointResult(i, lab, v, why, out, rp, pred))
    if progress is not None:
        progress.update(len(points))
    timings = {"replay": t2 - t1, "enclosure": t3 - t2}
    return FloatReport(results, fmt.name, obj, time.perf_counter() - t0, timings)
