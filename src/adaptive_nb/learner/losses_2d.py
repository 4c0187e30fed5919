"""Loss functions of Learner2D, with python-adaptive's call contract ``loss(ip) -> losses``.

``ip`` is an interpolator over points scaled to the unit square centred at 0 (see
:meth:`Learner2D.interpolator`): ``ip.tri.points`` (npoints, 2), ``ip.tri.simplices``
(ntriangles, 3), ``ip.tri.neighbors`` (ntriangles, 3; ``neighbors[i, j]`` is opposite vertex j,
-1 on the hull) and ``ip.values`` (npoints, vdim). A loss returns one number per triangle;
the learner refines the triangle with the largest loss.

Learner2D recognises :func:`default_loss`, :func:`uniform_loss`,
:func:`minimize_triangle_surface_loss` and the losses made by :func:`resolution_loss_function`
and :func:`thresholded_loss_function` (around one of those), and then computes the same formulas
triangle by triangle, only where the triangulation changed (see ``_kernels_2d``). Any other
callable with this contract works too; it is called on the whole triangulation.

Gradients at the vertices (for :func:`deviations`) are the weighted least-squares fit of a
plane through each vertex and its neighbours, the neighbours weighted by one over their squared
distance; they depend only on the neighbourhood of a vertex, so the learner can update them
locally.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
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

#: Beyond this ratio of its longest to its shortest side, a triangle is split at the middle of
#: its longest side instead of at its centre.
MAX_BADNESS = 5.0


def _values(ip: Any) -> np.ndarray:
    values = np.asarray(ip.values, dtype=float)
    return values.reshape(len(values), -1)


def _value_scale(values: np.ndarray) -> float:
    finite = np.where(np.isfinite(values), values, np.nan)
    if not np.isfinite(finite).any():
        return 1.0
    ptp = float(np.nanmax(np.nanmax(finite, axis=0) - np.nanmin(finite, axis=0)))
    return ptp if ptp > 0 else 1.0


def _scaled_values(ip: Any) -> np.ndarray:
    """``ip.values`` as (npoints, vdim) floats, divided by their range (see ``_value_scale``)."""
    values = _values(ip)
    return values / _value_scale(values)


def areas(ip: Any) -> np.ndarray:
    """The area of every triangle of ``ip.tri``.

    Parameters
    ----------
    ip : interpolator
        An object with ``ip.tri.points`` and ``ip.tri.simplices``.

    Returns
    -------
    numpy.ndarray
        Shape ``(ntriangles,)``.
    """
    p = np.asarray(ip.tri.points, dtype=float)[np.asarray(ip.tri.simplices)]
    q = p[:, :-1, :] - p[:, -1, None, :]
    return np.abs(q[:, 0, 0] * q[:, 1, 1] - q[:, 0, 1] * q[:, 1, 0]) / 2


def _edges(simplices: np.ndarray, neighbors: np.ndarray | None) -> np.ndarray:
    """Every edge once, shape ``(nedges, 2)``."""
    if neighbors is None:
        edges = np.concatenate([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [2, 0]]])
        return np.unique(np.sort(edges, axis=1), axis=0)
    index = np.arange(len(simplices))
    parts = []
    for j in range(3):  # the edge opposite vertex j, from the triangle with the larger index
        mine = neighbors[:, j] < index
        parts.append(simplices[mine][:, [(j + 1) % 3, (j + 2) % 3]])
    return np.concatenate(parts)


def vertex_gradients(
    points: np.ndarray,
    simplices: np.ndarray,
    values: np.ndarray,
    neighbors: np.ndarray | None = None,
) -> np.ndarray:
    """Least-squares gradients at the vertices, shape ``(npoints, vdim, 2)`` (0 where undefined)."""
    simplices = np.asarray(simplices)
    npts = len(points)
    edges = _edges(simplices, None if neighbors is None else np.asarray(neighbors))
    i = np.concatenate([edges[:, 0], edges[:, 1]])
    j = np.concatenate([edges[:, 1], edges[:, 0]])
    ok = np.isfinite(values[i]).all(axis=1) & np.isfinite(values[j]).all(axis=1)
    i, j = i[ok], j[ok]
    d = points[j] - points[i]
    w = 1.0 / (d[:, 0] ** 2 + d[:, 1] ** 2)
    dz = values[j] - values[i]

    def acc(weights: np.ndarray) -> np.ndarray:
        return np.bincount(i, weights=weights, minlength=npts)

    sxx, sxy, syy = acc(w * d[:, 0] ** 2), acc(w * d[:, 0] * d[:, 1]), acc(w * d[:, 1] ** 2)
    det = sxx * syy - sxy * sxy
    good = det > 1e-12 * (sxx + syy) ** 2
    safe = np.where(good, det, 1.0)
    grads = np.zeros((npts, values.shape[1], 2))
    for k in range(values.shape[1]):
        sxz, syz = acc(w * d[:, 0] * dz[:, k]), acc(w * d[:, 1] * dz[:, k])
        grads[:, k, 0] = np.where(good, (syy * sxz - sxy * syz) / safe, 0.0)
        grads[:, k, 1] = np.where(good, (sxx * syz - sxy * sxz) / safe, 0.0)
    return grads


def deviations(ip: Any) -> list[np.ndarray]:
    """How far each triangle is from the planes fitted at its vertices.

    For every vertex of a triangle, the plane through that vertex with the vertex's gradient
    predicts the values at the other two vertices; the deviation of the triangle is the sum,
    over its three vertices, of the largest prediction error. Values are divided by their
    range first.

    Parameters
    ----------
    ip : interpolator
        See the module docstring.

    Returns
    -------
    list of numpy.ndarray
        One array of shape ``(ntriangles,)`` per output component.
    """
    values = _scaled_values(ip)
    points = np.asarray(ip.tri.points, dtype=float)
    simplices = np.asarray(ip.tri.simplices)
    grads = vertex_gradients(points, simplices, values, getattr(ip.tri, "neighbors", None))
    p = points[simplices]  # (m, 3, 2)
    out = []
    for k in range(values.shape[1]):
        v = values[simplices, k]  # (m, 3)
        g = grads[simplices, k, :]  # (m, 3, 2)
        dev = np.zeros(len(simplices))
        for j in range(3):
            estimate = v[:, j, None] + ((p - p[:, j, None, :]) * g[:, j, None, :]).sum(axis=-1)
            dev += np.abs(estimate - v).max(axis=1)
        out.append(dev)
    return out


def default_loss(ip: Any) -> np.ndarray:
    """``deviation * sqrt(area) + 0.3 * area`` per triangle (deviations summed over outputs).

    Parameters
    ----------
    ip : interpolator
        See the module docstring.

    Returns
    -------
    numpy.ndarray
        Shape ``(ntriangles,)``.
    """
    dev = np.sum(deviations(ip), axis=0)
    area = areas(ip)
    return dev * np.sqrt(area) + 0.3 * area


def uniform_loss(ip: Any) -> np.ndarray:
    """``sqrt(area)`` per triangle: samples the domain evenly.

    Parameters
    ----------
    ip : interpolator
        See the module docstring.

    Returns
    -------
    numpy.ndarray
        Shape ``(ntriangles,)``.
    """
    return np.sqrt(areas(ip))


def minimize_triangle_surface_loss(ip: Any) -> np.ndarray:
    """The area of each triangle lifted to ``(x, y, z)`` (z divided by the value range).

    For vector outputs the triangle is lifted to ``(x, y, z_1, ..., z_k)``.

    Parameters
    ----------
    ip : interpolator
        See the module docstring.

    Returns
    -------
    numpy.ndarray
        Shape ``(ntriangles,)``.
    """
    values = _scaled_values(ip)
    simplices = np.asarray(ip.tri.simplices)
    lifted = np.concatenate([np.asarray(ip.tri.points, dtype=float), values], axis=1)[simplices]
    u = lifted[:, 0] - lifted[:, 2]
    v = lifted[:, 1] - lifted[:, 2]
    uu, vv, uv = (u * u).sum(axis=1), (v * v).sum(axis=1), (u * v).sum(axis=1)
    return 0.5 * np.sqrt(np.maximum(uu * vv - uv * uv, 0.0))


def resolution_loss_function(min_distance: float = 0, max_distance: float = 1) -> Callable:
    """A :func:`default_loss` that stops at a finest and insists on a coarsest resolution.

    Triangles with an area below ``min_distance**2`` get loss 0 (they are refined last);
    those with an area above ``max_distance**2`` get loss ``inf`` (they are refined first).
    Areas are measured on the unit square.

    Parameters
    ----------
    min_distance, max_distance : float
        ``0 <= min_distance <= max_distance``.

    Returns
    -------
    callable
        The loss function ``loss(ip)``.
    """
    for name, value in (("min_distance", min_distance), ("max_distance", max_distance)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            msg = f"{name} must be a number >= 0, got {value!r}"
            raise ValueError(msg)
    if min_distance > max_distance:
        msg = f"min_distance={min_distance!r} is larger than max_distance={max_distance!r}"
        raise ValueError(msg)

    def resolution_loss(ip: Any) -> np.ndarray:
        loss = default_loss(ip)
        area = areas(ip)
        loss[area < min_distance**2] = 0
        loss[area > max_distance**2] = np.inf
        return loss

    resolution_loss._local_kernel = ("resolution", float(min_distance), float(max_distance))
    return resolution_loss


def thresholded_loss_function(
    lower_threshold: float | None = None,
    upper_threshold: float | None = None,
    priority_factor: float = 0.1,
) -> Callable:
    """A :func:`default_loss` that cares less about values outside the thresholds.

    The loss of a triangle whose vertex values all lie below ``lower_threshold`` or all above
    ``upper_threshold`` is multiplied by ``priority_factor``.

    Parameters
    ----------
    lower_threshold, upper_threshold : float or None
        The band of interesting values (None: unbounded on that side).
    priority_factor : float
        The factor (>= 0) for triangles outside the band.

    Returns
    -------
    callable
        The loss function ``loss(ip)``.
    """
    lower = -math.inf if lower_threshold is None else float(lower_threshold)
    upper = math.inf if upper_threshold is None else float(upper_threshold)
    factor = float(priority_factor)
    if math.isnan(lower) or math.isnan(upper) or lower > upper:
        msg = (
            f"thresholds must satisfy lower <= upper, got lower_threshold={lower_threshold!r}, "
            f"upper_threshold={upper_threshold!r}"
        )
        raise ValueError(msg)
    if not factor >= 0 or math.isinf(factor):
        msg = f"priority_factor must be a finite number >= 0, got {priority_factor!r}"
        raise ValueError(msg)

    def thresholded_loss(ip: Any) -> np.ndarray:
        loss = default_loss(ip)
        v = _values(ip)[np.asarray(ip.tri.simplices)]  # (m, 3, vdim)
        outside = (v < lower).all(axis=(1, 2)) | (v > upper).all(axis=(1, 2))
        loss[outside] *= factor
        return loss

    thresholded_loss._local_kernel = ("threshold", lower, upper, factor)
    return thresholded_loss


def triangle_loss(ip: Any) -> np.ndarray:
    """The mean volume of the tetrahedra a triangle makes with its neighbours' far vertices.

    In ``(x, y, z)`` space (z divided by the value range; more dimensions for vector output),
    a flat neighbourhood gives 0. Learner2D calls it on the whole triangulation (it looks at
    neighbours), every ``stack_size`` points.

    Parameters
    ----------
    ip : interpolator
        See the module docstring.

    Returns
    -------
    numpy.ndarray
        Shape ``(ntriangles,)``.
    """
    values = _scaled_values(ip)
    lifted = np.concatenate([np.asarray(ip.tri.points, dtype=float), values], axis=1)
    simplices = np.asarray(ip.tri.simplices)
    neighbors = np.asarray(ip.tri.neighbors)
    m = len(simplices)
    total = np.zeros(m)
    count = np.zeros(m)
    base = lifted[simplices]  # (m, 3, D)
    e1, e2 = base[:, 1] - base[:, 0], base[:, 2] - base[:, 0]
    for j in range(3):
        nb = neighbors[:, j]
        has = nb >= 0
        far = np.zeros(m, dtype=int)
        rows = np.nonzero(has)[0]
        # the neighbour's vertex that is not in this triangle
        cand = simplices[nb[rows]]
        mine = simplices[rows]
        not_shared = ~(cand[:, :, None] == mine[:, None, :]).any(axis=2)
        far[rows] = cand[np.arange(len(rows)), not_shared.argmax(axis=1)]
        e3 = lifted[far] - base[:, 0]
        gram = np.stack(
            [np.stack([(a * b).sum(axis=1) for b in (e1, e2, e3)], axis=1) for a in (e1, e2, e3)],
            axis=1,
        )
        volume = np.sqrt(np.maximum(np.linalg.det(gram), 0.0)) / 6
        total += np.where(has, volume, 0.0)
        count += has
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def choose_point_in_triangle(triangle: Any, max_badness: float) -> np.ndarray:
    """The point at which to split a triangle.

    The badness of a triangle is the square of its longest side over its area, normalised to
    1 for an equilateral triangle (``sqrt(3) * longest**2 / (4 * area)``). A triangle worse than
    ``max_badness`` is split at the middle of its longest side, any other at its centre.

    Parameters
    ----------
    triangle : array_like
        Shape ``(3, 2)``: the vertices.
    max_badness : float
        The largest acceptable badness (>= 1).

    Returns
    -------
    numpy.ndarray
        Shape ``(2,)``.
    """
    a, b, c = np.asarray(triangle, dtype=float)
    sides = [(b - a) @ (b - a), (c - b) @ (c - b), (a - c) @ (a - c)]
    longest = int(np.argmax(sides))
    area = 0.5 * abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
    if area == 0 or math.sqrt(3) * sides[longest] / (4 * area) > max_badness:
        ends = ((a, b), (b, c), (c, a))[longest]
        return (ends[0] + ends[1]) / 2
    return (a + b + c) / 3
