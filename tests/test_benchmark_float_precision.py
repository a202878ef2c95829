"""``benchmarks/float_precision.py``: its counts on networks whose p-bit behaviour is known by hand."""

import json
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from lnnet_construct.network import Affine, LayerNorm, Network

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def fp():
    sys.path.insert(0, str(BENCH))
    try:
        import float_precision
        yield float_precision
    finally:
        sys.path.remove(str(BENCH))


def _threshold_net(k: int) -> Network:
    """sign(x - 1 - 2^-k): at x = 1 the output is -2^-k exactly, but 0 (undecided) once 1 + 2^-k rounds to 1."""
    return Network(1, [Affine([[1]], [-(1 + Fraction(1, 2**k))])], classes=["neg", "pos"])


@pytest.mark.parametrize("workers", [1, 2])
def test_wrong_counts_follow_the_rounding_of_one_bias(fp, workers):
    net = _threshold_net(40)
    pts, labs = [[Fraction(1)], [Fraction(3)]], ["neg", "pos"]
    # 1 + 2^-40 needs 41 bits: below that the first point is undecided (counted wrong)
    assert fp.wrong_at(net, pts, labs, 40, workers) == 1
    assert fp.wrong_at(net, pts, labs, 41, workers) == 0


def test_a_layer_norm_network_is_counted_through_forward(fp):
    # LN([x, -x, 1]), first coordinate minus second: 2x / sigma, whose sign is that of x
    net = Network(1, [Affine([[1], [-1], [0]], [0, 0, 1]), LayerNorm(), Affine([[1, -1, 0]], [0])],
                  classes=["neg", "pos"])
    pts, labs = [[Fraction(-1)], [Fraction(1, 10)], [Fraction(2)]], ["neg", "pos", "neg"]
    assert fp.wrong_at(net, pts, labs, 53, 1) == 1     # only the last label is wrong


def test_bits_needed_wants_two_clean_precisions(fp):
    assert fp.bits_needed({53: 4, 64: 0, 80: 0}) == 64
    assert fp.bits_needed({53: 0, 64: 1, 80: 0}) is None
    assert fp.bits_needed({53: 3, 64: 0}) is None
    assert fp.bits_needed({}) is None


def test_the_script_writes_its_table_and_json(fp, tmp_path, capsys):
    out = tmp_path / "fp.json"
    assert fp.main(["--sizes", "24", "--bits", "8,53,64,80", "--workers", "1", "--out", str(out),
                    "--cache", str(tmp_path / "nets")]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [r["method"] for r in rows] == ["default", "paper"]
    for r in rows:
        # a certified 22-layer network on 24 points of 6-digit data is right from 64 bits on (the scan
        # stops at the first precision with no wrong point)
        assert r["bits_needed"] is not None and r["bits_needed"] <= 64
        assert r["wrong_at_bits"][str(r["bits_needed"])] == 0
        assert all(v > 0 for b, v in r["wrong_at_bits"].items() if int(b) < r["bits_needed"])
    assert "bits needed" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "nets").iterdir()) == ["default_24_s0_p0.json", "paper_24_s0_p0.json"]
