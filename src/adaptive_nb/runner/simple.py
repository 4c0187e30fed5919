"""The sequential driver: run a learner in the calling thread, one point after another.

Nothing is pickled and nothing runs in parallel, which makes it the tool for debugging a
learner or a function, and for functions holding unpicklable state.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from ..errors import LearnerExhaustedError
from ..goals import Goal, NpointsGoal, make_goal
from ..progress import TerminalProgress, want_progress

__all__ = ["exhausted_message", "replay_log", "simple"]


def exhausted_message(learner: Any, goal: Goal) -> str:
    """The message of the error raised when a learner runs out of points before its goal."""
    return (
        f"the {type(learner).__name__} has no more points to suggest (npoints="
        f"{learner.npoints}, loss={learner.loss():.3g}) but the goal {goal!r} is not met; "
        "all data is kept. Choose a goal the learner can reach, for example a larger "
        "loss_goal"
    )


def simple(
    learner: Any,
    goal: Goal | None = None,
    *,
    loss_goal: float | None = None,
    npoints_goal: int | None = None,
    end_time_goal: datetime | None = None,
    duration_goal: timedelta | float | None = None,
    points_per_ask: int = 1,
    progress: bool | None = None,
) -> None:
    """Run ``learner`` in this thread until the goal is met.

    Parameters
    ----------
    learner
        Any learner.
    goal, loss_goal, npoints_goal, end_time_goal, duration_goal
        When to stop; see :mod:`adaptive_nb.goals`. Give ``goal`` or any of the others.
    points_per_ask : int, default 1
        How many points to ask for at a time.
    progress : bool or None
        Show a progress line on stderr; ``None`` shows it when stderr is a terminal.

    Raises
    ------
    ValueError
        For invalid arguments, before anything runs.
    LearnerExhaustedError
        When the learner has no more points to suggest and the goal is not met.
    Exception
        Whatever ``learner.function`` raises, with a note naming the point; the points told
        before it stay in the learner.
    """
    goal = make_goal(
        learner,
        goal,
        loss_goal=loss_goal,
        npoints_goal=npoints_goal,
        end_time_goal=end_time_goal,
        duration_goal=duration_goal,
    )
    if (
        isinstance(points_per_ask, bool)
        or not isinstance(points_per_ask, numbers.Integral)
        or points_per_ask < 1
    ):
        msg = f"points_per_ask must be a whole number >= 1, got {points_per_ask!r}"
        raise ValueError(msg)
    bar = None
    if want_progress(progress):
        total = goal.npoints if isinstance(goal, NpointsGoal) else None
        bar = TerminalProgress(total)
    try:
        while not goal(learner):
            points, _ = learner.ask(points_per_ask)
            if not points:
                raise LearnerExhaustedError(exhausted_message(learner, goal))
            for x in points:
                try:
                    y = learner.function(x)
                except Exception as exc:
                    exc.add_note(f"raised while evaluating learner.function({x!r})")
                    raise
                learner.tell(x, y)
            if bar is not None:
                bar.update(learner.npoints, learner.loss)
    finally:
        if bar is not None:
            bar.update(learner.npoints, learner.loss, force=True)
            bar.close()


def replay_log(learner: Any, log: Iterable[tuple[Any, ...]]) -> None:
    """Apply a runner's ``log`` (``("ask", n)``, ``("tell", x, y)``, ...) to ``learner``."""
    for method, *args in log:
        getattr(learner, method)(*args)
