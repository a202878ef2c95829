"""``lnnet demo [-o DIR]``: the main job on bundled data, end to end.

For each bundled data set (two spirals; 256 points with random labels) the
demo builds a width-3 LN-Net with the ``default`` method, certifies every
point rigorously, and writes into ``DIR``:

* ``<name>.network.json`` — the exact network (format v1);
* ``<name>.certificate.json`` — a certificate re-checkable with ``lnnet verify --replay``;
* ``<name>.regions.png`` — decision regions with the data (float64 evaluation, not certified);
* ``<name>.folds.png`` — the points' scalar moving through the folds, layer by layer;
* ``<name>.history.png`` — the merge history: clusters and label runs per layer;
* ``index.html`` — every picture on one page, with a caption each;
* ``summary.json`` — the numbers, the files and the pictures' captions.
"""

from __future__ import annotations

import html
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
        pictures = _write_plots(plots, name, net, pts, result, out) if plots is not None else []
        files += [p["file"] for p in pictures]
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
            "pictures": pictures,
        }
        if report.exit_code != 0:
            summary["ok"] = False
    summary.setdefault("ok", True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "index.html").write_text(index_html(summary), encoding="utf-8")
    if args.json:
        print_json(summary)
    else:
        _say(False, f"wrote {out}/ (open index.html for the pictures; summary.json lists the files)")
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


#: The pictures of each data set: file suffix and one-line caption.
PICTURES = (
    ("regions", "Decision regions on a grid, with the data on top: float64 evaluation (not certified); "
                "the certificate covers the data points only."),
    ("folds", "Each point's scalar through the folds, layer by layer: float64 evaluation (not certified)."),
    ("history", "Merge history: clusters and label runs after each layer, down to one run per class."),
)


def _write_plots(plot, name, net, pts, result, out: Path):
    import matplotlib.pyplot as plt

    makers = {
        "regions": lambda: plot.plot_decision_regions(net, pts.points, pts.labels, title=f"{name}: decision regions"),
        "folds": lambda: plot.plot_fold_trajectory(net, pts.points, pts.labels, title=f"{name}: points through the folds"),
        "history": lambda: plot.plot_merge_history(result.history, title=f"{name}: merge history"),
    }
    written = []
    for suffix, caption in PICTURES:
        fig = makers[suffix]()
        fig.savefig(out / f"{name}.{suffix}.png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append({"file": f"{name}.{suffix}.png", "caption": caption})
    return written


def index_html(summary: dict) -> str:
    """A self-contained HTML page showing every picture listed in ``summary``, each with its caption.

    Examples
    --------
    >>> page = index_html({"datasets": {"d": {"points": 4, "ln_layers": 1, "verified": 4, "refuted": 0,
    ...     "inconclusive": 0, "min_relative_margin": 0.5, "files": ["d.network.json", "d.regions.png"],
    ...     "pictures": [{"file": "d.regions.png", "caption": "float64 evaluation (not certified)"}]}}})
    >>> '<img src="d.regions.png"' in page, "<figcaption>float64 evaluation (not certified)</figcaption>" in page
    (True, True)
    """
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><title>lnnet demo</title>',
             "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
             "figure{margin:1em 0}img{max-width:100%}figcaption{color:#444}</style></head><body>",
             "<h1>lnnet demo</h1>",
             "<p>Width-3 LayerNorm networks built and certified for bundled data. The certificates cover "
             "the data points; the pictures are float64 evaluations and are not certified.</p>"]
    e = html.escape
    if not any(d.get("pictures") for d in summary["datasets"].values()):
        parts.append("<p>No pictures: matplotlib is not installed (pip install 'lnnet_construct[plot]').</p>")
    for name, d in summary["datasets"].items():
        parts.append(f"<h2>{e(name)}</h2>")
        parts.append(f"<p>{d['points']} points, {d['ln_layers']} LayerNorm layers; {d['verified']} verified, "
                     f"{d['refuted']} refuted, {d['inconclusive']} inconclusive; smallest certified relative "
                     f"margin {d['min_relative_margin']:.3g}.</p>")
        links = [f'<a href="{e(f)}">{e(f)}</a>' for f in d["files"] if not f.endswith(".png")]
        parts.append("<p>Files: " + ", ".join(links) + "</p>")
        for pic in d.get("pictures", []):
            parts.append(f'<figure><img src="{e(pic["file"])}" alt="{e(pic["caption"])}">'
                         f"<figcaption>{e(pic['caption'])}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
