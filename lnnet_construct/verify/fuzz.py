r"""Random small networks with nasty cases, for soundness fuzzing of the verifier.

:func:`random_case` draws (from a seed) a small network with rational
parameters — generic dense layers, rank-1 chains or fold layers; 1 to 3
LayerNorm layers of width 2 to 4, with groups, eps and elementwise affine;
sign or argmax — and a few points with labels, then applies one of several
nasty mutations:

* ``near-tie``: the output bias is moved so that one point's decisive
  quantity is ``±2^-k`` (``k`` up to 300) away from 0;
* ``exact-tie``: two argmax rows are equal, or the output is a structurally
  zero combination (a row proportional to ``1`` right after a LayerNorm);
* ``zero-variance``: a LayerNorm input that is constant at a point;
* ``magnitude``: weights scaled by ``10^±k``;
* ``bad-label``: a label that is not a class.

The exact verdicts come from :func:`lnnet_construct.verify.exact_verdicts`
(exact algebraic arithmetic), which is the reference for
``benchmarks/fuzz_soundness.py`` and ``tests/test_verify_fuzz.py``.

>>> case = random_case(7)
>>> case.network.depth >= 1 and len(case.points) == len(case.labels)
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

from ..fold import V1, V2
from ..network import Affine, LayerNorm, Network

__all__ = ["Case", "random_case", "MUTATIONS"]

MUTATIONS = ("none", "near-tie", "exact-tie", "zero-variance", "magnitude", "bad-label")


@dataclass
class Case:
    """One fuzz case: a network, points, labels, the settings to verify with, and what was done."""

    seed: int
    network: Network
    points: list
    labels: list
    max_bits: int
    exact_depth: int
    kind: str
    mutation: str


def _q(rng, lo=-4, hi=4, den=6):
    return Fraction(rng.randint(lo * den, hi * den), rng.randint(1, den))


def _nonzero(rng, **kw):
    while True:
        v = _q(rng, **kw)
        if v != 0:
            return v


def _eps(rng):
    return rng.choice([Fraction(0), Fraction(0), Fraction(1, 100000), Fraction(1, 3), Fraction(2), Fraction(10**6)])


def _generic(rng, d, depth, out_k, decision):
    layers, width = [], d
    for _ in range(depth):
        n = rng.choice([2, 3, 4])
        layers.append(Affine([[_q(rng) for _ in range(width)] for _ in range(n)], [_q(rng) for _ in range(n)]))
        groups = rng.choice([g for g in (1, 2) if n % g == 0 and n // g >= 2] or [1])
        affine = rng.random() < 0.25
        layers.append(LayerNorm(eps=_eps(rng), groups=groups,
                                weight=[_q(rng) for _ in range(n)] if affine else None,
                                bias=[_q(rng) for _ in range(n)] if affine else None))
        width = n
    layers.append(Affine([[_q(rng) for _ in range(width)] for _ in range(out_k)], [_q(rng) for _ in range(out_k)]))
    return layers


def _chain(rng, d, depth, out_k):
    layers, width = [], d
    for _ in range(depth):
        n = rng.choice([2, 3, 4])
        p = [_q(rng) for _ in range(n)]
        if len(set(p)) == 1:
            p[0] += 1
        q = [_nonzero(rng) for _ in range(width)]
        b = [_q(rng) for _ in range(n)]
        if rng.random() < 0.15:  # b parallel to p: a sign-unit layer (E' = 0)
            lam = _q(rng)
            b = [lam * x for x in p]
        layers.append(Affine([[pi * qj for qj in q] for pi in p], b))
        layers.append(LayerNorm(eps=_eps(rng) if rng.random() < 0.5 else 0))
        width = n
    layers.append(Affine([[_q(rng) for _ in range(width)] for _ in range(out_k)], [_q(rng) for _ in range(out_k)]))
    return layers


def _fold(rng, d, depth, out_k):
    w = [_nonzero(rng) for _ in range(d)]
    layers = []
    eps = _eps(rng) if rng.random() < 0.3 else 0
    for k in range(depth):
        c, h = _q(rng), abs(_nonzero(rng))
        rows = [[a * wi for wi in w] for a in V1] if k == 0 else [[a * b for b in V2] for a in V1]
        layers.append(Affine(rows, [-c * a + h * b for a, b in zip(V1, V2)]))
        layers.append(LayerNorm(eps=eps))
    if out_k == 1:
        layers.append(Affine([[x for x in V2]], [_q(rng, -6, 6)]))
    else:
        cs = [_q(rng, 0, 6) for _ in range(out_k)]
        layers.append(Affine([[2 * a * x for x in V2] for a in cs], [-a * a for a in cs]))
    return layers


def random_case(seed: int, *, max_depth: int = 3) -> Case:
    """A reproducible random case (see module docstring)."""
    rng = random.Random(seed)
    kind = rng.choice(["generic", "chain", "fold"])
    decision = rng.choice(["sign", "argmax"])
    d = rng.choice([1, 2, 3])
    depth = rng.randint(1, max_depth)
    out_k = 1 if decision == "sign" else rng.choice([2, 3])
    if kind == "generic":
        layers = _generic(rng, d, depth, out_k, decision)
    elif kind == "chain":
        layers = _chain(rng, d, depth, out_k)
    else:
        layers = _fold(rng, d, depth, out_k)
    classes = ["neg", "pos"] if decision == "sign" else [f"c{i}" for i in range(out_k)]
    npts = rng.randint(1, 4)
    points = [[_q(rng, -3, 3, 5) for _ in range(d)] for _ in range(npts)]
    mutation = rng.choice(MUTATIONS)
    if mutation == "magnitude":
        k = rng.choice([-30, -12, 12, 30])
        f = Fraction(10) ** k
        first = layers[0]
        layers[0] = Affine([[v * f for v in row] for row in first.weight], [v * f for v in first.bias])
        points = [[v for v in p] for p in points]
    elif mutation == "exact-tie":
        last = layers[-1]
        W = [list(r) for r in last.weight]
        b = list(last.bias)
        if decision == "argmax":
            W[1] = list(W[0])
            b[1] = b[0]
        else:
            n = len(W[0])
            # proportional to 1 right after a LayerNorm without affine: exactly 0
            ln = layers[-2]
            if ln.groups == 1 and not ln.has_affine:
                W[0] = [Fraction(rng.randint(1, 3))] * n
                b[0] = Fraction(0)
            else:
                W[0] = [Fraction(0)] * n
                b[0] = Fraction(0)
        layers[-1] = Affine(W, b)
    elif mutation == "zero-variance":
        first = layers[0]
        n = len(first.weight)
        row, bias = list(first.weight[0]), first.bias[0]
        if kind == "generic":
            # all rows equal: the first LayerNorm input is constant for every point
            layers[0] = Affine([row] * n, [bias] * n)
    net = Network(d, layers, classes, decision, {"fuzz": seed})
    if mutation == "zero-variance" and kind != "generic" and net.layers[1].eps == 0:
        # a point where the rank-1 layer's input is constant: q·x = sigma with p sigma + b parallel to 1
        pts = _zero_variance_point(net, d)
        if pts is not None:
            points[0] = pts
    labels = [rng.choice(classes) for _ in points]
    if mutation == "bad-label":
        labels[0] = "not-a-class"
    if mutation == "near-tie":
        net = _near_tie(net, points[0], labels[0], rng)
    max_bits = rng.choice([64, 256, 4096, 4096])
    exact_depth = rng.choice([0, 4])
    return Case(seed, net, points, labels, max_bits, exact_depth, kind, mutation)


def _zero_variance_point(net, d):
    """A rational point at which the first LayerNorm input ``p sigma + b`` is constant, if one exists."""
    first = net.layers[0]
    W, b = first.weight, first.bias
    i0 = next((i for i, row in enumerate(W) if any(v != 0 for v in row)), None)
    if i0 is None:
        return None
    q = W[i0]
    j0 = next(j for j, v in enumerate(q) if v != 0)
    p = [row[j0] / q[j0] for row in W]
    # need p_i sigma + b_i equal for all i: sigma = (b_1 - b_0)/(p_0 - p_1), then check the rest
    for i in range(1, len(p)):
        if p[i] != p[0]:
            sigma = (b[i] - b[0]) / (p[0] - p[i])
            break
    else:
        return None
    vals = {p[i] * sigma + b[i] for i in range(len(p))}
    if len(vals) != 1:
        return None
    x = [Fraction(0)] * d
    x[j0] = sigma / q[j0]
    return x


def _near_tie(net, point, label, rng):
    """Move the output bias so that the label's decisive quantity at ``point`` is ``±2^-k``."""
    from ..arith import get_arith
    from .head import decision_rows, split_head
    from .scalar import generic_point

    texts = net.class_texts
    if label not in texts:
        return net
    c = texts.index(label)
    A = get_arith("arb", 1400)
    out = generic_point(net, point, c, A)
    if out.outputs is None or out.status == 0 and out.d_lo is None:
        return net
    body, W, b = split_head(net)
    k = rng.randint(1, 300)
    delta = Fraction(rng.choice([-1, 1]), 2**k)
    # pick the competing quantity: for sign the output itself, for argmax class k0 vs c
    rows = decision_rows(net.decision, W, b, c)
    kk, r, bias = rows[0]
    if net.decision == "sign":
        lo, hi = out.outputs[0]
        mid = (lo + hi) / 2
        # o' = o - mid (+/-) delta has sign of the label's quantity = +/- delta
        shift = -mid + (delta if c == 1 else -delta)
        new_b = [b[0] + _round(shift, 1200)]
    else:
        lo_c, hi_c = out.outputs[c]
        lo_k, hi_k = out.outputs[kk]
        diff = (lo_c + hi_c) / 2 - (lo_k + hi_k) / 2
        new_b = list(b)
        new_b[kk] = b[kk] + _round(diff - delta, 1200)
    layers = list(net.layers)
    layers[-1] = Affine(W, new_b)
    return net.with_layers(layers)


def _round(q: Fraction, bits: int) -> Fraction:
    scale = 1 << bits
    return Fraction(round(q * scale), scale)
