"""The notebook front-end: widgets and live plots for runners (the ``notebook`` extra).

Nothing here is imported by ``import adaptive_nb``, and nothing outside this package imports
it except, lazily, the runner methods ``live_info`` / ``live_plot``.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'adaptive_nb.notebook' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
