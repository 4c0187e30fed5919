"""The tutorial notebooks in notebooks/ run from top to bottom, each in under a minute, and
are stored without outputs.

Each notebook runs under nbval in its own pytest process, in a copy inside ``tmp_path``
(the notebooks write files) with its own ``IPYTHONDIR`` (ipyparallel keeps cluster files
there). nbval runs in ``--nbval-lax`` mode: the notebooks are stored without outputs, so
there is nothing to compare them with; the deterministic results are checked by ``assert``
statements in the notebooks themselves, which fail the cell, and so the test. The sanitize
file covers any cell marked ``# NBVAL_CHECK_OUTPUT``. After a notebook, no process it
started (clusters, MPI jobs) may be left running. live-dashboard.ipynb is tested by
tests/notebook/test_tutorial.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SANITIZE = HERE / "nbval_sanitize.cfg"
VENV_BIN = Path(sys.executable).parent
NOTEBOOKS = sorted(
    p for p in (ROOT / "notebooks").glob("*.ipynb") if p.name != "live-dashboard.ipynb"
)
TIME_LIMIT = 60.0  # seconds per notebook, kernel start included


def test_every_tutorial_is_here():
    names = {p.name for p in NOTEBOOKS}
    expected = {
        "getting-started.ipynb",
        "learner-1d.ipynb",
        "learner-2d-nd.ipynb",
        "averaging.ipynb",
        "balancing-datasaver.ipynb",
        "integration.ipynb",
        "sequences.ipynb",
        "parallelism.ipynb",
        "hpc.ipynb",
        "custom-losses.ipynb",
        "migrating-from-adaptive.ipynb",
    }
    assert expected <= names, f"missing: {sorted(expected - names)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.cells[0].cell_type == "markdown"
    assert notebook.cells[0].source.startswith("# "), "the first cell is the page title"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {cell.id} has stored outputs"
            assert cell.execution_count is None, f"cell {cell.id} has an execution count"
            assert cell.source.strip(), f"cell {cell.id} is empty"


def test_links_between_notebooks_resolve():
    names = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "markdown":
                for target in re.findall(r"\]\(([^)#]+\.ipynb)", cell.source):
                    assert target in names, f"{path.name} links to missing {target}"


def _processes_using(ipython_dir: Path) -> list:
    """Processes (other than this one) started with this test's IPYTHONDIR."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if proc.pid == os.getpid():
            continue
        try:
            if proc.environ().get("IPYTHONDIR") == str(ipython_dir):
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def _leftovers(ipython_dir: Path, wait: float = 10.0) -> list:
    # ipyparallel's engine nannies and dask's nannies take a moment to exit by themselves
    deadline = time.monotonic() + wait
    while True:
        found = _processes_using(ipython_dir)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    notebook = work / path.name
    shutil.copy(path, notebook)
    ipython_dir = tmp_path / "ipython"
    env = {
        **os.environ,
        "IPYTHONDIR": str(ipython_dir),
        # `!mpiexec ... python` in a notebook finds the venv's MPI and Python
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("PYTEST_ADDOPTS", None)
    command = [
        sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
        "--nbval-sanitize-with", str(SANITIZE), "--nbval-cell-timeout", "120",
        "-p", "no:cacheprovider", "--rootdir", str(work), "-o", "addopts=", "-q",
        notebook.name,
    ]  # fmt: skip
    start = time.monotonic()
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=220)
    took = time.monotonic() - start
    leftovers = _leftovers(ipython_dir)
    output = result.stdout[-20000:] + result.stderr[-5000:]
    for proc in leftovers:  # do not leave them to the next test
        with contextlib.suppress(Exception):  # it may have exited meanwhile
            proc.kill()
    assert result.returncode == 0, f"{path.name} failed:\n{output}"
    assert not leftovers, f"{path.name} left processes running: {leftovers}"
    assert took < TIME_LIMIT, f"{path.name} took {took:.1f} s (limit {TIME_LIMIT} s)"
