"""Input checks shared by the learners: bounds, callables, points and values.

Every check raises ``ValueError`` (``TypeError`` for a callable that is not one) with a
message that names the bad value and says what is expected; the learners call them before
they change anything, so bad input leaves a learner as it was.

The learners keep the cheapest check of a point inline (a float x inside the bounds is
accepted without a call); these functions do the rest and word the messages, so that every
learner says the same thing the same way.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "check_bounds",
    "check_callables",
    "check_function",
    "check_interval",
    "check_shape",
    "check_whole_number",
    "number_or_array",
    "outside_bounds_error",
]


def check_function(function: Any, function_name: str = "function") -> None:
    """Raise ``TypeError`` if the function a learner is made with is not callable.

    ``function_name`` is the name of the parameter, for the message (LearnerND's is ``func``).
    """
    if not callable(function):
        msg = f"{function_name} must be callable, got {function!r}"
        raise TypeError(msg)


def check_callables(
    function: Any,
    loss: Any,
    loss_name: str,
    default: Callable[..., Any],
    function_name: str = "function",
) -> Callable[..., Any]:
    """Check a learner's function and loss; return the loss (``default`` when it is None).

    Parameters
    ----------
    function : object
        The function to learn; must be callable.
    loss : object
        The loss the user gave, or None.
    loss_name : str
        The name of the loss parameter, for the message (``"loss_per_interval"``).
    default : callable
        The loss to use when ``loss`` is None.
    function_name : str, default "function"
        The name of the function parameter, for the message.

    Returns
    -------
    callable
        ``loss``, or ``default``.

    Raises
    ------
    TypeError
        If ``function``, or ``loss`` when given, is not callable.
    """
    check_function(function, function_name)
    if loss is None:
        return default
    if not callable(loss):
        msg = f"{loss_name} must be callable, got {loss!r}"
        raise TypeError(msg)
    return loss


def check_whole_number(name: str, value: Any, minimum: int) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` if it is not a whole number (bool
    excluded) of at least ``minimum``; the message names the parameter ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        msg = f"{name} must be a whole number >= {minimum}, got {value!r}"
        raise ValueError(msg)
    return int(value)


def check_interval(pair: tuple, bounds: Any, axis: str | None = None) -> tuple[float, float]:
    """Return ``pair`` as ``(lower, upper)`` floats: real, finite, ``lower < upper`` and with
    a width that is a finite float.

    Parameters
    ----------
    pair : tuple
        Two values.
    bounds : object
        The bounds as the user gave them (quoted in the messages).
    axis : str, optional
        None when ``pair`` is all of a 1-D learner's ``bounds``; ``"x"`` or ``"y"`` when it is
        one axis of Learner2D's bounds (the messages then name that axis and quote ``pair``).

    Raises
    ------
    ValueError
        Naming the bad value and the remedy.
    """
    for value in pair:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            msg = f"bounds must be real numbers, got {value!r} in {bounds!r}"
            raise ValueError(msg)
    lower, upper = float(pair[0]), float(pair[1])
    if axis is None:  # the messages quote all of the bounds
        subject, shown = "bounds", bounds
    else:  # the messages name the axis and quote its pair
        subject, shown = f"the {axis} bounds", pair
    if not (math.isfinite(lower) and math.isfinite(upper)):
        msg = f"{subject} must be finite, got {shown!r}"
        raise ValueError(msg)
    if lower == upper:
        msg = f"{subject} have zero width: {shown!r}; give two different numbers"
        raise ValueError(msg)
    if lower > upper:
        order = "(lower, upper) = " if axis is None else ""
        msg = f"{subject} are reversed: {shown!r}; give them as {order}({upper!r}, {lower!r})"
        raise ValueError(msg)
    if not math.isfinite(upper - lower):
        if axis is None:
            msg = f"the width of the bounds {shown!r} overflows a float; use a smaller interval"
        else:
            msg = f"the width of {subject} {shown!r} overflows a float"
        raise ValueError(msg)
    return lower, upper


def check_bounds(bounds: Any) -> tuple[float, float]:
    """Return ``bounds`` as ``(lower, upper)`` floats, or raise ``ValueError`` saying why not.

    Parameters
    ----------
    bounds : pair of float
        ``(lower, upper)``, finite, ``lower < upper``.

    Returns
    -------
    tuple of float
        ``(lower, upper)``.
    """
    if isinstance(bounds, str | bytes):
        msg = f"bounds must be a pair of numbers (lower, upper), got {bounds!r}"
        raise ValueError(msg)
    try:
        pair = tuple(bounds)
    except TypeError:
        msg = f"bounds must be a pair of numbers (lower, upper), got {bounds!r}"
        raise ValueError(msg) from None
    if len(pair) != 2:
        msg = f"bounds must be a pair of numbers (lower, upper), got {len(pair)} values: {bounds!r}"
        raise ValueError(msg)
    return check_interval(pair, bounds)


def outside_bounds_error(what: str, bounds: Any, learner: str) -> ValueError:
    """The error for a point outside a learner's bounds.

    Parameters
    ----------
    what : str
        The point as the message shows it (``"x=2.0"``, ``"the point (2.0, 0.0)"``).
    bounds : object
        The learner's bounds.
    learner : str
        The learner's class name.

    Returns
    -------
    ValueError
        To be raised by the caller.
    """
    return ValueError(
        f"{what} is outside the bounds {bounds!r}; {learner} only stores points inside its "
        "bounds (make a learner with wider bounds to keep it)"
    )


def number_or_array(point: Any, value: Any, function_name: str = "function") -> float | np.ndarray:
    """``value`` as a float, or, when it is not a single number, as a float array.

    A 0-d array counts as a number. The caller checks the shape of an array (``ndim >= 1``).

    Parameters
    ----------
    point : object
        The point the value was computed at (named in the message).
    value : object
        What the function returned.
    function_name : str, default "function"
        The name of the function in the message (``function(point) returned ...``).

    Returns
    -------
    float or numpy.ndarray

    Raises
    ------
    ValueError
        If ``value`` is not a number nor an array of numbers (text, complex numbers, dates,
        ragged lists, None inside a list).
    """
    if isinstance(value, float):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    try:
        array = np.asarray(value)
        if array.dtype.kind not in "biufO":  # text, complex, dates: not numbers
            raise TypeError(f"values of dtype {array.dtype}")
        array = array.astype(float)
    except (TypeError, ValueError) as exc:
        msg = f"{function_name}({point!r}) returned {value!r}, which is not a number or a 1-D array"
        raise ValueError(msg) from exc
    return float(array) if array.ndim == 0 else array


def check_shape(
    point: Any,
    value: float | np.ndarray,
    shape: tuple[int, ...] | None,
    function_name: str = "function",
) -> None:
    """Check that ``value`` has the shape of the earlier values.

    Parameters
    ----------
    point : object
        The point the value was computed at (named in the message).
    value : float or numpy.ndarray
        A value returned by :func:`number_or_array` (a float has shape ``()``).
    shape : tuple of int or None
        The shape of the earlier values; None when there are none yet.
    function_name : str, default "function"
        The name of the function in the message.

    Raises
    ------
    ValueError
        If the shapes differ.
    """
    got = () if isinstance(value, float) else value.shape
    if shape is not None and got != shape:
        msg = (
            f"{function_name}({point!r}) returned a value of shape {got}, but earlier values have "
            f"shape {shape}; every value must have the same shape"
        )
        raise ValueError(msg)
