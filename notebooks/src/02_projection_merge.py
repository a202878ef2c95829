# Source of notebooks/02_projection_merge.ipynb (generate with: python notebooks/build_notebooks.py).

# %% [markdown]
# # 2. Projection–merge, step by step
#
# *Tutorial.* Notebook 1 showed that one width-3 LayerNorm layer folds the real line at a centre $c$.
# The paper's abstract says folds of this kind give a classifier for **any** labelled point set:
#
# > given $m$ samples with any label assignment, an LN-Net with only 3 neurons in each layer and $O(m)$ LN
# > layers can correctly classify them. *(paper, abstract)*
#
# Our statement, our Theorem 1 (`MATH.md` §3, `proofs/thm-binary.md`): $m$ distinct points with binary labels are
# classified by a width-3 LN-Net with at most $m - 2$ LayerNorm layers. The construction:
#
# 0. **Project** the points onto a line where they are pairwise distinct.
# 1. **Merge**, while the labels along the line form more than two runs: take the leftmost cluster $t_1$
#    and the first later cluster $t_j$ with the same label, and fold at $c = (t_1 + t_j)/2$ with height
#    $h = (t_j - t_1)/2$ (45°, as in the paper's figure 2 caption). $t_1$ and $t_j$ merge exactly; the clusters between
#    them (all of the other label) land above the merged level; the clusters right of $t_j$ land below it,
#    in reverse order, and stay distinct; nothing lies left of $t_1$, so nothing else can collide.
# 2. **Read out** with a threshold between the two runs.
#
# We do the first step by hand on the worked example of `MATH.md` §3.2, then let the library's
# construction (`lnnet_construct.construct`, method `"paper"`) run all of it, compare its numbers with
# §3.2, draw every step, and show its merge history.

# %%
# %matplotlib inline
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

from lnnet_construct.arith import get_arith
from lnnet_construct.construct import build_with_history
from lnnet_construct.fold import fold_network, fold_value
from lnnet_construct.numbers import exact_sqrt, format_number
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
# $s = \tau/\sqrt6$: the 45° height of the figure is $h' = (t_j - t_1)/(2\sqrt3)$ in the package's basis. We check
# that identity exactly on symbols.

# %%
t, c = sp.symbols("t c", real=True)
h = sp.Symbol("h", positive=True)
tau = 6 * (h / sp.sqrt(3)) / sp.sqrt((2 * (t - c) ** 2 + 6 * (h / sp.sqrt(3)) ** 2) / 3)   # fold.py's formula, eps = 0
s_orth = sp.sqrt(3) * h / sp.sqrt((t - c) ** 2 + h**2)
print("tau(h/sqrt3)/sqrt6 - s(h) =", sp.simplify(tau / sp.sqrt(6) - s_orth))
print("merged level s(c + h) =", sp.simplify(s_orth.subs(t, c + h)), "= sqrt(3/2) for every c and h")

SQRT3, SQRT6 = exact_sqrt(Fraction(3)), exact_sqrt(Fraction(6))
EXACT = get_arith("exact")

# %% [markdown]
# ## 2. The first step by hand, exactly
#
# Input: $t = 0, 1, 2, 3, 4, 5$ with labels $0, 1, 0, 1, 0, 1$: six label runs. The leftmost point is $t_1 = 0$
# (label 0); the first later point with label 0 is $t_j = 2$. So $c = 1$ and $h = 1$ (orthonormal
# convention), i.e. $h' = 1/\sqrt3$ for the library's fold. Every number here is exact.

# %%
t0 = [Fraction(k) for k in range(6)]
labels0 = [0, 1, 0, 1, 0, 1]
s1 = [fold_value(t, 1, Fraction(1) / SQRT3, 0, EXACT) / SQRT6 for t in t0]
for t, lab, v in zip(t0, labels0, s1):
    print(f"t = {t}, label {lab}:  s = {sp.simplify(v.to_sympy())}  (~{float(v):.12f})")
print("\ns(0) - s(2):", EXACT.sign(s1[0] - s1[2]).name, "-> the pair merges exactly, at sqrt(3/2)")
print("s(1) - s(0):", EXACT.sign(s1[1] - s1[0]).name, "-> the point between them lands above the merged level")
print("s(3) - s(0), s(4) - s(3), s(5) - s(4):", [EXACT.sign(s1[a] - s1[b]).name for a, b in ((3, 0), (4, 3), (5, 4))],
      "-> the points beyond t_j land below it, in reverse order")

# %% [markdown]
# Along the new line the labels read (by increasing $s$) `1 0 1 0 1`: five runs. Repeat until two runs
# are left.
#
# ## 3. The whole run, by the library
#
# `build_with_history(points, labels, method="paper")` runs exactly this algorithm. For up to six
# points it works in **exact algebraic arithmetic**: the fold centres and heights are exact algebraic
# numbers (radicals nest one level per layer), and every merge is an exact equality. It returns the
# network, the plan (direction, folds, read-out), the merge history and the certified verification
# report.

# %%
result = build_with_history([[t] for t in t0], labels0, method="paper")
net = result.network
print(net)
print("runs after the projection and after each fold:", result.plan.runs_per_layer)
print("exact arithmetic:", result.plan.exact, "| weights:", net.meta["weights"])
print(result.report.summary())

# %% [markdown]
# The fold parameters, converted to the orthonormal convention of §3.2 ($c_{orth} = c/\sqrt6$ and
# $h_{orth} = h/\sqrt2$ after the first layer, where the library reads $\tau = \sqrt6\,s$), and the clusters
# after each layer from the merge history, as $s = \tau/\sqrt6$. Compare with the table of `MATH.md` §3.2,
# copied below to 12 significant digits.

# %%
math_md = {
    1: ["0.420084025208", "0.547722557505", "0.774596669241", "1.22474487139", "1.73205080757"],
    2: ["0.267326491961", "0.470911354967", "1.22474487139", "1.66793676033"],
    3: ["0.798194576601", "1.22474487139", "1.50170664163"],
    4: ["1.22474487139", "1.69417566555"],
}
history = result.history
MP = get_arith("mpmath", prec=80)


def layer_nodes(k):
    return sorted((n for n in history.nodes if n[0] == k), key=lambda n: history.nodes[n]["value"])


all_agree = True
for k, fold in enumerate(result.plan.folds, start=1):
    c_orth = MP.const(fold.c) / (1 if k == 1 else np.sqrt(6))
    h_orth = MP.const(fold.h) * (np.sqrt(3) if k == 1 else np.sqrt(1 / 2))
    nodes = layer_nodes(k)
    s_vals = [history.nodes[n]["value"] / np.sqrt(6) for n in nodes]
    ours = [f"{v:.12g}" for v in s_vals]
    agree = ours == math_md[k]
    all_agree &= agree
    print(f"L{k} (c = {float(c_orth):.12g}, h = {float(h_orth):.12g}):")
    print("   " + ", ".join(f"({v}, {history.nodes[n]['label']}, {set(sorted(history.nodes[n]['members']))})"
                            for v, n in zip(ours, nodes)))
print("\nevery value agrees with MATH.md §3.2 to 12 digits:", all_agree)

# %% [markdown]
# (The history stores cluster values as floats, for plots; the network's parameters are the exact
# algebraic numbers. The merged level is always $\sqrt{3/2} = 1.22474487139$: the two merged clusters sit at
# 45°.)
#
# ## 4. The merge figure
#
# Each row is one merge step, drawn from a real one-fold network (`fold.fold_network` with the step's
# exact $c$ and $h$ from the plan; coordinates from `plot.fold_on_circle_data`, float64 for drawing):
#
# * **left**: the clusters on the line (numbers are the original points), the fold centre $c$ (dashed)
#   and the merged pair (ringed);
# * **middle**: each cluster embedded at the fixed height in the plane $\mathbf 1^\perp$, its ray, and where
#   LayerNorm puts it on the circle of radius $\sqrt3$; the merged pair sits at ±45° (the embedded points are
#   shrunk to fit when needed, marked "x factor": LayerNorm ignores positive scaling);
# * **right**: the ordinates: the clusters on the line of the next step. The pair is one point (dotted
#   line, $\tau = \sqrt6\cdot\sqrt{3/2} = 3$); the clusters that were between them are above it, the others
#   below.

# %%
def merged_pair(k):
    """The two clusters of layer k-1 that one cluster of layer k came from (read off the history)."""
    for n in layer_nodes(k):
        preds = sorted(history.predecessors(n), key=lambda p: history.nodes[p]["value"])
        if len(preds) == 2:
            return preds
    return []


def draw_line(ax, nodes, marked=()):
    vals = [history.nodes[n]["value"] for n in nodes]
    ax.axhline(0, color="0.7", lw=0.8)
    ax.scatter(vals, np.zeros(len(vals)), c=[COLOURS[int(history.nodes[n]["label"])] for n in nodes],
               s=60, edgecolor="k", zorder=3)
    for v, n in zip(vals, nodes):
        ax.annotate(",".join(map(str, sorted(history.nodes[n]["members"]))), (v, 0), xytext=(0, 9),
                    textcoords="offset points", ha="center", fontsize=8)
    for n in marked:
        ax.scatter([history.nodes[n]["value"]], [0], s=220, facecolor="none", edgecolor="k", lw=1.2)
    ax.set_yticks([])


folds = result.plan.folds
fig, axes = plt.subplots(len(folds), 3, figsize=(14, 2.6 * len(folds)), layout="constrained",
                         gridspec_kw={"width_ratios": [1.3, 1, 1.3]})
for k, (row, fold) in enumerate(zip(axes, folds), start=1):
    before = layer_nodes(k - 1)
    c_k, h_k = float(MP.const(fold.c)), float(MP.const(fold.h))
    draw_line(row[0], before, merged_pair(k))
    row[0].axvline(c_k, color="k", ls="--", lw=1)
    row[0].set_title(f"layer {k - 1}: fold at c = {c_k:.4g} (h = {h_k:.4g})", fontsize=9)

    ax = row[1]
    net_k = fold_network([1], [(fold.c, fold.h)], ("sign", 0, 1), classes=[0, 1])
    data = fold_on_circle_data(net_k, [[Fraction(history.nodes[n]["value"])] for n in before])
    plane = data["plane"] / np.sqrt(2)                     # (t - c, sqrt3 h): the merged pair at 45 degrees
    scale = min(1.0, 2.4 / float(np.hypot(plane[:, 0], plane[:, 1]).max()))
    plane = plane * scale                                  # LN ignores positive scaling: shrink to fit
    th = np.linspace(0, np.pi, 200)
    ax.plot(np.sqrt(3) * np.cos(th), np.sqrt(3) * np.sin(th), color="0.5", lw=0.8)
    ax.axhline(plane[0, 1], color="0.8", lw=0.8)
    for (px, py), (qx, qy), n in zip(plane, data["circle"], before):
        colour = COLOURS[int(history.nodes[n]["label"])]
        far = (px, py) if np.hypot(px, py) > np.hypot(qx, qy) else (qx, qy)
        ax.plot([0, far[0]], [0, far[1]], color="0.75", lw=0.7)
        ax.scatter([px], [py], color=colour, s=25, edgecolor="k", lw=0.5, zorder=3)
        ax.scatter([qx], [qy], color=colour, s=45, edgecolor="k", zorder=4)
    ax.set_xlim(-2.5, 2.5)
    ax.set_ylim(-0.1, 2.0)
    ax.set_aspect("equal", adjustable="box")
    ax.set_title("fixed height, then onto the circle" + (f" (x{scale:.2g})" if scale < 1 else ""), fontsize=9)

    draw_line(row[2], layer_nodes(k))
    row[2].axvline(3.0, color="0.5", ls=":", lw=1)
    row[2].set_title(f"layer {k}: ordinates $\\tau = v_2\\cdot y$ (dotted: merged level 3)", fontsize=9)
fig.suptitle("projection–merge on t = 0..5, labels 010101 (blue 0, red 1) — float64 drawing of the exact plan",
             fontsize=10)
plt.show()

# %% [markdown]
# ## 5. The network, exactly
#
# The result is an ordinary `Network`: width 3, four LayerNorm layers, exact algebraic weights. Its
# verdicts can be decided in exact arithmetic (`verify.exact_verdicts`), independently of the interval
# verifier that certified it during the build.

# %%
from lnnet_construct.verify import exact_verdicts

print("layers:", [layer.kind for layer in net.layers])
print("first fold's bias, exactly:", [format_number(v) for v in net.layers[0].bias])
print("exact verdicts:", [v.value for v in exact_verdicts(net, [[t] for t in t0], [str(l) for l in labels0])])

# %% [markdown]
# ## 6. The merge history
#
# `result.history` is a networkx `DiGraph`: a node per cluster and layer (attributes `layer`, `value`,
# `label`, `members`), an edge from a cluster to the cluster it lands in after the next fold. Two edges into
# one node are a merge. `plot.plot_merge_graph` draws a small history node by node, layer by layer;
# `plot.plot_merge_history` summarises a history of any size as clusters and label runs per layer.

# %%
from lnnet_construct.plot import plot_merge_graph, plot_merge_history

print(history)
plot_merge_graph(history, title="merge history, method 'paper' (one merge per layer)")

# %% [markdown]
# The paper's algorithm merges one pair per layer: $m - 2$ layers in the worst case. The toolkit's
# `"default"` method chooses its folds to remove as many label runs as possible per layer (a fold
# centred between two runs can merge several same-label pairs at once), and is never deeper than the
# paper's plan. On this example it needs one layer less; its history nodes are label runs:

# %%
result_default = build_with_history([[t] for t in t0], labels0, method="default")
print(result_default.network, "| runs per layer:", result_default.plan.runs_per_layer)
plot_merge_graph(result_default.history, title="merge history, method 'default'")

# %% [markdown]
# For deep networks a node-by-node drawing is unreadable; the summary counts what each layer achieved
# (for `default` the clusters are the label runs, so the two curves coincide):

# %%
plot_merge_history(result_default.history, title="method 'default', summarised")

# %% [markdown]
# ## 7. Step 0: projecting points of the plane onto a line
#
# For points in $\mathbb R^d$ the first affine layer reads $t = w\cdot x$. The paper's deterministic choice
# is $w = (1, s, s^2, \dots)$ with an integer $s$ large enough that no two points share a projection; the
# default method searches for a direction with few label runs. Below, 12 points of the plane with random
# labels: the projections of both methods, the depths they lead to, and the decision regions.

# %%
from lnnet_construct.plot import plot_decision_regions

rng = np.random.default_rng(5)
P = [tuple(Fraction(int(v)) for v in row) for row in rng.integers(0, 10, size=(12, 2))]
P = list(dict.fromkeys(P))                          # distinct points
L2 = [int(v) for v in rng.integers(0, 2, size=len(P))]
fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), layout="constrained", gridspec_kw={"height_ratios": [1, 4]})
for col, method in enumerate(("paper", "default")):
    res = build_with_history(P, L2, method=method)
    w = res.plan.direction
    t_proj = [sum(wi * xi for wi, xi in zip(w, p)) for p in P]
    ax = axes[0, col]
    ax.scatter([float(t) for t in t_proj], np.zeros(len(P)), c=[COLOURS[l] for l in L2], s=50, edgecolor="k")
    ax.set_yticks([])
    ax.set_title(f"{method}: w = ({', '.join(str(v) for v in w)}); "
                 f"{res.plan.runs_per_layer[0]} runs on the line", fontsize=9)
    ax.set_xlabel("$t = w\\cdot x$")
    plot_decision_regions(res.network, P, [str(l) for l in L2], ax=axes[1, col], resolution=250,
                          title=f"method '{method}': {res.network.depth} LayerNorm layers")
plt.show()
