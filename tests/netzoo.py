"""Hand-written test networks (not produced by the code under test) and an independent oracle.

The oracle evaluates networks with mpmath at very high precision using its
own LayerNorm written from the MATH.md formula, so it shares no code with
``lnnet_construct.ops``.  It is used as a cross-check (labelled: high
precision floating point, 4000 bits), and :func:`sympy_output` gives exact
sympy values for shallow networks.
"""

from fractions import Fraction

import mpmath
import sympy

from lnnet_construct.network import Affine, LayerNorm, Network
from lnnet_construct.numbers import Expr

ORACLE_BITS = 4000


def _mp(ctx, q):
    if isinstance(q, Expr):
        return ctx.mpf(sympy.N(q.to_sympy(), int(ORACLE_BITS * 0.31) + 50))
    q = Fraction(q)
    return ctx.mpf(q.numerator) / q.denominator


def oracle_outputs(net: Network, point):
    """High-precision outputs (mpmath, private context)."""
    ctx = mpmath.MPContext()
    ctx.prec = ORACLE_BITS
    v = [_mp(ctx, c) for c in point]
    for layer in net.layers:
        if isinstance(layer, Affine):
            v = [ctx.fsum(_mp(ctx, w) * x for w, x in zip(row, v)) + _mp(ctx, b) for row, b in zip(layer.weight, layer.bias)]
        else:
            s = len(v) // layer.groups
            out = []
            for g in range(layer.groups):
                blk = v[g * s:(g + 1) * s]
                mu = ctx.fsum(blk) / s
                var = ctx.fsum((x - mu) ** 2 for x in blk) / s
                den = ctx.sqrt(var + _mp(ctx, layer.eps))
                out += [(x - mu) / den for x in blk]
            if layer.weight is not None:
                out = [x * _mp(ctx, w) for x, w in zip(out, layer.weight)]
            if layer.bias is not None:
                out = [x + _mp(ctx, b) for x, b in zip(out, layer.bias)]
            v = out
    return v


def oracle_class(net: Network, point, tol_bits=3000):
    """Class decided by the oracle outputs; None if |margin| < 2^-tol_bits (treated as 0)."""
    try:
        out = oracle_outputs(net, point)
    except ZeroDivisionError:  # a LayerNorm with zero variance: the network decides nothing
        return None
    tol = mpmath.mpf(2) ** (-tol_bits)
    if net.decision == "sign":
        if abs(out[0]) < tol:
            return None
        return net.classes[1] if out[0] > 0 else net.classes[0]
    best = max(range(len(out)), key=lambda i: out[i])
    if any(i != best and abs(out[i] - out[best]) < tol for i in range(len(out))):
        return None
    return net.classes[best]


def sympy_outputs(net: Network, point):
    """Exact sympy outputs with an LN written here from the formula (shallow networks only)."""
    def S(q):
        if isinstance(q, Expr):
            return q.to_sympy()
        q = Fraction(q)
        return sympy.Rational(q.numerator, q.denominator)

    v = [S(c) for c in point]
    for layer in net.layers:
        if isinstance(layer, Affine):
            v = [sympy.Add(*[S(w) * x for w, x in zip(row, v)]) + S(b) for row, b in zip(layer.weight, layer.bias)]
        else:
            s = len(v) // layer.groups
            out = []
            for g in range(layer.groups):
                blk = v[g * s:(g + 1) * s]
                mu = sympy.Add(*blk) / s
                var = sympy.Add(*[(x - mu) ** 2 for x in blk]) / s
                den = sympy.sqrt(var + S(layer.eps))
                out += [(x - mu) / den for x in blk]
            if layer.weight is not None:
                out = [x * S(w) for x, w in zip(out, layer.weight)]
            if layer.bias is not None:
                out = [x + S(b) for x, b in zip(out, layer.bias)]
            v = out
    return v


R = Fraction


def net_algebraic():
    """Algebraic weights sqrt(2)/2, one LN."""
    h = "sqrt(2)/2"
    return Network(2, [
        Affine([[h, h], [h, "-" + h], ["1/3", 0]], [0, "1/5", "-sqrt(3)"]),
        LayerNorm(),
        Affine([[1, "-sqrt(2)/2", "1/7"]], ["1/10"]),
    ], classes=["neg", "pos"])


def net_eps(eps="0.00001"):
    return Network(2, [
        Affine([[1, 2], [-1, 1], ["1/2", -3]], [0, 1, -1]),
        LayerNorm(eps=eps),
        Affine([[1, 1, -2], [2, -1, 0], [0, 1, 1]], ["1/3", 0, "-1/2"]),
        LayerNorm(eps=eps),
        Affine([[1, -1, "1/2"]], ["1/4"]),
    ], classes=["a", "b"])


def net_grouped():
    """Width 6 with groups 2 and 3."""
    return Network(2, [
        Affine([[1, 0], [0, 1], [1, 1], [1, -1], [2, 1], [-1, 3]], [0, "1/2", -1, "1/3", 0, 1]),
        LayerNorm(groups=3),
        Affine([[1, 2, -1, 0, 1, 1], [0, 1, 1, -1, 2, 0], [1, 0, 0, 1, -1, 2], [2, 1, 1, 0, 0, -1],
                [0, 0, 1, 1, 1, 1], [1, -1, 1, -1, 1, -1]], [0, 1, 0, -1, "1/2", 0]),
        LayerNorm(groups=2),
        Affine([[1, -1, "1/2", 2, -1, "1/3"]], ["-1/5"]),
    ], classes=["g0", "g1"])


def net_ln_affine():
    return Network(3, [
        Affine([[1, 0, 1], [0, 1, -1], [1, 1, 0], [2, -1, 1]], [0, 0, 1, -1]),
        LayerNorm(eps="1e-5", weight=["1/2", 2, -1, "3/4"], bias=[0, "1/3", 1, -2]),
        Affine([[1, 1, 1, 1], [1, -1, 2, 0]], [0, 1]),
        LayerNorm(),
        Affine([[3, -2]], ["1/8"]),
    ], classes=[0, 1])


def net_deep(depth=8, eps=0):
    """`depth` stacked width-3 LN layers with fold-like but irregular affine maps."""
    layers = [Affine([[1, "1/2"], [-1, "1/3"], [0, -1]], [0, "1/5", 1]), LayerNorm(eps=eps)]
    mats = [
        [[1, 1, -2], [-1, 2, 0], ["1/2", 0, 1]],
        [[2, -1, 0], [1, 1, 1], [0, -3, 1]],
        [[1, 0, -1], [0, 2, 1], [-1, 1, 1]],
    ]
    for k in range(depth - 1):
        layers += [Affine(mats[k % 3], [R(k, 7), R(-1, 3), R(2, 5)]), LayerNorm(eps=eps)]
    layers.append(Affine([[1, -1, "1/2"]], ["1/9"]))
    return Network(2, layers, classes=["L", "R"])


def net_argmax3():
    return Network(2, [
        Affine([[1, 0], [0, 1], [1, -1]], [0, 0, "1/2"]),
        LayerNorm(),
        Affine([[1, 1, -2], [2, -1, 0], [-1, 0, 1]], [0, "1/3", "-1/4"]),
        LayerNorm(eps="1/1000"),
        Affine([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, "1/10", "-1/10"]),
    ], classes=["red", "green", "blue"], decision="argmax")


def grid_points(dim, n=7, scale=R(3, 2)):
    """Deterministic exact points: a small lattice plus a few awkward ones."""
    import itertools

    base = [R(i, 2) - scale for i in range(0, 7)][:n]
    pts = []
    for combo in itertools.islice(itertools.product(base, repeat=dim), 60):
        pts.append(tuple(combo))
    pts.append(tuple(R(1, 10**12) * (j + 1) for j in range(dim)))
    pts.append(tuple(R(10**12) * (-1) ** j for j in range(dim)))
    return pts


ZOO = {
    "algebraic": net_algebraic,
    "eps_decimal": lambda: net_eps("0.00001"),
    "eps_exponent": lambda: net_eps("1e-5"),
    "grouped": net_grouped,
    "ln_affine": net_ln_affine,
    "deep8": net_deep,
    "argmax3": net_argmax3,
}
