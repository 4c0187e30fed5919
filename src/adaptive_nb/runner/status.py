"""The status of a run as fields and as text (shared by live_info_terminal and the widgets)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

__all__ = ["status_fields", "status_text"]


def status_fields(runner: Any) -> dict[str, Any]:
    """status, elapsed time, overhead, points, latest loss, failures and rate of a runner."""
    elapsed = runner.elapsed_time()
    learner = runner.learner
    npoints = learner.npoints
    fields: dict[str, Any] = {
        "status": runner.status(),
        "elapsed time": timedelta(seconds=round(elapsed)),
        "overhead": f"{runner.overhead():.1f}%",
        "# of points": npoints,
    }
    nsamples = getattr(learner, "nsamples", None)
    if nsamples is not None and nsamples != npoints:
        fields["# of samples"] = nsamples
    loss = getattr(learner, "_cache", {}).get("loss")
    fields["latest loss"] = f"{loss:.3g}" if isinstance(loss, float) else "-"
    fields["failed points"] = len(runner.failed)
    fields["rate"] = f"{npoints / elapsed:.1f} points/s" if elapsed > 0 else "-"
    return fields


def status_text(runner: Any) -> str:
    fields = status_fields(runner)
    width = max(len(name) for name in fields)
    return "\n".join(f"{name:>{width}}: {value}" for name, value in fields.items())
