"""Reliability checks of ../shared/spec/reliability.md for the parallel runners.

R1 no false success from failed points; R2 errors carry their context (and the runner);
R3 transient errors recover; R13 arguments are checked at construction; R16 cancel
hygiene; R17 Ctrl-C (in a subprocess); R19c ``overhead()`` is right; plus: a learner that
runs out of points ends with ``LearnerExhaustedError``, and periodic saving of a learner of
1e5 points does not stall the run loop. Worker deaths and other crashes are in
test_crash_table.py.

The evaluated functions live in this module, which is pickled by value (cloudpickle), so
that loky's workers need not import it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cloudpickle
import numpy as np
import pytest

from adaptive_nb import BlockingRunner, Learner1D, Runner
from adaptive_nb.errors import EvaluationError, LearnerExhaustedError
from adaptive_nb.executors import default_executor

cloudpickle.register_pickle_by_value(sys.modules[__name__])

pytestmark = pytest.mark.timeout(60)

SCRIPT = Path(__file__).parent / "_scripts" / "run_until_signalled.py"


# -- the functions the workers evaluate ----------------------------------------------------


def raises_above_half(x):
    if x > 0.5:
        raise ValueError(f"no value at x={x!r}")
    return x**2


def raises_in_window(x):
    if 0.55 < x < 0.6:
        raise ValueError(f"no value at x={x!r}")
    return x


def fail_first_time(folder, x):
    """Fails the first evaluation of each x (a marker file remembers it, across processes)."""
    marker = Path(folder, repr(x))
    if not marker.exists():
        marker.touch()
        raise RuntimeError(f"transient failure at {x!r}")
    return math.sin(3 * x)


def sleep_then_identity(seconds, x):
    time.sleep(seconds)
    return x


# -- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def threads():
    with ThreadPoolExecutor(2) as executor:
        yield executor


@pytest.fixture
def loky():
    """The default executor (``None``), started before the test so its start-up is not timed."""
    default_executor().submit(int).result(timeout=60)
    return None


def run(kind, learner, loop, **kwargs):
    """Run to the end with ``BlockingRunner`` or ``Runner``; return the runner (or raise
    the run's error, with ``error.runner`` set for both)."""
    if kind == "BlockingRunner":
        return BlockingRunner(learner, **kwargs)
    runner = Runner(learner, ioloop=loop, **kwargs)
    try:
        loop.run_until_complete(runner.task)
    except Exception as exc:
        exc.runner = runner
        raise
    return runner


def wait_until(loop, condition, timeout):
    async def poll():
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.01)

    loop.run_until_complete(poll())


RUNNERS = ["BlockingRunner", "Runner"]


# -- R1: no false success --------------------------------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
def test_R1_failed_points_never_make_the_goal_look_met(kind, threads, loop):
    learner = Learner1D(raises_above_half, (-1, 1))
    runner = run(
        kind,
        learner,
        loop,
        loss_goal=0.05,
        executor=threads,
        raise_if_retries_exceeded=False,
    )
    assert runner.failed and all(isinstance(x, float) and x > 0.5 for x in runner.failed)
    assert not learner.pending_points  # failed x do not hide the hole
    assert not runner.pending_points
    goal_holds = learner.loss() <= 0.05
    assert runner.status() == ("finished" if goal_holds else "incomplete")
    assert runner.status() == "incomplete"  # (0.5, 1] is a hole: the loss is infinite
    learner._check()


@pytest.mark.parametrize("kind", RUNNERS)
def test_goal_reported_met_only_if_it_holds_without_the_failed_points(kind, threads, loop):
    """An npoints goal counts only points with a value, so it can be met with a hole."""
    learner = Learner1D(raises_above_half, (-1, 1))
    runner = run(
        kind,
        learner,
        loop,
        npoints_goal=40,
        executor=threads,
        raise_if_retries_exceeded=False,
    )
    assert runner.failed
    assert runner.status() == "finished"
    assert learner.npoints >= 40 and all(x <= 0.5 for x in learner.data)
    assert not learner.pending_points


# -- R2: errors with context -----------------------------------------------------------------


def test_R2_error_names_the_point_and_keeps_runner_and_data(threads):
    successes = []

    def f(x):
        if x > 0.5:
            raise ValueError(f"no value at x={x!r}")
        successes.append(x)
        return x

    learner = Learner1D(f, (-1, 1))
    with pytest.raises(EvaluationError, match=r"learner\.function\(") as info:
        BlockingRunner(learner, npoints_goal=50, executor=threads, ntasks=1)
    error = info.value
    assert error.point > 0.5
    assert f"learner.function({error.point!r})" in str(error)
    assert isinstance(error.__cause__, ValueError)
    assert f"no value at x={error.point!r}" in str(error)
    assert f"no value at x={error.point!r}" in error.traceback
    runner = error.runner
    assert isinstance(runner, BlockingRunner)
    assert runner.learner is learner and runner.status() == "failed"
    tracebacks = dict(runner.tracebacks)  # (a chunk may hold several x > 0.5)
    assert error.point in tracebacks and all(x > 0.5 for x in tracebacks)
    assert sorted(learner.data) == sorted(successes)  # every finished point is kept
    assert not learner.pending_points
    learner._check()


def test_R2_error_from_a_process_pool_carries_the_remote_traceback(loky, loop):
    learner = Learner1D(raises_above_half, (-1, 1))
    runner = Runner(learner, npoints_goal=50, ioloop=loop)
    with pytest.raises(EvaluationError, match=r"learner\.function\(") as info:
        loop.run_until_complete(runner.task)
    error = info.value
    assert error.point > 0.5 and f"learner.function({error.point!r})" in str(error)
    assert error.runner is runner and runner.status() == "failed"
    assert isinstance(error.__cause__, ValueError)
    assert "raises_above_half" in error.traceback  # the worker's traceback, as text
    assert runner.task.exception() is error
    assert not learner.pending_points and not runner.pending_points
    learner._check()


# -- R3: transient errors recover ------------------------------------------------------------


@pytest.mark.parametrize("executor", ["threads", "loky"])
def test_R3_transient_errors_recover(executor, tmp_path, request):
    pool = request.getfixturevalue(executor)
    learner = Learner1D(functools.partial(fail_first_time, str(tmp_path)), (-1, 1))
    runner = BlockingRunner(learner, npoints_goal=30, retries=2, executor=pool)
    assert learner.npoints >= 30
    assert not runner.failed and not runner.tracebacks and not runner.to_retry
    assert runner.status() == "finished"
    learner._check()


# -- R13: arguments are checked at construction ----------------------------------------------

BAD_ARGUMENTS = [
    ({"ntasks": 0}, "ntasks"),
    ({"ntasks": -1}, "ntasks"),
    ({"ntasks": 1.5}, "ntasks"),
    ({"ntasks": True}, "ntasks"),
    ({"retries": -1}, "retries"),
    ({"retries": 0.5}, "retries"),
    ({"chunk_size": 0}, "chunk_size"),
    ({"chunk_size": -3}, "chunk_size"),
    ({"chunk_size": 2.5}, "chunk_size"),
    ({"npoints_goal": -1}, "npoints_goal"),
    ({"npoints_goal": 2.5}, "npoints_goal"),
    ({"npoints_goal": True}, "npoints_goal"),
    ({"loss_goal": -0.1}, "loss_goal"),
    ({"loss_goal": math.nan}, "loss_goal"),
    ({"duration_goal": 0}, "duration_goal"),
    ({"duration_goal": -5}, "duration_goal"),
    ({"goal": lambda learner: True, "npoints_goal": 10}, "either goal or npoints_goal"),
    ({"goal": lambda learner: True, "loss_goal": 0.1}, "either goal or loss_goal"),
    ({"goal": 42}, "goal must be a callable"),
]


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize(
    ("kwargs", "message"), BAD_ARGUMENTS, ids=[repr(k) for k, _ in BAD_ARGUMENTS]
)
def test_R13_bad_arguments_raise_value_error_at_construction(kind, kwargs, message, loop):
    learner = Learner1D(math.sin, (-1, 1))
    kwargs = dict(kwargs)
    if not any(key == "goal" or key.endswith("_goal") for key in kwargs):
        kwargs["npoints_goal"] = 10
    with ThreadPoolExecutor(1) as executor, pytest.raises(ValueError, match=message):
        if kind == "BlockingRunner":
            BlockingRunner(learner, executor=executor, **kwargs)
        else:
            Runner(learner, executor=executor, ioloop=loop, **kwargs)
    assert learner.npoints == 0 and not learner.pending_points
    assert not asyncio.all_tasks(loop)  # no run was started


def test_R13_blocking_runner_without_a_goal_raises(threads):
    learner = Learner1D(math.sin, (-1, 1))
    with pytest.raises(ValueError, match="does not finish by itself"):
        BlockingRunner(learner, executor=threads)
    assert learner.npoints == 0


@pytest.mark.parametrize("interval", [0, -1, math.nan, "1"])
def test_R13_periodic_saving_interval_is_checked(interval, threads, loop, tmp_path):
    learner = Learner1D(math.sin, (-1, 1))
    runner = Runner(learner, npoints_goal=5, executor=threads, ioloop=loop)
    with pytest.raises(ValueError, match="interval must be a positive number"):
        runner.start_periodic_saving(dict(fname=tmp_path / "x.npz"), interval=interval)
    loop.run_until_complete(runner.task)


# -- the learner runs out of points ----------------------------------------------------------


@pytest.mark.parametrize("kind", RUNNERS)
@pytest.mark.parametrize("executor", ["threads", "loky"])
def test_exhausted_learner_ends_with_learner_exhausted_error(kind, executor, loop, request):
    pool = request.getfixturevalue(executor)
    lower = 1.0
    upper = lower + 4 * math.ulp(lower)  # only 5 floats in the domain
    learner = Learner1D(functools.partial(sleep_then_identity, 0.001), (lower, upper))
    with pytest.raises(LearnerExhaustedError, match=r"no more points to suggest") as info:
        run(kind, learner, loop, npoints_goal=100, executor=pool)
    assert learner.npoints == 5
    assert info.value.runner.learner is learner
    assert not learner.pending_points
    learner._check()


# -- R16: cancel -------------------------------------------------------------------------------


def test_R16_cancel_hygiene_and_a_new_runner_continues(threads, loop):
    started = []

    def f(x):
        started.append(x)
        time.sleep(0.05)
        return x

    learner = Learner1D(f, (-1, 1))
    runner = Runner(learner, npoints_goal=10**6, executor=threads, ioloop=loop)
    wait_until(loop, lambda: learner.npoints >= 10 and runner.pending_points, timeout=30)
    start = time.perf_counter()
    runner.cancel()
    assert time.perf_counter() - start < 0.1
    assert runner.pending_points == []  # at once, not only after the loop ran
    assert not learner.pending_points
    learner._check()
    with pytest.raises(asyncio.CancelledError):
        loop.run_until_complete(runner.task)
    assert runner.status() == "cancelled"
    # the evaluations that were running are told when they are done: none is wasted
    wait_until(loop, lambda: set(learner.data) == set(started), timeout=10)
    assert {x for x, _ in runner.late_results} <= set(started)
    learner._check()
    npoints = learner.npoints
    runner = Runner(learner, npoints_goal=npoints + 20, executor=threads, ioloop=loop)
    loop.run_until_complete(runner.task)
    assert learner.npoints >= npoints + 20
    assert not learner.pending_points
    learner._check()


def test_R16_cancel_from_another_thread(threads, loop):
    learner = Learner1D(functools.partial(sleep_then_identity, 0.02), (-1, 1))
    runner = Runner(learner, npoints_goal=10**6, executor=threads, ioloop=loop)

    def cancel_soon():
        time.sleep(0.3)
        runner.cancel()  # not the loop's thread: handed over to the loop

    canceller = threading.Thread(target=cancel_soon)
    canceller.start()
    with pytest.raises(asyncio.CancelledError):
        loop.run_until_complete(runner.task)
    canceller.join()
    assert runner.status() == "cancelled"
    assert runner.pending_points == [] and not learner.pending_points
    assert learner.npoints > 0
    learner._check()


def test_R16_cancel_stops_the_work_that_has_not_started(loop):
    started = []

    def f(x):
        started.append(x)
        time.sleep(0.3)
        return x

    learner = Learner1D(f, (-1, 1))
    with ThreadPoolExecutor(1) as executor:
        runner = Runner(learner, npoints_goal=100, executor=executor, ntasks=3, ioloop=loop)
        wait_until(loop, lambda: len(runner.pending_points) == 3 and started, timeout=10)
        runner.cancel()
        wait_until(loop, lambda: runner.late_results, timeout=10)
        loop.run_until_complete(asyncio.sleep(0.4))  # time for a queued call to start
    assert len(started) == 1  # the two queued evaluations were cancelled
    assert runner.late_results == [(started[0], started[0])]
    assert list(learner.data) == started
    learner._check()


def test_R16_cancel_with_loky_tells_results_that_arrive_later(loky, loop):
    learner = Learner1D(functools.partial(sleep_then_identity, 2.0), (-1, 1))
    runner = Runner(learner, npoints_goal=100, ioloop=loop)
    wait_until(loop, lambda: len(runner.pending_points) == 2, timeout=10)
    loop.run_until_complete(asyncio.sleep(0.3))  # the workers are busy with them
    running = sorted(x for _, x in runner.pending_points)
    start = time.perf_counter()
    runner.cancel()
    assert time.perf_counter() - start < 0.1
    assert runner.pending_points == [] and not learner.pending_points
    assert learner.npoints == 0 and runner.late_results == []
    with pytest.raises(asyncio.CancelledError):
        loop.run_until_complete(runner.task)
    wait_until(loop, lambda: len(runner.late_results) == len(running), timeout=10)
    assert sorted(x for x, _ in runner.late_results) == running
    assert sorted(learner.data) == running
    assert not learner.pending_points
    learner._check()


# -- R17: Ctrl-C -----------------------------------------------------------------------------


class Child:
    """``run_until_signalled.py`` in a subprocess; its lines are read by a thread."""

    def __init__(self, kind: str, seconds: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), kind, str(seconds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.result: dict | None = None

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, predicate, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                words = self.lines.get(timeout=max(0.01, deadline - time.monotonic())).split()
            except queue.Empty:
                pytest.fail(f"the script said nothing useful in {timeout} s")
            if words and predicate(words):
                return words

    def wait_for_new_evaluations(self) -> float:
        """Wait until results came in (npoints >= 2) less than 0.2 s ago, so that the next
        evaluations have just started; return that time (``time.time()``)."""
        while True:
            words = self.wait_for(lambda w: w[0] == "npoints" and int(w[1]) >= 2, 60)
            if time.time() - float(words[2]) < 0.2:
                return float(words[2])

    def wait_result(self, timeout: float) -> dict:
        words = self.wait_for(lambda w: w[0] == "result", timeout)
        self.result = json.loads(" ".join(words[1:]))
        return self.result

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.mark.parametrize("kind", ["blocking", "async"])
def test_R17_ctrl_c_once_keeps_the_results_in_flight_twice_stops_at_once(kind):
    """A 1 s function on loky. One SIGINT 0.3 s into an evaluation: the run returns with
    KeyboardInterrupt after the evaluations in flight are done (<= 1 s + 0.5 s), and the
    learner has all of them. Two SIGINTs 0.1 s apart: it returns within 0.5 s."""
    once, twice = Child(kind, 1.0), Child(kind, 1.0)
    try:
        sent = {}
        for name, child in [("once", once), ("twice", twice)]:
            started = child.wait_for_new_evaluations()
            time.sleep(max(0.0, started + 0.3 - time.time()))
            child.process.send_signal(signal.SIGINT)
            sent[name] = time.time()
            if name == "twice":  # while the evaluations still run (0.6 s left)
                time.sleep(0.1)
                child.process.send_signal(signal.SIGINT)
                sent[name] = time.time()
        first, second = once.wait_result(30), twice.wait_result(30)
    finally:
        once.close()
        twice.close()
    for result in (first, second):
        assert result["exception"] == "KeyboardInterrupt"
        assert result["pending"] == 0 and result["consistent"]
    assert first["time"] - sent["once"] <= 1.0 + 0.5, first
    assert first["npoints"] == first["asked"]  # every result in flight was told
    assert second["time"] - sent["twice"] <= 0.5, second
    assert second["npoints"] < second["asked"]  # the evaluations in flight were dropped


# -- R19c: overhead() ------------------------------------------------------------------------


def timed_sleep(seconds, x):
    """Sleeps; returns how long that took (its own measure of the time spent in it)."""
    start = time.perf_counter()
    time.sleep(seconds)
    return time.perf_counter() - start


def measured_overhead(seconds_per_call, executor, ntasks, seconds):
    """Run for ``seconds``; return ``(reported, true)`` overhead in percent, with true =
    ``1 - time in the function / (ntasks * elapsed)``, as measured outside the runner: the
    elapsed time around the run, and the time in the function as the function itself
    measured it (its values; a nominal t_f would be off by the sleep's overshoot, which
    grows on a loaded machine)."""
    learner = Learner1D(functools.partial(timed_sleep, seconds_per_call), (-1, 1))
    start = time.perf_counter()
    runner = BlockingRunner(learner, duration_goal=seconds, executor=executor)
    elapsed = time.perf_counter() - start
    in_function = sum(learner.data.values())
    assert in_function > 0.5 * ntasks * elapsed  # the workers were kept busy
    true = 100 * (1 - in_function / (ntasks * elapsed))
    return runner.overhead(), true


def test_R19c_overhead_with_threads(threads):
    reported, true = measured_overhead(0.001, threads, 2, 5)
    assert abs(reported - true) <= 10, (reported, true)


def test_R19c_overhead_with_loky(loky):
    import loky as loky_module

    reported, true = measured_overhead(0.01, None, loky_module.cpu_count(), 4)
    assert abs(reported - true) <= 10, (reported, true)


# -- periodic saving --------------------------------------------------------------------------


def waiting_for_a_cpu() -> float:
    """Seconds this thread has been ready to run but waiting for a CPU (Linux; else 0).

    A gap between two ticks of the event loop minus this is the time the loop was blocked
    (busy, or waiting for a lock or I/O): the stall, without the share of a loaded machine.
    """
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def test_periodic_saving_of_1e5_points_does_not_stall_the_run_loop(threads, loop, tmp_path):
    learner = Learner1D(functools.partial(sleep_then_identity, 0.005), (-1, 1))
    xs = np.linspace(-1, 1, 100_001)
    learner.tell_many(xs.tolist(), xs.tolist(), force=True)
    fname = tmp_path / "learner.npz"
    runner = Runner(learner, duration_goal=2.5, executor=threads, ioloop=loop)
    saver = runner.start_periodic_saving(dict(fname=fname), interval=0.5)
    at_the_end = []
    runner.task.add_done_callback(lambda _: at_the_end.append(learner.npoints))
    stalls = []

    async def ticker():
        last, last_waiting = time.perf_counter(), waiting_for_a_cpu()
        while not runner.task.done():
            await asyncio.sleep(0.002)
            now, waiting = time.perf_counter(), waiting_for_a_cpu()
            stalls.append((now - last) - (waiting - last_waiting))
            last, last_waiting = now, waiting

    loop.run_until_complete(asyncio.gather(runner.task, saver, ticker()))
    assert runner._saver.saves >= 4  # at the start, every 0.5 s, at the end
    assert max(stalls) < 0.1, sorted(stalls)[-5:]
    loaded = Learner1D(learner.function, (-1, 1))
    loaded.load(fname)
    assert at_the_end[0] <= loaded.npoints <= learner.npoints  # (late results: see above)
    assert at_the_end[0] > 100_001
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_failed_run_still_saves_at_the_end(threads, tmp_path):
    """block_until_done saves once more when the run ends, also when it ended in an error."""
    learner = Learner1D(raises_in_window, (-1, 1))
    loop = asyncio.new_event_loop()
    try:
        runner = Runner(learner, npoints_goal=10**6, executor=threads, ioloop=loop)
        at_the_end = []
        runner.task.add_done_callback(lambda _: at_the_end.append(learner.npoints))
        runner.start_periodic_saving(dict(fname=tmp_path / "l.npz"), interval=3600)
        with pytest.raises(EvaluationError):
            runner.block_until_done(progress=False)
        assert runner.saving_task.done()
    finally:
        loop.close()
    loaded = Learner1D(raises_in_window, (-1, 1))
    loaded.load(tmp_path / "l.npz")
    # (results still running when the run ended are told later, see late_results)
    assert at_the_end[0] <= loaded.npoints <= learner.npoints
    assert at_the_end[0] > 0
    assert os.listdir(tmp_path) == ["l.npz"]
