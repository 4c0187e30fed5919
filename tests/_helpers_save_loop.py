"""Subprocess for tests/test_persistence.py: writers that save a learner in a loop until killed.

Usage: ``python _helpers_save_loop.py NPOINTS``. The process builds a learner of NPOINTS
points once and prints "ready". Then, for each file name read from stdin, it forks a writer
that saves the learner to that file again and again, prints the writer's pid, and once the
writer is dead (the test SIGKILLs it) reaps it and prints "reaped <wait status>". Forking
from one warm process keeps the test fast: no interpreter start-up or learner build per kill.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from adaptive_nb import Learner1D


def build(npoints: int) -> Learner1D:
    """``npoints`` points of sin on [-1, 1] (the test builds the same learner to compare)."""
    learner = Learner1D(np.sin, (-1.0, 1.0))
    xs = np.linspace(-1.0, 1.0, npoints)
    learner.tell_many(xs.tolist(), np.sin(xs).tolist(), force=True)
    return learner


def save_forever(learner: Learner1D, fname: str) -> None:
    try:
        while True:
            learner.save(fname)
    finally:
        os._exit(1)  # never return into the server loop


def main() -> None:
    learner = build(int(sys.argv[1]))
    print("ready", flush=True)
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            save_forever(learner, line.rstrip("\n"))
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"reaped {status}", flush=True)


if __name__ == "__main__":
    main()
