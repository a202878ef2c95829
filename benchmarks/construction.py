"""Benchmark of the construction: the default method against the paper's merge order and the landed planner.

Rows (issue 27): random labels with d = 2 at m = 256, 2000, 10^4 and 10^5
(coordinates ``k / 10^6``), random points and labels with d = 784 at
m = 10^4, scikit-learn's ``digits`` (10 classes), digits even/odd and
``breast_cancer`` (scikit-learn is a benchmark extra).  ``--rows`` picks a
subset by name.

Methods, side by side in the same run:

* ``default`` -- this checkout's default method (the float planner);
* ``paper-order`` -- the paper's merge order planned in float64 with the
  float form (``Policy(strategies=("paper-merge",))``);
* ``depth`` -- this checkout's depth-first planner (``Policy(prefer="depth")``),
  up to ``--depth-max`` points;
* ``landed`` -- the default method of the commit given by ``--baseline``
  (a git revision; run from a temporary worktree in a subprocess, stopped
  after ``--time-limit`` seconds), when given.

Columns: LN layers and layers / m; build seconds (planning and realisation)
and certify seconds (the rigorous verifier, every point); how many points the
exported network gets wrong in torch float64 and float32 (CPU; not rigorous:
that is the point); and the smallest float width among numpy float32,
float64 and longdouble (24, 53, 64 bits) whose plain evaluation of the float
form gets every point right (``>64`` if none).  A table goes to stdout,
JSON to ``benchmarks/results/construction_v2.json`` (the older
``construction*.json`` files are earlier runs of the first planner).

Run ``python benchmarks/construction.py --rows random-256,random-2000`` for a
quick look; the whole table takes about half an hour on two cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from fractions import Fraction
from importlib import resources
from pathlib import Path

import numpy as np

from lnnet_construct.construct import build_with_history
from lnnet_construct.network import Affine


def float_predict(net, points, dtype) -> list:
    """Plain float evaluation with torch.nn.LayerNorm semantics (population variance, eps inside the sqrt)."""
    x = np.array([[float(v) for v in p] for p in points], dtype=dtype).T
    for layer in net.layers:
        if isinstance(layer, Affine):
            w = np.array([[float(v) for v in row] for row in layer.weight], dtype=dtype)
            b = np.array([float(v) for v in layer.bias], dtype=dtype)[:, None]
            x = w @ x + b
        else:
            mu = x.mean(axis=0, keepdims=True)
            var = ((x - mu) ** 2).mean(axis=0, keepdims=True)
            with np.errstate(all="ignore"):
                x = (x - mu) / np.sqrt(var + dtype(float(layer.eps)))
    out = []
    for col in x.T:
        if net.decision == "sign":
            out.append(None if not col[0] or not np.isfinite(col[0]) else net.class_texts[1 if col[0] > 0 else 0])
        else:
            out.append(net.class_texts[int(np.argmax(col))])
    return out


def misclassified(net, points, labels, dtype) -> int:
    return sum(p != str(lab) for p, lab in zip(float_predict(net, points, dtype), labels))


def random_set(m: int, seed: int, classes: int = 2):
    rng = np.random.default_rng(seed)
    seen, pts = set(), []
    while len(pts) < m:
        p = tuple(Fraction(int(v), 10**6) for v in rng.integers(-10**6, 10**6, size=2))
        if p not in seen:
            seen.add(p)
            pts.append(p)
    labels = [int(v) for v in rng.integers(0, classes, size=m)]
    return pts, labels


def alternating(m: int):
    return [(Fraction(i),) for i in range(m)], [i % 2 for i in range(m)]


def two_spirals():
    from lnnet_construct.io.points import parse_points_csv

    text = resources.files("lnnet_construct").joinpath("data/two_spirals.csv").read_text("utf-8")
    ps = parse_points_csv(text, "two_spirals.csv")
    return list(ps.points), list(ps.labels)


class _TimeUp(Exception):
    """Raised from the progress callback once a build passes the time limit."""


ROWS = ("random-256", "random-2000", "random-10000", "random-100000", "random784-10000",
        "digits", "digits-even-odd", "breast-cancer")


def _random784(m: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(m, 784))  # pixel-like integers, exact
    return [tuple(int(v) for v in row) for row in x], [int(v) for v in rng.integers(0, 2, size=m)]


def _sklearn(name: str):
    try:
        from sklearn import datasets
    except ImportError:
        raise SystemExit("the scikit-learn rows need scikit-learn: pip install -e '.[sklearn]'") from None
    if name.startswith("digits"):
        d = datasets.load_digits()
        pts = [tuple(int(v) for v in row) for row in d.data]
        labels = [int(v) % 2 for v in d.target] if name == "digits-even-odd" else [int(v) for v in d.target]
        return pts, labels
    d = datasets.load_breast_cancer()
    return [tuple(float(v) for v in row) for row in d.data], [int(v) for v in d.target]


def data_for(row: str, seed: int):
    if row.startswith("random784-"):
        return _random784(int(row.split("-")[1]), seed)
    if row.startswith("random-"):
        return random_set(int(row.split("-")[1]), seed)
    return _sklearn(row)


def torch_wrong(net, points, labels) -> dict:
    """Points the torch export gets wrong, in float64 and float32 (CPU)."""
    import torch

    from lnnet_construct.io.exports.to_torch import to_torch

    mod = to_torch(net)
    X = np.array([[float(v) for v in p] for p in points])
    truth = [str(v) for v in labels]
    out = {}
    for name, dt in (("float64", torch.float64), ("float32", torch.float32)):
        with torch.no_grad():
            y = mod.to(dt)(torch.tensor(X, dtype=dt)).numpy()
        if net.decision == "sign":
            pred = [net.class_texts[1] if v > 0 else net.class_texts[0] if v < 0 else None for v in y.ravel()]
        else:
            pred = [net.class_texts[int(np.argmax(r))] if np.isfinite(r).all() else None for r in y]
        out[name] = sum(p != t for p, t in zip(pred, truth))
    return out


def bits_needed(net, points, labels):
    """Smallest of 24, 53, 64 bits (numpy float32, float64, longdouble) whose plain evaluation is right everywhere."""
    for bits, dt in ((24, np.float32), (53, np.float64), (64, np.longdouble)):
        if np.finfo(dt).nmant + 1 != bits:  # longdouble may be float64 here
            continue
        if misclassified(net, points, labels, dt) == 0:
            return bits
    return ">64"


def build_row(row, points, labels, method, seed, time_limit, policy=None):
    from lnnet_construct.verify import verify

    t0 = time.perf_counter()
    seen = {"layers": 0}

    def progress(done, total):
        seen["layers"] += 1
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            raise _TimeUp

    try:
        res = build_with_history(points, labels, seed=seed, progress=progress, certify=False, policy=policy)
    except _TimeUp:
        return {"data": row, "m": len(points), "method": method, "stopped_after_seconds": time_limit,
                "ln_layers_so_far": seen["layers"]}
    build_s = time.perf_counter() - t0
    net = res.network
    t1 = time.perf_counter()
    report = verify(net, points, [str(v) for v in labels])
    cert_s = time.perf_counter() - t1
    return _measure(row, points, labels, method, net, build_s, cert_s, report.exit_code == 0)


def _measure(row, points, labels, method, net, build_s, cert_s, certified):
    tw = torch_wrong(net, points, labels)
    m = len(set(points))
    return {"data": row, "m": m, "classes": len(net.classes), "method": method, "ln_layers": net.depth,
            "layers_per_m": round(net.depth / m, 4), "build_seconds": round(build_s, 2),
            "certify_seconds": round(cert_s, 2), "certified": certified,
            "torch_float64_wrong": tw["float64"], "torch_float32_wrong": tw["float32"],
            "bits_needed": bits_needed(net, points, labels), "planner": net.meta.get("planner"),
            "float_formats_kept": net.meta.get("float_formats_kept"), "fallback": net.meta.get("fallback")}


_LANDED = """
import json, sys, time
from fractions import Fraction
sys.path.insert(0, sys.argv[1])
from lnnet_construct.construct import build
from lnnet_construct.io.network_file import save_network
pts, labels = json.load(open(sys.argv[2]))
pts = [[Fraction(v) for v in p] for p in pts]
t0 = time.perf_counter()
net = build(pts, labels)
json.dump({"seconds": time.perf_counter() - t0}, open(sys.argv[3], "w"))
save_network(net, sys.argv[4])
"""


def landed_row(row, points, labels, worktree, time_limit):
    """The baseline commit's default build in a subprocess (its own certification included)."""
    import subprocess
    import tempfile

    from lnnet_construct.io.network_file import load_network

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "data.json").write_text(json.dumps([[[str(Fraction(v)) for v in p] for p in points], labels]))
        (tmp / "run.py").write_text(_LANDED)
        try:
            subprocess.run([sys.executable, str(tmp / "run.py"), str(worktree), str(tmp / "data.json"),
                            str(tmp / "t.json"), str(tmp / "net.json")], check=True, timeout=time_limit,
                           capture_output=True)
        except subprocess.TimeoutExpired:
            return {"data": row, "m": len(points), "method": "landed", "stopped_after_seconds": time_limit}
        seconds = json.loads((tmp / "t.json").read_text())["seconds"]
        net = load_network(tmp / "net.json")
    return _measure(row, points, labels, "landed", net, seconds, 0.0, True) | {"certify_seconds": "in build"}


def _print(r):
    if "stopped_after_seconds" in r:
        print(f"{r['data']:<18}{r['method']:<12} stopped after {r['stopped_after_seconds']:g} s", flush=True)
        return
    print(f"{r['data']:<18}{r['method']:<12}{r['ln_layers']:>7}{r['layers_per_m']:>8.3f}{r['build_seconds']:>9.1f}"
          f"{str(r['certify_seconds']):>9}{r['torch_float64_wrong']:>8}{r['torch_float32_wrong']:>8}"
          f"{str(r['bits_needed']):>6}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated rows (default all: {', '.join(ROWS)})")
    ap.add_argument("--methods", default="default,paper-order,depth", help="comma-separated methods")
    ap.add_argument("--depth-max", type=int, default=2000, help="skip the depth-first planner above this many points")
    ap.add_argument("--baseline", default=None, help="git revision whose default method is the 'landed' column")
    ap.add_argument("--time-limit", type=float, default=900.0, help="seconds before a build is stopped")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "construction_v2.json"))
    args = ap.parse_args(argv)

    from lnnet_construct.construct import Policy

    policies = {"default": None, "paper-order": Policy(strategies=("paper-merge",), greedy_max_points=0),
                "depth": Policy(prefer="depth")}
    methods = [m for m in args.methods.split(",") if m]
    worktree = None
    if args.baseline:
        import subprocess
        import tempfile

        worktree = Path(tempfile.mkdtemp()) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.baseline], check=True,
                       capture_output=True)
        methods.append("landed")
    head = f"{'data':<18}{'method':<12}{'LN':>7}{'LN/m':>8}{'build s':>9}{'cert s':>9}{'f64 err':>8}{'f32 err':>8}{'bits':>6}"
    print(head)
    print("-" * len(head))
    rows = []
    try:
        for row in (r for r in args.rows.split(",") if r):
            points, labels = data_for(row, args.seed)
            for method in methods:
                if method == "depth" and len(points) > args.depth_max:
                    continue
                if method == "landed":
                    r = landed_row(row, points, labels, worktree, args.time_limit)
                else:
                    r = build_row(row, points, labels, method, args.seed, args.time_limit, policies[method])
                _print(r)
                rows.append(r)
    finally:
        if worktree is not None:
            import subprocess

            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], capture_output=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "construction", "baseline": args.baseline, "seed": args.seed,
                               "rows": rows}, indent=2) + "\n")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
