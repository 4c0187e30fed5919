"""Hypothesis invariants of IntegratorLearner, and a state machine calling ``_check()``.

* polynomials of degree <= 4 are integrated to machine precision by the first interval;
* the order in which pending points are told does not change the result;
* ``err >= 0`` and ``npoints`` counts the distinct points told;
* ``ask(n, tell_pending=False)`` changes nothing, ``ask`` never repeats a point;
* after any sequence of calls the tree and its bookkeeping are consistent (``_check()``).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from adaptive_nb.learner.integrator_learner import IntegratorLearner

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

reals = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
bounds_st = st.tuples(st.floats(-5, 5), st.floats(0.01, 10)).map(lambda t: (t[0], t[0] + t[1]))


def wiggly(x: float) -> float:
    return math.sin(7 * x) + abs(x - 0.3) ** 0.5 + (1.0 if x > 0.6 else 0.0)


def summary(learner: IntegratorLearner) -> tuple:
    ivals = tuple(v.summary() for v in learner.approximating_intervals)
    return learner.igral, learner.err, ivals, sorted(learner._stack)


@FAST
@given(coeffs=st.lists(reals, min_size=1, max_size=5), bounds=bounds_st)
def test_polynomials_up_to_degree_4_are_exact_on_the_first_interval(coeffs, bounds):
    poly = np.polynomial.Polynomial(coeffs)
    learner = IntegratorLearner(poly, bounds, 1e-10)
    points, _ = learner.ask(33)
    assert len(points) == 33
    for x in points:
        learner.tell(x, float(poly(x)))
    a, b = bounds
    antiderivative = poly.integ()
    truth = antiderivative(b) - antiderivative(a)
    scale = sum(abs(c) for c in coeffs) * (b - a) * max(1.0, abs(a), abs(b)) ** 4
    assert abs(learner.igral - truth) <= 1e-13 * scale
    assert 0 <= learner.err <= 1e-13 * scale
    learner._check()


@FAST
@given(n=st.integers(1, 90), seed=st.integers(0, 2**32 - 1), steps=st.integers(0, 60))
def test_the_order_of_tells_does_not_matter(n, seed, steps):
    reference = IntegratorLearner(wiggly, (0, 1), 1e-8)
    for _ in range(steps):  # some history first
        for x in reference.ask(1)[0]:
            reference.tell(x, wiggly(x))
    shuffled = IntegratorLearner(wiggly, (0, 1), 1e-8)
    shuffled.copy_from(reference)
    points, _ = reference.ask(n)
    assert shuffled.ask(n)[0] == points
    for x in sorted(points):
        reference.tell(x, wiggly(x))
    order = np.random.default_rng(seed).permutation(len(points))
    for i in order:
        shuffled.tell(points[i], wiggly(points[i]))
    assert summary(shuffled) == summary(reference)
    assert shuffled.ask(5, tell_pending=False) == reference.ask(5, tell_pending=False)
    shuffled._check()


@FAST
@given(batches=st.lists(st.integers(1, 12), min_size=1, max_size=15), told=st.data())
def test_err_is_non_negative_and_npoints_counts_distinct_points(batches, told):
    learner = IntegratorLearner(wiggly, (0, 1), 1e-10)
    seen: set[float] = set()
    for n in batches:
        points, gains = learner.ask(n)
        assert len(points) == len(set(points)) == len(gains) <= n
        assert not seen & set(points)
        assert all(g >= 0 for g in gains)
        subset = told.draw(st.lists(st.sampled_from(points), unique=True)) if points else []
        xs = subset + subset[:1]  # a point twice: counted once
        learner.tell_many(xs, [wiggly(x) for x in xs])
        seen.update(subset)
        assert learner.npoints == len(seen)
        assert learner.err >= 0 and learner.loss() >= 0
    learner._check()


class IntegratorMachine(RuleBasedStateMachine):
    """Random ask / tell / tell_pending / remove_unfinished / save-like copies."""

    def __init__(self) -> None:
        super().__init__()
        self.learner = IntegratorLearner(wiggly, (0.0, 1.0), 1e-9, max_ivals=8)
        self.asked: set[float] = set()

    @rule(n=st.integers(0, 40))
    def ask(self, n):
        points, gains = self.learner.ask(n)
        assert len(points) == len(gains) <= n
        assert not set(points) & set(self.learner.data)
        self.asked.update(points)

    @rule(n=st.integers(1, 40))
    def ask_without_pending(self, n):
        before = (dict(self.learner.data), set(self.learner.pending_points), summary(self.learner))
        self.learner.ask(n, tell_pending=False)
        after = (dict(self.learner.data), set(self.learner.pending_points), summary(self.learner))
        assert after == before

    @precondition(lambda self: self.learner.pending_points)
    @rule(data=st.data())
    def tell_some(self, data):
        pending = sorted(self.learner.pending_points)
        xs = data.draw(st.lists(st.sampled_from(pending), min_size=1, unique=True))
        self.learner.tell_many(xs, [wiggly(x) for x in xs])

    @precondition(lambda self: self.learner._stack)
    @rule(data=st.data())
    def tell_pending(self, data):
        x = data.draw(st.sampled_from(list(self.learner._stack)))
        self.learner.tell_pending(x)
        assert x in self.learner.pending_points

    @rule()
    def remove_unfinished(self):
        pending = set(self.learner.pending_points)
        self.learner.remove_unfinished()
        assert not self.learner.pending_points
        assert pending <= set(self.learner._stack)

    @rule()
    def rebuild_from_data(self):
        copy = self.learner.new()
        copy.copy_from(self.learner)
        copy._check()
        if not self.learner.pending_points:
            assert summary(copy)[:3] == summary(self.learner)[:3]

    @invariant()
    def consistent(self):
        self.learner._check()
        assert self.learner.err >= 0


TestIntegratorMachine = IntegratorMachine.TestCase
TestIntegratorMachine.settings = settings(
    max_examples=30, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
)
