"""The learner contract that every adaptive_nb learner follows, and that the runners rely on.

A learner is a pure data structure: it suggests points (``ask``), records results (``tell``)
and knows how far it is from done (``loss``). It never holds an executor, an event loop or
a widget, so any learner can be driven by hand, by :func:`adaptive_nb.runner.simple`, or by a
parallel runner.
"""

from __future__ import annotations

import abc
import numbers
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["BaseLearner", "uses_nth_neighbors"]


def uses_nth_neighbors(n: int) -> Callable[[Callable], Callable]:
    """Declare that a loss function needs ``n`` neighbouring intervals on each side.

    The learner then calls the loss with ``2 + 2*n`` points, padded with ``None`` where a
    neighbour lies beyond the domain. Sets ``loss.nth_neighbors = n`` and returns the loss.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        msg = f"uses_nth_neighbors needs a whole number n >= 0, got {n!r}"
        raise ValueError(msg)

    def decorator(loss: Callable) -> Callable:
        loss.nth_neighbors = int(n)
        return loss

    return decorator


def check_ask_count(n: Any) -> int:
    """Return ``n`` as an int, or raise ``ValueError`` if it is not a whole number >= 0."""
    if type(n) is int and n >= 0:
        return n
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        msg = f"ask(n) needs a whole number of points, got {n!r} of type {type(n).__name__}"
        raise ValueError(msg)
    if n < 0:
        msg = f"ask(n) needs n >= 0, got {n!r}"
        raise ValueError(msg)
    return int(n)


class BaseLearner(abc.ABC):
    """The learner contract.

    Subclasses implement ``ask``, ``tell`` or ``tell_many`` (each is written in terms of the
    other by default), ``tell_pending``, ``loss``, ``remove_unfinished``, ``new``, and the data
    hooks ``_get_data`` / ``_set_data`` / ``_to_arrays`` / ``_from_arrays``.

    Attributes
    ----------
    function : callable
        The function being learned.
    data : dict
        Every point told so far, mapped to its value.
    pending_points : set
        Points handed out by ``ask`` whose values are not known yet.
    """

    function: Callable[..., Any]

    # -- the contract ---------------------------------------------------------------------

    @abc.abstractmethod
    def ask(self, n: int, tell_pending: bool = True) -> tuple[list[Any], list[float]]:
        """Choose the next ``n`` points to evaluate.

        Parameters
        ----------
        n : int
            How many points to suggest (``n >= 0``; otherwise ``ValueError``).
        tell_pending : bool, default True
            Mark the suggested points as pending. With ``False`` the learner is left
            exactly as it was.

        Returns
        -------
        points : list
            At most ``n`` points, none already known or pending, no point twice. Fewer than
            ``n`` (possibly none) when the learner has nothing more to suggest.
        loss_improvements : list of float
            For each point, the loss of the region it refines: the expected gain from
            evaluating it. Never larger than ``loss()``, except ``inf`` while the learner
            has too little data to compute a loss.
        """

    def tell(self, x: Any, y: Any) -> None:
        """Record that ``function(x)`` is ``y``."""
        self.tell_many([x], [y])

    def tell_many(self, xs: Iterable[Any], ys: Iterable[Any]) -> None:
        """Record many results at once; may be much faster than calling ``tell`` in a loop."""
        for x, y in zip(xs, ys, strict=True):
            self.tell(x, y)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "__abstractmethods__", None) and (
            cls.tell is BaseLearner.tell and cls.tell_many is BaseLearner.tell_many
        ):
            msg = f"{cls.__name__} must override tell or tell_many (each defaults to the other)"
            raise TypeError(msg)

    @abc.abstractmethod
    def tell_pending(self, x: Any) -> None:
        """Mark ``x`` as being evaluated, so that ``ask`` does not suggest it again."""

    @abc.abstractmethod
    def loss(self, real: bool = True) -> float:
        """How far the learner is from done: lower is better.

        With ``real=False`` the pending points count as if they were known.
        """

    @abc.abstractmethod
    def remove_unfinished(self) -> None:
        """Forget every pending point."""

    @abc.abstractmethod
    def new(self) -> BaseLearner:
        """Return an empty learner with the same function and parameters."""

    def done(self) -> bool:
        """Whether the learner has finished by itself (without a goal).

        Learners that can finish on their own (a finite sequence, a converged integral) return
        True when they have; the others always return False, and runners then need a goal.
        """
        return False

    #: Whether a run with no goal ends by itself, when ``done()`` becomes true.
    finishes_by_itself: bool = False

    @property
    def npoints(self) -> int:
        """The number of points told."""
        return len(self.data)

    # -- data hooks -----------------------------------------------------------------------

    @abc.abstractmethod
    def _get_data(self) -> Any:
        """Return the learner's data as plain Python objects (for copies and pickling)."""

    @abc.abstractmethod
    def _set_data(self, data: Any) -> None:
        """Add data produced by ``_get_data`` (of a learner of the same type)."""

    @abc.abstractmethod
    def _to_arrays(self) -> dict[str, Any]:
        """Return the data as a dict of numpy arrays, for the save format."""

    @abc.abstractmethod
    def _from_arrays(self, arrays: dict[str, Any]) -> None:
        """Check arrays from ``_to_arrays``, then add them (``ValueError`` before any change)."""

    def _check(self) -> None:  # noqa: B027 (optional: a learner may have no invariants)
        """Assert the learner's internal invariants (used by the tests after every step)."""

    # -- derived conveniences -------------------------------------------------------------

    def copy_from(self, other: BaseLearner) -> None:
        """Add all the data of ``other``, a learner of the same type."""
        if type(other) is not type(self):
            msg = f"copy_from needs a {type(self).__name__}, got a {type(other).__name__}"
            raise TypeError(msg)
        self._set_data(other._get_data())

    def save(self, fname: Any, compress: bool = True) -> None:
        """Save the data to ``fname`` atomically, in adaptive_nb's data-only format.

        See :mod:`adaptive_nb.persistence`. Errors (for example a path that is a folder)
        are raised, never swallowed.
        """
        from ..persistence import save_learner

        save_learner(self, fname, compress=compress)

    def load(self, fname: Any, compress: bool = True, *, allow_pickle: bool = False) -> None:
        """Add the data saved in ``fname`` to this learner.

        A missing file warns (:class:`~adaptive_nb.errors.MissingFileWarning`) and changes
        nothing. An empty, truncated or foreign file raises
        :class:`~adaptive_nb.errors.CorruptFileError`; a file of another learner type raises
        :class:`~adaptive_nb.errors.IncompatibleFileError`; in both cases the learner is
        unchanged. Pickled files (adaptive's own, or data that could not be stored as
        arrays) are only read with ``allow_pickle=True``, since unpickling can run code.
        ``compress`` is accepted for compatibility; the format is detected from the file.
        """
        from ..persistence import load_learner

        load_learner(self, fname, allow_pickle=allow_pickle)

    def to_numpy(self) -> Any:
        """The data as a numpy array, one row per point."""
        raise NotImplementedError(f"{type(self).__name__} has no to_numpy")

    def to_dataframe(self, *args: Any, **kwargs: Any) -> Any:
        """The data as a pandas DataFrame, one row per point (needs the ``pandas`` extra)."""
        raise NotImplementedError(f"{type(self).__name__} has no to_dataframe")

    def load_dataframe(self, *args: Any, **kwargs: Any) -> None:
        """Add the data of a DataFrame made by ``to_dataframe``."""
        raise NotImplementedError(f"{type(self).__name__} has no load_dataframe")

    def __getstate__(self) -> dict[str, Any]:
        import cloudpickle

        return {"cloudpickled": cloudpickle.dumps(self.__dict__)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        import cloudpickle

        self.__dict__.update(cloudpickle.loads(state["cloudpickled"]))
