"""The sequential driver simple() and replay_log()."""

import math

import pytest

from adaptive_nb import Learner1D
from adaptive_nb.errors import LearnerExhaustedError
from adaptive_nb.runner import SequentialExecutor, replay_log, simple


def test_npoints_goal_reaches_exactly_n():
    learner = Learner1D(math.sin, (0, 3))
    simple(learner, npoints_goal=57)
    assert learner.npoints == 57
    learner._check()


def test_loss_goal_is_met():
    learner = Learner1D(lambda x: math.tanh(30 * x), (-1, 1))
    simple(learner, loss_goal=0.02)
    assert learner.loss() <= 0.02
    learner._check()


def test_custom_goal_and_points_per_ask():
    learner = Learner1D(math.sin, (0, 3))
    simple(learner, goal=lambda lrn: lrn.npoints >= 20, points_per_ask=7)
    assert 20 <= learner.npoints < 27


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_points_per_ask_is_validated(bad):
    with pytest.raises(ValueError, match="points_per_ask must be a whole number >= 1"):
        simple(Learner1D(math.sin, (0, 1)), npoints_goal=3, points_per_ask=bad)


def test_invalid_goal_raises_before_running():
    learner = Learner1D(math.sin, (0, 1))
    with pytest.raises(ValueError, match="npoints_goal must be a whole number"):
        simple(learner, npoints_goal=-1)
    with pytest.raises(ValueError, match="give either goal or loss_goal"):
        simple(learner, goal=lambda lrn: True, loss_goal=0.1)
    with pytest.raises(ValueError, match="does not finish by itself"):
        simple(learner)
    assert learner.npoints == 0


def test_exhausted_learner_ends_with_a_clear_error_instead_of_spinning():
    lower = 1.0
    upper = lower + 4 * math.ulp(lower)  # only 5 floats in the domain
    learner = Learner1D(lambda x: x, (lower, upper))
    with pytest.raises(LearnerExhaustedError, match=r"has no more points to suggest \(npoints=5"):
        simple(learner, npoints_goal=100)
    assert learner.npoints == 5
    with pytest.raises(LearnerExhaustedError, match="Choose a goal the learner can reach"):
        simple(learner, loss_goal=0.0)


def test_failing_function_names_the_point_and_keeps_the_data():
    def f(x):
        if x > 0.5:
            raise ValueError("boom")
        return x

    learner = Learner1D(f, (0, 1))
    with pytest.raises(ValueError, match="boom") as info:
        simple(learner, npoints_goal=10)
    assert any("learner.function(" in note for note in info.value.__notes__)
    assert learner.npoints == 1 and 0.0 in learner.data


def test_progress_display_writes_to_stderr(capsys):
    learner = Learner1D(math.sin, (0, 1))
    simple(learner, npoints_goal=40, progress=True)
    err = capsys.readouterr().err
    assert "40/40" in err and "loss=" in err


def test_no_progress_when_not_a_terminal(capsys):
    simple(Learner1D(math.sin, (0, 1)), npoints_goal=10)
    assert capsys.readouterr().err == ""


def test_replay_log_reproduces_a_run():
    learner = Learner1D(math.sin, (0, 2))
    log = []
    for _ in range(30):
        points, _ = learner.ask(2)
        log.append(("ask", 2))
        for x in points:
            learner.tell(x, math.sin(x))
            log.append(("tell", x, math.sin(x)))
    replayed = Learner1D(math.sin, (0, 2))
    replay_log(replayed, log)
    assert replayed.data == learner.data
    assert replayed.loss() == learner.loss()
    replayed._check()


def test_sequential_executor_runs_in_place():
    executor = SequentialExecutor()
    assert executor.submit(pow, 2, 5).result() == 32
    failing = executor.submit(math.sqrt, -1)
    assert isinstance(failing.exception(), ValueError)
    assert list(executor.map(abs, [-1, -2])) == [1, 2]
    executor.shutdown()
