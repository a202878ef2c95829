r"""Write a fold plan as an LN-Net in the float form, and choose the read-out.

With direction ``w`` and folds ``(c_k, h_k, lam_k, kappa_k)`` the network is
MATH.md §2.2's table written in the exactly equivalent float form of
:mod:`lnnet_construct.fold` (``proofs/thm-binary.md``, *the float form*):

=====================  ==================================  ==================================
layer                  weight rows                         bias
=====================  ==================================  ==================================
first affine           ``lam_1 (w, -w, 0)``                ``lam_1 (-c_1, c_1, -3 h_1)``
later affine           ``lam_k (r_{k-1}, -r_{k-1}, 0)``    ``lam_k (-c_k, c_k, -3 h_k)``
LayerNorm              ``eps``, one group                  (no elementwise affine)
binary output          ``±r_L^T``                          ``∓θ``
K classes (centres)    rows ``2 a_k r_L^T``                ``-a_k^2``
K classes (envelope)   rows ``j r_L^T``                    ``β_j``
=====================  ==================================  ==================================

``r_k = (kappa_k, -kappa_k, -3)`` is what the layer after fold ``k`` reads,
equal to MATH.md's ``v2 + kappa_k v1`` on LayerNorm outputs (:mod:`.numeric`).
``lam_k = 1`` whenever ``eps = 0`` (then exactly the table of MATH.md);
with ``eps > 0`` it is a power of 10 that keeps the pre-LayerNorm vector large
against ``eps`` (the fold then behaves as ``F_{c,h,eps/lam^2}``).

Without folds the output reads ``t = w·x`` directly (``w`` replaces ``v2``).

**Read-outs.**  Binary: the two certified runs are separated by the simplest
rational ``θ`` in the middle half of the certified gap; the output is
``+(τ - θ)`` when the upper run is ``classes[1]``, else ``-(τ - θ)``.
K classes: the nearest-centre read-out ``argmax_k (2 a_k τ - a_k^2)`` when
centres with midpoints inside the certified gaps exist (tried with the gap
centres), otherwise the always-feasible *envelope* ``argmax_j (j τ + β_j)``
with ``β_{j+1} = β_j - b_{j+1}`` (output ``j`` wins exactly between the
boundaries ``b_j`` and ``b_{j+1}``).  A single class gets one constant output
(decision ``"argmax"`` with one class: the only output always wins).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..fold import V1, V2, fold_layer, read_vector
from ..network import Affine, LayerNorm, Network
from .rational import simplest_between

__all__ = ["V1", "V2", "Readout", "binary_readout", "fold_affine", "multiclass_readout", "reads", "realise"]


@dataclass(frozen=True)
class Readout:
    """The output layer: ``kind`` in {"sign", "centres", "envelope", "constant"}.

    * ``sign``: ``params = (theta, orient)``;
    * ``centres``: ``params = (a_0, ..., a_{K-1})`` per run, low to high;
    * ``envelope``: ``params = (b_1, ..., b_{K-1})`` boundaries, increasing;
    * ``constant``: ``params = ()``.

    ``run_classes[k]`` is the class index of run ``k`` (low to high).
    """

    kind: str
    params: tuple
    run_classes: tuple


def _middle(lo: Fraction, hi: Fraction) -> Fraction:
    q = (hi - lo) / 4
    return simplest_between(lo + q, hi - q)


def binary_readout(lows, highs, run_classes) -> Readout:
    """Threshold between two certified runs (``highs[0] < lows[1]``)."""
    theta = _middle(highs[0], lows[1])
    orient = 1 if run_classes[1] == 1 else -1
    return Readout("sign", (theta, orient), tuple(run_classes))


def multiclass_readout(lows, highs, run_classes) -> Readout:
    """Nearest-centre read-out if feasible with the gap centres, else the envelope."""
    k = len(run_classes)
    bounds = [_middle(highs[j], lows[j + 1]) for j in range(k - 1)]
    centres = _centres(bounds, lows, highs)
    if centres is not None:
        return Readout("centres", tuple(centres), tuple(run_classes))
    return Readout("envelope", tuple(bounds), tuple(run_classes))


def _centres(mids, lows, highs):
    """Centres ``a_0 < ... < a_{K-1}`` whose consecutive midpoints are ``mids`` (or None).

    ``a_{j+1} = 2 mids[j] - a_j``; ``a_j = s_j a_0 + r_j`` with ``s_j = ±1``.  Each
    condition ``a_j < mids[j]`` bounds ``a_0`` from one side; take the middle of
    the resulting interval (the centre of run 0 must also stay below ``mids[0]``).
    """
    lo_a, hi_a = None, None
    s, r = 1, Fraction(0)
    coefs = []
    for j in range(len(mids) + 1):
        coefs.append((s, r))
        if j < len(mids):
            # a_j < mids[j]
            bound = mids[j] - r
            if s > 0:
                hi_a = bound if hi_a is None else min(hi_a, bound)
            else:
                lo_a = -bound if lo_a is None else max(lo_a, -bound)
            s, r = -s, 2 * mids[j] - r
    if hi_a is None:
        return None
    if lo_a is None:
        lo_a = hi_a - (highs[0] - lows[0]) - 1
    if not lo_a < hi_a:
        return None
    a0 = _middle(lo_a, hi_a)
    return [sj * a0 + rj for sj, rj in coefs]


def reads(fold) -> list:
    """What the layer after ``fold`` reads: ``(kappa, -kappa, -3)`` (:func:`lnnet_construct.fold.read_vector`)."""
    return read_vector(getattr(fold, "kappa", 0))


def fold_affine(fold, src) -> Affine:
    """The affine layer before the LayerNorm of ``fold``, reading ``src`` (``w``, or the previous fold's ``r``).

    >>> from lnnet_construct.construct.tracker import Fold
    >>> [str(b) for b in fold_affine(Fold(Fraction(1), Fraction(2)), reads(None)).bias]
    ['-1', '1', '-6']
    """
    return fold_layer(src, fold.c, fold.h, Fraction(fold.lam))


def realise(direction, folds, readout: Readout, classes, *, eps=Fraction(0), meta=None) -> Network:
    """The Network of a plan (see module docstring).

    Parameters
    ----------
    direction : sequence of exact numbers
    folds : sequence of objects with ``c``, ``h``, ``lam`` (and optionally ``kappa``)
    readout : Readout
    classes : sequence of str
    eps : exact number

    Returns
    -------
    Network
    """
    w = list(direction)
    layers: list = []
    for k, f in enumerate(folds):
        layers.append(fold_affine(f, w if k == 0 else reads(folds[k - 1])))
        layers.append(LayerNorm(eps=eps))
    read = reads(folds[-1]) if folds else w
    n = len(classes)
    kind = readout.kind
    if kind == "sign":
        theta, orient = readout.params
        layers.append(Affine([[orient * r for r in read]], [-orient * theta]))
        decision = "sign"
    elif kind in ("centres", "envelope"):
        rows = [None] * n
        biases = [None] * n
        if kind == "centres":
            for j, (a, cls) in enumerate(zip(readout.params, readout.run_classes)):
                rows[cls] = [2 * a * r for r in read]
                biases[cls] = -a * a
        else:
            beta = Fraction(0)
            for j, cls in enumerate(readout.run_classes):
                if j > 0:
                    beta -= readout.params[j - 1]
                rows[cls] = [j * r for r in read]
                biases[cls] = beta
        layers.append(Affine(rows, biases))
        decision = "argmax"
    elif kind == "constant":
        layers.append(Affine([[0 for _ in read] for _ in range(n)], [0] * n))
        decision = "argmax"
    else:  # pragma: no cover
        raise ValueError(f"unknown read-out {kind!r}")
    return Network(len(w), layers, list(classes), decision, meta or {})
