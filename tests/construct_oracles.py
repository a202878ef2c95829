"""Independent oracles for the construction tests.

Nothing here uses the planner or :mod:`lnnet_construct.verify`:

* :func:`arb_decide` runs the package's generic forward pass (the one
  LayerNorm of ``ops.py``) in python-flint ball arithmetic, raising the
  precision until every decision is certain;
* :func:`exact_decide` does the same in exact algebraic arithmetic;
* :func:`float_predict` is a from-scratch numpy float64/float32 evaluation
  with ``torch.nn.LayerNorm`` semantics (population variance, ``eps`` inside
  the square root) — deliberately *not* rigorous, to measure float robustness.
"""

from __future__ import annotations


import numpy as np

from lnnet_construct.arith import get_arith
from lnnet_construct.forward import decide_index, forward
from lnnet_construct.network import Affine
from lnnet_construct.numbers import to_exact


def arb_decide(net, point, start_bits: int = 64, max_bits: int = 1 << 14):
    """Certified class text of ``net`` at ``point`` (None if exactly undecided)."""
    point = [to_exact(v) for v in point]
    bits = start_bits
    while bits <= max_bits:
        A = get_arith("arb", prec=bits)
        try:
            out = forward(net, point, A)
        except ArithmeticError:
            bits *= 4
            continue
        idx, status = decide_index(net, out, A)
        if status == "decided":
            return net.class_texts[idx]
        bits *= 4
    raise AssertionError(f"undecided at {max_bits} bits")


def exact_decide(net, point):
    A = get_arith("exact")
    point = [to_exact(v) for v in point]
    idx, status = decide_index(net, forward(net, point, A), A)
    assert status == "decided", status
    return net.class_texts[idx]


def classifies_all(net, points, labels, oracle=arb_decide) -> bool:
    return all(oracle(net, p) == str(lab) for p, lab in zip(points, labels))


def float_states(net, points, dtype=np.float64):
    """Plain float evaluation (torch semantics): the state (columns: points) after every layer, in order."""
    x = np.array([[float(to_exact(v)) for v in p] for p in points], dtype=dtype).T
    for layer in net.layers:
        if isinstance(layer, Affine):
            w = np.array([[float(v) for v in row] for row in layer.weight], dtype=dtype)
            b = np.array([float(v) for v in layer.bias], dtype=dtype)[:, None]
            x = w @ x + b
        else:
            eps = dtype(float(layer.eps))
            mu = x.mean(axis=0, keepdims=True)
            var = ((x - mu) ** 2).mean(axis=0, keepdims=True)
            with np.errstate(all="ignore"):
                x = (x - mu) / np.sqrt(var + eps)
        yield x


def float_predict(net, points, dtype=np.float64) -> list:
    """Plain float evaluation (torch semantics); returns class texts (None on an exact 0/tie)."""
    for x in float_states(net, points, dtype):
        pass
    out = []
    for col in x.T:
        if net.decision == "sign":
            out.append(None if col[0] == 0 else net.class_texts[1 if col[0] > 0 else 0])
        else:
            k = int(np.argmax(col))
            out.append(None if np.count_nonzero(col == col[k]) > 1 else net.class_texts[k])
    return out


def float_errors(net, points, labels, dtype=np.float64) -> int:
    pred = float_predict(net, points, dtype)
    return sum(p != str(lab) for p, lab in zip(pred, labels))


def idle_fold(values, labels, backend, eps, rng, **kw):
    """A stand-in for ``choose_fold`` that never removes a run (a monotone fold far left): forces the fallback."""
    from fractions import Fraction

    from lnnet_construct.construct.greedy import FoldChoice

    lo = min(backend.to_fraction(v) for v in values)
    return FoldChoice(c_rel=lo - 10, h=Fraction(1), lam=Fraction(1), runs=10**6, gap=0.0)
