"""BalancingLearner ask cost: adaptive_nb vs adaptive 1.5.2, with 10, 100 and 1000 children.

Run from the repository root::

    .venv/bin/python benchmarks/bench_balancing.py            # default run, ~1-2 min
    .venv/bin/python benchmarks/bench_balancing.py --quick    # smoke test

Each BalancingLearner has N Learner1D children (``tanh(a*x)`` with a different ``a``) that
first receive 3 points each through the learner's own ask/tell loop (not timed). Then, per
repeat, the two libraries are timed one after the other (alternating which goes first):

* ``ask(1)+tell``: CPU per cycle of ``ask(1)`` and ``tell`` of its point, over K cycles;
* ``ask(1, tell_pending=False)``: CPU per call (adaptive snapshots and restores every child
  with cloudpickle for this; adaptive_nb only asks the children without changing them).

Timings are process CPU time, medians over repeats. The growth exponent is
``log(cost(N_max) / cost(N_min)) / log(N_max / N_min)``: 1 is linear in N, 0 is flat.
adaptive_nb's target: an exponent below 0.5 for ``ask(1)+tell`` (sub-linear growth).
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import adaptive

import adaptive_nb
from _common import environment, fmt, interleaved, log, median, pass_fail, ratio, spread, table

NB, AD = "adaptive_nb", "adaptive"
MODULES = {NB: adaptive_nb, AD: adaptive}


def f(x: float, a: float = 1.0) -> float:
    return math.tanh(a * x)


def build(lib: str, nchildren: int):
    mod = MODULES[lib]
    children = [
        mod.Learner1D(functools.partial(f, a=1.0 + 37.0 * i / nchildren), (-1, 1))
        for i in range(nchildren)
    ]
    learner = mod.BalancingLearner(children)
    while learner.npoints < 3 * nchildren:
        (point,), _ = learner.ask(1)
        learner.tell(point, learner.function(point))
    return learner


def ask_tell_cost(learner, cycles: int) -> float:
    t0 = time.process_time()
    for _ in range(cycles):
        (point,), _ = learner.ask(1)
        learner.tell(point, learner.function(point))
    return (time.process_time() - t0) / cycles


def dry_ask_cost(learner, calls: int) -> float:
    t0 = time.process_time()
    for _ in range(calls):
        learner.ask(1, tell_pending=False)
    return (time.process_time() - t0) / calls


def exponent(costs: dict[int, float]) -> float:
    sizes = sorted(costs)
    low, high = sizes[0], sizes[-1]
    return math.log(ratio(costs[high], costs[low])) / math.log(high / low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer cycles and repeats")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    sizes = [10, 100, 1000]
    repeats = args.repeats or (3 if args.quick else 7)
    cycles = 50 if args.quick else 200
    dry_calls = {10: 40, 100: 10, 1000: 3} if args.quick else {10: 100, 100: 30, 1000: 6}

    results: dict[str, dict[str, dict[int, list[float]]]] = {
        case: {lib: {} for lib in MODULES} for case in ("ask_tell", "dry")
    }
    for n in sizes:
        log(f"building learners with {n} children")
        learners = {lib: build(lib, n) for lib in MODULES}
        runs = {lib: functools.partial(ask_tell_cost, learners[lib], cycles) for lib in MODULES}
        for lib, values in interleaved(runs, repeats).items():
            results["ask_tell"][lib][n] = values
        runs = {
            lib: functools.partial(dry_ask_cost, learners[lib], dry_calls[n]) for lib in MODULES
        }
        for lib, values in interleaved(runs, repeats).items():
            results["dry"][lib][n] = values
        log(f"done with {n} children")

    print("# BalancingLearner ask cost: adaptive_nb vs adaptive 1.5.2\n")
    print("\n".join(environment({"adaptive": adaptive.__version__})))
    print(f"- {repeats} repeats, interleaved; CPU time per call, median (min–max)\n")
    titles = {"ask_tell": "ask(1) + tell", "dry": "ask(1, tell_pending=False)"}
    verdict = {}
    for case, title in titles.items():
        rows = []
        med = {lib: {n: median(results[case][lib][n]) for n in sizes} for lib in MODULES}
        for n in sizes:
            rows.append(
                [
                    n,
                    f"{fmt(med[NB][n] * 1e6)} ({spread([v * 1e6 for v in results[case][NB][n]])})",
                    f"{fmt(med[AD][n] * 1e6)} ({spread([v * 1e6 for v in results[case][AD][n]])})",
                    fmt(ratio(med[AD][n], med[NB][n])),
                ]
            )
        print(f"## {title}\n")
        print(table(["children", "adaptive_nb µs", "adaptive µs", "adaptive / adaptive_nb"], rows))
        exps = {lib: exponent(med[lib]) for lib in MODULES}
        print(
            f"\nGrowth exponent in N (10 → 1000): adaptive_nb {fmt(exps[NB])}, "
            f"adaptive {fmt(exps[AD])}\n"
        )
        verdict[case] = exps[NB]
    ok = verdict["ask_tell"] < 0.5
    print(
        f"- {pass_fail(ok)}: adaptive_nb's ask(1)+tell cost grows sub-linearly in the number "
        f"of children (exponent {fmt(verdict['ask_tell'])} < 0.5)"
    )
    print(
        f"- {pass_fail(verdict['dry'] < 0.5)}: the same for ask(1, tell_pending=False) "
        f"(exponent {fmt(verdict['dry'])} < 0.5)"
    )


if __name__ == "__main__":
    main()
