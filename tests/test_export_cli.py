"""`lnnet export`: every format, the float-verified parity report on stdout, exit codes, --force, --quiet, progress."""

import json
from fractions import Fraction

import numpy as np
import pytest

from lnnet_construct.cli.main import main
from lnnet_construct.io import save_network, save_points_csv
from lnnet_construct.network import Affine, Network

from netzoo import ZOO, grid_points, oracle_class

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture()
def files(tmp_path):
    net = ZOO["grouped"]()
    pts = grid_points(2)
    save_network(net, tmp_path / "net.json")
    save_points_csv(pts, ["?"] * len(pts), tmp_path / "pts.csv")
    return net, pts, tmp_path


@pytest.mark.parametrize("fmt", ["torch", "onnx", "npz"])
def test_export_with_points_reports_parity(fmt, files, capsys):
    net, pts, d = files
    # some points are undecided (zero variance): not FLOAT-VERIFIED, so nothing is written and the exit code is 1
    code, out, err = _run(capsys, "export", d / "net.json", "--to", fmt, "-o", d / f"m.{fmt}", "--points", d / "pts.csv",
                          "--json", "--quiet")
    rep = json.loads(out)
    assert code == 1 and err == "" and rep["written"] is None and not (d / f"m.{fmt}").exists()
    undecided = {i + 1 for i, p in enumerate(pts) if oracle_class(net, p) is None}
    assert undecided and undecided <= {e["row"] for e in rep["below_resolution"]}
    # --force writes anyway
    code, out, err = _run(capsys, "export", d / "net.json", "--to", fmt, "-o", d / f"m.{fmt}", "--points", d / "pts.csv",
                          "--json", "--quiet", "--force")
    assert code == 0 and err == ""
    rep = json.loads(out)
    assert rep["written"] == str(d / f"m.{fmt}") and (d / f"m.{fmt}").stat().st_size > 0
    assert rep["format"] == fmt and rep["points"] == len(pts) and rep["parity"] == "ok" and rep["mismatches"] == []
    # every point the independent oracle cannot decide (zero variance) is listed as not float-verified
    assert undecided <= {e["row"] for e in rep["below_resolution"]}
    assert 0 < rep["float_verified"] <= len(pts) - len(undecided) and rep["float_object"]["format"] == "float64"
    assert rep["agree"] >= rep["float_verified"]


def test_export_of_a_clean_set_is_written_and_exits_0(files, capsys, tmp_path):
    net, pts, d = files
    ok = [p for p in pts if oracle_class(net, p) is not None][:20]
    save_points_csv(ok, ["?"] * len(ok), tmp_path / "ok.csv")
    code, out, err = _run(capsys, "export", d / "net.json", "--to", "onnx", "-o", tmp_path / "m.onnx", "--points",
                          tmp_path / "ok.csv", "--json", "-q")
    rep = json.loads(out)
    assert code == 0 and rep["float_verified"] == len(ok) and rep["below_resolution"] == []
    assert (tmp_path / "m.onnx").exists()


def test_human_output_and_progress(files, capsys, monkeypatch):
    from lnnet_construct.cli import common

    monkeypatch.setattr(common, "_is_terminal", lambda stream: True)  # the bar shows on terminals only
    net, pts, d = files
    code, out, err = _run(capsys, "export", d / "net.json", "--to", "npz", "-o", d / "m.npz", "--points", d / "pts.csv")
    assert code == 1 and out == ""
    assert "NOT written" in err and "float-verified:" in err and "welford" in err  # > 50 points: a bar
    assert "parity check" in err and f"{len(pts)}/{len(pts)}" in err
    code, out, err = _run(capsys, "export", d / "net.json", "--to", "npz", "-o", d / "m.npz", "--points", d / "pts.csv",
                          "--force")
    assert code == 0 and "wrote" in err and "parity:" in err
    code, out, err = _run(capsys, "export", d / "net.json", "--to", "npz", "-o", d / "m.npz", "--points", d / "pts.csv", "-q")
    assert code == 1 and out == "" and err == ""


def test_disagreement_above_resolution_exits_1(files, capsys, monkeypatch):
    from lnnet_construct.io.exports import export as export_mod

    real = export_mod.run_export
    monkeypatch.setattr(export_mod, "run_export", lambda *a, **k: -real(*a, **k))  # a broken runtime
    net, pts, d = files
    code, out, err = _run(capsys, "export", d / "net.json", "--to", "npz", "-o", d / "m.npz", "--points", d / "pts.csv",
                          "--json", "-q", "--force")
    rep = json.loads(out)
    assert code == 1 and rep["parity"] == "FAILED" and rep["mismatches"]
    assert "parity FAILED" in err


def test_bad_input_exits_3(files, capsys, tmp_path):
    net, pts, d = files
    save_points_csv([(Fraction(1),)], ["a"], tmp_path / "one_d.csv")
    code, out, err = _run(capsys, "export", d / "net.json", "--to", "npz", "-o", d / "m.npz", "--points", tmp_path / "one_d.csv")
    assert code == 3 and out == "" and "coordinates" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "bad.json").write_text('{"format": "lnnet", "version": 1}')
    code, _, err = _run(capsys, "export", tmp_path / "bad.json", "--to", "onnx", "-o", tmp_path / "m.onnx")
    assert code == 3 and "bad.json" in err
    code, _, err = _run(capsys, "export", d / "net.json", "--to", "tflite", "-o", tmp_path / "m")  # a usage error
    assert code == 3 and "invalid choice" in err


def test_without_points_only_writes(tmp_path, capsys):
    net = Network(1, [Affine([[1]], [Fraction(-1, 3)])], classes=["a", "b"])
    save_network(net, tmp_path / "n.json")
    code, out, err = _run(capsys, "export", tmp_path / "n.json", "--to", "onnx", "-o", tmp_path / "n.onnx", "--json")
    rep = json.loads(out)
    assert code == 0 and rep["points"] == 0 and rep["below_resolution"] == [] and err == ""
    from lnnet_construct.io.exports.to_onnx import onnx_outputs

    assert onnx_outputs(tmp_path / "n.onnx", np.array([[1.0]]))[0, 0] == pytest.approx(2 / 3, rel=1e-15)
