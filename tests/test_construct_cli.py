"""``lnnet build``: files in, certified network out, one clear line on bad input."""

from __future__ import annotations

import json

import pytest

from construct_oracles import classifies_all
from lnnet_construct.cli.main import main
from lnnet_construct.io import load_network, load_points


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_build_json_summary_and_network(tmp_path, capsys):
    pts = _write(tmp_path, "p.csv", "x,y,label\n0,0,a\n1,0,b\n0,1,b\n1,1,a\n0.5,0.25,ä\n")
    out = tmp_path / "net.json"
    code = main(["build", str(pts), "-o", str(out), "--json", "--quiet"])
    cap = capsys.readouterr()
    assert code == 0
    doc = json.loads(cap.out)
    assert doc["ln_layers"] >= 1 and doc["method"] == "default" and doc["output"] == str(out)
    assert set(doc) >= {"ln_layers", "runs", "min_relative_margin", "method", "output", "seconds"}
    assert cap.err == ""
    net = load_network(out)
    ps = load_points(pts)
    assert net.width == 3 and net.meta["tool"].startswith("lnnet_construct")
    assert classifies_all(net, ps.points, ps.labels)


def test_build_paper_eps_and_progress(tmp_path, capsys):
    pts = _write(tmp_path, "p.csv", "x,label\n0,0\n1,1\n2,0\n3,1\n4,0\n5,1\n6,0\n")
    out = tmp_path / "net.json"
    assert main(["build", str(pts), "-o", str(out), "--method", "paper", "--eps", "1e-5"]) == 0
    cap = capsys.readouterr()
    assert cap.out == "" and "wrote" in cap.err
    net = load_network(out)
    assert net.depth == 5 and net.meta["eps"] == "1/100000"
    ps = load_points(pts)
    assert classifies_all(net, ps.points, ps.labels)


@pytest.mark.parametrize("text,needle", [
    ("x,label\n1,a\n2,b\n1,c\n", "rows 1 and 3 are equal with labels 'a' and 'c'"),
    ("x,label\nnan,a\n", "nan"),
    ("x,y,label\n1,2,a\n1,b\n", "row 2"),
    ("x,label\nabc,a\n", "abc"),
    ("x,y\n1,2\n", "label"),
    ("", "empty"),
])
def test_bad_input_exit_3_one_line(tmp_path, capsys, text, needle):
    pts = _write(tmp_path, "bad.csv", text)
    code = main(["build", str(pts), "-o", str(tmp_path / "n.json"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 3
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_bad_eps(tmp_path, capsys):
    pts = _write(tmp_path, "p.csv", "x,label\n0,a\n1,b\n")
    assert main(["build", str(pts), "-o", str(tmp_path / "n.json"), "--eps", "-1"]) == 3
    assert main(["build", str(pts), "-o", str(tmp_path / "n.json"), "--eps", "x"]) == 3
    assert "eps" in capsys.readouterr().err


def test_bad_worker_count_exit_3_one_line_and_workers_do_not_change_the_file(tmp_path, capsys):
    pts = _write(tmp_path, "p.csv", "x,label\n0,a\n1,b\n2,a\n")
    assert main(["build", str(pts), "-o", str(tmp_path / "n.json"), "--workers", "0"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--workers" in err[0]
    assert main(["build", str(pts), "-o", str(tmp_path / "a.json"), "--workers", "1", "--quiet"]) == 0
    assert main(["build", str(pts), "-o", str(tmp_path / "b.json"), "--workers", "2", "--quiet"]) == 0
    a, b = load_network(str(tmp_path / "a.json")), load_network(str(tmp_path / "b.json"))
    assert a.layers == b.layers


def test_sub_ulp_decimals_separable_without_a_layer(tmp_path, capsys):
    # found by fuzzing: the certificate's float64 enclosure of the read-out was [-1e308, 1e308]-wide
    # and the precision estimate overflowed ("unexpected OverflowError", exit 3)
    rows = [(1, "q"), (2, "q"), (2, "q"), (0, "q"), (0, "p"), (0, "p"), (1, "p"), (0, "p"), (0, "p")]
    text = "x0,x1,label\n" + "".join(f"0.1{k:026d},{y},{lab}\n" for k, (y, lab) in enumerate(rows))
    pts = _write(tmp_path, "p.csv", text)
    out = tmp_path / "net.json"
    assert main(["build", str(pts), "-o", str(out), "--seed", "12403", "--quiet"]) == 0, capsys.readouterr().err
    ps = load_points(pts)
    assert classifies_all(load_network(out), ps.points, ps.labels)


@pytest.mark.parametrize("text", [
    "x,label\n1e400,a\n2,b\n",
    "x,y,label\n1e400,0,a\n2,1e-400,b\n-1e300,3,a\n5,5,b\n1e-300,1e300,a\n",
    "x,y,label\n1e-400,0,a\n2e-400,1e-400,b\n3e-400,0,a\n4e-400,-1e-400,b\n",
    "x,label\n1e400,solo\n",
])
def test_coordinates_beyond_float64_range(tmp_path, capsys, text):
    # exact numbers of any size are valid input; these once ended in "unexpected OverflowError"
    pts = _write(tmp_path, "p.csv", text)
    out = tmp_path / "net.json"
    assert main(["build", str(pts), "-o", str(out), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    ps = load_points(pts)
    net = load_network(out)
    assert net.depth <= max(len(ps.points) - 2, 0) and classifies_all(net, ps.points, ps.labels)


def test_exact_weights_too_long_for_a_file_are_made_rational(tmp_path):
    # six points near 1e-13 with 40 digits: the paper's exact plan has biases past the format's
    # 100,000 characters (found by fuzzing with 17 digits, before the float form shortened them)
    values = ["-0.7312715117751975579807321992120705544949e-13",
              "-0.4898619485211566093596502469154074788094e-13",
              "-0.1010178704225237478198096141568385064602e-13",
              "-0.0091298258161180978476068048621527850628e-13",
              "0.5275492379532280562415280655841343104839e-13",
              "0.6948674738744653467392708989791572093964e-13"]
    text = "x,label\n" + "".join(f"{v},{i % 2}\n" for i, v in enumerate(values))
    pts = _write(tmp_path, "p.csv", text)
    out = tmp_path / "net.json"
    assert main(["build", str(pts), "-o", str(out), "--method", "paper", "--quiet"]) == 0
    net = load_network(out)
    assert net.depth == 4 and net.meta["weights"] == "rational" and "exact_weights" in net.meta
    ps = load_points(pts)
    assert classifies_all(net, ps.points, ps.labels)



def test_an_eps_beyond_float64_range_is_planned_and_certified(tmp_path, capsys):
    # eps = 1e400 is a valid exact number; its float conversion once crashed the planner ("unexpected
    # OverflowError") in the layer scale and in the float shadow
    pts = _write(tmp_path, "p.csv", "x,label\n0,a\n1,b\n2,a\n3,b\n4,a\n")
    out = tmp_path / "net.json"
    assert main(["build", str(pts), "-o", str(out), "--eps", "1e400", "--quiet"]) == 0, capsys.readouterr().err
    net = load_network(out)
    ps = load_points(pts)
    assert net.depth <= 3 and classifies_all(net, ps.points, ps.labels)


def test_single_class_human_summary(tmp_path, capsys):
    # a single class gives a constant network with no margin: the summary line must still print
    pts = _write(tmp_path, "one.csv", "x,label\n0,a\n1,a\n2,a\n")
    out = tmp_path / "n.json"
    code = main(["build", str(pts), "-o", str(out)])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert cap.out == "" and "wrote" in cap.err and "Error" not in cap.err
    net = load_network(out)
    ps = load_points(pts)
    assert classifies_all(net, ps.points, ps.labels)


def test_prefer_depth_uses_the_depth_first_planner(tmp_path, capsys):
    text = "x,label\n" + "".join(f"{i},{(i * 7) % 3 % 2}\n" for i in range(24))
    pts = _write(tmp_path, "p.csv", text)
    for prefer, planners in (("float64", {"float", "greedy", "paper"}), ("depth", {"greedy", "paper", None})):
        out = tmp_path / f"{prefer}.json"
        assert main(["build", str(pts), "-o", str(out), "--prefer", prefer, "--json", "-q"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["planner"] in planners and doc["ln_layers"] <= 22
        if prefer == "depth":
            assert doc["planner"] != "float"
    assert main(["build", str(pts), "-o", str(tmp_path / "x.json"), "--prefer", "fast"]) == 3
    assert "--prefer" in capsys.readouterr().err
