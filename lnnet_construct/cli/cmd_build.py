"""``lnnet build POINTS -o NET [--method default|paper] [--eps E] [--seed S] [--workers N] [--json] [--quiet]``.

Construct a width-3 LN-Net that classifies every labelled point of POINTS
(CSV or JSON, FORMATS.md), certify it with the rigorous verifier, and write
it to NET (format v1).  A progress bar goes to stderr when it is a terminal
(silenced by ``--quiet``); ``--json`` prints one summary object on stdout
and nothing else.

Exit codes: 0 written, 3 bad input (malformed points file, conflicting
duplicates, bad option).
"""

from __future__ import annotations

import sys
import time

from .common import Progress, add_json, add_quiet, print_json


def add_parser(sub):
    p = sub.add_parser(
        "build",
        help="construct a certified width-3 LN-Net that classifies every point",
        description=(
            "Construct a width-3 LayerNorm network (Theorem 1) that classifies every labelled point of POINTS, "
            "certify every point with interval/ball arithmetic, and write it to NET. Identical points with the "
            "same label are merged; identical points with different labels are refused."
        ),
        epilog="Exit codes: 0 written, 3 bad input.",
    )
    p.add_argument("points", metavar="POINTS", help="points file (CSV with a label column, or JSON)")
    p.add_argument("-o", "--output", required=True, metavar="NET", help="network file to write")
    p.add_argument("--method", choices=("default", "paper"), default="default",
                   help="default: our shallow, well-conditioned construction; paper: the paper's algorithm "
                        "(MATH.md §3.1)")
    p.add_argument("--eps", default="0", metavar="E",
                   help="LayerNorm epsilon, an exact number (default 0; 1e-5 matches torch.nn.LayerNorm)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="seed of the randomised choices")
    p.add_argument("--prefer", choices=("float64", "depth"), default="float64",
                   help="default method: float64 (default) keeps a plain float64 evaluation right; depth trades "
                        "that for fewer layers (slow beyond a few thousand points)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes for the planner's search on 512 or more points (default: the cores, at most 2; "
                        "the network does not depend on it)")
    add_json(p)
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..construct import Policy, build
    from ..errors import InputError
    from ..io import load_points, save_network
    from ..numbers import parse_number

    try:
        eps = parse_number(args.eps)
    except InputError as e:
        raise InputError(f"--eps: {e}") from None
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be a positive integer, got {args.workers}")
    pts = load_points(args.points, require_labels=True)
    t0 = time.perf_counter()
    try:
        with Progress(0, "build (runs merged)", enabled=not args.quiet, unit="run") as bar:
            net = build(pts.points, pts.labels, method=args.method, eps=eps, seed=args.seed, progress=bar,
                        workers=args.workers, policy=Policy(prefer=args.prefer))
    except InputError as e:
        raise type(e)(f"{args.points}: {e}") from None
    save_network(net, args.output)
    seconds = time.perf_counter() - t0
    meta = net.meta
    summary = {
        "output": str(args.output),
        "method": args.method,
        "planner": meta.get("planner"),
        "float_formats_kept": meta.get("float_formats_kept"),
        "points": len(pts),
        "distinct_points": meta.get("distinct_points"),
        "classes": list(net.class_texts),
        "ln_layers": net.depth,
        "width": net.width,
        "runs": meta.get("runs_after_projection"),
        "min_relative_margin": meta.get("min_relative_margin"),
        "min_relative_margin_float": meta.get("min_relative_margin_float"),
        "eps": meta.get("eps"),
        "seconds": round(seconds, 3),
    }
    if args.json:
        print_json(summary)
    elif not args.quiet:
        margin = summary["min_relative_margin_float"]
        # a single-class file gives a constant network: there is no margin to report
        detail = (f"smallest relative margin {margin:.3g}" if margin is not None
                  else f"constant output {', '.join(map(repr, net.class_texts))}, no margin")
        print(
            f"wrote {args.output}: {net.depth} LN layers, width {net.width}, {len(pts)} points certified "
            f"({detail}) in {seconds:.1f}s",
            file=sys.stderr,
        )
    return 0
