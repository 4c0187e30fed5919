"""The learners: pure data structures that choose where to sample next."""

from .average_learner import AverageLearner
from .balancing_learner import BalancingLearner
from .base_learner import BaseLearner
from .data_saver import DataSaver, make_datasaver
from .learner1D import Learner1D
from .sequence_learner import SequenceLearner

__all__ = [
    "AverageLearner",
    "BalancingLearner",
    "BaseLearner",
    "DataSaver",
    "Learner1D",
    "SequenceLearner",
    "make_datasaver",
]
