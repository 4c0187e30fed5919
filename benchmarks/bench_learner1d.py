"""Learner1D: adaptive_nb vs adaptive 1.5.2, side by side in one process.

Run from the repository root (see benchmarks/README.md)::

    .venv/bin/python benchmarks/bench_learner1d.py            # default run, ~6-10 min
    .venv/bin/python benchmarks/bench_learner1d.py --quick    # smoke test, ~20 s
    .venv/bin/python benchmarks/bench_learner1d.py --full     # adaptive also at 1e5/1e6 (slow)

The report (markdown) goes to stdout, progress to stderr. Timings are process CPU time
(``time.process_time``), medians over repeats; within each repeat the two libraries are
run one after the other, alternating which goes first.

Cases
-----
1. CPU per point of an ``ask(1)``+``tell`` loop and an ``ask(10)``+``tell`` loop, per decade
   of N, and whether adaptive_nb's cost grows no faster than log N.
2. ``load()`` of a file written by the library's own ``save()``.
3. Memory per stored point (tracemalloc), after an ask/tell loop and after ``tell_many``.
4. Interpolation error at equal N, default loss and ``curvature_loss_function()``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import math
import os
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import adaptive
import adaptive.learner.learner1D as ad_l1d

import adaptive_nb
import adaptive_nb.learner.learner1D as nb_l1d
from _common import (
    environment,
    fmt,
    interleaved,
    loadavg,
    log,
    median,
    pass_fail,
    ratio,
    spread,
    table,
)

NB, AD = "adaptive_nb", "adaptive"
MODULES = {NB: adaptive_nb, AD: adaptive}
LOSS_MODULES = {NB: nb_l1d, AD: ad_l1d}

BOUNDS = (-1.0, 1.0)


def peak_f(x: float) -> float:
    """The cheap test function of cases 1-3: a line plus a sharp gaussian at x = 0.3."""
    return x + math.exp(-((x - 0.3) ** 2) / 1e-4)


# -- configuration ---------------------------------------------------------------------------


@dataclass
class Config:
    name: str
    repeats: int
    # case 1
    nb_nmax: int
    ad_nmax: int
    # case 2: adaptive_nb is timed at every size; adaptive at ``ad_load_sizes`` and, if
    # ``ad_load_target``, at ``load_target`` too; otherwise extrapolated to it.
    load_target: int
    ad_load_sizes: tuple[int, ...]
    ad_load_target: bool
    # case 3
    mem_target: int
    ad_mem_tellmany: int  # size at which adaptive's (quadratic) tell_many is measured
    # case 4
    interp_ns: tuple[int, ...]


def make_config(args: argparse.Namespace) -> Config:
    if args.quick:
        cfg = Config(
            name="quick (smoke test: reduced sizes, NOT the issue's targets)",
            repeats=2,
            nb_nmax=10**5,
            ad_nmax=10**4,
            load_target=10**4,
            ad_load_sizes=(2000, 4000),
            ad_load_target=False,
            mem_target=10**4,
            ad_mem_tellmany=2000,
            interp_ns=(100, 200),
        )
    else:
        cfg = Config(
            name="full (--full)" if args.full else "default",
            repeats=3,
            nb_nmax=10**6,
            ad_nmax=10**6 if args.full else 10**5,
            load_target=10**5,
            ad_load_sizes=(20000, 40000),
            ad_load_target=args.full,
            mem_target=10**5,
            ad_mem_tellmany=10**5 if args.full else 20000,
            interp_ns=(200, 500, 1000),
        )
    if args.repeats:
        cfg.repeats = args.repeats
    return cfg


def out(text: str = "") -> None:
    print(text, flush=True)


# -- case 1: CPU per point of ask/tell loops ------------------------------------------------


def ask_tell_timed(lib: str, nmax: int, k: int) -> dict[int, tuple[int, float]]:
    """Run ``ask(k)`` + ``tell`` up to ``nmax`` points.

    Returns {checkpoint: (npoints reached, CPU seconds since the start)} for the
    checkpoints 1e2, 1e3, ..., nmax. The driver code is the same for both libraries.
    """
    checkpoints = [10**e for e in range(2, round(math.log10(nmax)) + 1)]
    learner = MODULES[lib].Learner1D(peak_f, BOUNDS)
    ask, tell, f = learner.ask, learner.tell, peak_f
    clock = time.process_time
    marks: dict[int, tuple[int, float]] = {}
    it = iter(checkpoints)
    nxt = next(it)
    n = 0
    gc.collect()
    t0 = clock()
    while True:
        xs, _ = ask(k)
        if not xs:
            raise RuntimeError(f"{lib}: ask({k}) returned no points at n={n}")
        for x in xs:
            tell(x, f(x))
        n += len(xs)
        if n >= nxt:
            marks[nxt] = (n, clock() - t0)
            nxt = next(it, None)
            if nxt is None:
                break
    if learner.npoints != n:
        raise RuntimeError(f"{lib}: npoints {learner.npoints} != {n} points told")
    return marks


def decade_costs(marks: dict[int, tuple[int, float]]) -> dict[tuple[int, int], float]:
    """CPU microseconds per point in each decade [N/10, N]."""
    cps = sorted(marks)
    costs = {}
    for lo, hi in itertools.pairwise(cps):
        (n_lo, t_lo), (n_hi, t_hi) = marks[lo], marks[hi]
        costs[(lo, hi)] = (t_hi - t_lo) / (n_hi - n_lo) * 1e6
    return costs


def function_cost_us() -> float:
    xs = np.random.default_rng(0).uniform(-1, 1, 200_000).tolist()
    t0 = time.process_time()
    for x in xs:
        peak_f(x)
    return (time.process_time() - t0) / len(xs) * 1e6


def case_ask_tell(cfg: Config, verdicts: list[tuple[str, str, str]]) -> None:
    out("## 1. Learner1D ask/tell loop: CPU µs per point, per decade of N")
    out()
    out(
        f"f(x) = x + exp(-(x-0.3)²/1e-4) on {list(BOUNDS)}; each loop starts from an empty "
        f"learner; `ask(k)` then `tell(x, f(x))` for each point. adaptive_nb up to "
        f"N = {cfg.nb_nmax:.0e}, adaptive up to N = {cfg.ad_nmax:.0e}"
        + ("" if cfg.ad_nmax >= cfg.nb_nmax else " (pass --full to take adaptive further)")
        + f". Median of {cfg.repeats} interleaved repeats (min–max in brackets). The cost "
        f"includes evaluating f: {fmt(function_cost_us())} µs per call."
    )
    out()
    worst_speedup = math.inf
    log_rows = []
    rows = []
    for k in (1, 10):
        log(f"case 1: ask({k}) loops, {cfg.repeats} repeats")
        runs = {
            NB: lambda k=k: decade_costs(ask_tell_timed(NB, cfg.nb_nmax, k)),
            AD: lambda k=k: decade_costs(ask_tell_timed(AD, cfg.ad_nmax, k)),
        }
        res = interleaved(runs, cfg.repeats)
        decades = sorted(res[NB][0])
        nb_med = {}
        for dec in decades:
            nb_vals = [r[dec] for r in res[NB]]
            ad_vals = [r[dec] for r in res[AD] if dec in r]
            nb_c = median(nb_vals)
            nb_med[dec] = nb_c
            ad_c = median(ad_vals) if ad_vals else math.nan
            speedup = ratio(ad_c, nb_c)
            if not math.isnan(speedup):
                worst_speedup = min(worst_speedup, speedup)
            rows.append(
                [
                    f"ask({k})",
                    f"{dec[0]:.0e} – {dec[1]:.0e}",
                    f"{fmt(nb_c)} ({spread(nb_vals)})",
                    f"{fmt(ad_c)} ({spread(ad_vals)})" if ad_vals else "not measured",
                    fmt(speedup) + "×" if ad_vals else "n/a",
                    fmt(nb_c / math.log10(dec[1])),
                ]
            )
        first, last = decades[0], decades[-1]
        growth = nb_med[last] / nb_med[first]
        log_growth = math.log10(last[1]) / math.log10(first[1])
        log_rows.append((k, first, last, nb_med[first], nb_med[last], growth, log_growth))
    out(
        table(
            [
                "loop",
                "N",
                "adaptive_nb µs/pt",
                "adaptive µs/pt",
                "ratio adaptive/nb",
                "nb µs/pt ÷ log10(N_hi)",
            ],
            rows,
        )
    )
    out()
    out("Growth of adaptive_nb's cost (should be at most the growth of log N):")
    out()
    grow_rows = []
    log_ok = True
    for k, first, last, c_first, c_last, growth, log_growth in log_rows:
        ok = growth <= log_growth * 1.10
        log_ok &= ok
        grow_rows.append(
            [
                f"ask({k})",
                f"{first[0]:.0e}–{first[1]:.0e}: {fmt(c_first)} µs",
                f"{last[0]:.0e}–{last[1]:.0e}: {fmt(c_last)} µs",
                fmt(growth),
                fmt(log_growth),
                pass_fail(ok),
            ]
        )
    out(
        table(
            [
                "loop",
                "first decade",
                "last decade",
                "cost last/first",
                "log N_hi last/first",
                "within log N (10% noise allowance)",
            ],
            grow_rows,
        )
    )
    out()
    verdicts.append(
        (
            "Learner1D CPU per point ≥ 10× lower than adaptive at every measured decade",
            pass_fail(worst_speedup >= 10),
            f"smallest ratio {fmt(worst_speedup)}× (adaptive measured up to {cfg.ad_nmax:.0e})",
        )
    )
    verdicts.append(
        (
            f"adaptive_nb cost grows no faster than log N up to {cfg.nb_nmax:.0e}",
            pass_fail(log_ok),
            "; ".join(f"ask({r[0]}): cost ×{fmt(r[5])} vs log N ×{fmt(r[6])}" for r in log_rows),
        )
    )


# -- shared data for cases 2 and 3 ----------------------------------------------------------

_POINTS: dict[int, dict[float, float]] = {}


def learned_points(n: int) -> dict[float, float]:
    """The points an adaptive_nb ask(1)/tell loop on peak_f picks, in insertion order."""
    if n not in _POINTS:
        learner = adaptive_nb.Learner1D(peak_f, BOUNDS)
        while learner.npoints < n:
            xs, _ = learner.ask(1)
            for x in xs:
                learner.tell(x, peak_f(x))
        _POINTS[n] = dict(learner.data)
    return _POINTS[n]


# -- case 2: load ---------------------------------------------------------------------------


def save_file(lib: str, n: int, folder: str) -> str:
    data = learned_points(n)
    path = os.path.join(folder, f"{lib}_{n}.pickle")
    learner = MODULES[lib].Learner1D(peak_f, BOUNDS)
    if lib == NB:
        learner.tell_many(list(data), list(data.values()))
    else:
        # adaptive's Learner1D.save() writes exactly ``self._get_data()``, which is
        # ``self.data``; filling ``data`` directly gives the same file without spending
        # minutes in adaptive's quadratic tell_many.
        learner.data = dict(data)
    learner.save(path)
    return path


def timed_load(lib: str, path: str, n: int) -> float:
    learner = MODULES[lib].Learner1D(peak_f, BOUNDS)
    gc.collect()
    t0 = time.process_time()
    learner.load(path)
    t = time.process_time() - t0
    if learner.npoints != n:
        raise RuntimeError(f"{lib}: loaded {learner.npoints} points, expected {n}")
    if n <= 4000:  # a cheap consistency check of the loaded data
        assert dict(sorted(learner.data.items())) == dict(sorted(learned_points(n).items()))
    return t


def case_load(cfg: Config, verdicts: list[tuple[str, str, str]]) -> None:
    target = cfg.load_target
    out(f"## 2. Loading {target:.0e} points (`save()` then `load()` into a new learner)")
    out()
    nb_sizes = sorted({*cfg.ad_load_sizes, target})
    ad_sizes = sorted({*cfg.ad_load_sizes, *([target] if cfg.ad_load_target else [])})
    with tempfile.TemporaryDirectory() as folder:
        log("case 2: building and saving the data sets")
        files = {
            (lib, n): save_file(lib, n, folder)
            for lib, sizes in ((NB, nb_sizes), (AD, ad_sizes))
            for n in sizes
        }
        sizes_txt = ", ".join(
            f"{os.path.getsize(p) / 1e6:.2f} MB ({lib}, {n:.0e})"
            for (lib, n), p in files.items()
            if n == max(nb_sizes)
        )
        runs = {}
        for n in nb_sizes:
            for lib in (NB, AD):
                if (lib, n) in files:
                    runs[f"{lib}@{n}"] = lambda lib=lib, n=n: timed_load(lib, files[(lib, n)], n)
        log(f"case 2: timing load, {cfg.repeats} repeats")
        res = interleaved(runs, cfg.repeats)
    med = {key: median(vals) for key, vals in res.items()}

    # Extrapolation of adaptive to the target size when it was not measured there.
    n1, n2 = cfg.ad_load_sizes[-2:]
    t1, t2 = med[f"{AD}@{n1}"], med[f"{AD}@{n2}"]
    exponent = math.log(t2 / t1) / math.log(n2 / n1)
    pure_quadratic = t2 * (target / n2) ** 2
    # t = a N^2 + b N through both points
    a = (t2 / n2 - t1 / n1) / (n2 - n1)
    b = t1 / n1 - a * n1
    fitted = a * target**2 + b * target
    extrapolated = min(pure_quadratic, fitted) if a > 0 else pure_quadratic

    rows = []
    for n in nb_sizes:
        key_nb, key_ad = f"{NB}@{n}", f"{AD}@{n}"
        if key_ad in med:
            t_ad, how = med[key_ad], "measured"
        else:
            t_ad, how = extrapolated, f"**extrapolated** (quadratic, from {n1:.0e} and {n2:.0e})"
        rows.append(
            [
                f"{n:.0e}",
                f"{fmt(med[key_nb] * 1e3)} ({spread([v * 1e3 for v in res[key_nb]])})",
                f"{fmt(t_ad * 1e3)}"
                + (f" ({spread([v * 1e3 for v in res[key_ad]])})" if key_ad in res else ""),
                fmt(ratio(t_ad, med[key_nb])) + "×",
                how,
            ]
        )
    out(
        f"Points: those an adaptive_nb ask(1)/tell loop on f picks (same set for both "
        f"libraries), each library's default `save()` (gzip); file sizes {sizes_txt}. "
        f"CPU ms, median of {cfg.repeats} interleaved repeats (min–max)."
    )
    out()
    out(
        table(
            ["N", "adaptive_nb load ms", "adaptive load ms", "ratio adaptive/nb", "adaptive value"],
            rows,
        )
    )
    out()
    if not cfg.ad_load_target:
        out(
            f"adaptive at {target:.0e} is NOT measured (pass --full): it is extrapolated "
            f"from the medians at {n1:.0e} ({fmt(t1)} s) and {n2:.0e} ({fmt(t2)} s); the "
            f"measured growth exponent between them is {fmt(exponent)}. Pure N² scaling "
            f"from {n2:.0e} gives {fmt(pure_quadratic)} s, the fit a·N²+b·N through both "
            f"gives {fmt(fitted)} s; the table uses the smaller, {fmt(extrapolated)} s."
        )
        out()
    key_ad = f"{AD}@{target}"
    t_ad = med.get(key_ad, extrapolated)
    speedup = ratio(t_ad, med[f"{NB}@{target}"])
    verdicts.append(
        (
            f"loading {target:.0e} points ≥ 100× faster than adaptive",
            pass_fail(speedup >= 100),
            f"{fmt(speedup)}× (adaptive {'measured' if key_ad in med else 'extrapolated'}: "
            f"{fmt(t_ad)} s vs adaptive_nb {fmt(med[f'{NB}@{target}'] * 1e3)} ms)",
        )
    )


# -- case 3: memory -------------------------------------------------------------------------


def _fill_ask_tell(lib: str, n: int):
    learner = MODULES[lib].Learner1D(peak_f, BOUNDS)
    while learner.npoints < n:
        xs, _ = learner.ask(1)
        for x in xs:
            learner.tell(x, peak_f(x))
    return learner


def _fill_tell_many(lib: str, xs_array: np.ndarray):
    xs = xs_array.tolist()  # fresh float objects, allocated while tracing
    ys = [peak_f(x) for x in xs]
    learner = MODULES[lib].Learner1D(peak_f, BOUNDS)
    learner.tell_many(xs, ys)
    return learner


def traced_bytes_per_point(build) -> tuple[float, float, int]:
    """(bytes held by the learner, peak traced bytes during the build) per point, npoints.

    The function and the input arrays exist before tracing starts, so they are not counted.
    The learner's memory is the traced memory that is released when the learner is deleted.
    """
    gc.collect()
    tracemalloc.start()
    learner = build()
    gc.collect()
    with_learner, peak = tracemalloc.get_traced_memory()
    n = learner.npoints
    del learner
    gc.collect()
    without = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (with_learner - without) / n, peak / n, n


def case_memory(cfg: Config, verdicts: list[tuple[str, str, str]]) -> None:
    target = cfg.mem_target
    out("## 3. Memory per stored point (tracemalloc)")
    out()
    # warm up: lazy imports and caches of both libraries are filled before tracing
    for lib in (NB, AD):
        _fill_ask_tell(lib, 2000)
        _fill_tell_many(lib, np.array(list(learned_points(2000))))
    results = []
    for lib in (NB, AD):
        log(f"case 3: {lib} ask/tell loop to {target:.0e} under tracemalloc")
        results.append(
            (
                "ask(1)/tell loop",
                target,
                lib,
                traced_bytes_per_point(lambda lib=lib: _fill_ask_tell(lib, target)),
            )
        )
    tm_sizes = sorted({target, cfg.ad_mem_tellmany})
    for n in tm_sizes:
        xs_array = np.array(list(learned_points(n)))
        for lib in (NB, AD):
            if lib == AD and n > cfg.ad_mem_tellmany:
                continue
            log(f"case 3: {lib} tell_many of {n:.0e} under tracemalloc")
            results.append(
                (
                    "tell_many",
                    n,
                    lib,
                    traced_bytes_per_point(
                        lambda lib=lib, xs_array=xs_array: _fill_tell_many(lib, xs_array)
                    ),
                )
            )
    by_key = {(build, n, lib): r for build, n, lib, r in results}
    rows = []
    for build, n in dict.fromkeys((b, n) for b, n, _, _ in results):
        nb = by_key.get((build, n, NB))
        ad = by_key.get((build, n, AD))
        rows.append(
            [
                build,
                f"{n:.0e}",
                fmt(nb[0]) if nb else "n/a",
                fmt(ad[0]) if ad else "not measured",
                fmt(ratio(ad[0], nb[0])) + "×" if ad and nb else "n/a",
                fmt(nb[1]) if nb else "n/a",
                fmt(ad[1]) if ad else "n/a",
            ]
        )
    out(
        "Bytes held by the learner = traced memory released when the learner is deleted "
        "(x and y floats, dicts, sorted containers, losses, heap...). The function and the "
        "input arrays are created before tracing starts. Peak = highest traced memory "
        "during the build. Deterministic, so measured once."
        + (
            ""
            if cfg.ad_mem_tellmany >= target
            else f" adaptive's tell_many is quadratic, so it is measured at "
            f"{cfg.ad_mem_tellmany:.0e} only (pass --full for {target:.0e})."
        )
    )
    out()
    out(
        table(
            [
                "built by",
                "N",
                "adaptive_nb B/pt",
                "adaptive B/pt",
                "ratio adaptive/nb",
                "nb peak B/pt",
                "adaptive peak B/pt",
            ],
            rows,
        )
    )
    out()
    nb_at = {build: by_key[(build, target, NB)][0] for build in ("ask(1)/tell loop", "tell_many")}
    verdicts.append(
        (
            f"≤ 250 bytes per stored point at {target:.0e} points",
            pass_fail(all(v <= 250 for v in nb_at.values())),
            "; ".join(f"{b}: {fmt(v)} B/pt" for b, v in nb_at.items())
            + f" (adaptive ask/tell: {fmt(by_key[('ask(1)/tell loop', target, AD)][0])} B/pt)",
        )
    )


# -- case 4: interpolation error ------------------------------------------------------------


def _lorentz(x, a=1e-3, x0=0.3):
    return a * a / (a * a + (x - x0) ** 2)


TEST_FUNCTIONS = [
    # name, scalar function (given to the learners), vectorised twin, bounds
    ("smooth: sin(5x)", lambda x: math.sin(5 * x), lambda x: np.sin(5 * x), (-1.0, 1.0)),
    ("peak: lorentzian a=1e-3 at 0.3", _lorentz, _lorentz, (-1.0, 1.0)),
    (
        "step: tanh(1000(x-0.1234))",
        lambda x: math.tanh(1000 * (x - 0.1234)),
        lambda x: np.tanh(1000 * (x - 0.1234)),
        (-1.0, 1.0),
    ),
    ("endpoint: sqrt(x)", math.sqrt, np.sqrt, (0.0, 1.0)),
    ("oscillatory: sin(50x)", lambda x: math.sin(50 * x), lambda x: np.sin(50 * x), (-1.0, 1.0)),
    ("chirp: sin(1/x)", lambda x: math.sin(1 / x), lambda x: np.sin(1 / x), (0.05, 1.0)),
]

LOSSES = {
    "default_loss": lambda lib: LOSS_MODULES[lib].default_loss,
    "curvature_loss_function()": lambda lib: LOSS_MODULES[lib].curvature_loss_function(),
}


def learn_snapshots(lib, f, bounds, loss, ns):
    """ask(1)/tell loop; the sorted (xs, ys) when the learner holds exactly n points."""
    learner = MODULES[lib].Learner1D(f, bounds, loss_per_interval=loss)
    snaps = {}
    targets = sorted(ns)
    while targets:
        xs, _ = learner.ask(1)
        if not xs:
            raise RuntimeError(f"{lib}: ask(1) returned no points")
        for x in xs:
            learner.tell(x, f(x))
        if learner.npoints == targets[0]:
            items = sorted(learner.data.items())
            snaps[targets.pop(0)] = (
                np.array([p[0] for p in items]),
                np.array([p[1] for p in items], dtype=float),
            )
        elif learner.npoints > targets[0]:
            raise RuntimeError(f"{lib}: skipped past {targets[0]} points")
    return snaps


def interp_errors(xs, ys, vf, grid, truth):
    err = np.abs(np.interp(grid, xs, ys) - truth)
    length = grid[-1] - grid[0]
    return float(err.max()), float(np.sqrt(np.mean(err**2) * length))


def case_interpolation(cfg: Config, verdicts: list[tuple[str, str, str]]) -> None:
    out("## 4. Interpolation error at equal N")
    out()
    out(
        "Each learner runs an ask(1)/tell loop to exactly N points (the same loop is "
        "snapshotted at each N). Error of the piecewise-linear interpolant of the learned "
        "points against the true function on a uniform grid of 100 001 points: max |error| "
        "and L2 = sqrt(∫ error² dx). Ratio = adaptive_nb / adaptive (≤ 1 means adaptive_nb "
        "is at least as accurate)."
    )
    out()
    rows = []
    ratios = {name: [] for name in LOSSES}
    for fname, f, vf, bounds in TEST_FUNCTIONS:
        grid = np.linspace(bounds[0], bounds[1], 100_001)
        truth = vf(grid)
        for lname, make_loss in LOSSES.items():
            log(f"case 4: {fname}, {lname}")
            snaps = {
                lib: learn_snapshots(lib, f, bounds, make_loss(lib), cfg.interp_ns)
                for lib in (NB, AD)
            }
            for n in cfg.interp_ns:
                e_nb = interp_errors(*snaps[NB][n], vf, grid, truth)
                e_ad = interp_errors(*snaps[AD][n], vf, grid, truth)
                r_max, r_l2 = ratio(e_nb[0], e_ad[0]), ratio(e_nb[1], e_ad[1])
                ratios[lname] += [r_max, r_l2]
                flag = " ⚠" if max(r_max, r_l2) > 1.10 else ""
                rows.append(
                    [
                        fname,
                        lname,
                        n,
                        fmt(e_nb[0]),
                        fmt(e_ad[0]),
                        fmt(r_max),
                        fmt(e_nb[1]),
                        fmt(e_ad[1]),
                        fmt(r_l2) + flag,
                    ]
                )
    out(
        table(
            [
                "function",
                "loss",
                "N",
                "nb max err",
                "adaptive max err",
                "ratio max",
                "nb L2 err",
                "adaptive L2 err",
                "ratio L2",
            ],
            rows,
        )
    )
    out()
    out("⚠ marks a ratio above 1.10.")
    out()
    summary = []
    all_ok = True
    for lname, rs in ratios.items():
        finite = [r for r in rs if math.isfinite(r) and r > 0]
        geo = math.exp(sum(math.log(r) for r in finite) / len(finite)) if finite else math.nan
        worst = max(rs)
        ok = worst <= 1.10
        all_ok &= ok
        summary.append(
            f"{lname}: geometric mean ratio {fmt(geo)}, worst {fmt(worst)}, "
            f"{sum(r > 1.0 + 1e-9 for r in rs)}/{len(rs)} ratios above 1"
        )
    out("Summary: " + "; ".join(summary) + ".")
    out()
    verdicts.append(
        (
            "interpolation error at equal N no worse than adaptive with the same loss "
            "(every max/L2 ratio ≤ 1.10, i.e. 10% allowance for tie-breaking)",
            pass_fail(all_ok),
            "; ".join(summary),
        )
    )


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="smoke test, ~20 s")
    mode.add_argument(
        "--full",
        action="store_true",
        help="also run adaptive to 1e6 points (case 1) and at 1e5 points "
        "(cases 2 and 3); takes an hour or more",
    )
    parser.add_argument("--repeats", type=int, default=0, help="override the repeat count")
    parser.add_argument("--cases", default="1,2,3,4", help="comma-separated subset of 1,2,3,4")
    args = parser.parse_args()
    cfg = make_config(args)
    cases = {int(c) for c in args.cases.split(",")}

    t_start, w_start = time.process_time(), time.perf_counter()
    out("# Learner1D benchmark: adaptive_nb vs adaptive")
    out()
    out(
        f"Command: `{' '.join([os.path.basename(sys.executable), *sys.argv])}` "
        f"— mode: {cfg.name}, {cfg.repeats} repeats."
    )
    out()
    source = Path(nb_l1d.__file__)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    for line in environment(
        {
            "adaptive": adaptive.__version__,
            "adaptive_nb": f"{getattr(adaptive_nb, '__version__', '?')} "
            f"(learner1D.py sha256 {digest}, modified "
            f"{time.ctime(source.stat().st_mtime)})",
        }
    ):
        out(line)
    out(
        "- CPU costs are process CPU time (`time.process_time`); both libraries run in this "
        "one process, interleaved within each repeat (alternating which goes first)."
    )
    out()
    verdicts: list[tuple[str, str, str]] = []
    if 1 in cases:
        case_ask_tell(cfg, verdicts)
    if 2 in cases:
        case_load(cfg, verdicts)
    if 3 in cases:
        case_memory(cfg, verdicts)
    if 4 in cases:
        case_interpolation(cfg, verdicts)
    out("## Targets")
    out()
    if args.quick:
        out("(quick mode: sizes are reduced, so these lines are NOT the issue's targets)")
        out()
    for target, verdict, detail in verdicts:
        out(f"- **{verdict}** — {target}: {detail}")
    out()
    out(
        f"Total: {time.process_time() - t_start:.0f} s CPU, "
        f"{time.perf_counter() - w_start:.0f} s wall; load average at end: {loadavg()}."
    )


if __name__ == "__main__":
    main()
