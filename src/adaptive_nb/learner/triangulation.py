"""An incremental Delaunay triangulation in N dimensions, for LearnerND.

Data structures (n vertices, m simplices)
-----------------------------------------
``vertices``             list of points (tuples of floats); a vertex is named by its index.
``simplices``            set of simplices, each a sorted tuple of ``dim + 1`` vertex indices.
``vertex_to_simplices``  list (one per vertex) of the set of simplices that hold the vertex.
``_sphere``              dict simplex -> ``(center, radius**2)`` of its circumsphere (cached).

``add_point`` is the Bowyer-Watson step: starting from a simplex that holds the new point
(given by the caller, as LearnerND does, or found by a walk over neighbouring simplices),
it collects the connected *cavity* of simplices whose circumsphere holds the point, widens
it until every face on its border sees the point strictly (which keeps the result a valid
triangulation when points are cospherical or lie on faces, as on regular grids), and
replaces it by the simplices joining the point to the border faces. Its cost depends on
the size of the cavity only, not on n.

Points on the hull are fine (the faces of the hull they lie on are split); points outside
the hull raise ``ValueError``. The geometric predicates live in ``_simplex_geometry``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ._simplex_geometry import (
    _MIN_SEPARATION,
    _REL_TOL,
    Simplex,
    _barycentric,
    _delaunay_simplices,
    _det,
    _faces,
    _hull_vertices,
    _in_sphere_lifted,
    _inside,
    _sphere_2d,
    _spheres,
    circumsphere,
    orientation,
    simplex_volume,
)

__all__ = [
    "DegeneratePointError",
    "Triangulation",
    "circumsphere",
    "orientation",
    "simplex_volume",
]


class DegeneratePointError(ValueError):
    """The point is too close to a vertex to be added without flat simplices."""


class Triangulation:
    """A Delaunay triangulation that grows one point at a time.

    Parameters
    ----------
    coords : sequence of points
        At least ``dim + 1`` points, not all in one hyperplane. The triangulation starts
        from the Delaunay triangulation of their convex hull's vertices; the other points
        are then added with :meth:`add_point`.

    Attributes
    ----------
    vertices : list of tuple of float
        The points; vertex ``i`` is ``vertices[i]``.
    simplices : set of tuple of int
        Sorted tuples of ``dim + 1`` vertex indices.
    vertex_to_simplices : list of set
        For each vertex, the simplices that hold it.
    dim : int
        The dimension of the space.
    """

    def __init__(self, coords: Iterable[Sequence[float]]) -> None:
        points = [tuple(float(v) for v in p) for p in coords]
        if not points:
            raise ValueError("a Triangulation needs at least dim + 1 points, got none")
        dim = len(points[0])
        if dim < 1 or any(len(p) != dim for p in points):
            raise ValueError("every point of a Triangulation must have the same length >= 1")
        if len(points) < dim + 1:
            msg = f"a Triangulation in {dim} dimensions needs at least {dim + 1} points"
            raise ValueError(msg)
        array = np.array(points)
        if not np.all(np.isfinite(array)):
            raise ValueError("the points of a Triangulation must be finite")
        if np.linalg.matrix_rank(array[1:] - array[0]) < dim:
            raise ValueError("the points lie in a hyperplane; they span no volume")
        self.dim = dim
        self.vertices: list[tuple[float, ...]] = []
        self.simplices: set[Simplex] = set()
        self.vertex_to_simplices: list[set[Simplex]] = []
        self._sphere: dict[Simplex, tuple[tuple[float, ...], float]] = {}
        self._face_owners: dict[Simplex, list[Simplex]] = {}
        self._last: Simplex | None = None
        self._delicate = False
        if len(points) == dim + 1:
            self._start(points, [tuple(range(dim + 1))])
            return
        hull = _hull_vertices(array)
        first = [points[i] for i in hull]
        self._start(first, _delaunay_simplices(np.array(first)))
        in_hull = set(hull)
        for i, p in enumerate(points):
            if i not in in_hull:
                self.add_point(p)

    @classmethod
    def from_simplices(
        cls, vertices: Sequence[Sequence[float]], simplices: Iterable[Sequence[int]]
    ) -> Triangulation:
        """A triangulation with the given vertices and simplices (checked by the caller)."""
        tri = cls.__new__(cls)
        tri.dim = len(vertices[0])
        tri.vertices, tri.simplices, tri.vertex_to_simplices = [], set(), []
        tri._sphere, tri._last, tri._face_owners, tri._delicate = {}, None, {}, False
        tri._start([tuple(float(v) for v in p) for p in vertices], simplices)
        return tri

    @classmethod
    def box(cls, lows: Sequence[float], highs: Sequence[float]) -> Triangulation:
        """The corners of a box, cut into ``dim!`` simplices along its main diagonal."""
        dim = len(lows)
        corners = [
            tuple(highs[k] if (i >> k) & 1 else lows[k] for k in range(dim)) for i in range(2**dim)
        ]
        simplices = []
        for order in itertools.permutations(range(dim)):
            index, path = 0, [0]
            for k in order:
                index |= 1 << k
                path.append(index)
            simplices.append(path)
        return cls.from_simplices(corners, simplices)

    def _start(self, points: list[tuple[float, ...]], simplices: Iterable[Sequence[int]]) -> None:
        self.vertices = list(points)
        self.vertex_to_simplices = [set() for _ in points]
        new = [tuple(sorted(int(i) for i in s)) for s in simplices]
        for s in new:
            self._add_simplex(s)  # circumspheres are computed when first needed

    # -- basic queries ----------------------------------------------------------------

    def get_vertices(self, indices: Iterable[int]) -> list[tuple[float, ...] | None]:
        """The coordinates of the given vertex indices (``None`` for ``None``)."""
        return [None if i is None else self.vertices[i] for i in indices]

    def get_vertex(self, point: Sequence[float]) -> int | None:
        """The index of the vertex at ``point``, or None."""
        point = tuple(float(v) for v in point)
        try:
            return self.vertices.index(point)
        except ValueError:
            return None

    def volume(self, simplex: Simplex) -> float:
        """The volume of a simplex."""
        coords = [self.vertices[i] for i in simplex]
        base = coords[0]
        rows = [[c[k] - base[k] for k in range(self.dim)] for c in coords[1:]]
        return abs(_det(rows)) / math.factorial(self.dim)

    def volumes(self) -> list[float]:
        """The volume of every simplex (in the order of ``sorted(simplices)``)."""
        return [self.volume(s) for s in sorted(self.simplices)]

    def circumsphere(self, simplex: Simplex) -> tuple[tuple[float, ...], float]:
        """The center and radius of the circumsphere of a simplex of this triangulation."""
        center, r2 = self._sphere_of(simplex)
        return center, math.sqrt(r2)

    circumscribed_circle = circumsphere

    @property
    def hull(self) -> set[int]:
        """The indices of the vertices on the hull of the triangulation."""
        return {i for face in self.hull_faces() for i in face}

    def hull_faces(self) -> list[Simplex]:
        """The faces (sorted tuples of ``dim`` vertices) that belong to one simplex only."""
        count: dict[Simplex, int] = {}
        for s in self.simplices:
            for face in _faces(s):
                count[face] = count.get(face, 0) + 1
        return [face for face, c in count.items() if c == 1]

    def faces(self, dim: int | None = None, simplices: Iterable[Simplex] | None = None) -> Any:
        """The faces of the given simplices (all by default), ``dim`` vertices each by default."""
        size = self.dim if dim is None else dim
        pool = self.simplices if simplices is None else simplices
        seen: set[Simplex] = set()
        for s in pool:
            for face in itertools.combinations(s, size):
                if face not in seen:
                    seen.add(face)
                    yield face

    def containing(self, face: Iterable[int]) -> set[Simplex]:
        """The simplices that hold every vertex of ``face``."""
        sets = [self.vertex_to_simplices[i] for i in face]
        if not sets:
            return set(self.simplices)
        return set.intersection(*sorted(sets, key=len))

    def get_simplices_attached_to_points(self, indices: Iterable[int]) -> set[Simplex]:
        """The simplices that hold every one of the given vertices (alias of ``containing``)."""
        return self.containing(indices)

    def neighbor(self, simplex: Simplex, opposite: int) -> Simplex | None:
        """The simplex across the face of ``simplex`` that leaves out the vertex ``opposite``."""
        k = simplex.index(opposite)
        for other in self._face_owners.get(simplex[:k] + simplex[k + 1 :], ()):
            if other != simplex:
                return other
        return None

    def get_face_sharing_neighbors(self, neighbors: Iterable[Simplex], simplex: Simplex) -> set:
        """The simplices among ``neighbors`` that share a face with ``simplex``."""
        return {n for n in neighbors if n != simplex and len(set(n) & set(simplex)) == self.dim}

    def get_neighbors_from_vertices(self, simplex: Simplex) -> set[Simplex]:
        """Every simplex that shares at least one vertex with ``simplex``."""
        return set().union(*(self.vertex_to_simplices[i] for i in simplex))

    def get_opposing_vertices(self, simplex: Simplex) -> tuple[int | None, ...]:
        """For each vertex of ``simplex``, the vertex of the neighbour across the face
        opposite to it (``None`` on the hull)."""
        result: list[int | None] = []
        for v in simplex:
            other = self.neighbor(simplex, v)
            result.append(None if other is None else (set(other) - set(simplex)).pop())
        return tuple(result)

    def barycentric(self, simplex: Simplex, point: Sequence[float]) -> list[float]:
        """The barycentric coordinates of ``point`` in ``simplex``."""
        coords = self.get_vertices(simplex)
        return _barycentric(coords, point)

    def point_in_simplex(self, point: Sequence[float], simplex: Simplex, eps: float = 1e-8) -> bool:
        """Whether ``point`` is in ``simplex`` (on its faces counts)."""
        return min(self.barycentric(simplex, point)) >= -eps

    def point_in_circumsphere(self, point: Sequence[float], simplex: Simplex) -> bool:
        """Whether ``point`` is strictly inside the circumsphere of ``simplex``."""
        center, r2 = self._sphere_of(simplex)
        return _inside(point, center, r2)

    point_in_circumcircle = point_in_circumsphere

    # -- locating ---------------------------------------------------------------------

    def locate_point(self, point: Sequence[float]) -> Simplex | tuple[()]:
        """A simplex that holds ``point``, or ``()`` if it is outside the hull.

        Walks from the most recently made simplex towards the point, stepping across the
        face with the most negative barycentric coordinate; falls back to a scan.
        """
        point = tuple(float(v) for v in point)
        current = self._last if self._last in self.simplices else None
        if current is None and self.simplices:
            current = min(self.simplices)
        seen: set[Simplex] = set()
        while current is not None and current not in seen:
            seen.add(current)
            bary = self.barycentric(current, point)
            worst = min(range(len(bary)), key=bary.__getitem__)
            if bary[worst] >= -1e-12:
                return current
            current = self.neighbor(current, current[worst])
        best, best_s = -math.inf, ()
        for s in sorted(self.simplices):  # thin simplices: take the least negative
            worst = min(self.barycentric(s, point))
            if worst > best:
                best, best_s = worst, s
        return best_s if best >= -1e-6 else ()

    # -- adding points ----------------------------------------------------------------

    def add_point(
        self,
        point: Sequence[float],
        simplex: Simplex | None = None,
        transform: Any = None,
    ) -> tuple[set[Simplex], set[Simplex]]:
        """Add ``point`` and return ``(deleted_simplices, added_simplices)``.

        Parameters
        ----------
        point : sequence of float
            A point in the hull, not already a vertex.
        simplex : tuple of int, optional
            A simplex that holds the point (found by a walk if not given).
        transform : array, optional
            A ``dim x dim`` matrix: the circumsphere tests are done on the transformed
            points (LearnerND's anisotropic meshes).

        Raises
        ------
        ValueError
            If the point is outside the hull or already a vertex;
            :class:`DegeneratePointError` if it is too close to a vertex.
        """
        point = tuple(float(v) for v in point)
        if len(point) != self.dim:
            msg = f"point {point!r} has {len(point)} coordinates; this triangulation has {self.dim}"
            raise ValueError(msg)
        if simplex is None or simplex not in self.simplices:
            simplex = self.locate_point(point)
            if not simplex:
                msg = f"point {point!r} lies outside the hull of the triangulation"
                raise ValueError(msg)
        if point in (self.vertices[i] for i in simplex):
            msg = f"point {point!r} is already a vertex of the triangulation"
            raise ValueError(msg)
        self._delicate = transform is not None  # set when a predicate was a near tie
        cavity = self._cavity(point, simplex, transform)
        limit = (_MIN_SEPARATION * self._extent()) ** 2
        for i in simplex:  # farther vertices would be lost from the border (checked below)
            if sum((a - b) ** 2 for a, b in zip(point, self.vertices[i])) < limit:
                msg = f"point {point!r} is too close to vertex {self.vertices[i]!r}"
                raise DegeneratePointError(msg)
        border = self._border(point, cavity)
        kept = {i for face in border for i in face}
        lost = {i for s in cavity for i in s} - kept
        if lost:
            msg = f"point {point!r} is too close to vertex {self.vertices[min(lost)]!r}"
            raise DegeneratePointError(msg)
        if self._delicate and not self._volumes_match(cavity, border, point):
            msg = f"point {point!r} is too close to other vertices to be triangulated"
            raise DegeneratePointError(msg)
        index = len(self.vertices)
        self.vertices.append(point)
        self.vertex_to_simplices.append(set())
        for s in cavity:
            self._delete_simplex(s)
        new = [tuple(sorted((*face, index))) for face in border]
        for s in new:
            self._add_simplex(s)
        self._cache_spheres(new)
        if new:
            self._last = new[-1]
        return cavity, set(new)

    def _cavity(self, point: tuple[float, ...], start: Simplex, transform: Any) -> set[Simplex]:
        """The connected simplices, from ``start``, whose circumsphere holds the point."""
        if transform is not None:
            matrix = np.asarray(transform, dtype=float)
            moved = tuple((matrix @ np.array(point)).tolist())

            def inside(s: Simplex) -> bool:
                coords = np.array(self.get_vertices(s)) @ matrix.T
                center, r2 = _spheres(coords[None])[0]
                return _inside(moved, center, r2)
        else:

            def inside(s: Simplex) -> bool:
                center, r2 = self._sphere_of(s)
                d2 = 0.0
                for p, c in zip(point, center):
                    d2 += (p - c) * (p - c)
                if d2 < r2 * (1.0 - 1e-6):
                    return True
                if d2 > r2 * (1.0 + 1e-6) or r2 != r2:
                    return False
                self._delicate = True
                return _in_sphere_lifted(self.get_vertices(s), point)

        cavity = {start}
        stack = [start]
        while stack:
            s = stack.pop()
            for v in s:
                other = self.neighbor(s, v)
                if other is not None and other not in cavity and inside(other):
                    cavity.add(other)
                    stack.append(other)
        return cavity

    def _border(self, point: tuple[float, ...], cavity: set[Simplex]) -> list[Simplex]:
        """The faces on the border of the cavity, widened until the point sees each
        of them strictly from inside. Faces of the hull that hold the point are dropped."""
        while True:
            faces: list[tuple[Simplex, int, Simplex | None]] = []
            for s in sorted(cavity):
                for k, v in enumerate(s):
                    other = self.neighbor(s, v)
                    if other is None or other not in cavity:
                        faces.append((s[:k] + s[k + 1 :], v, other))
            if self._delicate:
                sides = self._sides(faces, point)
            else:
                # every in-sphere test was clear-cut, so the cavity is star-shaped (the
                # Bowyer-Watson theorem): only faces of the hull may hold the point
                hull = [f for f in faces if f[2] is None]
                hull_sides = iter(self._sides(hull, point))
                sides = [1 if f[2] is not None else next(hull_sides) for f in faces]
            border: list[Simplex] = []
            grown = False
            for (face, _, other), side in zip(faces, sides):
                if side > 0:
                    border.append(face)
                    continue
                self._delicate = True
                if other is None:
                    if side < 0 and not self._near_plane(face, point):
                        msg = f"point {point!r} lies outside the hull of the triangulation"
                        raise ValueError(msg)
                else:
                    cavity.add(other)
                    grown = True
            if not grown:
                return border

    def _sides(self, faces: list[tuple], point: tuple[float, ...]) -> list[int]:
        """``_side`` for many faces (in one numpy call from 4 dimensions on)."""
        if self.dim <= 3 or len(faces) < 4:
            return [self._side(f, self.vertices[v], point, o is None) for f, v, o in faces]
        verts = self.vertices
        base = np.array([verts[f[0]] for f, _, _ in faces])
        rows = np.array([[verts[i] for i in f[1:]] for f, _, _ in faces]) - base[:, None, :]
        inner = np.array([verts[v] for _, v, _ in faces]) - base
        moved = np.asarray(point) - base
        d_point = np.linalg.det(np.concatenate([rows, moved[:, None, :]], axis=1))
        d_inner = np.linalg.det(np.concatenate([rows, inner[:, None, :]], axis=1))
        hull = np.array([o is None for _, _, o in faces])
        tol = np.where(hull, 1e-13, _REL_TOL) * np.abs(d_inner)
        sides = np.where((d_point > 0) == (d_inner > 0), 1, -1)
        sides[(np.abs(d_point) <= tol) | (d_inner == 0)] = 0
        return sides.tolist()

    def _volumes_match(self, cavity: set[Simplex], border: list[Simplex], point: tuple) -> bool:
        """Whether the new simplices fill exactly the cavity (no hole, no overlap)."""
        if self.dim <= 3:
            before = sum(self.volume(s) for s in cavity)
            after = sum(self._cone_volume(face, point) for face in border)
            return math.isclose(before, after, rel_tol=1e-9)
        verts = self.vertices
        old = np.array([[verts[i] for i in s] for s in cavity])
        new = np.array([[*(verts[i] for i in f), point] for f in border])
        before = np.abs(np.linalg.det(old[:, 1:] - old[:, :1])).sum()
        after = np.abs(np.linalg.det(new[:, 1:] - new[:, :1])).sum()
        return math.isclose(float(before), float(after), rel_tol=1e-9)

    def _extent(self) -> float:
        """The size of the triangulated region (of its first vertices), cached."""
        extent = getattr(self, "_extent_cache", None)
        if extent is None:
            first = np.array(self.vertices[: self.dim + 1])
            extent = float(np.ptp(first, axis=0).max())
            self._extent_cache = extent
        return extent

    def _cone_volume(self, face: Simplex, point: Sequence[float]) -> float:
        base = self.vertices[face[0]]
        rows = [[self.vertices[i][k] - base[k] for k in range(self.dim)] for i in face[1:]]
        rows.append([point[k] - base[k] for k in range(self.dim)])
        return abs(_det(rows)) / math.factorial(self.dim)

    def _near_plane(self, face: Simplex, point: Sequence[float]) -> bool:
        """Whether ``point`` is within 1e-9 (relative to the face's size) of its hyperplane."""
        coords = [self.vertices[i] for i in face]
        base = coords[0]
        rows = [[c[k] - base[k] for k in range(self.dim)] for c in coords[1:]]
        size = max((abs(v) for row in rows for v in row), default=0.0)
        d_point = _det([*rows, [point[k] - base[k] for k in range(self.dim)]])
        return abs(d_point) <= 1e-9 * size**self.dim

    def _side(
        self, face: Simplex, inner: Sequence[float], point: Sequence[float], exact: bool = False
    ) -> int:
        """+1 if ``point`` is strictly on the same side of ``face`` as ``inner``, 0 if on it
        (relative tolerance; a much smaller one with ``exact``, for faces of the hull,
        where a thin simplex is better than a hole), -1 if on the other side."""
        coords = [self.vertices[i] for i in face]
        base = coords[0]
        rows = [[c[k] - base[k] for k in range(self.dim)] for c in coords[1:]]
        d_point = _det([*rows, [point[k] - base[k] for k in range(self.dim)]])
        d_inner = _det([*rows, [inner[k] - base[k] for k in range(self.dim)]])
        if d_inner == 0.0:
            return 0
        if abs(d_point) <= (1e-13 if exact else _REL_TOL) * abs(d_inner):
            return 0
        return 1 if (d_point > 0) == (d_inner > 0) else -1

    # -- bookkeeping ------------------------------------------------------------------

    def _add_simplex(self, simplex: Simplex) -> None:
        simplex = tuple(simplex)
        if simplex in self.simplices:
            return
        self.simplices.add(simplex)
        for i in simplex:
            self.vertex_to_simplices[i].add(simplex)
        owners = self._face_owners
        for k in range(len(simplex)):
            face = simplex[:k] + simplex[k + 1 :]
            found = owners.get(face)
            if found is None:
                owners[face] = [simplex]
            else:
                found.append(simplex)

    def _delete_simplex(self, simplex: Simplex) -> None:
        simplex = tuple(simplex)
        if simplex not in self.simplices:
            return
        self.simplices.discard(simplex)
        self._sphere.pop(simplex, None)
        for i in simplex:
            self.vertex_to_simplices[i].discard(simplex)
        owners = self._face_owners
        for k in range(len(simplex)):
            face = simplex[:k] + simplex[k + 1 :]
            found = owners[face]
            found.remove(simplex)
            if not found:
                del owners[face]

    add_simplex = _add_simplex
    delete_simplex = _delete_simplex

    def _cache_spheres(self, simplices: Sequence[Simplex]) -> None:
        if not simplices:
            return
        if self.dim == 2:
            for s in simplices:
                a, b, c = (self.vertices[i] for i in s)
                self._sphere[s] = _sphere_2d(a, b, c)
            return
        stack = np.array([[self.vertices[i] for i in s] for s in simplices])
        for s, sphere in zip(simplices, _spheres(stack)):
            self._sphere[s] = sphere

    def _sphere_of(self, simplex: Simplex) -> tuple[tuple[float, ...], float]:
        sphere = self._sphere.get(simplex)
        if sphere is None:
            sphere = _spheres(np.array([self.get_vertices(simplex)], dtype=float))[0]
            if simplex in self.simplices:
                self._sphere[simplex] = sphere
        return sphere

    def check(self) -> None:
        """Assert the invariants: positive volumes, faces shared by at most two simplices,
        consistent vertex_to_simplices. (The Delaunay property is checked by the learner.)"""
        for i, owners in enumerate(self.vertex_to_simplices):
            assert all(i in s and s in self.simplices for s in owners), f"vertex {i}"
        for s in self.simplices:
            assert all(s in self.vertex_to_simplices[i] for i in s), f"simplex {s}"
            assert len(set(s)) == self.dim + 1 and list(s) == sorted(s)
            assert self.volume(s) > 0, f"flat simplex {s}"
        count: dict[Simplex, int] = {}
        for s in self.simplices:
            for face in _faces(s):
                count[face] = count.get(face, 0) + 1
        assert max(count.values(), default=0) <= 2, "a face is shared by three simplices"
        expected: dict[Simplex, list[Simplex]] = {}
        for s in self.simplices:
            for face in _faces(s):
                expected.setdefault(face, []).append(s)
        got = {f: sorted(o) for f, o in self._face_owners.items()}
        assert got == {f: sorted(o) for f, o in expected.items()}, "face map out of step"
