"""ExecutorPicker: choose an executor from a dropdown, start it, stop it.

Usable from code with the same paths as the buttons::

    picker = ExecutorPicker()
    await picker.start("dask", n_workers=2)     # or "loky", "process", "thread", "ipyparallel",
    runner = adaptive_nb.Runner(learner, executor=picker.executor, loss_goal=0.01)  # "mpi", ...
    await picker.stop()

Engines start in a worker thread, so the kernel stays responsive. What the picker starts
listens on 127.0.0.1 only (the dask scheduler and dashboard, the ipyparallel controller)
unless ``host=`` says otherwise. ``stop()``, and interpreter exit (also a kernel shutdown),
tear down everything it started.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import weakref
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from .._optional import import_optional
from ..executors import SequentialExecutor, default_executor

__all__ = ["KINDS", "ExecutorPicker"]

KINDS = ("loky", "process", "thread", "ipyparallel", "dask", "mpi", "sequential")
_LIVE: weakref.WeakSet[ExecutorPicker] = weakref.WeakSet()


def available_kinds() -> list[str]:
    """The kinds whose library is installed (mpi only with mpi4py, and so on)."""
    needs = {"ipyparallel": "ipyparallel", "dask": "distributed", "mpi": "mpi4py"}
    return [k for k in KINDS if k not in needs or importlib.util.find_spec(needs[k])]


class _Engine:
    """What one start produced: the executor, and how to tear it down."""

    def __init__(self, kind: str, executor: Any, closers: list[Any], description: str) -> None:
        self.kind = kind
        self.executor = executor
        self.closers = closers
        self.description = description

    def close(self) -> None:
        for close in self.closers:
            try:
                close()
            except Exception:  # tear down the rest even if one part is already gone
                pass


def _start(kind: str, n_workers: int, address: str | None, host: str) -> _Engine:
    """Start (or connect to) an engine of ``kind``; blocking, so run it in a thread."""
    if kind == "loky":
        executor = default_executor(n_workers)
        return _Engine(kind, executor, [], f"loky, {n_workers} processes")
    if kind == "process":
        executor = ProcessPoolExecutor(n_workers)
        return _Engine(kind, executor, [lambda: executor.shutdown(wait=True, cancel_futures=True)],
                       f"process pool, {n_workers} processes")
    if kind == "thread":
        executor = ThreadPoolExecutor(n_workers)
        return _Engine(kind, executor, [lambda: executor.shutdown(wait=True, cancel_futures=True)],
                       f"thread pool, {n_workers} threads")
    if kind == "sequential":
        return _Engine(kind, SequentialExecutor(), [], "sequential (in the kernel)")
    if kind == "dask":
        return _start_dask(n_workers, address, host)
    if kind == "ipyparallel":
        return _start_ipyparallel(n_workers, address, host)
    if kind == "mpi":
        mpi_futures = import_optional("mpi4py.futures", purpose="the MPI executor")
        executor = mpi_futures.MPIPoolExecutor(max_workers=n_workers)
        executor.bootup()
        return _Engine(kind, executor, [lambda: executor.shutdown(wait=True)],
                       f"MPI, {n_workers} workers")
    msg = f"unknown executor kind {kind!r}; choose one of {', '.join(KINDS)}"
    raise ValueError(msg)


def _start_dask(n_workers: int, address: str | None, host: str) -> _Engine:
    distributed = import_optional("distributed", purpose="the dask executor")
    if address:
        client = distributed.Client(address)
        return _Engine("dask", client, [client.close], f"dask scheduler at {address}")
    cluster = distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        host=host,
        dashboard_address=f"{host}:0",
        processes=True,
    )
    client = distributed.Client(cluster)
    return _Engine(
        "dask", client, [client.close, cluster.close],
        f"dask, {n_workers} workers, dashboard {client.dashboard_link}",
    )


def _start_ipyparallel(n_workers: int, address: str | None, host: str) -> _Engine:
    ipp = import_optional("ipyparallel", purpose="the ipyparallel executor")
    if address:  # a profile name of a running ipcluster
        client = ipp.Client(profile=address)
        return _Engine("ipyparallel", client, [client.close], f"ipyparallel profile {address!r}")
    cluster = ipp.Cluster(n=n_workers, controller_ip=host)
    client = cluster.start_and_connect_sync()
    return _Engine(
        "ipyparallel", client, [client.close, cluster.stop_cluster_sync],
        f"ipyparallel, {n_workers} engines",
    )


class ExecutorPicker:
    """A dropdown of executor kinds, a worker count, Start and Stop, and a status line.

    ``executor`` is what was started (None before); pass it to a runner.
    """

    def __init__(self, kind: str = "loky", n_workers: int | None = None, host: str = "127.0.0.1"):
        import os

        self.host = host
        self._engine: _Engine | None = None
        self._busy = False
        kinds = available_kinds()
        if kind not in kinds:
            msg = f"executor kind {kind!r} is not available here; choose one of {', '.join(kinds)}"
            raise ValueError(msg)
        widgets = import_optional("ipywidgets", purpose="the executor picker")
        self.kind = widgets.Dropdown(options=kinds, value=kind, description="executor")
        self.n_workers = widgets.BoundedIntText(
            value=n_workers or os.cpu_count() or 1, min=1, max=4096, description="workers"
        )
        self.address = widgets.Text(
            value="", placeholder="dask scheduler address or ipyparallel profile (optional)",
            description="connect to",
        )
        self.start_button = widgets.Button(description="Start", button_style="success")
        self.stop_button = widgets.Button(description="Stop", button_style="warning", disabled=True)
        self.status = widgets.HTML(value="not started")
        self.start_button.on_click(lambda _: self._in_background(self.start()))
        self.stop_button.on_click(lambda _: self._in_background(self.stop()))
        self.widget = widgets.VBox([
            widgets.HBox([self.kind, self.n_workers]),
            self.address,
            widgets.HBox([self.start_button, self.stop_button]),
            self.status,
        ])
        self._tasks: set[asyncio.Task] = set()
        if not _LIVE:
            atexit.unregister(_stop_all)
            atexit.register(_stop_all)  # tear down engines at interpreter or kernel exit
        _LIVE.add(self)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _in_background(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def executor(self) -> Any:
        """The running executor (None when nothing runs)."""
        return self._engine.executor if self._engine is not None else None

    @property
    def running_kind(self) -> str | None:
        return self._engine.kind if self._engine is not None else None

    def _set_status(self, text: str, colour: str = "black") -> None:
        self.status.value = f'<span style="color: {colour}">{text}</span>'

    async def start(self, kind: str | None = None, n_workers: int | None = None,
                    address: str | None = None) -> Any:
        """Start the chosen engine (stopping the previous one); return its executor.

        Arguments not given are taken from the widgets.
        """
        if self._busy:
            msg = "the picker is already starting or stopping an engine"
            raise RuntimeError(msg)
        kind = kind or self.kind.value
        if kind not in KINDS:
            msg = f"unknown executor kind {kind!r}; choose one of {', '.join(KINDS)}"
            raise ValueError(msg)
        n_workers = int(n_workers or self.n_workers.value)
        if n_workers < 1:
            msg = f"n_workers must be >= 1, got {n_workers!r}"
            raise ValueError(msg)
        address = address if address is not None else (self.address.value.strip() or None)
        await self.stop()
        self._busy = True
        self.kind.value, self.n_workers.value = kind, n_workers
        self.start_button.disabled = True
        self._set_status(f"starting {kind} ...", "#1f77b4")
        loop = asyncio.get_running_loop()
        try:
            self._engine = await loop.run_in_executor(
                None, _start, kind, n_workers, address, self.host
            )
        except Exception as exc:
            self._set_status(f"could not start {kind}: {exc}", "#d62728")
            self.start_button.disabled = False
            raise
        finally:
            self._busy = False
        self.stop_button.disabled = False
        self._set_status(f"running: {self._engine.description}", "#2ca02c")
        return self._engine.executor

    async def stop(self) -> None:
        """Tear down what was started (a connection is closed; the remote cluster stays)."""
        engine, self._engine = self._engine, None
        if engine is None:
            return
        self._busy = True
        self.stop_button.disabled = True
        self._set_status(f"stopping {engine.kind} ...", "#ff7f0e")
        try:
            await asyncio.get_running_loop().run_in_executor(None, engine.close)
        finally:
            self._busy = False
            self.start_button.disabled = False
            self._set_status("stopped")

    def stop_now(self) -> None:
        """Tear down synchronously (interpreter exit, or code without an event loop)."""
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()


def _stop_all() -> None:
    for picker in list(_LIVE):
        picker.stop_now()
