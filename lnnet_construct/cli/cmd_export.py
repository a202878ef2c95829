"""``lnnet export NET --to torch|onnx|npz -o FILE [--points POINTS] [--force] [--json]``.

With points, every point must be FLOAT-VERIFIED for the export's format and
object (:func:`lnnet_construct.io.exports.parity.float_parity_report`):
otherwise nothing is written and the exit code is 1, unless ``--force``.
"""

from __future__ import annotations

import sys

from .common import Progress, add_json, add_quiet, print_json

EXIT_PARITY_FAILED = 1


def add_parser(sub):
    p = sub.add_parser(
        "export",
        help="write a network as TorchScript, ONNX or npz (float64)",
        description=(
            "Write NET in an ecosystem format, in float64: torch (a TorchScript archive of an nn.Sequential of "
            "Linear and LayerNorm; loads with torch.jit.load without lnnet), onnx (opset 17, runs in onnxruntime) "
            "or npz (float64 arrays and a JSON description; no pickle). With --points, each point's certified class "
            "is proven for every float64 evaluation of the export (FLOAT-VERIFIED; torch: its Welford LayerNorm, "
            "onnx: the decomposed graph's two-pass LayerNorm or LayerNormalization with float32 statistics, npz: "
            "any numpy algorithm); unless every point is FLOAT-VERIFIED nothing is written (see --force). The "
            "written file is then loaded back with its runtime and its decisions are compared with the certified ones."
        ),
        epilog="Exit codes: 0 written (with --points: every point FLOAT-VERIFIED, or --force); 1 some point not "
               "FLOAT-VERIFIED (not written without --force), or a FLOAT-VERIFIED point decided otherwise by the "
               "runtime; 3 bad input.",
    )
    p.add_argument("network", metavar="NET", help="network file (format v1)")
    p.add_argument("--to", required=True, choices=("torch", "onnx", "npz"), help="format to write")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    p.add_argument("--points", metavar="POINTS", help="points file (labels optional) for the parity check")
    p.add_argument("--onnx-layernorm", choices=("decomposed", "native"), default="decomposed",
                   help="ONNX LayerNorm as float64 elementary ops (default) or as the LayerNormalization operator, "
                        "whose statistics and epsilon the ONNX specification puts in float32")
    p.add_argument("--max-bits", type=int, default=4096, help="precision cap of the certified evaluation (default 4096)")
    p.add_argument("--force", action="store_true",
                   help="write the file even when some points are not FLOAT-VERIFIED (exit 0; they are listed)")
    add_json(p)
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError
    from ..io import load_network, load_points
    from ..io.exports.export import export_network

    net = load_network(args.network)
    pts = None
    if args.points:
        ps = load_points(args.points, require_labels=False)
        if ps.dim != net.input_dim:
            raise InputError(f"{args.points}: points have {ps.dim} coordinates, {args.network} expects {net.input_dim}")
        pts = ps.points
    show = not args.quiet and pts is not None and len(pts) > 50
    with Progress(len(pts or ()), f"export ({args.to}): parity check", enabled=show, unit="point") as bar:
        rep = export_network(net, args.output, args.to, points=pts, onnx_layernorm=args.onnx_layernorm,
                             max_bits=args.max_bits, progress=bar, require_verified=not args.force)
    if args.json:
        print_json({**rep.to_dict(), "written": str(args.output) if rep.written else None})
    elif not args.quiet:
        if rep.written:
            print(f"wrote {args.output} ({args.to}, float64)", file=sys.stderr)
        else:
            print(f"NOT written: {args.output} (some points are not FLOAT-VERIFIED; --force writes anyway)",
                  file=sys.stderr)
    if pts is not None and not args.quiet:
        below = rep.below_resolution
        rows = f" (rows {', '.join(str(e['row']) for e in below[:20])}{', ...' if len(below) > 20 else ''})" if below else ""
        print(f"float-verified: {rep.float_verified} of {rep.n_points} points in float64 for this export"
              f"{rows}; {_describe(rep.float_object)}", file=sys.stderr)
        if rep.written:
            print(f"parity: {rep.agree} of {rep.n_points} points decided as certified by the written file",
                  file=sys.stderr)
    if rep.mismatches:
        print(f"parity FAILED at rows {', '.join(str(e['row']) for e in rep.mismatches)}: "
              "the export disagrees with a FLOAT-VERIFIED certified decision", file=sys.stderr)
        return EXIT_PARITY_FAILED
    if pts is not None and not rep.all_float_verified and not args.force:
        return EXIT_PARITY_FAILED
    return 0


def _describe(obj) -> str:
    if not obj:
        return ""
    return (f"object: LayerNorm {' | '.join(obj['ln_formulas'])} (statistics in {obj['ln_stats']}), "
            f"affine rows {obj['affine']}")
