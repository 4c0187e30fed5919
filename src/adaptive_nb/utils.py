"""Small helpers that users of python-adaptive import from ``adaptive.utils``."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any

from .dataframes import assign_defaults, partial_function_from_dataframe
from .executors import SequentialExecutor

__all__ = [
    "SequentialExecutor",
    "assign_defaults",
    "cache_latest",
    "named_product",
    "partial_function_from_dataframe",
]


def named_product(**items: Any) -> list[dict[str, Any]]:
    """The Cartesian product of named value lists, as a list of dicts.

    >>> named_product(a=[1, 2], b=["x"])
    [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'x'}]
    """
    names = list(items)
    return [dict(zip(names, values)) for values in itertools.product(*items.values())]


def cache_latest(method: Callable[..., Any]) -> Callable[..., Any]:
    """Store a method's latest result in ``self._cache[method.__name__]``."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        if not hasattr(self, "_cache"):
            self._cache = {}
        self._cache[method.__name__] = result
        return result

    return wrapper
