r"""Label runs along the line and how a fold changes them (combinatorics only).

A fold at ``c`` orders the points by ``|t - c|`` (MATH.md §2.2): the part left
of ``c`` is reversed and interleaved with the part right of it.  Everything
here works on values already sorted ascending (``ts``) with their labels
(``ls``), and on float64, longdouble or object arrays alike.  The fixed-point
view's Python ints are ordered by int64 keys (their top 60 bits) and compared
exactly only where keys nearly tie (:func:`runs_after`).

**Windows.**  If the left part is the shorter one, only the points with
``t < 2c - t_0`` interleave; the rest keep their order.  So the runs after a
fold are the runs of a *window* of the nearest points plus the runs of a
fixed tail, which :func:`runs_after` uses to price candidates near the ends
of the line (the cheap, well-conditioned ones) at the size of their window
instead of ``n``.

Examples
--------
>>> import numpy as np
>>> ts = np.array([0.0, 1.0, 2.0, 3.0, 4.0]); ls = np.array([0, 1, 0, 1, 0])
>>> count_runs_sorted(ls)
5
>>> runs_after(ts, ls, np.array([2.0, 1.0, -1.0])).tolist()   # centre, tuck, monotone
[3, 4, 5]
>>> [float(d) for d in label_cell(ts, ls, 2.0, *run_bounds(ls))]   # nearest opposite-label midpoints
[0.5, 0.5]
"""

from __future__ import annotations

import numpy as np

__all__ = ["count_runs_sorted", "run_bounds", "runs_after", "label_cell", "opposite_gap", "argsort_rows"]

#: Window sizes in which :func:`runs_after` batches its candidates.
_BUCKETS = (16, 64, 256, 1024, 4096, 16384, 65536, 1 << 20)


def count_runs_sorted(ls: np.ndarray) -> int:
    """Runs of a label sequence (already in value order)."""
    return 1 + int(np.count_nonzero(ls[1:] != ls[:-1])) if len(ls) else 0


def opposite_gap(ts, ls):
    """Smallest gap between sorted neighbours of different labels (None if there are none)."""
    opp = ls[1:] != ls[:-1]
    return np.min((ts[1:] - ts[:-1])[opp]) if opp.any() else None


def run_bounds(ls: np.ndarray):
    """``(start, end)`` arrays: first and last index of the run containing each position."""
    n = len(ls)
    change = np.nonzero(ls[1:] != ls[:-1])[0]
    starts = np.concatenate([[0], change + 1])
    ends = np.concatenate([change, [n - 1]])
    run_idx = np.cumsum(np.concatenate([[0], (ls[1:] != ls[:-1]).astype(np.int64)]))
    return starts[run_idx], ends[run_idx]


def _suffix_prefix_runs(ls: np.ndarray):
    n = len(ls)
    ch = (ls[1:] != ls[:-1]).astype(np.int64)
    suf = np.zeros(n + 1, dtype=np.int64)  # suf[i] = runs of ls[i:]
    suf[:n] = 1 + np.concatenate([np.cumsum(ch[::-1])[::-1], [0]])
    pre = np.zeros(n + 1, dtype=np.int64)  # pre[i] = runs of ls[:i]
    pre[1:] = 1 + np.concatenate([[0], np.cumsum(ch)])
    return suf, pre


def runs_after(ts, ls, cands, upto: int | None = None, max_elems: int = 4_000_000) -> np.ndarray:
    """Number of label runs after folding the sorted values ``ts`` at each centre in ``cands``.

    Ties in ``|t - c|`` between different labels are the caller's concern
    (centres are taken inside label cells, where there are none).

    With ``upto``, only counts up to ``upto`` are exact; the others are
    lower bounds above it.  The candidates are first counted on the end
    points of the runs alone (few, once runs are long): dropping points never
    adds a run, and the count is exact when no two runs of different labels
    interleave.  Those that may be at most ``upto`` are then counted on all
    points.
    """
    n = len(ts)
    cands = np.asarray(cands, dtype=ts.dtype)
    if upto is not None:
        change = ls[1:] != ls[:-1]
        keep = np.flatnonzero(np.concatenate([[True], change]) | np.concatenate([change, [True]]))  # run ends
        if 5 * len(keep) <= 4 * n:  # else runs are still short and the screen would not pay
            out = runs_after(ts[keep], ls[keep], cands, max_elems=max_elems)
            todo = np.flatnonzero(out <= upto)
            if len(todo):
                out[todo] = runs_after(ts, ls, cands[todo], max_elems=max_elems)
            return out
    suf, pre = _suffix_prefix_runs(ls)
    p = np.searchsorted(ts, cands)
    left_short = p <= n - p
    size = np.where(left_short, np.searchsorted(ts, 2 * cands - ts[0], side="left"),
                    n - np.searchsorted(ts, 2 * cands - ts[-1], side="right"))
    out = np.full(len(cands), -1, dtype=np.int64)
    small = ls.astype(np.int16) if ls.dtype != object else ls
    keys = _int_keys(ts, cands)
    for B in _BUCKETS:
        B = min(B, n)
        todo = np.nonzero((size <= B) & (out < 0))[0]
        for side in (True, False):
            sel = todo[left_short[todo] == side]
            if not len(sel):
                continue
            lo = 0 if side else n - B
            tw, lw = ts[lo:lo + B], small[lo:lo + B]
            step = max(1, max_elems // B)
            for s in range(0, len(sel), step):
                ch = sel[s:s + step]
                # each row: |t - c| falls left of the centre and rises right of it, two monotone runs a
                # stable sort merges in linear time; ties keep window order (see the docstring on labels)
                if keys is None:
                    d = tw[None, :] - cands[ch][:, None]
                    np.abs(d, out=d)
                    lab = lw[argsort_rows(d, stable=True)]
                else:
                    lab = _keyed_labels(tw, lw, cands[ch], keys[0][lo:lo + B], keys[1][ch])
                r = 1 + np.count_nonzero(lab[:, 1:] != lab[:, :-1], axis=1)
                if B < n:  # the tail beyond the window keeps its order
                    if side:
                        r += suf[B] - (lab[:, -1] == small[B])
                    else:
                        r += pre[n - B] - (lab[:, -1] == small[n - B - 1])
                out[ch] = r
        if B >= n:
            break
    return out


def _int_keys(ts, cands):
    """``(t_keys, c_keys)``: int64 ``x >> s`` of the fixed-point view's ints (60 bits kept); None for other views.

    ``|t - c| >> s`` lies within 1 of ``|(t >> s) - (c >> s)|``, so two
    distances whose keys differ by 2 or more are ordered by their keys.
    """
    if ts.dtype != object or not len(ts) or not isinstance(ts[0], int) or not len(cands):
        return None
    big = max(abs(int(x)) for x in (ts[0], ts[-1], cands.min(), cands.max()))
    s = max(0, big.bit_length() - 60)  # differences of two keys still fit in int64
    return np.right_shift(ts, s).astype(np.int64), np.right_shift(cands, s).astype(np.int64)


def _keyed_labels(tw, lw, cs, tk, ck) -> np.ndarray:
    """Labels of the window ``tw`` in order of ``|t - c|`` per centre, sorted by int64 keys (:func:`_int_keys`).

    The key order can differ from the exact one only inside chains of
    neighbours whose keys differ by at most 1; where such a chain mixes
    labels, the row is sorted exactly (elsewhere the labels come out the same).
    """
    d = tk[None, :] - ck[:, None]
    np.abs(d, out=d)
    order = np.argsort(d, axis=1, kind="stable")
    lab = lw[order]
    ks = np.take_along_axis(d, order, axis=1)
    mixed = ((ks[:, 1:] - ks[:, :-1]) <= 1) & (lab[:, 1:] != lab[:, :-1])
    for row in np.flatnonzero(mixed.any(axis=1)):
        lab[row] = lw[np.argsort(np.abs(tw - cs[row]), kind="stable")]
    return lab


def argsort_rows(d: np.ndarray, stable: bool = False) -> np.ndarray:
    """Row-wise argsort; object arrays of nonnegative ints (the fixed-point view) sort by exact int64 keys.

    The keys are the top 62 bits of every distance (a monotone map), so only
    equal keys can disagree with the exact order; rows with such ties are
    sorted exactly.  ``stable`` keeps equal values in place (and merges rows
    made of a few ascending runs in linear time).  (It needs the exact
    distances; :func:`runs_after` only needs labels, and keys the points
    before subtracting, :func:`_keyed_labels`.)
    """
    if d.dtype != object or not isinstance(d.flat[0], int):
        return np.argsort(d, axis=1, kind="stable" if stable else None)
    shift = max(0, int(d.max()).bit_length() - 62)
    keys = np.right_shift(d, shift).astype(np.int64) if shift else d.astype(np.int64)
    order = np.argsort(keys, axis=1, kind="stable")
    ks = np.take_along_axis(keys, order, axis=1)
    for row in np.nonzero((ks[:, 1:] == ks[:, :-1]).any(axis=1))[0]:
        order[row] = np.argsort(d[row], kind="stable")
    return order


def label_cell(ts, ls, c, run_start, run_end, half=None):
    """Distances ``(δ_L, δ_R)`` from ``c`` to the nearest opposite-label pair midpoints below and above.

    Every centre in ``(c - δ_L, c + δ_R)`` gives the same label sequence after
    the fold (the *label cell* of ``c``).  ``run_start``/``run_end`` come from
    :func:`run_bounds`; a midpoint exactly at ``c`` gives 0.  ``half`` halves
    a value of the view's number type (default ``x / 2``).
    """
    half = half or (lambda x: x / 2)
    n = len(ts)
    target = 2 * c - ts
    # largest b with t_b <= target and a different label
    lo_idx = _search_descending(ts, target, "right") - 1
    ok = lo_idx >= 0
    li = np.where(ok, lo_idx, 0)
    same = ok & (ls[li] == ls)
    li2 = np.where(same, run_start[li] - 1, li)
    ok &= li2 >= 0
    li2 = np.where(ok, li2, 0)
    dl = half(target - ts[li2])[ok]
    # smallest b with t_b >= target and a different label
    hi_idx = _search_descending(ts, target, "left")
    ok = hi_idx < n
    hi_ = np.where(ok, hi_idx, n - 1)
    same = ok & (ls[hi_] == ls)
    hi2 = np.where(same, run_end[hi_] + 1, hi_)
    ok &= hi2 < n
    hi2 = np.where(ok, hi2, n - 1)
    dr = half(ts[hi2] - target)[ok]
    big = (ts[-1] - ts[0]) + abs(c - ts[0]) + abs(ts[-1] - c) + 1
    return (dl.min() if len(dl) else big), (dr.min() if len(dr) else big)


def _search_descending(ts, keys, side: str) -> np.ndarray:
    """``np.searchsorted(ts, keys, side)`` for descending ``keys``; object arrays by one merge.

    numpy bisects object arrays with a Python comparison per step; a
    stable sort of the two sorted sequences merges them with about one
    comparison per element instead.  Equal elements keep their order in
    the concatenation, so the keys go after equal ``ts`` for ``"right"``
    and before them for ``"left"``.

    >>> ts = np.array([1, 2, 2, 5], dtype=object); keys = np.array([6, 2, 0], dtype=object)
    >>> [_search_descending(ts, keys, s).tolist() for s in ("left", "right")]
    [[4, 1, 0], [4, 3, 0]]
    """
    if ts.dtype != object or not len(keys):
        return np.searchsorted(ts, keys, side=side)
    up = keys[::-1]
    both = np.concatenate([ts, up] if side == "right" else [up, ts])
    at = np.empty(len(both), dtype=np.int64)
    at[np.argsort(both, kind="stable")] = np.arange(len(both))
    first = len(ts) if side == "right" else 0
    # a key's place in the merge, less the keys before it, is the number of ts before it
    return (at[first:first + len(up)] - np.arange(len(up)))[::-1]
