"""LearnerND as HoloViews objects: an image of the interpolation, slices and isolines."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import holoviews
from ._paths import join_paths, polygon_outlines

__all__ = ["plot_isoline", "plot_learnernd", "plot_slice"]


def _interpolator(learner: Any) -> Any:
    """A linear interpolator of the told data (None while there are too few points)."""
    from scipy.interpolate import LinearNDInterpolator

    if learner.tri is None:
        return None
    points = np.array(learner.tri.vertices)
    values = np.array(learner._vals, dtype=float).reshape(len(points), -1)
    return LinearNDInterpolator(points, values)


def _grid_size(learner: Any, n: int | None) -> int:
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            msg = f"n must be a whole number >= 2 (grid points per side), got {n!r}"
            raise ValueError(msg)
        return n
    tri = learner.tri
    if tri is None:
        return 10
    widths = np.array(learner._widths)
    smallest = min(tri.volume(s) for s in tri.simplices) / float(np.prod(widths))
    side = 0.658 / math.sqrt(max(smallest, 1e-12)) if learner.ndim == 2 else 10
    return int(min(max(side, 10), 500))


def _with_alpha(element: Any, alpha: float) -> Any:
    hv = holoviews()
    if not hv.Store.renderers:  # options need a plotting extension (hv.extension("bokeh"))
        return element
    return element.opts(alpha=alpha, line_width=0.5)


def plot_learnernd(learner: Any, n: int | None = None, tri_alpha: float = 0) -> Any:
    """``hv.Image * hv.EdgePaths`` of a 2-D learner (a ``hv.HoloMap`` over the output
    components for vector output)."""
    if learner.ndim != 2:
        msg = f"plot() draws 2-D learners only, this one has ndim={learner.ndim}; use plot_slice"
        raise ValueError(msg)
    hv = holoviews()
    n = _grid_size(learner, n)
    (x0, x1), (y0, y1) = zip(learner._lows, np.add(learner._lows, learner._widths))
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    ip = _interpolator(learner)
    if ip is None:
        zs = np.zeros((n, n, learner.vdim))
    else:
        gx, gy = np.meshgrid(xs, ys)
        zs = ip(gx, gy).reshape(n, n, -1)
    tri = learner.tri
    paths = []
    if tri is not None and tri_alpha:
        corners = np.array([tri.get_vertices(s) for s in sorted(tri.simplices)], dtype=float)
        paths = polygon_outlines(corners)
    edges = _with_alpha(hv.EdgePaths(paths, kdims=["x", "y"]), tri_alpha)
    bounds = (x0, y0, x1, y1)

    def image(k: int) -> Any:
        return hv.Image(np.flipud(zs[:, :, k]), bounds=bounds, kdims=["x", "y"]) * edges

    if zs.shape[2] == 1:
        return image(0)
    return hv.HoloMap({k: image(k) for k in range(zs.shape[2])}, kdims=["output_index"])


def plot_slice(learner: Any, cut_mapping: dict[int, float], n: int | None = None) -> Any:
    """A slice with some coordinates fixed: ``hv.Path`` (one free dimension) or ``hv.Image``
    (two free dimensions) of the linear interpolation (first output component)."""
    hv = holoviews()
    if not isinstance(cut_mapping, dict):
        msg = f"cut_mapping must be a dict {{dimension index: value}}, got {cut_mapping!r}"
        raise ValueError(msg)
    for k, v in cut_mapping.items():
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < learner.ndim:
            msg = f"cut_mapping key {k!r} is not a dimension index in 0..{learner.ndim - 1}"
            raise ValueError(msg)
        lo, width = learner._lows[k], learner._widths[k]
        if not isinstance(v, int | float) or not lo <= v <= lo + width:
            msg = f"cut_mapping[{k}] = {v!r} is outside the bounds ({lo}, {lo + width})"
            raise ValueError(msg)
    free = [k for k in range(learner.ndim) if k not in cut_mapping]
    if len(free) not in (1, 2):
        msg = f"plot_slice needs 1 or 2 free dimensions, got {len(free)}; fix more coordinates"
        raise ValueError(msg)
    n = (201 if len(free) == 1 else 50) if n is None else _grid_size(learner, n)
    axes = [np.linspace(learner._lows[k], learner._lows[k] + learner._widths[k], n) for k in free]
    mesh = np.meshgrid(*axes)
    grid = np.zeros((mesh[0].size, learner.ndim))
    for k, v in cut_mapping.items():
        grid[:, k] = v
    for k, m in zip(free, mesh):
        grid[:, k] = m.ravel()
    ip = _interpolator(learner)
    values = np.zeros(len(grid)) if ip is None else ip(grid)[:, 0]
    if len(free) == 1:
        return hv.Path((axes[0], values))
    lo = [learner._lows[k] for k in free]
    hi = [learner._lows[k] + learner._widths[k] for k in free]
    zs = values.reshape(n, n)
    return hv.Image(np.flipud(zs), bounds=(lo[0], lo[1], hi[0], hi[1]))


def plot_isoline(
    learner: Any, level: float = 0.0, n: int | None = None, tri_alpha: float = 0
) -> Any:
    """The isoline ``value == level`` (``hv.Path``) of a 2-D scalar learner, over ``plot()``
    (``n=-1``: the isoline alone)."""
    if learner.ndim != 2 or learner.vdim != 1:
        msg = "plot_isoline needs a 2-D learner with scalar output"
        raise ValueError(msg)
    if isinstance(level, bool) or not isinstance(level, int | float) or not math.isfinite(level):
        msg = f"level must be a finite number, got {level!r}"
        raise ValueError(msg)
    hv = holoviews()
    segments = _contour(learner, float(level))
    isoline = hv.Path(join_paths(segments), kdims=["x", "y"])
    if n == -1:
        return isoline
    return plot_learnernd(learner, n=n, tri_alpha=tri_alpha) * isoline


def _contour(learner: Any, level: float) -> list[np.ndarray]:
    tri = learner.tri
    if tri is None:
        return []
    segments = []
    for s in sorted(tri.simplices):
        coords = np.array(tri.get_vertices(s))
        vals = np.array([learner._vals[i] for i in s], dtype=float) - level
        if not np.all(np.isfinite(vals)):
            continue
        crossing = []
        for i, j in ((0, 1), (1, 2), (2, 0)):
            a, b = vals[i], vals[j]
            if (a < 0) != (b < 0):
                t = a / (a - b)
                crossing.append(coords[i] + t * (coords[j] - coords[i]))
        if len(crossing) == 2:
            segments.append(np.array(crossing))
    return segments
