"""Pickling shared by the learners' ``__getstate__`` / ``__setstate__``.

A learner pickles its constructor arguments and its data, not its internal structures: the
function and the loss are cloudpickled (so lambdas and closures pickle too), and unpickling
calls ``__init__`` again and re-adds the data and the pending points.
"""

from __future__ import annotations

from typing import Any

__all__ = ["learner_state", "reinit_from_state"]


def learner_state(learner: Any, loss_name: str | None, **extra: Any) -> dict[str, Any]:
    """The state a learner pickles.

    Parameters
    ----------
    learner : BaseLearner
        A learner with ``function``, ``bounds`` and ``pending_points``.
    loss_name : str or None
        The attribute (and constructor parameter) that holds the loss function, if any.
    **extra
        The learner's own entries (its data, tunables).

    Returns
    -------
    dict
        ``function`` and the loss (cloudpickled), ``bounds``, ``extra`` and the sorted
        ``pending_points``.
    """
    import cloudpickle

    state: dict[str, Any] = {"function": cloudpickle.dumps(learner.function)}
    if loss_name is not None:
        state[loss_name] = cloudpickle.dumps(getattr(learner, loss_name))
    state["bounds"] = learner.bounds
    state.update(extra)
    state["pending_points"] = sorted(learner.pending_points)
    return state


def reinit_from_state(
    learner: Any, state: dict[str, Any], loss_name: str | None, *args: Any, **kwargs: Any
) -> None:
    """Call ``learner.__init__(function, bounds[, loss], *args, **kwargs)`` with the function,
    bounds and loss of a state made by :func:`learner_state`.

    The caller then adds the data and the pending points.
    """
    import cloudpickle

    head = [cloudpickle.loads(state["function"]), state["bounds"]]
    if loss_name is not None:
        head.append(cloudpickle.loads(state[loss_name]))
    learner.__init__(*head, *args, **kwargs)
