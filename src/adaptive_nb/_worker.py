"""What runs in the workers: evaluate a chunk of points, timing each and catching failures.

A top-level module that imports only the standard library, so a new worker process loads
it in a few milliseconds (not the runner package, asyncio and all).

Each point yields an outcome ``(ok, value, traceback_text, seconds)``: on success ``value``
is the function's result; on failure it is the exception (or a stand-in that can be
pickled) and ``traceback_text`` the worker's traceback. A failing point never hides the
results of the other points in its chunk.
"""

from __future__ import annotations

import pickle
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["evaluate", "evaluate_async"]

Outcome = tuple[bool, Any, str, float]

_unpickled: dict[bytes, Callable[..., Any]] = {}  # per worker: the last few functions


def _load(function: Callable[..., Any] | bytes) -> Callable[..., Any]:
    if not isinstance(function, bytes):
        return function
    loaded = _unpickled.get(function)
    if loaded is None:
        import cloudpickle

        loaded = cloudpickle.loads(function)
        if len(_unpickled) >= 4:
            _unpickled.clear()
        _unpickled[function] = loaded
    return loaded


def _failure(exc: BaseException, point: Any, must_pickle: bool) -> Outcome:
    text = traceback.format_exc()
    if isinstance(exc, SystemExit):
        exc = RuntimeError(f"learner.function({point!r}) called sys.exit({exc.code!r})")
    if must_pickle:
        try:
            pickle.dumps(exc)
        except Exception:  # an exception that cannot travel back: send its text instead
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    return (False, exc, text, 0.0)


def evaluate(function: Callable[..., Any] | bytes, points: Sequence[Any]) -> list[Outcome]:
    """Call ``function`` on each point. ``function`` may be cloudpickled bytes, in which
    case the results must be picklable too (they travel back to another process)."""
    must_pickle = isinstance(function, bytes)
    func = _load(function)
    outcomes: list[Outcome] = []
    for point in points:
        start = time.perf_counter()
        try:
            value = func(point)
        except (Exception, SystemExit) as exc:
            outcomes.append(_failure(exc, point, must_pickle))
            continue
        seconds = time.perf_counter() - start
        if must_pickle and not isinstance(value, float):
            try:
                pickle.dumps(value)
            except Exception as exc:
                message = (
                    f"the value returned by learner.function({point!r}) cannot be pickled "
                    f"to send it back from the worker: {exc}"
                )
                outcomes.append((False, RuntimeError(message), traceback.format_exc(), seconds))
                continue
        outcomes.append((True, value, "", seconds))
    return outcomes


async def evaluate_async(function: Callable[..., Any], points: Sequence[Any]) -> list[Outcome]:
    """The same for an ``async def`` function, on the event loop."""
    outcomes: list[Outcome] = []
    for point in points:
        start = time.perf_counter()
        try:
            value = await function(point)
        except Exception as exc:
            outcomes.append(_failure(exc, point, False))
            continue
        outcomes.append((True, value, "", time.perf_counter() - start))
    return outcomes
