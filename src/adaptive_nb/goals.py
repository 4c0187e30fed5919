"""Goals: when a run stops. Shared by every runner.

A goal is any callable ``goal(learner) -> bool``. :func:`auto_goal` builds one from the
``loss_goal``, ``npoints_goal``, ``end_time_goal`` and ``duration_goal`` arguments of the
runners, after checking them; when several are given, the run stops as soon as one is met.
With none, a learner that finishes by itself (``learner.finishes_by_itself``) stops when
``learner.done()``; any other learner needs a goal, or runs until cancelled where that is
allowed.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "DurationGoal",
    "EndTimeGoal",
    "Goal",
    "LossGoal",
    "NpointsGoal",
    "auto_goal",
    "check_goal_arguments",
    "make_goal",
    "stop_after",
]

Goal = Callable[[Any], bool]


class LossGoal:
    """Met when ``learner.loss() <= loss``."""

    def __init__(self, loss: float) -> None:
        self.loss = loss

    def __call__(self, learner: Any) -> bool:
        return learner.loss() <= self.loss

    def __repr__(self) -> str:
        return f"LossGoal({self.loss!r})"


class NpointsGoal:
    """Met when ``learner.npoints >= npoints``."""

    def __init__(self, npoints: int) -> None:
        self.npoints = npoints

    def __call__(self, learner: Any) -> bool:
        return learner.npoints >= self.npoints

    def __repr__(self) -> str:
        return f"NpointsGoal({self.npoints!r})"


class _EveryChild:
    """Met when ``goal`` is met by every child in ``learner.learners``."""

    def __init__(self, goal: Goal) -> None:
        self.goal = goal

    def __call__(self, learner: Any) -> bool:
        return all(self.goal(child) for child in learner.learners)

    def __repr__(self) -> str:
        return f"every child: {self.goal!r}"


class EndTimeGoal:
    """Met once the wall clock passes ``end_time`` (a ``datetime``)."""

    def __init__(self, end_time: datetime) -> None:
        self.end_time = end_time

    def __call__(self, learner: Any) -> bool:
        now = datetime.now(self.end_time.tzinfo) if self.end_time.tzinfo else datetime.now()
        return now >= self.end_time


class DurationGoal:
    """Met ``seconds`` after the goal is first checked (the start of the run)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start: float | None = None

    def __call__(self, learner: Any) -> bool:
        now = time.monotonic()
        if self.start is None:
            self.start = now
        return now - self.start >= self.seconds


class _AnyGoal:
    def __init__(self, goals: list[Goal]) -> None:
        self.goals = goals

    def __call__(self, learner: Any) -> bool:
        return any(goal(learner) for goal in self.goals)


class _DoneGoal:
    def __call__(self, learner: Any) -> bool:
        return learner.done()


class _Never:
    def __call__(self, learner: Any) -> bool:
        return False


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_goal_arguments(
    goal: Any = None,
    *,
    loss_goal: Any = None,
    npoints_goal: Any = None,
    end_time_goal: Any = None,
    duration_goal: Any = None,
) -> None:
    """Raise ``ValueError`` (naming the value and the remedy) for any invalid goal argument."""
    given = [
        name
        for name, value in [
            ("loss_goal", loss_goal),
            ("npoints_goal", npoints_goal),
            ("end_time_goal", end_time_goal),
            ("duration_goal", duration_goal),
        ]
        if value is not None
    ]
    if goal is not None:
        if given:
            msg = (
                f"give either goal or {', '.join(given)}, not both; to combine them write one "
                "goal function"
            )
            raise ValueError(msg)
        if not callable(goal):
            msg = f"goal must be a callable goal(learner) -> bool, got {goal!r}"
            raise ValueError(msg)
    if loss_goal is not None and (not _is_real(loss_goal) or not loss_goal >= 0):
        msg = f"loss_goal must be a number >= 0, got {loss_goal!r}"
        raise ValueError(msg)
    if npoints_goal is not None and (
        isinstance(npoints_goal, bool)
        or not isinstance(npoints_goal, numbers.Integral)
        or npoints_goal < 0
    ):
        msg = f"npoints_goal must be a whole number >= 0, got {npoints_goal!r}"
        raise ValueError(msg)
    if end_time_goal is not None and not isinstance(end_time_goal, datetime):
        msg = f"end_time_goal must be a datetime.datetime, got {end_time_goal!r}"
        raise ValueError(msg)
    if duration_goal is not None:
        seconds = _seconds(duration_goal)
        if seconds is None or not (seconds > 0 and math.isfinite(seconds)):
            msg = (
                "duration_goal must be a positive number of seconds or a datetime.timedelta, "
                f"got {duration_goal!r}"
            )
            raise ValueError(msg)


def _seconds(duration: Any) -> float | None:
    if isinstance(duration, timedelta):
        return duration.total_seconds()
    if _is_real(duration):
        return float(duration)
    return None


def auto_goal(
    *,
    loss: float | None = None,
    npoints: int | None = None,
    end_time: datetime | None = None,
    duration: timedelta | float | None = None,
    learner: Any = None,
    allow_running_forever: bool = True,
) -> Goal:
    """Build a goal from the ``*_goal`` arguments of a runner (checked first).

    Raises ``ValueError`` when no goal is given, the learner does not finish by itself, and
    ``allow_running_forever`` is False.
    """
    check_goal_arguments(
        loss_goal=loss, npoints_goal=npoints, end_time_goal=end_time, duration_goal=duration
    )
    goals: list[Goal] = []
    if loss is not None:
        goals.append(LossGoal(float(loss)))
    if npoints is not None:
        # a learner with goals_per_child (BalancingLearner) needs npoints in each child
        per_child = getattr(learner, "goals_per_child", False)
        npoints_goal = NpointsGoal(int(npoints))
        goals.append(_EveryChild(npoints_goal) if per_child else npoints_goal)
    if end_time is not None:
        goals.append(EndTimeGoal(end_time))
    if duration is not None:
        goals.append(DurationGoal(_seconds(duration)))
    if len(goals) == 1:
        return goals[0]
    if goals:
        return _AnyGoal(goals)
    if learner is not None and getattr(learner, "finishes_by_itself", False):
        return _DoneGoal()
    if allow_running_forever:
        return _Never()
    kind = type(learner).__name__ if learner is not None else "this learner"
    msg = (
        f"no goal given, and a {kind} does not finish by itself; pass loss_goal, "
        "npoints_goal, end_time_goal, duration_goal or goal"
    )
    raise ValueError(msg)


def make_goal(
    learner: Any,
    goal: Goal | None,
    *,
    loss_goal: float | None = None,
    npoints_goal: int | None = None,
    end_time_goal: datetime | None = None,
    duration_goal: timedelta | float | None = None,
    allow_running_forever: bool = False,
) -> Goal:
    """The goal a runner uses: ``goal`` itself, or one built by :func:`auto_goal`."""
    check_goal_arguments(
        goal,
        loss_goal=loss_goal,
        npoints_goal=npoints_goal,
        end_time_goal=end_time_goal,
        duration_goal=duration_goal,
    )
    if goal is not None:
        return goal
    return auto_goal(
        loss=loss_goal,
        npoints=npoints_goal,
        end_time=end_time_goal,
        duration=duration_goal,
        learner=learner,
        allow_running_forever=allow_running_forever,
    )


def stop_after(*, seconds: float = 0, minutes: float = 0, hours: float = 0) -> Goal:
    """A goal met after the given time has passed since its first check."""
    return DurationGoal(seconds + 60 * minutes + 3600 * hours)
