"""Ctrl-C during a run: the first keeps the results in flight, the second stops at once.

The handler only sets a flag (and wakes the driver), so an interrupt can never land in the
middle of a learner update.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any


class InterruptGuard:
    """Within ``with InterruptGuard(on_first, on_second) as guard``, SIGINT calls
    ``on_first`` then ``on_second``; ``guard.count`` says how many arrived. Outside the
    main thread it does nothing (signals only reach the main thread)."""

    def __init__(self, on_first: Callable[[], None], on_second: Callable[[], None]) -> None:
        self.count = 0
        self._callbacks = (on_first, on_second)
        self._previous: Any = None
        self._active = threading.current_thread() is threading.main_thread()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        self._callbacks[min(self.count, 2) - 1]()

    def __enter__(self) -> InterruptGuard:
        if self._active:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._active:
            signal.signal(signal.SIGINT, self._previous)
