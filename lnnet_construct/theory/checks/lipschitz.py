r"""``ln-lipschitz``: the LayerNorm Jacobian has spectral norm ``1/s`` for ``d >= 3`` (MATH.md §8).

At random rational points (``eps = 0`` and a random ``eps > 0``):

* the Jacobian obtained by differentiating the package's LayerNorm
  symbolically equals the closed form ``(1/s)(P - (1/d) y y^T)``;
* the exact spectrum of ``J^T J`` (a rational matrix) is
  ``{0, (eps/(var+eps))^2/(var+eps), 1/(var+eps) (d-2 times)}``, so
  ``||J||_2 = 1/s``;
* the global constant ``1/sqrt(eps)`` bounds every local norm and is attained
  at a zero-variance point;
* at ``d = 2`` (outside the hypothesis) the norm is ``eps/(var+eps)/s``,
  smaller than ``1/s`` when ``eps > 0``;
* inference-time BatchNorm, a diagonal map, has constant
  ``max_i |gamma_i|/sqrt(sigma_i^2 + eps)``.

Proof: ``proofs/ln-lipschitz.md``.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import sympy

from lnnet_construct.theory import lipschitz as lip
from lnnet_construct.theory.checks._support import Claims, all3, exact_text, random_rational, rng_for
from lnnet_construct.theory.registry import Outcome, Param, Theorem

__all__ = ["THEOREMS", "generate", "check"]

ID = "ln-lipschitz"


def _q(x: Fraction) -> sympy.Rational:
    return sympy.Rational(x.numerator, x.denominator)


def _var(x) -> Fraction:
    mu = sum(x, Fraction(0)) / len(x)
    return sum(((v - mu) ** 2 for v in x), Fraction(0)) / len(x)


def generate(d: int = 4, m: int = 2, seed: int = 0) -> dict:
    """``m`` non-constant rational points in Q^d, a random eps > 0, and BatchNorm channels."""
    rng = rng_for(ID, seed)
    pts = []
    while len(pts) < m:
        x = [random_rational(rng, -4, 4, (1, 2, 3)) for _ in range(d)]
        if len(set(x)) > 1:
            pts.append(x)
    eps = random_rational(rng, 1, 2, (2, 3, 5, 7))
    bn = {"gamma": [random_rational(rng, -3, 3) for _ in range(d)],
          "var": [random_rational(rng, 0, 4, (1, 2, 3)) for _ in range(d)]}
    two = [random_rational(rng, -4, 4), random_rational(rng, -4, 4)]
    if two[0] == two[1]:
        two[1] += 1
    return {"d": d, "seed": seed, "points": pts, "eps": eps, "batchnorm": bn, "two": two}


def _matrix_zero(mat) -> bool | None:
    """Exact zero test of a sympy matrix whose entries involve at most a few square roots."""
    from lnnet_construct.arith import Sign
    from lnnet_construct.arith.sympy_arith import sympy_sign

    signs = [sympy_sign(sympy.radsimp(sympy.expand(e))) for e in mat]
    return all(s is Sign.ZERO for s in signs)


def check(instance: dict) -> Outcome:
    """See the module docstring."""
    cl = Claims()
    d, eps_pos = instance["d"], instance["eps"]
    rows = []
    for x in instance["points"]:
        var = _var(x)
        for eps in (Fraction(0), eps_pos):
            r = var + eps
            jac = lip.ln_jacobian(x, eps)
            closed = lip.ln_jacobian_closed_form(x, eps)
            cl.add(f"x={_t(x)}, eps={exact_text(eps)}: symbolic Jacobian = (1/s)(P - y y^T/d)",
                   _matrix_zero(jac - closed))
            eig = lip.ln_jtj_eigenvalues(x, eps)
            want = Counter([sympy.Integer(0), _q((eps / r) ** 2 / r)] + [_q(1 / r)] * (d - 2))
            cl.add(f"x={_t(x)}, eps={exact_text(eps)}: spectrum of J^T J = "
                   "{0, (eps/(var+eps))^2/(var+eps), 1/(var+eps) x (d-2)}", Counter(eig) == want,
                   eigenvalues=[str(e) for e in eig])
            norm = lip.ln_spectral_norm(x, eps)
            cl.add(f"x={_t(x)}, eps={exact_text(eps)}: ||J||_2 = 1/sqrt(var + eps)",
                   all3([sympy.expand(norm**2) == _q(1 / r), norm.is_positive]), norm=str(norm),
                   var=exact_text(var))
            if eps > 0:
                cl.add(f"x={_t(x)}, eps={exact_text(eps)}: ||J||_2 <= 1/sqrt(eps)", 1 / r <= 1 / eps)
            rows.append({"x": _t(x), "eps": exact_text(eps), "norm": str(norm)})
    # The global constant is attained where var = 0.
    const = [Fraction(1)] * d
    at_zero = lip.ln_spectral_norm(const, eps_pos)
    glob = lip.ln_lipschitz_constant(d, eps_pos)
    cl.add("the global constant 1/sqrt(eps) is attained at a zero-variance point",
           sympy.simplify(at_zero - glob) == 0 and sympy.simplify(glob - 1 / sympy.sqrt(_q(eps_pos))) == 0,
           constant=str(glob))
    cl.add("eps = 0: no global constant (oo)", lip.ln_lipschitz_constant(d, 0) == sympy.oo)
    # d = 2: outside the hypothesis the norm is eps/(var+eps)/s.
    two = instance["two"]
    r2 = _var(two) + eps_pos
    n2 = lip.ln_spectral_norm(two, eps_pos)
    cl.add("d = 2 (outside the hypothesis): ||J||_2 = (eps/(var+eps)) / s < 1/s",
           sympy.expand(n2**2) == _q((eps_pos / r2) ** 2 / r2) and (eps_pos / r2) ** 2 < 1, norm=str(n2))
    # BatchNorm: diagonal Jacobian gamma_i / sqrt(var_i + eps); its norm is the largest |entry|.
    bn = instance["batchnorm"]
    bl = lip.batchnorm_lipschitz(bn["gamma"], bn["var"], eps_pos)
    diag = sympy.diag(*[_q(gi) / sympy.sqrt(_q(vi + eps_pos)) for gi, vi in zip(bn["gamma"], bn["var"])])
    top = max(sympy.Matrix(diag.T * diag).diagonal())
    cl.add("BatchNorm: Lipschitz constant max_i |gamma_i|/sqrt(var_i + eps) = spectral norm of its Jacobian",
           sympy.expand(bl**2 - top) == 0, constant=str(bl))
    summary = (f"d={d}: ||J||_2 = 1/s exactly at {len(instance['points'])} points x 2 eps; spectrum, global "
               "constant, d = 2 contrast and BatchNorm checked" if cl.status == "holds"
               else f"not proven: {', '.join(cl.failed())}")
    return Outcome(cl.status, summary, {"claims": cl.items, "values": rows, "d": d, "eps": exact_text(eps_pos),
                                        "seed": instance["seed"]})


def _t(x) -> str:
    return "(" + ", ".join(exact_text(v) for v in x) + ")"


THEOREMS = (
    Theorem(
        id=ID,
        title="LayerNorm's Lipschitz constant",
        statement=(
            "The Jacobian of LN_eps on R^d is J(x) = (1/s)(P - (1/d) y y^T) with s = sqrt(var + eps) and "
            "y = P x / s. For d >= 3 its spectral norm is exactly 1/s, so the global Lipschitz constant of "
            "LN_eps is 1/sqrt(eps) (attained at zero variance; none for eps = 0). Inference-time BatchNorm has "
            "Lipschitz constant max_i |gamma_i| / sqrt(sigma_i^2 + eps)."
        ),
        formula="||J(x)||_2 = 1/sqrt(var(x) + eps) (d >= 3); Lip(LN_eps) = 1/sqrt(eps)",
        source="ours (MATH.md §8; context: seed 002, Lipschitz capacity control)",
        mode="exact",
        params=(
            Param("d", 4, 3, 8, "LayerNorm width (the statement needs d >= 3)"),
            Param("m", 2, 1, 20, "number of random rational points"),
            Param("seed", 0, None, None, "seed of the points, eps and BatchNorm channels"),
        ),
        generate=generate,
        check=check,
    ),
)
