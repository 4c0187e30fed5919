"""adaptive_nb: parallel adaptive sampling of expensive functions, Jupyter-first.

``import adaptive_nb as adaptive`` runs python-adaptive's documented examples. Importing the
package is cheap and changes no global state: the learners, runners and helpers are loaded
when first used.
"""

from __future__ import annotations

from ._lazy import lazy_attributes

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "BaseLearner": "adaptive_nb.learner.base_learner",
    "Learner1D": "adaptive_nb.learner.learner1D",
    "Learner2D": "adaptive_nb.learner.learner2D",
    "LearnerND": "adaptive_nb.learner.learnerND",
    "BalancingLearner": "adaptive_nb.learner.balancing_learner",
    "SequenceLearner": "adaptive_nb.learner.sequence_learner",
    "AverageLearner": "adaptive_nb.learner.average_learner",
    "AverageLearner1D": "adaptive_nb.learner.average_learner1D",
    "DataSaver": "adaptive_nb.learner.data_saver",
    "IntegratorLearner": "adaptive_nb.learner.integrator_learner",
    "make_datasaver": "adaptive_nb.learner.data_saver",
    "SequentialExecutor": "adaptive_nb.executors",
    "Runner": "adaptive_nb.runner.aio",
    "AsyncRunner": "adaptive_nb.runner.aio",
    "BlockingRunner": "adaptive_nb.runner.blocking",
    "errors": "adaptive_nb.errors",
    "notebook_extension": "adaptive_nb.notebook.extension",
    "live_plot": "adaptive_nb.notebook.plot",
    "live_info": "adaptive_nb.notebook.info",
    "active_plotting_tasks": "adaptive_nb.notebook.plot",
    "learner": "adaptive_nb.learner",
    "runner": "adaptive_nb.runner",
    "utils": "adaptive_nb.utils",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
