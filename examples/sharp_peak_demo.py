"""Learn a function with a sharp peak on all cores, then save the learner and an HTML plot.

Usage: python examples/sharp_peak_demo.py [OUTPUT_FOLDER]
"""

import math
import sys
import time
from pathlib import Path

import adaptive_nb as adaptive


def peak(x, width=0.002):
    """A smooth slope with a narrow Lorentzian peak at x = 0.3 (and 5 ms of "simulation")."""
    time.sleep(0.005)
    return x + width**2 / (width**2 + (x - 0.3) ** 2)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    learner = adaptive.Learner1D(peak, bounds=(-1, 1))
    print(f"Learning peak(x) on {learner.bounds} until the loss is below 0.005, on all cores ...")
    runner = adaptive.Runner(learner, loss_goal=0.005)  # loky's process pool by default
    runner.block_until_done(progress=True)
    print(f"{runner.elapsed_time():.1f} s, workers idle {runner.overhead():.0f}% of the time")
    near = sum(1 for x in learner.data if abs(x - 0.3) < 0.02)
    print(
        f"{learner.npoints} points, loss {learner.loss():.4f}; "
        f"{near} of them within 0.02 of the peak "
        f"(a uniform grid would put {0.02 * learner.npoints:.0f} there)"
    )
    learner.save(out / "learner.npz")
    check = adaptive.Learner1D(peak, bounds=(-1, 1))
    check.load(out / "learner.npz")
    assert check.npoints == learner.npoints and math.isclose(check.loss(), learner.loss())

    import holoviews as hv

    hv.extension("bokeh", logo=False)
    plot = learner.plot().opts(hv.opts.Scatter(width=800, height=400, size=3, tools=["hover"]))
    hv.save(plot.relabel("peak(x), sampled adaptively"), out / "plot.html", resources="inline")
    print(f"Wrote {out / 'learner.npz'} and {out / 'plot.html'}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "demo-output"))
