r"""``ln-rmsnorm-fold``: folding LayerNorm into RMSNorm (MATH.md §8), exactly.

Four parts:

1. the identity ``LN_eps(W x + b) = RMS_eps(P W x + P b)`` at random rational
   ``x`` for random rational ``W, b`` and ``eps`` (zero and positive), proven
   by :func:`~lnnet_construct.theory.rmsnorm_fold.check_fold_identity` and
   confirmed by evaluating both sides exactly;
2. foldability detection on networkx computation graphs whose expected
   answer follows from the zero-mean rules by hand: a residual block where
   both LNs fold, a ReLU in front of an LN, and an uncentered bias whose
   layer has a second consumer;
3. exact output equality of the folded graph at random rational inputs;
4. that the two negative examples are genuine: forcing the fold anyway
   changes an output at some rational input (decided exactly).

Proof: ``proofs/ln-rmsnorm-fold.md``.
"""

from __future__ import annotations

from fractions import Fraction

import networkx as nx

from lnnet_construct.theory import rmsnorm_fold as rf
from lnnet_construct.theory.checks._support import Claims, exact_text, random_rational, rng_for
from lnnet_construct.theory.registry import Outcome, Param, Theorem

__all__ = ["THEOREMS", "generate", "check", "residual_graph", "relu_graph", "shared_bias_graph"]

ID = "ln-rmsnorm-fold"


def _mat(rng, rows, cols):
    return [[random_rational(rng, -3, 3, (1, 2, 3)) for _ in range(cols)] for _ in range(rows)]


def _vec(rng, n):
    return [random_rational(rng, -3, 3, (1, 2, 3)) for _ in range(n)]


def residual_graph(rng, n: int, d: int, eps) -> nx.DiGraph:
    """``x -> lin1 -> ln1 -> lin2 -> (+ ln1) -> ln2 -> lin3 -> out``: both LNs fold.

    ``lin1`` feeds only ``ln1`` and ``lin2`` feeds only the sum into ``ln2``,
    so both can be centered; ``ln1`` has no affine map, so it is zero-mean.
    """
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=n)
    g.add_node("lin1", kind="linear", weight=_mat(rng, d, n), bias=_vec(rng, d))
    g.add_node("ln1", kind="layernorm", eps=eps)
    g.add_node("lin2", kind="linear", weight=_mat(rng, d, d), bias=_vec(rng, d))
    g.add_node("add", kind="add")
    g.add_node("ln2", kind="layernorm", eps=0, weight=[2] * d, bias=[0] * d)
    g.add_node("lin3", kind="linear", weight=_mat(rng, 2, d), bias=_vec(rng, 2))
    g.add_node("out", kind="output")
    nx.add_path(g, ["x", "lin1", "ln1", "lin2", "add", "ln2", "lin3", "out"])
    g.add_edge("ln1", "add")
    return g


def relu_graph(rng, n: int, d: int, eps) -> nx.DiGraph:
    """``x -> lin1 -> relu -> ln1 -> out``: the ReLU destroys zero mean, so ``ln1`` does not fold."""
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=n)
    g.add_node("lin1", kind="linear", weight=_mat(rng, d, n), bias=_vec(rng, d))
    g.add_node("relu", kind="relu")
    g.add_node("ln1", kind="layernorm", eps=eps)
    g.add_node("out", kind="output")
    nx.add_path(g, ["x", "lin1", "relu", "ln1", "out"])
    return g


def shared_bias_graph(rng, n: int, d: int, eps) -> nx.DiGraph:
    """``lin1`` (centered columns, uncentered bias) feeds ``ln1`` and a second output ``raw``.

    ``lin1`` is not zero-mean (its bias does not sum to 0), and centering it
    would change ``raw``: ``ln1`` does not fold.
    """
    w = _mat(rng, d, n)
    for j in range(n):  # center the columns, keep the bias uncentered
        mean = sum((row[j] for row in w), Fraction(0)) / d
        for row in w:
            row[j] -= mean
    b = _vec(rng, d)
    if sum(b, Fraction(0)) == 0:
        b[0] += 1
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=n)
    g.add_node("lin1", kind="linear", weight=w, bias=b)
    g.add_node("ln1", kind="layernorm", eps=eps)
    g.add_node("out", kind="output")
    g.add_node("raw", kind="output")
    nx.add_path(g, ["x", "lin1", "ln1", "out"])
    g.add_edge("lin1", "raw")
    return g


def generate(d: int = 4, m: int = 3, seed: int = 0) -> dict:
    """Random rational layers of width ``d``, graphs, and ``m`` rational inputs in Q^2."""
    rng = rng_for(ID, seed)
    n = 2
    eps = random_rational(rng, 1, 2, (2, 3, 5))
    return {
        "d": d, "seed": seed, "eps": eps,
        "identity": [(_mat(rng, d, n), _vec(rng, d), e) for e in (Fraction(0), eps)],
        "inputs": [_vec(rng, n) for _ in range(m)],
        "residual": residual_graph(rng, n, d, eps),
        "relu": relu_graph(rng, n, d, eps),
        "shared": shared_bias_graph(rng, n, d, eps),
    }


def _same(u, v, A) -> bool:
    from lnnet_construct.arith import Sign

    return len(u) == len(v) and all(A.sign(a - b) is Sign.ZERO for a, b in zip(u, v))


def _outputs_equal(g, h, x, A) -> bool:
    og, oh = rf.evaluate_graph(g, x, A), rf.evaluate_graph(h, x, A)
    return og.keys() == oh.keys() and all(_same(og[k], oh[k], A) for k in og)


def _force(g, to_center=()):
    """Replace every LN by RMSNorm and center the given layers, regardless of the rules."""
    h = g.copy()
    for node, attrs in h.nodes(data=True):
        if attrs["kind"] == "layernorm":
            attrs["kind"] = "rmsnorm"
    for lin in to_center:
        h.nodes[lin]["weight"], h.nodes[lin]["bias"] = rf.center_affine(h.nodes[lin]["weight"], h.nodes[lin]["bias"])
    return h


def check(instance: dict) -> Outcome:
    """See the module docstring."""
    from lnnet_construct.arith import get_arith
    from lnnet_construct.ops import affine, layer_norm

    A = get_arith("exact")
    cl = Claims()
    xs = instance["inputs"]

    # 1. The identity, proven by rational numerators and radicands, and evaluated exactly.
    for w, b, eps in instance["identity"]:
        proven = all(rf.check_fold_identity(w, b, x, eps) for x in xs)
        pw, pb = rf.center_affine(w, b)
        evaluated = all(_same(layer_norm(affine(x, w, b, A), eps=eps, arith=A),
                              rf.rms_norm(affine(x, pw, pb, A), eps=eps, arith=A), A) for x in xs)
        cl.add(f"LN_eps(Wx+b) = RMS_eps(PWx+Pb) at {len(xs)} rational x (eps = {exact_text(eps)})",
               proven and evaluated)

    # 2-3. Residual block: both LNs fold; outputs unchanged.
    g = instance["residual"]
    dec = rf.find_foldable_layernorms(g)
    expected = {"ln1": ("lin1",), "ln2": ("lin2",)}
    got = {n: d.to_center for n, d in dec.items() if d.foldable}
    cl.add("residual block: ln1 and ln2 are foldable, centering lin1 and lin2", got == expected,
           decisions={n: {"foldable": d.foldable, "to_center": list(d.to_center), "reason": d.reason}
                      for n, d in dec.items()})
    h = rf.fold_layernorms(g)
    kinds = {n: h.nodes[n]["kind"] for n in ("ln1", "ln2")}
    cl.add("residual block: the folded graph has RMSNorm in place of both LNs", kinds == {"ln1": "rmsnorm", "ln2": "rmsnorm"})
    cl.add(f"residual block: folded outputs equal the original ones exactly at {len(xs)} rational inputs",
           all(_outputs_equal(g, h, x, A) for x in xs))

    # Negative examples: the detector refuses, and forcing the fold changes an output.
    r = instance["relu"]
    dr = rf.find_foldable_layernorms(r)["ln1"]
    cl.add("ReLU before an LN blocks folding", not dr.foldable and "relu" in dr.reason, reason=dr.reason)
    cl.add("forcing the fold through the ReLU changes the output at some rational input",
           any(not _outputs_equal(r, _force(r), x, A) for x in xs))
    s = instance["shared"]
    ds = rf.find_foldable_layernorms(s)["ln1"]
    cl.add("an uncentered bias on a layer with another consumer blocks folding",
           not ds.foldable and "raw" in ds.reason, reason=ds.reason)
    forced = _force(s, ("lin1",))
    keeps_ln = all(_same(rf.evaluate_graph(s, x, A)["out"], rf.evaluate_graph(forced, x, A)["out"], A) for x in xs)
    changes_raw = any(not _same(rf.evaluate_graph(s, x, A)["raw"], rf.evaluate_graph(forced, x, A)["raw"], A)
                      for x in xs)
    cl.add("forcing it keeps the LN output but changes the other consumer's output", keeps_ln and changes_raw)
    summary = ("identity exact; detection right on 3 graphs; folded outputs exactly equal; both negative "
               "examples genuine" if cl.status == "holds" else f"not proven: {', '.join(cl.failed())}")
    return Outcome(cl.status, summary, {
        "claims": cl.items, "d": instance["d"], "seed": instance["seed"], "eps": exact_text(instance["eps"]),
        "inputs": [[exact_text(v) for v in x] for x in xs],
    })


THEOREMS = (
    Theorem(
        id=ID,
        title="LayerNorm folds into RMSNorm",
        statement=(
            "LN_eps(W x + b) = RMS_eps(P W x + P b) for all x, where RMS_eps(z) = z / sqrt(||z||^2/d + eps): "
            "centering the columns and the bias of the upstream affine layer lets RMSNorm replace LN. In a "
            "computation graph an LN is foldable when each source of its input is zero-mean (centered affine "
            "layers, LN without affine, sums and per-sample scalings of zero-mean tensors) or is an affine "
            "layer whose every consumer is centering-invariant; ReLUs, uncentered biases and non-uniform "
            "affine scalings block it. Folding leaves every output unchanged."
        ),
        formula="LN_eps(W x + b) = RMS_eps(P W x + P b); fold(G)(x) = G(x) for every x",
        source="ours (MATH.md §8; context: seed 001, foldable LN)",
        mode="exact",
        params=(
            Param("d", 4, 2, 8, "LayerNorm width"),
            Param("m", 3, 1, 20, "number of random rational inputs"),
            Param("seed", 0, None, None, "seed of the weights and inputs"),
        ),
        generate=generate,
        check=check,
    ),
)
