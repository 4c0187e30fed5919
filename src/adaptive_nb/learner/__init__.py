"""The learners: pure data structures that choose where to sample next."""

from .base_learner import BaseLearner
from .learner1D import Learner1D

__all__ = ["BaseLearner", "Learner1D"]
