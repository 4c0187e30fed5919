"""Goals: validation, and what each goal means."""

import math
import time
from datetime import datetime, timedelta

import pytest

from adaptive_nb import Learner1D
from adaptive_nb.goals import (
    DurationGoal,
    EndTimeGoal,
    LossGoal,
    NpointsGoal,
    auto_goal,
    check_goal_arguments,
    make_goal,
    stop_after,
)


def learner_with(n):
    learner = Learner1D(math.sin, (0, 1))
    xs = [i / (n - 1) for i in range(n)] if n > 1 else [0.0] * n
    learner.tell_many(xs, [math.sin(x) for x in xs])
    return learner


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"loss_goal": -1}, r"loss_goal must be a number >= 0, got -1"),
        ({"loss_goal": math.nan}, r"loss_goal must be a number >= 0, got nan"),
        ({"loss_goal": "0.1"}, r"loss_goal must be a number >= 0, got '0.1'"),
        ({"loss_goal": True}, r"loss_goal must be a number >= 0, got True"),
        ({"npoints_goal": -1}, r"npoints_goal must be a whole number >= 0, got -1"),
        ({"npoints_goal": 2.5}, r"npoints_goal must be a whole number >= 0, got 2.5"),
        ({"npoints_goal": 10.0}, r"npoints_goal must be a whole number >= 0, got 10.0"),
        ({"npoints_goal": True}, r"npoints_goal must be a whole number >= 0, got True"),
        ({"duration_goal": 0}, r"duration_goal must be a positive number of seconds"),
        ({"duration_goal": -5}, r"duration_goal must be a positive number of seconds"),
        ({"duration_goal": math.inf}, r"duration_goal must be a positive number of seconds"),
        ({"duration_goal": timedelta(0)}, r"duration_goal must be a positive number"),
        ({"duration_goal": "1s"}, r"duration_goal must be a positive number"),
        ({"end_time_goal": 5}, r"end_time_goal must be a datetime.datetime, got 5"),
        ({"goal": 3}, r"goal must be a callable goal\(learner\) -> bool, got 3"),
        (
            {"goal": lambda learner: True, "npoints_goal": 3},
            r"give either goal or npoints_goal, not both",
        ),
        (
            {"goal": lambda learner: True, "loss_goal": 0.1, "duration_goal": 3},
            r"give either goal or loss_goal, duration_goal, not both",
        ),
    ],
)
def test_invalid_goal_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_goal_arguments(**kwargs)


def test_no_goal_for_a_learner_that_never_finishes():
    learner = Learner1D(math.sin, (0, 1))
    with pytest.raises(ValueError, match="a Learner1D does not finish by itself; pass loss_goal"):
        make_goal(learner, None)
    assert auto_goal(learner=learner, allow_running_forever=True)(learner) is False


def test_learner_that_finishes_by_itself_uses_done():
    class Finite(Learner1D):
        finishes_by_itself = True

        def done(self):
            return self.npoints >= 3

    learner = Finite(math.sin, (0, 1))
    goal = make_goal(learner, None)
    assert not goal(learner)
    learner.tell_many([0.0, 0.5, 1.0], [0.0, 0.5, 0.8])
    assert goal(learner)


def test_loss_and_npoints_goals():
    learner = learner_with(5)
    assert NpointsGoal(5)(learner) and not NpointsGoal(6)(learner)
    assert LossGoal(learner.loss())(learner)
    assert not LossGoal(learner.loss() / 2)(learner)
    assert repr(LossGoal(0.1)) == "LossGoal(0.1)" and repr(NpointsGoal(3)) == "NpointsGoal(3)"


def test_several_goals_stop_at_the_first_met():
    learner = learner_with(5)
    goal = auto_goal(loss=0.0, npoints=5)
    assert goal(learner)
    assert not auto_goal(loss=0.0, npoints=6)(learner)


def test_time_goals():
    learner = learner_with(2)
    assert EndTimeGoal(datetime.now() - timedelta(seconds=1))(learner)
    assert not EndTimeGoal(datetime.now() + timedelta(hours=1))(learner)
    duration = DurationGoal(0.05)
    assert not duration(learner)  # the clock starts at the first check
    time.sleep(0.06)
    assert duration(learner)
    assert isinstance(auto_goal(duration=timedelta(seconds=2)), DurationGoal)
    assert auto_goal(duration=timedelta(seconds=2)).seconds == 2
    assert stop_after(minutes=1).seconds == 60
