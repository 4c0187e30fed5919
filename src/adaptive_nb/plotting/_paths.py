"""Many polygons as one HoloViews path: drawing one path per triangle takes bokeh tens of
seconds for a few thousand triangles; one path with NaN rows between the polygons (which
HoloViews draws as separate lines) takes a fraction of a second."""

from __future__ import annotations

import numpy as np

__all__ = ["join_paths", "polygon_outlines"]


def polygon_outlines(corners: np.ndarray) -> list[np.ndarray]:
    """``corners`` of shape ``(m, k, 2)`` (m polygons of k corners) as a list holding one
    ``(m * (k + 2), 2)`` array: each closed outline followed by a row of NaN. Empty list for
    no polygons."""
    corners = np.asarray(corners, dtype=float)
    if corners.size == 0:
        return []
    m, k, _ = corners.shape
    out = np.full((m, k + 2, 2), np.nan)
    out[:, :k] = corners
    out[:, k] = corners[:, 0]
    return [out.reshape(m * (k + 2), 2)]


def join_paths(paths: list[np.ndarray]) -> list[np.ndarray]:
    """Several ``(k, 2)`` lines as a list holding one array, a row of NaN between them."""
    if not paths:
        return []
    gap = np.full((1, 2), np.nan)
    pieces = []
    for path in paths:
        pieces += [np.asarray(path, dtype=float), gap]
    return [np.vstack(pieces[:-1])]
