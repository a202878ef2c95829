r"""``verify``: certified verdicts with adaptive precision.

Pipeline (``backend="auto"``):

1. Labels are matched to ``network.class_texts`` by text; a label that is
   not a class is REFUTED at once.
2. **Tier 1** — all points at once in outward-rounded float64 intervals:
   the rank-1 scalar chain (:mod:`.chain`, :mod:`.batch`) when the network
   is one (detected exactly), else the generic forward pass.
3. **Tier 1.5** — for chains whose inner layers are folds, when many points
   are undecided: vectorised double-double balls for all of them at once
   (:mod:`.ddtier`, about 100 bits; reported as 106 bits).
4. **Tier 2** — the points still undecided, one at a time, in python-flint
   ``arb`` (the scalar chain, or the generic forward pass), starting at a
   precision estimated from the tier-1 enclosure and doubling up to
   ``max_bits``.
5. **Exact fallbacks** — a point still undecided at the cap is evaluated
   exactly when that is cheap: rationally when no irrational square root
   occurs (any depth); as algebraic expressions checked for a structurally
   exact zero (a decisive quantity whose sums cancel identically, at most
   200 LayerNorm layers); with exact algebraic signs when the network has
   at most ``exact_depth`` LayerNorm layers (in a separate process, at most
   20 s per point and 60 s per call).  Otherwise it is INCONCLUSIVE.

Other backends: ``"interval"`` (tier 1 only; the cap is 53 bits),
``"arb"`` and ``"iv"`` (tier 2 from 64 bits in python-flint or in mpmath's
interval context, then the exact fallbacks), ``"exact"`` (the exact oracle
for every point; small networks only).

A point is VERIFIED only when rigorous bounds prove that the label wins;
REFUTED only when they prove that it does not (another class scores at
least as much, the output is exactly 0 or exactly tied, or a LayerNorm
variance is exactly 0); INCONCLUSIVE otherwise.

Examples
--------
>>> from lnnet_construct.fold import fold_network
>>> net = fold_network([1], [(2, 1)], ("sign", "3.6", 1), classes=["out", "in"])
>>> rep = verify(net, [[0], [2], [1]], ["out", "in", "in"])
>>> [p.verdict.value for p in rep.points], rep.exit_code
(['VERIFIED', 'VERIFIED', 'VERIFIED'], 0)
>>> rep = verify(net, [[0], [5]], ["in", "cat"])
>>> for p in rep.points:
...     print(p.verdict.value, "-", p.reason)
REFUTED - the network outputs 'out'
REFUTED - label 'cat' is not a class of the network (expected one of 'out', 'in')
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np

from ..arith import get_arith
from ..errors import ArithmeticUndecided, InputError
from ..numbers import to_exact
from .batch import BatchResult, chain_batch, generic_batch, head_batch
from .chain import detect_chain
from .oracle import exact_outcome, rational_outcome, structural_outcome
from .report import PointResult, Report, Verdict
from .ddtier import dd_applicable, dd_chain_arrays, dd_float_bounds
from .scalar import ArbChain, ScalarOutcome, arb_chain_head, arb_chain_point, generic_point

__all__ = ["verify", "BACKENDS", "DEFAULT_MAX_BITS", "EXACT_DEPTH"]

BACKENDS = ("auto", "interval", "arb", "iv", "exact")
DEFAULT_MAX_BITS = 4096
#: Networks with at most this many LayerNorm layers get exact algebraic fallbacks.
EXACT_DEPTH = 4
#: Networks with at most this many LayerNorm layers get the structural exact-zero fallback.
STRUCTURAL_DEPTH = 200
#: Time limit (seconds) of one exact algebraic fallback, and of all of them in one call.
EXACT_SECONDS = 20.0
EXACT_BUDGET = 60.0
_FLOAT_BITS = 53
#: Double-double significand bits, and the precision of the arb head that reads its balls.
_DD_BITS = 106
_DD_HEAD_BITS = 128
#: Fewest undecided points for which the vectorised double-double tier beats per-point arb.
_DD_MIN = 24


def _check_args(network, points, labels, max_bits, backend):
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if isinstance(max_bits, bool) or not isinstance(max_bits, int) or max_bits < 2:
        raise InputError(f"max_bits must be an integer >= 2, got {max_bits!r}")
    return exact_points_and_labels(network, points, labels)


def exact_points_and_labels(network, points, labels):
    """Points as exact tuples and labels as texts, checked against each other and the network (InputError)."""
    if labels is None:
        raise InputError("verify needs one label per point")
    points = [tuple(to_exact(v) for v in p) for p in points]
    labels = [str(lab) for lab in labels]
    if len(points) != len(labels):
        raise InputError(f"{len(points)} points but {len(labels)} labels")
    for i, p in enumerate(points, start=1):
        if len(p) != network.input_dim:
            raise InputError(f"point {i} has {len(p)} coordinates, the network expects {network.input_dim}")
    return points, labels


def _bits_schedule(start: int, max_bits: int):
    bits = min(start, max_bits)
    while True:
        yield bits
        if bits >= max_bits:
            return
        bits = min(2 * bits, max_bits)


def _estimate_bits(d_lo: float, d_hi: float, max_bits: int) -> int:
    """Precision that should decide a point whose float64 enclosure was ``[d_lo, d_hi]``.

    Widths shrink like ``2^-bits``; ask for the width to fall well below the
    distance from 0, plus slack.  Only a starting point: the schedule doubles.
    """
    if not (math.isfinite(d_lo) and math.isfinite(d_hi)):
        return 64
    w = d_hi / 2 - d_lo / 2  # halves: an enclosure as wide as [-1e308, 1e308] must not overflow
    mid = abs(d_hi / 2 + d_lo / 2)
    if w <= 0:
        return 64
    log_ratio = math.log2(w) - math.log2(max(mid, w * 2.0 ** -max_bits, 1e-300))
    est = _FLOAT_BITS + max(log_ratio, 0.0) + 12
    return max(64, int(math.ceil(est / 16.0)) * 16)


class _Verifier:
    def __init__(self, network, points, labels, max_bits, backend, progress, use_structure, exact_depth):
        self.net = network
        self.points = points
        self.labels = labels
        self.max_bits = max_bits
        self.backend = backend
        self.progress = progress
        self.exact_depth = exact_depth
        texts = network.class_texts
        self.label_idx = np.array([texts.index(lab) if lab in texts else -1 for lab in labels], np.int64)
        self.chain = detect_chain(network) if use_structure else None
        self.results: list = [None] * len(points)
        self.escalated = 0
        self.timings: dict = {}
        self._arb_chains: dict = {}
        self._sigma1 = None
        #: seconds left for exact algebraic fallbacks (sympy can take very long on nested radicals)
        self.exact_budget = EXACT_BUDGET

    # --- helpers --------------------------------------------------------
    def tick(self, n=1):
        if self.progress is not None and n:
            self.progress.update(n)

    def sigma1(self, i):
        """Exact first scalar of point ``i`` (computed on demand: only escalated points need it)."""
        if self._sigma1 is None:
            self._sigma1 = {}
        got = self._sigma1.get(i)
        if got is None:
            got = self._sigma1[i] = self.chain.sigma1(self.points[i])
        return got

    def _class(self, k):
        return self.net.class_texts[k]

    def result_from(self, i, out: ScalarOutcome, bits, method) -> PointResult | None:
        lab = self.labels[i]
        if out.status == 0:
            return None
        # outward rounding to short dyadics keeps the bounds certified and the report readable
        keep = max(64, (bits or 0) + 16)
        outputs = None if out.outputs is None else tuple((_down(lo, keep), _up(hi, keep)) for lo, hi in out.outputs)
        margin = None if out.margin is None else (_down(out.margin[0], 64), _up(out.margin[1], 64))
        if out.status == 1:
            return PointResult(i, lab, Verdict.VERIFIED, "", outputs, margin, bits, method)
        return PointResult(i, lab, Verdict.REFUTED, self._reason(out.zero, out.zero_variance, out.beaten_by),
                           outputs, margin, bits, method, self._predicted(out.beaten_by))

    def _predicted(self, k):
        if k < 0 or self.net.decision != "sign":
            return None
        return self._class(k)

    def _reason(self, zero, zero_var, beaten):
        if zero_var:
            return "a LayerNorm variance is exactly 0 (LayerNorm undefined)"
        if self.net.decision == "sign":
            if zero:
                return "the output is exactly 0 (the network decides nothing)"
            if beaten >= 0:
                return f"the network outputs {self._class(beaten)!r}"
            return "the output is proven <= 0 for the label"
        if zero:
            return "exact tie between the label and another class (the network decides nothing)"
        if beaten >= 0:
            return f"class {self._class(beaten)!r} scores strictly higher than the label"
        return "another class scores at least as much as the label"

    # --- tiers ----------------------------------------------------------
    def label_errors(self):
        texts = self.net.class_texts
        expected = ", ".join(repr(t) for t in texts)
        for i in np.flatnonzero(self.label_idx < 0):
            why = f"label {self.labels[i]!r} is not a class of the network (expected one of {expected})"
            self.results[i] = PointResult(int(i), self.labels[i], Verdict.REFUTED, why, method="label")
        self.tick(int((self.label_idx < 0).sum()))

    def tier1(self) -> tuple[list, BatchResult | None]:
        t0 = time.perf_counter()
        if self.chain is not None:
            br = chain_batch(self.chain, self.points, self.label_idx)
            method = "interval-chain"
        else:
            br = generic_batch(self.net, self.points, self.label_idx)
            method = "interval"
        undecided = self.take_batch(br, np.flatnonzero(self.label_idx >= 0).tolist(), _FLOAT_BITS, method)
        self.tick(int((self.label_idx >= 0).sum()) - len(undecided))
        self.timings["tier1"] = time.perf_counter() - t0
        return undecided, br

    def take_batch(self, br: BatchResult, where: list, bits: int, method: str, local: bool = False) -> list:
        """Results for the points ``where`` that ``br`` decides; returns the others.

        ``br`` has a row per point of the call, or with ``local`` a row per
        entry of ``where``.
        """
        undecided = []
        status = br.status.tolist()
        out_lo, out_hi = br.out_lo.tolist(), br.out_hi.tolist()
        m_lo, m_hi = br.m_lo.tolist(), br.m_hi.tolist()
        zero, beaten = br.zero.tolist(), br.beaten_by.tolist()
        finite = math.isfinite
        for j, i in enumerate(where):
            t = j if local else i
            st = status[t]
            if st == 0:
                undecided.append(i)
                continue
            lo_i, hi_i = out_lo[t], out_hi[t]
            if all(finite(v) for v in lo_i) and all(finite(v) for v in hi_i):
                outs = tuple((Fraction(a), Fraction(b)) for a, b in zip(lo_i, hi_i))  # exact dyadics
            else:
                outs = None
            margin = (Fraction(m_lo[t]), Fraction(m_hi[t])) if finite(m_lo[t]) and finite(m_hi[t]) else None
            lab = self.labels[i]
            if st == 1:
                self.results[i] = PointResult(i, lab, Verdict.VERIFIED, "", outs, margin, bits, method)
            else:
                self.results[i] = PointResult(i, lab, Verdict.REFUTED, self._reason(zero[t], False, beaten[t]),
                                              outs, margin, bits, method, self._predicted(beaten[t]))
        return undecided

    def scalar_at(self, i, bits):
        c = int(self.label_idx[i])
        if self.backend == "iv":
            return generic_point(self.net, self.points[i], c, get_arith("iv", bits)), "iv"
        if self.chain is not None:
            return arb_chain_point(self.arb_chain(bits), self.sigma1(i), c), "arb-chain"
        return generic_point(self.net, self.points[i], c, get_arith("arb", bits)), "arb"

    def arb_chain(self, bits) -> ArbChain:
        ac = self._arb_chains.get(bits)
        if ac is None:
            ac = self._arb_chains[bits] = ArbChain(self.chain, bits)
        return ac

    def tier_dd(self, todo) -> tuple[list, set]:
        """Double-double balls for many undecided chain points at once; returns (still undecided, tried)."""
        t0 = time.perf_counter()
        idx, Mh, Ml, R = dd_chain_arrays(self.chain, [self.sigma1(i) for i in todo])
        kept = [todo[t] for t in idx.tolist()]
        # the head (last LayerNorm and output) in float64 intervals, then in arb where that is not enough
        lo, hi = dd_float_bounds(Mh, Ml, R)
        br = head_batch(self.chain, lo, hi, self.label_idx[kept])
        row = {i: t for t, i in enumerate(kept)}
        kept_set = set(kept)
        rest = [i for i in todo if i not in kept_set]
        undecided = self.take_batch(br, kept, _DD_BITS, "dd-chain", local=True)
        done = len(kept) - len(undecided)
        for i in undecided:
            t = row[i]
            mid = Fraction(float(Mh[t])) + Fraction(float(Ml[t]))
            out = arb_chain_head(self.arb_chain(_DD_HEAD_BITS), mid, float(R[t]), int(self.label_idx[i]))
            res = self.result_from(i, out, _DD_BITS, "dd-chain")
            if res is None:
                rest.append(i)
            else:
                self.results[i] = res
                done += 1
        self.tick(done)
        self.timings["tier_dd"] = time.perf_counter() - t0
        return rest, kept_set

    def tier2(self, todo, br: BatchResult | None):
        tried_dd: set = set()
        if (self.chain is not None and br is not None and len(todo) >= _DD_MIN
                and self.max_bits >= _DD_BITS and dd_applicable(self.chain)):
            todo, tried_dd = self.tier_dd(todo)
        t0 = time.perf_counter()
        for i in todo:
            start = 64
            if br is not None:
                start = _estimate_bits(float(br.d_lo[i]), float(br.d_hi[i]), self.max_bits)
            if i in tried_dd:  # about 100 bits were not enough
                start = max(start, 2 * _DD_BITS)
            res = None
            note = ""
            for bits in _bits_schedule(start, self.max_bits):
                out, method = self.scalar_at(i, bits)
                res = self.result_from(i, out, bits, method)
                if res is not None:
                    break
                note = out.note
            if res is None:
                res = self.fallback(i, note)
            self.results[i] = res
            self.tick()
        self.timings["tier2"] = time.perf_counter() - t0

    def fallback(self, i, note) -> PointResult:
        c = int(self.label_idx[i])
        out = rational_outcome(self.net, self.points[i], c)
        if out is not None:
            return self.result_from(i, out, None, "rational")
        if self.net.depth <= STRUCTURAL_DEPTH:
            out = structural_outcome(self.net, self.points[i], c, min(self.max_bits, 512))
            if out is not None:
                return self.result_from(i, out, None, "exact")
        if self.net.depth <= self.exact_depth and self.exact_budget > 0:
            t0 = time.perf_counter()
            out = _exact_with_timeout(self.net, self.points[i], c, min(EXACT_SECONDS, self.exact_budget))
            self.exact_budget -= time.perf_counter() - t0
            if out is not None:
                return self.result_from(i, out, None, "exact")
            note = note or "exact algebra gave up or timed out"
        why = f"undecided at the precision cap of {self.max_bits} bits"
        if note:
            why += f" ({note})"
        why += "; try a larger --max-bits"
        return PointResult(i, self.labels[i], Verdict.INCONCLUSIVE, why, bits=self.max_bits,
                           method="arb" if self.backend != "iv" else "iv")

    def exact_all(self, todo):
        for i in todo:
            c = int(self.label_idx[i])
            try:
                out = exact_outcome(self.net, self.points[i], c)
                res = self.result_from(i, out, None, "exact")
            except ArithmeticUndecided as e:
                res = PointResult(i, self.labels[i], Verdict.INCONCLUSIVE, str(e), method="exact")
            self.results[i] = res
            self.tick()

    def run(self) -> list:
        self.label_errors()
        todo = [int(i) for i in np.flatnonzero(self.label_idx >= 0)]
        if not todo:
            return self.results
        if self.backend == "exact":
            self.exact_all(todo)
            return self.results
        br = None
        if self.backend in ("auto", "interval") and self.max_bits >= _FLOAT_BITS:
            todo, br = self.tier1()
            self.escalated = len(todo)
        if self.backend == "interval":
            if br is None:
                why, bits = "the interval backend works at 53 bits, above the cap", None
            else:
                why, bits = "undecided in float64 intervals (the interval backend's cap)", _FLOAT_BITS
            for i in todo:
                self.results[i] = PointResult(i, self.labels[i], Verdict.INCONCLUSIVE, why, bits=bits,
                                              method="interval")
            self.tick(len(todo))
            return self.results
        self.tier2(todo, br)
        if br is None:  # arb / iv from the start: count the points the first precision did not settle
            first = min(64, self.max_bits)
            self.escalated = sum(1 for i in todo if (self.results[i].bits or 0) > first
                                 or self.results[i].verdict is Verdict.INCONCLUSIVE)
        return self.results


def _exact_child(network, point, c, conn):
    try:
        conn.send(exact_outcome(network, point, c))
    except ArithmeticUndecided:
        conn.send(None)
    finally:
        conn.close()


def _exact_with_timeout(network, point, c, seconds: float):
    """:func:`exact_outcome` in a forked process that is stopped after ``seconds`` (None then).

    Exact zero tests of nested radicals (sympy's ``minimal_polynomial``) can
    run for hours; a verdict must never hang on them.  Without ``fork`` the
    oracle runs inline, without a limit.
    """
    import multiprocessing as mp

    try:
        ctx = mp.get_context("fork")
    except ValueError:
        try:
            return exact_outcome(network, point, c)
        except ArithmeticUndecided:
            return None
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_exact_child, args=(network, point, c, send), daemon=True)
    proc.start()
    send.close()
    try:
        out = recv.recv() if recv.poll(max(seconds, 0.0)) else None
    except EOFError:
        out = None
    finally:
        recv.close()
        if proc.is_alive():
            proc.terminate()
        proc.join()
    return out


def _down(q: Fraction, bits: int) -> Fraction:
    """Largest dyadic with ``bits`` significant bits that is ``<= q`` (q itself if shorter)."""
    if q == 0 or q.denominator.bit_length() + q.numerator.bit_length() <= 2 * bits:
        return q
    n, d = q.numerator, q.denominator
    shift = bits - (abs(n).bit_length() - d.bit_length())
    if shift >= 0:
        return Fraction((n << shift) // d, 1 << shift)
    return Fraction((n // (d << -shift)) << -shift)


def _up(q: Fraction, bits: int) -> Fraction:
    return -_down(-q, bits)


def verify(network, points, labels, *, max_bits: int = DEFAULT_MAX_BITS, backend: str = "auto",
           progress=None, use_structure: bool = True, exact_depth: int = EXACT_DEPTH, arith: str = "exact",
           ln_algorithms=None, ln_stats: str = "format", ln_eps32: bool = False, rows: str = "any"):
    """Certify, point by point, that ``network`` outputs each label (exactly, or in float64 / float32).

    Parameters
    ----------
    network : Network
    points : sequence of sequences of exact numbers
        Coordinates as Fractions, ints, Exprs or exact-number strings.
    labels : sequence of str (or int)
        Matched to ``network.class_texts`` by text.
    max_bits : int, default 4096
        Precision cap (bits) of the escalation.  Below 53 the float64 tier is
        skipped, so that no point is decided with more than ``max_bits``.
    backend : {"auto", "interval", "arb", "iv", "exact"}
        See the module docstring.
    progress : object with ``update(n)``, optional
    use_structure : bool, default True
        Use the rank-1 scalar chain when the network is one (False forces
        the generic path; for testing).
    exact_depth : int, default 4
        Largest LayerNorm depth for the exact algebraic fallback.
    arith : {"exact", "float64", "float32"}, default "exact"
        ``"exact"``: the network in exact arithmetic (everything above).
        ``"float64"`` / ``"float32"``: every IEEE evaluation of the network
        in that format (:func:`lnnet_construct.verify.floats.float_verify`;
        FLOAT-VERIFIED / FLOAT-REFUTED / INCONCLUSIVE); ``max_bits``,
        ``backend``, ``use_structure`` and ``exact_depth`` do not apply.
    ln_algorithms : sequence of str, optional
        Float verdicts only: LayerNorm algorithms assumed (default all of
        ``"two-pass", "welford", "one-pass"``).
    ln_stats : {"format", "float32"}
        Float verdicts only: format of the LayerNorm statistics.
    ln_eps32 : bool
        Float verdicts only: also allow eps rounded to float32 (ONNX's attribute).
    rows : {"any", "alike"}
        Float verdicts only: affine rows in independent summation orders, or
        all rows of a layer by the same operations.

    Returns
    -------
    Report
        Verdicts with certified output enclosures, margins and precisions;
        ``report.exit_code`` is 0 (all verified), 1 (some refuted) or 2
        (some inconclusive, none refuted).  With a float ``arith``, a
        :class:`lnnet_construct.verify.floats.FloatReport` with the same exit codes.

    Raises
    ------
    InputError
        Mismatched points and labels, wrong dimensions, unknown backend or arith.

    Examples
    --------
    >>> from lnnet_construct.fold import fold_network
    >>> net = fold_network([1], [(2, 1)], ("sign", "3.6", 1), classes=["out", "in"])
    >>> rep = verify(net, [[0], [2]], ["out", "in"], arith="float32")
    >>> [p.verdict.value for p in rep.points], rep.exit_code
    (['FLOAT-VERIFIED', 'FLOAT-VERIFIED'], 0)
    """
    if arith != "exact":
        if arith not in ("float64", "float32"):
            raise InputError(f"unknown arith {arith!r}; expected exact, float64 or float32")
        from .floats import ALGORITHMS, float_verify

        return float_verify(network, points, labels, arith,
                            ln_algorithms=ALGORITHMS if ln_algorithms is None else tuple(ln_algorithms),
                            ln_stats=ln_stats, ln_eps32=ln_eps32, rows=rows, progress=progress)
    if ln_algorithms is not None or ln_stats != "format" or ln_eps32 or rows != "any":
        raise InputError("ln_algorithms, ln_stats, ln_eps32 and rows apply only to arith='float64' or 'float32'")
    t0 = time.perf_counter()
    points, labels = _check_args(network, points, labels, max_bits, backend)
    v = _Verifier(network, points, labels, max_bits, backend, progress, use_structure, exact_depth)
    results = v.run()
    structure = "chain" if v.chain is not None else "generic"
    return Report(results, max_bits=max_bits, backend=backend, seconds=time.perf_counter() - t0,
                  structure=structure, escalated=v.escalated, timings=v.timings)
