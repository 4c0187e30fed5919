"""The loss functions of Learner1D, their factories, and the nth-neighbour contract."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from adaptive.learner import learner1D as reference
from hypothesis import given, settings
from hypothesis import strategies as st

from adaptive_nb.learner.base_learner import uses_nth_neighbors
from adaptive_nb.learner.learner1D import Learner1D
from adaptive_nb.learner.losses_1d import (
    abs_min_log_loss,
    curvature_loss_function,
    default_loss,
    resolution_loss_function,
    triangle_loss,
    uniform_loss,
)

SETTINGS = settings(max_examples=60, deadline=None)


# -- values on known inputs -----------------------------------------------------------------


def test_nth_neighbors_of_the_built_in_losses() -> None:
    assert uniform_loss.nth_neighbors == 0
    assert default_loss.nth_neighbors == 0
    assert abs_min_log_loss.nth_neighbors == 0
    assert triangle_loss.nth_neighbors == 1
    assert curvature_loss_function().nth_neighbors == 1
    assert resolution_loss_function().nth_neighbors == 0


def test_uniform_loss_is_the_width() -> None:
    assert uniform_loss((0.25, 0.75), (1.0, -100.0)) == 0.5
    assert uniform_loss((0.0, 0.125), (np.array([1.0]), np.array([9.0]))) == 0.125


def test_default_loss_is_the_segment_length() -> None:
    assert default_loss((0.0, 3.0), (0.0, 4.0)) == 5.0
    assert default_loss((1.0, 1.5), (2.0, 2.0)) == 0.5
    ys = (np.array([0.0, 0.0, 1.0]), np.array([0.4, -1.0, 1.0]))
    assert default_loss((0.0, 0.3), ys) == pytest.approx(math.hypot(0.3, 1.0))
    assert isinstance(default_loss((0.0, 0.3), ys), float)


def test_abs_min_log_loss() -> None:
    assert abs_min_log_loss((0.0, 1.0), (math.e, math.e**2)) == pytest.approx(math.sqrt(2))
    assert abs_min_log_loss((0.0, 1.0), (-math.e, math.e)) == pytest.approx(1.0)
    ys = (np.array([5.0, -math.e]), np.array([1.0, 100.0]))  # the smallest |component| counts
    assert abs_min_log_loss((0.0, 1.0), ys) == pytest.approx(math.sqrt(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert abs_min_log_loss((0.0, 1.0), (0.0, 1.0)) == math.inf
        assert abs_min_log_loss((0.0, 1.0), (np.array([0.0, 1.0]), np.ones(2))) == math.inf


def test_triangle_loss() -> None:
    # collinear points: no area
    assert triangle_loss((0.0, 1.0, 2.0, 3.0), (0.0, 1.0, 2.0, 3.0)) == 0.0
    # the mean of the two triangles (0,0),(1,1),(2,0) [area 1] and (1,1),(2,0),(3,0) [area 0.5]
    assert triangle_loss((0.0, 1.0, 2.0, 3.0), (0.0, 1.0, 0.0, 0.0)) == pytest.approx(0.75)
    # one neighbour: one triangle
    assert triangle_loss((None, 0.0, 1.0, 2.0), (None, 0.0, 1.0, 0.0)) == pytest.approx(1.0)
    # no neighbour: the default loss of the interval
    assert triangle_loss((None, 0.0, 0.3, None), (None, 0.0, 0.4, None)) == pytest.approx(0.5)
    # vectors: areas in (x, y1, y2) space
    ys = (np.zeros(2), np.array([1.0, 1.0]), np.zeros(2), np.zeros(2))
    expected = (math.sqrt(2) + math.sqrt(2) / 2) / 2
    assert triangle_loss((0.0, 1.0, 2.0, 3.0), ys) == pytest.approx(expected)
    vector_no_neighbour = (None, np.zeros(2), np.array([0.4, 0.1]), None)
    assert triangle_loss((None, 0.0, 0.3, None), vector_no_neighbour) == pytest.approx(0.5)


def test_curvature_loss_combines_its_parts() -> None:
    xs, ys = (0.0, 1.0, 2.0, 3.0), (0.0, 1.0, 0.0, 0.0)
    loss = curvature_loss_function(area_factor=2, euclid_factor=0.5, horizontal_factor=3)
    expected = 2 * math.sqrt(0.75) + 0.5 * math.sqrt(2) + 3 * 1.0
    assert loss(xs, ys) == pytest.approx(expected)
    assert curvature_loss_function(0, 0, 0)(xs, ys) == 0.0
    default = curvature_loss_function()
    assert default(xs, ys) == pytest.approx(math.sqrt(0.75) + 0.02 * math.sqrt(2) + 0.02)


def test_resolution_loss() -> None:
    loss = resolution_loss_function(min_length=0.1, max_length=0.5)
    assert loss((0.0, 0.05), (0.0, 100.0)) == 0.0
    assert loss((0.0, 0.6), (0.0, 0.0)) == math.inf
    assert loss((0.0, 0.3), (0.0, 0.4)) == pytest.approx(0.5)
    assert resolution_loss_function(0, math.inf)((0.0, 1e9), (0.0, 0.0)) == 1e9


# -- factory and decorator validation -------------------------------------------------------

BAD_FACTORS = [-1, -1e-9, math.nan, -math.inf, "1", None, True, 1j, [1]]


@pytest.mark.parametrize("value", BAD_FACTORS)
@pytest.mark.parametrize("name", ["area_factor", "euclid_factor", "horizontal_factor"])
def test_curvature_loss_function_validates(name: str, value: Any) -> None:
    with pytest.raises(ValueError, match=rf"{name} must be a number >= 0, got"):
        curvature_loss_function(**{name: value})


@pytest.mark.parametrize("value", BAD_FACTORS)
@pytest.mark.parametrize("name", ["min_length", "max_length"])
def test_resolution_loss_function_validates(name: str, value: Any) -> None:
    with pytest.raises(ValueError, match=rf"{name} must be a number >= 0, got"):
        resolution_loss_function(**{name: value})


@pytest.mark.parametrize(("low", "high"), [(0.5, 0.1), (1, 0), (math.inf, 2)])
def test_resolution_loss_function_needs_min_below_max(low: float, high: float) -> None:
    with pytest.raises(ValueError, match=r"min_length .* must not exceed max_length"):
        resolution_loss_function(min_length=low, max_length=high)


@pytest.mark.parametrize("n", [-1, 1.5, True, False, "1", None, np.float64(1.0)])
def test_uses_nth_neighbors_validates(n: Any) -> None:
    with pytest.raises(ValueError, match="uses_nth_neighbors needs a whole number n >= 0"):
        uses_nth_neighbors(n)


@pytest.mark.parametrize("n", [0, 1, 3, np.int64(2)])
def test_uses_nth_neighbors_marks_the_function(n: Any) -> None:
    def loss(xs: Any, ys: Any) -> float:
        return 1.0

    decorated = uses_nth_neighbors(n)(loss)
    assert decorated is loss
    assert decorated.nth_neighbors == int(n)
    assert type(decorated.nth_neighbors) is int


# -- how Learner1D calls a loss -------------------------------------------------------------


@pytest.mark.parametrize("nth", [0, 1, 2])
def test_learner_passes_nth_neighbors_padded_with_none(nth: int) -> None:
    calls: list[tuple[tuple, tuple]] = []

    @uses_nth_neighbors(nth)
    def recording_loss(xs: Any, ys: Any) -> float:
        calls.append((tuple(xs), tuple(ys)))
        return xs[nth + 1] - xs[nth]

    learner = Learner1D(lambda x: x, (0, 4), recording_loss)
    assert learner.nth_neighbors == nth
    learner._recompute_losses_factor = 1
    learner.tell_many([0.0, 1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 2.0, 3.0, 4.0])
    assert calls
    for xs, ys in calls:
        assert len(xs) == len(ys) == 2 + 2 * nth
        assert all((x is None) == (y is None) for x, y in zip(xs, ys, strict=True))
        middle = xs[nth : nth + 2]
        assert None not in middle
        assert middle[1] - middle[0] == pytest.approx(0.25)  # x rescaled by the bounds' width
    # the leftmost interval has no left neighbours, the rightmost none on the right
    by_left_end = {xs[nth]: xs for xs, _ in calls}
    assert by_left_end[0.0] == (*([None] * nth), 0.0, 0.25, *[0.5, 0.75][:nth])
    assert by_left_end[0.75] == (*[0.25, 0.5][2 - nth :], 0.75, 1.0, *([None] * nth))
    learner._check()


def test_learner_rescales_y_by_the_range() -> None:
    seen: dict[float, tuple] = {}

    def recording_loss(xs: Any, ys: Any) -> float:
        seen[xs[0]] = tuple(ys)
        return xs[1] - xs[0]

    learner = Learner1D(lambda x: x, (0, 10), recording_loss)
    learner._recompute_losses_factor = 1  # scale by the exact range
    learner.tell_many([0.0, 5.0, 10.0], [100.0, 300.0, 500.0])
    assert seen[0.0] == pytest.approx((0.25, 0.75))
    assert seen[0.5] == pytest.approx((0.75, 1.25))


def test_non_finite_values_never_reach_the_loss() -> None:
    seen: list[tuple] = []

    @uses_nth_neighbors(1)
    def recording_loss(xs: Any, ys: Any) -> float:
        seen.append(tuple(ys))
        return 1.0

    learner = Learner1D(lambda x: x, (0, 1), recording_loss)
    xs = np.linspace(0, 1, 9).tolist()
    ys = [0.0, math.nan, 1.0, math.inf, 2.0, -math.inf, 3.0, 4.0, 5.0]
    learner.tell_many(xs, ys)
    assert seen
    for values in seen:
        assert all(y is None or math.isfinite(y) for y in values)
    # intervals with a non-finite end get their width as loss
    assert learner.losses[0.0, 0.125] == 0.125
    assert learner.losses[0.75, 0.875] == 1.0


@pytest.mark.parametrize("bad", [math.nan, -math.nan])
def test_a_nan_loss_falls_back_to_the_width(bad: float) -> None:
    learner = Learner1D(lambda x: x, (0, 2), lambda xs, ys: bad)
    learner.tell_many([0.0, 0.5, 2.0], [0.0, 1.0, 3.0])
    assert learner.losses == {(0.0, 0.5): 0.25, (0.5, 2.0): 0.75}
    assert learner.loss() == 0.75


def test_an_infinite_loss_is_refined_first() -> None:
    def loss(xs: Any, ys: Any) -> float:
        return math.inf if xs[0] >= 0.5 else xs[1] - xs[0]

    learner = Learner1D(lambda x: x, (0, 1), loss)
    learner.tell_many([0.0, 0.5, 1.0], [0.0, 0.5, 1.0])
    assert learner.loss() == math.inf
    assert learner.ask(1) == ([0.75], [math.inf])


# -- the same values as python-adaptive 1.5.2 -----------------------------------------------

finite = st.floats(-1e3, 1e3)
positions = st.lists(st.floats(0, 1), min_size=4, max_size=4, unique=True).map(sorted)


@SETTINGS
@given(xs=positions, ys=st.lists(finite, min_size=4, max_size=4))
def test_values_match_adaptive(xs: list, ys: list) -> None:
    """For the same (rescaled) inputs every loss gives adaptive's value."""
    middle_x, middle_y = tuple(xs[1:3]), tuple(ys[1:3])
    pairs = [
        (default_loss, reference.default_loss, middle_x, middle_y),
        (uniform_loss, reference.uniform_loss, middle_x, middle_y),
        (
            resolution_loss_function(0.01, 0.5),
            reference.resolution_loss_function(0.01, 0.5),
            middle_x,
            middle_y,
        ),
        (triangle_loss, reference.triangle_loss, tuple(xs), tuple(ys)),
        (
            curvature_loss_function(),
            reference.curvature_loss_function(),
            tuple(xs),
            tuple(ys),
        ),
    ]
    if 0.0 not in middle_y:
        pairs.append((abs_min_log_loss, reference.abs_min_log_loss, middle_x, middle_y))
    for ours, theirs, x, y in pairs:
        got = ours(x, y)
        assert isinstance(got, float)
        assert got == pytest.approx(float(theirs(x, y)), rel=1e-9, abs=1e-9), ours


@SETTINGS
@given(
    xs=positions,
    ys=st.lists(st.lists(st.floats(-10, 10), min_size=2, max_size=2), min_size=4, max_size=4),
)
def test_vector_values_match_adaptive(xs: list, ys: list) -> None:
    values = tuple(np.array(y) for y in ys)
    middle_x, middle_y = tuple(xs[1:3]), values[1:3]
    for ours, theirs in [
        (default_loss, reference.default_loss),
        (uniform_loss, reference.uniform_loss),
        (resolution_loss_function(0.01, 0.5), reference.resolution_loss_function(0.01, 0.5)),
    ]:
        assert ours(middle_x, middle_y) == pytest.approx(theirs(middle_x, middle_y), rel=1e-9)
    if all(np.all(v != 0) for v in middle_y):
        assert abs_min_log_loss(middle_x, middle_y) == pytest.approx(
            reference.abs_min_log_loss(middle_x, middle_y), rel=1e-9
        )
    ours = triangle_loss(tuple(xs), values)
    assert ours >= 0
    try:
        theirs = reference.triangle_loss(tuple(xs), values)
    except ValueError:  # adaptive's Cayley-Menger formula gives up on flat triangles
        assert ours < 1e-6
    else:  # that formula loses half the digits on thin triangles
        assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-6)


@SETTINGS
@given(
    xs=st.lists(st.floats(0, 1), min_size=3, max_size=3, unique=True).map(sorted),
    ys=st.lists(finite, min_size=3, max_size=3),
    side=st.sampled_from(["left", "right"]),
)
def test_triangle_loss_with_one_neighbour_matches_adaptive(xs: list, ys: list, side: str) -> None:
    # left: the interval is xs[1:3] with left neighbour xs[0]; right: xs[0:2], then xs[2]
    args = ((*xs, None), (*ys, None)) if side == "left" else ((None, *xs), (None, *ys))
    assert triangle_loss(*args) == pytest.approx(reference.triangle_loss(*args), abs=1e-9)
