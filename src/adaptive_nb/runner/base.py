"""What the blocking and the asyncio runner share: arguments, their checks, and reports."""

from __future__ import annotations

import inspect
import numbers
from datetime import datetime, timedelta
from typing import Any

from ..executors import ExecutorAdapter, adapt_executor
from ..goals import Goal, make_goal
from ._core import SchedulingCore

__all__ = ["BaseRunner"]


def _check_count(name: str, value: Any, minimum: int, *, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        msg = f"{name} must be a whole number >= {minimum}, got {value!r}"
        raise ValueError(msg)


def is_async_function(function: Any) -> bool:
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004 (callable objects)
    )


class BaseRunner:
    """Runs a learner on an executor until a goal is met.

    Parameters
    ----------
    learner
        Any learner.
    goal, loss_goal, npoints_goal, end_time_goal, duration_goal
        When to stop (see :mod:`adaptive_nb.goals`): ``goal(learner) -> bool``, or any of the
        others; several stop at the first met. Learners that finish by themselves need none.
    executor
        Any ``concurrent.futures.Executor``, a ``distributed.Client``, an
        ``ipyparallel.Client`` or view, an ``MPIPoolExecutor``; None for loky's reusable
        process pool over all cores (never shut down by the runner: it is shared).
    ntasks : int, optional
        How many evaluations to run at once; default: the executor's number of workers.
    log : bool
        Record every ``ask`` and ``tell`` in ``runner.log`` (replay with ``replay_log``).
    shutdown_executor : bool
        Shut the executor down when the run ends.
    retries : int
        How many times to re-run a point whose evaluation failed.
    raise_if_retries_exceeded : bool
        When a point still fails: end the run with an :class:`~adaptive_nb.errors.EvaluationError`
        naming it (True), or record it in ``runner.failed`` and go on (False). A run with
        failed points never reports its goal as met unless the goal holds without them.
    allow_running_forever : bool
        Allow a run without any goal (until cancelled).
    chunk_size : int, optional
        Points per task. Default: chosen from the measured evaluation time, so that cheap
        functions are sent in chunks and expensive ones one at a time; 1 turns chunking off.
    """

    def __init__(
        self,
        learner: Any,
        goal: Goal | None = None,
        *,
        loss_goal: float | None = None,
        npoints_goal: int | None = None,
        end_time_goal: datetime | None = None,
        duration_goal: timedelta | float | None = None,
        executor: Any = None,
        ntasks: int | None = None,
        log: bool = False,
        shutdown_executor: bool = False,
        retries: int = 0,
        raise_if_retries_exceeded: bool = True,
        allow_running_forever: bool = False,
        chunk_size: int | None = None,
        _submit: Any = None,
        _adapter: ExecutorAdapter | None = None,
    ) -> None:
        _check_count("ntasks", ntasks, 1, allow_none=True)
        _check_count("retries", retries, 0, allow_none=False)
        _check_count("chunk_size", chunk_size, 1, allow_none=True)
        self.goal = make_goal(
            learner,
            goal,
            loss_goal=loss_goal,
            npoints_goal=npoints_goal,
            end_time_goal=end_time_goal,
            duration_goal=duration_goal,
            allow_running_forever=allow_running_forever,
        )
        self.learner = learner
        self.retries = retries
        self.raise_if_retries_exceeded = raise_if_retries_exceeded
        self.shutdown_executor = shutdown_executor
        self._adapter = _adapter if _adapter is not None else adapt_executor(executor)
        self._core = SchedulingCore(
            learner,
            self.goal,
            self._adapter,
            ntasks=ntasks,
            retries=retries,
            raise_if_retries_exceeded=raise_if_retries_exceeded,
            log=log,
            chunk_size=chunk_size,
            submit=_submit,
        )
        self._core.prepare()  # an unpicklable function fails here, not later in the run

    # -- reports --------------------------------------------------------------------------

    @property
    def executor(self) -> Any:
        """The executor (after a worker died: the pool that replaced the broken one)."""
        return self._adapter.executor

    @property
    def log(self) -> list[tuple[Any, ...]] | None:
        """``[("ask", n), ("tell", x, y), ...]`` when created with ``log=True``, else None."""
        return self._core.log

    @property
    def do_log(self) -> bool:
        return self._core.log is not None

    @property
    def start_time(self) -> float:
        return self._core.start_time

    @property
    def end_time(self) -> float | None:
        return self._core.end_time

    @property
    def failed(self) -> set[Any]:
        """The points that still failed after their retries."""
        return set(self._core.failed)

    @property
    def tracebacks(self) -> list[tuple[Any, str]]:
        """``[(point, traceback text)]`` of the points that failed (or are being retried)."""
        return self._core.tracebacks()

    @property
    def to_retry(self) -> list[tuple[Any, int]]:
        """``[(point, failures so far)]`` of the points waiting to be retried."""
        return self._core.to_retry()

    @property
    def pending_points(self) -> list[tuple[Any, Any]]:
        """``[(future, point)]`` being evaluated now; empty once the run has ended."""
        return self._core.pending()

    @property
    def late_results(self) -> list[tuple[Any, Any]]:
        """``[(point, value)]`` that arrived after the run was cancelled (also told)."""
        return self._core.late_results

    def elapsed_time(self) -> float:
        """Seconds since the run started (until it ended, once it has)."""
        return self._core.elapsed()

    def overhead(self) -> float:
        """The percentage of the workers' time not spent evaluating ``learner.function``:
        ``100 * (1 - time in the function / (workers * elapsed time))``, with the time in
        the function measured in the workers."""
        return self._core.overhead()

    def _raise_if_failed(self) -> None:
        error = self._core.error
        if error is not None:
            error.runner = self  # the runner (and its learner and tracebacks) stays reachable
            raise error

    def _finish_executor(self) -> None:
        if self.shutdown_executor:
            self._adapter.shutdown()
