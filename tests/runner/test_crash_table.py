"""The crash table: what each kind of failure in ``learner.function`` or in a worker does.

One row per (failure, executor): the run either ends with a clear error of the expected
type, whose message names the point(s), or it completes as described. Whatever happens,
the learner keeps every finished point, nothing stays pending in it, ``learner._check()``
passes, a raw ``BrokenProcessPool``/``TerminatedWorkerError`` never escapes, and an error
from a ``BlockingRunner`` carries the runner (``exc.runner``).

Executors: ``threads`` (ThreadPoolExecutor(2)), ``loky`` (the default executor, loky's
reusable pool with parent-watching workers) and ``process`` (a user-owned
``concurrent.futures.ProcessPoolExecutor(2)``, which cannot be repaired once a worker died).
The last row kills the process that runs the learner itself (in a subprocess), during
periodic saving: the file must always load, lose at most about one save interval of points,
and leave no worker process behind (R7, R18).

The evaluated functions live in this module, which is pickled by value (cloudpickle), so
that the worker processes need not import it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import dataclasses
import functools
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import cloudpickle
import psutil
import pytest

from adaptive_nb import BlockingRunner, Learner1D, Runner
from adaptive_nb.errors import EvaluationError, WorkerLostError
from adaptive_nb.executors import default_executor

cloudpickle.register_pickle_by_value(sys.modules[__name__])

SCRIPT = Path(__file__).parent / "_scripts" / "run_until_signalled.py"


# -- the functions the workers evaluate ----------------------------------------------------


def raises(x):
    if x > 0.5:
        raise ValueError(f"x={x!r} is too big")
    return x


def segfaults(x):
    if x > 0.5:
        import ctypes

        ctypes.string_at(0)  # reads address 0: SIGSEGV
    return x


def exits(x):
    if x > 0.5:
        sys.exit(3)
    return x


def returns_a_lock(x):
    if x > 0.5:
        return threading.Lock()
    return x


def make_unpicklable_function():
    lock = threading.Lock()

    def f(x):
        with lock:
            return x

    return f


def slow_recording(folder, x):
    """Sleeps 0.1 s; first leaves a file ``<pid>_<x>`` that says which worker ran x, when."""
    Path(folder, f"{os.getpid()}_{x!r}").touch()
    time.sleep(0.1)
    return x


def poison(x):
    """Kills its own worker for every x > 0.5, each time."""
    if x > 0.5:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.01)
    return x


# -- executors -------------------------------------------------------------------------------


@contextlib.contextmanager
def make_executor(kind: str):
    if kind == "threads":
        with cf.ThreadPoolExecutor(2) as executor:
            yield executor
    elif kind == "process":
        # spawn: forking a process that runs threads (pytest, loky) may deadlock the child
        context = multiprocessing.get_context("spawn")
        executor = cf.ProcessPoolExecutor(2, mp_context=context)
        try:
            yield executor
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
    elif kind == "loky":
        default_executor().submit(int).result(timeout=60)  # start-up is not the runner's time
        yield None
    else:  # the subprocess rows make their own
        yield kind


# -- outcomes and what is expected of them ---------------------------------------------------


@dataclasses.dataclass
class Outcome:
    learner: Learner1D
    runner: Any = None
    error: BaseException | None = None
    info: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Raises:
    """The run ends with ``types``; the message matches ``pattern``."""

    types: type[BaseException] | tuple[type[BaseException], ...]
    pattern: str
    then: Callable[[Outcome], None] | None = None

    def check(self, outcome: Outcome) -> None:
        error = outcome.error
        assert error is not None, f"expected {self.types}, but the run ended without error"
        assert not isinstance(error, BrokenProcessPool), f"raw pool error escaped: {error!r}"
        assert isinstance(error, self.types), repr(error)
        assert re.search(self.pattern, str(error), re.DOTALL), str(error)
        if isinstance(error, EvaluationError | WorkerLostError):
            assert error.runner is not None and error.runner.learner is outcome.learner
        if self.then is not None:
            self.then(outcome)


@dataclasses.dataclass
class Completes:
    """The run ends without error, and ``then(outcome)`` holds."""

    then: Callable[[Outcome], None]

    def check(self, outcome: Outcome) -> None:
        assert outcome.error is None, f"unexpected {outcome.error!r}"
        self.then(outcome)


def blocking_run(function, executor, *, learner=None, **kwargs) -> Outcome:
    learner = learner or Learner1D(function, (-1, 1))
    outcome = Outcome(learner)
    try:
        outcome.runner = BlockingRunner(
            learner, npoints_goal=kwargs.pop("npoints_goal", 30), executor=executor, **kwargs
        )
    except Exception as exc:
        outcome.error = exc
    return outcome


# -- scenarios -------------------------------------------------------------------------------


def scenario_raises(executor, tmp_path):
    return blocking_run(raises, executor)


def scenario_segfault(executor, tmp_path):
    # retries=1: the points in flight when the worker died are re-run one at a time, and
    # the one that crashes again on its own is named
    return blocking_run(segfaults, executor, retries=1)


def scenario_sys_exit(executor, tmp_path):
    return blocking_run(exits, executor)


def scenario_unpicklable_function(executor, tmp_path):
    function = make_unpicklable_function()
    learner = Learner1D(function, (-1, 1))
    outcome = Outcome(learner)
    loop = asyncio.new_event_loop()
    try:  # the asyncio runner must fail in its constructor, not later inside its task
        runner = Runner(learner, npoints_goal=30, executor=executor, ioloop=loop)
    except Exception as exc:
        outcome.info["async_error"] = exc
    else:  # no error: then it must work
        loop.run_until_complete(runner.task)
        learner = outcome.learner = Learner1D(function, (-1, 1))
    finally:
        loop.close()
    try:
        outcome.runner = BlockingRunner(learner, npoints_goal=30, executor=executor)
    except Exception as exc:
        outcome.error = exc
    return outcome


def scenario_unpicklable_result(executor, tmp_path):
    return blocking_run(returns_a_lock, executor)


def scenario_worker_killed(executor, tmp_path, *, retries):
    """Evaluate 40 points of 0.1 s each; once 10 are done, SIGKILL a worker that is
    evaluating one (found from the files ``slow_recording`` leaves)."""
    learner = Learner1D(functools.partial(slow_recording, str(tmp_path)), (-1, 1))
    before = default_executor() if executor is None else executor
    info: dict[str, Any] = {}

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 60
        while learner.npoints < 10 and time.monotonic() < deadline:
            time.sleep(0.005)
        starts = sorted(tmp_path.iterdir(), key=lambda p: p.stat().st_mtime_ns)
        for path in reversed(starts):  # the newest start: a worker busy right now
            pid = int(path.name.split("_")[0])
            if psutil.pid_exists(pid):
                break
        mine = [p for p in starts if p.name.startswith(f"{pid}_")]
        info["in_progress"] = float(mine[-1].name.split("_", 1)[1])
        info["pid"] = pid
        os.kill(pid, signal.SIGKILL)
        info["killed_at"] = time.monotonic()

    killer = threading.Thread(target=kill_a_worker, daemon=True)
    killer.start()
    outcome = blocking_run(None, executor, learner=learner, npoints_goal=40, retries=retries)
    outcome.info.update(info, ended_at=time.monotonic(), before=before)
    killer.join(timeout=60)
    return outcome


def scenario_poison(executor, tmp_path):
    return blocking_run(poison, executor, retries=1, raise_if_retries_exceeded=False)


def scenario_parent_killed_while_saving(executor, tmp_path):
    """R7 and R18: a script (Runner on loky, a 10 ms function, periodic saving every
    second) is SIGKILLed at a random time 2-5 s after its first save, in 4 concurrent
    trials. Every file must load and miss at most about rate * interval + the points of
    the tasks in flight; every process the script started must be gone within 5 s."""
    interval = 1.0
    trials = []
    for i in range(4):
        fname = tmp_path / f"trial{i}.npz"
        child = subprocess.Popen(
            [sys.executable, str(SCRIPT), "async", "0.01", str(fname), str(interval)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # loky's resource tracker complains about the kill
            text=True,
        )
        trials.append({"child": child, "fname": fname, "delay": random.uniform(2, 5)})
    try:
        deadline = time.monotonic() + 60
        for trial in trials:
            while not trial["fname"].exists():
                assert time.monotonic() < deadline, "the script never saved"
                time.sleep(0.01)
            trial["kill_at"] = time.monotonic() + trial["delay"]
        for trial in sorted(trials, key=lambda t: t["kill_at"]):
            time.sleep(max(0.0, trial["kill_at"] - time.monotonic()))
            child = psutil.Process(trial["child"].pid)
            trial["descendants"] = child.children(recursive=True)
            trial["child"].send_signal(signal.SIGKILL)
            trial["killed_at"] = time.time()  # (the script's clock, for its reports)
            trial["gone_by"] = time.monotonic() + 5  # R18
        for trial in trials:
            out, _ = trial["child"].communicate(timeout=30)
            trial["reports"] = [
                (int(words[1]), float(words[2]))
                for words in map(str.split, out.splitlines())
                if words and words[0] == "npoints"
            ]
    finally:
        for trial in trials:
            if trial["child"].poll() is None:
                trial["child"].kill()
                trial["child"].wait()
    for trial in trials:
        alive = trial["descendants"]
        while alive and time.monotonic() < trial["gone_by"]:
            alive = [p for p in alive if _alive(p)]
            time.sleep(0.05)
        trial["orphans"] = [p for p in trial["descendants"] if _alive(p)]
        learner = Learner1D(lambda x: x, (-1, 1))
        learner.load(trial["fname"])  # must not raise
        trial["saved"] = learner.npoints
        learner._check()
    outcome = Outcome(Learner1D(lambda x: x, (-1, 1)))
    outcome.info["trials"] = trials
    outcome.info["interval"] = interval
    return outcome


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


KILL_1 = "worker SIGKILL, retries=1"
KILL_0 = "worker SIGKILL, retries=0"
POISON = "poison x>0.5 kills its worker"
PARENT_KILLED = "parent SIGKILL while saving"

SCENARIOS = {
    "function raises": scenario_raises,
    "segfault": scenario_segfault,
    "sys.exit(3)": scenario_sys_exit,
    "unpicklable function": scenario_unpicklable_function,
    "unpicklable result": scenario_unpicklable_result,
    KILL_1: functools.partial(scenario_worker_killed, retries=1),
    KILL_0: functools.partial(scenario_worker_killed, retries=0),
    POISON: scenario_poison,
    PARENT_KILLED: scenario_parent_killed_while_saving,
}


# -- checks for the rows ---------------------------------------------------------------------


def point_named(outcome: Outcome) -> None:
    error = outcome.error
    assert error.point > 0.5
    assert f"learner.function({error.point!r})" in str(error)
    assert error.point not in outcome.learner.data
    assert all(x <= 0.5 for x in outcome.learner.data)
    assert error.point in dict(error.runner.tracebacks)


def cause_is_value_error(outcome: Outcome) -> None:
    point_named(outcome)
    assert isinstance(outcome.error.__cause__, ValueError)


def lost_points_named(outcome: Outcome) -> None:
    points = list(getattr(outcome.error, "points", None) or [outcome.error.point])
    assert points, "no lost point named"
    for point in points:
        assert repr(point) in str(outcome.error)
        assert point not in outcome.learner.data
    assert any(x > 0.5 for x in points)


def lost_in_the_kill(outcome: Outcome) -> None:
    error, info = outcome.error, outcome.info
    points = list(getattr(error, "points", None) or [error.point])
    assert points, "no lost point named"
    for point in points:
        assert repr(point) in str(error)
        assert point not in outcome.learner.data
    assert outcome.learner.npoints >= 10  # the finished points are kept
    assert "killed_at" in info, "the killer thread never killed a worker"
    # the point the killed worker was evaluating is named as lost, or was done before
    assert info["in_progress"] in [*points, *outcome.learner.data]
    assert info["ended_at"] - info["killed_at"] < 10


def failed_at_start(outcome: Outcome) -> None:
    assert outcome.learner.npoints == 0
    async_error = outcome.info["async_error"]
    assert type(async_error) is type(outcome.error)
    assert str(async_error) == str(outcome.error)


def all_points_evaluated(outcome: Outcome) -> None:
    assert outcome.learner.npoints >= 30
    assert not outcome.runner.failed


def recovered_from_the_kill(outcome: Outcome) -> None:
    info = outcome.info
    assert "killed_at" in info, "the killer thread never killed a worker"
    assert outcome.learner.npoints >= 40
    assert not outcome.runner.failed and not outcome.runner.to_retry
    assert info["in_progress"] in outcome.learner.data  # the lost point was evaluated again
    assert outcome.runner.executor is not info["before"]  # the broken pool was replaced
    assert info["ended_at"] - info["killed_at"] < 10


def poison_points_failed(outcome: Outcome) -> None:
    runner, learner = outcome.runner, outcome.learner
    assert runner.failed, "no point was reported as failed"
    assert all(x > 0.5 for x in runner.failed), runner.failed
    assert learner.npoints >= 30
    assert all(x <= 0.5 for x in learner.data)
    assert runner.status() == "finished"


def saved_and_no_orphans(outcome: Outcome) -> None:
    interval = outcome.info["interval"]
    for trial in outcome.info["trials"]:
        reports = [r for r in trial["reports"] if r[1] <= trial["killed_at"]]
        assert reports, "the script never reported its progress"
        last_n, last_t = reports[-1]
        # points per second over the last 1.5 s before the kill
        window = [r for r in reports if r[1] >= last_t - 1.5]
        first_n, first_t = window[0]
        rate = (last_n - first_n) / max(last_t - first_t, 0.2)
        in_flight = 2 * 2 * 10  # 2 workers, 2 tasks each, at most ~5 points per task (x2)
        allowed = rate * interval * 1.3 + in_flight
        lost = last_n - trial["saved"]
        assert lost <= allowed, (trial["saved"], last_n, rate, trial["reports"][-5:])
        assert not trial["orphans"], f"alive 5 s after the parent's SIGKILL: {trial['orphans']}"
        assert len(trial["descendants"]) >= 2  # the loky workers were seen


# -- the table ---------------------------------------------------------------------------


def row(failure, executor, expected, *, timeout=60):
    return pytest.param(
        failure,
        executor,
        expected,
        id=f"{failure} / {executor}",
        marks=pytest.mark.timeout(timeout),
    )


#: the first x > 0.5 evaluated, usually the bound 1.0 (the checks compare it with error.point)
AT_X = r"learner\.function\(([01]\.\d+)\)"
RAISED = AT_X + r".*ValueError: x=\1 is too big"
SEGFAULT = AT_X + r" \(2 attempts\).*TerminatedWorkerError"
EXITED = AT_X + r" called sys\.exit\(3\)"
NO_PICKLE_FN = r"learner\.function \(.*\) cannot be pickled .*_thread\.lock"
NO_PICKLE_RESULT = r"value returned by " + AT_X + " cannot be pickled"
NOT_A_NUMBER = AT_X + r".*ValueError: function\(\1\) returned .*_thread\.lock.*not a number"
POOL_LOST = r"died .*cannot be used any more; the evaluation of \[.+\] was lost"
LOST = (WorkerLostError, EvaluationError)

TABLE = [
    row("function raises", "threads", Raises(EvaluationError, RAISED, cause_is_value_error)),
    row("function raises", "loky", Raises(EvaluationError, RAISED, cause_is_value_error)),
    row("function raises", "process", Raises(EvaluationError, RAISED, cause_is_value_error)),
    row("segfault", "loky", Raises(EvaluationError, SEGFAULT, point_named)),
    row("segfault", "process", Raises(WorkerLostError, POOL_LOST, lost_points_named)),
    row("sys.exit(3)", "threads", Raises(EvaluationError, EXITED, point_named)),
    row("sys.exit(3)", "loky", Raises(EvaluationError, EXITED, point_named)),
    row("sys.exit(3)", "process", Raises(EvaluationError, EXITED, point_named)),
    row("unpicklable function", "threads", Completes(all_points_evaluated)),
    row("unpicklable function", "loky", Raises(TypeError, NO_PICKLE_FN, failed_at_start)),
    row("unpicklable function", "process", Raises(TypeError, NO_PICKLE_FN, failed_at_start)),
    row("unpicklable result", "threads", Raises(EvaluationError, NOT_A_NUMBER, point_named)),
    row("unpicklable result", "loky", Raises(EvaluationError, NO_PICKLE_RESULT, point_named)),
    row("unpicklable result", "process", Raises(EvaluationError, NO_PICKLE_RESULT, point_named)),
    row(KILL_1, "loky", Completes(recovered_from_the_kill)),
    row(KILL_0, "loky", Raises(LOST, r"died|Terminated", lost_in_the_kill)),
    row(KILL_1, "process", Raises(WorkerLostError, POOL_LOST, lost_in_the_kill)),
    row(KILL_0, "process", Raises(WorkerLostError, POOL_LOST, lost_in_the_kill)),
    row(POISON, "loky", Completes(poison_points_failed), timeout=120),
    row(POISON, "process", Raises(WorkerLostError, POOL_LOST, lost_points_named)),
    row(PARENT_KILLED, "subprocess", Completes(saved_and_no_orphans), timeout=120),
]  # fmt: skip


@pytest.mark.parametrize(("failure", "executor", "expected"), TABLE)
def test_crash_table(failure, executor, expected, tmp_path):
    with make_executor(executor) as pool:
        outcome = SCENARIOS[failure](pool, tmp_path)
    expected.check(outcome)
    outcome.learner._check()
    assert not outcome.learner.pending_points
    if outcome.runner is not None:
        assert not outcome.runner.pending_points
