"""LearnerND: behaviour, errors, persistence, dataframes and a real runner."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from scipy.spatial import ConvexHull

import adaptive_nb
from adaptive_nb import LearnerND
from adaptive_nb.errors import IncompatibleFileError
from adaptive_nb.learner.base_learner import uses_nth_neighbors
from adaptive_nb.learner.learnerND import (
    choose_point_in_simplex,
    curvature_loss_function,
    default_loss,
    orientation,
    std_loss,
    to_list,
    triangle_loss,
    uniform_loss,
    volume,
)
from adaptive_nb.runner import simple

BOX2 = [(-1.0, 1.0), (-1.0, 1.0)]


def ring(xy: tuple[float, ...]) -> float:
    x, y = xy[0], xy[1]
    return x + math.exp(-((x * x + y * y - 0.5) ** 2) / 0.01)


def vector(xy: tuple[float, ...]) -> np.ndarray:
    return np.array([ring(xy), xy[0] * xy[1]])


def run(learner: LearnerND, n: int, func=ring, batch: int = 1) -> None:
    while learner.npoints < n:
        points, _ = learner.ask(batch)
        assert points
        for p in points:
            learner.tell(p, func(p))


# -- construction -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "match"),
    [
        ([(1, -1), (0, 1)], r"bounds\[0\] = \(1, -1\) is reversed; give it as \(-1, 1\)"),
        ([(0, 0), (0, 1)], r"bounds\[0\] = \(0, 0\) has zero width"),
        ([(0, math.nan), (0, 1)], r"must be finite"),
        ([(0, math.inf), (0, 1)], r"must be finite"),
        ([(0, 1, 2), (0, 1)], r"bounds\[0\] must be a pair"),
        ([(0, 1)], r"at least 2 dimensions.*Learner1D"),
        ("ab", r"list of \(lower, upper\) pairs or a ConvexHull"),
        (5, r"list of \(lower, upper\) pairs or a ConvexHull"),
        ([(0, "a"), (0, 1)], r"'a', which is not a real number"),
        ([(-1e308, 1e308), (0, 1)], r"overflows"),
    ],
)
def test_bad_bounds(bounds, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        LearnerND(ring, bounds)


def test_flat_hull_is_refused() -> None:
    flat = ConvexHull([(0, 0), (1, 0), (0, 1e-13), (1, 1e-13)], qhull_options="QJ Pp")
    with pytest.raises(ValueError, match="is flat"):
        LearnerND(ring, flat)


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="func must be callable"):
        LearnerND(5, BOX2)
    with pytest.raises(TypeError, match="loss_per_simplex must be callable"):
        LearnerND(ring, BOX2, loss_per_simplex=3)
    with pytest.raises(ValueError, match=r"one of \('auto', 'python'\), got 'rust'"):
        LearnerND(ring, BOX2, triangulation_backend="rust")

    @uses_nth_neighbors(2)
    def far(*args):
        return 1.0

    with pytest.raises(NotImplementedError, match="nth_neighbors 0 or 1, got 2"):
        LearnerND(ring, BOX2, loss_per_simplex=far)
    with pytest.raises(ValueError, match="exploration must be a finite number"):
        curvature_loss_function(-1)


def test_attributes_and_empty_state() -> None:
    learner = LearnerND(ring, BOX2, anisotropic=False, triangulation_backend="python")
    assert learner.ndim == 2 and learner.bounds == ((-1.0, 1.0), (-1.0, 1.0))
    assert learner.loss_per_simplex is default_loss and learner.nth_neighbors == 0
    assert learner.anisotropic is False and learner.tri is None
    assert learner.npoints == 0 and learner.vdim == 1 and not learner.bounds_are_done
    assert learner.loss() == math.inf and learner.loss(real=False) == math.inf
    assert learner.points.shape == (0, 2) and learner.to_numpy().shape == (0, 3)
    assert learner.inside_bounds((0, 1)) and not learner.inside_bounds((0, 1.5))
    assert learner.new().bounds == learner.bounds
    learner._check()


# -- asking and telling -----------------------------------------------------------------


def test_corners_first_then_a_triangulation() -> None:
    learner = LearnerND(ring, BOX2)
    points, losses = learner.ask(6)
    assert set(points[:4]) == {(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)}
    assert len(set(points)) == 6 and losses == [math.inf] * 6
    learner._check()
    for p in points:
        learner.tell(p, ring(p))
        learner._check()
    assert learner.bounds_are_done and learner.tri is not None
    assert len(learner.tri.vertices) == 6
    assert math.isfinite(learner.loss())
    run(learner, 80)
    learner._check()
    assert learner.npoints == 80


def test_points_told_before_the_corners_are_triangulated_later() -> None:
    learner = LearnerND(ring, BOX2)
    inner = [(0.1, 0.2), (-0.5, 0.3), (0.7, -0.7)]
    for p in inner:
        learner.tell(p, ring(p))
    learner.tell_pending((0.0, 0.0))
    assert learner.tri is None and learner.loss() == math.inf
    points, _ = learner.ask(3)
    assert len(set(points) | set(inner)) == 6
    for p in [(-1, -1), (1, -1), (-1, 1), (1, 1)]:
        learner.tell(p, ring(p))
    assert set(learner.tri.vertices) == set(learner.data)
    assert (0.0, 0.0) in learner._pending_in
    learner._check()


def test_same_point_twice_keeps_the_first_value() -> None:
    learner = LearnerND(ring, BOX2)
    run(learner, 10)
    p = next(iter(learner.data))
    first = learner.data[p]
    learner.tell(p, first + 100)
    learner.tell_many([p], [first - 100])
    assert learner.data[p] == first and learner.npoints == 10
    learner._check()


def test_bad_points_and_values_change_nothing() -> None:
    learner = LearnerND(vector, BOX2)
    run(learner, 12, vector)
    before = (dict(learner.data), set(learner.pending_points), learner.loss())
    with pytest.raises(ValueError, match=r"point \(2\.0, 0\.0\) is outside the bounds"):
        learner.tell((2.0, 0.0), vector((1, 0)))
    with pytest.raises(ValueError, match="has 3 coordinates"):
        learner.tell((0, 0, 0), vector((0, 0)))
    with pytest.raises(ValueError, match="NaN or infinite coordinate"):
        learner.tell((math.nan, 0), vector((0, 0)))
    with pytest.raises(ValueError, match="not a real number"):
        learner.tell(("a", 0), vector((0, 0)))
    with pytest.raises(
        ValueError,
        match=r"func\(\(0\.3, 0\.3\)\) returned a value of shape \(\), but earlier values "
        r"have shape \(2,\)",
    ):
        learner.tell((0.3, 0.3), 1.0)
    with pytest.raises(ValueError, match="shape"):
        learner.tell_many([(0.3, 0.3), (0.4, 0.4)], [vector((0.3, 0.3)), np.ones(3)])
    with pytest.raises(ValueError, match="outside the bounds"):
        learner.tell_many([(0.3, 0.3), (5, 5)], [vector((0.3, 0.3)), vector((0, 0))])
    with pytest.raises(ValueError, match="not a number or a 1-D array"):
        learner.tell((0.3, 0.3), "text")
    with pytest.raises(ValueError, match="got 2 points but 1 values"):
        learner.tell_many([(0.3, 0.3), (0.4, 0.4)], [1.0])
    with pytest.raises(ValueError, match="ask"):
        learner.ask(-1)
    assert (dict(learner.data), set(learner.pending_points), learner.loss()) == before
    learner._check()


def test_none_means_pending_and_nan_inf_keep_a_finite_loss() -> None:
    def bad(xy):
        if xy[0] > 0.5:
            return math.nan
        if xy[1] > 0.5:
            return math.inf
        return ring(xy)

    learner = LearnerND(bad, BOX2)
    learner.tell((0.1, 0.1), None)
    assert (0.1, 0.1) in learner.pending_points and learner.npoints == 0
    simple(learner, loss_goal=0.05)
    assert math.isfinite(learner.loss()) and learner.loss() <= 0.05
    assert any(math.isnan(v) for v in learner.data.values())
    learner._check()


def test_a_function_returning_none_still_ends_a_loss_goal_run() -> None:
    learner = LearnerND(lambda xy: None if xy[0] > 0.6 else ring(xy), BOX2)
    learner.tell_many(
        [(-1, -1), (1, -1), (-1, 1), (1, 1)], [ring((-1, -1)), 0.0, ring((-1, 1)), 0.0]
    )
    simple(learner, loss_goal=0.05)
    assert learner.loss() <= 0.05
    learner._check()


def test_ask_without_tell_pending_changes_nothing() -> None:
    learner = LearnerND(ring, BOX2)
    run(learner, 30)
    learner.ask(3)
    state = (set(learner.pending_points), dict(learner._prio), learner.loss(real=False))
    first = learner.ask(5, tell_pending=False)
    assert (set(learner.pending_points), dict(learner._prio), learner.loss(real=False)) == state
    learner._check()
    assert learner.ask(5, tell_pending=False) == first
    assert learner.ask(5) == first


def test_loss_real_false_counts_pending_points_and_remove_unfinished_undoes_it() -> None:
    learner = LearnerND(ring, BOX2)
    run(learner, 40)
    real = learner.loss()
    assert learner.loss(real=False) == real
    learner.ask(10)
    assert learner.loss(real=False) < real and learner.loss() == real
    learner._check()
    learner.remove_unfinished()
    assert not learner.pending_points and not learner._subtri
    assert learner.loss(real=False) == real
    learner._check()
    points, _ = learner.ask(10)
    assert len(set(points)) == 10


def test_ask_never_livelocks_in_a_tiny_box() -> None:
    tiny = [(1.0, 1.0 + 64 * 2.0**-52)] * 2  # only 65 floats per side
    learner = LearnerND(lambda xy: xy[1], tiny)
    seen = set()
    for _ in range(400):
        points, _ = learner.ask(1)
        if not points:
            break
        assert points[0] not in seen
        seen.add(points[0])
        learner.tell(points[0], points[0][1])
    learner._check()


@pytest.mark.parametrize("dim", [3, 4])
def test_higher_dimensions(dim: int) -> None:
    learner = LearnerND(lambda p: sum(x * x for x in p), [(-1, 1)] * dim)
    while learner.npoints < 60:
        points, _ = learner.ask(3)
        for p in points:
            learner.tell(p, sum(x * x for x in p))
    learner._check()


def test_convex_hull_bounds() -> None:
    hull = ConvexHull([(0, 0), (2, 0), (1, 1.5), (0.2, 1.0)])
    learner = LearnerND(ring, hull)
    points, _ = learner.ask(4)
    assert set(points) == {tuple(map(float, hull.points[i])) for i in hull.vertices}
    run(learner, 50)
    assert all(learner.inside_bounds(p) for p in learner.data)
    learner._check()
    with pytest.raises(ValueError, match="outside the bounds"):
        learner.tell((2, 1.5), 0.0)


def test_anisotropic_learner_stays_valid() -> None:
    learner = LearnerND(lambda xy: math.tanh(20 * xy[0]), BOX2, anisotropic=True)
    run(learner, 80, lambda xy: math.tanh(20 * xy[0]))
    learner._check()
    assert learner.get_local_transform_matrix(min(learner.tri.simplices)).shape == (2, 2)


def test_losses_follow_the_output_scale() -> None:
    """Losses use the value range at the last full recomputation (within a factor 2)."""
    learner = LearnerND(lambda xy: xy[0], BOX2)
    run(learner, 20, lambda xy: xy[0])
    learner.tell((0.123, 0.456), 1000.0)  # the range grows 500x: everything is recomputed
    assert learner._loss_range == pytest.approx(1001.0)
    learner._check()


# -- loss functions ---------------------------------------------------------------------


def test_loss_helpers() -> None:
    s = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    v = np.array([0.0, 1.0, 2.0])
    assert volume(s) == pytest.approx(0.5)
    assert volume(s, v) == pytest.approx(math.sqrt(6) / 2)
    assert default_loss(s, v, 1.0) == pytest.approx(math.sqrt(6) / 2)
    assert uniform_loss(s, v, 1.0) == pytest.approx(0.5)
    assert std_loss(s, v, 1.0) == pytest.approx(0.5 * (1 + np.std(v)))
    assert orientation(s) == 1.0 and orientation(s[::-1]) == -1.0
    assert to_list(np.array([1, 2])) == [1, 2] and to_list(3) == [3]
    assert np.allclose(choose_point_in_simplex(np.array([[0, 0], [4, 0], [2, 0.1]])), [2, 0])
    assert np.allclose(
        choose_point_in_simplex(np.array([[0, 0], [2, 0], [1, 1.5]])), [1, 0.41666667]
    )
    flat = triangle_loss(s, v, 1.0, [np.array([1.0, 1.0]), None, None], [3.0, None, None])
    bent = triangle_loss(s, v, 1.0, [np.array([1.0, 1.0]), None, None], [5.0, None, None])
    assert flat == pytest.approx(0.0, abs=1e-12) and bent > 0.1


def test_an_adaptive_style_user_loss_works_unchanged() -> None:
    """A loss written for python-adaptive (numpy in, float out, its helpers)."""
    from adaptive_nb.learner.learnerND import volume as nd_volume

    seen = []

    def my_loss(simplex, values, value_scale):
        seen.append((np.shape(simplex), np.shape(values), value_scale))
        return nd_volume(simplex) * (1 + np.abs(values).max())

    @uses_nth_neighbors(1)
    def my_neighbor_loss(simplex, values, value_scale, neighbors, neighbor_values):
        extra = sum(0 if v is None else abs(float(v)) for v in neighbor_values)
        return nd_volume(simplex) * (1 + extra)

    for loss in (my_loss, my_neighbor_loss):
        learner = LearnerND(lambda xy: 10 * xy[0] + 3, [(-1, 1), (0, 2)], loss_per_simplex=loss)
        run(learner, 25, lambda xy: 10 * xy[0] + 3)
        learner._check()
    assert seen[-1][0] == (3, 2) and seen[-1][1] == (3,)
    assert seen[-1][2] == pytest.approx(1 / 20)


# -- persistence ------------------------------------------------------------------------


@pytest.mark.parametrize("func", [ring, vector])
def test_save_load_continues_exactly(tmp_path, func) -> None:
    learner = LearnerND(func, BOX2)
    run(learner, 120, func)
    fname = tmp_path / "nd.npz"
    learner.save(fname)
    other = LearnerND(func, BOX2)
    other.load(fname)
    other._check()
    assert other.data.keys() == learner.data.keys()
    assert other.loss() == learner.loss()
    assert other.ask(7, tell_pending=False) == learner.ask(7, tell_pending=False)
    run(learner, 160, func)
    run(other, 160, func)
    assert list(other.data) == list(learner.data)


def test_load_into_a_learner_with_pending_points(tmp_path) -> None:
    learner = LearnerND(ring, BOX2)
    run(learner, 30)
    fname = tmp_path / "nd.npz"
    learner.save(fname)
    other = LearnerND(ring, BOX2)
    other.tell_pending(next(iter(learner.data)))
    other.tell_pending((0.123, 0.456))
    other.load(fname)
    assert other.pending_points == {(0.123, 0.456)}
    other._check()


def test_load_into_a_learner_with_data_and_wrong_kind(tmp_path) -> None:
    learner = LearnerND(ring, BOX2)
    run(learner, 30)
    fname = tmp_path / "nd.npz"
    learner.save(fname)
    other = LearnerND(ring, BOX2)
    run(other, 10)
    other.load(fname)  # merged through tell_many
    assert other.data.keys() >= learner.data.keys()
    other._check()
    three = LearnerND(ring, [(-1, 1)] * 3)
    with pytest.raises(IncompatibleFileError, match="does not fit"):
        three.load(fname)
    assert three.npoints == 0
    one_d = adaptive_nb.Learner1D(math.sin, (0, 1))
    with pytest.raises(IncompatibleFileError):
        one_d.load(fname)


def test_pickle_and_copy_from() -> None:
    learner = LearnerND(ring, BOX2)
    run(learner, 40)
    learner.ask(2)
    clone = pickle.loads(pickle.dumps(learner))
    clone._check()
    assert clone.data.keys() == learner.data.keys()
    assert clone.pending_points == learner.pending_points
    copy = learner.new()
    copy.copy_from(learner)
    assert copy.data.keys() == learner.data.keys()
    copy._check()


def test_dataframe_round_trip_and_continue() -> None:
    pytest.importorskip("pandas")
    learner = LearnerND(ring, BOX2)
    run(learner, 60)
    df = learner.to_dataframe(point_names=("x", "y"))
    assert list(df.columns[:3]) == ["x", "y", "value"] and len(df) == 60
    with pytest.raises(ValueError, match="point_names has 3 names"):
        learner.to_dataframe()
    other = LearnerND(ring, BOX2)
    other.load_dataframe(df, point_names=("x", "y"))
    other._check()
    assert other.data.keys() == learner.data.keys()
    adaptive_nb.BlockingRunner(other, npoints_goal=90, executor=adaptive_nb.SequentialExecutor())
    assert other.npoints >= 90
    other._check()
    with pytest.raises(ValueError, match="no column"):
        LearnerND(ring, BOX2).load_dataframe(df, point_names=("x", "q"))


def test_blocking_runner_with_the_default_executor() -> None:
    learner = LearnerND(ring, BOX2)
    adaptive_nb.BlockingRunner(learner, npoints_goal=100)
    assert learner.npoints >= 100
    learner._check()


def test_none_results_before_the_first_vector_become_nan_vectors() -> None:
    learner = LearnerND(vector, BOX2)
    points, _ = learner.ask(2)
    learner.tell(points[0], None)  # a pending point whose result is None: stored as NaN
    assert math.isnan(learner.data[points[0]]) and points[0] not in learner.pending_points
    learner.tell(points[1], vector(points[1]))
    assert learner.data[points[0]].shape == (2,) and np.isnan(learner.data[points[0]]).all()
    run(learner, 20, vector)
    learner._check()
    assert learner.to_numpy().shape == (20, 4)
