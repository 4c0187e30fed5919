"""IntegratorLearner: accuracy, divergence, errors, files, data frames and runners."""

from __future__ import annotations

import math
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from scipy.integrate import quad

import adaptive_nb as adaptive
from adaptive_nb.errors import IncompatibleFileError, LearnerExhaustedError
from adaptive_nb.learner._integrator_coeffs import (
    LEVEL_INDICES,
    XI,
    coefficients,
    legendre,
    projection,
)
from adaptive_nb.learner.integrator_learner import DivergentIntegralError, IntegratorLearner
from adaptive_nb.runner import SequentialExecutor, simple


def run(learner: IntegratorLearner, n: int | None = None) -> None:
    """ask(1)/tell until done() (or n points)."""
    while not learner.done() and (n is None or learner.npoints < n):
        for x in learner.ask(1)[0]:
            learner.tell(x, learner.function(x))


def inv_pow(s: float, at: float = 0.0):
    def f(x: float) -> float:
        return abs(x - at) ** -s if x != at else math.inf

    return f


def step(x: float) -> float:
    return float(x > 0.3)


def sin30(x: float) -> float:
    return math.sin(30 * x)


# name -> (function, bounds, points where quad needs a split)
INTEGRANDS = {
    "smooth": (math.exp, (0.0, 1.0), []),
    "sqrt endpoint": (math.sqrt, (0.0, 1.0), []),
    "step": (step, (0.0, 1.0), [0.3]),
    "oscillatory": (sin30, (0.0, 3.0), []),
    "near divergent": (inv_pow(0.9), (-1.0, 1.0), [0.0]),
    "interior singularity": (inv_pow(0.5, 0.3), (0.0, 1.0), [0.3]),
    "peak": (lambda x: 1e-4 / ((x - 0.3) ** 2 + 1e-4), (0.0, 1.0), [0.3]),
}


def exact(f, bounds, points) -> float:
    edges = [bounds[0], *points, bounds[1]]
    return sum(
        quad(f, a, b, epsabs=0, epsrel=1e-13, limit=500)[0] for a, b in zip(edges, edges[1:])
    )


# -- the rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("level", range(4))
def test_interpolation_is_exact_for_polynomials_of_the_rule_degree(level):
    nodes = XI[LEVEL_INDICES[level]]
    rng = np.random.default_rng(level)
    c_true = rng.normal(size=len(nodes))
    values = legendre(nodes, len(nodes)) @ c_true
    c, used = coefficients(values, level)
    assert used == len(nodes)
    np.testing.assert_allclose(c[: len(nodes)], c_true, atol=1e-12)
    assert not c[len(nodes) :].any()


def test_nodes_are_nested_and_symmetric():
    for level in range(1, 4):
        assert set(LEVEL_INDICES[level - 1]) <= set(LEVEL_INDICES[level])
    np.testing.assert_array_equal(XI, -XI[::-1])
    assert XI[0] == -1 and XI[16] == 0 and XI[32] == 1


@pytest.mark.parametrize("side", [0, 1])
def test_projection_gives_the_same_polynomial_on_a_half(side):
    rng = np.random.default_rng(side)
    c = rng.normal(size=33)
    y = rng.uniform(-1, 1, size=50)
    parent_x = 0.5 * y + (0.5 if side else -0.5)
    np.testing.assert_allclose(
        legendre(y, 33) @ (projection(side) @ c), legendre(parent_x, 33) @ c, atol=1e-11
    )


def test_non_finite_values_are_dropped_from_the_interpolant():
    nodes = XI[LEVEL_INDICES[2]]
    values = 3 * nodes**2 + 1
    values[0], values[5] = math.inf, math.nan
    c, used = coefficients(values, 2)
    assert used == len(nodes) - 2
    assert math.sqrt(2) * c[0] == pytest.approx(4.0, rel=1e-13)  # the integral of 3x^2 + 1


# -- accuracy ------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("tol", [1e-5, 1e-8])
@pytest.mark.parametrize("name", sorted(INTEGRANDS))
def test_integral_is_within_tol_of_the_truth(name, tol):
    f, bounds, points = INTEGRANDS[name]
    if name == "near divergent" and tol < 1e-6:
        tol = 1e-6  # keeps the test fast (about 6000 points)
    learner = IntegratorLearner(f, bounds, tol)
    run(learner)
    truth = exact(f, bounds, points)
    assert learner.done()
    assert abs(learner.igral - truth) <= tol * abs(truth)
    assert learner.err >= abs(learner.igral - truth)  # an honest estimate
    if name == "interior singularity" and tol < 1e-6:
        # the intervals a few ulps wide around 0.3 (no float) keep about 1e-8 of error:
        # done because what can still be refined is within tol; err and loss() say so
        assert learner.err - learner.first_ival.sub[2] < tol * abs(learner.igral)
        assert learner.loss() == pytest.approx(learner.err - tol * abs(learner.igral))
    else:
        assert learner.err < tol * abs(learner.igral)
        assert learner.loss() == 0
    learner._check()


def test_first_interval_takes_33_points_and_integrates_smooth_functions():
    learner = IntegratorLearner(math.cos, (0, 1), 1e-10)
    points, gains = learner.ask(100)
    assert len(points) >= 33 and gains[0] == math.inf
    first = sorted(learner.first_ival.nodes())
    assert len(first) == 33 and first[0] == 0 and first[-1] == 1
    for x in first:
        learner.tell(x, math.cos(x))
    assert learner.igral == pytest.approx(math.sin(1), rel=1e-15)
    assert learner.done()


# -- divergence, NaN and inf ---------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        lambda x: 1 / x if x else math.inf,
        lambda x: 1 / x if x else 0.0,
        lambda x: x**-2 if x else math.inf,
    ],
)
def test_divergent_integral_raises(f):
    learner = IntegratorLearner(f, (0, 1), 1e-6)
    with pytest.raises(DivergentIntegralError, match="diverges"):
        run(learner, 5000)
    assert learner.npoints < 1000
    assert isinstance(DivergentIntegralError("x"), ValueError)
    with pytest.raises(DivergentIntegralError, match="diverges"):
        learner.ask(1)
    learner._check()


def test_endpoint_infinity_is_dropped():
    learner = IntegratorLearner(lambda x: 1 / math.sqrt(x) if x else math.inf, (0, 1), 1e-8)
    run(learner)
    assert learner.igral == pytest.approx(2, rel=1e-8)


def test_nan_region_gives_nan_and_ends():
    learner = IntegratorLearner(lambda x: math.nan if x > 0.3 else 1.0, (0, 1), 1e-6)
    run(learner, 10_000)
    assert learner.done() and math.isnan(learner.igral) and learner.err == math.inf
    assert learner.npoints < 2000
    with pytest.raises(RuntimeError, match=r"No way to improve the integral estimate\."):
        learner.ask(1)
    learner._check()


def test_max_ivals_bounds_the_intervals_refined():
    learner = IntegratorLearner(inv_pow(0.9), (-1, 1), 1e-12, max_ivals=10)
    run(learner, 50_000)
    assert learner.done() and len(learner.ivals) <= 10
    # it stops once the error set aside alone exceeds the tolerance, and does not claim
    # success
    assert learner.first_ival.sub[2] >= 1e-12 * abs(learner.igral)
    assert learner.err > 1e-12 * abs(learner.igral) and learner.loss() > 0
    assert learner.npoints < 1000


# -- ask, tell and their errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("bounds", "match"),
    [
        ((1, 0), "a < b"),
        ((0, 0), "a < b"),
        ((0, math.nan), "finite"),
        ((-math.inf, 0), "finite"),
        ((-1e308, 1e308), "finite"),
        ((0, 1, 2), "pair"),
        ("ab", "real numbers"),
        ((0, "1"), "real numbers"),
    ],
)
def test_bad_bounds_are_refused(bounds, match):
    with pytest.raises(ValueError, match=match):
        IntegratorLearner(math.sin, bounds, 1e-6)


@pytest.mark.parametrize("tol", [0, -1e-3, math.nan, math.inf, True, "1e-3", None])
def test_bad_tol_is_refused(tol):
    with pytest.raises(ValueError, match=r"tol must be a finite number > 0.*got"):
        IntegratorLearner(math.sin, (0, 1), tol)


def test_bad_function_and_max_ivals_are_refused():
    with pytest.raises(TypeError, match="function must be callable"):
        IntegratorLearner(3, (0, 1), 1e-6)
    with pytest.raises(ValueError, match="max_ivals must be a whole number >= 2, got 1"):
        IntegratorLearner(math.sin, (0, 1), 1e-6, max_ivals=1)
    learner = IntegratorLearner(math.sin, (0, 1), 1e-6)
    with pytest.raises(ValueError, match="max_ivals"):
        learner.max_ivals = 2.5
    assert learner.max_ivals == 1000


def snapshot(learner):
    return (
        dict(learner.data),
        set(learner.pending_points),
        list(learner._stack),
        learner.igral,
        learner.err,
    )


def test_tell_of_a_foreign_point_names_it_and_changes_nothing():
    learner = IntegratorLearner(math.sin, (0, 1), 1e-6)
    points, _ = learner.ask(5)
    learner.tell(points[0], 1.0)
    before = snapshot(learner)
    with pytest.raises(ValueError, match=r"x=0\.123 does not belong to any interval"):
        learner.tell(0.123, 1.0)
    with pytest.raises(ValueError, match=r"x=2\.0 does not belong"):
        learner.tell_many([points[1], 2.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="real numbers"):
        learner.tell("0.5", 1.0)
    for bad in [None, 1j, "a", [1.0, 2.0]]:
        with pytest.raises(ValueError, match="needs a real number"):
            learner.tell(points[1], bad)
    with pytest.raises(ValueError, match=r"x=0\.7 does not belong"):
        learner.tell_pending(0.7)
    with pytest.raises(ValueError, match="n >= 0"):
        learner.ask(-1)
    assert snapshot(learner) == before
    learner._check()


def test_tell_of_a_known_point_keeps_the_first_value():
    learner = IntegratorLearner(math.sin, (0, 1), 1e-6)
    x = learner.ask(1)[0][0]
    learner.tell(x, 0.5)
    learner.tell(x, 7.0)
    learner.tell_many([x], [8.0])
    assert learner.data[x] == 0.5 and learner.npoints == 1


def test_tell_pending_needs_the_point():
    learner = IntegratorLearner(math.sin, (0, 1), 1e-6)
    with pytest.raises(TypeError, match=r"tell_pending\(x\) needs the point x"):
        learner.tell_pending()
    x = learner.ask(1, tell_pending=False)[0][0]
    learner.tell_pending(x)
    assert x in learner.pending_points and x not in learner.ask(40)[0]


def test_remove_unfinished_makes_pending_points_be_asked_again():
    learner = IntegratorLearner(math.sin, (0, 1), 1e-6)
    first, _ = learner.ask(10)
    learner.remove_unfinished()
    assert not learner.pending_points
    again, _ = learner.ask(10)
    assert again == first
    learner._check()


def test_ask_without_tell_pending_changes_nothing():
    learner = IntegratorLearner(sin30, (0, 3), 1e-8)
    points, _ = learner.ask(50)
    learner.tell_many(points, [sin30(x) for x in points])
    learner.ask(3)
    before = snapshot(learner)
    points, _ = learner.ask(30, tell_pending=False)
    assert snapshot(learner) == before
    assert learner.ask(30)[0] == points
    learner._check()


def test_loss_and_done():
    learner = IntegratorLearner(math.sqrt, (0, 1), 1e-6)
    assert learner.loss() == math.inf and learner.igral == 0 and learner.err == math.inf
    assert not learner.done()
    run(learner, 100)
    assert learner.loss() == pytest.approx(learner.err - 1e-6 * abs(learner.igral))
    run(learner)
    assert learner.loss() == 0


def test_stuck_learner_raises_and_is_done():
    learner = IntegratorLearner(lambda x: 2.0, (0, 1), 1e-12)
    run(learner)
    assert learner.npoints == 33 and learner.done()
    with pytest.raises(RuntimeError, match=r"No way to improve the integral estimate\.") as info:
        learner.ask(1)
    assert isinstance(info.value, LearnerExhaustedError)
    assert learner.ask(0) == ([], [])


def test_ask_waits_for_pending_points_instead_of_guessing():
    learner = IntegratorLearner(sin30, (0, 3), 1e-8)
    points, gains = learner.ask(100)
    assert len(points) == len(set(points)) == 33
    assert all(g == math.inf for g in gains)
    assert learner.ask(5) == ([], [])  # no error: the runner waits for the 33 values
    assert not learner.done()
    learner.tell_many(points[:-1], [sin30(x) for x in points[:-1]])
    assert learner.ask(5) == ([], [])
    learner.tell(points[-1], sin30(points[-1]))
    more, gains = learner.ask(100)
    assert 0 < len(more) < 100 and all(0 < g < math.inf for g in gains)
    learner._check()


def test_parallel_runs_need_about_as_many_points_as_sequential_ones():
    sequential = IntegratorLearner(step, (0, 1), 1e-8)
    run(sequential)
    parallel = IntegratorLearner(step, (0, 1), 1e-8)
    while not parallel.done():  # ask for many points, tell them in an awkward order
        points, _ = parallel.ask(50)
        for x in sorted(points, reverse=True):
            parallel.tell(x, step(x))
    assert parallel.npoints <= 1.5 * sequential.npoints
    assert abs(parallel.igral - 0.7) <= 1e-8 * 0.7


# -- files, copies and data frames ---------------------------------------------------------


def test_save_and_load_continue_identically(tmp_path):
    learner = IntegratorLearner(math.sqrt, (0, 1), 1e-8)
    run(learner, 150)
    learner.save(tmp_path / "i.npz")
    loaded = IntegratorLearner(math.sqrt, (0, 1), 1e-8)
    loaded.load(tmp_path / "i.npz")
    loaded._check()
    assert loaded.data == learner.data and list(loaded.data) == list(learner.data)
    assert (loaded.igral, loaded.err) == (learner.igral, learner.err)
    assert loaded.ask(5, tell_pending=False) == learner.ask(5, tell_pending=False)
    run(learner)
    run(loaded)
    assert loaded.data == learner.data and loaded.igral == learner.igral


def test_load_of_other_bounds_changes_nothing(tmp_path):
    learner = IntegratorLearner(math.sqrt, (0, 1), 1e-8)
    run(learner, 50)
    learner.save(tmp_path / "i.npz")
    other = IntegratorLearner(math.sqrt, (0, 2), 1e-8)
    other.ask(3)
    before = snapshot(other)
    with pytest.raises(IncompatibleFileError, match="bounds"):
        other.load(tmp_path / "i.npz")
    assert snapshot(other) == before


def test_pickle_and_copy_from_keep_the_state():
    learner = IntegratorLearner(math.sqrt, (0, 1), 1e-8)
    run(learner, 80)
    learner.ask(3)
    clone = pickle.loads(pickle.dumps(learner))
    clone._check()
    assert clone.pending_points == learner.pending_points
    assert (clone.igral, clone.err, clone.data) == (learner.igral, learner.err, learner.data)
    copied = learner.new()
    copied.copy_from(learner)
    assert copied.data == learner.data and copied.igral == learner.igral


def test_dataframe_round_trip_rebuilds_the_tree():
    pytest.importorskip("pandas")
    learner = IntegratorLearner(step, (0, 1), 1e-8)
    run(learner, 200)
    df = learner.to_dataframe()
    assert list(df.columns) == ["x", "y"] and len(df) == learner.npoints
    assert df.attrs["inputs"] == ["x"] and df.attrs["output"] == "y"
    loaded = learner.new()
    loaded.load_dataframe(df.sample(frac=1, random_state=1))  # any row order
    loaded._check()
    assert (loaded.igral, loaded.err) == (learner.igral, learner.err)
    assert loaded.ask(4, tell_pending=False) == learner.ask(4, tell_pending=False)
    for bad in [1.5, math.nan]:
        foreign = df.copy()
        foreign.loc[3, "x"] = bad
        fresh = learner.new()
        with pytest.raises(ValueError, match=rf"x={bad} is outside the bounds"):
            fresh.load_dataframe(foreign)
        assert fresh.npoints == 0
    other = IntegratorLearner(step, (0, 0.8), 1e-8)  # other bounds: other nodes
    with pytest.raises(ValueError, match=r"are not nodes of this IntegratorLearner"):
        other.load_dataframe(df[df.x <= 0.8])
    assert other.npoints == 0


def test_to_numpy_is_sorted():
    learner = IntegratorLearner(math.exp, (0, 1), 1e-8)
    assert learner.to_numpy().shape == (0, 2)
    run(learner)
    table = learner.to_numpy()
    assert table.shape == (33, 2) and np.all(np.diff(table[:, 0]) > 0)
    np.testing.assert_array_equal(table[:, 1], [math.exp(x) for x in table[:, 0]])


# -- runners -------------------------------------------------------------------------------


def test_simple_without_goal_stops_when_done():
    learner = adaptive.IntegratorLearner(math.sqrt, (0, 1), 1e-8)
    simple(learner)
    assert learner.done() and learner.igral == pytest.approx(2 / 3, rel=1e-8)


@pytest.mark.parametrize("executor", ["sequential", "threads", "default"])
def test_blocking_runner_without_goal_stops_when_done(executor):
    learner = adaptive.IntegratorLearner(step, (0, 1), 1e-8)
    if executor == "default":  # loky processes
        adaptive.BlockingRunner(learner)
    else:
        pool = SequentialExecutor() if executor == "sequential" else ThreadPoolExecutor(2)
        adaptive.BlockingRunner(learner, executor=pool)
        pool.shutdown()
    assert learner.done()
    assert learner.igral == pytest.approx(0.7, rel=1e-8)
    learner._check()


@pytest.mark.parametrize("runner_type", ["blocking", "async"])
def test_runners_end_with_the_divergence_error_itself(runner_type):
    learner = adaptive.IntegratorLearner(lambda x: 1 / x if x else math.inf, (0, 1), 1e-6)
    with pytest.raises(DivergentIntegralError, match="diverges") as info:
        if runner_type == "blocking":
            adaptive.BlockingRunner(learner, executor=SequentialExecutor())
        else:
            runner = adaptive.Runner(learner, executor=SequentialExecutor())
            runner.block_until_done()
    assert any("raised by learner.tell(" in note for note in info.value.__notes__)
    assert learner.npoints > 0  # the data are kept
    with pytest.raises(DivergentIntegralError):
        learner.ask(1)
