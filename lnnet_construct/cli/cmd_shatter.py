"""``lnnet shatter --depth L [--dim D] -o WITNESS`` and ``lnnet shatter --verify WITNESS``.

Build mode writes a certified shattering witness (FORMATS.md,
``format: "lnnet-witness"``): the largest one the toolkit knows for
``(L, D)`` (the search results of :mod:`lnnet_construct.theory.vc_search`),
or with ``--baseline`` the ``L + 2``-point witness of MATH.md §4.  Exit
codes: 0 written, 3 bad input (``L < 0``, ``D < 1``, no ``-o``).

Verify mode re-certifies a witness file with
:func:`lnnet_construct.theory.vc.verify_witness`.  Exit codes: 0 certified,
1 refuted (a network misclassifies a point, a labelling is missing or
repeated, a network is too deep or too wide), 2 inconclusive (undecided at
``--max-bits``), 3 bad input (a malformed file).

``--json`` prints one object on stdout, e.g. for build mode::

    {"witness": "w.json", "depth": 4, "dim": 1, "n_points": 14, "labellings": 16384,
     "method": "vc-search", "certified": true, "certification": "...", "seconds": 9.1}

and for verify mode the report of ``verify_witness`` (``status``,
``certified``, ``n_points``, ``problems``, ``failures``, ``counts``, ...)
plus ``"witness"``.
"""

from __future__ import annotations

import sys
import time

from .common import add_json, add_quiet, print_json


def add_parser(sub):
    p = sub.add_parser(
        "shatter",
        help="build (or re-certify) a certified VC shattering witness",
        description=(
            "Build a shattering witness for width-3 LN-Nets with at most L LayerNorm layers on points in R^D: "
            "N points and one certified network per labelling (2^N networks). By default the largest witness "
            "known (found by search, rebuilt and re-certified now); --baseline gives the N = L + 2 witness of "
            "MATH.md §4. With --verify WITNESS, re-certify a witness file instead. "
            "Exit codes: build 0 written, 3 bad input; verify 0 certified, 1 refuted, 2 inconclusive, 3 bad input."
        ),
    )
    p.add_argument("--depth", "-L", type=int, metavar="L", help="bound on the number of LayerNorm layers (L >= 0)")
    p.add_argument("--dim", "-d", type=int, default=1, metavar="D", help="input dimension (default 1)")
    p.add_argument("-o", "--output", metavar="WITNESS", help="witness file to write")
    p.add_argument("--baseline", action="store_true", help="the L + 2-point baseline instead of the largest known")
    p.add_argument("--max-points", type=int, metavar="N", help="ignore known witnesses with more than N points")
    p.add_argument("--verify", metavar="WITNESS", help="re-certify a witness file (no --depth, -o)")
    p.add_argument("--max-bits", type=int, default=4096, metavar="B",
                   help="precision cap of the rigorous escalation (default 4096)")
    add_json(p)
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError

    if args.max_bits < 2:
        raise InputError(f"--max-bits must be >= 2, got {args.max_bits}")
    if args.verify:
        if args.output or args.depth is not None:
            raise InputError("--verify WITNESS takes no --depth or -o")
        return _verify(args)
    if args.depth is None:
        raise InputError("--depth L is required (or --verify WITNESS)")
    if args.depth < 0:
        raise InputError(f"--depth must be >= 0, got {args.depth}")
    if args.dim < 1:
        raise InputError(f"--dim must be >= 1, got {args.dim}")
    if not args.output:
        raise InputError("-o WITNESS is required")
    if args.max_points is not None and args.max_points < 1:
        raise InputError(f"--max-points must be >= 1, got {args.max_points}")
    return _build(args)


def _build(args) -> int:
    from ..io.witness import save_witness
    from ..theory.vc import shatter

    t0 = time.perf_counter()
    if not args.quiet and not args.json:
        print(f"building and certifying a witness for depth {args.depth}, dim {args.dim} ...", file=sys.stderr)
    w = shatter(depth=args.depth, dim=args.dim, largest=not args.baseline, max_points=args.max_points,
                max_bits=args.max_bits)
    save_witness(w, args.output)
    out = {
        "witness": args.output,
        "depth": w.depth,
        "dim": w.dim,
        "n_points": w.n_points,
        "labellings": len(w.labellings),
        "method": w.meta.get("method"),
        "certified": bool(w.meta.get("certified")),
        "certification": w.meta.get("certification"),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    if args.json:
        print_json(out)
    else:
        print(f"{args.output}: {w.n_points} points in R^{w.dim} shattered by {len(w.labellings)} certified "
              f"width-3 networks with <= {w.depth} LayerNorm layers ({out['method']}, {out['seconds']:.1f}s)")
    return 0


def _verify(args) -> int:
    from ..theory.vc import verify_witness

    if not args.quiet and not args.json:
        print(f"certifying {args.verify} ...", file=sys.stderr)
    rep = verify_witness(args.verify, max_bits=args.max_bits)
    if args.json:
        out = rep.to_json()
        out["witness"] = args.verify
        print_json(out)
    else:
        print(f"{args.verify}: {rep.summary()}")
    return rep.exit_code
