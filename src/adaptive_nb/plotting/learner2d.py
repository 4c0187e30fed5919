"""Learner2D as HoloViews: ``hv.Image * hv.EdgePaths`` (a ``HoloMap`` of them for vector output)."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from . import holoviews
from ._paths import polygon_outlines

__all__ = ["plot_learner2d"]


def _triangle_paths(learner: Any) -> list[np.ndarray]:
    """The closed outline of every triangle of the told data, in the learner's coordinates."""
    ip = learner.interpolator(scaled=True)
    points = ip.tri.points * learner.xy_scale + learner.xy_mean
    return polygon_outlines(points[ip.tri.simplices])


def plot_learner2d(learner: Any, n: int | None = None, tri_alpha: float = 0.0) -> Any:
    """Plot the linear interpolant of ``learner``'s data on an ``n x n`` grid.

    Parameters
    ----------
    learner : Learner2D
    n : int, optional
        Grid points per side (default: from the smallest triangle, see
        ``Learner2D.interpolated_on_grid``).
    tri_alpha : float
        Opacity of the triangulation drawn on top (0: an empty ``EdgePaths``).

    Returns
    -------
    holoviews.Overlay or holoviews.HoloMap
        ``hv.Image * hv.EdgePaths``; for vector output a ``HoloMap`` of those, one per output
        component (key dimension ``"i"``).
    """
    if not 0 <= tri_alpha <= 1:
        msg = f"tri_alpha must be between 0 and 1, got {tri_alpha!r}"
        raise ValueError(msg)
    hv = holoviews()
    (x0, x1), (y0, y1) = learner.bounds
    box = (x0, y0, x1, y1)
    if learner.npoints < 3:
        images = [np.zeros((2, 2)) for _ in range(learner.vdim)]
        paths: list[np.ndarray] = []
    else:
        _, _, zs = learner.interpolated_on_grid(n)
        zs = zs.reshape(zs.shape[0], zs.shape[1], -1)
        # zs[ix, iy] -> image rows from the top (largest y) down, columns along x
        images = [np.rot90(zs[:, :, k]) for k in range(zs.shape[2])]
        paths = _triangle_paths(learner) if tri_alpha else []
    edges = hv.EdgePaths(paths, kdims=["x", "y"])
    if tri_alpha:
        # no plotting backend loaded: the options cannot be set, the paths are still there
        with contextlib.suppress(Exception):
            edges = edges.opts(alpha=tri_alpha)
    overlays = [hv.Image(image, bounds=box, kdims=["x", "y"]) * edges for image in images]
    if learner.vdim == 1:
        return overlays[0]
    return hv.HoloMap(dict(enumerate(overlays)), kdims=["i"])
