#!/usr/bin/env bash
# Every test: sets up .venv with all test dependencies, then runs pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup-env.sh" "notebook,dask,ipyparallel,mpi,pandas,progress,test,bench,docs"
bash "$ROOT/scripts/setup-browser.sh"
cd "$ROOT"
exec "$ROOT/.venv/bin/python" -m pytest "$@"
