"""The rigorous backends agree: float64 intervals, python-flint arb, mpmath iv, and exact arithmetic.

The backends share no arithmetic code (numpy outward rounding, arb balls,
mpmath's interval context, exact algebraic numbers), so agreement is an
independent check of each.  The float64 ``interval`` backend may stop at
INCONCLUSIVE (its cap is 53 bits) but must never contradict the others.
"""

from fractions import Fraction

import pytest

from lnnet_construct.verify import Verdict, verify
from lnnet_construct.verify.testnets import paper_fold_network
from netzoo import ZOO, grid_points, oracle_class


def _labelled(net):
    pts = grid_points(net.input_dim)
    labels = []
    for i, p in enumerate(pts):
        c = oracle_class(net, p)
        # mostly the network's own class, some deliberately wrong
        labels.append(net.class_texts[(i % len(net.classes))] if c is None or i % 5 == 0 else str(c))
    return pts, labels


@pytest.mark.parametrize("name", sorted(ZOO))
def test_backends_agree_on_the_zoo(name):
    net = ZOO[name]()
    pts, labels = _labelled(net)
    reps = {b: verify(net, pts, labels, backend=b) for b in ("auto", "interval", "arb", "iv")}
    if net.depth <= 2:
        reps["exact"] = verify(net, pts, labels, backend="exact")
    ref = [p.verdict for p in reps["arb"].points]
    assert Verdict.INCONCLUSIVE not in ref
    for b, rep in reps.items():
        got = [p.verdict for p in rep.points]
        if b == "interval":
            assert all(g == r or g is Verdict.INCONCLUSIVE for g, r in zip(got, ref)), b
        else:
            assert got == ref, b


def test_backends_agree_on_a_fold_chain_with_escalation():
    import random

    rng = random.Random(5)
    m = 14
    labels = [rng.randint(0, 1) for _ in range(m)]
    net = paper_fold_network(range(m), labels)
    pts = [[Fraction(t)] for t in range(m)] + [[Fraction(2 * t + 1, 2)] for t in range(m - 1)]
    labs = labels + [labels[t] for t in range(m - 1)]
    reps = {b: verify(net, pts, labs, backend=b) for b in ("auto", "arb", "iv")}
    reps["generic"] = verify(net, pts, labs, use_structure=False)
    ref = [p.verdict for p in reps["arb"].points]
    for b, rep in reps.items():
        assert [p.verdict for p in rep.points] == ref, b
    # the enclosures of different backends overlap (they all contain the true output)
    for a, b in zip(reps["arb"].points, reps["iv"].points):
        (alo, ahi), (blo, bhi) = a.output[0], b.output[0]
        assert alo <= bhi and blo <= ahi


def test_exact_backend_margins_are_tight():
    net = ZOO["argmax3"]()
    pts, labels = _labelled(net)
    exact = verify(net, pts[:12], labels[:12], backend="exact")
    arb = verify(net, pts[:12], labels[:12], backend="arb")
    for e, a in zip(exact.points, arb.points):
        if e.margin is None or a.margin is None:
            continue
        # both enclose the same number
        assert e.margin[0] <= a.margin[1] and a.margin[0] <= e.margin[1]
        assert e.margin[1] - e.margin[0] <= Fraction(1, 2**60)
