"""DataSaver and make_datasaver: delegation, the contract, save/load, DataFrames and runs."""

from __future__ import annotations

import asyncio
import functools
import math
import operator
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
from adaptive_nb.learner import (
    AverageLearner,
    DataSaver,
    Learner1D,
    SequenceLearner,
    make_datasaver,
)
from adaptive_nb.runner import replay_log, simple

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pick_y = operator.itemgetter("y")


def rich(x: float) -> dict[str, Any]:
    return {"y": x * x, "x": x, "tag": f"at {x}"}


def rich_sample(seed: int) -> dict[str, Any]:
    return {"y": float(np.random.default_rng(seed).normal()), "seed": seed}


def rich_element(element: list[int]) -> dict[str, Any]:
    return {"y": sum(element), "n": len(element)}


def make_1d() -> DataSaver:
    return DataSaver(Learner1D(rich, (-1, 1)), pick_y)


def snapshot(ds: DataSaver) -> dict[str, Any]:
    return {
        "data": dict(ds.data),
        "extra": dict(ds.extra_data),
        "pending": sorted(ds.pending_points),
        "loss": ds.loss(),
        "ask": ds.ask(3, tell_pending=False),
    }


# -- contract -------------------------------------------------------------------------------


@st.composite
def savers(draw: Any) -> DataSaver:
    ds = make_1d()
    for _ in range(draw(st.integers(0, 5))):
        points, _ = ds.ask(draw(st.integers(1, 3)))
        for x in draw(st.lists(st.sampled_from(points), unique=True)):
            ds.tell(x, rich(x))
    ds._check()
    return ds


@SETTINGS
@given(ds=savers(), n=st.integers(0, 5))
def test_ask_contract_and_tell_pending_false(ds: DataSaver, n: int) -> None:
    before = snapshot(ds)
    points, gains = ds.ask(n, tell_pending=False)
    assert snapshot(ds) == before
    assert len(points) == len(gains) <= n
    assert not set(points) & (set(ds.data) | ds.pending_points)
    assert ds.ask(n) == (points, gains)
    assert ds.pending_points == set(before["pending"]) | set(points)
    ds._check()


@SETTINGS
@given(ds=savers())
def test_adding_existing_data_is_idempotent(ds: DataSaver) -> None:
    before = snapshot(ds)
    for x in list(ds.extra_data):
        ds.tell(x, {"y": 123.0})  # the first result is kept, in both places
        ds.tell_pending(x)
    ds._set_data(ds._get_data())
    ds.tell_many(list(ds.extra_data), list(ds.extra_data.values()))
    ds._check()
    assert snapshot(ds) == before


class DataSaverMachine(RuleBasedStateMachine):
    @initialize()
    def make(self) -> None:
        self.ds = DataSaver(AverageLearner(rich_sample, atol=0.1), pick_y)
        self.extra: dict[int, Any] = {}

    @rule(n=st.integers(0, 4), tell_pending=st.booleans())
    def ask(self, n: int, tell_pending: bool) -> None:
        pending = set(self.ds.pending_points)
        points, _ = self.ds.ask(n, tell_pending=tell_pending)
        assert len(points) == n and not set(points) & (pending | set(self.ds.data))

    @precondition(lambda self: self.ds.pending_points)
    @rule(data=st.data())
    def tell(self, data: Any) -> None:
        seed = data.draw(st.sampled_from(sorted(self.ds.pending_points)))
        self.ds.tell(seed, rich_sample(seed))
        self.extra.setdefault(seed, rich_sample(seed))

    @rule(seed=st.integers(0, 20))
    def tell_any(self, seed: int) -> None:
        self.ds.tell(seed, rich_sample(seed))
        self.extra.setdefault(seed, rich_sample(seed))

    @rule()
    def rejected_tell_changes_nothing(self) -> None:
        before = snapshot(self.ds)
        with pytest.raises(ValueError, match="seeds are >= 0"):
            self.ds.tell_many([500, -1], [rich_sample(500), rich_sample(1)])
        assert snapshot(self.ds) == before

    @rule()
    def remove_unfinished(self) -> None:
        self.ds.remove_unfinished()
        assert not self.ds.pending_points

    @invariant()
    def check(self) -> None:
        if not hasattr(self, "ds"):
            return
        self.ds._check()
        assert dict(self.ds.extra_data) == self.extra
        assert set(self.ds.data) == set(self.extra)
        assert self.ds.data == {k: v["y"] for k, v in self.extra.items()}


DataSaverMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=20, deadline=None
)
TestDataSaverMachine = DataSaverMachine.TestCase


# -- delegation and behaviour ---------------------------------------------------------------


def test_delegation() -> None:
    ds = make_1d()
    simple(ds, npoints_goal=5)
    child = ds.learner
    assert ds.function is child.function and ds.data is child.data
    assert ds.npoints == child.npoints == 5
    assert ds.bounds == (-1.0, 1.0)  # through __getattr__
    assert ds.loss() == child.loss() and ds.loss(real=False) == child.loss(real=False)
    np.testing.assert_array_equal(ds.to_numpy(), child.to_numpy())
    assert ds.extra_data[0.0] == rich(0.0)
    with pytest.raises(AttributeError, match="no_such_thing"):
        ds.no_such_thing  # noqa: B018
    ds.function = rich  # the setter rebinds the child's function
    assert child.function is rich


def test_arg_picker_error_changes_nothing() -> None:
    ds = make_1d()
    with pytest.raises(KeyError, match="'y'"):
        ds.tell(0.5, {"z": 1})
    assert ds.npoints == 0 and not ds.extra_data


def test_done_and_finishes_by_itself_follow_the_child() -> None:
    ds = DataSaver(SequenceLearner(rich_element, [[1], [2, 3]]), pick_y)
    assert ds.finishes_by_itself and not ds.done()
    simple(ds)  # no goal: runs until the child is done
    assert ds.done() and ds.result() == [1, 5]
    assert ds.extra_data == {0: {"y": 1, "n": 1}, 1: {"y": 5, "n": 2}}
    assert not make_1d().finishes_by_itself and not make_1d().done()


def test_new() -> None:
    ds = make_1d()
    simple(ds, npoints_goal=3)
    fresh = ds.new()
    assert isinstance(fresh, DataSaver) and isinstance(fresh.learner, Learner1D)
    assert fresh.npoints == 0 and not fresh.extra_data and fresh.arg_picker is pick_y


def test_make_datasaver() -> None:
    factory = make_datasaver(Learner1D, pick_y)
    assert isinstance(factory, functools.partial)
    ds = factory(rich, bounds=(0, 1))
    assert isinstance(ds, DataSaver) and ds.learner.bounds == (0.0, 1.0)
    ds = factory(function=rich, bounds=(0, 2))
    assert ds.learner.bounds == (0.0, 2.0) and ds.arg_picker is pick_y
    assert adaptive_nb.make_datasaver is make_datasaver
    assert adaptive_nb.DataSaver is DataSaver


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((Learner1D(rich, (0, 1)), 3), "arg_picker must be callable, got 3"),
        ((object(), pick_y), "DataSaver needs a learner, got <object object .*> .it has no 'ask'."),
    ],
)
def test_constructor_errors(args: tuple, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        DataSaver(*args)


def test_other_errors() -> None:
    ds = make_1d()
    with pytest.raises(ValueError, match="tell_many got 1 points but 2 results"):
        ds.tell_many([0.1], [rich(0.1), rich(0.2)])
    with pytest.raises(ValueError, match=r"x=2\.0 is outside the bounds"):
        ds.tell(2.0, rich(2.0))
    with pytest.raises(ValueError, match=r"a pair \(learner data, extra_data\), got dict"):
        ds._set_data({})
    with pytest.raises(ValueError, match=r"extra_data is a dict \{point: result\}, got int"):
        ds._set_data(({}, 3))
    arrays = ds._to_arrays()
    with pytest.raises(ValueError, match="the file wraps a None learner"):
        ds._from_arrays({k: v for k, v in arrays.items() if k != "learner_type"})
    with pytest.raises(ValueError, match="expected arrays extra_x"):
        ds._from_arrays({k: v for k, v in arrays.items() if k != "extra_x"})
    assert ds.npoints == 0 and not ds.extra_data


# -- save / load ----------------------------------------------------------------------------


class WithArray:
    """A function whose results hold a numpy array: not JSON, so stored pickled."""

    def __init__(self, function: Any) -> None:
        self.function = function

    def __call__(self, x: Any) -> dict[str, Any]:
        return {**self.function(x), "array": np.arange(3)}


MAKERS = {
    "Learner1D": lambda f: DataSaver(Learner1D(f(rich), (-1, 1)), pick_y),
    "AverageLearner": lambda f: DataSaver(AverageLearner(f(rich_sample), atol=0.1), pick_y),
    "SequenceLearner": lambda f: DataSaver(
        SequenceLearner(f(rich_element), [[1], [2, 3], [4]]), pick_y
    ),
}


def same_extra_data(a: DataSaver, b: DataSaver) -> bool:
    if list(a.extra_data) != list(b.extra_data):
        return False
    for x, y in a.extra_data.items():
        other = b.extra_data[x]
        if set(y) != set(other):
            return False
        if not all(np.array_equal(y[k], other[k]) for k in y):
            return False
    return all(type(k) is type(j) for k, j in zip(a.extra_data, b.extra_data, strict=True))


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_save_load_round_trip_of_objects_needs_allow_pickle(name: str, tmp_path: Any) -> None:
    ds = MAKERS[name](WithArray)
    simple(ds, goal=lambda learner: learner.npoints >= 3)
    fname = tmp_path / "ds.npz"
    ds.save(fname)
    loaded = ds.new()
    with pytest.raises(PickleNotAllowedError, match="allow_pickle=True"):
        loaded.load(fname)
    assert loaded.npoints == 0
    loaded.load(fname, allow_pickle=True)
    assert dict(loaded.data) == dict(ds.data)
    assert same_extra_data(loaded, ds)
    loaded._check()


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_json_results_are_saved_without_pickle(name: str, tmp_path: Any) -> None:
    ds = MAKERS[name](lambda f: f)
    simple(ds, goal=lambda learner: learner.npoints >= 3)
    fname = tmp_path / "ds.npz"
    ds.save(fname)
    loaded = ds.new()
    loaded.load(fname)  # no allow_pickle needed
    assert dict(loaded.data) == dict(ds.data)
    assert same_extra_data(loaded, ds)
    with np.load(fname, allow_pickle=False) as archive:  # nothing in it is pickled
        for key in archive.files:
            assert archive[key].dtype != object


def test_tuple_points_are_saved_as_a_numeric_array() -> None:
    # the points of Learner2D / LearnerND / AverageLearner1D are tuples of numbers
    ds = DataSaver(SequenceLearner(rich_element, [[1], [2]]), pick_y)
    ds.extra_data[(0.5, 0.25)] = {"y": 1.0}
    ds.extra_data[(1.5, -0.25)] = {"y": 2.0}
    arrays = ds._to_arrays()
    assert arrays["extra_x"].shape == (2, 2)
    assert arrays["extra_x"].dtype == float
    loaded = ds.new()
    loaded._from_arrays(arrays)
    assert list(loaded.extra_data.items()) == list(ds.extra_data.items())
    assert all(type(k) is tuple for k in loaded.extra_data)


def test_load_file_of_another_child_type(tmp_path: Any) -> None:
    ds = make_1d()
    simple(ds, npoints_goal=3)
    ds.save(tmp_path / "ds.npz")
    other = DataSaver(AverageLearner(rich_sample, atol=1), pick_y)
    with pytest.raises(
        IncompatibleFileError,
        match="wraps a 'Learner1D' learner, this DataSaver a 'AverageLearner'",
    ):
        other.load(tmp_path / "ds.npz", allow_pickle=True)
    assert other.npoints == 0 and not other.extra_data


def test_pickle_round_trip() -> None:
    ds = make_1d()
    simple(ds, npoints_goal=4)
    copy = pickle.loads(pickle.dumps(ds))
    assert dict(copy.data) == dict(ds.data) and copy.extra_data == ds.extra_data
    copy._check()


# -- DataFrames -----------------------------------------------------------------------------


def test_dataframe_round_trip_learner1d() -> None:
    pytest.importorskip("pandas")
    ds = make_1d()
    simple(ds, npoints_goal=6)
    df = ds.to_dataframe(extra_data_name="extra")
    assert list(df.columns) == ["x", "y", "extra"]
    assert df["extra"].tolist() == [rich(x) for x in df["x"]]
    loaded = ds.new()
    loaded.load_dataframe(df, extra_data_name="extra")
    assert dict(loaded.data) == dict(ds.data) and dict(loaded.extra_data) == dict(ds.extra_data)
    loaded._check()


def test_dataframe_round_trip_without_attrs_needs_input_names() -> None:
    """python-adaptive's load_dataframe fails under pandas 3 (``x[-1]`` on a Series)."""
    pd = pytest.importorskip("pandas")
    ds = DataSaver(AverageLearner(rich_sample, atol=0.1), pick_y)
    simple(ds, npoints_goal=5)
    df = pd.DataFrame(ds.to_dataframe().to_dict("list"))  # attrs lost, as after a CSV trip
    loaded = ds.new()
    with pytest.raises(ValueError, match="pass input_names"):
        loaded.load_dataframe(df)
    with pytest.raises(ValueError, match="the DataFrame has no column 'nope'"):
        loaded.load_dataframe(df, extra_data_name="nope", input_names=("seed",))
    assert loaded.npoints == 0
    loaded.load_dataframe(df, input_names=("seed",))
    assert loaded.extra_data == ds.extra_data and loaded.data == ds.data


def test_dataframe_with_sequence_child_and_full_sequence() -> None:
    pytest.importorskip("pandas")
    ds = DataSaver(SequenceLearner(rich_element, [[1], [2, 3], [4]]), pick_y)
    ds.tell((1, [2, 3]), rich_element([2, 3]))
    df = ds.to_dataframe(full_sequence=True)
    assert df["extra_data"].tolist() == [None, {"y": 5, "n": 2}, None]
    loaded = ds.new()
    loaded.load_dataframe(df, full_sequence=True)
    assert dict(loaded.data) == {1: 5} and loaded.extra_data == {1: {"y": 5, "n": 2}}
    loaded._check()


# -- runs -----------------------------------------------------------------------------------


def test_runners_apply_goals_to_the_child() -> None:
    ds = make_1d()
    adaptive_nb.BlockingRunner(ds, loss_goal=0.05, executor=SequentialExecutor())
    assert ds.loss() <= 0.05 and len(ds.extra_data) == ds.npoints
    seq = DataSaver(SequenceLearner(rich_element, [[k] for k in range(12)]), pick_y)
    adaptive_nb.BlockingRunner(seq, executor=SequentialExecutor())  # no goal: until done
    assert seq.done() and len(seq.extra_data) == 12

    seq2 = seq.new()

    async def main() -> None:
        runner = adaptive_nb.Runner(seq2, executor=SequentialExecutor())
        await runner.task

    asyncio.run(main())
    assert seq2.done() and seq2.extra_data == seq.extra_data


def test_replay_log() -> None:
    ds = make_1d()
    runner = adaptive_nb.BlockingRunner(
        ds, npoints_goal=12, executor=SequentialExecutor(), log=True
    )
    replayed = ds.new()
    replay_log(replayed, runner.log)
    assert dict(replayed.data) == dict(ds.data) and replayed.extra_data == ds.extra_data
    assert math.isclose(replayed.loss(), ds.loss())
