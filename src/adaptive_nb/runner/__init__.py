"""Runners: drive a learner, evaluating its points until a goal is met."""

from ..executors import SequentialExecutor
from ..goals import auto_goal, stop_after
from .simple import replay_log, simple

__all__ = ["SequentialExecutor", "auto_goal", "replay_log", "simple", "stop_after"]
