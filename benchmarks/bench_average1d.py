"""AverageLearner1D: adaptive_nb vs adaptive 1.5.2, side by side in one process.

Run from the repository root::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_average1d.py
    .venv/bin/python benchmarks/bench_average1d.py --quick      # smoke test, ~30 s

The report (markdown) is written to ``benchmarks/results_average1d.md`` (``--out``) and to
stdout; progress goes to stderr. Within each repeat the two libraries run one after the
other, alternating which goes first; tables show medians over the repeats.

Cases
-----
1. Quality at equal total samples: ``f(x) = x + a**2 / (a**2 + x**2)`` plus Gaussian noise
   of standard deviation ``sigma``, both learners with default parameters driven by the same
   ``ask(1)`` / ``tell`` loop until they hold the same number of samples. The error is that
   of the mean curve (linear interpolation through ``(x, mean)``) against the true f, on
   4001 points: root mean square and maximum. Each repeat draws other noise.
2. CPU per sample of an ``ask(1)`` + ``tell`` loop and an ``ask(10)`` + ``tell`` loop (the
   function is a table lookup, so the learner's bookkeeping dominates).
3. ``save`` + ``load`` of a learner holding the samples of case 2.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import adaptive

import adaptive_nb
from _common import environment, fmt, interleaved, log, median, ratio, table

NB, AD = "adaptive_nb", "adaptive"
CLASSES = {NB: adaptive_nb.AverageLearner1D, AD: adaptive.AverageLearner1D}
GRID = np.linspace(-1, 1, 4001)


class Peak:
    """``x + a**2 / (a**2 + x**2)`` plus noise drawn from (seed, x, rep)."""

    def __init__(self, a: float, sigma: float, rep: int) -> None:
        self.a, self.sigma, self.rep = a, sigma, rep

    def true(self, x: np.ndarray) -> np.ndarray:
        return x + self.a**2 / (self.a**2 + x**2)

    def __call__(self, point: tuple[int, float]) -> float:
        seed, x = point
        noise = random.Random(hash((seed, x, self.rep))).gauss(0, self.sigma)
        return x + self.a**2 / (self.a**2 + x**2) + noise


class Table:
    """Cheap noisy function: a peak plus noise looked up in a table."""

    noise = np.random.default_rng(1).normal(0, 0.1, 2**16).tolist()

    def __call__(self, point: tuple[int, float]) -> float:
        seed, x = point
        return x + 0.01 / (0.01 + x * x) + self.noise[(seed * 7919 + hash(x)) & 0xFFFF]


def drive(learner: object, nsamples: int, batch: int) -> None:
    while learner.nsamples < nsamples:
        points, _ = learner.ask(batch)
        for point in points:
            learner.tell(point, learner.function(point))


def curve_error(learner: object, function: Peak) -> tuple[float, float]:
    xs = np.array(sorted(learner.data))
    ys = np.array([learner.data[x] for x in xs])
    diff = np.interp(GRID, xs, ys) - function.true(GRID)
    return math.sqrt(float(np.mean(diff**2))), float(np.max(np.abs(diff)))


def case_quality(configs: list, repeats: int) -> str:
    rows = []
    worst = 0.0
    for a, sigma, nsamples in configs:
        results: dict[str, list] = {NB: [], AD: []}
        for rep in range(repeats):

            def one(name: str, rep: int = rep) -> tuple[float, float, int]:
                function = Peak(a, sigma, rep)  # noqa: B023 (called at once)
                learner = CLASSES[name](function, (-1, 1))
                drive(learner, nsamples, 1)  # noqa: B023
                return (*curve_error(learner, function), learner.npoints)

            out = interleaved({NB: lambda: one(NB), AD: lambda: one(AD)}, 1)
            for name in (NB, AD):
                results[name].append(out[name][0])
        log(f"quality a={a} sigma={sigma} S={nsamples} done")
        med = {n: [median([r[i] for r in results[n]]) for i in range(3)] for n in (NB, AD)}
        rms_ratio, max_ratio = ratio(med[NB][0], med[AD][0]), ratio(med[NB][1], med[AD][1])
        worst = max(worst, rms_ratio, max_ratio)
        rows.append(
            [
                f"a={a}, σ={sigma}",
                nsamples,
                f"{fmt(med[NB][0])} / {fmt(med[AD][0])}",
                fmt(rms_ratio),
                f"{fmt(med[NB][1])} / {fmt(med[AD][1])}",
                fmt(max_ratio),
                f"{med[NB][2]:.0f} / {med[AD][2]:.0f}",
            ]
        )
    header = [
        "function",
        "samples",
        "RMS error nb / ad",
        "ratio",
        "max error nb / ad",
        "ratio",
        "points nb / ad",
    ]
    note = f"\nLargest ratio (adaptive_nb / adaptive, lower is better): {fmt(worst)}\n"
    return table(header, rows) + "\n" + note


def case_speed(sizes: list[int], repeats: int) -> tuple[str, dict]:
    rows = []
    learners: dict = {}
    for batch in (1, 10):
        for nsamples in sizes:
            runs = {}
            for name in (NB, AD):

                def one(name: str = name, nsamples: int = nsamples, batch: int = batch) -> float:
                    learner = CLASSES[name](Table(), (-1, 1))
                    start = time.process_time()
                    drive(learner, nsamples, batch)
                    learners[name] = learner
                    return (time.process_time() - start) / learner.nsamples * 1e6

                runs[name] = one
            out = interleaved(runs, repeats)
            nb, ad = median(out[NB]), median(out[AD])
            log(f"speed ask({batch}) S={nsamples}: {fmt(nb)} / {fmt(ad)} µs")
            rows.append([f"ask({batch})", nsamples, fmt(nb), fmt(ad), fmt(ratio(ad, nb))])
    header = ["loop", "samples", "adaptive_nb µs/sample", "adaptive µs/sample", "speed-up"]
    return table(header, rows), learners


def case_load(learners: dict, repeats: int) -> str:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        names = {NB: Path(folder) / "nb.npz", AD: Path(folder) / "ad.pickle"}
        for name, learner in learners.items():
            learner.save(names[name])

        def load(name: str) -> float:
            fresh = learners[name].new()
            start = time.process_time()
            fresh.load(names[name])
            assert fresh.nsamples == learners[name].nsamples
            return time.process_time() - start

        out = interleaved({NB: lambda: load(NB), AD: lambda: load(AD)}, repeats)
    nb, ad = median(out[NB]), median(out[AD])
    samples = learners[NB].nsamples
    rows.append([f"load {samples} samples", fmt(nb), fmt(ad), fmt(ratio(ad, nb))])
    return table(["", "adaptive_nb s", "adaptive s", "speed-up"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke test")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results_average1d.md"))
    args = parser.parse_args()
    if args.quick:
        configs = [(0.1, 0.1, 2000)]
        sizes, repeats = [2000], args.repeats or 2
    else:
        configs = [
            (0.1, 0.1, 5000),
            (0.1, 0.1, 20000),
            (0.01, 0.1, 20000),
            (0.1, 0.3, 20000),
            (0.3, 0.02, 5000),
        ]
        sizes, repeats = [2000, 20000], args.repeats or 10
    quality = case_quality(configs, repeats)
    speed, learners = case_speed(sizes, max(3, repeats // 2))
    load = case_load(learners, 3)
    command = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python "
    command += "benchmarks/bench_average1d.py" + (" --quick" if args.quick else "")
    lines = [
        "# AverageLearner1D: adaptive_nb vs adaptive 1.5.2\n",
        f"Command: `{command}`\n",
        *environment({"adaptive": adaptive.__version__}),
        f"- {repeats} repeats for quality (other noise each), interleaved; medians\n",
        "## 1. Mean-curve error at equal total samples (default parameters)\n",
        quality,
        "## 2. CPU per sample, ask + tell loop (process time, median)\n",
        speed,
        "\n## 3. Load of a saved learner (process time, median of 3)\n",
        load,
        "",
    ]
    report = "\n".join(lines)
    print(report)
    Path(args.out).write_text(report)


if __name__ == "__main__":
    main()
