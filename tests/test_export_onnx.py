"""ONNX export: opset 17, explicit epsilon and stash_type, float64, runs in onnxruntime within the error bound."""

import json

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from lnnet_construct.io.exports.export import export_network
from lnnet_construct.io.exports.parity import UNIT_ROUNDOFF, _float_points, float_error_bounds
from lnnet_construct.io.exports.to_onnx import onnx_outputs, save_onnx, to_onnx

from netzoo import ZOO, grid_points, oracle_outputs


def _oracle(net, pts):
    rows = []
    for p in pts:
        try:
            rows.append([float(v) for v in oracle_outputs(net, p)])
        except ZeroDivisionError:
            rows.append([np.nan] * net.output_dim)
    return np.array(rows)


@pytest.mark.parametrize("mode", ["decomposed", "native"])
def test_model_is_valid_opset17_float64(mode):
    m = to_onnx(ZOO["ln_affine"](), layernorm=mode)
    onnx.checker.check_model(m, full_check=True)
    assert [(o.domain, o.version) for o in m.opset_import] == [("", 17)]
    assert m.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert m.graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert all(t.data_type == onnx.TensorProto.DOUBLE for t in m.graph.initializer if not t.name.startswith("shape"))
    props = {p.key: p.value for p in m.metadata_props}
    assert json.loads(props["lnnet.classes"]) == [0, 1] and props["lnnet.decision"] == "sign"


def test_native_layernorm_sets_epsilon_and_stash_type_explicitly():
    net = ZOO["argmax3"]()   # eps 0 then 1/1000
    m = to_onnx(net, layernorm="native")
    lns = [n for n in m.graph.node if n.op_type == "LayerNormalization"]
    assert len(lns) == 2
    eps = []
    for n in lns:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        assert set(attrs) >= {"epsilon", "stash_type", "axis"}
        assert attrs["stash_type"] == 1 and attrs["axis"] == -1
        eps.append(attrs["epsilon"])
    assert eps[0] == 0.0 and eps[1] == pytest.approx(1e-3, rel=1e-7)


@pytest.mark.parametrize("name", sorted(ZOO))
@pytest.mark.parametrize("mode", ["decomposed", "native"])
def test_onnxruntime_within_the_float_error_bound(name, mode):
    net = ZOO[name]()
    pts = grid_points(net.input_dim)
    got = onnx_outputs(to_onnx(net, layernorm=mode), _float_points(pts))
    want = _oracle(net, pts)
    u_stats = UNIT_ROUNDOFF["float32"] if mode == "native" else UNIT_ROUNDOFF["float64"]
    E = float_error_bounds(net, pts, u_stats=u_stats)
    ok = np.isfinite(want)
    assert np.array_equal(np.isfinite(got), ok)
    assert np.all(np.abs(got - want)[ok] <= E[ok])


def test_decomposed_graph_is_float64_accurate():
    """The decomposed graph meets the float64 bound, which is ~10^8 times tighter than the float32-stats one."""
    net = ZOO["deep8"]()
    pts = grid_points(2)
    E64 = float_error_bounds(net, pts)
    E32 = float_error_bounds(net, pts, u_stats=UNIT_ROUNDOFF["float32"])
    assert np.all(E32 > 1e6 * E64)
    got = onnx_outputs(to_onnx(net), _float_points(pts))
    assert np.all(np.abs(got - _oracle(net, pts)) <= E64)


def test_save_and_parity_report(tmp_path):
    for name in ("grouped", "ln_affine", "argmax3", "eps_exponent"):
        net = ZOO[name]()
        save_onnx(net, tmp_path / "m.onnx")
        onnx.checker.check_model(str(tmp_path / "m.onnx"))
        rep = export_network(net, tmp_path / f"{name}.onnx", "onnx", points=grid_points(net.input_dim))
        assert rep.ok and rep.stats_unit_roundoff == UNIT_ROUNDOFF["float64"]
    native = export_network(ZOO["deep8"](), tmp_path / "n.onnx", "onnx", points=grid_points(2), onnx_layernorm="native")
    assert native.ok and native.stats_unit_roundoff == UNIT_ROUNDOFF["float32"]
