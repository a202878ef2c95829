"""Soundness fuzzing of the verifier: >= 10^4 random nasty cases against exact answers.

Each case (``lnnet_construct.verify.fuzz.random_case(seed)``) is a small
random network — generic dense layers, rank-1 chains or folds; 1 to 3
LayerNorm layers of width 2 to 4 with groups, eps and elementwise affine;
sign or argmax — with a few points and labels and one nasty mutation
(near ties down to 2^-300, exact ties and structural zeros, zero variance,
huge and tiny magnitudes, labels that are not classes), verified with a
random precision cap.  The reference is the exact oracle
(``lnnet_construct.verify.exact_verdicts``, exact algebraic arithmetic); with
``--mp-every K`` every K-th case is also checked against an independent
4000-bit mpmath oracle written here (its own LayerNorm; silent where a
variance or a decisive quantity is within its resolution of 0).

Counted per point: agreeing VERIFIED / REFUTED, INCONCLUSIVE at the cap,
INCONCLUSIVE below the cap (a failure), false VERIFIED, false REFUTED.

Usage::

    python benchmarks/fuzz_soundness.py [--cases 10000] [--start 0] [--mp-every 0]

Prints a table, writes ``benchmarks/results/fuzz_soundness.json``; exits 1
if any verdict is false.
"""

from __future__ import annotations

import argparse
import collections
import json
import platform
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lnnet_construct.verify import Verdict, exact_verdicts, verify  # noqa: E402
from lnnet_construct.verify.fuzz import random_case  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _mp_outputs(net, point, prec=4000):
    """Outputs at ``prec`` bits with a LayerNorm written here (independent of the package; NOT rigorous).

    Returns None when a LayerNorm variance (+ eps) is within 2^-(prec - 1000) of 0:
    floating point cannot tell an exactly constant input from a nearly constant one.
    """
    import mpmath

    from lnnet_construct.network import Affine

    ctx = mpmath.MPContext()
    ctx.prec = prec

    def c(q):
        q = Fraction(q)
        return ctx.mpf(q.numerator) / q.denominator

    v = [c(x) for x in point]
    tiny = ctx.mpf(2) ** -(prec - 1000)
    for layer in net.layers:
        if isinstance(layer, Affine):
            v = [ctx.fsum(c(w) * x for w, x in zip(row, v)) + c(b) for row, b in zip(layer.weight, layer.bias)]
            continue
        s = len(v) // layer.groups
        out = []
        for g in range(layer.groups):
            blk = v[g * s:(g + 1) * s]
            mu = ctx.fsum(blk) / s
            var = ctx.fsum((x - mu) ** 2 for x in blk) / s + c(layer.eps)
            if var <= tiny * (1 + max(abs(x) for x in blk) ** 2):
                return None
            out += [(x - mu) / ctx.sqrt(var) for x in blk]
        if layer.weight is not None:
            out = [x * c(w) for x, w in zip(out, layer.weight)]
        if layer.bias is not None:
            out = [x + c(b) for x, b in zip(out, layer.bias)]
        v = out
    return v


def _mp_verdict(net, point, label):
    import mpmath

    texts = net.class_texts
    if label not in texts:
        return Verdict.REFUTED
    c = texts.index(label)
    out = _mp_outputs(net, point)
    if out is None:
        return None
    tiny = mpmath.mpf(2) ** -3000
    if net.decision == "sign":
        qs = [out[0] if c == 1 else -out[0]]
    else:
        qs = [out[c] - out[k] for k in range(len(out)) if k != c]
    if any(abs(q) < tiny for q in qs):
        return None
    return Verdict.VERIFIED if all(q > 0 for q in qs) else Verdict.REFUTED


def run(cases: int, start: int, mp_every: int, progress_every: int):
    totals = collections.Counter()
    by_mutation = collections.defaultdict(collections.Counter)
    by_method = collections.Counter()
    failures, slow = [], []
    t0 = time.perf_counter()
    for n, seed in enumerate(range(start, start + cases), start=1):
        case = random_case(seed)
        t = time.perf_counter()
        truth = exact_verdicts(case.network, case.points, case.labels)
        t_oracle = time.perf_counter() - t
        t = time.perf_counter()
        rep = verify(case.network, case.points, case.labels, max_bits=case.max_bits, exact_depth=case.exact_depth)
        t_verify = time.perf_counter() - t
        if t_oracle + t_verify > 2:
            slow.append({"seed": seed, "oracle_s": round(t_oracle, 2), "verify_s": round(t_verify, 2),
                         "kind": case.kind, "mutation": case.mutation})
        if mp_every and n % mp_every == 0:
            for p, lab, tr in zip(case.points, case.labels, truth):
                mv = _mp_verdict(case.network, p, lab)
                if mv is not None and mv != tr:
                    totals["oracle disagreement"] += 1
                    failures.append({"seed": seed, "what": "exact and mpmath oracles disagree"})
        totals["cases"] += 1
        for res, tr in zip(rep.points, truth):
            totals["points"] += 1
            by_method[res.method] += 1
            if res.verdict is Verdict.INCONCLUSIVE:
                key = "inconclusive at cap" if res.bits == case.max_bits else "INCONCLUSIVE BELOW CAP"
            elif res.verdict == tr:
                key = f"correct {tr.value.lower()}"
            else:
                key = f"FALSE {res.verdict.value}"
                failures.append({"seed": seed, "point": res.index, "verdict": res.verdict.value,
                                 "exact": tr.value, "kind": case.kind, "mutation": case.mutation})
            totals[key] += 1
            by_mutation[case.mutation][key] += 1
        if progress_every and n % progress_every == 0:
            el = time.perf_counter() - t0
            print(f"  {n}/{cases} cases, {el:.0f}s, false verdicts so far: "
                  f"{totals['FALSE VERIFIED'] + totals['FALSE REFUTED']}", file=sys.stderr, flush=True)
    return totals, by_mutation, by_method, failures, slow, time.perf_counter() - t0


KEYS = ["correct verified", "correct refuted", "inconclusive at cap", "INCONCLUSIVE BELOW CAP",
        "FALSE VERIFIED", "FALSE REFUTED"]


def print_table(totals, by_mutation, seconds):
    w = max(len(k) for k in KEYS)
    print(f"{'mutation':<14}" + "".join(f"{k:>{w + 2}}" for k in KEYS))
    for mut in sorted(by_mutation):
        c = by_mutation[mut]
        print(f"{mut:<14}" + "".join(f"{c[k]:>{w + 2}}" for k in KEYS))
    print(f"{'total':<14}" + "".join(f"{totals[k]:>{w + 2}}" for k in KEYS))
    print(f"{totals['cases']} cases, {totals['points']} points in {seconds:.1f}s; "
          f"false VERIFIED: {totals['FALSE VERIFIED']}, false REFUTED: {totals['FALSE REFUTED']}, "
          f"inconclusive below the cap: {totals['INCONCLUSIVE BELOW CAP']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--start", type=int, default=0, help="first seed")
    ap.add_argument("--mp-every", type=int, default=0,
                    help="also check every K-th case against the independent mpmath oracle (0: never)")
    ap.add_argument("--progress-every", type=int, default=1000)
    ap.add_argument("--out", default=str(RESULTS / "fuzz_soundness.json"))
    args = ap.parse_args(argv)
    totals, by_mutation, by_method, failures, slow, seconds = run(args.cases, args.start, args.mp_every,
                                                                  args.progress_every)
    print_table(totals, by_mutation, seconds)
    doc = {
        "benchmark": "fuzz_soundness",
        "cases": totals["cases"],
        "points": totals["points"],
        "seeds": [args.start, args.start + args.cases - 1],
        "seconds": seconds,
        "false_verified": totals["FALSE VERIFIED"],
        "false_refuted": totals["FALSE REFUTED"],
        "inconclusive_below_cap": totals["INCONCLUSIVE BELOW CAP"],
        "oracle_disagreements": totals["oracle disagreement"],
        "totals": dict(totals),
        "by_mutation": {k: dict(v) for k, v in by_mutation.items()},
        "by_method": dict(by_method),
        "failures": failures[:100],
        "slow_cases": slow[:50],
        "python": platform.python_version(),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {out}")
    bad = totals["FALSE VERIFIED"] + totals["FALSE REFUTED"] + totals["INCONCLUSIVE BELOW CAP"] + \
        totals["oracle disagreement"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
