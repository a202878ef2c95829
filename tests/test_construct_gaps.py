"""The planner's gap score (``greedy._gaps``) against a brute force, in every view."""

from fractions import Fraction as Q

import mpmath
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lnnet_construct.construct.greedy import _gaps
from lnnet_construct.construct.numeric import FixedBackend, FloatBackend, MpBackend, extended_available

VIEWS = [FloatBackend(), FixedBackend(256), MpBackend(200)] + ([FloatBackend(np.longdouble)]
                                                               if extended_available() else [])


def _brute(ts, labels, c, h, eps, h_soft, h_pow, u):
    """Smallest weighted gap after the fold at ``c``, from exact distances, in 200-bit mpmath (no numpy)."""
    ctx = mpmath.MPContext()
    ctx.prec = 200
    order = sorted(range(len(ts)), key=lambda i: (abs(ts[i] - c), i))  # ties: point order, like a stable sort
    H, E = ctx.mpf(h), ctx.mpf(eps.numerator) / eps.denominator

    def q(r):
        return (2 * r * r + 6 * H * H) / 3 + E

    def fold(r):
        return 6 * H / ctx.sqrt(q(r))

    def slope(r):
        return 6 * H * (2 * r / 3) / q(r) ** ctx.mpf(1.5)

    best = None
    for a, b in zip(order, order[1:]):
        if labels[a] == labels[b]:
            continue
        ra, rb = (ctx.mpf(abs(ts[i] - c).numerator) / abs(ts[i] - c).denominator for i in (a, b))
        g = fold(ra) - fold(rb)
        if u is not None:
            g *= 2 / (slope(ra) * u[a] + slope(rb) * u[b] + 2)
        best = g if best is None else min(best, g)
    if best is None:
        return float("inf")
    if h_soft > 0:
        best *= min(1.0, h / h_soft) ** h_pow
    return float(best)


# eighths and odd sixteenths: every distance is exact in every view, so the order after the fold is too
points = st.lists(st.tuples(st.integers(-40, 40), st.integers(0, 2)), min_size=2, max_size=14,
                  unique_by=lambda p: p[0])


@settings(max_examples=60, deadline=None)
@given(pts=points, centres=st.lists(st.integers(-50, 50), min_size=1, max_size=3),
       hs=st.lists(st.sampled_from([0.05, 0.3, 1.0, 4.0]), min_size=1, max_size=3),
       eps=st.sampled_from([Q(0), Q(1, 10**5)]), soft=st.booleans(), weighted=st.booleans())
@example(pts=[(0, 0), (1, 1), (2, 0), (3, 1)], centres=[3, 5], hs=[0.3, 1.0], eps=Q(0), soft=True, weighted=True)
@example(pts=[(0, 0), (4, 0)], centres=[1], hs=[1.0], eps=Q(0), soft=False, weighted=False)  # one label: no pair
def test_gaps_match_a_brute_force(pts, centres, hs, eps, soft, weighted):
    pts = sorted(pts)
    ts = [Q(k, 8) for k, _ in pts]
    labels = np.array([lab for _, lab in pts])
    u = np.linspace(0.0, 3.0, len(ts)) if weighted else None
    h_soft, h_pow = (0.5, 1.0) if soft else (0.0, 1.0)
    for be in VIEWS:
        for c in (Q(2 * k + 1, 16) for k in centres):
            got = _gaps(be.array(ts), labels, be.scalar(c), hs, eps, be, h_soft, h_pow, u)
            assert got.shape == (len(hs),)
            for j, h in enumerate(hs):
                want = _brute(ts, labels, c, h, eps, h_soft, h_pow, u)
                if np.isinf(want):
                    assert np.isinf(got[j]), be.name
                else:
                    assert got[j] == pytest.approx(want, rel=1e-9, abs=1e-13), (be.name, c, h)
