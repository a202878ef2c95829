r"""Plain float32 / float64 evaluations of the network being built, to keep them correct (NOT rigorous).

The certified network is exact; users run it in floats (PyTorch, ONNX,
numpy).  Every fold carries the rounding errors of the layers before it,
scaled by its slope, so a plan whose exact gaps are wide can still be wrong
in floats.  The planner therefore follows, next to its accurate view, the
network's own plain float evaluation of every point (``torch.nn.LayerNorm``
semantics: the affine layer as a matrix product, population variance,
``eps`` inside the square root), and measures each point's actual error
``|s - v|`` of the scalar ``s = r·y`` the next layer reads against the view
value ``v``.

Each point gets an error bar ``SAFETY * |s - v| + FLOOR_ULPS * ulp(3 sqrt 2)``
per format.  A point is **at risk** when its bar reaches the bars of a
neighbouring label run of another label (the run structure of
:mod:`.tracker`, with bars; :func:`at_risk`).  While no point is at risk,
that evaluation orders every point as the exact network does, with room to
spare for another library's rounding.  The planner takes the best-ranked
fold that puts no more points at risk than there are (:class:`Guard`,
float64 first), and otherwise the one that puts fewest.  Nothing here is a
certificate: :mod:`lnnet_construct.verify` certifies the exact network, and
the float errors are measured on the finished one.  The builder uses the
guard up to ``Policy.greedy_max_points`` points (:mod:`.builder`, :mod:`.policy`).

Examples
--------
>>> from fractions import Fraction as Q
>>> from lnnet_construct.construct.tracker import Fold
>>> sh = FloatShadow([[Q(0)], [Q(1)], [Q(2)]], [Q(1)], Q(0))
>>> sh.commit(Fold(Q(1), Q(1)))
>>> [round(float(x), 6) for x in sh.scalars(np.float64)]    # F(0) = F(2) = 6 / sqrt(8/3) < F(1) = 3 sqrt 2
[3.674235, 4.242641, 3.674235]
"""

from __future__ import annotations

import math

import numpy as np

from .numeric import PEAK
from .realise import fold_affine, reads
from .tracker import Fold

__all__ = ["FloatShadow", "Guard", "SAFETY", "FLOOR_ULPS", "FORMATS"]

#: The float formats followed, widest last; a narrower one is given up first.
FORMATS = (np.float32, np.float64)
#: Bars are this many times the measured error (another library rounds differently) ...
SAFETY = 4.0
#: ... plus this many units in the last place of the largest value ``3 sqrt 2``.
FLOOR_ULPS = 8.0
#: Gaps are scored against the float errors once bars this many times wider overlap.
DANGER = 16.0
#: A format stops being protected once more than this share of the points (and this many) is at risk.
ABANDON_SHARE = 0.02
ABANDON_MIN = 4


def _float(v) -> float:
    """``float(v)``, or ±inf beyond float64's range (as a user's float input would be).

    >>> from fractions import Fraction
    >>> _float(Fraction(10) ** 400), _float(-Fraction(10) ** 400), _float(Fraction(1, 3))
    (inf, -inf, 0.3333333333333333)
    """
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf  # copysign(inf, v) would convert v again


def float_layer(x: np.ndarray, weight, bias, eps, dtype) -> np.ndarray:
    """One affine layer and LayerNorm on the columns of ``x``, in plain ``dtype`` (torch semantics)."""
    with np.errstate(all="ignore"):  # weights past the format's range are inf there, as for a user
        w = np.array([[_float(v) for v in row] for row in weight], dtype=dtype)
        b = np.array([_float(v) for v in bias], dtype=dtype)[:, None]
        z = w @ x + b
        mu = z.mean(axis=0, keepdims=True)
        var = ((z - mu) ** 2).mean(axis=0, keepdims=True)
        return (z - mu) / np.sqrt(var + dtype(_float(eps)))


class FloatShadow:
    """The plain float states (columns: points) of the network's layers so far, per format.

    Parameters
    ----------
    points : sequence of sequences of exact numbers
        The distinct input points (rounded to each format, as a user's would be).
    direction : sequence of exact numbers
        The projection ``w`` the first affine layer reads.
    eps : Fraction
        The network's LayerNorm epsilon.
    """

    def __init__(self, points, direction, eps, formats=FORMATS):
        self.eps = eps
        self.read = list(direction)
        x = np.array([[_float(v) for v in p] for p in points], dtype=np.float64).T
        with np.errstate(over="ignore", under="ignore"):  # beyond a format's range a user's input is inf (or 0), too
            self.state = {dt: x.astype(dt) for dt in formats}
        self.formats = tuple(formats)

    def trial(self, fold, formats=None) -> dict:
        """The scalars ``r·y`` (float64 arrays) the ``formats`` (default: all) would carry after ``fold``.

        Nothing is kept.
        """
        layer = fold_affine(fold, self.read)
        r = np.array([float(v) for v in reads(fold)])
        return {dt: r @ float_layer(self.state[dt], layer.weight, layer.bias, self.eps, dt).astype(np.float64)
                for dt in formats or self.formats}

    def commit(self, fold) -> None:
        """Advance every format through ``fold``."""
        layer = fold_affine(fold, self.read)
        self.state = {dt: float_layer(x, layer.weight, layer.bias, self.eps, dt) for dt, x in self.state.items()}
        self.read = reads(fold)

    def scalars(self, dtype) -> np.ndarray:
        """What the next layer reads, ``r·y`` per point, from the ``dtype`` state (as float64)."""
        with np.errstate(all="ignore"):  # inputs beyond the format's range give inf and nan, as for a user
            return np.array([_float(v) for v in self.read]) @ self.state[dtype].astype(np.float64)


def bars(scalars: np.ndarray, values: np.ndarray, dtype) -> np.ndarray:
    """Error bars of one format: ``SAFETY`` times the measured error plus ``FLOOR_ULPS`` ulps of ``3 sqrt 2``."""
    with np.errstate(invalid="ignore"):
        err = np.abs(scalars - values)
    err = np.where(np.isfinite(err), err, np.inf)
    return SAFETY * err + FLOOR_ULPS * float(np.spacing(dtype(PEAK)))


def at_risk(values: np.ndarray, labels: np.ndarray, bar: np.ndarray) -> int:
    """How many points' bars meet the bar of a point of a neighbouring label run (0: all runs apart).

    A point whose bar is not finite (its float value overflowed) counts, too.

    >>> v = np.array([0.0, 1.0, 2.0, 3.0]); labels = np.array([0, 1, 0, 0])
    >>> at_risk(v, labels, np.full(4, 0.4)), at_risk(v, labels, np.array([0.4, 0.4, 0.7, 0.4]))
    (0, 2)
    """
    order = np.argsort(values, kind="stable")
    v, ls, b = values[order], labels[order], bar[order]
    run = np.concatenate([[0], np.cumsum(ls[1:] != ls[:-1])])
    n = int(run[-1]) + 1
    if n == 1:
        return int(np.count_nonzero(~np.isfinite(b)))
    hi = np.full(n, -np.inf)
    lo = np.full(n, np.inf)
    np.maximum.at(hi, run, v + b)
    np.minimum.at(lo, run, v - b)
    with np.errstate(invalid="ignore"):
        risk = (v + b >= np.append(lo[1:], np.inf)[run]) | (v - b <= np.insert(hi[:-1], 0, -np.inf)[run])
    return int(np.count_nonzero(risk | ~np.isfinite(b)))


class Guard:
    """How many points each float format puts at risk after a planned fold, for :func:`.greedy.choose_fold`.

    :meth:`rate` gives the counts, widest format first (compared as a
    tuple: float64 is protected before float32); :attr:`risk` holds those
    of the present layer, and :meth:`commit` advances the shadow through
    the fold the tracker took.
    """

    def __init__(self, shadow: FloatShadow, tracker):
        self.shadow = shadow
        self.tracker = tracker
        self.formats = tuple(reversed(shadow.formats))
        self.risk = tuple(0 for _ in self.formats)
        self.given_up = {}
        #: Formats with more points at risk than this are no longer protected (a lost cause costs layers).
        self.abandon = max(ABANDON_MIN, int(ABANDON_SHARE * len(tracker.labels)))

    @property
    def kept(self) -> tuple:
        """The formats that put no point at risk."""
        return tuple(dt for dt, r in zip(self.formats, self.risk) if r == 0)

    def settled(self, rate) -> bool:
        """Whether a fold rated ``rate`` puts no protected format's points more at risk than now."""
        return all(a <= b for a, b in zip(rate, self._protected(self.risk)))

    def _protected(self, risk) -> tuple:
        return tuple(r for r in risk if r <= self.abandon)

    def rate(self, choice) -> tuple:
        """The points at risk per protected format (widest first) after the planned ``choice``."""
        formats = tuple(dt for dt, r in zip(self.formats, self.risk) if r <= self.abandon)
        if not formats:
            return ()
        tr = self.tracker
        fold = Fold(choice.c_rel + tr.offset, choice.h, choice.lam, choice.kappa)
        after = tr.backend.to_float(tr.backend.fold(tr.values, choice.c_rel, choice.h, tr.eps_eff(choice.lam),
                                                    choice.kappa))
        out = self.shadow.trial(fold, formats)
        return tuple(at_risk(after, tr.labels, bars(out[dt], after, dt)) for dt in formats)

    def commit(self) -> None:
        """Follow the tracker's last fold: advance the shadow, update :attr:`risk`."""
        tr = self.tracker
        self.shadow.commit(tr.folds[-1])
        values = tr.backend.to_float(tr.values)
        self.risk = tuple(at_risk(values, tr.labels, bars(self.shadow.scalars(dt), values, dt)) for dt in self.formats)
        for dt, r in zip(self.formats, self.risk):
            if r and np.dtype(dt).name not in self.given_up:
                self.given_up[np.dtype(dt).name] = tr.depth

    def errors(self):
        """Each point's float error, in units of ``ulp(3 sqrt 2)``, once a kept format is close to its limit.

        The largest over the formats still kept whose bars, :data:`DANGER`
        times wider, put points at risk; None while there is none (or before
        the first fold): the planner then scores plain gaps.
        """
        tr = self.tracker
        if not tr.folds or not self.kept:
            return None
        values = tr.backend.to_float(tr.values)
        out = None
        for dt in self.kept:
            scal = self.shadow.scalars(dt)
            if not at_risk(values, tr.labels, DANGER * bars(scal, values, dt)):
                continue
            with np.errstate(invalid="ignore"):
                e = np.abs(scal - values) / float(np.spacing(dt(PEAK)))
            e = np.where(np.isfinite(e), e, 1e300)
            out = e if out is None else np.maximum(out, e)
        return out

    def bounds(self) -> list:
        """Per format, ``(lo, hi)``: the bars around the view now (float64 arrays), widest format first."""
        values = self.tracker.backend.to_float(self.tracker.values)
        return [(values - b, values + b) for dt in self.formats for b in [bars(self.shadow.scalars(dt), values, dt)]]
