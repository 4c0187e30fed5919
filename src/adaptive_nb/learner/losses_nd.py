"""Loss functions of LearnerND and their geometric helpers.

The contract (the same as python-adaptive's): ``loss(simplex, values, value_scale)`` returns
a float for one simplex. ``simplex`` is an array of shape ``(dim + 1, dim)`` with the
coordinates scaled to the unit hypercube of the bounds, ``values`` an array of shape
``(dim + 1,)`` (scalar output) or ``(dim + 1, vdim)``, already multiplied by ``value_scale``
(one over the range of the values seen). A loss decorated with ``uses_nth_neighbors(1)`` also
gets ``neighbors``, a list with, for each face of the simplex, the coordinates of the vertex
across that face (shape ``(dim,)``, ``None`` on the hull) and ``neighbor_values``, the values
there (``None`` on the hull). ``nth_neighbors > 1`` is not supported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .base_learner import uses_nth_neighbors

__all__ = [
    "choose_point_in_simplex",
    "curvature_loss_function",
    "default_loss",
    "orientation",
    "simplex_volume_in_embedding",
    "std_loss",
    "to_list",
    "triangle_loss",
    "uniform_loss",
    "volume",
]


def to_list(inp: Any) -> list:
    """``inp`` as a list (an array or iterable as a list of its items, a scalar as ``[inp]``)."""
    if isinstance(inp, np.ndarray):
        return inp.tolist()
    try:
        return list(inp)
    except TypeError:
        return [inp]


def volume(simplex: Any, ys: Any = None) -> float:
    """The volume of a simplex (rows: its ``dim + 1`` vertices).

    With ``ys`` (one value, or a row of values, per vertex) the volume of the simplex lifted
    into the space of (coordinates, values).
    """
    simplex = np.asarray(simplex, dtype=float)
    if ys is not None:
        return simplex_volume_in_embedding(_embed(simplex, ys))
    dim = simplex.shape[1]
    return abs(float(np.linalg.det(simplex[1:] - simplex[0]))) / math.factorial(dim)


def orientation(simplex: Any) -> float:
    """The sign of the determinant of the simplex's edge vectors: +1, -1 or 0 (flat)."""
    simplex = np.asarray(simplex, dtype=float)
    return float(np.sign(np.linalg.det(simplex[1:] - simplex[0])))


def simplex_volume_in_embedding(vertices: Any) -> float:
    """The k-volume of a k-simplex given by ``k + 1`` points in a space of dimension >= k.

    Uses the Gram determinant of the edge vectors; numerical noise that makes it slightly
    negative gives 0.
    """
    vertices = np.asarray(vertices, dtype=float)
    edges = vertices[1:] - vertices[0]
    k = edges.shape[0]
    gram = float(np.linalg.det(edges @ edges.T))
    return math.sqrt(gram) / math.factorial(k) if gram > 0 else 0.0


def _embed(simplex: np.ndarray, values: Any) -> np.ndarray:
    values = np.asarray(values, dtype=float).reshape(len(simplex), -1)
    return np.hstack([simplex, values])


def default_loss(simplex: Any, values: Any, value_scale: float) -> float:
    """The volume of the simplex lifted into (coordinates, values) space."""
    return simplex_volume_in_embedding(_embed(np.asarray(simplex, dtype=float), values))


def uniform_loss(simplex: Any, values: Any, value_scale: float) -> float:
    """The volume of the simplex: samples the domain uniformly."""
    return volume(simplex)


def std_loss(simplex: Any, values: Any, value_scale: float) -> float:
    """The volume of the simplex times one plus the spread of its values.

    The spread is the standard deviation of the (scaled) values over the vertices, the
    largest over the output components.
    """
    spread = np.std(np.asarray(values, dtype=float).reshape(len(simplex), -1), axis=0)
    return volume(simplex) * (1.0 + float(spread.max()))


@uses_nth_neighbors(1)
def triangle_loss(
    simplex: Any,
    values: Any,
    value_scale: float,
    neighbors: Sequence[Any],
    neighbor_values: Sequence[Any],
) -> float:
    """How far the function bends between the simplex and its neighbours.

    For each neighbour, the volume of the (dim+1)-simplex formed, in (coordinates, values)
    space, by the simplex and the neighbour's opposite vertex: zero where the function is
    linear across the shared face. Returns their mean (0 without neighbours).
    """
    lifted = _embed(np.asarray(simplex, dtype=float), values)
    volumes = []
    for point, value in zip(neighbors, neighbor_values):
        if point is None or value is None:
            continue
        extra = np.hstack([np.asarray(point, dtype=float), np.ravel(np.asarray(value, float))])
        volumes.append(simplex_volume_in_embedding(np.vstack([lifted, extra])))
    return float(sum(volumes) / len(volumes)) if volumes else 0.0


def curvature_loss_function(exploration: float = 0.05) -> Callable[..., float]:
    """A loss that follows the curvature (:func:`triangle_loss`), plus ``exploration`` times
    the simplex's size so that flat regions are still refined.

    The loss is ``(triangle_loss + exploration * volume ** ((dim + 2) / dim)) ** (1 / (dim + 2))``:
    both terms scale as length ** (dim + 2).
    """
    if isinstance(exploration, bool) or not isinstance(exploration, int | float):
        msg = f"exploration must be a number >= 0, got {exploration!r}"
        raise ValueError(msg)
    if not exploration >= 0 or not math.isfinite(exploration):
        msg = f"exploration must be a finite number >= 0, got {exploration!r}"
        raise ValueError(msg)

    @uses_nth_neighbors(1)
    def curvature_loss(
        simplex: Any,
        values: Any,
        value_scale: float,
        neighbors: Sequence[Any],
        neighbor_values: Sequence[Any],
    ) -> float:
        dim = len(simplex) - 1
        bend = triangle_loss(simplex, values, value_scale, neighbors, neighbor_values)
        size = volume(simplex)
        return (bend + exploration * size ** ((dim + 2) / dim)) ** (1 / (dim + 2))

    return curvature_loss


def choose_point_in_simplex(simplex: Any, transform: Any = None) -> np.ndarray:
    """The point where a simplex is split: its circumcenter when that lies well inside it,
    otherwise the middle of its longest edge.

    ``transform`` (a ``dim x dim`` matrix) measures lengths and circles in the transformed
    space (anisotropic meshes).
    """
    if transform is None and len(simplex) == 3 and len(simplex[0]) == 2:
        return _choose_in_triangle(simplex)
    simplex = np.asarray(simplex, dtype=float)
    moved = simplex if transform is None else simplex @ np.asarray(transform, float).T
    edges = moved[1:] - moved[0]
    rhs = 0.5 * np.einsum("ij,ij->i", edges, edges)
    try:
        offset = np.linalg.solve(edges, rhs)
        bary_rest = np.linalg.solve(edges.T, offset)
        bary = np.concatenate([[1 - bary_rest.sum()], bary_rest])
    except np.linalg.LinAlgError:
        bary = np.full(len(simplex), -1.0)
    if np.all(bary > 0.01):  # well inside: the circumcenter, in original coordinates
        return bary @ simplex
    best, pair = -1.0, (0, 1)
    for i in range(len(moved)):
        for j in range(i + 1, len(moved)):
            length = float(np.sum((moved[i] - moved[j]) ** 2))
            if length > best:
                best, pair = length, (i, j)
    return 0.5 * simplex[pair[0]] + 0.5 * simplex[pair[1]]


def _choose_in_triangle(triangle: Any) -> np.ndarray:
    """choose_point_in_simplex for a triangle, in plain Python."""
    (ax, ay), (bx, by), (cx, cy) = ((float(u), float(v)) for u, v in triangle)
    bx_, by_, cx_, cy_ = bx - ax, by - ay, cx - ax, cy - ay
    d = 2.0 * (bx_ * cy_ - by_ * cx_)
    if d != 0.0:
        b2, c2 = bx_ * bx_ + by_ * by_, cx_ * cx_ + cy_ * cy_
        ux, uy = (cy_ * b2 - by_ * c2) / d, (bx_ * c2 - cx_ * b2) / d
        u = (ux * cy_ - cx_ * uy) * 2.0 / d
        v = (bx_ * uy - ux * by_) * 2.0 / d
        if min(1.0 - u - v, u, v) > 0.01:
            return np.array(
                [(1.0 - u - v) * ax + u * bx + v * cx, (1.0 - u - v) * ay + u * by + v * cy]
            )
    edges = [
        ((ax - bx) ** 2 + (ay - by) ** 2, 0, 1),
        ((ax - cx) ** 2 + (ay - cy) ** 2, 0, 2),
        ((bx - cx) ** 2 + (by - cy) ** 2, 1, 2),
    ]
    best = edges[0]
    for e in edges[1:]:
        if e[0] > best[0]:
            best = e
    pts = ((ax, ay), (bx, by), (cx, cy))
    p, q = pts[best[1]], pts[best[2]]
    return np.array([0.5 * p[0] + 0.5 * q[0], 0.5 * p[1] + 0.5 * q[1]])
