#!/usr/bin/env bash
# The tutorial notebooks (notebooks/) in JupyterLab, with everything they use installed:
# live widgets and plots, dask and ipyparallel for the executor picker. Serves on
# 127.0.0.1 only; extra arguments go to `jupyter lab` (for example --port=8899).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup-env.sh" "notebook,pandas,progress,dask,ipyparallel"
cd "$ROOT"
ROOT_FLAG=()
if [ "$(id -u)" = 0 ]; then
    ROOT_FLAG=(--allow-root)  # jupyter refuses to run as root without it
fi
exec "$ROOT/.venv/bin/jupyter" lab --ip=127.0.0.1 "${ROOT_FLAG[@]}" "$@" notebooks/
