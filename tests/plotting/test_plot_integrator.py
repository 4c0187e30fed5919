"""IntegratorLearner.plot(): a HoloViews Path through the sampled points, like adaptive's."""

import math

import numpy as np
import pytest

from adaptive_nb import IntegratorLearner
from adaptive_nb.runner import simple

hv = pytest.importorskip("holoviews")


def test_plot_is_a_path_through_the_sorted_points():
    learner = IntegratorLearner(math.sqrt, (0, 1), 1e-6)
    simple(learner)
    plot = learner.plot()
    assert isinstance(plot, hv.Path)
    table = learner.to_numpy()
    np.testing.assert_array_equal(plot.dimension_values(0), table[:, 0])
    np.testing.assert_array_equal(plot.dimension_values(1), table[:, 1])


def test_empty_learner_plots_an_empty_path():
    plot = IntegratorLearner(math.sqrt, (0, 1), 1e-6).plot()
    assert isinstance(plot, hv.Path) and len(plot.dimension_values(0)) == 0
