"""The README's main job (examples/sharp_peak_demo.py), run as a user would."""

import subprocess
import sys
from pathlib import Path

import adaptive_nb
from examples_path import EXAMPLES


def test_demo_writes_a_loadable_learner_and_an_offline_plot(tmp_path):
    out = tmp_path / "result"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "sharp_peak_demo.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "pts" in result.stderr and "loss=" in result.stderr  # the progress line
    learner = adaptive_nb.Learner1D(abs, (-1, 1))
    learner.load(out / "learner.npz")
    assert learner.npoints > 100
    assert learner.loss() <= 0.005
    near_peak = sum(1 for x in learner.data if abs(x - 0.3) < 0.02)
    assert near_peak > 5 * 0.02 * learner.npoints  # densest at the peak
    html = (out / "plot.html").read_text()
    assert "cdn.bokeh.org" not in html and "Bokeh" in html  # BokehJS inline: works offline
    assert Path(out / "plot.html").stat().st_size > 100_000
