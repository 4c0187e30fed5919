"""The status of a run as an HTML table (live_info, the dashboard)."""

from __future__ import annotations

import html
from typing import Any

from ..runner.status import status_fields

STATUS_COLOURS = {
    "running": "#1f77b4",
    "finished": "#2ca02c",
    "cancelled": "#ff7f0e",
    "failed": "#d62728",
    "incomplete": "#d62728",
}


def info_html(runner: Any) -> str:
    rows = []
    for name, value in status_fields(runner).items():
        text = html.escape(str(value))
        if name == "status":
            colour = STATUS_COLOURS.get(str(value), "black")
            text = f'<span style="color: {colour}; font-weight: bold">{text}</span>'
        name = html.escape(name)
        rows.append(f"<tr><th style='text-align: right'>{name}</th><td>{text}</td></tr>")
    return f"<table class='adaptive-nb-status'>{''.join(rows)}</table>"
