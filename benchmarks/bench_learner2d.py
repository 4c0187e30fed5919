"""Learner2D benchmark: adaptive_nb against adaptive 1.5.2, side by side in one process.

1. Speed: CPU µs per point of ``ask(1)`` + ``tell`` around N = 500, 1000, 5000, 20000 points
   (adaptive up to 5000), interleaved repeats, medians. Targets: at least 10x faster than
   adaptive at 5000 points, and at most 2x more per point at 20000 than at 1000.
2. Sampling quality: the error of each learner's linear interpolant against the true function
   on a 301 x 301 grid, at equal N, for a sharp ring, a smooth bump and a discontinuity, with
   default_loss and uniform_loss. Target: ratio adaptive_nb / adaptive at most 1.0 (with a 5 %
   allowance for which points of a half-refined level come first).

Run: ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_learner2d.py``
(``--quick`` for a smoke run). Writes benchmarks/results_learner2d.md.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import adaptive
import adaptive.learner.learner2D as theirs
import numpy as np
from scipy.interpolate import LinearNDInterpolator

sys.path.insert(0, str(Path(__file__).parent))
import _common as c
import adaptive_nb
import adaptive_nb.learner.learner2D as ours

BOUNDS = [(-1.0, 1.0), (-1.0, 1.0)]
LIBS = {"adaptive_nb": ours, "adaptive": theirs}


def ring(xy, a=0.2):
    x, y = xy
    return x + math.exp(-((x**2 + y**2 - 0.75**2) ** 2) / a**4)


def bump(xy):
    x, y = xy
    return math.exp(-((x - 0.2) ** 2 + (y + 0.1) ** 2) / 0.4**2)


def step(xy):
    x, y = xy
    return 1.0 if y > 0.4 * x + 0.1 else 0.0


def grow(learner, n: int, f=ring) -> None:
    while learner.npoints < n:
        points, _ = learner.ask(1)
        learner.tell(points[0], f(points[0]))


def window(learner, k: int) -> float:
    """CPU µs per point of k rounds of ask(1) + tell."""
    t0 = time.process_time()
    grow(learner, learner.npoints + k)
    return (time.process_time() - t0) / k * 1e6


def case_speed(marks, adaptive_max, k, repeats, out, verdicts):
    c.log("speed")
    results = {lib: {n: [] for n in marks} for lib in LIBS}
    for r in range(repeats):
        learners = {lib: mod.Learner2D(ring, BOUNDS) for lib, mod in LIBS.items()}
        order = list(LIBS) if r % 2 == 0 else list(LIBS)[::-1]
        for n in marks:
            for lib in order:
                if lib == "adaptive" and n > adaptive_max:
                    continue
                grow(learners[lib], n)
                results[lib][n].append(window(learners[lib], k))
            c.log(f"repeat {r} N={n}")
    med = {lib: {n: c.median(v) for n, v in d.items()} for lib, d in results.items()}
    rows = []
    for n in marks:
        nb, ad = med["adaptive_nb"][n], med["adaptive"][n]
        rows.append(
            [
                n,
                f"{c.fmt(nb)} ({c.spread(results['adaptive_nb'][n])})",
                f"{c.fmt(ad)} ({c.spread(results['adaptive'][n])})" if n <= adaptive_max else "-",
                f"{c.fmt(c.ratio(ad, nb))}×" if n <= adaptive_max else "-",
            ]
        )
    out.append("## 1. ask(1) + tell: CPU µs per point around N points\n")
    out.append(
        f"f = ring (a = 0.2) on [-1, 1]², default_loss. Each repeat grows a fresh learner of "
        f"each library and times {k} points of `ask(1)` + `tell` at each N; the libraries "
        f"alternate who goes first. Median of {repeats} repeats (min–max in brackets).\n"
    )
    out.append(c.table(["N", "adaptive_nb µs/pt", "adaptive µs/pt", "ratio adaptive/nb"], rows))
    at = 5000 if 5000 in marks else max(n for n in marks if n <= adaptive_max)
    speedup = c.ratio(med["adaptive"][at], med["adaptive_nb"][at])
    verdicts.append(
        (
            f"ask+tell at {at} points ≥ 10× faster than adaptive",
            f"{c.fmt(speedup)}×",
            c.pass_fail(speedup >= 10),
        )
    )
    lo, hi = min(marks, key=lambda n: abs(n - 1000)), max(marks)
    growth = c.ratio(med["adaptive_nb"][hi], med["adaptive_nb"][lo])
    verdicts.append(
        (
            f"cost per point at {hi} ≤ 2× the cost at {lo}",
            f"{c.fmt(growth)}×",
            c.pass_fail(growth <= 2),
        )
    )


def case_custom_loss(n, k, repeats, out):
    """A loss the learners do not recognise: both call it on the whole triangulation."""
    c.log("custom loss")
    learners = {
        lib: mod.Learner2D(ring, BOUNDS, lambda ip, m=mod: m.default_loss(ip))
        for lib, mod in LIBS.items()
    }
    for learner in learners.values():
        grow(learner, n)
    times = c.interleaved(
        {lib: lambda lr=lr: window(lr, k) for lib, lr in learners.items()}, repeats
    )
    nb, ad = c.median(times["adaptive_nb"]), c.median(times["adaptive"])
    out.append(
        f"\nWith a custom loss (`lambda ip: default_loss(ip)`, which neither library "
        f"recognises), around N = {n}: adaptive_nb {c.fmt(nb)} µs/pt, adaptive "
        f"{c.fmt(ad)} µs/pt (ratio {c.fmt(c.ratio(ad, nb))}×; median of {repeats} "
        f"interleaved windows of {k} points). Both call the loss on the whole "
        "triangulation once every `stack_size` (10) points, so this is informational "
        "(no target).\n"
    )


def errors(learner, f, grid, truth):
    points = np.array(list(learner.data), dtype=float)
    values = np.array(list(learner.data.values()), dtype=float)
    diff = LinearNDInterpolator(points, values)(*grid) - truth
    return float(np.sqrt(np.mean(diff**2))), float(np.max(np.abs(diff)))


def case_quality(ns, out, verdicts):
    c.log("quality")
    g = np.linspace(-1, 1, 301)
    grid = np.meshgrid(g, g, indexing="ij")
    rows, worst = [], {}
    for f in (ring, bump, step):
        truth = np.vectorize(lambda x, y, f=f: f((x, y)))(*grid)
        for loss in ("default_loss", "uniform_loss"):
            learners = {
                lib: mod.Learner2D(f, BOUNDS, getattr(mod, loss)) for lib, mod in LIBS.items()
            }
            for n in ns:
                errs = {}
                for lib, learner in learners.items():
                    grow(learner, n, f)
                    errs[lib] = errors(learner, f, grid, truth)
                rms = c.ratio(errs["adaptive_nb"][0], errs["adaptive"][0])
                mx = c.ratio(errs["adaptive_nb"][1], errs["adaptive"][1])
                worst[loss] = max(worst.get(loss, 0), rms)
                rows.append(
                    [
                        f.__name__,
                        loss,
                        n,
                        c.fmt(errs["adaptive_nb"][0]),
                        c.fmt(errs["adaptive"][0]),
                        c.fmt(rms),
                        c.fmt(mx),
                    ]
                )
                c.log(f"{f.__name__} {loss} {n}")
    out.append("\n## 2. Interpolation error at equal N\n")
    out.append(
        "Error of the linear interpolant of each learner's data (scipy LinearNDInterpolator) "
        "against the true function on a 301 × 301 grid over [-1, 1]². ring: x + exp(-(x²+y²"
        "-0.75²)²/0.2⁴); bump: exp(-((x-0.2)²+(y+0.1)²)/0.4²); step: 1 above the line "
        "y = 0.4x + 0.1, else 0. Points by `ask(1)` + `tell`, deterministic.\n"
    )
    out.append(
        c.table(
            [
                "function",
                "loss",
                "N",
                "nb RMS",
                "adaptive RMS",
                "RMS ratio nb/adaptive",
                "max-error ratio",
            ],
            rows,
        )
    )
    for loss, value in worst.items():
        verdicts.append(
            (
                f"interpolation RMS error, {loss}: ratio nb/adaptive ≤ 1.05 everywhere",
                f"worst {c.fmt(value)}",
                c.pass_fail(value <= 1.05),
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (small N, 1 repeat)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.quick:
        marks, adaptive_max, k, repeats, ns = [500, 1000, 2000], 1000, 50, 1, [300]
    else:
        marks, adaptive_max, k, repeats, ns = (
            [500, 1000, 5000, 20000],
            5000,
            200,
            args.repeats,
            [500, 2000],
        )
    out = ["# Learner2D benchmark: adaptive_nb vs adaptive\n"]
    command = (
        "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
        + ".venv/bin/python benchmarks/bench_learner2d.py"
    )
    out.append(f"Command: `{command}{' --quick' if args.quick else ''}`\n")
    out += c.environment({"adaptive": adaptive.__version__, "adaptive_nb": adaptive_nb.__version__})
    out.append(
        "- CPU costs are process CPU time (`time.process_time`), both libraries in this one "
        "process, interleaved.\n"
    )
    verdicts: list[tuple[str, str, str]] = []
    body: list[str] = []
    case_speed(marks, adaptive_max, k, repeats, body, verdicts)
    case_custom_loss(marks[-2] if not args.quick else 500, k, repeats, body)
    case_quality(ns, body, verdicts)
    out.append("## Targets\n")
    out.append(c.table(["target", "measured", "verdict"], verdicts))
    out.append("")
    out += body
    text = "\n".join(out) + "\n"
    if not args.quick:
        (c.REPO / "benchmarks" / "results_learner2d.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
