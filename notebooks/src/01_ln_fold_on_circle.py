# Source of notebooks/01_ln_fold_on_circle.ipynb (generate with: python notebooks/build_notebooks.py).

# %% [markdown]
# # 1. LayerNorm as a fold on the circle
#
# *Tutorial.* This notebook shows the one geometric fact that every construction in
# `lnnet_construct` rests on: **on three neurons, LayerNorm projects onto a circle, and read along one
# axis it folds the real line in two.** By the end you will have
#
# * checked the basic LayerNorm identities exactly (sympy, no floating point);
# * derived and plotted the fold $\tau(t)$ for several heights $h$ and several $\varepsilon$;
# * rebuilt the paper's XOR picture (rotate by 45°, fix the height, project onto the circle, read the
#   ordinate) as a four-panel figure drawn **from a real network**, and proved with exact arithmetic that
#   the two XOR classes collapse to two numbers.
#
# The maths is in `MATH.md` §1–§2 of the specification; the proofs live in `proofs/`.
# Figures are float64 evaluations and say so in their titles. Every *claim* in the text is
# checked with exact arithmetic in a code cell next to it.

# %%
# %matplotlib inline
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

from lnnet_construct.arith import get_arith
from lnnet_construct.fold import V1, V2, fold_value, fold_values, read_scalar
from lnnet_construct.numbers import format_number
from lnnet_construct.ops import layer_norm

EXACT = get_arith("exact")   # Fractions and exact algebraic numbers
SYM = get_arith("sympy")     # sympy expressions, symbols allowed
FLOAT = get_arith("float")   # numpy float64, batched: for pictures only (NOT rigorous)

# %% [markdown]
# ## 1. LayerNorm in one line
#
# For $x \in \mathbb R^d$, with the population mean and variance,
#
# $$
# \mathrm{LN}_\varepsilon(x) = \frac{x - \mu\mathbf 1}{\sqrt{\sigma^2 + \varepsilon}},\qquad
# \mu = \frac1d\sum_i x_i,\quad \sigma^2 = \frac1d\sum_i (x_i-\mu)^2 .
# $$
#
# With $\varepsilon = 0$ and the centering projector $P = I - \frac1d \mathbf 1\mathbf 1^T$ this is
# $\mathrm{LN}(x) = \sqrt d\, Px/\lVert Px\rVert$: centre, then scale to length $\sqrt d$. Three facts follow,
# and we let sympy check them on symbols, through the package's **single** LayerNorm implementation
# (`lnnet_construct.ops.layer_norm`, the same code every backend runs):
#
# 1. the outputs sum to 0 (they lie in the plane $\mathbf 1^\perp$);
# 2. $\lVert \mathrm{LN}(x)\rVert^2 = d$;
# 3. $\mathrm{LN}(a x + b\mathbf 1) = \mathrm{LN}(x)$ for $a > 0$.

# %%
x = sp.symbols("x0:3", real=True)
a = sp.Symbol("a", positive=True)
b = sp.Symbol("b", real=True)
y = layer_norm(list(x), eps=0, arith=SYM)
y_scaled = layer_norm([a * xi + b for xi in x], eps=0, arith=SYM)
print("LN(x) =", [sp.simplify(v) for v in y])
print("sum of outputs        :", sp.simplify(sum(y)))
print("squared norm          :", sp.simplify(sum(v**2 for v in y)))
print("LN(a x + b 1) - LN(x) :", [sp.simplify(p - q) for p, q in zip(y_scaled, y)])

# %% [markdown]
# On **two** neurons there is no room to move: the plane $\mathbf 1^\perp$ is a line, the "circle" is two
# points, and $\mathrm{LN}(a, b) = \operatorname{sign}(a-b)\,(1, -1)$. Width 2 is a sign unit. Width 3 is the
# smallest width where LayerNorm does something genuinely nonlinear and continuous.

# %%
for pair in ([Fraction(3), Fraction(1)], [Fraction(-7, 2), Fraction(5)], [Fraction(10**6), Fraction(10**6 - 1)]):
    print([format_number(v) for v in pair], "->", [format_number(v) for v in layer_norm(pair, eps=0, arith=EXACT)])

# %% [markdown]
# ## 2. Three neurons: LayerNorm projects onto a circle
#
# The vectors $u_1 = (1,-1,0)/\sqrt2$ and $u_2 = (1,1,-2)/\sqrt6$ are an orthonormal basis of
# $\mathbf 1^\perp\subset\mathbb R^3$. For $\varepsilon=0$ every output of LN lies in that plane with length
# $\sqrt 3$: on the **circle of radius $\sqrt3$**. In the coordinates $(u_1\cdot y,\ u_2\cdot y)$, LN is the
# radial projection of the centred input onto that circle. The package works with the rational,
# unnormalised pair $v_1 = (1,-1,0)$, $v_2 = (1,1,-2)$ (exported as `fold.V1`, `fold.V2`) so that every
# weight stays rational; we only use $u_1, u_2$ to draw.
#
# Below: 400 random inputs (float64, for the picture), their centred versions $Px$ in the plane, and their
# images $\mathrm{LN}(x)$, all on the circle.

# %%
rng = np.random.default_rng(0)
X3 = rng.normal(size=(400, 3)) * [1.0, 2.0, 0.5] + [0.5, -1.0, 2.0]
u1 = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)
u2 = np.array([1.0, 1.0, -2.0]) / np.sqrt(6)
with FLOAT.active():
    Y3 = np.stack(layer_norm([FLOAT.points(X3[:, j]) for j in range(3)], eps=0, arith=FLOAT), axis=1)
P3 = X3 - X3.mean(axis=1, keepdims=True)

fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), layout="constrained")
axes[0].scatter(P3 @ u1, P3 @ u2, s=6, alpha=0.5)
axes[0].set_title("centred inputs $Px$ in the plane $\\mathbf{1}^\\perp$")
axes[1].scatter(Y3 @ u1, Y3 @ u2, s=6, alpha=0.5, color="C3")
th = np.linspace(0, 2 * np.pi, 300)
axes[1].plot(np.sqrt(3) * np.cos(th), np.sqrt(3) * np.sin(th), color="0.5", lw=0.8)
axes[1].set_title("LN(x): on the circle of radius $\\sqrt{3}$")
for ax in axes:
    ax.set_aspect("equal")
    ax.set_xlabel("$u_1\\cdot$")
    ax.set_ylabel("$u_2\\cdot$")
fig.suptitle("float64 evaluation (not certified)", fontsize=9)
plt.show()
print("max | ||LN(x)||^2 - 3 | over the sample (float64):", float(np.max(np.abs((Y3**2).sum(axis=1) - 3))))

# %% [markdown]
# ## 3. The fold
#
# Now feed LayerNorm a **scalar** $t$. Embed it with an affine map as
#
# $$ z = (t - c)\,v_1 + h\,v_2, \qquad h > 0, $$
#
# i.e. $t$ moves along the $v_1$ direction, and the $v_2$ coordinate is **fixed at the height $h$**.
# Apply LN and read the ordinate $\tau = v_2\cdot \mathrm{LN}(z)$. Working it out (and letting sympy confirm
# it, again through the package's own `layer_norm`):
#
# $$
# \tau(t) \;=\; \frac{6h}{\sqrt{\bigl(2(t-c)^2 + 6h^2\bigr)/3 + \varepsilon}} .
# $$
#
# Read this formula as a picture: the point $(t-c, h)$ is pushed radially onto the circle, and the
# ordinate of the image depends only on the angle, that is on $|t-c|/h$. So
#
# * $\tau$ is **even about $c$**: $t$ and $2c - t$ land on the same value, *exactly*;
# * $\tau$ is **strictly decreasing in $|t - c|$**: on each side of $c$ the order of points is kept
#   (reversed), and no two points on the same side can merge;
# * for $\varepsilon = 0$ only the direction of $(t-c, h)$ matters: $h$ does not change *which* points merge,
#   only how far apart the survivors end up. That is a conditioning knob (notebook 6).
#
# One LayerNorm layer therefore **folds the line at $c$**, like folding a strip of paper.

# %%
t, c = sp.symbols("t c", real=True)
h, eps = sp.symbols("h epsilon", positive=True)
z = [(t - c) * p + h * q for p, q in zip(V1, V2)]
tau = read_scalar(layer_norm(z, eps=eps, arith=SYM), SYM)
formula = 6 * h / sp.sqrt((2 * (t - c) ** 2 + 6 * h**2) / 3 + eps)
print("tau(t) from the package's LayerNorm:", sp.simplify(tau))
print("difference from the formula       :", sp.simplify(tau - formula))
print("even about c                      :", sp.simplify(tau.subs(t, 2 * c - t) - tau))
print("derivative in t                   :", sp.factor(sp.simplify(sp.diff(formula, t))))

# %% [markdown]
# The derivative has the sign of $-(t-c)$: increasing left of $c$, decreasing right of it. With
# $\varepsilon = 0$ the peak value $\tau(c) = 6h/\sqrt{2h^2} = 3\sqrt2$ does not depend on $h$; with
# $\varepsilon > 0$ the peak drops and the absolute scale of $h$ starts to matter (large $h$ makes
# $\varepsilon$ negligible). The curves below are float64 evaluations of `fold.fold_value` (the library
# function that a fold layer computes) on a grid of $t$.

# %%
ts = np.linspace(-4, 4, 801)
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for hv in ("1/4", "1/2", "1", "2"):
    with FLOAT.active():
        vals = fold_value(FLOAT.points(ts), 0, Fraction(hv), 0, FLOAT)
    axes[0].plot(ts, vals, label=f"h = {hv}")
axes[0].axhline(3 * np.sqrt(2), color="0.6", ls=":", lw=0.8)
axes[0].set_title("$\\varepsilon = 0$, fold at $c = 0$: $h$ sets the width, not the peak $3\\sqrt{2}$")
for ev in ("0", "1/10", "1", "10"):
    with FLOAT.active():
        vals = fold_value(FLOAT.points(ts), 0, 1, Fraction(ev), FLOAT)
    axes[1].plot(ts, vals, label=f"$\\varepsilon$ = {ev}")
axes[1].set_title("$h = 1$, fold at $c = 0$: $\\varepsilon > 0$ lowers and flattens the fold")
for ax in axes:
    ax.set_xlabel("$t$")
    ax.set_ylabel("$\\tau(t) = v_2\\cdot \\mathrm{LN}((t-c)v_1 + h v_2)$")
    ax.legend()
fig.suptitle("the fold $\\tau(t)$ — float64 evaluation (not certified)", fontsize=9)
plt.show()

# %% [markdown]
# ### Exact merging
#
# Take $t = 0, 1, 2, 3, 4$ and fold at $c = 2$ with $h = 1$. The pairs $\{1, 3\}$ and $\{0, 4\}$ are at
# equal distance from $c$, so they must land on *the same algebraic number*, not merely on floats that
# agree to 16 digits. We evaluate in exact arithmetic and decide the signs of the differences exactly.

# %%
pts = [Fraction(k) for k in range(5)]
vals = fold_values(pts, 2, 1, 0, EXACT)
for p, v in zip(pts, vals):
    print(f"t = {p}:  tau = {sp.radsimp(v.to_sympy())}")
print("tau(1) - tau(3):", EXACT.sign(vals[1] - vals[3]))
print("tau(0) - tau(4):", EXACT.sign(vals[0] - vals[4]))
print("tau(1) - tau(0):", EXACT.sign(vals[1] - vals[0]), "(closer to c => higher)")

# %% [markdown]
# A fold with the centre **outside** the data ($c < \min t$) merges nothing: it is a strictly monotone
# (order-reversing) map. The constructions use it as a padding layer, for instance to make every network
# of a shattering witness exactly $L$ layers deep (notebook 4).

# %%
vals = fold_values(pts, -1, 1, 0, EXACT)
print("c = -1 < min t: signs of consecutive differences:",
      [EXACT.sign(vals[i + 1] - vals[i]).name for i in range(len(vals) - 1)])

# %% [markdown]
# ## 4. The paper's XOR figure, from a real network
#
# XOR is the classic set no linear classifier separates: class **A** $= \{(0,0), (1,1)\}$, class
# **B** $= \{(1,0), (0,1)\}$. The class means coincide, so no projection separates them (notebook 5 makes
# that quantitative). One LayerNorm layer does it:
#
# 1. **rotate by 45°**: $t = x_1 - x_2$ (the rotated first coordinate, rationally scaled); class A has
#    $t = 0$, class B has $t = \pm 1$;
# 2. **fix the height**: replace the other rotated coordinate by a constant $h$, i.e. $z = t\,v_1 + h\,v_2$;
# 3. **project onto the circle**: $y = \mathrm{LN}(z)$;
# 4. **read the ordinate** $v_2 \cdot y$: the fold at $c = 0$ sends $t = -1$ and $t = +1$ to the same
#    value, and $t = 0$ to the top of the circle.
#
# `theory.ssr.xor_witness` builds exactly this, evaluates it in exact sympy arithmetic, and
# `.to_network()` turns it into a `Network` with a rational output threshold strictly between the two
# class values (checked exactly).

# %%
from lnnet_construct.theory.ssr import xor_witness

w = xor_witness(h=1, eps=0)
net = w.to_network()
X = list(w.x1) + list(w.x2)
labels = ["A", "A", "B", "B"]
print(net)
for i, layer in enumerate(net.layers):
    if layer.kind == "affine":
        print(f"layer {i}: affine  W = {[[format_number(v) for v in row] for row in layer.weight]}, "
              f"b = {[format_number(v) for v in layer.bias]}")
    else:
        print(f"layer {i}: layernorm  eps = {format_number(layer.eps)}, groups = {layer.groups}")

# %% [markdown]
# The exact values, per point: the LayerNorm output (on the circle) and the ordinate. Both points of a
# class give the **same** exact number, and the two numbers differ.

# %%
rows = [(p, "A", yv, r) for p, yv, r in zip(w.x1, w.ln_outputs1, w.readout1)]
rows += [(p, "B", yv, r) for p, yv, r in zip(w.x2, w.ln_outputs2, w.readout2)]
print(f"{'point':>10}  class  {'LN output (exact)':<40} ordinate v2.y")
for p, cls, yv, r in rows:
    print(f"{str(tuple(int(v) for v in p)):>10}  {cls:^5}  {str(yv):<40} {r}  (~{float(r):.6f})")
print("\neach class collapses to one value, and the two differ (exact):", w.collapsed)
print("class A ordinate - class B ordinate =", sp.radsimp(w.readout1[0] - w.readout2[0]),
      "sign:", SYM.sign(w.readout1[0] - w.readout2[0]).name)
print("output threshold theta =", format_number(-net.layers[-1].bias[0]))

# %% [markdown]
# And here is the four-panel figure, drawn by `lnnet_construct.plot.plot_fold_on_circle` from the
# activations of `net` itself (float64 for drawing): (1) the input points and the direction the first
# layer projects on; (2) the first affine output in the plane $\mathbf 1^\perp$: rotated, at a fixed height;
# (3) after LayerNorm, on the circle of radius $\sqrt3$; (4) the ordinate the output layer reads, with the
# threshold. Panels use the orthonormal coordinates $u_1, u_2$, so the ordinate axis is $u_2\cdot y =
# (v_2\cdot y)/\sqrt6$.

# %%
from lnnet_construct.plot import plot_decision_regions, plot_fold_on_circle

plot_fold_on_circle(net, X, labels, title="XOR: theory.ssr.xor_witness().to_network()")

# %% [markdown]
# The class decisions themselves are certified, not read off the picture: exact evaluation, and the
# rigorous verifier (interval arithmetic with a certified relative margin per point).

# %%
from lnnet_construct.predict import predict
from lnnet_construct.verify import verify

print("exact predictions:", predict(net, X, arith="exact"))
report = verify(net, X, labels)
print(report.summary())
for p in report.points:
    print(f"  point {p.index} ({p.label}): {p.verdict}, certified margin >= {float(p.margin_lower):.4f}")

# %% [markdown]
# Seen on the whole plane, the one fold layer draws two parallel lines: the band around the diagonal
# $x_1 = x_2$ is class A, the rest is class B. A linear classifier draws one line; this is the nonlinearity
# LayerNorm brings.

# %%
plot_decision_regions(net, X, labels, xlim=(-0.75, 1.75), ylim=(-0.75, 1.75),
                      title="XOR network: decision regions")

# %% [markdown]
# ### With $\varepsilon > 0$ and other heights
#
# Practical LayerNorms have $\varepsilon > 0$ (PyTorch defaults to $10^{-5}$). The fold stays even about
# $c$ for every $\varepsilon \ge 0$, so the collapse survives; only the values move. Exact check over a few
# heights and epsilons:

# %%
print(f"{'h':>5} {'eps':>7}  collapsed  class A value      class B value")
for hv, ev in [("1", "0"), ("1/2", "1/10"), ("3", "1/100000"), ("1/10", "1")]:
    wi = xor_witness(h=hv, eps=ev)
    print(f"{hv:>5} {ev:>7}  {str(wi.collapsed):^9}  {str(wi.readout1[0]):<16} {wi.readout2[0]}")

# %% [markdown]
# ## What next
#
# * Notebook 2 folds again and again: the **projection–merge** construction that classifies any labelled
#   point set with width 3.
# * Notebook 5 measures what just happened: the LSSR of XOR drops from 1 to 0, which no linear map can do.
