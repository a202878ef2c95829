r"""Tier 1.5: vectorised double-double mid-radius balls for fold chains (about 100 bits).

Used for the points that float64 could not decide, when every inner layer of
the chain is a fold (``B' != 0``, ``E' > 0``: ``g(s) = (J s + K)/sqrt(s^2+F)``
with ``J = A/sqrt(C)``; ``J = 0`` for a plain fold, ``J != 0`` for a tilted one).
Each point carries a ball ``sigma in [M - R, M + R]`` where the midpoint
``M = Mh + Ml`` is a double-double (an exact sum of two floats) and the
radius ``R`` a float.  One layer:

1. ``D = M - sigma0`` in double-double; ``sigma0`` is stored as a
   double-double within ``e0`` of its exact value.  ``D`` is exactly
   representable, and ``|s - D| <= Rs := R + e0 + 4u^2 (|Mh| + |S0h|)``
   (``u = 2^-53``; the subtraction neglects at most two roundings of the
   low parts).
2. ``gm ≈ g(D)`` in double-double with relative error at most
   ``ε = 2^-98``: the square, the sum with ``F > 0`` (no cancellation), the
   square root and the division each lose at most ``10 u^2``, the constants
   ``K, F`` are within ``2 u^2``; ``ε`` leaves a factor 8 of slack over the
   sum (``30 u^2``).
   With ``J != 0`` the numerator ``N = J D + K`` is a double-double within
   ``eN = 2^-100 (|J| |D| + |K|)`` of its exact value (the product loses at
   most ``10 u^2 |J D|`` with ``J``'s own error, the sum ``4 u^2 (|JD| + |K|)``
   with ``K``'s), and ``gm ≈ N / sqrt(D^2 + F)`` is within
   ``ε |gm| + eN / sqrt(ulo^2 + F)`` of ``g(D)``.
3. ``R' = L Rs + ε |gm|`` (plus the ``eN`` term) with ``L`` an upper bound of
   ``|g'|`` on the ball, ``|s| in [ulo, uhi]``: ``|g'(s)| = |J F - K s| /
   (s^2 + F)^{3/2}``.  Its numerator is affine in ``s``, so on the ball it is
   at most ``|J F - K Dh| + |K| (|Dl| + Rs)``; ``fl(jh fh - kh Dh)`` is within
   ``2^-50 (|J| F + |K Dh|)`` of ``J F - K Dh`` (the constants' ``2u`` and
   three roundings); ``J = 0`` gives ``|K| uhi``.  The denominator is at
   least ``(ulo^2 + F)^{3/2}``, and globally
   ``|g'| <= |J| / sqrt(F) + 2|K| / (3 sqrt(3) F)``.  The float
   operations computing ``Rs``, ``ulo``, ``uhi``, ``L`` and ``R'`` each have
   relative error at most ``u`` on non-negative operands; every result is
   widened by the factor ``1 ± 2^-40`` in the safe direction.

The error bounds of the double-double operations need normal floats without
overflow: the magnitudes must stay within ``[2^-400, 2^400]`` (else the
point leaves this tier and is escalated to arb).  The plan admits only layers
with ``2^-399 <= F <= 2^398`` and ``2 (|J| + |K|/sqrt(F)) <= 2^400``, which
bound ``D^2 + F`` from below and ``|g|`` from above; each layer then checks
``|D| <= 2^199`` (so ``D^2 + F < 2^400``) and ``|g(D)| >= 2^-400``.  A tiny
``D`` is harmless, since ``D^2`` is then negligible against ``F``.  A radius
that overflows stays infinite and drops the point at the end.  ``TwoSum``
and Dekker's ``TwoProd`` (with Veltkamp splitting) are exact under these
conditions.

After the last inner layer the ball is handed to the float64 head
(:func:`lnnet_construct.verify.batch.head_batch`), and where that cannot
decide, to the arb head
(:func:`lnnet_construct.verify.scalar.arb_chain_head`), which decides the
verdict from rigorous bounds.
"""

from __future__ import annotations

import math
from fractions import Fraction

import flint
import numpy as np

from .chain import Chain

__all__ = ["dd_applicable", "dd_chain_balls", "dd_chain_arrays", "dd_float_bounds"]

_EPS_DD = 2.0**-98
_WIDEN = 2.0**-40
_U2 = 2.0**-106
_LO, _HI = 2.0**-400, 2.0**400
#: With ``|D| <= _D_HI`` and ``F <= _F_HI`` the radicand ``D^2 + F`` stays below ``2^400``.
_D_HI, _F_HI = 2.0**199, 2.0**398
_SPLIT = 2.0**27 + 1  # Dekker's splitter for 53-bit doubles
_PREC = 192


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = _SPLIT * a
    h = c - (c - a)
    return h, a - h


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _two_sq(a):
    p = a * a
    ah, al = _split(a)
    return p, ((ah * ah - p) + 2.0 * ah * al) + al * al


def _dd_add(ah, al, bh, bl):
    s, e = _two_sum(ah, bh)
    e = e + (al + bl)
    return _two_sum(s, e)


def _dd_sq(h, l):
    p, e = _two_sq(h)
    e = e + 2.0 * h * l
    return _two_sum(p, e)


def _dd_sqrt(h, l):
    x = np.sqrt(h)
    p, e = _two_sq(x)
    r = ((h - p) - e) + l
    return _two_sum(x, r / (2.0 * x))


def _dd_div_scalar(kh, kl, th, tl):
    """``K / T`` for a double-double constant ``K`` and double-double arrays ``T``."""
    q1 = kh / th
    p, e = _two_prod(q1, th)
    e = e + q1 * tl
    rh = (kh - p) - e + kl
    q2 = rh / th
    return _two_sum(q1, q2)


def _dd_const(x):
    """``(h, l, err)``: a double-double near the ball ``x`` and a float bound of its distance to the ball.

    Must be called at the ball's precision (the subtractions are then exact or
    rigorously enclosed by arb).
    """
    if not x.is_finite():
        return None
    h = float(x.mid())
    if not math.isfinite(h):
        return None
    r = x - flint.arb(h)
    l = float(r.mid())
    err = (r - flint.arb(l)).abs_upper()
    e = float(err)
    return h, l, e * (1 + 2.0**-50) + 5e-324


def _up(q: Fraction) -> float:
    """A float >= the non-negative rational ``q``."""
    f = float(q)
    return f * (1 + 2.0**-50) + 5e-324


def dd_applicable(chain: Chain) -> bool:
    """True when every inner layer is a fold with moderate constants (the tier's preconditions)."""
    plan = chain.cache.get("dd-plan")
    if plan is None:
        plan = _plan(chain)
        chain.cache["dd-plan"] = plan
    return plan is not False


def _plan(chain: Chain):
    from ..arith.arb import ArbArith

    layers = []
    for k, ro in enumerate(chain.inner):
        st = chain.stages[k]
        if ro.b1_zero or st.e1_zero:
            return False
        sigma0 = st.arb(_PREC)[0]
        _, _, _, K, F = ro.arb(_PREC)
        J = ro.slope(_PREC)
        with ArbArith(_PREC).active():
            s0 = _dd_const(sigma0)
            kd = _dd_const(K)
            fd = _dd_const(F)
            jd = (0.0, 0.0, 0.0) if ro.a_zero else _dd_const(J)
        if s0 is None or kd is None or fd is None or jd is None:
            return False
        kh, kl, kerr = kd
        fh, fl, ferr = fd
        jh, jl, jerr = jd
        if not (_LO <= abs(kh) <= _HI and 2.0 * _LO <= fh <= _F_HI and abs(s0[0]) <= _HI and abs(jh) <= _HI):
            return False
        if not 2.0 * (abs(jh) + abs(kh) / math.sqrt(fh)) <= _HI:  # bounds |g|, so no per-layer check
            return False
        if jh != 0 and not abs(jh) >= _LO:
            return False
        # constants within relative 2u^2 (the arb balls at 192 bits are far tighter)
        if kerr > abs(kh) * 2.0**-105 or ferr > fh * 2.0**-105 or jerr > abs(jh) * 2.0**-105:
            return False
        e0 = s0[2]
        lglob = (2.0 * abs(kh) / (3.0 * math.sqrt(3.0) * fh) + abs(jh) / math.sqrt(fh)) * (1 + _WIDEN) ** 2
        # |K|, |J| rounded up twice: once for the constant itself, once for the float operations of L
        kup = abs(kh) * (1 + _WIDEN) * (1 + _WIDEN)
        jup = abs(jh) * (1 + _WIDEN) * (1 + _WIDEN)
        layers.append((s0[0], s0[1], e0, kh, kl, fh, fl, kup, fh * (1 - _WIDEN), lglob, jh, jl, jup))
    return layers


def dd_chain_balls(chain: Chain, sigma1: list):
    """Balls ``(M, R)`` of the last scalar ``sigma_L`` for each point, or None where the tier gave up.

    ``M`` is an exact Fraction (``Mh + Ml``) and ``R`` a float radius; the
    true ``sigma_L`` lies in ``[M - R, M + R]``.
    """
    idx, Mh, Ml, R = dd_chain_arrays(chain, sigma1)
    out = [None] * len(sigma1)
    for t, i in enumerate(idx.tolist()):
        out[i] = (Fraction(float(Mh[t])) + Fraction(float(Ml[t])), float(R[t]))
    return out


def dd_float_bounds(Mh: np.ndarray, Ml: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outward float64 ``(lo, hi)`` of the balls ``[Mh + Ml - R, Mh + Ml + R]``.

    Each sum is rounded to nearest and then moved one ulp outward, which
    passes the exact value (it lies between the neighbours of its rounding).
    """
    with np.errstate(all="ignore"):
        M = Mh + Ml
        lo = np.nextafter(np.nextafter(M, -np.inf) - R, -np.inf)
        hi = np.nextafter(np.nextafter(M, np.inf) + R, np.inf)
    return lo, hi


def dd_chain_arrays(chain: Chain, sigma1: list):
    """``(idx, Mh, Ml, R)``: the balls of :func:`dd_chain_balls` as arrays, for the points ``idx`` that kept one."""
    empty = np.empty(0)
    if not dd_applicable(chain):
        return np.empty(0, np.int64), empty, empty, empty
    plan = chain.cache["dd-plan"]
    n = len(sigma1)
    Mh = np.empty(n)
    Ml = np.empty(n)
    R = np.empty(n)
    for i, q in enumerate(sigma1):
        try:
            q = Fraction(q)  # an algebraic first scalar (Expr) is left to arb
            h = float(q)
            l = float(q - Fraction(h))
        except (TypeError, OverflowError):
            Mh[i], Ml[i], R[i] = np.inf, 0.0, np.inf
            continue
        Mh[i], Ml[i] = h, l
        R[i] = _up(abs(q - Fraction(h) - Fraction(l))) if math.isfinite(h) else np.inf
    alive = np.isfinite(Mh) & (np.abs(Mh) <= _HI)
    idx = np.flatnonzero(alive)
    Mh, Ml, R = Mh[idx], Ml[idx], R[idx]
    with np.errstate(all="ignore"):
        for (s0h, s0l, e0, kh, kl, fh, fl, kabs_up, f_lo, lglob, jh, jl, jabs_up) in plan:
            if idx.size == 0:
                break
            # 1. D = M - sigma0 (exact double-double), radius of s
            Dh, Dl = _dd_add(Mh, Ml, -s0h, -s0l)
            Rs = np.abs(Mh)
            Rs *= 4.0 * _U2
            Rs += R
            Rs += e0 + 4.0 * _U2 * abs(s0h)
            Rs *= 1 + _WIDEN
            aDh = np.abs(Dh)
            aDl = np.abs(Dl)
            t = aDl + Rs
            uhi = (t + aDh) * (1 + _WIDEN)
            t *= 1 + _WIDEN
            ulo = np.maximum(aDh - t, 0.0)
            ulo *= 1 - _WIDEN
            # 2. gm = (J D + K) / sqrt(D^2 + F)
            Th, Tl = _dd_sq(Dh, Dl)
            Th, Tl = _dd_add(Th, Tl, fh, fl)
            Sh, Sl = _dd_sqrt(Th, Tl)
            if jh == 0:
                Gh, Gl = _dd_div_scalar(kh, kl, Sh, Sl)
            else:
                Ph, Pl = _two_prod(jh, Dh)
                Pl = Pl + (jh * Dl + jl * Dh)
                Ph, Pl = _two_sum(Ph, Pl)
                Nh, Nl = _dd_add(Ph, Pl, kh, kl)
                Gh, Gl = _dd_div_scalar(Nh, Nl, Sh, Sl)
            # 3. radius: L Rs + eps |gm| (+ eN / sqrt(ulo^2 + F))
            q = ulo * ulo
            q += f_lo
            q *= 1 - _WIDEN
            den = q * np.sqrt(q)
            if jh == 0:
                num = kabs_up * uhi
            else:
                # |J F - K s| on the ball: affine in s, so its value at Dh plus |K| times the distance
                num = np.abs(jh * fh - kh * Dh)
                num += 2.0**-50 * (jabs_up * fh + kabs_up * aDh)
                num += kabs_up * (aDl + Rs)
                num *= (1 + _WIDEN) ** 2
            L = np.minimum(num / den, lglob)  # the constants include two widenings
            aG = np.abs(Gh)
            R = L * Rs
            R += _EPS_DD * aG
            if jh != 0:
                eN = jabs_up * (aDh * (1 + _WIDEN)) + kabs_up
                eN *= 2.0**-100 * (1 + _WIDEN)
                R += eN / (np.sqrt(q) * (1 - _WIDEN))
            R *= 1 + _WIDEN
            Mh, Ml = Gh, Gl
            # The error bounds hold for normal, moderate magnitudes only (NaN fails every test).
            # The plan's constants give D^2 + F >= F >= 2^-399 and |g| <= 2^399 (with rounding);
            # an infinite radius stays infinite (never NaN) and is dropped at the end.
            if not (aDh.max() <= _D_HI and aG.min() >= _LO):
                ok = (aDh <= _D_HI) & (aG >= _LO)
                Mh, Ml, R, idx = Mh[ok], Ml[ok], R[ok], idx[ok]
        ok = R < np.inf
        if not ok.all():
            Mh, Ml, R, idx = Mh[ok], Ml[ok], R[ok], idx[ok]
    return idx, Mh, Ml, R
