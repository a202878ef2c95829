"""Benchmark of the Theorem 1 constructions: ``paper`` against ``default``.

Data sets (d = 2 unless stated):

* ``random-m``: ``m`` points with coordinates ``k / 10^6`` (uniform integers
  ``k`` in ``[-10^6, 10^6)``) and uniformly random binary labels (``--classes K``:
  ``K`` classes, named ``random-m/KK``), for ``m`` in
  ``--sizes`` (default 64, 256, 1024, 2000, 4096), one set per data seed in
  ``--data-seeds`` (named ``random-m/sN`` beyond the first);
* ``alternating-m``: ``0, 1, ..., m-1`` on a line with alternating labels;
* ``two-spirals``: the bundled data set (200 points).

For each data set and method: LN layers, build time (including the
certification), the smallest *certified* relative margin (from the rigorous
verifier), and how many points a plain float64 / float32 evaluation of the
built network misclassifies (torch semantics; not rigorous — that is the
point).  A table goes to stdout, JSON to ``benchmarks/results/construction.json``.

Run ``python benchmarks/construction.py --sizes 64,256`` for a quick look.
``paper`` is slow at large ``m`` (its 45° folds destroy about 0.12 digits per
layer, so it needs hundreds of digits): ``--paper-max M`` skips it above ``M``
points (default 1024), with a note in the table.  ``--time-limit S`` stops a
build after ``S`` seconds and reports how many layers it took and how many
of its runs it had removed by then (m = 10^4 does not finish in 10 minutes).
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
    """Raised from the progress callback once a build passes ``--time-limit``."""


def run_one(name, points, labels, method, seed, time_limit=None):
    """One build, its row; with ``time_limit`` (s) a build still running then is stopped and reported as such."""
    t0 = time.perf_counter()
    seen = {"layers": 0, "done": 0, "total": None}

    def progress(done, total):
        seen.update(layers=seen["layers"] + 1, done=done, total=total)
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            raise _TimeUp

    try:
        res = build_with_history(points, labels, method=method, seed=seed, progress=progress)
    except _TimeUp:
        return {"data": name, "m": len(points), "method": method, "stopped_after_seconds": time_limit,
                "ln_layers_so_far": seen["layers"], "runs_removed": seen["done"], "runs_to_remove": seen["total"]}
    seconds = time.perf_counter() - t0
    net = res.network
    row = {
        "data": name,
        "m": len(points),
        "method": method,
        "ln_layers": net.depth,
        "runs_after_projection": net.meta["runs_after_projection"],
        "build_seconds": round(seconds, 2),
        "verify_seconds": round(res.report.seconds, 2),
        "min_relative_margin": net.meta["min_relative_margin_float"],
        "float64_errors": misclassified(net, points, labels, np.float64),
        "float32_errors": misclassified(net, points, labels, np.float32),
        "fallback": net.meta.get("fallback"),
    }
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="64,256,1024,2000,4096", help="comma-separated m for random labels")
    ap.add_argument("--alternating", default="64,256", help="comma-separated m for alternating labels ('' to skip)")
    ap.add_argument("--no-spirals", action="store_true")
    ap.add_argument("--paper-max", type=int, default=1024, help="skip the paper method above this many points")
    ap.add_argument("--seed", type=int, default=0, help="planner seed (and the data seed unless --data-seeds)")
    ap.add_argument("--data-seeds", default=None,
                    help="comma-separated seeds of the random sets (default: --seed); depths and times vary "
                         "a lot from one set to the next, so compare several")
    ap.add_argument("--classes", type=int, default=2, help="classes of the random labels (default 2)")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="stop a build after this many seconds and report how far it got (default: no limit)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "construction.json"))
    args = ap.parse_args(argv)

    data_seeds = [int(s) for s in args.data_seeds.split(",")] if args.data_seeds else [args.seed]
    cases = []
    for m in (int(s) for s in args.sizes.split(",") if s):
        for k, ds in enumerate(data_seeds):
            name = f"random-{m}" + (f"/K{args.classes}" if args.classes != 2 else "") + (f"/s{ds}" if k or ds != args.seed else "")
            cases.append((name, *random_set(m, ds, args.classes)))
    for m in (int(s) for s in args.alternating.split(",") if s):
        cases.append((f"alternating-{m}", *alternating(m)))
    if not args.no_spirals:
        cases.append(("two-spirals", *two_spirals()))

    rows = []
    head = f"{'data':<20}{'method':<9}{'LN':>6}{'runs0':>7}{'build s':>9}{'margin':>10}{'f64 err':>9}{'f32 err':>9}"
    print(head)
    print("-" * len(head))
    for name, pts, labels in cases:
        for method in ("default", "paper"):
            if method == "paper" and len(pts) > args.paper_max:
                row = {"data": name, "m": len(pts), "method": method, "skipped": f"m > --paper-max {args.paper_max}"}
                print(f"{name:<20}{method:<9}  skipped ({row['skipped']})")
            else:
                row = run_one(name, pts, labels, method, args.seed, args.time_limit)
                if "stopped_after_seconds" in row:
                    print(f"{name:<20}{method:<9}  stopped after {args.time_limit:g} s: {row['ln_layers_so_far']} "
                          f"layers, {row['runs_removed']} of {row['runs_to_remove']} runs removed")
                    rows.append(row)
                    continue
                print(f"{name:<20}{method:<9}{row['ln_layers']:>6}{row['runs_after_projection']:>7}"
                      f"{row['build_seconds']:>9.1f}{row['min_relative_margin']:>10.2e}"
                      f"{row['float64_errors']:>9}{row['float32_errors']:>9}"
                      + (" (fallback to paper)" if row["fallback"] else ""))
            rows.append(row)
            sys.stdout.flush()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "construction", "seed": args.seed, "rows": rows}, indent=2) + "\n")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
