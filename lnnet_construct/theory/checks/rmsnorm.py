r"""``ln-rmsnorm-fold``: folding LayerNorm into RMSNorm (MATH.md §8), exactly.

Five parts:

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
   changes an output at some rational input (decided exactly);
5. random computation graphs (:func:`random_dag`, networkx DAGs of every
   node kind) against numeric equivalence: every node the rules call
   zero-mean sums to 0, and folding (all LNs at once, and each foldable LN
   alone) leaves every output unchanged, at ``m`` rational inputs.  Each
   comparison is first made with arb balls (disjoint balls: a certified
   difference, so ``fails``) and then proven equal exactly.  Refused LNs are
   forced too; how many of those change an output is evidence only (the
   rules are sufficient, not necessary).

Proof: ``proofs/ln-rmsnorm-fold.md``.
"""

from __future__ import annotations

from fractions import Fraction

import networkx as nx

from lnnet_construct.theory import rmsnorm_fold as rf
from lnnet_construct.theory.checks._support import Claims, all3, exact_text, random_rational, rng_for
from lnnet_construct.theory.registry import Outcome, Param, Theorem

__all__ = ["THEOREMS", "generate", "check", "residual_graph", "relu_graph", "shared_bias_graph", "random_dag"]

ID = "ln-rmsnorm-fold"
#: Random computation graphs per instance, and their number of non-input, non-output nodes.
RANDOM_DAGS = 16
DAG_SIZES = (4, 8)
#: At most this many LN/RMSNorm nodes on any path of a random DAG (nested radicals slow exact evaluation).
MAX_NORMS = 2


def _mat(rng, rows, cols):
    return [[random_rational(rng, -3, 3, (1, 2, 3)) for _ in range(cols)] for _ in range(rows)]


def _vec(rng, n):
    return [random_rational(rng, -3, 3, (1, 2, 3)) for _ in range(n)]


def _center_cols(w):
    d = len(w)
    means = [sum((r[j] for r in w), Fraction(0)) / d for j in range(len(w[0]))]
    return [[e - mu for e, mu in zip(r, means)] for r in w]


#: Node kinds drawn by :func:`random_dag` (linear and LN twice as often).
_DAG_KINDS = ("linear", "linear", "layernorm", "layernorm", "relu", "add", "scale", "rmsnorm")


def random_dag(rng, n_in: int = 2, size: int = 6, eps_choices=(Fraction(1, 100000), Fraction(1, 3))) -> nx.DiGraph:
    """A random valid computation graph: ``size`` nodes of every kind after one input, outputs on the sinks.

    Linear layers are centered (columns and bias), half-centered (columns
    only) or not; LNs and RMSNorms have no affine map, a uniform one or a
    random one, and ``eps`` from ``eps_choices`` (positive, so a ReLU that
    zeroes a vector leaves them defined), at most :data:`MAX_NORMS` on a path; ``add`` sums two nodes of one
    width; ``scale`` may take a width-1 node on its scalar port.  Every sink
    gets an output, and some inner nodes a second one (another consumer,
    which can block centering).

    >>> import random
    >>> from lnnet_construct.theory.rmsnorm_fold import validate_graph
    >>> g = random_dag(random.Random(0))
    >>> len(validate_graph(g)) > 6 and any(a["kind"] == "output" for _, a in g.nodes(data=True))
    True
    """
    g = nx.DiGraph()
    g.add_node("x", kind="input", dim=n_in)
    width = {"x": n_in}
    depth = {"x": 0}   # normalisations on the longest path: at most MAX_NORMS (exact evaluation cost)
    k = 0
    while k < size:
        kind = rng.choice(_DAG_KINDS)
        pool = list(width)
        name = f"{kind[:3]}{k}"
        if kind == "linear":
            u = rng.choice(pool)
            out = rng.choice((1, 2, 3, 3, 4))
            w, b = _mat(rng, out, width[u]), _vec(rng, out)
            r = rng.random()
            if r < 0.25:
                w = _center_cols(w)
                mb = sum(b, Fraction(0)) / out
                b = [e - mb for e in b]
            elif r < 0.4:
                w = _center_cols(w)
            g.add_node(name, kind="linear", weight=w, bias=b)
            g.add_edge(u, name)
            width[name] = out
        elif kind in ("layernorm", "rmsnorm"):
            cand = [u for u in pool if width[u] >= 2 and depth[u] < MAX_NORMS]
            if not cand:
                continue
            lin = [u for u in cand if g.nodes[u]["kind"] in ("linear", "add", "layernorm")]
            u = rng.choice(lin if lin and rng.random() < 0.7 else cand)   # foldable shapes more often
            d = width[u]
            attrs = {"eps": rng.choice(eps_choices)}
            r = rng.random()
            if r < 0.2:
                attrs.update(weight=[Fraction(2)] * d, bias=[Fraction(0)] * d)
            elif r < 0.35:
                attrs.update(weight=_vec(rng, d), bias=_vec(rng, d))
            g.add_node(name, kind=kind, **attrs)
            g.add_edge(u, name)
            width[name] = d
        elif kind == "relu":
            u = rng.choice(pool)
            g.add_node(name, kind="relu")
            g.add_edge(u, name)
            width[name] = width[u]
        elif kind == "add":
            by_width: dict = {}
            for u in pool:
                by_width.setdefault(width[u], []).append(u)
            groups = [v for v in by_width.values() if len(v) >= 2]
            if not groups:
                continue
            us = rng.sample(rng.choice(groups), 2)
            g.add_node(name, kind="add")
            for u in us:
                g.add_edge(u, name)
            width[name] = width[us[0]]
        else:  # scale
            u = rng.choice(pool)
            g.add_node(name, kind="scale", factor=random_rational(rng, -2, 2, (1, 2)) or Fraction(1))
            g.add_edge(u, name)
            width[name] = width[u]
            ones = [v for v in pool if width[v] == 1 and v != u]
            if ones and rng.random() < 0.5:
                g.add_edge(rng.choice(ones), name, port="scalar")
        depth[name] = max(depth[u] for u in g.predecessors(name)) + (kind in ("layernorm", "rmsnorm"))
        k += 1
    sinks = [n for n in list(g) if g.out_degree(n) == 0 and n != "x"]
    extra = [n for n in list(g) if n != "x" and n not in sinks and rng.random() < 0.1]
    for i, n in enumerate(sinks + extra):
        g.add_node(f"out{i}", kind="output")
        g.add_edge(n, f"out{i}")
    return g


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
    """Random rational layers of width ``d``, graphs, :data:`RANDOM_DAGS` random DAGs and ``m`` inputs in Q^2."""
    rng = rng_for(ID, seed)
    n = 2
    eps = random_rational(rng, 1, 2, (2, 3, 5))
    drng = rng_for(ID + ":dags", seed)
    dags = [random_dag(drng, n, drng.randint(*DAG_SIZES)) for _ in range(RANDOM_DAGS)]
    return {
        "dags": dags,
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


def _equal_outputs(g, h, x) -> bool | None:
    """Do ``g`` and ``h`` give the same outputs at ``x``?  arb balls refute, exact arithmetic proves.

    None if undecided (a ReLU sign or a difference the exact arithmetic cannot settle).
    """
    from lnnet_construct.arith import Sign, get_arith
    from lnnet_construct.errors import ArithmeticUndecided

    B = get_arith("arb", 256)
    try:
        with B.active():
            og, oh = rf.evaluate_graph(g, x, B), rf.evaluate_graph(h, x, B)
            if og.keys() != oh.keys():
                return False
            if any(B.sign(a - b) in (Sign.POSITIVE, Sign.NEGATIVE) for k in og for a, b in zip(og[k], oh[k])):
                return False
    except ArithmeticUndecided:
        pass  # a ReLU input near 0: decide exactly
    try:
        return _outputs_equal(g, h, x, get_arith("exact"))
    except ArithmeticUndecided:
        return None


def _fold_one(g, ln, to_center):
    """``g`` with only ``ln`` replaced by RMSNorm and ``to_center`` centered."""
    h = g.copy()
    h.nodes[ln]["kind"] = "rmsnorm"
    for lin in to_center:
        h.nodes[lin]["weight"], h.nodes[lin]["bias"] = rf.center_affine(h.nodes[lin]["weight"], h.nodes[lin]["bias"])
    return h


def _with_taps(g, nodes):
    """A copy of ``g`` with an extra output on each of ``nodes`` (zero-mean rules do not look at consumers)."""
    h = g.copy()
    for n in nodes:
        h.add_node(("tap", n), kind="output")
        h.add_edge(n, ("tap", n))
    return h


def _random_dag_claims(cl: Claims, dags, xs) -> dict:
    from lnnet_construct.arith import Sign, get_arith
    from lnnet_construct.errors import ArithmeticUndecided

    A = get_arith("exact")
    stats = {"graphs": len(dags), "layernorms": 0, "folded": 0, "refused": 0,
             "refused_and_forcing_changes_an_output": 0, "zero_mean_nodes": 0}
    zm_ok, full_ok, single_ok, bad = [], [], [], []
    for i, g in enumerate(dags):
        zm = rf.zero_mean_nodes(g)
        stats["zero_mean_nodes"] += len(zm)
        if zm:
            tapped = _with_taps(g, sorted(zm, key=repr))
            for x in xs:
                try:
                    outs = rf.evaluate_graph(tapped, x, A)
                    ok = all(A.sign(A.fsum(outs[("tap", n)])) is Sign.ZERO for n in zm)
                except ArithmeticUndecided:
                    ok = None
                zm_ok.append(ok)
                if ok is False:
                    bad.append({"graph": i, "what": "a zero-mean node does not sum to 0", "x": list(map(str, x))})
        dec = rf.find_foldable_layernorms(g)
        stats["layernorms"] += len(dec)
        h = rf.fold_layernorms(g)
        for x in xs:
            ok = _equal_outputs(g, h, x)
            full_ok.append(ok)
            if ok is False:
                bad.append({"graph": i, "what": "folding all foldable LNs changes an output", "x": list(map(str, x))})
        for ln, d in dec.items():
            if d.foldable:
                stats["folded"] += 1
                one = _fold_one(g, ln, d.to_center)
                for x in xs:
                    ok = _equal_outputs(g, one, x)
                    single_ok.append(ok)
                    if ok is False:
                        bad.append({"graph": i, "what": f"folding {ln!r} alone changes an output",
                                    "x": list(map(str, x))})
            else:
                stats["refused"] += 1
                lins = [s for s in d.sources if g.nodes[s]["kind"] == "linear"]
                forced = _fold_one(g, ln, lins)
                if any(_equal_outputs(g, forced, x) is False for x in xs):
                    stats["refused_and_forcing_changes_an_output"] += 1
    n = len(dags)
    cl.add(f"{n} random DAGs: every node the rules call zero-mean sums to 0 at {len(xs)} rational inputs "
           "(exact)", all3(zm_ok) if zm_ok else True, checked=len(zm_ok))
    cl.add(f"{n} random DAGs: folding every foldable LN leaves every output unchanged at {len(xs)} rational "
           "inputs (arb refutes, exact proves)", all3(full_ok), checked=len(full_ok))
    cl.add(f"{n} random DAGs: folding each foldable LN alone leaves every output unchanged", all3(single_ok)
           if single_ok else True, checked=len(single_ok), counterexamples=bad[:5])
    return stats


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
    dag_stats = _random_dag_claims(cl, instance.get("dags", ()), xs)
    summary = ("identity exact; detection right on 3 graphs; folded outputs exactly equal; both negative "
               f"examples genuine; {dag_stats['folded']} of {dag_stats['layernorms']} LNs folded in "
               f"{dag_stats['graphs']} random DAGs, outputs unchanged"
               if cl.status == "holds" else f"not proven: {', '.join(cl.failed())}")
    return Outcome(cl.status, summary, {
        "claims": cl.items, "d": instance["d"], "seed": instance["seed"], "eps": exact_text(instance["eps"]),
        "random_dags": dag_stats,
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
