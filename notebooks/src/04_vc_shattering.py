# Source of notebooks/04_vc_shattering.ipynb (generate with: python notebooks/build_notebooks.py).

# %% [markdown]
# # 4. VC shattering witnesses
#
# *How-to.* A class of classifiers **shatters** $N$ points if, for each of the $2^N$ ways to label them, some
# classifier in the class gets every label right. The largest such $N$ is the VC dimension. This notebook
# builds and certifies **shattering witnesses** for width-3 LN-Nets with at most $L$ LayerNorm layers:
# a point set plus one network per labelling, every verdict checked rigorously.
#
# * The baseline (`MATH.md` §4, our statement): the $L + 2$ points $0, 1, \dots, L+1$ are shattered with
#   $L$ layers: every labelling of them needs at most $L$ merge steps (notebook 2), and monotone folds pad
#   the network to exactly $L$ layers. We draw **every** labelling's network.
# * Beyond $L + 2$: a single fold can merge many symmetric pairs at once, so a cleverly placed point set may
#   be shattered with fewer layers than $N - 2$. Whether that happens for small $L$ is a finite question
#   that search plus certification can answer; we show what the toolkit's search found.
#
# The paper gives a lower bound on the VC dimension of LN-Nets; its exact statement is not available to
# us, so the witnesses here support our own statement (proof: `proofs/vc-lower-bound.md`).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from lnnet_construct.arith import get_arith
from lnnet_construct.forward import forward
from lnnet_construct.numbers import format_number
from lnnet_construct.theory import vc

FLOAT = get_arith("float")


def output_curve(network, ts):
    """The network's output along the first input axis (float64, NOT rigorous: for drawing)."""
    cols = [FLOAT.points(ts)] + [FLOAT.points(np.zeros_like(ts))] * (network.input_dim - 1)
    with FLOAT.active():
        out = forward(network, cols, FLOAT)[0]
    return np.broadcast_to(np.asarray(out, dtype=float), ts.shape)


def draw_witness(witness, ncols=4, title="", labellings=None):
    """One panel per labelling (default: all): the network output along the line, points coloured by label."""
    labellings = witness.labellings if labellings is None else labellings
    n = len(labellings)
    nrows = -(-n // ncols)
    # constrained layout is slow with many axes: plain spacing instead
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 1.9 * nrows), sharex=True, squeeze=False,
                             gridspec_kw={"hspace": 0.45, "wspace": 0.08, "left": 0.03, "right": 0.98,
                                          "top": 1 - 0.5 / (1.9 * nrows), "bottom": 0.35 / (1.9 * nrows)})
    ts_pts = np.array([float(p[0]) for p in witness.points])
    lo, hi = ts_pts.min(), ts_pts.max()
    pad = 0.25 * (hi - lo or 1.0)
    grid = np.linspace(lo - pad, hi + pad, 600)
    for ax, lab in zip(axes.ravel(), labellings):
        net = lab.network
        out = output_curve(net, grid)
        scale = np.max(np.abs(out)) or 1.0
        ax.fill_between(grid, -1, 1, where=out > 0, color="C3", alpha=0.12, lw=0)
        ax.fill_between(grid, -1, 1, where=out < 0, color="C0", alpha=0.12, lw=0)
        ax.plot(grid, out / scale, color="0.3", lw=0.8)
        ax.axhline(0, color="0.6", lw=0.6)
        pts_out = output_curve(net, ts_pts) / scale
        ax.scatter(ts_pts, pts_out, c=["C3" if v == 1 else "C0" for v in lab.labels], s=22,
                   edgecolor="k", lw=0.5, zorder=3)
        ax.set_ylim(-1.1, 1.1)
        ax.set_yticks([])
        ax.set_title("".join(str(v) for v in lab.labels) + f"  (L={net.depth})", fontsize=8)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    fig.suptitle(title + " — output / max|output|; red = label 1, blue = label 0; float64 drawing (not certified)",
                 fontsize=9)
    return fig


# %% [markdown]
# ## 1. The baseline witness for $L = 2$
#
# `vc.shatter(depth=L, dim=d, largest=False)` returns the $L+2$-point baseline, **certified** before it is
# returned (`vc.verify_witness`: every network has at most $L$ LayerNorm layers and width 3, all $2^N$
# labellings are present, and every network provably outputs its label on every point).

# %%
w2 = vc.shatter(2, dim=1, largest=False)
print(w2)
print("points:", [format_number(p[0]) for p in w2.points])
print("labellings:", len(w2.labellings))
print("certification:", w2.meta["certification"])

# %% [markdown]
# All 16 labellings of the 4 points, each with the output of its own depth-2 network along the line. The
# shading is the sign of the output (the class); every point sits in the region of its colour. Constant
# labellings use a constant output (zero output weights).

# %%
draw_witness(w2, ncols=4, title="L = 2: 4 points, 16 labellings")
plt.show()

# %% [markdown]
# Look inside one network: the alternating labelling `0101` needs both folds. The trajectory plot follows
# each point's scalar through the folds (column 0 is $t - c_1$). Fold 1 is centred at $c_1 = 1$, so the
# points $t = 0$ and $t = 2$ (both label 0) land on the same value; fold 2 merges $t = 1$ and $t = 3$ (both
# label 1). Two values are left, one per label, and the output threshold separates them.

# %%
from lnnet_construct.plot import plot_fold_trajectory

lab = next(l for l in w2.labellings if l.labels == (0, 1, 0, 1))
net = lab.network
for i, layer in enumerate(net.layers):
    if layer.kind == "affine":
        print(f"affine {i}: bias = {[format_number(v) for v in layer.bias]}")
plot_fold_trajectory(net, w2.points, list(lab.labels), title="labelling 0101 of the L = 2 witness")

# %% [markdown]
# ## 2. The same in the plane, for $L = 1$
#
# With `dim=2` the points sit on the first axis of $\mathbb R^2$ and each network reads $t = x_1$; its
# decision regions are vertical bands. All 8 labellings of 3 points with one LayerNorm layer:

# %%
from lnnet_construct.plot import plot_decision_regions

w1 = vc.shatter(1, dim=2, largest=False)
print(w1.meta["certification"])
fig, axes = plt.subplots(2, 4, figsize=(13, 5.4), layout="constrained")
for ax, lab in zip(axes.ravel(), w1.labellings):
    plot_decision_regions(lab.network, w1.points, list(lab.labels), ax=ax, xlim=(-0.8, 2.8), ylim=(-1, 1),
                          resolution=120, title="labels " + "".join(map(str, lab.labels)))
    if ax.get_legend() is not None:
        ax.get_legend().remove()
plt.show()

# %% [markdown]
# ## 3. Witness files
#
# A witness is a file too (`format: "lnnet-witness"`, `FORMATS.md`): the points and one exact network per
# labelling. Anyone can re-certify it from the file, without trusting the code that built it.

# %%
vc.save_witness(w2, "witness_L2.json")
report = vc.verify_witness("witness_L2.json")
print(report.summary())
print("exit code (as `lnnet` would return):", report.exit_code)

# %% [markdown]
# A witness that does *not* shatter is refuted, with the failing (labelling, point) pairs named. Here we
# swap two networks of the file, so two labellings get each other's network:

# %%
from lnnet_construct.io.witness import Labelling, Witness

labs = list(w2.labellings)
labs[5], labs[6] = Labelling(labs[5].labels, labs[6].network), Labelling(labs[6].labels, labs[5].network)
bad = Witness(w2.depth, w2.points, labs)
bad_report = vc.verify_witness(bad)
print(bad_report.summary())

# %% [markdown]
# ## 4. How far the baseline goes
#
# Sizes and certification times of the baseline witnesses (each has $2^{L+2}$ networks):

# %%
print(f"{'L':>2} {'points':>6} {'networks':>8}  certification")
for L in range(0, 6):
    w = vc.shatter(L, largest=False)
    print(f"{L:>2} {w.n_points:>6} {len(w.labellings):>8}  {w.meta['certification']}")

# %% [markdown]
# ## 5. Beyond $L + 2$: the search
#
# The baseline spends one layer per merge. But one fold at $c$ merges **every** pair of points at equal
# distance from $c$, and in the plane each labelling's network may also pick its own projection direction.
# So more than $L + 2$ points might be shattered. `lnnet_construct.theory.vc_search` looks for such sets:
#
# * the networks searched are fold chains (project on $w$, fold $k \le L$ times, threshold);
# * on a line a fold is determined, combinatorially, by which *cell* between the critical points (the
#   values and their pairwise midpoints) holds its centre; a depth-first search over cells and heights,
#   pruned by a run bound, plans each labelling, and in $\mathbb R^2$ one direction per cell of the
#   arrangement of directions orthogonal to point differences is tried;
# * every point set found is turned into a witness and **certified** before it counts.
#
# **Run bound (ours).** On a line each fold layer's scalar map has at most one turning point, so after $k$
# folds a threshold changes sign at most $2^k$ times: fold chains of depth $L$ shatter at most $2^L + 1$
# points of a line. For $L = 1$ that is 3 = $L + 2$: nothing to gain on a line. For $L = 2$ it allows 5.
#
# The search is deterministic for a given seed. We cap the size (`max_n`) so that each run stops at its
# first success and stays fast.

# %%
from lnnet_construct.theory import vc_search

found = {}
for L, dim, n_max in [(2, 1, 5), (1, 2, 6), (2, 2, 8)]:
    res = vc_search.search(L, dim, budget_s=20, max_n=n_max, seed=0)
    found[(L, dim)] = res
    print(f"L = {L}, R^{dim}: shattered N = {res.best_n} points (baseline L + 2 = {L + 2}); certified: "
          f"{res.certified}; {res.seconds:.2f}s; points = {[tuple(format_number(v) for v in p) for p in res.points]}")

# %% [markdown]
# Five points on a line, shattered with **two** LayerNorm layers (the baseline needs three for five points).
# All 32 labellings, each with its own certified network:

# %%
res = found[(2, 1)]
w5 = vc_search.witness_from_plans(2, res.points, res.plans, meta={"method": "vc-search"})
print(vc.verify_witness(w5).summary())
draw_witness(w5, ncols=8, title="L = 2: 5 points on a line (> L + 2)")
plt.show()

# %% [markdown]
# Six points in the plane, shattered with **one** LayerNorm layer: each labelling's network projects on
# its own direction, folds once and thresholds. All 64 decision-region panels (each a float64 drawing;
# the certificate is the line printed above the figure):

# %%
res = found[(1, 2)]
w6 = vc_search.witness_from_plans(1, res.points, res.plans, meta={"method": "vc-search"})
print(vc.verify_witness(w6).summary())
P6 = np.array([[float(v) for v in p] for p in w6.points])
lo, hi = P6.min(axis=0) - 12, P6.max(axis=0) + 12
fig, axes = plt.subplots(8, 8, figsize=(14, 14), gridspec_kw={"hspace": 0.3, "wspace": 0.05, "left": 0.02,
                                                              "right": 0.98, "top": 0.95, "bottom": 0.02})
for ax, lab in zip(axes.ravel(), w6.labellings):
    plot_decision_regions(lab.network, w6.points, list(lab.labels), ax=ax, xlim=(lo[0], hi[0]),
                          ylim=(lo[1], hi[1]), resolution=70)
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.set_title("".join(map(str, lab.labels)), fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
fig.suptitle("one LayerNorm layer shatters these 6 points of the plane (decision regions: float64 drawing, not certified)")
plt.show()

# %% [markdown]
# ## 6. The shipped results
#
# Longer runs of the same search (`benchmarks/vc_search.py`) are shipped with the package as exact point
# sets plus one fold plan per labelling (`vc_search.KNOWN`). `vc.shatter(L, dim)` uses them by default:
# it rebuilds the largest known witness for $(L, d)$, **re-certifies all $2^N$ networks on every call**, and
# falls back to the $L+2$ baseline. The sizes:

# %%
known = vc_search.known_sizes()
print(f"{'L':>2} {'dim':>3} {'N found':>7} {'baseline L+2':>12} {'line bound 2^L+1':>16}")
for (L, dim), n_found in sorted(known.items()):
    bound = 2**L + 1 if dim == 1 else None
    print(f"{L:>2} {dim:>3} {n_found:>7} {L + 2:>12} {str(bound) if bound else '-':>16}")

fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
Ls = np.arange(0, 5)
ax.plot(Ls, Ls + 2, "k--", label="baseline $L + 2$ (MATH.md §4)")
ax.plot(Ls, 2.0**Ls + 1, ":", color="0.5", label="fold chains on a line: at most $2^L + 1$")
for dim, marker in [(1, "o"), (2, "s")]:
    pts = sorted((L, n) for (L, d), n in known.items() if d == dim)
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker, ms=8, label=f"found and certified, points in $\\mathbb{{R}}^{dim}$")
ax.set_xlabel("L (LayerNorm layers)")
ax.set_ylabel("N (points shattered)")
ax.set_xticks(Ls)
ax.legend(fontsize=8)
ax.set_title("shattering witnesses for width-3 LN-Nets")
plt.show()

# %% [markdown]
# On a line the search meets the run bound for $L \le 3$: **9 points are shattered with 3 LayerNorm layers**
# (the baseline shatters 5). All $2^9 = 512$ networks are certified by the call below; we draw a few
# labellings, including the alternating ones, which have the most runs (9) and need all three folds.

# %%
w9 = vc.shatter(3, dim=1)
print(w9.n_points, "points:", [format_number(p[0]) for p in w9.points])
print(w9.meta["certification"])
pick = [(0, 1, 0, 1, 0, 1, 0, 1, 0), (1, 0, 1, 0, 1, 0, 1, 0, 1), (0, 0, 1, 1, 0, 1, 1, 0, 0), (1, 1, 0, 1, 0, 0, 1, 0, 1),
        (0, 1, 1, 0, 1, 0, 0, 1, 1), (0, 0, 0, 1, 0, 0, 0, 1, 0), (1, 0, 0, 0, 0, 0, 0, 0, 1), (0, 1, 0, 0, 1, 1, 0, 1, 0)]
chosen = [lab for lab in w9.labellings if lab.labels in pick]
draw_witness(w9, ncols=4, labellings=chosen, title="L = 3: 8 of the 512 labellings of 9 points")
plt.show()

# %% [markdown]
# In the plane, **10 points with 2 LayerNorm layers** ($2^{10} = 1024$ certified networks). Each network
# projects on its own direction, so its decision regions are stripes perpendicular to it. Sixteen
# labellings picked at random:

# %%
w10 = vc.shatter(2, dim=2)
print(w10.meta["certification"])
P10 = np.array([[float(v) for v in p] for p in w10.points])
lo, hi = P10.min(axis=0), P10.max(axis=0)
pad = 0.15 * (hi - lo)
sample = [w10.labellings[i] for i in sorted(np.random.default_rng(4).choice(len(w10.labellings), 16, replace=False))]
fig, axes = plt.subplots(4, 4, figsize=(12, 12), gridspec_kw={"hspace": 0.2, "wspace": 0.05, "left": 0.02,
                                                              "right": 0.98, "top": 0.94, "bottom": 0.02})
for ax, lab in zip(axes.ravel(), sample):
    plot_decision_regions(lab.network, w10.points, list(lab.labels), ax=ax, xlim=(lo[0] - pad[0], hi[0] + pad[0]),
                          ylim=(lo[1] - pad[1], hi[1] + pad[1]), resolution=90)
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.set_title("".join(map(str, lab.labels)) + f"  (L = {lab.network.depth})", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
fig.suptitle("2 LayerNorm layers shatter these 10 points of the plane: 16 of 1024 labellings "
             "(decision regions: float64 drawing, not certified)")
plt.show()

# %% [markdown]
# The largest shipped witnesses (14 points, $2^{14} = 16384$ networks each) take longer to certify, so this
# notebook only lists them; `lnnet shatter --depth 3 --dim 2 -o w.json` builds and certifies one from the
# command line. Here is the command line on the $L = 2$ case: build, then re-certify the file.

# %%
import shutil
import subprocess
import sys

LNNET = [shutil.which("lnnet")] if shutil.which("lnnet") else [sys.executable, "-m", "lnnet_construct"]
for args in (["shatter", "--depth", "2", "-o", "witness_cli.json", "--json", "--quiet"],
             ["shatter", "--verify", "witness_cli.json", "--quiet"]):
    proc = subprocess.run(LNNET + args, capture_output=True, text=True)
    print("$ lnnet " + " ".join(args))
    print((proc.stdout + proc.stderr).strip(), f"\n[exit code {proc.returncode}]\n")
