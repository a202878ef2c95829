"""``lnnet predict NET POINTS [--arith exact|interval|float] [--json]``."""

from __future__ import annotations

import sys

from .common import Progress, add_json, add_quiet, print_json


def add_parser(sub):
    p = sub.add_parser(
        "predict",
        help="evaluate a network on points",
        description=(
            "Evaluate NET on every point of POINTS (CSV or JSON; a label column is optional). "
            "exact: exact algebraic arithmetic; interval: rigorous enclosures, precision raised per point "
            "until the class is certain (null at the cap); float: plain float64, NOT rigorous."
        ),
    )
    p.add_argument("network", metavar="NET", help="network file (format v1)")
    p.add_argument("points", metavar="POINTS", help="points file (CSV with header, or JSON)")
    p.add_argument("--arith", choices=("exact", "interval", "float"), default="interval",
                   help="arithmetic (default: interval)")
    p.add_argument("--max-bits", type=int, default=4096, help="precision cap for --arith interval (default 4096)")
    add_json(p)
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..io import load_network, load_points
    from ..predict import predict

    net = load_network(args.network)
    pts = load_points(args.points, require_labels=False)
    if pts.dim != net.input_dim:
        from ..errors import InputError

        raise InputError(f"{args.points}: points have {pts.dim} coordinates, {args.network} expects {net.input_dim}")
    show = not args.quiet and args.arith != "float" and len(pts) > 50
    with Progress(len(pts), f"predict ({args.arith})", enabled=show, unit="point") as bar:
        preds = predict(net, pts.points, arith=args.arith, max_bits=args.max_bits, progress=bar)
    if args.json:
        print_json({"predictions": preds})
    else:
        for p in preds:
            print("null" if p is None else p)
        undecided = sum(p is None for p in preds)
        if undecided:
            print(f"{undecided} of {len(preds)} points undecided", file=sys.stderr)
    return 0
