"""Network file format v1: strict refusal of malformed files, byte-stable round trips."""

import json
import subprocess
import sys

import pytest

from lnnet_construct.errors import NetworkFormatError
from lnnet_construct.io import dumps_network, load_network, loads_network, network_from_dict, network_to_dict, save_network

from netzoo import ZOO


def _doc(**over):
    doc = {
        "format": "lnnet", "version": 1, "input_dim": 2, "classes": ["neg", "pos"], "decision": "sign",
        "layers": [
            {"type": "affine", "weight": [["1", "-2"], ["0", "1/3"], ["5", "0"]], "bias": ["0", "1", "-1"]},
            {"type": "layernorm", "eps": "0", "groups": 1},
            {"type": "affine", "weight": [["1", "1", "-2"]], "bias": ["-3/2"]},
        ],
        "meta": {"method": "hand"},
    }
    doc.update(over)
    return doc


def _with_layer(i, **fields):
    doc = _doc()
    doc["layers"][i] = {**doc["layers"][i], **fields}
    return doc


BAD = {
    "unknown layer type": _with_layer(1, type="relu"),
    "shape mismatch": _with_layer(2, weight=[["1", "1"]]),
    "ragged weight": _with_layer(0, weight=[["1", "-2"], ["0"], ["5", "0"]]),
    "bias length": _with_layer(0, bias=["0", "1"]),
    "groups not dividing": _with_layer(1, groups=2),
    "groups zero": _with_layer(1, groups=0),
    "negative eps": _with_layer(1, eps="-1/100"),
    "negative algebraic eps": _with_layer(1, eps="1 - sqrt(2)"),
    "code in number": _with_layer(2, bias=["__import__('os').system('touch PWNED')"]),
    "eval in number": _with_layer(0, bias=["eval('1')", "1", "1"]),
    "nan": _with_layer(2, bias=["nan"]),
    "wrong format": _doc(format="onnx"),
    "wrong version": _doc(version=2),
    "classes mismatch": _doc(classes=["a", "b", "c"]),
    "decision": _doc(decision="max"),
    "input_dim": _doc(input_dim=3),
    "missing layers": {k: v for k, v in _doc().items() if k != "layers"},
    "extra key": _doc(extra=1),
    "layer not object": _doc(layers=[1]),
    "LN weight length": _with_layer(1, weight=["1", "1"]),
    "duplicate classes": _doc(classes=["a", "a"]),
    "boolean number": _with_layer(2, bias=[True]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_documents_are_refused(case):
    with pytest.raises(NetworkFormatError):
        network_from_dict(BAD[case], "n.json")


def test_json_floats_and_constants_are_refused(tmp_path):
    text = json.dumps(_doc()).replace('"-3/2"', "-1.5")
    with pytest.raises(NetworkFormatError, match="JSON float"):
        loads_network(text, "n.json")
    for bad in ('"bias": [NaN]', '"bias": [Infinity]'):
        t = json.dumps(_doc()).replace('"bias": ["-3/2"]', bad)
        with pytest.raises(NetworkFormatError, match="malformed JSON"):
            loads_network(t, "n.json")
    with pytest.raises(NetworkFormatError, match="malformed JSON"):
        loads_network('{"format": "lnnet",', "n.json")
    p = tmp_path / "empty.json"
    p.write_text("")
    with pytest.raises(NetworkFormatError, match="empty"):
        load_network(p)


def test_json_integers_are_accepted():
    doc = _doc()
    doc["layers"][0]["weight"] = [[1, -2], [0, "1/3"], [5, 0]]
    net = network_from_dict(doc)
    assert net.layers[0].weight[0][1] == -2


@pytest.mark.parametrize("name", sorted(ZOO))
def test_round_trip_is_byte_stable(name, tmp_path):
    net = ZOO[name]()
    text = dumps_network(net)
    again = loads_network(text)
    assert again == net
    assert dumps_network(again) == text
    p = tmp_path / "n.json"
    save_network(net, p)
    assert p.read_text() == text
    assert load_network(p) == net


def test_saved_files_validate_against_the_shipped_schema():
    import jsonschema

    from lnnet_construct.io.network_file import network_schema

    for name in ZOO:
        jsonschema.validate(json.loads(dumps_network(ZOO[name]())), network_schema())
    assert network_to_dict(ZOO["grouped"]())["layers"][1]["groups"] == 3


@pytest.mark.parametrize("case", ["code in number", "unknown layer type", "negative eps", "shape mismatch"])
def test_cli_refuses_with_one_line_and_exit_3(case, tmp_path):
    net = tmp_path / "bad.json"
    net.write_text(json.dumps(BAD[case]))
    pts = tmp_path / "p.csv"
    pts.write_text("x,y,label\n1,2,pos\n")
    r = subprocess.run([sys.executable, "-m", "lnnet_construct", "predict", str(net), str(pts)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 3
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert "bad.json" in lines[0]
    assert not (tmp_path / "PWNED").exists()


def test_a_too_long_number_is_named_with_its_place_and_length():
    # the message once was the layer's repr cut at 160 characters, without the reason
    doc = _with_layer(2, bias=["1" * 100_001])
    with pytest.raises(NetworkFormatError) as err:
        network_from_dict(doc, "n.json")
    assert str(err.value) == "n.json: layers[2].bias[0]: a number string of 100001 characters (at most 100000)"
