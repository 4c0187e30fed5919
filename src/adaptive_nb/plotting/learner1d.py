"""Learner1D as a HoloViews Overlay."""

from __future__ import annotations

from typing import Any

from . import holoviews

__all__ = ["plot_learner1d"]


def plot_learner1d(learner: Any, *, scatter_or_line: str = "scatter") -> Any:
    """An ``hv.Overlay`` with one ``hv.Scatter`` (or ``hv.Path`` for ``"line"``) per output
    component, the x-range padded by 5 % of the bounds' width."""
    if scatter_or_line not in ("scatter", "line"):
        msg = f"scatter_or_line must be 'scatter' or 'line', got {scatter_or_line!r}"
        raise ValueError(msg)
    hv = holoviews()
    table = learner.to_numpy()
    xs = table[:, 0]
    element = hv.Scatter if scatter_or_line == "scatter" else hv.Path
    if len(xs) == 0:
        components = [element([])]
    else:
        components = [element((xs, table[:, 1 + i])) for i in range(table.shape[1] - 1)]
    lower, upper = learner.bounds
    margin = 0.05 * (upper - lower)
    overlay = hv.Overlay(components)
    return overlay.redim(x=hv.Dimension("x", range=(lower - margin, upper + margin)))
