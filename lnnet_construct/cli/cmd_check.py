"""``lnnet check THEOREM [--m M] [--L L] [--d D] [--K K] [--seed S] [--eps E] [--json]`` and ``lnnet check --list [--json]``.

Exit codes: 0 holds, 1 fails, 2 inconclusive, 3 bad input (unknown id,
a parameter the theorem does not use, a value out of range).
"""

from __future__ import annotations

import textwrap

from .common import add_json, print_json

#: The integer options, in the order ``--help`` shows them.
OPTIONS = (
    ("m", "M", "number of points / samples / instances (meaning depends on the theorem)"),
    ("L", "L", "number of LayerNorm layers (vc-lower-bound, fold-chain-sign-changes, vc-upper-bound)"),
    ("d", "D", "dimension or LayerNorm width"),
    ("K", "K", "number of classes (thm-multiclass)"),
    ("seed", "S", "seed of the generated instance"),
)
#: The exact rational options (strings such as ``1/100000`` or ``1e-5``, read exactly).
RATIONAL_OPTIONS = (
    ("eps", "E", "LayerNorm epsilon, an exact rational such as 1/100000 or 1e-5 (constructions and VC)"),
)


def add_parser(sub):
    p = sub.add_parser(
        "check",
        help="check a theorem instance (exact or rigorous), or list the theorems",
        description=(
            "Generate an instance of a registered theorem from its parameters and seed, and check it with "
            "exact arithmetic or rigorous enclosures. Each theorem's statement and proof are in proofs/<id>.md. "
            "Exit codes: 0 holds, 1 fails, 2 inconclusive, 3 bad input."
        ),
    )
    p.add_argument("theorem", metavar="THEOREM", nargs="?", help="theorem id (see --list)")
    p.add_argument("--list", action="store_true",
                   help="list the theorems: ids, origin (paper or ours), statements, proof files, modes")
    for name, metavar, help_ in OPTIONS:
        p.add_argument(f"--{name}", type=int, default=None, metavar=metavar, help=help_)
    for name, metavar, help_ in RATIONAL_OPTIONS:
        p.add_argument(f"--{name}", type=str, default=None, metavar=metavar, help=help_)
    add_json(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError
    from ..theory.registry import get_theorem, theorems

    given = {name: getattr(args, name) for name, _, _ in OPTIONS + RATIONAL_OPTIONS}
    if args.list:
        if args.theorem is not None or any(v is not None for v in given.values()):
            raise InputError("--list takes no theorem id and no parameters")
        entries = theorems()
        if args.json:
            print_json({"theorems": [t.to_json() for t in entries]})
        else:
            _print_list(entries)
        return 0
    if args.theorem is None:
        raise InputError("expected a theorem id or --list (try 'lnnet check --list')")
    theorem = get_theorem(args.theorem)
    result = theorem.run(**given)
    if args.json:
        print_json(result.to_json())
    else:
        _print_result(theorem, result)
    return result.exit_code


def _print_list(entries) -> None:
    print("origin: 'paper' = the paper's abstract makes the claim (the precise statement checked is ours); "
          "'ours' = our statement")
    for t in entries:
        params = " ".join(f"--{p.name} {p.default}" for p in t.params) or "(no parameters)"
        exists = "" if t.proof_path.is_file() else " (missing)"
        origin = f"[{t.origin}]"   # [paper] or [ours]
        print(f"{t.id}  [{t.mode}]  {origin:7}  {t.title}")
        print(textwrap.fill(t.statement, width=100, initial_indent="    ", subsequent_indent="    "))
        print(f"    formula: {t.formula}")
        print(f"    source:  {t.source}")
        print(f"    proof:   {t.proof}{exists}")
        print(f"    defaults: {params}")


def _print_result(theorem, result) -> None:
    params = ", ".join(f"{k}={v}" for k, v in result.params.items()) or "no parameters"
    print(f"{theorem.id}: {result.status.upper()} ({result.mode}, {result.seconds:.2f} s; {params})")
    print(f"  {result.summary}")
    for c in result.evidence.get("claims", []):
        print(f"  [{c['result']}] {c['claim']}")
    print(f"  proof: {theorem.proof}")
