"""``fold-chain-sign-changes`` and ``vc-upper-bound``: the checks hold on true instances and fail on planted false ones.

Planted false instances: a sign-change bound of 2^L - 1, a zero list with a
zero dropped, a witness of the wrong size, a witness network that is not a
fold chain or is wrong; a wrong parameter count, degree, VC bound or depth
bound, a network outside the class.  Undecidable comparisons give
``inconclusive``, never ``holds``.
"""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import pytest

from lnnet_construct.theory import fold_chain as fc
from lnnet_construct.theory import registry as reg
from lnnet_construct.theory import vc_bounds as vb
from lnnet_construct.theory.checks import vc_bounds as chk

FOLD = "fold-chain-sign-changes"
UPPER = "vc-upper-bound"


def _failed(outcome):
    return [c["claim"] for c in outcome.evidence["claims"] if c["result"] == "fails"]


# ----------------------------------------------------------------------------- fold chains: true instances


@pytest.mark.parametrize("eps", ["0", "1/100000"])
@pytest.mark.parametrize("L", [0, 1, 2, 3])
def test_fold_chain_check_holds_with_the_witness(L, eps):
    r = reg.run_check(FOLD, L=L, m=4, seed=L, eps=eps)
    assert r.status == "holds", r.to_json()["evidence"]["claims"]
    assert r.evidence["N"] == 2**L + 1
    claims = [c["claim"] for c in r.evidence["claims"]]
    assert any("verify_witness certifies" in c for c in claims) and any("fold chain with at most" in c for c in claims)


@pytest.mark.parametrize("L", [4, 5])
def test_fold_chain_check_holds_beyond_the_witnesses(L):
    r = reg.run_check(FOLD, L=L, m=5, d=3, seed=2)
    assert r.status == "holds" and "N" not in r.evidence
    assert "L <= 3 only" in r.evidence["witness"]
    counts = [c["sign_changes"] for c in r.evidence["chains"]]
    assert counts[0] == 2**L and max(counts) <= 2**L


def test_random_chains_have_varied_counts():
    r = reg.run_check(FOLD, L=3, m=20, seed=0)
    counts = {c["sign_changes"] for c in r.evidence["chains"][1:]}
    assert len(counts) >= 3       # the random chains are not all trivial
    assert json.loads(json.dumps(r.to_json()))["status"] == "holds"


@pytest.mark.parametrize("L", range(7))
def test_sawtooth_attains_the_bound(L):
    ch = fc.sawtooth_chain(L, eps=Fraction(1, 1000))
    r = fc.sign_changes_on_line(ch.network(eps=Fraction(1, 1000)), ch, (Fraction(1, 3),), (Fraction(-2),))
    assert r["sign_changes"] == r["zeros"] == 2**L == fc.turning_value_sign_changes(ch)
    assert r["signs"] == r["chain_signs"] and 0 not in r["signs"]


@pytest.mark.parametrize("L", [1, 2])
def test_listed_zeros_are_exact_zeros(L):
    """Each listed zero is a zero of the chain formula, decided exactly (minimal polynomial if needed)."""
    import random

    from lnnet_construct.arith import Sign
    from lnnet_construct.arith.exact import exact_sign

    rng = random.Random(7)
    ch = chk.random_chain(rng, L, 1, Fraction(0))
    zs = fc.chain_zeros(ch)
    theta = ch.readout[1]
    assert len(zs) <= 2**L
    for z in zs[:2]:
        assert exact_sign(ch.scalars((z,))[-1] - theta) is Sign.ZERO


def test_parse_reads_fold_specs_back_and_rejects_non_folds():
    from lnnet_construct.theory.vc import eps_witness, fold_specs
    from lnnet_construct.io.witness import Labelling, Witness

    folds = [(Fraction(1, 2), Fraction(3)), (Fraction(2), Fraction(1, 4))]
    specs = fold_specs([Fraction(2), Fraction(-1)], folds, ("sign", Fraction(5, 2), -1))
    ch = fc.parse_fold_chain(specs, 2)
    assert ch.direction == (2, -1) and [(f.c, f.h, f.e) for f in ch.folds] == [(Fraction(1, 2), 3, 0), (2, Fraction(1, 4), 0)]
    assert ch.readout == ("sign", Fraction(5, 2), -1)
    # rescaled for eps: the same folds with e = eps / lam^2
    lab = Labelling((0, 1), layers=specs, input_dim=2, classes=(0, 1))
    scaled = eps_witness(Witness(2, [(0, 0), (1, 0)], [lab] * 4, {}), Fraction(1, 10), scale=4)
    ch2 = fc.parse_fold_chain(scaled.labellings[0].layer_specs(), 2)
    # the first fold is read in t_0 = lam w.x (c and h scale with lam, e = eps), the second as e = eps/lam^2:
    # both are the same maps of w.x as the eps/lam^2 = 1/160 folds
    assert ch2.direction == (8, -4)
    assert [(f.c, f.h, f.e) for f in ch2.folds] == [(2, 12, Fraction(1, 10)), (2, Fraction(1, 4), Fraction(1, 160))]
    assert ch2.readout == ch.readout
    ref = fc.FoldChain(ch.direction, tuple(fc.ChainFold(f.c, f.h, Fraction(1, 160)) for f in ch.folds), ch.readout)
    from lnnet_construct.arith import Sign
    from lnnet_construct.arith.exact import exact_sign

    for x in [(Fraction(1), Fraction(2)), (Fraction(-3, 2), Fraction(1, 3))]:
        assert exact_sign(ch2.scalars(x)[-1] - ref.scalars(x)[-1]) is Sign.ZERO
    # a layer reading the odd part v1 . LN(z) (the rotated read-out) is not a fold
    W = [list(r) for r in specs[2][1]]
    W[0][0] += 1
    W[1][0] -= 1
    assert fc.parse_fold_chain((specs[0], specs[1], ("affine", W, specs[2][2]), *specs[3:]), 2) is None
    assert fc.parse_fold_chain(specs[:-1], 2) is None                # no read-out
    assert fc.parse_fold_chain(specs, 3) is None                     # wrong input dimension


# ----------------------------------------------------------------------------- fold chains: planted false


def test_fold_chain_fails_on_a_bound_of_two_to_the_L_minus_one():
    t = reg.get_theorem(FOLD)
    inst = t.instance(L=3, m=3)
    out = t.check(dict(inst, bound=2**3 - 1))
    assert out.status == "fails"
    assert any("at most 7 times" in c for c in _failed(out))


def test_fold_chain_fails_when_a_zero_is_dropped(monkeypatch):
    real = fc.ChainFold.preimages

    def lossy(self, v):
        pre = real(self, v)
        return pre[:1]                    # keeps only the left preimage

    monkeypatch.setattr(fc.ChainFold, "preimages", lossy)
    r = reg.run_check(FOLD, L=2, m=2)
    assert r.status == "fails"
    failed = [c["claim"] for c in r.evidence["claims"] if c["result"] == "fails"]
    assert any("two methods" in c or "not 0" in c or "sharp" in c for c in failed)


def test_fold_chain_fails_on_a_witness_of_the_wrong_size():
    from lnnet_construct.theory.vc import baseline_witness

    t = reg.get_theorem(FOLD)
    inst = t.instance(L=3, m=1)
    out = t.check(dict(inst, witness=baseline_witness(3, 1)))      # 5 points, not 9
    assert out.status == "fails" and any("N = 5 = 9" in c for c in _failed(out))


def _replace_network(witness, k, specs):
    from lnnet_construct.io.witness import Labelling, Witness

    labs = list(witness.labellings)
    old = labs[k]
    labs[k] = Labelling(old.labels, layers=tuple(specs), input_dim=old.input_dim, classes=old.classes)
    return Witness(witness.depth, witness.points, labs, dict(witness.meta))


def test_fold_chain_fails_when_a_witness_network_is_not_a_fold_chain():
    t = reg.get_theorem(FOLD)
    inst = t.instance(L=2, m=1)
    w = inst["witness"]
    k = next(i for i, lab in enumerate(w.labellings) if sum(s[0] == "layernorm" for s in lab.layer_specs()) == 2)
    specs = list(w.labellings[k].layer_specs())
    W = [list(r) for r in specs[2][1]]
    W[0][0] += Fraction(1, 10**6)          # a tiny read of the odd part v1 . LN(z)
    W[1][0] -= Fraction(1, 10**6)
    specs[2] = ("affine", tuple(map(tuple, W)), specs[2][2])
    out = t.check(dict(inst, witness=_replace_network(w, k, specs)))
    assert out.status == "fails" and any("is a fold chain" in c for c in _failed(out))


def test_fold_chain_fails_when_a_witness_network_is_wrong():
    t = reg.get_theorem(FOLD)
    inst = t.instance(L=2, m=1)
    w = inst["witness"]
    k = 5
    specs = list(w.labellings[k].layer_specs())
    (row,), (b,) = specs[-1][1], specs[-1][2]
    specs[-1] = ("affine", (tuple(-v for v in row),), (-b,))      # the complement's network
    out = t.check(dict(inst, witness=_replace_network(w, k, specs)))
    assert out.status == "fails" and any("certifies" in c for c in _failed(out))


# ----------------------------------------------------------------------------- the upper bound: numbers


def test_closed_forms_and_recurrences():
    for L in range(1, 30):
        dl, pi = vb.degree_recurrence(L)[-1]
        assert dl + pi == vb.degree_bound(L) and vb.predicate_count(L) == 5**L
    assert [vb.param_count(L, 2) for L in range(4)] == [3, 13, 25, 37]


@pytest.mark.parametrize("L, d", [(0, 1), (1, 1), (2, 3), (3, 2), (6, 1)])
def test_network_param_count_matches_the_formula(L, d):
    assert vb.network_param_count(vb.random_width3_network(L, d, seed=L)) == vb.param_count(L, d)


def test_vc_upper_bound_is_the_largest_allowed_m_and_grows():
    for L, d in [(1, 1), (3, 2), (5, 4)]:
        V = vb.vc_upper_bound(L, d)
        assert vb.growth_allows(V, L, d) and not vb.growth_allows(V + 1, L, d)
        assert not vb.growth_allows(V + 50, L, d)
    vals = [vb.vc_upper_bound(L, 2) for L in range(1, 8)]
    assert vals == sorted(vals) and vals[0] > 3
    # quadratic, not linear, growth of the bound in L: second differences positive
    assert all(b - a < c - b for a, b, c in zip(vals, vals[1:], vals[2:]))


def test_depth_lower_bound_values():
    assert [vb.depth_lower_bound(m, 2) for m in (1, 2, 100, 1000, 10_000)] == [0, 0, 1, 4, 14]
    Ls = vb.depth_lower_bound(10**6, 2)
    assert not vb.union_allows_half(10**6, Ls - 1, 2) and vb.union_allows_half(10**6, Ls, 2)
    assert Ls >= 10**3 / 7


def test_undecided_comparisons_are_inconclusive(monkeypatch):
    monkeypatch.setattr(vb, "PRECISIONS", (2,))
    t = reg.get_theorem(UPPER)
    r = t.run(m=100, L=1, d=1)
    assert r.status == "inconclusive" and r.exit_code == 2


# ----------------------------------------------------------------------------- the upper bound: the check


@pytest.mark.parametrize("params", [{}, {"m": 1}, {"m": 2, "L": 0}, {"m": 5000, "L": 6, "d": 5, "seed": 3},
                                    {"m": 10**6, "L": 1, "d": 1}])
def test_upper_bound_check_holds(params):
    r = reg.run_check(UPPER, **params)
    assert r.status == "holds", [c for c in r.evidence["claims"] if c["result"] != "holds"]
    ev = r.evidence
    assert ev["L_star"] <= max(ev["m"] - 2, 0) and ev["gap"] == max(ev["m"] - 2, 0) - ev["L_star"]


@pytest.mark.parametrize("key, delta, needle", [
    ("P", 1, "parameters (counted)"),
    ("P", -1, "parameters (counted)"),
    ("D", 1, "degree D_L"),
    ("s", 5, "inequalities"),
    ("V", 1, "V(L, d) ="),
    ("V", -1, "V(L, d) ="),
    ("L_star", 1, "L* = "),
    ("L_star", -1, "L* = "),
])
def test_upper_bound_fails_on_a_wrong_number(key, delta, needle):
    t = reg.get_theorem(UPPER)
    inst = t.instance(m=10_000, L=3, d=2)
    claimed = dict(inst["claimed"])
    claimed[key] += delta
    out = t.check(dict(inst, claimed=claimed))
    assert out.status == "fails", out.summary
    assert any(needle in c for c in _failed(out)), _failed(out)


def test_upper_bound_fails_on_a_network_outside_the_class():
    from lnnet_construct.network import Affine, LayerNorm, Network

    t = reg.get_theorem(UPPER)
    inst = t.instance(L=1, d=2)
    net = inst["network"]
    # an elementwise-affine LayerNorm: more parameters, and not in the class
    ln = LayerNorm(weight=[1, 2, 3], bias=[0, 0, 1])
    wide = Network(2, [net.layers[0], ln, net.layers[2]], classes=[0, 1])
    out = t.check(dict(inst, network=wide))
    assert out.status == "fails" and any("parameters (counted)" in c for c in _failed(out))
    # width 4 before the LayerNorm
    net4 = Network(2, [Affine([[1, 0], [0, 1], [1, 1], [2, 1]], [0, 0, 0, 1]), LayerNorm(),
                       Affine([[1, 0, 0, 0]], [0])], classes=[0, 1])
    out = t.check(dict(inst, network=net4))
    assert out.status == "fails"


def test_upper_bound_cli_prints_the_gap(capsys):
    from lnnet_construct.cli.main import main

    code = main(["check", UPPER, "--m", "1000", "--d", "3"])
    out = capsys.readouterr().out
    assert code == 0 and "needs >= " in out and "construction uses at most 998" in out and "gap" in out
    code = main(["check", UPPER, "--m", "1000", "--d", "3", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["params"] == {"m": 1000, "L": 3, "d": 3, "seed": 0} and doc["evidence"]["small_build"]["m"] == 16


def test_both_are_ours_in_the_list():
    for tid in (FOLD, UPPER):
        t = reg.get_theorem(tid)
        assert t.origin == "ours" and t.proof_path.is_file()
        assert dataclasses.asdict(t.params[0])["name"] in ("L", "m")


# ----------------------------------------------------------------------------- any width-3 network on a line

LINE = "vc-line-width3"


@pytest.mark.parametrize("L, eps", [(1, "0"), (1, "1/100000"), (2, "0"), (2, "1/100000"), (2, "3"), (3, "0")])
def test_line_check_holds(L, eps):
    r = reg.run_check(LINE, L=L, eps=eps, m=4, seed=L)
    assert r.status == "holds", [c for c in r.evidence["claims"] if c["result"] != "holds"]
    assert r.evidence["N"] == 2**L + 1
    kinds = {n["kind"] for n in r.evidence["networks"]}
    assert {"sawtooth", "perturbed sawtooth", "random"} <= kinds


def test_line_check_refuses_eps_at_depth_three(capsys):
    from lnnet_construct.cli.main import main
    from lnnet_construct.errors import InputError

    with pytest.raises(InputError, match="eps = 0 only"):
        reg.run_check(LINE, L=3, eps="1/10")
    assert main(["check", LINE, "--L", "3", "--eps", "1/10"]) == 3


def test_general_count_on_a_line_through_a_zero_variance():
    """eps = 0, the first LayerNorm undefined at one point of the line: counted on both sides, exactly."""
    r = reg.run_check(LINE, L=2, d=2, m=1, seed=5)
    rows = [n for n in r.evidence["networks"] if n["kind"].startswith("line through")]
    assert r.status == "holds" and rows and rows[0]["sign_changes"] is not None


def test_hand_and_resultant_eliminations_agree():
    import random

    import sympy

    from lnnet_construct.theory import line_sign_changes as ls

    for L in (1, 2):
        for eps in (Fraction(0), Fraction(1, 5)):
            for seed in range(6):
                net = vb.random_width3_network(L, 2, seed, eps=eps)
                rng = random.Random(seed)
                p = (Fraction(rng.randint(-5, 5)), Fraction(rng.randint(-5, 5)))
                q = (Fraction(rng.randint(-5, 5), 2), Fraction(rng.randint(1, 5)))
                rec = ls.plane_recursion(ls.net_specs(net), 2)
                a, b = ls.zero_polynomial(rec, p, q), ls.eliminant(rec, p, q)
                sa = sympy.Poly(sympy.sqf_part(a.as_expr()), a.gens[0]).monic()
                sb = sympy.Poly(sympy.sqf_part(b.as_expr()), b.gens[0]).monic()
                assert sa == sb and b.degree() <= 2**L


def test_line_check_fails_on_a_bound_of_two_to_the_L_minus_one():
    t = reg.get_theorem(LINE)
    inst = t.instance(L=2, m=2)
    out = t.check(dict(inst, bound=3))
    assert out.status == "fails" and any("at most 3 times" in c for c in _failed(out))


def test_line_check_fails_when_the_eliminant_misses_zeros(monkeypatch):
    import sympy

    from lnnet_construct.theory import line_sign_changes as ls

    monkeypatch.setattr(ls, "eliminant", lambda rec, p, q: sympy.Poly(sympy.Symbol("s") - 1000, sympy.Symbol("s")))
    r = reg.run_check(LINE, L=2, m=2)
    assert r.status == "fails"
    failed = [c["claim"] for c in r.evidence["claims"] if c["result"] == "fails"]
    assert any("two methods" in c for c in failed) and any("sharp" in c for c in failed)


def test_line_check_is_inconclusive_on_a_vanishing_eliminant(monkeypatch):
    import sympy

    from lnnet_construct.theory import line_sign_changes as ls

    monkeypatch.setattr(ls, "eliminant", lambda rec, p, q: sympy.Poly(0, sympy.Symbol("s")))
    r = reg.run_check(LINE, L=1, m=1)
    assert r.status == "inconclusive" and r.exit_code == 2


def test_line_check_fails_on_a_witness_of_the_wrong_size():
    from lnnet_construct.theory.vc import baseline_witness

    t = reg.get_theorem(LINE)
    inst = t.instance(L=2, m=1)
    out = t.check(dict(inst, witness=baseline_witness(2, 1)))     # 4 points, not 5
    assert out.status == "fails" and any("N = 4 = 5" in c for c in _failed(out))


def test_conjecture_evidence_at_depth_three_with_eps():
    """The open case of vc-line-width3 (eps > 0, L = 3), tested by search only: perturbed sawtooth and random
    networks never exceed 2^3 sign changes on a line (exact counts).  Evidence, not a claim of the registry."""
    import random

    from lnnet_construct.theory.line_sign_changes import sign_changes_general

    eps = Fraction(1, 10)
    rng = random.Random(2903)
    saw = fc.sawtooth_chain(3, eps, 2).network(eps)
    counts = []
    for k in range(6):
        net = chk._perturbed(saw, rng) if k % 2 == 0 else vb.random_width3_network(3, 2, seed=k, eps=eps)
        p = (Fraction(rng.randint(-3, 3)), Fraction(rng.randint(-3, 3)))
        q = (Fraction(rng.randint(1, 3)), Fraction(rng.randint(-3, 3), 2))
        r = sign_changes_general(net, p, q)
        assert not r["degenerate"] and r["degree"] <= 8
        counts.append(r["sign_changes"])
    assert max(counts) <= 8
