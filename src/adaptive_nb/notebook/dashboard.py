"""Dashboard: one widget to run a learner: executor picker, Start / Cancel, live status,
live plot, and the loss against the number of points and the time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from .._optional import import_optional
from ..goals import check_goal_arguments
from .info import LiveInfo
from .picker import ExecutorPicker
from .plot import LivePlot

__all__ = ["Dashboard"]

GOAL_KEYWORDS = ("goal", "loss_goal", "npoints_goal", "end_time_goal", "duration_goal")


class Dashboard:
    """Run ``learner`` from one widget.

    ``Dashboard(learner, loss_goal=0.01)`` takes any goal keyword of ``Runner`` (and its
    other keywords, like ``retries``), and an optional ``picker``. ``start()`` starts a
    runner on the picker's executor (or the default one), ``cancel()`` stops it,
    ``runner`` is the current runner.
    """

    def __init__(self, learner: Any, *, picker: ExecutorPicker | None = None,
                 update_interval: float = 0.5, plot_interval: float = 1.0, **runner_kwargs: Any):
        goals = {k: runner_kwargs[k] for k in GOAL_KEYWORDS if k in runner_kwargs}
        check_goal_arguments(**goals)
        self.hv = import_optional("holoviews", purpose="the dashboard")
        widgets = import_optional("ipywidgets", purpose="the dashboard")
        self.learner = learner
        self.picker = picker if picker is not None else ExecutorPicker()
        self.runner_kwargs = runner_kwargs
        self.update_interval = update_interval
        self.plot_interval = plot_interval
        self.runner: Any = None
        self.info: LiveInfo | None = None
        self.plot: LivePlot | None = None
        self.start_button = widgets.Button(description="Start run", button_style="primary")
        self.cancel_button = widgets.Button(description="Cancel run", disabled=True)
        self.start_button.on_click(lambda _: self.start())
        self.cancel_button.on_click(lambda _: self.cancel())
        self._info_box = widgets.Box()
        self._plot_box = widgets.Output()
        self._loss = self.hv.streams.Buffer(np.zeros((0, 3)), length=2**62, index=False)
        self.loss_plot = self._loss_dmap()
        self._loss_box = widgets.Output()
        with self._loss_box:
            from IPython.display import display

            display(self.loss_plot)
        self.widget = widgets.VBox([
            self.picker.widget,
            widgets.HBox([self.start_button, self.cancel_button]),
            self._info_box,
            widgets.HBox([self._plot_box, self._loss_box]),
        ])
        self._loss_task: asyncio.Task | None = None

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _loss_dmap(self) -> Any:
        hv = self.hv

        def draw(data: np.ndarray) -> Any:
            table = np.asarray(data).reshape(-1, 3)
            finite = table[np.isfinite(table[:, 2]) & (table[:, 2] > 0)]
            by_points = hv.Curve(finite[:, [0, 2]], "points", "loss").opts(logy=True)
            by_time = hv.Curve(finite[:, [1, 2]], "time (s)", "loss").opts(logy=True)
            return (by_points + by_time).opts(hv.opts.Curve(framewise=True, width=300, height=250))

        return hv.DynamicMap(draw, streams=[self._loss])

    def start(self) -> Any:
        """Start a run (on the picker's executor, or the default one); returns the runner."""
        from ..runner import Runner

        if self.runner is not None and not self.runner.task.done():
            msg = "a run is already going; cancel it first"
            raise RuntimeError(msg)
        self.runner = Runner(self.learner, executor=self.picker.executor, **self.runner_kwargs)
        self.info = LiveInfo(self.runner, self.update_interval)
        self._info_box.children = (self.info.widget,)
        self.plot = LivePlot(self.runner, update_interval=self.plot_interval)
        self._plot_box.clear_output()
        with self._plot_box:
            from IPython.display import display

            display(self.plot.dmap)
        self.start_button.disabled = True
        self.cancel_button.disabled = False
        self._loss_task = self.runner.ioloop.create_task(self._follow_loss(self.runner))
        return self.runner

    async def _follow_loss(self, runner: Any) -> None:
        start = time.monotonic()
        try:
            while True:
                loss = self.learner.loss()
                self._loss.send(np.array([[self.learner.npoints, time.monotonic() - start, loss]]))
                if runner.task.done():
                    return
                await asyncio.wait([runner.task], timeout=self.plot_interval)
        finally:
            self.start_button.disabled = False
            self.cancel_button.disabled = True

    def cancel(self) -> None:
        """Cancel the current run."""
        if self.runner is not None:
            self.runner.cancel()
