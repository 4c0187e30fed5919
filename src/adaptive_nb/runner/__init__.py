"""Runners: drive a learner, evaluating its points until a goal is met.

``Runner`` (= ``AsyncRunner``) runs as an asyncio task; ``BlockingRunner`` returns when done;
``simple`` evaluates in the calling thread. All share one scheduling core (``_core``) and
the goals of :mod:`adaptive_nb.goals`.
"""

from ..executors import SequentialExecutor
from ..goals import auto_goal, stop_after
from .aio import AsyncRunner, Runner
from .base import BaseRunner
from .blocking import BlockingRunner
from .simple import replay_log, simple

__all__ = [
    "AsyncRunner",
    "BaseRunner",
    "BlockingRunner",
    "Runner",
    "SequentialExecutor",
    "auto_goal",
    "replay_log",
    "simple",
    "stop_after",
]
