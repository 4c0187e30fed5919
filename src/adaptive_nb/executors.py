"""Executors: one small adapter per kind, so the runner treats them all alike.

An adapter answers four questions about an executor, each through the executor's public API
where one exists: how many tasks can run at once (``ncores``), how to submit a call
(``submit``, returning a ``concurrent.futures.Future``), whether functions must be pickled by
value to reach the workers (``pickles``), and how to get a working pool again after a worker
died (``recover``). Adapters are chosen by type, recognising optional libraries through
``sys.modules`` so that none is imported here.

========================  ===================================  ==========================
executor                  ncores                               after a worker dies
========================  ===================================  ==========================
None (default)            adaptive_nb's loky pool, all CPUs    a fresh pool
loky reusable executor    its worker count                     a fresh reusable executor
ProcessPoolExecutor       ``max_workers``                      an error naming lost points
ThreadPoolExecutor        ``max_workers``                      (threads do not die)
SequentialExecutor        1                                    -
distributed.Client        ``sum(client.nthreads().values())``  dask reschedules by itself
ipyparallel.Client/View   ``len(view)``                        ipyparallel's own policy
MPIPoolExecutor           ``executor.num_workers``             an error naming lost points
any other Executor         ``ntasks`` must be given             an error naming lost points
========================  ===================================  ==========================

CPython's pools have no public accessor for their worker count, so for them (and loky's,
which subclass them) the adapter reads ``_max_workers`` once, at the start of a run.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .errors import UnsupportedExecutorError

__all__ = ["ExecutorAdapter", "SequentialExecutor", "adapt_executor", "default_executor"]


class SequentialExecutor(cf.Executor):
    """A PEP 3148 executor that runs each call at once, in the calling thread.

    Nothing is pickled, so functions holding unpicklable state work; it is also the
    deterministic executor of the tests.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        """Call ``fn(*args, **kwargs)`` now; return a finished future with its result.

        An exception raised by ``fn`` is stored in the future, as a pool would do.
        """
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # the future carries it, as a pool's would
            future.set_exception(exc)
        return future

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        """The built-in ``map(fn, *iterables)``: lazy, in the calling thread.

        ``timeout`` and ``chunksize`` are accepted for compatibility and ignored.
        """
        return map(fn, *iterables)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to shut down."""


def _watch_parent(parent: int) -> None:  # runs in each default worker process
    """End this worker soon after the process that started the pool dies (no orphans)."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="adaptive_nb-parent-watch", daemon=True).start()


def _cpu_count() -> int:
    import loky

    return max(loky.cpu_count(), 1)


_default_pools: dict[int, Any] = {}  # worker count -> pool
_default_lock = threading.Lock()


def default_executor(max_workers: int | None = None) -> cf.Executor:
    """adaptive_nb's own loky process pool (shared, never shut down by a runner).

    Its workers end within a second of the parent process dying. Functions are sent by
    value with cloudpickle, so lambdas and functions defined in a notebook work. It is not
    loky's global ``get_reusable_executor()``: a call of that with other arguments (such as
    ``get_reusable_executor()`` in a notebook cell) shuts the global pool down, and every
    run using it would fail. A pool broken by a dead worker is replaced on the next call.
    """
    from loky import ProcessPoolExecutor

    workers = max_workers or _cpu_count()
    with _default_lock:
        pool = _default_pools.get(workers)
        # loky has no public test for a broken or shut-down pool
        if pool is None or pool._flags.broken or pool._flags.shutdown:
            pool = ProcessPoolExecutor(
                max_workers=workers,
                timeout=10,  # idle workers exit (as in loky's reusable pool); respawned on use
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            )
            _default_pools[workers] = pool
    return pool


def _is_default_pool(executor: Any) -> bool:
    return any(executor is pool for pool in _default_pools.values())


class ExecutorAdapter:
    """The executor as the runner sees it; see the module docstring."""

    #: whether the function must be pickled by value (cloudpickle) to reach the workers
    pickles = False
    #: whether the runner may replace a pool broken by a dead worker
    recoverable = False
    #: whether sending several points per task saves time (not for in-process executors)
    chunks = True
    #: how long one task of cheap evaluations should take: long against the dispatch cost
    task_seconds = 0.1

    def __init__(self, executor: Any) -> None:
        self.executor = executor

    def ncores(self) -> int:
        workers = getattr(self.executor, "_max_workers", None)  # no public accessor exists
        if workers is None:
            msg = (
                f"cannot tell how many tasks {self.executor!r} runs at once; pass ntasks=N "
                "to the runner"
            )
            raise UnsupportedExecutorError(msg)
        return int(workers)

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        return self.executor.submit(fn, *args)

    def is_broken(self, exc: BaseException) -> bool:
        """Whether ``exc`` (from a future or from submit) means the pool is unusable."""
        return isinstance(exc, BrokenProcessPool | cf.BrokenExecutor)

    def recover(self) -> None:
        """Replace a broken pool (only where ``recoverable``)."""
        raise NotImplementedError

    def cancel(self, futures: Iterable[cf.Future]) -> None:
        """Stop what can be stopped: queued calls are cancelled; running ones finish."""
        for future in futures:
            future.cancel()

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True)

    def describe(self) -> str:
        return type(self.executor).__name__


class _SequentialAdapter(ExecutorAdapter):
    chunks = False

    def ncores(self) -> int:
        return 1


class _ThreadAdapter(ExecutorAdapter):
    task_seconds = 0.05  # handing a call to a thread is cheap


class _ProcessAdapter(ExecutorAdapter):
    pickles = True


class _LokyAdapter(ExecutorAdapter):
    """loky's reusable executor: a dead worker is replaced by asking loky for a new pool."""

    pickles = True
    recoverable = True

    def __init__(self, executor: Any, *, ours: bool = False) -> None:
        super().__init__(executor)
        self.ours = ours
        self._workers = int(executor._max_workers)  # no public accessor exists

    def ncores(self) -> int:
        return self._workers

    def recover(self) -> None:
        if self.ours:
            self.executor = default_executor(self._workers)
        else:
            from loky import get_reusable_executor

            self.executor = get_reusable_executor(max_workers=self._workers)

    def shutdown(self) -> None:
        if not self.ours:  # the default pool is shared by every runner: never shut down
            self.executor.shutdown(wait=True)


class _DaskAdapter(ExecutorAdapter):
    """A ``distributed.Client`` (or its executor). Zero workers (an adaptive cluster that
    has not scaled up yet) is fine: the runner waits."""

    task_seconds = 0.25  # a task costs the scheduler about a millisecond or more

    def __init__(self, client: Any) -> None:
        super().__init__(client.get_executor(pure=False))
        self.client = client

    def ncores(self) -> int:
        return int(sum(self.client.nthreads().values()))

    def describe(self) -> str:
        return f"distributed.Client({self.client.scheduler.address})"

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True)


class _IpyparallelAdapter(ExecutorAdapter):
    task_seconds = 0.25
    # ipyparallel's own serialisation rebuilds a notebook function in the engine's
    # namespace, where its globals (``math``, ``np``, constants) are missing: NameError.
    # cloudpickle sends them along, as for the process pools.
    pickles = True

    def __init__(self, executor: Any) -> None:
        import ipyparallel

        view = executor.view
        if not isinstance(view, ipyparallel.LoadBalancedView):
            # a DirectView runs each call on every one of its engines (and returns a list);
            # spread the calls over the same engines instead
            view = view.client.load_balanced_view(targets=view.targets)
            executor = view.executor
        super().__init__(executor)
        self.view = view

    def ncores(self) -> int:
        return len(self.view)

    def cancel(self, futures: Iterable[cf.Future]) -> None:
        for future in futures:
            future.cancel()  # local only; ipyparallel has no public way to stop one task


class _MpiAdapter(ExecutorAdapter):
    pickles = True

    def ncores(self) -> int:
        return int(self.executor.num_workers)


def adapt_executor(executor: Any) -> ExecutorAdapter:
    """Wrap any supported executor (or None for the default) in its adapter."""
    if executor is None:
        return _LokyAdapter(default_executor(), ours=True)
    if isinstance(executor, ExecutorAdapter):
        return executor
    distributed = sys.modules.get("distributed")
    if distributed is not None:
        if isinstance(executor, distributed.Client):
            return _DaskAdapter(executor)
        if isinstance(executor, distributed.cfexecutor.ClientExecutor):
            return _DaskAdapter(executor._client)
    ipyparallel = sys.modules.get("ipyparallel")
    if ipyparallel is not None:
        if isinstance(executor, ipyparallel.Client):
            return _IpyparallelAdapter(executor.executor())
        if isinstance(executor, ipyparallel.client.view.View):
            return _IpyparallelAdapter(executor.executor)
        if isinstance(executor, ipyparallel.client.view.ViewExecutor):
            return _IpyparallelAdapter(executor)
    mpi_futures = sys.modules.get("mpi4py.futures")
    if mpi_futures is not None and isinstance(executor, mpi_futures.MPIPoolExecutor):
        return _MpiAdapter(executor)
    loky = sys.modules.get("loky")
    if loky is not None:
        from loky.reusable_executor import _ReusablePoolExecutor

        if _is_default_pool(executor):  # default_executor(n) given explicitly
            return _LokyAdapter(executor, ours=True)
        if isinstance(executor, _ReusablePoolExecutor):
            return _LokyAdapter(executor)
        if isinstance(executor, loky.ProcessPoolExecutor):
            return _ProcessAdapter(executor)
    if isinstance(executor, SequentialExecutor):
        return _SequentialAdapter(executor)
    if isinstance(executor, cf.ThreadPoolExecutor):
        return _ThreadAdapter(executor)
    if isinstance(executor, cf.ProcessPoolExecutor):
        return _ProcessAdapter(executor)
    if isinstance(executor, cf.Executor):
        return ExecutorAdapter(executor)
    msg = (
        f"{executor!r} is not an executor; pass a concurrent.futures.Executor (loky, "
        "process or thread pool, MPIPoolExecutor, ...), a distributed.Client or an "
        "ipyparallel.Client, or None for the default"
    )
    raise UnsupportedExecutorError(msg)
