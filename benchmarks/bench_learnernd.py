"""LearnerND: adaptive_nb vs adaptive 1.5.2 (python triangulation), side by side in one process.

Run from the repository root (see benchmarks/README.md)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_learnernd.py \\
        > benchmarks/results_learnernd.md                      # default run, ~5-8 min
    .venv/bin/python benchmarks/bench_learnernd.py --quick    # smoke test, ~30 s

The report (markdown) goes to stdout, progress to stderr. Timings are process CPU time
(``time.process_time``), medians over repeats; within each repeat the two libraries run one
after the other, alternating which goes first.

Cases
-----
1. CPU per point of an ``ask(1)`` + ``tell`` loop in 2-D and 3-D, measured over the last
   ``window`` points before N = 500, 1000, 2000 (one growing learner per repeat).
   Target: adaptive_nb at least 5x faster than adaptive at N = 2000.
2. High dimension (adaptive issue #464, "sudden slowdown of tell in 9-D"): the same loop in
   5-D, per-point cost over windows ending at 100 and 200 (and 400, 800 for adaptive_nb);
   one repeat (adaptive takes 0.1-0.3 s per point there).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import adaptive
import numpy as np
import scipy

import adaptive_nb
from _common import environment, fmt, interleaved, log, median, pass_fail, ratio, spread, table

NB, AD = "adaptive_nb", "adaptive"


def ring(p: tuple[float, ...]) -> float:
    """The test function: a slope plus a sharp ring (a sphere in 3-D and up)."""
    r2 = sum(x * x for x in p)
    return p[0] + math.exp(-((r2 - 0.5) ** 2) / 0.01)


def make(lib: str, dim: int) -> object:
    bounds = [(-1.0, 1.0)] * dim
    if lib == NB:
        return adaptive_nb.LearnerND(ring, bounds)
    return adaptive.LearnerND(ring, bounds, triangulation_backend="python")


def grow(lib: str, dim: int, marks: list[int], window: int) -> dict[int, float]:
    """Run ask(1)+tell up to max(marks); return µs of CPU per point over the last
    ``window`` points before each mark."""
    learner = make(lib, dim)
    out: dict[int, float] = {}
    start = None
    for n in range(1, max(marks) + 1):
        if n - 1 in {m - window for m in marks}:
            start = time.process_time()
        points, _ = learner.ask(1)
        for p in points:
            learner.tell(p, ring(p))
        if n in marks:
            out[n] = (time.process_time() - start) / window * 1e6
            if lib == NB:
                out[-n] = len(learner.tri.simplices) / n  # simplices per point
    return out


def case_low_dim(repeats: int, marks: list[int], window: int) -> tuple[list[str], list[bool]]:
    lines, verdicts = ["## 1. `ask(1)` + `tell`, CPU per point, 2-D and 3-D", ""], []
    rows = []
    for dim in (2, 3):
        log(f"case 1: {dim}-D up to {max(marks)} points, {repeats} repeats")
        runs: dict[str, Callable[[], dict[int, float]]] = {
            NB: lambda d=dim: grow(NB, d, marks, window),
            AD: lambda d=dim: grow(AD, d, marks, window),
        }
        results = interleaved(runs, repeats)
        for m in marks:
            nb = [r[m] for r in results[NB]]
            ad = [r[m] for r in results[AD]]
            speedup = ratio(median(ad), median(nb))
            rows.append(
                [
                    f"{dim}-D",
                    m,
                    fmt(median(nb)),
                    spread(nb),
                    fmt(median(ad)),
                    spread(ad),
                    f"{fmt(speedup)}x",
                ]
            )
            if m == max(marks):
                ok = speedup >= 5
                verdicts.append(ok)
                lines.append(
                    f"- **{pass_fail(ok)}**: {dim}-D at N = {m}: adaptive_nb {fmt(speedup)}x "
                    "faster than adaptive (target: at least 5x)"
                )
    header = ["dim", "N", "adaptive_nb µs/pt", "range", "adaptive µs/pt", "range", "speed-up"]
    lines += ["", table(header, rows), ""]
    lines.append(
        f"CPU per point over the last {window} points before N (medians of {repeats} repeats)."
    )
    return lines, verdicts


def case_high_dim(repeats: int, nb_marks: list[int], ad_marks: list[int], window: int) -> list[str]:
    dim = 5
    log(f"case 2: {dim}-D, adaptive_nb to {max(nb_marks)}, adaptive to {max(ad_marks)}")
    runs = {
        NB: lambda: grow(NB, dim, nb_marks, window),
        AD: lambda: grow(AD, dim, ad_marks, window),
    }
    results = interleaved(runs, repeats)
    rows = []
    for m in nb_marks:
        nb = median([r[m] for r in results[NB]])
        ad = median([r[m] for r in results[AD]]) if m in ad_marks else math.nan
        per_point = median([r[-m] for r in results[NB]])
        speedup = f"{fmt(ratio(ad, nb))}x" if ad == ad else "-"
        rows.append([m, fmt(nb / 1e3), fmt(ad / 1e3), speedup, fmt(per_point)])
    nb_first, nb_last = (median([r[m] for r in results[NB]]) for m in (nb_marks[0], nb_marks[-1]))
    header = ["N", "adaptive_nb ms/pt", "adaptive ms/pt", "speed-up", "simplices per point"]
    lines = [
        f"## 2. High dimension ({dim}-D): cost per point as the learner grows (issue #464)",
        "",
        table(header, rows),
        "",
        f"CPU per point over the last {window} points before N ({repeats} repeat). "
        f"adaptive_nb's cost grows {fmt(nb_last / nb_first)}x from N = {nb_marks[0]} to "
        f"{nb_marks[-1]}, smoothly, with the number of simplices per point: a point placed at a "
        "circumcenter replaces hundreds of simplices in 5-D, and their number per point grows "
        "from the coarse first cut of the box (120 simplices for 32 corners) towards that of a "
        "bulk Delaunay mesh. An insertion costs in proportion to its cavity, not to N. "
        f"adaptive was run to N = {max(ad_marks)} only (a quarter of a second per point there, "
        "and growing).",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke test (small sizes)")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    if args.quick:
        repeats = args.repeats or 1
        marks, window = [100, 200], 50
        hd_nb, hd_ad, hd_window = [60, 100], [60, 100], 20
    else:
        repeats = args.repeats or 3
        marks, window = [500, 1000, 2000], 100
        hd_nb, hd_ad, hd_window = [100, 200, 400, 800], [100, 200], 50
    command = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python "
    command += "benchmarks/bench_learnernd.py"
    if args.quick:
        command += " --quick"
    out = ["# LearnerND: adaptive_nb vs adaptive 1.5.2", "", f"Command: `{command}`", ""]
    out += environment(
        {"adaptive": adaptive.__version__, "numpy": np.__version__, "scipy": scipy.__version__}
    )
    out += [
        "",
        "Test function: `x + exp(-(|p|^2 - 0.5)^2 / 0.01)` on `[-1, 1]^dim`, default loss; "
        "adaptive with `triangulation_backend='python'`.",
        "",
    ]
    low, verdicts = case_low_dim(repeats, marks, window)
    out += [*low, ""]
    out += case_high_dim(1, hd_nb, hd_ad, hd_window)  # adaptive: ~0.1-0.3 s per point
    out += ["", f"Overall: **{pass_fail(all(verdicts))}**"]
    print("\n".join(out))


if __name__ == "__main__":
    main()
