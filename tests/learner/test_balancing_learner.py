"""BalancingLearner: contract invariants, strategies, errors, plots, frames and files."""

from __future__ import annotations

import functools
import math
import pickle
from typing import Any

import cloudpickle
import holoviews as hv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import adaptive_nb
from adaptive_nb import SequentialExecutor
from adaptive_nb.errors import LearnerExhaustedError
from adaptive_nb.learner.balancing_learner import STRATEGIES, BalancingLearner, normalize_cdims
from adaptive_nb.learner.learner1D import Learner1D
from adaptive_nb.learner.sequence_learner import SequenceLearner
from adaptive_nb.persistence import load_learner, save_learner
from adaptive_nb.runner import replay_log, simple

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def bump(x: float, a: float = 0.1, offset: float = 0.0) -> float:
    return x + a**2 / (a**2 + (x - offset) ** 2)


def make(widths: list[float], strategy: str = "loss_improvements") -> BalancingLearner:
    children = [Learner1D(functools.partial(bump, a=a), (-1, 1)) for a in widths]
    return BalancingLearner(children, strategy=strategy)


def child_state(child: Learner1D) -> str:
    """Everything observable about a child (its ask does not mark points pending)."""
    return repr(
        (
            sorted(child.data.items()),
            sorted(child.pending_points),
            child.loss(),
            child.loss(real=False),
            child.ask(5, tell_pending=False),
        )
    )


def states(learner: BalancingLearner) -> list[str]:
    return [child_state(child) for child in learner.learners]


def run(learner: Any, total: int) -> None:
    """Run until the children hold ``total`` points together (npoints_goal is per child)."""
    simple(learner, lambda lrn: lrn.npoints >= total)


def evaluate(learner: BalancingLearner, points: list) -> None:
    for point in points:
        learner.tell(point, learner.function(point))


WIDTHS = st.lists(st.sampled_from([0.5, 0.1, 0.02, 0.005]), min_size=1, max_size=4)
STRATEGY = st.sampled_from(STRATEGIES)
STEPS = st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=1, max_size=12)


# -- contract invariants ------------------------------------------------------------------


@SETTINGS
@given(WIDTHS, STRATEGY, STEPS)
def test_ask_hands_out_new_points_and_dry_run_changes_nothing(widths, strategy, steps):
    learner = make(widths, strategy)
    for n, evaluate_some in steps:
        before = states(learner)
        dry = learner.ask(n, tell_pending=False)
        assert states(learner) == before, "ask(n, tell_pending=False) changed a child"
        learner._check()
        points, gains = learner.ask(n)
        assert (points, gains) == dry, "the dry run differs from the real ask"
        assert len(points) == len(gains) <= n
        assert len(set(points)) == len(points), "a point was returned twice"
        known = set(learner.data)
        assert not known & set(points), "a known point was returned"
        assert set(points) <= learner.pending_points
        learner._check()
        if evaluate_some:
            evaluate(learner, points[: max(1, len(points) // 2)])
            learner._check()


@SETTINGS
@given(WIDTHS, STRATEGY, st.integers(1, 8), st.integers(0, 30))
def test_ask_n_equals_n_times_ask_1(widths, strategy, n, told):
    one, many = make(widths, strategy), make(widths, strategy)
    for learner in (one, many):
        run(learner, told)
    singles = [one.ask(1) for _ in range(n)]
    points = [p for pts, _ in singles for p in pts]
    gains = [g for _, gs in singles for g in gs]
    assert many.ask(n) == (points, gains)


@SETTINGS
@given(WIDTHS, STRATEGY, st.integers(0, 40))
def test_telling_known_data_again_changes_nothing(widths, strategy, told):
    learner = make(widths, strategy)
    run(learner, told)
    before = (states(learner), learner.ask(3, tell_pending=False), learner.loss())
    for point, value in list(learner.data.items()):
        learner.tell(point, value)
    learner.tell_many(list(learner.data), list(learner.data.values()))
    learner._check()
    assert (states(learner), learner.ask(3, tell_pending=False), learner.loss()) == before


class BalancingMachine(RuleBasedStateMachine):
    """Arbitrary sequences of calls; ``_check()`` after each step."""

    def __init__(self) -> None:
        super().__init__()
        self.learner = make([0.5, 0.1, 0.02])
        self.handed_out: list = []

    @rule(n=st.integers(0, 5), pending=st.booleans())
    def ask(self, n, pending):
        before = states(self.learner)
        points, gains = self.learner.ask(n, tell_pending=pending)
        if not pending:
            assert states(self.learner) == before, "ask(n, tell_pending=False) changed a child"
        assert len(points) == len(gains) <= n
        if pending:
            self.handed_out.extend(points)

    @precondition(lambda self: self.handed_out)
    @rule(data=st.data())
    def tell(self, data):
        point = data.draw(st.sampled_from(self.handed_out))
        self.handed_out.remove(point)
        self.learner.tell(point, self.learner.function(point))

    @rule(index=st.integers(0, 2), x=st.floats(-1, 1))
    def tell_pending(self, index, x):
        self.learner.tell_pending((index, x))

    @rule(index=st.integers(0, 2), x=st.floats(-1, 1))
    def tell_child_directly(self, index, x):
        child = self.learner.learners[index]
        child.tell(x, child.function(x))

    @rule()
    def remove_unfinished(self):
        self.learner.remove_unfinished()
        self.handed_out.clear()

    @rule(strategy=STRATEGY)
    def set_strategy(self, strategy):
        self.learner.strategy = strategy

    @invariant()
    def check(self):
        self.learner._check()
        assert set(self.handed_out) <= self.learner.pending_points | set(self.learner.data)


BalancingMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=25, deadline=None
)
TestBalancingMachine = BalancingMachine.TestCase


# -- strategies ---------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_reaches_a_loss_goal(strategy):
    learner = make([0.5, 0.05], strategy)
    simple(learner, loss_goal=0.05)
    assert learner.loss() <= 0.05
    assert learner.npoints == sum(child.npoints for child in learner.learners)
    learner._check()


def test_loss_improvements_spends_points_where_the_function_is_sharp():
    learner = make([1.0, 0.01])
    run(learner, 200)
    smooth, sharp = learner.learners
    assert sharp.npoints > smooth.npoints


def test_npoints_strategy_balances_the_point_counts():
    learner = make([1.0, 0.01, 0.1], "npoints")
    run(learner, 61)
    counts = [child.npoints for child in learner.learners]
    assert max(counts) - min(counts) <= 1


def test_cycle_strategy_goes_round_in_turn_and_remembers_its_place():
    learner = make([1.0, 0.01, 0.1], "cycle")
    points, _ = learner.ask(4)
    assert [i for i, _ in points] == [0, 1, 2, 0]
    points, _ = learner.ask(2)
    assert [i for i, _ in points] == [1, 2]
    assert [i for i, _ in learner.ask(3, tell_pending=False)[0]] == [0, 1, 2]
    assert [i for i, _ in learner.ask(1)[0]] == [0]


def test_loss_strategy_asks_the_child_with_the_largest_loss():
    learner = make([1.0, 0.01], "loss")
    run(learner, 20)
    losses = [child.loss(real=False) for child in learner.learners]
    ((index, _),) = learner.ask(1)[0]
    assert index == losses.index(max(losses))


def test_strategy_is_settable_while_running():
    learner = make([1.0, 0.01])
    run(learner, 10)
    learner.strategy = "cycle"
    assert learner.strategy == "cycle"
    run(learner, 20)
    learner.strategy = "npoints"
    run(learner, 30)
    learner._check()


def test_a_child_changed_directly_is_noticed():
    learner = make([1.0, 1.0])
    run(learner, 10)
    child = learner.learners[0]
    head = learner.ask(1, tell_pending=False)[0][0]
    child.tell(head[1], child.function(head[1]))
    assert learner.ask(1, tell_pending=False)[0][0] != head
    learner._check()


def test_exhausted_children_are_skipped():
    narrow = (1.0, 1.0 + 4 * 2.0**-52)
    children = [Learner1D(abs, narrow), Learner1D(abs, narrow)]
    for strategy in STRATEGIES:
        learner = BalancingLearner([c.new() for c in children], strategy=strategy)
        with pytest.raises(LearnerExhaustedError):
            simple(learner, lambda lrn: False)  # until no child has anything to suggest
        assert learner.ask(3) == ([], [])
        assert all(child.npoints == 5 for child in learner.learners)


def test_ask_cost_does_not_grow_with_the_number_of_children():
    calls = [0]

    class Counting(Learner1D):
        def ask(self, n, tell_pending=True):
            calls[0] += 1
            return super().ask(n, tell_pending)

    learner = BalancingLearner(
        [Counting(functools.partial(bump, a=0.1), (-1, 1)) for _ in range(300)]
    )
    run(learner, 700)
    calls[0] = 0
    for _ in range(50):
        (point,), _ = learner.ask(1)
        learner.tell(point, learner.function(point))
    assert calls[0] <= 2 * 50  # one refresh of the changed child per ask, not 300


# -- the rest of the protocol -------------------------------------------------------------


def test_properties_combine_the_children():
    learner = make([1.0, 0.1])
    points, _ = learner.ask(5)
    evaluate(learner, points[:3])
    assert learner.npoints == 3
    assert set(learner.data) == set(points[:3])
    assert learner.pending_points == set(points[3:])
    assert learner.loss() == max(child.loss() for child in learner.learners)
    assert learner.loss(real=False) == max(c.loss(real=False) for c in learner.learners)
    assert learner._cache["loss"] == learner.loss(real=False)
    learner.remove_unfinished()
    assert learner.pending_points == set()
    learner._check()


def test_new_has_the_same_parameters_and_no_data():
    learner = BalancingLearner.from_product(bump, Learner1D, {"bounds": (-1, 1)}, {"a": [1, 2]})
    learner.strategy = "npoints"
    run(learner, 10)
    fresh = learner.new()
    assert fresh.npoints == 0 and fresh.strategy == "npoints"
    assert fresh.cdims == learner.cdims
    assert [c.function.keywords for c in fresh.learners] == [{"a": 1}, {"a": 2}]


def test_function_dispatches_and_pickles():
    learner = make([1.0, 0.1])
    assert learner.function((1, 0.3)) == bump(0.3, a=0.1)
    for dumps, loads in ((pickle.dumps, pickle.loads), (cloudpickle.dumps, cloudpickle.loads)):
        assert loads(dumps(learner.function))((0, 0.3)) == bump(0.3, a=1.0)
    assert "2 children" in repr(learner.function)


def test_learner_pickles_with_its_data_and_parameters():
    learner = BalancingLearner.from_product(bump, Learner1D, {"bounds": (-1, 1)}, {"a": [1, 2]})
    learner.strategy = "cycle"
    run(learner, 12)
    copy = pickle.loads(pickle.dumps(learner))
    assert copy.data == learner.data and copy.strategy == "cycle"
    assert copy.cdims == learner.cdims
    assert copy.ask(3, tell_pending=False) == learner.ask(3, tell_pending=False)


def test_done_and_finishes_by_itself_follow_the_children():
    learner = make([1.0])
    assert not learner.finishes_by_itself and not learner.done()
    seq = BalancingLearner([SequenceLearner(abs, [1, -2]), SequenceLearner(abs, [3])])
    assert seq.finishes_by_itself and not seq.done()
    simple(seq)  # no goal: runs until every child is done
    assert seq.done()
    assert seq.data == {(0, 0): 1, (0, 1): 2, (1, 0): 3}


def test_nsamples_sums_the_children():
    class Sampled(Learner1D):
        @property
        def nsamples(self):
            return 2 * self.npoints

    learner = BalancingLearner([Sampled(abs, (0, 1)) for _ in range(2)])
    run(learner, 10)
    assert learner.nsamples == 20
    assert learner.nsamples == sum(child.nsamples for child in learner.learners)


def test_copy_from_and_data_hooks():
    learner = make([1.0, 0.1])
    run(learner, 20)
    other = learner.new()
    other.copy_from(learner)
    assert other.data == learner.data
    assert other.ask(4, tell_pending=False) == learner.ask(4, tell_pending=False)
    other._check()


# -- from_product, cdims and plots --------------------------------------------------------


def test_from_product_builds_one_child_per_combination_and_sets_cdims():
    combos = {"a": [0.1, 0.5], "offset": [0.0, 0.3, -0.3]}
    learner = BalancingLearner.from_product(bump, Learner1D, {"bounds": (-1, 1)}, combos)
    assert len(learner.learners) == 6
    assert learner.cdims == adaptive_nb.utils.named_product(**combos)
    for child, combo in zip(learner.learners, learner.cdims):
        assert child.function(0.2) == bump(0.2, **combo)


def test_cdims_as_keys_and_values_are_normalised():
    rows = [{"a": 1, "b": 0}, {"a": 1, "b": 1}]
    assert normalize_cdims((["a", "b"], iter([(1, 0), (1, 1)])), 2) == rows
    learner = BalancingLearner([Learner1D(abs, (0, 1)), Learner1D(abs, (0, 1))], cdims=rows)
    assert learner.cdims == rows


@pytest.mark.parametrize("dynamic", [True, False])
def test_plot_has_one_slider_per_cdim(dynamic):
    combos = {"a": [0.1, 0.5], "offset": [0.0, 0.3]}
    learner = BalancingLearner.from_product(bump, Learner1D, {"bounds": (-1, 1)}, combos)
    run(learner, 10)
    plot = learner.plot(dynamic=dynamic)
    assert isinstance(plot, hv.DynamicMap if dynamic else hv.HoloMap)
    assert [d.name for d in plot.kdims] == ["a", "offset"]
    frame = plot[0.5, 0.3]
    assert isinstance(frame, hv.Overlay)
    xs = frame.Scatter.I.dimension_values(0)
    assert sorted(xs) == sorted(learner.learners[3].data)


def test_plot_without_cdims_uses_the_index_and_a_custom_plotter():
    learner = make([1.0, 0.1])
    run(learner, 10)
    plot = learner.plot(plotter=lambda child: hv.Curve(child.to_numpy()), dynamic=False)
    assert [d.name for d in plot.kdims] == ["i"]
    assert isinstance(plot[1], hv.Curve)
    plot = learner.plot(cdims=(["w"], [(1.0,), (0.1,)]))
    assert [d.name for d in plot.kdims] == ["w"]
    assert isinstance(plot[0.1], hv.Overlay)


# -- DataFrames and files -----------------------------------------------------------------


def test_dataframe_round_trip():
    learner = BalancingLearner.from_product(bump, Learner1D, {"bounds": (-1, 1)}, {"a": [1, 2]})
    run(learner, 20)
    df = learner.to_dataframe()
    assert list(df.columns) == ["learner_index", "x", "y", "function.a", "function.offset"]
    assert len(df) == learner.npoints
    assert df.attrs["inputs"] == ["learner_index", "x"]
    fresh = learner.new()
    fresh.load_dataframe(df)
    assert fresh.data == learner.data
    fresh._check()
    other = learner.new()
    named = learner.to_dataframe(index_name="k", with_default_function_args=False, x_name="t")
    assert list(named.columns) == ["k", "t", "y"]
    other.load_dataframe(named, index_name="k", with_default_function_args=False, x_name="t")
    assert other.data == learner.data


def test_save_and_load_with_a_function_and_with_a_list(tmp_path):
    learner = BalancingLearner.from_product(bump, Learner1D, {"bounds": (-1, 1)}, {"a": [1, 2]})
    run(learner, 20)

    def name(child):
        return tmp_path / f"a_{child.function.keywords['a']}.npz"

    learner.save(name)
    fresh = learner.new()
    fresh.load(name)
    assert fresh.data == learner.data
    names = [str(tmp_path / "one"), str(tmp_path / "two")]
    learner.save(iter(names))
    fresh = learner.new()
    fresh.load(names)
    assert fresh.data == learner.data
    assert fresh.ask(3, tell_pending=False) == learner.ask(3, tell_pending=False)
    fresh._check()


def test_whole_learner_saves_to_one_file_through_persistence(tmp_path):
    learner = make([1.0, 0.1])
    run(learner, 20)
    save_learner(learner, tmp_path / "all.npz")
    fresh = learner.new()
    load_learner(fresh, tmp_path / "all.npz")
    assert fresh.data == learner.data


# -- runs ---------------------------------------------------------------------------------


def test_blocking_runner_with_a_loss_goal():
    learner = BalancingLearner.from_product(bump, Learner1D, {"bounds": (-1, 1)}, {"a": [0.5, 0.1]})
    adaptive_nb.BlockingRunner(learner, loss_goal=0.01, executor=SequentialExecutor())
    assert learner.loss() <= 0.01
    assert all(child.loss() <= 0.01 for child in learner.learners)
    assert not learner.pending_points


def test_npoints_goal_applies_to_every_child():
    learner = make([1.0, 0.01])
    adaptive_nb.BlockingRunner(learner, npoints_goal=15, executor=SequentialExecutor())
    assert all(child.npoints >= 15 for child in learner.learners)


def test_replay_log_reproduces_the_run():
    learner = make([1.0, 0.05, 0.2])
    runner = adaptive_nb.BlockingRunner(
        learner, npoints_goal=20, executor=SequentialExecutor(), log=True
    )
    replayed = learner.new()
    replay_log(replayed, runner.log)
    assert replayed.data == learner.data
    replayed._check()


def test_simple_runner_applies_npoints_goal_to_every_child():
    learner = make([1.0, 0.05])
    simple(learner, npoints_goal=50)
    assert min(child.npoints for child in learner.learners) == 50
    assert math.isfinite(learner.loss())


# -- errors -------------------------------------------------------------------------------


def test_constructor_errors():
    with pytest.raises(ValueError, match="at least one child learner"):
        BalancingLearner([])
    with pytest.raises(TypeError, match="must be a list of learners"):
        BalancingLearner(Learner1D(abs, (0, 1)))
    with pytest.raises(TypeError, match="must be a list of learners"):
        BalancingLearner(5)
    mixed = [Learner1D(abs, (0, 1)), SequenceLearner(abs, [1])]
    with pytest.raises(TypeError, match="same type, got Learner1D, SequenceLearner"):
        BalancingLearner(mixed)
    with pytest.raises(TypeError, match=r"must be learners .* got int"):
        BalancingLearner([1, 2])
    with pytest.raises(ValueError, match="strategy must be one of 'loss_improvements', 'loss'"):
        make([1.0], "fastest")


def test_strategy_setter_rejects_unknown_values_and_keeps_the_old_one():
    learner = make([1.0])
    with pytest.raises(ValueError, match=r"'npoints', 'cycle', got 'random'"):
        learner.strategy = "random"
    assert learner.strategy == "loss_improvements"


def test_cdims_errors():
    children = [Learner1D(abs, (0, 1)), Learner1D(abs, (0, 1))]
    with pytest.raises(ValueError, match="cdims has 1 entries but there are 2 child learners"):
        BalancingLearner(children, cdims=[{"a": 1}])
    with pytest.raises(ValueError, match="sequence of dicts"):
        BalancingLearner(children, cdims=[1, 2])
    with pytest.raises(ValueError, match="the same keys"):
        BalancingLearner(children, cdims=[{"a": 1}, {"b": 1}])
    with pytest.raises(ValueError, match="cdims has 3 entries"):
        BalancingLearner(children).plot(cdims=[{"a": 1}] * 3)


def test_point_errors():
    learner = make([1.0, 0.1])
    with pytest.raises(ValueError, match=r"a pair \(index, child_point\), got 0.5"):
        learner.tell(0.5, 1.0)
    with pytest.raises(ValueError, match=r"whole number in \[0, 2\), got 2"):
        learner.tell((2, 0.5), 1.0)
    with pytest.raises(ValueError, match=r"got True"):
        learner.tell_pending((True, 0.5))
    with pytest.raises(ValueError, match=r"got 'a'"):
        learner.tell_many([("a", 0.5)], [1.0])
    with pytest.raises(ValueError, match=r"ask\(n\) needs n >= 0"):
        learner.ask(-1)
    with pytest.raises(ValueError, match="outside"):  # the child's own error passes through
        learner.tell((0, 5.0), 1.0)
    learner._check()


def test_from_product_error():
    with pytest.raises(ValueError, match="combos must be a non-empty dict"):
        BalancingLearner.from_product(bump, Learner1D, {"bounds": (0, 1)}, {})


def test_nsamples_error():
    with pytest.raises(AttributeError, match=r"Learner1D.* have no nsamples"):
        _ = make([1.0]).nsamples


def test_dataframe_errors():
    learner = make([1.0, 0.1])
    run(learner, 6)
    with pytest.raises(ValueError, match="'x' is already a column"):
        learner.to_dataframe(index_name="x")
    df = learner.to_dataframe()
    with pytest.raises(ValueError, match="has no column 'idx'"):
        learner.new().load_dataframe(df, index_name="idx")
    df.loc[0, "learner_index"] = 7
    with pytest.raises(ValueError, match=r"holds indices \[7\], not in \[0, 2\)"):
        learner.new().load_dataframe(df)


def test_plot_error():
    with pytest.raises(ValueError, match="plotter must be a callable"):
        make([1.0]).plot(plotter="scatter")


def test_save_and_load_errors(tmp_path):
    learner = make([1.0, 0.1])
    name = str(tmp_path / "ab")
    for method in (learner.save, learner.load):
        with pytest.raises(ValueError, match="one file per child; pass a function"):
            method(name)
        with pytest.raises(ValueError, match="one file per child"):
            method(tmp_path / "ab")
    with pytest.raises(ValueError, match="got 1 file names for 2 children"):
        learner.save([name])
    with pytest.raises(ValueError, match="a different file name for each child"):
        learner.save(lambda child: name)
    with pytest.raises(ValueError, match="a function child -> file name or a list"):
        learner.load(5)
    assert not list(tmp_path.iterdir()), "nothing is written when the names are wrong"


def test_data_hook_errors():
    learner = make([1.0, 0.1])
    with pytest.raises(ValueError, match="data for 2 children, got 1"):
        learner._set_data([{}])
    with pytest.raises(ValueError, match="this learner has 2"):
        learner._from_arrays({})
    arrays = make([1.0, 0.1])._to_arrays()
    arrays["stray"] = arrays["nchildren"]
    with pytest.raises(ValueError, match="unexpected array 'stray'"):
        learner._from_arrays(arrays)


def test_unfit_data_is_reported_with_the_child_error(tmp_path):
    learner = make([1.0])
    with pytest.raises(ValueError, match="Learner1D data is a dict"):
        learner._set_data([[1, 2]])


def test_exported_at_the_top_level():
    assert adaptive_nb.BalancingLearner is BalancingLearner
    assert adaptive_nb.learner.BalancingLearner is BalancingLearner


def test_dynamic_plot_is_framewise_with_a_plotting_extension():
    pytest.importorskip("holoviews.plotting.bokeh")
    learner = make([1.0, 0.1])
    run(learner, 10)
    plot = learner.plot()
    assert isinstance(plot, hv.DynamicMap)
    frame = plot[1]
    assert isinstance(frame, hv.Overlay)
    assert sorted(frame.Scatter.I.dimension_values(0)) == sorted(learner.learners[1].data)


def test_function_follows_the_children_functions():
    learner = BalancingLearner.from_product(bump, Learner1D, {"bounds": (-1, 1)}, {"a": [1, 2]})
    run(learner, 10)
    df = learner.to_dataframe()
    df["function.offset"] = 0.5
    fresh = learner.new()
    with pytest.warns(UserWarning, match="offset=0.5"):
        fresh.load_dataframe(df)
    assert fresh.function((1, 0.2)) == bump(0.2, a=2, offset=0.5)
