"""AverageLearner1D.plot(): Scatter * ErrorBars * Path, as python-adaptive draws it."""

import math
import random

import numpy as np
import pytest

from adaptive_nb import AverageLearner1D
from adaptive_nb.runner import simple

hv = pytest.importorskip("holoviews")


def noisy(point):
    x = point[1]
    return math.sin(3 * x) + random.Random(hash(point)).gauss(0, 0.1)


def test_plot_is_scatter_errorbars_and_path():
    learner = AverageLearner1D(noisy, (0, 2), min_samples=3)
    simple(learner, npoints_goal=12)
    plot = learner.plot()
    assert isinstance(plot, hv.Overlay)
    assert [type(el) for el in plot] == [hv.Scatter, hv.ErrorBars, hv.Path]
    xs = sorted(learner.data)
    means = [learner.data[x] for x in xs]
    errors = [learner.error[x] for x in xs]
    scatter, bars, path = plot.Scatter.I, plot.ErrorBars.I, plot.Path.I
    np.testing.assert_allclose(scatter.dimension_values("x"), xs)
    np.testing.assert_allclose(scatter.dimension_values("y"), means)
    expected = [e if math.isfinite(e) else math.nan for e in errors]  # no bar for inf
    np.testing.assert_allclose(bars.dimension_values("yerror"), expected)
    assert math.isnan(bars.dimension_values("yerror")[errors.index(math.inf)])
    np.testing.assert_allclose(path.dimension_values("y"), means)
    low, high = scatter.get_dimension("x").range
    assert low == pytest.approx(-0.1) and high == pytest.approx(2.1)


def test_empty_learner_plots():
    plot = AverageLearner1D(noisy, (0, 1)).plot()
    assert [type(el) for el in plot] == [hv.Scatter, hv.ErrorBars, hv.Path]
    assert len(plot.Scatter.I) == 0


def test_vector_output_is_refused_with_a_clear_error():
    learner = AverageLearner1D(lambda p: np.array([p[1], 1.0]), (0, 1))
    with pytest.raises(ValueError, match="AverageLearner1D learns scalar functions"):
        simple(learner, npoints_goal=2)
    assert [type(el) for el in learner.plot()] == [hv.Scatter, hv.ErrorBars, hv.Path]
