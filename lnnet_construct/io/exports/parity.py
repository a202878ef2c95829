r"""Parity of float exports with certified predictions: float-verified points, and the older estimate.

**The proof** (:func:`float_parity_report`, what ``export_network`` and
``lnnet export`` use): each point's certified class (exact arithmetic,
:func:`certified_margins`) is checked with
:func:`lnnet_construct.verify.floats.float_verify` for the export's own
format and object (:data:`EXPORT_OBJECTS`: torch's Welford LayerNorm,
the decomposed ONNX graph's two-pass one, ONNX ``LayerNormalization`` with
float32 statistics and epsilon as its specification allows, any numpy
algorithm for npz).  A FLOAT-VERIFIED point is proven to be decided as
certified by every evaluation of that object; the others are listed with
their verdict.  The runtime's actual outputs are compared too: a
FLOAT-VERIFIED point that the runtime decides otherwise is a mismatch
(impossible unless the object is wrong about the runtime).

**The estimate** (:func:`float_error_bounds`, :func:`parity_report`; kept
for comparison, no longer used by the export) is described below.

A float export (TorchScript, ONNX, npz) evaluates the network in float64.
It must decide every point the way the certified evaluation does, except
where the certified margin is too small for float64 to resolve.  This module
defines "too small", point by point, and writes the report.

**The resolution of a point.**  Let ``q`` be the decision quantity: the output
``o`` for ``decision="sign"``, and ``o_win - o_k`` (each runner-up ``k``) for
``"argmax"``.  Its certified margin ``m`` is a rigorous lower bound on
``|q|`` (the certified output enclosures of :func:`lnnet_construct.verify.verify`,
else arb balls at rising precision).  Its
float error bound ``E`` is a first-order bound on ``|fl(q) - q|`` for any
evaluation that obeys the standard model of floating-point arithmetic
(``fl(a op b) = (a op b)(1 + d)``, ``|d| <= u``; ``u = 2^-53`` for float64):

* parameters and input coordinates are rounded to the nearest float
  (relative error ``u``);
* an affine row of fan-in ``n`` has error at most
  ``gamma_{n+2} (|W| |x| + |b|)`` in any summation order, with
  ``gamma_k = k u / (1 - k u)`` (Higham, *Accuracy and Stability of Numerical
  Algorithms*, §3.1);
* a LayerNorm group of size ``s``, computed by any two-pass or Welford-type
  algorithm (torch, onnxruntime), has output error at most
  ``gamma_{s+6} |x^_i| (1 + M/sigma) + gamma_{s+2} M / sigma`` per entry
  before its elementwise affine, where ``M`` is the largest ``|x_j|`` in the
  group and ``sigma = sqrt(var + eps)``: the rounding of the mean shifts every
  centred value by up to ``gamma_s M``, which LN divides by ``sigma``.  (The
  naive one-pass ``E[x^2] - E[x]^2`` is NOT covered; the tests pin that torch
  and onnxruntime stay inside this model.)  ``u_stats`` replaces ``u`` in
  these two terms for runtimes that compute the statistics in lower precision
  (ONNX ``LayerNormalization`` with ``stash_type=1`` computes them in float32
  by the ONNX specification);
* the errors are propagated to ``q`` with the absolute values of the exact
  layer Jacobians at the point (a backward pass evaluated in float64):
  ``E = sum_layers |dq/dz_layer| . r_layer``.

A point is **above resolution** when ``m > SAFETY * E`` with ``SAFETY = 4``.
The factor absorbs the second-order terms and the float64 evaluation of
``E`` itself, so ``E`` is an estimate, not a proof; the parity tests check it
on networks with eps > 0, groups, LN affine and argmax, including points
built to sit just above and just below it; there the real error of torch,
onnxruntime and numpy stays below ``E`` itself, by a factor of 10 or more
(the bound adds worst cases that rarely coincide).  Because ``E`` follows the
Jacobians, the threshold grows with depth and conditioning by itself (a
fixed "2^-50 times a depth factor" cannot see a layer that amplifies errors
by 10^6).  Points that are not certified at all (an exact 0 output, an
exact tie, or undecided at ``max_bits``) have margin 0 and are always below
resolution.

The report lists every point below resolution (they may or may not agree),
and separately every point above resolution that disagrees: that list is
empty unless the model above is wrong, and the CLI exits with code 1 if not.

Examples
--------
>>> from lnnet_construct.network import Network, Affine
>>> from fractions import Fraction
>>> net = Network(1, [Affine([[1]], ["-1/3"])], classes=["a", "b"])
>>> pts = [[Fraction(1)], [Fraction(1, 3) + Fraction(1, 10**20)]]
>>> idx, margins = certified_margins(net, pts)
>>> idx
[1, 1]
>>> E = float_error_bounds(net, pts)[:, 0]
>>> bool(margins[0] > SAFETY * E[0]), bool(margins[1] > SAFETY * E[1])
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ...arith import get_arith
from ...errors import ArithmeticUndecided, ZeroVarianceError
from ...forward import batch_input, decide_index, forward, forward_layers
from ...network import Network
from ...predict import DEFAULT_MAX_BITS
from .arrays import exported_decisions, float_layers

__all__ = [
    "EXPORT_OBJECTS",
    "float_parity_report",
    "SAFETY",
    "UNIT_ROUNDOFF",
    "float_error_bounds",
    "certified_margins",
    "decision_error_bounds",
    "ParityReport",
    "parity_report",
]

#: Certified margin must exceed SAFETY times the first-order float error bound.
SAFETY = 4.0

#: Unit roundoff ``u`` of the float formats the exports use.
UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24}


def _gamma(k: int, u: float) -> float:
    return k * u / (1 - k * u)


def _float_points(points) -> np.ndarray:
    F = get_arith("float")
    cols = batch_input(points, F)
    return np.stack([np.asarray(c, dtype=np.float64) for c in cols], axis=1)


def float_error_bounds(network: Network, points, *, u: float = UNIT_ROUNDOFF["float64"],
                       u_stats: float | None = None) -> np.ndarray:
    r"""First-order bound on the float error of every output, per point (see module docstring).

    Parameters
    ----------
    network : Network
    points : sequence of sequences of exact numbers
    u : float
        Unit roundoff of the evaluation (``2**-53`` for float64).
    u_stats : float, optional
        Unit roundoff of the LayerNorm statistics (mean, variance); default ``u``.

    Returns
    -------
    ndarray of shape (n_points, n_outputs)
        ``inf`` where the estimate breaks down (zero variance, overflow).

    Examples
    --------
    >>> from lnnet_construct.network import Network, Affine
    >>> net = Network(2, [Affine([[1, 1]], [0])], classes=["a", "b"])
    >>> u = 2.0**-53; gamma4 = 4 * u / (1 - 4 * u)
    >>> E = float_error_bounds(net, [[1, 1]])   # row sum error + rounding of the two inputs
    >>> float(E[0, 0]) == gamma4 * 2 + 2 * u
    True
    """
    u_stats = u if u_stats is None else u_stats
    points = [tuple(p) for p in points]
    if not points:
        return np.zeros((0, network.output_dim))
    F = get_arith("float")
    X = _float_points(points)
    layers = float_layers(network)
    with np.errstate(all="ignore"):
        acts = [X] + [np.stack([np.broadcast_to(np.asarray(v, dtype=np.float64), (len(points),)) for v in a], axis=1)
                      for a in forward_layers(network, batch_input(points, F), F)]
        local = []   # rounding bound on each layer's output
        caches = []  # what the backward pass needs
        for layer, a in zip(layers, acts[:-1]):
            if layer["type"] == "affine":
                W, b = layer["weight"], layer["bias"]
                local.append(_gamma(W.shape[1] + 2, u) * (np.abs(a) @ np.abs(W).T + np.abs(b)))
                caches.append(None)
                continue
            n, g = layer["width"], layer["groups"]
            s = n // g
            x = a.reshape(len(a), g, s)
            c = x - x.mean(axis=2, keepdims=True)
            sig = np.sqrt((c * c).mean(axis=2, keepdims=True) + layer["eps"])
            xhat = c / sig
            ratio = np.abs(x).max(axis=2, keepdims=True) / sig
            r = _gamma(s + 6, u_stats) * np.abs(xhat) * (1 + ratio) + _gamma(s + 2, u_stats) * ratio
            r = r.reshape(len(a), n)
            xh = xhat.reshape(len(a), n)
            w, bb = layer["weight"], layer["bias"]
            if w is not None:
                r = np.abs(w) * r
                xh_scaled = np.abs(w * xh)
            else:
                xh_scaled = np.abs(xh)
            if w is not None or bb is not None:
                r = r + _gamma(2, u) * (xh_scaled + (np.abs(bb) if bb is not None else 0.0))
            local.append(r)
            caches.append((xhat, sig, w, g, s))
        n_out = acts[-1].shape[1]
        N = len(points)
        # g[:, k, :] = d o_k / d (current layer output)
        grad = np.broadcast_to(np.eye(n_out), (N, n_out, n_out)).copy()
        E = np.zeros((N, n_out))
        for layer, r, cache in zip(reversed(layers), reversed(local), reversed(caches)):
            E += np.einsum("nkj,nj->nk", np.abs(grad), r)
            if layer["type"] == "affine":
                grad = grad @ layer["weight"]
            else:
                xhat, sig, w, gr, s = cache
                gn = grad * w if w is not None else grad
                gn = gn.reshape(N, n_out, gr, s)
                xh = xhat[:, None, :, :]
                gx = (gn - gn.mean(axis=3, keepdims=True) - xh * (gn * xh).mean(axis=3, keepdims=True)) / sig[:, None, :, :]
                grad = gx.reshape(N, n_out, gr * s)
        E += np.einsum("nkj,nj->nk", np.abs(grad), u * np.abs(X))
        E = np.where(np.isfinite(E), E, np.inf)
    return E


def decision_error_bounds(network: Network, E: np.ndarray, winners) -> np.ndarray:
    """Float error bound of the decision quantity per point, given output bounds ``E``.

    ``sign``: ``E[:, 0]``; ``argmax``: ``max_k E[:, win] + E[:, k]`` (``inf`` without a winner).
    """
    if network.decision == "sign":
        return E[:, 0].copy()
    out = np.full(len(E), np.inf)
    for i, w in enumerate(winners):
        if w is not None:
            others = [E[i, w] + E[i, k] for k in range(E.shape[1]) if k != w]
            out[i] = max(others) if others else 0.0
    return out


def _round_down(q: Fraction) -> float:
    f = float(q)
    if Fraction(f) > q:
        f = float(np.nextafter(f, -np.inf))
    return f


def certified_margins(network: Network, points, *, max_bits: int = DEFAULT_MAX_BITS, progress=None):
    """Certified class index (or None) and a rigorous lower bound on the margin, per point.

    The margin is ``|o|`` (sign) or ``min_k o_win - o_k`` (argmax), read from
    the certified output enclosures of :func:`lnnet_construct.verify.verify`
    (run with the float64 decisions as labels, so that the enclosures of the
    likely class are the ones computed).  A point whose enclosure does not
    decide its class is evaluated again in arb balls at 64, 128, ... bits up
    to ``max_bits``.  Points where the network provably decides nothing
    (an exact 0 output, an exact tie, a zero variance) or that stay undecided
    get ``(None, 0.0)``.  ``progress`` (a
    :class:`lnnet_construct.cli.common.Progress`) is advanced once per point.

    This is the margin of the *predicted* class (no labels needed), in
    absolute terms, unlike the label-relative margin of a verify report.

    Returns
    -------
    (list of int or None, ndarray of float)
    """
    from ...verify import Verdict, verify

    points = [tuple(p) for p in points]
    if not points:
        return [], np.zeros(0)
    guess = [0 if g is None else g for g in _float_guess(network, points)]
    report = verify(network, points, [network.class_texts[g] for g in guess], max_bits=max_bits, progress=progress)
    idx: list = [None] * len(points)
    margins = np.zeros(len(points))
    for i, res in enumerate(report.points):
        decided = _from_enclosure(network, res.output)
        if decided is not None:
            idx[i], margins[i] = decided
        elif res.verdict is Verdict.INCONCLUSIVE or (res.verdict is Verdict.REFUTED and res.predicted is None):
            idx[i], margins[i] = None, 0.0  # decides nothing, or undecided at max_bits
        else:
            idx[i], margins[i] = _escalate(network, points[i], max_bits)
    return idx, np.maximum(margins, 0.0)


def _float_guess(network, points):
    F = get_arith("float")
    with F.active():
        outs = forward(network, batch_input(points, F), F)
        out = np.stack([np.broadcast_to(np.asarray(o, dtype=np.float64), (len(points),)) for o in outs], axis=1)
    return exported_decisions(network, out)


def _from_enclosure(network, output):
    """``(class, margin lower bound)`` if the exact output enclosure decides the class, else None."""
    if not output:
        return None
    if network.decision == "sign":
        lo, hi = output[0]
        if lo > 0:
            return 1, _round_down(Fraction(lo))
        if hi < 0:
            return 0, _round_down(Fraction(-hi))
        return None
    for c, (lo_c, _) in enumerate(output):
        gaps = [Fraction(lo_c) - Fraction(hi_k) for k, (_, hi_k) in enumerate(output) if k != c]
        if all(g > 0 for g in gaps):
            return c, _round_down(min(gaps))
    return None


def _escalate(network, point, max_bits):
    bits = 64
    while bits <= max_bits:
        A = get_arith("arb", prec=bits)
        try:
            with A.active():
                outs = forward(network, point, A)
                idx, status = decide_index(network, outs, A)
                if status == "decided":
                    if network.decision == "sign":
                        q = outs[0] if idx == 1 else -outs[0]
                        lows = [A.lower(q)]
                    else:
                        lows = [A.lower(outs[idx] - outs[k]) for k in range(len(outs)) if k != idx]
                    return idx, min(_round_down(lo) for lo in lows)
        except ZeroVarianceError:
            return None, 0.0
        except ArithmeticUndecided:
            status = "unknown"
        if status == "zero":
            return None, 0.0
        bits *= 2
    return None, 0.0


@dataclass
class ParityReport:
    """Exported decisions against certified ones (see module docstring).

    Attributes
    ----------
    format, path, dtype : str
    n_points : int
    agree : int
        Points where the export decides like the certified evaluation.
    below_resolution : list of dict
        :func:`parity_report`: every point with ``margin <= SAFETY *
        error_bound``.  :func:`float_parity_report`: every point that is not
        FLOAT-VERIFIED, with its verdict and reason.  Row (1-based),
        certified and exported class.
    mismatches : list of dict
        Points above resolution (or FLOAT-VERIFIED) where the export disagrees (should be empty).
    float_verified : int or None
        :func:`float_parity_report`: points proven to be decided as certified.
    float_object : dict or None
        What was verified (format, LayerNorm algorithms, eps, rows).
    """

    format: str
    path: str
    dtype: str = "float64"
    n_points: int = 0
    agree: int = 0
    safety: float = SAFETY
    unit_roundoff: float = UNIT_ROUNDOFF["float64"]
    stats_unit_roundoff: float = UNIT_ROUNDOFF["float64"]
    below_resolution: list = field(default_factory=list)
    mismatches: list = field(default_factory=list)
    float_verified: int | None = None
    float_object: dict | None = None
    written: bool = True

    @property
    def ok(self) -> bool:
        """True when every point above resolution agrees."""
        return not self.mismatches

    @property
    def all_float_verified(self) -> bool:
        """True when every point is FLOAT-VERIFIED (:func:`float_parity_report`)."""
        return self.float_verified is not None and self.float_verified == self.n_points

    def to_dict(self) -> dict:
        return {
            "format": self.format,
            "path": self.path,
            "dtype": self.dtype,
            "points": self.n_points,
            "agree": self.agree,
            "safety": self.safety,
            "unit_roundoff": self.unit_roundoff,
            "stats_unit_roundoff": self.stats_unit_roundoff,
            "below_resolution": self.below_resolution,
            "mismatches": self.mismatches,
            "parity": "ok" if self.ok else "FAILED",
            "float_verified": self.float_verified,
            "float_object": self.float_object,
            "written": self.written,
        }


def parity_report(network: Network, points, exported_outputs, *, fmt: str, path: str = "",
                  u: float = UNIT_ROUNDOFF["float64"], u_stats: float | None = None,
                  max_bits: int = DEFAULT_MAX_BITS, progress=None) -> ParityReport:
    """Compare exported float outputs (n_points × n_outputs) with the certified decisions.

    Examples
    --------
    >>> from lnnet_construct.network import Network, Affine
    >>> net = Network(1, [Affine([[1]], [0])], classes=["a", "b"])
    >>> rep = parity_report(net, [[1], [0], [-2]], np.array([[1.0], [0.0], [-2.0]]), fmt="npz")
    >>> rep.agree, [e["row"] for e in rep.below_resolution], rep.ok
    (3, [2], True)
    """
    points = [tuple(p) for p in points]
    u_stats = u if u_stats is None else u_stats
    idx, margins = certified_margins(network, points, max_bits=max_bits, progress=progress)
    E = float_error_bounds(network, points, u=u, u_stats=u_stats)
    err = decision_error_bounds(network, E, idx)
    got = exported_decisions(network, exported_outputs)
    rep = ParityReport(fmt, str(path), n_points=len(points), unit_roundoff=u, stats_unit_roundoff=u_stats)

    def name(i):
        return None if i is None else network.classes[i]

    for row, (c, e, m, bound) in enumerate(zip(idx, got, margins, err), start=1):
        entry = {"row": row, "certified": name(c), "exported": name(e),
                 "margin": float(m), "error_bound": float(bound)}
        rep.agree += c == e
        if c is None or not m > SAFETY * bound:
            rep.below_resolution.append(entry)
        elif c != e:
            rep.mismatches.append(entry)
    return rep


#: The float object verified for each export: keyword arguments of ``float_verify``
EXPORT_OBJECTS = {
    "torch": {"arith": "float64", "ln_algorithms": ("welford/times-rstd",), "rows": "alike"},
    "onnx": {"arith": "float64", "ln_algorithms": ("two-pass/divide",), "rows": "alike"},
    "onnx-native": {"arith": "float64", "ln_algorithms": ("welford/divide", "two-pass/divide", "one-pass/divide"),
                    "ln_stats": "float32", "ln_eps32": True, "rows": "alike"},
    "npz": {"arith": "float64", "ln_algorithms": ("two-pass", "welford", "one-pass"), "rows": "any"},
}


def export_object(fmt: str, onnx_layernorm: str = "decomposed") -> dict:
    """The :data:`EXPORT_OBJECTS` entry of an export format (ONNX by its LayerNorm mode)."""
    if fmt == "onnx" and onnx_layernorm == "native":
        return dict(EXPORT_OBJECTS["onnx-native"])
    return dict(EXPORT_OBJECTS[fmt])


def float_verdicts(network: Network, points, fmt: str, *, onnx_layernorm: str = "decomposed",
                   max_bits: int = DEFAULT_MAX_BITS, progress=None):
    """``(certified, report)``: the certified class per point, and the float report of the export's object.

    A point whose certified class is unknown (the exact network decides
    nothing there, or undecided at ``max_bits``) is verified against no class
    and is reported FLOAT-REFUTED or INCONCLUSIVE with that reason.
    """
    from ...verify.floats import float_verify
    from ...verify.floats.check import FloatPointResult, FloatVerdict

    points = [tuple(p) for p in points]
    idx, _ = certified_margins(network, points, max_bits=max_bits, progress=progress)
    obj = export_object(fmt, onnx_layernorm)
    arith = obj.pop("arith")
    labels = [network.class_texts[c] if c is not None else network.class_texts[0] for c in idx]
    rep = float_verify(network, points, labels, arith, **obj)
    if fmt == "torch" and rep.object.get("notes"):
        note = rep.object["notes"][0]
        rep.points = [FloatPointResult(p.index, p.label, FloatVerdict.INCONCLUSIVE, note, p.output, p.replay,
                                       p.predicted) if p.verdict is FloatVerdict.VERIFIED else p for p in rep.points]
    for i, c in enumerate(idx):
        if c is None:
            p = rep.points[i]
            rep.points[i] = FloatPointResult(p.index, p.label, FloatVerdict.INCONCLUSIVE,
                                             "the exact network decides no class here (or undecided at max_bits)",
                                             p.output, p.replay, p.predicted)
    return idx, rep


def float_parity_report(network: Network, points, exported_outputs, *, fmt: str, path: str = "",
                        onnx_layernorm: str = "decomposed", max_bits: int = DEFAULT_MAX_BITS, progress=None,
                        verdicts=None) -> ParityReport:
    """The proof-based parity report (module docstring); ``exported_outputs`` may be None (file not written).

    Examples
    --------
    >>> from lnnet_construct.network import Network, Affine
    >>> net = Network(1, [Affine([[1]], [0])], classes=["a", "b"])
    >>> rep = float_parity_report(net, [[1], [0], [-2]], np.array([[1.0], [0.0], [-2.0]]), fmt="npz")
    >>> rep.float_verified, [(e["row"], e["verdict"]) for e in rep.below_resolution], rep.ok
    (2, [(2, 'INCONCLUSIVE')], True)
    """
    from ...verify.floats.check import FloatVerdict

    points = [tuple(p) for p in points]
    idx, frep = verdicts if verdicts is not None else float_verdicts(
        network, points, fmt, onnx_layernorm=onnx_layernorm, max_bits=max_bits, progress=progress)
    got = exported_decisions(network, exported_outputs) if exported_outputs is not None else [None] * len(points)
    u_stats = UNIT_ROUNDOFF["float32"] if frep.object.get("ln_stats") == "float32" else UNIT_ROUNDOFF["float64"]
    rep = ParityReport(fmt, str(path), n_points=len(points), stats_unit_roundoff=u_stats,
                       float_verified=frep.verified, float_object=frep.object,
                       written=exported_outputs is not None)

    def name(i):
        return None if i is None else network.classes[i]

    for row, (c, e, p) in enumerate(zip(idx, got, frep.points), start=1):
        entry = {"row": row, "certified": name(c), "exported": name(e) if exported_outputs is not None else None,
                 "verdict": p.verdict.value, "reason": p.reason}
        rep.agree += exported_outputs is not None and c == e
        if p.verdict is not FloatVerdict.VERIFIED:
            rep.below_resolution.append(entry)
        elif exported_outputs is not None and c != e:
            rep.mismatches.append(entry)
    return rep
