r"""An upper bound on the VC dimension of width-3 LN-Nets, and the depth it forces (``proofs/vc-upper-bound.md``).

The class :math:`\mathcal F_{L,d}`: width-3 LN-Nets on ``R^d`` with ``L >= 1``
LayerNorm layers (``LN_eps``, one fixed ``eps >= 0``, no elementwise affine),
full affine layers ``R^d -> R^3``, ``R^3 -> R^3`` (``L - 1`` of them) and
``R^3 -> R``, classifying by ``1[F(x) > 0]``.  It has

.. math::

    P = (3d + 3) + 12(L - 1) + 4 = 12L + 3d - 5

real parameters (``d + 1`` at ``L = 0``: a half-space).  For a fixed input the
event ``F > 0`` is a Boolean combination of ``s_L = 5^L`` polynomial
inequalities ``p > 0`` in the parameters, of degree at most
``D_L = 2^L (2L - 1) + 2`` (the square roots are eliminated layer by layer,
five inequalities per root; ours).  Warren's theorem then bounds the number of
labellings of ``m`` points:

.. math::

    \Pi_L(m) \le B_L(m) = \left(\frac{4 e D_L (m s_L + P)}{P}\right)^P,

so ``VCdim <= V(L, d)``, the largest ``m`` with ``m <= log2 B_L(m)``, and
``V(L, d) <= 2P log2(8 e s_L D_L) = O((L + d) L)``.  Summed over depths
``0..L`` the bound also says how deep a network must be for most labellings:
:func:`depth_lower_bound`.

Every decision here is exact (integers) or rigorous: logarithms and ``e`` are
enclosed by mpmath interval arithmetic in a private context, at rising
precision; the inequalities compared are never equalities (``e`` is
transcendental), so the precision loop ends.

Examples
--------
>>> param_count(3, 2), predicate_count(3), degree_bound(3)
(37, 125, 42)
>>> vc_upper_bound(3, 2)
744
>>> depth_lower_bound(10_000, 2)
14
"""

from __future__ import annotations

from fractions import Fraction

from mpmath import libmp
from mpmath.ctx_iv import MPIntervalContext

from ..errors import ArithmeticUndecided, InputError

__all__ = ["param_count", "network_param_count", "predicate_count", "degree_bound", "degree_recurrence",
           "log2_growth_bound", "vc_upper_bound", "vc_closed_form", "depth_lower_bound", "compare_log2",
           "random_width3_network"]

#: Precisions (bits) tried, in order, before a comparison is reported undecided.
PRECISIONS = (128, 512, 2048, 8192)


def _check(L, d):
    for name, v, lo in (("L", L, 0), ("d", d, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise InputError(f"{name} must be an integer >= {lo}, got {v!r}")


def param_count(L: int, d: int) -> int:
    """``P = 12L + 3d - 5`` for ``L >= 1``; ``d + 1`` for ``L = 0`` (the affine read-out alone).

    >>> param_count(1, 1), param_count(0, 4)
    (10, 5)
    """
    _check(L, d)
    return d + 1 if L == 0 else 12 * L + 3 * d - 5


def network_param_count(net) -> int:
    """Real parameters of a network, counted from its layers: every affine weight and bias entry,
    and LayerNorm's elementwise weight and bias when present.

    >>> network_param_count(random_width3_network(2, 3))
    28
    """
    from ..network import Affine, LayerNorm

    n = 0
    for layer in net.layers:
        if isinstance(layer, Affine):
            n += sum(len(r) for r in layer.weight) + len(layer.bias)
        elif isinstance(layer, LayerNorm):
            n += len(layer.weight or ()) + len(layer.bias or ())
    return n


def random_width3_network(L: int, d: int, seed: int = 0, eps=0):
    """A width-3 LN-Net of the class (full affine layers, random small rationals): ``L`` LNs on ``R^d``."""
    import random

    from ..network import Affine, LayerNorm, Network

    _check(L, d)
    rng = random.Random(f"vc-upper-bound-net:{L}:{d}:{seed}")

    def q():
        return Fraction(rng.randint(-9, 9), rng.choice((1, 2, 3)))

    layers = []
    width = d
    for _ in range(L):
        layers += [Affine([[q() for _ in range(width)] for _ in range(3)], [q() for _ in range(3)]),
                   LayerNorm(eps=Fraction(eps))]
        width = 3
    layers.append(Affine([[q() for _ in range(width)]], [q()]))
    return Network(d, layers, classes=[0, 1])


def predicate_count(L: int) -> int:
    """``s_L``: polynomial inequalities per input point, ``5^L`` (``1`` at ``L = 0``)."""
    if L < 0:
        raise InputError(f"L must be >= 0, got {L}")
    return 5**L


def degree_recurrence(L: int) -> list:
    """``[(delta_k, pi_k)]`` for ``k = L, ..., 1``: degree in ``(u_k, w_k)`` and in the later parameters.

    ``(delta_L, pi_L) = (2, 2)``; one square-root elimination gives
    ``delta_{k-1} = 2 delta_k + 2`` and ``pi_{k-1} = 2 (delta_k + pi_k)``
    (``proofs/vc-upper-bound.md``, Lemma B).

    >>> degree_recurrence(2)
    [(2, 2), (6, 8)]
    """
    if L < 1:
        return []
    out = [(2, 2)]
    for _ in range(L - 1):
        dl, pi = out[-1]
        out.append((2 * dl + 2, 2 * (dl + pi)))
    return out


def degree_bound(L: int) -> int:
    """``D_L = 2^L (2L - 1) + 2``: degree in all parameters of every inequality (``1`` at ``L = 0``).

    Equal to ``delta_1 + pi_1`` of :func:`degree_recurrence` (tested).

    >>> [degree_bound(L) for L in range(5)]
    [1, 4, 14, 42, 114]
    """
    if L < 0:
        raise InputError(f"L must be >= 0, got {L}")
    return 1 if L == 0 else 2**L * (2 * L - 1) + 2


# ----------------------------------------------------------------------------- rigorous logs


def _ctx(bits: int) -> MPIntervalContext:
    c = MPIntervalContext()
    c.prec = bits
    return c


def _ends(x) -> tuple:
    lo, hi = x._mpi_
    return Fraction(*libmp.to_rational(lo)), Fraction(*libmp.to_rational(hi))


def log2_growth_bound(m: int, L: int, d: int, ctx):
    """``log2 B_L(m) = P log2(4 e D_L (m s_L + P) / P)`` as an mpmath interval of ``ctx``."""
    P, s, D = param_count(L, d), predicate_count(L), degree_bound(L)
    ratio = Fraction(4 * D * (m * s + P), P)
    return P * (ctx.log(ctx.mpf(ratio.numerator) / ratio.denominator) + 1) / ctx.log(2)


def compare_log2(f, value) -> int:
    """Sign of ``f(ctx) - value`` (``f`` builds an interval in ``ctx``), rising precision; never 0.

    Raises
    ------
    ArithmeticUndecided
        If the enclosure still contains ``value`` at the last precision.
    """
    value = Fraction(value)
    for bits in PRECISIONS:
        lo, hi = _ends(f(_ctx(bits)))
        if lo > value:
            return 1
        if hi < value:
            return -1
    raise ArithmeticUndecided(f"could not compare with {value} at {PRECISIONS[-1]} bits")


def growth_allows(m: int, L: int, d: int) -> bool:
    """``2^m <= B_L(m)``, decided rigorously (``m`` points can only be shattered if this holds)."""
    return compare_log2(lambda c: log2_growth_bound(m, L, d, c), m) > 0


def vc_closed_form(L: int, d: int, ctx):
    """``2 P log2(8 e s_L D_L)`` as an interval: an upper bound on :func:`vc_upper_bound`."""
    P, s, D = param_count(L, d), predicate_count(L), degree_bound(L)
    return 2 * P * (ctx.log(ctx.mpf(8 * s * D)) + 1) / ctx.log(2)


def vc_upper_bound(L: int, d: int) -> int:
    """``V(L, d)``: the largest ``m`` with ``2^m <= B_L(m)``, so ``VCdim(F_{L,d}) <= V(L, d)``.

    ``m -> log2 B_L(m) - m`` is concave and positive at 0, so the ``m``
    allowed form an interval ``[0, V]``; found by bisection below the closed
    form, every step decided rigorously.
    """
    _check(L, d)
    lo, hi = 0, int(_ends(vc_closed_form(L, d, _ctx(128)))[1]) + 1
    if growth_allows(hi, L, d):  # never: the closed form bounds V (proof, Lemma C)
        raise ArithmeticUndecided("the closed form does not bound V")
    while hi - lo > 1:  # invariant: lo allowed, hi not
        mid = (lo + hi) // 2
        if growth_allows(mid, L, d):
            lo = mid
        else:
            hi = mid
    return lo


def _log2_union(m: int, L: int, d: int, ctx):
    """``log2 sum_{l=0..L} B_l(m)`` as an interval."""
    total = ctx.mpf(0)
    ln2 = ctx.log(2)
    for l in range(L + 1):
        total = total + ctx.exp(log2_growth_bound(m, l, d, ctx) * ln2)
    return ctx.log(total) / ln2


def union_allows_half(m: int, L: int, d: int) -> bool:
    """``sum_{l=0..L} B_l(m) >= 2^(m-1)``, decided rigorously."""
    return compare_log2(lambda c: _log2_union(m, L, d, c), m - 1) > 0


def depth_lower_bound(m: int, d: int) -> int:
    """``L*(m, d)``: the least ``L`` with ``sum_{l<=L} B_l(m) >= 2^(m-1)``.

    For every ``L < L*`` fewer than half of the ``2^m`` labellings of any
    ``m`` distinct points of ``R^d`` are realised by a width-3 LN-Net with
    at most ``L`` LN layers, so a uniformly random labelling needs at least
    ``L*`` layers with probability more than 1/2.  ``L* = Omega(sqrt m)`` for
    fixed ``d`` (``proofs/vc-upper-bound.md``, Corollary).

    >>> depth_lower_bound(100, 2), depth_lower_bound(1000, 1)
    (1, 4)
    """
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise InputError(f"m must be an integer >= 1, got {m!r}")
    _check(0, d)
    if union_allows_half(m, 0, d):
        return 0
    lo, hi = 0, 1  # invariant: lo not allowed, hi to be found allowed (the sum grows with L)
    while not union_allows_half(m, hi, d):
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if union_allows_half(m, mid, d):
            hi = mid
        else:
            lo = mid
    return hi
