"""Dashboard: one widget to run a learner: executor picker, Start / Cancel, live status,
live plot, and the loss against the number of points and the time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from .._optional import import_optional
from ..goals import check_goal_arguments
from .extension import in_notebook
from .info import LiveInfo
from .picker import ExecutorPicker
from .plot import LivePlot, holoviews_with_bokeh

__all__ = ["Dashboard"]

GOAL_KEYWORDS = ("goal", "loss_goal", "npoints_goal", "end_time_goal", "duration_goal")
PLOT_SIZE = {"width": 380, "height": 280}  # the live plot; the two loss plots are narrower
LOSS_SIZE = {"width": 230, "height": 280}


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
        self.hv = holoviews_with_bokeh()
        widgets = import_optional("ipywidgets", purpose="the dashboard")
        self.learner = learner
        self.picker = picker if picker is not None else ExecutorPicker()
        self._executor = runner_kwargs.pop("executor", None)  # when the picker has none
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
        _show_in(self._loss_box, self.loss_plot)
        self.widget = widgets.VBox([
            self.picker.widget,
            widgets.HBox([self.start_button, self.cancel_button]),
            self._info_box,
            widgets.HBox([self._plot_box, self._loss_box]),
        ])
        self.widget.add_class("adaptive-nb-dashboard")
        self._loss_task: asyncio.Task | None = None
        self._t0: float | None = None  # the time axis runs on across runs

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _loss_dmap(self) -> Any:
        hv = self.hv

        def draw(data: np.ndarray) -> Any:
            table = np.asarray(data).reshape(-1, 3)
            finite = table[np.isfinite(table[:, 2]) & (table[:, 2] > 0)]
            if len(np.unique(finite[:, 2])) < 2:
                # a log axis needs a range of positive width: rows without an x (not drawn)
                # give it one until there are two different losses
                low, high = (finite[0, 2] / 3, finite[0, 2] * 3) if len(finite) else (0.1, 1)
                finite = np.vstack([finite, [[np.nan, np.nan, low], [np.nan, np.nan, high]]])
            by_points = hv.Curve(finite[:, [0, 2]], "points", "loss").opts(logy=True)
            by_time = hv.Curve(finite[:, [1, 2]], "time (s)", "loss").opts(logy=True)
            # each frame its own ranges (with shared axes, they would only ever grow)
            return (by_points + by_time).opts(
                hv.opts.Curve(framewise=True, **LOSS_SIZE), hv.opts.Layout(shared_axes=False)
            )

        return hv.DynamicMap(draw, streams=[self._loss])

    def start(self) -> Any:
        """Start a run (on the picker's executor, or the default one); returns the runner."""
        from ..runner import Runner

        if self.runner is not None and not self.runner.task.done():
            msg = "a run is already going; cancel it first"
            raise RuntimeError(msg)
        executor = self.picker.executor if self.picker.executor is not None else self._executor
        self.runner = Runner(self.learner, executor=executor, **self.runner_kwargs)
        self.info = LiveInfo(self.runner, self.update_interval)
        self._info_box.children = (self.info.widget,)
        self.plot = LivePlot(self.runner, update_interval=self.plot_interval)
        self._plot_box.clear_output()
        _show_in(self._plot_box, self.plot.dmap.opts(self.hv.opts.Overlay(**PLOT_SIZE)))
        self.start_button.disabled = True
        self.cancel_button.disabled = False
        self._loss_task = self.runner.ioloop.create_task(self._follow_loss(self.runner))
        return self.runner

    async def _follow_loss(self, runner: Any) -> None:
        """Send (points, seconds, loss) to the loss plot whenever the learner changed."""
        if self._t0 is None:
            self._t0 = time.monotonic()
        try:
            while True:
                npoints = self.learner.npoints
                sent = self.loss_data
                if not len(sent) or npoints != sent[-1, 0]:
                    row = [npoints, time.monotonic() - self._t0, self.learner.loss()]
                    self._loss.send(np.array([row], dtype=float))
                if runner.task.done():
                    return
                await asyncio.wait([runner.task], timeout=self.plot_interval)
        finally:
            self.start_button.disabled = False
            self.cancel_button.disabled = True

    @property
    def loss_data(self) -> np.ndarray:
        """The (points, seconds since the first start, loss) rows sent to the loss plot."""
        return np.asarray(self._loss.data).reshape(-1, 3)

    def cancel(self) -> None:
        """Cancel the current run."""
        if self.runner is not None:
            self.runner.cancel()


def _show_in(output: Any, obj: Any) -> None:
    """Display ``obj`` in the Output widget (in a kernel; elsewhere there is nothing to show
    it in, and IPython would print its repr)."""
    if not in_notebook():
        return
    from IPython.display import display

    with output:
        display(obj)
