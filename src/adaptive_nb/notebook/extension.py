"""Explicit notebook set-up: ``adaptive_nb.notebook_extension()``."""

from __future__ import annotations

from .._optional import import_optional

__all__ = ["in_notebook", "notebook_extension"]


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (any shell with a kernel, subclasses too)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def notebook_extension(*, _inline_js: bool = True) -> None:
    """Load what the widgets and live plots need in this notebook.

    HoloViews is set up for bokeh with BokehJS inlined into the notebook (works offline and
    on clusters without internet; pass ``_inline_js=False`` to load it from the CDN).
    Nothing of this happens at import.
    """
    if not in_notebook():
        msg = '"adaptive_nb.notebook_extension()" may only be run from a Jupyter notebook.'
        raise RuntimeError(msg)
    import_optional("ipywidgets", purpose="the notebook widgets")
    hv = import_optional("holoviews", purpose="live plots")
    hv.extension("bokeh", logo=False, inline=_inline_js)
