# Source of notebooks/03_build_and_verify_your_data.ipynb (generate with: python notebooks/build_notebooks.py).

# %% [markdown]
# # 3. Build and verify a network for your own data
#
# *How-to.* You have labelled points in a CSV file. You want a network of affine and LayerNorm layers
# (width 3) that classifies **every** one of them, a proof that it does, and a picture. This notebook goes
# through the whole job, once from Python and once from the command line:
#
# 1. write the CSV (exact numbers: `0.1` means one tenth);
# 2. build the network: `lnnet_construct.construct.build`, and `lnnet build`;
# 3. verify it rigorously and write a certificate: `lnnet_construct.verify.verify`, and `lnnet verify
#    --certificate`;
# 4. replay the certificate with the dependency-free checker, in a Python that cannot even import
#    `lnnet_construct`;
# 5. draw the decision regions.
#
# All files are written to the current working directory.

# %%
# %matplotlib inline
import json
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import lnnet_construct
from lnnet_construct.construct import build
from lnnet_construct.io import load_network, load_points, save_network, save_points_csv
from lnnet_construct.verify import verify

# The command line: the installed `lnnet` script, or the same program through this Python.
LNNET = [shutil.which("lnnet")] if shutil.which("lnnet") else [sys.executable, "-m", "lnnet_construct"]


def run(*args):
    """Run `lnnet ARGS...`, show the command, its stderr and its exit code; return the completed process."""
    proc = subprocess.run(LNNET + [str(a) for a in args], capture_output=True, text=True)
    print("$ lnnet " + " ".join(str(a) for a in args))
    if proc.stderr.strip():
        print(proc.stderr.strip())
    print(f"[exit code {proc.returncode}]")
    return proc


print("lnnet_construct", lnnet_construct.__version__)

# %% [markdown]
# ## 1. Your data as a CSV
#
# Two interleaved half moons, 80 points, coordinates rounded to two decimals. The CSV has a header row, a
# `label` column, and one column per coordinate. Numbers are read **exactly**: integers, fractions like
# `3/7`, decimals with optional exponent. A float such as `0.1` is one tenth, not the nearest double.

# %%
rng = np.random.default_rng(3)
n = 40
a = rng.uniform(0, np.pi, n)
b = rng.uniform(0, np.pi, n)
moon1 = np.c_[np.cos(a), np.sin(a)] + rng.normal(scale=0.08, size=(n, 2))
moon2 = np.c_[1 - np.cos(b), 0.45 - np.sin(b)] + rng.normal(scale=0.08, size=(n, 2))
with open("moons.csv", "w", encoding="utf-8") as fh:
    fh.write("x,y,label\n")
    for (x, y), lab in zip(np.vstack([moon1, moon2]), ["upper"] * n + ["lower"] * n):
        fh.write(f"{x:.2f},{y:.2f},{lab}\n")
print("".join(open("moons.csv", encoding="utf-8").readlines()[:6]) + "...")

# %%
data = load_points("moons.csv")
print(f"{len(data)} points in R^{data.dim}, columns {data.columns}, labels {sorted(set(data.labels))}")
print("first point, exactly:", data.points[0])

# %% [markdown]
# ## 2. Build the network (Python)
#
# `build(points, labels, method="default", eps=0, seed=None)` runs the projection–merge construction of
# notebook 2: project on a line where all points are distinct, fold until the labels form two runs, and
# threshold. Its guarantee: the returned network classifies every given point correctly (two identical
# points with different labels are refused instead).

# %%
net = build(data.points, data.labels)
print(net)
print("meta:", dict(net.meta))
save_network(net, "moons.network.json")
text = Path("moons.network.json").read_text(encoding="utf-8")
print(f"\nmoons.network.json: {len(text)} characters; the first layer:")
print(json.dumps(json.loads(text)["layers"][0], indent=1)[:600])

# %% [markdown]
# ## 2'. Build the network (command line)
#
# The same construction from a shell. `--json` prints a machine-readable summary on stdout; progress and
# messages go to stderr.

# %%
proc = run("build", "moons.csv", "-o", "moons.cli.network.json", "--json")
print(proc.stdout)
cli_net = load_network("moons.cli.network.json")
print("same network as from Python:", cli_net == net)

# %% [markdown]
# ## 3. Verify, with a certificate
#
# `verify` decides, for every point, whether the network **provably** outputs its label: VERIFIED,
# REFUTED, or INCONCLUSIVE (undecided at the precision cap). It never rests a verdict on floating point:
# a vectorised outward-rounded interval pass first, then arb balls at rising precision for the points it
# could not decide, then exact arithmetic if needed. Each verified point gets a certified lower bound on
# its **relative margin** (how far the output is from flipping, relative to the size of the terms that
# make it up); $-\log_2$ of the smallest one is the number of bits any evaluation needs.

# %%
report = verify(net, data.points, data.labels)
print(report.summary())
margins = np.array([float(p.margin_lower) for p in report.points])
print(f"smallest certified relative margin: {float(report.min_relative_margin):.3e}  "
      f"(bits needed: {report.bits_needed:.1f})")

fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.hist(np.log10(margins), bins=30)
ax.set_xlabel("$\\log_{10}$ certified relative margin (lower bound)")
ax.set_ylabel("points")
ax.set_title("certified margins of the moons network")
plt.show()

# %% [markdown]
# A **certificate** records, for every point, the claimed verdict and the enclosures (exact dyadic
# intervals, one per LayerNorm layer) that prove it. From Python: `write_certificate`. From the shell:
# `lnnet verify NET POINTS --certificate FILE` (exit code 0: all verified, 1: some refuted, 2: some
# inconclusive, 3: bad input).

# %%
from lnnet_construct.verify.certificate import write_certificate

cert = write_certificate(report, net, data.points, data.labels, "moons.certificate.json")
print("mode:", cert["mode"], "| summary:", cert["summary"])
proc = run("verify", "moons.network.json", "moons.csv", "--certificate", "moons.cli.certificate.json", "--json", "--quiet")
doc = json.loads(proc.stdout)
print({k: doc[k] for k in ("verified", "refuted", "inconclusive", "bits_needed", "exit_code")})

# %% [markdown]
# ## 4. Replay the certificate, without trusting this package
#
# The replay checker is **one file** using only the Python standard library (`json`, `math`, `fractions`,
# `sys`): its own parser for the number grammar, its own exact rational interval arithmetic with integer
# square-root bounds. It recomputes every step from the claimed enclosures and checks each containment and
# each decision. Here we copy it next to the certificate and run it in a bare Python (`-I -S`: isolated
# mode and no `site` module, so no site-packages at all), where `lnnet_construct` cannot be imported.

# %%
import lnnet_construct.verify.replay as replay_module

shutil.copy(replay_module.__file__, "replay.py")
BARE_PYTHON = [sys.executable, "-I", "-S"]
check = subprocess.run(BARE_PYTHON + ["-c", "import lnnet_construct"], capture_output=True, text=True)
print("isolated Python can import lnnet_construct:", check.returncode == 0)
proc = subprocess.run(BARE_PYTHON + ["replay.py", "moons.certificate.json"], capture_output=True, text=True)
print(proc.stdout.strip(), f"[exit code {proc.returncode}]")

# %% [markdown]
# The checker is not a rubber stamp. Change one label in the certificate (claiming a point is the other
# class) and it is rejected; so is a changed weight.

# %%
tampered = json.loads(Path("moons.certificate.json").read_text(encoding="utf-8"))
other = {"upper": "lower", "lower": "upper"}
tampered["labels"][7] = other[tampered["labels"][7]]
Path("tampered_label.json").write_text(json.dumps(tampered), encoding="utf-8")

tampered = json.loads(Path("moons.certificate.json").read_text(encoding="utf-8"))
tampered["network"]["layers"][-1]["bias"][0] = "1000"
Path("tampered_weight.json").write_text(json.dumps(tampered), encoding="utf-8")

for name in ("tampered_label.json", "tampered_weight.json"):
    proc = subprocess.run(BARE_PYTHON + ["replay.py", name], capture_output=True, text=True)
    print(f"{name}: {proc.stdout.strip()} [exit code {proc.returncode}]")

# %% [markdown]
# The same replay is available as `lnnet verify --replay CERT`:

# %%
proc = run("verify", "--replay", "moons.cli.certificate.json")
print(proc.stdout.strip())

# %% [markdown]
# ## 5. Decision regions
#
# The picture everyone wants. The regions are a float64 evaluation on a grid (the verdicts on the data
# points are the certified ones above). The network sees a point only through its projection
# $t = w\cdot x$, so its regions are stripes perpendicular to $w$; between the data it is free to do
# anything. The construction guarantees the given points, not a smooth boundary: it is a memorisation
# theorem made concrete, not a learning algorithm.

# %%
from lnnet_construct.plot import plot_decision_regions, plot_fold_trajectory

plot_decision_regions(net, data.points, data.labels, resolution=300, title=f"moons: {net.depth} LayerNorm layers of width 3")

# %% [markdown]
# And the data's path through the network: each point's scalar after every fold. Each fold lays label
# runs on top of each other, until the two classes form one run each, on either side of the output
# threshold.

# %%
plot_fold_trajectory(net, data.points, data.labels, title="moons: points through the folds")

# %% [markdown]
# ## 6. Classifying new points
#
# `predict` with `arith="interval"` is rigorous too: a class is returned only when it is certain, `None`
# otherwise. From the shell: `lnnet predict NET POINTS --json`.

# %%
from lnnet_construct.predict import predict

new = [(Fraction(0), Fraction(1)), (Fraction(1), Fraction(-1, 2)), (Fraction(1, 2), Fraction(1, 4))]
print(predict(net, new, arith="interval"))
save_points_csv(new, ["?"] * len(new), "new_points.csv")
proc = run("predict", "moons.network.json", "new_points.csv", "--json")
print(proc.stdout.strip())

# %% [markdown]
# ## 7. When the input is wrong
#
# Bad files are refused with one line that names the file, the row and the column, and exit code 3;
# never a traceback. Two identical points with different labels cannot be classified by any function, so
# `build` refuses them too.

# %%
Path("bad.csv").write_text("x,y,label\n0.5,1,upper\n0.25,nan,lower\n", encoding="utf-8")
run("build", "bad.csv", "-o", "never.json")
Path("conflict.csv").write_text("x,y,label\n1/2,1,upper\n0.5,1.0,lower\n", encoding="utf-8")
run("build", "conflict.csv", "-o", "never.json")
print("never.json written:", Path("never.json").exists())

# %% [markdown]
# ## 8. The same in scikit-learn style
#
# `LNNetClassifier` wraps the same steps with the scikit-learn conventions (`fit`, `predict`, `score`,
# `get_params`, ...); `certify` returns the verification report. Floats are taken at their exact binary
# value.

# %%
from lnnet_construct.estimator import LNNetClassifier

X = np.vstack([moon1, moon2])
y = np.array(["upper"] * n + ["lower"] * n)
clf = LNNetClassifier().fit(X, y)
print(clf, "| depth", clf.network_.depth, "| classes", clf.classes_)
print("training accuracy (certified predictions):", clf.score(X, y))
print(clf.certify(X, y).summary())
