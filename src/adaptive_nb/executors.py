"""Executors: the in-process :class:`SequentialExecutor`.

(Adapters for loky, process and thread pools, dask, ipyparallel and mpi4py come with the
parallel runner.)
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["SequentialExecutor"]


class SequentialExecutor(cf.Executor):
    """A PEP 3148 executor that runs each call at once, in the calling thread.

    Nothing is pickled, so functions holding unpicklable state work; it is also the
    deterministic executor of the tests.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # the future carries it, as a pool's would
            future.set_exception(exc)
        return future

    def map(
        self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        return map(fn, *iterables)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to shut down."""
