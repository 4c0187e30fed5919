"""Learner1D: input validation, documented behaviour, runs, persistence of state."""

from __future__ import annotations

import copy
import math
import pickle
import time
import warnings
from fractions import Fraction
from typing import Any

import adaptive
import cloudpickle
import numpy as np
import pytest
from adaptive.learner import learner1D as reference

from _dict_learner import DictLearner
from adaptive_nb.errors import LearnerExhaustedError
from adaptive_nb.learner.base_learner import BaseLearner, check_ask_count
from adaptive_nb.learner.learner1D import Learner1D
from adaptive_nb.learner.losses_1d import (
    abs_min_log_loss,
    curvature_loss_function,
    default_loss,
    resolution_loss_function,
    triangle_loss,
    uniform_loss,
)
from adaptive_nb.runner import simple

LOSSES = {
    "default_loss": lambda: default_loss,
    "uniform_loss": lambda: uniform_loss,
    "abs_min_log_loss": lambda: abs_min_log_loss,
    "triangle_loss": lambda: triangle_loss,
    "curvature_loss": curvature_loss_function,
    "resolution_loss": lambda: resolution_loss_function(0.01, 0.5),
}
ALL_LOSSES = pytest.mark.parametrize("loss_name", list(LOSSES))


def peak(x: float, a: float = 0.01, x0: float = 0.3123) -> float:
    return x + a**2 / (a**2 + (x - x0) ** 2)


def vector_peak(x: float) -> np.ndarray:
    return np.array([peak(x), math.sin(3 * x), 0.5])


def with_bad_regions(x: float) -> float:
    """NaN on one stretch, +inf and -inf on others, a peak elsewhere."""
    if -0.6 < x < -0.4:
        return math.nan
    if 0.1 < x < 0.2:
        return math.inf
    if 0.7 < x < 0.75:
        return -math.inf
    return peak(x)


def vector_with_bad_regions(x: float) -> np.ndarray:
    return np.array([with_bad_regions(x), with_bad_regions(-x)])


def state(learner: Learner1D) -> dict[str, Any]:
    """Everything observable about a learner (the ask does not mark points pending)."""
    return {
        "data": frozen_data(learner),
        "npoints": learner.npoints,
        "pending": sorted(learner.pending_points),
        "loss": learner.loss(),
        "loss_pending": learner.loss(real=False),
        "losses": learner.losses,
        "ask": learner.ask(4, tell_pending=False),
    }


def run(learner: Learner1D, n: int) -> Learner1D:
    simple(learner, npoints_goal=n)
    return learner


# -- ask(n) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [-1, -100, 1.5, 2.0, True, False, "2", None, np.float64(3.0)])
def test_ask_rejects_a_bad_count(n: Any) -> None:
    learner = Learner1D(peak, (-1, 1))
    with pytest.raises(ValueError, match=r"ask\(n\) needs"):
        learner.ask(n)
    run(learner, 5)
    with pytest.raises(ValueError, match=r"ask\(n\) needs"):
        learner.ask(n, tell_pending=False)
    assert learner.pending_points == set()


@pytest.mark.parametrize(("n", "message"), [(-1, "n >= 0"), (1.5, "whole number"), ("2", "str")])
def test_ask_count_messages(n: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_ask_count(n)


def test_ask_zero_returns_nothing() -> None:
    learner = Learner1D(peak, (-1, 1))
    assert learner.ask(0) == ([], [])
    assert learner.pending_points == set()
    run(learner, 10)
    assert learner.ask(0) == ([], [])
    assert learner.ask(0, tell_pending=False) == ([], [])
    assert learner.pending_points == set()


def test_ask_accepts_numpy_integers() -> None:
    learner = Learner1D(peak, (-1, 1))
    points, gains = learner.ask(np.int64(3))
    assert points == [-1.0, 1.0, 0.0]
    assert gains == [math.inf] * 3


def test_first_asks_are_the_bounds_then_midpoints() -> None:
    learner = Learner1D(peak, (-2, 6))
    assert learner.ask(1) == ([-2.0], [math.inf])
    assert learner.ask(2) == ([6.0, 2.0], [math.inf, math.inf])
    assert learner.loss() == math.inf
    points, _ = learner.ask(2)
    assert sorted(points) == [0.0, 4.0]


# -- constructor ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ((1, 0), "reversed"),
        ((1.0, -3.5), "reversed"),
        ((2, 2), "zero width"),
        ((0.0, -0.0), "zero width"),
        ((0, math.inf), "finite"),
        ((-math.inf, 0), "finite"),
        ((math.nan, 1), "finite"),
        ((0, math.nan), "finite"),
        ((0, 1, 2), "3 values"),
        ((0,), "1 values"),
        ((), "0 values"),
        ("ab", "pair of numbers"),
        (b"ab", "pair of numbers"),
        (("0", "1"), "real numbers"),
        ((0, "1"), "real numbers"),
        ((None, 1), "real numbers"),
        ((True, 2), "real numbers"),
        ((0, 1j), "real numbers"),
        (None, "pair of numbers"),
        (5, "pair of numbers"),
        ((-1e308, 1e308), "overflows"),
        ((-1.7e308, 1.7e308), "overflows"),
    ],
)
def test_bad_bounds(bounds: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Learner1D(peak, bounds)


@pytest.mark.parametrize(
    "bounds", [[0, 1], np.array([0.0, 1.0]), (Fraction(0), Fraction(1)), (np.int64(0), 1.0)]
)
def test_good_bounds_become_floats(bounds: Any) -> None:
    learner = Learner1D(peak, bounds)
    assert learner.bounds == (0.0, 1.0)
    assert all(type(b) is float for b in learner.bounds)


def test_huge_but_finite_bounds() -> None:
    learner = run(Learner1D(lambda x: math.sin(x / 1e307), (-8e307, 8e307)), 20)
    assert learner.npoints == 20
    assert math.isfinite(learner.loss())


@pytest.mark.parametrize("function", [None, 1.0, "sin", [peak]])
def test_function_must_be_callable(function: Any) -> None:
    with pytest.raises(TypeError, match="function must be callable"):
        Learner1D(function, (0, 1))


@pytest.mark.parametrize("loss", [1.0, "default_loss", [default_loss]])
def test_loss_must_be_callable(loss: Any) -> None:
    with pytest.raises(TypeError, match="loss_per_interval must be callable"):
        Learner1D(peak, (0, 1), loss_per_interval=loss)


def test_loss_none_is_the_default_loss() -> None:
    assert Learner1D(peak, (0, 1), None).loss_per_interval is default_loss
    assert Learner1D(peak, (0, 1)).loss_per_interval is default_loss


# -- bad x ----------------------------------------------------------------------------------

OUTSIDE = [-1.0000001, 1.5, 2, -1e300, math.inf, -math.inf]
NOT_A_NUMBER = ["0.5", None, True, 1j, np.array([0.5]), [0.5], (0.5,)]


def learner_with_data(vector: bool = False) -> Learner1D:
    learner = Learner1D(vector_peak if vector else peak, (-1, 1))
    run(learner, 12)
    learner.ask(2)
    return learner


@pytest.mark.parametrize("x", OUTSIDE)
@pytest.mark.parametrize("call", ["tell", "tell_pending", "tell_many"])
def test_x_outside_the_bounds_is_rejected_and_changes_nothing(x: Any, call: str) -> None:
    learner = learner_with_data()
    before = state(learner)
    with pytest.raises(ValueError, match="outside the bounds"):
        if call == "tell":
            learner.tell(x, 1.0)
        elif call == "tell_pending":
            learner.tell_pending(x)
        else:
            learner.tell_many([0.123, x], [1.0, 1.0])
    assert learner.npoints == before["npoints"]
    assert state(learner) == before
    learner._check()


@pytest.mark.parametrize("call", ["tell", "tell_pending"])
def test_nan_x_is_rejected(call: str) -> None:
    learner = learner_with_data()
    before = state(learner)
    with pytest.raises(ValueError, match=r"x=nan is outside the bounds"):
        getattr(learner, call)(*((math.nan, 1.0) if call == "tell" else (math.nan,)))
    assert state(learner) == before


@pytest.mark.parametrize("x", NOT_A_NUMBER)
@pytest.mark.parametrize("call", ["tell", "tell_pending", "tell_many"])
def test_non_numeric_x_is_rejected_and_changes_nothing(x: Any, call: str) -> None:
    learner = learner_with_data()
    before = state(learner)
    with pytest.raises(ValueError, match="Learner1D points are real numbers"):
        if call == "tell":
            learner.tell(x, 1.0)
        elif call == "tell_pending":
            learner.tell_pending(x)
        else:
            learner.tell_many([x, 0.123], [1.0, 1.0])
    assert state(learner) == before


def test_out_of_bounds_never_counts_toward_npoints() -> None:
    learner = Learner1D(peak, (0, 1))
    for x in (-0.5, 1.5, math.nan, math.inf):
        with pytest.raises(ValueError):
            learner.tell(x, 1.0)
    assert learner.npoints == 0
    assert learner.data == {}
    assert learner.ask(2) == ([0.0, 1.0], [math.inf, math.inf])


@pytest.mark.parametrize("x", [0, np.float32(0.25), np.int64(1), Fraction(1, 2), np.float64(0.75)])
def test_numeric_x_types_are_stored_as_float(x: Any) -> None:
    learner = Learner1D(peak, (0, 1))
    learner.tell(x, 1.0)
    (stored,) = learner.data
    assert type(stored) is float
    assert stored == float(x)
    learner.tell_pending(0.3)
    assert all(type(p) is float for p in learner.pending_points)


# -- bad y ----------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["tell", "tell_many"])
def test_y_none_is_rejected(call: str) -> None:
    learner = learner_with_data()
    before = state(learner)
    with pytest.raises(ValueError, match=r"returned None"):
        if call == "tell":
            learner.tell(0.123, None)
        else:
            learner.tell_many([0.5, 0.123], [1.0, None])
    assert state(learner) == before


@pytest.mark.parametrize("call", ["tell", "tell_many"])
@pytest.mark.parametrize(
    ("vector", "y", "message"),
    [
        (False, np.array([1.0, 2.0, 3.0]), r"shape \(3,\), but earlier values have shape \(\)"),
        (False, [1.0], r"shape \(1,\)"),
        (True, 1.0, r"shape \(\), but earlier values have shape \(3,\)"),
        (True, np.ones(2), r"shape \(2,\), but earlier"),
        (True, [1.0, 2.0, 3.0, 4.0], r"shape \(4,\)"),
        (False, np.ones((2, 2)), r"shape \(2, 2\); Learner1D needs 1-D"),
        (True, np.ones((3, 1)), r"shape \(3, 1\); Learner1D needs 1-D"),
        (False, [[1.0, 2.0], [3.0]], "not a number or a 1-D array"),
        (False, "abc", "not a number or a 1-D array"),
        (False, "2.5", "not a number or a 1-D array"),
        (True, ["1", "2", "3"], "not a number or a 1-D array"),
        (False, {"y": 1.0}, "not a number or a 1-D array"),
        (False, 1j, "not a number or a 1-D array"),
        (False, object(), "not a number or a 1-D array"),
        (True, [], "empty"),
    ],
)
def test_y_of_a_wrong_shape_or_type_is_rejected(
    vector: bool, y: Any, message: str, call: str
) -> None:
    learner = learner_with_data(vector)
    before = state(learner)
    with pytest.raises(ValueError, match=message):
        if call == "tell":
            learner.tell(0.123, y)
        else:
            learner.tell_many([0.5, 0.123], [learner.function(0.5), y])
    assert state(learner) == before
    learner._check()


@pytest.mark.parametrize("y", [[], np.array([]), np.ones((2, 0))])
def test_empty_output_is_rejected_on_an_empty_learner(y: Any) -> None:
    learner = Learner1D(peak, (0, 1))
    with pytest.raises(ValueError, match=r"empty|1-D"):
        learner.tell(0.0, y)
    assert learner.npoints == 0


def test_the_first_value_fixes_the_shape() -> None:
    learner = Learner1D(peak, (0, 1))
    learner.tell(0.5, [1.0, 2.0])
    with pytest.raises(ValueError, match="every value must have the same shape"):
        learner.tell(0.25, 1.0)
    with pytest.raises(ValueError, match="every value must have the same shape"):
        learner.tell_many([0.1, 0.2], [[1.0, 2.0], [1.0, 2.0, 3.0]])
    assert learner.npoints == 1
    learner.tell_many([0.1, 0.2], [(1, 2), np.array([3, 4])])
    assert learner.npoints == 3
    assert learner.vdim == 2


def test_a_shape_mismatch_inside_one_batch_is_rejected() -> None:
    learner = Learner1D(peak, (0, 1))
    with pytest.raises(ValueError, match="same shape"):
        learner.tell_many([0.0, 1.0, 0.5], [1.0, 2.0, [1.0, 2.0]])
    assert learner.npoints == 0
    assert learner.vdim == 1


@pytest.mark.parametrize(
    "y", [3, np.float32(1.5), np.int64(-2), np.float64(2.5), np.array(4.0), Fraction(1, 4)]
)
def test_numeric_y_types_are_accepted_as_scalars(y: Any) -> None:
    learner = Learner1D(peak, (0, 1))
    learner.tell(0.0, y)
    learner.tell(1.0, 0.0)
    assert learner.vdim == 1
    assert learner.to_numpy().shape == (2, 2)
    assert learner.to_numpy()[0, 1] == float(y)
    assert math.isfinite(learner.loss())


# -- tell_many ------------------------------------------------------------------------------


@pytest.mark.parametrize(("xs", "ys"), [([0.1, 0.2], [1.0]), ([0.1], []), ([], [1.0])])
def test_tell_many_needs_as_many_values_as_points(xs: list, ys: list) -> None:
    learner = learner_with_data()
    before = state(learner)
    with pytest.raises(ValueError, match=rf"tell_many got {len(xs)} points but {len(ys)} values"):
        learner.tell_many(xs, ys)
    assert state(learner) == before


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("size", [1, 5, 40])
@pytest.mark.parametrize(
    ("bad_x", "bad_y"), [(2.0, 1.0), (math.nan, 1.0), ("x", 1.0), (0.777, None), (0.777, "y")]
)
def test_tell_many_is_all_or_nothing(size: int, force: bool, bad_x: Any, bad_y: Any) -> None:
    """A bad item anywhere in a batch (small batches are inserted one by one, large ones
    in bulk) raises before anything changes."""
    learner = learner_with_data()
    learner.tell_pending(0.3)
    before = state(learner)
    xs = list(np.linspace(-0.99, 0.99, size) + 1e-3)
    ys = [peak(x) for x in xs]
    for where in (0, size // 2, size):
        with pytest.raises(ValueError):
            learner.tell_many(
                [*xs[:where], bad_x, *xs[where:]], [*ys[:where], bad_y, *ys[where:]], force=force
            )
        assert state(learner) == before
        learner._check()
    learner.tell_many(xs, ys, force=force)
    assert learner.npoints == before["npoints"] + size
    learner._check()


def test_tell_many_accepts_iterables() -> None:
    learner = Learner1D(peak, (0, 1))
    learner.tell_many((x for x in (0.0, 0.5, 1.0)), map(peak, (0.0, 0.5, 1.0)))
    assert sorted(learner.data) == [0.0, 0.5, 1.0]
    learner._check()


def test_tell_many_equals_tell_in_a_loop() -> None:
    xs = np.linspace(0, 1, 37).tolist()[::-1]
    one_by_one = Learner1D(peak, (0, 1))
    for x in xs:
        one_by_one.tell(x, peak(x))
    for force in (False, True):
        batch = Learner1D(peak, (0, 1))
        batch.tell_many(xs, [peak(x) for x in xs], force=force)
        assert batch.data == one_by_one.data
        assert batch.losses == pytest.approx(one_by_one.losses, rel=1e-12)
        assert batch.loss() == pytest.approx(one_by_one.loss(), rel=1e-12)
        batch._check()


# -- documented behaviour -------------------------------------------------------------------


def test_the_same_x_told_twice_keeps_the_first_value() -> None:
    learner = Learner1D(peak, (0, 1))
    learner.tell(0.5, 1.0)
    learner.tell(0.5, 2.0)
    learner.tell(0.5, math.nan)
    assert learner.data == {0.5: 1.0}
    assert learner.npoints == 1
    learner.tell_many([0.5, 0.25, 0.25], [3.0, 4.0, 5.0])
    assert learner.data == {0.5: 1.0, 0.25: 4.0}
    assert learner.npoints == 2
    learner.tell(0, 0.0)
    learner.tell(1, 1.0)
    before = state(learner)
    learner.tell(0.5, 100.0)
    learner.tell(np.float64(0.25), 100.0)
    learner.tell_many([0.0, 1.0], [-7.0, 7.0], force=True)
    assert state(learner) == before
    assert learner.data[0.5] == 1.0


def test_telling_a_pending_point_removes_it_from_pending() -> None:
    learner = Learner1D(peak, (0, 1))
    points, _ = learner.ask(3)
    assert learner.pending_points == set(points)
    learner.tell(points[0], peak(points[0]))
    assert learner.pending_points == set(points[1:])
    learner.tell_many(points[1:], [peak(x) for x in points[1:]])
    assert learner.pending_points == set()
    learner.tell_pending(0.25)
    learner.tell_pending(0.5)  # known: ignored
    assert learner.pending_points == {0.25}
    learner._check()


def test_remove_unfinished_restores_the_asks() -> None:
    learner = run(Learner1D(peak, (-1, 1)), 30)
    before = state(learner)
    learner.ask(5)
    learner.tell_pending(0.01)
    assert learner.loss(real=False) <= before["loss"]
    learner.remove_unfinished()
    assert learner.pending_points == set()
    learner._check()
    assert state(learner) == before


def test_remove_unfinished_before_the_bounds_are_known() -> None:
    learner = Learner1D(peak, (-1, 1))
    learner.ask(4)
    learner.remove_unfinished()
    assert learner.pending_points == set()
    assert learner.ask(2) == ([-1.0, 1.0], [math.inf, math.inf])


def test_losses_neighbors_and_combined_losses() -> None:
    learner = Learner1D(lambda x: x, (0, 4))
    learner._recompute_losses_factor = 1
    for x in (0.0, 1.0, 4.0):
        learner.tell(x, x)
    assert learner.neighbors == {0.0: [None, 1.0], 1.0: [0.0, 4.0], 4.0: [1.0, None]}
    losses = learner.losses
    assert losses.keys() == {(0.0, 1.0), (1.0, 4.0)}
    assert losses[0.0, 1.0] == pytest.approx(math.hypot(0.25, 0.25))
    assert losses[1.0, 4.0] == pytest.approx(math.hypot(0.75, 0.75))
    assert learner.loss() == pytest.approx(losses[1.0, 4.0])
    learner.tell_pending(3.0)
    combined = learner.losses_combined
    assert combined.keys() == {(0.0, 1.0), (1.0, 3.0), (3.0, 4.0)}
    assert combined[1.0, 3.0] == pytest.approx(losses[1.0, 4.0] * 2 / 3)
    assert combined[3.0, 4.0] == pytest.approx(losses[1.0, 4.0] / 3)
    assert learner.loss() == pytest.approx(losses[1.0, 4.0])
    assert learner.loss(real=False) == pytest.approx(losses[1.0, 4.0] * 2 / 3)
    # the next point halves the widest piece of the claimed interval
    assert learner.ask(1) == ([2.0], [pytest.approx(losses[1.0, 4.0] * 2 / 3)])


def test_pending_points_never_raise_the_loss() -> None:
    """A pending point one ulp from an interval's end leaves a piece as wide as the whole
    interval (in floating point): its share of the loss must not round above the loss."""
    loss_value = 0.9530447383534144  # (loss * 1.5) / 1.5 rounds up for this one
    learner = Learner1D(lambda x: x, (-1, 2), lambda xs, ys: loss_value)
    learner.tell_many([-1.0, 0.5, 2.0], [0.0, 1.0, 0.0])
    learner.tell_pending(math.nextafter(-1.0, 0.0))
    assert learner.loss() == loss_value
    assert learner.loss(real=False) <= loss_value
    assert max(learner.losses_combined.values()) <= loss_value
    points, gains = learner.ask(2)
    assert points == [1.25, pytest.approx(-0.25)]  # the unclaimed interval first, on a tie
    assert gains == [loss_value, loss_value]
    learner._check()


def test_loss_is_inf_until_both_bounds_are_known() -> None:
    learner = Learner1D(peak, (0, 1))
    assert learner.loss() == math.inf
    learner.tell(0.0, 1.0)
    learner.tell(0.5, 1.0)
    assert learner.loss() == math.inf
    assert learner.loss(real=False) == math.inf
    learner.tell(1.0, 1.0)
    assert learner.loss() == pytest.approx(0.5)


# -- NaN, inf and bad losses ----------------------------------------------------------------


def nan_loss(xs: Any, ys: Any) -> float:
    return math.nan


@pytest.mark.parametrize("vector", [False, True])
def test_a_loss_returning_nan_still_gives_a_finite_loss(vector: bool) -> None:
    learner = Learner1D(vector_peak if vector else peak, (-1, 1), nan_loss)
    run(learner, 40)
    assert learner.npoints == 40
    loss = learner.loss()
    assert math.isfinite(loss)
    assert not math.isnan(learner.loss(real=False))
    # NaN losses fall back to the width of the interval: it samples evenly
    widths = np.diff(sorted(learner.data))
    assert widths.max() <= 4 * widths.min()
    learner._check()


@pytest.mark.parametrize("vector", [False, True])
@ALL_LOSSES
def test_nan_and_inf_values_do_not_stop_sampling(loss_name: str, vector: bool) -> None:
    function = vector_with_bad_regions if vector else with_bad_regions
    learner = Learner1D(function, (-1, 1), LOSSES[loss_name]())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and raise no numpy warnings on the way
        run(learner, 150)
        loss = learner.loss()
        assert any(-0.6 < x < -0.4 for x in learner.data)  # the NaN stretch is sampled
        # an interval with a non-finite end has its rescaled width as loss
        bad_ends = 0
        for (a, b), interval_loss in learner.losses.items():
            if not (np.all(np.isfinite(learner.data[a])) and np.all(np.isfinite(learner.data[b]))):
                bad_ends += 1
                assert interval_loss == pytest.approx((b - a) / 2, rel=1e-12)
        assert bad_ends >= 4
        learner.tell_many(
            np.linspace(-1, 1, 301).tolist(), [function(x) for x in np.linspace(-1, 1, 301)]
        )
        learner.loss()
    assert learner.npoints >= 150
    assert not math.isnan(loss)
    assert not math.isnan(learner.loss())
    assert not math.isnan(learner.loss(real=False))
    learner._check()


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("vector", [False, True])
def test_a_function_without_any_finite_value(value: float, vector: bool) -> None:
    learner = Learner1D(lambda x: [value, value] if vector else value, (0, 1))
    run(learner, 33)
    assert learner.npoints == 33
    assert learner.loss() == pytest.approx(1 / 32)  # sampled evenly, by width
    np.testing.assert_allclose(sorted(learner.data), np.linspace(0, 1, 33))


@pytest.mark.parametrize("vector", [False, True])
@ALL_LOSSES
def test_a_run_reaches_npoints_goal_with_distinct_points(loss_name: str, vector: bool) -> None:
    function = vector_with_bad_regions if vector else with_bad_regions
    learner = Learner1D(function, (-1, 1), LOSSES[loss_name]())
    for goal in (1, 2, 3, 77):
        simple(learner, npoints_goal=goal)
        assert learner.npoints == goal
        assert len(set(learner.data)) == goal
    assert learner.pending_points == set()
    simple(learner, npoints_goal=100, points_per_ask=7)
    assert 100 <= learner.npoints < 107
    assert all(-1 <= x <= 1 for x in learner.data)
    learner._check()


def test_huge_values_keep_the_loss_finite() -> None:
    """Finite values whose range overflows a float must not make every loss infinite."""
    learner = Learner1D(peak, (0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learner.tell_many([0.0, 0.5, 1.0], [-1.5e308, 0.0, 1.5e308])
        for x in np.linspace(0.05, 0.95, 19):
            learner.tell(float(x), 1e300 * float(x))
        assert math.isfinite(learner.loss())
    learner._check()


def test_loss_goal_is_reached() -> None:
    learner = Learner1D(peak, (-1, 1))
    simple(learner, loss_goal=0.01)
    assert learner.loss() <= 0.01
    assert 50 < learner.npoints < 2000


# -- intervals too narrow to split ----------------------------------------------------------

NARROW = [
    (1.0, 1.0 + 4 * 2.0**-52),
    (-1.0 - 2 * 2.0**-52, -1.0 + 2 * 2.0**-53),
    (0.0, 4 * 5e-324),
    (1e300, math.nextafter(math.nextafter(1e300, math.inf), math.inf)),
]


@pytest.mark.parametrize("bounds", NARROW)
@ALL_LOSSES
def test_too_narrow_intervals_exhaust_the_learner_quickly(
    bounds: tuple[float, float], loss_name: str
) -> None:
    lower, upper = bounds
    learner = Learner1D(lambda x: (x - lower) / (upper - lower), bounds, LOSSES[loss_name]())
    start = time.perf_counter()
    with pytest.raises(LearnerExhaustedError, match="no more points to suggest"):
        simple(learner, npoints_goal=1000)
    assert time.perf_counter() - start < 1.0
    floats_inside = 1
    x = bounds[0]
    while x < bounds[1]:
        x = math.nextafter(x, math.inf)
        floats_inside += 1
    assert learner.npoints == floats_inside  # every float in the bounds was sampled
    assert learner.ask(5) == ([], [])
    assert learner.pending_points == set()
    assert not math.isnan(learner.loss())
    learner._check()


@pytest.mark.parametrize("loss_name", ["default_loss", "uniform_loss", "curvature_loss"])
def test_loss_goal_on_a_too_narrow_learner_raises(loss_name: str) -> None:
    learner = Learner1D(lambda x: x, (1.0, 1.0 + 4 * 2.0**-52), LOSSES[loss_name]())
    start = time.perf_counter()
    with pytest.raises(LearnerExhaustedError):
        simple(learner, loss_goal=1e-6)
    assert time.perf_counter() - start < 1.0
    assert learner.npoints == 5
    assert learner.loss() > 1e-6
    # and once exhausted, it stays so
    with pytest.raises(LearnerExhaustedError):
        simple(learner, loss_goal=1e-6)


def test_exhausted_learner_with_pending_points() -> None:
    learner = Learner1D(lambda x: x, (1.0, 1.0 + 4 * 2.0**-52))
    points, _ = learner.ask(100)
    assert len(points) == 5
    assert learner.ask(1) == ([], [])
    learner.tell_many(points[:3], points[:3])
    assert learner.ask(1) == ([], [])
    learner.remove_unfinished()
    points, _ = learner.ask(100)
    assert len(points) == 2
    learner._check()


# -- comparison with adaptive 1.5.2 ---------------------------------------------------------


@pytest.mark.parametrize(
    "loss_name", ["default_loss", "curvature_loss", "triangle_loss", "abs_min_log_loss"]
)
def test_sharp_peak_error_not_worse_than_adaptive(loss_name: str) -> None:
    reference_losses = {
        "default_loss": reference.default_loss,
        "curvature_loss": reference.curvature_loss_function(),
        "triangle_loss": reference.triangle_loss,
        "abs_min_log_loss": reference.abs_min_log_loss,
    }
    grid = np.linspace(-1, 1, 20001)
    exact = peak(grid)

    def error(data: dict) -> float:
        xs = np.array(sorted(data))
        ys = np.array([data[x] for x in xs])
        return float(np.max(np.abs(np.interp(grid, xs, ys) - exact)))

    for n in (60, 150):
        ours = run(Learner1D(peak, (-1, 1), LOSSES[loss_name]()), n)
        theirs = adaptive.Learner1D(peak, (-1, 1), reference_losses[loss_name])
        adaptive.runner.simple(theirs, npoints_goal=n)
        assert ours.npoints == len(theirs.data) == n
        assert error(ours.data) <= 1.1 * error(theirs.data)


# -- copies, pickling, new ------------------------------------------------------------------


def frozen_data(learner: Learner1D) -> dict[float, bytes]:
    return {x: np.asarray(y, dtype=float).tobytes() for x, y in learner.data.items()}


def assert_same_state(a: Learner1D, b: Learner1D) -> None:
    assert frozen_data(a) == frozen_data(b)
    assert a.pending_points == b.pending_points
    assert a.loss() == pytest.approx(b.loss(), rel=1e-12)
    assert a.loss(real=False) == pytest.approx(b.loss(real=False), rel=1e-12)
    assert a.losses == pytest.approx(b.losses, rel=1e-12)
    points, gains = a.ask(5, tell_pending=False)
    other_points, other_gains = b.ask(5, tell_pending=False)
    assert points == pytest.approx(other_points, rel=1e-12)
    assert gains == pytest.approx(other_gains, rel=1e-12)


@pytest.mark.parametrize("serializer", [pickle, cloudpickle])
@pytest.mark.parametrize("vector", [False, True])
@pytest.mark.parametrize("loss_name", ["default_loss", "curvature_loss", "resolution_loss"])
def test_pickle_round_trip(serializer: Any, vector: bool, loss_name: str) -> None:
    function = vector_with_bad_regions if vector else with_bad_regions
    learner = Learner1D(function, (-1, 1), LOSSES[loss_name]())
    run(learner, 123)
    learner.ask(3)
    learner.tell_pending(0.123456)
    restored = serializer.loads(serializer.dumps(learner))
    assert type(restored) is Learner1D
    assert restored.bounds == learner.bounds
    assert restored.vdim == learner.vdim
    assert restored.npoints == 123
    assert_same_state(restored, learner)
    restored._check()
    # the restored function and loss work, and the learner carries on
    assert np.array_equal(restored.function(0.3), function(0.3))
    run(restored, 150)
    assert restored.npoints == 150
    restored._check()


def test_pickle_keeps_a_lambda_and_an_empty_learner() -> None:
    learner = Learner1D(lambda x: 2 * x, (0, 1), lambda xs, ys: xs[1] - xs[0])
    restored = pickle.loads(pickle.dumps(learner))
    assert restored.function(3) == 6
    assert restored.npoints == 0
    assert restored.loss() == math.inf
    assert restored.ask(2) == ([0.0, 1.0], [math.inf, math.inf])


def test_pickle_keeps_the_recompute_factor() -> None:
    learner = Learner1D(peak, (-1, 1))
    learner._recompute_losses_factor = 1
    run(learner, 50)
    restored = pickle.loads(pickle.dumps(learner))
    assert restored._recompute_losses_factor == 1
    assert_same_state(restored, learner)


@pytest.mark.parametrize("vector", [False, True])
def test_copy_from(vector: bool) -> None:
    source = run(Learner1D(vector_peak if vector else peak, (-1, 1)), 60)
    source.ask(2)
    target = Learner1D(source.function, (-1, 1))
    target.copy_from(source)
    assert target.npoints == 60
    assert frozen_data(target) == frozen_data(source)
    assert target.pending_points == set()  # only data is copied
    assert source.npoints == 60 and len(source.pending_points) == 2
    source.remove_unfinished()
    assert_same_state(target, source)
    target._check()
    # copying again adds nothing; the copy is independent of its source
    target.copy_from(source)
    assert target.npoints == 60
    run(target, 70)
    assert source.npoints == 60


def test_copy_from_merges_and_checks_the_type() -> None:
    a = Learner1D(peak, (-1, 1))
    a.tell_many([-1.0, 0.0], [peak(-1.0), 5.0])
    b = Learner1D(peak, (-1, 1))
    b.tell_many([0.0, 1.0], [-5.0, peak(1.0)])
    a.copy_from(b)
    assert a.data == {-1.0: peak(-1.0), 0.0: 5.0, 1.0: peak(1.0)}  # a's value for 0 is kept
    with pytest.raises(TypeError, match="copy_from needs a Learner1D"):
        a.copy_from(object())
    with pytest.raises(ValueError, match="data is a dict"):
        a._set_data([(0.5, 1.0)])
    assert a.npoints == 3


def test_new_is_empty_with_the_same_parameters() -> None:
    loss = curvature_loss_function()
    learner = run(Learner1D(vector_peak, (-2, 3), loss), 30)
    learner.ask(2)
    fresh = learner.new()
    assert type(fresh) is Learner1D
    assert fresh.function is learner.function
    assert fresh.bounds == (-2.0, 3.0)
    assert fresh.loss_per_interval is loss
    assert fresh.nth_neighbors == 1
    assert fresh.npoints == 0 and fresh.data == {} and fresh.pending_points == set()
    assert fresh.loss() == math.inf
    assert learner.npoints == 30 and len(learner.pending_points) == 2
    run(fresh, 30)
    assert fresh.data.keys() == learner.data.keys()  # deterministic


def test_deepcopy_is_independent() -> None:
    learner = run(Learner1D(peak, (-1, 1)), 20)
    clone = copy.deepcopy(learner)
    run(clone, 40)
    assert learner.npoints == 20
    assert clone.npoints == 40
    learner._check()
    clone._check()


# -- shapes ---------------------------------------------------------------------------------


def test_to_numpy_and_vdim_scalar() -> None:
    learner = Learner1D(peak, (-1, 1))
    assert learner.vdim == 1
    assert learner.to_numpy().shape == (0, 2)
    run(learner, 25)
    table = learner.to_numpy()
    assert table.shape == (25, 2)
    assert np.all(np.diff(table[:, 0]) > 0)  # sorted by x
    assert np.allclose(table[:, 1], [peak(x) for x in table[:, 0]])
    assert learner.vdim == 1
    arrays = learner._to_arrays()
    assert arrays["x"].shape == (25,) and arrays["y"].shape == (25,)


def test_to_numpy_and_vdim_vector() -> None:
    learner = Learner1D(vector_peak, (-1, 1))
    assert learner.vdim == 1
    run(learner, 25)
    assert learner.vdim == 3
    table = learner.to_numpy()
    assert table.shape == (25, 4)
    assert np.all(np.diff(table[:, 0]) > 0)
    assert np.allclose(table[:, 1:], [vector_peak(x) for x in table[:, 0]])
    one = Learner1D(lambda x: [x], (0, 1))
    run(one, 3)
    assert one.vdim == 1
    assert one.to_numpy().shape == (3, 2)


@pytest.mark.parametrize("function", [peak, vector_peak])
def test_array_round_trip(function: Any) -> None:
    learner = run(Learner1D(function, (-1, 1)), 20)
    copy_ = learner.new()
    copy_._from_arrays(learner._to_arrays())
    assert_same_state(copy_, learner)


@pytest.mark.parametrize(
    "arrays",
    [
        {},
        {"x": np.zeros(3)},
        {"y": np.zeros(3)},
        {"x": np.zeros((3, 1)), "y": np.zeros(3)},
        {"x": np.zeros(3), "y": np.zeros(2)},
        {"x": np.zeros(3), "y": np.zeros((3, 2, 1))},
    ],
)
def test_from_arrays_rejects_bad_arrays(arrays: dict) -> None:
    learner = Learner1D(peak, (-1, 1))
    with pytest.raises(ValueError, match="expected arrays x"):
        learner._from_arrays(arrays)
    assert learner.npoints == 0


# -- the base contract ----------------------------------------------------------------------


def test_a_learner_must_override_tell_or_tell_many() -> None:
    with pytest.raises(TypeError, match="must override tell or tell_many"):

        class Broken(BaseLearner):
            def ask(self, n: int, tell_pending: bool = True) -> Any: ...
            def tell_pending(self, x: Any) -> None: ...
            def loss(self, real: bool = True) -> float: ...
            def remove_unfinished(self) -> None: ...
            def new(self) -> Any: ...
            def _get_data(self) -> Any: ...
            def _set_data(self, data: Any) -> None: ...
            def _to_arrays(self) -> Any: ...
            def _from_arrays(self, arrays: Any) -> None: ...


def test_learner1d_is_a_base_learner() -> None:
    learner = Learner1D(peak, (0, 1))
    assert isinstance(learner, BaseLearner)
    assert learner.done() is False
    assert Learner1D.finishes_by_itself is False


class TellLearner(DictLearner):
    """A small learner: it overrides tell (as DictLearner does), and inherits tell_many."""

    def __init__(self) -> None:
        super().__init__(lambda x: 2 * x)

    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[float], list[float]]:
        n = check_ask_count(n)
        start = len(self.data) + len(self.pending_points)
        points = [float(start + i) for i in range(n)]
        if tell_pending:
            self.pending_points.update(points)
        return points, [1.0] * n

    def loss(self, real: bool = True) -> float:
        return 1 / (1 + len(self.data))

    def new(self) -> TellLearner:
        return type(self)()


class TellManyLearner(TellLearner):
    """Overrides tell_many instead, and inherits tell."""

    tell = BaseLearner.tell

    def tell_many(self, xs: Any, ys: Any) -> None:
        for x, y in zip(xs, ys, strict=True):
            self.data[x] = y
            self.pending_points.discard(x)


@pytest.mark.parametrize("cls", [TellLearner, TellManyLearner])
def test_base_learner_defaults(cls: type) -> None:
    learner = cls()
    points, _ = learner.ask(3)
    learner.tell(points[0], 0.0)
    learner.tell_many(points[1:], [2.0, 4.0])
    assert learner.data == {0.0: 0.0, 1.0: 2.0, 2.0: 4.0}
    assert learner.npoints == 3
    assert learner.pending_points == set()
    with pytest.raises(ValueError, match="zip"):
        learner.tell_many([5.0, 6.0], [1.0])
    assert learner.done() is False
    for method in ("to_numpy", "to_dataframe", "load_dataframe"):
        with pytest.raises(NotImplementedError, match=f"{cls.__name__} has no {method}"):
            getattr(learner, method)()
    # the default pickling keeps the whole state, lambdas included
    learner.tell_pending(9.0)
    restored = pickle.loads(pickle.dumps(learner))
    assert restored.data == learner.data
    assert restored.pending_points == {9.0}
    assert restored.function(4) == 8
    other = cls()
    other.copy_from(learner)
    assert other.data == learner.data
    with pytest.raises(TypeError, match=f"copy_from needs a {cls.__name__}"):
        other.copy_from(Learner1D(peak, (0, 1)))
