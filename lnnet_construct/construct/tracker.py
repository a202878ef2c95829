r"""Certified tracking of the scalar each point carries through the planned folds.

The planner works on approximate values (float64, extended longdouble, fixed
point or mpmath); this module keeps, next to them, **rigorous enclosures** of
the true values of the network being built, and certifies after every fold
that the points form the planned sequence of label runs.

* Layer 0 values are the exact projections ``t_i = w·x_i`` (Fractions).  They
  are stored relative to an exact rational ``offset`` near their median, so
  that float64 keeps their differences.
* Each fold ``(c, h, lam)`` maps ``t -> F_{c,h,eps/lam^2}(t)`` (the affine
  layer is scaled by ``lam``; see :mod:`.numeric` and :mod:`.realise`).
* Enclosures are outward-rounded float64 intervals while they are narrow
  enough; when a run structure cannot be certified with them, the whole
  trajectory is recomputed with python-flint balls at rising precision
  (:meth:`Tracker.escalate`).

**Certified run structure.**  Sort the points by approximate value and cut
the sequence into maximal runs of equal labels.  If for every pair of
consecutive runs the largest upper end of the first is below the smallest
lower end of the second, then every point of a run lies strictly below every
point of every later run: the true order has exactly this label-run
sequence.  This is what :meth:`Tracker.certify` checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..arith.arb import arf_fraction
from ..arith.interval import Interval, enclose_fraction
from ..errors import PrecisionExhausted
from .numeric import FloatBackend, MpBackend, _flint_prec, arb_balls, fold_arb, fold_interval
from .rational import simplest_near

__all__ = ["Fold", "Tracker", "RunStructure"]

#: Precision cap (bits) of the certified tracking.
MAX_PREC = 1 << 16


@dataclass(frozen=True)
class Fold:
    """One planned fold layer: centre ``c``, height ``h > 0``, affine scale ``lam > 0`` and tilt ``kappa`` (exact).

    ``kappa != 0`` makes the next layer read ``v2 + kappa v1`` (a tilted fold, :mod:`.numeric`).
    """

    c: object
    h: object
    lam: Fraction = Fraction(1)
    kappa: Fraction = Fraction(0)


@dataclass(frozen=True)
class RunStructure:
    """A certified label-run structure at one layer.

    Attributes
    ----------
    order : numpy.ndarray
        Point indices sorted by value (ties and within-run order approximate).
    run_of : numpy.ndarray
        Run index (0 = lowest values) of every point.
    run_labels : list of int
        Label of each run, from low to high values.
    lows, highs : sequence of Fraction
        Exact rational bounds with ``lows[k] <= value <= highs[k]`` for every
        point of run ``k``; ``highs[k] < lows[k+1]`` (made Fractions when read).
    """

    order: np.ndarray
    run_of: np.ndarray
    run_labels: list
    lows: list
    highs: list

    @property
    def runs(self) -> int:
        return len(self.run_labels)


class _LazyFractions:
    """Exact Fractions of float or arf bounds (plus an offset), converted on access.

    Most layers' bounds are never read (only the last layer's make the
    read-out), and converting a thousand of them per layer is slow.
    """

    def __init__(self, bounds, offset):
        self._f = bounds
        self._off = offset

    def _exact(self, x) -> Fraction:
        q = Fraction(float(x)) if isinstance(x, (float, np.floating)) else arf_fraction(x)
        return q + self._off if self._off else q

    def __len__(self):
        return len(self._f)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._exact(x) for x in self._f[i]]
        return self._exact(self._f[i])

    def __iter__(self):
        return (self._exact(x) for x in self._f)


def _runs_of(sorted_labels: np.ndarray) -> np.ndarray:
    change = np.concatenate([[0], (sorted_labels[1:] != sorted_labels[:-1]).astype(np.int64)])
    return np.cumsum(change)


class Tracker:
    """Approximate and certified values of every unique point, layer by layer.

    Parameters
    ----------
    t : list of Fraction
        Exact layer-0 values (the projections).
    labels : numpy.ndarray of int
    eps : Fraction
        LayerNorm epsilon of the network.
    backend : FloatBackend, FixedBackend or MpBackend
        Number system of the planner's view (:attr:`values`).
    keep_history : bool
        Keep the float values of every layer (for the merge history and plots).
    """

    def __init__(self, t, labels, eps: Fraction, backend=None, keep_history: bool = False):
        self.t = [Fraction(v) for v in t]
        self.labels = np.asarray(labels)
        self.eps = Fraction(eps)
        self.backend = backend or FloatBackend()
        tf = sorted(self.t)
        med = tf[len(tf) // 2]
        spread = tf[-1] - tf[0]
        # offset: a short rational near the median, so that t - offset keeps its digits
        self.offset = simplest_near(med, spread / 1000) if spread > 0 else med
        rel = [v - self.offset for v in self.t]
        self.folds: list[Fold] = []
        self.values = self.backend.array(rel)
        self._enc = Interval(*map(np.array, zip(*[enclose_fraction(v) for v in rel])))
        self._balls = None
        self.prec = 53
        self.keep_history = keep_history
        self._saved = None
        self.history: list[np.ndarray] = [self.backend.to_float(self.values)] if keep_history else []

    # --- the fold -----------------------------------------------------------
    def eps_eff(self, lam) -> Fraction:
        return self.eps / (Fraction(lam) ** 2)

    def apply(self, c_rel: Fraction, h: Fraction, lam: Fraction = Fraction(1), kappa: Fraction = Fraction(0)) -> Fold:
        """Apply a fold with centre ``offset + c_rel`` (relative to the current view)."""
        c = Fraction(c_rel) + self.offset
        fold = Fold(c, Fraction(h), Fraction(lam), Fraction(kappa))
        kappa = fold.kappa
        cur = self.values
        self._saved = (self.values, self._enc, self._balls, self.offset, self.prec)
        if self._balls is not None:
            # the balls are relative to the offset, like the view (the offset is 0 after a fold)
            self._balls = fold_arb(self._balls, Fraction(c_rel), fold.h, self.eps_eff(lam), self.prec, kappa)
            if isinstance(self.backend, MpBackend):
                # computed directly, at least as precise as the balls: their midpoints drift by the radius
                self.values = self.backend.fold(cur, c_rel, h, self.eps_eff(lam), kappa)
            else:
                self.values = self._values_from_balls()
        else:
            self.values = self.backend.fold(cur, c_rel, h, self.eps_eff(lam), kappa)
            self._enc = fold_interval(self._enc, c_rel, fold.h, self.eps_eff(lam), kappa)
        self.offset = Fraction(0)
        self.folds.append(fold)
        if self.keep_history:
            self.history.append(self.backend.to_float(self.values))
        return fold

    def undo(self) -> None:
        """Take back the last :meth:`apply` (once)."""
        if self._saved is None:
            raise ValueError("nothing to undo")
        self.values, self._enc, self._balls, offset, self.prec = self._saved
        object.__setattr__(self, "offset", offset)
        self.folds.pop()
        if self.keep_history:
            self.history.pop()
        self._saved = None

    @property
    def depth(self) -> int:
        return len(self.folds)

    # --- certification ------------------------------------------------------
    def bounds(self):
        """Float arrays ``(lo, hi)`` enclosing the true values (relative to :attr:`offset`)."""
        if self._balls is None:
            return self._enc.lo, self._enc.hi
        from ..arith.arb import arb_to_interval

        lo = np.empty(len(self._balls))
        hi = np.empty(len(self._balls))
        for i, b in enumerate(self._balls):
            iv = arb_to_interval(b)
            if iv is None:
                lo[i], hi[i] = -np.inf, np.inf
            else:
                # round outward to floats
                lo[i] = float(iv[0])
                hi[i] = float(iv[1])
                if Fraction(lo[i]) > iv[0]:
                    lo[i] = np.nextafter(lo[i], -np.inf)
                if Fraction(hi[i]) < iv[1]:
                    hi[i] = np.nextafter(hi[i], np.inf)
        return lo, hi

    def exact_bounds_of(self, idx) -> tuple[Fraction, Fraction]:
        """Exact rational bounds (absolute, offset included) of the values of points ``idx``."""
        lo, hi = self.bounds()
        return Fraction(float(np.min(lo[idx]))) + self.offset, Fraction(float(np.max(hi[idx]))) + self.offset

    def structure(self) -> RunStructure | None:
        """The certified run structure at the current layer, or None if not certified."""
        if self._balls is not None:
            if not all(b.is_finite() for b in self._balls):
                return None
            # the planner's view may be coarser than the balls: sort by their exact midpoints
            # (point balls compare exactly)
            mids = [b.mid() for b in self._balls]
            order = np.array(sorted(range(len(self._balls)), key=mids.__getitem__), dtype=np.int64)
        else:
            order = np.argsort(self.values, kind="stable")
        ls = self.labels[order]
        run_idx = _runs_of(ls)
        n_runs = int(run_idx[-1]) + 1
        if self._balls is None:
            lo, hi = self.bounds()
            lo_s, hi_s = lo[order], hi[order]
            run_hi = np.full(n_runs, -np.inf)
            run_lo = np.full(n_runs, np.inf)
            np.maximum.at(run_hi, run_idx, hi_s)
            np.minimum.at(run_lo, run_idx, lo_s)
            if not (np.all(np.isfinite(run_hi)) and np.all(np.isfinite(run_lo))):
                return None
            if n_runs > 1 and not np.all(run_hi[:-1] < run_lo[1:]):
                return None
            lows = _LazyFractions(run_lo, self.offset)
            highs = _LazyFractions(run_hi, self.offset)
        else:
            # the balls' ends as point balls, rounded outward at a precision above theirs (float64
            # would merge what the balls separate); only each run's extremes become Fractions
            with _flint_prec(self.prec + 16):
                ends = [(b.lower(), b.upper()) for b in self._balls]
            bounds = np.searchsorted(run_idx, np.arange(n_runs + 1))
            lows, highs = [], []
            for r in range(n_runs):
                members = order[bounds[r]:bounds[r + 1]]
                lows.append(min(ends[i][0] for i in members))
                highs.append(max(ends[i][1] for i in members))
            if any(not highs[r] < lows[r + 1] for r in range(n_runs - 1)):
                return None
            off = self.offset if not self.folds else Fraction(0)
            lows, highs = _LazyFractions(lows, off), _LazyFractions(highs, off)
        run_of = np.empty(len(order), dtype=np.int64)
        run_of[order] = run_idx
        starts = np.concatenate([[0], np.nonzero(np.diff(run_idx))[0] + 1])
        return RunStructure(
            order=order,
            run_of=run_of,
            run_labels=[int(ls[s]) for s in starts],
            lows=lows,
            highs=highs,
        )

    def certify(self, max_prec: int = MAX_PREC) -> RunStructure:
        """The certified run structure, raising the precision of the enclosures as needed.

        Raises
        ------
        PrecisionExhausted
            Not certified even with ``max_prec``-bit balls.
        """
        st = self.structure()
        while st is None:
            nxt = 128 if self._balls is None else 2 * self.prec
            if nxt > max_prec:
                raise PrecisionExhausted(
                    f"could not certify the order of the points after {self.depth} folds with {self.prec}-bit "
                    f"balls; the planned gaps are too small"
                )
            self.escalate(nxt)
            st = self.structure()
        return st

    def escalate(self, prec: int) -> None:
        """Recompute every layer with ``prec``-bit balls (and refresh an mpmath planner view)."""
        self.prec = int(prec)
        balls = arb_balls(self.t, self.prec)
        for f in self.folds:
            balls = fold_arb(balls, f.c, f.h, self.eps_eff(f.lam), self.prec, f.kappa)
        if not self.folds:
            off = arb_balls([self.offset], self.prec)[0]
            with _flint_prec(self.prec):
                balls = [b - off for b in balls]
        self._balls = balls
        if isinstance(self.backend, MpBackend):
            if self.backend.prec < self.prec:
                self.use_backend(MpBackend(self.prec))
        else:
            self.values = self._values_from_balls()

    def _values_from_balls(self, old=None):
        """The planner's view refreshed from the (more accurate) ball midpoints.

        A ball that is not finite keeps the present view value, converted
        from the view ``old`` (default: the current one).
        """
        be, old = self.backend, old or self.backend
        if isinstance(be, FloatBackend):
            out, finite = be.from_balls(self._balls, self.prec + 64)
            bad = np.flatnonzero(~finite)
        else:
            out = np.empty(len(self._balls), dtype=be.dtype)
            bad = []
            for i, b in enumerate(self._balls):
                if b.is_finite():
                    out[i] = be.from_ball(b)
                else:
                    bad.append(i)
        for i in bad:
            out[i] = be.scalar(old.to_fraction(self.values[i]))
        return out

    def round_view(self, backend) -> None:
        """Switch the planner's view to the float64 ``backend`` by rounding the present values.

        Only the planner's view changes (the enclosures stay); for going
        back from a wider view once its gaps are wide again.
        """
        self.values = np.asarray(self.backend.to_float(self.values), dtype=backend.dtype)
        self.backend = backend

    def use_backend(self, backend) -> None:
        """Switch the planner's view to ``backend``: from the balls if there are any, else recomputed from layer 0."""
        old, self.backend = self.backend, backend
        if self._balls is not None and not isinstance(backend, MpBackend):
            self.values = self._values_from_balls(old)
            return
        rel0 = [v - (self.offset if not self.folds else self._offset0()) for v in self.t]
        vals = backend.array(rel0)
        for k, f in enumerate(self.folds):
            c_rel = f.c - (self._offset0() if k == 0 else 0)
            vals = backend.fold(vals, c_rel, f.h, self.eps_eff(f.lam), f.kappa)
        self.values = vals

    def _offset0(self) -> Fraction:
        return self._initial_offset

    def __setattr__(self, name, value):
        # remember the first offset (layer-0 view) for recomputations
        if name == "offset" and "_initial_offset" not in self.__dict__:
            object.__setattr__(self, "_initial_offset", value)
        object.__setattr__(self, name, value)
