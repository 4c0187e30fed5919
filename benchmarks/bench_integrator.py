"""IntegratorLearner: adaptive_nb vs adaptive 1.5.2, side by side in one process.

Run from the repository root (see benchmarks/README.md)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_integrator.py \
        > benchmarks/results_integrator.md
    .venv/bin/python benchmarks/bench_integrator.py --quick     # smoke test

The report (markdown) goes to stdout, progress to stderr. Both libraries run the same driver
(``ask(1)``, evaluate, ``tell``, until ``done()``) on each integrand and tolerance. The truth
is ``scipy.integrate.quad`` at ``epsrel=1e-13`` (split at the known singular points).

Cases
-----
1. Evaluations to reach ``done()`` and the true relative error, at tol 1e-4, 1e-6, 1e-8, 1e-10,
   on a smooth, a sqrt endpoint singularity, a step, two oscillatory, a sharp peak, a
   near-divergent ``1/|x|^0.9`` and an interior ``|x - 0.3|^-0.5`` integrand. Targets: the
   true error within ``tol * |truth|`` for every convergent case (adaptive_nb), or, where
   double precision cannot reach tol (a singularity at no float), ``done()`` with an ``err``
   that is above tol and above the true error; and no more evaluations than adaptive in any
   case. Runs stop at 30 000 points.
2. ``1/x`` on [0, 1] (divergent): adaptive_nb must raise ``DivergentIntegralError``.
3. CPU time of the ask/tell loop per point (median of interleaved repeats; the function
   evaluation is excluded).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.integrate import quad

sys.path.insert(0, str(Path(__file__).resolve().parent))

import adaptive

from _common import environment, fmt, interleaved, log, median, pass_fail, ratio, table
from adaptive_nb.learner.integrator_learner import DivergentIntegralError
from adaptive_nb.learner.integrator_learner import IntegratorLearner as NbIntegrator

NB, AD = "adaptive_nb", "adaptive"
CLASSES = {NB: NbIntegrator, AD: adaptive.IntegratorLearner}


def _inv_pow(s: float, at: float):
    def f(x: float) -> float:
        return abs(x - at) ** -s if x != at else math.inf

    return f


# name -> (function, bounds, singular points for quad)
INTEGRANDS = {
    "exp(x) on [0, 1]": (math.exp, (0.0, 1.0), []),
    "sqrt(x) on [0, 1]": (math.sqrt, (0.0, 1.0), []),
    "step x > 0.3 on [0, 1]": (lambda x: float(x > 0.3), (0.0, 1.0), [0.3]),
    "sin(30x) on [0, 3]": (lambda x: math.sin(30 * x), (0.0, 3.0), []),
    "cos(100x) exp(-x) on [0, 2]": (lambda x: math.cos(100 * x) * math.exp(-x), (0.0, 2.0), []),
    "peak 1e-4/((x-0.3)^2+1e-4) on [0, 1]": (
        lambda x: 1e-4 / ((x - 0.3) ** 2 + 1e-4),
        (0.0, 1.0),
        [0.3],
    ),
    "1/|x|^0.9 on [-1, 1]": (_inv_pow(0.9, 0.0), (-1.0, 1.0), [0.0]),
    "|x - 0.3|^-0.5 on [0, 1]": (_inv_pow(0.5, 0.3), (0.0, 1.0), [0.3]),
}


def truth(f, bounds, points) -> float:
    edges = [bounds[0], *points, bounds[1]]
    total = 0.0
    for a, b in zip(edges, edges[1:]):
        value, _ = quad(f, a, b, epsabs=0, epsrel=1e-13, limit=2000)
        total += value
    return total


def drive(learner, f, max_points: int = 30_000) -> tuple[str, float]:
    """ask(1)/evaluate/tell until done(); return (outcome, CPU seconds excluding f)."""
    spent = 0.0
    outcome = "done"
    while True:
        t0 = time.process_time()
        try:
            if learner.done():
                break
            points, _ = learner.ask(1)
        except Exception as exc:  # stuck or divergent: report it
            outcome = type(exc).__name__
            break
        spent += time.process_time() - t0
        for x in points:
            y = f(x)
            t0 = time.process_time()
            try:
                learner.tell(x, y)
            except Exception as exc:
                spent += time.process_time() - t0
                return type(exc).__name__, spent
            spent += time.process_time() - t0
        if learner.npoints >= max_points:
            return "max points", spent
    return outcome, spent


def case_accuracy(tols: list[float]) -> tuple[str, bool, int, int]:
    rows = []
    notes: list[str] = []
    all_ok = True
    totals = {NB: 0, AD: 0}
    worse = 0
    for name, (f, bounds, points) in INTEGRANDS.items():
        exact = truth(f, bounds, points)
        for tol in tols:
            log(f"accuracy: {name}, tol {tol:g}")
            cells = {}
            for lib, cls in CLASSES.items():
                learner = cls(f, bounds, tol)
                outcome, _ = drive(learner, f)
                rel = abs(learner.igral - exact) / abs(exact)
                cells[lib] = (learner.npoints, rel, outcome, learner.err)
                totals[lib] += learner.npoints
            # within tol; or done without reaching it, saying so (err above tol) truthfully
            honest = cells[NB][3] >= tol * abs(exact) and cells[NB][1] * abs(exact) <= cells[NB][3]
            ok = cells[NB][2] == "done" and (cells[NB][1] <= tol or honest)
            if cells[AD][2] != "done":
                notes.append(f"adaptive on {name} at tol {tol:g}: {cells[AD][2]}")
            all_ok &= ok
            worse += cells[NB][0] > cells[AD][0]
            rows.append(
                [
                    name,
                    f"{tol:g}",
                    cells[NB][0],
                    cells[AD][0],
                    fmt(ratio(cells[NB][0], cells[AD][0])),
                    fmt(cells[NB][1]),
                    fmt(cells[AD][1]),
                    pass_fail(ok),
                ]
            )
    header = [
        "integrand",
        "tol",
        "evaluations nb",
        "evaluations adaptive",
        "ratio",
        "true rel. error nb",
        "true rel. error adaptive",
        "nb within tol (or says it is not)",
    ]
    text = table(header, rows)
    if notes:
        text += "\n\n" + "\n".join(f"- {note} (stopped at 30 000 points)" for note in notes)
    return text, all_ok, worse, len(rows)


def case_divergent() -> tuple[str, bool]:
    rows = []
    ok = True
    for label, f in [
        ("1/x, f(0) = inf", lambda x: 1 / x if x else math.inf),
        ("1/x, f(0) = 0", lambda x: 1 / x if x else 0.0),
        ("1/x^2, f(0) = inf", lambda x: x**-2 if x else math.inf),
    ]:
        cells = {}
        for lib, cls in CLASSES.items():
            learner = cls(f, (0.0, 1.0), 1e-6)
            outcome, _ = drive(learner, f)
            cells[lib] = (outcome, learner.npoints)
        ok &= cells[NB][0] == DivergentIntegralError.__name__
        rows.append([label, *cells[NB], *cells[AD]])
    header = [
        "integrand on [0, 1]",
        "nb outcome",
        "nb points",
        "adaptive outcome",
        "adaptive points",
    ]
    return table(header, rows), ok


def case_cpu(repeats: int) -> str:
    rows = []
    for name in ["sin(30x) on [0, 3]", "1/|x|^0.9 on [-1, 1]"]:
        f, bounds, _ = INTEGRANDS[name]
        tol = 1e-8
        per_point = {}

        def run(lib: str, f=f, bounds=bounds, tol=tol):
            learner = CLASSES[lib](f, bounds, tol)
            _, spent = drive(learner, f)
            return spent / max(learner.npoints, 1)

        results = interleaved({lib: (lambda lib=lib: run(lib)) for lib in CLASSES}, repeats)
        for lib in CLASSES:
            per_point[lib] = median(results[lib])
        rows.append(
            [
                f"{name}, tol 1e-8",
                fmt(per_point[NB] * 1e6),
                fmt(per_point[AD] * 1e6),
                fmt(ratio(per_point[AD], per_point[NB])) + "x",
            ]
        )
    header = ["case", "nb µs/point", "adaptive µs/point", "speed-up"]
    return table(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer tolerances and repeats")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    tols = [1e-4, 1e-8] if args.quick else [1e-4, 1e-6, 1e-8, 1e-10]
    repeats = args.repeats or (1 if args.quick else 5)

    out = ["# IntegratorLearner: adaptive_nb vs adaptive 1.5.2", ""]
    out += environment({"adaptive": adaptive.__version__, "numpy": np.__version__})
    out.append(
        "- command: `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python "
        "benchmarks/bench_integrator.py" + (" --quick" if args.quick else "") + "`"
    )
    out.append("")

    text, acc_ok, worse, ncases = case_accuracy(tols)
    out += ["## 1. Evaluations until done() and true error", "", text, ""]
    out.append(f"adaptive_nb needs more evaluations than adaptive in {worse} of {ncases} cases.")
    out.append("")
    text, div_ok = case_divergent()
    out += ["## 2. Divergent integrals (tol 1e-6)", "", text, ""]
    log("cpu")
    out += [f"## 3. CPU of the ask/tell loop (median of {repeats} interleaved repeats)", ""]
    out += [case_cpu(repeats), ""]
    out += [
        "## Targets",
        "",
        "- every convergent case within tol of the truth, or done with `err` above tol and "
        f"above the true error (adaptive_nb): {pass_fail(acc_ok)}",
        f"- no more evaluations than adaptive in any case: {pass_fail(worse == 0)}",
        f"- divergent integrals raise DivergentIntegralError: {pass_fail(div_ok)}",
    ]
    print("\n".join(out))


if __name__ == "__main__":
    main()
