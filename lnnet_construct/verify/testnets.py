r"""Networks for testing and benchmarking the verifier: fold plans, poisoned and zero-output variants.

* :func:`paper_fold_network` — a stand-in for the constructions: the paper's
  merge plan (MATH.md §3.1) on scalar data with rational fold centres.  The
  centres are rational approximations of the exact midpoints, so merged
  clusters agree only to about ``2^-plan_bits``; that is harmless (merged
  points carry the same label) and keeps every parameter rational.  The
  plan is computed in (non-rigorous) mpmath floating point: whether the
  result classifies its points is for the verifier to say.
* :func:`poison_network` — moves the output threshold of a correct sign
  network so that one point (with everything merged with it) is wrong by a
  tiny relative margin; the wrong side is certified with arb.
* :func:`rational_zero_network` — a deep chain whose output is exactly 0 at
  one data point (each layer's eps makes that point's square roots rational).

Examples
--------
>>> from fractions import Fraction
>>> net = paper_fold_network(range(6), [0, 1, 0, 1, 0, 1])
>>> net.depth                    # alternating labels on 6 points: 4 folds (MATH.md §3.2)
4
>>> from lnnet_construct.verify import verify
>>> verify(net, [[t] for t in range(6)], [0, 1, 0, 1, 0, 1]).exit_code
0
"""

from __future__ import annotations

from fractions import Fraction

import flint

from ..fold import V1, V2, fold_network
from ..network import Affine, LayerNorm
from ..numbers import exact_sqrt, is_rational, to_exact

__all__ = ["paper_fold_network", "poison_network", "rational_zero_network", "fold_plan"]


def _rationalize(x, bits: int) -> Fraction:
    """The midpoint of the arb ball ``x`` rounded to ``bits`` significant bits, as an exact dyadic."""
    man, exp = x.mid().man_exp()
    man, exp = int(man), int(exp)
    extra = man.bit_length() - bits
    if extra > 0:
        man >>= extra  # truncation is fine: plans only need nearby rationals
        exp += extra
    return Fraction(man) * Fraction(2) ** exp


def fold_plan(ts, labels, *, h_ratio=Fraction(1, 2), eps=0, plan_bits: int | None = None):
    """The paper's merge plan on distinct scalars: ``(folds, theta, orientation, classes)``.

    ``folds`` is a list of rational ``(c, h)``; the read-out is
    ``orientation * (tau - theta)``.  ``classes`` are the two labels in
    first-appearance order (``classes[1]`` is the positive side).  The plan
    is computed with the midpoints of python-flint balls at ``plan_bits``
    (planning only; not a certificate of anything).
    """
    from ..arith.arb import ArbArith

    ts = [to_exact(t) for t in ts]
    labels = list(labels)
    classes = list(dict.fromkeys(labels))
    if len(classes) != 2:
        raise ValueError("fold_plan needs exactly two labels")
    m = len(ts)
    bits = plan_bits or (128 + 6 * m)
    with ArbArith(bits).active():
        def num(q):
            q = Fraction(q)
            return flint.arb(flint.fmpq(q.numerator, q.denominator))

        eps_a = num(eps)
        tol = flint.arb(2) ** (-(bits // 2))
        # sort by exact midpoints: floats would misorder values closer than 2^-53
        clusters = sorted(((num(t), lab) for t, lab in zip(ts, labels)), key=lambda c: c[0].mid())
        merged = []
        for v, lab in clusters:
            if merged and abs(merged[-1][0].mid() - v.mid()) <= tol:
                if merged[-1][1] != lab:
                    raise ValueError("equal values with different labels")
                continue
            merged.append((v, lab))
        clusters = merged
        folds = []

        def runs(cl):
            return 1 + sum(1 for a, b in zip(cl, cl[1:]) if a[1] != b[1])

        hr = num(h_ratio)
        while runs(clusters) > 2:
            t1, lab1 = clusters[0]
            j = next(j for j in range(1, len(clusters)) if clusters[j][1] == lab1)
            tj = clusters[j][0]
            c = _rationalize((t1 + tj) / 2, bits - 8)
            h = _rationalize((tj - t1) * hr, 60)
            ca, ha = num(c), num(h)
            six_h2 = 6 * ha * ha
            # t1 and tj merge by construction (up to the rounding of c): keep one representative
            kept = clusters[:j] + clusters[j + 1:]
            new = [(6 * ha / ((2 * (v - ca) ** 2 + six_h2) / 3 + eps_a).sqrt(), lab) for v, lab in kept]
            new.sort(key=lambda c_: c_[0].mid())
            merged = []
            for v, lab in new:
                if merged and abs(merged[-1][0].mid() - v.mid()) <= tol * (1 + abs(v.mid())):
                    if merged[-1][1] != lab:
                        raise ValueError("the plan merged opposite labels (increase plan_bits)")
                    continue
                merged.append((v, lab))
            clusters = merged
            folds.append((c, h))
        # threshold between the two runs
        k = next((i for i in range(1, len(clusters)) if clusters[i][1] != clusters[0][1]), None)
        if k is None:  # one class only
            theta = _rationalize(clusters[0][0] - 1, 60)
            upper = clusters[0][1]
        else:
            theta = _rationalize((clusters[k - 1][0] + clusters[k][0]) / 2, bits - 8)
            upper = clusters[k][1]
    orientation = 1 if upper == classes[1] else -1
    return folds, theta, orientation, classes


def paper_fold_network(ts, labels, *, h_ratio=Fraction(1, 2), eps=0, plan_bits: int | None = None,
                       direction=None, points=None):
    """A width-3 sign network from the paper's merge plan on scalars ``ts`` (see module docstring).

    With ``direction`` (a projection ``w``) the network reads ``t = w · x``
    from points of that dimension; ``ts`` must then be the projected values.
    """
    folds, theta, orient, classes = fold_plan(ts, labels, h_ratio=Fraction(h_ratio), eps=eps, plan_bits=plan_bits)
    w = list(direction) if direction is not None else [1]
    return fold_network(w, folds, ("sign", theta, orient), classes=classes, eps=eps,
                        meta={"method": "paper fold plan (verify.testnets stand-in)"})


def poison_network(network, points, labels, rel, *, index=None, bits: int | None = None):
    """Move a correct sign network's output bias so that one point is wrong by ``rel`` relative.

    Parameters
    ----------
    network : Network
        A sign network that classifies ``points`` correctly.
    points, labels : sequences
    rel : Fraction or str
        Target relative margin of the wrong point, e.g. ``"1e-40"``.
    index : int, optional
        The point to break (default: the one with the smallest margin).
    bits : int, optional
        Working precision (default: enough for ``rel`` and the depth).

    Returns
    -------
    (Network, int, Fraction)
        The poisoned network, the broken point's index, and a certified
        upper bound (< 0) of its signed relative margin.

    Raises
    ------
    ValueError
        If the network is not a sign network or is not correct to begin with.
    """
    from ..arith import get_arith
    from .head import split_head
    from .scalar import generic_point

    if network.decision != "sign":
        raise ValueError("poison_network needs a sign network")
    rel = to_exact(rel)
    texts = network.class_texts
    idx = [texts.index(str(lab)) for lab in labels]
    need = max(64, int(-(Fraction(rel).numerator.bit_length() - Fraction(rel).denominator.bit_length())))
    prec = bits or (2 * need + 16 * network.depth + 128)
    A = get_arith("arb", prec)
    outs = [generic_point(network, p, c, A) for p, c in zip(points, idx)]
    if any(o.status != 1 for o in outs):
        raise ValueError("poison_network needs a network that is certified correct on every point")
    i = index if index is not None else min(range(len(outs)), key=lambda j: outs[j].margin[0])
    o_lo, o_hi = outs[i].outputs[0]
    o_mid = (o_lo + o_hi) / 2
    m_mid = (outs[i].margin[0] + outs[i].margin[1]) / 2
    den = abs(o_mid) / m_mid  # sum |W_j y_j| + |b|, to the working precision
    sign = 1 if idx[i] == 1 else -1
    delta = Fraction(rel) * den
    body, W, b = split_head(network)
    new_b = b[0] - o_mid - sign * delta
    grid = Fraction(1, 1 << (prec - 8))
    new_b = Fraction(round(new_b / grid)) * grid if is_rational(new_b) else new_b
    layers = list(network.layers)
    layers[-1] = Affine(W, [new_b])
    poisoned = network.with_layers(layers).with_meta(poisoned={"index": i, "rel": str(rel)})
    check = generic_point(poisoned, points[i], idx[i], A)
    if check.status != -1 or check.zero:
        raise ValueError("could not certify the poisoned point's wrong side (raise bits)")
    return poisoned, i, check.margin[1]


def rational_zero_network(depth: int, *, t0=Fraction(0), seed: int = 1):
    """A chain of ``depth`` fold layers whose output is exactly 0 at the point ``[t0]``.

    Each layer's eps is chosen so that ``(2 (t - c)^2 + 6 h^2)/3 + eps`` is
    the square of a rational at that point's value ``t``; so the point's
    whole evaluation is rational, and the threshold is set to its exact
    read-out value.  Returns ``(network, point)``.
    """
    import random

    rng = random.Random(seed)
    t = Fraction(t0)
    layers = []
    for k in range(depth):
        c = t + Fraction(rng.randint(-9, 9), rng.randint(1, 5))
        h = Fraction(rng.randint(1, 9), rng.randint(1, 5))
        q = (2 * (t - c) ** 2 + 6 * h * h) / 3
        r = Fraction(int(q) + 1 + rng.randint(0, 3))
        eps = r * r - q
        w = [Fraction(1)] if k == 0 else list(V2)
        layers.append(Affine([[a * wi for wi in w] for a in V1], [-c * a + h * bb for a, bb in zip(V1, V2)]))
        layers.append(LayerNorm(eps=eps))
        t = 6 * h / r
        assert is_rational(exact_sqrt(r * r))
    layers.append(Affine([list(V2)], [-t]))
    from ..network import Network

    return Network(1, layers, ["neg", "pos"], "sign", {"method": "rational zero (verify.testnets)"}), [Fraction(t0)]
