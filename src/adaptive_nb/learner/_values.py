"""Storing lists of arbitrary values (results, sequence elements) in the safe save format.

Numbers become a numeric array; plain JSON data (dicts with string keys, lists, strings,
numbers, booleans, None) becomes one JSON text, so loading it needs no pickle; anything
else is an object array, which the save format stores pickled.
"""

from __future__ import annotations

import json
import numbers
from typing import Any

import numpy as np

__all__ = ["pack_values", "unpack_values", "values_array"]

_JSON = "__json"


def _numbers_array(values: list[Any]) -> np.ndarray | None:
    """``values`` as an int64 or float64 array when they are all plain numbers, else None."""
    if all(type(v) is int or isinstance(v, np.integer) for v in values):
        try:
            return np.array(values, dtype=np.int64)
        except OverflowError:
            return None
    real = all(isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_) for v in values)
    return np.array(values, dtype=float) if real else None


def values_array(values: list[Any]) -> np.ndarray:
    """Numbers as a numeric array; anything else as an object array (stored pickled)."""
    array = _numbers_array(values)
    if array is not None:
        return array
    array = np.empty(len(values), dtype=object)
    for k, value in enumerate(values):
        array[k] = value
    return array


def _as_json(values: list[Any]) -> str | None:
    """One JSON text that reads back as exactly ``values``, or None."""
    try:
        text = json.dumps(values, allow_nan=False)
    except (TypeError, ValueError):
        return None
    # tuples, non-string keys and numpy scalars do not come back as they were
    return text if json.loads(text) == values and _plain_types(values) else None


def _plain_types(value: Any) -> bool:
    if value is None or type(value) in (bool, int, float, str):
        return True
    if type(value) is list:
        return all(_plain_types(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain_types(v) for k, v in value.items())
    return False


def pack_values(name: str, values: list[Any]) -> dict[str, np.ndarray]:
    """The arrays that store ``values`` under ``name`` (see the module docstring)."""
    if _numbers_array(values) is None:
        text = _as_json(values)
        if text is not None:
            return {name + _JSON: np.array([text])}
    return {name: values_array(values)}


def unpack_values(name: str, arrays: dict[str, np.ndarray]) -> list[Any] | None:
    """The values stored by :func:`pack_values` under ``name``; None when absent."""
    text = arrays.get(name + _JSON)
    if text is not None:
        if text.shape != (1,) or text.dtype.kind != "U":
            msg = f"expected one JSON text in {name + _JSON!r}, got {text.dtype} {text.shape}"
            raise ValueError(msg)
        values = json.loads(str(text[0]))
        if not isinstance(values, list):
            msg = f"{name + _JSON!r} does not hold a JSON list"
            raise ValueError(msg)
        return values
    array = arrays.get(name)
    return None if array is None else list(array)
