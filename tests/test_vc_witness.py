"""Witness files (FORMATS.md ``lnnet-witness``) and ``verify_witness``: round trips, tampering, bad files.

Every tampered witness below is built by editing a correct one in a way
that must break it (a flipped label, a missing labelling, a wrong
threshold, too many layers, a wider network), so each test can fail.
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest

from lnnet_construct.cli.main import main
from lnnet_construct.errors import WitnessFormatError
from lnnet_construct.fold import fold_network
from lnnet_construct.io.witness import (Labelling, Witness, dumps_witness, load_witness, loads_witness,
                                        save_witness, witness_to_dict)
from lnnet_construct.network import Affine, LayerNorm, Network
from lnnet_construct.theory.vc import baseline_witness, paper_fold_plan, verify_witness


@pytest.fixture(scope="module")
def w2():
    return baseline_witness(2)


@pytest.fixture(scope="module")
def w2_doc(w2):
    return json.loads(dumps_witness(w2))


def _load_doc(doc, tmp_path, name="w.json"):
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return p


# ----------------------------------------------------------------------------- round trips


def test_round_trip_is_exact_and_byte_stable(w2, tmp_path):
    p = tmp_path / "w.json"
    save_witness(w2, p)
    back = load_witness(p)
    assert back.depth == w2.depth and back.points == w2.points
    assert [lab.labels for lab in back.labellings] == [lab.labels for lab in w2.labellings]
    assert all(a.network == b.network for a, b in zip(back.labellings, w2.labellings))
    assert dumps_witness(back) == p.read_text()


def test_fast_writer_equals_network_to_dict(w2):
    """Lazily held networks are written from their layers; the text must equal the full writer's."""
    from lnnet_construct.io.network_file import network_to_dict

    lazy = dumps_witness(w2)
    built = Witness(w2.depth, w2.points, [Labelling(lab.labels, lab.network) for lab in w2.labellings], w2.meta)
    assert dumps_witness(built) == lazy
    doc = json.loads(lazy)
    assert doc["labellings"][7]["network"] == json.loads(json.dumps(network_to_dict(w2.labellings[7].network)))


def test_document_shape_matches_formats_md(w2_doc):
    assert w2_doc["format"] == "lnnet-witness" and w2_doc["version"] == 1 and w2_doc["depth"] == 2
    assert w2_doc["points"] == [["0"], ["1"], ["2"], ["3"]]
    assert len(w2_doc["labellings"]) == 16
    entry = w2_doc["labellings"][5]
    assert set(entry) == {"labels", "network"} and entry["labels"] == [0, 1, 0, 1]
    assert entry["network"]["format"] == "lnnet" and entry["network"]["classes"] == [0, 1]
    # every number is an exact string
    for layer in entry["network"]["layers"]:
        for row in layer.get("weight", []):
            assert all(isinstance(v, str) for v in row)


def test_baseline_networks_are_the_fold_networks_of_their_plans(w2):
    for lab in w2.labellings:
        if lab.labels[-1] == 0:  # the complement reuses the plan with the read-out flipped
            folds, readout = paper_fold_plan([0, 1, 2, 3], lab.labels, 2)
            assert lab.network == fold_network([1], folds, readout, classes=[0, 1])


def test_in_memory_witness_from_networks(w2):
    nets = [Labelling(lab.labels, lab.network) for lab in w2.labellings]
    rep = verify_witness(Witness(2, w2.points, nets))
    assert rep.status == "certified" and rep.exit_code == 0


# ----------------------------------------------------------------------------- tampering is refuted


def test_flipped_label_is_refuted(w2_doc, tmp_path):
    doc = copy.deepcopy(w2_doc)
    doc["labellings"][6]["labels"][1] ^= 1
    rep = verify_witness(_load_doc(doc, tmp_path))
    assert rep.status == "refuted" and rep.exit_code == 1
    # the labelling is now duplicated (and another is missing), and the network misclassifies
    assert any("equal" in p for p in rep.problems)
    assert any(f["labelling"] == 6 and f["point"] == 1 and f["verdict"] == "REFUTED" for f in rep.failures)


def test_missing_labelling_is_refuted(w2_doc, tmp_path):
    doc = copy.deepcopy(w2_doc)
    del doc["labellings"][3]
    rep = verify_witness(_load_doc(doc, tmp_path))
    assert rep.status == "refuted" and any("2^4 = 16" in p for p in rep.problems)


def test_swapped_networks_are_refuted(w2_doc, tmp_path):
    doc = copy.deepcopy(w2_doc)
    a, b = doc["labellings"][5], doc["labellings"][9]
    a["network"], b["network"] = b["network"], a["network"]
    rep = verify_witness(_load_doc(doc, tmp_path))
    assert rep.status == "refuted" and not rep.problems
    assert {f["labelling"] for f in rep.failures} == {5, 9}


def test_wrong_threshold_is_refuted_rigorously(w2):
    # move the threshold of one network far above every value: all points become class 0
    lab = w2.labellings[5]
    net = lab.network
    out = net.layers[-1]
    orient = 1 if out.weight[0][0] > 0 else -1
    bad = net.with_layers(net.layers[:-1] + (Affine(out.weight, [-orient * 100]),))
    labs = list(w2.labellings)
    labs[5] = Labelling(lab.labels, bad)
    rep = verify_witness(Witness(2, w2.points, labs))
    assert rep.status == "refuted"
    wrong = {i for i, v in enumerate(lab.labels) if v != (1 if orient < 0 else 0)}
    assert {f["point"] for f in rep.failures} == wrong


def test_too_deep_or_too_wide_is_refuted(w2):
    labs = list(w2.labellings)
    net = labs[0].network
    deeper = net.with_layers(net.layers[:-1] + (Affine([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 1]), LayerNorm())
                             + net.layers[-1:])
    labs[0] = Labelling(labs[0].labels, deeper)
    rep = verify_witness(Witness(2, w2.points, labs))
    assert rep.status == "refuted" and any("3 LayerNorm layers" in p for p in rep.problems)
    wide = Network(1, [Affine([[1], [2], [3], [4]], [0, 0, 0, 1]), LayerNorm(), Affine([[0, 0, 0, 0]], [-1])],
                   classes=[0, 1])
    labs = list(w2.labellings)
    labs[0] = Labelling(labs[0].labels, wide)
    rep = verify_witness(Witness(2, w2.points, labs))
    assert rep.status == "refuted" and any("width 4" in p for p in rep.problems)


def test_equal_points_are_refuted(w2):
    pts = list(w2.points)
    pts[3] = pts[2]
    assert verify_witness(Witness(2, pts, w2.labellings)).status == "refuted"


def _argmax_net(shift):
    # class 1 iff y_0 > 0 iff t > shift (z = (t - shift, shift - t, 0) is centred)
    return Network(1, [Affine([[1], [-1], [0]], [-shift, shift, 0]), LayerNorm(),
                       Affine([[-1, 0, 0], [1, 0, 0]], [0, 0])], classes=[0, 1], decision="argmax")


@pytest.mark.parametrize("shift, wrong", [(Fraction(3, 2), set()), (Fraction(5, 2), {2}), (Fraction(2), {2})])
def test_generic_networks_take_the_general_verifier(w2, shift, wrong):
    """A nearest-centre (argmax) network is not a plain chain: it must go to verify()."""
    labs = list(w2.labellings)
    k = next(i for i, lab in enumerate(labs) if lab.labels == (0, 0, 1, 1))
    labs[k] = Labelling(labs[k].labels, _argmax_net(shift))
    rep = verify_witness(Witness(2, w2.points, labs))
    assert rep.counts["networks_generic"] == 1
    if not wrong:
        assert rep.status == "certified"
    else:  # shift 2 puts point 2 exactly on the boundary: zero variance, REFUTED as well
        assert rep.status == "refuted" and {f["point"] for f in rep.failures} == wrong
        assert all(f["labelling"] == k for f in rep.failures)


def test_algebraic_parameters_go_through_the_full_reader(w2_doc, tmp_path):
    doc = copy.deepcopy(w2_doc)
    entry = doc["labellings"][0]  # labels 0000: constant output; bias -1 -> -sqrt(2)
    entry["network"]["layers"][-1]["bias"] = ["-sqrt(2)"]
    w = load_witness(_load_doc(doc, tmp_path))
    assert w.labellings[0].layer_specs()[-1][2][0].__class__.__name__ == "Expr"
    rep = verify_witness(w)
    assert rep.status == "certified" and rep.counts["networks_generic"] == 1


# ----------------------------------------------------------------------------- malformed files


def _mutations():
    def set_(path, value):
        def f(doc):
            obj = doc
            for k in path[:-1]:
                obj = obj[k]
            obj[path[-1]] = value
        return f

    def delete(path):
        def f(doc):
            obj = doc
            for k in path[:-1]:
                obj = obj[k]
            del obj[path[-1]]
        return f

    return {
        "float point": (set_(["points", 1, 0], 1.5), "JSON float"),
        "bad number": (set_(["points", 1, 0], "1/0"), "points[1][0]"),
        "ragged points": (set_(["points", 2], ["2", "0"]), "points[2]"),
        "no points": (set_(["points"], []), "points"),
        "format": (set_(["format"], "lnnet"), "format"),
        "version": (set_(["version"], 2), "version"),
        "unknown key": (set_(["extra"], 1), "unknown key"),
        "missing labellings": (delete(["labellings"]), "labellings"),
        "negative depth": (set_(["depth"], -1), "depth"),
        "bool depth": (set_(["depth"], True), "depth"),
        "labels length": (set_(["labellings", 3, "labels"], [0, 1]), "labels"),
        "bool label": (set_(["labellings", 3, "labels", 0], True), "labels[0]"),
        "float label": (set_(["labellings", 3, "labels", 0], 0.0), "labels[0]"),
        "entry key": (set_(["labellings", 3, "extra"], 1), "unknown key"),
        "network layer": (set_(["labellings", 3, "network", "layers", 1, "type"], "relu"), "relu"),
        "network float weight": (set_(["labellings", 3, "network", "layers", 0, "weight", 0, 0], 1.0), "JSON float"),
        "network bad bias": (set_(["labellings", 3, "network", "layers", 0, "bias", 0], "x"), "bias[0]"),
        "network negative eps": (set_(["labellings", 3, "network", "layers", 1, "eps"], "-1"), "eps"),
        "network shapes": (set_(["labellings", 3, "network", "layers", 2, "weight"], [["1", "1"]]), "network"),
    }


@pytest.mark.parametrize("name", sorted(_mutations()))
def test_malformed_witness_is_refused_with_one_line(name, w2_doc, tmp_path):
    mutate, needle = _mutations()[name]
    doc = copy.deepcopy(w2_doc)
    mutate(doc)
    p = _load_doc(doc, tmp_path)
    with pytest.raises(WitnessFormatError) as exc:
        load_witness(p)
    msg = str(exc.value)
    assert "\n" not in msg and str(p) in msg and needle in msg, msg


def test_json_float_is_not_confused_with_a_string_in_shared_weights(w2_doc, tmp_path):
    """The weight-matrix cache must not let a JSON float 1.0 pass as the string "1" seen before."""
    doc = copy.deepcopy(w2_doc)
    doc["labellings"][-1]["network"]["layers"][2]["weight"][0][0] = 1.0
    with pytest.raises(WitnessFormatError, match="JSON float"):
        load_witness(_load_doc(doc, tmp_path))


@pytest.mark.parametrize("text, needle", [("", "empty"), ("{", "malformed JSON"), ("[]", "JSON object"),
                                          ('{"format": "lnnet-witness", "version": 1, "depth": 0, '
                                           '"points": [["0"]], "labellings": [], "depth": NaN}', "malformed JSON")])
def test_unparsable_files(text, needle, tmp_path):
    p = tmp_path / "w.json"
    p.write_text(text)
    with pytest.raises(WitnessFormatError, match=needle):
        load_witness(p)


def test_loads_and_dict_round_trip(w2):
    doc = witness_to_dict(w2)
    w = loads_witness(json.dumps(doc), "mem")
    assert [lab.network for lab in w.labellings] == [lab.network for lab in w2.labellings]


# ----------------------------------------------------------------------------- CLI verify mode


def test_cli_verify_exit_codes(w2, w2_doc, tmp_path, capsys):
    good = tmp_path / "good.json"
    save_witness(w2, good)
    assert main(["shatter", "--verify", str(good), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "certified" and out["n_points"] == 4 and out["witness"] == str(good)
    doc = copy.deepcopy(w2_doc)
    doc["labellings"][6]["labels"][1] ^= 1
    bad = _load_doc(doc, tmp_path, "bad.json")
    assert main(["shatter", "--verify", str(bad), "--quiet"]) == 1
    assert "refuted" in capsys.readouterr().out
    doc = copy.deepcopy(w2_doc)
    doc["points"][0][0] = 0.5
    broken = _load_doc(doc, tmp_path, "broken.json")
    assert main(["shatter", "--verify", str(broken), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "JSON float" in err and "Traceback" not in err


def test_witness_rejects_negative_depth():
    with pytest.raises(WitnessFormatError):
        Witness(-1, [[0]], [])


def test_labelling_needs_exactly_one_source():
    with pytest.raises(ValueError):
        Labelling((0,))
    net = fold_network([1], [], ("constant", 0), classes=[0, 1])
    assert Labelling((0,), net).network is net
    assert Fraction(0) == Labelling((0,), net).layer_specs()[-1][1][0][0]
