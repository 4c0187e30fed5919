"""Optional dependencies: the one place where adaptive_nb's extras are named."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from .errors import MissingOptionalDependency

# module name -> (extra that installs it, what it is needed for)
EXTRAS = {
    "holoviews": "notebook",
    "bokeh": "notebook",
    "ipywidgets": "notebook",
    "anywidget": "notebook",
    "psutil": "notebook",
    "pandas": "pandas",
    "tqdm": "progress",
    "distributed": "dask",
    "dask": "dask",
    "ipyparallel": "ipyparallel",
    "mpi4py": "mpi",
}


def import_optional(name: str, *, purpose: str | None = None) -> ModuleType:
    """Import ``name``, or raise :class:`MissingOptionalDependency` naming the extra to install."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = name.partition(".")[0]
        extra = EXTRAS.get(top, "all")
        why = f" for {purpose}" if purpose else ""
        msg = (
            f"{top!r} is needed{why} but is not installed. "
            f'Install it with: pip install "adaptive_nb[{extra}]"'
        )
        raise MissingOptionalDependency(msg) from exc


def is_imported(name: str) -> ModuleType | None:
    """Return the module if the user's program has already imported it, without importing it."""
    return sys.modules.get(name)
