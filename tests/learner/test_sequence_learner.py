"""SequenceLearner: the learner contract, its errors, save/load, DataFrames and runs."""

from __future__ import annotations

import asyncio
import math
import pickle
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import adaptive_nb
from adaptive_nb.errors import IncompatibleFileError, PickleNotAllowedError
from adaptive_nb.executors import SequentialExecutor
from adaptive_nb.learner.sequence_learner import LearnerNotDoneError, SequenceLearner
from adaptive_nb.runner import replay_log, simple

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def square(x: float) -> float:
    return x * x


def total(x: list[int]) -> int:
    return sum(x)


def snapshot(learner: SequenceLearner) -> dict[str, Any]:
    return {
        "data": dict(learner.data),
        "pending": sorted(learner.pending_points),
        "loss": learner.loss(),
        "loss_pending": learner.loss(real=False),
        "ask": learner.ask(3, tell_pending=False),
    }


def check_ask(learner: SequenceLearner, n: int, tell_pending: bool) -> list[tuple[int, Any]]:
    known, pending = set(learner.data), set(learner.pending_points)
    remaining = len(learner.sequence) - len(known) - len(pending)
    points, gains = learner.ask(n, tell_pending=tell_pending)
    assert len(points) == len(gains) == min(n, remaining)
    indices = [i for i, _ in points]
    assert len(set(indices)) == len(indices)
    assert not set(indices) & (known | pending)
    assert indices == sorted(indices)
    assert all(learner.sequence[i] is x for i, x in points)
    assert all(g == 1 / len(learner.sequence) for g in gains)
    assert learner.pending_points == (pending | set(indices) if tell_pending else pending)
    return points


@st.composite
def learners(draw: Any) -> SequenceLearner:
    sequence = draw(st.lists(st.integers(-5, 5), min_size=0, max_size=12))
    learner = SequenceLearner(square, sequence)
    for _ in range(draw(st.integers(0, 4))):
        points, _ = learner.ask(draw(st.integers(0, 4)))
        for point in draw(
            st.lists(st.sampled_from(points), unique=True) if points else st.just([])
        ):
            learner.tell(point, learner.function(point))
    learner._check()
    return learner


@SETTINGS
@given(learner=learners(), n=st.integers(0, 15))
def test_ask_contract(learner: SequenceLearner, n: int) -> None:
    check_ask(learner, n, tell_pending=True)
    learner._check()


@SETTINGS
@given(learner=learners(), n=st.integers(0, 15))
def test_ask_without_tell_pending_changes_nothing(learner: SequenceLearner, n: int) -> None:
    before = snapshot(learner)
    points = check_ask(learner, n, tell_pending=False)
    assert snapshot(learner) == before
    assert learner.ask(n)[0] == points


@SETTINGS
@given(learner=learners())
def test_adding_existing_data_is_idempotent(learner: SequenceLearner) -> None:
    before = snapshot(learner)
    items = list(learner.data.items())
    for i, y in items:
        learner.tell((i, learner.sequence[i]), y + 1)  # the first value is kept
        learner.tell_pending((i, learner.sequence[i]))  # told points are never pending
    learner.tell_many([(i, None) for i, _ in items], [y for _, y in items])
    learner._set_data(dict(items))
    learner._check()
    assert snapshot(learner) == before


class SequenceMachine(RuleBasedStateMachine):
    """Random call sequences against a model of data and pending indices."""

    @initialize(sequence=st.lists(st.integers(0, 9), max_size=10))
    def make(self, sequence: list[int]) -> None:
        self.learner = SequenceLearner(square, sequence)
        self.data: dict[int, int] = {}
        self.pending: set[int] = set()

    def _index(self, data: Any) -> int:
        return data.draw(st.integers(0, len(self.learner.sequence) - 1))

    @rule(n=st.integers(0, 5), tell_pending=st.booleans())
    def ask(self, n: int, tell_pending: bool) -> None:
        points = check_ask(self.learner, n, tell_pending)
        if tell_pending:
            self.pending.update(i for i, _ in points)

    @precondition(lambda self: self.learner.sequence)
    @rule(data=st.data(), y=st.integers())
    def tell(self, data: Any, y: int) -> None:
        i = self._index(data)
        self.learner.tell((i, self.learner.sequence[i]), y)
        self.data.setdefault(i, y)
        self.pending.discard(i)

    @precondition(lambda self: self.learner.sequence)
    @rule(data=st.data())
    def tell_pending(self, data: Any) -> None:
        i = self._index(data)
        self.learner.tell_pending((i, self.learner.sequence[i]))
        if i not in self.data:
            self.pending.add(i)

    @rule(bad=st.sampled_from([-1, 10**6, 1.5, "0", None]))
    def bad_tell_changes_nothing(self, bad: Any) -> None:
        before = snapshot(self.learner)
        with pytest.raises(ValueError, match=r"SequenceLearner|outside the sequence"):
            self.learner.tell_many([(0, None), (bad, None)], [1, 2])
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
        assert dict(self.learner.data) == self.data
        assert self.learner.pending_points == self.pending
        assert self.learner.done() == (len(self.data) == len(self.learner.sequence))
        assert 0 <= self.learner.loss(real=False) <= self.learner.loss() <= 1


SequenceMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=20, deadline=None)
TestSequenceMachine = SequenceMachine.TestCase


# -- behaviour and errors -------------------------------------------------------------------


def test_points_are_index_element_pairs_and_function_sees_the_element() -> None:
    learner = SequenceLearner(square, [3, 4, 5])
    points, gains = learner.ask(2)
    assert points == [(0, 3), (1, 4)]
    assert gains == [1 / 3, 1 / 3]
    assert learner.pending_points == {0, 1}
    assert learner.function((2, 5)) == 25
    assert learner.ask(5) == ([(2, 5)], [1 / 3])
    assert learner.ask(5) == ([], [])
    assert learner.loss() == 1 and learner.loss(real=False) == 0
    for point in [(0, 3), (1, 4), (2, 5)]:
        learner.tell(point, learner.function(point))
    assert learner.done() and learner.loss() == 0
    assert learner.result() == [9, 16, 25]
    assert learner.finishes_by_itself


def test_unhashable_elements_and_values() -> None:
    learner = SequenceLearner(lambda x: {"sum": sum(x)}, [[1, 2], [3], np.arange(3)])
    simple(learner)
    assert learner.result() == [{"sum": 3}, {"sum": 3}, {"sum": 3}]


def test_empty_sequence_is_done() -> None:
    learner = SequenceLearner(square, [])
    assert learner.done() and learner.loss() == 0 and learner.result() == []
    assert learner.ask(3) == ([], [])


def test_generator_sequence_is_copied_to_a_list() -> None:
    learner = SequenceLearner(square, (x for x in range(3)))
    assert learner.sequence == [0, 1, 2]


def test_remove_unfinished_hands_points_out_again() -> None:
    learner = SequenceLearner(square, range(4))
    learner.ask(3)
    learner.tell((1, 1), 1)
    learner.remove_unfinished()
    assert learner.pending_points == set()
    assert learner.ask(4)[0] == [(0, 0), (2, 2), (3, 3)]


def test_new_is_empty_with_same_function_and_sequence() -> None:
    learner = SequenceLearner(square, [1, 2])
    simple(learner)
    fresh = learner.new()
    assert fresh.npoints == 0 and fresh.sequence == [1, 2] and fresh.function((0, 3)) == 9


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((1, [1]), TypeError, "function must be callable, got 1"),
        ((square, 5), TypeError, "sequence must be a sequence or an iterable, got 5"),
    ],
)
def test_constructor_errors(args: tuple, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        SequenceLearner(*args)


@pytest.mark.parametrize(
    ("point", "match"),
    [
        (0, r"points are pairs \(index, element\) as returned by ask, got 0"),
        ((0, 1, 2), r"pairs \(index, element\)"),
        ((1.0, 1), "indices are whole numbers, got 1.0"),
        ((True, 1), "indices are whole numbers, got True"),
        ((3, 1), r"index 3 is outside the sequence, whose indices are 0 to 2 \(length 3\)"),
        ((-1, 1), "index -1 is outside the sequence"),
    ],
)
def test_bad_points_raise_and_change_nothing(point: Any, match: str) -> None:
    learner = SequenceLearner(square, [1, 2, 3])
    for call in (lambda: learner.tell(point, 1), lambda: learner.tell_pending(point)):
        with pytest.raises(ValueError, match=match):
            call()
    assert learner.npoints == 0 and not learner.pending_points


def test_numpy_integer_index_is_accepted() -> None:
    learner = SequenceLearner(square, [1, 2, 3])
    learner.tell((np.int64(1), 2), 4)
    assert list(learner.data.items()) == [(1, 4)] and type(next(iter(learner.data))) is int


def test_other_errors() -> None:
    learner = SequenceLearner(square, [1, 2, 3])
    with pytest.raises(ValueError, match=r"ask\(n\) needs n >= 0, got -1"):
        learner.ask(-1)
    with pytest.raises(ValueError, match="tell_many got 1 points but 2 values"):
        learner.tell_many([(0, 1)], [1, 2])
    with pytest.raises(ValueError, match=r"data is a dict \{index: value\}, got list"):
        learner._set_data([1])
    with pytest.raises(ValueError, match="expected arrays index"):
        learner._from_arrays({"index": np.arange(2), "y": np.arange(3)})
    with pytest.raises(ValueError, match="expected integer indices, got an array of dtype float"):
        learner._from_arrays({"index": np.arange(2.0), "y": np.arange(2)})
    learner.tell((0, 1), 1)
    with pytest.raises(LearnerNotDoneError, match="not done: 2 of 3 elements are not evaluated"):
        learner.result()
    assert isinstance(LearnerNotDoneError("x"), RuntimeError)


def test_to_numpy() -> None:
    learner = SequenceLearner(square, [1, 2, 3])
    assert learner.to_numpy().shape == (0, 2)
    learner.tell((2, 3), 9)
    learner.tell((0, 1), 1)
    np.testing.assert_array_equal(learner.to_numpy(), [[0, 1], [2, 9]])
    objects = SequenceLearner(str, [1, 2])
    simple(objects)
    assert objects.to_numpy().dtype == object
    assert objects.to_numpy().tolist() == [[0, "1"], [1, "2"]]


# -- save / load ----------------------------------------------------------------------------


def test_save_load_numbers_without_pickle(tmp_path: Any) -> None:
    learner = SequenceLearner(square, range(5))
    learner.ask(3)
    for point in [(0, 0), (2, 2)]:
        learner.tell(point, learner.function(point))
    learner.save(tmp_path / "s.npz")
    loaded = learner.new()
    loaded.load(tmp_path / "s.npz")
    assert dict(loaded.data) == {0: 0, 2: 4} and type(loaded.data[2]) is int
    loaded._check()
    assert loaded.ask(5)[0] == [(1, 1), (3, 3), (4, 4)]


def test_save_load_objects_needs_allow_pickle(tmp_path: Any) -> None:
    learner = SequenceLearner(lambda x: {"x": tuple(x)}, [[1], [2]])  # a tuple: not JSON
    simple(learner)
    learner.save(tmp_path / "s.npz")
    loaded = learner.new()
    with pytest.raises(PickleNotAllowedError, match="allow_pickle=True"):
        loaded.load(tmp_path / "s.npz")
    assert loaded.npoints == 0
    loaded.load(tmp_path / "s.npz", allow_pickle=True)
    assert loaded.result() == [{"x": (1,)}, {"x": (2,)}]


def test_save_load_json_values_without_pickle(tmp_path: Any) -> None:
    learner = SequenceLearner(lambda x: {"x": x, "ok": True, "none": None}, [[1], [2.5]])
    simple(learner)
    learner.save(tmp_path / "s.npz")
    loaded = learner.new()
    loaded.load(tmp_path / "s.npz")
    assert loaded.result() == [
        {"x": [1], "ok": True, "none": None},
        {"x": [2.5], "ok": True, "none": None},
    ]
    assert [type(v["x"][0]) for v in loaded.result()] == [int, float]


def test_load_file_that_does_not_fit(tmp_path: Any) -> None:
    big = SequenceLearner(square, range(5))
    simple(big)
    big.save(tmp_path / "big.npz")
    small = SequenceLearner(square, range(2))
    with pytest.raises(IncompatibleFileError, match="index 2 is outside the sequence"):
        small.load(tmp_path / "big.npz")
    assert small.npoints == 0


def test_pickle_round_trip() -> None:
    learner = SequenceLearner(square, range(4))
    learner.ask(2)
    learner.tell((0, 0), 0)
    copy = pickle.loads(pickle.dumps(learner))
    assert dict(copy.data) == {0: 0} and copy.pending_points == {1}
    copy._check()


# -- DataFrames -----------------------------------------------------------------------------


def test_dataframe_round_trip() -> None:
    pytest.importorskip("pandas")
    learner = SequenceLearner(total, [[1, 2], [3], [4, 5]])
    learner.tell((2, [4, 5]), 9)
    learner.tell((0, [1, 2]), 3)
    df = learner.to_dataframe()
    assert list(df.columns) == ["i", "x", "y"]
    assert df["i"].tolist() == [0, 2] and df["y"].tolist() == [3, 9]
    assert df.attrs == {"inputs": ["i"], "output": "y"}
    loaded = learner.new()
    loaded.load_dataframe(df)
    assert dict(loaded.data) == dict(learner.data)
    full = learner.to_dataframe(full_sequence=True, index_name="n", y_name="v")
    assert full["n"].tolist() == [0, 1, 2]
    import pandas as pd

    assert full["v"].tolist()[1] is pd.NA
    loaded = learner.new()
    loaded.load_dataframe(full, index_name="n", y_name="v", full_sequence=True)
    assert dict(loaded.data) == dict(learner.data)
    loaded._check()


def test_dataframe_function_defaults() -> None:
    pytest.importorskip("pandas")

    def power(x: float, p: int = 2) -> float:
        return x**p

    learner = SequenceLearner(power, [1, 2])
    simple(learner)
    df = learner.to_dataframe()
    assert df["function.p"].tolist() == [2, 2]
    df["function.p"] = 3
    loaded = learner.new()
    with pytest.warns(UserWarning, match="p=3"):
        loaded.load_dataframe(df)
    assert loaded.function((0, 2)) == 8


# -- runs -----------------------------------------------------------------------------------


def test_simple_without_goal_runs_to_the_end() -> None:
    learner = SequenceLearner(square, range(20))
    simple(learner, points_per_ask=3)
    assert learner.done() and learner.result() == [x * x for x in range(20)]


def test_blocking_runner_without_goal_runs_to_the_end() -> None:
    learner = SequenceLearner(square, range(15))
    adaptive_nb.BlockingRunner(learner, executor=SequentialExecutor())
    assert learner.result() == [x * x for x in range(15)]


def test_async_runner_without_goal_runs_to_the_end() -> None:
    learner = SequenceLearner(square, range(15))

    async def main() -> None:
        runner = adaptive_nb.Runner(learner, executor=SequentialExecutor())
        await runner.task

    asyncio.run(main())
    assert learner.result() == [x * x for x in range(15)]


def test_replay_log() -> None:
    learner = SequenceLearner(square, range(10))
    runner = adaptive_nb.BlockingRunner(learner, executor=SequentialExecutor(), log=True)
    replayed = learner.new()
    replay_log(replayed, runner.log)
    assert dict(replayed.data) == dict(learner.data)
    assert replayed.done() and math.isclose(replayed.loss(), 0)
