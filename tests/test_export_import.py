"""from_torch / lnnet import: exact rational weights, round trips, refusals."""

import json
from fractions import Fraction

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from lnnet_construct.cli.main import main
from lnnet_construct.errors import InputError
from lnnet_construct.io import load_network, save_network
from lnnet_construct.io.exports.from_torch import from_state_dict, from_torch, load_torch_model
from lnnet_construct.io.exports.parity import SAFETY, certified_margins, decision_error_bounds, float_error_bounds
from lnnet_construct.io.exports.to_torch import jit_quiet, save_torchscript, to_torch
from lnnet_construct.network import Affine, LayerNorm, Network


D = Fraction


def dyadic_networks():
    """Networks whose every parameter is a dyadic rational, so float64 holds it exactly."""
    return {
        "plain": Network(2, [Affine([[1, D(-1, 2)], [0, 3], [D(5, 4), 1]], [0, D(1, 8), -1]), LayerNorm(),
                             Affine([[1, 1, -2]], [D(-3, 16)])], classes=["neg", "pos"]),
        "eps_affine": Network(2, [Affine([[1, 2], [-1, 1], [D(1, 2), -3], [0, 1]], [0, 1, -1, D(1, 4)]),
                                  LayerNorm(eps=D(1, 1024), weight=[D(1, 2), 2, -1, D(3, 4)], bias=[0, D(1, 8), 1, -2]),
                                  Affine([[1, -1, D(1, 2), 2]], [D(1, 4)])], classes=[0, 1]),
        "grouped": Network(1, [Affine([[1], [2], [-1], [3], [D(1, 2)], [-2]], [0, 1, 0, -1, 2, D(1, 4)]),
                               LayerNorm(eps=D(1, 2**20), groups=3),
                               Affine([[1, 0, 2, 0, 1, 1], [0, 1, 0, 1, 1, -1], [1, 1, 1, 0, 0, 0]], [0, D(1, 2), -1]),
                               LayerNorm(groups=1, weight=[2, 2, 2]),
                               Affine([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, D(1, 16), D(-1, 16)])],
                           classes=["r", "g", "b"], decision="argmax"),
        "grouped_affine": Network(2, [Affine([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, 1, D(1, 2)]),
                                      LayerNorm(groups=2, weight=[1, 2, 3, 4], bias=[0, 0, D(1, 2), 0]),
                                      Affine([[1, 1, 1, 1]], [0])], classes=["x", "y"]),
    }


@pytest.mark.parametrize("name", sorted(dyadic_networks()))
def test_round_trip_eager_and_torchscript_is_exact(name, tmp_path):
    net = dyadic_networks()[name]
    assert from_torch(to_torch(net), classes=net.classes, decision=net.decision) == net
    save_torchscript(net, tmp_path / "m.pt")
    module, info = load_torch_model(tmp_path / "m.pt")
    back = from_torch(module, classes=info["classes"], decision=info["decision"])
    assert back == net


def test_non_dyadic_weights_import_as_their_binary_values():
    net = Network(1, [Affine([[D(1, 3)]], [D(1, 10)])], classes=["a", "b"])
    back = from_torch(to_torch(net))
    assert back.layers[0].weight[0][0] == D(1 / 3) != D(1, 3)
    assert back.layers[0].bias[0] == D(0.1) == D(3602879701896397, 2**55)


def test_float32_and_half_weights_are_exact():
    lin = nn.Linear(2, 1)  # float32
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.1, -1 / 3]]))
        lin.bias.copy_(torch.tensor([1e-8]))
    net = from_torch(nn.Sequential(lin))
    assert net.layers[0].weight[0] == (D(float(np.float32(0.1))), D(float(np.float32(-1 / 3))))
    assert net.layers[0].bias[0] == D(float(np.float32(1e-8)))
    half = nn.Linear(1, 1).to(torch.float16)
    with torch.no_grad():
        half.weight.fill_(0.1)
    assert from_torch(half).layers[0].weight[0][0] == D(float(np.float16(0.1)))


def test_nested_sequential_identity_groupnorm_and_defaults():
    m = nn.Sequential(nn.Sequential(nn.Linear(2, 6), nn.Identity()), nn.GroupNorm(3, 6, eps=0.0, affine=False),
                      nn.Sequential(nn.Linear(6, 4), nn.LayerNorm(4)), nn.Linear(4, 3))
    net = from_torch(m)
    kinds = [(type(layer).__name__, getattr(layer, "groups", None)) for layer in net.layers]
    assert kinds == [("Affine", None), ("LayerNorm", 3), ("Affine", None), ("LayerNorm", 1), ("Affine", None)]
    assert net.decision == "argmax" and net.classes == (0, 1, 2)
    assert net.layers[3].eps == D(1e-5) and net.layers[3].weight is None and net.layers[3].bias is None
    # GroupNorm on (N, C) input is LN-G: the imported network computes what torch computes
    X = np.random.default_rng(0).normal(size=(20, 2))
    pts = [[D(float(v)) for v in row] for row in X]
    with torch.no_grad():
        got = m.double()(torch.from_numpy(X)).numpy()
    E = float_error_bounds(net, pts)
    from netzoo import oracle_outputs

    want = np.array([[float(v) for v in oracle_outputs(net, p)] for p in pts])
    assert np.all(np.abs(got - want) <= E)


def test_scripted_nested_model_imports_like_the_eager_one():
    m = nn.Sequential(nn.Linear(2, 6), nn.GroupNorm(3, 6, eps=1e-3), nn.Sequential(nn.Identity(), nn.Linear(6, 4)),
                      nn.LayerNorm(4, bias=False), nn.Linear(4, 1))
    with torch.no_grad():
        m[3].weight.copy_(torch.tensor([1.0, 2.0, 0.5, -1.0]))
    with jit_quiet():
        scripted = torch.jit.script(m)
    net = from_torch(scripted)
    assert net == from_torch(m)
    assert net.layers[1].groups == 3 and net.layers[3].weight == (1, 2, D(1, 2), -1) and net.layers[3].bias is None


def test_eps_as_decimal_or_binary():
    m = nn.Sequential(nn.Linear(1, 3), nn.LayerNorm(3, eps=1e-5))
    m.append(nn.Linear(3, 1))
    assert from_torch(m).layers[1].eps == D(1e-5) != D(1, 100000)
    assert from_torch(m, eps_as="decimal").layers[1].eps == D(1, 100000)
    with pytest.raises(InputError, match="eps_as"):
        from_torch(m, eps_as="float")


def test_unsupported_modules_are_named():
    with pytest.raises(InputError, match=r"module '1\.0' \(ReLU\) is not supported"):
        from_torch(nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU())))

    class MyLinear(nn.Linear):
        def forward(self, x):
            return super().forward(x) ** 2

    with pytest.raises(InputError, match="custom subclass"):
        from_torch(nn.Sequential(MyLinear(2, 1)))
    with pytest.raises(InputError, match="normalized_shape"):
        from_torch(nn.Sequential(nn.Linear(2, 6), nn.LayerNorm([2, 3])))
    with pytest.raises(InputError, match="width"):
        from_torch(nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)))


def test_torchscript_impostor_is_refused(tmp_path):
    class Linear(nn.Module):  # same name as torch's, different computation
        def __init__(self):
            super().__init__()
            self.in_features, self.out_features = 2, 1
            self.weight = nn.Parameter(torch.ones(1, 2))
            self.bias = nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return torch.relu(x @ self.weight.T + self.bias)

    with jit_quiet():
        scripted = torch.jit.script(nn.Sequential(Linear()))
        scripted.save(str(tmp_path / "imp.pt"))
    module, _ = load_torch_model(tmp_path / "imp.pt")
    assert getattr(module, "0").original_name == "Linear"
    with pytest.raises(InputError, match="code differs"):
        from_torch(module)


def test_pickled_module_is_refused_and_state_dict_needs_arch(tmp_path):
    m = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3, eps=0.0), nn.Linear(3, 1))
    torch.save(m, tmp_path / "pickled.pt")
    with pytest.raises(InputError, match="pickled modules are refused"):
        load_torch_model(tmp_path / "pickled.pt")
    torch.save(m.state_dict(), tmp_path / "sd.pt")
    arch = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                       {"type": "layernorm", "normalized_shape": 3, "eps": "0"},
                       {"type": "linear", "in_features": 3, "out_features": 1}]}
    module, info = load_torch_model(tmp_path / "sd.pt", arch=arch)
    assert info == {} and from_torch(module) == from_torch(m)
    bad = {"layers": arch["layers"][:2]}
    with pytest.raises(InputError, match="does not match"):
        load_torch_model(tmp_path / "sd.pt", arch=bad)
    with pytest.raises(InputError, match="weights_only"):
        load_torch_model(tmp_path / "pickled.pt", arch=arch)
    with pytest.raises(InputError, match="layers\\[0\\].type"):
        from_state_dict(m.state_dict(), {"layers": [{"type": "conv"}]})


def test_imported_network_certifies_what_torch_computes():
    """Train-free 'user model': random float32 weights.  Above float64 resolution, torch's float
    decisions equal the certified decisions of the imported exact network."""
    g = torch.Generator().manual_seed(3)
    m = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3), nn.Linear(3, 3), nn.LayerNorm(3), nn.Linear(3, 1))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    net = from_torch(m)
    X = np.random.default_rng(1).uniform(-2, 2, size=(200, 2))
    pts = [[D(float(v)) for v in row] for row in X]
    with torch.no_grad():
        out = m.double()(torch.from_numpy(X)).numpy()
    idx, margins = certified_margins(net, pts)
    err = decision_error_bounds(net, float_error_bounds(net, pts), idx)
    safe = [i for i in range(len(pts)) if idx[i] is not None and margins[i] > SAFETY * err[i]]
    assert len(safe) >= 190
    for i in safe:
        assert (1 if out[i, 0] > 0 else 0) == idx[i]


# --------------------------------------------------------------------------
# command line

def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_cli_import_round_trip_and_options(tmp_path, capsys):
    net = dyadic_networks()["grouped"]
    save_network(net, tmp_path / "net.json")
    code, out, err = _run(capsys, "export", tmp_path / "net.json", "--to", "torch", "-o", tmp_path / "m.pt", "--quiet")
    assert code == 0 and out == "" and err == ""
    code, out, _ = _run(capsys, "import", tmp_path / "m.pt", "-o", tmp_path / "back.json", "--json")
    assert code == 0 and json.loads(out)["classes"] == ["r", "g", "b"]
    assert load_network(tmp_path / "back.json") == net
    code, out, err = _run(capsys, "import", tmp_path / "m.pt", "-o", tmp_path / "b2.json", "--classes", "u,v,w", "--quiet")
    assert code == 0 and out == "" and err == ""
    assert load_network(tmp_path / "b2.json").classes == ("u", "v", "w")


def test_cli_import_state_dict_and_refusals(tmp_path, capsys):
    m = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3, eps=1e-5), nn.Linear(3, 1))
    torch.save(m.state_dict(), tmp_path / "sd.pt")
    (tmp_path / "arch.json").write_text(json.dumps({"layers": [
        {"type": "linear", "in_features": 2, "out_features": 3},
        {"type": "layernorm", "normalized_shape": 3, "eps": "1e-5"},
        {"type": "linear", "in_features": 3, "out_features": 1}]}))
    code, _, _ = _run(capsys, "import", tmp_path / "sd.pt", "--arch", tmp_path / "arch.json", "-o", tmp_path / "n.json",
                      "--eps-as", "decimal", "--classes", "lo,hi", "--quiet")
    assert code == 0
    net = load_network(tmp_path / "n.json")
    assert net.classes == ("lo", "hi") and net.layers[1].eps == D(1, 100000)
    torch.save(m, tmp_path / "pickled.pt")
    code, out, err = _run(capsys, "import", tmp_path / "pickled.pt", "-o", tmp_path / "x.json")
    assert code == 3 and out == "" and "refused" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, "import", tmp_path / "missing.pt", "-o", tmp_path / "x.json")
    assert code == 3 and "missing.pt" in err
    code, _, err = _run(capsys, "import", tmp_path / "sd.pt", "--arch", tmp_path / "arch.json", "-o", tmp_path / "x.json",
                        "--decision", "argmax", "--classes", "a,b")
    assert code == 3 and "argmax" in err
