#!/usr/bin/env bash
# The main job: learn a 1-D function with a sharp feature, showing progress in the terminal,
# and write the saved learner and an HTML plot into a folder (default: demo-output/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup-env.sh" "notebook,progress"
exec "$ROOT/.venv/bin/python" "$ROOT/examples/sharp_peak_demo.py" "${1:-demo-output}"
