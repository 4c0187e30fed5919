"""live_plot: a HoloViews DynamicMap that follows the learner while the runner runs.

For a scalar Learner1D with the default plot, only the points told since the last frame are
sent (a ``Buffer`` stream: bokeh appends them to the plot instead of redrawing it), and the
newest points are marked. Any other learner (or a custom ``plotter``) is redrawn each frame,
and only when its data changed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from .._optional import import_optional

__all__ = ["NEWEST", "LivePlot", "active_plotting_tasks", "live_plot"]

NEWEST = 10  # how many of the newest points are marked

#: name -> the task updating that live plot (a new plot with the same name replaces it)
active_plotting_tasks: dict[str, asyncio.Task] = {}


def _newest_rows(data: dict, count: int) -> np.ndarray:
    """The last ``count`` (x, y) pairs told, in the order they came (dicts keep it)."""
    rows = list(itertools.islice(reversed(data.items()), count))[::-1]
    return np.array(rows, dtype=float).reshape(-1, 2)


def _streams_incrementally(learner: Any, plotter: Any) -> bool:
    from ..learner.learner1D import Learner1D

    return plotter is None and type(learner) is Learner1D and learner.vdim == 1 and all(
        not isinstance(y, np.ndarray) for y in itertools.islice(learner.data.values(), 1)
    )


class LivePlot:
    """The DynamicMap (``dmap``), its cancel button (``button``) and its update task."""

    def __init__(
        self,
        runner: Any,
        *,
        plotter: Callable[[Any], Any] | None = None,
        update_interval: float = 2,
        name: str | None = None,
        normalize: bool = True,
    ) -> None:
        if not update_interval > 0:
            msg = f"update_interval must be a positive number of seconds, got {update_interval!r}"
            raise ValueError(msg)
        self.hv = import_optional("holoviews", purpose="live_plot")
        widgets = import_optional("ipywidgets", purpose="live_plot")
        self.runner = runner
        self.learner = runner.learner
        self.update_interval = float(update_interval)
        self.frames = 0
        self._seen = -1
        if _streams_incrementally(self.learner, plotter):
            self.dmap = self._incremental_dmap()
            self._send = self._send_new_points
        else:
            self.dmap = self._redrawn_dmap(plotter, normalize)
            self._send = self._redraw
        self.button = widgets.Button(description="cancel live-plot", layout={"width": "150px"})
        self.button.on_click(lambda _: self.cancel())
        self.name = name
        if name in active_plotting_tasks:
            active_plotting_tasks[name].cancel()
        self.task = runner.ioloop.create_task(self._update())
        if name is not None:
            active_plotting_tasks[name] = self.task

    def _incremental_dmap(self) -> Any:
        hv = self.hv
        lower, upper = self.learner.bounds
        margin = 0.05 * (upper - lower)
        self._buffer = hv.streams.Buffer(np.zeros((0, 2)), length=2**62, index=False)
        self._newest = hv.streams.Pipe(data=np.zeros((0, 2)))
        points = hv.DynamicMap(
            lambda data: hv.Scatter(data, "x", "y").redim.range(x=(lower - margin, upper + margin)),
            streams=[self._buffer],
        )
        newest = hv.DynamicMap(
            lambda data: hv.Scatter(data, "x", "y", label="newest").opts(color="red", size=7),
            streams=[self._newest],
        )
        return (points * newest).opts(hv.opts.Scatter(framewise=True))

    def _redrawn_dmap(self, plotter: Callable[[Any], Any] | None, normalize: bool) -> Any:
        hv = self.hv
        draw = plotter if plotter is not None else (lambda learner: learner.plot())
        tick = hv.streams.Stream.define("Tick", frame=0)()
        self._tick = tick
        dmap = hv.DynamicMap(lambda frame: draw(self.learner), streams=[tick])
        if normalize:
            dmap = dmap.map(lambda obj: obj.opts(framewise=True), hv.Element)
        return dmap

    def _send_new_points(self) -> None:
        data = self.learner.data
        new = len(data) - max(self._seen, 0)
        if new > 0:
            self._buffer.send(_newest_rows(data, new))
            self._newest.send(_newest_rows(data, min(NEWEST, len(data))))

    def _redraw(self) -> None:
        self._tick.event(frame=self.frames + 1)

    def update(self) -> bool:
        """Send a frame if the learner changed since the last; return whether one was sent."""
        npoints = self.learner.npoints
        if npoints == self._seen:
            return False
        self._send()
        self._seen = npoints
        self.frames += 1
        return True

    async def _update(self) -> None:
        task = self.runner.task
        try:
            while not task.done():
                self.update()
                await asyncio.wait([task], timeout=self.update_interval)
            self.update()
        finally:
            self.button.layout.display = "none"
            if self.name is not None and active_plotting_tasks.get(self.name) is self.task:
                del active_plotting_tasks[self.name]

    def cancel(self) -> None:
        """Stop updating the plot (the runner goes on)."""
        self.task.cancel()


def live_plot(
    runner: Any,
    *,
    plotter: Callable[[Any], Any] | None = None,
    update_interval: float = 2,
    name: str | None = None,
    normalize: bool = True,
) -> Any:
    """Show a plot of ``runner.learner`` that updates while it runs; returns the DynamicMap.

    ``plotter(learner)`` replaces ``learner.plot()``; ``name`` identifies the plot (a new one
    with the same name stops the old); ``normalize`` rescales the axes to each frame.
    """
    from IPython.display import display

    plot = LivePlot(
        runner, plotter=plotter, update_interval=update_interval, name=name, normalize=normalize
    )
    display(plot.button)
    return plot.dmap
