"""Pieces shared by the learners' hypothesis contract tests (``test_*_contract.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

__all__ = ["contract_settings", "loss_and_vector_params"]


def contract_settings(max_examples: int, **kwargs: Any) -> settings:
    """Hypothesis settings for a contract test: ``max_examples`` examples, no deadline, and
    no health check on slow or large draws (a learner with data takes a while to build).

    Parameters
    ----------
    max_examples : int
        How many examples (or, for a state machine, how many runs).
    **kwargs
        Further settings, e.g. ``stateful_step_count``.
    """
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        **kwargs,
    )


def loss_and_vector_params(loss_names: Iterable[str]) -> Any:
    """``pytest.mark.parametrize`` over ``(loss_name, vector)``: every loss, with scalar and
    with vector output, with ids such as ``default_loss-vector``."""
    names = list(loss_names)
    return pytest.mark.parametrize(
        ("loss_name", "vector"),
        [(name, vector) for name in names for vector in (False, True)],
        ids=[f"{name}-{'vector' if v else 'scalar'}" for name in names for v in (False, True)],
    )
