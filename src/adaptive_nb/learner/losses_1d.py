"""Loss functions for :class:`~adaptive_nb.learner.Learner1D`.

The call contract (the same as python-adaptive's, so user-written losses keep working):
``loss(xs, ys) -> float``, where ``xs`` are the x-values of the interval, rescaled by the
width of the bounds, and ``ys`` the matching values rescaled by the range of the data seen so
far (floats for scalar functions, 1-D arrays for vector-valued ones). A loss decorated with
``@uses_nth_neighbors(n)`` receives ``2 + 2*n`` values: ``n`` neighbours on each side of the
interval, padded with ``None`` at the edges of the domain.

A larger loss means the interval needs more points. Intervals with a non-finite value at an
end are not given to the loss: their loss is their rescaled width.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .base_learner import uses_nth_neighbors

__all__ = [
    "abs_min_log_loss",
    "curvature_loss_function",
    "default_loss",
    "resolution_loss_function",
    "triangle_loss",
    "uniform_loss",
    "uses_nth_neighbors",
]


@uses_nth_neighbors(0)
def uniform_loss(xs: Sequence[float], ys: Sequence[Any]) -> float:
    """The width of the interval: samples the domain evenly."""
    return xs[1] - xs[0]


@uses_nth_neighbors(0)
def default_loss(xs: Sequence[float], ys: Sequence[Any]) -> float:
    """The length of the line segment between the two ends (the largest over components)."""
    dx = xs[1] - xs[0]
    y0, y1 = ys
    if isinstance(y0, float):
        return math.hypot(dx, y1 - y0)
    return float(np.max(np.hypot(dx, np.asarray(y1) - np.asarray(y0))))


@uses_nth_neighbors(0)
def abs_min_log_loss(xs: Sequence[float], ys: Sequence[Any]) -> float:
    """``default_loss`` on the logarithm of the smallest absolute component of the output."""
    with np.errstate(divide="ignore"):
        logs = tuple(float(np.min(np.log(np.abs(y)))) for y in ys)
    return default_loss(xs, logs)


def _triangle_area(p: Sequence[float], q: Sequence[float], r: Sequence[float]) -> float:
    """Area of the triangle p, q, r in any number of dimensions."""
    a = np.subtract(q, p)
    b = np.subtract(r, p)
    aa, bb, ab = float(a @ a), float(b @ b), float(a @ b)
    return 0.5 * math.sqrt(max(aa * bb - ab * ab, 0.0))


def _as_point(x: float, y: Any) -> tuple[float, ...]:
    if isinstance(y, float):
        return (x, y)
    return (x, *np.asarray(y, dtype=float).ravel())


@uses_nth_neighbors(1)
def triangle_loss(xs: Sequence[float | None], ys: Sequence[Any]) -> float:
    """Mean area of the triangles formed by the interval and its neighbours.

    Flat (or straight) regions get a small loss, bends a large one. With no neighbour on
    either side this is the ``default_loss`` of the interval.
    """
    points = [(x, y) for x, y in zip(xs, ys, strict=True) if x is not None]
    if len(points) < 3:
        middle = len(xs) // 2
        return default_loss(xs[middle - 1 : middle + 1], ys[middle - 1 : middle + 1])
    if isinstance(points[0][1], float):
        total = 0.0
        for (x0, y0), (x1, y1), (x2, y2) in zip(points, points[1:], points[2:]):
            total += 0.5 * abs((x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0))
        return total / (len(points) - 2)
    pts = [_as_point(x, y) for x, y in points]
    areas = [_triangle_area(*pts[i : i + 3]) for i in range(len(pts) - 2)]
    return sum(areas) / len(areas)


def _check_nonnegative(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        msg = f"{name} must be a number >= 0, got {value!r}"
        raise ValueError(msg)
    return float(value)


def curvature_loss_function(
    area_factor: float = 1, euclid_factor: float = 0.02, horizontal_factor: float = 0.02
) -> Callable[[Sequence[float | None], Sequence[Any]], float]:
    """A loss that favours curved regions, with some weight on length and width.

    ``area_factor * sqrt(triangle_loss) + euclid_factor * default_loss
    + horizontal_factor * width``.
    """
    area_factor = _check_nonnegative("area_factor", area_factor)
    euclid_factor = _check_nonnegative("euclid_factor", euclid_factor)
    horizontal_factor = _check_nonnegative("horizontal_factor", horizontal_factor)

    @uses_nth_neighbors(1)
    def curvature_loss(xs: Sequence[float | None], ys: Sequence[Any]) -> float:
        middle_x, middle_y = xs[1:3], ys[1:3]
        return (
            area_factor * math.sqrt(triangle_loss(xs, ys))
            + euclid_factor * default_loss(middle_x, middle_y)
            + horizontal_factor * (middle_x[1] - middle_x[0])
        )

    return curvature_loss


def resolution_loss_function(
    min_length: float = 0, max_length: float = 1
) -> Callable[[Sequence[float], Sequence[Any]], float]:
    """``default_loss``, but 0 for intervals narrower than ``min_length`` and infinite for
    intervals wider than ``max_length`` (both relative to the width of the bounds).

    Sampling stops refining below ``min_length`` and never leaves a gap above ``max_length``.
    """
    min_length = _check_nonnegative("min_length", min_length)
    max_length = _check_nonnegative("max_length", max_length)
    if min_length > max_length:
        msg = f"min_length ({min_length!r}) must not exceed max_length ({max_length!r})"
        raise ValueError(msg)

    @uses_nth_neighbors(0)
    def resolution_loss(xs: Sequence[float], ys: Sequence[Any]) -> float:
        width = xs[1] - xs[0]
        if width < min_length:
            return 0.0
        if width > max_length:
            return math.inf
        return default_loss(xs, ys)

    return resolution_loss
