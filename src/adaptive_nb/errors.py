"""The exceptions and warnings adaptive_nb raises.

Every class subclasses the standard exception whose meaning it shares, so code written
``except ValueError`` or ``except ImportError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "AdaptiveNbError",
    "CorruptFileError",
    "IncompatibleFileError",
    "LearnerExhaustedError",
    "MissingFileWarning",
    "MissingOptionalDependency",
    "PickleNotAllowedError",
    "SaveFileError",
]


class AdaptiveNbError(Exception):
    """Base class of every error raised by adaptive_nb itself."""


class MissingOptionalDependency(AdaptiveNbError, ImportError):
    """A feature needs a package from one of adaptive_nb's extras."""


class LearnerExhaustedError(AdaptiveNbError, RuntimeError):
    """The learner has no point left to suggest, but the goal is not reached.

    The learner keeps all its data; the run simply cannot go on.
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
