"""Soundness: poisoned networks are refuted, never verified; exact zeros, ties and zero variance.

The networks are built here (paper fold plans from ``verify.testnets``),
then poisoned by moving the output threshold so that one point (with its
merged cluster) is wrong by a relative 1e-30 ... 1e-80.  ``poison_network``
certifies the wrong side with arb at high precision; the verdict must be
REFUTED at the default cap, and never VERIFIED at any cap.
"""

from fractions import Fraction

import pytest

from lnnet_construct.arith import get_arith
from lnnet_construct.fold import fold_value, fold_network
from lnnet_construct.network import Affine, LayerNorm, Network
from lnnet_construct.verify import Verdict, exact_verdicts, verify
from lnnet_construct.verify.report import EXIT_INCONCLUSIVE, EXIT_REFUTED, EXIT_VERIFIED
from lnnet_construct.verify.testnets import paper_fold_network, poison_network, rational_zero_network
from netzoo import oracle_outputs


def _alternating(m):
    labels = [i % 2 for i in range(m)]
    return paper_fold_network(range(m), labels), [[t] for t in range(m)], labels


def _random_labels(m, seed):
    import random

    rng = random.Random(seed)
    labels = [rng.randint(0, 1) for _ in range(m)]
    labels[0], labels[1] = 0, 1
    return paper_fold_network(range(m), labels, h_ratio=Fraction(1, 16)), [[t] for t in range(m)], labels


@pytest.fixture(scope="module")
def net27():
    return _alternating(29)


@pytest.fixture(scope="module")
def net87():
    return _alternating(89)


def test_correct_networks_with_27_and_87_layers_are_certified(net27, net87):
    for (net, pts, labels), depth in ((net27, 27), (net87, 87)):
        assert net.depth == depth
        rep = verify(net, pts, labels)
        assert rep.exit_code == EXIT_VERIFIED, rep.summary()
        assert rep.structure == "chain"
        assert all(p.margin[0] > 0 for p in rep.points)


@pytest.mark.parametrize("exponent", [30, 40, 60, 80])
def test_poisoned_network_is_refuted(net27, exponent):
    net, pts, labels = net27
    rel = Fraction(1, 10**exponent)
    bad, i, upper = poison_network(net, pts, labels, rel)
    assert -100 * rel < upper < 0  # certified: wrong by about rel, not more
    rep = verify(bad, pts, labels)
    assert rep.points[i].verdict is Verdict.REFUTED
    assert rep.exit_code == EXIT_REFUTED
    # everything wrong shares the poisoned point's label (its merged cluster); the rest stays verified
    for p in rep.points:
        if p.verdict is Verdict.REFUTED:
            assert labels[p.index] == labels[i] and p.margin is not None and p.margin[1] <= 0
        else:
            assert p.verdict is Verdict.VERIFIED
    # the float64 tier cannot see the error: the point was escalated, and needed real precision
    assert rep.points[i].bits >= exponent * 3


@pytest.mark.parametrize("exponent", [40, 60])
def test_poisoned_deep_network_is_refuted_by_every_backend(exponent):
    net, pts, labels = _random_labels(48, seed=exponent)
    bad, i, _ = poison_network(net, pts, labels, Fraction(1, 10**exponent))
    for backend in ("auto", "arb"):
        rep = verify(bad, pts, labels, backend=backend)
        assert rep.points[i].verdict is Verdict.REFUTED
        assert rep.exit_code == EXIT_REFUTED
    # the generic path (no structure) refutes it too
    rep = verify(bad, [pts[i]], [labels[i]], use_structure=False)
    assert rep.points[0].verdict is Verdict.REFUTED


@pytest.mark.parametrize("cap", [16, 64, 128, 200])
def test_poisoned_network_is_never_verified_below_the_needed_precision(net27, cap):
    net, pts, labels = net27
    bad, i, _ = poison_network(net, pts, labels, Fraction(1, 10**80))
    rep = verify(bad, [pts[i]], [labels[i]], max_bits=cap)
    assert rep.points[0].verdict is Verdict.INCONCLUSIVE
    assert rep.exit_code == EXIT_INCONCLUSIVE
    assert rep.points[0].bits == cap


def test_deep_network_with_16_bits_is_inconclusive(net87):
    net, pts, labels = net87
    rep = verify(net, pts, labels, max_bits=16)
    assert rep.exit_code == EXIT_INCONCLUSIVE
    assert rep.inconclusive == len(pts) and rep.max_bits_used == 16
    assert "16 bits" in rep.points[0].reason


def test_exact_zero_output_structural():
    # sum of the LayerNorm outputs is exactly 0 for every input
    net = fold_network([1], [(0, 1), (1, 2)], ("sign", 0, 1), classes=["neg", "pos"])
    W = [[1, 1, 1]]
    net = net.with_layers(list(net.layers[:-1]) + [Affine(W, [0])])
    rep = verify(net, [[0], [1], ["1/3"]], ["pos", "neg", "pos"])
    assert rep.exit_code == EXIT_REFUTED
    assert all(p.verdict is Verdict.REFUTED and "exactly 0" in p.reason for p in rep.points)
    assert exact_verdicts(net, [[0]], ["pos"]) == [Verdict.REFUTED]


def test_exact_zero_output_deep_rational():
    net, pt = rational_zero_network(40, seed=3)
    rep = verify(net, [pt, [Fraction(1, 7)]], ["pos", "neg"])
    p = rep.points[0]
    assert p.verdict is Verdict.REFUTED and "exactly 0" in p.reason and p.method == "rational"
    assert rep.exit_code == EXIT_REFUTED


@pytest.mark.parametrize("depth", [1, 2])
def test_exact_zero_output_algebraic_threshold(depth):
    # the threshold is the point's exact (algebraic) read-out: only exact algebra can see the 0
    folds = [(Fraction(1, 3), 1), (Fraction(3), Fraction(1, 2))][:depth]
    A = get_arith("exact")
    tau = Fraction(0)
    for c, h in folds:
        tau = fold_value(tau, c, h, 0, A)
    net = fold_network([1], folds, ("sign", tau, 1), classes=["neg", "pos"])
    rep = verify(net, [[0], [5]], ["pos", "neg"])
    assert rep.points[0].verdict is Verdict.REFUTED and "exactly 0" in rep.points[0].reason
    assert rep.points[0].method == "exact"
    assert rep.points[1].verdict is not Verdict.INCONCLUSIVE


def test_exact_argmax_tie():
    net = fold_network([1], [(0, 1)], ("centres", 1, 1, 3), classes=["a", "b", "c"])
    rep = verify(net, [[10]], ["a"])  # tau small: centres a and b (both 1) tie exactly
    assert rep.points[0].verdict is Verdict.REFUTED and "tie" in rep.points[0].reason
    net2 = Network(1, [Affine([[1], [2]], [0, 1])], ["x", "y"], decision="argmax")
    rep2 = verify(net2, [[-1], [-2]], ["x", "x"])  # outputs (-1, -1): tie; (-2, -3): x wins
    assert [p.verdict for p in rep2.points] == [Verdict.REFUTED, Verdict.VERIFIED]


def test_zero_variance_is_refuted_and_unproven_positivity_is_not_verified():
    # the first LayerNorm sees (t, t, t) + (0, 0, 0) at t = anything: constant input
    const = Network(1, [Affine([[1], [1], [1]], [0, 0, 0]), LayerNorm(), Affine([[1, -1, 0]], [1])], ["n", "p"])
    rep = verify(const, [[1], [Fraction(-2, 7)]], ["p", "p"])
    assert all(p.verdict is Verdict.REFUTED and "variance" in p.reason for p in rep.points)
    # a sign-unit layer (b parallel to p) at its singular point, and next to it
    net = Network(1, [Affine([[1], [2], [3]], [2, 4, 6]), LayerNorm(), Affine([[1, 0, -1]], ["1/10"])],
                  ["neg", "pos"])
    rep = verify(net, [[-2], [Fraction(-2) + Fraction(1, 10**30)]], ["neg", "pos"])
    assert rep.points[0].verdict is Verdict.REFUTED and "variance" in rep.points[0].reason
    # just right of the singular point the LN is a sign unit: y = (-1, 0, 1) sqrt(3/2): output < 0
    assert rep.points[1].verdict is Verdict.REFUTED and "variance" not in rep.points[1].reason
    # with eps = 0 and the point within 2^-cap of the singular point, never VERIFIED
    rep = verify(net, [[Fraction(-2) + Fraction(1, 2**300)]], ["neg"], max_bits=128, exact_depth=0)
    assert rep.points[0].verdict is Verdict.INCONCLUSIVE


def test_labels_that_are_not_classes_are_refuted():
    net = Network(1, [Affine([[1]], [0])], classes=[0, 1])
    rep = verify(net, [[1], [1], [-1]], ["1", "pos", 0])
    assert [p.verdict for p in rep.points] == [Verdict.VERIFIED, Verdict.REFUTED, Verdict.VERIFIED]
    assert "not a class" in rep.points[1].reason
    assert rep.points[1].method == "label"


def test_report_fields_and_json(net27):
    net, pts, labels = net27
    rep = verify(net, pts[:5], labels[:4] + ["nope"])
    d = rep.to_json()
    for key in ("verified", "refuted", "inconclusive", "max_bits", "seconds", "points", "min_relative_margin",
                "bits_needed", "max_bits_used", "escalated"):
        assert key in d
    assert d["verified"] == 4 and d["refuted"] == 1 and d["exit_code"] == EXIT_REFUTED
    m = rep.min_relative_margin
    assert m == min(p.margin[0] for p in rep.points if p.verdict is Verdict.VERIFIED)
    assert abs(rep.bits_needed + float(Fraction(m).numerator.bit_length() - Fraction(m).denominator.bit_length())) < 1.5
    # the margin enclosure contains the oracle's relative margin (independent code, 4000 bits)
    p0 = rep.points[0]
    out = oracle_outputs(net, pts[0])[0]
    lo, hi = p0.output[0]
    assert lo <= Fraction(*__import__("mpmath").libmp.to_rational(out._mpf_)) <= hi


def test_bad_arguments():
    from lnnet_construct.errors import InputError

    net = Network(1, [Affine([[1]], [0])], classes=["a", "b"])
    with pytest.raises(InputError):
        verify(net, [[1]], ["a", "b"])
    with pytest.raises(InputError):
        verify(net, [[1, 2]], ["a"])
    with pytest.raises(InputError):
        verify(net, [[1]], ["a"], backend="float")
    with pytest.raises(InputError):
        verify(net, [[1]], ["a"], max_bits=1)


def test_exact_zero_output_deep_algebraic_threshold_set_from_the_networks_own_output():
    # the threshold is the exact output at a point, computed by the package's forward pass: at depth 6
    # neither enclosures nor sympy can see the 0, the structural cancellation test does
    from lnnet_construct.forward import forward

    folds = [(Fraction(1, 3), 1), (Fraction(3), Fraction(1, 2)), (Fraction(2), Fraction(2, 3)),
             (Fraction(5, 2), 1), (Fraction(3), Fraction(1, 4)), (Fraction(2), 1)]
    net = fold_network([1], folds, ("sign", 0, 1), classes=["neg", "pos"])
    out = forward(net, [Fraction(1, 5)], get_arith("exact"))[0]
    W, b = net.layers[-1].weight, net.layers[-1].bias
    zero = net.with_layers(list(net.layers[:-1]) + [Affine(W, [b[0] - out])])
    rep = verify(zero, [[Fraction(1, 5)], [Fraction(7, 2)]], ["pos", "pos"])
    p = rep.points[0]
    assert p.verdict is Verdict.REFUTED and "exactly 0" in p.reason and p.method == "exact"
    assert rep.points[1].verdict is not Verdict.INCONCLUSIVE


def test_exact_fallback_time_limit():
    from lnnet_construct.verify.engine import _exact_with_timeout

    net = fold_network([1], [(Fraction(1, 3), 1)], ("sign", 0, 1), classes=["neg", "pos"])
    assert _exact_with_timeout(net, [Fraction(1)], 1, 60).status == 1
    assert _exact_with_timeout(net, [Fraction(1)], 1, 0) is None  # no time at all: gives up, never guesses


@pytest.mark.parametrize("lo,hi", [(-1e308, 1e308), (-1.7e308, 1.7e308), (1e308, 1.7e308), (-5e-324, 5e-324),
                                   (0.0, 1e308), (1.0, 1.0 + 2**-52)])
def test_precision_estimate_of_extreme_enclosures(lo, hi):
    # [-1e308, 1e308] once overflowed to inf and crashed the certificate of a built network
    from lnnet_construct.verify.engine import _estimate_bits

    for max_bits in (64, 4096, 1 << 14):
        bits = _estimate_bits(lo, hi, max_bits)
        assert isinstance(bits, int) and 64 <= bits <= max(64, 53 + max_bits + 12 + 16)
