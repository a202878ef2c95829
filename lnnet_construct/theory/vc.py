r"""VC-dimension lower bounds: shattering witnesses, built and certified (MATH.md §4).

A **shattering witness** for depth ``L`` is a point set of ``N`` points and,
for each of the ``2^N`` labellings with labels 0/1, a width-3 LN-Net with at
most ``L`` LayerNorm layers that classifies every point correctly, each
claim certified by rigorous arithmetic.

* :func:`shatter` returns a certified witness: by default the largest one
  this toolkit knows (found by the search of
  :mod:`lnnet_construct.theory.vc_search`, recomputed and re-certified on
  every call), else the baseline of MATH.md §4.
* :func:`baseline_witness` is the baseline: the ``N = L + 2`` points
  ``0, 1, ..., L+1`` on the first axis of ``R^d``, every labelling solved by
  the paper's merge steps (§3.1: fold the leftmost cluster onto the next
  cluster with its label, ``c`` = midpoint, ``h`` = half-distance), padded to
  exactly ``L`` layers by monotone folds (``c < min t``); constant
  labellings use a constant output.
* :func:`verify_witness` certifies a witness (object or file): every
  network has at most ``depth`` LN layers and width at most 3, all ``2^N``
  labellings are present and distinct, and every network provably outputs
  its label on every point.

Exactness.  The fold centres of later layers are midpoints of algebraic
numbers whose expressions nest one square root per layer; instead the
construction uses *rational* centres within a tiny fraction of the smallest
gap of the midpoint, so merged clusters stay adjacent (not equal) and the
run structure of §3.1 is unchanged.  Nothing rests on this argument: every
network is certified afterwards.

Certification speed.  Every network with hidden width 3, one-group LayerNorms
without elementwise affine and a single ``sign`` output is, exactly, a
recursion on two rational coordinates: a centred ``z`` is ``u v1 + w v2``
(``v1 = (1,-1,0)``, ``v2 = (1,1,-2)``), ``LN(z) = (u v1 + w v2) / n`` with

.. math::

    n = \sqrt{(2u^2 + 6w^2)/3 + \varepsilon},

and each affine layer acts on ``(p, q) = (u, w)/n`` by a rational 2×2 matrix
plus a vector, read off the weights exactly (``u = v1·z/2``,
``w = v2·z/6``).  :func:`verify_witness` checks this shape exactly with
``Fraction`` arithmetic, then evaluates *all networks of the same depth at
once* on all points in outward-rounded float64 interval arithmetic
(:mod:`lnnet_construct.arith.interval`); the (network, point) pairs it
cannot decide, and every network of another shape, go to
:func:`lnnet_construct.verify.verify` (arb balls at rising precision, exact
fallbacks).  The fold networks of MATH.md §2.2 are the special case
``(u, w) = (6q - c, h)``.

Examples
--------
>>> w = baseline_witness(2)
>>> w.n_points, len(w.labellings), max(lab.network.depth for lab in w.labellings)
(4, 16, 2)
>>> rep = verify_witness(w)
>>> rep.status, rep.exit_code
('certified', 0)

References
----------
``proofs/vc-lower-bound.md``; MATH.md §3.1, §4.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ConstructionError, InputError
from ..fold import fold_rows, read_vector
from ..io.witness import Labelling, Witness, load_witness, save_witness

__all__ = [
    "Witness",
    "Labelling",
    "WitnessReport",
    "shatter",
    "baseline_witness",
    "eps_witness",
    "baseline_points",
    "paper_fold_plan",
    "fold_specs",
    "all_labellings",
    "verify_witness",
    "simplest_between",
    "fold_float",
    "save_witness",
    "load_witness",
]

#: Label alphabet and network classes of every witness built here.
CLASSES = (0, 1)

# ----------------------------------------------------------------------------- small exact helpers


def simplest_between(lo, hi) -> Fraction:
    """The rational with the smallest denominator (then numerator) in ``[lo, hi]``.

    >>> simplest_between(Fraction(3, 10), Fraction(2, 5))
    Fraction(1, 3)
    >>> simplest_between(Fraction(-7, 4), Fraction(-5, 4))
    Fraction(-3, 2)
    >>> simplest_between(2, 2)
    Fraction(2, 1)
    """
    lo, hi = Fraction(lo), Fraction(hi)
    if lo > hi:
        lo, hi = hi, lo
    if lo <= 0 <= hi:
        return Fraction(0)
    if hi < 0:
        return -simplest_between(-hi, -lo)
    # 0 < lo <= hi: continued-fraction descent on integer pairs
    an, ad, bn, bd = lo.numerator, lo.denominator, hi.numerator, hi.denominator
    terms = []
    while True:
        fa = an // ad
        if fa * ad == an:  # lo is an integer
            last = fa
            break
        if (fa + 1) * bd <= bn:  # an integer lies in (lo, hi]
            last = fa + 1
            break
        # lo, hi in (fa, fa + 1): continue with 1/(hi - fa) <= 1/(lo - fa)
        terms.append(fa)
        an, ad, bn, bd = bd, bn - fa * bd, ad, an - fa * ad
    h0, h1, k0, k1 = 0, 1, 1, 0
    for a in terms + [last]:
        h0, h1 = h1, a * h1 + h0
        k0, k1 = k1, a * k1 + k0
    return Fraction(h1, k1)


def _near(x: float, tol: float) -> Fraction:
    """Simplest rational within ``tol`` of the float ``x`` (tol > 0)."""
    return simplest_between(Fraction(x) - Fraction(tol), Fraction(x) + Fraction(tol))


def fold_float(t, c, h, eps=0.0):
    r"""The fold ``τ = 6h / sqrt((2(t-c)^2 + 6h^2)/3 + eps)`` in plain float64 (NOT rigorous; planning only).

    >>> round(float(fold_float(0.0, 1.0, 1.0)), 12) == round(float(fold_float(2.0, 1.0, 1.0)), 12)
    True
    """
    d = np.asarray(t, dtype=float) - float(c)
    h = float(h)
    return 6.0 * h / np.sqrt((2.0 * d * d + 6.0 * h * h) / 3.0 + float(eps))


def all_labellings(n: int) -> list:
    """All ``2^n`` 0/1 labellings of ``n`` points, in lexicographic order.

    >>> all_labellings(2)
    [(0, 0), (0, 1), (1, 0), (1, 1)]
    """
    return [tuple((b >> (n - 1 - i)) & 1 for i in range(n)) for b in range(2**n)]


def _runs(labels: Sequence) -> int:
    return 1 + sum(1 for a, b in zip(labels, labels[1:]) if a != b) if labels else 0


# ----------------------------------------------------------------------------- the baseline (MATH.md §3.1, §4)


def baseline_points(depth: int, dim: int = 1) -> list:
    """The ``depth + 2`` points ``k e_1`` of ``R^dim`` for ``0 <= k <= depth + 1``: exact small integers.

    >>> baseline_points(1, 2)
    [(0, 0), (1, 0), (2, 0)]
    """
    _check_depth_dim(depth, dim)
    return [tuple([k] + [0] * (dim - 1)) for k in range(depth + 2)]


def _check_depth_dim(depth, dim):
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise InputError(f"depth must be an integer >= 0, got {depth!r}")
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise InputError(f"dim must be an integer >= 1, got {dim!r}")


def paper_fold_plan(ts: Sequence, labels: Sequence[int], depth: int, *, eps=0):
    """Fold plan for 1-D values ``ts`` (distinct rationals) by the merge steps of MATH.md §3.1.

    Repeats, while the labels along the line form more than two runs: fold
    the leftmost cluster onto the first later cluster with its label
    (``c`` = midpoint, ``h`` = half-distance).  The first fold is exact
    (rational data); later centres are rationals within ``1e-4`` of the
    smallest gap of the midpoint (see module docstring).  Then monotone
    folds (``c < min t``, ``h = 1``) pad the plan to exactly ``depth``
    layers, and the read-out is a threshold between the two runs (or a
    constant for one run).

    Parameters
    ----------
    ts : sequence of Fraction
    labels : sequence of 0/1
    depth : int
        Number of folds wanted; at least the number of merge steps.
    eps : exact number, default 0

    Returns
    -------
    (folds, readout)
        ``folds`` a list of ``(c, h)`` Fractions, ``readout`` as in
        :func:`lnnet_construct.fold.fold_network`.

    Raises
    ------
    ConstructionError
        If more than ``depth`` merge steps are needed (never for
        ``len(ts) <= depth + 2``).

    Examples
    --------
    >>> folds, readout = paper_fold_plan([0, 1, 2, 3], [0, 1, 0, 1], 2)
    >>> folds[0], readout[0]
    ((Fraction(1, 1), Fraction(1, 1)), 'sign')
    """
    ts = [Fraction(t) for t in ts]
    n = len(ts)
    eps_f = float(eps)
    groups = [[i] for i in sorted(range(n), key=lambda i: ts[i])]
    vals = [float(t) for t in ts]
    folds: list = []

    def mean(g):
        return sum(vals[i] for i in g) / len(g)

    while True:
        groups.sort(key=mean)
        labs = [labels[g[0]] for g in groups]
        if _runs(labs) <= 2:
            break
        if len(folds) == depth:
            raise ConstructionError(f"{len(ts)} points need more than {depth} merge steps")
        j = next(k for k in range(1, len(groups)) if labs[k] == labs[0])
        if not folds:  # exact rational values: exact midpoint, exact merge
            a, b = ts[groups[0][0]], ts[groups[j][0]]
            c, h = (a + b) / 2, (b - a) / 2
        else:
            means = [mean(g) for g in groups]
            a, b = means[0], means[j]
            gap = min(y - x for x, y in zip(means, means[1:]))
            c = _near((a + b) / 2, 1e-4 * gap)
            h = simplest_between(Fraction(0.95 * (b - a) / 2), Fraction(1.05 * (b - a) / 2))
        folds.append((c, h))
        vals = _fold_list(vals, c, h, eps_f)
        rest = [g for k, g in enumerate(groups) if k not in (0, j)]
        groups = [groups[0] + groups[j]]
        if len(folds) == 1:  # exact data: equal distances from c are equal values (same label, §3.1)
            by_dist: dict = {}
            for g in rest:
                by_dist.setdefault(abs(ts[g[0]] - c), []).extend(g)
            rest = list(by_dist.values())
            if any(len({labels[i] for i in g}) > 1 for g in rest):
                raise ConstructionError("a fold merged points with different labels")
        groups += rest
    while len(folds) < depth:  # monotone padding: c left of every value
        c = Fraction(math.floor(min(vals)) - 1)
        folds.append((c, Fraction(1)))
        vals = _fold_list(vals, c, 1, eps_f)
    return folds, _threshold_readout(vals, labels)


def _fold_list(vals, c, h, eps_f):
    c, h = float(c), float(h)
    k, hh = 6.0 * h, 6.0 * h * h
    return [k / math.sqrt((2.0 * (v - c) ** 2 + hh) / 3.0 + eps_f) for v in vals]


def _threshold_readout(vals, labels):
    """Threshold read-out between two runs of ``vals`` (float), or a constant for one run."""
    order = sorted(range(len(vals)), key=lambda i: vals[i])
    labs = [labels[i] for i in order]
    if _runs(labs) == 1:
        return ("constant", labs[0])
    if _runs(labs) != 2:
        raise ConstructionError(f"the read-out needs at most two runs, got {_runs(labs)}")
    k = next(i for i in range(1, len(labs)) if labs[i] != labs[0])
    lo, hi = vals[order[k - 1]], vals[order[k]]
    if not hi > lo:
        raise ConstructionError("two runs with different labels are not separated")
    gap = hi - lo
    theta = simplest_between(Fraction(lo + gap / 3), Fraction(hi - gap / 3))
    return ("sign", theta, 1 if labs[k] == 1 else -1)


def _complement_readout(readout):
    if readout[0] == "constant":
        return ("constant", 1 - readout[1])
    return ("sign", readout[1], -readout[2])


_READ = tuple(read_vector())
_ZERO = Fraction(0)


def _q(x) -> Fraction:
    return x if type(x) is Fraction else Fraction(x)


def fold_specs(direction, folds, readout, *, eps=0) -> tuple:
    """The layers of :func:`lnnet_construct.fold.fold_network` as plain tuples, without building a Network.

    ``Labelling(labels, layers=fold_specs(...), input_dim=d, classes=(0, 1))``
    has ``.network == fold_network(direction, folds, readout, classes=[0, 1], eps=eps)``
    (tested); it skips the per-layer validation, which dominates the
    construction time of deep witnesses.  Only the binary read-outs
    (``"sign"``, ``"constant"``) are supported.

    >>> from lnnet_construct.fold import fold_network
    >>> from lnnet_construct.network import Network, Affine, LayerNorm
    >>> sp = fold_specs([1], [(1, 1)], ("sign", 3, -1))
    >>> net = Network(1, [Affine(s[1], s[2]) if s[0] == "affine" else LayerNorm(s[1]) for s in sp], [0, 1])
    >>> net == fold_network([1], [(1, 1)], ("sign", 3, -1), classes=[0, 1])
    True
    """
    w = tuple(_q(v) for v in direction)
    eps = _q(eps)
    specs = []
    for k, (c, h) in enumerate(folds):
        specs.append(("affine", *fold_rows(w if k == 0 else _READ, _q(c), _q(h))))
        specs.append(("layernorm", eps))
    read = w if not folds else _READ
    if readout[0] == "sign":
        theta, orient = _q(readout[1]), int(readout[2])
        specs.append(("affine", (tuple(orient * r for r in read),), (-orient * theta,)))
    elif readout[0] == "constant":
        specs.append(("affine", (tuple(_ZERO for _ in read),), (Fraction(1 if int(readout[1]) == 1 else -1),)))
    else:
        raise ValueError(f"unsupported read-out {readout[0]!r}")
    return tuple(specs)


def baseline_witness(depth: int, dim: int = 1, *, eps=0) -> Witness:
    """The MATH.md §4 witness: ``depth + 2`` points, ``2^(depth+2)`` networks of exactly ``depth`` folds.

    Each network is ``fold_network(e_1, folds, readout, classes=[0, 1])`` for
    the plan of :func:`paper_fold_plan` (a labelling and its complement
    share the folds).  Not certified here; :func:`shatter` certifies.

    >>> w = baseline_witness(1, dim=2)
    >>> w.points
    ((Fraction(0, 1), Fraction(0, 1)), (Fraction(1, 1), Fraction(0, 1)), (Fraction(2, 1), Fraction(0, 1)))
    """
    _check_depth_dim(depth, dim)
    points = baseline_points(depth, dim)
    direction = [1] + [0] * (dim - 1)
    ts = [Fraction(p[0]) for p in points]
    n = len(points)
    plans: dict = {}
    labellings = []
    net_meta = {"method": "vc-baseline"}
    for labels in all_labellings(n):
        comp = tuple(1 - v for v in labels)
        if comp in plans:  # a labelling and its complement share the folds
            folds, readout = plans[comp]
            readout = _complement_readout(readout)
        else:
            folds, readout = paper_fold_plan(ts, labels, depth, eps=eps)
            plans[labels] = (folds, readout)
        specs = fold_specs(direction, folds, readout, eps=eps)
        labellings.append(Labelling(labels, layers=specs, input_dim=dim, classes=CLASSES, meta=net_meta))
    meta = {"method": "baseline", "construction": "paper merge steps (MATH.md §3.1, §4)",
            "n_points": n, "dim": dim}
    return Witness(depth, points, labellings, meta)


# ----------------------------------------------------------------------------- eps > 0

#: :func:`eps_witness` scales pre-LN layers until ``eps / lam^2 <= 2^-EPS_SCALE_BITS``.
EPS_SCALE_BITS = 256


def eps_scale(eps) -> Fraction:
    """The power of two ``lam`` with ``eps / lam^2 <= 2^-EPS_SCALE_BITS`` (1 for ``eps = 0``).

    >>> eps_scale(Fraction(1, 100000)) == 2 ** 120
    True
    """
    eps = _q(eps)
    if eps <= 0:
        return Fraction(1)
    k = 0
    target = Fraction(1, 2**EPS_SCALE_BITS)
    while eps / Fraction(4) ** k > target:
        k += 1
    return Fraction(2) ** k


def eps_witness(witness: Witness, eps, *, scale=None) -> Witness:
    r"""The same witness for ``LN_eps``: every LayerNorm gets ``eps``, every affine layer before one is scaled.

    ``LN_eps(lam z) = LN_{eps/lam^2}(z)`` exactly, so each new network
    computes the old one at ``eps' = eps / lam^2`` (``proofs/vc-lower-bound.md``,
    the eps-scaling lemma); for ``lam`` large it keeps every sign.  Not
    certified here.

    Parameters
    ----------
    witness : Witness
        Networks of plain layers (``Labelling.layer_specs``).
    eps : exact rational >= 0
    scale : exact rational > 0, optional
        ``lam``; default :func:`eps_scale` of ``eps``.

    Examples
    --------
    >>> w = eps_witness(baseline_witness(1), Fraction(1, 10), scale=2)
    >>> [s[0] for s in w.labellings[1].layer_specs()], w.labellings[1].layer_specs()[1]
    (['affine', 'layernorm', 'affine'], ('layernorm', Fraction(1, 10)))
    """
    eps = _q(eps)
    lam = eps_scale(eps) if scale is None else _q(scale)
    if eps < 0 or lam <= 0:
        raise InputError(f"eps must be >= 0 and the scale > 0, got eps={eps}, scale={lam}")
    labellings = []
    for lab in witness.labellings:
        specs = lab.layer_specs()
        if not specs:
            raise InputError("eps_witness needs plain networks (affine and one-group LayerNorm layers)")
        out = []
        for i, spec in enumerate(specs):
            if spec[0] == "layernorm":
                out.append(("layernorm", eps))
            elif i + 1 < len(specs) and specs[i + 1][0] == "layernorm":
                out.append(("affine", tuple(tuple(lam * v for v in row) for row in spec[1]),
                            tuple(lam * v for v in spec[2])))
            else:
                out.append(spec)
        labellings.append(Labelling(lab.labels, layers=tuple(out), input_dim=lab.input_dim, classes=lab.classes,
                                    meta={"method": "vc-eps-scaled"}))
    meta = dict(witness.meta)
    meta.update({"eps": str(eps), "eps_scale": str(lam)})
    return Witness(witness.depth, witness.points, labellings, meta)


# ----------------------------------------------------------------------------- shatter


def shatter(depth: int, dim: int = 1, *, largest: bool = True, max_points: int | None = None,
            certify: bool = True, max_bits: int = 4096, eps=0) -> Witness:
    """A certified shattering witness for width-3 LN-Nets with at most ``depth`` LayerNorm layers.

    Parameters
    ----------
    depth : int
        ``L >= 0``.
    dim : int, default 1
        Input dimension ``d``.
    largest : bool, default True
        Return the largest witness known for ``(depth, dim)`` (the search
        results shipped in :mod:`lnnet_construct.theory.vc_search`, rebuilt
        from their stored plans); False gives the ``L + 2``-point baseline.
    max_points : int, optional
        Ignore known witnesses with more points (a witness has ``2^N``
        networks).
    certify : bool, default True
        Certify with :func:`verify_witness` and raise if it fails.
    max_bits : int, default 4096
        Precision cap of the certification.
    eps : exact rational >= 0, default 0
        LayerNorm epsilon of every network.  For ``eps > 0`` a searched
        witness is converted by :func:`eps_witness`; the baseline is planned
        at ``eps`` directly.

    Returns
    -------
    Witness
        ``meta["certified"]`` is True when certified here.

    Raises
    ------
    InputError
        Bad ``depth``/``dim``.
    ConstructionError
        If the baseline fails certification (never expected).  A searched
        witness that fails is replaced by the baseline, with
        ``meta["fallback"]`` saying why.

    Examples
    --------
    >>> w = shatter(1)
    >>> w.n_points, w.meta["certified"]
    (3, True)
    """
    _check_depth_dim(depth, dim)
    eps = _q(eps)
    if eps < 0:
        raise InputError(f"eps must be >= 0, got {eps}")
    witness = None
    if largest:
        from .vc_search import known_witness

        witness = known_witness(depth, dim, max_points=max_points)
    if witness is None or witness.n_points <= depth + 2:
        witness = baseline_witness(depth, dim, eps=eps)
    elif eps:
        witness = eps_witness(witness, eps)
    if certify:
        rep = verify_witness(witness, max_bits=max_bits)
        fallback = None
        if rep.status != "certified" and witness.meta.get("method") != "baseline":
            # a shipped plan that does not replay to certified networks (e.g. on a platform whose
            # float64 planning differs): say so, and use the baseline
            fallback = f"the searched witness failed certification ({rep.summary()}); baseline used"
            witness = baseline_witness(depth, dim, eps=eps)
            rep = verify_witness(witness, max_bits=max_bits)
        if rep.status != "certified":
            raise ConstructionError(f"witness for depth {depth}, dim {dim} failed certification: {rep.summary()}")
        meta = dict(witness.meta)
        meta.update({"certified": True, "certification": rep.summary()})
        if fallback:
            meta["fallback"] = fallback
        witness = Witness(witness.depth, witness.points, witness.labellings, meta)
    return witness


# ----------------------------------------------------------------------------- certification


@dataclass
class WitnessReport:
    """The verdict on a witness.

    ``status`` is ``"certified"`` (every structural check holds and every
    point of every labelling is VERIFIED), ``"refuted"`` (a structural check
    fails or some point is REFUTED) or ``"inconclusive"`` (no refutation but
    some point undecided at the precision cap).  ``exit_code`` is 0, 1, 2
    respectively, as for ``lnnet verify``.
    """

    status: str
    depth: int
    n_points: int
    dim: int
    n_labellings: int
    problems: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def certified(self) -> bool:
        return self.status == "certified"

    @property
    def exit_code(self) -> int:
        return {"certified": 0, "refuted": 1, "inconclusive": 2}[self.status]

    def summary(self) -> str:
        """One line."""
        head = (f"{self.status}: {self.n_points} points in R^{self.dim}, {self.n_labellings} labellings, "
                f"depth <= {self.depth}, {self.seconds:.2f}s")
        if self.problems:
            head += f"; {self.problems[0]}"
        if self.failures:
            f = self.failures[0]
            head += (f"; {len(self.failures)} failing (labelling, point) pairs, first: labelling {f['labelling']} "
                     f"point {f['point']}: {f['verdict']} ({f['reason']})")
        return head

    def to_json(self) -> dict:
        return {
            "status": self.status,
            "certified": self.certified,
            "depth": self.depth,
            "n_points": self.n_points,
            "dim": self.dim,
            "n_labellings": self.n_labellings,
            "problems": list(self.problems),
            "failures": list(self.failures[:100]),
            "n_failures": len(self.failures),
            "counts": dict(self.counts),
            "seconds": round(self.seconds, 3),
        }


def verify_witness(witness, *, max_bits: int = 4096, max_failures: int = 1000) -> WitnessReport:
    """Certify a shattering witness (a :class:`Witness` or a path to a witness file).

    Checks, all of which must hold for ``status == "certified"``:

    1. the points are pairwise distinct; every labels list has one label per
       point; exactly two label values occur;
    2. there are ``2^N`` labellings, pairwise distinct (so every labelling
       of the points is present);
    3. every network takes points of the witness's dimension, has at most
       ``depth`` LayerNorm layers and hidden width at most 3;
    4. every network provably outputs its label (matched to the class by
       text) on every point: rigorous float64 intervals, vectorised across
       networks (see module docstring), then
       :func:`lnnet_construct.verify.verify` for what is left.

    Parameters
    ----------
    witness : Witness or path
    max_bits : int, default 4096
        Precision cap of the arb escalation.
    max_failures : int, default 1000
        Stop collecting failures after this many.

    Returns
    -------
    WitnessReport

    Raises
    ------
    WitnessFormatError
        A malformed witness file.
    """
    t0 = time.perf_counter()
    if isinstance(witness, (str, Path)):
        witness = load_witness(witness)
    n, dim, depth = witness.n_points, witness.dim, witness.depth
    problems: list = []
    labellings = witness.labellings
    if n == 0:
        problems.append("the witness has no points")
    seen: dict = {}
    for i, p in enumerate(witness.points):
        if p in seen:
            problems.append(f"points {seen[p]} and {i} are equal, so no network separates them")
            break
        seen[p] = i
    alphabet = sorted({str(v) for lab in labellings for v in lab.labels})
    if n and len(alphabet) != 2:
        problems.append(f"expected exactly two label values, found {len(alphabet)}: {alphabet[:5]}")
    if len(labellings) != 2**n:
        problems.append(f"{n} points need 2^{n} = {2**n} labellings, the witness has {len(labellings)}")
    texts: dict = {}
    for k, lab in enumerate(labellings):
        key = tuple(str(v) for v in lab.labels)
        if len(key) != n:
            problems.append(f"labelling {k} has {len(key)} labels for {n} points")
        elif key in texts:
            problems.append(f"labellings {texts[key]} and {k} are equal")
        texts.setdefault(key, k)
    shape_bad = []
    for k, lab in enumerate(labellings):
        msg = _shape_problem(lab, dim, depth)
        if msg:
            shape_bad.append(k)
            if len(problems) < 20:
                problems.append(f"labelling {k}: {msg}")
    failures: list = []
    counts = {"networks_fast": 0, "networks_generic": 0, "pairs_fast": 0, "pairs_escalated": 0}
    bad = set(shape_bad)
    todo = [k for k in range(len(labellings)) if k not in bad and len(labellings[k].labels) == n]
    if n and todo:
        _certify(witness, todo, failures, counts, max_bits, max_failures)
    refuted = bool(problems) or any(f["verdict"] == "REFUTED" for f in failures)
    status = "refuted" if refuted else "inconclusive" if failures else "certified"
    return WitnessReport(status, depth, n, dim, len(labellings), problems, failures, counts,
                         time.perf_counter() - t0)


def _shape_problem(lab: Labelling, dim: int, depth: int) -> str | None:
    if lab.input_dim != dim:
        return f"the network takes {lab.input_dim} inputs, the points have {dim} coordinates"
    specs = lab.layer_specs()
    if specs:
        nd = sum(s[0] == "layernorm" for s in specs)
        widths = [len(s[1]) for s in specs if s[0] == "affine"][:-1]
        width = max(widths) if widths else 0
    else:
        net = lab.network
        nd, width = net.depth, net.width
    if nd > depth:
        return f"the network has {nd} LayerNorm layers, more than the depth {depth}"
    if width > 3:
        return f"the network has width {width}, more than 3"
    return None


# --- the exact 2-D reduction of plain width-3 chains
#
# Rationals are handled as integer pairs (num, den), den > 0, not reduced: the
# reduction only feeds enclosures, and skipping gcds makes it cheap.


def _lin(terms, div: int):
    """Exact ``sum(k * q for k, q in terms) / div`` for small integers ``k`` and pairs ``q``."""
    num, den = 0, 1
    for k, (n, d) in terms:
        if k and n:
            num, den = num * d + k * n * den, den * d
    return num, den * div


def _uv(a, b, c):
    """Coordinates ``(u, w)`` of ``P (a, b, c)`` in the basis ``v1 = (1,-1,0)``, ``v2 = (1,1,-2)``."""
    return _lin(((1, a), (-1, b)), 2), _lin(((1, a), (1, b), (-2, c)), 6)


def _pair(q: Fraction):
    return q.numerator, q.denominator


_INNER_CACHE: dict = {}


def _reduce(specs, dim):
    """Exact rational coefficients of the 2-D recursion, or None if the network is not a plain chain.

    Returns ``("linear", row, b)`` (Fractions) for depth 0, else
    ``("chain", first, inner, out, eps)`` with ``first = (Au, Aw, u0, w0)``
    (``Au``, ``Aw`` tuples over the input coordinates),
    ``inner = [(m11, m12, m21, m22, u0, w0), ...]``, ``out = (op, oq, ob)``
    and ``eps`` the LayerNorm eps per layer, all as integer pairs.
    """
    if not specs or specs[-1][0] != "affine" or len(specs[-1][1]) != 1:
        return None
    for sp in specs:
        vals = list(sp[2]) + [v for row in sp[1] for v in row] if sp[0] == "affine" else [sp[1]]
        if not all(type(v) is Fraction for v in vals):
            return None
    if len(specs) == 1:
        (row,), (b,) = specs[0][1], specs[0][2]
        return ("linear", tuple(row), b)
    kinds = [sp[0] for sp in specs]
    if kinds != ["affine", "layernorm"] * (len(specs) // 2) + ["affine"]:
        return None
    W, b = specs[0][1], specs[0][2]
    if len(W) != 3 or any(len(r) != dim for r in W):
        return None
    cols = [_uv(_pair(W[0][j]), _pair(W[1][j]), _pair(W[2][j])) for j in range(dim)]
    first = (tuple(c[0] for c in cols), tuple(c[1] for c in cols)) + _uv(*map(_pair, b))
    eps = [_pair(specs[k][1]) for k in range(1, len(specs), 2)]
    inner = []
    for k in range(2, len(specs) - 1, 2):
        W, b = specs[k][1], specs[k][2]
        if len(W) != 3 or any(len(r) != 3 for r in W):
            return None
        key = tuple((v.numerator, v.denominator) for row in W for v in row)
        m = _INNER_CACHE.get(key)
        if m is None:
            wv1 = [_lin(((1, _pair(r[0])), (-1, _pair(r[1]))), 1) for r in W]
            wv2 = [_lin(((1, _pair(r[0])), (1, _pair(r[1])), (-2, _pair(r[2]))), 1) for r in W]
            (m11, m21), (m12, m22) = _uv(*wv1), _uv(*wv2)
            m = (m11, m12, m21, m22)
            if len(_INNER_CACHE) < 10_000:
                _INNER_CACHE[key] = m
        inner.append(m + _uv(*map(_pair, b)))
    (r,), (ob,) = specs[-1][1], specs[-1][2]
    if len(r) != 3:
        return None
    r = [_pair(v) for v in r]
    out = (_lin(((1, r[0]), (-1, r[1])), 1), _lin(((1, r[0]), (1, r[1]), (-2, r[2])), 1), _pair(ob))
    return ("chain", first, inner, out, eps)


_TWO53 = 2**53


def _enclose_pairs(pairs):
    """Float64 enclosures ``(lo, hi)`` of exact rationals given as integer pairs.

    ``n / d`` on Python integers is correctly rounded, so the rational lies
    within one ulp of it; exact small integers get a point interval.
    """
    mids = np.empty(len(pairs))
    exact = np.zeros(len(pairs), dtype=bool)
    for i, (n, d) in enumerate(pairs):
        try:
            mids[i] = n / d
        except OverflowError:
            mids[i] = math.inf if (n > 0) == (d > 0) else -math.inf
        exact[i] = d == 1 and -_TWO53 <= n <= _TWO53
    lo = np.where(exact, mids, np.nextafter(mids, -np.inf))
    hi = np.where(exact, mids, np.nextafter(mids, np.inf))
    return lo, hi


def _certify(witness, todo, failures, counts, max_bits, max_failures):
    from ..arith.interval import Interval, IntervalArith

    n, dim = witness.n_points, witness.dim
    points = witness.points
    fast: dict = {}  # (depth) -> list of (k, reduction)
    generic = []
    for k in todo:
        lab = witness.labellings[k]
        red = _reduce(lab.layer_specs(), dim)
        if red is None or not all(type(v) is Fraction for p in points for v in p):
            generic.append(k)
        elif red[0] == "linear":
            _check_linear(k, lab, red, points, failures)
            counts["networks_fast"] += 1
            counts["pairs_fast"] += n
        else:
            fast.setdefault(len(red[4]), []).append((k, red))
    A = IntervalArith()
    pending: dict = {}
    with np.errstate(all="ignore"):
        xs = [Interval(*_enclose_pairs([_pair(p[j]) for p in points])) for j in range(dim)]
        for _depth, group in fast.items():
            codes = _chain_codes(group, xs, A, Interval)
            for row, (k, _red) in enumerate(group):
                lab = witness.labellings[k]
                want = _wanted(lab)
                counts["networks_fast"] += 1
                for i in range(n):
                    c = codes[row, i]
                    if want[i] is None:
                        _fail(failures, k, i, "REFUTED", f"label {lab.labels[i]!r} is not a class of the network")
                    elif c >= 0 and c == want[i]:
                        counts["pairs_fast"] += 1
                    else:  # undecided, or the interval pass says the other class: recheck rigorously
                        pending.setdefault(k, []).append(i)
                if len(failures) >= max_failures:
                    return
    for k in generic:
        pending[k] = list(range(n))
        counts["networks_generic"] += 1
    for k, idx in pending.items():
        if len(failures) >= max_failures:
            return
        counts["pairs_escalated"] += len(idx) if k not in generic else 0
        _verify_generic(witness, k, idx, failures, max_bits)


def _wanted(lab: Labelling) -> list:
    classes = [str(c) for c in lab.classes]
    return [classes.index(str(v)) if str(v) in classes else None for v in lab.labels]


def _fail(failures, k, i, verdict, reason):
    failures.append({"labelling": k, "point": i, "verdict": verdict, "reason": reason})


def _check_linear(k, lab, red, points, failures):
    _, row, b = red
    want = _wanted(lab)
    for i, p in enumerate(points):
        o = sum((w * x for w, x in zip(row, p)), Fraction(0)) + b
        got = 1 if o > 0 else 0 if o < 0 else None
        if want[i] is None:
            _fail(failures, k, i, "REFUTED", f"label {lab.labels[i]!r} is not a class of the network")
        elif got != want[i]:
            what = "the output is exactly 0" if got is None else f"the network outputs {lab.classes[got]!r}"
            _fail(failures, k, i, "REFUTED", what)


def _chain_codes(group, xs, A, Interval):
    """Class codes (1, 0, or -1 undecided) for every (network, point) of a same-depth group."""
    m = len(group)

    def col(values):
        lo, hi = _enclose_pairs(values)
        return Interval(lo.reshape(m, 1), hi.reshape(m, 1))

    reds = [red for _k, red in group]
    rows = [Interval(x.lo.reshape(1, -1), x.hi.reshape(1, -1)) for x in xs]
    first = [r[1] for r in reds]
    u = col([f[2] for f in first])
    w = col([f[3] for f in first])
    for j, x in enumerate(rows):
        u = u + col([f[0][j] for f in first]) * x
        w = w + col([f[1][j] for f in first]) * x
    two, six, third = A.const(Fraction(2)), A.const(Fraction(6)), A.const(Fraction(1, 3))  # exact, exact, 1 ulp
    depth = len(reds[0][4])
    for layer in range(depth):
        eps = col([r[4][layer] for r in reds])
        nrm = A.sqrt((two * A.square(u) + six * A.square(w)) * third + eps)
        p, q = u / nrm, w / nrm
        if layer == depth - 1:
            break
        co = [r[2][layer] for r in reds]
        u = col([c[0] for c in co]) * p + col([c[1] for c in co]) * q + col([c[4] for c in co])
        w = col([c[2] for c in co]) * p + col([c[3] for c in co]) * q + col([c[5] for c in co])
    out = [r[3] for r in reds]
    o = col([c[0] for c in out]) * p + col([c[1] for c in out]) * q + col([c[2] for c in out])
    codes = np.full(o.lo.shape, -1, dtype=np.int8)
    codes[o.lo > 0] = 1
    codes[o.hi < 0] = 0
    return codes


def _verify_generic(witness, k, idx, failures, max_bits):
    from ..verify import Verdict, verify

    lab = witness.labellings[k]
    pts = [witness.points[i] for i in idx]
    labels = [lab.labels[i] for i in idx]
    rep = verify(lab.network, pts, labels, max_bits=max_bits)
    for i, r in zip(idx, rep.points):
        if r.verdict is not Verdict.VERIFIED:
            _fail(failures, k, i, r.verdict.value, r.reason or "")
