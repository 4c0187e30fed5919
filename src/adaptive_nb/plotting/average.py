"""AverageLearner as a HoloViews Histogram."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import holoviews

__all__ = ["plot_average_learner"]


def plot_average_learner(learner: Any) -> Any:
    """An ``hv.Histogram`` of the learner's values over the dimension ``y``, with
    ``max(5, sqrt(npoints))`` bins (empty when there are no values)."""
    hv = holoviews()
    values = np.array(list(learner.data.values()), dtype=float)
    if len(values) == 0:
        return hv.Histogram(([], []), kdims=["y"])
    bins = max(5, int(math.sqrt(len(values))))
    counts, edges = np.histogram(values, bins=bins)
    return hv.Histogram((edges, counts), kdims=["y"])
