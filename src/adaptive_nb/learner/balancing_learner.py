"""BalancingLearner: share the work between several learners of the same type.

Data structures (N children)
----------------------------
==============  ================================================================================
``_state[i]``   what is known about child i since it last changed: ``(version, total, head,
                loss)`` where ``total`` is its number of told plus pending points, ``head`` the
                pair ``(point, improvement)`` of ``child.ask(1, tell_pending=False)`` (None when
                the child has nothing to suggest) and ``loss`` its ``loss(real=False)`` (for the
                ``"loss"`` strategy only).
``_heap``       min-heap of ``(key, i, version)``, one current entry per child with a head: the
                child whose next point the strategy prefers is on top. An entry is current
                when its version is the child's; stale ones are dropped lazily.
``_dirty``      children changed since their state was computed; refreshed by the next ``ask``.
==============  ================================================================================

``ask(n)`` refreshes the changed children (one ``child.ask(1, tell_pending=False)`` each) and
merges the children's next points by key, taking further points of a child already chosen
from ``child.ask(m, tell_pending=False)`` with ``m`` doubling. So ``ask(1)`` after a ``tell``
costs O(log N) plus one child ask, not N child asks. ``ask`` only ever asks the children with
``tell_pending=False``; with ``tell_pending=True`` it then calls ``child.tell_pending`` for the
chosen points. ``ask(n, tell_pending=False)`` therefore leaves every child unchanged, and
returns the same points as ``ask(n)``.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ..utils import cache_latest, named_product
from .base_learner import BaseLearner, check_ask_count

__all__ = ["STRATEGIES", "BalancingLearner", "dispatch"]

STRATEGIES = ("loss_improvements", "loss", "npoints", "cycle")
_SEP = "__"  # child i's array "x" is stored as "child<i>__x"


def dispatch(child_functions: Sequence[Callable[[Any], Any]], point: tuple[int, Any]) -> Any:
    """Evaluate ``(index, x)`` with the function of child ``index``."""
    index, x = point
    return child_functions[index](x)


class _Dispatch:
    """A picklable ``function((index, x))`` calling the function of child ``index``."""

    def __init__(self, child_functions: Sequence[Callable[[Any], Any]]) -> None:
        self.child_functions = tuple(child_functions)

    def __call__(self, point: tuple[int, Any]) -> Any:
        return dispatch(self.child_functions, point)

    def __repr__(self) -> str:
        return f"<BalancingLearner function over {len(self.child_functions)} children>"


def normalize_cdims(cdims: Any, nchildren: int) -> list[dict[str, Any]] | None:
    """Return ``cdims`` as a list of dicts, one per child (or None).

    Accepts a sequence of dicts, or ``(keys, iterable of value tuples)``.
    """
    if cdims is None:
        return None
    if isinstance(cdims, tuple) and len(cdims) == 2 and not isinstance(cdims[0], dict):
        keys, values = cdims
        keys = list(keys)
        rows = [dict(zip(keys, vals, strict=True)) for vals in values]
    else:
        rows = list(cdims)
        if not all(isinstance(row, dict) for row in rows):
            msg = (
                "cdims must be a sequence of dicts (one per child) or a pair "
                f"(keys, iterable of value tuples), got {cdims!r}"
            )
            raise ValueError(msg)
    if len(rows) != nchildren:
        msg = f"cdims has {len(rows)} entries but there are {nchildren} child learners"
        raise ValueError(msg)
    if rows and any(list(row) != list(rows[0]) for row in rows):
        msg = f"every cdims entry must have the same keys, got {rows!r}"
        raise ValueError(msg)
    return [dict(row) for row in rows]


class BalancingLearner(BaseLearner):
    """Choose the next points among several learners of the same type.

    Parameters
    ----------
    learners : sequence of learners
        At least one; all of the same type (``TypeError`` naming the types otherwise).
    cdims : sequence of dicts, or (keys, iterable of value tuples), optional
        The parameters that label the children, used by :meth:`plot`.
    strategy : {"loss_improvements", "loss", "npoints", "cycle"}
        How to choose the child of each next point: the largest loss improvement, the
        largest child loss (with pending points), the fewest points, or in turn.
        Settable at any time through the ``strategy`` property.

    Notes
    -----
    Points are ``(index, child_point)``. ``function`` calls the function of the child
    ``index``. Change children through this learner (``tell``, ``tell_pending``, ...): a
    child changed directly is noticed when its point count changes, so a child whose
    improvement grew without a new point may be chosen late.

    Within one ``ask(n)`` with the ``"loss"`` strategy, a child's loss after handing out
    its j-th point is estimated by the improvement of its (j+1)-th point (the children are
    never changed while choosing).

    ``ask(1)`` after one ``tell`` costs O(log N) plus two child asks for the
    ``loss_improvements``, ``loss`` and ``npoints`` strategies; ``cycle`` costs one child
    ask per point.
    """

    def __init__(
        self,
        learners: Sequence[BaseLearner],
        *,
        cdims: Any = None,
        strategy: str = "loss_improvements",
    ) -> None:
        if isinstance(learners, BaseLearner) or not isinstance(learners, Iterable):
            msg = f"learners must be a list of learners, got {learners!r}"
            raise TypeError(msg)
        learners = list(learners)
        if not learners:
            msg = "BalancingLearner needs at least one child learner, got an empty list"
            raise ValueError(msg)
        types = sorted({type(child).__name__ for child in learners})
        if len({type(child) for child in learners}) > 1:
            msg = f"the child learners must all be of the same type, got {', '.join(types)}"
            raise TypeError(msg)
        if not all(hasattr(child, "ask") and hasattr(child, "tell_pending") for child in learners):
            msg = f"the children must be learners (with ask and tell_pending), got {types[0]}"
            raise TypeError(msg)
        self.learners = learners
        self._cdims_default = normalize_cdims(cdims, len(learners))
        self._cache: dict[str, Any] = {}
        self._version = [0] * len(learners)
        self._state: list[tuple[int, int, tuple[Any, float] | None, float | None] | None]
        self._state = [None] * len(learners)
        self._heap: list[tuple[tuple, int, int]] = []
        self._dirty: set[int] = set(range(len(learners)))
        self._cycle_pos = 0
        self.strategy = strategy

    # -- parameters -----------------------------------------------------------------------

    @property
    def strategy(self) -> str:
        """How the child of each next point is chosen; one of :data:`STRATEGIES`."""
        return self._strategy

    @strategy.setter
    def strategy(self, strategy: str) -> None:
        if strategy not in STRATEGIES:
            choices = ", ".join(repr(s) for s in STRATEGIES)
            msg = f"strategy must be one of {choices}, got {strategy!r}"
            raise ValueError(msg)
        self._strategy = strategy
        self._cycle_pos = 0
        self._heap = []  # keys depend on the strategy: rebuild lazily
        for i in range(len(self.learners)):
            self._mark(i)

    @property
    def cdims(self) -> list[dict[str, Any]] | None:
        """The labels of the children, one dict each (or None)."""
        return self._cdims_default

    @property
    def function(self) -> _Dispatch:
        """``function((index, x))``: the function of child ``index`` at ``x`` (picklable)."""
        return _Dispatch([child.function for child in self.learners])

    def new(self) -> BalancingLearner:
        """An empty BalancingLearner with empty copies of the children."""
        return BalancingLearner(
            [child.new() for child in self.learners],
            cdims=self._cdims_default,
            strategy=self.strategy,
        )

    @classmethod
    def from_product(
        cls,
        f: Callable[..., Any],
        learner_type: Callable[..., BaseLearner],
        learner_kwargs: dict[str, Any],
        combos: dict[str, Sequence[Any]],
    ) -> BalancingLearner:
        """One child ``learner_type(function=partial(f, **combo), **learner_kwargs)`` per
        combination of ``named_product(**combos)``, in that order; ``cdims`` label them."""
        import functools

        if not isinstance(combos, dict) or not combos:
            msg = f"combos must be a non-empty dict of name -> values, got {combos!r}"
            raise ValueError(msg)
        arguments = named_product(**combos)
        learners = [
            learner_type(function=functools.partial(f, **combo), **learner_kwargs)
            for combo in arguments
        ]
        return cls(learners, cdims=arguments)

    # -- the learners' combined state -----------------------------------------------------

    @property
    def data(self) -> dict[tuple[int, Any], Any]:
        """``{(index, x): y}`` over all children."""
        return {(i, x): y for i, child in enumerate(self.learners) for x, y in child.data.items()}

    @property
    def pending_points(self) -> set[tuple[int, Any]]:
        """``{(index, x)}`` over all children."""
        return {(i, x) for i, child in enumerate(self.learners) for x in child.pending_points}

    @property
    def npoints(self) -> int:
        """The total number of points told to the children."""
        return sum(child.npoints for child in self.learners)

    @property
    def nsamples(self) -> int:
        """The total number of samples of the children (for children that count samples)."""
        if not hasattr(self.learners[0], "nsamples"):
            msg = f"the children ({type(self.learners[0]).__name__}) have no nsamples"
            raise AttributeError(msg)
        return sum(child.nsamples for child in self.learners)

    #: Runners apply ``npoints_goal`` to each child (as python-adaptive does).
    goals_per_child = True

    @property
    def finishes_by_itself(self) -> bool:  # type: ignore[override]
        """True when the children finish by themselves."""
        return bool(getattr(self.learners[0], "finishes_by_itself", False))

    def done(self) -> bool:
        """True when every child is done (only for children that finish by themselves)."""
        return self.finishes_by_itself and all(child.done() for child in self.learners)

    @cache_latest
    def loss(self, real: bool = True) -> float:
        """The largest loss of the children."""
        return max(child.loss(real) for child in self.learners)

    # -- tell -----------------------------------------------------------------------------

    def _index(self, point: Any) -> tuple[int, Any]:
        try:
            index, x = point
        except (TypeError, ValueError):
            msg = f"a BalancingLearner point is a pair (index, child_point), got {point!r}"
            raise ValueError(msg) from None
        n = len(self.learners)
        if (
            isinstance(index, bool)
            or not isinstance(index, (int, np.integer))
            or not (0 <= index < n)
        ):
            msg = f"point {point!r}: the index must be a whole number in [0, {n}), got {index!r}"
            raise ValueError(msg)
        return int(index), x

    def _mark(self, i: int) -> None:
        """Child i changed: its heap entry is stale and its state is refreshed on ``ask``."""
        self._version[i] += 1
        self._dirty.add(i)

    def tell(self, x: tuple[int, Any], y: Any) -> None:
        """Tell child ``index`` that its function at ``x`` is ``y``; ``x = (index, point)``."""
        index, point = self._index(x)
        try:
            self.learners[index].tell(point, y)
        finally:
            self._mark(index)

    def tell_many(self, xs: Iterable[Any], ys: Iterable[Any]) -> None:
        """Tell many results, passed on to each child's ``tell_many`` in one call."""
        groups: dict[int, tuple[list, list]] = {}
        for x, y in zip(list(xs), list(ys), strict=True):
            index, point = self._index(x)
            px, py = groups.setdefault(index, ([], []))
            px.append(point)
            py.append(y)
        for index, (px, py) in groups.items():
            try:
                self.learners[index].tell_many(px, py)
            finally:
                self._mark(index)

    def tell_pending(self, x: tuple[int, Any]) -> None:
        """Mark ``x = (index, point)`` as pending in child ``index``."""
        index, point = self._index(x)
        try:
            self.learners[index].tell_pending(point)
        finally:
            self._mark(index)

    def remove_unfinished(self) -> None:
        """Forget the pending points of every child."""
        for i, child in enumerate(self.learners):
            if child.pending_points:
                child.remove_unfinished()
                self._mark(i)

    # -- ask ------------------------------------------------------------------------------

    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[Any], list[float]]:
        """Suggest up to ``n`` points ``(index, x)`` chosen by the strategy.

        See :meth:`BaseLearner.ask`. With ``tell_pending=False`` no child changes.
        """
        n = check_ask_count(n)
        if n == 0:
            return [], []
        if self.strategy == "cycle":
            chosen, steps = self._select_cycle(n)
        else:
            chosen, steps = self._select_by_key(n, tell_pending)
        if tell_pending:
            self._cycle_pos = (self._cycle_pos + steps) % len(self.learners)
            for index, x, _ in chosen:
                self.learners[index].tell_pending(x)
                self._mark(index)
        return [(index, x) for index, x, _ in chosen], [gain for _, _, gain in chosen]

    def _key(self, i: int, j: int, gain: float, total: int, loss: float | None) -> tuple:
        """The heap key of child i's j-th next point (smallest is chosen first)."""
        if self.strategy == "npoints":
            return (total + j, i)
        if self.strategy == "loss":
            return (-(loss if j == 0 else gain), total + j, i)
        return (-gain, total + j, i)

    def _fingerprint(self, i: int) -> int:
        child = self.learners[i]
        return child.npoints + len(child.pending_points)

    def _refresh(self, i: int) -> None:
        """Recompute child i's state and push its heap entry."""
        if i not in self._dirty:
            self._version[i] += 1
        self._dirty.discard(i)
        child = self.learners[i]
        points, gains = child.ask(1, tell_pending=False)
        head = (points[0], gains[0]) if points else None
        loss = child.loss(real=False) if self.strategy == "loss" else None
        total = self._fingerprint(i)
        version = self._version[i]
        self._state[i] = (version, total, head, loss)
        if head is not None and self.strategy != "cycle":
            heapq.heappush(self._heap, (self._key(i, 0, head[1], total, loss), i, version))

    def _top(self) -> tuple[tuple, int, int] | None:
        """The current top entry of the heap (dropping stale ones), or None."""
        heap = self._heap
        while heap:
            entry = heap[0]
            i = entry[1]
            if entry[2] != self._version[i]:
                heapq.heappop(heap)
            elif self._fingerprint(i) != self._state[i][1]:  # changed behind our back
                heapq.heappop(heap)
                self._refresh(i)
            else:
                return entry
        return None

    def _next_of(self, i: int, j: int, streams: dict[int, tuple[list, list, int]]) -> Any:
        """Child i's j-th next point and gain, from ``ask(m, tell_pending=False)`` with ``m``
        doubling (``None`` when the child has fewer points to suggest)."""
        points, gains, asked = streams.get(i, ([], [], 0))
        if j >= len(points) and len(points) == asked:  # not exhausted yet
            asked = max(j + 1, 2 * asked)
            points, gains = self.learners[i].ask(asked, tell_pending=False)
            streams[i] = (points, gains, asked)
        return (points[j], gains[j]) if j < len(points) else None

    def _select_by_key(self, n: int, tell_pending: bool) -> tuple[list[tuple], int]:
        for i in sorted(self._dirty):
            self._refresh(i)
        chosen: list[tuple[int, Any, float]] = []
        taken: dict[int, int] = {}
        streams: dict[int, tuple[list, list, int]] = {}
        local: list[tuple[tuple, int]] = []  # further points of children already chosen
        popped = []
        while len(chosen) < n:
            top = self._top()
            if top is None and not local:
                break
            if not local or (top is not None and top[0] <= local[0][0]):
                popped.append(heapq.heappop(self._heap))
                i = top[1]
                j = 0
                x, gain = self._state[i][2]
            else:
                _, i = heapq.heappop(local)
                j = taken[i]
                x, gain = streams[i][0][j], streams[i][1][j]
            chosen.append((i, x, gain))
            taken[i] = j + 1
            if len(chosen) < n:
                following = self._next_of(i, j + 1, streams)
                if following is not None:
                    total, loss = self._state[i][1], self._state[i][3]
                    key = self._key(i, j + 1, following[1], total, loss)
                    heapq.heappush(local, (key, i))
        if not tell_pending:
            for entry in popped:  # still current: nothing changed
                heapq.heappush(self._heap, entry)
        return chosen, 0

    def _select_cycle(self, n: int) -> tuple[list[tuple], int]:
        nchildren = len(self.learners)
        chosen: list[tuple[int, Any, float]] = []
        taken: dict[int, int] = {}
        streams: dict[int, tuple[list, list, int]] = {}
        steps = idle = 0
        while len(chosen) < n and idle < nchildren:
            i = (self._cycle_pos + steps) % nchildren
            steps += 1
            j = taken.get(i, 0)
            nxt = self._next_of(i, j, streams)
            if nxt is None:
                idle += 1
                continue
            idle = 0
            taken[i] = j + 1
            chosen.append((i, nxt[0], nxt[1]))
        return chosen, steps

    # -- data in other shapes -------------------------------------------------------------

    def _get_data(self) -> list[Any]:
        return [child._get_data() for child in self.learners]

    def _set_data(self, data: list[Any]) -> None:
        data = list(data)
        if len(data) != len(self.learners):
            msg = f"expected data for {len(self.learners)} children, got {len(data)}"
            raise ValueError(msg)
        for i, (child, payload) in enumerate(zip(self.learners, data)):
            child._set_data(payload)
            self._mark(i)

    def _to_arrays(self) -> dict[str, Any]:
        arrays: dict[str, Any] = {"nchildren": np.array([len(self.learners)])}
        for i, child in enumerate(self.learners):
            for name, value in child._to_arrays().items():
                arrays[f"child{i}{_SEP}{name}"] = value
        return arrays

    def _from_arrays(self, arrays: dict[str, Any]) -> None:
        count = arrays.get("nchildren")
        if count is None or count.shape != (1,) or int(count[0]) != len(self.learners):
            msg = f"the arrays hold {count!r} children, this learner has {len(self.learners)}"
            raise ValueError(msg)
        per_child: list[dict[str, Any]] = [{} for _ in self.learners]
        for key, value in arrays.items():
            if key == "nchildren":
                continue
            head, sep, name = key.partition(_SEP)
            if not sep or not head.startswith("child") or not head[5:].isdigit():
                msg = f"unexpected array {key!r}"
                raise ValueError(msg)
            per_child[int(head[5:])][name] = value
        for i, (child, child_arrays) in enumerate(zip(self.learners, per_child)):
            child._from_arrays(child_arrays)
            self._mark(i)

    def to_dataframe(self, index_name: str = "learner_index", **kwargs: Any) -> Any:
        """The children's DataFrames, concatenated, with a first column ``index_name``.

        ``kwargs`` go to each ``child.to_dataframe``.
        """
        from .._optional import import_optional

        pd = import_optional("pandas", purpose="to_dataframe")
        frames = []
        for i, child in enumerate(self.learners):
            df = child.to_dataframe(**kwargs)
            if index_name in df.columns:
                msg = f"index_name {index_name!r} is already a column of the children's frames"
                raise ValueError(msg)
            df.insert(0, index_name, i)
            frames.append(df)
        df = pd.concat(frames, axis=0, ignore_index=True)
        df.attrs = {**frames[0].attrs, "inputs": [index_name, *frames[0].attrs.get("inputs", [])]}
        return df

    def load_dataframe(self, df: Any, index_name: str = "learner_index", **kwargs: Any) -> None:
        """Give each child the rows of ``df`` with its index; ``kwargs`` go to the children."""
        if index_name not in df.columns:
            msg = f"the DataFrame has no column {index_name!r}; pass index_name="
            raise ValueError(msg)
        bad = sorted({i for i in df[index_name].tolist() if not 0 <= i < len(self.learners)})
        if bad:
            msg = f"column {index_name!r} holds indices {bad}, not in [0, {len(self.learners)})"
            raise ValueError(msg)
        for i, group in df.groupby(index_name):
            self.learners[int(i)].load_dataframe(group, **kwargs)
            self._mark(int(i))

    def plot(
        self,
        cdims: Any = None,
        plotter: Callable[[BaseLearner], Any] | None = None,
        dynamic: bool = True,
    ) -> Any:
        """A ``hv.DynamicMap`` with one slider per cdims key (a ``hv.HoloMap`` with
        ``dynamic=False``); each frame is ``plotter(child)``, by default ``child.plot()``."""
        from ..plotting.balancing import plot_balancing

        rows = normalize_cdims(cdims, len(self.learners)) or self._cdims_default
        if rows is None:
            rows = [{"i": i} for i in range(len(self.learners))]
        return plot_balancing(self.learners, rows, plotter, dynamic)

    # -- files ----------------------------------------------------------------------------

    def _file_names(self, fname: Any, method: str) -> list[Any]:
        if isinstance(fname, (str, bytes, os.PathLike)):
            msg = (
                f"{method}({fname!r}): a BalancingLearner saves one file per child; pass a "
                "function child -> file name, or a list with one name per child"
            )
            raise ValueError(msg)
        if callable(fname):
            names = [fname(child) for child in self.learners]
        elif isinstance(fname, Iterable):
            names = list(fname)
        else:
            msg = f"{method} needs a function child -> file name or a list of names, got {fname!r}"
            raise ValueError(msg)
        if len(names) != len(self.learners):
            msg = f"{method} got {len(names)} file names for {len(self.learners)} children"
            raise ValueError(msg)
        paths = [os.path.abspath(os.path.expanduser(os.fspath(name))) for name in names]
        if len(set(paths)) != len(paths):
            msg = f"{method} needs a different file name for each child, got {names!r}"
            raise ValueError(msg)
        return names

    def save(self, fname: Any, compress: bool = True) -> None:
        """Save each child to its own file (adaptive_nb's data-only format).

        ``fname`` is a function ``child -> file name`` or an iterable with one name per
        child. A plain string raises ``ValueError``.
        """
        for child, name in zip(self.learners, self._file_names(fname, "save")):
            child.save(name, compress=compress)

    def load(self, fname: Any, compress: bool = True, *, allow_pickle: bool = False) -> None:
        """Load each child from its file; ``fname`` as in :meth:`save`."""
        for i, (child, name) in enumerate(zip(self.learners, self._file_names(fname, "load"))):
            try:
                child.load(name, compress=compress, allow_pickle=allow_pickle)
            finally:
                self._mark(i)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "learners": self.learners,
            "cdims": self._cdims_default,
            "strategy": self.strategy,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["learners"], cdims=state["cdims"], strategy=state["strategy"])

    def _check(self) -> None:
        """Assert the invariants of the children and of the choice structures."""
        for child in self.learners:
            child._check()
        current: dict[int, tuple] = {}
        for key, i, version in self._heap:
            if version == self._version[i]:
                assert i not in current, f"child {i} has two current heap entries"
                current[i] = key
        for i in range(len(self.learners)):
            if i in self._dirty:
                assert i not in current, f"changed child {i} still has a current entry"
                continue
            version, total, head, loss = self._state[i]
            assert version == self._version[i], f"child {i}: state out of date"
            if total != self._fingerprint(i):
                continue  # changed directly; refreshed when it reaches the top
            points, gains = self.learners[i].ask(1, tell_pending=False)
            assert repr((points, gains)) == repr(([head[0]], [head[1]]) if head else ([], [])), (
                f"child {i}: cached next point {head!r} differs from {(points, gains)!r}"
            )
            if head is None or self.strategy == "cycle":
                assert i not in current
            else:
                assert current.get(i) == self._key(i, 0, head[1], total, loss), (
                    f"child {i}: heap key out of date"
                )
