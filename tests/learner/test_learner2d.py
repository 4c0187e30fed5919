"""Learner2D: behaviour, loss functions, bad input, reliability, saving, runners."""

from __future__ import annotations

import math
import pickle
import re

import numpy as np
import pytest
from scipy.interpolate import LinearNDInterpolator

import adaptive_nb
from adaptive_nb.errors import IncompatibleFileError
from adaptive_nb.learner.learner2D import (
    Learner2D,
    areas,
    choose_point_in_triangle,
    default_loss,
    deviations,
    minimize_triangle_surface_loss,
    resolution_loss_function,
    thresholded_loss_function,
    triangle_loss,
    uniform_loss,
)
from adaptive_nb.runner import simple

BOUNDS = [(-1.0, 1.0), (-1.0, 1.0)]


def ring(xy, a=0.2):
    x, y = xy
    return x + math.exp(-((x**2 + y**2 - 0.75**2) ** 2) / a**4)


def vector(xy):
    return np.array([ring(xy), math.sin(3 * xy[1])])


def run(learner, n, f=ring, batch=1):
    while learner.npoints < n:
        points, _ = learner.ask(batch)
        if not points:
            break
        for p in points:
            learner.tell(p, f(p))
    return learner


# -- basics -------------------------------------------------------------------------------


def test_corners_first_then_finite_loss():
    learner = Learner2D(ring, BOUNDS)
    points, gains = learner.ask(4)
    assert sorted(points) == [(-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0), (1.0, 1.0)]
    assert gains == [math.inf] * 4
    assert learner.loss() == math.inf and not learner.bounds_are_done
    for p in points:
        learner.tell(p, ring(p))
    assert learner.bounds_are_done and math.isfinite(learner.loss())
    learner._check()


def test_public_attributes():
    learner = Learner2D(ring, [(0, 4), (-1, 1)])
    assert learner.ndim == 2 and learner.stack_size == 10 and learner.aspect_ratio == 1
    np.testing.assert_allclose(learner.xy_mean, [2, 0])
    np.testing.assert_allclose(learner.xy_scale, [4, 2])
    assert learner.loss_per_triangle is default_loss
    assert learner.vdim == 1 and learner.npoints == 0 and learner.pending_points == set()
    assert learner.inside_bounds((4, 1)) and not learner.inside_bounds((4.1, 0))
    learner.aspect_ratio = 2
    np.testing.assert_allclose(learner.xy_scale, [4, 1])


def test_ask_returns_new_distinct_points_and_data_is_a_mapping():
    learner = run(Learner2D(ring, BOUNDS), 100, batch=7)
    points, gains = learner.ask(50)
    assert len(set(points)) == 50 and len(gains) == 50
    assert not set(points) & set(learner.data)
    assert all(g <= learner.loss() for g in gains)
    assert learner.pending_points == set(points)
    assert dict(learner.data) == {p: ring(p) for p in learner.data}
    with pytest.raises(TypeError):
        learner.data[(0.0, 0.0)] = 1  # read-only
    learner._check()


def test_ask_without_tell_pending_changes_nothing():
    learner = run(Learner2D(ring, BOUNDS), 60)
    learner.ask(3)
    before = (learner.loss(), set(learner.pending_points), learner.npoints)
    first = learner.ask(5, tell_pending=False)
    assert learner.ask(5, tell_pending=False) == first
    assert (learner.loss(), set(learner.pending_points), learner.npoints) == before
    assert len(set(first[0])) == 5
    learner._check()


def test_ask_counts_are_checked():
    learner = Learner2D(ring, BOUNDS)
    with pytest.raises(ValueError, match=r"ask\(n\) needs n >= 0, got -1"):
        learner.ask(-1)
    with pytest.raises(ValueError, match="whole number"):
        learner.ask(1.5)
    assert learner.ask(0) == ([], [])


def test_remove_unfinished_and_new():
    learner = run(Learner2D(ring, BOUNDS), 80)
    learner.ask(10)
    learner.remove_unfinished()
    assert learner.pending_points == set() and learner.npoints == 80
    learner._check()
    fresh = learner.new()
    assert fresh.npoints == 0 and fresh.function is ring and fresh.bounds == learner.bounds


def test_vector_output():
    learner = run(Learner2D(vector, BOUNDS), 100, f=vector)
    assert learner.vdim == 2
    assert learner.to_numpy().shape == (100, 4)
    learner._check()
    xs, ys, zs = learner.interpolated_on_grid(20)
    assert zs.shape == (20, 20, 2) and xs.shape == ys.shape == (20,)


def test_interpolator_matches_the_data():
    learner = run(Learner2D(ring, [(0, 2), (-1, 3)]), 60)
    ip = learner.interpolator()
    assert isinstance(ip, LinearNDInterpolator)
    for point, value in list(learner.data.items())[:10]:
        assert ip(*point) == pytest.approx(value)
    scaled = learner.interpolator(scaled=True)
    assert np.abs(scaled.tri.points).max() <= 0.5 + 1e-12
    with pytest.warns(DeprecationWarning, match="interpolator"):
        old = learner.ip()
    np.testing.assert_allclose(old.tri.points, scaled.tri.points)
    _, _, zs = learner.interpolated_on_grid(5)
    assert zs.shape == (5, 5) and zs[0, 0] == pytest.approx(learner.data[(0.0, -1.0)])
    with pytest.raises(ValueError, match="n must be a whole number >= 2, got 1"):
        learner.interpolated_on_grid(1)
    with pytest.raises(ValueError, match="at least 3 told points"):
        Learner2D(ring, BOUNDS).interpolator()


def test_to_numpy_and_dataframe_round_trip():
    pd = pytest.importorskip("pandas")
    learner = run(Learner2D(ring, BOUNDS), 40)
    table = learner.to_numpy()
    assert table.shape == (40, 3)
    df = learner.to_dataframe(x_name="a", y_name="b", z_name="c")
    assert isinstance(df, pd.DataFrame) and list(df.columns)[:3] == ["a", "b", "c"]
    assert df.attrs["inputs"] == ["a", "b"] and df.attrs["output"] == "c"
    other = learner.new()
    other.load_dataframe(df, x_name="a", y_name="b", z_name="c")
    assert dict(other.data) == dict(learner.data)
    other._check()


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "match"),
    [
        ([(1, -1), (0, 1)], r"x bounds are reversed: \(1, -1\)"),
        ([(0, 1), (2, 2)], "y bounds have zero width"),
        ([(0, math.nan), (0, 1)], "x bounds must be finite"),
        ([(0, 1), (-math.inf, 1)], "y bounds must be finite"),
        ([(0, 1)], "two pairs of numbers"),
        ([(0, 1, 2), (0, 1)], "two pairs of numbers"),
        (5, "two pairs of numbers"),
        ([("a", 1), (0, 1)], "real numbers, got 'a'"),
    ],
)
def test_bad_bounds(bounds, match):
    with pytest.raises(ValueError, match=match):
        Learner2D(ring, bounds)


def test_bad_arguments():
    with pytest.raises(TypeError, match="function must be callable"):
        Learner2D(3, BOUNDS)
    with pytest.raises(TypeError, match="loss_per_triangle must be callable"):
        Learner2D(ring, BOUNDS, loss_per_triangle=1)
    learner = Learner2D(ring, BOUNDS)
    with pytest.raises(ValueError, match="stack_size must be a whole number >= 1, got 0"):
        learner.stack_size = 0
    with pytest.raises(ValueError, match="aspect_ratio must be a finite number > 0, got -1"):
        learner.aspect_ratio = -1
    with pytest.raises(ValueError, match=r"min_distance=0\.5 is larger than max_distance=0\.1"):
        resolution_loss_function(0.5, 0.1)
    with pytest.raises(ValueError, match="lower <= upper"):
        thresholded_loss_function(1, 0)
    with pytest.raises(ValueError, match="priority_factor must be a finite number >= 0"):
        thresholded_loss_function(priority_factor=-1)


def test_tell_outside_bounds_is_refused():
    learner = run(Learner2D(ring, BOUNDS), 20)
    before = dict(learner.data)
    with pytest.raises(ValueError, match=r"\(1.5, 0\) is outside the bounds"):
        learner.tell((1.5, 0), 1.0)
    with pytest.raises(ValueError, match="pairs of real numbers"):
        learner.tell((1, 2, 3), 1.0)
    with pytest.raises(ValueError, match="pairs of real numbers"):
        learner.tell_pending("ab")
    assert dict(learner.data) == before
    learner._check()


def test_shape_change_is_refused_and_learner_unchanged():
    learner = run(Learner2D(ring, BOUNDS), 20)
    points, _ = learner.ask(1)
    before = (dict(learner.data), set(learner.pending_points), learner.loss())
    msg = re.escape(
        f"function({points[0]!r}) returned a value of shape (2,), but earlier values have shape ()"
    )
    with pytest.raises(ValueError, match=msg):
        learner.tell(points[0], np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="not a number or a 1-D array"):
        learner.tell(points[0], "text")
    assert (dict(learner.data), set(learner.pending_points), learner.loss()) == before
    learner._check()
    learner.tell(points[0], 0.5)  # still usable
    learner._check()


def test_tell_many_checks_everything_first():
    learner = run(Learner2D(ring, BOUNDS), 10)
    before = dict(learner.data)
    with pytest.raises(ValueError, match="outside the bounds"):
        learner.tell_many([(0.1, 0.1), (3, 3)], [1.0, 2.0])
    with pytest.raises(ValueError, match="2 points but 1 values"):
        learner.tell_many([(0.1, 0.1), (0.2, 0.2)], [1.0])
    assert dict(learner.data) == before


def test_same_point_twice_keeps_the_first_value():
    learner = run(Learner2D(ring, BOUNDS), 10)
    learner.tell((0.25, 0.5), 1.0)
    learner.tell((0.25, 0.5), 7.0)
    assert learner.data[(0.25, 0.5)] == 1.0
    learner._check()


@pytest.mark.parametrize("bad", [math.nan, math.inf, None])
def test_bad_values_keep_the_loss_finite_and_a_loss_goal_run_ends(bad):
    def f(xy):
        return bad if xy[0] > 0.3 else ring(xy)

    learner = Learner2D(f, BOUNDS)
    simple(learner, loss_goal=0.05, progress=False)
    assert math.isfinite(learner.loss()) and learner.loss() <= 0.05
    assert any(x > 0.3 for x, _ in learner.data)
    if bad is None:
        assert all(math.isnan(z) for (x, _), z in learner.data.items() if x > 0.3)
    learner._check()


def test_no_livelock_with_a_tiny_max_distance():
    learner = Learner2D(ring, BOUNDS, resolution_loss_function(0, 1e-9))
    seen = set()
    for _ in range(60):
        points, _ = learner.ask(3)
        assert len(points) == 3 and not seen & set(points)
        seen.update(points)
        for p in points:
            learner.tell(p, ring(p))
    assert learner.loss() == math.inf
    learner._check()


def test_narrow_bounds_run_out_of_points_without_repeating():
    eps = 2.0**-52  # 4 floats wide: 25 points in all
    learner = Learner2D(ring, [(1.0, 1.0 + 4 * eps), (1.0, 1.0 + 4 * eps)])
    seen = set()
    for _ in range(100):
        points, _ = learner.ask(1)
        if not points:
            break
        assert points[0] not in seen
        seen.add(points[0])
        learner.tell(points[0], ring(points[0]))
    assert learner.ask(1) == ([], [])
    assert len(seen) <= 25
    learner._check()


# -- loss functions -----------------------------------------------------------------------


def test_loss_functions_on_a_scipy_interpolator():
    rng = np.random.default_rng(0)
    points = np.vstack(
        [[[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]], rng.uniform(-0.5, 0.5, (40, 2))]
    )
    values = np.sin(4 * points[:, 0]) + points[:, 1]
    ip = LinearNDInterpolator(points, values)
    m = len(ip.tri.simplices)
    for loss in (
        default_loss,
        uniform_loss,
        minimize_triangle_surface_loss,
        triangle_loss,
        resolution_loss_function(0.01, 0.3),
        thresholded_loss_function(0, 0.5),
    ):
        out = loss(ip)
        assert out.shape == (m,) and not np.isnan(out).any() and (out >= 0).all()
    np.testing.assert_allclose(areas(ip).sum(), 1.0)
    np.testing.assert_allclose(uniform_loss(ip), np.sqrt(areas(ip)))
    assert len(deviations(ip)) == 1
    flat = LinearNDInterpolator(points, 2 * points[:, 0] - points[:, 1])
    np.testing.assert_allclose(deviations(flat)[0], 0, atol=1e-9)  # planes are exact
    np.testing.assert_allclose(default_loss(flat), 0.3 * areas(flat), atol=1e-9)
    np.testing.assert_allclose(triangle_loss(flat), 0, atol=1e-9)


def test_choose_point_in_triangle():
    good = np.array([[0, 0], [1, 0], [0.5, 0.8]])
    np.testing.assert_allclose(choose_point_in_triangle(good, 5), good.mean(axis=0))
    thin = np.array([[0, 0], [1, 0], [0.5, 0.05]])
    np.testing.assert_allclose(choose_point_in_triangle(thin, 5), [0.5, 0])


@pytest.mark.parametrize(
    "loss",
    [
        default_loss,
        uniform_loss,
        minimize_triangle_surface_loss,
        resolution_loss_function(0.02, 0.5),
    ],
)
def test_learner_loss_matches_the_loss_function(loss):
    """The learner's local losses are the loss functions' formulas: on the same triangles,
    with the learner's value scale, they agree."""
    learner = run(Learner2D(ring, BOUNDS, loss), 150)
    ip = learner._loss_interpolator()
    # the loss functions divide values by their exact range, the learner by a power of two
    learner._zscale = np.ptp(ip.values)
    learner._inv = 1 / learner._zscale
    learner._recompute_all()
    expected = loss(ip)
    np.testing.assert_allclose(learner._loss, expected, rtol=1e-6, atol=1e-12)


def test_user_loss_using_simplices_and_values():
    calls = []

    def spread_loss(ip):
        calls.append(len(ip.tri.simplices))
        values = ip.values[ip.tri.simplices].reshape(len(ip.tri.simplices), -1)
        assert ip.tri.neighbors.shape == ip.tri.simplices.shape
        return np.sqrt(areas(ip)) * (1 + np.ptp(values, axis=1))

    learner = Learner2D(ring, BOUNDS, spread_loss)
    learner.stack_size = 5
    run(learner, 200)
    assert 30 <= len(calls) <= 60  # about once per stack_size points
    assert math.isfinite(learner.loss())
    learner._check()


def test_user_loss_calling_the_interpolator():
    def probe_loss(ip):
        centres = ip.tri.points[ip.tri.simplices].mean(axis=1)
        return np.sqrt(areas(ip)) * (1 + np.abs(ip(centres)).ravel())

    learner = run(Learner2D(ring, BOUNDS, probe_loss), 120)
    assert math.isfinite(learner.loss())
    learner._check()


def test_user_loss_with_a_wrong_length_is_refused():
    learner = Learner2D(ring, BOUNDS, lambda ip: np.zeros(3))
    corners, _ = learner.ask(4)
    for p in corners[:3]:
        learner.tell(p, ring(p))
    with pytest.raises(ValueError, match="returned 3 values for 2 triangles"):
        learner.tell(corners[3], ring(corners[3]))
    learner._check()


def test_default_loss_samples_the_ring_densely():
    learner = run(Learner2D(ring, BOUNDS), 600)
    r = np.hypot(*np.array(list(learner.data)).T)
    near = np.mean(np.abs(r - 0.75) < 0.2)
    assert near > 0.5  # the band covers about 30 % of the square
    assert not learner._stuck  # every triangle can still be split


# -- saving -------------------------------------------------------------------------------


@pytest.mark.parametrize("f", [ring, vector])
def test_save_load_continues_with_the_same_points(tmp_path, f):
    learner = run(Learner2D(f, BOUNDS), 150, f=f)
    fname = tmp_path / "l2d.npz"
    learner.save(fname)
    loaded = learner.new()
    loaded.load(fname)
    loaded._check()
    assert dict((k, np.asarray(v).tolist()) for k, v in loaded.data.items()) == dict(
        (k, np.asarray(v).tolist()) for k, v in learner.data.items()
    )
    assert loaded.loss() == learner.loss()
    for _ in range(30):
        a, b = learner.ask(2), loaded.ask(2)
        assert a == b
        for p in a[0]:
            learner.tell(p, f(p))
            loaded.tell(p, f(p))


def test_load_of_an_adaptive_save_file(tmp_path):
    import adaptive

    theirs = adaptive.Learner2D(ring, BOUNDS)
    adaptive.runner.simple(theirs, npoints_goal=50)
    fname = tmp_path / "theirs.pickle"
    theirs.save(fname)
    learner = Learner2D(ring, BOUNDS)
    learner.load(fname, allow_pickle=True)
    assert dict(learner.data) == dict(theirs.data)
    learner._check()


def test_load_of_another_learner_is_refused(tmp_path):
    fname = tmp_path / "one.npz"
    one = adaptive_nb.Learner1D(math.sin, (0, 1))
    simple(one, npoints_goal=10, progress=False)
    one.save(fname)
    learner = Learner2D(ring, BOUNDS)
    with pytest.raises(IncompatibleFileError, match="Learner1D"):
        learner.load(fname)
    assert learner.npoints == 0


def test_pickle_and_copy_from():
    learner = run(Learner2D(ring, BOUNDS), 50)
    learner.ask(3)
    clone = pickle.loads(pickle.dumps(learner))
    assert dict(clone.data) == dict(learner.data)
    assert clone.pending_points == learner.pending_points
    clone._check()
    other = learner.new()
    other.copy_from(learner)
    assert dict(other.data) == dict(learner.data)


def test_aspect_ratio_change_rebuilds():
    learner = run(Learner2D(ring, [(0, 10), (0, 1)]), 60)
    learner.aspect_ratio = 0.1
    learner._check()
    assert learner.npoints == 60
    run(learner, 80)
    learner._check()


# -- runners ------------------------------------------------------------------------------


def test_simple_runner_reaches_a_loss_goal():
    learner = Learner2D(ring, BOUNDS)
    simple(learner, loss_goal=0.01, progress=False)
    assert learner.loss() <= 0.01
    learner._check()


def test_blocking_runner_with_the_default_executor():
    learner = Learner2D(ring, BOUNDS)
    adaptive_nb.BlockingRunner(learner, npoints_goal=200)
    assert learner.npoints >= 200 and not learner.pending_points
    learner._check()
