"""SequenceLearner: evaluate a function on every element of a fixed sequence.

Points are pairs ``(index, element)`` with ``element = sequence[index]``; the function sees
only the element. ``data`` maps each evaluated index to its value, and ``pending_points``
holds the indices being evaluated. Because points are keyed by their index, the elements
may be anything, unhashable ones (lists, dicts, arrays) included.

Data structures (N elements, n told)
------------------------------------
==================  ====================================================================
``data``            SortedDict index -> value.
``pending_points``  set of indices handed out and not told yet.
``_to_do``          SortedSet of the indices neither told nor pending: ``ask`` takes the
                    smallest ones, so the sequence is evaluated in order.
==================  ====================================================================

``ask(1)`` and ``tell`` cost O(log N).
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from sortedcontainers import SortedDict, SortedSet

from ..errors import AdaptiveNbError
from ._values import pack_values, unpack_values, values_array
from .base_learner import BaseLearner, check_ask_count

__all__ = ["LearnerNotDoneError", "SequenceLearner"]


class LearnerNotDoneError(AdaptiveNbError, RuntimeError):
    """``SequenceLearner.result()`` was called before every element was evaluated."""


class _IgnoreFirstArgument:
    """``learner.function``: calls ``function(element)`` for a point ``(index, element)``."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function

    def __call__(self, point: tuple[int, Any]) -> Any:
        _, element = point
        return self.function(element)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.function!r})"


def _copy_sequence(sequence: Any) -> Any:
    if isinstance(sequence, str | bytes) or (
        hasattr(sequence, "__len__") and hasattr(sequence, "__getitem__")
    ):
        return copy.copy(sequence)
    try:
        return list(sequence)
    except TypeError:
        msg = f"sequence must be a sequence or an iterable, got {sequence!r}"
        raise TypeError(msg) from None


def _plain_list(values: list[Any]) -> list[Any]:
    """numpy scalars (from a numeric array) as Python numbers."""
    return [v.item() if isinstance(v, np.generic) else v for v in values]


class SequenceLearner(BaseLearner):
    """Evaluates ``function`` on every element of ``sequence``, in order.

    Parameters
    ----------
    function : callable
        ``function(element) -> value``; the value may be any object.
    sequence : sequence
        The elements (a copy is kept in ``learner.sequence``). Elements need not be hashable.

    Notes
    -----
    ``ask`` returns points ``(index, element)``; ``tell((index, element), value)`` uses the
    index only. ``learner.function`` takes such a point and calls ``function(element)``.
    ``tell`` of an index outside ``range(len(sequence))`` raises ``ValueError`` and changes
    nothing; ``tell`` of an index already told is ignored (the first value is kept).
    The learner finishes by itself: with no goal, a runner stops when ``done()``.

    ``ask(1)`` and ``tell`` cost O(log N).
    """

    finishes_by_itself = True

    def __init__(self, function: Callable[[Any], Any], sequence: Iterable[Any]) -> None:
        if not callable(function):
            msg = f"function must be callable, got {function!r}"
            raise TypeError(msg)
        self._original_function = function
        self.function = _IgnoreFirstArgument(function)
        self.sequence = _copy_sequence(sequence)
        self._ntotal = len(self.sequence)
        self.data: SortedDict = SortedDict()
        self.pending_points: set[int] = set()
        self._to_do = SortedSet(range(self._ntotal))
        self._cache: dict[str, Any] = {}

    def new(self) -> SequenceLearner:
        """An empty SequenceLearner with the same function and sequence."""
        return SequenceLearner(self._original_function, self.sequence)

    # -- input checks ---------------------------------------------------------------------

    def _check_index(self, index: Any) -> int:
        if isinstance(index, bool | np.bool_) or not isinstance(index, numbers.Integral):
            msg = f"SequenceLearner indices are whole numbers, got {index!r}"
            raise ValueError(msg)
        index = int(index)
        if not 0 <= index < self._ntotal:
            msg = (
                f"index {index!r} is outside the sequence, whose indices are "
                f"0 to {self._ntotal - 1} (length {self._ntotal})"
            )
            raise ValueError(msg)
        return index

    def _check_point(self, point: Any) -> int:
        """The index of a point ``(index, element)``, checked."""
        if not isinstance(point, tuple | list) or len(point) != 2:
            msg = (
                f"SequenceLearner points are pairs (index, element) as returned by ask, "
                f"got {point!r}"
            )
            raise ValueError(msg)
        return self._check_index(point[0])

    def _point_key(self, point: Any) -> int:
        """The key of ``point`` in ``data`` (its index); DataSaver keys its extra data by it."""
        return self._check_point(point)

    # -- the contract ---------------------------------------------------------------------

    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[Any], list[float]]:
        """The next ``n`` elements not yet told or pending, as ``(index, element)`` pairs.

        Fewer (possibly none) when fewer remain. Each loss improvement is ``1 / N``.
        """
        n = check_ask_count(n)
        indices = list(self._to_do.islice(0, n))
        if tell_pending:
            for index in indices:
                self.pending_points.add(index)
            del self._to_do[: len(indices)]
        points = [(index, self.sequence[index]) for index in indices]
        return points, [1 / self._ntotal] * len(points) if points else []

    def tell(self, x: Any, y: Any) -> None:
        """Record that the element of point ``x = (index, element)`` gives ``y``."""
        index = self._check_point(x)
        if index in self.data:
            return
        self.data[index] = y
        self.pending_points.discard(index)
        self._to_do.discard(index)

    def tell_many(self, xs: Iterable[Any], ys: Iterable[Any]) -> None:
        """Record many results; every point is checked before anything changes."""
        xs, ys = list(xs), list(ys)
        if len(xs) != len(ys):
            msg = f"tell_many got {len(xs)} points but {len(ys)} values"
            raise ValueError(msg)
        indices = [self._check_point(x) for x in xs]
        for index, y in zip(indices, ys, strict=True):
            self.tell((index, None), y)

    def tell_pending(self, x: Any) -> None:
        """Mark point ``x = (index, element)`` as being evaluated; ignored when it is told."""
        index = self._check_point(x)
        if index in self.data:
            return
        self.pending_points.add(index)
        self._to_do.discard(index)

    def remove_unfinished(self) -> None:
        """Forget the pending points: ``ask`` hands them out again."""
        self._to_do.update(self.pending_points)
        self.pending_points.clear()

    def loss(self, real: bool = True) -> float:
        """The fraction of the sequence not evaluated yet (with ``real=False``: not evaluated
        and not pending). 0 for an empty sequence."""
        if self._ntotal == 0:
            value = 0.0
        else:
            done = len(self.data) if real else len(self.data) + len(self.pending_points)
            value = 1 - done / self._ntotal
        self._cache["loss"] = value
        return value

    def done(self) -> bool:
        """Whether every element has been evaluated."""
        return len(self.data) == self._ntotal

    def result(self) -> list[Any]:
        """The values of the function for the whole sequence, in order.

        Raises
        ------
        LearnerNotDoneError
            If some elements have not been evaluated yet (a ``RuntimeError``).
        """
        if not self.done():
            missing = self._ntotal - len(self.data)
            msg = (
                f"the SequenceLearner is not done: {missing} of {self._ntotal} elements are "
                "not evaluated yet; run it to the end (e.g. a runner with no goal) first"
            )
            raise LearnerNotDoneError(msg)
        return list(self.data.values())

    # -- data in other shapes -------------------------------------------------------------

    def to_numpy(self) -> np.ndarray:
        """Rows ``(index, value)`` sorted by index, shape ``(npoints, 2)``.

        A float array when every value is a number, else an object array.
        """
        values = values_array(list(self.data.values()))
        if values.dtype == object:
            table = np.empty((len(values), 2), dtype=object)
            table[:, 0] = list(self.data.keys())
            table[:, 1] = values
            return table
        return np.column_stack([np.array(self.data.keys(), dtype=float), values.astype(float)])

    def _get_data(self) -> dict[int, Any]:
        return dict(self.data)

    def _set_data(self, data: Mapping[int, Any]) -> None:
        if not isinstance(data, Mapping):
            msg = f"SequenceLearner data is a dict {{index: value}}, got {type(data).__name__}"
            raise ValueError(msg)
        indices = [self._check_index(i) for i in data]
        for index, y in zip(indices, data.values(), strict=True):
            self.tell((index, None), y)

    def _to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "index": np.array(list(self.data.keys()), dtype=np.int64),
            **pack_values("y", list(self.data.values())),
        }

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        index, y = arrays.get("index"), unpack_values("y", arrays)
        if index is None or y is None or index.ndim != 1 or len(y) != len(index):
            shapes = {k: getattr(v, "shape", None) for k, v in arrays.items()}
            msg = f"expected arrays index (n,) and y (n, ...), got {shapes}"
            raise ValueError(msg)
        if index.dtype.kind not in "iu":
            msg = f"expected integer indices, got an array of dtype {index.dtype}"
            raise ValueError(msg)
        self._set_data(dict(zip(index.tolist(), _plain_list(y), strict=True)))

    def to_dataframe(
        self,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        index_name: str = "i",
        x_name: str = "x",
        y_name: str = "y",
        *,
        full_sequence: bool = False,
    ) -> Any:
        """The data as a DataFrame with columns ``index_name``, ``x_name`` and ``y_name``.

        With ``full_sequence=True`` every element gets a row, with ``pandas.NA`` as the
        value of the ones not evaluated yet.
        """
        from .._optional import import_optional
        from ..dataframes import learner_frame

        if full_sequence:
            pd = import_optional("pandas", purpose="to_dataframe")
            indices = list(range(self._ntotal))
            ys = [self.data.get(i, pd.NA) for i in indices]
        else:
            indices = list(self.data.keys())
            ys = list(self.data.values())
        columns = {
            index_name: indices,
            x_name: [self.sequence[i] for i in indices],
            y_name: ys,
        }
        # the default arguments are those of the user's function, not of the point wrapper
        holder = _FunctionHolder(self._original_function)
        return learner_frame(
            holder, columns, [index_name], y_name, with_default_function_args, function_prefix
        )

    def load_dataframe(
        self,
        df: Any,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        index_name: str = "i",
        x_name: str = "x",
        y_name: str = "y",
        *,
        full_sequence: bool = False,
    ) -> None:
        """Add the data of a DataFrame made by :meth:`to_dataframe` (rows whose value is
        missing are skipped when ``full_sequence=True``)."""
        from .._optional import import_optional

        pd = import_optional("pandas", purpose="load_dataframe")
        indices, xs, ys = df[index_name].tolist(), df[x_name].tolist(), df[y_name].tolist()
        rows = list(zip(indices, xs, ys, strict=True))
        if full_sequence:
            rows = [row for row in rows if not _is_missing(row[2], pd)]
        self.tell_many([(i, x) for i, x, _ in rows], [y for _, _, y in rows])
        if with_default_function_args:
            learner = _FunctionHolder(self._original_function)
            from ..dataframes import bind_function_args

            bind_function_args(learner, df, function_prefix)
            self._original_function = learner.function
            self.function = _IgnoreFirstArgument(learner.function)

    # -- checks ---------------------------------------------------------------------------

    def _check(self) -> None:
        """Assert every internal invariant; the tests call this after each step."""
        told = set(self.data.keys())
        assert all(0 <= i < self._ntotal for i in told), "an index outside the sequence"
        assert not (told & self.pending_points), "an index is both told and pending"
        assert all(0 <= i < self._ntotal for i in self.pending_points)
        expected = set(range(self._ntotal)) - told - self.pending_points
        assert set(self._to_do) == expected, "_to_do differs from the untold, unpending indices"
        if self._ntotal:
            assert math.isclose(self.loss(), 1 - len(told) / self._ntotal)


class _FunctionHolder:
    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function


def _is_missing(value: Any, pd: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays and other containers are values, not NA
        return False
