"""``lnnet verify NET POINTS [--json] [--max-bits B] [--certificate FILE] [--backend ...]`` and ``--replay CERT``.

With ``--float float64|float32`` the verdicts are about every IEEE
evaluation of NET in that format (FLOAT-VERIFIED / FLOAT-REFUTED /
INCONCLUSIVE, :mod:`lnnet_construct.verify.floats`); the report says which
object was verified (format, LayerNorm algorithms assumed, eps).

Exit codes: 0 all verified (replay: accepted), 1 some refuted (replay:
rejected), 2 none refuted but some inconclusive, 3 bad input (replay:
malformed certificate).
"""

from __future__ import annotations

import sys

from .common import Progress, add_json, add_quiet, print_json


def add_parser(sub):
    p = sub.add_parser(
        "verify",
        help="rigorous verdict per point (VERIFIED / REFUTED / INCONCLUSIVE)",
        description=(
            "Certify that NET outputs the label of every point of POINTS (CSV or JSON with a label column). "
            "Each point is VERIFIED, REFUTED (another class wins, the output is exactly 0 or tied, a LayerNorm "
            "variance is exactly 0, or the label is not a class) or INCONCLUSIVE (undecided at --max-bits). "
            "Verdicts rest on rigorous enclosures (outward-rounded float64 intervals, double-double balls with "
            "proven error bounds, arb balls) or exact arithmetic, never on plain floating point. "
            "With --replay CERT, re-check a certificate instead (dependency-free checker)."
        ),
        epilog="Exit codes: 0 all verified / certificate accepted, 1 some refuted / rejected, "
               "2 some inconclusive and none refuted, 3 bad input / malformed certificate.",
    )
    p.add_argument("network", metavar="NET", nargs="?", help="network file (format v1)")
    p.add_argument("points", metavar="POINTS", nargs="?", help="points file with a label column")
    p.add_argument("--max-bits", type=int, default=4096, metavar="B",
                   help="precision cap in bits (default 4096); below 53 the float64 tier is skipped")
    p.add_argument("--backend", choices=("auto", "interval", "arb", "iv", "exact"), default="auto",
                   help="auto: float64 intervals, then double-double / arb for undecided points (default); interval: float64 "
                        "intervals only; arb / iv: python-flint or mpmath balls per point; exact: exact "
                        "arithmetic (small networks)")
    p.add_argument("--certificate", metavar="FILE", help="also write a certificate that `--replay` re-checks")
    p.add_argument("--float", dest="float_format", choices=("float64", "float32"), metavar="FORMAT",
                   help="verify every IEEE evaluation in FORMAT (float64 or float32) instead of the exact network: "
                        "FLOAT-VERIFIED (all predict the label), FLOAT-REFUTED (a replay in FORMAT does not) or "
                        "INCONCLUSIVE")
    p.add_argument("--ln-algorithms", metavar="LIST", default=None,
                   help="with --float: comma-separated LayerNorm algorithms assumed, of two-pass, welford, one-pass "
                        "(default all three)")
    p.add_argument("--ln-stats", choices=("format", "float32"), default="format",
                   help="with --float: format of the LayerNorm statistics (float32: ONNX stash_type=1)")
    p.add_argument("--ln-eps32", action="store_true",
                   help="with --float: also allow eps rounded to float32 (ONNX LayerNormalization's attribute)")
    p.add_argument("--rows", choices=("any", "alike"), default="any",
                   help="with --float: affine rows summed in independent orders (default), or every row of a layer "
                        "by the same operations (one GEMM kernel)")
    p.add_argument("--replay", metavar="CERT", help="re-check a certificate (no NET / POINTS)")
    add_json(p)
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError

    if args.replay:
        if args.network or args.points or args.certificate:
            raise InputError("--replay takes only a certificate (no NET, POINTS or --certificate)")
        return _replay(args)
    if not (args.network and args.points):
        raise InputError("expected NET and POINTS (or --replay CERT)")
    from ..io import load_network, load_points
    from ..verify import verify

    net = load_network(args.network)
    pts = load_points(args.points, require_labels=True)
    if pts.dim != net.input_dim:
        raise InputError(f"{args.points}: points have {pts.dim} coordinates, {args.network} expects {net.input_dim}")
    if args.max_bits < 2:
        raise InputError(f"--max-bits must be at least 2, got {args.max_bits}")
    if args.float_format:
        return _float(args, net, pts)
    if args.ln_algorithms is not None or args.ln_stats != "format" or args.ln_eps32 or args.rows != "any":
        raise InputError("--ln-algorithms, --ln-stats, --ln-eps32 and --rows need --float FORMAT")
    show = not args.quiet
    with Progress(len(pts), f"verify ({args.backend})", enabled=show, unit="point") as bar:
        report = verify(net, pts.points, pts.labels, max_bits=args.max_bits, backend=args.backend, progress=bar)
    if args.certificate:
        from ..verify.certificate import write_certificate

        with Progress(len(pts), "certificate", enabled=show, unit="point") as bar:
            write_certificate(report, net, pts.points, pts.labels, args.certificate, progress=bar)
    if args.json:
        doc = report.to_json()
        if args.certificate:
            doc["certificate"] = args.certificate
        print_json(doc)
    else:
        _print_points(report)
        print(report.summary(), file=sys.stderr)
        if args.certificate:
            print(f"certificate written to {args.certificate}", file=sys.stderr)
    return report.exit_code


def _print_points(report) -> None:
    """One tab-separated line per point: row, label, verdict and the reason if any."""
    for p in report.points:
        line = f"{p.index + 1}\t{p.label}\t{p.verdict.value}"
        if p.reason:
            line += f"\t{p.reason}"
        print(line)


def _float(args, net, pts) -> int:
    from ..errors import InputError
    from ..verify import verify

    if args.certificate:
        raise InputError("--certificate applies to exact verdicts, not to --float")
    algs = None
    if args.ln_algorithms is not None:
        algs = [a.strip() for a in args.ln_algorithms.split(",") if a.strip()]
    with Progress(len(pts), f"verify ({args.float_format})", enabled=not args.quiet, unit="point") as bar:
        report = verify(net, pts.points, pts.labels, arith=args.float_format, ln_algorithms=algs,
                        ln_stats=args.ln_stats, ln_eps32=args.ln_eps32, rows=args.rows, progress=bar)
    if args.json:
        print_json(report.to_json())
    else:
        _print_points(report)
        print(report.describe(), file=sys.stderr)
        print(report.summary(), file=sys.stderr)
    return report.exit_code


def _replay(args) -> int:
    from ..verify.replay import replay_certificate

    res = replay_certificate(args.replay)
    if args.json:
        print_json({
            "accepted": res.accepted,
            "malformed": res.malformed,
            "reason": res.reason,
            "checked": res.checked,
            "unchecked": [{"entry": i, "why": w} for i, w in res.unchecked],
            "failures": [{"entry": i, "why": w} for i, w in res.failures],
        })
    else:
        print(f"{args.replay}: {res.summary()}", file=sys.stderr if res.malformed else sys.stdout)
    return res.exit_code
