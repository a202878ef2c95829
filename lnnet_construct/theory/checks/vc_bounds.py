r"""``fold-chain-sign-changes`` and ``vc-upper-bound``: how much width-3 LN-Nets can and cannot shatter.

* ``fold-chain-sign-changes``: a chain of ``L`` folds changes sign at most
  ``2^L`` times along a line, so it shatters at most ``2^L + 1`` points of a
  line; the stored witnesses reach ``2^L + 1`` for ``L <= 3``.  Checked on
  random fold chains and the sawtooth chain (exact counts, two methods) and
  on the stored witnesses (read off as fold chains exactly, certified
  rigorously).
* ``vc-upper-bound``: the parameter count, the square-root elimination's
  counts, Warren's growth bound, the VC bound ``V(L, d)`` and the depth
  ``L*(m, d)`` that most labellings of ``m`` points need, every inequality
  decided exactly or with mpmath intervals; the gap to the construction's
  ``m - 2`` layers.
* ``vc-line-width3``: every width-3 LN-Net (not only fold chains) with ``L``
  LN layers changes sign at most ``2^L`` times along a line, at ``eps = 0``
  for every ``L`` and at every ``eps >= 0`` for ``L <= 2``; so its VC
  dimension on a line is ``2^L + 1`` for ``L <= 3`` (3, 5, 9).  Checked on
  random, perturbed-sawtooth and degenerate networks (exact counts from a
  resultant eliminant), against the fold-chain count, and on the stored
  witness.

Proofs: ``proofs/fold-chain-sign-changes.md``, ``proofs/vc-upper-bound.md``,
``proofs/vc-line-width3.md``.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from lnnet_construct.theory.checks._support import Claims, all3, exact_text, random_rational, rng_for
from lnnet_construct.theory.registry import Outcome, Param, Theorem

__all__ = ["THEOREMS", "generate_fold_chains", "check_fold_chains", "generate_upper_bound", "check_upper_bound",
           "random_chain", "generate_line", "check_line"]

FOLD_ID = "fold-chain-sign-changes"
UPPER_ID = "vc-upper-bound"
LINE2_ID = "vc-line-width3"

#: Depths for which the stored witnesses give equality (2^L + 1 points on a line).
EQUALITY_DEPTHS = (0, 1, 2, 3)
#: Points of the small instance the vc-upper-bound check builds with the construction.
BUILD_POINTS = 16


# ----------------------------------------------------------------------------- fold chains


def _nonzero_vector(rng, d):
    while True:
        v = tuple(random_rational(rng, -3, 3, (1, 2, 3)) for _ in range(d))
        if any(v):
            return v


def _line_for(rng, direction):
    """A random rational line ``p + s q`` along which ``t_0 = w · x`` is not constant."""
    d = len(direction)
    p = tuple(random_rational(rng, -3, 3, (1, 2, 3)) for _ in range(d))
    while True:
        q = _nonzero_vector(rng, d)
        if sum(a * b for a, b in zip(direction, q)) != 0:
            return p, q


def random_chain(rng, L: int, d: int, eps: Fraction):
    """A random fold chain of ``L`` folds on ``Q^d``, its centres and threshold near the current range.

    The range of each scalar along a line is planned in float64 from the
    turning values; each later centre and the threshold are rationals drawn
    from that range widened by a fifth on both sides (so some folds cut the
    range and some do not), each ``h`` a random fraction of the range's width.
    Only the choice is in floats: the check counts exactly.
    """
    import math

    from lnnet_construct.theory.fold_chain import ChainFold, FoldChain

    def fl(f, t):
        return 6 * float(f.h) / math.sqrt((2 * (t - float(f.c)) ** 2 + 6 * float(f.h) ** 2) / 3 + float(f.e))

    def pick(lo, hi):
        w = hi - lo
        return Fraction(rng.uniform(lo - w / 5, hi + w / 5)).limit_denominator(1000)

    direction = _nonzero_vector(rng, d)
    folds = []
    vals = None  # float turning values of the current scalar (None: t_0, all of R)
    for _ in range(L):
        if vals is None:
            f = ChainFold(random_rational(rng, -4, 4, (1, 2, 3, 5)),
                          Fraction(rng.choice((1, 2, 3, 4, 6, 8)), rng.choice((1, 2, 4))), Fraction(eps))
            vals = [0.0, fl(f, float(f.c)), 0.0]
        else:
            lo, hi = min(vals), max(vals)
            c = pick(lo, hi)
            h = Fraction(max(hi - lo, 1e-3) * rng.choice((0.125, 0.25, 0.5, 1.0, 2.0))).limit_denominator(1000)
            f = ChainFold(c, max(h, Fraction(1, 1000)), Fraction(eps))
            new = [fl(f, vals[0])]
            for a, b in zip(vals, vals[1:]):
                if min(a, b) < float(c) < max(a, b):
                    new.append(fl(f, float(c)))
                new.append(fl(f, b))
            vals = new
        folds.append(f)
    theta = pick(min(vals), max(vals)) if vals else random_rational(rng, -3, 3, (1, 2))
    return FoldChain(direction, tuple(folds), ("sign", theta, rng.choice((1, -1))))


def generate_fold_chains(L: int = 3, d: int = 2, m: int = 6, seed: int = 0, eps: Fraction = Fraction(0)) -> dict:
    """The sawtooth chain and ``m`` random chains of ``L`` folds on random lines of ``Q^d``; the stored witness.

    ``bound`` is the claimed maximum number of sign changes (``2^L``) and
    ``witness_n`` the claimed size of the stored witness (``2^L + 1``, only
    for ``L <= 3``).
    """
    from lnnet_construct.theory.fold_chain import sawtooth_chain

    eps = Fraction(eps)
    rng = rng_for(FOLD_ID, seed)
    saw = sawtooth_chain(L, eps, d)
    chains = [("sawtooth", saw, *_line_for(rng, saw.direction))]
    for _ in range(m):
        ch = random_chain(rng, L, d, eps)
        chains.append(("random", ch, *_line_for(rng, ch.direction)))
    witness = None
    if L in EQUALITY_DEPTHS:
        from lnnet_construct.theory.vc import shatter

        witness = shatter(depth=L, dim=1, eps=eps, certify=False)
    return {"L": L, "d": d, "m": m, "seed": seed, "eps": eps, "bound": 2**L, "chains": chains,
            "witness": witness, "witness_n": 2**L + 1 if witness is not None else None}


def _chain_text(ch) -> dict:
    ro = ch.readout
    return {"direction": [exact_text(v) for v in ch.direction],
            "folds": [[exact_text(f.c), exact_text(f.h), exact_text(f.e)] for f in ch.folds],
            "readout": [ro[0]] + [exact_text(v) if isinstance(v, Fraction) else v for v in ro[1:]]}


def check_fold_chains(instance: dict) -> Outcome:
    """Sign changes of every chain <= ``bound`` (two exact counts that must agree); the witness part."""
    from lnnet_construct.theory.fold_chain import sign_changes_on_line, turning_value_sign_changes

    cl = Claims()
    L, bound, eps = instance["L"], instance["bound"], Fraction(instance["eps"])
    rows = []
    for kind, ch, p, q in instance["chains"]:
        net = ch.network(eps)
        r = sign_changes_on_line(net, ch, p, q)
        rows.append({"kind": kind, "sign_changes": r["sign_changes"], "zeros": r["zeros"],
                     "turning_count": turning_value_sign_changes(ch), "signs": r["signs"],
                     "chain_signs": r["chain_signs"], "chain": _chain_text(ch),
                     "line": {"p": [exact_text(v) for v in p], "q": [exact_text(v) for v in q]}})
    most = max(r["sign_changes"] for r in rows)
    cl.add(f"every chain of {L} folds changes sign at most {bound} times along its line (exact count)",
           most <= bound, max_sign_changes=most, counts=[r["sign_changes"] for r in rows])
    disagree = [i for i, r in enumerate(rows) if r["sign_changes"] != r["turning_count"]]
    cl.add("the count from the exact zeros equals the count from the turning values (two methods)",
           not disagree, offending=disagree)
    mismatch = [i for i, r in enumerate(rows) if r["signs"] != r["chain_signs"] or 0 in r["signs"]]
    cl.add("at every sample point the network's output sign is the chain formula's, and is not 0 "
           "(the samples lie strictly between the zeros)", not mismatch, offending=mismatch)
    saw = rows[0]
    cl.add(f"the sawtooth chain attains {2 ** L} sign changes (the bound is sharp)",
           saw["sign_changes"] == 2**L, sawtooth=saw["sign_changes"])
    ev = {"claims": cl.items, "L": L, "d": instance["d"], "m": instance["m"], "seed": instance["seed"],
          "eps": exact_text(eps), "bound": bound, "chains": rows}
    w = instance.get("witness")
    if w is not None:
        _witness_claims(cl, instance, ev)
    else:
        from lnnet_construct.theory.vc_search import known_sizes

        ev["witness"] = ("equality is claimed for L <= 3 only; the largest stored witness on a line for "
                         f"L = {L} has {max((n for (lk, dk), n in known_sizes().items() if dk == 1 and lk <= L), default=L + 2)} "
                         f"points (2^L + 1 = {2 ** L + 1})")
    if cl.status == "holds":
        summary = (f"{len(rows)} chains of {L} folds: at most {most} <= {bound} sign changes (sawtooth: "
                   f"{saw['sign_changes']})")
        if w is not None:
            summary += f"; the stored fold-chain witness shatters {ev['N']} = 2^{L} + 1 points of a line"
    else:
        summary = f"not proven: {', '.join(cl.failed())}"
    return Outcome(cl.status, summary, ev)


def _witness_claims(cl: Claims, instance: dict, ev: dict) -> None:
    from lnnet_construct.theory.checks.construction import network_shape
    from lnnet_construct.theory.fold_chain import parse_fold_chain, sign_changes_on_line
    from lnnet_construct.theory.vc import verify_witness

    L, w = instance["L"], instance["witness"]
    eps_txt = exact_text(Fraction(instance["eps"]))
    pts = [tuple(p) for p in w.points]
    n = len(pts)
    ev["N"] = n
    ev["points"] = [[exact_text(v) for v in p] for p in pts]
    cl.add(f"the stored witness has N = {n} = {instance['witness_n']} points", n == instance["witness_n"], N=n)
    cl.add("its points are distinct and lie on a line (R^1)", len(set(pts)) == n and all(len(p) == 1 for p in pts))
    entries = [(tuple(int(v) for v in lab.labels), lab) for lab in w.labellings]
    got = [labs for labs, _ in entries]
    cl.add(f"all 2^N = {2 ** n} labellings are present, each once",
           len(got) == 2**n and set(got) == set(itertools.product((0, 1), repeat=n)))
    not_chain, too_deep, wrong_eps = [], [], []
    chains = {}
    for labs, lab in entries:
        ch = parse_fold_chain(lab.layer_specs(), 1)
        shape = network_shape(lab.network)
        if ch is None:
            not_chain.append(list(labs))
            continue
        chains[labs] = (ch, lab)
        if ch.depth > L or shape["depth"] != ch.depth:
            too_deep.append(list(labs))
        if any(e != eps_txt for e in shape["ln_eps"]):
            wrong_eps.append(list(labs))
    cl.add(f"every network is a fold chain with at most {L} folds and LN eps = {eps_txt} (read off its layers exactly)",
           not (not_chain or too_deep or wrong_eps), not_fold_chains=not_chain[:5], too_deep=too_deep[:5],
           wrong_eps=wrong_eps[:5])
    rep = verify_witness(w)
    ok = True if rep.status == "certified" else (False if rep.status == "refuted" else None)
    cl.add(f"verify_witness certifies all {len(entries)} networks on all {n} points (rigorous)", ok,
           report=rep.summary())
    order = sorted(range(n), key=lambda i: pts[i][0])
    alt = [0] * n
    for rank, i in enumerate(order):
        alt[i] = rank % 2
    alt = tuple(alt)
    if alt in chains:
        ch, lab = chains[alt]
        r = sign_changes_on_line(lab.network, ch, (Fraction(0),), (Fraction(1),))
        cl.add(f"the alternating labelling's network changes sign exactly N - 1 = {n - 1} <= 2^L times on the line",
               r["sign_changes"] == n - 1 and n - 1 <= 2**L and r["signs"] == r["chain_signs"],
               sign_changes=r["sign_changes"])
    else:
        cl.add("the alternating labelling has a fold-chain network", False)


# ----------------------------------------------------------------------------- the VC upper bound


def generate_upper_bound(m: int = 10_000, L: int = 3, d: int = 2, seed: int = 0) -> dict:
    """The claimed values (``P``, ``s_L``, ``D_L``, ``V(L, d)``, ``L*(m, d)``), a network of the class, a small build.

    The claims come from :mod:`lnnet_construct.theory.vc_bounds`; the check
    recomputes each from its definition.
    """
    from lnnet_construct.theory import vc_bounds as vb

    rng = rng_for(UPPER_ID, seed)
    mb = min(m, BUILD_POINTS)
    pts, seen = [], set()
    while len(pts) < mb:
        p = tuple(random_rational(rng, -mb, mb, (1, 2, 3)) for _ in range(d))
        if p not in seen:
            seen.add(p)
            pts.append(p)
    labels = ["0", "1"] + [str(rng.randrange(2)) for _ in range(mb - 2)] if mb >= 2 else ["0"] * mb
    rng.shuffle(labels)
    return {"m": m, "L": L, "d": d, "seed": seed, "network": vb.random_width3_network(L, d, seed),
            "claimed": {"P": vb.param_count(L, d), "s": vb.predicate_count(L), "D": vb.degree_bound(L),
                        "V": vb.vc_upper_bound(L, d), "L_star": vb.depth_lower_bound(m, d)},
            "build": {"points": pts, "labels": labels}}


def check_upper_bound(instance: dict) -> Outcome:
    """Recompute and verify every claimed number of the bound; report the gap to the construction."""
    from lnnet_construct.theory import vc_bounds as vb
    from lnnet_construct.theory.checks.construction import network_shape

    cl = Claims()
    m, L, d = instance["m"], instance["L"], instance["d"]
    c = instance["claimed"]
    P, s, D, V, Ls = c["P"], c["s"], c["D"], c["V"], c["L_star"]
    # 1. parameters, counted on a network of the class
    net = instance["network"]
    shape = network_shape(net)
    in_class = (shape["depth"] == L and all(w == 3 for w in shape["ln_widths"]) and shape["input_dim"] == d
                and net.layers[-1].out_dim == 1 and all(g == 1 for g in shape["ln_groups"])
                and not any(shape["ln_affine"]))
    counted = vb.network_param_count(net)
    formula = "12L + 3d - 5" if L >= 1 else "d + 1"
    cl.add(f"a width-3 LN-Net with L = {L} LN layers on R^{d} has P = {formula} = {P} parameters (counted)",
           in_class and counted == P, counted=counted, claimed=P, shape=shape)
    # 2. the elimination's counts
    rec = vb.degree_recurrence(L)
    d_rec = 1 if L == 0 else rec[-1][0] + rec[-1][1]
    n_pred = 1
    for _ in range(L):
        n_pred *= 5
    cl.add(f"the square-root elimination gives s_L = 5^L = {s} inequalities of degree D_L = {D} per point "
           "(closed forms against the recurrences)", s == n_pred and D == d_rec,
           recurrence=[list(t) for t in rec], degree_from_recurrence=d_rec, count_from_recurrence=n_pred)
    # 3. the VC bound
    ok_v = None if V < 0 else (vb.growth_allows(V, L, d) and not vb.growth_allows(V + 1, L, d))
    cl.add(f"V(L, d) = {V}: 2^V <= B_L(V) and 2^(V+1) > B_L(V+1), B_L(m) = (4e D_L (m s_L + P)/P)^P "
           "(mpmath intervals)", ok_v)
    closed_lo, closed_hi = vb._ends(vb.vc_closed_form(L, d, vb._ctx(256)))
    cl.add(f"V(L, d) <= 2P log2(8e s_L D_L) (enclosure [{float(closed_lo):.6g}, {float(closed_hi):.6g}])",
           V < closed_lo if V < closed_lo or V > closed_hi else None)
    from lnnet_construct.theory.vc_search import known_sizes

    stored = max([n for (lk, dk), n in known_sizes().items() if lk <= L and dk <= d] + [L + 2])
    cl.add(f"the certified lower bounds fit under it: max(L + 2, stored witnesses) = {stored} <= V", stored <= V)
    # 4. the depth lower bound
    below = True if Ls == 0 else not vb.union_allows_half(m, Ls - 1, d)
    cl.add(f"L* = {Ls}: for L = L* - 1 the labellings realisable with at most L layers number at most "
           f"sum_l B_l({m}) < 2^(m-1) (so more than half of all labellings need >= L* layers)", below)
    cl.add(f"L* = {Ls} is the least such depth: sum_(l <= L*) B_l(m) >= 2^(m-1)", vb.union_allows_half(m, Ls, d))
    cl.add(f"L* <= m - 2 = {m - 2}, as it must be since the construction (thm-binary) realises every labelling "
           "with at most m - 2 layers", Ls <= max(m - 2, 0))
    # 5. the construction on a small instance (reported, not a claim about this theorem)
    ev = {"claims": cl.items, "m": m, "L": L, "d": d, "seed": instance["seed"], "P": P, "s_L": s, "D_L": D, "V": V,
          "V_closed_form": [exact_text(closed_lo), exact_text(closed_hi)], "L_star": Ls,
          "construction_depth_bound": max(m - 2, 0), "stored_lower_bound": stored}
    build = instance.get("build")
    if build and len(build["points"]) >= 2:
        from lnnet_construct.construct import build as build_net

        bn = build_net(build["points"], build["labels"])
        bshape = network_shape(bn)
        k = bshape["depth"]
        mb = len(build["points"])
        cl.add(f"the construction's network for {mb} random points is in the class: width 3, "
               f"P = {vb.param_count(k, d)} parameters for its depth {k}",
               all(w == 3 for w in bshape["ln_widths"]) and bn.layers[-1].out_dim == 1
               and vb.network_param_count(bn) == vb.param_count(k, d), counted=vb.network_param_count(bn))
        ev["small_build"] = {"m": mb, "depth": k, "L_star": vb.depth_lower_bound(mb, d), "bound": mb - 2}
    gap = max(m - 2, 0) - Ls
    ev["gap"] = gap
    if cl.status == "holds":
        summary = (f"m={m}, d={d}: a random labelling needs >= {Ls} LN layers with probability > 1/2; the "
                   f"construction uses at most {max(m - 2, 0)} (gap {gap}); VC(L={L}, d={d}) <= {V}, P = {P}")
        if "small_build" in ev:
            sb = ev["small_build"]
            summary += f"; built: {sb['m']} points in depth {sb['depth']} (L* = {sb['L_star']})"
    else:
        summary = f"not proven: {', '.join(cl.failed())}"
    return Outcome(cl.status, summary, ev)


# ----------------------------------------------------------------------------- any network, L <= 2


def _perturbed(net, rng, scale=Fraction(1, 40)):
    """``net`` with every affine weight and bias moved by a random rational in ``[-scale, scale]``: a general network."""
    from lnnet_construct.network import Affine, Network

    def jig(v):
        return Fraction(v) + scale * Fraction(rng.randint(-20, 20), 20)

    layers = [Affine([[jig(v) for v in r] for r in lay.weight], [jig(v) for v in lay.bias])
              if isinstance(lay, Affine) else lay for lay in net.layers]
    return Network(net.input_dim, layers, classes=list(net.classes))


def _through_origin_line(net, rng):
    """A line through a point where the first LayerNorm's input is constant (variance 0), or None."""
    W, b = net.layers[0].weight, net.layers[0].bias
    if len(W[0]) < 2:
        return None
    au = [(W[0][j] - W[1][j]) / 2 for j in range(2)]
    aw = [(W[0][j] + W[1][j] - 2 * W[2][j]) / 6 for j in range(2)]
    u0, w0 = (b[0] - b[1]) / 2, (b[0] + b[1] - 2 * b[2]) / 6
    det = au[0] * aw[1] - au[1] * aw[0]
    if det == 0:
        return None
    x0 = ((-u0 * aw[1] + w0 * au[1]) / det, (-w0 * au[0] + aw[0] * u0) / det)
    p = x0 + (Fraction(0),) * (net.input_dim - 2)
    return p, _nonzero_vector(rng, net.input_dim)


def generate_line(L: int = 2, d: int = 2, m: int = 8, seed: int = 0, eps: Fraction = Fraction(0)) -> dict:
    """Networks with ``L`` LN layers on random lines: the sawtooth, perturbed sawtooths, random ones, one whose
    line meets a zero of the first LayerNorm's variance (``d >= 2``), and the stored witness.

    Raises
    ------
    InputError
        For ``L = 3`` with ``eps > 0``: the theorem is proved there for ``eps = 0`` only.
    """
    from lnnet_construct.theory.fold_chain import sawtooth_chain
    from lnnet_construct.theory.vc import shatter
    from lnnet_construct.theory.vc_bounds import random_width3_network

    eps = Fraction(eps)
    if L >= 3 and eps != 0:
        from lnnet_construct.errors import InputError

        raise InputError(f"{LINE2_ID}: for L >= 3 the theorem is proved at eps = 0 only (eps > 0 is the conjecture of "
                         "proofs/vc-line-width3.md)")
    rng = rng_for(LINE2_ID, seed)
    saw = sawtooth_chain(L, eps, d)
    saw_net = saw.network(eps)
    nets = [("sawtooth", saw_net, saw, *_line_for(rng, saw.direction))]
    for k in range(m):
        if k % 2 == 0:
            net = _perturbed(saw_net, rng)
            kind = "perturbed sawtooth"
        else:
            net = random_width3_network(L, d, seed=rng.randrange(10**9), eps=eps)
            kind = "random"
        p = tuple(random_rational(rng, -3, 3, (1, 2, 3)) for _ in range(d))
        nets.append((kind, net, None, p, _nonzero_vector(rng, d)))
    if d >= 2:
        net = random_width3_network(L, d, seed=rng.randrange(10**9), eps=eps)
        line = _through_origin_line(net, rng)
        if line is not None:
            nets.append(("line through a zero of the first variance", net, None, *line))
    return {"L": L, "d": d, "m": m, "seed": seed, "eps": eps, "bound": 2**L, "networks": nets,
            "witness": shatter(depth=L, dim=1, eps=eps, certify=False), "witness_n": 2**L + 1}


def check_line(instance: dict) -> Outcome:
    """Sign changes of every network <= ``bound`` (exact), the fold-chain count agrees, the witness is certified."""
    from lnnet_construct.theory.fold_chain import sign_changes_on_line
    from lnnet_construct.theory.line_sign_changes import sign_changes_general

    cl = Claims()
    L, bound, eps = instance["L"], instance["bound"], Fraction(instance["eps"])
    rows = []
    for kind, net, chain, p, q in instance["networks"]:
        r = sign_changes_general(net, p, q)
        row = {"kind": kind, "sign_changes": r["sign_changes"], "degree": r["degree"], "degenerate": r["degenerate"],
               "line": {"p": [exact_text(v) for v in p], "q": [exact_text(v) for v in q]}}
        if chain is not None:
            row["fold_chain_count"] = sign_changes_on_line(net, chain, p, q)["sign_changes"]
        rows.append(row)
    degenerate = [i for i, r in enumerate(rows) if r["degenerate"]]
    cl.add("no eliminant vanishes identically (so every count is defined)", None if degenerate else True,
           degenerate=degenerate)
    counted = [r["sign_changes"] for r in rows if r["sign_changes"] is not None]
    most = max(counted) if counted else None
    cl.add(f"every width-3 network with {L} LN layers changes sign at most {bound} times along its line "
           "(exact count)", None if most is None else most <= bound, max_sign_changes=most, counts=counted)
    degs = [r["degree"] for r in rows if r["degree"] is not None]
    cl.add(f"every eliminant has degree at most 2^L = {2 ** L} (so at most 2^L zeros)", all(g <= 2**L for g in degs),
           degrees=degs)
    pairs = [(r["sign_changes"], r["fold_chain_count"]) for r in rows if "fold_chain_count" in r]
    cl.add("on fold chains the general count equals the fold-chain count (two methods)",
           all3(None if a is None else a == b for a, b in pairs), pairs=pairs)
    saw = rows[0]["sign_changes"]
    cl.add(f"the sawtooth network attains {2 ** L} sign changes (the bound is sharp)",
           None if saw is None else saw == 2**L)
    w = instance["witness"]
    from lnnet_construct.theory.vc import verify_witness

    pts = [tuple(p) for p in w.points]
    n = len(pts)
    cl.add(f"the stored witness has N = {n} = {instance['witness_n']} distinct points of a line",
           n == instance["witness_n"] and len(set(pts)) == n and all(len(p) == 1 for p in pts), N=n)
    got = [tuple(int(v) for v in lab.labels) for lab in w.labellings]
    deep = [list(g) for g, lab in zip(got, w.labellings) if lab.network.depth > L]
    cl.add(f"all 2^N labellings are present once, each with a network of at most {L} LN layers",
           len(got) == 2**n and set(got) == set(itertools.product((0, 1), repeat=n)) and not deep, too_deep=deep[:5])
    rep = verify_witness(w)
    ok = True if rep.status == "certified" else (False if rep.status == "refuted" else None)
    cl.add(f"verify_witness certifies all {len(got)} networks on all {n} points (rigorous)", ok, report=rep.summary())
    ev = {"claims": cl.items, "L": L, "d": instance["d"], "m": instance["m"], "seed": instance["seed"],
          "eps": exact_text(eps), "bound": bound, "networks": rows, "N": n,
          "points": [[exact_text(v) for v in p] for p in pts]}
    summary = (f"{len(rows)} width-3 networks with {L} LN layers: at most {most} <= {bound} sign changes on a line; "
               f"the stored witness shatters {n} = 2^{L} + 1 collinear points"
               if cl.status == "holds" else f"not proven: {', '.join(cl.failed())}")
    return Outcome(cl.status, summary, ev)


_EPS = Param("eps", Fraction(0), Fraction(0), None, "LayerNorm epsilon (exact rational; 1/100000 is torch's default)",
             kind="rational")

THEOREMS = (
    Theorem(
        id=FOLD_ID,
        title="Fold chains change sign at most 2^L times on a line (our Theorem 5)",
        statement=(
            "A chain of at most L folds (t -> F_k(t), F_k even about c_k and strictly decreasing in |t - c_k|, "
            "read out as sign(t_L - theta)) changes sign at most 2^L times along any line, for any eps >= 0; so "
            "fold chains of depth L shatter at most 2^L + 1 points of a line. The bound is attained (the sawtooth "
            "chain), and with the stored certified witnesses 2^L + 1 points are shattered for L <= 3."
        ),
        formula=("#sign changes of x -> sign(F_L o ... o F_1(w.x) - theta) on a line <= 2^L; "
                 "VCdim on a line (fold chains, depth L) <= 2^L + 1, = 2^L + 1 for L <= 3"),
        source=("ours (the run bound in vc_search.py's docstring, made a theorem; the witnesses are found by "
                "our search)"),
        mode="exact",
        params=(
            Param("L", 3, 0, 6, "number of folds (LN layers)"),
            Param("d", 2, 1, 8, "input dimension of the random chains"),
            Param("m", 6, 1, 50, "number of random chains (besides the sawtooth chain)"),
            Param("seed", 0, None, None, "seed of the random chains and lines"),
            _EPS,
        ),
        generate=generate_fold_chains,
        check=check_fold_chains,
    ),
    Theorem(
        id=UPPER_ID,
        title="VC upper bound O((L + d) L) and the depth most labellings need (our Theorem 6)",
        statement=(
            "Width-3 LN-Nets on R^d with L LN layers have P = 12L + 3d - 5 parameters; for a fixed input the sign "
            "of the output is a Boolean combination of 5^L polynomial inequalities of degree 2^L (2L - 1) + 2 in "
            "them, so by Warren's theorem they realise at most (4e D_L (m 5^L + P)/P)^P labellings of m points and "
            "VCdim <= 2P log2(8e 5^L D_L) = O((L + d) L), within O((L + d)^2). Hence more than half of the "
            "labellings of any m points need Omega(sqrt m) layers (for fixed d), against the construction's m - 2."
        ),
        formula=("Pi_L(m) <= (4e D_L (m 5^L + P)/P)^P, P = 12L + 3d - 5, D_L = 2^L(2L - 1) + 2; "
                 "VCdim <= 2P log2(8e 5^L D_L); L*(m, d) = Omega(sqrt m)"),
        source=("ours (Warren 1968, Theorem 3, is cited as a known theorem; the paper's abstract claims a VC lower "
                "bound only)"),
        mode="rigorous",
        params=(
            Param("m", 10_000, 1, 10**7, "number of points whose labellings are counted"),
            Param("L", 3, 0, 40, "number of LN layers for the VC bound"),
            Param("d", 2, 1, 20, "input dimension"),
            Param("seed", 0, None, None, "seed of the network counted and of the small construction instance"),
        ),
        generate=generate_upper_bound,
        check=check_upper_bound,
    ),
    Theorem(
        id=LINE2_ID,
        title="Any width-3 LN-Net changes sign at most 2^L times on a line (our Theorem 7)",
        statement=(
            "Every width-3 LN-Net with L LN layers (any weights, plain LN_eps) changes sign at most 2^L times along "
            "any line: for every L at eps = 0 (the first LayerNorm maps a line one-to-one onto half an ellipse, and "
            "each later layer at most doubles how often a point of the ellipse is visited), and for L <= 2 at every "
            "eps >= 0 (the zero set of the rest is a conic; Bezout). So these networks shatter at most 2^L + 1 "
            "collinear points, and with the stored certified witnesses exactly 2^L + 1 for L <= 3 (3, 5, 9 points)."
        ),
        formula=("#sign changes of x -> sign F(x) on a line <= 2^L (eps = 0, all L; eps >= 0, L <= 2); "
                 "VCdim on a line (width-3 LN-Nets, depth L) = 2^L + 1 for L <= 3 (L = 3: eps = 0)"),
        source="ours (the half-ellipse argument and Bezout's theorem; the witnesses are from our search)",
        mode="exact",
        params=(
            Param("L", 2, 1, 3, "number of LN layers (L = 3 needs eps = 0)"),
            Param("d", 2, 1, 8, "input dimension of the networks"),
            Param("m", 8, 1, 60, "number of random and perturbed networks"),
            Param("seed", 0, None, None, "seed of the networks and lines"),
            _EPS,
        ),
        generate=generate_line,
        check=check_line,
    ),
)
