r"""``gram-isometry``: normalising samples never lowers the isometry of the Gram matrix (MATH.md §8).

With ``I(M) = det(M)^{1/n} / (tr(M)/n)`` and ``G' = D^{-1/2} G D^{-1/2}``:

.. math:: \frac{I(G')}{I(G)} = \frac{\mathrm{AM}(r^2)}{\mathrm{GM}(r^2)} \ge 1,\qquad r_i^2 = G_{ii}.

The check compares ``n``-th powers, which are rational.  The normalised Gram
matrix is built explicitly (entries with square roots) and its determinant
computed by sympy, independently of the rational shortcut
``det(G') = det(G)/prod(G_ii)`` used by
:func:`lnnet_construct.theory.isometry.isometry_gain`.  A second instance
with equal row norms shows the equality case; a third with more samples
than features shows the singular case (both isometries 0).

Proof: ``proofs/gram-isometry.md``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy

from lnnet_construct.theory import isometry as iso
from lnnet_construct.theory.checks._support import Claims, exact_text, random_rational, rng_for
from lnnet_construct.theory.registry import Outcome, Param, Theorem

__all__ = ["THEOREMS", "generate", "check"]

ID = "gram-isometry"


def _rows(rng, m, d):
    while True:
        x = [[random_rational(rng, -3, 3, (1, 2, 3)) for _ in range(d)] for _ in range(m)]
        if all(any(v != 0 for v in r) for r in x):
            return x


def generate(m: int = 4, d: int = 4, seed: int = 0) -> dict:
    """Random rational samples ``X`` (m x d), equal-norm samples (signed permutations), and m+1 samples in R^(m)."""
    rng = rng_for(ID, seed)
    x = _rows(rng, m, d)
    base = _rows(rng, 1, d)[0]
    equal = []
    for _ in range(m):
        r = base[:]
        rng.shuffle(r)
        equal.append([v if rng.random() < 0.5 else -v for v in r])
    singular = _rows(rng, m + 1, m)
    return {"seed": seed, "random": x, "equal-norms": equal, "singular": singular}


def _q(v: Fraction) -> sympy.Rational:
    return sympy.Rational(v.numerator, v.denominator)


def check(instance: dict) -> Outcome:
    """See the module docstring."""
    cl = Claims()
    rows = []
    for kind in ("random", "equal-norms", "singular"):
        x = instance[kind]
        g = iso.gram(x)
        n = len(g)
        diag = [g[i][i] for i in range(n)]
        gain = iso.isometry_gain(g)
        det_g = sympy.Matrix([[_q(v) for v in r] for r in g]).det()     # independent determinant
        tr = sum(diag, Fraction(0))
        before = Fraction(int(det_g.p), int(det_g.q)) / (tr / n) ** n
        gp = iso.normalise_rows_gram(g)
        det_gp = sympy.radsimp(sympy.expand(gp.det()))
        unit_diag = all(gp[i, i] == 1 for i in range(n))
        cl.add(f"{kind}: I(G)^n = det(G)/(tr(G)/n)^n agrees with isometry_nth_power",
               before == gain.before_nth == iso.isometry_nth_power(g), value=exact_text(before))
        cl.add(f"{kind}: G' = D^(-1/2) G D^(-1/2) has unit diagonal and det(G') = det(G)/prod(G_ii) "
               "(sympy determinant of the explicit G')",
               unit_diag and det_gp.is_Rational is True and Fraction(int(det_gp.p), int(det_gp.q)) == gain.after_nth)
        am_n = (tr / n) ** n
        gm_n = math.prod(diag, start=Fraction(1))
        cl.add(f"{kind}: AM(r^2)^n >= GM(r^2)^n", am_n >= gm_n)
        if before != 0:
            ratio_n = gain.after_nth / before
            cl.add(f"{kind}: (I(G')/I(G))^n = (AM(r^2)/GM(r^2))^n >= 1",
                   ratio_n == am_n / gm_n and ratio_n >= 1 and gain.holds, ratio_nth=exact_text(ratio_n))
            cl.add(f"{kind}: equality exactly when all row norms are equal",
                   (ratio_n == 1) == (len(set(diag)) == 1) and gain.equality == (ratio_n == 1))
        else:
            cl.add(f"{kind}: det(G) = 0, so both isometries are 0 (the inequality holds with equality)",
                   gain.after_nth == 0 and gain.holds and gain.equality)
        rows.append({"samples": kind, "n": n, "I(G)^n": exact_text(before), "I(G')^n": exact_text(gain.after_nth),
                     "row_norms_squared": [exact_text(v) for v in diag]})
    summary = ("I(G') >= I(G) exactly, equality for equal row norms, singular case handled"
               if cl.status == "holds" else f"not proven: {', '.join(cl.failed())}")
    return Outcome(cl.status, summary, {"claims": cl.items, "values": rows, "seed": instance["seed"]})


THEOREMS = (
    Theorem(
        id=ID,
        title="Normalisation never lowers Gram isometry",
        statement=(
            "For a Gram matrix G = X X^T with non-zero samples, normalising each sample (what LN does per "
            "sample, up to centering) gives G' = D^(-1/2) G D^(-1/2), and I(G')/I(G) = AM(r^2)/GM(r^2) >= 1, "
            "where I(M) = det(M)^(1/n)/(tr(M)/n) and r_i^2 = G_ii; equality iff all samples have the same norm "
            "(when det G > 0)."
        ),
        formula="I(D^-1/2 G D^-1/2) / I(G) = AM(G_ii) / GM(G_ii) >= 1",
        source="ours (MATH.md §8; context: seed 003, LN and the Gram matrix)",
        mode="exact",
        params=(
            Param("m", 4, 1, 12, "number of samples n"),
            Param("d", 4, 1, 12, "features per sample (d >= m gives det G > 0 generically)"),
            Param("seed", 0, None, None, "seed of the samples"),
        ),
        generate=generate,
        check=check,
    ),
)
