"""ExecutorPicker: choose an executor from a dropdown, start it, stop it.

Usable from code with the same paths as the buttons::

    picker = ExecutorPicker()
    await picker.start("dask", n_workers=2)     # or "loky", "process", "thread", "ipyparallel",
    runner = adaptive_nb.Runner(learner, executor=picker.executor, loss_goal=0.01)  # "mpi", ...
    await picker.stop()

Engines start in a worker thread, so the kernel stays responsive. What the picker starts
listens on 127.0.0.1 only (the dask scheduler, workers and dashboard, the ipyparallel
controller and engines) unless ``host=`` says otherwise.

Nothing it starts outlives it: ``stop()`` tears the engine down and waits until its
processes are gone; at interpreter exit (also a kernel shut down from Jupyter) ``atexit``
does the same; and if the kernel is killed before that can run, every worker still ends:
loky's and the process pool's workers watch their parent, dask's workers and MPI's spawned
processes end with it, and ipyparallel's controller and engines (which run in sessions of
their own) are ended by a small watchdog process (:mod:`adaptive_nb.notebook._guard`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import importlib.util
import logging
import os
import shutil
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .._optional import import_optional
from ..executors import SequentialExecutor, _watch_parent, default_executor

__all__ = ["KINDS", "ExecutorPicker", "available_kinds"]

KINDS = ("loky", "process", "thread", "ipyparallel", "dask", "mpi", "sequential")
STOP_WAIT = 1.0  # seconds stop() lets an engine's processes exit by themselves before
# ending them (ipyparallel's engine nannies linger for a second or two after their engine)

#: engines started and not yet stopped, by any picker (torn down at interpreter exit)
_ENGINES: set[_Engine] = set()
_ENGINES_LOCK = threading.Lock()


def available_kinds() -> list[str]:
    """The kinds whose library is installed (mpi only with mpi4py, and so on)."""
    needs = {"ipyparallel": "ipyparallel", "dask": "distributed", "mpi": "mpi4py"}
    return [k for k in KINDS if k not in needs or importlib.util.find_spec(needs[k])]


class _Engine:
    """What one start produced: the executor, how to tear it down, and its processes."""

    def __init__(
        self,
        kind: str,
        executor: Any,
        closers: list[Any],
        description: str,
        processes: list[Any] | None = None,
        guard: Any = None,
    ) -> None:
        self.kind = kind
        self.executor = executor
        self.closers = closers
        self.description = description
        self.processes = processes or []  # psutil.Process objects to see gone after close
        self.guard = guard
        self._closed = False
        with _ENGINES_LOCK:
            _ENGINES.add(self)

    def close(self) -> None:
        """Tear down (once; later calls do nothing) and wait until its processes are gone."""
        with _ENGINES_LOCK:
            if self._closed:
                return
            self._closed = True
            _ENGINES.discard(self)
        for close in self.closers:
            # tear down the rest even if one part is already gone
            with contextlib.suppress(Exception):
                close()
        if self.processes:
            from ._guard import terminate_trees, wait_gone

            terminate_trees(wait_gone(self.processes, STOP_WAIT))
        if self.guard is not None:
            self.guard.release()


def _descendants() -> list[Any]:
    import psutil

    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


def _start(kind: str, n_workers: int, address: str | None, host: str) -> _Engine:
    """Start (or connect to) an engine of ``kind``; blocking, so run it in a thread."""
    if kind == "loky":
        executor = default_executor(n_workers)
        # loky's reusable pool is shared with runners that use the default executor; stop
        # ends its workers (the next default runner gets a fresh pool)
        return _Engine(kind, executor, [lambda: executor.shutdown(wait=True)],
                       f"loky, {n_workers} processes")
    if kind == "process":
        executor = ProcessPoolExecutor(
            n_workers, initializer=_watch_parent, initargs=(os.getpid(),)
        )
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
        return _start_mpi(n_workers, host)
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
        silence_logs=logging.ERROR,  # not every cancelled task in the notebook
    )
    try:
        client = distributed.Client(cluster)
    except BaseException:
        cluster.close()
        raise
    return _Engine(
        "dask", client, [client.close, cluster.close],
        f"dask, {n_workers} workers, dashboard {client.dashboard_link}",
    )


def _start_ipyparallel(n_workers: int, address: str | None, host: str) -> _Engine:
    ipp = import_optional("ipyparallel", purpose="the ipyparallel executor")
    if address:  # the connection file, or the profile, of a running ipcluster
        if address.endswith(".json") and Path(address).expanduser().is_file():
            client = ipp.Client(url_file=str(Path(address).expanduser()))
        else:
            client = ipp.Client(profile=address)
        return _Engine("ipyparallel", client, [client.close], f"ipyparallel at {address!r}")
    from ._guard import Guard

    cluster = ipp.Cluster(n=n_workers, controller_ip=host, log_level=logging.WARNING)
    guard = Guard()
    try:
        client = cluster.start_and_connect_sync()
    except BaseException:
        cluster.stop_cluster_sync()
        guard.release()
        raise
    processes = _cluster_processes(cluster)
    guard.watch(processes)
    return _Engine(
        "ipyparallel", client, [client.close, cluster.stop_cluster_sync],
        f"ipyparallel, {n_workers} engines", processes=processes, guard=guard,
    )


def _cluster_processes(cluster: Any) -> list[Any]:
    """The controller's and engines' processes, with their children (the engine nannies)."""
    import psutil

    pids = [cluster.controller.pid]
    for engine_set in cluster.engines.values():
        pids.extend(launcher.pid for launcher in engine_set.launchers.values())
    procs = []
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs.extend([root, *root.children(recursive=True)])
        except psutil.Error:
            pass
    return procs


def _start_mpi(n_workers: int, host: str) -> _Engine:
    # MPI's singleton start (no mpiexec around the kernel) runs `mpiexec` from PATH; the
    # MPICH wheel installs it next to the Python of the virtual environment
    here = Path(sys.executable).parent
    if shutil.which("mpiexec") is None and (here / "mpiexec").exists():
        os.environ["PATH"] = f"{here}{os.pathsep}{os.environ.get('PATH', '')}"
    if host in ("127.0.0.1", "localhost"):
        # keep MPI's messages on the loopback device (UCX and libfabric, MPICH's netmods).
        # MPICH's process manager still opens its control ports on every interface: its
        # singleton start has no setting for that.
        for name in ("UCX_NET_DEVICES", "FI_TCP_IFACE", "FI_SOCKETS_IFACE"):
            os.environ.setdefault(name, "lo")
    mpi_futures = import_optional("mpi4py.futures", purpose="the MPI executor")
    before = {p.pid for p in _descendants()}
    executor = mpi_futures.MPIPoolExecutor(max_workers=n_workers)
    try:
        executor.bootup()
    except BaseException:
        executor.shutdown(wait=False)
        raise
    # the spawned workers; not MPI's process manager (mpiexec, hydra_pmi_proxy), which
    # stays until this process ends MPI at exit, and ends the whole process group when
    # signalled
    processes = [p for p in _descendants() if p.pid not in before and _is_mpi_worker(p)]
    return _Engine("mpi", executor, [lambda: executor.shutdown(wait=True)],
                   f"MPI, {n_workers} workers", processes=processes)


def _is_mpi_worker(proc: Any) -> bool:
    import psutil

    try:
        return "mpi4py.futures.server" in proc.cmdline()
    except psutil.Error:
        return False


class ExecutorPicker:
    """A dropdown of executor kinds, a worker count, Start and Stop, and a status line.

    ``executor`` is what was started (None before); pass it to a runner. ``start()`` and
    ``stop()`` are what the buttons do.
    """

    def __init__(self, kind: str = "loky", n_workers: int | None = None, host: str = "127.0.0.1"):
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
            value="",
            placeholder="dask scheduler address, or ipyparallel profile (optional)",
            description="connect to",
        )
        self.start_button = widgets.Button(description="Start", button_style="success")
        self.stop_button = widgets.Button(description="Stop", button_style="warning", disabled=True)
        self.status = widgets.HTML(value="not started (runs use the default executor)")
        self.start_button.on_click(lambda _: self._in_background(self.start()))
        self.stop_button.on_click(lambda _: self._in_background(self.stop()))
        self.widget = widgets.VBox([
            widgets.HBox([self.kind, self.n_workers]),
            self.address,
            widgets.HBox([self.start_button, self.stop_button]),
            self.status,
        ])
        self.widget.add_class("adaptive-nb-picker")
        self._tasks: set[asyncio.Task] = set()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _in_background(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # a button has no caller to raise to: the status line shows the error
            self._set_status(f"error: {task.exception()}", "#d62728")

    @property
    def executor(self) -> Any:
        """The running executor (None when nothing runs)."""
        return self._engine.executor if self._engine is not None else None

    @property
    def running_kind(self) -> str | None:
        return self._engine.kind if self._engine is not None else None

    def _set_status(self, text: str, colour: str = "black") -> None:
        import html

        self.status.value = f'<span style="color: {colour}">{html.escape(text)}</span>'

    async def start(self, kind: str | None = None, n_workers: int | None = None,
                    address: str | None = None) -> Any:
        """Start the chosen engine (stopping the previous one); return its executor.

        Arguments not given are taken from the widgets. ``address`` connects to a running
        dask scheduler (``"tcp://host:8786"``) or ipyparallel cluster (a profile name, or
        the path of its ``ipcontroller-client.json``) instead of starting one.
        """
        if self._busy:
            msg = "the picker is already starting or stopping an engine"
            raise RuntimeError(msg)
        kind = kind or self.kind.value
        kinds = available_kinds()
        if kind not in kinds:
            msg = f"executor kind {kind!r} is not available; choose one of {', '.join(kinds)}"
            raise ValueError(msg)
        n_workers = int(self.n_workers.value if n_workers is None else n_workers)
        if n_workers < 1:
            msg = f"n_workers must be >= 1, got {n_workers!r}"
            raise ValueError(msg)
        address = address if address is not None else (self.address.value.strip() or None)
        self._busy = True
        self.start_button.disabled = True
        try:
            await self._stop_engine()
            self.kind.value, self.n_workers.value = kind, n_workers
            self._set_status(f"starting {kind} ...", "#1f77b4")
            loop = asyncio.get_running_loop()
            # in a thread that keeps this task's context: in a kernel, what the start
            # prints (ipyparallel's progress bar) goes to the cell that started it
            context = contextvars.copy_context()
            future = loop.run_in_executor(
                None, context.run, _start, kind, n_workers, address, self.host
            )
            try:
                # shielded: if this task is cancelled, the engine still gets torn down
                engine = await asyncio.shield(future)
            except asyncio.CancelledError:
                future.add_done_callback(_close_when_started)
                self._set_status(f"start of {kind} cancelled")
                raise
            except Exception as exc:
                self._set_status(f"could not start {kind}: {exc}", "#d62728")
                raise
            self._engine = engine
        finally:
            self._busy = False
            self.start_button.disabled = False
        self.stop_button.disabled = False
        self._set_status(f"running: {engine.description}", "#2ca02c")
        return engine.executor

    async def stop(self) -> None:
        """Tear down what was started and wait until its processes are gone (a connection
        to a cluster started elsewhere is closed; that cluster stays)."""
        if self._busy:
            msg = "the picker is already starting or stopping an engine"
            raise RuntimeError(msg)
        self._busy = True
        try:
            await self._stop_engine()
        finally:
            self._busy = False

    async def _stop_engine(self) -> None:
        engine, self._engine = self._engine, None
        if engine is None:
            return
        self.stop_button.disabled = True
        self._set_status(f"stopping {engine.kind} ...", "#ff7f0e")
        context = contextvars.copy_context()
        await asyncio.get_running_loop().run_in_executor(None, context.run, engine.close)
        self._set_status("stopped")

    def stop_now(self) -> None:
        """Tear down synchronously (interpreter exit, or code without an event loop)."""
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()
            self.stop_button.disabled = True
            self._set_status("stopped")


def _close_when_started(future: Any) -> None:
    if not future.cancelled() and future.exception() is None:
        engine = future.result()
        threading.Thread(target=engine.close, daemon=True).start()


@atexit.register
def _stop_all() -> None:
    """Interpreter exit (a kernel shut down from Jupyter exits too): tear everything down.

    Whether dask's and ipyparallel's own atexit handlers ran before does not matter (closing
    twice is harmless); the engines are closed in parallel, to stay within the few seconds
    Jupyter gives a kernel to exit.
    """
    with _ENGINES_LOCK:
        engines = list(_ENGINES)
    threads = [threading.Thread(target=engine.close, daemon=True) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        with contextlib.suppress(Exception):
            thread.join(timeout=STOP_WAIT + 5)
