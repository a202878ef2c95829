"""There is exactly one LayerNorm implementation (lnnet_construct.ops.layer_norm), shared by all backends."""

import re
from fractions import Fraction
from pathlib import Path

import pytest

import lnnet_construct
from lnnet_construct import forward as fwd
from lnnet_construct.arith import ARITH_NAMES, get_arith

from netzoo import ZOO

PKG = Path(lnnet_construct.__file__).parent


def test_only_ops_normalises():
    """The LayerNorm denominator primitive is used by ops.layer_norm and nowhere else."""
    users = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).as_posix()
        # RMSNorm (no centring) is a different normalisation with its own denominator.
        if rel in ("ops.py", "theory/rmsnorm_fold.py") or rel.startswith("arith/"):
            continue
        # The replay checker is standard-library only and independent by design (issue 4).
        if rel == "verify/replay.py":
            assert "import lnnet_construct" not in path.read_text(encoding="utf-8")
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            # calls only; arithmetic subclasses may wrap the primitive via super()
            if re.search(r"(?<!def )(?<!super\(\)\.)\bpositive_sqrt\s*\(", line):
                users.append(f"{rel}: {line.strip()}")
    assert users == []


@pytest.mark.parametrize("name", ARITH_NAMES)
def test_every_backend_goes_through_ops_layer_norm(name, monkeypatch):
    calls = []
    real = fwd.layer_norm

    def spy(*a, **k):
        calls.append(k["arith"].name)
        return real(*a, **k)

    monkeypatch.setattr(fwd, "layer_norm", spy)
    net = ZOO["eps_decimal"]()
    A = get_arith(name)
    x = [Fraction(1, 3), Fraction(-2)]
    if A.batched:
        x = fwd.batch_input([x], A)
    fwd.forward(net, x, A)
    assert calls == [name, name]
