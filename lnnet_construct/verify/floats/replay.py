r"""Reference evaluations: the network actually computed in float64 or float32 with numpy.

:func:`float_parameters` rounds every exact parameter to the format
(correctly, from the exact value: :func:`.formats.round_exact`) and also
returns the hull of the values an export may hold (the correctly rounded and
the twice-rounded ``RN_F(RN_64(q))``).  :func:`replay` evaluates the network
on the correctly rounded inputs in the format: ``x @ W.T + b`` (numpy's
matmul, in the format), and LayerNorm by one of the algorithms of
:mod:`.lnmodel`, written out operation by operation in the dtype.  A replay
is an actual IEEE evaluation inside the modelled set, so a replay that
decides another class is a genuine counterexample.

Examples
--------
>>> from lnnet_construct.network import Network, Affine, LayerNorm
>>> net = Network(1, [Affine([[1], [-1], [0]], [0, 0, 1]), LayerNorm(), Affine([[1, 1, -2]], ["1/3"])],
...               classes=["a", "b"])
>>> out = replay(net, [[2]], "float32")
>>> out.dtype, out.shape
(dtype('float64'), (1, 1))
>>> from lnnet_construct.forward import forward
>>> from lnnet_construct.arith import get_arith
>>> exact = forward(net, [2], get_arith("exact"))[0]
>>> abs(float(out[0, 0]) - float(exact)) < 1e-6
True
"""

from __future__ import annotations

import numpy as np

from ...network import Affine, Network
from .formats import get_format, round_hull

__all__ = ["float_parameters", "replay", "round_points"]


def _hull_arrays(values, fmt):
    rows = [round_hull(v, fmt) for v in values]
    a = np.array(rows, dtype=np.float64).reshape(len(rows), 3)
    return a[:, 0], a[:, 1], a[:, 2]


def float_parameters(network: Network, fmt) -> list:
    """Per layer, a dict of ``(lo, hi, ref)`` arrays for every parameter (see module docstring)."""
    fmt = get_format(fmt)
    out = []
    for layer in network.layers:
        if isinstance(layer, Affine):
            m, n = layer.out_dim, layer.in_dim
            lo, hi, ref = _hull_arrays([v for row in layer.weight for v in row], fmt)
            blo, bhi, bref = _hull_arrays(layer.bias, fmt)
            out.append({"type": "affine", "W": (lo.reshape(m, n), hi.reshape(m, n), ref.reshape(m, n)),
                        "b": (blo, bhi, bref)})
        else:
            e = _hull_arrays([layer.eps], fmt)
            d = {"type": "layernorm", "groups": layer.groups, "eps": (e[0][0], e[1][0], e[2][0]),
                 "eps_exact": layer.eps, "w": None, "b": None}
            if layer.weight is not None:
                d["w"] = _hull_arrays(layer.weight, fmt)
            if layer.bias is not None:
                d["b"] = _hull_arrays(layer.bias, fmt)
            out.append(d)
    return out


def round_points(points, fmt):
    """``(lo, hi, ref)`` arrays ``(N, d)`` of the format's roundings of exact coordinates."""
    fmt = get_format(fmt)
    N = len(points)
    d = len(points[0]) if N else 0
    lo, hi, ref = _hull_arrays([v for p in points for v in p], fmt) if N else (np.zeros(0),) * 3
    return lo.reshape(N, d), hi.reshape(N, d), ref.reshape(N, d)


def _ln(x, s, eps, algorithm, dt):
    """LayerNorm of ``x`` (``(..., s)``, dtype ``dt``) by one algorithm, operation by operation."""
    with np.errstate(all="ignore"):  # 0/0 and sqrt of a negative are outcomes (NaN), not errors
        return _ln_steps(x, s, eps, algorithm, dt)


#: the output formula each algorithm's replay uses by default (the runtime that uses the algorithm now)
DEFAULT_FORMULA = {"two-pass": "divide", "welford": "times-rstd", "one-pass": "divide"}


def _ln_steps(x, s, eps, algorithm, dt):
    algorithm, _, formula = algorithm.partition("/")
    formula = formula or DEFAULT_FORMULA[algorithm]
    S = dt(s)
    cols = [x[..., j] for j in range(s)]
    if algorithm == "welford":
        m1 = np.zeros(x.shape[:-1], dtype=dt)
        m2 = np.zeros(x.shape[:-1], dtype=dt)
        for k, xk in enumerate(cols, start=1):
            delta = xk - m1
            m1 = m1 + delta / dt(k)
            m2 = m2 + delta * (xk - m1)
        m, var = m1, m2 / S
    else:
        tot = cols[0]
        for c in cols[1:]:
            tot = tot + c
        m = tot / S
        if algorithm == "one-pass":
            q = cols[0] * cols[0]
            for c in cols[1:]:
                q = q + c * c
            var = q / S - m * m
        else:
            d = [c - m for c in cols]
            q = d[0] * d[0]
            for dj in d[1:]:
                q = q + dj * dj
            var = q / S
    std = np.sqrt(var + eps)
    if formula == "divide":
        return (x - m[..., None]) / std[..., None]
    rstd = dt(1) / std
    if formula == "times-rstd":
        return (x - m[..., None]) * rstd[..., None]
    return x * rstd[..., None] - (m * rstd)[..., None]


def replay(network: Network, points, fmt, algorithm: str = "two-pass", *, params=None) -> np.ndarray:
    """Outputs ``(N, n_outputs)`` of the network evaluated in format ``fmt`` (as float64 values).

    Parameters
    ----------
    network : Network
    points : sequence of sequences of exact numbers
    fmt : {"float64", "float32"} or FloatFormat
    algorithm : str
        The LayerNorm statistics, ``"two-pass"``, ``"welford"`` or
        ``"one-pass"``, optionally with an output formula:
        ``"welford/divide"`` (formulas of :mod:`.lnmodel`; default
        :data:`DEFAULT_FORMULA`).
    params : list, optional
        :func:`float_parameters` of the network (computed if omitted).
    """
    fmt = get_format(fmt)
    dt = fmt.dtype
    params = params if params is not None else float_parameters(network, fmt)
    x = round_points(points, fmt)[2].astype(dt)
    with np.errstate(all="ignore"):
        for layer, p in zip(network.layers, params):
            if p["type"] == "affine":
                W = p["W"][2].astype(dt)
                b = p["b"][2].astype(dt)
                x = (x @ W.T) + b
            else:
                N, n = x.shape
                g = p["groups"]
                s = n // g
                y = _ln(x.reshape(N, g, s), s, dt(p["eps"][2]), algorithm, dt).reshape(N, n)
                if p["w"] is not None:
                    y = y * p["w"][2].astype(dt)
                if p["b"] is not None:
                    y = y + p["b"][2].astype(dt)
                x = y
        return np.asarray(x, dtype=np.float64)
