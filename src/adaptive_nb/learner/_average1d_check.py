"""``AverageLearner1D._check()``: every internal invariant, recomputed from the samples.

Slow (O(S + N log N)) and only for tests, which call it after every step.
"""

from __future__ import annotations

import math
from typing import Any

from ._average1d_core import fits_scale


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _check_statistics(learner: Any) -> None:
    from scipy.stats import t

    samples = learner._samples
    assert learner._nsamples == sum(len(s) for s in samples.values()), "nsamples is off"
    assert set(learner._means) == set(samples) == set(learner._stat) == set(learner._error)
    for x, by_seed in samples.items():
        assert by_seed, f"x={x} has no samples"
        values = list(by_seed.values())
        finite = [v for v in values if math.isfinite(v)]
        if len(finite) == len(values):
            mean = math.fsum(values) / len(values)
        else:
            bad = {math.copysign(1, v) if math.isinf(v) else 0 for v in values if v not in finite}
            mean = math.nan if 0 in bad or len(bad) == 2 else math.inf * bad.pop()
        assert _same(learner._means[x], mean), f"mean at {x}: {learner._means[x]} != {mean}"
        n = len(values)
        if len(finite) < n or n < 2:
            error = math.inf
        else:
            std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
            error = float(t.ppf(1 - learner.alpha, n - 1)) * std / math.sqrt(n)
        got = learner._error[x]
        assert _same(got, error) or abs(got - error) <= 1e-9 * (1 + abs(mean)), (
            f"error at {x}: {got} != {error}"
        )
    finite_means = sorted(m for m in learner._means.values() if math.isfinite(m))
    assert list(learner._fmeans) == finite_means, "the sorted finite means are off"


def _check_pending(learner: Any) -> None:
    pend, samples = learner._pend, learner._samples
    assert learner.pending_points == {(s, x) for x, seeds in pend.items() for s in seeds}
    assert all(seeds for seeds in pend.values()), "an empty pending set is kept"
    lower, upper = learner.bounds
    for x, seeds in pend.items():
        assert lower <= x <= upper
        assert not seeds & samples.get(x, {}).keys(), f"a seed at {x} is told and pending"
    for x, low in learner._low_seed.items():
        used = samples.get(x, {}).keys() | pend.get(x, set())
        assert all(s in used for s in range(low)), f"a free seed below the hint at {x}"
    new = {x for x in pend if x not in samples}
    assert set(learner._cut_of) | learner._loose == new, "pending new x are lost"
    assert not set(learner._cut_of) & learner._loose
    for a, cuts in learner._cuts.items():
        b = learner._right[a]
        assert cuts == sorted(cuts) and cuts, f"cuts of {a} are empty or unsorted"
        assert all(a < c < b and learner._cut_of[c] == a for c in cuts)
    assert sorted(learner._cut_of) == sorted(c for cuts in learner._cuts.values() for c in cuts)
    xs = list(learner._xs)
    for c in learner._loose:
        assert not xs or c < xs[0] or c > xs[-1], f"loose pending {c} lies inside an interval"


def _check_intervals(learner: Any) -> None:
    xs = list(learner._xs)
    assert xs == sorted(learner._samples), "_xs differs from the told x"
    assert learner._right == dict(zip(xs, xs[1:])), "right neighbours are off"
    assert learner._left == dict(zip(xs[1:], xs)), "left neighbours are off"
    assert fits_scale(learner._yrange(), learner._scale_ref), "the y-scale is out of date"
    assert set(learner._loss) == set(xs[:-1]), "intervals do not match the points"
    for a in xs[:-1]:
        assert _same(learner._loss[a], learner._interval_loss(a)), f"stale loss at {a}"
        piece = learner._widest_piece(a)
        if piece is None:
            assert a in learner._stuck and a not in learner._eff
            continue
        assert a not in learner._stuck
        share = (piece[1] - piece[0]) / (learner._right[a] - a) if a in learner._cuts else 1
        loss = learner._loss[a]
        assert _same(learner._eff[a], loss * share if loss else loss), f"piece loss at {a}"
        assert (-learner._eff[a], a) in learner._heap, f"interval at {a} is not in the heap"
    assert set(learner._eff) | learner._stuck == set(xs[:-1])


def _check_priorities(learner: Any) -> None:
    for x in learner._samples:
        min_loss = learner._min_adjacent_loss(x)
        assert _same(learner._rescaled[x], learner._rescale(learner._error[x], min_loss))
        error = learner._projected_error(x)
        assert learner._err_eff.get(x) == error, f"projected error of {x} is stale"
        prio = None if error is None else learner._rescale(error, min_loss)
        if prio is None:
            assert x not in learner._prio, f"x={x} may not be resampled but has a priority"
        else:
            assert learner._prio.get(x) == prio, f"priority of {x} is stale"
            assert (-prio, x) in learner._rheap
    assert set(learner._prio) <= set(learner._samples)
    for x in {*learner._samples, *learner._pend}:
        told = len(learner._samples.get(x, ()))
        n_eff = told + len(learner._pend.get(x, ()))
        finite = told == 0 or math.isfinite(learner._means[x])
        if n_eff < learner._need(x) and finite:
            assert learner._incomplete.get(x) == n_eff, f"x={x} should be incomplete"
            assert (n_eff, x) in learner._iheap
        else:
            assert x not in learner._incomplete, f"x={x} should be complete"
    assert set(learner._incomplete) <= {*learner._samples, *learner._pend}
    assert set(learner._target) <= {*learner._samples, *learner._pend}


def check_average_learner1d(learner: Any) -> None:
    """Assert every invariant of an AverageLearner1D (AssertionError naming the first broken)."""
    _check_statistics(learner)
    _check_pending(learner)
    _check_intervals(learner)
    _check_priorities(learner)
