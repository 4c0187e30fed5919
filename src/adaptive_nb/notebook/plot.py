"""live_plot: a HoloViews DynamicMap that follows the learner while the runner runs.

A frame is sent only when the learner has new points. For a scalar Learner1D with the
default plot only those new points are sent (a ``Buffer`` stream: bokeh appends them to the
plot instead of redrawing it). Any other learner, or a custom ``plotter``, is redrawn. The
newest points are marked in red (unless a custom ``plotter`` draws the plot). A Learner1D
that was empty when the plot started and turns out to return vectors is drawn as one cloud of
points, a point per component.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._optional import import_optional

__all__ = ["NEWEST", "LivePlot", "active_plotting_tasks", "live_plot"]

NEWEST = 10  # how many of the newest points are marked

#: name -> the task updating that live plot (a new plot with the same name replaces it)
active_plotting_tasks: dict[str, asyncio.Task] = {}


def holoviews_with_bokeh() -> Any:
    """holoviews, with its bokeh plotting backend loaded (``notebook_extension()`` does that
    in a notebook; outside one, options like ``framewise`` need it too)."""
    hv = import_optional("holoviews", purpose="live plots")
    if "bokeh" not in hv.Store.renderers:
        hv.renderer("bokeh")  # registers the backend and its options; displays nothing
    # always, even when bokeh is already current: this runs the hooks that build
    # `hv.opts.Scatter` & co. for bokeh (setting `current_backend` directly skips them)
    hv.Store.set_current_backend("bokeh")
    return hv


def _newest_rows(data: Mapping, count: int) -> np.ndarray:
    """The last ``count`` points told, in the order they came (``learner.data`` keeps it),
    as (x, y) rows; a vector value gives one row per component (all drawn alike)."""
    if count <= 0:
        return np.zeros((0, 2))
    try:
        xs = list(itertools.islice(reversed(data), count))[::-1]  # type: ignore[call-overload]
    except TypeError:  # a mapping that cannot be reversed
        xs = list(data)[-count:]
    rows = [(x, float(v)) for x in xs for v in np.ravel(data[x])]
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
        self.hv = holoviews_with_bokeh()
        widgets = import_optional("ipywidgets", purpose="live_plot")
        self.runner = runner
        self.learner = runner.learner
        self.update_interval = float(update_interval)
        self.frames = 0
        # the first frame (drawn when the plot is shown) already has the points told so far
        self._seen = self.learner.npoints
        if _streams_incrementally(self.learner, plotter):
            self.dmap = self._incremental_dmap()
            self._send = self._send_new_points
        else:
            self.dmap = self._redrawn_dmap(plotter, normalize)
            self._send = self._redraw
        self.button = widgets.Button(description="cancel live-plot", layout={"width": "150px"})
        self.button.add_class("adaptive-nb-plot-cancel")
        self.button.on_click(lambda _: self.cancel())
        self.name = name
        if name in active_plotting_tasks:
            active_plotting_tasks[name].cancel()
        self.task = runner.ioloop.create_task(self._update())
        # a callback, not a `finally`: a task cancelled before it ever ran skips its body
        self.task.add_done_callback(self._stopped)
        if name is not None:
            active_plotting_tasks[name] = self.task

    def _incremental_dmap(self) -> Any:
        hv = self.hv
        lower, upper = self.learner.bounds
        margin = 0.05 * (upper - lower)
        data = self.learner.data
        self._buffer = hv.streams.Buffer(
            _newest_rows(data, len(data)), length=2**62, index=False
        )
        self._newest = hv.streams.Pipe(data=_newest_rows(data, NEWEST))
        x_range = (lower - margin, upper + margin)
        # keyword options on the elements themselves: `hv.opts.Scatter` fails when another
        # backend was looked up first in this process
        points = hv.DynamicMap(
            lambda data: hv.Scatter(data, "x", "y").redim.range(x=x_range).opts(framewise=True),
            streams=[self._buffer],
        )
        newest = hv.DynamicMap(
            lambda data: hv.Scatter(data, "x", "y", label="newest").opts(
                color="red", size=7, framewise=True
            ),
            streams=[self._newest],
        )
        return (points * newest).opts(legend_position="bottom_right")

    def _redrawn_dmap(self, plotter: Callable[[Any], Any] | None, normalize: bool) -> Any:
        hv = self.hv
        if plotter is not None:
            draw = plotter
        else:  # the learner's own plot, with its newest points marked when it has `data`

            def draw(learner: Any) -> Any:
                plot = learner.plot()
                data = getattr(learner, "data", None)
                if not isinstance(data, Mapping) or not data:
                    return plot
                newest = hv.Scatter(_newest_rows(data, NEWEST), "x", "y", label="newest")
                return plot * newest.opts(color="red", size=7)

        tick = hv.streams.Stream.define("Tick", frame=0)()
        self._tick = tick
        dmap = hv.DynamicMap(lambda frame: draw(self.learner), streams=[tick])
        if normalize:
            dmap = dmap.map(lambda obj: obj.opts(framewise=True), hv.Element)
        if plotter is None:
            dmap = dmap.opts(hv.opts.Overlay(legend_position="bottom_right"))
        return dmap

    def _send_new_points(self) -> None:
        """Only the points told since the last frame (bokeh appends them)."""
        data = self.learner.data
        new = len(data) - self._seen
        if new < 0:  # the learner lost points (reloaded, or new data): start over
            self._buffer.clear()
            new = len(data)
        if new > 0:
            self._buffer.send(_newest_rows(data, new))
        self._newest.send(_newest_rows(data, NEWEST))

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
        while not task.done():
            self.update()
            await asyncio.wait([task], timeout=self.update_interval)
        self.update()

    def _stopped(self, task: asyncio.Task) -> None:
        self.button.layout.display = "none"
        if self.name is not None and active_plotting_tasks.get(self.name) is task:
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
