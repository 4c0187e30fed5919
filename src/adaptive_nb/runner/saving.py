"""Periodic saving for the asyncio runner, without stalling the run loop."""

from __future__ import annotations

import asyncio
import numbers
from collections.abc import Callable
from typing import Any

__all__ = ["PeriodicSaver"]


class PeriodicSaver:
    """Save at the start, every ``interval`` seconds while the run goes on, and at the end.

    With ``save_kwargs`` the learner's arrays are copied on the loop (cheap) and compressed
    and written to disk in a worker thread; a custom ``method(learner)`` runs on the loop.
    """

    def __init__(
        self,
        runner: Any,
        save_kwargs: dict[str, Any] | None,
        interval: float,
        method: Callable[[Any], None] | None,
    ) -> None:
        if method is None and save_kwargs is None:
            msg = "start_periodic_saving needs save_kwargs (e.g. dict(fname='data.npz')) or method"
            raise ValueError(msg)
        if method is not None and not callable(method):
            msg = f"method must be a callable method(learner), got {method!r}"
            raise ValueError(msg)
        if isinstance(interval, bool) or not isinstance(interval, numbers.Real) or not interval > 0:
            msg = f"interval must be a positive number of seconds, got {interval!r}"
            raise ValueError(msg)
        self.runner = runner
        self.save_kwargs = dict(save_kwargs or {})
        self.interval = float(interval)
        self.method = method
        self.saves = 0

    async def save_once(self) -> None:
        learner = self.runner.learner
        if self.method is not None:
            self.method(learner)
        else:
            from ..persistence import snapshot_writer

            write = snapshot_writer(learner, **self.save_kwargs)
            await asyncio.get_running_loop().run_in_executor(None, write)
        self.saves += 1

    async def run(self) -> None:
        task = self.runner.task
        loop = asyncio.get_running_loop()
        while not task.done():
            started = loop.time()
            await self.save_once()
            # every interval seconds from the start of one save to the next, so that the
            # data on disk is never older than interval plus one save
            wait = self.interval - (loop.time() - started)
            await asyncio.wait([task], timeout=max(wait, 0.0))
        await self.runner.wait_for_late_results(self.interval)  # so the file has them too
        await self.save_once()
