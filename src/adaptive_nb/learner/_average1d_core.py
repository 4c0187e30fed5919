"""The bookkeeping behind :class:`~adaptive_nb.learner.AverageLearner1D`.

Data structures (N told points x, S samples, k pending samples)
---------------------------------------------------------------
``_samples``     dict x -> {seed: y}: every told sample (python-adaptive's ``_data_samples``).
``_stat``        dict x -> [n finite, mean of finite, sum of squared deviations (Welford),
                 number of NaN, +inf, -inf samples].
``_means``       dict x -> the mean of all samples at x (``data``); ``_error`` x -> the
                 half-width of the Student-t confidence interval of the mean.
``_xs``          SortedList of the told x; ``_left`` / ``_right`` link each x to its told
                 neighbours, so the intervals around a point are found in O(1).
``_loss``        dict a -> loss of the interval (a, _right[a]), made with the y-scale ``_scale``.
``_pend``        dict x -> set of pending seeds at x. A pending x that is not told yet is a
                 *cut* of the interval that holds it (``_cuts`` a -> sorted cuts, ``_cut_of``),
                 or *loose* before that interval exists (before both bounds are told).
``_eff``/_heap   the loss of the widest piece of each interval between told and pending
                 points (its share of the interval's loss), in a max-heap: where a new x goes.
``_prio``/_rheap the rescaled error of each point that may be resampled, with its pending
                 samples counted as if told: which x is resampled.
``_incomplete``  dict x -> told + pending samples, for points below their initial number of
                 samples (``min_samples``, or more by ``neighbor_sampling``); ``_iheap`` picks
                 the one with fewest samples.

All three heaps use lazy deletion: an entry ``(key, x)`` is current exactly when the dict
beside the heap maps x to that key. Heaps are compacted when stale entries dominate.

The y-values of the losses are divided by ``_scale``, the range of the finite means when the
losses were last recomputed (1 for a zero range); while the range stays within a factor 2 of
it the losses are kept, and outside that every loss is recomputed (O(N log N), at most once
per doubling or halving of the range). A told sample updates one mean, the
O(nth_neighbors) intervals whose loss sees it and the points touching them: ``tell`` and
``ask(1)`` cost O(log N). The state is a function of the samples, the pending points, the
y-scale and the initial sample counts of unfinished points, which the save format keeps: a
loaded learner asks what the saved one would have asked.
"""

from __future__ import annotations

import bisect
import heapq
import math
from typing import Any

import numpy as np
from sortedcontainers import SortedList

from .losses_1d import default_loss

_INF = math.inf


def _heap_push(
    heap: list[tuple[Any, float]], current: dict[float, Any], key: float, sign: int
) -> None:
    """Push ``key`` with its value ``current[key]`` on a heap with lazy deletion.

    The heap holds entries ``(sign * value, key)``: with ``sign=-1`` the largest value is on
    top, with ``sign=1`` the smallest. An entry whose value is no longer ``current[key]`` is
    stale (:func:`_heap_top` drops it); once stale entries make up most of the heap, it is
    rebuilt from ``current``.
    """
    heapq.heappush(heap, (sign * current[key], key))
    if len(heap) > 2 * len(current) + 64:
        heap[:] = [(sign * v, k) for k, v in current.items()]
        heapq.heapify(heap)


def _heap_top(
    heap: list[tuple[Any, float]], current: dict[float, Any], sign: int
) -> tuple[float, Any] | None:
    """``(key, value)`` of the top entry of a heap made by :func:`_heap_push` that is not
    stale (stale ones on top are popped), or None when there is none."""
    while heap:
        signed, key = heap[0]
        if current.get(key) == sign * signed:
            return key, sign * signed
        heapq.heappop(heap)
    return None


class TQuantiles:
    """``scipy.stats.t.ppf(1 - alpha, n - 1)`` by sample count n, computed in blocks and cached."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self._values = [_INF, _INF]  # n = 0 and n = 1: no interval

    def __call__(self, n: int) -> float:
        try:
            return self._values[n]
        except IndexError:
            from scipy.stats import t

            start = len(self._values)
            stop = max(2 * start, n + 1, 64)
            self._values.extend(t.ppf(1.0 - self.alpha, np.arange(start, stop) - 1.0).tolist())
            return self._values[n]


#: the losses are recomputed when the y-range leaves [scale / _RESCALE, scale * _RESCALE]
_RESCALE = 2.0


def fits_scale(yrange: float, scale: float | None) -> bool:
    """Whether losses made with the y-scale ``scale`` (None: a zero range) may still be used."""
    if scale is None or not yrange > 0:
        return scale is None and not yrange > 0
    return scale / _RESCALE <= yrange <= scale * _RESCALE


def _finite(v: float) -> bool:
    return v - v == 0.0


class Average1DCore:
    """Incremental state of an AverageLearner1D (a mixin: the public class adds the API)."""

    bounds: tuple[float, float]
    loss_per_interval: Any
    nth_neighbors: int
    delta: float
    neighbor_sampling: float
    _alpha: float
    _min_samples: int
    _max_samples: int
    _min_error: float

    def _clear(self) -> None:
        self._samples: dict[float, dict[int, float]] = {}
        self._stat: dict[float, list] = {}
        self._means: dict[float, float] = {}
        self._error: dict[float, float] = {}
        self._rescaled: dict[float, float] = {}
        self._nsamples = 0
        self.pending_points: set[tuple[int, float]] = set()
        self._pend: dict[float, set[int]] = {}
        self._low_seed: dict[float, int] = {}
        self._target: dict[float, int] = {}
        self._scale_ref: float | None = None
        self._tq = TQuantiles(self._alpha)
        self._reset_derived()

    def _reset_derived(self) -> None:
        self._xs = SortedList(self._samples)
        xs = list(self._xs)
        self._left = dict(zip(xs[1:], xs))
        self._right = dict(zip(xs, xs[1:]))
        self._fmeans = SortedList(m for m in self._means.values() if _finite(m))
        self._scale = 1.0 if self._scale_ref is None else self._scale_ref
        self._loss: dict[float, float] = {}
        self._cuts: dict[float, list[float]] = {}
        self._cut_of: dict[float, float] = {}
        self._loose: set[float] = set()
        self._eff: dict[float, float] = {}
        self._stuck: set[float] = set()
        self._heap: list[tuple[float, float]] = []
        self._prio: dict[float, float] = {}
        self._err_eff: dict[float, float] = {}
        self._rheap: list[tuple[float, float]] = []
        self._incomplete: dict[float, int] = {}
        self._iheap: list[tuple[int, float]] = []

    # -- statistics -----------------------------------------------------------------------

    def _yrange(self) -> float:
        fm = self._fmeans
        return fm[-1] - fm[0] if fm else 0.0

    def _accumulate(self, seed: int, x: float, y: float) -> bool:
        """Store one checked, new sample (mean, error, pending); return whether x is new."""
        seeds = self._pend.get(x)
        if seeds is not None and seed in seeds:
            seeds.discard(seed)
            self.pending_points.discard((seed, x))
            if not seeds:
                del self._pend[x]
        samples = self._samples.get(x)
        new = samples is None
        if new:
            samples = self._samples[x] = {}
            self._stat[x] = [0, 0.0, 0.0, 0, 0, 0]
        samples[seed] = y
        self._nsamples += 1
        st = self._stat[x]
        if _finite(y):
            st[0] += 1
            diff = y - st[1]
            st[1] += diff / st[0]
            st[2] += diff * (y - st[1])
        elif y != y:
            st[3] += 1
        else:
            st[4 if y > 0 else 5] += 1
        self._stats_changed(x, st)
        return new

    def _stats_changed(self, x: float, st: list) -> None:
        """Derive x's mean, error and projected error from its statistics ``st``."""
        if st[3] or (st[4] and st[5]):
            mean = math.nan
        elif st[4] or st[5]:
            mean = _INF if st[4] else -_INF
        else:
            mean = st[1]
        self._stat[x] = st
        self._means[x] = mean
        self._error[x] = self._error_of(st, st[0])
        self._update_projected(x)

    def _error_of(self, st: list, n: int) -> float:
        """Half-width of the confidence interval with n samples (n >= told: projected)."""
        if st[3] or st[4] or st[5] or st[0] < 2:
            return _INF
        std = math.sqrt(max(st[2], 0.0) / (st[0] - 1))
        return self._tq(n) * std / math.sqrt(n)

    # -- intervals ------------------------------------------------------------------------

    def _interval_loss(self, a: float) -> float:
        b = self._right[a]
        sx, s, means = self._x_scale, self._scale, self._means
        ya, yb = means[a], means[b]
        width = b / sx - a / sx
        if not (_finite(ya) and _finite(yb)):
            return width
        n = self.nth_neighbors
        if n == 0:
            if self.loss_per_interval is default_loss:
                return math.hypot(width, (yb - ya) / s)
            loss = self.loss_per_interval((a / sx, b / sx), (ya / s, yb / s))
        else:
            left, right, p, q = [], [], a, b
            for _ in range(n):
                p = self._left.get(p) if p is not None else None
                q = self._right.get(q) if q is not None else None
                left.append(p)
                right.append(q)
            px, py = [], []
            for v in [*reversed(left), a, b, *right]:
                if v is not None and _finite(means[v]):
                    px.append(v / sx)
                    py.append(means[v] / s)
                else:
                    px.append(None)
                    py.append(None)
            loss = self.loss_per_interval(tuple(px), tuple(py))
        loss = float(loss)
        return width if loss != loss else loss

    def _widest_piece(self, a: float) -> tuple[float, float] | None:
        """The widest piece of interval a between told and pending points that can be halved."""
        b = self._right[a]
        edges = [a, *self._cuts.get(a, ()), b]
        best, widest = None, 0.0
        for p, q in zip(edges, edges[1:]):
            if q - p > widest and p < 0.5 * p + 0.5 * q < q:
                best, widest = (p, q), q - p
        return best

    def _push_interval(self, a: float) -> None:
        if a not in self._cuts:  # the common case, inline
            b = self._right[a]
            piece = (a, b) if a < 0.5 * a + 0.5 * b < b else None
        else:
            piece = self._widest_piece(a)
        if piece is None:
            self._eff.pop(a, None)
            self._stuck.add(a)
            return
        self._stuck.discard(a)
        loss = self._loss[a]
        if a in self._cuts and loss:
            loss *= (piece[1] - piece[0]) / (self._right[a] - a)
        self._eff[a] = loss
        _heap_push(self._heap, self._eff, a, -1)

    def _top_interval(self) -> tuple[float, float] | None:
        return _heap_top(self._heap, self._eff, -1)

    def _link(self, x: float) -> None:
        """Insert the new told point x between its neighbours; move the cuts it separates."""
        self._xs.add(x)
        i = self._xs.index(x)
        xs = self._xs
        left = xs[i - 1] if i > 0 else None
        right = xs[i + 1] if i + 1 < len(xs) else None
        if right is not None:
            self._right[x] = right
            self._left[right] = x
        if left is not None:
            self._right[left] = x
            self._left[x] = left
        if left is not None and right is not None:
            cuts = self._cuts.pop(left, None)
            if cuts:
                k = bisect.bisect_left(cuts, x)
                if cuts[:k]:
                    self._cuts[left] = cuts[:k]
                if cuts[k:]:
                    self._cuts[x] = cuts[k:]
                    for c in cuts[k:]:
                        self._cut_of[c] = x
        elif self._loose and (left is not None or right is not None):
            a, b = (left, x) if left is not None else (x, right)
            for c in sorted(c for c in self._loose if a < c < b):
                self._loose.discard(c)
                self._cuts.setdefault(a, []).append(c)
                self._cut_of[c] = a

    def _attach_cut(self, x: float) -> None:
        i = self._xs.bisect_left(x)
        if 0 < i < len(self._xs):
            a = self._xs[i - 1]
            bisect.insort(self._cuts.setdefault(a, []), x)
            self._cut_of[x] = a
            self._push_interval(a)
        else:
            self._loose.add(x)

    def _detach_cut(self, x: float) -> None:
        a = self._cut_of.pop(x, None)
        if a is None:
            self._loose.discard(x)
            return
        cuts = self._cuts[a]
        cuts.remove(x)
        if not cuts:
            del self._cuts[a]
        self._push_interval(a)

    def _refresh_around(self, x: float) -> None:
        """Recompute the intervals whose loss sees x's mean, and the points touching them."""
        if self.nth_neighbors == 0:  # the common case, inline
            left, right = self._left.get(x), self._right.get(x)
            for a in (left, x):
                if a is not None and a in self._right:
                    self._loss[a] = self._interval_loss(a)
                    self._push_interval(a)
            for p in (left, x, right):
                if p is not None:
                    self._refresh_point(p)
            return
        steps = self.nth_neighbors + 1
        pts = [x]
        for _ in range(steps):
            p = self._left.get(pts[0])
            if p is None:
                break
            pts.insert(0, p)
        for _ in range(steps):
            q = self._right.get(pts[-1])
            if q is None:
                break
            pts.append(q)
        for a in pts[:-1]:
            self._loss[a] = self._interval_loss(a)
            self._push_interval(a)
        for p in pts:
            self._refresh_point(p)

    # -- resampling priorities ------------------------------------------------------------

    def _min_adjacent_loss(self, x: float) -> float | None:
        loss = self._loss
        smallest = loss.get(x)
        left = self._left.get(x)
        if left is not None and (smallest is None or loss[left] < smallest):
            smallest = loss[left]
        return smallest

    def _rescale(self, error: float, min_loss: float | None) -> float:
        scaled = error / self._scale
        if min_loss is None or min_loss <= 0:
            return _INF if scaled > 0 else 0.0
        return scaled / min_loss

    def _refresh_point(self, x: float) -> None:
        """Recompute x's rescaled error and its resampling priority (pending samples count)."""
        min_loss = self._min_adjacent_loss(x)
        self._rescaled[x] = self._rescale(self._error[x], min_loss)
        error = self._err_eff.get(x)
        if error is None:
            self._prio.pop(x, None)
            return
        prio = self._rescale(error, min_loss)
        if self._prio.get(x) == prio:
            return
        self._prio[x] = prio
        _heap_push(self._rheap, self._prio, x, -1)

    def _projected_error(self, x: float) -> float | None:
        """The error x would have with its pending samples told, or None when x cannot
        usefully be resampled (non-finite mean, max_samples reached, error <= min_error)."""
        st = self._stat[x]
        if st[3] or st[4] or st[5]:
            return None
        n_eff = st[0] + len(self._pend.get(x, ()))
        if n_eff >= self._max_samples:
            return None
        if st[0] < 2:
            if n_eff >= 2:
                return None  # the spread is not known yet: wait for the pending samples
            error = _INF
        else:
            error = self._error_of(st, n_eff)
        return error if error > self._min_error else None

    def _update_projected(self, x: float) -> None:
        error = self._projected_error(x)
        if error is None:
            self._err_eff.pop(x, None)
        else:
            self._err_eff[x] = error

    def _top_priority(self) -> tuple[float, float] | None:
        return _heap_top(self._rheap, self._prio, -1)

    # -- initial samples ------------------------------------------------------------------

    def _need(self, x: float) -> int:
        return min(max(self._min_samples, self._target.get(x, 0)), self._max_samples)

    def _refresh_incomplete(self, x: float) -> None:
        told = len(self._samples.get(x, ()))
        n_eff = told + len(self._pend.get(x, ()))
        need = self._need(x)
        if n_eff == 0 or told >= need:
            self._target.pop(x, None)
        finite = told == 0 or _finite(self._means[x])
        if 0 < n_eff < need and finite:
            if self._incomplete.get(x) != n_eff:
                self._incomplete[x] = n_eff
                _heap_push(self._iheap, self._incomplete, x, 1)
        else:
            self._incomplete.pop(x, None)

    def _top_incomplete(self) -> float | None:
        top = _heap_top(self._iheap, self._incomplete, 1)
        return None if top is None else top[0]

    # -- pending samples ------------------------------------------------------------------

    def _next_seed(self, x: float) -> int:
        seed = self._low_seed.get(x, 0)
        samples, pend = self._samples.get(x, {}), self._pend.get(x, ())
        while seed in samples or seed in pend:
            seed += 1
        self._low_seed[x] = seed  # every seed below it is told or pending
        return seed

    def _add_pending(self, seed: int, x: float) -> None:
        self.pending_points.add((seed, x))
        seeds = self._pend.setdefault(x, set())
        first = not seeds
        seeds.add(seed)
        if x in self._samples:
            self._update_projected(x)
            self._refresh_point(x)
        elif first:
            self._attach_cut(x)
        self._refresh_incomplete(x)

    def _unpend(self, seed: int, x: float) -> None:
        self.pending_points.discard((seed, x))
        seeds = self._pend[x]
        seeds.discard(seed)
        if not seeds:
            del self._pend[x]
        if seed < self._low_seed.get(x, 0):
            self._low_seed[x] = seed
        if x in self._samples:
            self._update_projected(x)
            self._refresh_point(x)
        elif x not in self._pend:
            self._detach_cut(x)
            self._low_seed.pop(x, None)
        self._refresh_incomplete(x)

    # -- whole-state operations -----------------------------------------------------------

    def _told_sample(self, seed: int, x: float, y: float) -> None:
        """Add one checked, new sample and update everything it touches: O(log N)."""
        old = self._means.get(x)
        if x not in self._samples and x in self._pend:
            self._detach_cut(x)
        new = self._accumulate(seed, x, y)
        mean = self._means[x]
        if old is not None and _finite(old):
            self._fmeans.remove(old)
        if _finite(mean):
            self._fmeans.add(mean)
        if new:
            self._link(x)
        if not fits_scale(self._yrange(), self._scale_ref):
            self._rebuild()
        else:
            self._refresh_around(x)
            self._refresh_incomplete(x)

    def _rebuild(self, scale: Any = "fresh") -> None:
        """Recompute every derived structure from the samples and the pending points.

        ``scale``: the y-scale to use (None: a zero range), or "fresh" (keep the current one
        if it still fits the range, else take the range).
        """
        self._reset_derived()
        yrange = self._yrange()
        if scale == "fresh":
            scale = self._scale_ref
            if not fits_scale(yrange, scale):
                scale = yrange if yrange > 0 else None
        self._scale_ref = scale
        self._scale = 1.0 if scale is None else scale
        xs = list(self._xs)
        for a in xs[:-1]:
            self._loss[a] = self._interval_loss(a)
        for x in sorted(x for x in self._pend if x not in self._samples):
            i = bisect.bisect_left(xs, x)
            if 0 < i < len(xs):
                self._cuts.setdefault(xs[i - 1], []).append(x)
                self._cut_of[x] = xs[i - 1]
            else:
                self._loose.add(x)
        for a in xs[:-1]:
            self._push_interval(a)
        for x in xs:
            self._update_projected(x)
            self._refresh_point(x)
        for x in [*self._samples, *self._pend]:
            self._refresh_incomplete(x)

    def _complete(self) -> bool:
        lower, upper = self.bounds
        return lower in self._samples and upper in self._samples
