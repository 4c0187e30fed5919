"""The invariants of :class:`~adaptive_nb.learner.integrator_learner.IntegratorLearner`,
asserted by ``learner._check()`` (the tests call it after every step)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["check_integrator"]


def _walk(root: Any) -> list[Any]:
    out, todo = [], [root]
    while todo:
        ival = todo.pop()
        out.append(ival)
        todo.extend(ival.children or ())
    return out


def check_integrator(learner: Any) -> None:
    """Assert that the tree, the bookkeeping of points and the cached sums agree."""
    ivals = _walk(learner.first_ival)
    data, needed = learner.data, learner._needed
    assert learner.first_ival.a == learner.bounds[0] and learner.first_ival.b == learner.bounds[1]
    referenced: set[float] = set()
    for ival in ivals:
        assert ival.a < ival.b
        kids = ival.children
        if kids is not None:  # the children cover the parent exactly, meeting at its middle
            left, right = kids
            assert left.parent is ival and right.parent is ival
            assert left.a == ival.a and right.b == ival.b and left.b == right.a
            assert left.b == 0.5 * ival.a + 0.5 * ival.b
            assert left.rdepth == right.rdepth == ival.rdepth + 1
        assert -1 <= ival.depth <= ival.target <= 3
        nodes = ival.nodes()
        referenced.update(nodes)
        unknown = [x for x in nodes if x not in data]
        assert ival.missing == len(unknown), (ival, ival.missing, len(unknown))
        assert ival.complete == (not unknown)
        for x in unknown:
            assert any(v is ival for v in needed[x]), f"{x!r} is not marked as needed by {ival!r}"
        if ival.err is not None:
            assert ival.err >= 0 or math.isnan(ival.igral)
            assert ival.depth >= 0
        active = kids is None and not ival.final
        assert (ival in learner._active) == active, ival
    assert set(data) <= referenced, "a told point belongs to no interval"
    assert not set(data) & set(needed), "a told point is still marked as needed"
    assert not learner.pending_points & set(learner._stack), "a point is pending and stacked"
    assert learner.pending_points | set(learner._stack) == set(needed)
    # the cached sums are those of the approximating intervals
    approx = learner.approximating_intervals
    if learner.first_ival.sub is None:
        assert not approx and learner.igral == 0 and learner.err == math.inf
        return
    assert approx[0].a == learner.bounds[0] and approx[-1].b == learner.bounds[1]
    assert all(p.b == q.a for p, q in zip(approx, approx[1:])), "not a partition"
    assert learner.err >= 0
    err = sum(ival.err for ival in approx)
    assert math.isclose(err, learner.err, rel_tol=1e-9, abs_tol=1e-300) or err == learner.err
    frozen = sum(ival.err for ival in approx if ival.final)
    assert math.isclose(frozen, learner.first_ival.sub[2], rel_tol=1e-9, abs_tol=1e-300) or (
        frozen == learner.first_ival.sub[2]
    )
    igral = sum(ival.igral for ival in approx)
    if math.isfinite(igral):
        scale = sum(abs(ival.igral) for ival in approx)
        assert abs(igral - learner.igral) <= 1e-12 * scale + 1e-300
