# Source of notebooks/02_projection_merge.ipynb (generate with: python notebooks/build_notebooks.py).

# %% [markdown]
# # 2. Projection–merge, step by step
#
# *Tutorial.* Notebook 1 showed that one width-3 LayerNorm layer folds the real line at a centre $c$.
# Theorem 1 of the paper turns folds into a classifier for **any** labelled point set:
#
# > For $m$ samples with any label assignment, an LN-Net with 3 neurons per layer and $O(m)$ LN layers
# > classifies them correctly. *(paper)*
#
# Our statement (`MATH.md` §3, `proofs/thm-binary.md`): $m$ distinct points with binary labels are
# classified by a width-3 LN-Net with at most $m - 2$ LayerNorm layers. The construction:
#
# 0. **Project** the points onto a line where they are pairwise distinct.
# 1. **Merge**, while the labels along the line form more than two runs: take the leftmost cluster $t_1$
#    and the first later cluster $t_j$ with the same label, and fold at $c = (t_1 + t_j)/2$ with height
#    $h = (t_j - t_1)/2$ (45°, as in the paper's figure). $t_1$ and $t_j$ merge exactly; the clusters between
#    them (all of the other label) land above the merged level; the clusters right of $t_j$ land below it,
#    in reverse order, and stay distinct; nothing lies left of $t_1$, so nothing else can collide.
# 2. **Read out** with a threshold between the two runs.
#
# We do the steps by hand on the worked example of `MATH.md` §3.2 (with the library's fold function),
# draw them, and then let the library's construction do the same and show its merge history.

# %%
# %matplotlib inline
from fractions import Fraction

import matplotlib.pyplot as plt
import mpmath
import numpy as np
import sympy as sp

from lnnet_construct.arith import get_arith
from lnnet_construct.fold import fold_network, fold_value
from lnnet_construct.numbers import exact_sqrt
from lnnet_construct.plot import fold_on_circle_data

COLOURS = {0: "C0", 1: "C3"}

# %% [markdown]
# ## 1. The fold in the convention of the worked example
#
# `MATH.md` §3.2 writes the fold in the orthonormal basis $u_1 = v_1/\sqrt2$, $u_2 = v_2/\sqrt6$:
#
# $$ s(t) = u_2\cdot\mathrm{LN}\bigl((t-c)u_1 + h u_2\bigr) = \frac{\sqrt3\,h}{\sqrt{(t-c)^2 + h^2}} . $$
#
# The package's fold layer uses the rational vectors $v_1, v_2$, and reads $\tau = v_2\cdot\mathrm{LN}(\cdot)$. Since
# $(t-c)v_1 + h' v_2$ has $u_1, u_2$ coordinates $\sqrt2\,(t-c)$ and $\sqrt6\,h'$, the two agree when $h' = h/\sqrt3$, and then
# $s = \tau/\sqrt6$. We check that identity exactly on symbols, and then use `fold.fold_value` (what a fold layer
# computes) with $h/\sqrt3$ and a division by $\sqrt6$.

# %%
t, c = sp.symbols("t c", real=True)
h = sp.Symbol("h", positive=True)
tau = 6 * (h / sp.sqrt(3)) / sp.sqrt((2 * (t - c) ** 2 + 6 * (h / sp.sqrt(3)) ** 2) / 3)   # fold.py's formula, eps = 0
s_orth = sp.sqrt(3) * h / sp.sqrt((t - c) ** 2 + h**2)
print("tau(h/sqrt3)/sqrt6 - s(h) =", sp.simplify(tau / sp.sqrt(6) - s_orth))
print("merged level s(c + h) =", sp.simplify(s_orth.subs(t, c + h)), "= sqrt(3/2) for every c and h")

SQRT3, SQRT6 = exact_sqrt(Fraction(3)), exact_sqrt(Fraction(6))
MP = get_arith("mpmath", prec=200)   # 200-bit floating point: for the tables and pictures (not a proof)


def to_fraction(x):
    """The exact rational value of an mpmath number (the sign-safe way)."""
    return Fraction(*mpmath.libmp.to_rational(x._mpf_))


def fold_orth(values, c, h):
    """s(t) of MATH.md §3.2 for each value, through the library's fold (c, h exact rationals)."""
    with MP.active():
        return [fold_value(v, c, h / SQRT3, 0, MP) / MP.const(SQRT6) for v in values]


# %% [markdown]
# ## 2. The worked example by hand
#
# Input: $t = 0, 1, 2, 3, 4, 5$ with labels $0, 1, 0, 1, 0, 1$: six runs. A *cluster* is a set of original
# points that currently share one value. Each step below is the merge step of §3.1, verbatim.

# %%
t0 = [Fraction(k) for k in range(6)]
labels0 = [0, 1, 0, 1, 0, 1]
clusters = [(MP.const(t), lab, frozenset([i])) for i, (t, lab) in enumerate(zip(t0, labels0))]


def runs(clusters):
    labs = [lab for _, lab, _ in sorted(clusters, key=lambda cl: cl[0])]
    return 1 + sum(a != b for a, b in zip(labs, labs[1:]))


def merge_step(clusters):
    """One merge step (MATH.md §3.1): returns (c, h, pair, new clusters)."""
    clusters = sorted(clusters, key=lambda cl: cl[0])
    first = clusters[0]
    j = next(k for k in range(1, len(clusters)) if clusters[k][1] == first[1])
    c = to_fraction((first[0] + clusters[j][0]) / 2)
    h = to_fraction((clusters[j][0] - first[0]) / 2)
    new_values = fold_orth([cl[0] for cl in clusters], c, h)
    merged = []
    for v, (_, lab, members) in sorted(zip(new_values, clusters), key=lambda p: p[0]):
        if merged and abs(merged[-1][0] - v) < mpmath.mpf(2) ** -150:   # equal up to the rounding of c
            assert merged[-1][1] == lab, "a fold merged different labels"
            merged[-1] = (merged[-1][0], lab, merged[-1][2] | members)
        else:
            merged.append((v, lab, members))
    return c, h, (first, clusters[j]), sorted(clusters, key=lambda cl: cl[0]), merged


steps = []
while runs(clusters) > 2:
    c_k, h_k, pair, before, clusters = merge_step(clusters)
    steps.append((c_k, h_k, pair, before, clusters))
    print(f"L{len(steps)} (c = {mpmath.nstr(MP.const(c_k), 12)}, h = {mpmath.nstr(MP.const(h_k), 12)}):")
    print("   " + ", ".join(f"({mpmath.nstr(v, 12)}, {lab}, {set(sorted(mem))})" for v, lab, mem in clusters))
print(f"\n{len(steps)} layers; {runs(clusters)} runs left: separable.")

# %% [markdown]
# These are the numbers of `MATH.md` §3.2. A side-by-side check against the values printed there (12
# significant digits):

# %%
math_md = {
    1: ["0.420084025208", "0.547722557505", "0.774596669241", "1.22474487139", "1.73205080757"],
    2: ["0.267326491961", "0.470911354967", "1.22474487139", "1.66793676033"],
    3: ["0.798194576601", "1.22474487139", "1.50170664163"],
    4: ["1.22474487139", "1.69417566555"],
}
for k, (_, _, _, _, after) in enumerate(steps, start=1):
    ours = [mpmath.nstr(v, 12) for v, _, _ in after]
    print(f"L{k}: {'agrees' if ours == math_md[k] else 'DIFFERS'}  {ours}")

# %% [markdown]
# ## 3. The merge figure
#
# Each row is one merge step, drawn from a real one-fold network (`fold.fold_network` with the step's
# $c$ and $h/\sqrt3$; coordinates from `plot.fold_on_circle_data`, float64 for drawing):
#
# * **left**: the clusters on the line, the fold centre $c$ (dashed) and the merged pair (ringed);
# * **middle**: each cluster embedded at height $h$ in the plane $\mathbf 1^\perp$ (scaled so that the fold pair
#   sits at 45°), its ray, and where LayerNorm puts it on the circle of radius $\sqrt3$;
# * **right**: the ordinates, i.e. the clusters on the line of the next step. The merged pair is one point
#   at $\sqrt{3/2}$; the clusters that were between them sit above it, the others below.

# %%
fig, axes = plt.subplots(len(steps), 3, figsize=(14, 2.6 * len(steps)), layout="constrained",
                         gridspec_kw={"width_ratios": [1.3, 1, 1.3]})
for row, (c_k, h_k, pair, before, after) in zip(axes, steps):
    vals = [float(v) for v, _, _ in before]
    labs = [lab for _, lab, _ in before]
    net_k = fold_network([1], [(c_k, h_k / SQRT3)], ("sign", 0, 1), classes=[0, 1])
    data = fold_on_circle_data(net_k, [[to_fraction(v)] for v, _, _ in before])
    ax = row[0]
    ax.axhline(0, color="0.7", lw=0.8)
    ax.scatter(vals, np.zeros(len(vals)), c=[COLOURS[l] for l in labs], s=60, edgecolor="k", zorder=3)
    for v, (_, _, mem) in zip(vals, before):
        ax.annotate(",".join(map(str, sorted(mem))), (v, 0), xytext=(0, 9), textcoords="offset points",
                    ha="center", fontsize=8)
    for cl in pair:
        ax.scatter([float(cl[0])], [0], s=220, facecolor="none", edgecolor="k", lw=1.2)
    ax.axvline(float(c_k), color="k", ls="--", lw=1)
    ax.set_yticks([])
    ax.set_title(f"on the line: fold at c = {float(c_k):.4g}, h = {float(h_k):.4g}", fontsize=9)
    ax = row[1]
    plane = data["plane"] / np.sqrt(2)           # back to (t - c, h)
    scale = min(1.0, 2.4 / float(np.hypot(plane[:, 0], plane[:, 1]).max()))
    plane = plane * scale                         # LN ignores positive scaling: shrink to fit the panel
    circle = data["circle"]
    th = np.linspace(0, np.pi, 200)
    ax.plot(np.sqrt(3) * np.cos(th), np.sqrt(3) * np.sin(th), color="0.5", lw=0.8)
    ax.axhline(float(h_k) * scale, color="0.8", lw=0.8)
    for (px, py), (qx, qy), l in zip(plane, circle, labs):
        far = (px, py) if np.hypot(px, py) > np.hypot(qx, qy) else (qx, qy)
        ax.plot([0, far[0]], [0, far[1]], color="0.75", lw=0.7)
        ax.scatter([px], [py], color=COLOURS[l], s=25, edgecolor="k", lw=0.5, zorder=3)
        ax.scatter([qx], [qy], color=COLOURS[l], s=45, edgecolor="k", zorder=4)
    ax.set_xlim(-2.5, 2.5)
    ax.set_ylim(-0.1, 2.0)
    ax.set_aspect("equal", adjustable="box")
    ax.set_title("embed at height h" + (f" (scaled by {scale:.2g})" if scale < 1 else "")
                 + ", LayerNorm onto the circle", fontsize=9)
    ax = row[2]
    new_vals = [float(v) for v, _, _ in after]
    ax.axhline(0, color="0.7", lw=0.8)
    ax.scatter(new_vals, np.zeros(len(new_vals)), c=[COLOURS[l] for _, l, _ in after], s=60, edgecolor="k", zorder=3)
    for v, (_, _, mem) in zip(new_vals, after):
        ax.annotate(",".join(map(str, sorted(mem))), (v, 0), xytext=(0, 9), textcoords="offset points",
                    ha="center", fontsize=8)
    ax.axvline(np.sqrt(1.5), color="0.5", ls=":", lw=1)
    ax.set_yticks([])
    ax.set_title("merged ordinates s (dotted: $\\sqrt{3/2}$)", fontsize=9)
fig.suptitle("projection–merge on t = 0..5, labels 010101 (blue 0, red 1; numbers are the original points) — "
             "float64 drawing", fontsize=10)
plt.show()

# %% [markdown]
# The merge of the pair is **exact**, not a coincidence of 16 digits: in the first step all numbers are
# rational and the exact arithmetic of the package decides $s(t_1) - s(t_j) = 0$; in later steps the centre
# is the midpoint of the pair, so evenness of the fold (notebook 1) makes the two values equal. The library's
# construction below uses rational centres within a tiny fraction of the smallest gap instead of the exact
# algebraic midpoints, and its networks are then certified point by point.

# %%
EXACT = get_arith("exact")
s_exact = [fold_value(t, 1, Fraction(1) / SQRT3, 0, EXACT) for t in t0]
print("step 1, exact: s(0) - s(2) has sign", EXACT.sign(s_exact[0] - s_exact[2]).name,
      "| s(1) - s(0) has sign", EXACT.sign(s_exact[1] - s_exact[0]).name)

# %% [markdown]
# ## 4. The library's construction and its merge history
#
# (Filled in below once the construction is in place.)
