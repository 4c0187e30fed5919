"""LearnerND's helpers: the domain (box or hull), value checks, and losses in bulk."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import check_shape, number_or_array
from .losses_nd import default_loss, uniform_loss
from .triangulation import Triangulation

__all__ = ["Geometry", "check_bounds_nd", "check_value", "lift_losses"]

_KUHN_MAX_DIM = 7  # a box is cut into dim! simplices up to here; qhull beyond


@dataclass
class Geometry:
    """The domain of a LearnerND: a box or a convex hull."""

    source: Any  # what the user gave (for ``new()``)
    bounds: Any  # tuple of (lo, hi) pairs, or the ConvexHull
    ndim: int
    lows: tuple[float, ...]  # the bounding box
    widths: tuple[float, ...]
    highs: tuple[float, ...]
    corners: list[tuple[float, ...]]  # the points that must be known first
    volume: float
    equations: np.ndarray | None = None  # the hull's facets, a.x + b <= 0 inside

    def contains(self, point: Sequence[float]) -> bool:
        """Whether the point is in the domain (hulls: up to 1e-12 of its size)."""
        if self.equations is None:
            return all(lo <= x <= hi for x, lo, hi in zip(point, self.lows, self.highs))
        p = np.asarray(point, dtype=float)
        tol = 1e-12 * max(self.widths)
        return bool(np.all(self.equations[:, :-1] @ p + self.equations[:, -1] <= tol))

    def triangulation(self) -> Triangulation:
        """A fresh triangulation of the corners."""
        if self.equations is None and self.ndim <= _KUHN_MAX_DIM:
            return Triangulation.box(self.lows, self.highs)
        return Triangulation(self.corners)


def _bad(msg: str) -> ValueError:
    return ValueError(msg)


def check_bounds_nd(bounds: Any) -> Geometry:
    """Check ``bounds`` (a list of (lo, hi) pairs or a ConvexHull) and describe the domain."""
    from scipy.spatial import ConvexHull

    if isinstance(bounds, ConvexHull):
        return _hull_geometry(bounds)
    if isinstance(bounds, str | bytes):
        raise _bad(f"bounds must be a list of (lower, upper) pairs or a ConvexHull, got {bounds!r}")
    try:
        pairs = [tuple(pair) for pair in bounds]
    except TypeError:
        msg = f"bounds must be a list of (lower, upper) pairs or a ConvexHull, got {bounds!r}"
        raise _bad(msg) from None
    if len(pairs) < 2:
        msg = (
            f"LearnerND needs at least 2 dimensions, got bounds {bounds!r}; use Learner1D "
            "for a function of one variable"
        )
        raise _bad(msg)
    checked = []
    for k, pair in enumerate(pairs):
        if len(pair) != 2:
            raise _bad(f"bounds[{k}] must be a pair (lower, upper), got {pair!r}")
        for v in pair:
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise _bad(f"bounds[{k}] = {pair!r} holds {v!r}, which is not a real number")
        lo, hi = float(pair[0]), float(pair[1])
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise _bad(f"bounds[{k}] = {pair!r} must be finite")
        if lo == hi:
            raise _bad(f"bounds[{k}] = {pair!r} has zero width; give two different numbers")
        if lo > hi:
            raise _bad(f"bounds[{k}] = {pair!r} is reversed; give it as ({pair[1]!r}, {pair[0]!r})")
        if not math.isfinite(hi - lo):
            raise _bad(f"the width of bounds[{k}] = {pair!r} overflows a float")
        checked.append((lo, hi))
    ndim = len(checked)
    lows = tuple(lo for lo, _ in checked)
    widths = tuple(hi - lo for lo, hi in checked)
    if ndim > 12:
        raise _bad(f"LearnerND supports up to 12 dimensions, got {ndim}")
    highs = tuple(hi for _, hi in checked)
    corners = [
        tuple(highs[k] if (i >> k) & 1 else lows[k] for k in range(ndim)) for i in range(2**ndim)
    ]
    return Geometry(
        source=[tuple(p) for p in checked],
        bounds=tuple(checked),
        ndim=ndim,
        lows=lows,
        widths=widths,
        highs=tuple(hi for _, hi in checked),
        corners=list(corners),
        volume=float(np.prod(widths)),
    )


def _hull_geometry(hull: Any) -> Geometry:
    points = np.asarray(hull.points, dtype=float)
    ndim = points.shape[1]
    if ndim < 2:
        raise _bad("a ConvexHull as bounds needs at least 2 dimensions; use Learner1D")
    if not np.all(np.isfinite(points)):
        raise _bad("the ConvexHull given as bounds has NaN or infinite points")
    corners = points[np.sort(hull.vertices)]
    lows = corners.min(axis=0)
    widths = corners.max(axis=0) - lows
    vol = float(hull.volume)
    spread = np.linalg.svd(corners - corners.mean(axis=0), compute_uv=False)
    if not (vol > 0 and math.isfinite(vol)) or spread[-1] <= 1e-9 * spread[0]:
        msg = f"the ConvexHull given as bounds is flat (volume {vol!r}); it must span a volume"
        raise _bad(msg)
    return Geometry(
        source=hull,
        bounds=hull,
        ndim=ndim,
        lows=tuple(lows.tolist()),
        widths=tuple(widths.tolist()),
        highs=tuple((lows + widths).tolist()),
        corners=[tuple(p) for p in corners.tolist()],
        volume=vol,
        equations=np.asarray(hull.equations, dtype=float),
    )


def check_value(point: Any, value: Any, shape: tuple[int, ...] | None) -> tuple[Any, tuple]:
    """Return ``(value, shape)``: the value as a float or a 1-D float array, and its shape.

    Raises ``ValueError`` naming the point for a value that is not a number or 1-D array of
    numbers, or whose shape differs from ``shape`` (the shape of the earlier values).
    """
    checked = number_or_array(point, value, "func")
    if not isinstance(checked, float):
        if checked.ndim > 1:
            msg = f"func({point!r}) returned an array of shape {checked.shape}; LearnerND needs 1-D"
            raise ValueError(msg)
        if checked.size == 0:
            msg = f"func({point!r}) returned an empty array; LearnerND needs at least one value"
            raise ValueError(msg)
    check_shape(point, checked, shape, "func")
    got = () if isinstance(checked, float) else checked.shape
    return checked, got


def lift_losses(learner: Any, simplices: list[tuple[int, ...]], mult: float) -> list[float]:
    """The losses of ``simplices`` of ``learner._tri`` with the values times ``mult``.

    Simplices that touch a NaN or infinite value, or whose loss is NaN, get their volume
    (scaled coordinates) instead, so the loss stays finite.
    """
    if not simplices:
        return []
    tri = learner._tri
    dim = learner.ndim
    fn = learner.loss_per_simplex
    if dim == 2 and learner._vshape in (None, ()) and fn in (default_loss, uniform_loss):
        return _losses_2d(learner, simplices, mult, fn is uniform_loss)
    verts = tri.vertices
    coords = np.array([[verts[i] for i in s] for s in simplices], dtype=float)
    scaled = (coords - learner._lows) / learner._widths
    vals = learner._vals
    values = np.array([[vals[i] for i in s] for s in simplices], dtype=float)
    values = values.reshape(len(simplices), dim + 1, -1) * mult
    edges = scaled[:, 1:] - scaled[:, :1]
    vol = np.abs(np.linalg.det(edges)) / math.factorial(dim)
    with np.errstate(all="ignore"):
        finite = np.all(np.isfinite(values), axis=(1, 2))
        if fn is default_loss:
            lifted = np.concatenate([scaled, values], axis=2)
            m = lifted[:, 1:] - lifted[:, :1]
            gram = np.linalg.det(m @ np.swapaxes(m, 1, 2))
            losses = np.sqrt(np.maximum(gram, 0.0)) / math.factorial(dim)
        elif fn is uniform_loss:
            losses = vol.copy()
        else:
            losses = np.array(
                [_one_loss(learner, s, scaled[k], values[k], mult) for k, s in enumerate(simplices)]
            )
        bad = ~finite | np.isnan(losses)
        losses[bad] = vol[bad]
    return losses.tolist()


def _losses_2d(learner: Any, simplices: list, mult: float, uniform: bool) -> list[float]:
    """The built-in losses for scalar functions of two variables, in plain Python."""
    verts, vals = learner._tri.vertices, learner._vals
    wx, wy = learner._widths
    out = []
    for a, b, c in simplices:
        (ax, ay), (bx, by), (cx, cy) = verts[a], verts[b], verts[c]
        ux, uy = (bx - ax) / wx, (by - ay) / wy
        vx, vy = (cx - ax) / wx, (cy - ay) / wy
        nz = ux * vy - uy * vx
        za, zb, zc = vals[a], vals[b], vals[c]
        if uniform or not (math.isfinite(za) and math.isfinite(zb) and math.isfinite(zc)):
            out.append(0.5 * abs(nz))
            continue
        uz, vz = (zb - za) * mult, (zc - za) * mult
        nx, ny = uy * vz - uz * vy, uz * vx - ux * vz
        out.append(0.5 * math.sqrt(nx * nx + ny * ny + nz * nz))
    return out


def _one_loss(
    learner: Any, s: tuple[int, ...], simplex: np.ndarray, values: np.ndarray, mult: float
) -> float:
    if not np.all(np.isfinite(values)):
        return math.nan
    vals = values[:, 0] if learner._vshape in (None, ()) else values
    if not learner.nth_neighbors:
        return _as_float(learner.loss_per_simplex(simplex, vals, mult))
    tri = learner._tri
    neighbors: list[Any] = []
    neighbor_values: list[Any] = []
    for v in tri.get_opposing_vertices(s):
        value = None if v is None else np.asarray(learner._vals[v], dtype=float) * mult
        if v is None or not np.all(np.isfinite(value)):
            neighbors.append(None)
            neighbor_values.append(None)
            continue
        point = (np.array(tri.vertices[v]) - learner._lows) / learner._widths
        neighbors.append(point)
        neighbor_values.append(float(value) if value.ndim == 0 else value)
    return _as_float(learner.loss_per_simplex(simplex, vals, mult, neighbors, neighbor_values))


def _as_float(loss: Any) -> float:
    return float(np.asarray(loss, dtype=float).reshape(-1)[0])
