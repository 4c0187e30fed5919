"""DataSaver: let a learner's function return rich results, and keep them.

The wrapped learner learns ``arg_picker(result)``; the whole ``result`` is kept in
``extra_data``, keyed like the wrapped learner's ``data`` (the point itself, or for a
:class:`~adaptive_nb.SequenceLearner` its index, so that unhashable elements work).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ._values import pack_values, unpack_values, values_array
from .base_learner import BaseLearner

__all__ = ["DataSaver", "make_datasaver"]

_CHILD = "learner."


def _plain(value: Any) -> Any:
    """numpy scalars as plain Python values (so they match the keys of ``data``)."""
    return value.item() if isinstance(value, np.generic) else value


def _keys_array(keys: list[Any]) -> np.ndarray:
    """Points as an array: tuples of numbers (2-D and N-D learners) as rows of a 2-D array,
    so they are stored without pickle."""
    if keys and all(type(k) is tuple for k in keys) and len({len(k) for k in keys}) == 1:
        flat = values_array([v for k in keys for v in k])
        if flat.dtype != object:
            return flat.reshape(len(keys), -1)
    return values_array(keys)


class DataSaver(BaseLearner):
    """Wraps ``learner`` so that its function may return any object.

    Parameters
    ----------
    learner : BaseLearner
        The learner that does the learning.
    arg_picker : callable
        ``arg_picker(result)`` is the value the wrapped learner is told, e.g.
        ``operator.itemgetter("y")``.

    Attributes
    ----------
    extra_data : OrderedDict
        ``{point: result}`` for every point told (the point as it is keyed in
        ``learner.data``).

    Notes
    -----
    ``finishes_by_itself`` and ``done()`` are those of the wrapped learner, so a runner
    with no goal stops when the wrapped learner is done. Every attribute not defined here
    (``data``, ``npoints``, ``plot``, ``to_numpy``, ...) is the wrapped learner's.

    ``tell`` of a point already in ``extra_data`` is ignored (the first result is kept); a
    point the wrapped learner rejects raises its ``ValueError`` and changes nothing.

    :meth:`save` stores results that are plain JSON data as JSON; other objects are
    stored pickled, and :meth:`load` then needs ``allow_pickle=True`` (only for files you
    trust).
    """

    def __init__(self, learner: BaseLearner, arg_picker: Callable[[Any], Any]) -> None:
        if not callable(arg_picker):
            msg = f"arg_picker must be callable, got {arg_picker!r}"
            raise TypeError(msg)
        for name in ("ask", "tell", "tell_pending", "loss", "function"):
            if not hasattr(learner, name):
                msg = f"DataSaver needs a learner, got {learner!r} (it has no {name!r})"
                raise TypeError(msg)
        self.learner = learner
        self.arg_picker = arg_picker
        self.extra_data: OrderedDict[Any, Any] = OrderedDict()

    def __getattr__(self, name: str) -> Any:
        # only called for names not found on the DataSaver; never during unpickling
        if name.startswith("__") or name in ("learner", "extra_data", "arg_picker"):
            raise AttributeError(name)
        return getattr(self.learner, name)

    def new(self) -> DataSaver:
        """An empty DataSaver around ``learner.new()``, with the same ``arg_picker``."""
        return DataSaver(self.learner.new(), self.arg_picker)

    # -- delegated state ------------------------------------------------------------------

    @property
    def function(self) -> Callable[..., Any]:
        """The wrapped learner's function."""
        return self.learner.function

    @function.setter
    def function(self, value: Callable[..., Any]) -> None:
        self.learner.function = value

    @property
    def data(self) -> Any:
        """The wrapped learner's data."""
        return self.learner.data

    @property
    def pending_points(self) -> Any:
        """The wrapped learner's pending points."""
        return self.learner.pending_points

    @property
    def npoints(self) -> int:
        """The wrapped learner's number of points."""
        return self.learner.npoints

    @property
    def finishes_by_itself(self) -> bool:  # type: ignore[override]
        """Whether the wrapped learner finishes by itself."""
        return bool(getattr(self.learner, "finishes_by_itself", False))

    def done(self) -> bool:
        """Whether the wrapped learner is done."""
        return bool(self.learner.done())

    # -- the contract ---------------------------------------------------------------------

    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[Any], list[float]]:
        """The wrapped learner's ``ask``."""
        return self.learner.ask(n, tell_pending=tell_pending)

    def loss(self, *args: Any, **kwargs: Any) -> float:
        """The wrapped learner's ``loss``."""
        return self.learner.loss(*args, **kwargs)

    def remove_unfinished(self) -> None:
        """The wrapped learner's ``remove_unfinished``."""
        self.learner.remove_unfinished()

    def to_numpy(self) -> Any:
        """The wrapped learner's ``to_numpy``."""
        return self.learner.to_numpy()

    def tell_pending(self, x: Any) -> None:
        """The wrapped learner's ``tell_pending``."""
        self.learner.tell_pending(x)

    def _key(self, x: Any) -> Any:
        key = getattr(self.learner, "_point_key", None)
        return key(x) if key is not None else x

    def tell(self, x: Any, y: Any) -> None:
        """Store ``extra_data[x] = y`` and tell ``arg_picker(y)`` to the wrapped learner."""
        self.tell_many([x], [y])

    def tell_many(self, xs: Iterable[Any], ys: Iterable[Any]) -> None:
        """Tell many results; nothing changes if the wrapped learner rejects any of them."""
        xs, ys = list(xs), list(ys)
        if len(xs) != len(ys):
            msg = f"tell_many got {len(xs)} points but {len(ys)} results"
            raise ValueError(msg)
        new: dict[Any, tuple[Any, Any]] = {}
        for x, y in zip(xs, ys, strict=True):
            key = self._key(x)
            if key not in self.extra_data and key not in new:
                new[key] = (x, y)
        if not new:
            return
        picked = [self.arg_picker(y) for _, y in new.values()]
        self.learner.tell_many([x for x, _ in new.values()], picked)
        for key, (_, y) in new.items():
            self.extra_data[key] = y

    # -- data -----------------------------------------------------------------------------

    def _get_data(self) -> tuple[Any, OrderedDict[Any, Any]]:
        return self.learner._get_data(), OrderedDict(self.extra_data)

    def _set_data(self, data: Any) -> None:
        if not (isinstance(data, tuple | list) and len(data) == 2):
            msg = f"DataSaver data is a pair (learner data, extra_data), got {type(data).__name__}"
            raise ValueError(msg)
        child, extra = data
        if not hasattr(extra, "items"):
            msg = f"DataSaver extra_data is a dict {{point: result}}, got {type(extra).__name__}"
            raise ValueError(msg)
        self.learner._set_data(child)
        for key, value in extra.items():
            self.extra_data.setdefault(key, value)

    def _to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {_CHILD + name: a for name, a in self.learner._to_arrays().items()}
        keys = list(self.extra_data)
        arrays["extra_x"] = _keys_array(keys)
        arrays.update(pack_values("extra_data", list(self.extra_data.values())))
        arrays["learner_type"] = np.array([type(self.learner).__name__])
        return arrays

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        kind = arrays.get("learner_type")
        mine = type(self.learner).__name__
        if kind is None or kind.shape != (1,) or str(kind[0]) != mine:
            got = None if kind is None else "/".join(str(k) for k in np.ravel(kind))
            msg = f"the file wraps a {got!r} learner, this DataSaver a {mine!r}"
            raise ValueError(msg)
        keys, values = arrays.get("extra_x"), unpack_values("extra_data", arrays)
        if keys is None or values is None or keys.ndim not in (1, 2) or len(keys) != len(values):
            msg = "expected arrays extra_x (n,) and extra_data (n,)"
            raise ValueError(msg)
        child = {k[len(_CHILD) :]: a for k, a in arrays.items() if k.startswith(_CHILD)}
        self.learner._from_arrays(child)
        key_list = [tuple(k) for k in keys.tolist()] if keys.ndim == 2 else keys.tolist()
        for key, value in zip(key_list, values, strict=True):
            self.extra_data.setdefault(_plain(key), value)

    def save(self, fname: Any, compress: bool = True) -> None:
        """Save the wrapped learner's data and ``extra_data`` to ``fname``.

        Results that are plain JSON data (dicts with string keys, lists, strings, numbers,
        booleans, None) are stored as JSON text and load without pickle; any other objects
        are stored pickled, and loading the file then needs ``allow_pickle=True``.
        """
        super().save(fname, compress=compress)

    def load(self, fname: Any, compress: bool = True, *, allow_pickle: bool = False) -> None:
        """Add the data saved by :meth:`save`; needs ``allow_pickle=True`` when the results
        were stored pickled (unpickling can run code, so only for files you trust). See
        :meth:`BaseLearner.load` for the errors."""
        super().load(fname, compress=compress, allow_pickle=allow_pickle)

    def to_dataframe(
        self,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        extra_data_name: str = "extra_data",
        **kwargs: Any,
    ) -> Any:
        """The wrapped learner's DataFrame plus a column ``extra_data_name`` of results.

        ``kwargs`` go to the wrapped learner's ``to_dataframe``. Rows without a result (the
        unevaluated rows of ``full_sequence=True``) get ``None``.
        """
        df = self.learner.to_dataframe(
            with_default_function_args=with_default_function_args,
            function_prefix=function_prefix,
            **kwargs,
        )
        keys = self._row_keys(df, list(df.attrs["inputs"]))
        df[extra_data_name] = [self.extra_data.get(key) for key in keys]
        return df

    @staticmethod
    def _row_keys(df: Any, inputs: list[str]) -> list[Any]:
        columns = [[_plain(v) for v in df[name].tolist()] for name in inputs]
        if len(columns) == 1:
            return columns[0]
        return list(zip(*columns, strict=True))

    def load_dataframe(
        self,
        df: Any,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        extra_data_name: str = "extra_data",
        input_names: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        """Add the data of a DataFrame made by :meth:`to_dataframe`.

        ``input_names`` are the columns that make a point (by default
        ``df.attrs["inputs"]``, which is lost when a DataFrame is written to disk: then
        give them). ``kwargs`` go to the wrapped learner's ``load_dataframe``.
        """
        inputs = list(input_names) or list(df.attrs.get("inputs", []))
        if not inputs:
            msg = (
                "the DataFrame does not say which columns are the inputs (df.attrs['inputs'] "
                "is lost when a DataFrame is saved); pass input_names, e.g. ('x',)"
            )
            raise ValueError(msg)
        missing = [name for name in [*inputs, extra_data_name] if name not in df.columns]
        if missing:
            msg = f"the DataFrame has no column {missing[0]!r}; it has {list(df.columns)}"
            raise ValueError(msg)
        self.learner.load_dataframe(
            df,
            with_default_function_args=with_default_function_args,
            function_prefix=function_prefix,
            **kwargs,
        )
        keys = self._row_keys(df, inputs)
        known = self.learner.data
        for key, value in zip(keys, df[extra_data_name].tolist(), strict=True):
            if key in known:
                self.extra_data.setdefault(key, value)

    def _check(self) -> None:
        """Assert the wrapped learner's invariants, and that every result has a point."""
        self.learner._check()
        known = self.learner.data
        assert all(key in known for key in self.extra_data), "a result without a point"

    def __getstate__(self) -> dict[str, Any]:
        import cloudpickle

        return {
            "learner": cloudpickle.dumps(self.learner),
            "arg_picker": cloudpickle.dumps(self.arg_picker),
            "extra_data": cloudpickle.dumps(self.extra_data),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        import cloudpickle

        self.learner = cloudpickle.loads(state["learner"])
        self.arg_picker = cloudpickle.loads(state["arg_picker"])
        self.extra_data = cloudpickle.loads(state["extra_data"])


def _build(
    learner_type: Callable[..., BaseLearner],
    arg_picker: Callable[[Any], Any],
    *args: Any,
    **kwargs: Any,
) -> DataSaver:
    return DataSaver(learner_type(*args, **kwargs), arg_picker)


def make_datasaver(
    learner_type: Callable[..., BaseLearner], arg_picker: Callable[[Any], Any]
) -> functools.partial[DataSaver]:
    """A factory of DataSavers: ``make_datasaver(T, pick)(*args, **kw)`` is
    ``DataSaver(T(*args, **kw), pick)`` (usable as the ``learner_type`` of
    ``BalancingLearner.from_product``)."""
    return functools.partial(_build, learner_type, arg_picker)
