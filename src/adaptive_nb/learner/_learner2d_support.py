"""Input checks and helper objects of Learner2D (kept apart so that learner2D.py stays short)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ._checks import check_interval, check_shape, number_or_array, outside_bounds_error

__all__ = ["LossInterpolator", "check_bounds_2d", "check_point", "check_value", "snake_order"]


def check_bounds_2d(bounds: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """Return ``bounds`` as ``((x0, x1), (y0, y1))`` floats, or raise ``ValueError`` saying why."""
    usage = "bounds must be two pairs of numbers, ((xmin, xmax), (ymin, ymax))"
    try:
        pairs = [tuple(pair) for pair in bounds]
    except TypeError:
        msg = f"{usage}, got {bounds!r}"
        raise ValueError(msg) from None
    if isinstance(bounds, str | bytes) or len(pairs) != 2 or any(len(p) != 2 for p in pairs):
        msg = f"{usage}, got {bounds!r}"
        raise ValueError(msg)
    x_pair, y_pair = pairs
    return check_interval(x_pair, bounds, "x"), check_interval(y_pair, bounds, "y")


def check_point(point: Any, bounds: tuple) -> tuple[float, float]:
    """Return ``point`` as an ``(x, y)`` tuple of floats inside ``bounds``, else ValueError."""
    if type(point) is tuple and len(point) == 2:
        x, y = point
        if type(x) is float and type(y) is float:
            (x0, x1), (y0, y1) = bounds
            if x0 <= x <= x1 and y0 <= y <= y1:
                return point
    try:
        x, y = point
        ok = all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in (x, y))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        msg = f"Learner2D points are pairs of real numbers (x, y), got {point!r}"
        raise ValueError(msg)
    x, y = float(x), float(y)
    (x0, x1), (y0, y1) = bounds
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        raise outside_bounds_error(f"the point {point!r}", bounds, "Learner2D")
    return (x, y)


def check_value(point: Any, value: Any, shape: tuple[int, ...] | None) -> Any:
    """Return the value to store for ``point``: a float, a 1-D float array, or None (a None
    output, stored as NaN). Raises ValueError naming the point for anything else."""
    if value is None:
        return None
    out = number_or_array(point, value)
    if not isinstance(out, float) and (out.ndim > 1 or out.size == 0):
        msg = (
            f"function({point!r}) returned an array of shape {out.shape}; Learner2D needs "
            "a number or a non-empty 1-D array"
        )
        raise ValueError(msg)
    check_shape(point, out, shape)
    return out


def snake_order(points: np.ndarray) -> np.ndarray:
    """An order of ``points`` (n, 2) along rows of a sqrt(n) grid, alternating direction: nearby
    points come one after the other, so inserting them in this order keeps walks short."""
    n = len(points)
    if n < 3:
        return np.arange(n)
    cells = max(1, int(math.sqrt(n / 2)))
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    ij = np.minimum(((points - lo) / span * cells).astype(int), cells - 1)
    col = np.where(ij[:, 1] % 2 == 0, points[:, 0], -points[:, 0])
    return np.lexsort((col, ij[:, 1]))


class _TriView:
    """``ip.tri``: a scipy ``Delaunay``-like view of Learner2D's triangulation.

    ``points``, ``simplices``, ``neighbors``, ``npoints`` and ``nsimplex`` are Learner2D's own;
    any other attribute comes from a ``scipy.spatial.Delaunay`` of the same points, built on
    first use (its triangles can differ where four points lie on one circle).
    """

    def __init__(self, points: np.ndarray, simplices: np.ndarray, neighbors: np.ndarray) -> None:
        self.points = points
        self.simplices = simplices
        self.neighbors = neighbors
        self.npoints = len(points)
        self.nsimplex = len(simplices)
        self.ndim = 2
        self._scipy: Any = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_scipy":
            raise AttributeError(name)
        if self._scipy is None:
            from scipy.spatial import Delaunay

            self._scipy = Delaunay(self.points)
        return getattr(self._scipy, name)


class LossInterpolator:
    """What Learner2D hands a loss function: python-adaptive's ``ip`` interface.

    ``ip.tri`` (see :class:`_TriView`), ``ip.values`` (npoints, vdim) and ``ip.points``;
    calling ``ip(xy)`` evaluates the linear interpolant (a scipy ``LinearNDInterpolator``, built
    on first use).
    """

    def __init__(
        self, points: np.ndarray, simplices: np.ndarray, neighbors: np.ndarray, values: np.ndarray
    ) -> None:
        self.tri = _TriView(points, simplices, neighbors)
        self.points = points
        self.values = values
        self._ip: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        if self._ip is None:
            from scipy.interpolate import LinearNDInterpolator

            self._ip = LinearNDInterpolator(self.points, self.values)
        return self._ip(*args, **kwargs)
