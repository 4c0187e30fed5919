"""Once the goal is met the runner waits for the results in flight; when they show that the
goal no longer holds (a loss that grows with new data), the run goes on instead of
reporting success."""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from typing import Any

import pytest

import adaptive_nb as adaptive
from _dict_learner import DictLearner
from adaptive_nb.learner.base_learner import check_ask_count

SLOW = 3  # the point whose evaluation takes longer and "reveals" structure


class RevealingLearner(DictLearner):
    """Points 0, 1, 2, ...; the loss is 1/npoints, doubled once a "surprise" value is told.

    With ``loss_goal=0.2`` the goal holds at 5 points while the slow point is in flight; once
    its surprise is told the loss doubles, and 10 points are needed.
    """

    def __init__(self, function: Any) -> None:
        super().__init__(function)
        self._next = 0

    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[int], list[float]]:
        n = check_ask_count(n)
        points = list(range(self._next, self._next + n))
        if tell_pending:
            self._next += n
            self.pending_points.update(points)
        return points, [1.0] * n

    def loss(self, real: bool = True) -> float:
        if not self.data:
            return float("inf")
        surprise = any(y == "surprise" for y in self.data.values())
        return (2 if surprise else 1) / len(self.data)

    def new(self) -> RevealingLearner:
        return type(self)(self.function)


def make_function(release: threading.Event) -> Any:
    def f(x: int) -> Any:
        if x == SLOW:
            release.wait(10)  # comes back once the goal holds without it
            return "surprise"
        time.sleep(0.01)
        return x

    return f


def goal_then_release(release: threading.Event) -> Any:
    def goal(learner: RevealingLearner) -> bool:
        met = learner.loss() <= 0.2
        if met:
            release.set()
        return met

    return goal


@pytest.mark.parametrize("kind", ["blocking", "async"])
def test_results_in_flight_that_undo_the_goal_make_the_run_go_on(kind: str) -> None:
    release = threading.Event()
    learner = RevealingLearner(make_function(release))
    with cf.ThreadPoolExecutor(2) as pool:
        if kind == "blocking":
            runner = adaptive.BlockingRunner(
                learner, goal=goal_then_release(release), executor=pool, chunk_size=1
            )
        else:
            runner = adaptive.Runner(
                learner, goal=goal_then_release(release), executor=pool, chunk_size=1
            )
            runner.block_until_done()
    assert "surprise" in learner.data.values()  # the slow result was kept
    assert learner.loss() <= 0.2, (learner.loss(), len(learner.data))  # and the goal holds
    assert len(learner.data) >= 10
    assert runner.status() == "finished"


def test_results_in_flight_that_keep_the_goal_end_the_run() -> None:
    release = threading.Event()

    def f(x: int) -> Any:
        if x == SLOW:
            release.wait(10)
        time.sleep(0.01)
        return x

    learner = RevealingLearner(f)
    with cf.ThreadPoolExecutor(2) as pool:
        runner = adaptive.BlockingRunner(
            learner, goal=goal_then_release(release), executor=pool, chunk_size=1
        )
    assert SLOW in learner.data  # kept
    assert len(learner.data) <= 5 + 4  # only what was in flight (2 workers x 2) was added
    assert runner.status() == "finished"
