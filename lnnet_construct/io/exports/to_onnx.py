r"""ONNX export (opset 17, float64), runnable in onnxruntime.

The graph has one input ``x`` (double, ``[N, input_dim]``) and one output
``y`` (double, ``[N, n_outputs]``: the raw outputs).  Classes and decision
are in the model's ``metadata_props`` (``lnnet.classes`` as JSON,
``lnnet.decision``).  Layers:

* ``Affine`` → ``Gemm(x, W, b, transB=1)``;
* ``LayerNorm`` with ``layernorm="decomposed"`` (default) → ``ReduceMean``,
  ``Sub``, ``Mul``, ``ReduceMean``, ``Add`` (eps), ``Sqrt``, ``Div``, all in
  float64 (groups ``g > 1`` reshape to ``[N, g, n/g]`` first and back after),
  then ``Mul``/``Add`` for the elementwise affine;
* ``LayerNorm`` with ``layernorm="native"`` →
  ``LayerNormalization(axis=-1, epsilon=float(eps), stash_type=1)`` with an
  explicit ``Scale`` (``weight``, or ones) and ``B`` when there is a bias;
  groups ``g > 1`` reshape to ``[N, g, n/g]`` first and back after, and apply
  the elementwise affine after reshaping back.

Precision.  Both ``epsilon`` and ``stash_type`` are always written: ONNX's
defaults are ``1e-5`` and float32 statistics.  The specification allows
``stash_type`` only float32 or bfloat16, and says it sets "stage one's
computation precision": a conforming runtime may compute the mean and
variance of a double input in float32.  onnxruntime computes them in double
(the tests check it against the decomposed graph), but the parity report of
a native export still assumes float32 statistics
(``stats_unit_roundoff = 2^-24``).  That also covers ``epsilon``, which ONNX
stores as a float32 attribute: ``1e-5`` becomes about ``1e-5 - 2.5e-13``, so a
native export does not even use the network's eps.  Hence the default is the
decomposed graph, whose float64 semantics do not depend on the runtime;
``native`` is there for tools that want the fused operator.

The model is written with IR version 8, the one that goes with opset 17, so
that older runtimes accept it.
"""

from __future__ import annotations

import json

import numpy as np

from ...network import Network
from ..network_file import TOOL
from . import require
from .arrays import float_layers
from .parity import UNIT_ROUNDOFF

__all__ = ["to_onnx", "save_onnx", "onnx_outputs", "OPSET", "IR_VERSION", "LAYERNORM_MODES", "stats_roundoff"]

OPSET = 17
IR_VERSION = 8
LAYERNORM_MODES = ("native", "decomposed")


def stats_roundoff(layernorm: str) -> float:
    """Unit roundoff the parity report assumes for LayerNorm statistics (see module docstring)."""
    return UNIT_ROUNDOFF["float32"] if layernorm == "native" else UNIT_ROUNDOFF["float64"]


def to_onnx(network: Network, *, layernorm: str = "decomposed"):
    """An ``onnx.ModelProto`` computing the network's outputs in float64 (checked with ``onnx.checker``).

    Examples
    --------
    >>> from lnnet_construct.network import Network, Affine, LayerNorm
    >>> net = Network(1, [Affine([[1], [-1], [0]], [0, 0, 1]), LayerNorm(eps="1e-5"),
    ...                   Affine([[1, 1, -2]], [0])], classes=["a", "b"])
    >>> m = to_onnx(net, layernorm="native")
    >>> [n.op_type for n in m.graph.node]
    ['Gemm', 'LayerNormalization', 'Gemm', 'Identity']
    >>> eps = {a.name: a for a in m.graph.node[1].attribute}["epsilon"].f   # a float32 attribute
    >>> eps == float(np.float32(1e-5)), eps == 1e-5
    (True, False)
    >>> [n.op_type for n in to_onnx(net).graph.node][1:8]
    ['ReduceMean', 'Sub', 'Mul', 'ReduceMean', 'Add', 'Sqrt', 'Div']
    """
    onnx = require("onnx", "onnx")
    from onnx import TensorProto, helper, numpy_helper

    if layernorm not in LAYERNORM_MODES:
        from ...errors import InputError

        raise InputError(f"layernorm must be one of {', '.join(LAYERNORM_MODES)}, got {layernorm!r}")
    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(prefix, array, dtype=np.float64):
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), n))
        return n

    def node(op, inputs, prefix, **attrs):
        out = name(prefix)
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    cur = "x"
    for k, layer in enumerate(float_layers(network)):
        if layer["type"] == "affine":
            cur = node("Gemm", [cur, const(f"W{k}", layer["weight"]), const(f"b{k}", layer["bias"])],
                       f"affine{k}", transB=1)
            continue
        n, g, eps = layer["width"], layer["groups"], layer["eps"]
        s = n // g
        w, b = layer["weight"], layer["bias"]
        if g > 1:
            cur = node("Reshape", [cur, const(f"shape{k}", [0, g, s], np.int64)], f"group{k}")
        if layernorm == "native":
            # with one group the affine goes into the op itself
            scale = w if (g == 1 and w is not None) else np.ones(s)
            ins = [cur, const(f"scale{k}", scale)]
            if g == 1 and b is not None:
                ins.append(const(f"B{k}", b))
            cur = node("LayerNormalization", ins, f"ln{k}", axis=-1, epsilon=eps, stash_type=1)
            post_affine = g > 1
        else:
            mu = node("ReduceMean", [cur], f"mean{k}", axes=[-1], keepdims=1)
            c = node("Sub", [cur, mu], f"centred{k}")
            sq = node("Mul", [c, c], f"square{k}")
            var = node("ReduceMean", [sq], f"var{k}", axes=[-1], keepdims=1)
            ve = node("Add", [var, const(f"eps{k}", eps)], f"var_eps{k}")
            sd = node("Sqrt", [ve], f"std{k}")
            cur = node("Div", [c, sd], f"ln{k}")
            post_affine = True
        if g > 1:
            cur = node("Reshape", [cur, const(f"shape{k}b", [0, n], np.int64)], f"ungroup{k}")
        if post_affine:
            if w is not None:
                cur = node("Mul", [cur, const(f"gamma{k}", w)], f"ln_weight{k}")
            if b is not None:
                cur = node("Add", [cur, const(f"beta{k}", b)], f"ln_bias{k}")
    nodes.append(helper.make_node("Identity", [cur], ["y"], name="output"))
    graph = helper.make_graph(
        nodes, "lnnet",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", network.input_dim])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N", network.output_dim])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION,
                              producer_name="lnnet_construct", producer_version=TOOL.split()[-1])
    helper.set_model_props(model, {"lnnet.classes": json.dumps(list(network.classes)),
                                   "lnnet.decision": network.decision,
                                   "lnnet.layernorm": layernorm})
    onnx.checker.check_model(model, full_check=True)
    return model


def save_onnx(network: Network, path, *, layernorm: str = "decomposed") -> None:
    """Write :func:`to_onnx` to ``path``."""
    onnx = require("onnx", "onnx")
    onnx.save_model(to_onnx(network, layernorm=layernorm), str(path))


def onnx_outputs(model_or_path, X) -> np.ndarray:
    """Run a model in onnxruntime (CPU) on a float64 array ``X``."""
    ort = require("onnxruntime", "onnx")
    src = model_or_path.SerializeToString() if hasattr(model_or_path, "SerializeToString") else str(model_or_path)
    sess = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
    return np.asarray(sess.run(["y"], {"x": np.asarray(X, dtype=np.float64)})[0], dtype=np.float64)
