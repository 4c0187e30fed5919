"""Subprocess for tests/runner/test_crash_table.py and test_reliability.py: a run to interrupt.

Usage::

    python run_until_signalled.py RUNNER SECONDS [FNAME INTERVAL]

RUNNER is ``blocking`` (``BlockingRunner``) or ``async`` (``Runner.block_until_done``); the
function sleeps SECONDS per point and runs on the default (loky) executor with an
unreachable goal. With FNAME the async runner also saves periodically to FNAME every
INTERVAL seconds.

Protocol (one line each on stdout, flushed): ``pid <pid>`` at the start; ``npoints <n>
<time>`` whenever the number of points changed (checked every 0.05 s, from a thread); and,
when the run ends, ``result <json>`` with the exception type, the time it was caught,
``npoints``, how many points were handed out by ``learner.ask`` and the size of
``learner.pending_points``, and whether ``learner._check()`` passed.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

from adaptive_nb import BlockingRunner, Learner1D, Runner


def say(*words: object) -> None:
    sys.stdout.write(" ".join(map(str, words)) + "\n")
    sys.stdout.flush()


def make_function(seconds: float):
    def f(x: float) -> float:
        time.sleep(seconds)
        return x

    return f


def main() -> None:
    kind, seconds = sys.argv[1], float(sys.argv[2])
    fname = sys.argv[3] if len(sys.argv) > 3 else None
    interval = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    learner = Learner1D(make_function(seconds), (-1.0, 1.0))
    asked: list[float] = []
    ask = learner.ask

    def recording_ask(n: int, tell_pending: bool = True):
        points, losses = ask(n, tell_pending)
        asked.extend(points)
        return points, losses

    learner.ask = recording_ask  # type: ignore[method-assign]

    def report() -> None:
        last = -1
        while True:
            n = learner.npoints
            if n != last:
                say("npoints", n, repr(time.time()))
                last = n
            time.sleep(0.05)

    say("pid", os.getpid())
    threading.Thread(target=report, daemon=True).start()
    exc_name = None
    try:
        if kind == "blocking":
            BlockingRunner(learner, npoints_goal=10**9, progress=False)
        else:
            runner = Runner(learner, npoints_goal=10**9)
            if fname is not None:
                runner.start_periodic_saving(dict(fname=fname), interval=interval)
            runner.block_until_done(progress=False)
    except BaseException as exc:  # reported to the test
        exc_name = type(exc).__name__
    caught = time.time()
    try:
        learner._check()
        consistent = True
    except Exception:  # reported to the test
        consistent = False
    result = {
        "exception": exc_name,
        "time": caught,
        "npoints": learner.npoints,
        "asked": len(asked),
        "pending": len(learner.pending_points),
        "consistent": consistent,
    }
    say("result", json.dumps(result))


if __name__ == "__main__":
    main()
