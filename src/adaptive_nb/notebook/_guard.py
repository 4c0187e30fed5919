"""A watchdog process that ends what the executor picker started if the kernel dies.

The picker's own clean-up (``stop()``, and ``atexit`` at interpreter exit) cannot run when
the kernel is killed: Jupyter sends SIGTERM and then SIGKILL to a kernel that does not exit
within a few seconds of a shutdown request, and the default SIGTERM action skips ``atexit``.
Engines that live in their own sessions (ipyparallel's controller and engines, which
ipykernel does not signal at shutdown) would then be orphaned. So for each such engine the
picker starts this small process, in a new session, and tells it the process ids to watch::

    python -m adaptive_nb.notebook._guard PARENT_PID
    stdin: "watch PID CREATE_TIME" lines, then "release" when the engine was stopped cleanly

When its parent dies (its parent pid changes, or its stdin reaches end-of-file) without a
``release``, it terminates every watched process with its descendants (SIGTERM, then SIGKILL
after a few seconds) and exits. After ``release`` it exits without doing anything.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

__all__ = ["Guard", "terminate_trees", "wait_gone"]

GRACE = 3.0  # seconds between SIGTERM and SIGKILL


def _same_process(psutil: Any, pid: int, create_time: float) -> Any:
    """The process ``pid`` if it is still the one that was watched (not a reused pid)."""
    try:
        proc = psutil.Process(pid)
        if abs(proc.create_time() - create_time) < 0.05:
            return proc
    except psutil.Error:
        pass
    return None


def _alive(proc: Any) -> bool:
    """Running and not a zombie (a zombie has ended; its parent has not reaped it yet)."""
    import psutil

    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def wait_gone(procs: list[Any], timeout: float) -> list[Any]:
    """Wait up to ``timeout`` seconds for ``procs`` to end; return those still alive."""
    deadline = time.monotonic() + timeout
    alive = [p for p in procs if _alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if _alive(p)]
    return alive


def terminate_trees(roots: list[Any], grace: float = GRACE) -> None:
    """SIGTERM ``roots`` (psutil processes) and their descendants; SIGKILL what is left
    after ``grace`` seconds. Returns when all of them are gone."""
    import psutil

    procs = []
    for root in roots:
        with contextlib.suppress(psutil.Error):
            procs.extend([root, *root.children(recursive=True)])
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    for proc in wait_gone(procs, grace):
        with contextlib.suppress(psutil.Error):
            proc.kill()
    wait_gone(procs, grace)


def main(parent: int) -> None:
    import psutil

    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # only the parent's death ends the watch
    watched: dict[int, float] = {}
    released = threading.Event()
    eof = threading.Event()

    def read() -> None:
        for line in sys.stdin:
            words = line.split()
            if words[:1] == ["watch"] and len(words) == 3:
                watched[int(words[1])] = float(words[2])
            elif words == ["release"]:
                released.set()
                break
        eof.set()

    threading.Thread(target=read, daemon=True).start()
    while not eof.wait(0.25):
        if os.getppid() != parent:
            eof.wait(1.0)  # let the reader take in what the parent wrote before it died
            break
    if released.is_set():
        return
    roots = [p for pid, t in list(watched.items()) if (p := _same_process(psutil, pid, t))]
    terminate_trees(roots)


class Guard:
    """The kernel's side: start the watchdog, tell it what to watch, release it."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "adaptive_nb.notebook._guard", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # not signalled with the kernel's process group
            text=True,
        )

    @property
    def pid(self) -> int:
        return self._proc.pid

    def watch(self, procs: list[Any]) -> None:
        """Watch these psutil processes (and, when it acts, their descendants)."""
        import psutil

        assert self._proc.stdin is not None
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                self._proc.stdin.write(f"watch {proc.pid} {proc.create_time()!r}\n")
        self._proc.stdin.flush()

    def release(self, timeout: float = 5.0) -> None:
        """The engine was stopped cleanly: let the watchdog exit without acting."""
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write("release\n")
            self._proc.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


if __name__ == "__main__":
    main(int(sys.argv[1]))
