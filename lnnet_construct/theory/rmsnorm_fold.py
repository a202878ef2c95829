r"""Folding LayerNorm into RMSNorm by centering upstream affine layers (MATH.md §8).

The identity (``P = I - (1/d) 1 1^T``, ``RMS_eps(z) = z / sqrt(||z||^2/d + eps)``):

.. math:: \mathrm{LN}_\varepsilon(Wx + b) = \mathrm{RMS}_\varepsilon(PWx + Pb)\quad\text{for all } x,

because ``LN`` only sees ``P z`` and ``var(z) = ||P z||^2 / d``.

A computation graph is a :class:`networkx.DiGraph` whose nodes carry a
``kind`` attribute:

=============  ==========================================================
kind           attributes / inputs
=============  ==========================================================
``input``      ``dim``; no inputs
``linear``     ``weight`` (out x in rows), ``bias``; one input
``layernorm``  ``eps``, optional ``weight``, ``bias`` (elementwise affine)
``rmsnorm``    ``eps``, optional ``weight``, ``bias``
``relu``       one input
``add``        one or more inputs of equal width (their sum)
``scale``      optional ``factor`` (default 1); one vector input, and an
               optional per-sample scalar input whose edge has ``port="scalar"``
``output``     one input; the graph outputs
=============  ==========================================================

Zero-mean rules (a node's output sums to 0 for every input):

* produced by centered linear layers (``1^T W = 0``, ``1^T b = 0``) and by LN
  whose affine map is a uniform scaling with ``sum(beta) = 0`` (or absent);
* preserved by sums of zero-mean tensors, per-sample scalings and RMSNorm with
  a uniform scaling;
* destroyed by elementwise nonlinearities, uncentered biases and non-uniform
  affine scalings (everything else is treated as not zero-mean).

An LN is *foldable* when every *source* of its input (walking back through
``add`` and the vector port of ``scale``) is zero-mean by these rules, or is
a linear layer that is safe to center.  Centering a linear layer is safe
when every consumer of its output, followed forward through ``add`` and
``scale`` (vector port), is an LN, which ignores shifts along ``1``.  Then the
values of all other nodes are unchanged, so the rules stay valid after the
transformation and a folded LN receives exactly ``P`` times its old input.

Proof: ``proofs/ln-rmsnorm-fold.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Sequence

import networkx as nx

from lnnet_construct.arith import Sign, get_arith
from lnnet_construct.errors import ArithmeticUndecided, InputError
from lnnet_construct.ops import affine, layer_norm
from lnnet_construct.theory._common import rational, rational_matrix, rational_vector

__all__ = [
    "NODE_KINDS",
    "validate_graph",
    "zero_mean_nodes",
    "FoldDecision",
    "find_foldable_layernorms",
    "fold_layernorms",
    "rms_norm",
    "evaluate_graph",
    "center_affine",
    "check_fold_identity",
]

NODE_KINDS = ("input", "linear", "layernorm", "rmsnorm", "relu", "add", "scale", "output")


# ----------------------------------------------------------------------------- structure


def _vector_preds(g: nx.DiGraph, n) -> list:
    return [u for u in g.predecessors(n) if g.edges[u, n].get("port", "x") != "scalar"]


def _scalar_preds(g: nx.DiGraph, n) -> list:
    return [u for u in g.predecessors(n) if g.edges[u, n].get("port", "x") == "scalar"]


def _uniform(weight) -> bool:
    return weight is None or len(set(weight)) <= 1


def _sums_to_zero(bias) -> bool:
    return bias is None or sum(bias, Fraction(0)) == 0


def _opt_vector(attrs: Mapping, key: str, width: int, n) -> tuple[Fraction, ...] | None:
    v = attrs.get(key)
    if v is None:
        return None
    v = rational_vector(v, f"{key} of node {n!r}")
    if len(v) != width:
        raise InputError(f"node {n!r}: {key} has length {len(v)} but the width is {width}")
    return v


def validate_graph(graph: nx.DiGraph) -> dict:
    """Check a computation graph and return the output width of every node.

    Parameters
    ----------
    graph : networkx.DiGraph
        Nodes with a ``kind`` attribute (see the module docstring).

    Returns
    -------
    dict
        ``node -> width``.

    Raises
    ------
    InputError
        On a cycle, an unknown kind, a wrong number of inputs, or mismatched
        widths, with the offending node named.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_node("x", kind="input", dim=2)
    >>> g.add_node("lin", kind="linear", weight=[[1, 0], [0, 1], [1, 1]], bias=[0, 0, 0])
    >>> g.add_node("ln", kind="layernorm", eps=0)
    >>> g.add_node("y", kind="output")
    >>> nx.add_path(g, ["x", "lin", "ln", "y"])
    >>> validate_graph(g)["ln"]
    3

    References
    ----------
    ``proofs/ln-rmsnorm-fold.md``.
    """
    if not isinstance(graph, nx.DiGraph):
        raise InputError("expected a networkx.DiGraph")
    if not nx.is_directed_acyclic_graph(graph):
        raise InputError("the computation graph has a cycle")
    widths: dict = {}
    for n in nx.topological_sort(graph):
        a = graph.nodes[n]
        kind = a.get("kind")
        if kind not in NODE_KINDS:
            raise InputError(f"node {n!r} has unknown kind {kind!r}; expected one of {NODE_KINDS}")
        vp, sp_ = _vector_preds(graph, n), _scalar_preds(graph, n)
        if sp_ and kind != "scale":
            raise InputError(f"node {n!r}: only 'scale' nodes take a scalar input")
        if kind == "input":
            if vp:
                raise InputError(f"input node {n!r} has incoming edges")
            dim = a.get("dim")
            if not isinstance(dim, int) or dim < 1:
                raise InputError(f"input node {n!r} needs a positive integer 'dim'")
            widths[n] = dim
            continue
        if kind == "add":
            if not vp:
                raise InputError(f"add node {n!r} has no inputs")
            ws = {widths[u] for u in vp}
            if len(ws) != 1:
                raise InputError(f"add node {n!r} sums inputs of different widths {sorted(ws)}")
            widths[n] = ws.pop()
            continue
        if len(vp) != 1:
            raise InputError(f"{kind} node {n!r} needs exactly one input, got {len(vp)}")
        w_in = widths[vp[0]]
        if kind == "linear":
            w = rational_matrix(a.get("weight"), f"weight of node {n!r}")
            b = rational_vector(a.get("bias"), f"bias of node {n!r}")
            if len(w[0]) != w_in:
                raise InputError(f"linear node {n!r}: weight has {len(w[0])} columns but its input has width {w_in}")
            if len(b) != len(w):
                raise InputError(f"linear node {n!r}: bias has length {len(b)} but weight has {len(w)} rows")
            widths[n] = len(w)
        elif kind in ("layernorm", "rmsnorm"):
            eps = rational(a.get("eps", 0), f"eps of node {n!r}")
            if eps < 0:
                raise InputError(f"node {n!r}: eps must be >= 0")
            _opt_vector(a, "weight", w_in, n)
            _opt_vector(a, "bias", w_in, n)
            widths[n] = w_in
        elif kind == "scale":
            rational(a.get("factor", 1), f"factor of node {n!r}")
            if len(sp_) > 1:
                raise InputError(f"scale node {n!r} has more than one scalar input")
            if sp_ and widths[sp_[0]] != 1:
                raise InputError(f"scale node {n!r}: the scalar input must have width 1")
            widths[n] = w_in
        else:  # relu, output
            widths[n] = w_in
    return widths


def zero_mean_nodes(graph: nx.DiGraph) -> set:
    """Nodes whose output provably sums to zero for every input (the module's rules).

    Conservative: a node not in the set may still happen to be zero-mean.

    Parameters
    ----------
    graph : networkx.DiGraph

    Returns
    -------
    set

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_node("x", kind="input", dim=2)
    >>> g.add_node("lin", kind="linear", weight=[[1, 2], [-1, -2]], bias=[3, -3])  # centered
    >>> g.add_node("r", kind="relu")
    >>> nx.add_path(g, ["x", "lin", "r"])
    >>> sorted(zero_mean_nodes(g))
    ['lin']

    References
    ----------
    ``proofs/ln-rmsnorm-fold.md``.
    """
    validate_graph(graph)
    zm: set = set()
    for n in nx.topological_sort(graph):
        a = graph.nodes[n]
        kind = a["kind"]
        vp = _vector_preds(graph, n)
        if kind == "linear":
            w = rational_matrix(a["weight"])
            b = rational_vector(a["bias"])
            cols_centered = all(sum((row[j] for row in w), Fraction(0)) == 0 for j in range(len(w[0])))
            ok = cols_centered and sum(b, Fraction(0)) == 0
        elif kind == "layernorm":
            ok = _uniform(_opt(a, "weight")) and _sums_to_zero(_opt(a, "bias"))
        elif kind == "rmsnorm":
            ok = vp[0] in zm and _uniform(_opt(a, "weight")) and _sums_to_zero(_opt(a, "bias"))
        elif kind == "add":
            ok = all(u in zm for u in vp)
        elif kind in ("scale", "output"):
            ok = vp[0] in zm
        else:  # input, relu
            ok = False
        if ok:
            zm.add(n)
    return zm


def _opt(attrs, key):
    v = attrs.get(key)
    return None if v is None else rational_vector(v, key)


# ----------------------------------------------------------------------------- folding


@dataclass(frozen=True)
class FoldDecision:
    """Whether one LayerNorm node can be replaced by RMSNorm.

    Attributes
    ----------
    foldable : bool
    sources : tuple
        The nodes whose outputs reach the LN through ``add``/``scale`` only.
    to_center : tuple
        Linear layers that the fold centers (``W -> P W``, ``b -> P b``).
    reason : str
        Why it is (not) foldable, naming the blocking node.
    """

    foldable: bool
    sources: tuple = ()
    to_center: tuple = ()
    reason: str = ""


def _sources(graph, n) -> list:
    """Non-add/scale nodes feeding ``n``'s input through add and scale (vector port)."""
    out, stack, seen = [], list(_vector_preds(graph, n)), set()
    while stack:
        u = stack.pop()
        if u in seen:
            continue
        seen.add(u)
        if graph.nodes[u]["kind"] in ("add", "scale"):
            stack.extend(_vector_preds(graph, u))
        else:
            out.append(u)
    return sorted(out, key=repr)


def _centering_blocker(graph, lin):
    """None if centering ``lin`` changes no value outside add/scale chains ending in LNs."""
    stack, seen = [lin], set()
    while stack:
        u = stack.pop()
        for v in graph.successors(u):
            if (u, v) in seen:
                continue
            seen.add((u, v))
            kind = graph.nodes[v]["kind"]
            scalar = graph.edges[u, v].get("port", "x") == "scalar"
            if kind == "layernorm" and not scalar:
                continue  # LN(z + t 1) = LN(z): centering-invariant
            if kind in ("add", "scale") and not scalar:
                stack.append(v)  # a shift along 1 stays a shift along 1
                continue
            where = "the scalar port of " if scalar else ""
            return f"centering {lin!r} would change {where}{kind} node {v!r}, which is not centering-invariant"
    return None


def find_foldable_layernorms(graph: nx.DiGraph) -> dict:
    """Decide, for every LayerNorm node, whether it folds into RMSNorm.

    Parameters
    ----------
    graph : networkx.DiGraph
        A computation graph (see the module docstring).

    Returns
    -------
    dict
        ``layernorm node -> FoldDecision``.

    Raises
    ------
    InputError
        If the graph is invalid.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_node("x", kind="input", dim=2)
    >>> g.add_node("lin", kind="linear", weight=[[1, 0], [0, 1], [1, 1]], bias=[0, 1, 0])
    >>> g.add_node("ln", kind="layernorm", eps=0)
    >>> g.add_node("y", kind="output")
    >>> nx.add_path(g, ["x", "lin", "ln", "y"])
    >>> find_foldable_layernorms(g)["ln"].to_center
    ('lin',)
    >>> g.add_edge("lin", "y2"); g.nodes["y2"]["kind"] = "output"   # a second consumer
    >>> find_foldable_layernorms(g)["ln"].foldable
    False

    References
    ----------
    ``proofs/ln-rmsnorm-fold.md``.
    """
    validate_graph(graph)
    zm = zero_mean_nodes(graph)
    out = {}
    for n in nx.topological_sort(graph):
        if graph.nodes[n]["kind"] != "layernorm":
            continue
        srcs = _sources(graph, n)
        to_center, reason = [], ""
        for s in srcs:
            kind = graph.nodes[s]["kind"]
            if s in zm:
                continue
            if kind != "linear":
                reason = f"source {s!r} ({kind}) is not zero-mean and is not a linear layer that could be centered"
                break
            blocker = _centering_blocker(graph, s)
            if blocker:
                reason = blocker
                break
            to_center.append(s)
        if reason:
            out[n] = FoldDecision(False, tuple(srcs), (), reason)
        else:
            why = "input is zero-mean" + (f" after centering {', '.join(map(repr, to_center))}" if to_center else "")
            out[n] = FoldDecision(True, tuple(srcs), tuple(to_center), why)
    return out


def center_affine(weight: Any, bias: Any) -> tuple[tuple, tuple]:
    """``(P W, P b)``: subtract column means of ``W`` and the mean of ``b``.

    Examples
    --------
    >>> center_affine([[1, 2], [3, 0]], [1, 0])
    (((Fraction(-1, 1), Fraction(1, 1)), (Fraction(1, 1), Fraction(-1, 1))), (Fraction(1, 2), Fraction(-1, 2)))

    References
    ----------
    ``proofs/ln-rmsnorm-fold.md``.
    """
    w = rational_matrix(weight, "weight")
    b = rational_vector(bias, "bias")
    d = len(w)
    col_means = [sum((row[j] for row in w), Fraction(0)) / d for j in range(len(w[0]))]
    bm = sum(b, Fraction(0)) / d
    return (tuple(tuple(e - m for e, m in zip(row, col_means)) for row in w), tuple(e - bm for e in b))


def fold_layernorms(graph: nx.DiGraph) -> nx.DiGraph:
    """A new graph with every foldable LN replaced by RMSNorm and its sources centered.

    Invariant: for every input, :func:`evaluate_graph` gives the same
    outputs on the new graph as on the old one (exactly).

    Parameters
    ----------
    graph : networkx.DiGraph

    Returns
    -------
    networkx.DiGraph
        A copy; ``graph`` is not modified.  Replaced nodes keep their name,
        ``eps``, ``weight`` and ``bias`` and get ``folded_from="layernorm"``.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_node("x", kind="input", dim=1)
    >>> g.add_node("lin", kind="linear", weight=[[1], [2], [4]], bias=[0, 0, 1])
    >>> g.add_node("ln", kind="layernorm", eps=1)
    >>> g.add_node("y", kind="output")
    >>> nx.add_path(g, ["x", "lin", "ln", "y"])
    >>> h = fold_layernorms(g)
    >>> h.nodes["ln"]["kind"], h.nodes["lin"]["weight"]
    ('rmsnorm', ((Fraction(-4, 3),), (Fraction(-1, 3),), (Fraction(5, 3),)))
    >>> evaluate_graph(h, [2]) == evaluate_graph(g, [2])
    True

    References
    ----------
    ``proofs/ln-rmsnorm-fold.md``.
    """
    decisions = find_foldable_layernorms(graph)
    h = graph.copy()
    centered = set()
    for n, dec in decisions.items():
        if not dec.foldable:
            continue
        h.nodes[n]["kind"] = "rmsnorm"
        h.nodes[n]["folded_from"] = "layernorm"
        centered.update(dec.to_center)
    for lin in centered:
        w, b = center_affine(h.nodes[lin]["weight"], h.nodes[lin]["bias"])
        h.nodes[lin]["weight"], h.nodes[lin]["bias"] = w, b
    return h


# ----------------------------------------------------------------------------- evaluation


def rms_norm(x: Sequence, *, eps: Any = 0, weight=None, bias=None, arith) -> list:
    r"""``RMS_eps(z) = z / sqrt(||z||^2/d + eps)``, then the optional ``gamma * y + beta``.

    Parameters
    ----------
    x : sequence of elements or exact numbers
    eps : exact number, default 0
    weight, bias : sequences of exact numbers or None
    arith : Arith

    Returns
    -------
    list of elements

    Raises
    ------
    ZeroVarianceError
        If ``||z||^2/d + eps`` is proven 0 (scalar arithmetics).

    Examples
    --------
    >>> rms_norm([Fraction(1), Fraction(7)], eps=0, arith=get_arith("exact"))   # rms = 5
    [Fraction(1, 5), Fraction(7, 5)]

    References
    ----------
    ``proofs/ln-rmsnorm-fold.md``.
    """
    xs = [arith.lift(v) for v in x]
    d = len(xs)
    ms = arith.fsum([arith.square(v) for v in xs]) * arith.const(Fraction(1, d))
    r = arith.positive_sqrt(ms + arith.const(eps))
    out = [v / r for v in xs]
    if weight is not None:
        out = [arith.const(w) * y for w, y in zip(weight, out)]
    if bias is not None:
        out = [y + arith.const(b) for y, b in zip(out, bias)]
    return out


def evaluate_graph(graph: nx.DiGraph, x: Any, arith: Any = "exact") -> dict:
    """Evaluate a computation graph at one input, in a scalar arithmetic.

    Parameters
    ----------
    graph : networkx.DiGraph
    x : sequence of exact numbers, or mapping ``input node -> sequence``
        A bare sequence is accepted when there is exactly one input node.
    arith : str or Arith, default "exact"
        A scalar arithmetic (``exact``, ``sympy``, ``mpmath``, ``arb``, ``iv``).

    Returns
    -------
    dict
        ``output node -> list of elements``.

    Raises
    ------
    InputError
        Invalid graph, missing or mis-sized inputs, or a batched arithmetic.
    ArithmeticUndecided
        A ReLU's sign cannot be decided.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_node("x", kind="input", dim=2)
    >>> g.add_node("r", kind="relu")
    >>> g.add_node("y", kind="output")
    >>> nx.add_path(g, ["x", "r", "y"])
    >>> evaluate_graph(g, [-1, "1/2"])
    {'y': [Fraction(0, 1), Fraction(1, 2)]}

    References
    ----------
    ``proofs/ln-rmsnorm-fold.md``.
    """
    widths = validate_graph(graph)
    A = get_arith(arith) if isinstance(arith, str) else arith
    if getattr(A, "batched", False):
        raise InputError("evaluate_graph needs a scalar arithmetic, not a batched one")
    inputs = [n for n in graph if graph.nodes[n]["kind"] == "input"]
    if not isinstance(x, Mapping):
        if len(inputs) != 1:
            raise InputError(f"the graph has {len(inputs)} input nodes: pass a mapping node -> vector")
        x = {inputs[0]: x}
    vals: dict = {}
    outs: dict = {}
    for n in nx.topological_sort(graph):
        a = graph.nodes[n]
        kind = a["kind"]
        vp = _vector_preds(graph, n)
        if kind == "input":
            if n not in x:
                raise InputError(f"no value given for input node {n!r}")
            v = rational_vector(x[n], f"input {n!r}")
            if len(v) != widths[n]:
                raise InputError(f"input {n!r} needs {widths[n]} numbers, got {len(v)}")
            vals[n] = [A.const(e) for e in v]
            continue
        if kind == "add":
            vals[n] = [A.fsum(col) for col in zip(*(vals[u] for u in vp))]
            continue
        z = vals[vp[0]]
        if kind == "linear":
            vals[n] = affine(z, rational_matrix(a["weight"]), rational_vector(a["bias"]), A)
        elif kind in ("layernorm", "rmsnorm"):
            norm = layer_norm if kind == "layernorm" else rms_norm
            vals[n] = norm(z, eps=rational(a.get("eps", 0)), weight=_opt(a, "weight"),
                           bias=_opt(a, "bias"), arith=A)
        elif kind == "relu":
            vals[n] = [_relu(e, A) for e in z]
        elif kind == "scale":
            f = A.const(rational(a.get("factor", 1)))
            sp_ = _scalar_preds(graph, n)
            if sp_:
                f = f * vals[sp_[0]][0]
            vals[n] = [f * e for e in z]
        else:  # output
            vals[n] = list(z)
            outs[n] = vals[n]
    return outs


def _relu(e, A):
    s = A.sign(e)
    if s is Sign.POSITIVE:
        return e
    if s is Sign.NEGATIVE or s is Sign.ZERO:
        return A.const(Fraction(0))
    raise ArithmeticUndecided("cannot decide the sign of a ReLU input at this precision")


def check_fold_identity(weight: Any, bias: Any, x: Any, eps: Any) -> bool:
    r"""Exact proof that ``LN_eps(W x + b) == RMS_eps(P W x + P b)`` at a rational ``x``.

    Both sides are ``numerator / sqrt(radicand)``; the check compares the
    rational numerators ``P(Wx + b)`` and ``P W x + P b`` entrywise and the
    rational radicands ``var(Wx + b) + eps`` and ``||PWx + Pb||^2/d + eps``.
    Equal numerators and equal positive radicands make the two sides equal
    exactly, with no square root evaluated.

    Parameters
    ----------
    weight, bias : rational matrix and vector
        ``W`` (``d x n``) and ``b`` (length ``d``).
    x : sequence of rational numbers
    eps : rational number, ``>= 0``

    Returns
    -------
    bool
        True when both sides are proven equal.

    Raises
    ------
    ZeroVarianceError
        If the radicand is 0 (both sides undefined).

    Examples
    --------
    >>> check_fold_identity([[1, 2], [0, 1], [3, -1]], [1, 0, 0], [5, "1/3"], "1/10")
    True

    References
    ----------
    ``proofs/ln-rmsnorm-fold.md``.
    """
    from lnnet_construct.errors import ZeroVarianceError

    w = rational_matrix(weight, "weight")
    b = rational_vector(bias, "bias")
    xv = rational_vector(x, "x")
    epsq = rational(eps, "eps")
    d = len(w)
    z = [sum((wi * xi for wi, xi in zip(row, xv)), Fraction(0)) + bi for row, bi in zip(w, b)]
    mu = sum(z, Fraction(0)) / d
    num_ln = [zi - mu for zi in z]
    rad_ln = sum((c * c for c in num_ln), Fraction(0)) / d + epsq
    pw, pb = center_affine(w, b)
    zc = [sum((wi * xi for wi, xi in zip(row, xv)), Fraction(0)) + bi for row, bi in zip(pw, pb)]
    rad_rms = sum((c * c for c in zc), Fraction(0)) / d + epsq
    if rad_ln == 0:
        raise ZeroVarianceError("var(Wx + b) + eps = 0: both sides are undefined")
    return num_ln == zc and rad_ln == rad_rms
