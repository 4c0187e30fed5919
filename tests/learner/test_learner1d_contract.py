"""Hypothesis-driven contract invariants of Learner1D.

Every test runs for every built-in loss, with scalar and with vector outputs, on functions
that have NaN and inf regions. The invariants are those of ``BaseLearner``'s docstrings:

* telling data that is already known changes nothing;
* the order in which data is told does not matter;
* ``ask`` never hands out a known or pending point, nor the same point twice, and its loss
  improvements never exceed ``loss()``;
* ``ask(n, tell_pending=False)`` leaves the learner exactly as it was;
* sampling does not change when x and y are rescaled;
* ``_check()`` holds after every step of an arbitrary sequence of calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from _contract_support import contract_settings, loss_and_vector_params
from hypothesis import given, note
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from adaptive_nb.learner.learner1D import Learner1D
from adaptive_nb.learner.losses_1d import (
    abs_min_log_loss,
    curvature_loss_function,
    default_loss,
    resolution_loss_function,
    triangle_loss,
    uniform_loss,
)

# name -> factory (curvature and resolution losses are closures; make a fresh one each time)
LOSSES = {
    "default_loss": lambda: default_loss,
    "uniform_loss": lambda: uniform_loss,
    "abs_min_log_loss": lambda: abs_min_log_loss,
    "triangle_loss": lambda: triangle_loss,
    "curvature_loss": curvature_loss_function,
    "resolution_loss": lambda: resolution_loss_function(0.01, 0.5),
}

# Losses with exact ties between intervals whatever the function (uniform_loss ranks by
# width only; resolution_loss gives 0 and inf): their ranking survives a rescaling of x only
# when the rescaling is exact, i.e. by a power of two.
X_TIE_PRONE = {"uniform_loss", "resolution_loss"}

WIDE_BOUNDS = [(-1.0, 1.0), (0.0, 1.0), (-3.0, 5.0), (1e-3, 2e-3), (-1e6, 2e6)]
# only 64 floats fit between these bounds, so the learner runs out of points to suggest
NARROW_BOUNDS = (1.0, 1.0 + 64 * 2.0**-52)

SETTINGS = contract_settings(max_examples=50)

PARAMS = loss_and_vector_params(LOSSES)


@dataclass(frozen=True)
class Func:
    """A bumpy function on ``bounds`` with optional NaN and inf regions.

    Regions are given as fractions of the bounds. The vector version returns two components:
    the NaN region blanks the first, the inf region the second.
    """

    bounds: tuple[float, float]
    slope: float
    amp: float
    center: float
    width: float
    nan_region: tuple[float, float] | None
    inf_region: tuple[float, float] | None
    vector: bool

    def __call__(self, x: float) -> Any:
        a, b = self.bounds
        t = (x - a) / (b - a)
        y = (
            self.slope * t
            + self.amp * math.exp(-(((t - self.center) / self.width) ** 2))
            + 0.1 * math.sin(7.3 * t + 0.4)
        )
        in_nan = self.nan_region is not None and self.nan_region[0] <= t <= self.nan_region[1]
        in_inf = self.inf_region is not None and self.inf_region[0] <= t <= self.inf_region[1]
        inf = math.inf if t < 0.5 else -math.inf
        if not self.vector:
            if in_nan:
                return math.nan
            return inf if in_inf else y
        y2 = 0.5 * math.cos(5.1 * t) + self.slope * t * t
        return np.array([math.nan if in_nan else y, inf if in_inf else y2])


regions = st.none() | st.tuples(st.floats(0, 0.9), st.floats(0.01, 0.1)).map(
    lambda p: (p[0], p[0] + p[1])
)


def functions(bounds: tuple[float, float], vector: bool, bad_regions: bool = True) -> Any:
    return st.builds(
        Func,
        bounds=st.just(bounds),
        slope=st.floats(-3, 3),
        amp=st.floats(0.2, 5) | st.floats(-5, -0.2),
        center=st.floats(0, 1),
        width=st.floats(0.005, 0.5),
        nan_region=regions if bad_regions else st.none(),
        inf_region=regions if bad_regions else st.none(),
        vector=st.just(vector),
    )


def in_bounds(bounds: tuple[float, float]) -> Any:
    a, b = bounds
    return st.floats(a, b) | st.sampled_from([a, b, 0.5 * a + 0.5 * b])


def y_values(vector: bool) -> Any:
    scalar = st.floats(-1e3, 1e3) | st.sampled_from([math.nan, math.inf, -math.inf, 0.0])
    if not vector:
        return scalar
    return st.lists(scalar, min_size=2, max_size=2).map(np.array)


def frozen(y: Any) -> bytes:
    """A hashable, NaN-safe fingerprint of a value as the learner stores it."""
    return np.asarray(y, dtype=float).tobytes()


def snapshot(learner: Learner1D, n_ask: int = 3) -> dict[str, Any]:
    """Everything observable about a learner (the ask is done without marking points pending)."""
    return {
        "data": {x: frozen(y) for x, y in learner.data.items()},
        "npoints": learner.npoints,
        "pending": sorted(learner.pending_points),
        "loss": learner.loss(),
        "loss_pending": learner.loss(real=False),
        "losses": learner.losses,
        "losses_combined": learner.losses_combined,
        "ask": learner.ask(n_ask, tell_pending=False),
    }


def close(a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@st.composite
def learners(draw: Any, loss_name: str, vector: bool) -> tuple[Learner1D, Func]:
    """A learner with some told data (random points, then adaptive rounds) and pending points."""
    bounds = draw(st.sampled_from(WIDE_BOUNDS))
    func = draw(functions(bounds, vector))
    learner = Learner1D(func, bounds, LOSSES[loss_name]())
    xs = draw(st.lists(in_bounds(bounds), max_size=10))
    if draw(st.booleans()):
        xs = [*bounds, *xs]
    for x in xs:
        learner.tell(x, func(x))
    for _ in range(draw(st.integers(0, 12))):
        points, _ = learner.ask(draw(st.integers(1, 3)))
        for x in points:
            learner.tell(x, func(x))
    learner.ask(draw(st.integers(0, 3)))
    for x in draw(st.lists(in_bounds(bounds), max_size=2)):
        learner.tell_pending(x)
    learner._check()
    return learner, func


def other_value(y: Any) -> Any:
    """A value different from y, of the same shape."""
    if isinstance(y, float):
        return 0.0 if math.isnan(y) else y + 1.0
    return np.nan_to_num(y) + 1.0


# -- idempotence ----------------------------------------------------------------------------


@PARAMS
@SETTINGS
@given(data=st.data())
def test_adding_existing_data_is_idempotent(loss_name: str, vector: bool, data: Any) -> None:
    learner, _ = data.draw(learners(loss_name, vector))
    before = snapshot(learner)
    items = list(learner.data.items())
    for x, y in items:
        learner.tell(x, y)
        learner.tell(x, other_value(y))  # the first value is kept
        learner.tell_pending(x)  # known points are never pending
    if items:
        xs, ys = zip(*items, strict=True)
        learner.tell_many(xs, [other_value(y) for y in ys])
        learner.tell_many(xs, ys, force=True)
    for x in list(learner.pending_points):
        learner.tell_pending(x)
    learner._check()
    assert snapshot(learner) == before


# -- order of tells -------------------------------------------------------------------------


@PARAMS
@SETTINGS
@given(data=st.data())
def test_order_of_tells_does_not_matter(loss_name: str, vector: bool, data: Any) -> None:
    """Told points and pending points, in any order and any grouping, give the same losses
    and the same next point.

    With ``_recompute_losses_factor = 1`` every loss uses the current y-range (with the
    default factor the losses use the range seen at the last recomputation, which depends
    on the order of the tells).
    """
    bounds = data.draw(st.sampled_from(WIDE_BOUNDS))
    func = data.draw(functions(bounds, vector))
    xs = data.draw(st.lists(in_bounds(bounds), max_size=25, unique=True))
    if data.draw(st.booleans(), label="with bounds"):
        xs = list(dict.fromkeys([*xs, *bounds]))
    shuffled = data.draw(st.permutations(xs))
    pending = data.draw(st.lists(in_bounds(bounds), max_size=4, unique=True), label="pending")
    pending = [p for p in pending if p not in xs]
    made = []
    for way in ("in order", "shuffled", "tell_many"):
        learner = Learner1D(func, bounds, LOSSES[loss_name]())
        learner._recompute_losses_factor = 1
        if way == "in order":
            for x in pending:  # pending before the data
                learner.tell_pending(x)
            for x in xs:
                learner.tell(x, func(x))
        elif way == "shuffled":
            for x in shuffled:
                learner.tell(x, func(x))
            for x in reversed(pending):
                learner.tell_pending(x)
        else:
            learner.tell_many(shuffled, [func(x) for x in shuffled])
            for x in pending:
                learner.tell_pending(x)
        learner._check()
        made.append(learner)
    reference = made[0]
    ref_losses = reference.losses
    ref_combined = reference.losses_combined
    ref_points, ref_gains = reference.ask(2, tell_pending=False)
    for other in made[1:]:
        assert {x: frozen(y) for x, y in other.data.items()} == {
            x: frozen(y) for x, y in reference.data.items()
        }
        assert other.pending_points == reference.pending_points
        assert close(other.loss(), reference.loss())
        assert close(other.loss(real=False), reference.loss(real=False))
        for mine, theirs in ((other.losses, ref_losses), (other.losses_combined, ref_combined)):
            assert mine.keys() == theirs.keys()
            for key, value in theirs.items():
                assert close(mine[key], value), key
        points, gains = other.ask(2, tell_pending=False)
        assert len(points) == len(ref_points)
        for x, ref_x, gain, ref_gain in zip(points, ref_points, gains, ref_gains, strict=True):
            assert close(gain, ref_gain)
            # the same point, unless two intervals tie (then either may be chosen)
            tied = sum(close(v, ref_gain) for v in ref_combined.values()) > 1
            if not tied:
                assert math.isclose(x, ref_x, rel_tol=1e-12, abs_tol=1e-12)
            if x != ref_x:
                break  # after a tie the two learners may go separate ways


# -- ask ------------------------------------------------------------------------------------


def check_ask(
    learner: Learner1D, n: int, tell_pending: bool, *, exhaustible: bool = False
) -> tuple[list[float], list[float]]:
    """Call ask and check every promise its docstring makes; return its result."""
    known, pending = set(learner.data), set(learner.pending_points)
    loss, loss_pending = learner.loss(), learner.loss(real=False)
    assert not math.isnan(loss) and not math.isnan(loss_pending)
    assert loss_pending <= loss
    points, gains = learner.ask(n, tell_pending=tell_pending)
    note(f"ask({n}, {tell_pending}) -> {points}, {gains}")
    assert isinstance(points, list) and isinstance(gains, list)
    assert len(points) == len(gains) <= n
    if not exhaustible:  # NaN and inf values must not stop the sampling
        assert len(points) == n
    assert len(set(points)) == len(points), "a point is suggested twice"
    assert not set(points) & known, "a known point is suggested"
    assert not set(points) & pending, "a pending point is suggested"
    lower, upper = learner.bounds
    assert all(lower <= x <= upper for x in points)
    for gain in gains:
        assert not math.isnan(gain)
        # never more than loss(); inf only while the loss is inf
        assert gain <= loss_pending <= loss
    assert gains == sorted(gains, reverse=True), "a later point refines a larger loss"
    expected_pending = pending | set(points) if tell_pending else pending
    assert learner.pending_points == expected_pending
    assert set(learner.data) == known
    return points, gains


@PARAMS
@SETTINGS
@given(data=st.data())
def test_ask_contract_and_loss_improvements(loss_name: str, vector: bool, data: Any) -> None:
    learner, func = data.draw(learners(loss_name, vector))
    for _ in range(data.draw(st.integers(1, 8), label="rounds")):
        n = data.draw(st.integers(0, 6), label="n")
        points, _ = check_ask(learner, n, tell_pending=True)
        told = data.draw(st.lists(st.sampled_from(points), unique=True) if points else st.just([]))
        for x in told:
            learner.tell(x, func(x))
        learner._check()


@PARAMS
@SETTINGS
@given(data=st.data())
def test_ask_without_tell_pending_changes_nothing(loss_name: str, vector: bool, data: Any) -> None:
    learner, _ = data.draw(learners(loss_name, vector))
    n = data.draw(st.integers(0, 8), label="n")
    before = snapshot(learner)
    points, gains = check_ask(learner, n, tell_pending=False)
    learner._check()
    assert snapshot(learner) == before
    assert learner.ask(n, tell_pending=False) == (points, gains)
    # and it suggests exactly what ask(n) with tell_pending=True suggests
    assert learner.ask(n) == (points, gains)
    assert learner.pending_points == set(before["pending"]) | set(points)
    learner._check()


def test_ask_without_tell_pending_exact_example() -> None:
    learner = Learner1D(lambda x: x**2, (-1, 1))
    for x in (-1.0, 1.0, 0.0):
        learner.tell(x, x**2)
    learner.tell_pending(0.5)
    before = snapshot(learner, n_ask=5)
    assert learner.ask(5, tell_pending=False) == before["ask"]
    assert snapshot(learner, n_ask=5) == before
    assert learner.pending_points == {0.5}


def test_ask_without_tell_pending_with_tied_claims() -> None:
    """Two claimed intervals whose pieces have the same loss: asking without marking the
    point pending must not change which of them the next ask picks."""
    learner = Learner1D(lambda x: x, (0, 1), uniform_loss)
    for x in (0.0, 0.5, 1.0):
        learner.tell(x, x)
    learner.tell_pending(0.75)
    learner.tell_pending(0.25)
    first = learner.ask(1, tell_pending=False)
    assert first == ([0.125], [0.25])  # ties go to the leftmost interval
    for _ in range(3):
        assert learner.ask(1, tell_pending=False) == first
    assert learner.ask(3) == ([0.125, 0.375, 0.625], [0.25, 0.25, 0.25])
    learner._check()


# -- scaling --------------------------------------------------------------------------------


@PARAMS
@SETTINGS
@given(data=st.data())
def test_sampling_is_invariant_under_scaling(loss_name: str, vector: bool, data: Any) -> None:
    """f on (a, b) and g(x) = c*f(x/s) on (s*a, s*b) are sampled at the same points (times s).

    With ties between intervals (exact for uniform_loss, resolution_loss and in NaN regions)
    rounding can make the two learners choose different ones, so there s is a power of two
    (exact in floating point). Otherwise s is arbitrary. c is always arbitrary.
    """
    bounds = data.draw(st.sampled_from(WIDE_BOUNDS[:4]), label="bounds")
    bad_regions = loss_name in X_TIE_PRONE or data.draw(st.booleans(), label="NaN regions")
    func = data.draw(functions(bounds, vector, bad_regions=bad_regions), label="f")
    s = 2.0 ** data.draw(st.integers(-12, 12), label="log2(s)")
    if not bad_regions:
        s *= data.draw(st.floats(1, 2, exclude_max=True), label="mantissa of s")
    c = data.draw(st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3), label="c")

    def g(x: float) -> Any:
        return c * func(x / s)

    scaled_bounds = (s * bounds[0], s * bounds[1])
    control = Learner1D(func, bounds, LOSSES[loss_name]())
    learner = Learner1D(g, scaled_bounds, LOSSES[loss_name]())
    control._recompute_losses_factor = learner._recompute_losses_factor = 1
    width = bounds[1] - bounds[0]
    ties = 0
    for _ in range(40):
        (cx,), (cgain,) = control.ask(1, tell_pending=False)
        (x,), (gain,) = learner.ask(1, tell_pending=False)
        assert close(gain, cgain) or math.isclose(gain, cgain, rel_tol=1e-7), (gain, cgain)
        if math.isclose(x / s, cx, rel_tol=1e-9, abs_tol=1e-9 * width):
            learner.tell(x, g(x))
        else:  # a tie between two intervals: keep both learners on the same points
            ties += 1
            assert sum(close(v, cgain) for v in control.losses.values()) > 1 or (
                sum(math.isclose(v, cgain, rel_tol=1e-7) for v in control.losses.values()) > 1
            )
            learner.tell(s * cx, g(s * cx))
        control.tell(cx, func(cx))
    note(f"ties: {ties}")
    assert learner.npoints == control.npoints == 40
    assert math.isclose(learner.loss(), control.loss(), rel_tol=1e-7)
    scaled_xs = np.array(sorted(learner.data)) / s
    np.testing.assert_allclose(scaled_xs, sorted(control.data), rtol=1e-9, atol=1e-9 * width)


# -- the state machine ----------------------------------------------------------------------


class Learner1DMachine(RuleBasedStateMachine):
    """Random sequences of every learner call, against a model of data and pending points.

    Subclasses set ``loss_name`` and ``vector``.
    """

    loss_name = "default_loss"
    vector = False

    def __init__(self) -> None:
        super().__init__()
        self.learner: Learner1D | None = None

    @initialize(data=st.data())
    def make_learner(self, data: Any) -> None:
        self.bounds = data.draw(st.sampled_from([*WIDE_BOUNDS, NARROW_BOUNDS]), label="bounds")
        self.func = data.draw(functions(self.bounds, self.vector), label="function")
        self.learner = Learner1D(self.func, self.bounds, LOSSES[self.loss_name]())
        factor = data.draw(st.sampled_from([1, 2, 1.5]), label="factor")
        self.learner._recompute_losses_factor = factor
        self.model_data: dict[float, bytes] = {}
        self.model_pending: set[float] = set()

    # model helpers

    def _model_tell(self, x: float, y: Any) -> None:
        x = float(x)
        if x not in self.model_data:
            self.model_data[x] = frozen(y)
            self.model_pending.discard(x)

    def _value(self, data: Any, x: float) -> Any:
        if data.draw(st.booleans(), label="use function"):
            return self.func(x)
        return data.draw(y_values(self.vector), label="y")

    def _point(self, data: Any) -> float:
        choices = [in_bounds(self.bounds)]
        if self.learner.pending_points:
            choices.append(st.sampled_from(sorted(self.learner.pending_points)))
        if self.learner.data:
            choices.append(st.sampled_from(sorted(self.learner.data)))
        return data.draw(st.one_of(choices), label="x")

    # rules

    @rule(n=st.integers(0, 6), tell_pending=st.booleans())
    def ask(self, n: int, tell_pending: bool) -> None:
        points, _ = check_ask(
            self.learner, n, tell_pending, exhaustible=self.bounds == NARROW_BOUNDS
        )
        if tell_pending:
            self.model_pending.update(points)

    @precondition(lambda self: self.learner.pending_points)
    @rule(data=st.data())
    def tell_a_pending_point(self, data: Any) -> None:
        x = data.draw(st.sampled_from(sorted(self.learner.pending_points)), label="x")
        y = self._value(data, x)
        self.learner.tell(x, y)
        self._model_tell(x, y)

    @rule(data=st.data())
    def tell_any_point(self, data: Any) -> None:
        x = self._point(data)
        y = self._value(data, x)
        self.learner.tell(x, y)
        self._model_tell(x, y)

    @rule(data=st.data())
    def tell_pending(self, data: Any) -> None:
        x = self._point(data)
        self.learner.tell_pending(x)
        if x not in self.model_data:
            self.model_pending.add(x)

    @rule(data=st.data())
    def tell_many(self, data: Any) -> None:
        xs = [self._point(data) for _ in range(data.draw(st.integers(0, 8), label="size"))]
        ys = [self._value(data, x) for x in xs]
        force = data.draw(st.booleans(), label="force")
        self.learner.tell_many(xs, ys, force=force)
        for x, y in zip(xs, ys, strict=True):
            self._model_tell(x, y)

    @rule(data=st.data())
    def bad_tell_changes_nothing(self, data: Any) -> None:
        before = snapshot(self.learner)
        lower, upper = self.bounds
        bad_x = data.draw(
            st.sampled_from([math.nan, lower - 1.0, upper + 1.0, math.inf, "0.5", None]),
            label="bad x",
        )
        kind = data.draw(st.sampled_from(["tell", "tell_pending", "tell_many"]), label="call")
        with pytest.raises(ValueError):
            if kind == "tell":
                self.learner.tell(bad_x, self._value(data, lower))
            elif kind == "tell_pending":
                self.learner.tell_pending(bad_x)
            else:
                xs = [self._point(data) for _ in range(data.draw(st.integers(0, 4)))]
                ys = [self._value(data, x) for x in xs]
                where = data.draw(st.integers(0, len(xs)), label="where")
                xs.insert(where, bad_x)
                ys.insert(where, self._value(data, lower))
                self.learner.tell_many(xs, ys, force=data.draw(st.booleans(), label="force"))
        assert snapshot(self.learner) == before

    @rule(data=st.data())
    def bad_value_changes_nothing(self, data: Any) -> None:
        lower, upper = self.bounds
        candidates = (lower, upper, 0.5 * lower + 0.5 * upper, 0.75 * lower + 0.25 * upper)
        new = [x for x in candidates if x not in self.learner.data]
        if len(new) < 2:
            return
        before = snapshot(self.learner)
        if self.vector:
            bad = data.draw(st.sampled_from([1.0, np.ones(3), np.ones((2, 2)), None, "ab"]))
        else:
            bad = data.draw(st.sampled_from([np.ones(2), np.ones((1, 1)), None, "ab"]))
        if not self.learner.data:  # no shape to contradict yet: only None/str/2-D are wrong
            bad = data.draw(st.sampled_from([None, "ab", np.ones((2, 2))]))
        with pytest.raises(ValueError):
            if data.draw(st.booleans(), label="tell_many"):
                self.learner.tell_many([new[1], new[0]], [self.func(new[1]), bad])
            else:
                self.learner.tell(new[0], bad)
        assert snapshot(self.learner) == before

    @rule()
    def remove_unfinished(self) -> None:
        self.learner.remove_unfinished()
        self.model_pending.clear()

    @rule(real=st.booleans())
    def loss(self, real: bool) -> None:
        value = self.learner.loss(real=real)
        assert not math.isnan(value)
        assert value >= 0
        if real:
            assert value >= self.learner.loss(real=False)
        if not self.learner.data.keys() >= set(self.bounds):
            assert value == math.inf

    @invariant()
    def check(self) -> None:
        if self.learner is None:
            return
        self.learner._check()
        assert self.learner.data.keys() == self.model_data.keys()
        assert {x: frozen(y) for x, y in self.learner.data.items()} == self.model_data
        assert self.learner.pending_points == self.model_pending
        assert self.learner.npoints == len(self.model_data)


MACHINE_SETTINGS = contract_settings(max_examples=20, stateful_step_count=25)

for _name in LOSSES:
    for _vector in (False, True):
        _kind = "Vector" if _vector else "Scalar"
        _cls_name = f"{''.join(p.title() for p in _name.split('_'))}{_kind}Machine"
        _machine = type(_cls_name, (Learner1DMachine,), {"loss_name": _name, "vector": _vector})
        _test = _machine.TestCase
        _test.settings = MACHINE_SETTINGS
        globals()[f"Test{_cls_name}"] = _test
del _name, _vector, _kind, _cls_name, _machine, _test
