"""Hypothesis-driven contract invariants of LearnerND.

Every test runs for every built-in loss, in 2-D and 3-D, with scalar and vector outputs, on
functions with NaN and inf regions:

* telling data that is already known changes nothing;
* ``ask`` never hands out a known or pending point, nor the same point twice; its loss
  improvements never exceed ``loss()``; ``ask(n, tell_pending=False)`` changes nothing;
* the order of the tells does not change the data, and the triangulation stays valid;
* ``_check()`` (Delaunay property, the simplices cover the domain, heaps and pending
  pieces consistent) holds after every step of an arbitrary sequence of calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from adaptive_nb.learner.learnerND import (
    LearnerND,
    curvature_loss_function,
    default_loss,
    std_loss,
    triangle_loss,
    uniform_loss,
)

LOSSES = {
    "default_loss": lambda: default_loss,
    "uniform_loss": lambda: uniform_loss,
    "std_loss": lambda: std_loss,
    "triangle_loss": lambda: triangle_loss,
    "curvature_loss": curvature_loss_function,
}
CASES = [(name, dim, vec) for name in LOSSES for dim in (2, 3) for vec in (False, True)]
PARAMS = pytest.mark.parametrize(
    ("loss_name", "dim", "vector"),
    CASES,
    ids=[f"{n}-{d}d-{'vector' if v else 'scalar'}" for n, d, v in CASES],
)
SETTINGS = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Func:
    """A bump on a slope, with optional NaN and inf half-spaces (in the first coordinate)."""

    center: float
    width: float
    nan_above: float | None
    inf_below: float | None
    vector: bool

    def __call__(self, p: tuple[float, ...]) -> Any:
        r2 = sum((x - self.center) ** 2 for x in p)
        y = p[0] + math.exp(-r2 / self.width)
        if self.nan_above is not None and p[0] > self.nan_above:
            y = math.nan
        if self.inf_below is not None and p[0] < self.inf_below:
            y = math.inf
        return np.array([y, p[-1] ** 2]) if self.vector else y


def functions(vector: bool) -> Any:
    edge = st.none() | st.floats(0.5, 0.9)
    return st.builds(
        Func,
        center=st.floats(-0.5, 0.5),
        width=st.floats(0.01, 1),
        nan_above=edge,
        inf_below=edge.map(lambda v: None if v is None else -v),
        vector=st.just(vector),
    )


def points_in(dim: int) -> Any:
    coordinate = st.sampled_from([-1.0, 0.0, 1.0, 0.5]) | st.floats(-1, 1)
    return st.tuples(*[coordinate] * dim)


def frozen(y: Any) -> bytes:
    return np.asarray(y, dtype=float).tobytes()


@st.composite
def learners(draw: Any, loss_name: str, dim: int, vector: bool) -> tuple[LearnerND, Func]:
    func = draw(functions(vector))
    learner = LearnerND(func, [(-1, 1)] * dim, LOSSES[loss_name]())
    for p in draw(st.lists(points_in(dim), max_size=4)):
        learner.tell(p, func(p))
    for _ in range(draw(st.integers(0, 6))):
        points, _ = learner.ask(draw(st.integers(1, 8)))
        for p in points:
            learner.tell(p, func(p))
    learner.ask(draw(st.integers(0, 3)))
    learner._check()
    return learner, func


def snapshot(learner: LearnerND) -> dict[str, Any]:
    return {
        "data": {p: frozen(v) for p, v in learner.data.items()},
        "pending": sorted(learner.pending_points),
        "loss": learner.loss(),
        "loss_pending": learner.loss(real=False),
        "ask": learner.ask(3, tell_pending=False),
    }


def check_ask(learner: LearnerND, n: int, tell_pending: bool) -> list[tuple[float, ...]]:
    known, pending = set(learner.data), set(learner.pending_points)
    loss, loss_pending = learner.loss(), learner.loss(real=False)
    assert not math.isnan(loss) and loss_pending <= loss
    points, gains = learner.ask(n, tell_pending=tell_pending)
    note(f"ask({n}, {tell_pending}) -> {points}, {gains}")
    assert len(points) == len(gains) <= n
    assert len(set(points)) == len(points), "a point is suggested twice"
    assert not set(points) & (known | pending), "a known or pending point is suggested"
    assert all(learner.inside_bounds(p) for p in points)
    assert all(not math.isnan(g) and g <= loss_pending for g in gains)
    assert gains == sorted(gains, reverse=True)
    assert learner.pending_points == (pending | set(points) if tell_pending else pending)
    return points


@PARAMS
@SETTINGS
@given(data=st.data())
def test_adding_existing_data_is_idempotent(loss_name, dim, vector, data) -> None:
    learner, _ = data.draw(learners(loss_name, dim, vector))
    before = snapshot(learner)
    items = list(learner.data.items())
    for p, v in items:
        learner.tell(p, v)
        learner.tell_pending(p)
    if items:
        learner.tell_many([p for p, _ in items], [np.nan_to_num(v) + 1 for _, v in items])
    learner._check()
    assert snapshot(learner) == before


@PARAMS
@SETTINGS
@given(data=st.data())
def test_ask_contract(loss_name, dim, vector, data) -> None:
    learner, func = data.draw(learners(loss_name, dim, vector))
    for _ in range(data.draw(st.integers(1, 4), label="rounds")):
        n = data.draw(st.integers(0, 6), label="n")
        points = check_ask(learner, n, tell_pending=data.draw(st.booleans()))
        for p in data.draw(st.permutations(points)):
            if p in learner.pending_points:
                learner.tell(p, func(p))
        learner._check()


@PARAMS
@SETTINGS
@given(data=st.data())
def test_ask_without_tell_pending_changes_nothing(loss_name, dim, vector, data) -> None:
    learner, _ = data.draw(learners(loss_name, dim, vector))
    n = data.draw(st.integers(0, 6), label="n")
    before = snapshot(learner)
    first = learner.ask(n, tell_pending=False)
    learner._check()
    assert snapshot(learner) == before
    assert learner.ask(n) == first
    learner._check()


@pytest.mark.parametrize("dim", [2, 3])
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_order_of_tells_gives_the_same_data_and_a_valid_mesh(dim, data) -> None:
    func = data.draw(functions(False))
    points = data.draw(st.lists(points_in(dim), min_size=1, max_size=15, unique=True))
    corners = [tuple(float((i >> k) & 1) * 2 - 1 for k in range(dim)) for i in range(2**dim)]
    everything = list(dict.fromkeys(corners + points))
    made = []
    for order in (everything, data.draw(st.permutations(everything))):
        learner = LearnerND(func, [(-1, 1)] * dim)
        learner.tell_many(order, [func(p) for p in order])
        learner._check()
        made.append(learner)
    assert {p: frozen(v) for p, v in made[0].data.items()} == {
        p: frozen(v) for p, v in made[1].data.items()
    }
    assert made[0].loss(real=False) <= made[0].loss()


class LearnerNDMachine(RuleBasedStateMachine):
    """Random sequences of calls; the invariants are checked after every step."""

    loss_name = "default_loss"
    dim = 2
    vector = False

    def __init__(self) -> None:
        super().__init__()
        self.learner: LearnerND | None = None

    @initialize(data=st.data())
    def make_learner(self, data: Any) -> None:
        self.func = data.draw(functions(self.vector), label="function")
        self.learner = LearnerND(self.func, [(-1, 1)] * self.dim, LOSSES[self.loss_name]())
        self.model: dict[tuple[float, ...], bytes] = {}

    def _point(self, data: Any) -> tuple[float, ...]:
        choices = [points_in(self.dim)]
        if self.learner.pending_points:
            choices.append(st.sampled_from(sorted(self.learner.pending_points)))
        if self.learner.data:
            choices.append(st.sampled_from(sorted(self.learner.data)))
        return data.draw(st.one_of(choices), label="point")

    def _tell(self, p: tuple[float, ...], value: Any) -> None:
        self.learner.tell(p, value)
        p = tuple(float(x) for x in p)
        if p not in self.model:
            self.model[p] = frozen(value)

    @rule(n=st.integers(0, 5), tell_pending=st.booleans())
    def ask(self, n: int, tell_pending: bool) -> None:
        check_ask(self.learner, n, tell_pending)

    @precondition(lambda self: self.learner is not None and self.learner.pending_points)
    @rule(data=st.data())
    def tell_pending_point(self, data: Any) -> None:
        p = data.draw(st.sampled_from(sorted(self.learner.pending_points)), label="pending")
        self._tell(p, self.func(p))

    @rule(data=st.data())
    def tell_any_point(self, data: Any) -> None:
        p = self._point(data)
        self._tell(p, self.func(p))

    @rule(data=st.data())
    def tell_pending(self, data: Any) -> None:
        self.learner.tell_pending(self._point(data))

    @rule(data=st.data())
    def bad_tell_changes_nothing(self, data: Any) -> None:
        before = snapshot(self.learner)
        bad = data.draw(
            st.sampled_from([(2.0,) * self.dim, (math.nan,) * self.dim, (0.0,) * (self.dim + 1)])
        )
        with pytest.raises(ValueError):
            self.learner.tell(bad, self.func((0.0,) * self.dim))
        if self.learner.data:
            wrong = 1.0 if self.vector else np.ones(3)
            new = data.draw(points_in(self.dim))
            if tuple(float(x) for x in new) not in self.learner.data:
                with pytest.raises(ValueError, match="shape"):
                    self.learner.tell(new, wrong)
        assert snapshot(self.learner) == before

    @rule()
    def remove_unfinished(self) -> None:
        self.learner.remove_unfinished()
        assert not self.learner.pending_points

    @rule(real=st.booleans())
    def loss(self, real: bool) -> None:
        value = self.learner.loss(real=real)
        assert value >= 0 and not math.isnan(value)
        if not self.learner.bounds_are_done:
            assert value == math.inf

    @invariant()
    def check(self) -> None:
        if self.learner is None:
            return
        self.learner._check()
        assert {p: frozen(v) for p, v in self.learner.data.items()} == self.model


MACHINE_SETTINGS = settings(
    max_examples=4,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

for _name, _dim, _vector in CASES:
    _cls = (
        f"{''.join(p.title() for p in _name.split('_'))}{_dim}D{'Vector' if _vector else 'Scalar'}"
    )
    _machine = type(_cls, (LearnerNDMachine,), {"loss_name": _name, "dim": _dim, "vector": _vector})
    _machine.TestCase.settings = MACHINE_SETTINGS
    globals()[f"Test{_cls}Machine"] = _machine.TestCase
del _name, _dim, _vector, _cls, _machine
