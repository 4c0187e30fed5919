"""AverageLearner: the learner contract, the loss, its errors, save/load, DataFrames, runs."""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import adaptive_nb
from adaptive_nb.executors import SequentialExecutor
from adaptive_nb.learner.average_learner import AverageLearner
from adaptive_nb.runner import replay_log, simple

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def normal(seed: int) -> float:
    return float(np.random.default_rng(seed).normal(1.0, 0.5))


def snapshot(learner: AverageLearner) -> dict[str, Any]:
    return {
        "data": dict(learner.data),
        "pending": sorted(learner.pending_points),
        "sums": (learner.sum_f, learner.sum_f_sq),
        "loss": learner.loss(),
        "loss_pending": learner.loss(real=False),
        "ask": learner.ask(3, tell_pending=False),
    }


def check_ask(learner: AverageLearner, n: int, tell_pending: bool) -> list[int]:
    known, pending = set(learner.data), set(learner.pending_points)
    loss = learner.loss()
    points, gains = learner.ask(n, tell_pending=tell_pending)
    assert len(points) == len(gains) == n  # seeds never run out
    assert len(set(points)) == n
    assert not set(points) & (known | pending)
    taken = known | pending
    free = [s for s in range(max(taken, default=-1) + n + 2) if s not in taken]
    assert points == free[:n], "not the smallest free seeds"
    for gain in gains:
        assert gain >= 0 and (gain <= loss or math.isinf(loss))
    assert learner.pending_points == (pending | set(points) if tell_pending else pending)
    return points


seeds = st.integers(0, 30)
values = st.floats(-1e3, 1e3)


@st.composite
def learners(draw: Any) -> AverageLearner:
    tol = draw(st.sampled_from([{"atol": 0.1}, {"rtol": 0.05}, {"atol": 0.2, "rtol": 0.01}]))
    learner = AverageLearner(normal, **tol, min_npoints=draw(st.integers(0, 5)))
    for seed, value in draw(st.lists(st.tuples(seeds, values), max_size=10)):
        learner.tell(seed, value)
    for seed in draw(st.lists(seeds, max_size=4)):
        learner.tell_pending(seed)
    learner._check()
    return learner


@SETTINGS
@given(learner=learners(), n=st.integers(0, 8))
def test_ask_contract(learner: AverageLearner, n: int) -> None:
    check_ask(learner, n, tell_pending=True)
    learner._check()


@SETTINGS
@given(learner=learners(), n=st.integers(0, 8))
def test_ask_without_tell_pending_changes_nothing(learner: AverageLearner, n: int) -> None:
    before = snapshot(learner)
    points = check_ask(learner, n, tell_pending=False)
    assert snapshot(learner) == before
    assert learner.ask(n)[0] == points


@SETTINGS
@given(learner=learners())
def test_adding_existing_data_is_idempotent(learner: AverageLearner) -> None:
    before = snapshot(learner)
    items = list(learner.data.items())
    for seed, y in items:
        learner.tell(seed, y + 1)
        learner.tell_pending(seed)
    learner.tell_many([s for s, _ in items], [y for _, y in items])
    learner._set_data(learner._get_data())
    learner._check()
    assert snapshot(learner) == before


@SETTINGS
@given(items=st.lists(st.tuples(seeds, values), max_size=15, unique_by=lambda t: t[0]))
def test_statistics_match_numpy_and_order_does_not_matter(items: list) -> None:
    forward, backward = AverageLearner(normal, atol=0.1), AverageLearner(normal, atol=0.1)
    for seed, y in items:
        forward.tell(seed, y)
    backward.tell_many([s for s, _ in reversed(items)], [y for _, y in reversed(items)])
    for learner in (forward, backward):
        learner._check()
        ys = np.array([y for _, y in items])
        if len(ys):
            assert math.isclose(learner.mean, ys.mean(), rel_tol=1e-9, abs_tol=1e-9)
        if len(ys) >= 2:
            assert math.isclose(learner.std, ys.std(ddof=1), rel_tol=1e-6, abs_tol=1e-9)
    assert math.isclose(forward.loss(), backward.loss(), rel_tol=1e-6, abs_tol=1e-12)


class AverageMachine(RuleBasedStateMachine):
    @initialize(min_npoints=st.integers(0, 4))
    def make(self, min_npoints: int) -> None:
        self.learner = AverageLearner(normal, atol=0.1, rtol=0.1, min_npoints=min_npoints)
        self.data: dict[int, float] = {}
        self.pending: set[int] = set()

    @rule(n=st.integers(0, 4), tell_pending=st.booleans())
    def ask(self, n: int, tell_pending: bool) -> None:
        points = check_ask(self.learner, n, tell_pending)
        if tell_pending:
            self.pending.update(points)

    @precondition(lambda self: self.learner.pending_points)
    @rule(data=st.data())
    def tell_pending_point(self, data: Any) -> None:
        seed = data.draw(st.sampled_from(sorted(self.learner.pending_points)))
        self.learner.tell(seed, normal(seed))
        self.data.setdefault(seed, normal(seed))
        self.pending.discard(seed)

    @rule(seed=seeds, y=values)
    def tell_any(self, seed: int, y: float) -> None:
        self.learner.tell(seed, y)
        if seed not in self.data:
            self.data[seed] = y
            self.pending.discard(seed)

    @rule(seed=seeds)
    def tell_pending(self, seed: int) -> None:
        self.learner.tell_pending(seed)
        if seed not in self.data:
            self.pending.add(seed)

    @rule(bad=st.sampled_from([(-1, 1.0), (1.5, 1.0), ("1", 1.0), (999, math.nan), (999, "a")]))
    def bad_tell_changes_nothing(self, bad: tuple) -> None:
        before = snapshot(self.learner)
        with pytest.raises(ValueError, match="AverageLearner"):
            self.learner.tell_many([1000, bad[0]], [1.0, bad[1]])
        assert snapshot(self.learner) == before

    @rule()
    def remove_unfinished(self) -> None:
        self.learner.remove_unfinished()
        self.pending.clear()

    @invariant()
    def check(self) -> None:
        if not hasattr(self, "learner"):
            return
        self.learner._check()
        assert self.learner.data == self.data
        assert self.learner.pending_points == self.pending
        assert self.learner.n_requested == len(self.data) + len(self.pending)
        assert self.learner.loss(real=False) <= self.learner.loss()


AverageMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=20, deadline=None)
TestAverageMachine = AverageMachine.TestCase


# -- loss and statistics --------------------------------------------------------------------


def test_loss_formula() -> None:
    learner = AverageLearner(normal, atol=0.1, rtol=0.01)
    assert learner.loss() == math.inf and math.isnan(learner.mean)
    assert learner.loss(real=False) == math.inf  # python-adaptive divides by zero here
    learner.tell(0, 1.0)
    assert learner.std == math.inf and learner.loss() == math.inf
    learner.tell(1, 3.0)
    se = math.sqrt(2) / math.sqrt(2)
    assert learner.mean == 2.0 and math.isclose(learner.std, math.sqrt(2))
    assert math.isclose(learner.loss(), max(se / 0.1, se / (0.01 * 2)))
    se8 = math.sqrt(2) / math.sqrt(8)
    assert math.isclose(learner.loss(n=8), max(se8 / 0.1, se8 / (0.01 * 2)))
    learner.tell_pending(2)
    learner.tell_pending(3)
    assert math.isclose(learner.loss(real=False), learner.loss(n=4))
    assert learner.n_requested == 4 and learner.npoints == 2
    assert learner.sum_f == 4.0 and learner.sum_f_sq == 10.0
    value = learner.loss()
    assert learner._cache["loss"] == value  # what live_info shows


def test_relative_loss_with_zero_mean_uses_rtol_alone() -> None:
    learner = AverageLearner(normal, rtol=0.5)
    learner.tell_many([0, 1], [-1.0, 1.0])
    assert learner.mean == 0.0
    assert math.isclose(learner.loss(), (math.sqrt(2) / math.sqrt(2)) / 0.5)


def test_min_npoints() -> None:
    learner = AverageLearner(normal, atol=1, min_npoints=4)
    learner.tell_many(range(3), [1.0, 2.0, 3.0])
    assert learner.loss() == math.inf and learner.std == math.inf
    assert learner.ask(1)[1] == [math.inf]
    learner.tell(3, 4.0)
    assert math.isfinite(learner.loss())
    assert AverageLearner(normal, atol=1, min_npoints=0).min_npoints == 2


def test_std_is_accurate_for_a_small_spread() -> None:
    learner = AverageLearner(normal, atol=1e-12)
    ys = [1e8 + 1e-3 * k for k in range(10)]
    learner.tell_many(range(10), ys)
    assert math.isclose(learner.std, np.std(ys, ddof=1), rel_tol=1e-5)
    naive = (learner.sum_f_sq - 10 * learner.mean**2) / 9  # what the plain sums would give
    assert not math.isclose(math.sqrt(max(naive, 0)), np.std(ys, ddof=1), rel_tol=1e-2)


def test_ask_fills_gaps_then_continues() -> None:
    learner = AverageLearner(normal, atol=1)
    learner.tell(1, 1.0)
    learner.tell_pending(3)
    assert learner.ask(4) == ([0, 2, 4, 5], [math.inf] * 4)
    learner.remove_unfinished()
    assert learner.ask(2)[0] == [0, 2]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "give at least one of atol and rtol"),
        ({"atol": -1}, "atol must be a positive number .or None., got -1"),
        ({"atol": 0}, "atol must be a positive number"),
        ({"rtol": -0.1}, "rtol must be a positive number .or None., got -0.1"),
        ({"rtol": math.nan}, "rtol must be a positive number"),
        ({"rtol": "1"}, "rtol must be a positive number"),
        ({"atol": 1, "min_npoints": -1}, "min_npoints must be a whole number >= 0, got -1"),
        ({"atol": 1, "min_npoints": 2.5}, "min_npoints must be a whole number"),
    ],
)
def test_constructor_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        AverageLearner(normal, **kwargs)


def test_other_errors() -> None:
    with pytest.raises(TypeError, match="function must be callable, got 3"):
        AverageLearner(3, atol=1)
    learner = AverageLearner(normal, atol=1)
    for seed, match in [
        (-2, "seeds are >= 0, got -2"),
        (np.int64(-2), "seeds are >= 0"),
        (1.0, "points are whole-number seeds, got 1.0"),
        (True, "whole-number seeds, got True"),
    ]:
        with pytest.raises(ValueError, match=match):
            learner.tell(seed, 1.0)
        with pytest.raises(ValueError, match=match):
            learner.tell_pending(seed)
    for value, match in [
        (math.inf, r"function\(0\) returned inf; AverageLearner needs finite values"),
        (None, r"function\(0\) returned None; AverageLearner needs a real number"),
        (np.ones(2), "needs a real number"),
    ]:
        with pytest.raises(ValueError, match=match):
            learner.tell(0, value)
    with pytest.raises(ValueError, match="n must be a whole number >= 0, got -1"):
        learner.loss(n=-1)
    with pytest.raises(ValueError, match="tell_many got 2 points but 1 values"):
        learner.tell_many([0, 1], [1.0])
    with pytest.raises(ValueError, match="data is a dict"):
        learner._set_data([1.0])
    with pytest.raises(ValueError, match="expected arrays seed"):
        learner._from_arrays({"seed": np.arange(2)})
    with pytest.raises(ValueError, match="expected integer seeds, got an array of dtype float"):
        learner._from_arrays({"seed": np.arange(2.0), "y": np.arange(2.0)})
    with pytest.raises(ValueError, match=r"ask\(n\) needs a whole number"):
        learner.ask(1.5)
    assert learner.npoints == 0 and not learner.pending_points


def test_numpy_values_and_seeds() -> None:
    learner = AverageLearner(normal, atol=1)
    learner.tell(np.int32(3), np.float32(2.5))
    assert learner.data == {3: 2.5} and type(next(iter(learner.data))) is int


# -- new, numpy, save / load, pickle, DataFrames, plot --------------------------------------


def test_new_and_to_numpy() -> None:
    learner = AverageLearner(normal, atol=0.5, min_npoints=3)
    assert learner.to_numpy().shape == (0, 2)
    learner.tell_many([2, 0], [5.0, 1.0])
    np.testing.assert_array_equal(learner.to_numpy(), [[0, 1.0], [2, 5.0]])
    fresh = learner.new()
    assert (fresh.atol, fresh.rtol, fresh.min_npoints) == (0.5, math.inf, 3)
    assert fresh.npoints == 0 and fresh.function is normal


def test_save_load_round_trip_needs_no_pickle(tmp_path: Any) -> None:
    learner = AverageLearner(normal, atol=0.01)
    simple(learner, npoints_goal=20)
    learner.save(tmp_path / "a.npz")
    loaded = learner.new()
    loaded.load(tmp_path / "a.npz")  # numbers only: no allow_pickle needed
    assert loaded.data == learner.data
    assert math.isclose(loaded.mean, learner.mean) and math.isclose(loaded.loss(), learner.loss())
    loaded._check()


def test_load_legacy_adaptive_payload() -> None:
    learner = AverageLearner(normal, atol=0.1)
    learner._set_data(({0: 1.0, 1: 2.0}, 2, 3.0, 5.0))
    assert learner.sum_f == 3.0 and learner.sum_f_sq == 5.0
    learner._check()


def test_pickle_round_trip() -> None:
    learner = AverageLearner(normal, atol=0.1)
    simple(learner, npoints_goal=5)
    copy = pickle.loads(pickle.dumps(learner))
    assert copy.data == learner.data and copy.loss() == learner.loss()


def test_dataframe_round_trip() -> None:
    pytest.importorskip("pandas")
    learner = AverageLearner(normal, rtol=0.1)
    simple(learner, npoints_goal=6)
    df = learner.to_dataframe(seed_name="s", y_name="value")
    assert list(df.columns) == ["s", "value"]
    assert df.attrs == {"inputs": ["s"], "output": "value"}
    loaded = learner.new()
    loaded.load_dataframe(df, seed_name="s", y_name="value")
    assert loaded.data == learner.data
    assert type(next(iter(loaded.data))) is int
    loaded._check()


def test_plot() -> None:
    hv = pytest.importorskip("holoviews")
    learner = AverageLearner(normal, atol=0.1)
    assert isinstance(learner.plot(), hv.Histogram)
    assert len(learner.plot().data["Frequency"]) == 0
    simple(learner, npoints_goal=49)
    plot = learner.plot()
    assert isinstance(plot, hv.Histogram)
    assert plot.kdims[0].name == "y"
    assert plot.data["Frequency"].sum() == 49 and len(plot.data["Frequency"]) == 7


# -- runs -----------------------------------------------------------------------------------


def test_simple_and_blocking_runner_reach_the_loss_goal() -> None:
    learner = AverageLearner(normal, atol=0.05)
    simple(learner, loss_goal=1.0)
    assert learner.loss() <= 1.0 and learner.npoints >= 2
    other = learner.new()
    adaptive_nb.BlockingRunner(other, loss_goal=1.0, executor=SequentialExecutor())
    assert other.loss() <= 1.0
    assert not learner.finishes_by_itself and not learner.done()


def test_replay_log() -> None:
    learner = AverageLearner(normal, atol=0.05)
    runner = adaptive_nb.BlockingRunner(
        learner, npoints_goal=15, executor=SequentialExecutor(), log=True
    )
    replayed = learner.new()
    replay_log(replayed, runner.log)
    assert replayed.data == learner.data and replayed.loss() == learner.loss()
