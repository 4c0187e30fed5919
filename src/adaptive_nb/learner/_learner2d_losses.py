"""Learner2D's bookkeeping of triangle losses: the heap, local updates, custom losses."""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from . import _learner2d_support as support
from ._kernels_2d import spread as _spread
from ._kernels_2d import tri_centre

__all__ = ["Learner2DLosses"]

_INF = math.inf


class Learner2DLosses:
    """Mixin of Learner2D: storing, pushing and recomputing triangle losses."""

    _tri: Any
    _kind: tuple
    _loss: list
    _ver: list
    _heap: list
    _zs: list
    _g: list

    # -- losses -----------------------------------------------------------------------------

    def _set_loss(self, t: int, loss: float | None = None) -> None:
        """Store the loss of triangle t (computed when not given) and push it on the heap."""
        if loss is None and self._kind[0] != "user":
            loss, area = self._triangle_loss(t, self._bounds_done)
        else:
            area = self._tri.area(t)
            if loss is None:
                loss = _INF
        self._loss[t] = loss
        version = self._ver[t] + 1
        self._ver[t] = version
        heap = self._heap
        heapq.heappush(heap, (-loss, -area, _spread(tri_centre(self._tri, t)), t, version))
        if len(heap) > 4 * len(self._loss) + 64:  # drop the stale entries
            ver = self._ver
            heap[:] = [e for e in heap if ver[e[3]] == e[4]]
            heapq.heapify(heap)

    def _grow(self) -> None:
        extra = len(self._tri.tv) - len(self._loss)
        if extra > 0:
            self._loss.extend([0.0] * extra)
            self._ver.extend([0] * extra)

    def _after_change(self, v: int, parent: tuple[float, float] | None, full: bool) -> None:
        """Update the losses after vertex v was added (``parent``: (loss, area) of the
        triangle it was put in) or its value changed (``parent`` None).

        ``full=False`` (a pending point was added) updates only the triangles around v, and
        caps their losses at the loss of the triangle the point was put in (so asking never
        raises the loss); the gradients of its neighbours, and so the losses of the
        triangles around them, are brought up to date when its value is told (``full=True``).
        """
        self._grow()
        tri = self._tri
        tris, ring = tri.star(v)
        if self._kind[0] == "user" and self._bounds_done:
            if parent is not None:
                self._since_eval += 1
                loss, area = parent
                for t in tris:
                    share = tri.area(t) / area if area > 0 else 1.0
                    self._set_loss(t, loss * min(share, 1.0))
            return
        gradients = self._bounds_done and self._needs_gradients()
        if gradients:
            self._g[v] = self._gradient(v, ring)
        if not full:  # a pending point can only lower the loss where it lies
            cap = parent[0] if parent is not None else _INF
            for t in tris:
                self._set_loss(t, min(self._triangle_loss(t, self._bounds_done)[0], cap))
            return
        if not gradients:
            self._set_losses(tris)
            return
        g = self._g
        affected = set(tris)
        for u in ring:
            tris_u, ring_u = tri.star(u)
            g[u] = self._gradient(u, ring_u)
            affected.update(tris_u)
        self._set_losses(sorted(affected))

    def _set_losses(self, tris: list[int]) -> None:
        if self._kind[0] == "default" and self._vdim == 1 and self._bounds_done:
            self._push_default_losses(tris)
            heap = self._heap
            if len(heap) > 4 * len(self._loss) + 64:  # drop the stale entries
                ver = self._ver
                heap[:] = [e for e in heap if ver[e[3]] == e[4]]
                heapq.heapify(heap)
        else:
            for t in tris:
                self._set_loss(t)

    def _recompute_all(self) -> None:
        """Recompute every gradient and loss (after the value scale or the bounds changed)."""
        self._grow()
        tri = self._tri
        self._stuck = {}
        if self._kind[0] == "user" and self._bounds_done:
            self._evaluate_user_loss()  # resets the heap once the losses are known good
            return
        self._heap = []
        if self._kind[0] != "user" and self._bounds_done and self._needs_gradients():
            self._g = [self._gradient(v, tri.star(v)[1]) for v in range(len(self._zs))]
        for t in range(len(tri.tv)):
            self._set_loss(t)

    def _loss_interpolator(self) -> support.LossInterpolator:
        """The ``ip`` of the current triangulation (told and pending points), for a loss."""
        tri = self._tri
        points = np.column_stack([tri.px, tri.py])
        fill: Any = 0.0
        if self._zmin is not None:
            fill = [0.5 * lo + 0.5 * hi for lo, hi in zip(self._zmin, self._zmax)]
        values = np.array(
            [(fill if z is None else (z,) if self._vdim == 1 else z) for z in self._zs],
            dtype=float,
        ).reshape(len(self._zs), -1)
        return support.LossInterpolator(
            points, np.array(tri.tv, dtype=np.intc), np.array(tri.tn, dtype=np.intc), values
        )

    def _evaluate_user_loss(self) -> None:
        """Call the custom loss on the whole triangulation and rebuild the heap from it (the
        heap is left alone if the loss returns the wrong number of values)."""
        tri = self._tri
        ip = self._loss_interpolator()
        losses = np.asarray(self.loss_per_triangle(ip), dtype=float).ravel()
        m = len(tri.tv)
        if losses.shape != (m,):
            msg = (
                f"loss_per_triangle {self.loss_per_triangle!r} returned {losses.shape[0]} "
                f"values for {m} triangles; it must return one loss per triangle"
            )
            raise ValueError(msg)
        simplices = ip.tri.simplices
        corners = ip.tri.points[simplices]  # (m, 3, 2)
        q = corners[:, :2, :] - corners[:, 2, None, :]
        area = 0.5 * (q[:, 0, 0] * q[:, 1, 1] - q[:, 0, 1] * q[:, 1, 0])
        unknown = np.fromiter((z is None for z in self._zs), dtype=bool, count=len(self._zs))
        bad = np.isnan(losses) | unknown[simplices].any(axis=1)
        losses = np.where(bad, np.sqrt(area), losses)
        centre = corners.sum(axis=1)  # the same sums as tri_centre
        key = np.sin(centre[:, 0] * 12.9898 + centre[:, 1] * 78.233) * 43758.5453
        key -= np.floor(key)
        self._loss = losses.tolist()
        self._ver = [version + 1 for version in self._ver]
        self._heap = list(
            zip((-losses).tolist(), (-area).tolist(), key.tolist(), range(m), self._ver)
        )
        heapq.heapify(self._heap)
        self._since_eval = 0
