"""binder/ gives the tutorial notebooks everything they import.

repo2docker (mybinder.org) installs ``binder/requirements.txt`` with pip from the root of a
copy of the repository. This test does the same in a fresh virtual environment (a copy of
the repository in ``tmp_path``, so the checkout gets no build files; pip's cache is reused),
then imports there every module that a notebook imports, found with ``ast`` in the code
cells (and in the scripts that ``%%writefile`` cells write), and checks that ``mpiexec``
is installed for the MPI notebooks.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"

#: imported by a notebook only when installed, under a guard (python-adaptive itself, for
#: the side-by-side timing in migrating-from-adaptive.ipynb)
GUARDED = {"adaptive"}

#: used by the notebooks through adaptive_nb, not imported by name: to_dataframe (pandas),
#: plots (bokeh), live_info and the picker (ipywidgets, psutil), the kernel itself
INDIRECT = {"pandas", "bokeh", "ipywidgets", "psutil", "ipykernel", "tqdm"}


def code_of(cell_source: str) -> str:
    """The Python code of a cell: IPython magics and shell lines removed, the body of a
    ``%%writefile`` cell kept (it is a script that runs in the same environment)."""
    lines = cell_source.splitlines()
    if lines and lines[0].startswith("%%writefile"):
        return "\n".join(lines[1:]) if lines[0].endswith(".py") else ""
    if lines and lines[0].startswith("%%"):
        return ""
    return "\n".join(line for line in lines if not line.lstrip().startswith(("!", "%")))


def imported_modules(sources: list[str]) -> set[str]:
    """Every module named in an import statement of the given code (top level first)."""
    modules = set()
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    for source in sources:
        tree = compile(source, "<cell>", "exec", flags=flags)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module)
    return modules


def notebook_modules() -> set[str]:
    sources = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        sources += [code_of(c.source) for c in notebook.cells if c.cell_type == "code"]
    return {m for m in imported_modules(sources) if m.split(".")[0] not in GUARDED}


def test_import_collection():
    found = imported_modules(
        [
            code_of("import a.b, c\nfrom d.e import f\nfrom . import g\nawait x"),
            code_of("!mpiexec -n 3 python x.py\n%time import h\nimport i"),
            code_of("%%writefile job.py\nimport j"),
            code_of("%%writefile job.sbatch\nimport k"),
        ]
    )
    assert found == {"a.b", "c", "d.e", "i", "j"}
    modules = notebook_modules()
    assert {"adaptive_nb", "numpy", "holoviews", "distributed", "ipyparallel"} <= modules
    assert "mpi4py.futures" in modules


def test_binder_files():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    requirements = (BINDER / "requirements.txt").read_text().splitlines()
    lines = [line.strip() for line in requirements if line.strip() and not line.startswith("#")]
    assert lines[0].startswith(".["), "the repository itself, installed from its root"
    assert os.access(BINDER / "postBuild", os.X_OK)


def _copy_repository(target: Path) -> None:
    """What repo2docker copies into the image (without caches, venvs and build output)."""
    ignore = shutil.ignore_patterns(
        "__pycache__", "*.egg-info", ".venv", "build", ".git", "*.npz", ".ipynb_checkpoints"
    )
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, target / name)
    for name in ("src", "binder", "notebooks"):
        shutil.copytree(ROOT / name, target / name, ignore=ignore)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_binder_environment_imports_every_notebook_module(tmp_path):
    repo = tmp_path / "repo"
    _copy_repository(repo)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-r", "binder/requirements.txt"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=840,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout[-5000:] + install.stderr[-5000:]

    modules = sorted(notebook_modules() | INDIRECT)
    check = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "import adaptive_nb\n"
        "assert adaptive_nb.__file__.startswith(sys.prefix), adaptive_nb.__file__\n"
        f"print({len(modules)}, 'modules imported')\n"
    )
    result = subprocess.run(
        [str(python), "-c", check],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (venv / "bin" / "mpiexec").exists(), "no mpiexec in the Binder environment"
