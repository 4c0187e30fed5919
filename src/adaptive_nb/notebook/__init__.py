"""The notebook front-end: widgets and live plots for runners (the ``notebook`` extra).

Nothing here is imported by ``import adaptive_nb``, and nothing outside this package imports
it except, lazily, the runner methods ``live_info`` / ``live_plot``.
"""

from __future__ import annotations

from .._lazy import lazy_attributes

_LAZY = {
    "notebook_extension": "adaptive_nb.notebook.extension",
    "in_notebook": "adaptive_nb.notebook.extension",
    "LiveInfo": "adaptive_nb.notebook.info",
    "live_info": "adaptive_nb.notebook.info",
    "live_plot": "adaptive_nb.notebook.plot",
    "LivePlot": "adaptive_nb.notebook.plot",
    "active_plotting_tasks": "adaptive_nb.notebook.plot",
    "ExecutorPicker": "adaptive_nb.notebook.picker",
    "Dashboard": "adaptive_nb.notebook.dashboard",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
