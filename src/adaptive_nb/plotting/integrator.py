"""IntegratorLearner as a HoloViews Path."""

from __future__ import annotations

from typing import Any

from . import holoviews

__all__ = ["plot_integrator"]


def plot_integrator(learner: Any) -> Any:
    """An ``hv.Path`` through the sampled points, sorted by x (empty before any point)."""
    hv = holoviews()
    table = learner.to_numpy()
    if len(table) == 0:
        return hv.Path([])
    return hv.Path((table[:, 0], table[:, 1]))
