"""Progress outside notebooks: the terminal line of BlockingRunner, block_until_done and
simple, and live_info_terminal."""

import asyncio
import fcntl
import math
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

import adaptive_nb as adaptive
from adaptive_nb.runner.status import status_fields

SCRIPT = textwrap.dedent(
    """
    import math, sys
    import adaptive_nb as adaptive
    from concurrent.futures import ThreadPoolExecutor

    kind = sys.argv[1]
    learner = adaptive.Learner1D(math.sin, (0, 3))
    if kind == "blocking":
        adaptive.BlockingRunner(learner, npoints_goal=300, executor=ThreadPoolExecutor(2))
    elif kind == "async":
        runner = adaptive.Runner(learner, npoints_goal=300, executor=ThreadPoolExecutor(2))
        runner.block_until_done()
    else:
        adaptive.runner.simple(learner, npoints_goal=300)
    print("DONE", learner.npoints)
    """
)


def run_in_terminal(kind: str) -> str:
    """Run SCRIPT with stdout and stderr on a pseudo-terminal, as a user at a shell would."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))  # 120 columns
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, kind], stdout=follower, stderr=follower, close_fds=True
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("kind", ["blocking", "async", "simple"])
def test_progress_is_on_by_default_in_a_terminal(kind):
    output = run_in_terminal(kind)
    npoints = int(re.search(r"DONE (\d+)", output).group(1))
    assert npoints >= 300
    assert re.search(r"\b\d+/300\b", output) and "loss=" in output and "pt/s" in output


@pytest.mark.timeout(180)
@pytest.mark.parametrize("kind", ["blocking", "async", "simple"])
def test_progress_is_off_by_default_when_not_a_terminal(kind):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, kind], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert int(re.search(r"DONE (\d+)", result.stdout).group(1)) >= 300
    assert "pt/s" not in result.stderr and "loss=" not in result.stderr


def test_blocking_runner_progress_can_be_forced(capsys):
    learner = adaptive.Learner1D(math.sin, (0, 3))
    adaptive.BlockingRunner(
        learner, npoints_goal=120, executor=ThreadPoolExecutor(2), progress=True
    )
    err = capsys.readouterr().err
    assert f"{learner.npoints}/120" in err and "loss=" in err


def test_block_until_done_progress_shows_failures(capsys):
    def f(x):
        if x > 2.5:
            raise ValueError("no")
        return math.sin(x)

    learner = adaptive.Learner1D(f, (0, 3))
    runner = adaptive.Runner(
        learner,
        npoints_goal=60,
        executor=ThreadPoolExecutor(2),
        raise_if_retries_exceeded=False,
    )
    runner.block_until_done(progress=True)
    err = capsys.readouterr().err
    assert "loss=" in err
    assert f"failed={len(runner.failed)}" in err and runner.failed


def test_live_info_terminal_shows_the_live_info_fields(capsys):
    async def main():
        learner = adaptive.Learner1D(math.sin, (0, 3))
        runner = adaptive.Runner(learner, npoints_goal=200, executor=ThreadPoolExecutor(2))
        printer = runner.live_info_terminal(update_interval=0.05, overwrite_previous=False)
        await runner.task
        await printer
        return runner

    runner = asyncio.run(main())
    out = capsys.readouterr().out
    for name in status_fields(runner):
        assert f"{name}:" in out
    assert "status: finished" in out and "# of points: 2" in out  # 200 and more
    assert "points/s" in out


def test_live_info_terminal_prints_the_end_state_in_a_script():
    # block_until_done lets the display print the final status; no task is left pending
    script = textwrap.dedent(
        """
        import time
        from concurrent.futures import ThreadPoolExecutor

        import adaptive_nb as adaptive

        def f(x):
            time.sleep(0.002)
            return abs(x)

        runner = adaptive.Runner(adaptive.Learner1D(f, (-1, 1)), npoints_goal=100,
                                 executor=ThreadPoolExecutor(2))
        runner.live_info_terminal(update_interval=0.05, overwrite_previous=False)
        runner.block_until_done(progress=False)
        print("END")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    before_end = result.stdout.split("END")[0]
    assert before_end.rstrip().splitlines()[-1].strip().startswith("rate:")
    assert "status: finished" in before_end
    assert "Task was destroyed" not in result.stderr, result.stderr
