r"""The theorem registry: every statement the toolkit stands behind, as a checkable object.

A :class:`Theorem` holds an id, its statement in words and as a formula,
where the statement comes from (the paper's abstract, or ours), its proof
file ``proofs/<id>.md``, the parameters of its instances (with defaults and
ranges), an instance generator and a checker.  :meth:`Theorem.run` generates
an instance from parameters and a seed, checks it and returns a
:class:`CheckResult`:

* ``status`` -- ``"holds"``, ``"fails"`` or ``"inconclusive"``;
* ``mode`` -- ``"exact"`` (every decision is an exact rational or algebraic
  sign, or a symbolic identity proven by sympy) or ``"rigorous"`` (every
  decision rests on certified interval/ball enclosures);
* ``evidence`` -- a JSON-ready dict, exact values as strings; its
  ``"claims"`` list names each part of the statement that was checked and
  its result;
* ``seconds`` -- wall-clock time of generation and check.

The status is ``fails`` as soon as one claim is refuted, ``inconclusive``
when none is refuted but one could not be decided (a sign at the precision
cap, a symbolic identity sympy could neither prove nor refute at sample
points), and ``holds`` only when every claim was proven.

Invariant: a ``holds`` never rests on floating point.

Examples
--------
>>> ids = theorem_ids()
>>> len(ids), ids[0]
(15, 'ln-circle')
>>> t = get_theorem("gram-isometry")
>>> t.proof, t.mode, t.origin
('proofs/gram-isometry.md', 'exact', 'ours')
>>> [t.id for t in theorems() if t.origin == "paper"]
['thm-binary', 'vc-lower-bound', 'lng-hessian']
>>> r = t.run(seed=3)
>>> r.status, r.exit_code
('holds', 0)
>>> get_theorem("no-such-theorem")
Traceback (most recent call last):
...
lnnet_construct.errors.InputError: unknown theorem 'no-such-theorem'; valid ids: ln-circle, lssr-affine-invariance, lssr-ln-breaks, thm-binary, thm-multiclass, vc-lower-bound, lng-hessian, ln-rmsnorm-fold, ln-lipschitz, ln2-sign, ln-one-stationary, gram-isometry, fold-chain-sign-changes, vc-upper-bound, vc-line-width3
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

from lnnet_construct.errors import ArithmeticUndecided, InputError, PrecisionExhausted

__all__ = [
    "Param",
    "Outcome",
    "CheckResult",
    "Theorem",
    "STATUSES",
    "MODES",
    "EXIT_CODES",
    "theorem_ids",
    "theorems",
    "get_theorem",
    "run_check",
    "proofs_dir",
]

#: The three check outcomes, and the ``lnnet check`` exit code of each.
STATUSES = ("holds", "fails", "inconclusive")
EXIT_CODES = MappingProxyType({"holds": 0, "fails": 1, "inconclusive": 2})
MODES = ("exact", "rigorous")

#: Check modules, in registry order; each defines ``THEOREMS`` (a tuple of Theorem).
_CHECK_MODULES = (
    "circle",
    "lssr",
    "construction",
    "hessian",
    "rmsnorm",
    "lipschitz",
    "one_ln",
    "isometry",
    "vc_bounds",
)
#: The required order of ids (the issue's list).
_ORDER = (
    "ln-circle",
    "lssr-affine-invariance",
    "lssr-ln-breaks",
    "thm-binary",
    "thm-multiclass",
    "vc-lower-bound",
    "lng-hessian",
    "ln-rmsnorm-fold",
    "ln-lipschitz",
    "ln2-sign",
    "ln-one-stationary",
    "gram-isometry",
    "fold-chain-sign-changes",
    "vc-upper-bound",
    "vc-line-width3",
)


def proofs_dir() -> Path:
    """The ``proofs/`` directory of the source tree (it may be absent in an installed copy)."""
    return Path(__file__).resolve().parents[2] / "proofs"


@dataclass(frozen=True)
class Param:
    """One parameter of a theorem's instances: an integer, or an exact rational (``kind="rational"``).

    Attributes
    ----------
    name : str
        ``m``, ``L``, ``d``, ``K``, ``seed`` or ``eps`` (the ``lnnet check`` options).
    default : int or Fraction
    minimum, maximum : int, Fraction or None
        Inclusive bounds; ``None`` means unbounded.
    help : str
        What the parameter means for this theorem.
    kind : {"int", "rational"}
        ``"rational"`` values are exact: ints, Fractions or exact-number
        strings (``"1/100000"``, ``"1e-5"``); floats are refused.

    Examples
    --------
    >>> Param("eps", Fraction(0), Fraction(0), kind="rational").validate("1e-5", "t")
    Fraction(1, 100000)
    """

    name: str
    default: Any
    minimum: Any = None
    maximum: Any = None
    help: str = ""
    kind: str = "int"

    def validate(self, value, theorem_id: str):
        """The value as an int (or Fraction), or InputError naming the theorem and the allowed range."""
        if self.kind == "rational":
            value = self._rational(value, theorem_id)
        elif isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{theorem_id}: parameter {self.name} must be an integer, got {value!r}")
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            lo = "-inf" if self.minimum is None else self.minimum
            hi = "inf" if self.maximum is None else self.maximum
            raise InputError(f"{theorem_id}: parameter {self.name}={value} is outside [{lo}, {hi}] ({self.help})")
        return value

    def _rational(self, value, theorem_id: str) -> Fraction:
        from lnnet_construct.errors import NumberFormatError
        from lnnet_construct.numbers import parse_number

        if isinstance(value, Fraction):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise InputError(f"{theorem_id}: parameter {self.name} must be an exact rational "
                             f"(int, Fraction or a string such as '1/100000'), got {value!r}")
        try:
            q = parse_number(value)
        except NumberFormatError as e:
            raise InputError(f"{theorem_id}: parameter {self.name}: {e}") from None
        if not isinstance(q, Fraction):
            raise InputError(f"{theorem_id}: parameter {self.name} must be rational, got {value!r}")
        return q

    def to_json(self) -> dict:
        def j(v):
            return str(v) if isinstance(v, Fraction) else v

        return {"default": j(self.default), "minimum": j(self.minimum), "maximum": j(self.maximum),
                "help": self.help, "kind": self.kind}


@dataclass(frozen=True)
class Outcome:
    """What a checker returns: a status, a one-line summary and the evidence."""

    status: str
    summary: str
    evidence: Mapping

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")


@dataclass(frozen=True)
class CheckResult:
    """The result of checking one theorem instance (see the module docstring).

    Attributes
    ----------
    theorem : str
        The theorem id.
    status : {"holds", "fails", "inconclusive"}
    mode : {"exact", "rigorous"}
    evidence : mapping
        JSON-ready; exact values are strings.
    params : mapping
        The parameters actually used (defaults filled in).
    seconds : float
    summary : str
        One line.
    proof : str
        ``proofs/<id>.md``.
    """

    theorem: str
    status: str
    mode: str
    evidence: Mapping
    params: Mapping
    seconds: float
    summary: str = ""
    proof: str = ""

    @property
    def exit_code(self) -> int:
        """0 holds, 1 fails, 2 inconclusive (the ``lnnet check`` contract)."""
        return EXIT_CODES[self.status]

    def to_json(self) -> dict:
        """A JSON-ready dict."""
        from lnnet_construct.theory.checks._support import jsonable

        return {
            "id": self.theorem,
            "status": self.status,
            "mode": self.mode,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 6),
            "params": jsonable(dict(self.params)),
            "summary": self.summary,
            "proof": self.proof,
            "evidence": jsonable(dict(self.evidence)),
        }


@dataclass(frozen=True)
class Theorem:
    r"""A checkable statement.

    Attributes
    ----------
    id : str
    title : str
    statement : str
        The statement in words.
    formula : str
        The statement as a formula (plain text).
    source : str
        ``"paper"`` when the paper's abstract (seed ``000``) makes the claim,
        ``"ours"`` otherwise, followed by a short provenance note.  The
        seed's summary, figure captions and list of numbered results are
        context, never grounds for ``"paper"``; the precise statement checked
        (constants, bounds, definitions) is ours even under ``"paper"``.
    mode : {"exact", "rigorous"}
    params : tuple of Param
        The instance parameters this theorem accepts.
    generate : callable
        ``generate(**params) -> instance`` (deterministic in ``seed``).
    check : callable
        ``check(instance) -> Outcome``.
    slow : bool
        The default check takes more than a couple of seconds.
    """

    id: str
    title: str
    statement: str
    formula: str
    source: str
    mode: str
    params: tuple
    generate: Callable[..., Any] = field(repr=False)
    check: Callable[[Any], Outcome] = field(repr=False)
    slow: bool = False

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")

    @property
    def origin(self) -> str:
        """``"paper"`` or ``"ours"``: the first word of :attr:`source` (what ``lnnet check --list`` shows)."""
        return "paper" if self.source.split()[0] == "paper" else "ours"

    @property
    def proof(self) -> str:
        """The proof file, relative to the repository root."""
        return f"proofs/{self.id}.md"

    @property
    def proof_path(self) -> Path:
        """Absolute path of the proof file (it may not exist in an installed copy)."""
        return proofs_dir() / f"{self.id}.md"

    @property
    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}

    def resolve_params(self, **given) -> dict:
        """Defaults overridden by ``given``; unknown names or out-of-range values raise InputError."""
        known = {p.name: p for p in self.params}
        unknown = sorted(k for k, v in given.items() if v is not None and k not in known)
        if unknown:
            accepted = ", ".join(f"--{p.name}" for p in self.params) or "no parameters"
            raise InputError(
                f"{self.id} does not use {', '.join('--' + k for k in unknown)}; it accepts {accepted}"
            )
        out = {}
        for name, p in known.items():
            v = given.get(name)
            out[name] = p.validate(p.default if v is None else v, self.id)
        return out

    def instance(self, **given):
        """Generate the instance for these parameters (defaults filled in)."""
        return self.generate(**self.resolve_params(**given))

    def run(self, **given) -> CheckResult:
        """Generate an instance and check it.

        Raises
        ------
        InputError
            For unknown parameters or values out of range.
        """
        params = self.resolve_params(**given)
        t0 = time.perf_counter()
        try:
            outcome = self.check(self.generate(**params))
        except (ArithmeticUndecided, PrecisionExhausted) as e:
            # An undecided sign is not a counterexample: report it as such.
            outcome = Outcome("inconclusive", f"undecided: {e}", {"undecided": str(e)})
        seconds = time.perf_counter() - t0
        return CheckResult(self.id, outcome.status, self.mode, dict(outcome.evidence), params, seconds,
                           outcome.summary, self.proof)

    def to_json(self) -> dict:
        """The registry entry as JSON (for ``lnnet check --list --json``)."""
        return {
            "id": self.id,
            "title": self.title,
            "statement": self.statement,
            "formula": self.formula,
            "source": self.source,
            "origin": self.origin,
            "mode": self.mode,
            "proof": self.proof,
            "proof_exists": self.proof_path.is_file(),
            "slow": self.slow,
            "parameters": {p.name: p.to_json() for p in self.params},
        }


_REGISTRY: dict[str, Theorem] | None = None


def _load() -> dict[str, Theorem]:
    global _REGISTRY
    if _REGISTRY is None:
        found: dict[str, Theorem] = {}
        for name in _CHECK_MODULES:
            mod = importlib.import_module(f"lnnet_construct.theory.checks.{name}")
            for t in mod.THEOREMS:
                if t.id in found:
                    raise RuntimeError(f"theorem id {t.id!r} is registered twice")
                found[t.id] = t
        missing = [i for i in _ORDER if i not in found]
        if missing:
            raise RuntimeError(f"theorems missing from the registry: {missing}")
        extra = [i for i in found if i not in _ORDER]
        _REGISTRY = {i: found[i] for i in (*_ORDER, *extra)}
    return _REGISTRY


def theorem_ids() -> tuple[str, ...]:
    """All registered ids, in registry order."""
    return tuple(_load())


def theorems() -> tuple[Theorem, ...]:
    """All registered theorems, in registry order."""
    return tuple(_load().values())


def get_theorem(theorem_id: str) -> Theorem:
    """The theorem with this id; InputError listing the valid ids otherwise."""
    reg = _load()
    try:
        return reg[theorem_id]
    except (KeyError, TypeError):
        raise InputError(f"unknown theorem {theorem_id!r}; valid ids: {', '.join(reg)}") from None


def run_check(theorem_id: str, **params) -> CheckResult:
    """``get_theorem(theorem_id).run(**params)``.

    >>> run_check("ln2-sign").status
    'holds'
    """
    return get_theorem(theorem_id).run(**params)
