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
    ln_hessian_measure,
)

rng = np.random.default_rng(6)


def random_point(d, groups=1, denominator=4, scale=3):
    """A random rational point of R^d whose groups all have positive variance (LN-G is defined there)."""
    s = d // groups
    while True:
        x = [Fraction(int(v), denominator) for v in rng.integers(-scale * denominator, scale * denominator + 1, size=d)]
        if all(len(set(x[k * s:(k + 1) * s])) > 1 for k in range(groups)):
            return x


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
# plain `Fraction` arithmetic. They must agree exactly. (The last row has groups of size 2: sign units,
# zero curvature both ways.)

# %%
print(f"{'d':>2} {'g':>2}  {'x':<42} {'symbolic H':>16} {'closed form':>16} equal  seconds")
for d, g in [(3, 1), (4, 1), (6, 2), (9, 3), (8, 4)]:
    x = random_point(d, g)
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
eps_values = ["0", "1/100", "1/10", "1/2", "1", "4"]
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
    for _ in range(50):
        checks.append(lng_amplification_bound(random_point(d, g), g))
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
# much the survivors are compressed. The paper's figure folds at 45°: half the distance between the merged
# pair in the orthonormal picture, which is $h = (t_j - t_1)/(2\sqrt3) \approx 0.29\,(t_j - t_1)$ in the package's
# rational basis (notebook 2). A larger $h$ flattens the top of the fold and compresses more; a smaller $h$
# makes the fold sharper and the image less compressed.
#
# First, one data set: $m = 128$ random rationals in $[0, 1000]$ with random labels, and the paper's merge
# plan with a chosen height (`verify.testnets.paper_fold_network`, which takes the ratio $h/(t_j - t_1)$ in
# the rational basis and rational fold centres) with ratio $1/2$ (a little above the 45° choice) and with
# ratio $1/16$. We follow the smallest gap between opposite-label points after every fold, relative to
# the largest value, evaluated with 512-bit mpmath: accurate, but **not certified** (the certified
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


def relative_gaps(network, points, labels, prec=512):
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
ratio_nets = {}
for ratio, colour in [(Fraction(1, 2), "C3"), (Fraction(1, 16), "C0")]:
    net = paper_fold_network([p[0] for p in pts128], labs128, h_ratio=ratio)
    ratio_nets[ratio] = net
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
ax.set_title("m = 128 random labels: gap compression per fold (512-bit mpmath, not certified)", fontsize=10)
plt.show()

# %% [markdown]
# With ratio $1/2$ the smallest gap loses a roughly constant number of digits per fold and crosses
# float32 resolution after a few dozen layers and float64 resolution after about a hundred; with
# $h/(t_j - t_1) = 1/16$ it does not drift at all. What does that do to a plain float64 evaluation of these
# very networks? Count the points it gets wrong (the true labels are certified below):

# %%
for ratio, net in ratio_nets.items():
    float_pred = predict(net, pts128, arith="float")
    wrong = sum(p != lab for p, lab in zip(float_pred, labs128))
    report = verify(net, pts128, labs128)
    print(f"h = {ratio} (t_j - t_1): {net.depth} layers; float64 misclassifies {wrong} of {len(pts128)} points; "
          f"certified: {report.summary()}")

# %% [markdown]
# The certified verifier is not fooled: it escalates to the precision each point needs (python-flint
# balls at rising precision) and still proves every verdict. The float64 evaluation, which is what an
# export to PyTorch or ONNX computes, is wrong on a large share of the points of the paper-style network.
#
# ## 4. The construction's two methods against depth
#
# `construct.build` offers the paper's algorithm (`method="paper"`: its projection, one merge per layer,
# the 45° height) and the toolkit's default (`method="default"`: a projection with few label runs, folds
# that remove as many runs as possible while keeping opposite-label gaps wide). Both return networks
# that are **certified** to classify every point. We build both for growing random data sets and record,
# from the certified verification report:
#
# * the depth (LayerNorm layers);
# * the certified **minimum relative margin** at the output, and $-\log_2$ of it, the bits needed to read
#   the output's sign;
# * the **precision the verifier had to use** to certify every point (53 = the float64 interval pass
#   sufficed);
# * how many points a plain float64 evaluation gets wrong.

# %%
from lnnet_construct.construct import build_with_history

rows = []
for m in (16, 32, 64, 128):
    pts, labs = random_scalar_data(m, seed=m)
    for method in ("paper", "default"):
        t0 = time.perf_counter()
        res = build_with_history(pts, labs, method=method)
        secs = time.perf_counter() - t0
        rep = res.report
        wrong = sum(p != str(lab) for p, lab in zip(predict(res.network, pts, arith="float"), labs))
        rows.append(dict(m=len(pts), method=method, depth=res.network.depth, margin=rep.min_relative_margin, report=rep,
                         bits=rep.bits_needed, used=rep.max_bits_used, wrong=wrong, seconds=secs))
print(f"{'m':>4} {'method':>8} {'depth':>5} {'min rel. margin':>16} {'bits needed':>11} {'verifier bits':>13} "
      f"{'float64 wrong':>13} {'build s':>7}")
for r in rows:
    print(f"{r['m']:>4} {r['method']:>8} {r['depth']:>5} {float(r['margin']):>16.3e} {r['bits']:>11.1f} "
          f"{r['used']:>13} {r['wrong']:>13} {r['seconds']:>7.2f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for method, colour in (("paper", "C3"), ("default", "C0")):
    sel = [r for r in rows if r["method"] == method]
    axes[0].plot([r["m"] for r in sel], [r["depth"] for r in sel], "o-", color=colour, label=method)
    axes[1].semilogy([r["depth"] for r in sel], [float(r["margin"]) for r in sel], "o-", color=colour,
                     label=f"{method}: certified min relative margin")
ms = sorted({r["m"] for r in rows})
axes[0].plot(ms, [m - 2 for m in ms], "k:", lw=1, label="theorem's bound $m - 2$")
axes[0].set_xlabel("m (points)")
axes[0].set_ylabel("depth (LayerNorm layers)")
axes[0].legend()
axes[0].set_title("depth against data size")
axes[1].axhline(2.0**-53, color="0.5", ls=":", lw=1)
axes[1].text(5, 2.0**-50, "float64 resolution", fontsize=8, color="0.4")
axes[1].set_xlabel("depth (LayerNorm layers)")
axes[1].set_ylabel("certified min relative margin")
axes[1].legend(fontsize=8)
axes[1].set_title("certified output margin against depth (lnnet verify)")
plt.show()

# %% [markdown]
# The same certified numbers for the paper method, drawn by `plot.plot_margin_vs_depth` from the reports
# (margin on the left axis, bits needed $= -\log_2$ margin on the right):

# %%
from lnnet_construct.plot import plot_margin_vs_depth

plot_margin_vs_depth(reports=[(r["depth"], r["report"]) for r in rows if r["method"] == "paper"],
                     title="method 'paper': certified margin and bits against depth")

# %% [markdown]
# Reading the pictures together:
#
# * the default method is much shallower (it removes several runs per fold) and keeps its margins wide;
# * the output margin alone can look harmless for a paper-style network while its *intermediate* gaps
#   (section 3) are already below float64 resolution: the relative margin is measured at the last layer,
#   but every layer has to be evaluated accurately enough to keep opposite-label points apart. That is why
#   the verifier reports the precision it used, and why an export's parity report lists the points whose
#   certified margin is below the resolution of its dtype.
#
# The lesson of `MATH.md` §6: $h$, the pivot pair and the projection are **design parameters of the
# numerics**: the toolkit chooses them to keep gaps wide, then proves the result.
