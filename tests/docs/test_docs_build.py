"""The documentation site (docs/) builds with Sphinx, warnings as errors, offline.

One build, into ``tmp_path``, runs every tutorial notebook and the executable how-to pages
(MyST-NB, any cell error fails the build); the tests then look at the pages it wrote. The
build runs with its own ``IPYTHONDIR`` (ipyparallel keeps cluster files there), and the site
must need nothing from the internet: no intersphinx, no scripts from a CDN.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BUILD_SECONDS = 900  # a failing or hanging build stops here; it normally takes a few minutes
# the first test that needs the site pays for the build (pytest-timeout counts fixtures)
pytestmark = pytest.mark.timeout(BUILD_SECONDS + 120)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RESULTS = sorted((ROOT / "benchmarks").glob("results_*.md"))
LEARNER_MODULES = sorted(
    p.stem
    for p in (ROOT / "src" / "adaptive_nb" / "learner").glob("*.py")
    if not p.name.startswith("_")
)
HOWTO_PAGES = [
    "executors",
    "cluster",
    "save-and-resume",
    "crashes",
    "loss-function",
    "progress",
    "migrate",
]


def _text(html: str) -> str:
    """The visible text of an HTML page, with whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _processes_started_with(ipythondir: str) -> list:
    """The processes (other than this one) whose environment has IPYTHONDIR=ipythondir."""
    import psutil

    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("IPYTHONDIR") == ipythondir:
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """Build the site once; returns ``(html folder, processes the build left running)``."""
    tmp = tmp_path_factory.mktemp("docs")
    out = tmp / "html"
    ipythondir = str(tmp / "ipython")  # also marks every process the build starts
    env = dict(os.environ, IPYTHONDIR=ipythondir, ADAPTIVE_NB_DOCS_EXECUTE="force")
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-q",
        "-T",  # on an error, the full traceback (a failing notebook cell) in stderr
        str(DOCS),
        str(out),
        "-d",
        str(tmp / "doctrees"),
    ]
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_SECONDS
        )
    finally:
        left = _end_leftovers(ipythondir)
    assert proc.returncode == 0, (
        f"sphinx-build failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-20000:]}"
    )
    return out, left


def _end_leftovers(ipythondir: str) -> list[str]:
    """Wait a little for the processes the build started to end, then kill the rest (by
    pid: only processes of this build); returns the command lines of those killed."""
    import psutil

    _, alive = psutil.wait_procs(_processes_started_with(ipythondir), timeout=15)
    left = []
    for process in alive:
        with contextlib.suppress(psutil.Error):
            left.append(" ".join(process.cmdline()[:4]))
            process.kill()
    return left


@pytest.fixture(scope="module")
def site(build):
    return build[0]


def page(site: Path, name: str) -> str:
    path = site / f"{name}.html"
    assert path.is_file(), f"{name}.html was not built"
    return path.read_text(encoding="utf-8")


# -- checks that need no build ----------------------------------------------------------------


def _conf():
    spec = importlib.util.spec_from_file_location("adaptive_nb_docs_conf", DOCS / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)  # as a build does: this also refreshes docs/tutorials
    return conf


def test_the_benchmarks_page_includes_every_results_file(tmp_path):
    conf = _conf()
    assert conf.BENCHMARKS_PLACEHOLDER in (DOCS / "benchmarks.md").read_text(encoding="utf-8")
    text = conf.benchmark_sections()
    assert RESULTS, "benchmarks/results_*.md: none found"
    for results in RESULTS:
        assert f"```{{include}} ../benchmarks/{results.name}" in text
    # a report without a script of the same name is shown without a command
    (tmp_path / "results_b.md").write_text("# Report B\n\nCommand: `run b`\n")
    (tmp_path / "results_a.md").write_text("# Report A\n")
    (tmp_path / "bench_a.py").write_text("")
    text = conf.benchmark_sections(tmp_path)
    assert text.index("## Report A") < text.index("## Report B")
    assert "benchmarks/bench_a.py" in text and "bench_b.py" not in text


def test_the_tutorials_are_copied_from_the_notebooks_folder(tmp_path):
    """conf.py's copy step: exactly the notebooks, stale copies removed, and git ignores
    the copies (the notebooks themselves live in notebooks/ only)."""
    conf = _conf()
    source = tmp_path / "notebooks"
    source.mkdir()
    (source / "a.ipynb").write_text("{}")
    (source / "notes.txt").write_text("not a notebook")
    target = tmp_path / "t"
    target.mkdir()
    (target / "gone.ipynb").write_text("{}")
    conf._copy_tutorials(source, target)
    assert sorted(p.name for p in target.iterdir()) == ["a.ipynb"]
    (source / "a.ipynb").write_text('{"changed": 1}')
    conf._copy_tutorials(source, target)
    assert (target / "a.ipynb").read_text() == '{"changed": 1}'
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "docs/tutorials/" in ignored


def test_the_configuration_needs_no_network():
    conf = _conf()
    assert not any("intersphinx" in name for name in conf.extensions)
    assert conf.nb_ipywidgets_js == {}  # no widget scripts from a CDN
    assert conf.nb_execution_raise_on_error  # a failing tutorial fails the build


# -- the built site ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_main_pages_exist(site):
    text = _text(page(site, "index"))
    assert "drop-in" in text
    for name in (
        "getting-started",
        "tutorials",
        "howto/index",
        "api/index",
        "benchmarks",
        "design",
    ):
        assert name in page(site, "index"), f"index does not link {name}"
    started = _text(page(site, "getting-started"))
    assert 'pip install ".[notebook,pandas,progress]"' in started
    assert "bash scripts/demo.sh" in started


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_each_tutorial_has_an_executed_page(site, notebook):
    html = page(site, f"tutorials/{notebook.stem}")
    assert "cell_output" in html, f"{notebook.name}: no cell output on its page"
    assert " object at 0x" not in _text(html), f"{notebook.name}: a raw repr is shown"
    assert notebook.stem in page(site, "tutorials"), f"{notebook.name} is not in the toctree"


@pytest.mark.slow
@pytest.mark.parametrize("name", HOWTO_PAGES)
def test_each_howto_page_exists(site, name):
    assert f'href="{name}.html"' in page(site, "howto/index"), f"howto/index does not link {name}"
    page(site, f"howto/{name}")


@pytest.mark.slow
def test_the_executable_howto_pages_show_real_outputs(site):
    crashes = _text(page(site, "howto/crashes"))
    assert "An error occurred while evaluating learner.function(" in crashes
    assert "finished" in crashes
    saving = _text(page(site, "howto/save-and-resume"))
    assert "MissingFileWarning" in saving and "CorruptFileError: " in saving
    assert "IncompatibleFileError: " in saving


@pytest.mark.slow
def test_the_api_reference_documents_the_learners(site):
    html = "".join(path.read_text(encoding="utf-8") for path in (site / "api").glob("*.html"))
    for anchor in (
        "adaptive_nb.learner.learner1D.Learner1D.ask",
        "adaptive_nb.learner.learner1D.Learner1D.tell",
        "adaptive_nb.learner.base_learner.BaseLearner.save",
        "adaptive_nb.learner.balancing_learner.BalancingLearner",
    ):
        assert f'id="{anchor}"' in html, anchor
    for module in LEARNER_MODULES:  # a new learner module must get its section
        assert f'id="module-adaptive_nb.learner.{module}"' in html, (
            f"adaptive_nb.learner.{module} is missing from the API reference (docs/api/)"
        )
    assert 'id="adaptive_nb.learner.learner1D.Learner1D.ask"' in page(site, "api/learner1d")


def _public_modules() -> list[str]:
    """Every module of adaptive_nb whose dotted name has no part starting with '_'."""
    package = ROOT / "src" / "adaptive_nb"
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = ["adaptive_nb", *path.relative_to(package).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not any(part.startswith("_") for part in parts):
            names.append(".".join(parts))
    return names


@pytest.mark.slow
def test_every_public_module_is_in_the_api_reference(site):
    html = "".join(path.read_text(encoding="utf-8") for path in (site / "api").glob("*.html"))
    missing = [name for name in _public_modules() if f'id="module-{name}"' not in html]
    assert not missing, f"add these modules to docs/api/: {missing}"


@pytest.mark.slow
def test_the_api_reference_covers_the_package(site):
    for name, anchor in [
        ("api/runners", "adaptive_nb.runner.blocking.BlockingRunner"),
        ("api/runners", "adaptive_nb.runner.aio.AsyncRunner.start_periodic_saving"),
        ("api/runners", "adaptive_nb.runner.simple.simple"),
        ("api/goals", "adaptive_nb.goals.auto_goal"),
        ("api/executors", "adaptive_nb.executors.SequentialExecutor"),
        ("api/persistence", "adaptive_nb.persistence.write_atomic"),
        ("api/errors", "adaptive_nb.errors.EvaluationError"),
        ("api/notebook", "adaptive_nb.notebook.picker.ExecutorPicker"),
        ("api/utils", "adaptive_nb.utils.named_product"),
    ]:
        assert f'id="{anchor}"' in page(site, name), anchor


@pytest.mark.slow
def test_the_benchmarks_page_shows_the_results_and_commands(site):
    html = page(site, "benchmarks")
    text = _text(html)
    assert "<table" in html
    for results in RESULTS:
        title = results.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
        assert _text(title) in text, f"{results.name} is not shown"
        assert f"benchmarks/bench_{results.stem.removeprefix('results_')}.py" in text


@pytest.mark.slow
def test_the_design_page_explains_the_core(site):
    text = _text(page(site, "design"))
    for words in (
        "SchedulingCore",
        "steps()",
        "lazy invalidation",
        "ExecutorAdapter",
        "__header__",
        "fsync",
        "os.replace",
    ):
        assert words in text, words


@pytest.mark.slow
def test_the_build_leaves_no_process_running(build):
    _, left = build
    assert not left, f"still running 15 s after the build (now killed): {left}"


@pytest.mark.slow
def test_the_site_loads_no_script_from_the_internet(site):
    for path in site.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        remote = re.findall(r'<script[^>]+src="(?:https?:)?//[^"]+"', html)
        assert not remote, f"{path.relative_to(site)} loads {remote}"
