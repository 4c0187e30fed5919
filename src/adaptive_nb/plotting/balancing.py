"""BalancingLearner as a HoloViews DynamicMap or HoloMap with one slider per label."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import holoviews

__all__ = ["plot_balancing"]


def plot_balancing(
    learners: Sequence[Any],
    cdims: list[dict[str, Any]],
    plotter: Callable[[Any], Any] | None,
    dynamic: bool,
) -> Any:
    """Plot each child with ``plotter(child)`` (default ``child.plot()``), keyed by its
    ``cdims`` entry: an ``hv.DynamicMap`` when ``dynamic``, else an ``hv.HoloMap``."""
    if plotter is not None and not callable(plotter):
        msg = f"plotter must be a callable child -> HoloViews object, got {plotter!r}"
        raise ValueError(msg)
    hv = holoviews()
    keys = list(cdims[0])
    mapping = {tuple(row[k] for k in keys): child for row, child in zip(cdims, learners)}

    def plot_one(child: Any) -> Any:
        return child.plot() if plotter is None else plotter(child)

    if not dynamic:
        return hv.HoloMap({key: plot_one(child) for key, child in mapping.items()}, kdims=keys)

    def frame(*key: Any) -> Any:
        child = mapping.get(tuple(key))
        return hv.Overlay([]) if child is None else plot_one(child)

    values = {k: list(dict.fromkeys(row[k] for row in cdims)) for k in keys}
    dmap = hv.DynamicMap(frame, kdims=keys).redim.values(**values)
    dmap.cache_size = 1
    if not hv.Store.renderers:  # options need a plotting extension (hv.extension("bokeh"))
        return dmap
    return dmap.map(lambda obj: obj.opts(framewise=True), hv.Element)
