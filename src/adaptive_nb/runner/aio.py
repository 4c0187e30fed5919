"""AsyncRunner (``Runner``): runs as an asyncio task, so a notebook stays responsive.

In Jupyter the task starts at once on the kernel's running loop (``await runner.task`` waits
for it). In a script with no running loop the runner makes a loop, and
``runner.block_until_done()`` runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from .._worker import evaluate_async
from ..executors import ExecutorAdapter, SequentialExecutor
from ..progress import TerminalProgress, want_progress
from .base import BaseRunner, is_async_function
from .saving import PeriodicSaver
from .status import status_fields, status_text

__all__ = ["AsyncRunner", "Runner"]


class _AsyncFunctionAdapter(ExecutorAdapter):
    """``async def`` functions run as tasks on the runner's loop; there is no executor."""

    chunks = False

    def __init__(self, ntasks: int | None) -> None:
        super().__init__(SequentialExecutor())
        self._ntasks = ntasks or os.cpu_count() or 1

    def ncores(self) -> int:
        return self._ntasks

    def describe(self) -> str:
        return "asyncio"

    def shutdown(self) -> None:
        """Nothing to shut down (and never the shared default executor)."""


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class AsyncRunner(BaseRunner):
    """Run ``learner`` as an asyncio task until the goal is met.

    Takes the arguments of :class:`~adaptive_nb.runner.base.BaseRunner`, plus ``ioloop``
    (default: the running loop, else a new one). ``async def`` functions run on the loop
    itself (no executor may be given then).

    Attributes
    ----------
    task : asyncio.Task
        The run; ``await runner.task`` re-raises its error, if any.
    """

    def __init__(
        self,
        learner: Any,
        goal: Any = None,
        *,
        executor: Any = None,
        ntasks: int | None = None,
        ioloop: asyncio.AbstractEventLoop | None = None,
        allow_running_forever: bool = True,
        **kwargs: Any,
    ) -> None:
        self.ioloop = ioloop or _running_loop()
        if self.ioloop is None:
            self.ioloop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.ioloop)
        submit = None
        adapter = None
        if is_async_function(learner.function):
            if executor is not None:
                msg = "an async def function runs on the event loop; do not pass an executor"
                raise ValueError(msg)
            adapter = _AsyncFunctionAdapter(ntasks)
            submit = self._submit_coroutine
        super().__init__(
            learner,
            goal,
            executor=executor,
            ntasks=ntasks,
            allow_running_forever=allow_running_forever,
            _submit=submit,
            _adapter=adapter,
            **kwargs,
        )
        self._wake: asyncio.Event | None = None
        self._late_futures: set[Any] = set()
        self._progress: TerminalProgress | None = None
        self.saving_task: asyncio.Task | None = None
        self._saver: PeriodicSaver | None = None
        self.task = self.ioloop.create_task(self._run())

    def _submit_coroutine(self, function: Callable[..., Any], points: list[Any]) -> asyncio.Task:
        return self.ioloop.create_task(evaluate_async(function, points))

    async def _run(self) -> None:
        core = self._core
        loop = asyncio.get_running_loop()
        wake = self._wake = asyncio.Event()
        loop_thread = threading.get_ident()

        def wake_up() -> None:
            if threading.get_ident() == loop_thread:
                wake.set()
            else:
                loop.call_soon_threadsafe(wake.set)

        core.wake = wake_up
        try:
            for timeout in core.steps(poll=0.5):
                if self._progress is not None:
                    self._progress.update(self.learner.npoints, self.learner.loss, len(core.failed))
                if timeout > 0:
                    # not asyncio.wait_for: on Python 3.11 it swallows a cancel() that
                    # arrives just as the event is set, and the run would end 'finished'
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(timeout):
                            await wake.wait()
                else:  # results are waiting: only let the loop run (cancel, widgets)
                    await asyncio.sleep(0)
                wake.clear()
        finally:
            self._finish_run()
            self._finish_executor()
        self._raise_if_failed()

    def _finish_run(self) -> None:
        """End the run (again is harmless); results still running are told when they come."""
        for future, points in self._core.finish(keep_results=True):
            self._late_futures.add(future)
            future.add_done_callback(self._late_result_callback(points))

    async def wait_for_late_results(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until the evaluations still running when the
        run ended have been told to the learner (the final periodic save waits for them)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._late_futures and loop.time() < deadline:
            await asyncio.sleep(0.02)

    def _late_result_callback(self, points: list[Any]) -> Callable[[Any], None]:
        def tell_late(done: Any) -> None:  # any thread: hand over to the loop
            with contextlib.suppress(RuntimeError):  # the loop may be closed by now
                self.ioloop.call_soon_threadsafe(self._tell_late, done, points)

        return tell_late

    def _tell_late(self, future: Any, points: list[Any]) -> None:
        self._late_futures.discard(future)
        if future.cancelled() or future.exception() is not None:
            return
        for point, (ok, value, _, _) in zip(points, future.result()):
            if ok:
                self.learner.tell(point, value)
                self._core.late_results.append((point, value))

    # -- control --------------------------------------------------------------------------

    def status(self) -> str:
        """'running', 'cancelled', 'failed', 'incomplete' or 'finished'.

        'incomplete': points failed (``raise_if_retries_exceeded=False``) and the goal does
        not hold without them.
        """
        if not self.task.done():
            return "running"
        if self.task.cancelled():
            return "cancelled"
        if self.task.exception() is not None:
            return "failed"
        return "incomplete" if self._core.incomplete else "finished"

    def cancel(self) -> None:
        """Stop the run: returns at once; queued evaluations are cancelled, results of
        running ones are told to the learner when they arrive (see ``late_results``)."""
        if self.task.done():
            return
        if self.ioloop.is_running() and _running_loop() is not self.ioloop:
            self.ioloop.call_soon_threadsafe(self.cancel)  # another thread: the loop's job
            return
        self._finish_run()  # at once: pending_points is empty when cancel() returns
        self.task.cancel()

    def block_until_done(self, *, progress: bool | None = None) -> None:
        """Run the loop until the run ends (for scripts, not notebooks).

        Shows a live progress line when ``progress`` (None: when stderr is a terminal).
        Ctrl-C once waits for the evaluations in flight and keeps their results, twice
        stops at once; either way ``KeyboardInterrupt`` is raised after the clean-up.
        """
        if _running_loop() is not None:
            msg = (
                "Cannot block the event loop when running in a Jupyter notebook. "
                "Use `await runner.task` instead."
            )
            raise RuntimeError(msg)
        if want_progress(progress):
            self._progress = TerminalProgress(getattr(self.goal, "npoints", None))
        interrupts = 0

        def on_sigint() -> None:
            nonlocal interrupts
            interrupts += 1
            (self._core.drain if interrupts == 1 else self._core.stop)()
            if self._wake is not None:
                self._wake.set()

        installed = threading.current_thread() is threading.main_thread()
        if installed:
            try:
                self.ioloop.add_signal_handler(signal.SIGINT, on_sigint)
            except (NotImplementedError, RuntimeError):
                installed = False
        try:
            try:
                self.ioloop.run_until_complete(self.task)
            finally:  # the final save, also when the run failed
                if self.saving_task is not None and self.task.done():
                    self.ioloop.run_until_complete(self.saving_task)
                # live_info_terminal's last print (it ends right after the run)
                displays = [t for t in getattr(self, "_displays", ()) if not t.done()]
                if displays and self.task.done():
                    self.ioloop.run_until_complete(asyncio.wait(displays, timeout=5))
        finally:
            if installed:
                self.ioloop.remove_signal_handler(signal.SIGINT)
            if self._progress is not None:
                core = self._core
                self._progress.update(
                    self.learner.npoints, self.learner.loss, len(core.failed), force=True
                )
                self._progress.close()
                self._progress = None
        if interrupts:
            raise KeyboardInterrupt

    def start_periodic_saving(
        self,
        save_kwargs: dict[str, Any] | None = None,
        interval: float = 30,
        method: Callable[[Any], None] | None = None,
    ) -> asyncio.Task:
        """Save now, every ``interval`` seconds while running, and once more at the end.

        ``save_kwargs`` are passed to ``learner.save`` (``dict(fname=...)``); or give
        ``method(learner)``. With ``learner.save`` the data is copied on the loop and
        written in a background thread, so saving never stalls the run.
        """
        self._saver = PeriodicSaver(self, save_kwargs, interval, method)
        self.saving_task = self.ioloop.create_task(self._saver.run())
        return self.saving_task

    def live_info_terminal(
        self, *, update_interval: float = 0.5, overwrite_previous: bool = True
    ) -> asyncio.Task:
        """Print the run's status (as ``live_info`` shows it) every ``update_interval``
        seconds until the run ends; returns the printing task."""

        async def show() -> None:
            try:
                while True:
                    if overwrite_previous:
                        sys.stdout.write("\033[H\033[J")
                    sys.stdout.write(status_text(self) + "\n")
                    sys.stdout.flush()
                    if self.task.done():
                        return
                    await asyncio.wait([self.task], timeout=update_interval)
            except asyncio.CancelledError:
                sys.stdout.write("Live info display cancelled.\n")
                raise

        task = self.ioloop.create_task(show())
        self._displays = [*getattr(self, "_displays", ()), task]
        return task

    def info(self) -> dict[str, Any]:
        """The fields ``live_info`` and ``live_info_terminal`` show, as a dict."""
        return status_fields(self)

    def live_info(self, *, update_interval: float = 0.1) -> Any:
        """Show the run's status with a cancel button (notebook extra); see
        :func:`adaptive_nb.notebook.live_info`."""
        from ..notebook.info import live_info

        return live_info(self, update_interval=update_interval)

    def live_plot(
        self,
        *,
        plotter: Callable[[Any], Any] | None = None,
        update_interval: float = 2.0,
        name: str | None = None,
        normalize: bool = True,
    ) -> Any:
        """A plot of the learner that updates while the run goes on (notebook extra); see
        :func:`adaptive_nb.notebook.live_plot`."""
        from ..notebook.plot import live_plot

        return live_plot(
            self, plotter=plotter, update_interval=update_interval, name=name, normalize=normalize
        )


Runner = AsyncRunner
