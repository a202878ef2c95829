"""Certified verification time against a plain float64 forward pass, bits used against bits needed.

For each size m (default 256, 1024, 2000, 4096): m random points in d = 2
with random binary labels, the ``default`` network built by
``lnnet_construct.construct.build(points, labels)`` (when that is not
available or fails, a stand-in of the same shape: the paper's merge plan
with ``h = (t_j - t_1)/16`` on the projection ``t = x_1 + x_2 / 10007``,
built by ``lnnet_construct.verify.testnets``; the output says which one was
used, ``--network standin`` forces it).

Measured in the same run, on the same network and points:

* ``float``: a plain float64 numpy forward pass written as matrix operations
  (``x @ W.T + b`` and LayerNorm with numpy, points already converted to a
  float array) — the fair baseline;
* ``certified``: :func:`lnnet_construct.verify.verify` from exact points to
  the report (chain detection, tier 1, escalation, exact bookkeeping);
* both best of ``--repeats`` runs, taken in turns (float, certified, float,
  ...) so that a change in the machine's speed affects both alike;
* bits used (largest working precision of any point) against bits needed
  (``-log2`` of the smallest certified relative margin), and the number of
  points escalated beyond float64;
* float columns (``--float-formats``, default ``float64,float32``): for each
  format, the points FLOAT-VERIFIED by ``verify(..., arith=FORMAT)`` (every
  IEEE evaluation in that format proven to predict the label; default
  object: all LayerNorm algorithms, rows in any order) and its time, next to
  the points the plain forward pass in that format gets right (not a proof).

Usage::

    python benchmarks/verification.py [--sizes 256,1024,2000,4096] [--repeats 3] [--seed 0]
        [--float-formats float64,float32]

Writes ``benchmarks/results/verification.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lnnet_construct.network import Affine  # noqa: E402
from lnnet_construct.verify import verify  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def make_data(m: int, seed: int):
    """m distinct random points in [0, 1)^2 (exact decimals with 4 digits) and random binary labels."""
    rng = random.Random(seed * 100003 + m)
    seen, pts = set(), []
    while len(pts) < m:
        p = (rng.randrange(10**4), rng.randrange(10**4))
        if p not in seen:
            seen.add(p)
            pts.append([Fraction(p[0], 10**4), Fraction(p[1], 10**4)])
    labels = [rng.randint(0, 1) for _ in range(m)]
    if len(set(labels)) == 1:
        labels[0] = 1 - labels[0]
    return pts, labels


def build_network(points, labels, which="default"):
    """``construct.build`` (``which="default"``) when it is available and succeeds, else the stand-in."""
    note = ""
    if which == "default":
        try:
            from lnnet_construct.construct import build
        except ImportError:
            note = " (construct.build not available)"
        else:
            try:
                return build(points, labels), "construct.build (default)"
            except Exception as e:  # noqa: BLE001 - report and fall back, the benchmark is about verify
                note = f" (construct.build failed: {type(e).__name__}: {str(e)[:120]})"
    from lnnet_construct.verify.testnets import paper_fold_network

    w = [Fraction(1), Fraction(1, 10007)]  # x1 + x2/10007 is injective on the 4-digit grid
    ts = [w[0] * p[0] + w[1] * p[1] for p in points]
    assert len(set(ts)) == len(ts)
    net = paper_fold_network(ts, labels, h_ratio=Fraction(1, 16), plan_bits=256, direction=w)
    return net, "stand-in: paper fold plan, h = gap/16" + note


def float_layers(net):
    out = []
    for layer in net.layers:
        if isinstance(layer, Affine):
            out.append(("affine", np.array([[float(v) for v in r] for r in layer.weight]),
                        np.array([float(v) for v in layer.bias])))
        else:
            out.append(("ln", float(layer.eps), layer.groups,
                        None if layer.weight is None else np.array([float(v) for v in layer.weight]),
                        None if layer.bias is None else np.array([float(v) for v in layer.bias])))
    return out


def float_forward(layers, X, dtype=np.float64):
    """Plain forward pass in ``dtype`` (NOT rigorous): x @ W.T + b and LayerNorm."""
    x = X.astype(dtype)
    for L in layers:
        if L[0] == "affine":
            x = x @ L[1].astype(dtype).T + L[2].astype(dtype)
        else:
            _, eps, groups, gamma, beta = L
            eps = dtype(eps)
            gamma = None if gamma is None else gamma.astype(dtype)
            beta = None if beta is None else beta.astype(dtype)
            m, n = x.shape
            g = x.reshape(m, groups, n // groups)
            mu = g.mean(axis=2, keepdims=True)
            c = g - mu
            var = (c * c).mean(axis=2, keepdims=True)
            x = (c / np.sqrt(var + eps)).reshape(m, n)
            if gamma is not None:
                x = x * gamma
            if beta is not None:
                x = x + beta
    return x


def best_of_alternating(fns, repeats):
    """Best time and last value of each function, running them in turns ``repeats`` times."""
    best = [float("inf")] * len(fns)
    values = [None] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            t = time.perf_counter()
            values[k] = fn()
            best[k] = min(best[k], time.perf_counter() - t)
    return list(zip(best, values))


def cached_network(points, labels, which, cache: Path | None, m: int, seed: int):
    """:func:`build_network`, kept as a network file in ``cache`` (a built m = 2000 network takes minutes)."""
    from lnnet_construct.io.network_file import load_network, save_network

    path = None if cache is None else cache / f"{which}-m{m}-seed{seed}.json"
    if path is not None and path.exists():
        net = load_network(str(path))
        return net, net.meta.get("benchmark_source", which) + f" (cached: {path.name})"
    net, source = build_network(points, labels, which)
    if path is not None:
        cache.mkdir(parents=True, exist_ok=True)
        save_network(net.with_meta(benchmark_source=source), str(path))
    return net, source


def _right(net, out, labels):
    if net.decision != "sign":
        return None
    pred = np.where(out[:, 0] > 0, 1, np.where(out[:, 0] < 0, 0, -1))
    return int(sum(p >= 0 and net.class_texts[p] == str(lab) for p, lab in zip(pred, labels)))


def float_columns(net, points, labels, layers, X, formats):
    """Per format: FLOAT-VERIFIED points and seconds, and the points the plain forward pass gets right."""
    cols = {}
    for fmt in formats:
        dtype = {"float64": np.float64, "float32": np.float32}[fmt]
        with np.errstate(all="ignore"):
            out = float_forward(layers, X, dtype).astype(np.float64)
        t = time.perf_counter()
        rep = verify(net, points, labels, arith=fmt)
        cols[fmt] = {"verified": rep.verified, "refuted": rep.refuted, "inconclusive": rep.inconclusive,
                     "seconds": time.perf_counter() - t, "forward_right": _right(net, out, labels)}
    return cols


def run(sizes, repeats, seed, which="default", cache=None, formats=("float64", "float32")):
    rows = []
    for m in sizes:
        points, labels = make_data(m, seed)
        t = time.perf_counter()
        net, source = cached_network(points, labels, which, cache, m, seed)
        t_build = time.perf_counter() - t
        layers = float_layers(net)
        X = np.array([[float(v) for v in p] for p in points])
        with np.errstate(all="ignore"):
            (t_float, out), (t_cert, rep) = best_of_alternating(
                [lambda: float_forward(layers, X), lambda: verify(net, points, labels)], max(repeats, 3))
        if net.decision == "sign":
            pred = np.where(out[:, 0] > 0, 1, np.where(out[:, 0] < 0, 0, -1))
            float_errors = int(sum(net.class_texts[p] != str(lab) if p >= 0 else True for p, lab in zip(pred, labels)))
        else:
            float_errors = None
        bn = rep.bits_needed
        row = {
            "m": m,
            "network": source,
            "depth": net.depth,
            "build_seconds": round(t_build, 3),
            "float_seconds": t_float,
            "certified_seconds": t_cert,
            "ratio": t_cert / t_float,
            "verified": rep.verified,
            "refuted": rep.refuted,
            "inconclusive": rep.inconclusive,
            "structure": rep.structure,
            "bits_needed": bn,
            "bits_used": rep.max_bits_used,
            "bits_ratio": None if bn is None or not rep.max_bits_used else rep.max_bits_used / bn,
            "escalated": rep.escalated,
            "tier_seconds": {k: round(v, 4) for k, v in rep.timings.items()},
            "float64_misclassified": float_errors,
            "float": float_columns(net, points, labels, layers, X, formats),
        }
        rows.append(row)
        print_row(row)
    return rows


HEADER = (f"{'m':>5} {'depth':>5} {'float s':>9} {'certified s':>11} {'ratio':>6} {'verified':>8} "
          f"{'bits need':>9} {'bits used':>9} {'used/need':>9} {'escalated':>9} {'f64 wrong':>9}")


def print_row(r):
    bn = "-" if r["bits_needed"] is None else f"{r['bits_needed']:.1f}"
    br = "-" if r["bits_ratio"] is None else f"{r['bits_ratio']:.2f}"
    fw = "-" if r["float64_misclassified"] is None else str(r["float64_misclassified"])
    fl = "".join(f" {fmt}: {c['verified']} float-verified in {c['seconds']:.2f}s, forward right {c['forward_right']};"
                 for fmt, c in r.get("float", {}).items())
    print(f"{r['m']:>5} {r['depth']:>5} {r['float_seconds']:>9.4f} {r['certified_seconds']:>11.4f} "
          f"{r['ratio']:>6.2f} {r['verified']:>8} {bn:>9} {str(r['bits_used']):>9} {br:>9} "
          f"{r['escalated']:>9} {fw:>9}{fl}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="256,1024,2000,4096", help="comma-separated m values")
    ap.add_argument("--repeats", type=int, default=2, help="best of this many runs of each (at least 3)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--network", choices=("default", "standin"), default="default",
                    help="default: construct.build (falls back to the stand-in if unavailable); standin: the stand-in")
    ap.add_argument("--out", default=str(RESULTS / "verification.json"))
    ap.add_argument("--float-formats", default="float64,float32",
                    help="comma-separated formats for the float-verified columns (empty: none)")
    ap.add_argument("--cache", default=None,
                    help="directory keeping the built networks (reused when present; build time then 0)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(HEADER, flush=True)
    formats = [f for f in args.float_formats.split(",") if f.strip()]
    rows = run(sizes, args.repeats, args.seed, args.network, None if args.cache is None else Path(args.cache), formats)
    for r in rows:
        print(f"m={r['m']}: {r['network']}")
    doc = {
        "benchmark": "verification",
        "note": "certified = lnnet_construct.verify.verify (rigorous); float = plain float64 numpy forward "
                "pass (NOT rigorous), same network and points, same run; rows[].float[FORMAT] = points "
                "FLOAT-VERIFIED by verify(arith=FORMAT) (rigorous) and seconds, and points the plain forward "
                "pass in FORMAT gets right (not a proof)",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "seed": args.seed,
        "rows": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
