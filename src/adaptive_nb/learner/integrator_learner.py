"""IntegratorLearner: the integral of a function of one variable, to a relative tolerance.

A doubly adaptive quadrature in the spirit of Gonnet's CQUAD (P. Gonnet, "Increasing the
reliability of adaptive quadrature using explicit interpolants", ACM TOMS 37, 2010): each
interval of a binary tree carries the interpolant of one of four nested Clenshaw-Curtis rules
(5, 9, 17, 33 points, see :mod:`._integrator_coeffs`) and an error estimate from the change of
interpolant (see :mod:`._integrator_ival`). The interval with the largest error is refined to
the next rule, or split in two when it has the finest rule or its interpolant changed too much.
NaN and infinite values are dropped from the interpolation. Divergence is detected from the
mean value more than doubling, again and again, from parent to child. Non-finite values inside
an interval (not at its ends) make its error infinite until splits isolate them.

IntegratorLearner data structures (n told points, m intervals)
--------------------------------------------------------------
=================  =========================================================================
``data``           dict x -> y of the told points, in the order they were told.
``first_ival``     the root of the tree of :class:`Interval` (the whole domain).
``_needed``        dict x -> the intervals waiting for the value at x (x not told yet).
``_stack``         SortedSet of the needed points that are neither told nor pending: ``ask``
                   hands them out from the left.
``_heap``          the leaves whose rule is complete, by error (lazy invalidation).
``_active``        the leaves that may still be refined or split.
=================  =========================================================================

Each interval keeps ``sub = (igral, err, err of final intervals)`` of the best approximation
below it, updated along the path to the root when a rule completes, so ``igral``, ``err``,
``loss`` and ``done`` are O(1).

Decisions are taken in ``ask`` only, and what ``tell`` computes depends only on the values, so
the order of tells does not matter. ``ask`` refines or splits only intervals whose rule is
complete: while every needed point is pending it returns fewer points, or none (a runner then
waits for results). Guessing instead (splitting pending intervals) made parallel runs of cheap
functions, which ask for large chunks, take 8 times more evaluations than sequential ones.
"""

from __future__ import annotations

import heapq
import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from sortedcontainers import SortedSet

from ..errors import LearnerConclusionError, LearnerExhaustedError
from ._checks import check_function, check_whole_number
from ._integrator_ival import Interval, rule_nodes
from ._integrator_rebuild import clone_learner, grow_tree
from ._pickling import learner_state, reinit_from_state
from .base_learner import BaseLearner, check_ask_count

__all__ = ["DivergentIntegralError", "IntegratorLearner"]

#: divergence: more than this many doublings of the mean value down the tree (and more than
#: half of the levels) raise DivergentIntegralError
NDIV_MAX = 20
_MISSING = object()


def _next_action(ival: Interval, data: Mapping[float, Any]) -> str | None:
    """What a settled leaf does next: ``"refine"`` to the next rule, ``"split"``, or None
    (it is final: converged to rounding, or too narrow for either to need a new point)."""
    if ival.final:
        return None
    finer = (
        ival.depth < 3
        and ival.can_refine()
        and any(x not in data for x in ival.nodes(ival.depth + 1)[1::2])
    )
    if finer and not ival.premature:
        return "refine"
    if ival.can_split():
        (a, m), (_, b) = ival.child_bounds()
        if any(x not in data for x in rule_nodes(a, m, 0) + rule_nodes(m, b, 0)):
            return "split"
    return "refine" if finer else None


class DivergentIntegralError(LearnerConclusionError, ValueError):
    """The integral diverges: the function's mean value keeps doubling toward a point.

    A runner ends with this error itself (not an ``EvaluationError``): the function worked.
    """


def _check_bounds(bounds: Any) -> tuple[float, float]:
    try:
        a, b = bounds
    except (TypeError, ValueError):
        msg = f"bounds must be a pair of numbers (a, b), got {bounds!r}"
        raise ValueError(msg) from None
    for value in (a, b):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            msg = f"bounds must be real numbers, got {value!r} in {bounds!r}"
            raise ValueError(msg)
    a, b = float(a), float(b)
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(b - a)):
        msg = f"bounds must be finite (with a finite width), got {bounds!r}"
        raise ValueError(msg)
    if not a < b:
        msg = f"bounds must satisfy a < b, got {bounds!r}; give them as (a, b) with a < b"
        raise ValueError(msg)
    return a, b


def _check_tol(tol: Any) -> float:
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < math.inf:
        msg = f"tol must be a finite number > 0 (a relative tolerance, e.g. 1e-8), got {tol!r}"
        raise ValueError(msg)
    return float(tol)


class IntegratorLearner(BaseLearner):
    """Learns the integral of ``function`` over ``bounds`` to the relative tolerance ``tol``.

    Parameters
    ----------
    function : callable
        ``function(x) -> float``. NaN and inf values are allowed (those nodes are dropped).
    bounds : pair of float
        ``(a, b)``, finite, ``a < b``.
    tol : float
        The relative tolerance: ``done()`` once ``err < tol * abs(igral)`` (or once the error
        of the intervals that can still be refined is below it: see :meth:`done`).
    max_ivals : int, default 1000
        At most this many intervals are refined further; beyond it the one with the smallest
        error is set aside (keyword only; also an attribute).

    Attributes
    ----------
    igral, err : float
        The integral and its error estimate (0 and inf until the first 33 points are known).
    first_ival : Interval
        The root of the tree of intervals.

    Notes
    -----
    Points are floats. ``tell`` of a point that no interval asked for raises ``ValueError``;
    ``tell`` of a known point is ignored (the first value is kept). ``ask`` raises
    ``RuntimeError("No way to improve the integral estimate.")`` when nothing is pending and
    nothing can be refined. :class:`DivergentIntegralError` is raised by the ``tell`` that
    reveals a divergent integral, and by every ``ask`` after it. The learner finishes by
    itself: with no goal, a runner stops when ``done()``.

    Differences from adaptive 1.5.2: ``tell_pending(x)`` takes the point (as every learner);
    ``remove_unfinished()`` makes the pending points be asked again; ``load_dataframe`` works
    (the tree is rebuilt from the points, in any order); ``loss()`` is
    ``max(err - tol * abs(igral), 0)``, which equals adaptive's ``abs(abs(igral) * tol - err)``
    until the tolerance is met and then stays 0; ``ask`` returns fewer points while it waits
    for pending ones; ``1/x`` raises :class:`DivergentIntegralError` (adaptive: a numpy
    ``ValueError`` after 10 000 points); ``approximating_intervals`` and ``ivals`` are lists
    sorted by ``a``; the raised "No way to improve" error is a
    :class:`~adaptive_nb.errors.LearnerExhaustedError` (a ``RuntimeError``).

    ``ask(1)`` and ``tell`` cost O(log m) plus the depth of the tree.
    """

    finishes_by_itself = True

    def __init__(
        self,
        function: Callable[[float], float],
        bounds: tuple[float, float],
        tol: float,
        *,
        max_ivals: int = 1000,
    ) -> None:
        check_function(function)
        self.function = function
        self.bounds = _check_bounds(bounds)
        self.tol = _check_tol(tol)
        self.max_ivals = max_ivals
        self._clear()

    def _clear(self) -> None:
        self.data: dict[float, float] = {}
        self.pending_points: set[float] = set()
        self._needed: dict[float, list[Interval]] = {}
        self._stack: SortedSet = SortedSet()
        self._heap: list[tuple[Any, ...]] = []
        self._seq = itertools.count()
        self._active: set[Interval] = set()
        self._divergent: Interval | None = None
        self._cache: dict[str, Any] = {}
        self.first_ival = Interval(*self.bounds, target=3)
        self._active.add(self.first_ival)
        self._request(self.first_ival, self.first_ival.nodes())

    @property
    def max_ivals(self) -> int:
        """At most this many intervals are refined further (default 1000)."""
        return self._max_ivals

    @max_ivals.setter
    def max_ivals(self, value: int) -> None:
        self._max_ivals = check_whole_number("max_ivals", value, 2)

    def new(self) -> IntegratorLearner:
        """An empty IntegratorLearner with the same function, bounds and tolerance."""
        return IntegratorLearner(self.function, self.bounds, self.tol, max_ivals=self.max_ivals)

    # -- results --------------------------------------------------------------------------

    @property
    def igral(self) -> float:
        """The integral estimate (0 until the first 33 points are known)."""
        sub = self.first_ival.sub
        return 0.0 if sub is None else sub[0]

    @property
    def err(self) -> float:
        """The error estimate of ``igral`` (inf until the first 33 points are known)."""
        sub = self.first_ival.sub
        return math.inf if sub is None else sub[1]

    @property
    def approximating_intervals(self) -> list[Interval]:
        """The intervals whose sum is ``igral``: a partition of the bounds, sorted by ``a``."""
        out: list[Interval] = []
        todo = [self.first_ival] if self.first_ival.sub is not None else []
        while todo:
            ival = todo.pop()
            kids = ival.children
            if kids is not None and kids[0].sub is not None and kids[1].sub is not None:
                todo.extend(kids)
            else:
                out.append(ival)
        return sorted(out, key=lambda ival: ival.a)

    @property
    def ivals(self) -> list[Interval]:
        """The leaves that may still be refined or split, sorted by ``a``."""
        return sorted(self._active, key=lambda ival: ival.a)

    @property
    def npoints(self) -> int:
        """The number of points told."""
        return len(self.data)

    def loss(self, real: bool = True) -> float:
        """``max(err - tol * abs(igral), 0)``: 0 once the tolerance is met; inf before the first
        33 points are known. Pending points do not change it (``real`` is accepted for the
        contract)."""
        value = self.err - self.tol * abs(self.igral)
        value = math.inf if value != value else max(value, 0.0)
        self._cache["loss"] = value
        return value

    def done(self) -> bool:
        """Whether ``err < tol * abs(igral)``, or there is no way to improve the estimate
        enough.

        That is: nothing can be refined any more; or the error of the intervals that can
        still be refined is below the tolerance; or the error of the final ones alone is
        above it (intervals a few ulps wide at a singularity that no float hits, noisy
        values, or intervals set aside by ``max_ivals``). In the last two cases ``err`` and
        ``loss()`` stay above the tolerance and say so.
        """
        sub = self.first_ival.sub
        if sub is not None:
            goal = self.tol * abs(sub[0])
            if sub[1] - sub[2] < goal or sub[2] >= goal:
                return True
        if self._divergent is not None or self._stack or self.pending_points:
            return False
        return self._peek() is None  # nothing needed, so every leaf is settled

    # -- ask ------------------------------------------------------------------------------

    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[float], list[float]]:
        """Suggest up to ``n`` points and the error each would help reduce.

        Fewer than ``n`` (possibly none) while the rules that could be refined or split
        wait for pending points.

        Raises
        ------
        LearnerExhaustedError
            A ``RuntimeError``: "No way to improve the integral estimate." (adaptive's message)
            when nothing is pending and no interval can be refined or split.
        DivergentIntegralError
            When an earlier ``tell`` found the integral divergent.
        """
        n = check_ask_count(n)
        self._raise_if_divergent()
        if not tell_pending:
            if len(self._stack) >= n:  # the common case: no decision needed
                points = list(self._stack.islice(0, n))
                return points, [self._improvement(x) for x in points]
            return self._clone().ask(n, tell_pending=True)
        points: list[float] = []
        while len(points) < n:
            if self._stack:
                x = self._stack.pop(0)
                self.pending_points.add(x)
                points.append(x)
            elif not self._act():
                break
        if n and not points and not self.pending_points:
            msg = (
                "No way to improve the integral estimate. Every interval has converged to "
                f"rounding or is too narrow to split (npoints={self.npoints}, "
                f"igral={self.igral!r}, err={self.err!r}); done() is True"
            )
            raise LearnerExhaustedError(msg)
        return points, [self._improvement(x) for x in points]

    def _improvement(self, x: float) -> float:
        gain = max(ival.estimate() for ival in self._needed[x])
        return min(gain, self.loss())

    def _act(self) -> bool:
        """Refine or split one interval (its points go to the stack); False if none can be."""
        while (ival := self._pop()) is not None:
            if ival.action == "refine":
                self._refine(ival)
                return True
            if self._make_room(ival):
                self._split(ival)
                return True
        return False

    def _peek(self) -> Interval | None:
        heap = self._heap
        while heap:
            neg_err, _, _, depth, _, ival = heap[0]
            if (
                ival.children is None
                and not ival.final
                and ival.complete
                and ival.depth == depth
                and ival.err == -neg_err
            ):
                return ival
            heapq.heappop(heap)
        return None

    def _pop(self) -> Interval | None:
        ival = self._peek()
        if ival is not None:
            heapq.heappop(self._heap)
        return ival

    def _make_room(self, ival: Interval) -> bool:
        """Before splitting ``ival``: set aside the settled leaves with the smallest errors
        while there would be more than ``max_ivals``. False (and ``ival`` set aside if it is
        settled) when no other leaf can make room."""
        while len(self._active) + 1 > self.max_ivals:
            settled = [v for v in self._active if v.complete and v.err is not None]
            others = [v for v in settled if v is not ival]
            if not others:
                if ival in settled:
                    self._set_aside(ival)
                return False
            self._set_aside(min(others, key=lambda v: (v.err, -v.a)))
        return True

    def _set_aside(self, ival: Interval) -> None:
        ival.final = True
        self._active.discard(ival)
        self._propagate(ival)

    def _refine(self, ival: Interval) -> None:
        ival.target += 1
        old = set(ival.nodes(ival.target - 1))
        self._request(ival, [x for x in ival.nodes() if x not in old])

    def _split(self, ival: Interval) -> None:
        (a, m), (_, b) = ival.child_bounds()
        left, right = Interval(a, m, 0, ival), Interval(m, b, 0, ival)
        ival.children = (left, right)
        self._active.discard(ival)
        self._active.update((left, right))
        for child in (left, right):
            self._request(child, child.nodes())

    def _request(self, ival: Interval, nodes: list[float]) -> None:
        """``ival`` needs the values at ``nodes`` (those of its target rule it lacks)."""
        for x in nodes:
            if x in self.data:
                continue
            self._needed.setdefault(x, []).append(ival)
            ival.missing += 1
            if x not in self.pending_points:
                self._stack.add(x)
        if ival.missing == 0:
            self._on_complete(ival)

    # -- tell -----------------------------------------------------------------------------

    def _check_x(self, x: Any) -> float:
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            msg = f"IntegratorLearner points are real numbers, got {x!r}"
            raise ValueError(msg)
        x = float(x)
        if x not in self.data and x not in self._needed:
            msg = (
                f"x={x!r} does not belong to any interval of this IntegratorLearner; tell only "
                "points that ask returned (the quadrature needs values at its own nodes)"
            )
            raise ValueError(msg)
        return x

    @staticmethod
    def _check_y(x: float, y: Any) -> float:
        if isinstance(y, float):
            return y
        if isinstance(y, np.ndarray) and y.size == 1 and y.dtype.kind in "biuf":
            return float(y.reshape(()))
        if isinstance(y, bool) or not isinstance(y, numbers.Real):
            msg = f"function({x!r}) returned {y!r}; IntegratorLearner needs a real number"
            raise ValueError(msg)
        return float(y)

    def tell(self, x: Any, y: Any) -> None:
        """Record ``function(x) == y``; ignored when x is already known.

        Raises ``ValueError`` for a point no interval asked for, and
        :class:`DivergentIntegralError` (after recording the value) when it reveals a
        divergent integral.
        """
        x = self._check_x(x)
        if x in self.data:
            return
        self._store(x, self._check_y(x, y))
        self._raise_if_divergent()

    def tell_many(self, xs: Iterable[Any], ys: Iterable[Any]) -> None:
        """Record many results; every point is checked before anything changes."""
        xs, ys = list(xs), list(ys)
        if len(xs) != len(ys):
            msg = f"tell_many got {len(xs)} points but {len(ys)} values"
            raise ValueError(msg)
        checked = {}
        for x, y in zip(xs, ys):
            x = self._check_x(x)
            if x not in self.data and x not in checked:
                checked[x] = self._check_y(x, y)
        was_divergent = self._divergent is not None
        for x, y in checked.items():
            self._store(x, y)
        if not was_divergent:
            self._raise_if_divergent()

    def _store(self, x: float, y: float) -> None:
        self.data[x] = y
        self.pending_points.discard(x)
        self._stack.discard(x)
        for ival in self._needed.pop(x):
            ival.missing -= 1
            if ival.missing == 0:
                self._on_complete(ival)

    def _on_complete(self, ival: Interval) -> None:
        if ival.compute(self.data):
            self._settle(ival)
        else:
            self._propagate(ival)
        for child in ival.children or ():
            if child.complete and child.err is None and child.compute_child_error():
                self._settle(child)

    def _settle(self, ival: Interval) -> None:
        """``ival`` has a complete rule and an error estimate."""
        if ival.ndiv > NDIV_MAX and 2 * ival.ndiv > ival.rdepth and self._divergent is None:
            self._divergent = ival
        if ival.children is None and ival in self._active:
            ival.action = _next_action(ival, self.data)
            if ival.action is None:
                self._set_aside(ival)
            else:
                entry = (-ival.err, ival.a, ival.rdepth, ival.depth, next(self._seq), ival)
                heapq.heappush(self._heap, entry)
        self._propagate(ival)

    def _propagate(self, ival: Interval | None) -> None:
        """Update ``sub`` from ``ival`` up to the root."""
        while ival is not None:
            kids = ival.children
            if kids is not None and kids[0].sub is not None and kids[1].sub is not None:
                (i0, e0, f0), (i1, e1, f1) = kids[0].sub, kids[1].sub
                ival.sub = (i0 + i1, e0 + e1, f0 + f1)
            elif ival.err is not None:
                frozen = ival.err if ival.final else 0.0
                ival.sub = (ival.igral, ival.err, frozen)
            else:
                ival.sub = None
            ival = ival.parent

    def _raise_if_divergent(self) -> None:
        ival = self._divergent
        if ival is not None:
            msg = (
                f"the integral of {self.function!r} over {self.bounds!r} diverges: the mean "
                f"value more than doubled {ival.ndiv} times on the way down to "
                f"[{ival.a!r}, {ival.b!r}]; integrate over a domain without the singularity"
            )
            raise DivergentIntegralError(msg)

    # -- pending points -------------------------------------------------------------------

    def tell_pending(self, x: Any = _MISSING) -> None:
        """Mark the point ``x`` as being evaluated, so that ``ask`` does not return it."""
        if x is _MISSING:
            msg = (
                "IntegratorLearner.tell_pending(x) needs the point x (adaptive's form without "
                "an argument is not supported; ask already marks the points it returns)"
            )
            raise TypeError(msg)
        x = self._check_x(x)
        if x in self.data:
            return
        self.pending_points.add(x)
        self._stack.discard(x)

    def remove_unfinished(self) -> None:
        """Forget the pending points: ``ask`` hands them out again."""
        self._stack.update(self.pending_points)
        self.pending_points.clear()

    # -- copies, data and files -----------------------------------------------------------

    def _clone(self) -> IntegratorLearner:
        """A copy that shares nothing mutable with this learner (the tree is copied)."""
        return clone_learner(self)

    def _get_data(self) -> dict[float, float]:
        return dict(self.data)

    def _set_data(self, data: Mapping[float, float]) -> None:
        if not isinstance(data, Mapping):
            msg = f"IntegratorLearner data is a dict {{x: y}}, got {type(data).__name__}"
            raise ValueError(msg)
        self._add_points(list(data.keys()), list(data.values()))

    def _add_points(self, xs: list[Any], ys: list[Any]) -> None:
        """Add told points to the data and rebuild the tree they came from.

        An interval was refined if any node of its next rule is known, and split if a known
        point inside it is no node of it or of its ancestors; the values then complete the
        rules. This depends only on the set of points, never on their order. Raises
        ``ValueError``, changing nothing, for a point outside the bounds or one that belongs
        to no interval of the rebuilt tree. (Every float inside the bounds is a node of some
        interval a few ulps wide, so a foreign point inside them is accepted, at the price of
        a deep chain of splits down to it.)
        """
        values = dict(self.data)
        for x, y in zip(xs, ys, strict=True):
            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                msg = f"IntegratorLearner points are real numbers, got {x!r}"
                raise ValueError(msg)
            x = float(x)
            if not self.bounds[0] <= x <= self.bounds[1]:  # NaN included
                msg = f"x={x!r} is outside the bounds {self.bounds!r}; nothing was added"
                raise ValueError(msg)
            if x not in values:
                values[x] = self._check_y(x, y)
        fresh = self.new()
        grow_tree(fresh, values)
        unplaced = [x for x in values if x not in fresh.data]
        if unplaced:
            msg = (
                f"{len(unplaced)} point(s), e.g. x={unplaced[0]!r}, are not nodes of this "
                f"IntegratorLearner on {self.bounds!r} (other bounds, or not asked by it); "
                "nothing was added"
            )
            raise ValueError(msg)
        fresh.data = {x: fresh.data[x] for x in values}  # in the order they were told
        for x in self.pending_points:
            if x in fresh._needed:
                fresh.tell_pending(x)
        self.__dict__.update(fresh.__dict__)

    def _to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "x": np.array(list(self.data.keys()), dtype=float),
            "y": np.array(list(self.data.values()), dtype=float),
            "bounds": np.array(self.bounds, dtype=float),
        }

    def _from_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        x, y, bounds = arrays.get("x"), arrays.get("y"), arrays.get("bounds")
        if x is None or y is None or x.ndim != 1 or y.shape != x.shape:
            shapes = {k: getattr(v, "shape", None) for k, v in arrays.items()}
            msg = f"expected arrays x (n,) and y (n,), got {shapes}"
            raise ValueError(msg)
        if bounds is not None and tuple(bounds.tolist()) != self.bounds:
            msg = f"the data is for bounds {tuple(bounds.tolist())!r}, not {self.bounds!r}"
            raise ValueError(msg)
        self._add_points(x.tolist(), y.tolist())

    def to_numpy(self) -> np.ndarray:
        """The data sorted by x, shape ``(npoints, 2)``."""
        if not self.data:
            return np.empty((0, 2))
        return np.array(sorted(self.data.items()), dtype=float)

    def to_dataframe(
        self,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        x_name: str = "x",
        y_name: str = "y",
    ) -> Any:
        """The data as a pandas DataFrame with columns ``x_name`` and ``y_name``, sorted by x."""
        from ..dataframes import learner_frame

        table = self.to_numpy()
        columns = {x_name: table[:, 0].tolist(), y_name: table[:, 1].tolist()}
        return learner_frame(
            self, columns, [x_name], y_name, with_default_function_args, function_prefix
        )

    def load_dataframe(
        self,
        df: Any,
        with_default_function_args: bool = True,
        function_prefix: str = "function.",
        x_name: str = "x",
        y_name: str = "y",
    ) -> None:
        """Add the data of a DataFrame made by :meth:`to_dataframe` and rebuild the tree
        (adaptive 1.5.2 raises ``NotImplementedError`` here)."""
        from ..dataframes import bind_function_args

        self._add_points(df[x_name].tolist(), df[y_name].tolist())
        if with_default_function_args:
            bind_function_args(self, df, function_prefix)

    def plot(self) -> Any:
        """A HoloViews ``Path`` through the sampled points."""
        from ..plotting.integrator import plot_integrator

        return plot_integrator(self)

    # -- pickling and checks --------------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        return learner_state(
            self, None, tol=self.tol, max_ivals=self.max_ivals, data=self._get_data()
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        reinit_from_state(self, state, None, state["tol"], max_ivals=state["max_ivals"])
        self._set_data(state["data"])
        for x in state["pending_points"]:
            if x in self._needed:
                self.tell_pending(x)

    def _check(self) -> None:
        """Assert every internal invariant; the tests call this after each step."""
        from ._integrator_check import check_integrator

        check_integrator(self)
