"""live_info: a status table with a cancel button, updated while the runner runs.

The widget (an anywidget) tells the kernel whether it is on screen (the page is visible and
the output is scrolled into view); while nobody is looking it is updated ten times less
often.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .._optional import import_optional
from ._html import info_html

__all__ = ["HIDDEN_SLOWDOWN", "LiveInfo", "live_info"]

HIDDEN_SLOWDOWN = 10

_ESM = """
function render({ model, el }) {
  const table = document.createElement("div");
  table.className = "adaptive-nb-info-table";
  const button = document.createElement("button");
  button.className = "adaptive-nb-cancel jupyter-widgets jupyter-button widget-button";
  button.textContent = "cancel runner";
  button.addEventListener("click", () => model.send({ event: "cancel" }));
  const draw = () => {
    table.innerHTML = model.get("html");
    button.style.display = model.get("done") ? "none" : "";
  };
  model.on("change:html", draw);
  model.on("change:done", draw);
  draw();
  let onScreen = true;
  const report = () => {
    // after the run nothing is updated any more: say nothing (every message to the
    // kernel while a cell runs costs it, and can even send that cell's output astray)
    if (model.get("done")) return;
    const visible = onScreen && document.visibilityState === "visible";
    if (model.get("visible") !== visible) {
      model.set("visible", visible);
      model.save_changes();
    }
  };
  const observer = new IntersectionObserver((entries) => {
    onScreen = entries.some((entry) => entry.isIntersecting);
    report();
  });
  const stop = () => {
    observer.disconnect();
    document.removeEventListener("visibilitychange", report);
  };
  observer.observe(el);
  document.addEventListener("visibilitychange", report);
  model.on("change:done", () => { if (model.get("done")) stop(); });
  if (model.get("done")) stop();
  el.classList.add("adaptive-nb-info");
  el.append(table, button);
  return stop;
}
export default { render };
"""

_widget_class: Any = None


def _info_widget_class() -> Any:
    global _widget_class
    if _widget_class is None:
        anywidget = import_optional("anywidget", purpose="live_info")
        traitlets = import_optional("traitlets", purpose="live_info")

        class InfoWidget(anywidget.AnyWidget):
            _esm = _ESM
            html = traitlets.Unicode("").tag(sync=True)
            done = traitlets.Bool(False).tag(sync=True)
            visible = traitlets.Bool(True).tag(sync=True)

        _widget_class = InfoWidget
    return _widget_class


class LiveInfo:
    """The status widget of a runner, and the task that keeps it up to date.

    ``widget`` is the ipywidget to display; ``cancel()`` is what its button does;
    ``updates`` counts the updates sent.
    """

    def __init__(self, runner: Any, update_interval: float = 0.5) -> None:
        if not update_interval > 0:
            msg = f"update_interval must be a positive number of seconds, got {update_interval!r}"
            raise ValueError(msg)
        self.runner = runner
        self.update_interval = float(update_interval)
        self.widget = _info_widget_class()(html=info_html(runner))
        self.widget.on_msg(self._on_message)
        self.updates = 0
        self._displayed = False
        self._loop = runner.ioloop
        self._wake = asyncio.Event()
        # back on screen: update at once instead of at the end of the long hidden interval
        self.widget.observe(self._visibility_changed, names="visible")
        self.task = runner.ioloop.create_task(self._update())

    def _visibility_changed(self, change: Any) -> None:
        if change["new"] and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)  # widget messages: any thread

    def _on_message(self, widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "cancel":
            self.cancel()

    def cancel(self) -> None:
        self.runner.cancel()

    def _ipython_display_(self) -> None:
        if not self._displayed:
            from IPython.display import display

            display(self.widget)
            self._displayed = True

    def _refresh(self) -> None:
        text = info_html(self.runner)
        if text != self.widget.html:
            self.widget.html = text
            self.updates += 1

    def interval(self) -> float:
        """Seconds until the next update: longer while the widget is not on screen."""
        slowdown = 1 if self.widget.visible else HIDDEN_SLOWDOWN
        return self.update_interval * slowdown

    async def _update(self) -> None:
        task = self.runner.task
        try:
            while not task.done():
                self._refresh()
                self._wake.clear()
                woken = asyncio.ensure_future(self._wake.wait())
                try:
                    await asyncio.wait([task, woken], timeout=self.interval(),
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    woken.cancel()
        finally:  # also when only this task was cancelled: show the last state
            self._refresh()
            if task.done():
                self.widget.done = True  # hides the cancel button


def live_info(runner: Any, *, update_interval: float = 0.5) -> LiveInfo:
    """Display the live status of ``runner`` (needs only ipywidgets and anywidget)."""
    info = LiveInfo(runner, update_interval)
    info._ipython_display_()  # shown now; showing the returned object again does nothing
    return info
