"""AverageLearner1D: sampling rule, parameters and errors, data formats, runs."""

from __future__ import annotations

import math
import pickle
import random
import sys
from typing import Any

import numpy as np
import pytest

import adaptive_nb
from adaptive_nb.errors import IncompatibleFileError, LearnerExhaustedError
from adaptive_nb.executors import SequentialExecutor
from adaptive_nb.learner.average_learner1D import AverageLearner1D
from adaptive_nb.learner.learner1D import Learner1D, curvature_loss_function
from adaptive_nb.runner import replay_log, simple


def noisy(point: tuple[int, float], width: float = 0.1, noise: float = 0.05) -> float:
    seed, x = point
    return x + width**2 / (width**2 + x**2) + random.Random(hash((seed, x))).gauss(0, noise)


def run(learner: AverageLearner1D, nsamples: int, batch: int = 1) -> None:
    while learner.nsamples < nsamples:
        points, _ = learner.ask(batch)
        assert points
        for point in points:
            learner.tell(point, learner.function(point))


# -- the sampling rule ----------------------------------------------------------------------


def test_new_points_first_get_min_samples_bounds_first() -> None:
    learner = AverageLearner1D(noisy, (-1, 1), min_samples=4)
    points, gains = learner.ask(10)
    assert points == [(s, -1.0) for s in range(4)] + [(s, 1.0) for s in range(4)] + [
        (0, 0.0),
        (1, 0.0),
    ]
    assert gains == [math.inf] * 10
    assert learner.loss() == math.inf


def test_neighbor_sampling_sets_the_initial_samples() -> None:
    learner = AverageLearner1D(noisy, (0, 1), min_samples=2, neighbor_sampling=0.5)
    learner.tell_many_at_point(0.0, {s: 0.0 for s in range(30)})
    learner.tell_many_at_point(1.0, {s: 1.0 for s in range(10)})
    points, _ = learner.ask(12)  # noise-free ends: nothing to resample, a new x at 0.5
    assert points == [(s, 0.5) for s in range(10)] + [(0, 0.25), (1, 0.25)]


def test_noisy_points_are_resampled_while_the_rescaled_error_exceeds_delta() -> None:
    learner = AverageLearner1D(noisy, (-1, 1), min_samples=5, delta=0.3)
    run(learner, 3000)
    learner._check()
    assert max(len(s) for s in learner._data_samples.values()) > 5, "no point was resampled"
    branches = set()
    for _ in range(400):
        x_best, worst = max(learner._prio.items(), key=lambda item: item[1])
        [(seed, x)], _ = learner.ask(1)
        if worst > 0.3:  # the point with the largest rescaled error is resampled ...
            assert x == x_best and seed == len(learner._data_samples[x])
        elif x not in learner.data:  # ... or, when every point is precise enough, a new x
            branches.add("new")  # is added and then gets its min_samples
        learner.tell((seed, x), noisy((seed, x)))
        branches.add("resample" if worst > 0.3 else "other")
    assert {"new", "resample"} <= branches


def test_constant_function_is_not_resampled() -> None:
    learner = AverageLearner1D(lambda p: 2.0, (0, 1), min_samples=3)
    simple(learner, npoints_goal=20)
    counts = sorted(len(s) for s in learner._data_samples.values())
    assert counts[0] == 1 and counts[1:] == [3] * 19  # the newest x has its first sample
    assert sorted(learner.error.values()) == [0.0] * 19 + [math.inf]
    assert learner.loss() == pytest.approx(1 / 16)


def test_max_samples_and_min_error_stop_resampling() -> None:
    capped = AverageLearner1D(noisy, (-1, 1), min_samples=3, max_samples=7)
    run(capped, 600)
    assert max(len(s) for s in capped._data_samples.values()) <= 7
    loose = AverageLearner1D(noisy, (-1, 1), min_samples=3, min_error=10.0)
    run(loose, 600)
    assert max(len(s) for s in loose._data_samples.values()) == 3


def test_parallel_ask_spreads_over_points() -> None:
    learner = AverageLearner1D(noisy, (-1, 1), min_samples=3)
    run(learner, 300)
    points, _ = learner.ask(40)
    assert len({x for _, x in points}) > 3
    learner._check()


def test_seeds_are_the_smallest_free_ones() -> None:
    learner = AverageLearner1D(noisy, (0, 1), min_samples=5)
    learner.tell((3, 0.0), 1.0)
    learner.tell_pending((0, 0.0))
    points, _ = learner.ask(3)
    assert points == [(1, 0.0), (2, 0.0), (4, 0.0)]


def test_nan_and_inf_samples_keep_the_loss_finite() -> None:
    def f(point: tuple[int, float]) -> float:
        x = point[1]
        return math.nan if x > 0.5 else (math.inf if x < -0.5 else noisy(point))

    learner = AverageLearner1D(f, (-1, 1), min_samples=3)
    simple(learner, loss_goal=0.05)
    learner._check()
    assert math.isfinite(learner.loss()) and learner.loss() <= 0.05
    assert math.isnan(learner.data[1.0]) and learner.data[-1.0] == math.inf
    # more samples cannot make a NaN mean finite: x = 1 keeps its first sample only
    assert learner.error[1.0] == math.inf and len(learner._data_samples[1.0]) == 1


@pytest.mark.parametrize(
    ("function", "kwargs"),
    [
        (noisy, {"min_samples": 1, "max_samples": 1}),
        (noisy, {"min_samples": 1}),
        (lambda p: 1.0, {}),
        (lambda p: 1.0, {"min_samples": 1, "max_samples": 1}),
        (lambda p: math.nan, {"min_samples": 2}),
        (noisy, {"min_samples": 2, "delta": 1e-9, "max_samples": 3}),
    ],
)
def test_npoints_goal_is_reached(function: Any, kwargs: dict) -> None:
    learner = AverageLearner1D(function, (0, 1), **kwargs)
    simple(learner, npoints_goal=25)
    assert learner.npoints >= 25
    learner._check()


def test_exhausted_learner_raises_instead_of_spinning() -> None:
    bounds = (1.0, 1.0 + 4 * 2.0**-52)  # only five floats
    learner = AverageLearner1D(lambda p: 1.0, bounds, min_samples=1, max_samples=2)
    with pytest.raises(LearnerExhaustedError, match="no more points"):
        simple(learner, npoints_goal=10)
    # one more sample per x shows that the spread is zero; then none is resampled
    assert learner.npoints == 5 and learner.nsamples == 10


def test_noisy_points_keep_being_resampled_when_no_x_fits() -> None:
    bounds = (1.0, 1.0 + 4 * 2.0**-52)
    learner = AverageLearner1D(noisy, bounds, min_samples=2, max_samples=4)
    with pytest.raises(LearnerExhaustedError):
        simple(learner, npoints_goal=10)
    assert learner.nsamples == 5 * 4


def test_loss_with_pending_points() -> None:
    learner = AverageLearner1D(noisy, (0, 1), min_samples=1, max_samples=1)
    simple(learner, npoints_goal=9)
    real = learner.loss()
    learner.ask(4)
    assert learner.loss() == real
    assert learner.loss(real=False) < real


def test_nth_neighbor_loss() -> None:
    learner = AverageLearner1D(noisy, (-1, 1), curvature_loss_function(), min_samples=3)
    run(learner, 500, batch=3)
    learner._check()
    assert math.isfinite(learner.loss())


def test_changing_parameters_revalidates_and_rebuilds() -> None:
    learner = AverageLearner1D(noisy, (-1, 1), min_samples=3)
    run(learner, 200)
    learner.alpha = 0.1
    learner.min_samples = 10
    learner.max_samples = 20
    learner.min_error = 0.01
    learner._check()
    assert (learner.alpha, learner.min_samples, learner.max_samples) == (0.1, 10, 20)
    with pytest.raises(ValueError, match=r"max_samples \(5\) must be >= min_samples \(10\)"):
        learner.max_samples = 5
    assert learner.max_samples == 20


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"delta": 0}, r"delta must be > 0 and finite, got 0\.0"),
        ({"delta": math.inf}, "delta must be > 0"),
        ({"delta": "0.2"}, "delta must be a real number, got '0.2'"),
        ({"alpha": 1}, r"alpha must satisfy 0 < alpha < 1, got 1\.0"),
        ({"alpha": math.nan}, "alpha must be a real number, got nan"),
        ({"neighbor_sampling": 1.5}, r"0 <= neighbor_sampling <= 1, got 1\.5"),
        ({"min_samples": 0}, "min_samples must be >= 1, got 0"),
        ({"min_samples": 2.5}, "min_samples must be a whole number >= 1, got 2.5"),
        ({"max_samples": 3}, r"max_samples \(3\) must be >= min_samples \(50\)"),
        ({"max_samples": "many"}, "max_samples must be a whole number"),
        ({"min_error": -1}, r"min_error must be >= 0 and finite, got -1\.0"),
        ({"bounds": (1, -1)}, "bounds are reversed"),
        ({"bounds": (0, math.nan)}, "bounds must be finite"),
        ({"loss_per_interval": 3}, "loss_per_interval must be callable, got 3"),
    ],
)
def test_constructor_errors(kwargs: dict, match: str) -> None:
    arguments = {"function": noisy, "bounds": (0, 1), **kwargs}
    error = TypeError if "callable" in match else ValueError
    with pytest.raises(error, match=match):
        AverageLearner1D(**arguments)


def test_function_must_be_callable() -> None:
    with pytest.raises(TypeError, match="function must be callable, got 1"):
        AverageLearner1D(1, (0, 1))


def test_max_samples_accepts_inf() -> None:
    assert AverageLearner1D(noisy, (0, 1), max_samples=math.inf).max_samples == sys.maxsize


@pytest.mark.parametrize(
    ("point", "y", "match"),
    [
        (0.5, 1.0, r"points are \(seed, x\) pairs, got 0\.5"),
        ((0, 0.5, 1), 1.0, r"points are \(seed, x\) pairs"),
        ((True, 0.5), 1.0, "seed of point .* must be a whole number, got True"),
        ((0.5, 0.5), 1.0, "seed of point .* must be a whole number, got 0.5"),
        ((-1, 0.5), 1.0, r"must be in \[0, 2\*\*63\), got -1"),
        ((0, 2.0), 1.0, r"x=2\.0 is outside the bounds \(0\.0, 1\.0\)"),
        ((0, "a"), 1.0, "x a real number, got x='a'"),
        ((0, 0.5), None, r"returned None; AverageLearner1D learns scalar functions"),
        ((0, 0.5), [1.0, 2.0], r"\(an array of shape \(2,\)\); AverageLearner1D learns scalar"),
        ((0, 0.5), "1", "returned '1'"),
    ],
)
def test_tell_errors_change_nothing(point: Any, y: Any, match: str) -> None:
    learner = AverageLearner1D(noisy, (0, 1), min_samples=2)
    run(learner, 10)
    before = (dict(learner._data_samples), set(learner.pending_points))
    with pytest.raises(ValueError, match=match):
        learner.tell(point, y)
    with pytest.raises(ValueError, match=match):
        learner.tell_many([(5, 0.0), point], [1.0, y])  # checked before anything changes
    assert (dict(learner._data_samples), set(learner.pending_points)) == before
    learner._check()


def test_other_errors() -> None:
    learner = AverageLearner1D(noisy, (0, 1))
    with pytest.raises(ValueError, match=r"ask\(n\) needs n >= 0, got -1"):
        learner.ask(-1)
    with pytest.raises(ValueError, match="tell_many got 2 points but 1 values"):
        learner.tell_many([(0, 0.0), (1, 0.0)], [1.0])
    with pytest.raises(ValueError, match=r"seed_y_mapping must be a dict \{seed: y\}, got list"):
        learner.tell_many_at_point(0.5, [1.0])
    with pytest.raises(ValueError, match=r"x=3\.0 is outside the bounds"):
        learner.tell_pending((0, 3.0))
    with pytest.raises(ValueError, match=r"data is a dict \{x: \{seed: y\}\}, got list"):
        learner._set_data([1, 2])
    with pytest.raises(ValueError, match="expected arrays seed, x and y of one shape"):
        learner._from_arrays({"seed": np.zeros(2, dtype=int), "x": np.zeros(3)})
    with pytest.raises(ValueError, match="expected integer seeds, got an array of dtype float64"):
        learner._from_arrays({"seed": np.zeros(2), "x": np.zeros(2), "y": np.zeros(2)})
    assert learner.nsamples == 0 and not learner.pending_points
    np_values = AverageLearner1D(noisy, (0, 1))
    np_values.tell((np.int64(2), np.float32(0.5)), np.float64(1.5))
    np_values.tell((3, 0.5), np.array([2.5]))
    assert np_values.data == {0.5: 2.0} and np_values._data_samples[0.5] == {2: 1.5, 3: 2.5}


# -- data formats ---------------------------------------------------------------------------


def test_to_numpy() -> None:
    learner = AverageLearner1D(noisy, (0, 1), min_samples=3)
    assert learner.to_numpy().shape == (0, 3) and learner.to_numpy(mean=True).shape == (0, 2)
    run(learner, 40)
    rows = learner.to_numpy()
    assert rows.shape == (learner.nsamples, 3)
    for seed, x, y in rows:
        assert learner._data_samples[x][int(seed)] == y
    means = learner.to_numpy(mean=True)
    assert means[:, 0].tolist() == sorted(learner.data)
    assert means[:, 1].tolist() == [learner.data[x] for x in sorted(learner.data)]


def test_save_load_round_trip_continues_identically(tmp_path: Any) -> None:
    learner = AverageLearner1D(noisy, (-1, 1), min_samples=4)
    while learner.nsamples < 400:  # told out of order, as from parallel workers
        points, _ = learner.ask(7)
        for point in reversed(points[1:]):
            learner.tell(point, noisy(point))
    learner.tell((0, 0.123), math.nan)
    learner.tell((0, 0.321), math.inf)
    fname = tmp_path / "average1d.npz"
    learner.save(fname)
    other = learner.new()
    other.load(fname)
    other._check()
    np.testing.assert_array_equal(other.to_numpy(), learner.to_numpy())  # NaN == NaN here
    np.testing.assert_array_equal(other.to_numpy(mean=True), learner.to_numpy(mean=True))
    assert dict(other.error) == dict(learner.error)
    assert other.loss() == learner.loss()
    learner.remove_unfinished()  # pending samples are not saved
    for _ in range(30):  # both go on asking the same points
        mine, theirs = learner.ask(3), other.ask(3)
        assert mine == theirs
        for point in mine[0]:
            learner.tell(point, noisy(point))
            other.tell(point, noisy(point))
    with pytest.raises(IncompatibleFileError, match="holds a 'AverageLearner1D' learner"):
        Learner1D(math.sin, (-1, 1)).load(fname)


def test_bulk_load_checks_like_tell_many() -> None:
    good = {"seed": np.array([0, 1, 0]), "x": np.array([0.5, 0.5, 1.0]), "y": np.ones(3)}
    learner = AverageLearner1D(noisy, (0, 1))
    learner._from_arrays(good)
    assert learner.data == {0.5: 1.0, 1.0: 1.0} and learner.nsamples == 3
    twice = {**good, "y": np.array([1.0, 2.0, 3.0]), "seed": np.array([0, 0, 0])}
    learner = AverageLearner1D(noisy, (0, 1))
    learner._from_arrays(twice)  # the same (seed, x) twice: the first value is kept
    assert learner._data_samples[0.5] == {0: 1.0}
    outside = {**good, "x": np.array([0.5, 0.5, 2.0])}
    with pytest.raises(ValueError, match=r"x=2\.0 is outside the bounds"):
        AverageLearner1D(noisy, (0, 1))._from_arrays(outside)
    negative = {**good, "seed": np.array([0, -1, 0])}
    with pytest.raises(ValueError, match=r"must be in \[0, 2\*\*63\), got -1"):
        AverageLearner1D(noisy, (0, 1))._from_arrays(negative)


def test_load_of_adaptive_payload_and_pickle() -> None:
    payload = {0.0: {0: 1.0, 1: 3.0}, 1.0: {0: 5.0}}  # python-adaptive's _data_samples
    learner = AverageLearner1D(noisy, (0, 1))
    learner._set_data(payload)
    assert learner.data == {0.0: 2.0, 1.0: 5.0} and learner._get_data() == payload
    learner.ask(5)
    copy = pickle.loads(pickle.dumps(learner))
    copy._check()
    assert copy._get_data() == payload and copy.pending_points == learner.pending_points
    assert copy.ask(7) == learner.ask(7)


def test_dataframe_round_trip() -> None:
    pytest.importorskip("pandas")
    learner = AverageLearner1D(noisy, (0, 1), min_samples=3)
    run(learner, 30)
    df = learner.to_dataframe()
    assert list(df.columns[:3]) == ["seed", "x", "y"] and len(df) == learner.nsamples
    assert df.attrs["inputs"] == ["seed", "x"] and "function.width" in df.columns
    other = learner.new()
    other.load_dataframe(df)
    assert dict(other._data_samples) == dict(learner._data_samples)
    means = learner.to_dataframe(mean=True, with_default_function_args=False, x_name="a")
    assert list(means.columns) == ["a", "y"] and len(means) == learner.npoints
    with pytest.raises(ValueError, match="the DataFrame has no column 'seed'"):
        learner.new().load_dataframe(means)


# -- runners --------------------------------------------------------------------------------


def test_simple_and_blocking_runners() -> None:
    learner = AverageLearner1D(noisy, (-1, 1), min_samples=3)
    simple(learner, npoints_goal=12)
    assert learner.npoints >= 12
    sequential = AverageLearner1D(noisy, (-1, 1), min_samples=3)
    adaptive_nb.BlockingRunner(sequential, npoints_goal=12, executor=SequentialExecutor())
    assert sequential.npoints >= 12
    sequential._check()


def test_blocking_runner_with_the_default_loky_executor() -> None:
    learner = AverageLearner1D(lambda p: p[1] ** 2 + 0.01 * (p[0] % 3), (-1, 1), min_samples=2)
    adaptive_nb.BlockingRunner(learner, npoints_goal=15)
    assert learner.npoints >= 15
    assert not learner.pending_points
    learner._check()


def test_replay_log() -> None:
    learner = AverageLearner1D(noisy, (-1, 1), min_samples=3)
    runner = adaptive_nb.BlockingRunner(
        learner, npoints_goal=10, executor=SequentialExecutor(), log=True
    )
    replayed = learner.new()
    replay_log(replayed, runner.log)
    assert dict(replayed._data_samples) == dict(learner._data_samples)
    assert replayed.loss() == learner.loss()
    assert replayed.ask(5, tell_pending=False) == learner.ask(5, tell_pending=False)
