"""AverageLearner1D as a HoloViews Overlay: Scatter * ErrorBars * Path."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import holoviews

__all__ = ["plot_average_learner1d"]


def plot_average_learner1d(learner: Any) -> Any:
    """The means as an ``hv.Scatter``, their confidence intervals as ``hv.ErrorBars`` (a
    non-finite error is drawn as no bar) and the line through the means as an ``hv.Path``,
    overlaid, with the x-range padded by 5 % of the bounds' width.

    The learner holds scalar values only: ``tell`` refuses a vector-valued sample with a
    ``ValueError`` naming the point, so there is nothing else to draw.
    """
    table = np.asarray(learner.to_numpy(mean=True), dtype=float)
    hv = holoviews()
    xs, ys = table[:, 0], table[:, 1]
    errors = np.array([learner.error[x] for x in xs.tolist()], dtype=float)
    errors[~np.isfinite(errors)] = math.nan
    lower, upper = learner.bounds
    margin = 0.05 * (upper - lower)
    x_dim = hv.Dimension("x", range=(lower - margin, upper + margin))
    scatter = hv.Scatter((xs, ys), kdims=[x_dim], vdims=["y"])
    bars = hv.ErrorBars((xs, ys, errors), kdims=[x_dim], vdims=["y", "yerror"])
    path = hv.Path([np.column_stack([xs, ys])], kdims=[x_dim, "y"])
    return scatter * bars * path
