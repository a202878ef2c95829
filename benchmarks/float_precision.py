"""How many bits a plain evaluation of a built network needs (NOT rigorous; a diagnosis of the float targets).

Issue 3 asks that a ``default`` network evaluated in plain float64 classify
all 2000 random points.  This script measures how far that is: every point
of a built network is evaluated in plain ``p``-bit arithmetic
(:class:`lnnet_construct.arith.mp.MpfArith`: mpmath, round to nearest, no
error bounds) for each ``p`` in ``--bits``, in increasing order, and the
misclassified points are counted.  *Bits needed* is the smallest ``p`` tested
from which the evaluation gets every point right at that and the next tested
precision (after two such precisions the higher ones are skipped, ``-`` in
the table).  The networks themselves are certified when built; nothing here
is a verdict.

Next to it: the numpy float32 / float64 evaluation of ``construction.py``
(torch semantics), which rounds in its own order, so its count differs from
the 53-bit mpmath count by chance, and the smallest certified relative
output margin as ``-log2`` ("margin bits").  The data are
``construction.py``'s random sets (d = 2).

``--cache DIR`` keeps each built network as a file and reuses it.  Table to
stdout, JSON to ``benchmarks/results/float_precision.json``.  m = 2000 takes
about a minute per precision with two workers.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np

from construction import misclassified, random_set
from lnnet_construct.arith import get_arith
from lnnet_construct.construct import build
from lnnet_construct.forward import decide_index, forward
from lnnet_construct.io.network_file import load_network, save_network

_JOB: dict = {}


def _wrong_in(chunk) -> int:
    """Misclassified points of one chunk at ``_JOB["prec"]`` bits (runs in a forked worker)."""
    net, prec = _JOB["net"], _JOB["prec"]
    A = get_arith("mpmath", prec)
    wrong = 0
    for p, want in chunk:
        idx, _status = decide_index(net, forward(net, p, A), A)
        wrong += idx is None or net.class_texts[idx] != str(want)
    return wrong


def wrong_at(net, points, labels, prec: int, workers: int) -> int:
    """Points a plain ``prec``-bit mpmath evaluation of ``net`` gets wrong (or leaves undecided)."""
    pairs = list(zip(points, labels))
    _JOB.update(net=net, prec=prec)
    if workers <= 1:
        return _wrong_in(pairs)
    chunks = [pairs[i::workers * 4] for i in range(workers * 4)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return sum(pool.map(_wrong_in, chunks))


def bits_needed(counts: dict):
    """The smallest precision from which the tested ones (two at least) get every point right, or None.

    >>> bits_needed({53: 4, 64: 0, 80: 0})
    64
    >>> bits_needed({53: 0, 64: 1, 80: 0}) is None    # one zero alone is not enough
    True
    """
    ps = sorted(counts)
    for i in range(len(ps) - 1):
        if all(counts[q] == 0 for q in ps[i:]):
            return ps[i]
    return None


def network_for(m: int, seed: int, method: str, planner_seed: int, cache: Path | None):
    pts, labs = random_set(m, seed)
    path = None if cache is None else cache / f"{method}_{m}_s{seed}_p{planner_seed}.json"
    if path is not None and path.exists():
        return load_network(path), pts, labs
    net = build(pts, labs, method=method, seed=planner_seed)
    if path is not None:
        save_network(net, path)
    return net, pts, labs


def run_one(m: int, seed: int, method: str, planner_seed: int, bits: list, workers: int, cache: Path | None) -> dict:
    net, pts, labs = network_for(m, seed, method, planner_seed, cache)
    margin = net.meta.get("min_relative_margin_float")
    row = {"m": m, "data_seed": seed, "method": method, "ln_layers": net.depth,
           "margin_bits": None if not margin else round(-math.log2(float(margin)), 1),
           "float32_errors": misclassified(net, pts, labs, np.float32),
           "float64_errors": misclassified(net, pts, labs, np.float64), "wrong_at_bits": {}}
    zeros = 0
    for p in sorted(bits):
        if zeros >= 2:
            break
        t0 = time.perf_counter()
        w = wrong_at(net, pts, labs, p, workers)
        row["wrong_at_bits"][p] = w
        zeros = zeros + 1 if w == 0 else 0
        print(f"  {method} m={m} seed {seed}: {p} bits, {w} wrong ({time.perf_counter() - t0:.0f} s)",
              file=sys.stderr, flush=True)
    row["bits_needed"] = bits_needed(row["wrong_at_bits"])
    return row


def table(rows: list, bits: list) -> str:
    head = ["m", "seed", "method", "LN layers", "margin bits", "f32 numpy", "f64 numpy"] + [f"{p} bits" for p in bits]
    lines = [" | ".join(head + ["bits needed"]), " | ".join("---" for _ in range(len(head) + 1))]
    for r in rows:
        cells = [r["m"], r["data_seed"], r["method"], r["ln_layers"], r["margin_bits"], r["float32_errors"],
                 r["float64_errors"]] + [r["wrong_at_bits"].get(p, "-") for p in bits]
        lines.append(" | ".join(str(c) for c in cells + [r["bits_needed"] or f"> {max(bits)}"]))
    return "\n".join(lines)


def _ints(text: str) -> list:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=_ints, default=[256, 1024, 2000], help="comma-separated m (random labels)")
    ap.add_argument("--data-seeds", type=_ints, default=[0], help="comma-separated seeds of the random sets")
    ap.add_argument("--seed", type=int, default=0, help="planner seed (as in construction.py)")
    ap.add_argument("--methods", default="default,paper", help="comma-separated: default, paper")
    ap.add_argument("--paper-max", type=int, default=256, help="skip the paper method above this many points")
    ap.add_argument("--bits", type=_ints, default=[24, 53, 64, 72, 80, 96, 112, 128, 160, 192],
                    help="precisions tried, in bits")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", type=Path, help="directory for the built networks (reused when present)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "float_precision.json")
    args = ap.parse_args(argv)
    if args.cache is not None:
        args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for m in args.sizes:
        for seed in args.data_seeds:
            for method in args.methods.split(","):
                if method == "paper" and m > args.paper_max:
                    continue
                rows.append(run_one(m, seed, method, args.seed, args.bits, args.workers, args.cache))
    print(table(rows, sorted(args.bits)))
    args.out.write_text(json.dumps({"bits": sorted(args.bits), "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
