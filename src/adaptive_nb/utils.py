"""Small helpers that users of python-adaptive import from ``adaptive.utils``."""

from __future__ import annotations

import contextlib
import functools
import gzip
import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

from .dataframes import assign_defaults, partial_function_from_dataframe
from .executors import SequentialExecutor

__all__ = [
    "SequentialExecutor",
    "assign_defaults",
    "cache_latest",
    "copy_docstring_from",
    "daskify",
    "load",
    "named_product",
    "partial_function_from_dataframe",
    "restore",
    "save",
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


@contextlib.contextmanager
def restore(*learners: Any) -> Iterator[None]:
    """Within the ``with`` block, changes to ``learners`` are temporary: each learner's state
    (its ``__getstate__``) is copied on entry and put back on exit, also after an error."""
    import cloudpickle

    saved = [cloudpickle.dumps(learner.__getstate__()) for learner in learners]
    try:
        yield
    finally:
        for learner, state in zip(learners, saved, strict=True):
            learner.__setstate__(cloudpickle.loads(state))


def copy_docstring_from(other: Callable[..., Any]) -> Callable[[Callable[..., Any]], Any]:
    """Decorator: give the decorated function the docstring of ``other``."""

    def decorator(method: Callable[..., Any]) -> Callable[..., Any]:
        method.__doc__ = other.__doc__
        return method

    return decorator


def save(fname: str | os.PathLike[str], data: Any, compress: bool = True) -> bool:
    """Pickle ``data`` (with cloudpickle) to ``fname``, gzipped when ``compress``.

    The file is written atomically (a temporary file, fsynced, then renamed), so ``fname``
    is never left half-written. Returns False, leaving ``fname`` as it was, when the file
    cannot be written (``OSError``), as python-adaptive's ``utils.save`` does. For learners
    use ``learner.save``, whose format holds data only.
    """
    import cloudpickle

    from .persistence import write_atomic

    blob = cloudpickle.dumps(data)
    if compress:
        blob = gzip.compress(blob, mtime=0)
    try:
        write_atomic(fname, lambda fileobj: fileobj.write(blob))
    except OSError:
        return False
    return True


def load(fname: str | os.PathLike[str], compress: bool = True) -> Any:
    """Read what :func:`save` wrote. Unpickling can run arbitrary code: only for files you
    trust."""
    import cloudpickle

    opener = gzip.open if compress else open
    with opener(os.fspath(fname), "rb") as fileobj:
        return cloudpickle.load(fileobj)


def daskify(client: Any, cache: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """Decorator: ``func`` becomes an ``async`` function that computes
    ``dask.delayed(func)(*args, **kwargs)`` on ``client``, an asynchronous
    ``distributed.Client`` (``Client(asynchronous=True)``). Meant for ``AsyncRunner``.

    With ``cache=True`` the futures are kept, keyed by the text of the arguments, so the
    same arguments are computed once (``func.cache`` holds them).
    """
    from ._optional import import_optional

    dask = import_optional("dask", purpose="utils.daskify")

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        delayed = dask.delayed(func)
        futures: dict[str, Any] = {}
        if cache:
            func.cache = futures  # type: ignore[attr-defined]

        @functools.wraps(func)
        async def compute(*args: Any, **kwargs: Any) -> Any:
            key = f"{args}-{kwargs}"
            future = futures.get(key) if cache else None
            if future is None:
                future = client.compute(delayed(*args, **kwargs))
                if cache:
                    futures[key] = future
            return await future

        return compute

    return decorator
