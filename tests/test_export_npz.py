"""npz export: float64 arrays, a JSON description, no pickle; an evaluator written here from the JSON alone."""

import json
import zipfile
from fractions import Fraction

import numpy as np
import pytest

from lnnet_construct.errors import NetworkFormatError
from lnnet_construct.io.exports.export import export_network
from lnnet_construct.io.exports.parity import _float_points, float_error_bounds
from lnnet_construct.io.exports.to_npz import load_npz, save_npz

from netzoo import ZOO, grid_points, oracle_outputs


def evaluate_npz(path, X):
    """A reader that knows only the documented format (no lnnet code): float64, two-pass LayerNorm."""
    with np.load(path, allow_pickle=False) as z:
        doc = json.loads(str(z["layers.json"]))
        arrays = {k: z[k] for k in z.files if k.endswith((".weight", ".bias"))}
    x = np.asarray(X, dtype=np.float64)
    with np.errstate(all="ignore"):
        for layer in doc["layers"]:
            if layer["type"] == "affine":
                x = x @ arrays[layer["weight"]].T + arrays[layer["bias"]]
            else:
                n, g = layer["width"], layer["groups"]
                blocks = x.reshape(len(x), g, n // g)
                c = blocks - blocks.mean(axis=2, keepdims=True)
                x = (c / np.sqrt((c * c).mean(axis=2, keepdims=True) + layer["eps"])).reshape(len(x), n)
                if layer["weight"] is not None:
                    x = x * arrays[layer["weight"]]
                if layer["bias"] is not None:
                    x = x + arrays[layer["bias"]]
    return x


def _oracle(net, pts):
    rows = []
    for p in pts:
        try:
            rows.append([float(v) for v in oracle_outputs(net, p)])
        except ZeroDivisionError:
            rows.append([np.nan] * net.output_dim)
    return np.array(rows)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_npz_is_plain_arrays_and_evaluates_within_bound(name, tmp_path):
    net = ZOO[name]()
    path = tmp_path / "net.npz"
    save_npz(net, path)
    with zipfile.ZipFile(path) as zf:  # every entry is a .npy file
        assert all(n.endswith(".npy") for n in zf.namelist())
    with np.load(path, allow_pickle=False) as z:
        doc = json.loads(str(z["layers.json"]))
        assert doc["format"] == "lnnet-npz" and doc["dtype"] == "float64"
        assert doc["classes"] == list(net.classes) and doc["decision"] == net.decision
        assert len(doc["layers"]) == len(net.layers)
        for k in z.files:
            if k.endswith((".weight", ".bias")):
                assert z[k].dtype == np.float64
    for d, layer in zip(doc["layers"], net.layers):
        if d["type"] == "layernorm":
            assert Fraction(d["eps"]) == Fraction(float(layer.eps)) and d["groups"] == layer.groups
    pts = grid_points(net.input_dim)
    got = evaluate_npz(path, _float_points(pts))
    want = _oracle(net, pts)
    ok = np.isfinite(want)
    assert np.array_equal(np.isfinite(got), ok)
    assert np.all(np.abs(got - want)[ok] <= float_error_bounds(net, pts)[ok])


@pytest.mark.parametrize("name", sorted(ZOO))
def test_exact_and_float_reload(name, tmp_path):
    net = ZOO[name]()
    path = tmp_path / "n.npz"
    save_npz(net, path)
    assert load_npz(path) == net
    floats = load_npz(path, exact=False)
    with np.load(path, allow_pickle=False) as z:
        w0 = z["layer0.weight"]
    assert [list(r) for r in floats.layers[0].weight] == [[Fraction(float(v)) for v in row] for row in w0]
    assert floats.classes == net.classes and floats.depth == net.depth


def test_no_suffix_is_added_and_garbage_is_refused(tmp_path):
    net = ZOO["grouped"]()
    save_npz(net, tmp_path / "model.weights")
    assert (tmp_path / "model.weights").exists() and not (tmp_path / "model.weights.npz").exists()
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(NetworkFormatError, match="bad.npz"):
        load_npz(tmp_path / "bad.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(NetworkFormatError, match="layers.json"):
        load_npz(tmp_path / "other.npz")


def test_parity_report_npz(tmp_path):
    for name in ("algebraic", "grouped", "argmax3", "deep8"):
        net = ZOO[name]()
        rep = export_network(net, tmp_path / f"{name}.npz", "npz", points=grid_points(net.input_dim))
        assert rep.ok
