"""Hypothesis-driven contract invariants of Learner2D.

Every test runs for every loss function (the built-in ones, which the learner computes
locally, and custom ones with python-adaptive's ``loss(ip)`` contract, which it calls on the
whole triangulation), with scalar and with vector outputs, on functions with NaN and inf
regions. The invariants:

* ``ask`` never hands out a known or pending point, nor the same point twice, its loss
  improvements never exceed ``loss()``, and it returns as many points as asked;
* ``ask(n, tell_pending=False)`` leaves the learner exactly as it was;
* telling data that is already known changes nothing; the loss stays finite (once the
  corners are known) whatever the values;
* ``_check()`` (a Delaunay triangulation of the bounds with every point as a vertex, a
  consistent heap, fresh losses) holds after every step of an arbitrary sequence of calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from _contract_support import contract_settings, loss_and_vector_params
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from adaptive_nb.learner.learner2D import (
    Learner2D,
    areas,
    default_loss,
    minimize_triangle_surface_loss,
    resolution_loss_function,
    thresholded_loss_function,
    triangle_loss,
    uniform_loss,
)


def user_spread_loss(ip: Any) -> np.ndarray:
    """A custom loss as a python-adaptive user writes it (simplices and values)."""
    values = ip.values[ip.tri.simplices].reshape(len(ip.tri.simplices), -1)
    return np.sqrt(areas(ip)) * (1 + np.ptp(values, axis=1) / (np.ptp(ip.values) or 1))


LOSSES = {
    "default_loss": lambda: default_loss,
    "uniform_loss": lambda: uniform_loss,
    "surface_loss": lambda: minimize_triangle_surface_loss,
    "resolution_loss": lambda: resolution_loss_function(0.01, 0.4),
    "thresholded_loss": lambda: thresholded_loss_function(-0.5, 0.5, 0.2),
    "triangle_loss": lambda: triangle_loss,
    "user_loss": lambda: user_spread_loss,
}

BOUNDS = [((-1.0, 1.0), (-1.0, 1.0)), ((0.0, 10.0), (-0.5, 0.5)), ((1e-3, 2e-3), (5.0, 7.0))]

SETTINGS = contract_settings(max_examples=8)

PARAMS = loss_and_vector_params(LOSSES)


@dataclass(frozen=True)
class Func:
    """A bump on a slope over ``bounds``, NaN in one corner region, inf in another."""

    bounds: tuple
    slope: float
    amp: float
    width: float
    bad: bool
    vector: bool

    def __call__(self, xy: tuple[float, float]) -> Any:
        (x0, x1), (y0, y1) = self.bounds
        u, v = (xy[0] - x0) / (x1 - x0), (xy[1] - y0) / (y1 - y0)
        z = self.slope * u + self.amp * math.exp(-((u - 0.4) ** 2 + (v - 0.6) ** 2) / self.width**2)
        if self.bad and u > 0.8 and v > 0.8:
            z = math.nan
        if self.bad and u < 0.1 and v < 0.2:
            z = math.inf
        return np.array([z, math.sin(3 * v)]) if self.vector else z


def functions(bounds: tuple, vector: bool) -> Any:
    return st.builds(
        Func,
        bounds=st.just(bounds),
        slope=st.floats(-3, 3),
        amp=st.floats(0.1, 5),
        width=st.floats(0.05, 0.5),
        bad=st.booleans(),
        vector=st.just(vector),
    )


def check_ask(learner: Learner2D, n: int, tell_pending: bool) -> list:
    known = set(learner.data) | set(learner.pending_points)
    loss = learner.loss()
    points, gains = learner.ask(n, tell_pending=tell_pending)
    assert len(points) == len(gains) == n
    assert len(set(points)) == n, "the same point twice"
    assert not set(points) & known, "a known or pending point"
    assert all(g <= loss for g in gains), (gains, loss)
    assert all(learner.inside_bounds(p) for p in points)
    return points


@PARAMS
@SETTINGS
@given(data=st.data())
def test_ask_tell_invariants(loss_name: str, vector: bool, data: Any) -> None:
    bounds = data.draw(st.sampled_from(BOUNDS), label="bounds")
    f = data.draw(functions(bounds, vector), label="function")
    learner = Learner2D(f, bounds, LOSSES[loss_name]())
    for _ in range(data.draw(st.integers(5, 25), label="rounds")):
        n = data.draw(st.integers(1, 6), label="n")
        points = check_ask(learner, n, True)
        for p in points:
            learner.tell(p, f(p))
    learner._check()
    if learner.bounds_are_done:
        assert not math.isnan(learner.loss())
        assert learner.loss() < math.inf or loss_name == "resolution_loss"
    # telling known data again changes nothing
    before = (dict(learner.data), learner.loss())
    for p, z in list(learner.data.items())[:10]:
        learner.tell(p, z + 1)
    assert learner.loss() == before[1]
    assert all(np.array_equal(learner.data[p], before[0][p], equal_nan=True) for p in before[0])
    # asking without tell_pending changes nothing, and gives the same points again
    pending = set(learner.pending_points)
    first = learner.ask(3, tell_pending=False)
    assert learner.ask(3, tell_pending=False) == first
    assert learner.pending_points == pending and learner.loss() == before[1]
    learner._check()


@SETTINGS
@given(data=st.data())
def test_order_of_told_data_does_not_matter_for_the_data(data: Any) -> None:
    f = data.draw(functions(BOUNDS[0], False), label="function")
    learner = Learner2D(f, BOUNDS[0])
    for _ in range(30):
        for p in learner.ask(3)[0]:
            learner.tell(p, f(p))
    items = list(learner.data.items())
    shuffled = data.draw(st.permutations(items), label="order")
    other = learner.new()
    for p, z in shuffled:
        other.tell(p, z)
    other._check()
    bulk = learner.new()
    bulk.tell_many([p for p, _ in shuffled], [z for _, z in shuffled])
    bulk._check()
    # the same data (the losses can differ slightly: where four points lie on one circle the
    # Delaunay triangulation depends on the order the points came in)
    assert set(other.data) == set(bulk.data) == set(learner.data)
    assert math.isfinite(other.loss()) and math.isfinite(bulk.loss())


class Learner2DMachine(RuleBasedStateMachine):
    """Random sequences of every learner call against a model of data and pending points."""

    loss_name = "default_loss"
    vector = False

    def __init__(self) -> None:
        super().__init__()
        self.learner: Learner2D | None = None

    @initialize(data=st.data())
    def make_learner(self, data: Any) -> None:
        self.bounds = data.draw(st.sampled_from(BOUNDS), label="bounds")
        self.func = data.draw(functions(self.bounds, self.vector), label="function")
        self.learner = Learner2D(self.func, self.bounds, LOSSES[self.loss_name]())
        self.model_data: dict = {}
        self.model_pending: set = set()

    def _point(self, data: Any) -> tuple[float, float]:
        (x0, x1), (y0, y1) = self.bounds
        choices = [st.tuples(st.floats(x0, x1), st.floats(y0, y1))]
        if self.learner.pending_points:
            choices.append(st.sampled_from(sorted(self.learner.pending_points)))
        if self.learner.data:
            choices.append(st.sampled_from(sorted(self.learner.data)))
        return data.draw(st.one_of(choices), label="point")

    def _tell(self, point: tuple[float, float], value: Any) -> None:
        self.learner.tell(point, value)
        if point not in self.model_data:
            self.model_data[point] = value
            self.model_pending.discard(point)

    @rule(n=st.integers(0, 5), tell_pending=st.booleans())
    def ask(self, n: int, tell_pending: bool) -> None:
        points = check_ask(self.learner, n, tell_pending)
        if tell_pending:
            self.model_pending.update(points)

    @precondition(lambda self: self.learner.pending_points)
    @rule(data=st.data())
    def tell_a_pending_point(self, data: Any) -> None:
        point = data.draw(st.sampled_from(sorted(self.learner.pending_points)), label="point")
        self._tell(point, self.func(point))

    @rule(data=st.data())
    def tell_any_point(self, data: Any) -> None:
        point = self._point(data)
        self._tell(point, self.func(point))

    @rule(data=st.data())
    def tell_pending(self, data: Any) -> None:
        point = self._point(data)
        self.learner.tell_pending(point)
        if point not in self.model_data:
            self.model_pending.add(point)

    @rule(data=st.data())
    def tell_many(self, data: Any) -> None:
        points = [self._point(data) for _ in range(data.draw(st.integers(0, 12), label="k"))]
        self.learner.tell_many(points, [self.func(p) for p in points])
        for p in points:
            if p not in self.model_data:
                self.model_data[p] = self.func(p)
                self.model_pending.discard(p)

    @rule()
    def remove_unfinished(self) -> None:
        self.learner.remove_unfinished()
        self.model_pending.clear()

    @invariant()
    def consistent(self) -> None:
        if self.learner is None:
            return
        self.learner._check()
        assert set(self.learner.data) == set(self.model_data)
        assert self.learner.pending_points == self.model_pending
        loss = self.learner.loss()
        assert not math.isnan(loss)
        if not self.learner.bounds_are_done:
            assert loss == math.inf


MACHINE_SETTINGS = contract_settings(max_examples=10, stateful_step_count=20)


@PARAMS
def test_state_machine(loss_name: str, vector: bool) -> None:
    machine = type(
        f"Machine_{loss_name}_{vector}",
        (Learner2DMachine,),
        {"loss_name": loss_name, "vector": vector},
    )
    machine.TestCase.settings = MACHINE_SETTINGS
    machine.TestCase().runTest()
