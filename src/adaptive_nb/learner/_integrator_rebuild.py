"""Copies and rebuilds of :class:`~adaptive_nb.learner.integrator_learner.IntegratorLearner`.

``clone_learner`` copies the whole state (for ``ask(n, tell_pending=False)``); ``grow_tree``
rebuilds the tree from the told points alone (for ``load``, ``load_dataframe``, ``copy_from``
and unpickling), which needs no record of the asks: an interval was refined if a node of its
next rule is known, and split if a known point inside it is no node of it or its ancestors.
"""

from __future__ import annotations

import bisect
import copy
import itertools
from collections.abc import Mapping
from typing import Any

from sortedcontainers import SortedSet

from ._integrator_ival import Interval

__all__ = ["clone_learner", "grow_tree"]


def clone_learner(learner: Any) -> Any:
    """A copy of ``learner`` that shares nothing mutable with it (the tree is copied)."""
    twin = copy.copy(learner)
    mapping: dict[int, Interval] = {}
    todo = [learner.first_ival]
    while todo:
        ival = todo.pop()
        mapping[id(ival)] = copy.copy(ival)
        todo.extend(ival.children or ())
    for twin_ival in mapping.values():
        if twin_ival.parent is not None:
            twin_ival.parent = mapping[id(twin_ival.parent)]
        if twin_ival.children is not None:
            twin_ival.children = tuple(mapping[id(c)] for c in twin_ival.children)
    twin.first_ival = mapping[id(learner.first_ival)]
    twin.data = dict(learner.data)
    twin.pending_points = set(learner.pending_points)
    twin._stack = SortedSet(learner._stack)
    twin._needed = {x: [mapping[id(v)] for v in ivals] for x, ivals in learner._needed.items()}
    twin._heap = [(*e[:-1], mapping[id(e[-1])]) for e in learner._heap]
    twin._active = {mapping[id(v)] for v in learner._active}
    twin._divergent = None if learner._divergent is None else mapping[id(learner._divergent)]
    twin._seq = itertools.count(next(copy.copy(learner._seq)))
    twin._cache = {}
    return twin


def grow_tree(learner: Any, values: Mapping[float, float]) -> None:
    """Rebuild the tree of an empty ``learner`` from the root down.

    Tell the values at each interval's nodes; refine it while ``values`` has a node of its
    next rule, then split it if ``values`` has a point inside it that is no node of it or of
    its ancestors (only descendants can have asked for that).
    """
    xs = sorted(values)
    todo: list[tuple[Interval, set[float]]] = [(learner.first_ival, set())]
    while todo:
        ival, explained = todo.pop()  # explained: the ancestors' told nodes inside ival
        _tell_nodes(learner, ival, values)
        while ival.can_refine() and any(x in values for x in ival.nodes(ival.target + 1)[1::2]):
            learner._refine(ival)
            _tell_nodes(learner, ival, values)
        explained = explained | {x for x in ival.nodes()[1:-1] if x in values}
        inside = bisect.bisect_left(xs, ival.b) - bisect.bisect_right(xs, ival.a)
        if inside > len(explained) and ival.can_split():
            learner._split(ival)
            for child in ival.children:
                todo.append((child, {x for x in explained if child.a < x < child.b}))


def _tell_nodes(learner: Any, ival: Interval, values: Mapping[float, float]) -> None:
    for x in ival.nodes():
        if x in values and x not in learner.data:
            learner._store(x, values[x])
