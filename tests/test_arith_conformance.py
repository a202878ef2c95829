"""One conformance suite over every arithmetic backend.

Same networks, same points: every backend must reach the decision of an
independent high-precision oracle (tests/netzoo.py, its own LayerNorm), and
the rigorous backends must enclose the oracle's value with a narrow width.
"""

from fractions import Fraction

import mpmath
import pytest

from lnnet_construct.arith import Sign, get_arith
from lnnet_construct.forward import batch_input, decide, decide_batch, forward

from netzoo import ZOO, grid_points, oracle_class, oracle_outputs, sympy_outputs

SCALAR = ["exact", "arb", "iv", "mpmath"]
BATCHED = ["interval", "float"]


def _points(net):
    return grid_points(net.input_dim)


@pytest.fixture(scope="module")
def oracle():
    cache = {}

    def get(name):
        if name not in cache:
            net = ZOO[name]()
            pts = _points(net)
            want = [oracle_class(net, p) for p in pts]
            keep = [i for i, p in enumerate(pts) if _defined(net, p)]
            pts = [pts[i] for i in keep]
            cache[name] = (net, pts, [want[i] for i in keep], [oracle_outputs(net, p) for p in pts])
        return cache[name]

    return get


def _defined(net, p):
    try:
        oracle_outputs(net, p)
        return True
    except ZeroDivisionError:
        return False


def _relative_margin(outs):
    return min(abs(o) for o in outs) / max(1, max(abs(o) for o in outs))


@pytest.mark.parametrize("name", sorted(ZOO))
@pytest.mark.parametrize("backend", SCALAR)
def test_scalar_backends_decide_like_the_oracle(name, backend, oracle):
    net, pts, want, outs = oracle(name)
    A = get_arith(backend, prec=256) if backend in ("arb", "iv", "mpmath") else get_arith(backend)
    for p, w, o in zip(pts, want, outs):
        got = decide(net, forward(net, p, A), A)
        if A.is_rigorous:
            if got is not None:  # rigorous: a decision must be right
                assert got == w, (p, got, w)
            elif backend == "exact":
                assert w is None
        elif _relative_margin(o) > mpmath.mpf(2) ** -100:
            assert got == w


@pytest.mark.parametrize("name", sorted(ZOO))
@pytest.mark.parametrize("backend", BATCHED)
def test_batched_backends_decide_like_the_oracle(name, backend, oracle):
    net, pts, want, outs = oracle(name)
    A = get_arith(backend)
    codes = decide_batch(net, forward(net, batch_input(pts, A), A), A)
    for c, w, o in zip(codes, want, outs):
        got = net.classes[c] if c >= 0 else None
        if A.is_rigorous:
            if got is not None:
                assert got == w
        elif _relative_margin(o) > 1e-6:
            assert got == w
    if A.is_rigorous and name not in ("deep8",):
        # shallow networks: the float64 interval tier decides nearly everything
        assert (codes >= 0).mean() > 0.9


@pytest.mark.parametrize("name", sorted(ZOO))
@pytest.mark.parametrize("backend,prec,max_rel_width", [("arb", 200, 2.0**-150), ("iv", 200, 2.0**-150)])
def test_scalar_enclosures_contain_oracle_and_are_narrow(name, backend, prec, max_rel_width, oracle):
    net, pts, _, outs = oracle(name)
    A = get_arith(backend, prec=prec)
    for p, o in zip(pts, outs):
        got = forward(net, p, A)
        for e, v in zip(got, o):
            lo, hi = A.lower(e), A.upper(e)
            assert lo is not None and hi is not None
            exact_v = Fraction(*mpmath.libmp.to_rational(v._mpf_))
            slack = Fraction(1, 2**3900) * (1 + abs(exact_v))  # oracle's own rounding
            assert lo - slack <= exact_v <= hi + slack
            width = hi - lo
            assert width <= Fraction(max_rel_width) * max(1, abs(exact_v)) * 2**40  # 40 bits of growth allowed


@pytest.mark.parametrize("name", sorted(ZOO))
def test_interval_tier_encloses_oracle_and_is_narrow(name, oracle):
    net, pts, _, outs = oracle(name)
    A = get_arith("interval")
    got = forward(net, batch_input(pts, A), A)
    for k, col in enumerate(got):
        for i, o in enumerate(outs):
            lo, hi = float(col.lo[i]), float(col.hi[i])
            v = o[k]
            assert mpmath.mpf(lo) <= v + mpmath.mpf(2) ** -3900 and v - mpmath.mpf(2) ** -3900 <= mpmath.mpf(hi)
            if name != "deep8":
                assert hi - lo <= 1e-6 * max(1.0, abs(float(v)))


def test_exact_backend_agrees_with_sympy_exactly():
    net = ZOO["algebraic"]()
    A = get_arith("exact")
    for p in grid_points(2)[:15]:
        ours = forward(net, p, A)[0]
        theirs = sympy_outputs(net, p)[0]
        diff = (ours.to_sympy() if hasattr(ours, "to_sympy") else ours) - theirs
        # exact comparison: the difference is algebraically zero
        import sympy

        t = sympy.Dummy("t")
        assert diff == 0 or sympy.minimal_polynomial(diff, t) == t


def test_exact_zero_output_is_zero_in_exact_and_not_decided_elsewhere():
    from lnnet_construct.network import Affine, LayerNorm, Network

    # output = v2·LN((t-1) v1 + v2) - sqrt(3)*6/sqrt(8): exactly 0 at t = 0 and t = 2 (merged points)
    net = Network(1, [Affine([[1], [-1], [0]], [0, 2, -2]), LayerNorm(),
                      Affine([[1, 1, -2]], ["-sqrt(3)*6/sqrt(8)"])], classes=["a", "b"])
    E = get_arith("exact")
    for t in (0, 2):
        assert E.sign(forward(net, [t], E)[0]) is Sign.ZERO
        for name in ("arb", "iv"):
            A = get_arith(name, prec=300)
            assert A.sign(forward(net, [t], A)[0]) is Sign.UNKNOWN
    assert E.sign(forward(net, [Fraction(1, 3)], E)[0]) is Sign.POSITIVE


def test_zero_variance_is_error_in_scalar_and_unknown_in_batched():
    from lnnet_construct.errors import ZeroVarianceError
    from lnnet_construct.network import Affine, LayerNorm, Network

    net = Network(1, [Affine([[1], [1], [1]], [0, 0, 0]), LayerNorm(), Affine([[1, 0, 0]], [1])], classes=["a", "b"])
    for name in ("exact", "sympy"):
        with pytest.raises(ZeroVarianceError):
            forward(net, [3], get_arith(name))
    from lnnet_construct.errors import ArithmeticUndecided

    for name in ("arb", "iv"):  # enclosures cannot prove 0 unless exact: "unknown", as a typed error
        with pytest.raises((ArithmeticUndecided, ZeroVarianceError)):
            forward(net, [3], get_arith(name))
        with pytest.raises(ZeroVarianceError):  # dyadic inputs stay exact: proven 0
            forward(net, [0], get_arith(name))
    for name in ("interval", "float"):
        A = get_arith(name)
        codes = decide_batch(net, forward(net, batch_input([[3], [0]], A), A), A)
        assert list(codes) == [-1, -1]


def test_sign_cannot_be_used_as_bool():
    with pytest.raises(TypeError):
        if Sign.POSITIVE:
            pass


def test_no_global_precision_is_changed():
    import flint

    before = (mpmath.mp.prec, flint.ctx.prec)
    net = ZOO["deep8"]()
    for name, prec in (("arb", 500), ("iv", 500), ("mpmath", 500)):
        forward(net, [Fraction(1, 3), Fraction(2)], get_arith(name, prec=prec))
    assert (mpmath.mp.prec, flint.ctx.prec) == before


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zero_variance_points_are_never_decided(name):
    from lnnet_construct.errors import ZeroVarianceError

    net = ZOO[name]()
    bad = [p for p in _points(net) if not _defined(net, p)]
    E = get_arith("exact")
    for p in bad:
        with pytest.raises(ZeroVarianceError):
            forward(net, p, E)
    if bad:
        A = get_arith("interval")
        assert all(c < 0 for c in decide_batch(net, forward(net, batch_input(bad, A), A), A))
