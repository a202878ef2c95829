"""``lnnet export NET --to torch|onnx|npz -o FILE [--points POINTS] [--json]``."""

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
            "or npz (float64 arrays and a JSON description; no pickle). With --points, the written file is loaded "
            "back with its runtime and its decisions are compared with the certified ones; points whose certified "
            "margin is below float64 resolution are listed (see lnnet_construct.io.exports.parity)."
        ),
        epilog="Exit codes: 0 written (and, with --points, every point above resolution agrees); "
               "1 written but a point above resolution disagrees; 3 bad input.",
    )
    p.add_argument("network", metavar="NET", help="network file (format v1)")
    p.add_argument("--to", required=True, choices=("torch", "onnx", "npz"), help="format to write")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    p.add_argument("--points", metavar="POINTS", help="points file (labels optional) for the parity check")
    p.add_argument("--onnx-layernorm", choices=("decomposed", "native"), default="decomposed",
                   help="ONNX LayerNorm as float64 elementary ops (default) or as the LayerNormalization operator, "
                        "whose statistics and epsilon the ONNX specification puts in float32")
    p.add_argument("--max-bits", type=int, default=4096, help="precision cap of the certified evaluation (default 4096)")
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
                             max_bits=args.max_bits, progress=bar)
    if args.json:
        print_json({"written": str(args.output), **rep.to_dict()})
    elif not args.quiet:
        print(f"wrote {args.output} ({args.to}, float64)", file=sys.stderr)
    if pts is not None and not args.quiet:
        below = rep.below_resolution
        print(f"parity: {rep.agree} of {rep.n_points} points decided as certified; "
              f"{len(below)} below float64 resolution"
              + (f" (rows {', '.join(str(e['row']) for e in below[:20])}{', ...' if len(below) > 20 else ''})" if below else ""),
              file=sys.stderr)
    if rep.mismatches:
        print(f"parity FAILED at rows {', '.join(str(e['row']) for e in rep.mismatches)}: "
              "the export disagrees with a certified decision above float64 resolution", file=sys.stderr)
        return EXIT_PARITY_FAILED
    return 0
