"""LearnerND: adaptive sampling of a function of several real variables on a box or hull.

LearnerND data structures (n told points, k pending points)
-----------------------------------------------------------
====================  =====================================================================
``data``              dict point (tuple of floats) -> value, in the order told.
``_tri``              a :class:`~adaptive_nb.learner.triangulation.Triangulation` of the told
                      points (built once every corner of the bounds is known; ``None`` before).
``_vals``             the value of each vertex of ``_tri`` (a list parallel to its vertices).
``_losses``           simplex -> loss, computed with the values divided by ``_loss_range``,
                      the range of the values at the last full recomputation. All losses are
                      recomputed when the range grows by ``_recompute_losses_factor`` (2), at
                      most once per doubling, so a tell costs O(1) amortised.
``_prio``             simplex -> priority for ``ask``: its loss, times the share of its
                      volume held by its largest piece when pending points cut it.
``_subtri``           simplex -> a small Triangulation of its corners and the pending points
                      inside it (only for simplices that hold pending points).
``_pending_in``       pending point -> the simplices that hold it (several when it lies on a
                      face).
``_heap``             max-heaps of ``(-priority, simplex)`` and (``_loss_heap``)
                      ``(-loss, simplex)`` with lazy invalidation: an entry counts only
                      while it matches the dicts. Ties go to the smallest simplex tuple, so
                      the choice never depends on the history of the heap.
====================  =====================================================================

``ask(1)`` pops the simplex with the largest priority and splits it (or its largest piece)
at its circumcenter or the middle of its longest edge: O(log n). ``tell`` inserts the point
with one Bowyer-Watson step started from the simplex the point was asked in, and computes
the losses of the new simplices only: O(log n) plus a cavity of a few simplices. The
triangulation and the loss scale are saved with the data, so a loaded learner asks exactly
the points the one that saved it would have asked.
"""

from __future__ import annotations

import heapq
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ._nd_ask import LearnerNDAsk
from ._nd_io import LearnerNDData
from ._nd_support import check_bounds_nd, check_value, lift_losses
from .base_learner import BaseLearner
from .losses_nd import (
    choose_point_in_simplex,
    curvature_loss_function,
    default_loss,
    orientation,
    std_loss,
    to_list,
    triangle_loss,
    uniform_loss,
    volume,
)
from .triangulation import DegeneratePointError, Triangulation

__all__ = [
    "LearnerND",
    "choose_point_in_simplex",
    "curvature_loss_function",
    "default_loss",
    "orientation",
    "std_loss",
    "to_list",
    "triangle_loss",
    "uniform_loss",
    "volume",
]

_INF = math.inf
BACKENDS = ("auto", "python")


class LearnerND(LearnerNDAsk, LearnerNDData, BaseLearner):
    """Learns a function ``f: R^N -> R^M`` on a box or a convex hull.

    Parameters
    ----------
    func : callable
        ``func(point) -> value`` where ``point`` is a tuple of N floats and ``value`` a number
        or a 1-D array (the same length for every point). NaN and inf are stored; the
        simplices that touch them are refined by volume only.
    bounds : list of (lo, hi) pairs, or scipy.spatial.ConvexHull
        The domain: a box (finite, ``lo < hi`` in every dimension, N >= 2) or a hull with a
        volume.
    loss_per_simplex : callable, optional
        ``loss(simplex, values, value_scale) -> float``, see
        :mod:`adaptive_nb.learner.losses_nd`. Default :func:`default_loss`.
    anisotropic : bool, default False
        Stretch the triangulation along the local gradient (simplices long along the
        level lines); the Delaunay property then holds in that local metric only.
    triangulation_backend : {"auto", "python"}
        Accepted for compatibility; both use adaptive_nb's incremental triangulation.

    Notes
    -----
    ``tell(point, None)`` marks the point pending, as in adaptive; for a point that is
    already pending (a runner reporting that the function returned None) it stores NaN.
    ``tell`` of a point outside the bounds raises ``ValueError``; a point told twice keeps
    its first value. A told point within about 1e-9 (relative to the domain) of a vertex, or
    that cannot be added without flat simplices, is kept in ``data`` but not triangulated.
    ``tri`` holds the original coordinates (as adaptive's does), so bounds whose widths differ
    by more than about 1e8 give ill-conditioned simplices: rescale the variables first.
    ``plot_3D`` and ``plot_isosurface`` (plotly) are not supported.
    """

    def __init__(
        self,
        func: Callable[[tuple[float, ...]], Any],
        bounds: Any,
        loss_per_simplex: Callable[..., float] | None = None,
        *,
        anisotropic: bool = False,
        triangulation_backend: str = "auto",
    ) -> None:
        if not callable(func):
            msg = f"func must be callable, got {func!r}"
            raise TypeError(msg)
        if triangulation_backend not in BACKENDS:
            msg = (
                f"triangulation_backend must be one of {BACKENDS!r}, got "
                f"{triangulation_backend!r} (adaptive_nb has no Rust backend)"
            )
            raise ValueError(msg)
        if loss_per_simplex is None:
            loss_per_simplex = default_loss
        elif not callable(loss_per_simplex):
            msg = f"loss_per_simplex must be callable, got {loss_per_simplex!r}"
            raise TypeError(msg)
        nth = getattr(loss_per_simplex, "nth_neighbors", 0)
        if nth not in (0, 1):
            msg = f"LearnerND supports losses with nth_neighbors 0 or 1, got {nth!r}"
            raise NotImplementedError(msg)
        self.function = func
        self.loss_per_simplex = loss_per_simplex
        self.nth_neighbors = int(nth)
        self.anisotropic = bool(anisotropic)
        self.triangulation_backend = triangulation_backend
        geometry = check_bounds_nd(bounds)
        self.bounds = geometry.bounds
        self.ndim = geometry.ndim
        self._geometry = geometry
        self._bound_points = geometry.corners
        self._lows = np.array(geometry.lows)
        self._widths = np.array(geometry.widths)
        self._recompute_losses_factor = 2
        self._clear()

    def _clear(self) -> None:
        self.data: dict[tuple[float, ...], Any] = {}
        self.pending_points: set[tuple[float, ...]] = set()
        self._tri: Triangulation | None = None
        self._vals: list[Any] = []
        self._untriangulated: list[tuple[float, ...]] = []
        self._losses: dict[tuple[int, ...], float] = {}
        self._prio: dict[tuple[int, ...], float] = {}
        self._heap: list[tuple[float, tuple[int, ...]]] = []
        self._loss_heap: list[tuple[float, tuple[int, ...]]] = []
        self._subtri: dict[tuple[int, ...], Triangulation] = {}
        self._pending_in: dict[tuple[float, ...], set[tuple[int, ...]]] = {}
        self._stuck: set[tuple[int, ...]] = set()
        self._vshape: tuple[int, ...] | None = None
        self._none_points: set[tuple[float, ...]] = set()  # None results before any shape
        self._vmin = _INF
        self._vmax = -_INF
        self._loss_range: float | None = None
        self._cache: dict[str, Any] = {}

    def new(self) -> LearnerND:
        """An empty LearnerND with the same function, bounds, loss and options."""
        return LearnerND(
            self.function,
            self._geometry.source,
            self.loss_per_simplex,
            anisotropic=self.anisotropic,
            triangulation_backend=self.triangulation_backend,
        )

    # -- properties -----------------------------------------------------------------------

    @property
    def npoints(self) -> int:
        """The number of points told."""
        return len(self.data)

    @property
    def vdim(self) -> int:
        """The length of the output (1 for scalar functions or before any data)."""
        return 1 if not self._vshape else self._vshape[0]

    @property
    def bounds_are_done(self) -> bool:
        """Whether every corner of the bounds has been told."""
        return all(p in self.data for p in self._bound_points)

    @property
    def tri(self) -> Triangulation | None:
        """The triangulation of the told points, or None until every corner is known."""
        return self._tri

    @property
    def values(self) -> np.ndarray:
        """The told values, in the order told (shape ``(npoints,)`` or ``(npoints, vdim)``)."""
        return np.array(list(self.data.values()), dtype=float)

    @property
    def points(self) -> np.ndarray:
        """The told points, in the order told (shape ``(npoints, ndim)``)."""
        return np.array(list(self.data), dtype=float).reshape(-1, self.ndim)

    def inside_bounds(self, point: Sequence[float]) -> bool:
        """Whether ``point`` lies in the bounds (box or hull)."""
        return self._geometry.contains(point)

    # -- input checks ---------------------------------------------------------------------

    def _check_point(self, point: Any) -> tuple[float, ...]:
        if isinstance(point, str | bytes):
            msg = f"a LearnerND point is a tuple of {self.ndim} numbers, got {point!r}"
            raise ValueError(msg)
        try:
            items = tuple(point)
        except TypeError:
            msg = f"a LearnerND point is a tuple of {self.ndim} numbers, got {point!r}"
            raise ValueError(msg) from None
        if len(items) != self.ndim:
            msg = f"point {point!r} has {len(items)} coordinates; this learner has {self.ndim}"
            raise ValueError(msg)
        for v in items:
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                msg = f"point {point!r} has a coordinate that is not a real number: {v!r}"
                raise ValueError(msg)
        p = tuple(float(v) for v in items)
        if not all(math.isfinite(v) for v in p):
            msg = f"point {point!r} has a NaN or infinite coordinate"
            raise ValueError(msg)
        if not self._geometry.contains(p):
            msg = (
                f"point {p!r} is outside the bounds {self.bounds!r}; LearnerND only stores "
                "points inside its bounds (make a learner with wider bounds to keep it)"
            )
            raise ValueError(msg)
        return p

    # -- tell -----------------------------------------------------------------------------

    def tell(self, point: Any, value: Any) -> None:
        """Record ``func(point) == value``; ``value=None`` marks the point pending.

        A point already known is ignored (the first value is kept). Raises ``ValueError``
        for a point outside the bounds or a value of another shape than the earlier ones,
        and then changes nothing.
        """
        p = self._check_point(point)
        if p in self.data:
            return
        if value is None:
            if p not in self.pending_points:
                self.tell_pending(p)
                return
            # the result of a pending point is None: no value, stored as NaN
            value = np.full(self._vshape, math.nan) if self._vshape else math.nan
            if self._vshape is None:
                self._none_points.add(p)
            self._store(p, value)
            return
        value, shape = check_value(p, value, self._vshape)
        if self._vshape is None and shape and self._none_points:
            self._widen_none_values(shape)
        self._vshape = shape
        self._none_points.clear()
        self._store(p, value)

    def _widen_none_values(self, shape: tuple[int, ...]) -> None:
        """The first vector value: the NaNs stored for None results become NaN vectors."""
        for p in self._none_points:
            self.data[p] = np.full(shape, math.nan)
        if self._tri is not None:
            self._vals = [self.data[v] for v in self._tri.vertices]

    def tell_many(self, points: Iterable[Any], values: Iterable[Any]) -> None:
        """Record many results; everything is checked before anything changes."""
        points, values = list(points), list(values)
        if len(points) != len(values):
            msg = f"tell_many got {len(points)} points but {len(values)} values"
            raise ValueError(msg)
        shape = self._vshape
        checked = []
        seen = set()
        for point, value in zip(points, values):
            p = self._check_point(point)
            if value is not None and p not in self.data and p not in seen:
                value, shape = check_value(p, value, shape)
                seen.add(p)
            checked.append((p, value))
        for p, value in checked:
            self.tell(p, value)

    def _store(self, p: tuple[float, ...], value: Any) -> None:
        holders = self._pending_in.pop(p, set())
        self.pending_points.discard(p)
        self.data[p] = value
        grown = self._update_range(value)
        if self._tri is None:
            if self.bounds_are_done:
                self._build()
            return
        for s in holders:
            self._forget_pending(s, p)
        hint = min(holders) if holders else None
        self._insert(p, value, hint)
        if grown:
            self._recompute_all()

    def _update_range(self, value: Any) -> bool:
        """Fold the value into the finite range; True when the losses need recomputing."""
        flat = np.ravel(np.asarray(value, dtype=float))
        finite = flat[np.isfinite(flat)]
        if finite.size:
            self._vmin = min(self._vmin, float(finite.min()))
            self._vmax = max(self._vmax, float(finite.max()))
        return self._needs_rescale()

    def _range(self) -> float:
        return self._vmax - self._vmin if self._vmax >= self._vmin else 0.0

    def _needs_rescale(self) -> bool:
        used = self._loss_range
        if used is None:
            return False
        if used <= 0:
            return self._range() > 0
        return self._range() > self._recompute_losses_factor * used

    # -- the triangulation ----------------------------------------------------------------

    def _build(self) -> None:
        """Every corner is known: triangulate them, add the other points, compute losses."""
        self._tri = self._geometry.triangulation()
        self._vals = [self.data[v] for v in self._tri.vertices]
        self._loss_range = self._range()
        corners = set(self._tri.vertices)
        for p, value in self.data.items():
            if p not in corners:
                self._add_vertex(p, value, None)
        self._recompute_all()

    def _add_vertex(self, p: tuple, value: Any, hint: tuple | None) -> tuple[set, set]:
        transform = self._transform(hint) if self.anisotropic else None
        try:
            deleted, added = self._tri.add_point(p, hint, transform)
        except DegeneratePointError:
            self._untriangulated.append(p)
            return set(), set()
        self._vals.append(value)
        return deleted, added

    def _insert(self, p: tuple[float, ...], value: Any, hint: tuple | None) -> None:
        deleted, added = self._add_vertex(p, value, hint)
        if not added:
            return
        moved: set[tuple[float, ...]] = set()
        for s in deleted:
            self._losses.pop(s, None)
            self._prio.pop(s, None)
            self._stuck.discard(s)
            sub = self._subtri.pop(s, None)
            if sub is not None:
                moved.update(sub.vertices[self.ndim + 1 :])
        changed = set(added)
        if self.nth_neighbors:
            for s in added:
                for v in s:
                    other = self._tri.neighbor(s, v)
                    if other is not None and other not in added:
                        changed.add(other)
        self._set_losses(changed)
        for q in sorted(moved):
            self._pending_in[q] -= deleted
            self._place_pending(q, [s for s in added if self._holds(s, q)])
        for s in sorted(changed):
            self._update_prio(s)

    def _recompute_all(self, loss_range: float | None = None) -> None:
        """Recompute every loss with the current value range (or ``loss_range``)."""
        self._loss_range = self._range() if loss_range is None else loss_range
        self._losses = {}
        self._set_losses(self._tri.simplices)
        self._subtri = {}
        self._pending_in = {}
        self._stuck = set()
        self._prio = {}
        self._heap = []
        self._loss_heap = [(-loss, s) for s, loss in self._losses.items()]
        heapq.heapify(self._loss_heap)
        for s in self._tri.simplices:
            self._prio[s] = self._losses[s]
        self._heap = [(-prio, s) for s, prio in self._prio.items()]
        heapq.heapify(self._heap)
        for q in sorted(self.pending_points):
            self._place_pending(q, self._holders(q, None))

    def _set_losses(self, simplices: Iterable[tuple[int, ...]]) -> None:
        simplices = sorted(simplices)
        scale = self._loss_range if self._loss_range else 1.0
        losses = lift_losses(self, simplices, 1.0 / scale)
        for s, loss in zip(simplices, losses):
            self._losses[s] = loss
            heapq.heappush(self._loss_heap, (-loss, s))

    def _transform(self, simplex: tuple | None) -> np.ndarray:
        local = np.eye(self.ndim) if simplex is None else self.get_local_transform_matrix(simplex)
        return local @ np.diag(1.0 / self._widths)

    def get_local_transform_matrix(self, simplex: Sequence[int]) -> np.ndarray:
        """The matrix of the local metric of the function's graph over ``simplex``.

        ``I + (sqrt(1 + |g|**2) - 1) g g^T / |g|**2`` where ``g`` is the gradient of the linear
        interpolation on the simplex (scaled coordinates and values; for vector output the
        component with the largest gradient). Acts on scaled coordinates.
        """
        simplex = tuple(simplex)
        coords = (np.array(self._tri.get_vertices(simplex)) - self._lows) / self._widths
        values = np.array([self._vals[i] for i in simplex], dtype=float).reshape(len(simplex), -1)
        scale = self._loss_range if self._loss_range else 1.0
        if not np.all(np.isfinite(values)):
            return np.eye(self.ndim)
        edges = coords[1:] - coords[0]
        try:
            grads = np.linalg.solve(edges, (values[1:] - values[0]) / scale)
        except np.linalg.LinAlgError:
            return np.eye(self.ndim)
        norms = np.linalg.norm(grads, axis=0)
        g = grads[:, int(np.argmax(norms))]
        g2 = float(g @ g)
        if g2 == 0 or not math.isfinite(g2):
            return np.eye(self.ndim)
        return np.eye(self.ndim) + (math.sqrt(1 + g2) - 1) * np.outer(g, g) / g2

    # -- loss -----------------------------------------------------------------------------

    def loss(self, real: bool = True) -> float:
        """The largest simplex loss; ``inf`` until every corner of the bounds is known.

        With ``real=False`` simplices cut by pending points count as their largest piece.
        """
        if self._tri is None:
            value = _INF
        elif real:
            top = self._top(self._loss_heap, self._losses)
            value = -top[0] if top is not None else 0.0
        else:
            top = self._top(self._heap, self._prio)
            value = -top[0] if top is not None else 0.0
            for s in self._stuck:
                value = max(value, self._prio[s])
        self._cache["loss"] = value
        return value
