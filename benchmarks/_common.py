"""Shared helpers for the adaptive_nb vs adaptive benchmarks.

Everything here measures *process CPU time* (``time.process_time``): the benchmark machine
is shared, and CPU time is much less sensitive than wall time to other processes.
Progress goes to stderr so that stdout stays a clean markdown report.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def log(msg: str) -> None:
    """Progress message on stderr (with the CPU time used so far)."""
    print(f"[{time.process_time():8.1f}s cpu] {msg}", file=sys.stderr, flush=True)


def cpu_time(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``fn()`` after a full garbage collection; return (CPU seconds, result)."""
    gc.collect()
    t0 = time.process_time()
    result = fn()
    return time.process_time() - t0, result


def interleaved(runs: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[Any]]:
    """Call every run once per repeat, alternating the order of the runs between repeats.

    Repeat 0 runs them in the given order, repeat 1 in reverse order, and so on, so that a
    slow phase of the machine does not always hit the same library.
    """
    names = list(runs)
    out: dict[str, list[Any]] = {name: [] for name in names}
    for r in range(repeats):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            gc.collect()
            out[name].append(runs[name]())
            gc.collect()
    return out


def median(values: Sequence[float]) -> float:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(vals) if vals else math.nan


def spread(values: Sequence[float]) -> str:
    """'min–max' of the repeats, for the tables."""
    vals = [v for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return "-"
    return f"{fmt(min(vals))}–{fmt(max(vals))}"


def fmt(x: float | None, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (no scientific notation for 1e-3..1e6)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    if x == 0:
        return "0"
    ax = abs(x)
    if 1e-3 <= ax < 1e6:
        decimals = max(0, digits - 1 - math.floor(math.log10(ax)))
        return f"{x:.{decimals}f}"
    return f"{x:.{digits - 1}e}"


def ratio(num: float | None, den: float | None) -> float:
    if num is None or den is None or math.isnan(num) or math.isnan(den):
        return math.nan
    if den == 0:
        return 1.0 if num == 0 else math.inf
    return num / den


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table; cells are str()-ed."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def pass_fail(ok: bool | None) -> str:
    if ok is None:
        return "N/A"
    return "PASS" if ok else "FAIL"


def git_description() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        files = [line[3:] for line in dirty.splitlines()]
        return head + (f" (uncommitted changes in {', '.join(files)})" if files else "")
    except Exception:
        return "unknown"


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def environment(versions: dict[str, str]) -> list[str]:
    lines = [
        f"- Python {platform.python_version()} on {platform.platform()}, "
        f"{os.cpu_count()} CPUs, load average at start: {loadavg()}",
        f"- adaptive_nb git commit: {git_description()}",
    ]
    lines += [f"- {name} {ver}" for name, ver in versions.items()]
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            lines.append(f"- note: {var}={os.environ[var]} is set")
    return lines
