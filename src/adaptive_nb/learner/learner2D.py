"""Learner2D: adaptive sampling of a function of two real variables.

Learner2D data structures (n told or pending points)
----------------------------------------------------
============  ===============================================================================
``_tri``      an incremental Delaunay triangulation (:mod:`._delaunay2d`) of the bounds' four
              corners and every told or pending point, in scaled coordinates (the bounds
              mapped to a rectangle of width 1 centred at 0, height ``aspect_ratio``).
``_vid``      dict point -> vertex id; ``_vpoint[v]`` is the point of vertex v. A told or
              pending point so close to a vertex or an edge that a new triangle would be
              thinner than 5e-13 of its side (only possible for points given by the user)
              is kept in ``data`` but not made a vertex (``_orphans``).
``_zs``       vertex values: the told value (a float, or a tuple for vector output), for a
              pending point the linear interpolation at the time it was asked, None while
              unknown or when not finite.
``_g``        for the built-in losses that need them, the gradient fitted at each vertex.
``_loss``     the loss of each triangle; ``_ver[t]`` counts its changes.
``_heap``     entries ``(-loss, -area, key, t, version)``: the triangle with the largest loss
              (then the largest area) is on top; ties between equal triangles are broken by
              ``key``, a hash of the triangle's centre, so that they are refined all over the
              domain rather than in the order they were made. Stale entries (old version) are
              dropped lazily.
============  ===============================================================================

``ask(1)`` pops the top triangle, picks a point in it (its centre, or the middle of its longest
side when it is thin: :func:`choose_point_in_triangle`), adds the point as a pending vertex and
updates the losses around it. ``tell`` sets the value of the vertex and updates the losses
around it again. With the built-in losses only the triangles whose loss can change are
recomputed (about 20 per point: those touching the new vertex or its neighbours, whose fitted
gradients change), so ``ask`` + ``tell`` costs O(log n).

Adding a pending point updates only the triangles around it, with losses capped at the loss
of the triangle it was put in (so asking never raises the loss); its value, when told, updates
the neighbourhood. ``loss()`` counts each pending point with that loss of its triangle.

Values are divided by their range rounded down to a power of two (so the losses depend only on
the triangulation and the values, and a loaded learner asks what the saved one would have
asked); when that grows, every loss is recomputed (at most once per doubling).

Any other loss function (python-adaptive's ``loss(ip)`` contract) is called on the whole
triangulation once every ``stack_size`` points (at the start of an ``ask`` or in ``loss()``);
in between, a new triangle gets the loss of the triangle it was cut from times its share of
that triangle's area. That costs about what python-adaptive pays for every loss.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from . import _learner2d_support as support
from ._checks import check_callables
from ._delaunay2d import DegeneratePointError, Triangulation
from ._kernels_2d import LocalKernels, choose_point, local_kind
from ._kernels_2d import spread as _spread
from ._learner2d_io import Learner2DData
from ._learner2d_losses import Learner2DLosses
from .base_learner import BaseLearner, check_ask_count
from .losses_2d import (
    MAX_BADNESS,
    areas,
    choose_point_in_triangle,
    default_loss,
    deviations,
    minimize_triangle_surface_loss,
    resolution_loss_function,
    thresholded_loss_function,
    triangle_loss,
    uniform_loss,
)

__all__ = [
    "Learner2D",
    "areas",
    "choose_point_in_triangle",
    "default_loss",
    "deviations",
    "minimize_triangle_surface_loss",
    "resolution_loss_function",
    "thresholded_loss_function",
    "triangle_loss",
    "uniform_loss",
]

_INF = math.inf


class Learner2D(Learner2DData, Learner2DLosses, LocalKernels, BaseLearner):
    """Learns a function ``f: R^2 -> R^N`` on a rectangle, densest where the loss says.

    Parameters
    ----------
    function : callable
        ``function((x, y)) -> z``, with ``z`` a number or a 1-D array (the same length for
        every point). NaN, inf and None values are stored (None as NaN); the triangles that
        touch them are refined by size only, so the loss stays finite.
    bounds : pair of pairs of float
        ``((xmin, xmax), (ymin, ymax))``, finite, each min below its max.
    loss_per_triangle : callable, optional
        ``loss(ip) -> ndarray[ntriangles]`` (see :mod:`adaptive_nb.learner.losses_2d`).
        Default :func:`default_loss`.

    Attributes
    ----------
    stack_size : int
        How many points a custom loss function is trusted for before it is called again on
        the whole triangulation (10). Not used by the built-in losses.
    aspect_ratio : float
        The height of the scaled domain over its width (1); changing it rebuilds the
        triangulation.

    Notes
    -----
    ``tell`` of a point outside the bounds raises ``ValueError`` and changes nothing; ``tell``
    of a known point is ignored (the first value is kept), as in every adaptive_nb learner.
    """

    def __init__(
        self,
        function: Callable[[tuple[float, float]], Any],
        bounds: Any,
        loss_per_triangle: Callable[[Any], Any] | None = None,
    ) -> None:
        loss_per_triangle = check_callables(
            function, loss_per_triangle, "loss_per_triangle", default_loss
        )
        self.function = function
        self.bounds = support.check_bounds_2d(bounds)
        self.loss_per_triangle = loss_per_triangle
        self.ndim = 2
        (x0, x1), (y0, y1) = self.bounds
        self.xy_mean = np.array([0.5 * x0 + 0.5 * x1, 0.5 * y0 + 0.5 * y1])
        self._stack_size = 10
        self._aspect_ratio = 1.0
        kind = local_kind(loss_per_triangle)
        self._kind = kind if kind is not None else ("user",)
        self._data: dict[tuple[float, float], Any] = {}
        self._data_view = MappingProxyType(self._data)
        self._vshape: tuple[int, ...] | None = None
        self._zmin: list[float] | None = None
        self._zmax: list[float] | None = None
        self._cache: dict[str, Any] = {}
        self._reset_geometry()

    def _reset_geometry(self) -> None:
        """Empty triangulation (four unknown corners); the data is re-added by the caller."""
        (x0, x1), (y0, y1) = self.bounds
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        sx0, sy0 = self._scale(corners[0])
        sx1, sy1 = self._scale(corners[2])
        self._tri = Triangulation(sx0, sx1, sy0, sy1)
        self._vpoint = corners
        self._vid = {p: i for i, p in enumerate(corners)}
        self._orphans: set[tuple[float, float]] = set()  # points too close to a vertex
        self._zs: list[Any] = [None] * 4
        self._told = [False] * 4
        self._g: list[Any] = [None] * 4
        self.pending_points: set[tuple[float, float]] = set()
        self._pending_loss: dict[tuple[float, float], float] = {}
        self._loss = [_INF, _INF]
        self._ver = [0, 0]
        self._heap: list[tuple[float, float, int, int]] = []
        self._stuck: dict[int, int] = {}
        self._since_eval = _INF  # points since the custom loss was last called
        self._vdim = 1 if not self._vshape else self._vshape[0]
        self._set_scale()
        self._bounds_done = False
        for t in range(2):
            self._set_loss(t)

    def new(self) -> Learner2D:
        """An empty Learner2D with the same function, bounds, loss and tunables."""
        learner = Learner2D(self.function, self.bounds, self.loss_per_triangle)
        learner.stack_size = self.stack_size
        learner.aspect_ratio = self.aspect_ratio
        return learner

    # -- properties -----------------------------------------------------------------------

    @property
    def data(self) -> Mapping[tuple[float, float], Any]:
        """The told points, ``{(x, y): z}`` in the order told (read-only; ``dict()`` copies)."""
        return self._data_view

    @property
    def npoints(self) -> int:
        """The number of points told."""
        return len(self._data)

    @property
    def vdim(self) -> int:
        """The length of the function's output (1 for scalar functions or before any data)."""
        return 1 if not self._vshape else self._vshape[0]

    @property
    def bounds_are_done(self) -> bool:
        """Whether the four corners of the bounds are told."""
        return self._bounds_done

    @property
    def xy_scale(self) -> np.ndarray:
        """The size of the domain in x and y divided by the scaled size (1, aspect_ratio)."""
        (x0, x1), (y0, y1) = self.bounds
        return np.array([x1 - x0, (y1 - y0) / self._aspect_ratio])

    @property
    def stack_size(self) -> int:
        """Points between two calls of a custom loss function on the whole triangulation."""
        return self._stack_size

    @stack_size.setter
    def stack_size(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            msg = f"stack_size must be a whole number >= 1, got {value!r}"
            raise ValueError(msg)
        self._stack_size = value

    @property
    def aspect_ratio(self) -> float:
        """The height over the width of the scaled domain the losses are computed on."""
        return self._aspect_ratio

    @aspect_ratio.setter
    def aspect_ratio(self, value: float) -> None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not (0 < value < _INF):
            msg = f"aspect_ratio must be a finite number > 0, got {value!r}"
            raise ValueError(msg)
        if float(value) != self._aspect_ratio:
            self._aspect_ratio = float(value)
            self._rebuild()

    def _scale(self, point: tuple[float, float]) -> tuple[float, float]:
        (x0, x1), (y0, y1) = self.bounds
        mx, my = 0.5 * x0 + 0.5 * x1, 0.5 * y0 + 0.5 * y1  # Python floats: fast arithmetic
        return (point[0] - mx) / (x1 - x0), (point[1] - my) * self._aspect_ratio / (y1 - y0)

    def _unscale(self, sx: float, sy: float) -> tuple[float, float]:
        (x0, x1), (y0, y1) = self.bounds
        mx, my = 0.5 * x0 + 0.5 * x1, 0.5 * y0 + 0.5 * y1
        x = float(min(max(sx * (x1 - x0) + mx, x0), x1))
        y = float(min(max(sy * (y1 - y0) / self._aspect_ratio + my, y0), y1))
        return x, y

    # -- values and their scale -----------------------------------------------------------

    def _internal(self, value: Any) -> Any:
        """A stored value as the kernels see it: float, tuple, or None if not finite."""
        if value is None:
            return None
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if not np.isfinite(value).all():
            return None
        return tuple(value.tolist())

    def _note_range(self, z: Any) -> bool:
        """Fold a finite internal value into the range; True when the value scale changed."""
        if z is None:
            return False
        comps = (z,) if self._vdim == 1 else z
        if self._zmin is None:
            self._zmin, self._zmax = list(comps), list(comps)
        else:
            for k, c in enumerate(comps):
                if c < self._zmin[k]:
                    self._zmin[k] = c
                elif c > self._zmax[k]:
                    self._zmax[k] = c
        return self._set_scale()

    def _set_scale(self) -> bool:
        span = 0.0
        if self._zmin is not None:
            span = max(hi - lo for lo, hi in zip(self._zmin, self._zmax))
        scale = 2.0 ** math.floor(math.log2(span)) if 0 < span < _INF else 1.0
        changed = getattr(self, "_zscale", None) != scale
        self._zscale = scale
        self._inv = 1.0 / scale
        return changed

    # -- ask --------------------------------------------------------------------------------

    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[Any], list[float]]:
        """Choose ``n`` new points: the unknown corners first, then points inside the
        triangles with the largest losses.

        With ``tell_pending=False`` the learner is unchanged, and the points are taken from
        the ``n`` triangles with the largest losses as they are now.
        """
        n = check_ask_count(n)
        if not tell_pending:
            return self._peek(n)
        self._refresh_user_loss()
        points, gains = [], []
        for _ in range(n):
            point, gain = self._ask_one()
            if point is None:
                break
            points.append(point)
            gains.append(gain)
        return points, gains

    def _refresh_user_loss(self) -> None:
        """Call a custom loss on the whole triangulation when ``stack_size`` points were added
        since the last call (at the start of ``ask`` and in ``loss``, never in the middle of
        an ``ask``, so that the losses ``ask`` returns never exceed ``loss()``)."""
        if self._kind[0] == "user" and self._bounds_done and self._since_eval >= self._stack_size:
            self._evaluate_user_loss()

    def _free_corners(self) -> list[tuple[float, float]]:
        return [
            p
            for v, p in enumerate(self._vpoint[:4])
            if not self._told[v] and p not in self.pending_points
        ]

    def _ask_one(self) -> tuple[Any, float]:
        corners = self._free_corners()
        if corners:
            self.pending_points.add(corners[0])
            self._pending_loss[corners[0]] = _INF
            return corners[0], _INF
        while True:
            t = self._top()
            if t is None:
                return None, 0.0
            entry = heapq.heappop(self._heap)
            point, where = self._point_in(t)
            if point is None:
                self._stuck[t] = entry[4]
                continue
            loss = self._loss[t]
            try:
                v = self._add_vertex(point, where, None)
            except DegeneratePointError:
                self._stuck[t] = entry[4]
                continue
            gain = loss if self._bounds_done else _INF
            self.pending_points.add(point)
            self._pending_loss[point] = gain
            self._after_change(v, (loss, -entry[1]), False)
            if self._ver[t] == entry[4]:  # rounding put the point in a neighbour of t
                heapq.heappush(self._heap, entry)
            return point, gain

    def _top(self) -> int | None:
        heap, ver = self._heap, self._ver
        while heap:
            entry = heap[0]
            if ver[entry[3]] == entry[4]:
                return entry[3]
            heapq.heappop(heap)
        return None

    def _point_in(self, t: int) -> tuple[Any, tuple[int, int] | None]:
        """The new point for triangle t, and where it lies (or None when t is too small)."""
        tri = self._tri
        vs = tri.tv[t]
        triangle = [(tri.px[v], tri.py[v]) for v in vs]
        sx, sy, j = choose_point(triangle, MAX_BADNESS)
        point = self._unscale(sx, sy)
        if point in self._vid or point in self._orphans:
            return None, None
        if j >= 0:  # the middle of a side: split that side even if rounding moved it a bit
            return point, (t, j)
        px, py = self._scale(point)
        try:
            where = tri.locate(px, py, t)
        except DegeneratePointError:
            return None, None
        return point, where

    def _peek(self, n: int) -> tuple[list[Any], list[float]]:
        """The next points without changing anything.

        Takes the triangles with the largest losses from the heap (and puts them back); a
        triangle that gave a point is replaced by its pieces, which get its loss times their
        share of its area, so that more points than triangles can be suggested.
        """
        points: list[Any] = self._free_corners()[:n]
        gains = [_INF] * len(points)
        popped = []
        pieces: list[tuple[float, float, float, Any]] = []
        seen = set(points)
        tri = self._tri
        while len(points) < n:
            t = self._top()
            if t is not None and (not pieces or self._heap[0][:2] <= pieces[0][:2]):
                entry = heapq.heappop(self._heap)
                popped.append(entry)
                loss, corners = self._loss[t], [(tri.px[v], tri.py[v]) for v in tri.tv[t]]
            elif pieces:
                neg_loss, _, _, corners = heapq.heappop(pieces)
                loss = -neg_loss
            else:
                break
            sx, sy, _ = choose_point(corners, MAX_BADNESS)
            point = self._unscale(sx, sy)
            if point in seen or point in self._vid or point in self._orphans:
                continue
            seen.add(point)
            points.append(point)
            gains.append(loss if self._bounds_done else _INF)
            (ax, ay), (bx, by), (cx, cy) = corners
            area = 0.5 * ((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))
            for p, q in (
                (corners[0], corners[1]),
                (corners[1], corners[2]),
                (corners[2], corners[0]),
            ):
                part = 0.5 * ((q[0] - p[0]) * (sy - p[1]) - (q[1] - p[1]) * (sx - p[0]))
                if part > 0 and area > 0:
                    key = _spread((p[0] + q[0] + sx, p[1] + q[1] + sy))
                    heapq.heappush(pieces, (-loss * part / area, -part, key, [p, q, (sx, sy)]))
        for entry in popped:
            heapq.heappush(self._heap, entry)
        return points, gains

    # -- tell -------------------------------------------------------------------------------

    def _add_vertex(self, point: tuple[float, float], where: Any, z: Any) -> int:
        """Insert ``point`` (scaled) as a vertex with internal value z (interpolated when
        None is given for a pending point: pass ``where`` from ``locate``)."""
        tri = self._tri
        sx, sy = self._scale(point)
        if where is None:
            where = tri.locate(sx, sy)
        t, j = where
        if z is None:
            z = self._interpolate(t, sx, sy)
        self._parent = (self._loss[t] if t < len(self._loss) else _INF, tri.area(t))
        v = tri.insert_at(sx, sy, t, j)
        self._vid[point] = v
        self._vpoint.append(point)
        self._zs.append(z)
        self._told.append(False)
        self._g.append(None)
        return v

    def _interpolate(self, t: int, sx: float, sy: float) -> Any:
        """The linear interpolation of the vertex values of triangle t at (sx, sy)."""
        tri = self._tri
        a, b, c = tri.tv[t]
        za, zb, zc = self._zs[a], self._zs[b], self._zs[c]
        if za is None or zb is None or zc is None:
            return None
        px, py = tri.px, tri.py
        det = (px[b] - px[a]) * (py[c] - py[a]) - (py[b] - py[a]) * (px[c] - px[a])
        wb = ((sx - px[a]) * (py[c] - py[a]) - (sy - py[a]) * (px[c] - px[a])) / det
        wc = ((px[b] - px[a]) * (sy - py[a]) - (py[b] - py[a]) * (sx - px[a])) / det
        wa = 1.0 - wb - wc
        if self._vdim == 1:
            return wa * za + wb * zb + wc * zc
        return tuple(wa * p + wb * q + wc * r for p, q, r in zip(za, zb, zc))

    def tell(self, point: Any, value: Any) -> None:
        """Record ``function(point) == value``; ignored when the point is already known."""
        point = support.check_point(point, self.bounds)
        if point in self._data:
            return
        stored = support.check_value(point, value, self._vshape)
        self._settle(point, self._store(point, stored))

    def _store(self, point: tuple[float, float], stored: Any) -> tuple[float, float] | None:
        """Put a checked value in ``data`` and in the vertex (inserting it if needed); return
        (loss, area) of the triangle it was inserted in, None if it was a vertex already."""
        if stored is None:
            stored = np.full(self._vshape, np.nan) if self._vshape else math.nan
        elif self._vshape is None:
            self._vshape = () if isinstance(stored, float) else stored.shape
            self._vdim = 1 if not self._vshape else self._vshape[0]
        self._data[point] = stored
        self.pending_points.discard(point)
        self._pending_loss.pop(point, None)
        z = self._internal(stored)
        v = self._vid.get(point)
        parent = None
        if v is None and point not in self._orphans:
            try:
                v = self._add_vertex(point, None, z)
                parent = self._parent
            except DegeneratePointError:  # too close to a vertex to triangulate
                self._orphans.add(point)
        if v is not None:
            self._zs[v] = z
            self._told[v] = True
        return parent

    def _settle(self, point: tuple[float, float], parent: tuple[float, float] | None) -> None:
        """Update the losses after ``point`` was stored by ``_store``."""
        v = self._vid.get(point)
        rescale = self._note_range(self._internal(self._data[point]))
        done = all(self._told[:4])
        if done and not self._bounds_done:
            self._bounds_done = True
            rescale = True
        if rescale:
            self._recompute_all()
        elif v is not None:
            self._after_change(v, parent, True)

    def tell_many(self, xs: Iterable[Any], ys: Iterable[Any]) -> None:
        """Record many results; everything is checked before anything changes.

        Large batches (more than half the current number of points) are inserted in one
        pass and the losses recomputed once.
        """
        xs, ys = list(xs), list(ys)
        if len(xs) != len(ys):
            msg = f"tell_many got {len(xs)} points but {len(ys)} values"
            raise ValueError(msg)
        shape = self._vshape
        new: dict[tuple[float, float], Any] = {}
        for x, y in zip(xs, ys):
            point = support.check_point(x, self.bounds)
            if point in self._data or point in new:
                continue
            value = support.check_value(point, y, shape)
            if value is not None and shape is None:
                shape = () if isinstance(value, float) else value.shape
            new[point] = value
        if len(new) <= max(self.npoints // 2, 8):
            for point, value in new.items():
                self._settle(point, self._store(point, value))
            return
        fresh = [p for p in new if p not in self._vid and p not in self._orphans]
        order = support.snake_order(np.array(fresh).reshape(-1, 2)) if fresh else []
        for i in order:
            try:
                self._add_vertex(fresh[i], None, None)
            except DegeneratePointError:
                self._orphans.add(fresh[i])
        for point, value in new.items():
            self._store(point, value)
            self._note_range(self._internal(self._data[point]))
        self._bounds_done = all(self._told[:4])
        self._set_scale()
        self._recompute_all()

    def tell_pending(self, point: Any) -> None:
        """Mark ``point`` as being evaluated, so that ``ask`` does not suggest it again."""
        point = support.check_point(point, self.bounds)
        if point in self._data or point in self.pending_points:
            return
        gain = _INF
        if point not in self._vid and point not in self._orphans:
            try:
                v = self._add_vertex(point, None, None)
            except DegeneratePointError:  # too close to a vertex to triangulate
                self._orphans.add(point)
                v = None
            if v is not None:
                parent = self._parent
                self._after_change(v, parent, False)
                if self._bounds_done:
                    gain = parent[0]
        self.pending_points.add(point)
        self._pending_loss[point] = gain

    def remove_unfinished(self) -> None:
        """Forget every pending point (the triangulation is rebuilt from the told points)."""
        if self.pending_points:
            self._rebuild()

    def _rebuild(self) -> None:
        """Rebuild the triangulation and the losses from ``data`` (drops pending points)."""
        data = dict(self._data)
        self._data.clear()
        self._zmin = self._zmax = None
        self._zscale = None
        self._reset_geometry()
        if data:
            self.tell_many(list(data), list(data.values()))  # large batch: one pass
            self._data.clear()
            self._data.update(data)  # keep the order the points were told in

    # -- loss -------------------------------------------------------------------------------

    def loss(self, real: bool = True) -> float:
        """The largest triangle loss; ``inf`` until the four corners are told.

        With ``real=True`` each pending point counts with the loss of the triangle it was
        put in (the loss it is expected to reduce), so pending points never make the loss
        look smaller than the told data justify.
        """
        if not self._bounds_done:
            value = _INF
        else:
            self._refresh_user_loss()
            t = self._top()
            value = self._loss[t] if t is not None else 0.0
            for t, version in self._stuck.items():
                if self._ver[t] == version:
                    value = max(value, self._loss[t])
            if real and self._pending_loss:
                value = max(value, max(self._pending_loss.values()))
        self._cache["loss"] = value
        return value
