"""Learner2D.plot(): the HoloViews objects adaptive users expect."""

import math

import holoviews as hv
import numpy as np
import pytest

from adaptive_nb import Learner2D
from adaptive_nb.runner import simple


def bump(xy):
    x, y = xy
    return math.exp(-(x**2 + y**2) / 0.3)


def test_scalar_plot_is_an_image_times_edge_paths():
    learner = Learner2D(bump, [(-1, 1), (0, 2)])
    simple(learner, npoints_goal=60, progress=False)
    plot = learner.plot(n=30)
    assert isinstance(plot, hv.Overlay)
    image, edges = plot.Image.I, plot.EdgePaths.I
    assert isinstance(image, hv.Image) and isinstance(edges, hv.EdgePaths)
    assert image.data.shape == (30, 30)
    assert image.bounds.lbrt() == (-1, 0, 1, 2)
    # the top left pixel is the value at (x=-1, y=2), the bottom right at (x=1, y=0)
    ip = learner.interpolator()
    assert image.data[0, 0] == pytest.approx(ip(-1, 2).ravel()[0])
    assert image.data[-1, -1] == pytest.approx(ip(1, 0).ravel()[0])
    assert len(edges.data) == 0  # tri_alpha=0: no triangles drawn


def test_tri_alpha_draws_the_triangulation():
    learner = Learner2D(bump, [(-1, 1), (-1, 1)])
    simple(learner, npoints_goal=40, progress=False)
    plot = learner.plot(tri_alpha=0.5)
    # one path: each triangle's closed outline, then a row of NaN (bokeh draws that fast)
    (path,) = plot.EdgePaths.I.split()
    rows = path.array()
    blocks = rows.reshape(-1, 5, 2)
    assert np.isnan(blocks[:, 4]).all()
    outlines = blocks[:, :4]
    assert np.isfinite(outlines).all()
    assert (outlines[:, 0] == outlines[:, 3]).all()  # closed
    drawn = {tuple(sorted(map(tuple, o[:3].round(9)))) for o in outlines}
    ip = learner.interpolator()
    expected = {tuple(sorted(map(tuple, ip.tri.points[s].round(9)))) for s in ip.tri.simplices}
    assert drawn == expected
    with pytest.raises(ValueError, match="tri_alpha must be between 0 and 1, got 2"):
        learner.plot(tri_alpha=2)


def test_vector_plot_is_a_holomap():
    learner = Learner2D(lambda xy: np.array([bump(xy), xy[0]]), [(-1, 1), (-1, 1)])
    simple(learner, npoints_goal=30, progress=False)
    plot = learner.plot(n=10)
    assert isinstance(plot, hv.HoloMap)
    assert list(plot.keys()) == [0, 1]
    assert all(isinstance(item, hv.Overlay) for item in plot.values())


def test_empty_learner_plots():
    plot = Learner2D(bump, [(-1, 1), (-1, 1)]).plot()
    assert isinstance(plot, hv.Overlay)
    assert isinstance(plot.Image.I, hv.Image)
