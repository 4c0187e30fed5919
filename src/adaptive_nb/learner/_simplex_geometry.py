"""Geometric predicates and helpers for the N-dimensional triangulation (plain Python for
two and three dimensions, numpy beyond), and qhull for a first triangulation of a hull."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["circumsphere", "orientation", "simplex_volume"]

Simplex = tuple[int, ...]
_REL_TOL = 1e-10  # relative tolerance of the geometric predicates
_MIN_SEPARATION = 1e-9  # points closer than this (relative to the extent) are not added


def simplex_volume(coords: Any) -> float:
    """The volume of a simplex given by the ``dim + 1`` rows of ``coords``."""
    coords = np.asarray(coords, dtype=float)
    dim = coords.shape[1]
    return abs(float(np.linalg.det(coords[1:] - coords[0]))) / math.factorial(dim)


def orientation(coords: Any) -> int:
    """The orientation of a simplex: +1, -1 (the sign of its determinant) or 0 if flat."""
    coords = np.asarray(coords, dtype=float)
    det = float(np.linalg.det(coords[1:] - coords[0]))
    scale = float(np.abs(coords[1:] - coords[0]).max(initial=0.0)) ** coords.shape[1]
    if abs(det) <= _REL_TOL * scale:
        return 0
    return 1 if det > 0 else -1


def circumsphere(coords: Any) -> tuple[tuple[float, ...], float]:
    """The center and radius of the sphere through the ``dim + 1`` rows of ``coords``."""
    center, r2 = _spheres(np.asarray(coords, dtype=float)[None])[0]
    return center, math.sqrt(r2)


def _spheres(stack: np.ndarray) -> list[tuple[tuple[float, ...], float]]:
    """``(center, radius**2)`` of each simplex in ``stack`` (shape (k, dim + 1, dim))."""
    origin = stack[:, 0, :]
    edges = stack[:, 1:, :] - origin[:, None, :]
    rhs = 0.5 * np.einsum("kij,kij->ki", edges, edges)
    with np.errstate(all="ignore"):
        try:
            offset = np.linalg.solve(edges, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:  # a flat simplex among them: one at a time
            offset = np.array([_solve_or_inf(e, r) for e, r in zip(edges, rhs)])
    r2 = np.einsum("ki,ki->k", offset, offset)
    centers = (origin + offset).tolist()
    return [(tuple(c), r) for c, r in zip(centers, r2.tolist())]


def _solve_or_inf(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(matrix, rhs)
    except np.linalg.LinAlgError:
        return np.full(len(rhs), np.inf)


def _sphere_2d(a: Sequence[float], b: Sequence[float], c: Sequence[float]) -> tuple:
    """The circumcircle of a triangle, in plain Python (faster than numpy for one)."""
    bx, by = b[0] - a[0], b[1] - a[1]
    cx, cy = c[0] - a[0], c[1] - a[1]
    d = 2.0 * (bx * cy - by * cx)
    if d == 0.0:
        return ((math.inf, math.inf), math.inf)
    b2, c2 = bx * bx + by * by, cx * cx + cy * cy
    ux = (cy * b2 - by * c2) / d
    uy = (bx * c2 - cx * b2) / d
    return ((a[0] + ux, a[1] + uy), ux * ux + uy * uy)


def _det(rows: list[Sequence[float]]) -> float:
    """The determinant of a small square matrix given as rows."""
    if len(rows) == 2:
        (a, b), (c, d) = rows
        return a * d - b * c
    if len(rows) == 3:
        (a, b, c), (d, e, f), (g, h, i) = rows
        return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    return float(np.linalg.det(np.array(rows)))


def _faces(simplex: Simplex) -> list[Simplex]:
    return [simplex[:k] + simplex[k + 1 :] for k in range(len(simplex))]


def _inside(point: Sequence[float], center: Sequence[float], r2: float) -> bool:
    d2 = 0.0
    for p, c in zip(point, center):
        d2 += (p - c) * (p - c)
    return d2 < r2 * (1.0 - _REL_TOL)


def _in_sphere_lifted(coords: Sequence[Sequence[float]], point: Sequence[float]) -> bool:
    """The in-sphere test as a lifted determinant relative to ``point`` (well conditioned
    for the thin simplices whose circumcenters are imprecise): strictly inside?"""

    def lifted(q: Sequence[float]) -> tuple[float, float]:
        rows = []
        for v in coords:
            diff = [a - b for a, b in zip(v, q)]
            rows.append([*diff, sum(x * x for x in diff)])
        det = float(np.linalg.det(np.array(rows)))
        bound = math.prod(math.sqrt(sum(x * x for x in row)) for row in rows)
        return det, bound

    det, bound = lifted(point)
    if abs(det) <= 1e-12 * bound:
        return False  # on the sphere
    centroid = [sum(c[k] for c in coords) / len(coords) for k in range(len(point))]
    reference, _ = lifted(centroid)  # the centroid is inside
    return (det > 0) == (reference > 0)


def _barycentric(coords: Sequence[Sequence[float]], point: Sequence[float]) -> list[float]:
    if len(coords) == 3:
        (ax, ay), (bx, by), (cx, cy) = coords
        det = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay)
        if det == 0.0:
            return [-math.inf] * 3
        px, py = point[0] - ax, point[1] - ay
        u = (px * (cy - ay) - (cx - ax) * py) / det
        v = ((bx - ax) * py - px * (by - ay)) / det
        return [1.0 - u - v, u, v]
    if len(coords) == 4 and len(point) == 3:
        a = coords[0]
        rows = [[c[k] - a[k] for k in range(3)] for c in coords[1:]]
        det = _det(rows)
        if det == 0.0:
            return [-math.inf] * 4
        q = [point[k] - a[k] for k in range(3)]
        lam = [_det([q if j == i else rows[j] for j in range(3)]) / det for i in range(3)]
        return [1.0 - lam[0] - lam[1] - lam[2], *lam]
    base = np.asarray(coords[0], dtype=float)
    matrix = (np.asarray(coords[1:], dtype=float) - base).T
    try:
        rest = np.linalg.solve(matrix, np.asarray(point, dtype=float) - base)
    except np.linalg.LinAlgError:
        return [-math.inf] * len(coords)
    return [1.0 - float(rest.sum()), *rest.tolist()]


def _hull_vertices(array: np.ndarray) -> list[int]:
    from scipy.spatial import ConvexHull

    if array.shape[1] == 1:
        return sorted({int(np.argmin(array[:, 0])), int(np.argmax(array[:, 0]))})
    return sorted(int(i) for i in ConvexHull(array).vertices)


def _delaunay_simplices(array: np.ndarray) -> list[Simplex]:
    """Delaunay simplices of points in convex position (flat ones, which qhull makes for
    cospherical points, are dropped); checked to cover the hull."""
    if array.shape[1] == 1:
        return [(int(np.argmin(array[:, 0])), int(np.argmax(array[:, 0])))]
    from scipy.spatial import ConvexHull, Delaunay

    simplices = Delaunay(array).simplices
    total = ConvexHull(array).volume
    kept = [tuple(sorted(int(i) for i in s)) for s in simplices]
    volumes = [simplex_volume(array[list(s)]) for s in kept]
    kept = [s for s, v in zip(kept, volumes) if v > _REL_TOL * total]
    covered = sum(v for v in volumes if v > _REL_TOL * total)
    if not math.isclose(covered, total, rel_tol=1e-8):
        msg = "could not triangulate the hull of these points (too degenerate)"
        raise ValueError(msg)
    return kept
