"""The scheduling core shared by every runner: what to submit, and what to do with results.

::

    learner.ask(k) ──> points ──> chunks of points ──> adapter.submit(evaluate, f, chunk)
         ^                                                        │
         │                                    future done (any thread): done queue + wake
         │                                                        v
    learner.tell(x, y) <── outcomes <── process() <── driver wakes (blocking or asyncio)

The core knows no event loop and no executor by name: a driver calls ``fill()`` to keep the
workers busy, waits until ``wake`` is called, calls ``process()``, and stops when
``stopped`` is set. Everything here runs in the driver's thread except ``_on_done``, which
only appends to a deque and calls ``wake``.

Failures. A point whose evaluation raised is retried up to ``retries`` times; after that it
either ends the run with an :class:`EvaluationError` naming the point, or (with
``raise_if_retries_exceeded=False``) goes to ``failed``: it stays pending in the learner, so
it is not asked again, until the run ends. When a worker dies, every point in flight counts
one failure; the pool is replaced where the adapter can (loky), and the survivors are re-run
one at a time, with nothing else in flight, so that a point that kills its worker is
identified and ends in ``failed`` instead of killing the pool forever. When a death uses
up the retries (``retries=0``) of one of several points in flight, any of them may be the
culprit: the run ends with a :class:`WorkerLostError` naming them all (unless
``raise_if_retries_exceeded=False``: then they go to ``failed``). Once the run has
ended nothing is retried any more, and ``tracebacks`` keep only the points that failed.

Chunks. For cheap functions one task per point wastes the workers' time on dispatch, so by
default a task carries as many points as take about the adapter's ``task_seconds`` to
evaluate (measured in the workers; longer for executors with a costly dispatch, like dask),
and twice as many tasks as workers are kept in flight. Chunks grow no faster than the data:
never more points in one task than the learner already has, so that the first chunks are
not spread blindly over a domain the learner knows nothing about yet.
"""

from __future__ import annotations

import collections
import contextlib
import math
import time
import traceback
from collections.abc import Callable
from typing import Any

from .._worker import evaluate
from ..errors import (
    EvaluationError,
    LearnerConclusionError,
    LearnerExhaustedError,
    RemoteTraceback,
    WorkerLostError,
)
from ..executors import ExecutorAdapter

__all__ = ["SchedulingCore"]

MAX_CHUNK = 256
EXPENSIVE_SECONDS = 1.0  # slower functions get no extra task per worker
NCORES_REFRESH_SECONDS = 2.0
#: once the goal is met, the results in flight are waited for this long at most
MIN_DRAIN_SECONDS = 0.5
MAX_DRAIN_SECONDS = 10.0
#: the longest the run loop keeps its driver's event loop busy without a break
YIELD_SECONDS = 0.05
#: with raise_if_retries_exceeded=False, the run ends "incomplete" once at least this many
#: points failed and they are more than FAILED_FRACTION of all points
MIN_FAILED_TO_GIVE_UP = 10
FAILED_FRACTION = 0.1


class _Task:
    __slots__ = ("generation", "points", "submitted")

    def __init__(self, points: list[Any], generation: int) -> None:
        self.points = points
        self.generation = generation
        self.submitted = time.monotonic()


class SchedulingCore:
    """The state of one run; see the module docstring."""

    def __init__(
        self,
        learner: Any,
        goal: Callable[[Any], bool],
        adapter: ExecutorAdapter,
        *,
        ntasks: int | None,
        retries: int,
        raise_if_retries_exceeded: bool,
        log: bool,
        chunk_size: int | None,
        submit: Callable[..., Any] | None = None,
    ) -> None:
        self.learner = learner
        self.goal = goal
        self.adapter = adapter
        self.retries = retries
        self.raise_if_retries_exceeded = raise_if_retries_exceeded
        self.log: list[tuple[Any, ...]] | None = [] if log else None
        self.chunk_size = chunk_size
        self._fixed_ntasks = ntasks
        self._ncores = 0
        self._ncores_checked = -math.inf
        self._submit_fn = submit
        self._payload: Any = None
        self._tasks: dict[Any, _Task] = {}
        self._done: collections.deque[Any] = collections.deque()
        self.wake: Callable[[], None] = lambda: None
        self._fails: dict[Any, int] = {}
        self._retry: collections.deque[Any] = collections.deque()
        self._suspects: collections.deque[Any] = collections.deque()
        self._alone: Any = None  # the future of the suspect running alone
        self._tracebacks: dict[Any, str] = {}
        self.failed: list[Any] = []
        self._generation = 0
        self._seconds_per_point: float | None = None
        self.error: BaseException | None = None
        self.stopped = False
        self.draining = False
        self._goal_drain = False  # draining because the goal was met (not on Ctrl-C)
        self._drain_deadline: float | None = None
        self.goal_met = False
        self.incomplete = False
        self.busy_time = 0.0
        self.start_time = time.time()
        self._start = time.monotonic()
        self._end: float | None = None
        self.end_time: float | None = None
        self.late_results: list[tuple[Any, Any]] = []

    # -- set-up ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Pickle the function once if the workers need it by value; fail early if it can't."""
        if self._payload is not None:
            return
        if self._submit_fn is not None or not self.adapter.pickles:
            self._payload = self.learner.function
            return
        import cloudpickle

        try:
            self._payload = cloudpickle.dumps(self.learner.function)
        except Exception as exc:
            msg = (
                f"learner.function ({self.learner.function!r}) cannot be pickled to send it to "
                f"the {self.adapter.describe()} workers: {exc}. Use a ThreadPoolExecutor, "
                "SequentialExecutor or adaptive_nb.runner.simple, which need no pickling"
            )
            raise TypeError(msg) from exc

    # -- capacity -------------------------------------------------------------------------

    def ncores(self) -> int:
        """How many tasks run at once: ``ntasks``, or the executor's workers (re-read only
        every few seconds, or sooner while there are none)."""
        if self._fixed_ntasks is not None:
            return self._fixed_ntasks
        now = time.monotonic()
        wait = NCORES_REFRESH_SECONDS if self._ncores else 0.25
        if now - self._ncores_checked >= wait:
            self._ncores = self.adapter.ncores()
            self._ncores_checked = now
        return self._ncores

    def _chunk(self) -> int:
        if self.chunk_size is not None:
            return self.chunk_size
        per_point = self._seconds_per_point
        if per_point is None or not self.adapter.chunks:
            return 1
        size = min(MAX_CHUNK, int(self.adapter.task_seconds / max(per_point, 1e-7)))
        size = min(size, max(self.learner.npoints, 1))  # grow with the data: 1, 2, 4, ...
        goal_npoints = getattr(self.goal, "npoints", None)
        if goal_npoints is not None:  # do not overshoot an npoints goal by much
            missing = goal_npoints - self.learner.npoints - sum(map(len, self._points_in_flight()))
            size = min(size, missing // max(self.ncores(), 1))
        return max(1, size)

    def _points_in_flight(self) -> list[list[Any]]:
        return [task.points for task in self._tasks.values()]

    def _capacity(self) -> int:
        # A cluster with no workers yet still gets one task: an adaptive dask cluster
        # (cluster.adapt(minimum=0)) only scales up when it sees work waiting.
        workers = max(self.ncores(), 1)
        cheap = self._seconds_per_point is not None and self._seconds_per_point < EXPENSIVE_SECONDS
        return workers * 2 if cheap and self._fixed_ntasks is None else workers

    # -- submitting -----------------------------------------------------------------------

    def fill(self) -> None:
        """Submit tasks until the executor has enough work in flight."""
        if self.stopped or self.draining:
            return
        if self._alone is not None and self._alone in self._tasks:
            return  # a suspect runs alone until it is back: nothing may die with it
        capacity = self._capacity()
        while len(self._tasks) < capacity and not self.stopped:
            if self._suspects:  # after a worker died: one suspect at a time, alone
                if not self._tasks:
                    self._alone = self._submit([self._suspects.popleft()])
                return
            points = self._next_points(self._chunk())
            if not points:
                return
            self._submit(points)

    def _next_points(self, n: int) -> list[Any]:
        points = []
        while self._retry and len(points) < n:
            points.append(self._retry.popleft())
        if len(points) < n:
            asked, _ = self.learner.ask(n - len(points))
            if self.log is not None:
                self.log.append(("ask", n - len(points)))
            points.extend(asked)
        return points

    def _submit(self, points: list[Any]) -> Any:
        """Send a task; returns its future (None if the pool turned out to be broken)."""
        try:
            if self._submit_fn is not None:
                future = self._submit_fn(self._payload, points)
            else:
                future = self.adapter.submit(evaluate, self._payload, points)
        except Exception as exc:
            if not self.adapter.is_broken(exc):
                raise
            self._on_crash(points, exc, self._generation)
            return None
        self._tasks[future] = _Task(points, self._generation)
        future.add_done_callback(self._on_done)
        return future

    def _on_done(self, future: Any) -> None:  # any thread
        self._done.append(future)
        self.wake()

    # -- results --------------------------------------------------------------------------

    @property
    def has_results(self) -> bool:
        return bool(self._done)

    def process(self) -> None:
        """Handle every finished task: tell results, count failures."""
        while self._done:
            future = self._done.popleft()
            task = self._tasks.pop(future, None)
            if task is None:
                continue
            if future.cancelled():
                self._retry.extend(task.points)
                continue
            exc = future.exception()
            if exc is None:
                self._handle_outcomes(task.points, future.result())
            elif self.adapter.is_broken(exc):
                self._on_crash(task.points, exc, task.generation)
            else:
                text = "".join(traceback.format_exception(exc))
                for point in task.points:
                    self._fail(point, exc, text)
        self._check_goal()

    def _handle_outcomes(self, points: list[Any], outcomes: list[Any]) -> None:
        for point, (ok, value, text, seconds) in zip(points, outcomes):
            self.busy_time += seconds
            if ok:
                self._tell(point, value)
            else:
                self._fail(point, value, text)
        if outcomes:
            spent = sum(o[3] for o in outcomes) / len(outcomes)
            old = self._seconds_per_point
            self._seconds_per_point = spent if old is None else 0.7 * old + 0.3 * spent

    def _tell(self, point: Any, value: Any) -> None:
        try:
            self.learner.tell(point, value)
        except LearnerConclusionError as exc:  # e.g. a divergent integral: the run ends
            exc.add_note(f"raised by learner.tell({point!r}, ...)")
            if self.error is None:
                self.error = exc
            self.stop()
            return
        except (ValueError, TypeError) as exc:  # a value the learner cannot take
            self._fail(point, exc, "".join(traceback.format_exception(exc)))
            return
        if self.log is not None:
            self.log.append(("tell", point, value))
        if self._fails:
            self._fails.pop(point, None)
            self._tracebacks.pop(point, None)

    def _fail(self, point: Any, exc: BaseException, text: str, *, isolate: bool = False) -> None:
        count = self._fails.get(point, 0) + 1
        self._tracebacks[point] = text
        if count <= self.retries:
            self._fails[point] = count
            (self._suspects if isolate else self._retry).append(point)
            return
        self._fails.pop(point, None)
        if self.raise_if_retries_exceeded:
            if self.error is None:
                self.error = self._evaluation_error(point, exc, text)
            self.stop()
            return
        self.failed.append(point)
        failed = len(self.failed)
        if failed >= MIN_FAILED_TO_GIVE_UP and failed > FAILED_FRACTION * (
            self.learner.npoints + failed
        ):
            self.incomplete = True
            self.stop()

    def _evaluation_error(self, point: Any, exc: BaseException, text: str) -> EvaluationError:
        if exc.__cause__ is None and text:
            exc.__cause__ = RemoteTraceback(text)
        tries = f" ({self.retries + 1} attempts)" if self.retries else ""
        msg = (
            f"An error occurred while evaluating learner.function({point!r}){tries}: "
            f"{type(exc).__name__}: {exc}. The points finished before it are kept in "
            "runner.learner; see runner.tracebacks"
        )
        error = EvaluationError(msg, point=point, traceback=text)
        error.__cause__ = exc
        return error

    def _on_crash(self, points: list[Any], exc: BaseException, generation: int) -> None:
        """A worker died: replace the pool once, and count a failure for each lost point."""
        if not self.adapter.recoverable:
            lost = [*points, *self._lost_with(generation)]
            if self.error is None:
                msg = (
                    f"a worker process of {self.adapter.describe()} died ({exc}), and the "
                    f"pool cannot be used any more; the evaluation of {lost!r} was lost. "
                    "The finished points are kept in runner.learner: resume with a new "
                    "executor, or with the default one, which replaces dead workers"
                )
                self.error = WorkerLostError(msg, points=lost)
                self.error.__cause__ = exc
            self.stop()
            return
        if generation == self._generation:
            self._generation += 1
            self.adapter.recover()
        text = "".join(traceback.format_exception(exc))
        if self.raise_if_retries_exceeded and any(
            self._fails.get(p, 0) >= self.retries for p in points
        ):
            # The run ends here. Several points were in flight in the broken pool, and
            # any of them may have killed the worker: name them all, not just the first.
            lost = [*points, *self._lost_with(generation)]
            if len(lost) > 1:
                if self.error is None:
                    msg = (
                        f"a worker process of {self.adapter.describe()} died ({exc}) while "
                        f"evaluating {lost!r}; they were not re-run (retries={self.retries}). "
                        "The finished points are kept in runner.learner. With more retries "
                        "the lost points are re-run one at a time, which also finds a point "
                        "that kills its worker"
                    )
                    self.error = WorkerLostError(msg, points=lost)
                    self.error.__cause__ = exc
                self.stop()
                return
        for point in points:
            self._fail(point, exc, text, isolate=True)

    def _lost_with(self, generation: int) -> list[Any]:
        """The points of the other tasks sent to the pool of ``generation`` that have not
        returned a result (a broken pool fails them all)."""
        return [
            point
            for future, task in self._tasks.items()
            if task.generation == generation
            and not (future.done() and not future.cancelled() and future.exception() is None)
            for point in task.points
        ]

    # -- stopping -------------------------------------------------------------------------

    def _check_goal(self) -> None:
        if self.stopped or self.goal_met:
            return
        if self.goal(self.learner):
            self.goal_met = True
            if self._tasks:  # keep what is being computed, if it comes back soon
                self.drain(time.monotonic() + self._drain_seconds())
                self._goal_drain = True
            else:
                self.stop()

    def _drained(self) -> None:
        """Every task is back after the goal was met. Their results may have changed the
        learner's mind (a loss that grows with new data, an integral's error): only if the
        goal still holds does the run end; otherwise it goes on."""
        if self._goal_drain and not self.stopped and not self.goal(self.learner):
            self.goal_met = self.draining = self._goal_drain = False
            self._drain_deadline = None
        else:
            self.stop()

    def _drain_seconds(self) -> float:
        """How long to wait, once the goal is met, for the tasks in flight: about one
        task's duration, between MIN_DRAIN_SECONDS and MAX_DRAIN_SECONDS."""
        per_task = (self._seconds_per_point or 0.0) * self._chunk()
        return min(max(1.5 * per_task, MIN_DRAIN_SECONDS), MAX_DRAIN_SECONDS)

    def check_exhausted(self) -> None:
        """Call after ``fill()``: with nothing in flight and nothing to submit, the run ends."""
        if self.stopped or self._tasks or self._done or self._retry or self._suspects:
            return
        if self.ncores() == 0:
            return  # waiting for workers (a cluster that scales up from zero)
        self._check_goal()
        if self.stopped:
            return
        if self.failed:
            self.incomplete = True
        else:
            from .simple import exhausted_message

            self.error = LearnerExhaustedError(exhausted_message(self.learner, self.goal))
        self.stop()

    def stop(self) -> None:
        self.stopped = True

    def drain(self, deadline: float | None = None) -> None:
        """Submit nothing more; stop once the tasks in flight are back, or at ``deadline``
        (``time.monotonic()``; None: no limit, as after the first Ctrl-C)."""
        self.draining = True
        self._goal_drain = False
        self._drain_deadline = deadline

    def steps(self, poll: float = 0.5):
        """The run loop, shared by the drivers. Each value yielded is how long the driver
        may wait (at most) for ``wake`` before resuming the generator."""
        self.prepare()
        next_yield = time.monotonic() + YIELD_SECONDS
        while True:
            self.process()
            if self.draining and not self._tasks:
                self._drained()
            elif (
                self.draining
                and self._drain_deadline is not None
                and time.monotonic() > self._drain_deadline
            ):
                self.stop()
            if self.stopped:
                return
            if not self.draining:
                self.fill()
                if self._done and time.monotonic() < next_yield:
                    continue  # an executor that ran the call at once
                self.check_exhausted()
                if self.stopped:
                    return
            # with results waiting, 0: the driver only lets its event loop run (cancel,
            # widgets), which an executor that runs calls at once would otherwise starve
            yield 0.0 if self._done else poll
            next_yield = time.monotonic() + YIELD_SECONDS

    def in_flight(self) -> int:
        return len(self._tasks)

    def finish(self, *, keep_results: bool = True) -> list[tuple[Any, list[Any]]]:
        """End the run: tell the results already in, cancel what has not started, drop
        pending points from the learner. Returns ``(future, points)`` of the tasks still
        running (they cannot be stopped); their results are the driver's to handle."""
        self.stopped = True
        self.wake = lambda: None  # no driver waits any more (its loop may be closed)
        if keep_results:
            for future in list(self._tasks):
                if future.done() and not future.cancelled() and future.exception() is None:
                    task = self._tasks.pop(future)
                    self._handle_outcomes(task.points, future.result())
        running = [f for f in self._tasks if not f.done()]
        self.adapter.cancel(running)
        still = [(f, self._tasks[f].points) for f in running if not f.cancelled()]
        self._tasks.clear()
        self._done.clear()
        for point in self._fails:  # points waiting for (or in) a retry: none once ended
            self._tracebacks.pop(point, None)
        self._fails.clear()
        self._retry.clear()
        self._suspects.clear()
        self.learner.remove_unfinished()
        if self.goal_met and self.failed and not self.goal(self.learner):
            self.goal_met = False
            self.incomplete = True
        if self._end is None:
            self._end = time.monotonic()
            self.end_time = time.time()
        return still

    # -- reporting ------------------------------------------------------------------------

    def elapsed(self) -> float:
        end = self._end if self._end is not None else time.monotonic()
        return end - self._start

    def overhead(self) -> float:
        """Percentage of the workers' time not spent in ``learner.function``."""
        workers = self.ncores()
        if self._fixed_ntasks is not None:  # ntasks may exceed the executor's workers
            with contextlib.suppress(Exception):  # an executor that cannot tell
                workers = min(workers, self.adapter.ncores())
        capacity = workers * self.elapsed()
        if capacity <= 0:
            return 0.0
        return max(0.0, 100.0 * (1.0 - self.busy_time / capacity))

    def pending(self) -> list[tuple[Any, Any]]:
        return [(f, p) for f, task in self._tasks.items() for p in task.points]

    def to_retry(self) -> list[tuple[Any, int]]:
        return [(p, self._fails[p]) for p in (*self._retry, *self._suspects) if p in self._fails]

    def tracebacks(self) -> list[tuple[Any, str]]:
        return list(self._tracebacks.items())
