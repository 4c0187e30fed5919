"""Hypothesis-driven invariants of AverageLearner1D.

* the mean at x is the mean of its samples, ``nsamples`` counts them, and ``error`` is the
  Student-t interval recomputed from them with scipy;
* the order (and grouping) of tells does not change the data;
* ``ask`` hands out distinct (seed, x) never told nor pending, with seeds unique per x, and
  loss improvements no larger than ``loss()``; with ``tell_pending=False`` it changes nothing;
* telling a known (seed, x) again changes nothing (the first value is kept);
* ``_check()`` holds after every step of an arbitrary sequence of calls.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
from _contract_support import contract_settings
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from scipy import stats

from adaptive_nb.learner.average_learner1D import AverageLearner1D
from adaptive_nb.learner.learner1D import triangle_loss, uniform_loss

SETTINGS = contract_settings(max_examples=25)
BOUNDS = (-1.0, 1.0)


class Noisy:
    """A peak plus noise drawn from the seed and x (the same (seed, x) gives the same y)."""

    def __init__(self, noise: float, bad: str | None = None) -> None:
        self.noise, self.bad = noise, bad

    def __call__(self, point: tuple[int, float]) -> float:
        seed, x = point
        if self.bad is not None and x > 0.6:
            return {"nan": math.nan, "inf": math.inf}[self.bad]
        rng = random.Random(hash((seed, x)))
        return x + 0.1**2 / (0.1**2 + x**2) + rng.gauss(0, self.noise)


xs_in_bounds = st.floats(-1, 1) | st.sampled_from([-1.0, 1.0, 0.0, 0.5])
values = st.floats(-100, 100) | st.sampled_from([math.nan, math.inf, -math.inf, 0.0])
samples = st.lists(
    st.tuples(st.integers(0, 6), st.sampled_from([-1.0, -0.5, 0.0, 0.25, 1.0]), values),
    max_size=40,
)


def expected_error(ys: list[float], alpha: float) -> float:
    n = len(ys)
    if n < 2 or not all(math.isfinite(y) for y in ys):
        return math.inf
    return float(stats.t.ppf(1 - alpha, n - 1) * np.std(ys, ddof=1) / math.sqrt(n))


def same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-9)


@SETTINGS
@given(items=samples, alpha=st.sampled_from([0.005, 0.05, 0.3]))
def test_statistics_match_the_samples(items: list, alpha: float) -> None:
    learner = AverageLearner1D(Noisy(0.1), BOUNDS, alpha=alpha, min_samples=2)
    first: dict[tuple[int, float], float] = {}
    for seed, x, y in items:
        learner.tell((seed, x), y)
        first.setdefault((seed, x), y)  # a repeated (seed, x) keeps its first value
    learner._check()
    by_x: dict[float, list[float]] = {}
    for (_, x), y in first.items():
        by_x.setdefault(x, []).append(y)
    assert learner.nsamples == len(first)
    assert learner.npoints == len(by_x)
    assert sorted(learner.data) == sorted(by_x)
    for x, ys in by_x.items():
        with np.errstate(invalid="ignore"):
            assert same(learner.data[x], float(np.mean(ys))), x
        assert same(learner.error[x], expected_error(ys, alpha)), x
        assert {s: v for (s, p), v in first.items() if p == x} == learner._data_samples[x]
    assert learner.min_samples_per_point == min((len(v) for v in by_x.values()), default=0)


@SETTINGS
@given(items=samples, data=st.data())
def test_order_of_tells_does_not_matter(items: list, data: Any) -> None:
    unique = list({(s, x): y for s, x, y in items}.items())
    shuffled = data.draw(st.permutations(unique))
    made = []
    for way in ("in order", "shuffled", "tell_many", "at_point"):
        learner = AverageLearner1D(Noisy(0.1), BOUNDS, min_samples=3)
        if way == "in order":
            for point, y in unique:
                learner.tell(point, y)
        elif way == "shuffled":
            for point, y in shuffled:
                learner.tell(point, y)
        elif way == "tell_many":
            learner.tell_many([p for p, _ in shuffled], [y for _, y in shuffled])
        else:
            for x in {p[1] for p, _ in unique}:
                learner.tell_many_at_point(x, {p[0]: y for p, y in unique if p[1] == x})
        learner._check()
        made.append(learner)
    first = made[0]
    for other in made[1:]:
        assert sorted(first.data) == sorted(other.data)
        for x in first.data:
            assert same(first.data[x], other.data[x])
            assert same(first.error[x], other.error[x])
        assert dict(first._data_samples) == dict(other._data_samples)
        assert first.nsamples == other.nsamples


@st.composite
def learners(draw: Any) -> AverageLearner1D:
    """A learner after some adaptive rounds, with some samples still pending."""
    kwargs = draw(
        st.fixed_dictionaries(
            {
                "min_samples": st.integers(1, 6),
                "neighbor_sampling": st.sampled_from([0.0, 0.3, 1.0]),
                "delta": st.sampled_from([0.05, 0.2, 1.0]),
                "loss_per_interval": st.sampled_from([None, uniform_loss, triangle_loss]),
            }
        )
    )
    kwargs["max_samples"] = kwargs["min_samples"] + draw(st.sampled_from([0, 5, 1000]))
    function = Noisy(draw(st.sampled_from([0.0, 0.05, 1.0])), draw(st.sampled_from([None, "nan"])))
    learner = AverageLearner1D(function, BOUNDS, **kwargs)
    for _ in range(draw(st.integers(0, 25))):
        points, _ = learner.ask(draw(st.integers(1, 8)))
        for point in points[: draw(st.integers(0, len(points)))]:
            learner.tell(point, function(point))
    learner._check()
    return learner


def snapshot(learner: AverageLearner1D) -> dict[str, Any]:
    return {
        "samples": {x: dict(s) for x, s in learner._data_samples.items()},
        "pending": sorted(learner.pending_points),
        "loss": learner.loss(),
        "loss_pending": learner.loss(real=False),
        "rescaled": dict(learner.rescaled_error),
        "ask": learner.ask(4, tell_pending=False),
    }


@SETTINGS
@given(learner=learners(), n=st.integers(0, 30))
def test_ask_contract(learner: AverageLearner1D, n: int) -> None:
    before_pending = set(learner.pending_points)
    loss = learner.loss()
    points, gains = learner.ask(n)
    learner._check()
    assert len(points) == len(gains) <= n
    assert len(set(points)) == len(points), "a point was handed out twice"
    for seed, x in points:
        assert seed not in learner._data_samples.get(x, {}), "a told sample was asked again"
        assert (seed, x) not in before_pending, "a pending sample was asked again"
        assert BOUNDS[0] <= x <= BOUNDS[1]
    assert all(g <= loss or math.isinf(loss) for g in gains)
    assert learner.pending_points == before_pending | set(points)
    if n and not points:
        assert learner.ask(1)[0] == [], "ask(n) returned nothing but ask(1) finds a point"


@SETTINGS
@given(learner=learners(), n=st.integers(0, 12))
def test_ask_without_tell_pending_changes_nothing(learner: AverageLearner1D, n: int) -> None:
    before = snapshot(learner)
    learner.ask(n, tell_pending=False)
    learner._check()
    assert snapshot(learner) == before


@SETTINGS
@given(learner=learners())
def test_adding_existing_data_is_idempotent(learner: AverageLearner1D) -> None:
    before = snapshot(learner)
    points = [(s, x) for x, by_seed in learner._data_samples.items() for s in by_seed]
    for point in points:
        learner.tell(point, 12345.0)  # the first value is kept
        learner.tell_pending(point)  # told samples are never pending
    learner.tell_many(points, [-1.0] * len(points))
    for point in list(learner.pending_points):
        learner.tell_pending(point)
    learner._check()
    assert snapshot(learner) == before


class AverageLearner1DMachine(RuleBasedStateMachine):
    """Arbitrary sequences of ask / tell / tell_pending / tell_many / remove_unfinished."""

    @initialize(
        min_samples=st.integers(1, 4),
        extra=st.sampled_from([0, 3, 100]),
        noise=st.sampled_from([0.0, 0.1]),
        bad=st.sampled_from([None, "nan", "inf"]),
        loss=st.sampled_from([None, triangle_loss]),
    )
    def setup(self, min_samples: int, extra: int, noise: float, bad: Any, loss: Any) -> None:
        self.function = Noisy(noise, bad)
        self.learner = AverageLearner1D(
            self.function,
            BOUNDS,
            loss_per_interval=loss,
            min_samples=min_samples,
            max_samples=min_samples + extra,
        )
        self.asked: list[tuple[int, float]] = []

    @rule(n=st.integers(0, 10), tell_pending=st.booleans())
    def ask(self, n: int, tell_pending: bool) -> None:
        points, _ = self.learner.ask(n, tell_pending=tell_pending)
        if tell_pending:
            self.asked.extend(points)

    @precondition(lambda self: self.asked)
    @rule(data=st.data())
    def tell_asked(self, data: Any) -> None:
        k = data.draw(st.integers(1, len(self.asked)))
        chosen = data.draw(st.lists(st.sampled_from(self.asked), min_size=1, max_size=k))
        for point in chosen:
            self.learner.tell(point, self.function(point))
        self.asked = [p for p in self.asked if p not in chosen]

    @rule(seed=st.integers(0, 5), x=xs_in_bounds, y=values)
    def tell_any(self, seed: int, x: float, y: float) -> None:
        self.learner.tell((seed, x), y)

    @rule(seed=st.integers(0, 5), x=xs_in_bounds)
    def tell_pending(self, seed: int, x: float) -> None:
        self.learner.tell_pending((seed, x))

    @rule(items=st.lists(st.tuples(st.integers(0, 90), xs_in_bounds, values), max_size=80))
    def tell_many(self, items: list) -> None:  # large batches take the bulk path
        self.learner.tell_many([(s, x) for s, x, _ in items], [y for *_, y in items])

    @rule()
    def remove_unfinished(self) -> None:
        self.learner.remove_unfinished()
        self.asked = []
        assert not self.learner.pending_points

    @invariant()
    def consistent(self) -> None:
        if hasattr(self, "learner"):
            self.learner._check()


TestAverageLearner1DMachine = AverageLearner1DMachine.TestCase
TestAverageLearner1DMachine.settings = contract_settings(max_examples=30, stateful_step_count=20)
