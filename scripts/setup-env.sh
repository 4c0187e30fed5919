#!/usr/bin/env bash
# Create (or reuse) the project-local virtual environment .venv and install adaptive_nb
# into it with the extras given as arguments. Sourced by demo.sh and test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXTRAS="${1:-notebook,progress}"
PY="${PYTHON:-python3}"

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "adaptive_nb needs Python >= 3.11; '$PY' is $("$PY" --version 2>&1)" >&2
    exit 1
fi
if [ ! -x "$ROOT/.venv/bin/python" ]; then
    if ! "$PY" -m venv "$ROOT/.venv" 2>/dev/null; then
        # Debian ships venv separately
        rm -rf "$ROOT/.venv"
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        "$PY" -m venv "$ROOT/.venv"
    fi
    "$ROOT/.venv/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
fi
"$ROOT/.venv/bin/python" -m pip install -q -e "$ROOT[$EXTRAS]" 2>&1 \
    | grep -vE "is ignored|corresp\(|^\s*!!|^\s*\*+|^\s*$|By 2026|See https|Please consider|License classifiers|project.license" || true
"$ROOT/.venv/bin/python" -c "import adaptive_nb" || { echo "installing adaptive_nb failed" >&2; exit 1; }
