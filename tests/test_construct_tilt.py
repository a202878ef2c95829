"""Tilted folds: every number system against the real LayerNorm, the planner on a stall, a build."""

from fractions import Fraction as Q

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lnnet_construct.arith import get_arith
from lnnet_construct.arith.exact import exact_sign
from lnnet_construct.arith.interval import Interval, enclose_fraction
from lnnet_construct.construct import build
from lnnet_construct.construct.greedy import choose_fold
from lnnet_construct.construct.numeric import (
    FixedBackend,
    FloatBackend,
    MpBackend,
    arb_balls,
    fold_arb,
    fold_exact,
    fold_interval,
)
from lnnet_construct.construct.realise import V1, V2, Readout, realise
from lnnet_construct.construct.runs import count_runs_sorted
from lnnet_construct.construct.tilt import tilted_fold
from lnnet_construct.construct.tracker import Fold, Tracker
from lnnet_construct.forward import forward_layers

fracs = st.fractions(min_value=-5, max_value=5, max_denominator=50)
kappas = st.fractions(min_value=-8, max_value=8, max_denominator=20).filter(lambda k: k != 0)
heights = st.fractions(min_value=Q(1, 20), max_value=5, max_denominator=50)


def _ln_values(t, c, h, kappa, eps):
    """``t`` through a 2-fold realised network (second fold plain), read after the first LayerNorm, exactly."""
    net = realise([Q(1)], [Fold(c, h, Q(1), kappa), Fold(Q(0), Q(1))], Readout("sign", (Q(0), 1), (0, 1)),
                  ["a", "b"], eps=eps)
    ys = list(forward_layers(net, [t], get_arith("exact")))
    y1 = ys[1]  # after the first LayerNorm
    second = net.layers[2]
    # the second affine layer's weight rows are (r, -r, 0) (the float form): row 0 is r
    r = second.weight[0]
    return sum(a * b for a, b in zip(r, y1)), r


@settings(max_examples=40, deadline=None)
@given(t=fracs, c=fracs, h=heights, kappa=kappas, eps=st.sampled_from([Q(0), Q(1, 10**5)]))
@example(t=Q(0), c=Q(0), h=Q(1), kappa=Q(-1), eps=Q(0))
def test_tilted_fold_is_the_realised_network_read_along_v2_plus_kappa_v1(t, c, h, kappa, eps):
    sigma, r = _ln_values(t, c, h, kappa, eps)
    assert tuple(r) == (kappa, -kappa, -3)  # equals v2 + kappa v1 on LayerNorm outputs (sum y = 0)
    assert exact_sign(sigma - fold_exact(t, c, h, eps, kappa)).value == 0


@settings(max_examples=40, deadline=None)
@given(ts=st.lists(fracs, min_size=1, max_size=6), c=fracs, h=heights, kappa=kappas)
def test_every_number_system_agrees_on_a_tilted_fold(ts, c, h, kappa):
    exact = [fold_exact(t, c, h, Q(0), kappa) for t in ts]
    exact_f = [float(e) for e in exact]
    iv = fold_interval(Interval(*map(np.array, zip(*[enclose_fraction(t) for t in ts]))), c, h, Q(0), kappa)
    balls = fold_arb(arb_balls(ts, 200), c, h, Q(0), 200, kappa)
    fixed = FixedBackend(200)
    fx = fixed.fold(fixed.array(ts), c, h, Q(0), kappa)
    mp = MpBackend(200)
    mv = mp.fold(mp.array(ts), c, h, Q(0), kappa)
    fl = FloatBackend().fold(np.array([float(t) for t in ts]), c, h, Q(0), kappa)
    for k, e in enumerate(exact):
        # rigorous: the interval and the ball contain the exact value (exact sign tests at the ends)
        assert exact_sign(e - Q(float(iv.lo[k]))).value >= 0 and exact_sign(Q(float(iv.hi[k])) - e).value >= 0
        lo, hi = balls[k].lower(), balls[k].upper()
        assert exact_sign(e - _arf(lo)).value >= 0 and exact_sign(_arf(hi) - e).value >= 0
        tol = 1e-12 * max(1.0, abs(exact_f[k]))
        assert abs(fixed.as_float(fx[k]) - exact_f[k]) <= tol
        assert abs(float(mv[k]) - exact_f[k]) <= tol
        assert abs(float(fl[k]) - exact_f[k]) <= 1e-9 * max(1.0, abs(exact_f[k]))


def _arf(x) -> Q:
    man, exp = x.mid().man_exp()
    return Q(int(man)) * Q(2) ** int(exp)


def _partner(t, p, q):
    # the projective involution fixing p and q: 1/(q - t) + 1/(q - t') = 2/(q - p)
    return q - 1 / (2 / (q - p) - 1 / (q - t))


@settings(max_examples=60, deadline=None)
@given(p=fracs, d=st.fractions(min_value=Q(1, 10), max_value=20, max_denominator=30), side=st.sampled_from([-1, 1]),
       kappa=st.fractions(min_value=Q(1, 50), max_value=8, max_denominator=50),
       u=st.fractions(min_value=Q(1, 100), max_value=Q(99, 100), max_denominator=100))
def test_tilted_fold_from_p_q_kappa_merges_involution_pairs_only(p, d, side, kappa, u):
    q = p + side * d
    kappa = kappa if p > q else -kappa
    c, h = tilted_fold(p, q, kappa)
    assert h > 0
    # a point between p and q and its partner beyond p (inside the domain of the pairing)
    t = p + (q - p) * u / 2
    t2 = _partner(t, p, q)
    assert (t2 - p) * (t - p) < 0
    f1, f2 = fold_exact(t, c, h, Q(0), kappa), fold_exact(t2, c, h, Q(0), kappa)
    assert exact_sign(f1 - f2).value == 0
    # a point that is not the partner has another value; the peak is at p
    assert exact_sign(fold_exact(t2 + (t2 - p) / 7, c, h, Q(0), kappa) - f1).value != 0
    assert exact_sign(fold_exact(p, c, h, Q(0), kappa) - f1).value > 0


def _two_cluster_stall(seed):
    """Runs in two tight clusters at the ends of the range, one long run between (a plain-fold stall)."""
    spans = [(0, 17, 0.0, 3.705e-04), (1, 4, 3.711e-04, 4.226e-04), (0, 3, 4.232e-04, 4.370e-04),
             (1, 2, 4.379e-04, 4.505e-04), (0, 2, 4.531e-04, 4.548e-04), (1, 18, 4.555e-04, 9.99767e-01),
             (0, 2, 9.99776e-01, 9.99838e-01), (1, 2, 9.99839e-01, 9.99882e-01), (0, 5, 9.99883e-01, 1.0)]
    rng = np.random.default_rng(seed)
    vals, labs = [], []
    for lab, n, a, b in spans:
        x = np.sort(rng.uniform(a, b, n))
        x[0], x[-1] = a, b
        vals += list(x)
        labs += [lab] * n
    return vals, np.array(labs)


@pytest.mark.parametrize("seed", [0, 1, 4])
@pytest.mark.parametrize("view", ["float64", "fixed"])
def test_a_tilted_fold_breaks_a_plain_fold_stall_and_its_runs_are_certified(seed, view):
    vals, labs = _two_cluster_stall(seed)
    runs_now = count_runs_sorted(labs[np.argsort(vals, kind="stable")])
    be = FloatBackend() if view == "float64" else FixedBackend(200)
    arr = be.array([Q(v) for v in vals])
    plain = choose_fold(arr, labs, be, Q(0), np.random.default_rng(0), tilt=False)
    assert plain.runs >= runs_now  # no plain fold removes a run here
    ch = choose_fold(arr, labs, be, Q(0), np.random.default_rng(0))
    assert ch.kappa != 0 and ch.runs < runs_now
    tr = Tracker([Q(v) for v in vals], labs, Q(0), FloatBackend())
    tr.apply(ch.c_rel - tr.offset, ch.h, ch.lam, ch.kappa)
    assert tr.certify().runs == ch.runs


def test_a_build_with_tilted_folds_is_certified_and_reads_along_the_tilt():
    rng = np.random.default_rng(0)
    pts = [tuple(Q(int(v), 10**6) for v in rng.integers(-10**6, 10**6, size=2)) for _ in range(256)]
    labels = [int(v) for v in rng.integers(0, 2, size=256)]
    assert len(set(pts)) == 256
    net = build(pts, labels, seed=6)  # certified by the builder's own verify
    assert net.meta.get("fallback") is None and net.depth <= 254
    layers = net.layers
    tilted = 0
    for k in range(net.depth - 1):
        row = layers[2 * (k + 1)].weight[0]  # row 0 of (r, -r, 0) is the read-out r
        kappa = row[0]  # r = (kappa, -kappa, -3), v2 + kappa v1 on LayerNorm outputs
        assert tuple(row) == (kappa, -kappa, -3)
        tilted += kappa != 0
    assert tilted >= 1
