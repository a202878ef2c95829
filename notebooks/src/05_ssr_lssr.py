# Source of notebooks/05_ssr_lssr.ipynb (generate with: python notebooks/build_notebooks.py).

# %% [markdown]
# # 5. SSR and LSSR: what linear maps cannot do, and LayerNorm can
#
# *How-to / explanation.* The seed's summary of the paper says it uses an "SSR/LSSR framework" to show
# that LayerNorm induces nonlinearity; it gives no formula. Our versions (`MATH.md` §5) measure linear
# separability by a **sum-of-squares ratio** (SSR) and its minimum over projections (LSSR): no stack of
# linear layers can lower our LSSR, and one LayerNorm can. Both statements are ours. This notebook
#
# * computes SSR and LSSR **exactly** (rationals, or exact algebraic numbers after a LayerNorm) with
#   `lnnet_construct.theory.ssr`;
# * shows the LSSR is the minimum of the SSR over all projections;
# * checks on random rational affine maps that the LSSR never goes down (and stays put when the map is
#   injective);
# * watches LayerNorm take XOR from LSSR 1 to LSSR 0.
#
# A word on provenance: the paper's exact formula is not available to us. The definitions below are the
# toolkit's own monotone versions (`MATH.md` §5); the statements are proved in
# `proofs/lssr-affine-invariance.md` and `proofs/lssr-ln-breaks.md`.

# %%
# %matplotlib inline
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

from lnnet_construct.arith import get_arith
from lnnet_construct.errors import InputError
from lnnet_construct.fold import fold_values
from lnnet_construct.theory.ssr import lssr, lssr_direction, scatter_matrices, ssr, xor_witness

rng = np.random.default_rng(5)


def rational_points(array, denominator=8):
    """Round float data to exact rationals k/denominator (the data are then exactly these numbers)."""
    return [tuple(Fraction(round(v * denominator), denominator) for v in row) for row in np.atleast_2d(array)]


# %% [markdown]
# ## 1. Definitions
#
# Two classes $X_1$ ($m_1$ points) and $X_2$ ($m_2$ points), $m = m_1 + m_2$, means $\mu_1, \mu_2$, overall
# mean $\mu$, and $\Delta = \mu_1 - \mu_2$. The within-class and total scatter matrices are
#
# $$
# S_W = \sum_{x\in X_1}(x-\mu_1)(x-\mu_1)^T + \sum_{x\in X_2}(x-\mu_2)(x-\mu_2)^T,\qquad
# S_T = \sum_{x}(x-\mu)(x-\mu)^T = S_W + \frac{m_1m_2}{m}\,\Delta\Delta^T .
# $$
#
# Project on a direction $a$: the **SSR** is the share of the projected spread that is *within* the classes,
#
# $$ \mathrm{SSR}_a = \frac{a^TS_Wa}{a^TS_Ta}\in[0,1], $$
#
# 0 when the projection sends each class to a single value, 1 when it sees no difference between the
# classes. The **LSSR** is the best any projection can do, and it has a closed form with the
# pseudo-inverse:
#
# $$ \mathrm{LSSR} = \min_a \mathrm{SSR}_a = 1 - \frac{m_1m_2}{m}\,\Delta^TS_T^{+}\Delta . $$
#
# For rational data it is a rational number, computed here by exact Gauss–Jordan elimination.

# %%
X1 = rational_points(rng.normal(size=(12, 2)) @ [[1.0, 0.6], [0.0, 0.5]] + [0.0, 0.0])
X2 = rational_points(rng.normal(size=(10, 2)) @ [[1.0, 0.6], [0.0, 0.5]] + [1.2, -0.4])
S = scatter_matrices(X1, X2)
print("Delta =", [str(v) for v in S.delta])
print("S_W   =", [[str(v) for v in row] for row in S.within])
print("S_T   =", [[str(v) for v in row] for row in S.total])
L = lssr(X1, X2)
a_star = lssr_direction(X1, X2)
print(f"\nLSSR = {L}  (~{float(L):.6f})")
print("a minimising direction a* =", [str(v) for v in a_star])
print("SSR along a* equals LSSR exactly:", ssr(X1, X2, a_star) == L)

# %% [markdown]
# The SSR of every direction $a = (\cos\theta, \sin\theta)$ (each value exact for the exact rational
# direction nearest to the float; plotted as floats) never goes below the LSSR, and touches it at $a^*$.

# %%
thetas = np.linspace(0, np.pi, 181)
ssr_vals = [ssr(X1, X2, [Fraction(np.cos(th)), Fraction(np.sin(th))]) for th in thetas]
assert all(v >= L for v in ssr_vals)   # exact comparisons of Fractions
theta_star = np.arctan2(float(a_star[1]), float(a_star[0])) % np.pi

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
P1, P2 = np.array(X1, dtype=float), np.array(X2, dtype=float)
axes[0].scatter(*P1.T, label="$X_1$")
axes[0].scatter(*P2.T, label="$X_2$")
centre = np.vstack([P1, P2]).mean(axis=0)
d = np.array([np.cos(theta_star), np.sin(theta_star)])
axes[0].plot(*np.array([centre - 2 * d, centre + 2 * d]).T, "k--", lw=1, label="$a^*$ (best projection)")
axes[0].set_aspect("equal")
axes[0].legend()
axes[0].set_title("two rational classes")
axes[1].plot(np.degrees(thetas), [float(v) for v in ssr_vals], label="$\\mathrm{SSR}_a$, $a = (\\cos\\theta, \\sin\\theta)$")
axes[1].axhline(float(L), color="k", ls=":", label=f"LSSR = {float(L):.4f}")
axes[1].axvline(np.degrees(theta_star), color="k", ls="--", lw=0.8)
axes[1].set_xlabel("$\\theta$ (degrees)")
axes[1].set_ylim(0, 1.02)
axes[1].legend()
axes[1].set_title("SSR over all directions: its minimum is the LSSR")
plt.show()

# %% [markdown]
# ## 2. Linear maps cannot lower the LSSR (`lssr-affine-invariance`)
#
# For an affine map $f(x) = Wx + b$,
#
# $$ a^Tf(x) = (W^Ta)^Tx + a^Tb \quad\Longrightarrow\quad \mathrm{SSR}_a(f(X)) = \mathrm{SSR}_{W^Ta}(X), $$
#
# so every projection of the mapped data is a projection of the original data, and
# $\mathrm{LSSR}(f(X_1), f(X_2)) \ge \mathrm{LSSR}(X_1, X_2)$, with equality when $W$ is injective (then
# $W^Ta$ reaches every direction). A stack of linear layers is one affine map, so this covers every linear
# network. First the identity itself, exactly, for one random map and one random direction:

# %%
def random_rational_matrix(rows, cols, lo=-3, hi=3):
    return [[Fraction(int(rng.integers(lo * 4, hi * 4 + 1)), 4) for _ in range(cols)] for _ in range(rows)]


def apply_affine(W, b, points):
    return [tuple(sum((w * x for w, x in zip(row, p)), Fraction(0)) + bi for row, bi in zip(W, b)) for p in points]


W = random_rational_matrix(3, 2)
b = [Fraction(int(v), 3) for v in rng.integers(-5, 6, size=3)]
a = [Fraction(int(v), 2) for v in rng.integers(-4, 5, size=3)]
Wt_a = [sum((W[i][j] * a[i] for i in range(3)), Fraction(0)) for j in range(2)]
lhs = ssr(apply_affine(W, b, X1), apply_affine(W, b, X2), a)
rhs = ssr(X1, X2, Wt_a)
print(f"SSR_a(f(X)) = {lhs}\nSSR_(W^T a)(X) = {rhs}\nequal: {lhs == rhs}")

# %% [markdown]
# Now 67 random rational affine maps of each of three shapes: $\mathbb R^2\to\mathbb R^3$ and
# $\mathbb R^2\to\mathbb R^2$ (injective unless the rank drops; rank decided exactly) and
# $\mathbb R^2\to\mathbb R^1$ (never injective). Every comparison below is between exact rationals.

# %%
records = []
for shape in [(3, 2), (2, 2), (1, 2)]:
    for _ in range(67):
        W = random_rational_matrix(*shape)
        b = [Fraction(int(v), 3) for v in rng.integers(-5, 6, size=shape[0])]
        Y1, Y2 = apply_affine(W, b, X1), apply_affine(W, b, X2)
        rank = sp.Matrix([[sp.Rational(v.numerator, v.denominator) for v in row] for row in W]).rank()
        try:
            after = lssr(Y1, Y2)
        except InputError as e:   # W = 0 maps everything to one point: LSSR undefined
            print("skipped a map:", e)
            continue
        records.append((shape, rank == 2, after))

injective = [r for r in records if r[1]]
other = [r for r in records if not r[1]]
print(f"{len(records)} maps; every LSSR(f(X)) >= LSSR(X):", all(r[2] >= L for r in records))
print(f"injective maps: {len(injective)}, LSSR unchanged for all of them:", all(r[2] == L for r in injective))
print(f"non-injective maps: {len(other)}, strictly larger for {sum(r[2] > L for r in other)} of them")

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
for k, (shape, colour) in enumerate(zip([(3, 2), (2, 2), (1, 2)], ["C0", "C2", "C1"])):
    vals = [float(r[2]) for r in records if r[0] == shape]
    ax.scatter(vals, k + rng.uniform(-0.2, 0.2, size=len(vals)), s=10, color=colour)
ax.axvline(float(L), color="k", ls=":", label="LSSR of the input")
ax.set_yticks([0, 1, 2], ["$\\mathbb{R}^2\\to\\mathbb{R}^3$", "$\\mathbb{R}^2\\to\\mathbb{R}^2$", "$\\mathbb{R}^2\\to\\mathbb{R}^1$"])
ax.set_xlabel("LSSR after a random affine map (exact values)")
ax.set_xlim(float(L) - 0.05, 1.02)
ax.legend(loc="lower right")
ax.set_title("affine maps never move the LSSR left of the input's")
plt.show()

# %% [markdown]
# ## 3. XOR: LSSR 1, for every linear network
#
# For XOR the two class means coincide: $\Delta = 0$, so $\mathrm{LSSR} = 1$ and **every** projection has
# $\mathrm{SSR}_a = 1$. Affine maps keep the two means equal, so no linear network of any depth or width
# changes that.

# %%
XA = [(0, 0), (1, 1)]
XB = [(1, 0), (0, 1)]
print("LSSR(XOR) =", lssr(XA, XB))
print("SSR along a few directions:", [str(ssr(XA, XB, a)) for a in ([1, 0], [0, 1], [1, 1], [1, -1], [3, -7])])
after = []
for _ in range(50):
    W = random_rational_matrix(int(rng.integers(1, 5)), 2)
    b = [Fraction(int(v)) for v in rng.integers(-3, 4, size=len(W))]
    if all(v == 0 for row in W for v in row):
        continue
    after.append(lssr(apply_affine(W, b, XA), apply_affine(W, b, XB)))
print(f"after {len(after)} random affine maps, the LSSR values are {sorted(set(after))}")

# %% [markdown]
# ## 4. One LayerNorm takes XOR from 1 to 0 (`lssr-ln-breaks`)
#
# The network of notebook 1: rotate ($t = x_1 - x_2$), fix the height ($z = t\,v_1 + h\,v_2$), apply LN, read
# the ordinate $v_2\cdot y$. Class A has $t = 0$, class B has $t = \pm1$, and the fold is even in $t$: each class
# collapses to one exact value, so some projection (the ordinate) has $\mathrm{SSR} = 0$. The LSSR is computed
# exactly on the algebraic LayerNorm outputs (in $\mathbb R^3$) and on the ordinates.

# %%
w = xor_witness()
print("LSSR of the inputs              :", w.lssr_before)
print("LSSR of the LayerNorm outputs   :", w.lssr_after_ln)
print("LSSR of the ordinates v2 . y    :", w.lssr_after)
print("class A LN outputs:", w.ln_outputs1)
print("class B LN outputs:", w.ln_outputs2)

# %% [markdown]
# It is not an accident of $h = 1$ and $\varepsilon = 0$: the collapse, and with it LSSR 0, holds for every
# height and every $\varepsilon \ge 0$ (exact for each pair below).

# %%
for hv, ev in [("1/3", "0"), ("2", "1/10"), ("5", "1/100000")]:
    wi = xor_witness(h=hv, eps=ev)
    print(f"h = {hv:>4}, eps = {ev:>8}: LSSR {wi.lssr_before} -> {wi.lssr_after_ln} (LN outputs) -> {wi.lssr_after} (ordinate)")

# %% [markdown]
# ### The one-dimensional version
#
# $X_1 = \{-1, 1\}$, $X_2 = \{0\}$ on a line: the means coincide, LSSR 1. One fold at $c = 0$
# (`fold.fold_values`, exact arithmetic) sends $\pm1$ to the same algebraic number, and the LSSR drops to 0.

# %%
E = get_arith("exact")
t1, t2 = [Fraction(-1), Fraction(1)], [Fraction(0)]
s1, s2 = fold_values(t1, 0, 1, 0, E), fold_values(t2, 0, 1, 0, E)
print("before:", lssr([[v] for v in t1], [[v] for v in t2]))
print("folded class 1:", [str(v.to_sympy()) for v in s1], " folded class 2:", [str(v.to_sympy()) for v in s2])
print("after :", lssr([[v] for v in s1], [[v] for v in s2]))

# %% [markdown]
# ## 5. What the picture says
#
# A linear map only ever *re-weights* projections the data already had, so the best achievable
# within-class share cannot improve. LayerNorm divides by a data-dependent norm: points at the same angle
# become the same point, whatever their distance. That is exactly the "fold" of notebook 1, and a
# composition of folds (notebook 2) drives a whole labelled set to two clusters.
#
# The same statements are registered as checkable theorems (`lssr-affine-invariance` and
# `lssr-ln-breaks`); `lnnet check <id>` runs random instances of them from the command line.

# %%
from lnnet_construct.theory.registry import get_theorem

for theorem_id in ("lssr-affine-invariance", "lssr-ln-breaks"):
    theorem = get_theorem(theorem_id)
    for seed in (0, 1, 2):
        result = theorem.run(seed=seed)
        print(f"{theorem_id} (seed {seed}): {result.status} [{result.mode}] {result.summary}")
    print("  proof:", theorem.proof)
