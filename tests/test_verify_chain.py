"""The rank-1 scalar chain: exact detection, exact constants, and the float64 / arb chain tiers.

Independent checks: the chain constants are compared with a direct exact
LayerNorm evaluation (Fractions, squared to stay rational); enclosures are
compared with the high-precision oracle of tests/netzoo.py (its own
LayerNorm, mpmath at 4000 bits) and must also be narrow.
"""

from fractions import Fraction

import mpmath
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lnnet_construct.fold import V2, fold_network
from lnnet_construct.network import Affine, LayerNorm, Network
from lnnet_construct.verify import Verdict, verify
from lnnet_construct.verify.chain import chain_reason, detect_chain
from lnnet_construct.verify.testnets import paper_fold_network, poison_network
from netzoo import ZOO, oracle_outputs

fr = st.fractions(min_value=-5, max_value=5, max_denominator=12)
pos = st.fractions(min_value=Fraction(1, 12), max_value=4, max_denominator=12)


def _direct_readout_sq(p, b, eps, r, sigma):
    """(r · LN(p sigma + b))^2 and its sign, exactly (no sqrt needed)."""
    n = len(p)
    z = [pi * sigma + bi for pi, bi in zip(p, b)]
    mu = sum(z, Fraction(0)) / n
    c = [v - mu for v in z]
    var = sum((v * v for v in c), Fraction(0)) / n + eps
    if var == 0:
        return None
    num = sum((ri * ci for ri, ci in zip(r, c)), Fraction(0))
    return num * num / var, (num > 0) - (num < 0)


@given(p=st.lists(fr, min_size=3, max_size=3), b=st.lists(fr, min_size=3, max_size=3),
       r=st.lists(fr, min_size=3, max_size=3), eps=st.sampled_from([Fraction(0), Fraction(1, 3), Fraction(2)]),
       sigma=fr)
@example(p=[Fraction(1), Fraction(-1), Fraction(0)], b=[Fraction(0), Fraction(2), Fraction(-2)],
         r=list(V2), eps=Fraction(0), sigma=Fraction(1))  # a point at the fold centre
@example(p=[Fraction(1), Fraction(2), Fraction(3)], b=[Fraction(2), Fraction(4), Fraction(6)],
         r=[Fraction(1), Fraction(0), Fraction(0)], eps=Fraction(0), sigma=Fraction(1))  # b || p: E' = 0
def test_chain_constants_match_a_direct_layernorm(p, b, r, eps, sigma):
    if len(set(p)) == 1:
        p[0] += 1
    net = Network(1, [Affine([[v] for v in p], b), LayerNorm(eps=eps), Affine([r], [0])], ["a", "b"])
    ch = detect_chain(net)
    assert ch is not None
    st_ = ch.last
    C, sigma0, E1 = st_.exact_constants()
    ro = st_.readout(tuple(r))
    A, B1, sstar = ro.exact_constants()
    s = ch.sigma1([sigma]) - sigma0  # the chain's scalar is q1 · x for its own factorization
    Q = C * s * s + E1
    want = _direct_readout_sq(p, b, eps, r, sigma)
    if Q == 0:  # the LayerNorm is undefined here: the direct variance must vanish too
        assert want is None and eps == 0 and E1 == 0 and s == 0
        return
    num = A * s + B1
    got_sq = num * num / Q
    want_sq, want_sign = want
    assert got_sq == want_sq
    assert (num > 0) - (num < 0) == want_sign
    # the structural flags are exact
    assert ro.a_zero == (A == 0) and ro.b1_zero == (B1 == 0) and st_.e1_zero == (E1 == 0)
    # the stationary point is where the derivative's affine numerator A E' - B' C s vanishes
    if sstar is not None and not st_.e1_zero:
        assert A * E1 - B1 * C * sstar == 0


def test_fold_networks_are_chains_and_others_are_not():
    net = fold_network([1, 2], [(0, 1), (1, "1/3")], ("centres", 1, 2, 3), classes=["x", "y", "z"])
    assert detect_chain(net) is not None and chain_reason(net) is None
    bad = {
        "rank 2": Network(1, [Affine([[1], [2], [3]], [0, 1, 0]), LayerNorm(),
                              Affine([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]), LayerNorm(),
                              Affine([[1, 1, 0]], [0])], ["a", "b"]),
        "groups": Network(1, [Affine([[1], [2], [3], [4]], [0, 1, 0, 2]), LayerNorm(groups=2),
                              Affine([[1, 1, 0, 0]], [0])], ["a", "b"]),
        "ln affine": Network(1, [Affine([[1], [2], [3]], [0, 1, 0]), LayerNorm(weight=[1, 2, 3]),
                                 Affine([[1, 1, 0]], [0])], ["a", "b"]),
        "algebraic weight": Network(1, [Affine([["sqrt(2)"], [2], [3]], [0, 1, 0]), LayerNorm(),
                                        Affine([[1, 1, 0]], [0])], ["a", "b"]),
        "constant LN input": Network(1, [Affine([[1], [1], [1]], [0, 1, 0]), LayerNorm(),
                                         Affine([[1, 1, 0]], [0])], ["a", "b"]),
        "no LN": Network(1, [Affine([[1]], [0])], ["a", "b"]),
    }
    for name, net in bad.items():
        assert detect_chain(net) is None, name
        assert chain_reason(net), name
    for name, mk in ZOO.items():
        assert detect_chain(mk()) is None, name


def _inside(value, lo, hi):
    """Oracle value (mpmath, 4000 bits) inside [lo, hi] up to the oracle's own 2^-3000 slack."""
    v = Fraction(*mpmath.libmp.to_rational(value._mpf_))
    tol = Fraction(1, 2**3000) * (1 + abs(v))
    return lo - tol <= v <= hi + tol


def _fold_net(data):
    depth = data.draw(st.integers(1, 6))
    folds = [(data.draw(fr), data.draw(pos)) for _ in range(depth)]
    eps = data.draw(st.sampled_from([0, 0, Fraction(1, 10**5), Fraction(3)]))
    theta = data.draw(st.fractions(min_value=0, max_value=6, max_denominator=50))
    orient = data.draw(st.sampled_from([1, -1]))
    return fold_network([1], folds, ("sign", theta, orient), classes=["neg", "pos"], eps=eps)


@given(st.data())
def test_chain_float_tier_encloses_the_oracle(data):
    net = _fold_net(data)
    pts = data.draw(st.lists(st.fractions(min_value=-6, max_value=6, max_denominator=40), min_size=1, max_size=6))
    pts = [[t] for t in pts]
    labels = ["pos"] * len(pts)
    rep = verify(net, pts, labels, backend="interval")
    assert rep.structure == "chain"
    for p, res in zip(pts, rep.points):
        if res.output is None:
            continue
        want = oracle_outputs(net, p)[0]
        lo, hi = res.output[0]
        assert _inside(want, lo, hi)
        if res.verdict is not Verdict.INCONCLUSIVE:
            # a decided point's enclosure is narrow (the tier loses a few ulps per layer)
            assert hi - lo <= Fraction(1, 10**9) * (1 + abs(lo))


@given(st.data())
def test_chain_path_agrees_with_generic_path_and_with_arb(data):
    net = _fold_net(data)
    pts = [[t] for t in data.draw(st.lists(st.fractions(min_value=-6, max_value=6, max_denominator=40),
                                           min_size=1, max_size=5))]
    labels = [data.draw(st.sampled_from(["neg", "pos"])) for _ in pts]
    a = verify(net, pts, labels)
    g = verify(net, pts, labels, use_structure=False)
    b = verify(net, pts, labels, backend="arb")
    assert a.structure == "chain" and g.structure == "generic"
    for x, y, z in zip(a.points, g.points, b.points):
        assert x.verdict == y.verdict == z.verdict


def test_deep_chain_is_certified_in_float64_and_matches_the_oracle():
    ts = list(range(40))
    labels = [(t * 7 + 3) % 5 % 2 for t in ts]
    net = paper_fold_network(ts, labels, h_ratio=Fraction(1, 16))
    pts = [[t] for t in ts]
    rep = verify(net, pts, labels)
    assert rep.exit_code == 0 and rep.structure == "chain"
    assert rep.max_bits_used == 53 and rep.escalated == 0
    for p, res in zip(pts[::7], rep.points[::7]):
        want = oracle_outputs(net, p)[0]
        lo, hi = res.output[0]
        assert _inside(want, lo, hi)
        assert res.margin[0] > 0


def test_argmax_chain_uses_differences():
    # nearest-centre read-out on a fold: exact ties where the point is half-way between centres
    net = fold_network([1], [(0, 1)], ("centres", 1, 2, 4), classes=["one", "two", "four"])
    # tau at t = c is 3 sqrt 2 ~ 4.243: nearest centre 4
    rep = verify(net, [[0], [0]], ["four", "two"])
    assert [p.verdict for p in rep.points] == [Verdict.VERIFIED, Verdict.REFUTED]
    assert rep.points[1].reason.startswith("class 'four' scores strictly higher")
    assert rep.structure == "chain"


def test_structural_zero_readout_is_an_exact_zero():
    # a row proportional to 1 right after an LN: the output is exactly 0, decided in tier 1
    net = Network(1, [Affine([[1], [-1], [0]], [0, 1, 2]), LayerNorm(),
                      Affine([[2, 2, 2]], [0])], ["neg", "pos"])
    rep = verify(net, [[Fraction(1, 3)], [5]], ["pos", "neg"])
    assert all(p.verdict is Verdict.REFUTED and "exactly 0" in p.reason for p in rep.points)
    assert all(p.method == "interval-chain" for p in rep.points)
    assert rep.points[0].output == ((Fraction(0), Fraction(0)),)


@pytest.mark.parametrize("bits", [64, 300])
def test_arb_chain_precision_and_sign_unit_layers(bits):
    # b parallel to p: a sign unit (E' = 0); undefined exactly at the centre
    net = Network(1, [Affine([[1], [2], [3]], [2, 4, 6]), LayerNorm(), Affine([[1, 0, -1]], ["1/10"])],
                  ["neg", "pos"])
    ch = detect_chain(net)
    assert ch.last.e1_zero
    rep = verify(net, [[-2], [0], [5]], ["pos", "neg", "neg"], max_bits=bits)
    v = [p.verdict for p in rep.points]
    # sigma = -2: z = 0 exactly -> zero variance; others: y = +-(1,0,-1)*sqrt(3/2)... exact sign known
    assert v[0] is Verdict.REFUTED and "variance" in rep.points[0].reason
    # at sigma = 0 the LN sees (2, 4, 6): y_1 - y_3 < 0, output < 0
    assert v[1] is Verdict.VERIFIED and v[2] is Verdict.VERIFIED


def _sigma_last_oracle(net, point):
    """sigma_L = q_L · (input of the last fold affine), by the independent oracle (4000 bits)."""
    ch = detect_chain(net)
    if ch.depth == 1:
        return None
    aff = net.layers[-3]
    q = aff.weight[[i for i, row in enumerate(aff.weight) if any(v != 0 for v in row)][0]]
    probe = Network(net.input_dim, list(net.layers[:-3]) + [Affine([list(q)], [0])], ["a", "b"])
    return oracle_outputs(probe, point)[0]


@given(st.data())
def test_double_double_tier_balls_contain_the_oracle(data):
    from lnnet_construct.verify.ddtier import dd_applicable, dd_chain_balls

    depth = data.draw(st.integers(2, 7))
    folds = [(data.draw(fr), data.draw(pos)) for _ in range(depth)]
    eps = data.draw(st.sampled_from([0, Fraction(1, 10**5), Fraction(3)]))
    net = fold_network([1], folds, ("sign", 1, 1), classes=["neg", "pos"], eps=eps)
    ch = detect_chain(net)
    assert dd_applicable(ch)
    ts = data.draw(st.lists(st.fractions(min_value=-6, max_value=6, max_denominator=10**6), min_size=1, max_size=8))
    # include the fold centres themselves (s = 0 exactly) and near misses
    ts += [folds[0][0], folds[0][0] + Fraction(1, 2**70)]
    balls = dd_chain_balls(ch, [ch.sigma1([t]) for t in ts])
    for t, ball in zip(ts, balls):
        assert ball is not None
        mid, rad = ball
        want = _sigma_last_oracle(net, [t])
        assert _inside(want, mid - Fraction(rad), mid + Fraction(rad))
        # about 100 bits: far tighter than float64 could be
        assert rad <= 2.0**-80 * (1 + abs(float(mid))) * 4**depth


@given(st.data())
def test_double_double_tier_balls_contain_the_oracle_for_tilted_folds(data):
    from lnnet_construct.construct.realise import Readout, realise
    from lnnet_construct.construct.tracker import Fold
    from lnnet_construct.verify.ddtier import dd_applicable, dd_chain_balls

    depth = data.draw(st.integers(2, 6))
    tilts = st.fractions(min_value=-3, max_value=3, max_denominator=8)
    folds = [Fold(data.draw(fr), data.draw(pos), Fraction(1), data.draw(tilts)) for _ in range(depth)]
    eps = data.draw(st.sampled_from([0, Fraction(1, 10**5), Fraction(3)]))
    net = realise([Fraction(1)], folds, Readout("sign", (Fraction(1), 1), (0, 1)), ["neg", "pos"], eps=eps)
    ch = detect_chain(net)
    if not dd_applicable(ch):  # a tilt that cancels B' (monotone layer) is left to arb
        assert any(ro.b1_zero for ro in ch.inner)
        return
    ts = data.draw(st.lists(st.fractions(min_value=-6, max_value=6, max_denominator=10**6), min_size=1, max_size=8))
    ts += [folds[0].c, folds[0].c + Fraction(1, 2**70)]
    balls = dd_chain_balls(ch, [ch.sigma1([t]) for t in ts])
    for t, ball in zip(ts, balls):
        if ball is None:  # left the tier's safe magnitudes (a value near a zero of J s + K): arb decides it
            continue
        mid, rad = ball
        want = _sigma_last_oracle(net, [t])
        assert _inside(want, mid - Fraction(rad), mid + Fraction(rad))


_F64 = st.floats(allow_nan=False, allow_infinity=False, min_value=-2.0**60, max_value=2.0**60)


@given(st.lists(st.tuples(_F64, st.floats(-1.0, 1.0), st.floats(0.0, 2.0**10)), min_size=1, max_size=6))
@example([(1.0, -1.0, 0.0), (2.0**-1074, 0.0, 0.0), (0.0, 0.0, 2.0**-1074), (-(2.0**52), 0.5, 0.0)])
def test_double_double_balls_convert_to_outward_float_bounds(rows):
    import math

    import numpy as np

    from lnnet_construct.verify.ddtier import dd_float_bounds

    # a double-double has |Ml| <= ulp(Mh) / 2: scale the drawn fraction into that range
    Mh = np.array([r[0] for r in rows])
    Ml = np.array([r[1] * math.ulp(r[0]) / 2 for r in rows])
    R = np.array([r[2] * math.ulp(r[0]) for r in rows])
    lo, hi = dd_float_bounds(Mh, Ml, R)
    for t in range(len(rows)):
        M = Fraction(float(Mh[t])) + Fraction(float(Ml[t]))
        assert Fraction(float(lo[t])) <= M - Fraction(float(R[t]))
        assert Fraction(float(hi[t])) >= M + Fraction(float(R[t]))
        assert hi[t] - lo[t] <= 2 * float(R[t]) + 8 * math.ulp(float(Mh[t])) + 2.0**-1070


@given(st.data())
def test_float_head_on_double_double_balls_agrees_with_the_oracle(data):
    import numpy as np

    from lnnet_construct.verify.batch import head_batch
    from lnnet_construct.verify.ddtier import dd_chain_arrays, dd_float_bounds

    depth = data.draw(st.integers(2, 7))
    folds = [(data.draw(fr), data.draw(pos)) for _ in range(depth)]
    ts = data.draw(st.lists(st.fractions(min_value=-6, max_value=6, max_denominator=10**6), min_size=1, max_size=8))
    ts += [folds[0][0]]
    # threshold within 2^-200 of the first point's tau: a near tie of known sign, beyond float64
    tau0 = oracle_outputs(fold_network([1], folds, ("sign", 0, 1), classes=["neg", "pos"]), [ts[0]])[0]
    theta = Fraction(int(mpmath.nint(tau0 * 2**300)), 2**300) + data.draw(st.sampled_from([1, -1])) * Fraction(1, 2**200)
    net = fold_network([1], folds, ("sign", theta, 1), classes=["neg", "pos"])
    ch = detect_chain(net)
    labels = np.array(data.draw(st.lists(st.integers(0, 1), min_size=len(ts), max_size=len(ts))))
    idx, Mh, Ml, R = dd_chain_arrays(ch, [ch.sigma1([t]) for t in ts])
    lo, hi = dd_float_bounds(Mh, Ml, R)
    br = head_batch(ch, lo, hi, labels[idx])
    for row, k in enumerate(idx.tolist()):
        want = oracle_outputs(net, [ts[k]])[0]
        if br.status[row] != 0:
            assert _inside(want, Fraction(br.out_lo[row][0]), Fraction(br.out_hi[row][0]))
        wins = want > 0 if labels[k] == 1 else want < 0
        if br.status[row] == 1:
            assert wins
        elif br.status[row] == -1:
            assert not wins


def _tilted_net(data, eps_choices=(0, Fraction(1, 10**5), Fraction(3))):
    from lnnet_construct.construct.realise import Readout, realise
    from lnnet_construct.construct.tracker import Fold

    depth = data.draw(st.integers(1, 6))
    tilts = st.fractions(min_value=-3, max_value=3, max_denominator=8)
    folds = [Fold(data.draw(fr), data.draw(pos), Fraction(1), data.draw(tilts)) for _ in range(depth)]
    eps = data.draw(st.sampled_from(list(eps_choices)))
    theta = data.draw(st.fractions(min_value=-4, max_value=4, max_denominator=16))
    return realise([Fraction(1)], folds, Readout("sign", (theta, 1), (0, 1)), ["neg", "pos"], eps=eps), folds


@given(st.data())
def test_float_tier_encloses_the_oracle_on_tilted_chains(data):
    import numpy as np

    from lnnet_construct.verify.batch import chain_batch

    net, folds = _tilted_net(data)
    ch = detect_chain(net)
    ts = data.draw(st.lists(st.fractions(min_value=-6, max_value=6, max_denominator=10**6), min_size=1, max_size=8))
    ts += [folds[0].c, folds[0].c + folds[0].kappa * folds[0].h]  # the centre and the tilted peak
    br = chain_batch(ch, [(t,) for t in ts], np.zeros(len(ts), dtype=int))
    for i, t in enumerate(ts):
        if not (np.isfinite(br.out_lo[i][0]) and np.isfinite(br.out_hi[i][0])):
            continue  # dropped from the batch (escalates)
        want = oracle_outputs(net, [t])[0]
        assert _inside(want, Fraction(br.out_lo[i][0]), Fraction(br.out_hi[i][0]))


def test_tilted_float_step_keeps_the_stationary_value_of_a_wide_interval():
    import mpmath
    import numpy as np

    from lnnet_construct.construct.realise import Readout, realise
    from lnnet_construct.construct.tracker import Fold
    from lnnet_construct.verify.batch import _TiltLayer, _tilt_step

    net = realise([Fraction(1)], [Fold(Fraction(1), Fraction(1, 2), Fraction(1), Fraction(2)), Fold(0, 1)],
                  Readout("sign", (Fraction(0), 1), (0, 1)), ["a", "b"])
    ch = detect_chain(net)
    tl = _TiltLayer.make(ch.stages[0], ch.inner[0])
    assert tl is not None
    # sigma = r·y after layer 1 with r = v2 + 2 v1: F(t) = (6h + 4(t - c)) / sqrt((2(t-c)^2 + 6h^2)/3), peak at t = 2
    ctx = mpmath.MPContext()
    ctx.prec = 200

    def f(t):
        d = ctx.mpf(t) - 1
        return (3 + 4 * d) / ctx.sqrt((2 * d * d + ctx.mpf(3) / 2) / 3)

    lo_t, hi_t = 1.25, 3.5  # contains the peak t = 2; the chain's first scalar is t itself
    out, bad = _tilt_step(tl, np.array([[lo_t], [-hi_t]]))
    assert bad is None
    glo, ghi = Fraction(out[0, 0]), Fraction(-out[1, 0])
    for t in (lo_t, 2, hi_t, 1.6, 2.9):
        assert _inside(f(t), glo, ghi)
    assert ghi - Fraction(str(f(2))) < Fraction(1, 10**12)  # tight at the peak, not just wide


def test_double_double_tier_decides_many_points_like_arb():
    import random

    rng = random.Random(11)
    m = 120
    labels = [rng.randint(0, 1) for _ in range(m)]
    net = paper_fold_network(range(m), labels)  # h = gap/2: float64 is not enough for most points
    pts = [[t] for t in range(m)]
    auto = verify(net, pts, labels)
    methods = {p.method for p in auto.points}
    assert "dd-chain" in methods, methods
    arb = verify(net, pts, labels, backend="arb")
    assert [p.verdict for p in auto.points] == [p.verdict for p in arb.points]
    assert auto.exit_code == 0
    # poisoned at 1e-45: beyond float64, within double-double reach or escalated to arb; never verified
    bad, i, _ = poison_network(net, pts, labels, Fraction(1, 10**45))
    rep = verify(bad, pts, labels)
    assert rep.points[i].verdict is Verdict.REFUTED


def test_first_scalars_with_algebraic_huge_and_tiny_coordinates():
    from lnnet_construct.numbers import parse_number

    net = fold_network([1, Fraction(1, 3)], [(1, 1), (2, Fraction(1, 2))], ("sign", 3, 1), classes=["neg", "pos"])
    pts = [[parse_number("sqrt(2)"), parse_number("1/7")], [Fraction(10) ** 400, 1], [Fraction(1, 10**400), 0],
           [Fraction(-3, 10**320), Fraction(5)]]
    rep = verify(net, pts, ["pos"] * len(pts))
    arb = verify(net, pts, ["pos"] * len(pts), backend="arb", use_structure=False)
    assert [p.verdict for p in rep.points] == [p.verdict for p in arb.points]
    for p, res in zip(pts, rep.points):
        lo, hi = res.output[0]
        assert _inside(oracle_outputs(net, p)[0], lo, hi)
