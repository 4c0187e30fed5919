"""A live progress line in the terminal, for scripts (built on tqdm, the ``progress`` extra)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from ._optional import import_optional

__all__ = ["TerminalProgress", "want_progress"]


def want_progress(progress: bool | None, stream: TextIO | None = None) -> bool:
    """Resolve a ``progress`` argument: None means on only when ``stream`` is a terminal
    and tqdm is installed; True insists (and names the extra if tqdm is missing)."""
    if progress is None:
        stream = stream or sys.stderr
        if not (hasattr(stream, "isatty") and stream.isatty()):
            return False
        try:
            import tqdm  # noqa: F401
        except ImportError:
            return False
        return True
    return bool(progress)


class TerminalProgress:
    """One status line: points (of the goal, if known), loss, elapsed time, rate, failures.

    ``update`` is cheap to call after every point: the line (and the loss, which may cost
    time to compute) is refreshed at most every ``interval`` seconds.
    """

    def __init__(
        self, total: int | None = None, *, interval: float = 0.2, stream: TextIO | None = None
    ) -> None:
        tqdm = import_optional("tqdm", purpose="a progress display")
        self._bar = tqdm.tqdm(
            total=total,
            unit="pt",
            file=stream or sys.stderr,
            dynamic_ncols=True,
            mininterval=interval,
            bar_format=None if total else "{desc}{n_fmt} pts [{elapsed}, {rate_fmt}]{postfix}",
        )
        self._interval = interval
        self._next = 0.0
        self._shown = 0

    def update(
        self, npoints: int, loss: Any = None, failures: int = 0, force: bool = False
    ) -> None:
        now = time.monotonic()
        if not force and now < self._next:
            return
        self._next = now + self._interval
        fields = {}
        if loss is not None:
            value = loss() if callable(loss) else loss
            fields["loss"] = f"{value:.3g}"
        if failures:
            fields["failed"] = failures
        self._bar.set_postfix(fields, refresh=False)
        self._bar.update(npoints - self._shown)
        self._shown = npoints

    def close(self) -> None:
        self._bar.close()
