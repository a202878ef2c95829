r"""``thm-binary``, ``thm-multiclass`` and ``vc-lower-bound``: constructions, certified.

Each check builds networks with the package's constructions and certifies
every point with the rigorous verifier (:func:`lnnet_construct.verify.verify`,
interval and ball arithmetic with exact fallbacks).  The structural claims
(depth bound, width 3, plain LayerNorm with the instance's ``eps``, every
labelling present) are read off the network objects exactly, independently
of the builder's own bookkeeping.  Every check takes ``eps`` (an exact
rational >= 0, default 0; ``1/100000`` is torch's default).

Proofs: ``proofs/thm-binary.md``, ``proofs/thm-multiclass.md``,
``proofs/vc-lower-bound.md``.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from lnnet_construct.theory.checks._support import Claims, exact_text, random_rational, rng_for
from lnnet_construct.theory.registry import Outcome, Param, Theorem

__all__ = ["THEOREMS", "generate_binary", "generate_multiclass", "check_construction", "generate_vc",
           "check_vc", "network_shape", "INDEPENDENT_LIMIT"]

BINARY_ID = "thm-binary"
MULTI_ID = "thm-multiclass"
VC_ID = "vc-lower-bound"

#: Largest instance whose points and labels are copied into the evidence.
_SHOW_POINTS = 64


def network_shape(net) -> dict:
    """Exact structural facts of a network: depth, the width each LN acts on, eps, groups, affine.

    >>> from lnnet_construct.fold import fold_network
    >>> network_shape(fold_network([1, 2], [(0, 1), (1, 1)], ("sign", 1, 1), classes=["a", "b"]))
    {'depth': 2, 'ln_widths': [3, 3], 'ln_eps': ['0', '0'], 'ln_groups': [1, 1], 'ln_affine': [False, False], 'input_dim': 2}
    """
    from lnnet_construct.network import Affine, LayerNorm

    width = net.input_dim
    widths, eps, groups, affine = [], [], [], []
    for layer in net.layers:
        if isinstance(layer, Affine):
            width = layer.out_dim
        elif isinstance(layer, LayerNorm):
            widths.append(width)
            eps.append(exact_text(layer.eps))
            groups.append(layer.groups)
            affine.append(layer.has_affine)
    return {"depth": len(widths), "ln_widths": widths, "ln_eps": eps, "ln_groups": groups,
            "ln_affine": affine, "input_dim": net.input_dim}


def _distinct_points(rng, m: int, d: int) -> list[tuple]:
    seen: set = set()
    pts = []
    span = max(4, m)
    while len(pts) < m:
        p = tuple(random_rational(rng, -span, span, (1, 2, 3, 4)) for _ in range(d))
        if p not in seen:
            seen.add(p)
            pts.append(p)
    return pts


def _labels(rng, m: int, k: int) -> list[str]:
    # Every class occurs at least once, so the bound m - K is about K real classes.
    labels = [str(i) for i in range(k)] + [str(rng.randrange(k)) for _ in range(m - k)]
    rng.shuffle(labels)
    return labels


def generate_binary(m: int = 12, d: int = 2, seed: int = 0, eps: Fraction = Fraction(0)) -> dict:
    """``m`` distinct random rational points in Q^d with random labels "0"/"1" (both present).

    The points and labels depend on ``seed`` only, not on ``eps``.
    """
    rng = rng_for(BINARY_ID, seed)
    return {"points": _distinct_points(rng, m, d), "labels": _labels(rng, m, 2), "classes": 2,
            "method": "paper", "seed": seed, "eps": Fraction(eps)}


def generate_multiclass(m: int = 12, K: int = 3, d: int = 2, seed: int = 0, eps: Fraction = Fraction(0)) -> dict:
    """``m`` distinct random rational points in Q^d with random labels "0".."K-1" (all present), as above."""
    if K > m:
        from lnnet_construct.errors import InputError

        raise InputError(f"{MULTI_ID}: K={K} classes need at least K points, got m={m}")
    rng = rng_for(MULTI_ID, seed)
    return {"points": _distinct_points(rng, m, d), "labels": _labels(rng, m, K), "classes": K,
            "method": "paper", "seed": seed, "eps": Fraction(eps)}


def _structure_claims(cl: Claims, shape: dict, bound: int, eps: Fraction, prefix: str = "") -> None:
    depth = shape["depth"]
    cl.add(f"{prefix}depth {depth} <= {bound}", depth <= bound, depth=depth, bound=bound)
    cl.add(f"{prefix}every LayerNorm acts on width 3", all(w == 3 for w in shape["ln_widths"]),
           widths=shape["ln_widths"])
    e_txt = exact_text(eps)
    cl.add(f"{prefix}every LayerNorm is plain LN (eps = {e_txt}, one group, no affine)",
           all(e == e_txt for e in shape["ln_eps"]) and all(g == 1 for g in shape["ln_groups"])
           and not any(shape["ln_affine"]))


def _verify_claim(cl: Claims, report, name: str) -> None:
    ok = True if report.exit_code == 0 else (False if report.refuted else None)
    m = report.min_relative_margin
    cl.add(name, ok, verified=report.verified, refuted=report.refuted, inconclusive=report.inconclusive,
           min_relative_margin=None if m is None else exact_text(m),
           bits_needed=None if report.bits_needed is None else round(report.bits_needed, 2),
           max_bits_used=report.max_bits_used)


def check_construction(instance: dict) -> Outcome:
    """Build with the proof's construction and certify: depth <= m - K, width 3, every point verified.

    The proofs' construction is the ``paper`` method with
    ``breaker="tilted"``: a blocked step (every same-label pair confused,
    ``proofs/thm-multiclass.md``) merges a pair by a rotated off-centre fold
    (Lemmas 2 and 3) rather than MATH.md §3.3's extra monotone layer.
    """
    from lnnet_construct.construct import build
    from lnnet_construct.errors import ConstructionError
    from lnnet_construct.verify import verify

    cl = Claims()
    pts, labels, k = instance["points"], instance["labels"], instance["classes"]
    eps = Fraction(instance.get("eps", 0))
    m = len(pts)
    try:
        net = build(pts, labels, method=instance["method"], eps=eps, seed=instance["seed"], breaker="tilted")
    except ConstructionError as e:  # the implemented construction gave up: not proven on this instance
        cl.add("the construction builds a network", False, error=str(e))
        return Outcome(cl.status, f"the construction failed: {e}", {"claims": cl.items, "m": m, "K": k,
                                                                   "seed": instance["seed"]})
    shape = network_shape(net)
    _structure_claims(cl, shape, m - k, eps)
    cl.add("the network decides between exactly the data's classes",
           sorted(map(str, net.classes)) == sorted(set(labels)), classes=[str(c) for c in net.classes])
    report = verify(net, pts, labels)
    _verify_claim(cl, report, f"all {m} points certified with their labels (rigorous)")
    ev = {"claims": cl.items, "m": m, "K": k, "d": len(pts[0]), "eps": exact_text(eps), "bound": m - k,
          "depth": shape["depth"],
          "method": instance["method"], "seed": instance["seed"], "verify": report.summary()}
    if m <= _SHOW_POINTS:
        ev["points"] = [[exact_text(v) for v in p] for p in pts]
        ev["labels"] = list(labels)
    summary = (f"m={m}, K={k}: depth {shape['depth']} <= {m - k}, width 3, {report.verified}/{m} points certified"
               if cl.status == "holds" else f"not proven: {', '.join(cl.failed())}")
    return Outcome(cl.status, summary, ev)


# ----------------------------------------------------------------------------- VC lower bound


#: Networks re-verified one by one with :func:`lnnet_construct.verify.verify` (all of them up to this
#: many; a seeded sample of this size beyond).  Every network is certified by ``verify_witness`` anyway.
INDEPENDENT_LIMIT = 512


def generate_vc(L: int = 4, d: int = 1, seed: int = 0, eps: Fraction = Fraction(0)) -> dict:
    """The witness :func:`lnnet_construct.theory.vc.shatter` returns at ``eps`` (not certified there: the check does it)."""
    from lnnet_construct.theory.vc import shatter

    eps = Fraction(eps)
    return {"L": L, "d": d, "seed": seed, "eps": eps, "witness": shatter(depth=L, dim=d, eps=eps, certify=False)}


def check_vc(instance: dict) -> Outcome:
    """Every labelling of the witness's N >= L + 2 points has a certified network of depth <= L, width 3.

    Structure (distinct points, every labelling exactly once, depth, width,
    plain LN) is checked here from the network objects.  Certification is
    done twice, independently: by :func:`lnnet_construct.theory.vc.verify_witness`
    (batched) on every network, and by :func:`lnnet_construct.verify.verify`
    network by network (all networks up to :data:`INDEPENDENT_LIMIT`, a
    seeded sample beyond).
    """
    from lnnet_construct.theory.vc import verify_witness
    from lnnet_construct.verify import verify

    cl = Claims()
    L, d = instance["L"], instance["d"]
    eps_txt = exact_text(Fraction(instance.get("eps", 0)))
    witness = instance["witness"]
    pts = [tuple(p) for p in witness.points]
    entries = [(tuple(str(v) for v in lab.labels), lab) for lab in witness.labellings]
    n = len(pts)
    cl.add(f"N = {n} >= L + 2 = {L + 2} points", n >= L + 2, N=n)
    cl.add("the points are distinct and in R^d", len(set(pts)) == n and all(len(p) == d for p in pts))
    classes = sorted({v for labs, _ in entries for v in labs})
    wanted = {tuple(bits) for bits in itertools.product(("0", "1"), repeat=n)}
    got = [labs for labs, _ in entries]
    cl.add(f"all 2^N = {2 ** n} labellings with labels 0/1 are present, each once",
           len(got) == 2**n and set(got) == wanted, labellings=len(got), classes=classes)
    depth_max, bad_shape = 0, []
    for labs, lab in entries:
        shape = network_shape(lab.network)
        depth_max = max(depth_max, shape["depth"])
        if (shape["depth"] > L or any(w != 3 for w in shape["ln_widths"]) or shape["input_dim"] != d
                or any(e != eps_txt for e in shape["ln_eps"]) or any(g != 1 for g in shape["ln_groups"])
                or any(shape["ln_affine"])):
            bad_shape.append(list(labs))
    cl.add(f"every network has depth <= {L}, width 3, plain LN with eps = {eps_txt}, input dimension {d}",
           not bad_shape, max_depth=depth_max, offending=bad_shape[:5])
    rep = verify_witness(witness)
    ok = True if rep.status == "certified" else (False if rep.status == "refuted" else None)
    cl.add(f"verify_witness certifies all {len(entries)} networks on all {n} points (rigorous)", ok,
           report=rep.summary())
    # Independent certification, network by network, with the general verifier.
    if len(entries) <= INDEPENDENT_LIMIT:
        sample = list(range(len(entries)))
    else:
        sample = sorted(rng_for(VC_ID, instance["seed"]).sample(range(len(entries)), INDEPENDENT_LIMIT))
    counts, failed, worst = {"verified": 0, "refuted": 0, "inconclusive": 0}, [], None
    for k in sample:
        labs, lab = entries[k]
        r = verify(lab.network, pts, list(labs))
        counts["verified"] += r.verified
        counts["refuted"] += r.refuted
        counts["inconclusive"] += r.inconclusive
        if r.exit_code != 0:
            failed.append({"labels": list(labs), "exit_code": r.exit_code})
        mm = r.min_relative_margin
        if mm is not None and (worst is None or mm < worst):
            worst = mm
    ok = True if not failed else (False if counts["refuted"] else None)
    what = "all" if len(sample) == len(entries) else f"a seeded sample of {len(sample)} of the"
    cl.add(f"verify() independently certifies {what} {len(entries)} networks on every point", ok,
           networks_checked=len(sample), **counts, failed=failed[:5],
           min_relative_margin=None if worst is None else exact_text(worst))
    summary = (f"N = {n} points shattered by {len(entries)} certified width-3 networks of depth <= {L}"
               if cl.status == "holds" else f"not proven: {', '.join(cl.failed())}")
    return Outcome(cl.status, summary, {"claims": cl.items, "L": L, "d": d, "N": n, "eps": eps_txt,
                                        "points": [[exact_text(v) for v in p] for p in pts],
                                        "witness_meta": dict(witness.meta)})


THEOREMS = (
    Theorem(
        id=BINARY_ID,
        title="Projection-merge construction, binary (our Theorem 1)",
        statement=(
            "m distinct points in R^d with any binary labels are classified correctly by a width-3 LN-Net "
            "with at most m - 2 LN layers, for any eps >= 0. The paper's abstract states O(m) layers; the m - 2 bound "
            "and the algorithm (project to a line, fold the leftmost cluster onto the next one with the same "
            "label) are our reconstruction."
        ),
        formula="exists LN-Net f, width 3, depth <= m - 2: sign-decision(f(x_i)) = y_i for i = 1..m",
        source=("paper (abstract): m samples, any labels, width 3, O(m) LN layers; the bound m - 2, the algorithm "
                "and the proof are ours (MATH.md §3)"),
        mode="rigorous",
        params=(
            Param("m", 12, 2, 2000, "number of points"),
            Param("d", 2, 1, 20, "input dimension"),
            Param("seed", 0, None, None, "seed of the points and labels"),
            Param("eps", Fraction(0), Fraction(0), None, "LayerNorm epsilon (exact rational; 1/100000 is torch's default)",
                  kind="rational"),
        ),
        generate=generate_binary,
        check=check_construction,
    ),
    Theorem(
        id=MULTI_ID,
        title="Multi-class construction (our Theorem 2)",
        statement=(
            "m distinct points in R^d with K classes (each present) are classified correctly (argmax of K "
            "outputs) by a width-3 LN-Net with at most m - K LN layers, for any eps >= 0."
        ),
        formula="exists LN-Net f, width 3, depth <= m - K: argmax_k f(x_i)_k = y_i for i = 1..m",
        source=("ours (MATH.md §3.3; the abstract's claim is for any labels, not K classes; context: the paper's "
                "figure 3 caption names 'the case of confusion in the merging process')"),
        mode="rigorous",
        params=(
            Param("m", 12, 2, 2000, "number of points"),
            Param("K", 3, 2, 50, "number of classes (each is present, so K <= m)"),
            Param("d", 2, 1, 20, "input dimension"),
            Param("seed", 0, None, None, "seed of the points and labels"),
            Param("eps", Fraction(0), Fraction(0), None, "LayerNorm epsilon (exact rational; 1/100000 is torch's default)",
                  kind="rational"),
        ),
        generate=generate_multiclass,
        check=check_construction,
    ),
    Theorem(
        id=VC_ID,
        title="VC-dimension lower bound (our Theorem 3)",
        statement=(
            "Width-3 LN-Nets with L LN layers shatter L + 2 points: there are N >= L + 2 points in R^d such "
            "that every one of the 2^N labellings is realised by a width-3 LN-Net of depth <= L, for any "
            "eps >= 0. The check "
            "certifies every network of a shattering witness on every point."
        ),
        formula="VCdim(width-3 LN-Nets of depth L) >= L + 2",
        source=("paper (abstract): a lower bound of the VC dimension of LN-Nets; the value L + 2, the points, the "
                "witnesses and the proof are ours (MATH.md §4)"),
        mode="rigorous",
        params=(
            Param("L", 3, 0, 12, "number of LN layers"),
            Param("d", 1, 1, 8, "input dimension"),
            Param("seed", 0, None, None, "seed of the independent re-verification sample (only beyond 512 networks)"),
            Param("eps", Fraction(0), Fraction(0), None, "LayerNorm epsilon (exact rational; 1/100000 is torch's default)",
                  kind="rational"),
        ),
        generate=generate_vc,
        check=check_vc,
        slow=False,
    ),
)
