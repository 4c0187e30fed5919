"""pandas helpers shared by the learners' ``to_dataframe`` / ``load_dataframe``.

pandas is imported only when one of these runs (the ``pandas`` extra).
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ._optional import import_optional

__all__ = [
    "assign_defaults",
    "bind_function_args",
    "learner_frame",
    "partial_function_from_dataframe",
]


def _default_args(function: Callable[..., Any]) -> dict[str, Any]:
    """The keyword arguments ``function`` is called with by default (partial's included)."""
    bound: dict[str, Any] = {}
    while isinstance(function, functools.partial):
        bound = {**function.keywords, **bound}
        function = function.func
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return bound
    defaults = {
        name: p.default
        for name, p in signature.parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    return {**defaults, **bound}


def assign_defaults(
    function: Callable[..., Any], df: Any, function_prefix: str = "function."
) -> None:
    """Add a constant column ``<prefix><name>`` for each default argument of ``function``."""
    for name, value in _default_args(function).items():
        df[function_prefix + name] = [value] * len(df)


def partial_function_from_dataframe(
    function: Callable[..., Any], df: Any, function_prefix: str = "function."
) -> Callable[..., Any]:
    """Bind the ``<prefix><name>`` columns of ``df`` to ``function`` with ``functools.partial``.

    Each such column must hold one value and name a parameter of ``function``; a value that
    differs from the function's default is bound with a warning.
    """
    defaults = _default_args(function)
    kwargs = {}
    for column in df.columns:
        if not str(column).startswith(function_prefix):
            continue
        name = str(column)[len(function_prefix) :]
        values = df[column]
        if len(values) == 0:
            continue
        first = values.iloc[0]
        if isinstance(first, np.generic):  # a plain Python value reads better in messages
            first = first.item()
        if not all(_same(v, first) for v in values):
            msg = f"column {column!r} holds several values; one function argument needs one value"
            raise ValueError(msg)
        if name not in defaults:
            msg = (
                f"column {column!r} names {name!r}, which is not a parameter with a default "
                f"of {function!r}"
            )
            raise ValueError(msg)
        if not _same(defaults[name], first):
            warnings.warn(
                f"the DataFrame sets {name}={first!r} where the function's default is "
                f"{defaults[name]!r}; the function is now bound to {name}={first!r}",
                UserWarning,
                stacklevel=3,
            )
        kwargs[name] = first
    return functools.partial(function, **kwargs) if kwargs else function


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def learner_frame(
    learner: Any,
    columns: dict[str, list[Any]],
    inputs: list[str],
    output: str,
    with_default_function_args: bool,
    function_prefix: str,
) -> Any:
    """Build a learner's DataFrame and set ``df.attrs['inputs']`` / ``['output']``."""
    pd = import_optional("pandas", purpose="to_dataframe")
    df = pd.DataFrame(columns)
    df.attrs["inputs"] = inputs
    df.attrs["output"] = output
    if with_default_function_args:
        assign_defaults(learner.function, df, function_prefix)
    return df


def bind_function_args(learner: Any, df: Any, function_prefix: str) -> None:
    """Rebind ``learner.function`` to the function arguments recorded in ``df``."""
    learner.function = partial_function_from_dataframe(learner.function, df, function_prefix)
