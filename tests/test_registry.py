"""The theorem registry: every id present with its proof file, sane metadata, and checkers that CAN fail.

The "can fail" tests feed each checker a deliberately false ingredient (a
monkeypatched package function returning a wrong value, or an instance
outside the theorem's hypothesis) and require the verdict ``fails``; an
undecidable ingredient must give ``inconclusive``, never ``holds``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from fractions import Fraction

import pytest

from lnnet_construct.errors import ArithmeticUndecided, InputError
from lnnet_construct.theory import registry as reg
from lnnet_construct.theory.checks import _support

REQUIRED = (
    "ln-circle", "lssr-affine-invariance", "lssr-ln-breaks", "thm-binary", "thm-multiclass", "vc-lower-bound",
    "lng-hessian", "ln-rmsnorm-fold", "ln-lipschitz", "ln2-sign", "ln-one-stationary", "gram-isometry",
    "fold-chain-sign-changes", "vc-upper-bound", "vc-line-width3",
)
PROOFS = reg.proofs_dir()


def _construct_available() -> bool:
    try:
        from lnnet_construct.construct import build  # noqa: F401
    except ImportError:
        return False
    return True


needs_construct = pytest.mark.skipif(not _construct_available(), reason="lnnet_construct.construct.build not available")


# ----------------------------------------------------------------------------- registry contents


def test_all_required_ids_in_order():
    assert reg.theorem_ids() == REQUIRED


@pytest.mark.parametrize("tid", REQUIRED)
def test_metadata(tid):
    t = reg.get_theorem(tid)
    assert t.id == tid and t.proof == f"proofs/{tid}.md"
    assert t.mode in ("exact", "rigorous")
    assert len(t.statement) > 60 and t.formula and t.title
    assert t.source.split()[0] in ("paper", "ours")
    names = [p.name for p in t.params]
    assert len(names) == len(set(names)) and set(names) <= {"m", "L", "d", "K", "seed", "eps"}
    for p in t.params:
        assert (p.minimum is None or p.default >= p.minimum) and (p.maximum is None or p.default <= p.maximum)
    json.dumps(t.to_json())


@pytest.mark.skipif(not PROOFS.is_dir(), reason="proofs/ has not been written yet")
@pytest.mark.parametrize("tid", REQUIRED)
def test_proof_file_exists_and_names_the_theorem(tid):
    path = PROOFS / f"{tid}.md"
    assert path.is_file(), f"missing {path}"
    text = path.read_text(encoding="utf-8")
    assert f"`{tid}`" in text or tid in text.splitlines()[0]


@pytest.mark.skipif(not (PROOFS / "README.md").is_file(), reason="proofs/README.md has not been written yet")
@pytest.mark.parametrize("tid", REQUIRED)
def test_source_agrees_with_proofs_index(tid):
    """The registry's 'paper'/'ours' tag is the one the proofs index gives (first word of the source column)."""
    rows = [r for r in (PROOFS / "README.md").read_text(encoding="utf-8").splitlines() if r.startswith(f"| `{tid}`")]
    assert len(rows) == 1
    source_cell = rows[0].rstrip("|").split("|")[-1].strip()
    assert reg.get_theorem(tid).source.split()[0] == source_cell.split()[0]


def test_unknown_id_lists_valid_ids():
    with pytest.raises(InputError) as e:
        reg.get_theorem("ln-cirle")
    msg = str(e.value)
    assert "\n" not in msg and all(tid in msg for tid in REQUIRED)


# ----------------------------------------------------------------------------- parameters


def test_parameters_validated():
    t = reg.get_theorem("ln2-sign")
    assert t.resolve_params() == {"m": 6, "seed": 0}
    assert t.resolve_params(m=2, L=None) == {"m": 2, "seed": 0}
    with pytest.raises(InputError, match="does not use --L"):
        t.resolve_params(L=3)
    with pytest.raises(InputError, match=r"outside \[1, 100\]"):
        t.resolve_params(m=0)
    with pytest.raises(InputError, match="integer"):
        t.resolve_params(m=True)
    with pytest.raises(InputError, match="integer"):
        t.resolve_params(m="3")
    with pytest.raises(InputError, match="at least K points"):
        reg.get_theorem("thm-multiclass").run(m=3, K=4)


def test_instances_are_seeded():
    t = reg.get_theorem("lssr-affine-invariance")
    a, b, c = t.instance(seed=1), t.instance(seed=1), t.instance(seed=2)
    assert a["x1"] == b["x1"] and a["maps"] == b["maps"]
    assert (a["x1"], a["x2"]) != (c["x1"], c["x2"])
    r1, r2 = t.run(seed=1), t.run(seed=1)
    assert r1.evidence == r2.evidence


def test_result_json_is_exact_text():
    r = reg.run_check("lssr-affine-invariance", m=6, d=2, seed=4)
    doc = r.to_json()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["id"] == "lssr-affine-invariance" and doc["status"] == "holds" and doc["exit_code"] == 0
    assert doc["params"] == {"m": 6, "d": 2, "seed": 4} and doc["mode"] == "exact"
    # exact values are strings p/q, re-parsable exactly
    before = doc["evidence"]["lssr_before"]
    assert re.fullmatch(r"-?\d+(/\d+)?", before)
    for c in doc["evidence"]["claims"]:
        assert set(c) >= {"claim", "result"} and c["result"] in ("holds", "fails", "inconclusive")


def test_exact_text_and_jsonable():
    import sympy

    assert _support.exact_text(Fraction(7, -3)) == "-7/3"
    assert _support.exact_text(sympy.sqrt(12) - 1) in ("-1 + 2*sqrt(3)", "2*sqrt(3) - 1")
    assert _support.exact_text(sympy.root(2, 3)) == "2**(1/3)"      # not in the grammar: sympy text
    assert _support.jsonable({1: (Fraction(1, 2), None)}) == {"1": ["1/2", None]}


@pytest.mark.parametrize("expr", ["1 + sqrt(2)/2", "-3*sqrt(2)/4", "sqrt(6)*sqrt(3)/7 - 2", "1/(1 + sqrt(2))",
                                  "sqrt(1 + sqrt(2))", "3*sqrt(12)", "-sqrt(5)", "(2 - sqrt(3))*(2 + sqrt(3))"])
def test_exact_text_round_trips_through_the_grammar(expr):
    """Evidence strings of sympy values parse back (FORMATS grammar) to the same number."""
    import sympy

    from lnnet_construct.numbers import parse_number

    value = parse_number(expr)
    value = value.to_sympy() if hasattr(value, "to_sympy") else sympy.Rational(value.numerator, value.denominator)
    back = parse_number(_support.exact_text(value))
    back = back.to_sympy() if hasattr(back, "to_sympy") else sympy.Rational(back.numerator, back.denominator)
    assert sympy.simplify(back - value) == 0


def test_claims_refuse_non_bool():
    import sympy

    c = _support.Claims()
    with pytest.raises(TypeError):
        c.add("sympy truth", sympy.Rational(1) < 2)
    c.add("a", True)
    c.add("b", None)
    assert c.status == "inconclusive"
    c.add("c", False)
    assert c.status == "fails" and c.failed() == ["b", "c"]
    assert _support.Claims().status == "inconclusive"       # nothing checked is not "holds"


def test_symbolic_zero_three_valued(monkeypatch):
    import sympy

    x = sympy.Symbol("x", positive=True)
    assert _support.symbolic_zero(sympy.sqrt(x) ** 2 - x) is True
    assert _support.symbolic_zero(sympy.sqrt(x**2 + 1) - x - 1) is False
    # if simplify cannot prove it and every sample is undecidable, the answer is None
    monkeypatch.setattr(sympy, "simplify", lambda e: e)
    t = sympy.Symbol("t", real=True)
    assert _support.symbolic_zero(sympy.sin(t) ** 2 + sympy.cos(t) ** 2 - 1) in (None, True)


# ----------------------------------------------------------------------------- undecided -> inconclusive


def test_undecided_sign_is_inconclusive(monkeypatch):
    from lnnet_construct.theory.checks import one_ln

    def undecided(*a, **k):
        raise ArithmeticUndecided("sign undecided at the cap")

    monkeypatch.setattr(one_ln.ol, "ln2", undecided)
    r = reg.run_check("ln2-sign", m=2)
    assert r.status == "inconclusive" and r.exit_code == 2 and "undecided" in r.summary


def test_unprovable_identity_is_inconclusive(monkeypatch):
    from lnnet_construct.theory.checks import one_ln

    monkeypatch.setattr(one_ln, "symbolic_zero", lambda e, **k: None)
    r = reg.run_check("ln2-sign", m=2)
    assert r.status == "inconclusive"


# ----------------------------------------------------------------------------- checkers can fail


def _fails(tid, **params):
    r = reg.run_check(tid, **params)
    assert r.status == "fails", r.to_json()
    assert r.exit_code == 1
    return r


def test_ln_circle_fails_with_a_wrong_layernorm(monkeypatch):
    import lnnet_construct.fold  # noqa: F401 - bind the real layer_norm in modules that import it by name
    import lnnet_construct.ops as ops

    reg.theorems()
    real = ops.layer_norm

    def doubled_eps(x, *, eps=0, **k):   # eps enters twice: wrong exactly when eps != 0
        return real(x, eps=eps * 2, **k)

    monkeypatch.setattr(ops, "layer_norm", doubled_eps)
    r = _fails("ln-circle", m=1)
    failed = [c["claim"] for c in r.evidence["claims"] if c["result"] == "fails"]
    assert any("eps" in f for f in failed)
    assert not any(c["claim"].startswith("||LN(x)||^2 = 3") and c["result"] == "fails" for c in r.evidence["claims"])


def test_ln_circle_fails_when_the_fold_does_not_merge(monkeypatch):
    import lnnet_construct.fold as fold

    real = fold.fold_value
    monkeypatch.setattr(fold, "fold_value", lambda t, c, h, eps, A: real(t, c, h, eps, A) + (t > c) * Fraction(1, 10**9))
    r = _fails("ln-circle", m=2)
    assert any("merges mirror points" in c["claim"] and c["result"] == "fails" for c in r.evidence["claims"])


def test_lssr_affine_fails_if_lssr_is_wrong(monkeypatch):
    from lnnet_construct.theory.checks import lssr as chk

    real = chk.ssr_mod.lssr
    calls = []

    def wrong(x1, x2, **k):   # the first call (the base set) is too large by 1/100
        calls.append(1)
        v = real(x1, x2, **k)
        return v + Fraction(1, 100) if len(calls) == 1 else v

    monkeypatch.setattr(chk.ssr_mod, "lssr", wrong)
    r = _fails("lssr-affine-invariance")
    failed = [c["claim"] for c in r.evidence["claims"] if c["result"] == "fails"]
    assert any("pseudo-inverse" in f for f in failed) and any("injective" in f for f in failed)


def test_lssr_breaks_fails_if_the_witness_does_not_collapse(monkeypatch):
    from lnnet_construct.theory.checks import lssr as chk

    real = chk.ssr_mod.xor_witness
    monkeypatch.setattr(chk.ssr_mod, "xor_witness",
                        lambda **k: dataclasses.replace(real(**k), lssr_after=Fraction(1, 2), collapsed=False))
    _fails("lssr-ln-breaks")


def test_lng_hessian_fails_with_a_wrong_closed_form(monkeypatch):
    from lnnet_construct.theory.checks import hessian as chk

    real = chk.hes.lng_hessian_closed_form
    monkeypatch.setattr(chk.hes, "lng_hessian_closed_form", lambda x, g: real(x, g) * 2)
    _fails("lng-hessian", d=4)


def test_lng_hessian_fails_if_equality_is_misjudged(monkeypatch):
    """A point with unequal group means given as the 'equal-stats' point must not pass as equality."""
    from lnnet_construct.theory.checks import hessian as chk

    t = reg.get_theorem("lng-hessian")
    inst = t.instance(d=6, seed=1)
    inst["equal"] = dict(inst["shifted"])
    assert chk.check(inst).status == "fails"


def test_rmsnorm_fold_fails_without_centering(monkeypatch):
    from lnnet_construct.theory.checks import rmsnorm as chk

    monkeypatch.setattr(chk.rf, "center_affine", lambda w, b: (tuple(map(tuple, w)), tuple(b)))
    r = _fails("ln-rmsnorm-fold")
    assert any(c["claim"].startswith("LN_eps(Wx+b) = RMS") and c["result"] == "fails" for c in r.evidence["claims"])


def test_rmsnorm_fold_fails_if_the_detector_accepts_everything(monkeypatch):
    from lnnet_construct.theory.checks import rmsnorm as chk

    real = chk.rf.find_foldable_layernorms

    def accept_all(g):
        return {n: dataclasses.replace(d, foldable=True, reason="") for n, d in real(g).items()}

    monkeypatch.setattr(chk.rf, "find_foldable_layernorms", accept_all)
    r = _fails("ln-rmsnorm-fold")
    assert any("ReLU" in c["claim"] and c["result"] == "fails" for c in r.evidence["claims"])


def test_lipschitz_fails_outside_its_hypothesis():
    """At d = 2 the norm is not 1/s: feeding a d = 2 instance (bypassing the parameter check) must fail."""
    from lnnet_construct.theory.checks import lipschitz as chk

    inst = chk.generate(d=3, m=2, seed=0)
    inst["d"] = 2
    inst["points"] = [x[:2] if x[0] != x[1] else [x[0], x[0] + 1] for x in inst["points"]]
    assert chk.check(inst).status == "fails"


def test_lipschitz_fails_with_a_wrong_jacobian(monkeypatch):
    from lnnet_construct.theory.checks import lipschitz as chk

    real = chk.lip.ln_jacobian_closed_form
    monkeypatch.setattr(chk.lip, "ln_jacobian_closed_form", lambda x, eps=0: real(x, eps) * 2)
    _fails("ln-lipschitz", m=1)


def test_ln2_sign_fails_with_a_wrong_closed_form(monkeypatch):
    from lnnet_construct.theory.checks import one_ln as chk

    monkeypatch.setattr(chk.ol, "ln2", lambda a, b, eps=0: (Fraction(1), Fraction(-1)))
    _fails("ln2-sign")


def test_one_stationary_fails_with_a_wrong_derivative(monkeypatch):
    from lnnet_construct.theory.checks import one_ln as chk

    real = chk.ol.derivative_numerator
    monkeypatch.setattr(chk.ol, "derivative_numerator", lambda *a: (real(*a)[0] + 1, real(*a)[1]))
    _fails("ln-one-stationary", m=2)


def test_one_stationary_fails_when_values_wiggle(monkeypatch):
    """The grid test is independent of the derivative: a function with two bumps is caught."""
    from lnnet_construct.theory.checks import one_ln as chk

    real = chk.ol.one_ln_value
    monkeypatch.setattr(chk.ol, "one_ln_value",
                        lambda a, w, b, c, eps, x, arith="exact": real(a, w, b, c, eps, x, arith=arith)
                        + (100 if x in (Fraction(-3), Fraction(3)) else 0))
    r = _fails("ln-one-stationary", m=1)
    assert any("change direction" in c["claim"] and c["result"] == "fails" for c in r.evidence["claims"])


def test_gram_isometry_fails_without_normalising(monkeypatch):
    import sympy

    from lnnet_construct.theory.checks import isometry as chk

    monkeypatch.setattr(chk.iso, "normalise_rows_gram",
                        lambda g: sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in r] for r in g]))
    _fails("gram-isometry")


@needs_construct
def test_thm_binary_fails_with_a_wrong_network(monkeypatch):
    """A builder whose read-out is negated: the verifier refutes the points."""
    import lnnet_construct.construct as construct
    from lnnet_construct.network import Affine, Network

    real = construct.build

    def negated(points, labels, **k):
        net = real(points, labels, **k)
        last = net.layers[-1]
        flipped = Affine([[-v for v in row] for row in last.weight], [-v for v in last.bias])
        return Network(net.input_dim, net.layers[:-1] + (flipped,), net.classes, net.decision)

    monkeypatch.setattr(construct, "build", negated)
    r = _fails("thm-binary", m=6, d=1)
    assert any("certified" in c["claim"] and c["result"] == "fails" for c in r.evidence["claims"])


@needs_construct
def test_thm_binary_fails_when_too_deep(monkeypatch):
    """A correct network with extra monotone layers beyond m - 2 breaks the depth claim only."""
    import lnnet_construct.construct as construct
    from lnnet_construct.network import Affine, LayerNorm, Network

    real = construct.build

    def deeper(points, labels, **k):
        net = real(points, labels, **k)
        head, out = list(net.layers[:-1]), net.layers[-1]
        if not any(isinstance(layer, LayerNorm) for layer in head):
            return net
        # An extra identity-like block: A = I keeps the LN output, a second LN of an LN output is itself.
        ident = Affine([[1 if i == j else 0 for j in range(3)] for i in range(3)], [0, 0, 0])
        extra = [ident, LayerNorm()] * (len(points))
        return Network(net.input_dim, head + extra + [out], net.classes, net.decision)

    monkeypatch.setattr(construct, "build", deeper)
    r = _fails("thm-binary", m=6, d=1, seed=2)
    failed = [c["claim"] for c in r.evidence["claims"] if c["result"] == "fails"]
    assert failed and all(f.startswith("depth") for f in failed)


@needs_construct
def test_thm_multiclass_fails_with_swapped_outputs(monkeypatch):
    """Swap two output rows of the argmax read-out: some points get the wrong class."""
    import lnnet_construct.construct as construct
    from lnnet_construct.network import Affine, Network

    real = construct.build

    def swapped(points, labels, **k):
        net = real(points, labels, **k)
        last = net.layers[-1]
        rows, bias = list(last.weight), list(last.bias)
        rows[0], rows[1], bias[0], bias[1] = rows[1], rows[0], bias[1], bias[0]
        return Network(net.input_dim, net.layers[:-1] + (Affine(rows, bias),), net.classes, net.decision)

    monkeypatch.setattr(construct, "build", swapped)
    r = _fails("thm-multiclass", m=7, K=3, d=1)
    assert any("certified" in c["claim"] and c["result"] == "fails" for c in r.evidence["claims"])


def test_vc_fails_with_a_swapped_network():
    """Give one labelling its complement's network: verification refutes it."""
    from lnnet_construct.io.witness import Labelling, Witness
    from lnnet_construct.theory.checks import construction as chk
    from lnnet_construct.theory.vc import shatter

    w = shatter(depth=2, dim=1, largest=False, certify=False)
    labs = list(w.labellings)
    bad = Labelling(labs[1].labels, labs[-2].network)
    labs[1] = bad
    inst = {"L": 2, "d": 1, "seed": 0, "witness": Witness(w.depth, w.points, labs, dict(w.meta))}
    out = chk.check_vc(inst)
    assert out.status == "fails"
    failed = [c["claim"] for c in out.evidence["claims"] if c["result"] == "fails"]
    assert any("verify_witness" in f for f in failed) and any("independently" in f for f in failed)


def test_vc_fails_with_a_missing_labelling_or_too_few_points():
    from lnnet_construct.io.witness import Witness
    from lnnet_construct.theory.checks import construction as chk
    from lnnet_construct.theory.vc import shatter

    w = shatter(depth=2, dim=1, largest=False, certify=False)
    short = Witness(w.depth, w.points, list(w.labellings)[:-1], dict(w.meta))
    assert chk.check_vc({"L": 2, "d": 1, "seed": 0, "witness": short}).status == "fails"
    # the same witness claimed for L = 3 has N = 4 < 5 points
    assert chk.check_vc({"L": 3, "d": 1, "seed": 0, "witness": w}).status == "fails"


# ----------------------------------------------------------------------------- thm-multiclass: blocked steps

_BLOCKED = {"points": [(0,), (1,), (2,), (3,)], "labels": list("ABCA"), "classes": 3, "method": "paper", "seed": 0}


@needs_construct
def test_thm_multiclass_blocked_instance_holds_at_depth_one():
    """0, 1, 2, 3 labelled A B C A: the only pair (0, 3) is blocked; the rotated fold needs 1 = m - K layer."""
    from lnnet_construct.construct import build
    from lnnet_construct.theory.checks import construction as chk

    out = chk.check_construction(dict(_BLOCKED))
    assert out.status == "holds", out.evidence
    assert out.evidence["depth"] == 1 and out.evidence["bound"] == 1
    # the instance really is blocked: MATH.md 3.3's symmetric-only procedure needs one layer more
    sym = build(_BLOCKED["points"], _BLOCKED["labels"], method="paper", breaker="monotone")
    assert sym.depth == 2


@needs_construct
@pytest.mark.parametrize("d, seed", [(2, 5), (1, 211)])
def test_thm_multiclass_issue_instances_hold(d, seed):
    """The two instances of issue 29 that the symmetric-only breaker reported as FAILS."""
    r = reg.run_check("thm-multiclass", m=4, K=3, d=d, seed=seed)
    assert r.status == "holds", r.to_json()
    assert r.evidence["depth"] <= 1


@needs_construct
def test_thm_multiclass_fails_with_the_symmetric_only_breaker(monkeypatch):
    """Forcing MATH.md 3.3's monotone breaker on a blocked instance: the depth claim (and only it) fails."""
    import lnnet_construct.construct as construct

    real = construct.build
    monkeypatch.setattr(construct, "build", lambda p, lab, **k: real(p, lab, **{**k, "breaker": "monotone"}))
    r = _fails("thm-multiclass", m=4, K=3, d=2, seed=5)
    failed = [c["claim"] for c in r.evidence["claims"] if c["result"] == "fails"]
    assert failed == ["depth 2 <= 1"]


@needs_construct
def test_thm_multiclass_scan_m4_k3():
    """300 seeds at m = 4, K = 3 in each of d = 1, 2 (blocked steps occur in about 1 in 300): none fails."""
    t = reg.get_theorem("thm-multiclass")
    bad = [(d, s, r.summary) for d in (1, 2) for s in range(300)
           if (r := t.run(m=4, K=3, d=d, seed=s)).status != "holds"]
    assert not bad


def test_build_rejects_an_unknown_breaker():
    from lnnet_construct.construct import build

    with pytest.raises(InputError, match="breaker"):
        build([[0], [1]], ["a", "b"], method="paper", breaker="rotated")


# ----------------------------------------------------------------------------- eps > 0 (issue 29, item 3)

EPSES = (0, "1/100000")   # 1/100000 is torch's default 1e-5


def test_eps_parameter_is_an_exact_rational():
    t = reg.get_theorem("thm-binary")
    assert t.resolve_params()["eps"] == 0
    assert t.resolve_params(eps="1e-5")["eps"] == Fraction(1, 100000)
    assert t.resolve_params(eps=Fraction(1, 3))["eps"] == Fraction(1, 3) and t.resolve_params(eps=2)["eps"] == 2
    with pytest.raises(InputError, match="exact rational"):
        t.resolve_params(eps=1e-5)
    with pytest.raises(InputError, match="outside"):
        t.resolve_params(eps="-1/2")
    with pytest.raises(InputError, match="rational"):
        t.resolve_params(eps="sqrt(2)")
    with pytest.raises(InputError, match="does not use --eps"):
        reg.get_theorem("gram-isometry").resolve_params(eps="1/2")
    assert reg.get_theorem("vc-lower-bound").to_json()["parameters"]["eps"]["default"] == "0"


def _ln_eps_of(net):
    from lnnet_construct.network import LayerNorm

    return {layer.eps for layer in net.layers if isinstance(layer, LayerNorm)}


@needs_construct
@pytest.mark.parametrize("eps", EPSES)
@pytest.mark.parametrize("tid, params", [
    ("thm-binary", {"m": 9, "d": 2, "seed": 3}),
    ("thm-binary", {"m": 14, "d": 1, "seed": 1}),
    ("thm-multiclass", {"m": 8, "K": 3, "d": 2, "seed": 2}),
    ("thm-multiclass", {"m": 4, "K": 3, "d": 2, "seed": 5}),   # a blocked step: the tilted merge at eps
])
def test_constructions_hold_at_eps(tid, params, eps):
    r = reg.run_check(tid, eps=eps, **params)
    assert r.status == "holds", r.to_json()
    assert r.params["eps"] == Fraction(eps) and r.evidence["eps"] == str(Fraction(eps))
    assert any(f"eps = {Fraction(eps)}," in c["claim"] for c in r.evidence["claims"])


@needs_construct
def test_construction_networks_carry_the_eps(monkeypatch):
    """The check hands its eps to the builder: every LayerNorm of the built network has it."""
    import lnnet_construct.construct as construct

    real, seen = construct.build, []

    def spy(points, labels, **k):
        net = real(points, labels, **k)
        seen.append(_ln_eps_of(net))
        return net

    monkeypatch.setattr(construct, "build", spy)
    assert reg.run_check("thm-binary", m=8, eps="1/100000").status == "holds"
    assert seen == [{Fraction(1, 100000)}]


@needs_construct
@pytest.mark.parametrize("tid, params", [("thm-binary", {"m": 8, "d": 1}), ("thm-multiclass", {"m": 7, "K": 3, "d": 1})])
def test_constructions_fail_when_the_builder_ignores_eps(monkeypatch, tid, params):
    """A builder that builds at eps = 0 whatever it is asked: the LN-eps claim fails at eps = 1/100000."""
    import lnnet_construct.construct as construct

    real = construct.build
    monkeypatch.setattr(construct, "build", lambda p, lab, **k: real(p, lab, **{**k, "eps": 0}))
    r = _fails(tid, eps="1/100000", **params)
    failed = [c["claim"] for c in r.evidence["claims"] if c["result"] == "fails"]
    assert failed == ["every LayerNorm is plain LN (eps = 1/100000, one group, no affine)"]
    assert reg.run_check(tid, eps=0, **params).status == "holds"


@needs_construct
@pytest.mark.parametrize("eps", EPSES)
def test_constructions_fail_with_a_wrong_network_at_eps(monkeypatch, eps):
    """Negated read-out (binary) and swapped outputs (multi-class), at eps = 0 and eps = 1/100000."""
    import lnnet_construct.construct as construct
    from lnnet_construct.network import Affine, Network

    real = construct.build

    def negated(points, labels, **k):
        net = real(points, labels, **k)
        last = net.layers[-1]
        rows, bias = [[-v for v in row] for row in last.weight], [-v for v in last.bias]
        if len(rows) > 1:   # argmax: swap two rows instead (negating all can keep some argmaxes)
            rows, bias = [list(r) for r in last.weight], list(last.bias)
            rows[0], rows[1], bias[0], bias[1] = rows[1], rows[0], bias[1], bias[0]
        return Network(net.input_dim, net.layers[:-1] + (Affine(rows, bias),), net.classes, net.decision)

    monkeypatch.setattr(construct, "build", negated)
    for tid, params in (("thm-binary", {"m": 6, "d": 1}), ("thm-multiclass", {"m": 7, "K": 3, "d": 1})):
        r = _fails(tid, eps=eps, **params)
        assert any("certified" in c["claim"] and c["result"] == "fails" for c in r.evidence["claims"])


@pytest.mark.parametrize("eps", EPSES)
@pytest.mark.parametrize("L, d", [(1, 2), (2, 1), (3, 1)])
def test_vc_holds_at_eps(L, d, eps):
    r = reg.run_check("vc-lower-bound", L=L, d=d, eps=eps)
    assert r.status == "holds", r.to_json()
    assert r.evidence["eps"] == str(Fraction(eps)) and r.evidence["N"] >= L + 2
    w = reg.get_theorem("vc-lower-bound").instance(L=L, d=d, eps=eps)["witness"]
    assert {e for lab in w.labellings for e in _ln_eps_of(lab.network)} == {Fraction(eps)}


def test_vc_fails_with_a_swapped_network_at_eps():
    from lnnet_construct.io.witness import Labelling, Witness
    from lnnet_construct.theory.checks import construction as chk
    from lnnet_construct.theory.vc import shatter

    eps = Fraction(1, 100000)
    w = shatter(depth=2, dim=1, eps=eps, certify=False)
    labs = list(w.labellings)
    labs[1] = Labelling(labs[1].labels, labs[-2].network)
    out = chk.check_vc({"L": 2, "d": 1, "seed": 0, "eps": eps, "witness": Witness(w.depth, w.points, labs, dict(w.meta))})
    assert out.status == "fails"
    assert any("verify_witness" in c["claim"] and c["result"] == "fails" for c in out.evidence["claims"])


def test_vc_fails_when_eps_is_set_without_rescaling():
    """The L = 2 searched witness with eps = 1/100 put into its LayerNorms unscaled: some signs flip."""
    from lnnet_construct.theory.checks import construction as chk
    from lnnet_construct.theory.vc import eps_witness, shatter

    eps = Fraction(1, 100)
    w = shatter(depth=2, dim=1, certify=False)
    out = chk.check_vc({"L": 2, "d": 1, "seed": 0, "eps": eps, "witness": eps_witness(w, eps, scale=1)})
    assert out.status == "fails"
    failed = [c["claim"] for c in out.evidence["claims"] if c["result"] == "fails"]
    assert failed and all("certif" in f for f in failed)
    # rescaled (the default scale) the same witness holds
    assert chk.check_vc({"L": 2, "d": 1, "seed": 0, "eps": eps, "witness": eps_witness(w, eps)}).status == "holds"


def test_vc_fails_when_the_witness_has_another_eps():
    """An eps = 0 witness offered for eps = 1/100000: the structure claim fails."""
    from lnnet_construct.theory.checks import construction as chk
    from lnnet_construct.theory.vc import shatter

    w = shatter(depth=2, dim=1, certify=False)
    out = chk.check_vc({"L": 2, "d": 1, "seed": 0, "eps": Fraction(1, 100000), "witness": w})
    failed = [c["claim"] for c in out.evidence["claims"] if c["result"] == "fails"]
    assert out.status == "fails" and len(failed) == 1 and "eps = 1/100000" in failed[0]


def test_eps_witness_computes_the_network_at_eps_over_lambda_squared():
    """The eps-scaling lemma on the code: scaled net at eps == original net at eps / lam^2, exactly."""
    from lnnet_construct.arith import get_arith
    from lnnet_construct.arith.exact import exact_sign
    from lnnet_construct.arith.base import Sign
    from lnnet_construct.forward import forward
    from lnnet_construct.theory.vc import eps_witness, shatter

    w = shatter(depth=1, dim=1, certify=False)
    eps, lam = Fraction(1, 7), Fraction(5, 2)
    scaled, ref = eps_witness(w, eps, scale=lam), eps_witness(w, eps / lam**2, scale=1)
    ex = get_arith("exact")
    for a, b in list(zip(scaled.labellings, ref.labellings))[1:4]:
        for p in w.points:
            ya, yb = forward(a.network, list(p), ex), forward(b.network, list(p), ex)
            assert all(exact_sign(u - v) is Sign.ZERO for u, v in zip(ya, yb))
        assert a.network != b.network


# ----------------------------------------------------------------------------- attributions (issue 29, item 5)

#: The paper's abstract as seed 001 gives it (seed 000 has the same text with the maths dropped): the only
#: grounds for marking a statement "paper".
PAPER_ABSTRACT = (
    "Layer normalization (LN) is a ubiquitous technique in deep learning but our theoretical understanding to it "
    "remains elusive. This paper investigates a new theoretical direction for LN, regarding to its nonlinearity and "
    "representation capacity. We investigate the representation capacity of a network with layerwise composition of "
    "linear and LN transformations, referred to as LN-Net. We theoretically show that, given $m$ samples with any "
    "label assignment, an LN-Net with only 3 neurons in each layer and $O(m)$ LN layers can correctly classify them. "
    "We further show the lower bound of the VC dimension of an LN-Net. The nonlinearity of LN can be amplified by "
    "group partition, which is also theoretically demonstrated with mild assumption and empirically supported by our "
    "experiments. Based on our analyses, we consider to design neural architecture by exploiting and amplifying the "
    "nonlinearity of LN, and the effectiveness is supported by our experiments."
)


def _norm(text: str) -> str:
    return " ".join(text.replace("$", "").split()).lower()


def _source_section(tid: str) -> str:
    text = (PROOFS / f"{tid}.md").read_text(encoding="utf-8")
    m = re.search(r"^## Source\s*$(.*?)(?=^## )", text, flags=re.M | re.S)
    assert m, tid
    return m.group(1)


@pytest.mark.skipif(not PROOFS.is_dir(), reason="proofs/ has not been written yet")
@pytest.mark.parametrize("tid", REQUIRED)
def test_paper_only_where_the_abstract_says_it(tid):
    """'paper' in the registry iff the proof's Source has a '(paper, abstract)' quote, found in the abstract."""
    t = reg.get_theorem(tid)
    src = _source_section(tid)
    marks = re.findall(r"\(paper[^)]*\)", src)
    assert all(mk == "(paper, abstract)" for mk in marks), marks   # no "(paper, summary)" or captions
    assert (t.origin == "paper") == bool(marks)
    for mk in re.finditer(r"\*\*\(paper, abstract\)\*\*\s*\"([^\"]+)\"", src):
        assert _norm(mk.group(1)).rstrip(".") in _norm(PAPER_ABSTRACT), mk.group(1)
    if marks:
        assert re.search(r"\*\*\(paper, abstract\)\*\*\s*\"", src), "a paper claim must quote the abstract"
    # our numbering of statements is never given as the paper's
    assert not re.search(r"paper's (Theorem|Proposition|Lemma|Corollary) \d", src + t.source)


def test_origin_is_the_first_word_of_the_source():
    origins = {t.id: t.origin for t in reg.theorems()}
    assert {k for k, v in origins.items() if v == "paper"} == {"thm-binary", "vc-lower-bound", "lng-hessian"}
    for t in reg.theorems():
        assert t.to_json()["origin"] == t.origin and t.source.startswith(t.origin)
        assert not re.match(r"(Theorem|Proposition) \d", t.title), t.title   # numbering only as "our Theorem n"


# ----------------------------------------------------------------------------- weak checks made able to fail (item 4)


def test_psd_exact_agrees_with_sympy():
    """is_psd_exact against sympy's own test, on random symmetric rational matrices (PSD, indefinite, singular)."""
    import random

    import sympy

    from lnnet_construct.theory.checks.lssr import is_psd_exact

    rng = random.Random(29)
    seen = {True: 0, False: 0}
    for _ in range(150):
        n, r = rng.randint(1, 5), rng.randint(1, 5)
        b = sympy.Matrix(n, r, lambda i, j: sympy.Rational(rng.randint(-3, 3), rng.randint(1, 3)))
        m = b * b.T
        if rng.random() < 0.5:   # perturb: often indefinite
            i = rng.randrange(n)
            m[i, i] -= sympy.Rational(rng.randint(0, 4), 2)
        want = bool(m.is_positive_semidefinite)
        rows = [[Fraction(int(v.p), int(v.q)) for v in m.row(i)] for i in range(n)]
        assert is_psd_exact(rows) is want, m
        seen[want] += 1
    assert min(seen.values()) > 20


def _lssr_off_by(monkeypatch, delta):
    from lnnet_construct.theory.checks import lssr as chk

    real, real_pinv = chk.ssr_mod.lssr, chk.lssr_pinv
    monkeypatch.setattr(chk.ssr_mod, "lssr", lambda x1, x2, **k: real(x1, x2, **k) + delta)
    monkeypatch.setattr(chk, "lssr_pinv", lambda x1, x2: real_pinv(x1, x2) + delta)
    return chk


def test_lssr_affine_fails_when_the_lssr_is_not_minimal(monkeypatch):
    """Every LSSR (and the pseudo-inverse oracle) too large by 1/1000: only minimality can see it."""
    _lssr_off_by(monkeypatch, Fraction(1, 1000))
    r = _fails("lssr-affine-invariance")
    failed = [c["claim"] for c in r.evidence["claims"] if c["result"] == "fails"]
    assert any("positive semidefinite" in f for f in failed) and any("optimiser" in f for f in failed)
    assert not any("pseudo-inverse formula" in f or "injective, so" in f for f in failed)


def test_lssr_affine_optimiser_refutes_on_its_own(monkeypatch):
    """With the exact certificate disabled, the mpmath optimiser alone still refutes a too-large LSSR."""
    chk = _lssr_off_by(monkeypatch, Fraction(1, 10**6))
    monkeypatch.setattr(chk, "is_psd_exact", lambda m: True)
    r = _fails("lssr-affine-invariance", d=4, seed=3)
    failed = [c["claim"] for c in r.evidence["claims"] if c["result"] == "fails"]
    assert failed and all("optimiser" in f or "attained" in f for f in failed)
    assert any("optimiser" in f for f in failed)


def test_lssr_affine_fails_when_the_lssr_is_not_attained(monkeypatch):
    """Too small by 1/1000: minimality still holds, attainment fails."""
    _lssr_off_by(monkeypatch, Fraction(-1, 1000))
    r = _fails("lssr-affine-invariance")
    failed = [c["claim"] for c in r.evidence["claims"] if c["result"] == "fails"]
    assert any("attained" in f for f in failed) and not any("semidefinite" in f for f in failed)


def _failed_claims(r):
    return [c["claim"] for c in r.evidence["claims"] if c["result"] == "fails"]


def test_rmsnorm_random_dags_cover_every_kind_and_both_verdicts():
    """The random DAGs of a few seeds use every node kind, and the detector both folds and refuses."""
    import random

    from lnnet_construct.theory import rmsnorm_fold as rf
    from lnnet_construct.theory.checks import rmsnorm as chk

    kinds, folded, refused = set(), 0, 0
    rng = random.Random(5)
    for _ in range(60):
        g = chk.random_dag(rng, 2, rng.randint(*chk.DAG_SIZES))
        rf.validate_graph(g)
        kinds |= {a["kind"] for _, a in g.nodes(data=True)}
        kinds |= {"scalar-port" for *_, a in g.edges(data=True) if a.get("port") == "scalar"}
        dec = rf.find_foldable_layernorms(g)
        folded += sum(d.foldable for d in dec.values())
        refused += sum(not d.foldable for d in dec.values())
    assert kinds == set(rf.NODE_KINDS) | {"scalar-port"}
    assert folded >= 10 and refused >= 10


def test_rmsnorm_fold_random_dags_fail_if_the_detector_accepts_everything(monkeypatch):
    """Only the random-DAG claims are looked at: they refute (arb) a detector that folds every LN."""
    from lnnet_construct.theory.checks import rmsnorm as chk

    real = chk.rf.find_foldable_layernorms

    def accept_all(g):
        out = {}
        for n, d in real(g).items():
            lins = tuple(s for s in d.sources if g.nodes[s]["kind"] == "linear")
            out[n] = dataclasses.replace(d, foldable=True, to_center=d.to_center or lins, reason="")
        return out

    monkeypatch.setattr(chk.rf, "find_foldable_layernorms", accept_all)
    r = _fails("ln-rmsnorm-fold")
    failed = _failed_claims(r)
    assert any("random DAGs: folding every foldable LN" in f for f in failed)
    assert any("random DAGs: folding each foldable LN alone" in f for f in failed)


def test_rmsnorm_fold_random_dags_fail_with_a_wrong_zero_mean_rule(monkeypatch):
    """A rule set that calls ReLU outputs zero-mean: the exact sums refute it."""
    from lnnet_construct.theory.checks import rmsnorm as chk

    real = chk.rf.zero_mean_nodes
    monkeypatch.setattr(chk.rf, "zero_mean_nodes",
                        lambda g: real(g) | {n for n, a in g.nodes(data=True) if a["kind"] == "relu"})
    failed = _failed_claims(_fails("ln-rmsnorm-fold", seed=1))
    assert any("zero-mean sums to 0" in f for f in failed)


def test_rmsnorm_fold_random_dags_fail_if_folding_forgets_to_center(monkeypatch):
    """fold_layernorms that replaces LNs but does not center: the random DAGs see the outputs change."""
    from lnnet_construct.theory.checks import rmsnorm as chk

    real_fold = chk.rf.fold_layernorms

    def no_centering(g):
        h = real_fold(g)
        for n in h:
            if h.nodes[n]["kind"] == "linear":
                h.nodes[n]["weight"], h.nodes[n]["bias"] = g.nodes[n]["weight"], g.nodes[n]["bias"]
        return h

    monkeypatch.setattr(chk.rf, "fold_layernorms", no_centering)
    failed = _failed_claims(_fails("ln-rmsnorm-fold"))
    assert any("random DAGs: folding every foldable LN" in f for f in failed)


def test_one_stationary_alternation_points_are_near_misses():
    """The near-miss points make the bound nearly tight: three errors < 1, the largest < 1 + 1/1000 (exact)."""
    from lnnet_construct.arith import Sign, get_arith
    from lnnet_construct.theory.checks import one_ln as chk

    E = get_arith("exact")
    count = 0
    for seed in range(4):
        inst = chk.generate_stationary(d=3 + seed % 2, m=4, seed=seed)
        assert len(inst["near"]) >= 6
        for nm in inst["near"]:
            st = chk.ol.stationary_points(nm["a"], nm["w"], nm["b"], nm["c"], nm["eps"]).points
            assert nm["xs"][0] < st[0] < nm["xs"][2] and abs(nm["xs"][1] - st[0]) < abs(nm["xs"][2] - st[0])
            vals = [chk.ol.one_ln_value(nm["a"], nm["w"], nm["b"], nm["c"], nm["eps"], x) for x in nm["xs"]]
            errs = [(v - t, t) for v, t in zip(vals, (-1, 1, -1, 1))]
            assert all(E.sign(e - 1) is Sign.NEGATIVE and E.sign(e + 1) is Sign.POSITIVE for e, _ in errs[:3])
            e4 = -errs[3][0]   # f(x4) < 0 < 1: the error at x4 is 1 - f(x4)
            assert E.sign(e4 - 1) is not Sign.NEGATIVE and E.sign(e4 - 1 - Fraction(1, 1000)) is Sign.NEGATIVE
            count += 1
    assert count >= 24


def test_one_stationary_fails_when_a_near_miss_is_nudged(monkeypatch):
    """Raise f by 1/1000 at the fourth point of each near miss (no longer a one-LN function): the bound breaks."""
    from lnnet_construct.theory.checks import one_ln as chk

    inst = chk.generate_stationary(seed=0)
    fourth = {nm["xs"][3] for nm in inst["near"]}
    real = chk.ol.one_ln_value
    monkeypatch.setattr(chk.ol, "one_ln_value",
                        lambda a, w, b, c, eps, x, arith="exact": real(a, w, b, c, eps, x, arith=arith)
                        + (Fraction(1, 1000) if x in fourth else 0))
    out = chk.check_stationary(inst)
    failed = [c["claim"] for c in out.evidence["claims"] if c["result"] == "fails"]
    assert out.status == "fails" and failed and all(f.startswith("near miss") for f in failed)
    assert len(failed) == len(inst["near"])
