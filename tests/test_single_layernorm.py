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


def test_no_second_layernorm_definition_in_the_package():
    pattern = re.compile(r"^\s*def\s+(_*(?:layer_?norm|ln)(?:_\w+)?)\s*\(", re.IGNORECASE | re.MULTILINE)
    offenders = []
    for path in PKG.rglob("*.py"):
        if path.name == "ops.py" and path.parent == PKG:
            continue
        for m in pattern.finditer(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(PKG)}: {m.group(1)}")
    assert offenders == []


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
