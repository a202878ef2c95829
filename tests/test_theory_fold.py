"""Tests for lnnet_construct.theory.rmsnorm_fold (LN -> RMSNorm folding, MATH.md §8)."""

from __future__ import annotations

import random
from fractions import Fraction as F

import networkx as nx
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lnnet_construct.arith import Sign, get_arith
from lnnet_construct.errors import InputError, ZeroVarianceError
from lnnet_construct.ops import layer_norm
from lnnet_construct.theory.rmsnorm_fold import (
    center_affine,
    check_fold_identity,
    evaluate_graph,
    find_foldable_layernorms,
    fold_layernorms,
    rms_norm,
    validate_graph,
    zero_mean_nodes,
)

SYM = get_arith("sympy")

# ----------------------------------------------------------------------------- helpers


def oracle_ln(z, eps):
    """LN from MATH.md §1.1 in sympy (independent of ops.layer_norm)."""
    z = [sp.Rational(q.numerator, q.denominator) for q in z]
    d = len(z)
    mu = sum(z) / d
    var = sum((v - mu) ** 2 for v in z) / d
    return [(v - mu) / sp.sqrt(var + sp.Rational(eps.numerator, eps.denominator)) for v in z]


def same(u, v, arith):
    return all(arith.sign(a - b) is Sign.ZERO for a, b in zip(u, v)) and len(u) == len(v)


def outputs_equal(g, h, x, arith_name="sympy"):
    A = get_arith(arith_name)
    og, oh = evaluate_graph(g, x, A), evaluate_graph(h, x, A)
    assert og.keys() == oh.keys()
    return all(same(og[k], oh[k], A) for k in og)


def rand_matrix(rng, rows, cols):
    return [[F(rng.randint(-6, 6), rng.randint(1, 3)) for _ in range(cols)] for _ in range(rows)]


def rand_vec(rng, n):
    return [F(rng.randint(-6, 6), rng.randint(1, 3)) for _ in range(n)]


def chain(g, names):
    nx.add_path(g, names)


# ----------------------------------------------------------------------------- the identity

small_q = st.fractions(min_value=-5, max_value=5, max_denominator=7)


@st.composite
def fold_case(draw):
    n = draw(st.integers(1, 3))
    d = draw(st.integers(2, 4))
    w = draw(st.lists(st.lists(small_q, min_size=n, max_size=n), min_size=d, max_size=d))
    b = draw(st.lists(small_q, min_size=d, max_size=d))
    x = draw(st.lists(small_q, min_size=n, max_size=n))
    eps = draw(st.sampled_from([F(0), F(1, 100000), F(1, 3), F(7)]))
    return w, b, x, eps


@settings(max_examples=150, deadline=None)
@given(fold_case())
@example(([[F(10**12)], [F(0)], [F(-10**12)]], [F(1, 10**12), F(0), F(0)], [F(1)], F(0)))
@example(([[F(1), F(1)], [F(1), F(1)]], [F(0), F(1)], [F(3), F(-3)], F(0)))
def test_fold_identity_exact(case):
    w, b, x, eps = case
    z = [sum((wi * xi for wi, xi in zip(row, x)), F(0)) + bi for row, bi in zip(w, b)]
    mu = sum(z, F(0)) / len(z)
    if eps == 0 and all(v == mu for v in z):
        with pytest.raises(ZeroVarianceError):
            check_fold_identity(w, b, x, eps)
        return
    assert check_fold_identity(w, b, x, eps)
    # independent route: oracle LN against the package's RMSNorm on the centred layer, in sympy
    pw, pb = center_affine(w, b)
    zc = [sum((wi * xi for wi, xi in zip(row, x)), F(0)) + bi for row, bi in zip(pw, pb)]
    rhs = rms_norm(zc, eps=eps, arith=SYM)
    assert same(oracle_ln(z, eps), rhs, SYM)
    # and the package's LN in exact arithmetic
    E = get_arith("exact")
    assert same(layer_norm(z, eps=eps, arith=E), rms_norm(zc, eps=eps, arith=E), E)


def test_uncentred_rmsnorm_differs():
    # the check can fail: without centering, RMS(Wx+b) != LN(Wx+b)
    z = [F(1), F(2), F(6)]
    assert not same(oracle_ln(z, F(0)), rms_norm(z, eps=0, arith=SYM), SYM)


def test_center_affine_is_projection():
    w, b = center_affine([[1, 2], [3, 5], [0, -1]], [1, 2, 4])
    assert all(sum(col) == 0 for col in zip(*w)) and sum(b) == 0
    assert center_affine(w, b) == (w, b)  # idempotent


# ----------------------------------------------------------------------------- graphs


def g_simple(relu=False, extra_consumer=False, eps=F(0)):
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=2)
    g.add_node("lin", kind="linear", weight=[[1, 2], [0, -1], [3, 1]], bias=[1, 0, 2])
    g.add_node("ln", kind="layernorm", eps=eps)
    g.add_node("y", kind="output")
    if relu:
        g.add_node("r", kind="relu")
        chain(g, ["x", "lin", "r", "ln", "y"])
    else:
        chain(g, ["x", "lin", "ln", "y"])
    if extra_consumer:
        g.add_node("y2", kind="output")
        g.add_edge("lin", "y2")
    return g


def g_residual():
    """h = lin(x); a = LN1(h); b = lin2(a); r = h + 2 b; out = lin3(LN2(r)) (transformer-like)."""
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=2)
    g.add_node("h", kind="linear", weight=[[1, 0], [2, 1], [0, 3], [1, 1]], bias=[0, 1, 2, 0])
    g.add_node("ln1", kind="layernorm", eps=F(1, 10), weight=[2, 2, 2, 2])
    g.add_node("lin2", kind="linear", weight=[[1, 0, 1, 0], [0, 2, 0, 1], [1, 1, 1, 1], [0, 0, 0, 5]],
               bias=[1, 1, 1, 0])
    g.add_node("sc", kind="scale", factor=2)
    g.add_node("r", kind="add")
    g.add_node("ln2", kind="layernorm", eps=F(1, 10), weight=[1, 2, 3, 4], bias=[0, 1, 0, 0])
    g.add_node("lin3", kind="linear", weight=[[1, -1, 1, 0]], bias=[0])
    g.add_node("y", kind="output")
    chain(g, ["x", "h", "ln1", "lin2", "sc", "r", "ln2", "lin3", "y"])
    g.add_edge("h", "r")
    return g


def test_simple_graph_folds():
    g = g_simple()
    dec = find_foldable_layernorms(g)["ln"]
    assert dec.foldable and dec.to_center == ("lin",)
    h = fold_layernorms(g)
    assert h.nodes["ln"]["kind"] == "rmsnorm"
    assert g.nodes["ln"]["kind"] == "layernorm"  # original untouched
    assert "lin" in zero_mean_nodes(h)
    for x in ([1, 2], ["1/3", "-7"], [10**12, F(1, 10**12)]):
        assert outputs_equal(g, h, x)


def test_relu_between_blocks_folding():
    g = g_simple(relu=True)
    dec = find_foldable_layernorms(g)["ln"]
    assert not dec.foldable and "'r'" in dec.reason and "relu" in dec.reason
    h = fold_layernorms(g)
    assert h.nodes["ln"]["kind"] == "layernorm"
    assert nx.utils.graphs_equal(g, h)


def test_non_ln_consumer_blocks_folding():
    g = g_simple(extra_consumer=True)
    dec = find_foldable_layernorms(g)["ln"]
    assert not dec.foldable and "'y2'" in dec.reason


def test_input_directly_into_ln_is_not_foldable():
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=3)
    g.add_node("ln", kind="layernorm", eps=0)
    g.add_node("y", kind="output")
    chain(g, ["x", "ln", "y"])
    assert not find_foldable_layernorms(g)["ln"].foldable


def test_residual_graph_folds_both_and_keeps_outputs():
    g = g_residual()
    dec = find_foldable_layernorms(g)
    assert dec["ln1"].foldable and dec["ln1"].to_center == ("h",)
    assert dec["ln2"].foldable and set(dec["ln2"].to_center) == {"h", "lin2"}
    h = fold_layernorms(g)
    assert h.nodes["ln1"]["kind"] == h.nodes["ln2"]["kind"] == "rmsnorm"
    zm = zero_mean_nodes(h)
    assert {"h", "lin2", "sc", "r"} <= zm
    rng = random.Random(5)
    for _ in range(3):
        x = rand_vec(rng, 2)
        assert outputs_equal(g, h, x)


def test_wrong_fold_is_detected_by_evaluation():
    # replacing the LN without centering changes the output: the equality test can fail
    g = g_simple()
    bad = g.copy()
    bad.nodes["ln"]["kind"] = "rmsnorm"
    assert not outputs_equal(g, bad, [1, 2])


def test_zero_mean_producers_and_destroyers():
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=2)
    g.add_node("c", kind="linear", weight=[[1, 1], [-1, -1]], bias=[2, -2])  # centered
    g.add_node("rms", kind="rmsnorm", eps=0, weight=[3, 3])                  # uniform: preserves
    g.add_node("ln_u", kind="layernorm", eps=0, weight=[5, 5], bias=[1, -1])  # uniform, sum 0
    g.add_node("ln_n", kind="layernorm", eps=0, weight=[1, 2])               # non-uniform: destroys
    g.add_node("ln_b", kind="layernorm", eps=0, bias=[1, 0])                 # uncentred bias
    g.add_node("a", kind="add")
    g.add_node("r", kind="relu")
    chain(g, ["x", "c", "rms", "ln_u", "a"])
    g.add_edge("c", "a")
    g.add_edge("x", "ln_n")
    g.add_edge("x", "ln_b")
    g.add_edge("a", "r")
    assert zero_mean_nodes(g) == {"c", "rms", "ln_u", "a"}


def test_ln_fed_by_zero_mean_sources_needs_no_centering():
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=3)
    g.add_node("ln0", kind="layernorm", eps=0)
    g.add_node("lin", kind="linear", weight=[[1, 0, 0], [0, 1, 0], [0, 0, 1]], bias=[5, 6, 7])
    g.add_node("a", kind="add")
    g.add_node("ln", kind="layernorm", eps=F(1, 2))
    g.add_node("y", kind="output")
    g.add_node("y0", kind="output")
    chain(g, ["x", "ln0", "a", "ln", "y"])
    chain(g, ["ln0", "lin", "y0"])  # lin consumes ln0 but is not a source of ln
    dec = find_foldable_layernorms(g)
    assert dec["ln"].foldable and dec["ln"].to_center == ()
    assert not dec["ln0"].foldable  # fed by the input
    h = fold_layernorms(g)
    assert outputs_equal(g, h, [1, 2, 4])


def test_scale_with_scalar_port():
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=2)
    g.add_node("lin", kind="linear", weight=[[1, 2], [3, 4], [5, 7]], bias=[1, 1, 1])
    g.add_node("s", kind="linear", weight=[[1, 1]], bias=[3])  # per-sample scalar
    g.add_node("sc", kind="scale", factor=F(1, 2))
    g.add_node("ln", kind="layernorm", eps=F(1, 3))
    g.add_node("y", kind="output")
    chain(g, ["x", "lin", "sc", "ln", "y"])
    g.add_edge("x", "s")
    g.add_edge("s", "sc", port="scalar")
    dec = find_foldable_layernorms(g)["ln"]
    assert dec.foldable and dec.to_center == ("lin",)
    h = fold_layernorms(g)
    assert h.nodes["s"]["weight"] == g.nodes["s"]["weight"]  # the scalar branch is untouched
    for x in ([1, 1], [F(-7, 2), 2]):
        assert outputs_equal(g, h, x)


def test_linear_feeding_a_scalar_port_cannot_be_centred():
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=2)
    g.add_node("lin", kind="linear", weight=[[1, 2], [3, 4]], bias=[1, 1])
    g.add_node("sum", kind="linear", weight=[[1, 0]], bias=[0])
    g.add_node("sc", kind="scale")
    g.add_node("ln", kind="layernorm", eps=0)
    g.add_node("y", kind="output")
    chain(g, ["x", "lin", "sc", "ln", "y"])
    chain(g, ["lin", "sum"])
    g.add_edge("sum", "sc", port="scalar")
    dec = find_foldable_layernorms(g)["ln"]
    assert not dec.foldable and "'sum'" in dec.reason


def test_random_chains_preserve_outputs():
    rng = random.Random(11)
    for trial in range(4):
        g = nx.DiGraph()
        g.add_node("x", kind="input", dim=2)
        prev, width = "x", 2
        for k in range(2):
            wd = rng.randint(2, 4)
            g.add_node(f"l{k}", kind="linear", weight=rand_matrix(rng, wd, width), bias=rand_vec(rng, wd))
            g.add_node(f"n{k}", kind="layernorm", eps=F(rng.randint(0, 2), 3))
            chain(g, [prev, f"l{k}", f"n{k}"])
            prev, width = f"n{k}", wd
        g.add_node("y", kind="output")
        g.add_edge(prev, "y")
        dec = find_foldable_layernorms(g)
        assert all(d.foldable for d in dec.values())
        h = fold_layernorms(g)
        x = rand_vec(rng, 2)
        try:
            assert outputs_equal(g, h, x)
        except ZeroVarianceError:
            pass  # an eps = 0 LN hit zero variance: undefined on both graphs


# ----------------------------------------------------------------------------- validation


def test_validation_errors():
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=2)
    g.add_node("lin", kind="linear", weight=[[1, 2, 3]], bias=[0])
    g.add_edge("x", "lin")
    with pytest.raises(InputError, match="columns"):
        validate_graph(g)
    g = nx.DiGraph()
    g.add_node("a", kind="relu")
    g.add_node("b", kind="relu")
    g.add_edge("a", "b")
    g.add_edge("b", "a")
    with pytest.raises(InputError, match="cycle"):
        validate_graph(g)
    g = nx.DiGraph()
    g.add_node("a", kind="conv")
    with pytest.raises(InputError, match="unknown kind"):
        validate_graph(g)
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=2)
    g.add_node("x3", kind="input", dim=3)
    g.add_node("a", kind="add")
    g.add_edge("x", "a")
    g.add_edge("x3", "a")
    with pytest.raises(InputError, match="different widths"):
        validate_graph(g)
    g.nodes["x3"]["dim"] = 2
    with pytest.raises(InputError, match="mapping"):
        evaluate_graph(g, [1, 2])
    g.add_node("y", kind="output")
    g.add_edge("a", "y")
    assert evaluate_graph(g, {"x": [1, 2], "x3": [3, F(1, 2)]}) == {"y": [F(4), F(5, 2)]}
    with pytest.raises(InputError, match="needs 2 numbers"):
        evaluate_graph(g, {"x": [1, 2], "x3": [3]})


def test_evaluate_graph_refuses_batched_arith():
    with pytest.raises(InputError, match="scalar"):
        evaluate_graph(g_simple(), [1, 2], get_arith("float"))


def test_evaluate_graph_hand_values():
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=3)
    g.add_node("r", kind="relu")
    g.add_node("s", kind="scale", factor=2)
    g.add_node("y", kind="output")
    chain(g, ["x", "r", "s", "y"])
    assert evaluate_graph(g, [-1, "1/2", 0]) == {"y": [F(0), F(1), F(0)]}
    # relu of an algebraic value: LN(0, 1, 5) = (-2, -1, 3)/sqrt(14/3)
    h = nx.DiGraph()
    h.add_node("x", kind="input", dim=3)
    h.add_node("ln", kind="layernorm", eps=0)
    h.add_node("r", kind="relu")
    h.add_node("y", kind="output")
    chain(h, ["x", "ln", "r", "y"])
    out = evaluate_graph(h, [0, 1, 5], SYM)["y"]
    assert out[:2] == [0, 0] and SYM.sign(out[2] - 3 / sp.sqrt(sp.Rational(14, 3))) is Sign.ZERO
