"""``lnnet verify``: exit codes 0/1/2/3, ``--json`` alone on stdout, certificates and ``--replay``."""

import json
from fractions import Fraction

import pytest

from lnnet_construct.cli.main import main
from lnnet_construct.io import save_network, save_points_csv
from lnnet_construct.verify.testnets import paper_fold_network, poison_network


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("verify_cli")
    m = 29
    labels = [i % 2 for i in range(m)]
    net = paper_fold_network(range(m), labels)
    pts = [[t] for t in range(m)]
    save_network(net, d / "net.json")
    save_points_csv(pts, labels, d / "pts.csv")
    bad, i, _ = poison_network(net, pts, labels, Fraction(1, 10**40))
    save_network(bad, d / "poisoned.json")
    (d / "nolabel.csv").write_text("x\n1\n2\n")
    (d / "wrongdim.csv").write_text("x,y,label\n1,2,0\n")
    return d


def run(capsys, *args):
    code = main(list(map(str, args)))
    out, err = capsys.readouterr()
    return code, out, err


def test_verified_json_is_the_only_stdout(files, capsys):
    code, out, err = run(capsys, "verify", files / "net.json", files / "pts.csv", "--json")
    assert code == 0
    doc = json.loads(out)
    for key in ("verified", "refuted", "inconclusive", "max_bits", "seconds", "points"):
        assert key in doc
    assert doc["verified"] == 29 and doc["refuted"] == doc["inconclusive"] == 0
    assert doc["points"][0]["verdict"] == "VERIFIED" and doc["points"][0]["margin"] is not None
    assert err == ""  # no progress bar: stderr is not a terminal here (tests/test_cli_progress.py)


def test_poisoned_network_exits_1(files, capsys):
    code, out, err = run(capsys, "verify", files / "poisoned.json", files / "pts.csv", "-q")
    assert code == 1
    assert "REFUTED" in out and "refuted" in err


def test_max_bits_16_exits_2(files, capsys):
    code, out, _ = run(capsys, "verify", files / "net.json", files / "pts.csv", "--max-bits", "16", "--json", "-q")
    assert code == 2
    assert json.loads(out)["inconclusive"] == 29


@pytest.mark.parametrize("args", [
    ["verify", "{d}/net.json", "{d}/nolabel.csv"],
    ["verify", "{d}/net.json", "{d}/wrongdim.csv"],
    ["verify", "{d}/missing.json", "{d}/pts.csv"],
    ["verify", "{d}/net.json"],
    ["verify", "{d}/net.json", "{d}/pts.csv", "--backend", "float"],
    ["verify", "{d}/net.json", "{d}/pts.csv", "--max-bits", "1"],
    ["verify", "--replay", "{d}/missing-cert.json"],
])
def test_bad_input_exits_3(files, capsys, args):
    code, out, err = run(capsys, *[a.format(d=files) for a in args])
    assert code == 3
    assert "Traceback" not in err and err.strip()


def test_certificate_and_replay(files, capsys, tmp_path):
    cert = tmp_path / "cert.json"
    code, out, _ = run(capsys, "verify", files / "poisoned.json", files / "pts.csv", "--certificate", cert, "-q",
                       "--json")
    assert code == 1 and json.loads(out)["certificate"] == str(cert)
    code, out, _ = run(capsys, "verify", "--replay", cert)
    assert code == 0 and "accepted" in out
    code, out, _ = run(capsys, "verify", "--replay", cert, "--json")
    assert code == 0 and json.loads(out)["accepted"] is True
    doc = json.loads(cert.read_text())
    doc["entries"][1]["verdict"] = "REFUTED" if doc["entries"][1]["verdict"] == "VERIFIED" else "VERIFIED"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc))
    code, out, _ = run(capsys, "verify", "--replay", tampered)
    assert code == 1 and "REJECTED" in out
    (tmp_path / "junk.json").write_text("{not json")
    code, _, err = run(capsys, "verify", "--replay", tmp_path / "junk.json")
    assert code == 3 and "malformed" in err


def test_backends_from_the_command_line(files, capsys):
    for backend in ("interval", "arb"):
        code, out, _ = run(capsys, "verify", files / "net.json", files / "pts.csv", "--backend", backend, "--json",
                           "-q")
        assert code in (0, 2)
        assert json.loads(out)["backend"] == backend
