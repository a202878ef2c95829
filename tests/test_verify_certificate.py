"""Certificates: the replay checker accepts what the verifier writes and rejects tampering.

The replay checker (``lnnet_construct/verify/replay.py``) must run with the
standard library alone: it is executed here in a subprocess in which numpy,
flint, mpmath, sympy and the rest of ``lnnet_construct`` cannot be imported.
"""

import ast
import copy
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lnnet_construct.network import Affine, LayerNorm, Network
from lnnet_construct.verify import verify
from lnnet_construct.verify.certificate import build_certificate, write_certificate
from lnnet_construct.verify.replay import replay_certificate
from lnnet_construct.verify.testnets import paper_fold_network, poison_network, rational_zero_network
from netzoo import ZOO, grid_points, oracle_class

REPLAY = Path(__file__).resolve().parent.parent / "lnnet_construct" / "verify" / "replay.py"


@pytest.fixture(scope="module")
def chain_case():
    labels = [0, 1, 1, 0, 1, 0, 0, 1, 0, 1]
    net = paper_fold_network(range(10), labels)
    pts = [[t] for t in range(10)]
    labs = list(labels)
    labs[3] = 1  # one wrong label: a REFUTED entry
    pts.append([Fraction(1, 2)])
    labs.append("cat")  # not a class
    rep = verify(net, pts, labs)
    return net, pts, labs, rep, build_certificate(rep, net, pts, labs)


@pytest.fixture(scope="module")
def generic_case():
    net = ZOO["argmax3"]()
    pts = grid_points(2)[:15]
    labs = [oracle_class(net, p) or "red" for p in pts]
    labs[2] = "blue" if labs[2] != "blue" else "green"
    rep = verify(net, pts, labs)
    return net, pts, labs, rep, build_certificate(rep, net, pts, labs)


def test_replay_accepts_chain_and_generic_certificates(chain_case, generic_case):
    for net, pts, labs, rep, cert in (chain_case, generic_case):
        res = replay_certificate(cert)
        assert res.accepted, res.summary()
        assert res.checked == len(pts) - rep.inconclusive
        assert res.exit_code == 0
    assert chain_case[4]["mode"] == "chain" and generic_case[4]["mode"] == "generic"
    assert chain_case[3].refuted == 2 and generic_case[3].refuted >= 1


def test_replay_accepts_poisoned_zero_and_deep_certificates():
    labels = [i % 2 for i in range(22)]
    net = paper_fold_network(range(22), labels)
    pts = [[t] for t in range(22)]
    bad, i, _ = poison_network(net, pts, labels, Fraction(1, 10**50))
    rep = verify(bad, pts, labels)
    cert = build_certificate(rep, bad, pts, labels)
    assert replay_certificate(cert).accepted
    assert cert["entries"][i]["verdict"] == "REFUTED" and cert["entries"][i]["bits"] >= 150
    zero, pt = rational_zero_network(12)
    rep = verify(zero, [pt], ["pos"])
    res = replay_certificate(build_certificate(rep, zero, [pt], ["pos"]))
    assert res.accepted and res.checked == 1
    rep = verify(net, pts, labels, max_bits=16)  # all inconclusive: nothing to check, nothing false
    res = replay_certificate(build_certificate(rep, net, pts, labels))
    assert res.accepted and res.checked == 0


def _tampered(cert, edit):
    c = copy.deepcopy(cert)
    edit(c)
    return replay_certificate(c)


def _first(cert, verdict):
    return next(i for i, e in enumerate(cert["entries"]) if e["verdict"] == verdict and "enclosures" in e)


def _shift(text, delta):
    from lnnet_construct.numbers import format_number, parse_number

    return format_number(parse_number(text) + delta)


def test_replay_rejects_tampering_in_chain_certificates(chain_case):
    cert = chain_case[4]
    v = _first(cert, "VERIFIED")
    r = _first(cert, "REFUTED")

    def weight(c):
        c["network"]["layers"][2]["bias"][0] = _shift(c["network"]["layers"][2]["bias"][0], Fraction(1, 100))

    def point(c):
        c["points"][v][0] = _shift(c["points"][v][0], Fraction(1, 3))

    def label(c):
        c["labels"][v] = [x for x in c["network"]["classes"] if str(x) != c["labels"][v]][0]

    def verdict_v(c):
        c["entries"][v]["verdict"] = "REFUTED"

    def verdict_r(c):
        c["entries"][r]["verdict"] = "VERIFIED"

    def enclosure_shift(c):
        lo, hi = c["entries"][v]["enclosures"][3]
        c["entries"][v]["enclosures"][3] = [_shift(lo, Fraction(1, 10**6)), _shift(hi, Fraction(1, 10**6))]

    def enclosure_widen_last(c):
        lo, hi = c["entries"][v]["enclosures"][-1]
        c["entries"][v]["enclosures"][-1] = [_shift(lo, -10), _shift(hi, 10)]

    def enclosure_drop(c):
        c["entries"][v]["enclosures"].pop()

    def summary(c):
        c["summary"]["verified"] += 1

    def bad_label_verified(c):
        c["entries"][-1]["verdict"] = "VERIFIED"

    edits = [weight, point, label, verdict_v, verdict_r, enclosure_shift, enclosure_widen_last,
             enclosure_drop, summary, bad_label_verified]
    for edit in edits:
        res = _tampered(cert, edit)
        assert not res.accepted and res.exit_code == 1 and not res.malformed, edit.__name__
        assert res.failures, edit.__name__


def test_replay_rejects_tampering_in_generic_certificates(generic_case):
    cert = generic_case[4]
    v = _first(cert, "VERIFIED")

    def weight(c):
        row = c["network"]["layers"][-1]["weight"][0]
        row[0] = _shift(row[0], Fraction(7, 3))
        row[1] = _shift(row[1], Fraction(-5, 2))

    def box(c):
        lo, hi = c["entries"][v]["enclosures"][0][1]
        c["entries"][v]["enclosures"][0][1] = [_shift(lo, Fraction(1, 10**9)), _shift(lo, Fraction(2, 10**9))]

    def verdict(c):
        c["entries"][v]["verdict"] = "REFUTED"

    def point(c):
        c["points"][v] = [_shift(x, Fraction(1, 2)) for x in c["points"][v]]

    for edit in (weight, box, verdict, point):
        res = _tampered(cert, edit)
        assert not res.accepted and not res.malformed, edit.__name__


@pytest.mark.parametrize("edit", [
    lambda c: c.update(format="other"),
    lambda c: c.update(mode="magic"),
    lambda c: c["points"][0].__setitem__(0, "__import__('os').system('true')"),
    lambda c: c["points"][0].__setitem__(0, 0.5),
    lambda c: c["entries"][0].update(bits=10**9),
    lambda c: c["entries"][0].update(enclosures=[["1", "0"]]),
    lambda c: c["network"]["layers"].append({"type": "relu"}),
    lambda c: c["labels"].pop(),
])
def test_replay_flags_malformed_certificates(chain_case, edit):
    res = _tampered(chain_case[4], edit)
    assert res.malformed and res.exit_code == 3 and not res.accepted


def test_replay_module_uses_only_the_standard_library():
    tree = ast.parse(REPLAY.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add(node.module.split(".")[0])
    assert imported <= {"json", "math", "sys", "fractions", "__future__"}, imported


def test_replay_runs_with_heavy_modules_blocked(tmp_path, chain_case):
    net, pts, labs, rep, _ = chain_case
    good = tmp_path / "cert.json"
    write_certificate(rep, net, pts, labs, good)
    bad = tmp_path / "bad.json"
    doc = json.loads(good.read_text())
    doc["entries"][0]["verdict"] = "REFUTED" if doc["entries"][0]["verdict"] == "VERIFIED" else "VERIFIED"
    bad.write_text(json.dumps(doc))
    script = (
        "import sys\n"
        "for name in ('numpy', 'flint', 'mpmath', 'sympy', 'lnnet_construct', 'networkx', 'scipy'):\n"
        "    sys.modules[name] = None\n"
        "import runpy\n"
        "sys.argv = ['replay.py', sys.argv[1]]\n"
        "runpy.run_path(%r, run_name='__main__')\n" % str(REPLAY)
    )
    for path, want in ((good, 0), (bad, 1)):
        proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)
        assert proc.returncode == want, proc.stderr
        assert ("accepted" if want == 0 else "REJECTED") in proc.stdout


def test_generic_certificate_for_layernorm_affine_groups_and_algebraic_numbers():
    for name in ("grouped", "ln_affine", "algebraic", "eps_decimal"):
        net = ZOO[name]()
        pts = grid_points(net.input_dim)[:8]
        labs = [oracle_class(net, p) or net.classes[0] for p in pts]
        rep = verify(net, pts, labs)
        cert = build_certificate(rep, net, pts, labs)
        assert cert["mode"] == "generic"
        assert replay_certificate(cert).accepted, name


def test_zero_variance_certificate():
    net = Network(1, [Affine([[1], [2], [3]], [2, 4, 6]), LayerNorm(), Affine([[1, 0, -1]], ["1/10"])],
                  ["neg", "pos"])
    rep = verify(net, [[-2], [3]], ["neg", "neg"])
    cert = build_certificate(rep, net, [[-2], [3]], ["neg", "neg"])
    assert cert["entries"][0]["verdict"] == "REFUTED"
    res = replay_certificate(cert)
    assert res.accepted and res.checked == 2


_atoms = st.one_of(
    st.integers(0, 10**6).map(str),
    st.tuples(st.integers(0, 999), st.integers(0, 999)).map(lambda t: f"{t[0]}.{t[1]:03d}"),
    st.tuples(st.integers(1, 99), st.integers(-30, 30)).map(lambda t: f"{t[0]}e{t[1]}"),
)


@st.composite
def _expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(_atoms)
    kind = draw(st.sampled_from(["+", "-", "*", "/", "neg", "sqrt", "paren"]))
    a = draw(_expressions(depth=depth - 1))
    if kind == "neg":
        return f"-{a}"
    if kind == "sqrt":
        return f"sqrt({a})"
    if kind == "paren":
        return f"({a})"
    b = draw(_expressions(depth=depth - 1))
    return f"{a} {kind} {b}"


@given(_expressions())
@example("sqrt(8)*sqrt(2) - 4")
@example("1/3 - 0.333")
@example("-(-2.5e-3)")
def test_replay_parser_agrees_with_the_package_parser(text):
    from lnnet_construct.errors import NumberFormatError
    from lnnet_construct.numbers import Expr, parse_number
    from lnnet_construct.verify import replay

    try:
        want = parse_number(text)
    except NumberFormatError:
        with pytest.raises(replay.CertificateMalformed):
            got = replay.parse_number(text)
            replay._num_iv(got, 64, {})  # a negative square root may only show when evaluated
        return
    except ZeroDivisionError:
        return
    try:
        got = replay.parse_number(text)
        lo, hi = replay._num_iv(got, 200, {})
    except (replay.CertificateMalformed, replay._Undecided):
        # the package parser keeps sqrt(negative expression) unevaluated; the replay parser may refuse it
        assert isinstance(want, Expr)
        return
    if isinstance(want, Fraction):
        assert isinstance(got, Fraction) and got == want
    else:
        from lnnet_construct.verify.batch import exact_bounds

        wlo, whi = exact_bounds(want, 300)
        assert lo <= whi and wlo <= hi  # both enclose the same number
        assert hi - lo <= Fraction(1, 2**150) * (1 + abs(lo))


def test_replay_accepts_and_rejects_certificates_of_tilted_chains():
    from lnnet_construct.construct.realise import Readout, realise
    from lnnet_construct.construct.tracker import Fold

    folds = [Fold(Fraction(1), Fraction(1, 2), Fraction(1), Fraction(2)), Fold(Fraction(3), Fraction(1), Fraction(1), Fraction(-1, 3))]
    net = realise([Fraction(1)], folds, Readout("sign", (Fraction(2), 1), (0, 1)), ["neg", "pos"])
    pts = [[Fraction(t, 4)] for t in range(-8, 16)]
    labs = [oracle_class(net, p) for p in pts]
    labs[5] = "neg" if labs[5] == "pos" else "pos"  # one wrong label: REFUTED
    rep = verify(net, pts, labs)
    assert rep.refuted == 1 and rep.verified == len(pts) - 1
    cert = build_certificate(rep, net, pts, labs)
    assert cert["mode"] == "chain"
    assert replay_certificate(cert).accepted
    v = _first(cert, "VERIFIED")

    def label(c):
        c["labels"][v] = [x for x in c["network"]["classes"] if str(x) != c["labels"][v]][0]

    def enclosure_shift(c):
        lo, hi = c["entries"][v]["enclosures"][1]
        c["entries"][v]["enclosures"][1] = [_shift(lo, Fraction(1, 10**6)), _shift(hi, Fraction(1, 10**6))]

    def tilt(c):  # the second affine layer is v1 r^T with r = v2 + 2 v1 = (3, -1, -2): tilt it to 2.1
        w = c["network"]["layers"][2]["weight"]
        for row, sign in ((0, 1), (1, -1)):
            w[row][0] = _shift(w[row][0], sign * Fraction(1, 10))
            w[row][1] = _shift(w[row][1], -sign * Fraction(1, 10))

    for edit in (label, enclosure_shift, tilt):
        res = _tampered(cert, edit)
        assert not res.accepted and res.failures, edit.__name__
