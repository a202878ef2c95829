"""The parity model: float error bounds, certified margins, and the points below float64 resolution.

Independent oracles: the 4000-bit mpmath evaluation of ``netzoo`` (its own
LayerNorm), and the float runtimes themselves (torch, onnxruntime).
"""

import os
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lnnet_construct.io.exports.arrays import exported_decisions
from lnnet_construct.io.exports.parity import (
    SAFETY,
    _float_points,
    certified_margins,
    decision_error_bounds,
    float_error_bounds,
    parity_report,
)
from lnnet_construct.network import Affine, LayerNorm, Network

from netzoo import ZOO, grid_points, oracle_outputs

torch = pytest.importorskip("torch")
from lnnet_construct.io.exports.to_onnx import onnx_outputs, to_onnx  # noqa: E402
from lnnet_construct.io.exports.to_torch import to_torch, torch_outputs  # noqa: E402


def _oracle_rows(net, pts):
    rows = []
    for p in pts:
        try:
            rows.append(oracle_outputs(net, p))
        except ZeroDivisionError:
            rows.append(None)
    return rows


def _oracle_margin(net, outs):
    """(class index, |decision quantity|) from high-precision outputs, or (None, 0)."""
    if outs is None:
        return None, 0
    if net.decision == "sign":
        o = outs[0]
        return (1 if o > 0 else 0 if o < 0 else None), abs(o)
    best = max(range(len(outs)), key=lambda i: outs[i])
    m = min(outs[best] - outs[k] for k in range(len(outs)) if k != best)
    return (best if m > 0 else None), m


# --------------------------------------------------------------------------
# certified margins: rigorous lower bounds, and not vacuous

@pytest.mark.parametrize("name", sorted(ZOO))
def test_certified_margins_are_tight_lower_bounds(name):
    net = ZOO[name]()
    pts = grid_points(net.input_dim)
    idx, margins = certified_margins(net, pts)
    for c, m, outs in zip(idx, margins, _oracle_rows(net, pts)):
        want_c, want_m = _oracle_margin(net, outs)
        if c is None:
            assert m == 0
            continue
        assert c == want_c
        assert 0 < m <= want_m                       # a lower bound
        assert m >= want_m * (1 - 1e-6)              # and a tight one (intervals widen with depth)


def test_margin_escalates_beyond_float64():
    # output 2^-80 away from 0: the float64 intervals cannot decide, arb can
    net = Network(1, [Affine([[1], [-1], [0]], [0, 2, -2]), LayerNorm(),
                      Affine([[1, 1, -2]], [f"-sqrt(3)*6/sqrt(8) + 1/{2**80}"])], classes=["a", "b"])
    idx, margins = certified_margins(net, [[0]])
    assert idx == [1] and 0 < margins[0] <= 2.0**-80 and margins[0] > 2.0**-81


# --------------------------------------------------------------------------
# the first-order error bound against real runtimes

def test_ill_conditioned_layernorm_needs_more_than_a_fixed_resolution():
    """An LN input with a large mean and a tiny spread: the float error is ~1e-8, far above 2^-50,
    and the bound follows it (a fixed "2^-50 times a depth factor" threshold would be wrong)."""
    net = Network(3, [Affine([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]), LayerNorm(),
                      Affine([[1, 0, 0]], [0])], classes=["a", "b"])
    pts = [[1, Fraction(1) + Fraction(1, 10**9), Fraction(1) + Fraction(3, 10**9)]]
    want = float(oracle_outputs(net, pts[0])[0])
    got = torch_outputs(to_torch(net), _float_points(pts))[0, 0]
    E = float_error_bounds(net, pts)[0, 0]
    assert abs(got - want) > 2.0**-50 * 100 * abs(want)
    assert abs(got - want) <= E < 1e-5


def test_point_just_beyond_float64_is_listed_and_a_clear_one_is_not():
    net = Network(1, [Affine([[1]], ["-1/3"])], classes=["a", "b"])
    tiny = Fraction(1, 3) + Fraction(1, 2**70)      # certified 'b', but float64 rounds it onto 1/3
    clear = Fraction(1, 3) + Fraction(1, 2**20)
    pts = [[tiny], [clear], [Fraction(1, 3)]]
    outs = torch_outputs(to_torch(net), _float_points(pts))
    rep = parity_report(net, pts, outs, fmt="torch")
    rows = {e["row"]: e for e in rep.below_resolution}
    assert set(rows) == {1, 3} and rep.ok
    assert rows[1]["certified"] == "b" and rows[1]["margin"] > 0
    assert rows[3]["certified"] is None and rows[3]["margin"] == 0
    assert exported_decisions(net, outs)[1] == 1


def test_the_bound_grows_with_depth():
    from netzoo import net_deep

    pts = [[Fraction(1, 3), Fraction(-2, 7)]]
    E = [float_error_bounds(net_deep(k), pts)[0, 0] for k in (1, 4, 8)]
    assert E[0] < E[1] < E[2]


rat = st.fractions(min_value=-3, max_value=3, max_denominator=8)


@st.composite
def networks(draw):
    d = draw(st.integers(1, 3))
    layers, width = [], d
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.sampled_from([3, 4, 6]))
        layers.append(Affine([[draw(rat) for _ in range(width)] for _ in range(n)], [draw(rat) for _ in range(n)]))
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if n % g == 0 and n // g >= 2]))
        eps = draw(st.sampled_from([Fraction(0), Fraction(1, 1000), Fraction(1, 10**5)]))
        affine = draw(st.booleans())
        layers.append(LayerNorm(eps, groups, weight=[draw(rat) for _ in range(n)] if affine else None,
                                bias=[draw(rat) for _ in range(n)] if affine else None))
        width = n
    if draw(st.booleans()):
        layers.append(Affine([[draw(rat) for _ in range(width)]], [draw(rat)]))
        return Network(d, layers, ["a", "b"], "sign")
    layers.append(Affine([[draw(rat) for _ in range(width)] for _ in range(3)], [draw(rat) for _ in range(3)]))
    return Network(d, layers, ["a", "b", "c"], "argmax")


coords = st.fractions(min_value=-4, max_value=4, max_denominator=1000)


@st.composite
def cases(draw):
    net = draw(networks())
    pts = draw(st.lists(st.lists(coords, min_size=net.input_dim, max_size=net.input_dim), min_size=1, max_size=6))
    return net, pts


_NASTY_NET = Network(1, [Affine([[1], [1], [1]], [0, Fraction(1, 10**12), Fraction(3, 10**12)]), LayerNorm(),
                         Affine([[1, -1, 0]], [Fraction(-3, 7)])], classes=["a", "b"])
_DECIMAL_NET = Network(2, [Affine([[Fraction(1, 10), Fraction(2, 10)], [1, -1], [0, 1]], [Fraction(3, 10), 0, 0]),
                           LayerNorm(eps=Fraction(1, 10**5)), Affine([[1, 1, -2]], [Fraction(1, 10)])], classes=["a", "b"])


@settings(max_examples=int(os.environ.get("LNNET_PARITY_EXAMPLES", "40")))
@given(cases())
@example((_NASTY_NET, [[Fraction(10**6)], [Fraction(-1, 10**9)], [Fraction(0)]]))       # huge mean, tiny spread
@example((_DECIMAL_NET, [[Fraction(1, 10), Fraction(2, 10)], [Fraction(-3, 10), Fraction(1, 10)]]))  # 0.1 vs 1/10
@example((ZOO["grouped"](), [[Fraction(0), Fraction(0)], [Fraction(10**12), Fraction(-10**12)]]))  # zero variance, huge
def test_runtimes_stay_within_the_bound_and_agree_above_resolution(case):
    net, pts = case
    X = _float_points(pts)
    with np.errstate(all="ignore"):
        runs = {"torch": torch_outputs(to_torch(net), X), "onnx": onnx_outputs(to_onnx(net), X)}
    E = float_error_bounds(net, pts)
    idx, margins = certified_margins(net, pts)
    err = decision_error_bounds(net, E, idx)
    oracle = _oracle_rows(net, pts)
    for i, outs in enumerate(oracle):
        if outs is None or not np.all(np.isfinite(E[i])):
            continue
        want = np.array([float(v) for v in outs])
        for name, got in runs.items():
            assert np.all(np.abs(got[i] - want) <= E[i]), (name, got[i], want, E[i])
    for name, got in runs.items():
        decided = exported_decisions(net, got)
        for i, (c, m, e) in enumerate(zip(idx, margins, err)):
            if c is not None and m > SAFETY * e:
                assert decided[i] == c, (name, i)


def test_report_json_lists_rows_and_values():
    net = ZOO["grouped"]()
    pts = grid_points(2)
    with np.errstate(all="ignore"):
        outs = torch_outputs(to_torch(net), _float_points(pts))
    rep = parity_report(net, pts, outs, fmt="torch", path="x.pt")
    d = rep.to_dict()
    assert d["points"] == len(pts) and d["parity"] == "ok" and d["safety"] == SAFETY
    # the grouped net has points where a LayerNorm group has exactly zero variance (the oracle
    # divides by zero): the network decides nothing there, so they must be listed
    zero_var = {i + 1 for i, outs in enumerate(_oracle_rows(net, pts)) if outs is None}
    listed = {e["row"] for e in d["below_resolution"]}
    assert zero_var and zero_var <= listed
    assert all(e["certified"] is None or e["margin"] <= SAFETY * e["error_bound"] for e in d["below_resolution"])
