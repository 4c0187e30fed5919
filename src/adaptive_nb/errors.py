"""The exceptions and warnings adaptive_nb raises.

Every class subclasses the standard exception whose meaning it shares, so code written
``except ValueError`` or ``except ImportError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "AdaptiveNbError",
    "CorruptFileError",
    "EvaluationError",
    "IncompatibleFileError",
    "LearnerConclusionError",
    "LearnerExhaustedError",
    "MissingFileWarning",
    "MissingOptionalDependency",
    "PickleNotAllowedError",
    "RemoteTraceback",
    "SaveFileError",
    "UnsupportedExecutorError",
    "WorkerLostError",
]


class AdaptiveNbError(Exception):
    """Base class of every error raised by adaptive_nb itself."""


class MissingOptionalDependency(AdaptiveNbError, ImportError):
    """A feature needs a package from one of adaptive_nb's extras."""


class LearnerExhaustedError(AdaptiveNbError, RuntimeError):
    """The learner has no point left to suggest, but the goal is not reached.

    The learner keeps all its data; the run simply cannot go on.
    """


class LearnerConclusionError(AdaptiveNbError):
    """Raised by a learner's ``tell`` when the data show that the run cannot succeed (for
    example a divergent integral). A runner ends with this error as it is: the function
    did not fail, so the point is not retried nor reported as a failed evaluation.
    """


class SaveFileError(AdaptiveNbError, ValueError):
    """A file given to ``learner.load`` cannot be loaded. The learner is unchanged."""


class CorruptFileError(SaveFileError):
    """The file is empty, truncated or not a file that adaptive_nb (or adaptive) wrote."""


class IncompatibleFileError(SaveFileError):
    """The file is intact but holds data of another learner type or a newer format."""


class PickleNotAllowedError(SaveFileError):
    """The file holds pickled data, and reading it could run arbitrary code.

    Pass ``allow_pickle=True`` to ``load`` only for files you trust.
    """


class MissingFileWarning(UserWarning):
    """``learner.load`` was given a path that does not exist; nothing was loaded."""


class UnsupportedExecutorError(AdaptiveNbError, TypeError):
    """The object given as ``executor`` cannot be used by the runners."""


class RemoteTraceback(Exception):
    """The traceback of an error raised in a worker, as text (the ``__cause__`` of the error)."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return self.tb


class EvaluationError(AdaptiveNbError, RuntimeError):
    """``learner.function(point)`` failed (after any retries).

    The original exception is the ``__cause__``; ``point`` is the point, ``traceback`` the
    worker's traceback as text, and ``runner`` the runner, whose ``learner`` keeps all the
    points finished before the failure.
    """

    def __init__(self, message: str, *, point: object, traceback: str, runner: object = None):
        super().__init__(message)
        self.point = point
        self.traceback = traceback
        self.runner = runner


class WorkerLostError(AdaptiveNbError, RuntimeError):
    """Worker processes died and the evaluations in flight were lost for good: the pool
    cannot be replaced (a pool the user owns), or the lost points have no retries left.

    ``points`` are the points whose evaluation was lost; the learner keeps all finished data.
    """

    def __init__(self, message: str, *, points: list, runner: object = None):
        super().__init__(message)
        self.points = points
        self.runner = runner
