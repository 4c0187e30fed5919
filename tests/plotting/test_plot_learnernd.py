"""LearnerND plots: the HoloViews objects adaptive users expect."""

from __future__ import annotations

import math

import holoviews as hv
import numpy as np
import pytest

from adaptive_nb import LearnerND
from adaptive_nb.runner import simple


def ring(xy):
    return xy[0] + math.exp(-((xy[0] ** 2 + xy[1] ** 2 - 0.5) ** 2) / 0.01)


@pytest.fixture(scope="module")
def learner2d():
    learner = LearnerND(ring, [(-1, 1), (-1, 1)])
    simple(learner, npoints_goal=150)
    return learner


def test_plot_is_image_times_edgepaths_with_n_none(learner2d):
    plot = learner2d.plot()  # n=None works on NumPy 2 (adaptive's np.product fails)
    assert isinstance(plot, hv.Overlay)
    image, edges = plot.Image.I, plot.EdgePaths.I
    assert isinstance(image, hv.Image) and isinstance(edges, hv.EdgePaths)
    assert len(edges.data) == 0  # tri_alpha=0: no triangulation drawn
    values = image.dimension_values(2)
    assert np.nanmin(values) >= learner2d.values.min() - 1e-9
    assert np.nanmax(values) <= learner2d.values.max() + 1e-9
    small = learner2d.plot(n=20, tri_alpha=0.3)
    assert small.Image.I.data.shape == (20, 20)
    # one path: each triangle's closed outline and a row of NaN (bokeh draws that fast)
    (path,) = small.EdgePaths.I.split()
    blocks = path.array().reshape(-1, 5, 2)
    assert len(blocks) == len(learner2d.tri.simplices)
    assert np.isnan(blocks[:, 4]).all() and np.isfinite(blocks[:, :4]).all()
    assert (blocks[:, 0] == blocks[:, 3]).all()


def test_vector_output_gives_a_holomap():
    learner = LearnerND(lambda xy: [xy[0], xy[1] ** 2], [(0, 1), (0, 1)])
    simple(learner, npoints_goal=30)
    plot = learner.plot(n=10)
    assert isinstance(plot, hv.HoloMap) and len(plot) == 2


def test_empty_learner_plots():
    plot = LearnerND(ring, [(-1, 1), (-1, 1)]).plot()
    assert isinstance(plot, hv.Overlay)


def test_plot_slice_in_3d():
    learner = LearnerND(lambda p: p[0] + p[1] * p[2], [(-1, 1)] * 3)
    simple(learner, npoints_goal=60)
    line = learner.plot_slice({0: 0.0, 1: 0.5}, n=50)
    assert isinstance(line, hv.Path)
    xs, ys = line.dimension_values(0), line.dimension_values(1)
    assert len(xs) == 50
    np.testing.assert_allclose(ys, 0.5 * xs, atol=0.3)
    image = learner.plot_slice({2: 0.0}, n=15)
    assert isinstance(image, hv.Image) and image.data.shape == (15, 15)
    with pytest.raises(ValueError, match="1 or 2 free dimensions"):
        learner.plot_slice({})
    with pytest.raises(ValueError, match="outside the bounds"):
        learner.plot_slice({0: 3.0})
    with pytest.raises(ValueError, match="not a dimension index"):
        learner.plot_slice({5: 0.0})
    with pytest.raises(ValueError, match="draws 2-D learners only"):
        learner.plot()
    with pytest.raises(NotImplementedError, match="plotly"):
        learner.plot_3D()
    with pytest.raises(NotImplementedError, match="plotly"):
        learner.plot_isosurface()


def test_plot_isoline(learner2d):
    overlay = learner2d.plot_isoline(level=0.5, n=20)
    assert isinstance(overlay, hv.Overlay)
    path = learner2d.plot_isoline(level=0.5, n=-1)
    assert isinstance(path, hv.Path) and len(path.data) == 1  # one path, NaN-separated
    rows = path.array()
    gaps = np.isnan(rows[:, 0])
    pieces = [p[~np.isnan(p[:, 0])] for p in np.split(rows, np.flatnonzero(gaps))]
    assert len(pieces) > 3 and all(p.shape == (2, 2) for p in pieces)
    # each end lies in a triangle of the learner where its linear interpolant equals 0.5
    tri = learner2d.tri
    triangles = [np.array(tri.get_vertices(t)) for t in tri.simplices]
    values = {tuple(p): float(v) for p, v in zip(learner2d.points, learner2d.values.ravel())}
    for end in np.vstack(pieces):
        found = False
        for corners in triangles:
            lam = np.linalg.solve(np.vstack([corners.T, np.ones(3)]), np.append(end, 1.0))
            if lam.min() >= -1e-9:
                z = sum(w * values[tuple(c)] for w, c in zip(lam, corners))
                found = found or abs(z - 0.5) < 1e-6
        assert found, end
    with pytest.raises(ValueError, match="level must be a finite number"):
        learner2d.plot_isoline(level=math.nan)
    with pytest.raises(ValueError, match="n must be a whole number"):
        learner2d.plot(n=1)
