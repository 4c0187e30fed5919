"""Plots of learners as HoloViews objects (the ``notebook`` extra; imported only when used)."""

from __future__ import annotations

from typing import Any

from .._optional import import_optional

__all__ = ["holoviews"]


def holoviews() -> Any:
    """Import holoviews, or raise an error naming the ``notebook`` extra."""
    return import_optional("holoviews", purpose="plotting")
