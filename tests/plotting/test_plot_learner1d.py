"""Learner1D.plot(): the HoloViews objects adaptive users expect."""

import math

import holoviews as hv
import numpy as np
import pytest

from adaptive_nb import Learner1D
from adaptive_nb.runner import simple


def test_scalar_plot_is_an_overlay_of_one_scatter():
    learner = Learner1D(math.sin, (0, 2))
    simple(learner, npoints_goal=30)
    plot = learner.plot()
    assert isinstance(plot, hv.Overlay)
    scatter = plot.Scatter.I
    assert isinstance(scatter, hv.Scatter)
    np.testing.assert_allclose(scatter.dimension_values(0), learner.to_numpy()[:, 0])
    np.testing.assert_allclose(scatter.dimension_values(1), learner.to_numpy()[:, 1])
    low, high = scatter.get_dimension("x").range
    assert low == pytest.approx(-0.1) and high == pytest.approx(2.1)


def test_vector_plot_has_one_element_per_component():
    learner = Learner1D(lambda x: [x, x**2, -x], (0, 1))
    simple(learner, npoints_goal=10)
    plot = learner.plot(scatter_or_line="line")
    assert len(plot) == 3
    assert all(isinstance(el, hv.Path) for el in plot)


def test_empty_learner_plots():
    plot = Learner1D(math.sin, (0, 1)).plot()
    assert isinstance(plot, hv.Overlay) and len(plot) == 1


def test_bad_style_is_refused():
    with pytest.raises(ValueError, match="scatter_or_line must be 'scatter' or 'line', got 'bar'"):
        Learner1D(math.sin, (0, 1)).plot(scatter_or_line="bar")
