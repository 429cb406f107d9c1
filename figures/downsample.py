"""Which records of a long run to draw: a path thinned for the map, frames for the animation.

A 100,000-step run cannot go into a browser figure point by point, and
evenly spaced samples lose exactly what the lecture is about: Adam's large
first moves happen in the first few dozen steps, and plain gradient descent
in the bowl bounces between the valley walls *every* step, so any regular
sampling shows one wall only (or a straight line between aliased points).

``keep_turns`` therefore splits the index range into buckets whose
boundaries are the union of log-spaced boundaries (1, 2, 3, …, tight at the
start: the early steps keep every step) and evenly spaced ones (the rest of
the run is covered uniformly), and keeps per bucket the first and last index
and the argmin and argmax of every column (the M4 envelope). The
extremes keep the bounce at its full amplitude: every bucket shows both
walls.

NumPy only; no figures here.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from optimizers.validate import integer

_MAX = 10**9
LOG_SHARE = 2  # log-spaced boundaries per evenly spaced one: the early steps get the detail
REFINE = 2  # extra attempts with more buckets when the worst-case bound left room


# The buckets depend only on (n, max_points, columns), the same for every series of a view: remembered,
# they no longer cost half of a downsampling (a binary search of a dozen geomspace + unique calls).
@lru_cache(maxsize=256)
def _edges(n: int, buckets: int) -> np.ndarray:
    """Bucket boundaries in [0, n]: 0, n, ``buckets`` evenly spaced ones and twice as many log-spaced ones
    (read-only: the array is shared)."""
    linear = np.rint(np.linspace(0, n, buckets + 1))
    logarithmic = np.rint(np.geomspace(1, n, LOG_SHARE * buckets + 1))
    edges = np.unique(np.concatenate([[0, n], linear, logarithmic])).astype(np.intp)
    edges.flags.writeable = False
    return edges


def _cost(edges: np.ndarray, per_bucket: int) -> int:
    """Most indices the buckets can keep: a bucket keeps at most its size and at most ``per_bucket``."""
    return int(np.minimum(np.diff(edges), per_bucket).sum())


@lru_cache(maxsize=256)
def _most_buckets(n: int, budget: int, per_bucket: int) -> int:
    """The largest bucket count (binary search) whose worst-case cost fits ``budget``; 0 if none does."""
    lo, hi, best = 1, max(1, budget), 0
    while lo <= hi:
        mid = (lo + hi) // 2
        if _cost(_edges(n, mid), per_bucket) <= budget:
            best, lo = mid, mid + 1
        else:
            hi = mid - 1
    return best


def _envelope(S: np.ndarray, edges: np.ndarray, per_bucket: int) -> np.ndarray:
    """Per bucket: all of it when it holds at most ``per_bucket`` indices, else its first and last index
    and the first argmin and argmax of every column."""
    n = len(S)
    starts, sizes = edges[:-1], np.diff(edges)
    index = np.arange(n, dtype=np.intp)
    kept = [starts, edges[1:] - 1, index[np.repeat(sizes <= per_bucket, sizes)]]
    for column in S.T:
        for extreme in (np.fmin, np.fmax):  # fmin/fmax skip NaN
            value = extreme.reduceat(column, starts)
            hit = column == np.repeat(value, sizes)
            kept.append(np.minimum.reduceat(np.where(hit, index, n), starts))  # n: an all-NaN bucket
    # sorted and unique by marking (n + 1 flags) rather than np.unique's hashing: a third of the cost
    marked = np.zeros(n + 1, dtype=bool)
    for indices in kept:
        marked[indices] = True
    return np.flatnonzero(marked[:n])


def _evenly(n: int, count: int) -> np.ndarray:
    return np.unique(np.rint(np.linspace(0, n - 1, count)).astype(np.intp))


def keep_turns(series, max_points: int = 2000, refine: int = REFINE) -> np.ndarray:
    """Sorted unique indices into ``series`` (shape (N,) or (N, d)) that keep its shape.

    All of ``range(N)`` when N <= max_points. Otherwise at most ``max_points``
    indices, 0 and N − 1 always among them: per bucket (log-spaced ∪ evenly
    spaced boundaries) the first, the last, and the first argmin and argmax
    of every column; a bucket no larger than that envelope (2 + 2d indices)
    is kept whole. NaN entries are ignored when looking for extremes. ``refine``: how many more
    times to try more buckets when the first choice kept well under ``max_points`` (a smooth
    series, whose extremes are its buckets' ends); 0 is a third of the work.
    """
    S = np.asarray(series)
    if S.ndim not in (1, 2):
        raise ValueError(f"keep_turns: series has shape {S.shape}; allowed (N,) or (N, d)")
    max_points = integer("keep_turns", "max_points", max_points, 2, _MAX)
    n = len(S)
    if n <= max_points:
        return np.arange(n, dtype=np.intp)
    S = S.reshape(n, -1).astype(np.float64, copy=False)
    per_bucket = 2 + 2 * S.shape[1]
    buckets = _most_buckets(n, max_points, per_bucket)
    if buckets == 0:  # too few points allowed for the log/linear buckets: one bucket, or plain even spacing
        return _envelope(S, np.array([0, n]), per_bucket) if per_bucket <= max_points else _evenly(n, max_points)
    kept = _envelope(S, _edges(n, buckets), per_bucket)
    # The bound assumed every extreme is a separate index; on smooth runs they coincide with a
    # bucket's ends (a steadily drifting x), so a few more buckets usually still fit.
    for _ in range(refine):
        if len(kept) >= 0.9 * max_points:
            break
        buckets = int(buckets * 0.97 * max_points / len(kept))
        more = _envelope(S, _edges(n, buckets), per_bucket)
        if len(more) > max_points:
            break
        kept = more
    return kept


def frame_indices(n: int, max_frames: int = 300) -> np.ndarray:
    """Sorted unique indices into range(n) for animation frames, 0 and n − 1 included.

    All of them when n <= max_frames; otherwise at most ``max_frames``, half
    of them log-spaced (one frame per step at the start, where runs move
    most) and half evenly spaced (the rest of the run at a steady pace).
    """
    n = integer("frame_indices", "n", n, 0, _MAX)
    max_frames = integer("frame_indices", "max_frames", max_frames, 2, _MAX)
    if n <= max_frames:
        return np.arange(n, dtype=np.intp)

    def pick(count):
        return np.unique(np.concatenate([
            [0, n - 1],
            np.rint(np.linspace(0, n - 1, count)),
            np.rint(np.geomspace(1, n - 1, count)),
        ])).astype(np.intp)

    lo, hi, best = 2, max_frames, None
    while lo <= hi:
        mid = (lo + hi) // 2
        chosen = pick(mid)
        if len(chosen) <= max_frames:
            best, lo = chosen, mid + 1
        else:
            hi = mid - 1
    return best if best is not None else _evenly(n, max_frames)
