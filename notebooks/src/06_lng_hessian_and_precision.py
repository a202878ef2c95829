# Source of notebooks/06_lng_hessian_and_precision.ipynb (generate with: python notebooks/build_notebooks.py).

# %% [markdown]
# # 6. LN-G and the Hessian measure; precision against depth
#
# *Explanation / how-to.* Two quantitative sides of LayerNorm's nonlinearity:
#
# 1. **How curved is LayerNorm, and does grouping make it more so?** We measure curvature by the summed
#    squared Frobenius norms of the component Hessians, compute it exactly two independent ways (symbolic
#    differentiation of the package's LayerNorm, and a closed form), and check the amplification inequality
#    for grouped LayerNorm (LN-G).
# 2. **What does the nonlinearity cost in digits?** Every fold of the projection–merge construction
#    compresses gaps between points. We build networks for growing data sets, certify them, and plot the
#    certified margin and the precision needed against depth, for the paper's choice of fold height $h$
#    and for the toolkit's default construction, and we count how often a plain float64 evaluation of a
#    paper-style network gets the class wrong.
#
# Provenance: the paper states that grouping amplifies nonlinearity; its exact measure is not available
# to us, so the measure and the inequality below are the toolkit's own (`MATH.md` §7,
# `proofs/lng-hessian.md`). The precision findings are ours (`MATH.md` §6).

# %%
# %matplotlib inline
import time
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np

from lnnet_construct.theory.hessian import (
    lng_amplification_bound,
    lng_hessian_closed_form,
    ln_hessian_closed_form,
    ln_hessian_measure,
)

rng = np.random.default_rng(6)


def random_rational_vector(d, denominator=4, scale=3):
    return [Fraction(int(v), denominator) for v in rng.integers(-scale * denominator, scale * denominator + 1, size=d)]


# %% [markdown]
# ## 1. The Hessian measure
#
# For a map $f:\mathbb R^d\to\mathbb R^n$ let
#
# $$ H(f; x) = \sum_{i=1}^n \bigl\lVert \nabla^2 f_i(x) \bigr\rVert_F^2 , $$
#
# zero for every affine map, and large where $f$ bends sharply. For LayerNorm with $\varepsilon = 0$ the
# Jacobian is $\partial\mathrm{LN}/\partial x = \frac1\sigma(P - nn^T)$ with $n = Px/\lVert Px\rVert$, and
# differentiating once more gives the closed forms
#
# $$
# H(\mathrm{LN}; x) = \frac{3(d-2)}{d\,\sigma^4},\qquad
# H(\mathrm{LN\text{-}G}; x) = \sum_{k=1}^{g}\frac{3(s-2)}{s\,\sigma_k^4},\quad s = d/g,
# $$
#
# where $\sigma^2$ is the population variance of $x$ and $\sigma_k^2$ that of its $k$-th group. Note the
# $(d-2)$: width 2 is a sign unit, piecewise constant, with no curvature at all.
#
# `ln_hessian_measure` gets the value the slow, independent way: it builds the package's own
# `layer_norm` on sympy symbols, differentiates twice and substitutes the point. The closed forms are
# plain `Fraction` arithmetic. They must agree exactly.

# %%
print(f"{'d':>2} {'g':>2}  {'x':<42} {'symbolic H':>16} {'closed form':>16} equal  seconds")
for d, g in [(3, 1), (4, 1), (5, 1), (6, 1), (6, 2), (8, 2), (9, 3), (8, 4)]:
    x = random_rational_vector(d)
    t0 = time.perf_counter()
    sym = ln_hessian_measure(x, groups=g)
    secs = time.perf_counter() - t0
    closed = lng_hessian_closed_form(x, g)
    print(f"{d:>2} {g:>2}  {str([str(v) for v in x]):<42} {str(sym):>16} {str(closed):>16} {str(sym == closed):^5}  {secs:.2f}")

# %% [markdown]
# The $\varepsilon$ in the denominator smooths LayerNorm out: with $\varepsilon > 0$ the measure is finite
# everywhere and shrinks as $\varepsilon$ grows (exact values from symbolic differentiation; the closed form
# above is for $\varepsilon = 0$).

# %%
x = [Fraction(0), Fraction(1), Fraction(5, 2)]
eps_values = ["0", "1/100", "1/10", "1/4", "1/2", "1", "2", "4"]
H_eps = [ln_hessian_measure(x, eps=e) for e in eps_values]
for e, v in zip(eps_values, H_eps):
    print(f"eps = {e:>5}: H = {v}  (~{float(v):.5f})")
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot([float(Fraction(e)) for e in eps_values], [float(v) for v in H_eps], "o-")
ax.set_xscale("symlog", linthresh=0.01)
ax.set_xlabel("$\\varepsilon$")
ax.set_ylabel("$H(\\mathrm{LN}_\\varepsilon; x)$")
ax.set_title("curvature of LN at x = (0, 1, 5/2) against $\\varepsilon$ (exact values, plotted)")
plt.show()

# %% [markdown]
# ## 2. Grouping amplifies the curvature
#
# **Theorem (ours).** If every group has $\sigma_k > 0$,
#
# $$ H(\mathrm{LN\text{-}G}_g; x) \;\ge\; \frac{g\,(d-2g)}{d-2}\; H(\mathrm{LN}; x), $$
#
# with equality when all group means and all group variances are equal. Proof in two lines: the total
# variance is at least the average within-group variance, $\sigma^2 \ge \frac1g\sum_k\sigma_k^2$; and by
# Jensen $\frac1g\sum_k \sigma_k^{-4} \ge \bigl(\frac1g\sum_k\sigma_k^2\bigr)^{-2}$.
#
# The factor $g(d-2g)/(d-2)$ is at least 1 exactly when $g = 1$ or $d \ge 2g+2$ (groups of at least 3
# neurons, with room to spare), so then **grouping never lowers the curvature**, and typically raises it a
# lot: group statistics come from fewer numbers, and a small group can have a small variance. Groups of
# size 2 are sign units again (factor 0, curvature 0).
#
# We check the inequality exactly at 300 random rational points for several $(d, g)$ and plot the ratio
# $H(\mathrm{LN\text{-}G})/H(\mathrm{LN})$ against the guaranteed factor.

# %%
cases = [(6, 2), (8, 2), (9, 3), (12, 3), (12, 4), (16, 4)]
results = {}
for d, g in cases:
    checks = []
    while len(checks) < 50:
        x = random_rational_vector(d)
        s = d // g
        if any(len(set(x[k * s:(k + 1) * s])) == 1 for k in range(g)):
            continue  # a constant group has zero variance: LN-G is undefined there
        checks.append(lng_amplification_bound(x, g))
    results[(d, g)] = checks
    print(f"d = {d:>2}, g = {g}: factor g(d-2g)/(d-2) = {checks[0].factor}; inequality holds at all "
          f"{len(checks)} points: {all(c.holds for c in checks)}; smallest ratio {float(min(c.grouped / c.plain for c in checks)):.3f}")

# %%
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
for k, ((d, g), checks) in enumerate(results.items()):
    ratios = [float(c.grouped / c.plain) for c in checks]
    ax.scatter(np.full(len(ratios), k) + rng.uniform(-0.15, 0.15, len(ratios)), ratios, s=10, alpha=0.7)
    ax.plot([k - 0.3, k + 0.3], [float(checks[0].factor)] * 2, "k-", lw=2)
ax.set_yscale("log")
ax.set_xticks(range(len(results)), [f"d={d}, g={g}" for d, g in results])
ax.set_ylabel("$H(\\mathrm{LN\\text{-}G}; x)\\, /\\, H(\\mathrm{LN}; x)$")
ax.set_title("grouping amplifies curvature: every ratio sits above the guaranteed factor (black bar)")
plt.show()

# %% [markdown]
# The equality case: two groups with the same mean and the same variance (here a group and its mirror
# image) meet the bound exactly.

# %%
for x in ([0, 1, 2, 2, 1, 0], [3, -1, 4, 1, 3, -1, 4, 1], [0, 2, 5, 5, 2, 0, 2, 0, 5]):
    g = 2 if len(x) != 9 else 3
    r = lng_amplification_bound(x, g)
    print(f"x = {x}, g = {g}: H(LN-G) = {r.grouped}, bound = {r.bound}, equality: {r.equality}, "
          f"equal group statistics: {r.equal_group_stats}")

# %% [markdown]
# ## 3. Precision against depth: where the digits go
#
# Now the price of nonlinearity. In the projection–merge construction (notebook 2) every fold merges a
# same-label pair exactly, keeps the clusters between them above the merged level, and sends the clusters
# beyond them below it, **compressed**: $\tau$ is flat near its ends. Gaps between opposite-label neighbours
# shrink layer after layer, and any evaluation of the network (float64, float32, an export to PyTorch)
# needs enough digits to tell them apart.
#
# The knob is the fold height $h$. For $\varepsilon = 0$ it does not change *which* points merge, only how
# much the survivors are compressed. The paper's figure uses $h = (t_j - t_1)/2$, half the distance between
# the merged pair; a smaller $h$ makes the fold sharper and the image less compressed.
#
# First, one data set: $m = 128$ random rationals in $[0, 1000]$ with random labels, the paper's merge
# plan (`verify.testnets.paper_fold_network`, which takes the ratio $h/(t_j - t_1)$) with ratio $1/2$ and
# with ratio $1/16$. We follow the smallest gap between opposite-label points after every fold, relative to
# the largest value, evaluated with 1024-bit mpmath: accurate, but **not certified** (the certified
# numbers follow below).

# %%
import mpmath

from lnnet_construct.arith import get_arith
from lnnet_construct.fold import read_scalar
from lnnet_construct.forward import forward_layers
from lnnet_construct.network import LayerNorm
from lnnet_construct.predict import predict
from lnnet_construct.verify import verify
from lnnet_construct.verify.testnets import paper_fold_network


def random_scalar_data(m, seed):
    """m distinct rationals in [0, 1000] (three decimals) with random 0/1 labels."""
    r = np.random.default_rng(seed)
    ts = sorted({Fraction(int(v), 1000) for v in r.integers(0, 10**6, size=m)})
    labels = [int(v) for v in r.integers(0, 2, size=len(ts))]
    return [(t,) for t in ts], labels


def relative_gaps(network, points, labels, prec=1024):
    """log10 of the smallest opposite-label gap / largest |value| after each LayerNorm (mpmath; NOT certified)."""
    A = get_arith("mpmath", prec=prec)
    per_point = []
    for p in points:
        with A.active():
            per_point.append([read_scalar(v, A) for layer, v in zip(network.layers, forward_layers(network, p, A))
                              if isinstance(layer, LayerNorm)])
    out = []
    for k in range(len(per_point[0])):
        vals = sorted((row[k], lab) for row, lab in zip(per_point, labels))
        gap = min(abs(b[0] - a[0]) for a, b in zip(vals, vals[1:]) if a[1] != b[1])
        out.append(float(mpmath.log10(gap / max(abs(v) for v, _ in vals))))
    return np.array(out)


pts128, labs128 = random_scalar_data(128, seed=1)
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
for ratio, colour in [(Fraction(1, 2), "C3"), (Fraction(1, 16), "C0")]:
    net = paper_fold_network([p[0] for p in pts128], labs128, h_ratio=ratio)
    g = relative_gaps(net, pts128, labs128)
    slope = np.polyfit(np.arange(len(g)), g, 1)[0]
    ax.plot(np.arange(1, len(g) + 1), g, color=colour,
            label=f"$h = {ratio}\\,(t_j - t_1)$: {net.depth} layers, fitted slope {slope:+.3f} decimal digits per layer")
ax.axhline(np.log10(2.0**-53), color="0.4", ls=":", lw=1)
ax.text(len(g) * 0.75, np.log10(2.0**-53) + 0.3, "float64 resolution $2^{-53}$", fontsize=8, color="0.3")
ax.axhline(np.log10(2.0**-24), color="0.6", ls=":", lw=1)
ax.text(len(g) * 0.75, np.log10(2.0**-24) + 0.3, "float32 resolution $2^{-24}$", fontsize=8, color="0.5")
ax.set_xlabel("fold (LayerNorm layer)")
ax.set_ylabel("$\\log_{10}$ (smallest opposite-label gap / largest value)")
ax.legend(fontsize=8)
ax.set_title("m = 128 random labels: gap compression per fold (1024-bit mpmath, not certified)", fontsize=10)
plt.show()

# %% [markdown]
# (Filled in below once the construction is in place.)
