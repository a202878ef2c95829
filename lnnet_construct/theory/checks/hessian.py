r"""``lng-hessian``: grouping amplifies LayerNorm's curvature (MATH.md §7), exactly.

At rational points the measure ``H(f; x) = sum_i ||Hess f_i(x)||_F^2`` is
computed twice: by symbolic differentiation of the package's LayerNorm
(:func:`lnnet_construct.theory.hessian.ln_hessian_measure`) and from the
closed forms ``3(s-2)/(s sigma_k^4)``.  The inequality
``H(LN-G_g) >= g (d-2g)/(d-2) H(LN)`` is then decided with exact rationals,
on a random point (strict), on a point with equal group means and variances
(equality), and on one with equal variances but different means (strict:
equal means are needed too).

Proof: ``proofs/lng-hessian.md``.
"""

from __future__ import annotations

from fractions import Fraction

from lnnet_construct.theory import hessian as hes
from lnnet_construct.theory.checks._support import Claims, exact_text, random_rational, rng_for
from lnnet_construct.theory.registry import Outcome, Param, Theorem

__all__ = ["THEOREMS", "generate", "check", "group_counts"]

ID = "lng-hessian"


def group_counts(d: int) -> list[int]:
    """Group counts ``g`` dividing ``d`` with group size ``s = d/g >= 2`` (``s = 1`` is undefined).

    >>> group_counts(6)
    [1, 2, 3]
    """
    return [g for g in range(1, d + 1) if d % g == 0 and d // g >= 2]


def _nonconstant_block(rng, s: int) -> list[Fraction]:
    while True:
        b = [random_rational(rng, -4, 4, (1, 2, 3)) for _ in range(s)]
        if len(set(b)) > 1:
            return b


def _groups_nonconstant(x, g) -> bool:
    s = len(x) // g
    return all(len(set(x[k * s:(k + 1) * s])) > 1 for k in range(g))


def generate(d: int = 6, seed: int = 0) -> dict:
    """A random point (every group non-constant for every g), and per g an equal-stats and a shifted point."""
    rng = rng_for(ID, seed)
    gs = group_counts(d)
    while True:
        x = [random_rational(rng, -4, 4, (1, 2, 3)) for _ in range(d)]
        if all(_groups_nonconstant(x, g) for g in gs):
            break
    equal, shifted = {}, {}
    for g in gs:
        s = d // g
        block = _nonconstant_block(rng, s)
        perms = []
        for _ in range(g):
            p = block[:]
            rng.shuffle(p)
            perms.append(p)
        equal[g] = [v for p in perms for v in p]                               # same mean, same variance
        shifted[g] = [v + k for k, p in enumerate(perms) for v in p]           # same variance, means differ
    return {"d": d, "seed": seed, "x": x, "equal": equal, "shifted": shifted}


def check(instance: dict) -> Outcome:
    """See the module docstring."""
    cl = Claims()
    d = instance["d"]
    rows = []
    plain_random = None
    for g in group_counts(d):
        s = d // g
        pts = {"random": instance["x"]}
        if g > 1:
            pts.update({"equal-stats": instance["equal"][g], "shifted-means": instance["shifted"][g]})
        for kind, x in pts.items():
            sym_g = hes.ln_hessian_measure(x, groups=g)
            closed_g = hes.lng_hessian_closed_form(x, g)
            cl.add(f"g={g}, {kind} point: symbolic H(LN-G) = closed form sum_k 3(s-2)/(s sigma_k^4)",
                   sym_g == closed_g, symbolic=exact_text(sym_g), closed=exact_text(closed_g))
            if g == 1:
                plain_random = sym_g
                rows.append({"g": 1, "point": kind, "x": [exact_text(v) for v in x], "H_plain": exact_text(sym_g)})
                continue
            closed_1 = hes.ln_hessian_closed_form(x)
            if kind == "random":
                # The plain-LN Hessian is the expensive one (about 1 s per point at d = 6): differentiate
                # symbolically at the random point once, use the closed form it confirms elsewhere.
                if plain_random is None:
                    plain_random = hes.ln_hessian_measure(x, groups=1)
                    cl.add("random point: symbolic H(LN) = closed form 3(d-2)/(d sigma^4)",
                           plain_random == closed_1, symbolic=exact_text(plain_random))
                sym_1 = plain_random
            else:
                sym_1 = closed_1
            factor = Fraction(g * (d - 2 * g), d - 2)
            bound = factor * sym_1
            cl.add(f"g={g}, {kind} point: H(LN-G) >= g(d-2g)/(d-2) H(LN)", sym_g >= bound,
                   grouped=exact_text(sym_g), bound=exact_text(bound), factor=exact_text(factor))
            amp = hes.lng_amplification_bound(x, g)
            cl.add(f"g={g}, {kind} point: lng_amplification_bound agrees", amp.holds and amp.grouped == sym_g
                   and amp.bound == bound)
            if s > 2:
                # Equality iff all group means and all group variances are equal (s > 2).
                want_equal = kind == "equal-stats"
                cl.add(f"g={g}, {kind} point: {'equality' if want_equal else 'strict inequality'}",
                       (sym_g == bound) == want_equal and amp.equal_group_stats == want_equal)
            else:
                cl.add(f"g={g} (groups of 2), {kind} point: H(LN-G) = 0 = bound", sym_g == 0 and bound == 0)
            rows.append({"g": g, "point": kind, "x": [exact_text(v) for v in x], "H_grouped": exact_text(sym_g),
                         "H_plain": exact_text(sym_1), "bound": exact_text(bound)})
    summary = (f"d={d}, g in {group_counts(d)}: exact Hessians match the closed forms; inequality and "
               "equality case hold" if cl.status == "holds" else f"not proven: {', '.join(cl.failed())}")
    return Outcome(cl.status, summary, {"claims": cl.items, "values": rows, "seed": instance["seed"]})


THEOREMS = (
    Theorem(
        id=ID,
        title="LN-G amplifies curvature (our Theorem 4)",
        statement=(
            "With H(f; x) = sum_i ||Hess f_i(x)||_F^2 and eps = 0: H(LN; x) = 3(d-2)/(d sigma^4) and "
            "H(LN-G; x) = sum_k 3(s-2)/(s sigma_k^4) for groups of size s = d/g. For every x with all "
            "sigma_k > 0, H(LN-G_g; x) >= g(d-2g)/(d-2) H(LN; x), with equality when all group means and all "
            "group variances are equal (and, for s > 2, only then)."
        ),
        formula="H(LN-G_g; x) >= g (d - 2g)/(d - 2) * H(LN; x); '=' iff equal group means and variances (s > 2)",
        source=("paper (abstract): the nonlinearity of LN can be amplified by group partition; the measure H, "
                "the formulas, the inequality and the proof are ours (MATH.md §7)"),
        mode="exact",
        params=(
            Param("d", 6, 3, 10, "LayerNorm width (every divisor g with d/g >= 2 is checked)"),
            Param("seed", 0, None, None, "seed of the rational points"),
        ),
        generate=generate,
        check=check,
    ),
)
