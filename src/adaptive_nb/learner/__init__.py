"""The learners: pure data structures that choose where to sample next."""

from .average_learner import AverageLearner
from .average_learner1D import AverageLearner1D
from .balancing_learner import BalancingLearner
from .base_learner import BaseLearner
from .data_saver import DataSaver, make_datasaver
from .integrator_learner import IntegratorLearner
from .learner1D import Learner1D
from .learner2D import Learner2D
from .learnerND import LearnerND
from .sequence_learner import SequenceLearner

__all__ = [
    "AverageLearner",
    "AverageLearner1D",
    "BalancingLearner",
    "BaseLearner",
    "DataSaver",
    "IntegratorLearner",
    "Learner1D",
    "Learner2D",
    "LearnerND",
    "SequenceLearner",
    "make_datasaver",
]
