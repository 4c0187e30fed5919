"""A minimal learner for tests that need a learner of their own: the data is a plain dict.

Subclasses define ``ask``, ``loss`` and ``new`` (what the test is about); ``DictLearner``
supplies the rest of the :class:`~adaptive_nb.learner.base_learner.BaseLearner` contract.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adaptive_nb.learner.base_learner import BaseLearner

__all__ = ["DictLearner"]


class DictLearner(BaseLearner):
    """``data`` is a dict and ``pending_points`` a set; it saves no arrays.

    Parameters
    ----------
    function : callable
        The function to learn.
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.data: dict[Any, Any] = {}
        self.pending_points: set[Any] = set()

    def tell(self, x: Any, y: Any) -> None:
        self.data[x] = y
        self.pending_points.discard(x)

    def tell_pending(self, x: Any) -> None:
        self.pending_points.add(x)

    def remove_unfinished(self) -> None:
        self.pending_points.clear()

    def _get_data(self) -> Any:
        return dict(self.data)

    def _set_data(self, data: Any) -> None:
        self.tell_many(list(data), list(data.values()))

    def _to_arrays(self) -> dict[str, Any]:
        return {}

    def _from_arrays(self, arrays: dict[str, Any]) -> None:
        pass
