"""LearnerND's pending points and ``ask``: a mixin, so that learnerND.py stays readable.

A simplex that holds pending points is cut into pieces (a small Triangulation of its corners
and those points, ``_subtri``); its priority is its loss times the largest piece's share of
its volume, and ``ask`` splits that largest piece next.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

from ._simplex_geometry import _barycentric
from .base_learner import check_ask_count
from .losses_nd import choose_point_in_simplex
from .triangulation import Triangulation

__all__ = ["LearnerNDAsk"]

_INF = math.inf


class LearnerNDAsk:
    """Pending points, ``ask`` and ``remove_unfinished`` of :class:`LearnerND`."""

    # -- pending points -------------------------------------------------------------------

    def tell_pending(self, point: Any, *, simplex: Sequence[int] | None = None) -> None:
        """Mark ``point`` as being evaluated; ignored when it is already known.

        ``simplex`` (vertex indices of ``tri``) is a hint: a simplex that holds the point.
        """
        p = self._check_point(point)
        if p in self.data or p in self.pending_points:
            return
        self.pending_points.add(p)
        if self._tri is not None:
            hint = tuple(sorted(simplex)) if simplex is not None else None
            self._place_pending(p, self._holders(p, hint))

    def _holds(self, s: tuple[int, ...], q: Sequence[float]) -> bool:
        return min(self._tri.barycentric(s, q)) >= -1e-12

    def _holders(self, q: tuple[float, ...], hint: tuple | None) -> list[tuple[int, ...]]:
        """The simplices of the triangulation that hold ``q`` (on a face: all around it)."""
        tri = self._tri
        bary = tri.barycentric(hint, q) if hint in tri.simplices else None
        if bary is None or min(bary) < -1e-12:
            hint = tri.locate_point(q)
            if not hint:
                return []
            bary = tri.barycentric(hint, q)
        carrier = [v for v, b in zip(hint, bary) if b > 1e-12]
        if len(carrier) == len(hint):
            return [hint]
        return sorted(tri.containing(carrier))

    def _place_pending(self, q: tuple[float, ...], holders: Iterable[tuple[int, ...]]) -> None:
        into = self._pending_in.setdefault(q, set())
        for s in holders:
            sub = self._subtri.get(s)
            try:
                if sub is None:
                    sub = self._split(s, q)
                else:
                    sub = _copy(sub)
                    sub.add_point(q)
            except ValueError:
                continue  # too close to a corner or another pending point: not counted
            self._subtri[s] = sub
            into.add(s)
            self._update_prio(s)

    def _forget_pending(self, s: tuple[int, ...], q: tuple[float, ...]) -> None:
        """Take q out of the pieces of s (rebuilt from its other pending points)."""
        sub = self._subtri.pop(s, None)
        if sub is None or s not in self._losses:
            return
        rest = [p for p in sub.vertices[self.ndim + 1 :] if p != q]
        for p in rest:
            self._pending_in[p].discard(s)
        for p in rest:
            self._place_pending(p, [s])
        self._update_prio(s)

    def _split(self, s: tuple[int, ...], q: tuple[float, ...]) -> Triangulation:
        """The pieces of simplex s cut by its first pending point q (faces holding q skipped)."""
        coords = self._tri.get_vertices(s)
        bary = _barycentric(coords, q)
        tol = 1e-10
        pieces = [
            (*[j for j in range(len(s)) if j != i], len(s)) for i, b in enumerate(bary) if b > tol
        ]
        if len(pieces) < 2 or min(bary) < -tol:
            msg = f"pending point {q!r} is at a corner of, or outside, simplex {s!r}"
            raise ValueError(msg)
        return Triangulation.from_simplices([*coords, q], pieces)

    def _simplex_tri(self, s: tuple[int, ...]) -> Triangulation:
        return Triangulation.from_simplices(self._tri.get_vertices(s), [range(self.ndim + 1)])

    def _update_prio(self, s: tuple[int, ...]) -> None:
        loss = self._losses[s]
        sub = self._subtri.get(s)
        if sub is not None and loss:
            largest = max(sub.volume(t) for t in sub.simplices)
            loss = loss * min(1.0, largest / self._tri.volume(s))
        if self._prio.get(s) != loss:
            self._prio[s] = loss
            if s not in self._stuck:
                heapq.heappush(self._heap, (-loss, s))

    def remove_unfinished(self) -> None:
        """Forget every pending point (and the pieces they cut simplices into)."""
        self.pending_points.clear()
        self._pending_in.clear()
        touched = list(self._subtri)
        self._subtri.clear()
        for s in touched:
            self._update_prio(s)

    # -- ask ------------------------------------------------------------------------------

    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[Any], list[float]]:
        """Suggest up to ``n`` new points and the loss each would refine.

        See :meth:`BaseLearner.ask`. The corners of the bounds come first (loss ``inf``);
        after that each point splits the simplex (or the piece of it between pending points)
        with the largest loss.
        """
        n = check_ask_count(n)
        if n == 0:
            return [], []
        if self._tri is None:
            points = self._ask_without_triangulation(n)
            if tell_pending:
                for p in points:
                    self.tell_pending(p)
            return points, [_INF] * len(points)
        undo: list[tuple] = []
        points, gains = [], []
        for _ in range(n):
            found = self._claim_next(undo)
            if found is None:
                break
            points.append(found[0])
            gains.append(found[1])
        if not tell_pending:
            self._undo(undo)
        self._compact()
        return points, gains

    def _claim_next(self, undo: list[tuple]) -> tuple[tuple[float, ...], float] | None:
        while True:
            top = self._top(self._heap, self._prio)
            if top is None:
                return None
            heapq.heappop(self._heap)
            prio, s = -top[0], top[1]
            sub = self._subtri.get(s)
            if sub is None:
                target = self._tri.get_vertices(s)
            else:
                piece = max(sorted(sub.simplices), key=sub.volume)
                target = sub.get_vertices(piece)
            transform = self._transform(s) if self.anisotropic else None
            p = tuple(choose_point_in_simplex(target, transform).tolist())
            holders = self._holders(p, s) if self._fresh(p) else []
            if not holders:
                undo.append(("stuck", s, prio))
                self._stuck.add(s)
                continue
            before = {h: (self._subtri.get(h), self._prio[h]) for h in holders}
            self.pending_points.add(p)
            self._place_pending(p, holders)
            if not self._pending_in[p]:
                del self._pending_in[p]
                self.pending_points.discard(p)
                undo.append(("stuck", s, prio))
                self._stuck.add(s)
                continue
            if self._prio[s] == prio:  # unchanged (a zero loss): it was popped, put it back
                heapq.heappush(self._heap, (-prio, s))
            undo.append(("point", p, before))
            return p, prio

    def _fresh(self, p: tuple[float, ...]) -> bool:
        return self._geometry.contains(p) and p not in self.data and p not in self.pending_points

    def _undo(self, undo: list[tuple]) -> None:
        for entry in reversed(undo):
            if entry[0] == "stuck":
                _, s, prio = entry
                self._stuck.discard(s)
                heapq.heappush(self._heap, (-prio, s))
                continue
            _, p, before = entry
            self.pending_points.discard(p)
            self._pending_in.pop(p, None)
            for s, (sub, prio) in before.items():
                if sub is None:
                    self._subtri.pop(s, None)
                else:
                    self._subtri[s] = sub
                self._prio[s] = prio
                heapq.heappush(self._heap, (-prio, s))

    @staticmethod
    def _top(heap: list, current: dict) -> tuple | None:
        while heap:
            neg, s = heap[0]
            if current.get(s) == -neg:
                return heap[0]
            heapq.heappop(heap)
        return None

    def _compact(self) -> None:
        if len(self._heap) > 3 * len(self._prio) + 64:
            self._heap = [(-p, s) for s, p in self._prio.items() if s not in self._stuck]
            heapq.heapify(self._heap)
        if len(self._loss_heap) > 3 * len(self._losses) + 64:
            self._loss_heap = [(-v, s) for s, v in self._losses.items()]
            heapq.heapify(self._loss_heap)

    def _ask_without_triangulation(self, n: int) -> list[tuple[float, ...]]:
        """Before every corner is known: the missing corners, then split the largest simplex
        of a triangulation of the corners and the known and pending points."""
        taken = self.data.keys() | self.pending_points
        points = [p for p in self._bound_points if p not in taken][:n]
        if len(points) == n:
            return points
        tri = self._geometry.triangulation()
        corners = set(tri.vertices)
        for p in itertools.chain(self.data, sorted(self.pending_points)):
            if p not in corners:
                try:
                    tri.add_point(p)
                except ValueError:
                    continue
        while len(points) < n:
            ranked = sorted(tri.simplices, key=lambda s: (-tri.volume(s), s))
            for s in ranked:
                p = tuple(choose_point_in_simplex(tri.get_vertices(s)).tolist())
                if p in taken or p in points or not self._geometry.contains(p):
                    continue
                try:
                    tri.add_point(p, s)
                except ValueError:
                    continue
                points.append(p)
                break
            else:
                break
        return points


def _copy(tri: Triangulation) -> Triangulation:
    return Triangulation.from_simplices(tri.vertices, tri.simplices)
