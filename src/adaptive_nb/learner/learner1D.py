"""Learner1D: adaptive sampling of a function of one real variable.

Data structures (n told points, k pending points)
--------------------------------------------------
================  ============================================================================
``_node``         dict x -> entry ``(-loss, x, b, y)`` for each told point x: its value y, and
                  the interval (x, b) to its right neighbour b with that interval's loss
                  (``(None, x, None, y)`` for the last point, or before the bounds are known).
                  The entry tuple is also the heap entry, so an entry in ``_heap`` is current
                  exactly when ``_node[x] is entry`` (stale ones are dropped lazily). One dict
                  for points and intervals keeps the memory near 210 bytes per point.
``data``          a read-only mapping view x -> y of ``_node`` (what users see).
``_xs``           SortedList of the told x: finds the interval that holds a new x.
``_heap``         min-heap of entries: the interval with the largest loss is on top.
``_claims``       dict a -> sorted list of the pending points inside the interval (a, b).
                  A claimed interval is taken out of the heap; its pending points cut it into
                  sub-intervals whose loss is the interval's loss times their share of its
                  width. There are at most k claims, so scanning them is cheap.
``_claim_of``     dict pending x -> a, the interval that x lies in.
================  ============================================================================

``ask(1)`` pops the top of the heap or splits the widest sub-interval of the best claim,
``tell`` replaces one interval by two (plus neighbours, for losses that look at them): both
are O(log n). A new interval's loss divides y by the range of the finite values seen so far
(``_y_scale``); when the range has grown by ``_recompute_losses_factor`` (2) since the last
full recomputation (``_loss_yrange``), all losses are recomputed, at most once per doubling,
which keeps the amortised cost O(log n) per point (a factor of 1 recomputes at every growth).
This is python-adaptive's rule, so both sample alike. The losses are saved with the data,
so a loaded learner asks exactly the points the one that saved it would have asked.

Until both bounds are known the learner asks for the bounds and then halves the widest gaps;
its loss is infinite.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from sortedcontainers import SortedList

from ._checks import (
    check_bounds,
    check_callables,
    check_shape,
    number_or_array,
    outside_bounds_error,
)
from ._pickling import learner_state, reinit_from_state
from .base_learner import BaseLearner, check_ask_count, uses_nth_neighbors
from .losses_1d import (
    abs_min_log_loss,
    curvature_loss_function,
    default_loss,
    resolution_loss_function,
    triangle_loss,
    uniform_loss,
)

__all__ = [
    "Learner1D",
    "abs_min_log_loss",
    "curvature_loss_function",
    "default_loss",
    "resolution_loss_function",
    "triangle_loss",
    "uniform_loss",
    "uses_nth_neighbors",
]

_INF = math.inf
_VECTORISED_LOSSES = (default_loss, uniform_loss)


class DataView(Mapping):
    """``learner.data``: the told points as a read-only mapping ``{x: y}``.

    It behaves like the dict adaptive has there (lookups, iteration in the order the points
    were told, ``items()``, comparison with dicts; ``dict(learner.data)`` makes a copy).
    """

    __slots__ = ("_node",)

    def __init__(self, node: dict[float, tuple]) -> None:
        self._node = node

    def __getitem__(self, x: float) -> Any:
        return self._node[x][3]

    def __contains__(self, x: object) -> bool:
        return x in self._node

    def __iter__(self) -> Iterator[float]:
        return iter(self._node)

    def __reversed__(self) -> Iterator[float]:
        return reversed(self._node)

    def __len__(self) -> int:
        return len(self._node)

    def __repr__(self) -> str:
        return repr({x: e[3] for x, e in self._node.items()})


def _is_finite(y: Any) -> bool:
    if isinstance(y, float):
        return math.isfinite(y)
    return bool(np.all(np.isfinite(y)))


class Learner1D(BaseLearner):
    """Learns a function ``f: R -> R^N`` on an interval, densest where the loss says.

    Parameters
    ----------
    function : callable
        ``function(x) -> y``, with ``y`` a number or a 1-D array of numbers (the same length
        for every x). NaN and inf values are stored; the intervals next to them are refined
        by width only.
    bounds : pair of float
        ``(lower, upper)``, finite, ``lower < upper``.
    loss_per_interval : callable, optional
        ``loss(xs, ys) -> float``; see :mod:`adaptive_nb.learner.learner1D` for the contract.
        Default :func:`default_loss`.

    Notes
    -----
    ``tell`` of an x outside the bounds (or NaN) raises ``ValueError`` and changes nothing.
    ``tell`` of an x that is already known is ignored: the first value is kept. Every
    learner of adaptive_nb follows these two rules.

    ``ask(1)`` followed by ``tell`` costs O(log n).
    """

    def __init__(
        self,
        function: Callable[[float], Any],
        bounds: tuple[float, float],
        loss_per_interval: Callable[..., float] | None = None,
    ) -> None:
        loss_per_interval = check_callables(
            function, loss_per_interval, "loss_per_interval", default_loss
        )
        self.function = function
        self.bounds = check_bounds(bounds)
        self.loss_per_interval = loss_per_interval
        self.nth_neighbors = int(getattr(loss_per_interval, "nth_neighbors", 0))
        self._recompute_losses_factor = 2
        self._x_scale = self.bounds[1] - self.bounds[0]
        self._clear()

    def _clear(self) -> None:
        self._node: dict[float, tuple[Any, float, Any, Any]] = {}
        self._data_view = DataView(self._node)
        self.pending_points: set[float] = set()
        self._xs = SortedList()
        self._heap: list[tuple[Any, float, Any, Any]] = []
        self._claims: dict[float, list[float]] = {}
        self._claim_of: dict[float, float] = {}
        self._claim_heap: list[tuple[float, float, int, int]] = []
        self._claim_version: dict[float, int] = {}
        self._dirty_claims: set[float] = set()
        self._claim_bound = 0.0  # no claim has a larger loss (while there are claims)
        self._versions = itertools.count()
        self._stuck: dict[float, tuple[Any, float, Any, Any]] = {}
        self._vshape: tuple[int, ...] | None = None
        self._ymin: Any = None
        self._ymax: Any = None
        self._loss_yrange: float | None = None  # the y-range at the last full recomputation
        self._y_scale = 1.0  # the current y-range (1 while it is 0): new losses use it
        self._complete = False
        self._cache: dict[str, Any] = {}

    def new(self) -> Learner1D:
        """An empty Learner1D with the same function, bounds and loss."""
        return Learner1D(self.function, self.bounds, self.loss_per_interval)

    # -- properties -----------------------------------------------------------------------

    @property
    def data(self) -> DataView:
        """The told points, ``{x: y}`` (a read-only mapping; ``dict(learner.data)`` copies)."""
        return self._data_view

    @property
    def npoints(self) -> int:
        """The number of points told."""
        return len(self._node)

    @property
    def vdim(self) -> int:
        """The length of the function's output (1 for scalar functions or before any data)."""
        return 1 if not self._vshape else self._vshape[0]

    @property
    def losses(self) -> dict[tuple[float, float], float]:
        """The loss of each interval between neighbouring told points."""
        return {(a, e[2]): -e[0] for a, e in self._node.items() if e[2] is not None}

    @property
    def losses_combined(self) -> dict[tuple[float, float], float]:
        """The loss of each interval between neighbouring told or pending points."""
        combined = {}
        for a, e in self._node.items():
            if e[2] is None:
                continue
            cuts = self._claims.get(a)
            if not cuts:
                combined[a, e[2]] = -e[0]
                continue
            edges = [a, *cuts, e[2]]
            for p, q in zip(edges, edges[1:]):
                combined[p, q] = -e[0] * ((q - p) / (e[2] - a))
        return combined

    @property
    def neighbors(self) -> dict[float, list[float | None]]:
        """For each told x, its told neighbours ``[left, right]`` (``None`` at the ends)."""
        xs = list(self._xs)
        padded = [None, *xs, None]
        return {x: [padded[i], padded[i + 2]] for i, x in enumerate(xs)}

    # -- input checks ---------------------------------------------------------------------

    def _check_x(self, x: Any) -> float:
        if type(x) is float and self.bounds[0] <= x <= self.bounds[1]:
            return x  # the common case, checked cheaply
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            msg = f"Learner1D points are real numbers, got {x!r}"
            raise ValueError(msg)
        x = float(x)
        lower, upper = self.bounds
        if not lower <= x <= upper:
            raise outside_bounds_error(f"x={x!r}", self.bounds, "Learner1D")
        return x

    def _check_y(self, x: float, y: Any, shape: tuple[int, ...] | None) -> Any:
        if isinstance(y, float):
            value = y
        elif y is None:
            msg = f"function({x!r}) returned None; Learner1D needs a number or a 1-D array"
            raise ValueError(msg)
        else:
            value = number_or_array(x, y)
            if not isinstance(value, float):
                if value.ndim > 1:
                    msg = (
                        f"function({x!r}) returned an array of shape {value.shape}; "
                        "Learner1D needs 1-D"
                    )
                    raise ValueError(msg)
                if value.size == 0:
                    msg = (
                        f"function({x!r}) returned an empty array; "
                        "Learner1D needs at least one value"
                    )
                    raise ValueError(msg)
        check_shape(x, value, shape)
        return value

    # -- tell -----------------------------------------------------------------------------

    def tell(self, x: Any, y: Any) -> None:
        """Record ``function(x) == y``; ignored when x is already known."""
        x = self._check_x(x)
        if x in self._node:
            return
        self._insert(x, self._check_y(x, y, self._vshape))

    def tell_many(self, xs: Iterable[Any], ys: Iterable[Any], *, force: bool = False) -> None:
        """Record many results; everything is checked before anything changes.

        Large batches (more than half the current number of points, or ``force=True``) are
        inserted in bulk and the losses rebuilt in one pass (O(n log n)).
        """
        xs, ys = list(xs), list(ys)
        if len(xs) != len(ys):
            msg = f"tell_many got {len(xs)} points but {len(ys)} values"
            raise ValueError(msg)
        shape = self._vshape
        new: dict[float, Any] = {}
        for x, y in zip(xs, ys):
            x = self._check_x(x)
            if x in self._node or x in new:
                continue
            value = self._check_y(x, y, shape)
            shape = () if isinstance(value, float) else value.shape
            new[x] = value
        if not new:
            return
        if not force and len(new) <= max(self.npoints // 2, 8):
            for x, value in new.items():
                self._insert(x, value)
            return
        self._node.update({x: (None, x, None, y) for x, y in new.items()})
        for x in new:
            self.pending_points.discard(x)
        self._xs.update(new)
        self._vshape = shape
        for value in new.values():
            self._update_range(value)
        self._complete = self.bounds[0] in self._node and self.bounds[1] in self._node
        if self._complete:
            self._rebuild()

    def _insert(self, x: float, y: Any) -> None:
        """Add one checked point, updating the intervals around it."""
        self._node[x] = (None, x, None, y)
        self.pending_points.discard(x)
        a = self._claim_of.pop(x, None)
        self._xs.add(x)
        if self._vshape is None:
            self._vshape = () if type(y) is float else y.shape
        grown = self._update_range(y)
        if not self._complete:
            if self.bounds[0] in self._node and self.bounds[1] in self._node:
                self._complete = True
                self._rebuild()
            return
        if grown:
            self._rebuild()
            return
        if a is None:
            xs = self._xs
            a = xs[xs.bisect_left(x) - 1]
        b = self._node[a][2]
        cuts = self._claims.pop(a, None)
        self._claim_version.pop(a, None)
        self._dirty_claims.discard(a)
        if (cuts is not None and len(cuts) > 1) or (cuts and cuts[0] != x):
            self._split_claim(a, x, cuts)
        if self.nth_neighbors == 0:
            node = self._node
            self._store(self._pair(a, node[a][3], x, y))
            self._store(self._pair(x, y, b, node[b][3]))
        else:
            self._update_window(x)

    def _split_claim(self, a: float, x: float, cuts: list[float]) -> None:
        """The claim on (a, b) holds ``cuts``; x splits it into claims on (a, x) and (x, b)."""
        i = bisect.bisect_left(cuts, x)
        left = cuts[:i]
        right = cuts[i + 1 :] if i < len(cuts) and cuts[i] == x else cuts[i:]
        if left:
            self._claims[a] = left
        if right:
            self._claims[x] = right
            for p in right:
                self._claim_of[p] = x

    def _update_window(self, x: float) -> None:
        """Recompute the intervals whose loss can see the new point x."""
        n = self.nth_neighbors
        xs = self._xs
        i = xs.index(x)
        first = max(i - 1 - n, 0)  # positions of the intervals to recompute
        last = min(i + n, len(xs) - 2)
        start = max(first - n, 0)
        stop = min(last + n + 2, len(xs))
        window = xs[start:stop]
        for p in range(first, last + 1):
            self._store(self._entry(window, p - start))

    def _store(self, entry: tuple[Any, float, Any, Any]) -> None:
        a = entry[1]
        self._node[a] = entry
        if self._stuck:
            self._stuck.pop(a, None)
        if a in self._claims:
            self._push_claim(a)
        else:
            heapq.heappush(self._heap, entry)

    def _pair(self, a: float, ya: Any, b: float, yb: Any) -> tuple[Any, float, Any, Any]:
        """The entry of interval (a, b) for a loss without neighbours: the common cases
        inline (the same arithmetic as ``_entry``), the rest through ``_entry``."""
        if type(ya) is float:
            sx = self._x_scale
            if ya - ya != 0.0 or yb - yb != 0.0:  # inf or NaN at an end
                return (-(b / sx - a / sx), a, b, ya)
            if self.loss_per_interval is default_loss:
                sy = self._y_scale
                return (-math.hypot(b / sx - a / sx, yb / sy - ya / sy), a, b, ya)
        return self._entry((a, b), 0)

    def _entry(self, window: Sequence[float], q: int) -> tuple[Any, float, Any, Any]:
        """The heap entry of the interval ``window[q], window[q+1]``.

        ``window`` holds ``nth_neighbors`` told points on each side of the interval, or fewer
        where it reaches an end of the domain.
        """
        a, b = window[q], window[q + 1]
        node = self._node
        sx, sy = self._x_scale, self._y_scale
        ya, yb = node[a][3], node[b][3]
        if type(ya) is float:
            if ya - ya != 0.0 or yb - yb != 0.0:  # inf or NaN at an end
                return (-(b / sx - a / sx), a, b, ya)
            if self.loss_per_interval is default_loss:  # inlined: the same arithmetic
                return (-math.hypot(b / sx - a / sx, yb / sy - ya / sy), a, b, ya)
        elif not (_is_finite(ya) and _is_finite(yb)):
            return (-(b / sx - a / sx), a, b, ya)
        n = self.nth_neighbors
        if n == 0:
            loss = self.loss_per_interval((a / sx, b / sx), (ya / sy, yb / sy))
        else:
            px: list[float | None] = []
            py: list[Any] = []
            for k in range(q - n, q + n + 2):
                if 0 <= k < len(window):
                    xk = window[k]
                    yk = node[xk][3]
                    if _is_finite(yk):
                        px.append(xk / sx)
                        py.append(yk / sy)
                        continue
                px.append(None)
                py.append(None)
            loss = self.loss_per_interval(tuple(px), tuple(py))
        loss = float(loss)
        if loss != loss:  # NaN: fall back to the width
            loss = b / sx - a / sx
        return (-loss, a, b, ya)

    def _update_range(self, y: Any) -> bool:
        """Fold y into the finite min/max; return True when all losses need recomputing."""
        if isinstance(y, float):
            if not math.isfinite(y):
                return False
            if self._ymin is None:
                self._ymin = self._ymax = y
            elif y < self._ymin:
                self._ymin = y
            elif y > self._ymax:
                self._ymax = y
            else:
                return False
        else:
            finite = np.where(np.isfinite(y), y, np.nan)
            if self._ymin is None:
                self._ymin, self._ymax = finite.copy(), finite.copy()
            else:
                self._ymin = np.fmin(self._ymin, finite)
                self._ymax = np.fmax(self._ymax, finite)
        yrange = self._yrange()
        self._y_scale = yrange if yrange > 0 else 1.0
        if self._loss_yrange is None:
            return False
        return self._needs_rescale()

    def _needs_rescale(self) -> bool:
        """Whether the y-range outgrew the one the losses were computed with."""
        yrange, used = self._yrange(), self._loss_yrange
        if used is None:
            return False
        if used <= 0:
            return yrange > 0
        return yrange > self._recompute_losses_factor * used

    def _yrange(self) -> float:
        if self._ymin is None:
            return 0.0
        if isinstance(self._ymin, float):
            return self._ymax - self._ymin
        with np.errstate(over="ignore"):
            spans = self._ymax - self._ymin
        spans = spans[~np.isnan(spans)]
        return float(spans.max()) if spans.size else 0.0

    def _rebuild(self, saved: tuple[float, Sequence[float]] | None = None) -> None:
        """Recompute every interval and claim from ``data`` and ``pending_points`` with the
        current y-range; or take ``saved = (loss_yrange, losses)`` from a saved learner."""
        self._loss_yrange = self._yrange()
        self._y_scale = self._loss_yrange if self._loss_yrange > 0 else 1.0
        xs = list(self._xs)
        if saved is not None:
            self._loss_yrange = saved[0]
            node = self._node
            entries = [(-loss, a, b, node[a][3]) for loss, a, b in zip(saved[1], xs, xs[1:])]
        elif self.loss_per_interval in _VECTORISED_LOSSES and self._vshape == ():
            entries = self._entries_vectorised(xs)
        else:
            last = len(xs) - 1
            entries = [self._entry(xs, q) for q in range(last)]
        node = self._node
        for entry in entries:  # in place: the dict keeps the order points were told in
            node[entry[1]] = entry
        if xs:
            node[xs[-1]] = (None, xs[-1], None, node[xs[-1]][3])
        self._stuck = {}
        self._claims = {}
        self._claim_of = {}
        self._claim_heap = []
        self._claim_version = {}
        self._dirty_claims = set()
        for p in sorted(self.pending_points):
            a = xs[bisect.bisect_left(xs, p) - 1]
            self._claims.setdefault(a, []).append(p)
            self._claim_of[p] = a
        for a in self._claims:
            self._push_claim(a)
        self._heap = [e for e in entries if e[1] not in self._claims]
        heapq.heapify(self._heap)

    def _entries_vectorised(self, xs: list[float]) -> list[tuple[Any, float, Any, Any]]:
        """All entries at once for the built-in losses on scalar data (same values as _entry)."""
        x = np.array(xs)
        values = [self._node[v][3] for v in xs]
        y = np.array(values)
        dx = np.diff(x / self._x_scale)
        if self.loss_per_interval is uniform_loss:
            loss = dx
        else:
            with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, at non-finite ends
                loss = np.hypot(dx, np.diff(y / self._y_scale))
        finite = np.isfinite(y)
        bad = ~(finite[:-1] & finite[1:])
        loss[bad] = dx[bad]
        loss[np.isnan(loss)] = dx[np.isnan(loss)]
        return list(zip((-loss).tolist(), xs[:-1], xs[1:], values))

    # -- pending points -------------------------------------------------------------------

    def tell_pending(self, x: Any) -> None:
        """Mark x as being evaluated; ignored when x is already known."""
        x = self._check_x(x)
        if x in self._node or x in self.pending_points:
            return
        self.pending_points.add(x)
        if self._complete:
            xs = self._xs
            a = xs[xs.bisect_left(x) - 1]
            bisect.insort(self._claims.setdefault(a, []), x)
            self._claim_of[x] = a
            self._push_claim(a)

    def _unclaim(self, x: float) -> None:
        self.pending_points.discard(x)
        a = self._claim_of.pop(x, None)
        if a is None:
            return
        cuts = self._claims[a]
        cuts.remove(x)
        if cuts:
            self._push_claim(a)
        else:
            del self._claims[a]
            self._claim_version.pop(a, None)
            self._dirty_claims.discard(a)
            heapq.heappush(self._heap, self._node[a])

    def remove_unfinished(self) -> None:
        """Forget every pending point."""
        self.pending_points.clear()
        for a in self._claims:
            heapq.heappush(self._heap, self._node[a])
        self._claims.clear()
        self._claim_of.clear()
        self._claim_heap.clear()
        self._claim_version.clear()
        self._dirty_claims.clear()

    # -- ask ------------------------------------------------------------------------------

    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[float], list[float]]:
        """Suggest up to ``n`` new points and the loss each would refine.

        See :meth:`BaseLearner.ask`. The bounds come first; after that each point halves
        the interval (or the part of it between pending points) with the largest loss.
        """
        n = check_ask_count(n)
        if n == 0:
            return [], []
        if not self._complete:
            points, gains = self._ask_until_bounds_known(n)
            if tell_pending:
                for x in points:
                    self.tell_pending(x)
            return points, gains
        points, gains = [], []
        for _ in range(n):
            x, gain = self._claim_next()
            if x is None:
                break
            points.append(x)
            gains.append(gain)
        if not tell_pending:
            for x in points:
                self._unclaim(x)
        return points, gains

    def _claim_next(self) -> tuple[float | None, float]:
        """Choose the next point, mark it pending, and return it with its loss improvement."""
        while True:
            top = self._top_unclaimed()
            best = None
            if self._claims and (top is None or -top[0] < self._claim_bound):
                best = self._best_claim()  # only when a claim could beat the top interval
                self._claim_bound = best[0] if best is not None else 0.0
            if top is None and best is None:
                return None, 0.0
            if best is None or (top is not None and -top[0] >= best[0]):
                neg_loss, a, b, _ = top
                heapq.heappop(self._heap)
                x = 0.5 * a + 0.5 * b
                if not a < x < b:  # too narrow to split in floating point
                    self._stuck[a] = top
                    continue
                self._claims[a] = [x]
                self._claim_of[x] = a
                widest = x - a if a < 0.5 * a + 0.5 * x < x else 0.0
                if b - x > widest and x < 0.5 * x + 0.5 * b < b:
                    widest = b - x
                self._push_claim(a, -neg_loss * (widest / (b - a)) if neg_loss else 0.0)
                gain = -neg_loss
            else:
                gain, a, i = best
                cuts = self._claims[a]
                p = a if i == 0 else cuts[i - 1]
                q = self._node[a][2] if i == len(cuts) else cuts[i]
                x = 0.5 * p + 0.5 * q
                cuts.insert(i, x)
                self._claim_of[x] = a
                self._push_claim(a, gain)  # its pieces only got smaller
            self.pending_points.add(x)
            return x, gain

    def _top_unclaimed(self) -> tuple[float, float, float] | None:
        heap, intervals, claims = self._heap, self._node, self._claims
        while heap:
            entry = heap[0]
            a = entry[1]
            if intervals.get(a) is entry and a not in claims:
                return entry
            heapq.heappop(heap)
        return None

    def _best_claim(self) -> tuple[float, float, int] | None:
        """The claimed sub-interval with the largest loss that can still be halved.

        Returns ``(loss, a, i)``: the i-th sub-interval of the claim on interval a.
        Claims changed since the last call are (re)entered in the claim heap first.
        """
        heap, versions, claims = self._claim_heap, self._claim_version, self._claims
        for a in self._dirty_claims:
            if a in claims:
                self._enter_claim(a)
        self._dirty_claims.clear()
        if len(heap) > 2 * len(claims) + 32:  # drop the entries of changed or gone claims
            heap[:] = [e for e in heap if versions.get(e[1]) == e[2]]
            heapq.heapify(heap)
        while heap:
            neg_loss, a, version, i = heap[0]
            if versions.get(a) == version:
                return -neg_loss, a, i
            heapq.heappop(heap)
        return None

    def _push_claim(self, a: float, bound: float = _INF) -> None:
        """Note that the claim on interval a changed (it is re-entered when next needed);
        ``bound``: no piece of it has a larger loss now."""
        self._dirty_claims.add(a)
        if bound > self._claim_bound:
            self._claim_bound = bound

    def _enter_claim(self, a: float) -> None:
        """(Re)enter the claim on interval a in the claim heap, by its widest sub-interval."""
        neg_loss, _, b, _ = self._node[a]
        cuts = self._claims[a]
        widest, where = 0.0, -1
        p = a
        for i, q in enumerate((*cuts, b)):
            if q - p > widest and p < 0.5 * p + 0.5 * q < q:
                widest, where = q - p, i
            p = q
        version = next(self._versions)
        self._claim_version[a] = version
        if where >= 0:
            loss = -neg_loss * (widest / (b - a)) if neg_loss else 0.0
            # ties go to the leftmost interval (as in the heap of unclaimed intervals), never
            # to the oldest entry: the choice must not depend on the history of the claims
            heapq.heappush(self._claim_heap, (-loss, a, version, where))

    def _ask_until_bounds_known(self, n: int) -> tuple[list[float], list[float]]:
        """Before both bounds are known: the missing bounds, then halve the widest gaps."""
        points: list[float] = []
        for bound in self.bounds:
            if len(points) < n and bound not in self._node and bound not in self.pending_points:
                points.append(bound)
        edges = sorted({*self._xs, *self.pending_points, *self.bounds})
        gaps = [(-(q - p), p, q) for p, q in zip(edges, edges[1:])]
        heapq.heapify(gaps)
        while len(points) < n and gaps:
            _, p, q = heapq.heappop(gaps)
            x = 0.5 * p + 0.5 * q
            if not p < x < q:
                continue
            points.append(x)
            heapq.heappush(gaps, (-(x - p), p, x))
            heapq.heappush(gaps, (-(q - x), x, q))
        return points, [_INF] * len(points)

    # -- loss -----------------------------------------------------------------------------

    def loss(self, real: bool = True) -> float:
        """The largest interval loss; ``inf`` until both bounds are known.

        With ``real=False``, intervals cut by pending points count as the pieces they are cut into.
        """
        if not self._complete:
            value = _INF
        else:
            top = self._top_unclaimed()
            value = -top[0] if top is not None else 0.0
            for a, e in self._stuck.items():
                if self._node.get(a) is e:
                    value = max(value, -e[0])
            for a, cuts in self._claims.items():
                neg_loss, _, b, _ = self._node[a]
                if real:
                    value = max(value, -neg_loss)
                elif neg_loss:
                    edges = [a, *cuts, b]
                    widest = max(q - p for p, q in zip(edges, edges[1:]))
                    # the share first: a share <= 1 never rounds the piece above the whole
                    value = max(value, -neg_loss * (widest / (b - a)))
        self._cache["loss"] = value
        return value

    # -- data in other shapes -------------------------------------------------------------

    def to_numpy(self) -> np.ndarray:
        """The data sorted by x, as an array of shape ``(npoints, 1 + vdim)``."""
        xs = list(self._xs)
        if not xs:
            return np.empty((0, 1 + self.vdim))
        ys = np.array([self._node[x][3] for x in xs], dtype=float).reshape(len(xs), -1)
        return np.column_stack([np.array(xs), ys])

    def _sorted_losses(self) -> list[float]:
        """The interval losses in the order of x (for saving and copying)."""
        return [-self._node[a][0] for a in self._xs.islice(0, len(self._xs) - 1)]

    def _get_data(self) -> dict[float, Any]:
        return {x: entry[3] for x, entry in self._node.items()}

    def copy_from(self, other: BaseLearner) -> None:
        """Add all the data of ``other``; an empty learner then has the same losses too."""
        was_empty = not self._node
        super().copy_from(other)
        if was_empty and other._loss_yrange is not None:
            self._restore_losses(other._loss_yrange, other._sorted_losses())

    def _set_data(self, data: dict[float, Any]) -> None:
        if not isinstance(data, dict):
            msg = f"Learner1D data is a dict {{x: y}}, got {type(data).__name__}"
            raise ValueError(msg)
        self.tell_many(list(data), list(data.values()))

    def _to_arrays(self) -> dict[str, np.ndarray]:
        table = self.to_numpy()
        y = table[:, 1] if self._vshape in (None, ()) else table[:, 1:]
        scale = np.array([self._loss_yrange if self._loss_yrange is not None else np.nan])
        losses = np.array(self._sorted_losses() if self._complete else [])
        return {"x": table[:, 0], "y": y, "loss_yrange": scale, "losses": losses}

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        x, y = arrays.get("x"), arrays.get("y")
        if x is None or y is None or x.ndim != 1 or y.ndim not in (1, 2) or len(x) != len(y):
            shapes = {k: getattr(v, "shape", None) for k, v in arrays.items()}
            msg = f"expected arrays x (n,) and y (n,) or (n, k), got {shapes}"
            raise ValueError(msg)
        ys = y.tolist() if y.ndim == 1 else list(y)
        was_empty = not self._node
        self.tell_many(x.tolist(), ys)
        scale, losses = arrays.get("loss_yrange"), arrays.get("losses")
        if was_empty and scale is not None and losses is not None and scale.shape == (1,):
            self._restore_losses(float(scale[0]), losses.tolist())

    def _restore_losses(self, loss_yrange: float, losses: list[float]) -> None:
        """Take the interval losses of the learner that saved this data (so that this one
        asks exactly the same points), when they fit it; otherwise keep the fresh ones."""
        fits = (
            self._complete
            and len(losses) == len(self._node) - 1
            and 0 <= loss_yrange <= self._yrange()
            and all(loss == loss and loss >= 0 for loss in losses)  # no NaN, none negative
        )
        if fits:
            self._rebuild((loss_yrange, losses))
            if self._needs_rescale():  # not consistent with this data after all
                self._rebuild()

    def to_dataframe(
        self,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        x_name: str = "x",
        y_name: str = "y",
    ) -> Any:
        """The data as a pandas DataFrame with columns ``x_name`` and ``y_name``."""
        from ..dataframes import learner_frame

        xs = list(self._xs)
        columns = {x_name: xs, y_name: [self._node[x][3] for x in xs]}
        return learner_frame(
            self, columns, [x_name], y_name, with_default_function_args, function_prefix
        )

    def load_dataframe(
        self,
        df: Any,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        x_name: str = "x",
        y_name: str = "y",
    ) -> None:
        """Add the data of a DataFrame made by :meth:`to_dataframe`."""
        from ..dataframes import bind_function_args

        self.tell_many(df[x_name].tolist(), df[y_name].tolist())
        if with_default_function_args:
            bind_function_args(self, df, function_prefix)

    def plot(self, *, scatter_or_line: str = "scatter") -> Any:
        """A HoloViews ``Overlay`` of the data, one element per output component."""
        from ..plotting.learner1d import plot_learner1d

        return plot_learner1d(self, scatter_or_line=scatter_or_line)

    # -- pickling and checks --------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        return learner_state(
            self,
            "loss_per_interval",
            data=self._get_data(),
            loss_yrange=self._loss_yrange,
            losses=self._sorted_losses() if self._complete else None,
            recompute_losses_factor=self._recompute_losses_factor,
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        reinit_from_state(self, state, "loss_per_interval")
        self._recompute_losses_factor = state["recompute_losses_factor"]
        self._set_data(state["data"])
        if state.get("losses") is not None:
            self._restore_losses(state["loss_yrange"], state["losses"])
        for x in state["pending_points"]:
            self.tell_pending(x)

    def _check_loss(self, xs: list[float], i: int, entry: tuple) -> None:
        """An interval's loss was made with a y-scale between the one of the last full
        recomputation and the current one: equal to a fresh loss when those agree, else
        (for the losses that shrink as the scale grows) between the two fresh losses."""
        current = self._y_scale
        fresh_now = -self._entry(xs, i)[0]
        self._y_scale = self._loss_yrange if self._loss_yrange > 0 else 1.0
        try:
            fresh_then = -self._entry(xs, i)[0]
        finally:
            self._y_scale = current
        low, high = sorted((fresh_now, fresh_then))
        loss = -entry[0]
        # an interval a few floats wide: its losses are rounding noise (dx near 1e-15)
        tol = 1e-9 if entry[2] - entry[1] > 1e-9 * (self.bounds[1] - self.bounds[0]) else 1.0
        # losses below 1e-9 (e.g. the area of three nearly collinear points) are rounding
        # noise whose value depends on the y-scale they were computed with
        close = math.isclose(loss, low, rel_tol=tol, abs_tol=1e-9) or math.isclose(
            loss, high, rel_tol=tol, abs_tol=1e-9
        )
        assert close or low <= loss <= high, (
            f"stale loss for ({entry[1]}, {entry[2]}): {loss} not in [{low}, {high}]"
        )

    def _check(self) -> None:
        """Assert every internal invariant; the tests call this after each step."""
        xs = list(self._xs)
        node = self._node
        assert xs == sorted(node), "_xs differs from data"
        assert all(e[1] == x for x, e in node.items()), "an entry is filed under another x"
        assert not (self.pending_points & node.keys()), "a point is both told and pending"
        lower, upper = self.bounds
        assert all(lower <= x <= upper for x in self.pending_points)
        assert self._complete == (lower in node and upper in node)
        intervals = {x for x, e in node.items() if e[2] is not None}
        if not self._complete:
            assert not intervals and not self._claims and not self._claim_of
            return
        assert intervals == set(xs[:-1]), "intervals do not match the points"
        in_heap = {id(e) for e in self._heap}
        for i, (a, b) in enumerate(zip(xs, xs[1:])):
            entry = node[a]
            assert entry[2] == b, f"interval at {a} ends at {entry[2]}, not at {b}"
            self._check_loss(xs, i, entry)
            if a not in self._claims:
                assert id(entry) in in_heap or self._stuck.get(a) is entry, (
                    f"interval ({a}, {b}) is lost"
                )
        claimed = [p for cuts in self._claims.values() for p in cuts]
        assert sorted(claimed) == sorted(self.pending_points), "claims differ from pending points"
        for a, cuts in self._claims.items():
            b = node[a][2]
            assert cuts == sorted(cuts) and cuts, f"claim on {a} is empty or unsorted"
            assert all(a < p < b for p in cuts), f"claim on ({a}, {b}) holds a point outside it"
            assert all(self._claim_of[p] == a for p in cuts)
        assert len(self._claim_of) == len(self.pending_points)
        assert set(self._claim_version) <= set(self._claims), "claim heap out of step"
        assert set(self._claims) <= set(self._claim_version) | self._dirty_claims
        assert not self._needs_rescale(), "losses use an outdated y-scale"
        assert self._loss_yrange <= self._yrange(), "the y-scale is larger than the range"
