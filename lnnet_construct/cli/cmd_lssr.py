r"""``lnnet lssr POINTS [--json]``: the exact LSSR of a two-class points file.

The file must hold exactly two classes.  ``X1`` is the class whose label
comes first in sorted text order, ``X2`` the other one; the choice does not
matter for the value, because LSSR is symmetric: swapping the classes turns
``Delta`` into ``-Delta`` and leaves ``m1 m2``, ``S_T`` and the quadratic form
``Delta^T S_T^+ Delta`` unchanged (MATH.md §5).

``--json`` prints::

    {"lssr": "p/q", "lssr_float": ..., "classes": [X1, X2], "m1": ..., "m2": ...,
     "m": ..., "dim": ..., "direction": [...], "file": ...}

where ``direction`` is an exact projection ``a`` attaining the minimum
(``SSR_a = LSSR``) and ``lssr_float`` is a float approximation for display
(not rigorous).  Exit codes: 0, or 3 for bad input (a malformed file, not
exactly two classes, all points equal).
"""

from __future__ import annotations

from .common import add_json, print_json


def add_parser(sub):
    p = sub.add_parser(
        "lssr",
        help="exact LSSR of a two-class points file",
        description=(
            "Exact linear sum-of-squares ratio LSSR = 1 - (m1 m2/m) Delta^T S_T^+ Delta of the two classes of "
            "POINTS (MATH.md §5): 1 when the class means coincide, 0 when a projection maps each class to one "
            "value. X1 is the class whose label sorts first (LSSR is symmetric, so the order does not change "
            "the value). Exit codes: 0, 3 bad input."
        ),
    )
    p.add_argument("points", metavar="POINTS", help="points file (CSV with a label column, or JSON)")
    add_json(p)
    p.set_defaults(func=run)


def lssr_of_file(path) -> dict:
    """Load a points file and compute its exact LSSR; the dict ``lnnet lssr --json`` prints.

    Raises
    ------
    InputError
        Malformed file, not exactly two classes, or all points equal.
    """
    from ..errors import InputError
    from ..io import load_points
    from ..theory.checks._support import exact_text
    from ..theory.ssr import lssr, lssr_direction

    ps = load_points(path)
    classes = sorted(set(ps.labels))
    if len(classes) != 2:
        shown = ", ".join(repr(c) for c in classes[:6]) + (", ..." if len(classes) > 6 else "")
        if len(classes) == 1:
            raise InputError(f"{path}: only one class ({shown}) has points; LSSR needs two non-empty classes")
        raise InputError(f"{path}: {len(classes)} classes ({shown}); lnnet lssr needs exactly two")
    x1 = [p for p, lab in zip(ps.points, ps.labels) if lab == classes[0]]
    x2 = [p for p, lab in zip(ps.points, ps.labels) if lab == classes[1]]
    try:
        value = lssr(x1, x2)
        direction = lssr_direction(x1, x2)
    except InputError as e:
        raise InputError(f"{path}: {e}") from None
    try:
        approx = float(value)
    except (TypeError, ValueError, OverflowError):
        approx = None
    return {
        "lssr": exact_text(value),
        "lssr_float": approx,
        "classes": classes,
        "m1": len(x1),
        "m2": len(x2),
        "m": len(x1) + len(x2),
        "dim": ps.dim,
        "direction": [exact_text(v) for v in direction],
        "file": str(path),
    }


def run(args) -> int:
    out = lssr_of_file(args.points)
    if args.json:
        print_json(out)
    else:
        approx = "" if out["lssr_float"] is None else f" (~{out['lssr_float']:.6g}, float for display)"
        print(f"LSSR = {out['lssr']}{approx}  X1 = {out['classes'][0]!r} ({_points(out['m1'])}), "
              f"X2 = {out['classes'][1]!r} ({_points(out['m2'])}), dimension {out['dim']}")
    return 0


def _points(n: int) -> str:
    return f"{n} point" if n == 1 else f"{n} points"
