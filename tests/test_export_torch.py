"""TorchScript export: structure, float64, eps, groups, affine; loads where lnnet_construct is not importable."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lnnet_construct.io.exports.export import export_network, run_export
from lnnet_construct.io.exports.parity import _float_points, float_error_bounds
from lnnet_construct.io.exports.to_torch import save_torchscript, to_torch, torch_outputs
from lnnet_construct.network import Affine, LayerNorm, Network

from netzoo import ZOO, grid_points, oracle_outputs


def _oracle(net, pts):
    rows = []
    for p in pts:
        try:
            rows.append([float(v) for v in oracle_outputs(net, p)])
        except ZeroDivisionError:
            rows.append([np.nan] * net.output_dim)
    return np.array(rows)


def test_layernorm_eps_zero_is_accepted_and_kept():
    net = ZOO["deep8"]()
    m = to_torch(net)
    lns = [mod for mod in m if isinstance(mod, torch.nn.LayerNorm)]
    assert len(lns) == net.depth and all(ln.eps == 0.0 for ln in lns)
    # torch really computes with eps = 0: LN of (0, 0, 1e-200) is not flattened by an eps
    ln = torch.nn.LayerNorm(3, eps=0.0, elementwise_affine=False, dtype=torch.float64)
    y = ln(torch.tensor([[0.0, 0.0, 1e-150]], dtype=torch.float64))
    assert torch.allclose(y, torch.tensor([[-2 ** -0.5, -2 ** -0.5, 2 ** 0.5]], dtype=torch.float64))


@pytest.mark.parametrize("name", sorted(ZOO))
def test_structure_matches_network(name):
    net = ZOO[name]()
    m = to_torch(net)
    assert isinstance(m, torch.nn.Sequential) and len(m) == len(net.layers)
    for mod, layer in zip(m, net.layers):
        for p in mod.parameters():
            assert p.dtype == torch.float64
        if isinstance(layer, Affine):
            assert isinstance(mod, torch.nn.Linear)
            assert mod.weight.tolist() == [[float(v) for v in row] for row in layer.weight]
            assert mod.bias.tolist() == [float(v) for v in layer.bias]
        elif layer.groups == 1:
            assert isinstance(mod, torch.nn.LayerNorm)
            assert mod.eps == float(layer.eps) and mod.normalized_shape == (len(layer.weight or ()) or mod.normalized_shape[0],)
            assert mod.elementwise_affine == layer.has_affine
            if layer.weight is not None:
                assert mod.weight.tolist() == [float(v) for v in layer.weight]
            if layer.bias is not None:
                assert mod.bias.tolist() == [float(v) for v in layer.bias]
        else:
            assert type(mod).__name__ == "GroupedLayerNorm"
            assert mod.groups == layer.groups and mod.norm.eps == float(layer.eps)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_outputs_within_the_float_error_bound(name, tmp_path):
    """|TorchScript output - 4000-bit oracle| <= the first-order bound E of the parity model."""
    net = ZOO[name]()
    pts = grid_points(net.input_dim)
    save_torchscript(net, tmp_path / "net.pt")
    got = run_export(tmp_path / "net.pt", "torch", _float_points(pts))
    want = _oracle(net, pts)
    E = float_error_bounds(net, pts)
    ok = np.isfinite(want)
    assert np.array_equal(np.isfinite(got), ok)  # NaN exactly where a LayerNorm has zero variance
    assert np.all(np.abs(got - want)[ok] <= E[ok])


def test_grouped_layer_norm_matches_per_group_layer_norm():
    from lnnet_construct.io.exports.torch_modules import GroupedLayerNorm

    x = torch.randn(5, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    w = torch.linspace(-1, 2, 12, dtype=torch.float64)
    b = torch.linspace(0, 1, 12, dtype=torch.float64)
    g = GroupedLayerNorm(12, 3, 1e-3, w, b)
    want = torch.cat([torch.nn.functional.layer_norm(x[:, 4 * k:4 * k + 4], (4,), eps=1e-3) for k in range(3)], dim=1) * w + b
    assert torch.allclose(g(x), want, rtol=0, atol=1e-14)


_CLEAN_LOADER = textwrap.dedent("""
    import sys
    sys.modules["lnnet_construct"] = None   # any import of the package now fails
    try:
        import lnnet_construct  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("lnnet_construct is importable")
    import json, warnings
    warnings.simplefilter("ignore")
    import torch
    results = []
    for path, X in json.loads(open(sys.argv[1]).read()):
        extra = {"lnnet.json": ""}
        model = torch.jit.load(path, _extra_files=extra)
        out = model(torch.tensor(X, dtype=torch.float64))
        assert out.dtype == torch.float64
        results.append({"info": json.loads(extra["lnnet.json"]), "out": out.tolist()})
    print(json.dumps({"results": results, "lnnet_loaded": sys.modules.get("lnnet_construct") is not None}))
""")

NAMES = ["grouped", "ln_affine", "argmax3"]


def test_torchscript_runs_where_lnnet_is_not_importable(tmp_path):
    jobs, cases = [], []
    for name in NAMES:
        net = ZOO[name]()
        pts = grid_points(net.input_dim)[:20]
        path = tmp_path / f"{name}.pt"
        save_torchscript(net, path)
        X = _float_points(pts)
        jobs.append([str(path), X.tolist()])
        cases.append((net, pts, path, X))
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    script = tmp_path / "load.py"
    script.write_text(_CLEAN_LOADER)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    proc = subprocess.run([sys.executable, "-I", str(script), str(tmp_path / "jobs.json")],
                          cwd=outside, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["lnnet_loaded"] is False
    for (net, pts, path, X), r in zip(cases, res["results"]):
        assert r["info"]["classes"] == list(net.classes) and r["info"]["decision"] == net.decision
        out = np.array([[np.nan if v is None else v for v in row] for row in r["out"]], dtype=np.float64)
        want = _oracle(net, pts)
        ok = np.isfinite(want)
        assert np.array_equal(np.isfinite(out), ok)
        assert np.all(np.abs(out - want)[ok] <= float_error_bounds(net, pts)[ok])
        # and bit-for-bit what the same archive gives in this process
        here = torch_outputs(_load(path), X)
        assert np.array_equal(np.nan_to_num(here, nan=7.0), np.nan_to_num(out, nan=7.0))


def _load(path):
    from lnnet_construct.io.exports.to_torch import load_torchscript

    return load_torchscript(path)[0]


def test_parity_with_certified_predictions_torch(tmp_path):
    for name in ("eps_decimal", "grouped", "ln_affine", "argmax3", "deep8"):
        net = ZOO[name]()
        rep = export_network(net, tmp_path / f"{name}.pt", "torch", points=grid_points(net.input_dim))
        assert rep.ok and rep.mismatches == []
        assert rep.agree + len(rep.below_resolution) >= rep.n_points


def test_network_without_layernorm_exports():
    net = Network(2, [Affine([[1, -1]], ["1/3"])], classes=["x", "y"])
    m = to_torch(net)
    assert torch_outputs(m, np.array([[1.0, 0.0]]))[0, 0] == pytest.approx(4 / 3, rel=1e-15)


def test_layernorm_only_bias_gets_unit_weight():
    net = Network(1, [Affine([[1], [-1], [2]], [0, 0, 1]), LayerNorm(bias=[1, 2, 3]), Affine([[1, 1, 1]], [0])],
                  classes=["a", "b"])
    ln = to_torch(net)[1]
    assert ln.weight.tolist() == [1.0, 1.0, 1.0] and ln.bias.tolist() == [1.0, 2.0, 3.0]
