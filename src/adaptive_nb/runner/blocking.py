"""BlockingRunner: runs the learner in the calling thread until the goal is met."""

from __future__ import annotations

import threading
from typing import Any

from ..progress import TerminalProgress, want_progress
from ._interrupt import InterruptGuard
from .base import BaseRunner, is_async_function

__all__ = ["BlockingRunner"]


class BlockingRunner(BaseRunner):
    """Run ``learner`` on an executor, returning when the goal is met.

    Takes the arguments of :class:`~adaptive_nb.runner.base.BaseRunner`, plus ``progress``:
    a live line on stderr (points, loss, elapsed time, rate, failures); None shows it when
    stderr is a terminal. The run happens inside the constructor.

    On failure the error is raised with ``error.runner`` set to this runner, so its learner
    and ``tracebacks`` stay reachable. Ctrl-C once: the results in flight are waited for
    and told, then ``KeyboardInterrupt``; twice: stop at once.
    """

    def __init__(
        self, learner: Any, goal: Any = None, *, progress: bool | None = None, **kwargs: Any
    ):
        if is_async_function(learner.function):
            msg = (
                "BlockingRunner cannot run an async def function; use adaptive_nb.Runner "
                "(the asyncio runner) instead"
            )
            raise ValueError(msg)
        super().__init__(learner, goal, **kwargs)
        self._progress = want_progress(progress)
        self._run()

    def _run(self) -> None:
        core = self._core
        wake = threading.Event()
        core.wake = wake.set
        bar = TerminalProgress(getattr(self.goal, "npoints", None)) if self._progress else None
        guard = InterruptGuard(core.drain, core.stop)
        try:
            with guard:
                for timeout in core.steps(poll=0.1):
                    if bar is not None:
                        bar.update(self.learner.npoints, self.learner.loss, len(core.failed))
                    wake.wait(timeout)
                    wake.clear()
        finally:
            core.finish(keep_results=guard.count < 2)
            self._finish_executor()
            if bar is not None:
                bar.update(self.learner.npoints, self.learner.loss, len(core.failed), force=True)
                bar.close()
        if guard.count:
            raise KeyboardInterrupt
        self._raise_if_failed()

    def status(self) -> str:
        """'finished', 'incomplete' (failed points leave the goal unmet) or 'failed'."""
        if self._core.error is not None:
            return "failed"
        return "incomplete" if self._core.incomplete else "finished"
