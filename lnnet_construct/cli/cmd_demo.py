"""``lnnet demo [-o DIR]``: the main job on bundled data, end to end.

For each bundled data set (two spirals; 256 points with random labels) the
demo builds a width-3 LN-Net with the ``default`` method, certifies every
point rigorously, and writes into ``DIR``:

* ``<name>.network.json`` — the exact network (format v1);
* ``<name>.certificate.json`` — a certificate re-checkable with ``lnnet verify --replay``;
* ``<name>.regions.png`` — decision regions with the data;
* ``<name>.folds.png`` — the points' scalar moving through the folds, layer by layer;
* ``<name>.history.png`` — the merge history graph;
* ``summary.json``.
"""

from __future__ import annotations

import json
import sys
import time
from importlib import resources
from pathlib import Path

from .common import add_json, add_quiet, print_json

DATASETS = ("two_spirals", "random_labels")


def add_parser(sub):
    p = sub.add_parser(
        "demo",
        help="build and certify networks for bundled data, write files and pictures",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    p.add_argument("-o", "--out", default="lnnet-demo", metavar="DIR", help="output directory (default: lnnet-demo)")
    p.add_argument("--method", choices=("default", "paper"), default="default", help="construction method")
    add_json(p)
    add_quiet(p)
    p.set_defaults(func=run)


def bundled_points(name: str):
    """The bundled data set ``name`` as a PointSet."""
    from ..io.points import parse_points_csv

    text = resources.files("lnnet_construct").joinpath(f"data/{name}.csv").read_text("utf-8")
    return parse_points_csv(text, f"bundled:{name}.csv")


def _say(quiet, msg):
    if not quiet:
        print(msg, file=sys.stderr)


def run(args) -> int:
    from ..construct import build_with_history
    from ..io import save_network
    from ..verify import verify, write_certificate

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = {"output_dir": str(out), "datasets": {}}
    plots = _plots_or_none(args.quiet)
    for name in DATASETS:
        pts = bundled_points(name)
        t0 = time.perf_counter()
        result = build_with_history(pts.points, pts.labels, method=args.method, seed=0)
        net = result.network
        t_build = time.perf_counter() - t0
        save_network(net, out / f"{name}.network.json")
        _say(args.quiet, f"{name}: {len(pts)} points -> {net.depth} LN layers (width {net.width}) in {t_build:.1f}s")
        t0 = time.perf_counter()
        report = verify(net, pts.points, pts.labels)
        t_verify = time.perf_counter() - t0
        write_certificate(report, net, pts.points, pts.labels, out / f"{name}.certificate.json")
        _say(args.quiet, f"{name}: {report.verified} verified, {report.refuted} refuted, "
             f"{report.inconclusive} inconclusive in {t_verify:.2f}s; "
             f"smallest certified relative margin {float(report.min_relative_margin):.3g}")
        files = [f"{name}.network.json", f"{name}.certificate.json"]
        if plots is not None:
            files += _write_plots(plots, name, net, pts, result, out)
        summary["datasets"][name] = {
            "points": len(pts),
            "ln_layers": net.depth,
            "width": net.width,
            "verified": report.verified,
            "refuted": report.refuted,
            "inconclusive": report.inconclusive,
            "min_relative_margin": float(report.min_relative_margin),
            "build_seconds": round(t_build, 3),
            "verify_seconds": round(t_verify, 3),
            "files": files,
        }
        if report.exit_code != 0:
            summary["ok"] = False
    summary.setdefault("ok", True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print_json(summary)
    else:
        _say(False, f"wrote {out}/ (summary.json lists the files)")
    return 0 if summary["ok"] else 1


def _plots_or_none(quiet):
    try:
        import matplotlib

        matplotlib.use("Agg")
        from .. import plot
    except ImportError:
        _say(quiet, "matplotlib is not installed: skipping pictures (pip install 'lnnet_construct[plot]')")
        return None
    return plot


def _write_plots(plot, name, net, pts, result, out: Path):
    import matplotlib.pyplot as plt

    written = []
    for suffix, make in (
        ("regions", lambda: plot.plot_decision_regions(net, pts.points, pts.labels, title=f"{name}: decision regions")),
        ("folds", lambda: plot.plot_fold_trajectory(net, pts.points, pts.labels)),
        ("history", lambda: plot.plot_merge_history(result.history)),
    ):
        fig = make()
        fig.savefig(out / f"{name}.{suffix}.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(f"{name}.{suffix}.png")
    return written
