"""Sphinx configuration of adaptive_nb's documentation.

Build (offline; warnings are errors, as in ``tests/docs/test_docs_build.py``)::

    .venv/bin/sphinx-build -W --keep-going -b html docs /tmp/adaptive_nb-docs

The tutorials are the notebooks in ``notebooks/``: each build copies them into
``docs/tutorials/`` (generated, ignored by git; a symbolic link would not do, because Sphinx
resolves links between notebooks through the real path), so a new notebook appears on the
site by itself. They are executed during the build, each cell with a time limit, and any
error fails the build. ``ADAPTIVE_NB_DOCS_EXECUTE=off`` renders them without outputs
instead (a quick build for proofreading the prose).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # a checkout that was not pip-installed

import adaptive_nb  # noqa: E402

DOCS = Path(__file__).resolve().parent
TUTORIALS = DOCS / "tutorials"


def _copy_tutorials(source: Path = ROOT / "notebooks", target: Path = TUTORIALS) -> None:
    """Make ``target`` hold exactly the notebooks of ``source`` (rewriting only changed ones,
    atomically, so that two builds at once see whole files)."""
    if target.is_symlink():
        target.unlink()
    target.mkdir(exist_ok=True)
    notebooks = {path.name: path for path in source.glob("*.ipynb")}
    for old in target.iterdir():
        if old.name not in notebooks and old.suffix == ".ipynb":
            old.unlink()
    for name, path in notebooks.items():
        data = path.read_bytes()
        copy = target / name
        if copy.is_file() and copy.read_bytes() == data:
            continue
        temp = target / f".{name}.{os.getpid()}.tmp"
        temp.write_bytes(data)
        os.replace(temp, copy)


_copy_tutorials()

#: the reading order of the tutorials; a notebook not listed here comes after these
TUTORIAL_ORDER = [
    "getting-started",
    "learner-1d",
    "learner-2d-nd",
    "averaging",
    "balancing-datasaver",
    "integration",
    "sequences",
    "custom-losses",
    "parallelism",
    "live-dashboard",
    "hpc",
    "migrating-from-adaptive",
]
TUTORIALS_PLACEHOLDER = (
    "tutorial notebooks (this line is replaced by the list of notebooks in docs/conf.py)"
)


def tutorial_entries(folder: Path = TUTORIALS) -> list[str]:
    """The toctree entries of the tutorials page: the notebooks there are, in reading order."""
    found = sorted(path.stem for path in folder.glob("*.ipynb"))
    ordered = [name for name in TUTORIAL_ORDER if name in found]
    ordered += [name for name in found if name not in TUTORIAL_ORDER]
    return [f"tutorials/{name}" for name in ordered]


def _list_tutorials(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == "tutorials":
        source[0] = source[0].replace(TUTORIALS_PLACEHOLDER, "\n".join(tutorial_entries()))


#: the order of the benchmark reports (benchmarks/results_<name>.md); others come after these
BENCHMARK_ORDER = ["learner1d", "learner2d", "learnernd", "average1d", "integrator", "balancing"]
BENCHMARKS_PLACEHOLDER = "benchmark reports (this line is replaced by docs/conf.py)"


def benchmark_sections(folder: Path = ROOT / "benchmarks") -> str:
    """One section per report ``results_<name>.md`` in ``folder``: its title, the command that
    runs ``bench_<name>.py``, and the report itself, included (so it is always the file's
    current content)."""
    names = sorted(path.stem.removeprefix("results_") for path in folder.glob("results_*.md"))
    ordered = [name for name in BENCHMARK_ORDER if name in names]
    ordered += [name for name in names if name not in BENCHMARK_ORDER]
    sections = []
    for name in ordered:
        report = folder / f"results_{name}.md"
        lines = report.read_text(encoding="utf-8").splitlines() or [""]
        title = lines[0].lstrip("#").strip() or name
        section = f"## {title}\n\n"
        if (folder / f"bench_{name}.py").is_file():
            section += (
                "```bash\nenv -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
                f".venv/bin/python benchmarks/bench_{name}.py\n```\n\n"
            )
        section += (
            f"```{{include}} ../benchmarks/{report.name}\n:start-line: 1\n:heading-offset: 1\n```\n"
        )
        sections.append(section)
    return "\n".join(sections)


def _list_benchmarks(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == "benchmarks":
        source[0] = source[0].replace(BENCHMARKS_PLACEHOLDER, benchmark_sections())


def _always_reread_generated(app: Sphinx, env: object, *args: object) -> list[str]:
    # their lists of notebooks and reports may change while their text does not
    return ["tutorials", "benchmarks"]


project = "adaptive_nb"
author = "the adaptive_nb authors"
copyright = "2026, the adaptive_nb authors"
release = version = adaptive_nb.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/.ipynb_checkpoints", "**/.*.tmp"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
smartquotes = False  # keep --options, "quotes" and ... as typed: this is a technical text

# -- MyST ------------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- notebooks (MyST-NB) -----------------------------------------------------------------------
_EXECUTE = os.environ.get("ADAPTIVE_NB_DOCS_EXECUTE", "force")
if _EXECUTE not in ("force", "auto", "off"):
    msg = (
        f"ADAPTIVE_NB_DOCS_EXECUTE={_EXECUTE!r} is not a MyST-NB execution mode; use "
        "'force' (the default), 'auto' or 'off'"
    )
    raise ValueError(msg)
nb_execution_mode = _EXECUTE
nb_execution_timeout = int(os.environ.get("ADAPTIVE_NB_DOCS_CELL_TIMEOUT", "180"))  # per cell
nb_execution_raise_on_error = True  # a failing tutorial fails the build
nb_execution_show_tb = True
nb_execution_in_temp = True  # files the tutorials save go to a temporary folder
nb_merge_streams = True
# No script from a CDN: the site must work offline. Widgets work only with a running kernel,
# so a page shows a short note in their place (ReplaceWidgetOutputs below); BokehJS is
# inlined by adaptive_nb.notebook_extension() itself.
nb_ipywidgets_js: dict = {}
# HoloViews outputs carry, next to their HTML or JavaScript, two mime types that only its
# JupyterLab extension understands (application/vnd.holoviews_load.v0+json and
# application/vnd.holoviews_exec.v0+json: hooks that connect a plot to a running kernel).
# MyST-NB warns about every mime type it has no renderer for, even when it shows another
# one of the same output; the HTML and JavaScript of those outputs are rendered.
suppress_warnings = ["mystnb.unknown_mime_type"]
if nb_execution_mode == "off":
    # unexecuted notebooks lack the kernel's language_info, so their cells are highlighted
    # as plain Python, which fails on IPython's "!command" lines (a proofreading build only)
    suppress_warnings.append("misc.highlighting_failure")

# -- API reference -----------------------------------------------------------------------------
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # an Attributes section does not clash with a property's entry

# -- HTML --------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"adaptive_nb {release}"
html_static_path: list[str] = []


# -- widget outputs ----------------------------------------------------------------------------
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "[an interactive widget: it appears, and updates, in a running notebook]"


class ReplaceWidgetOutputs(SphinxPostTransform):
    """Show a note instead of a widget output (live_info, the executor picker, the dashboard):
    without a kernel a widget cannot render, and its text form is only a Python repr."""

    default_priority = 3  # before MyST-NB picks one mime type per output (priority 4)

    def run(self, **kwargs: object) -> None:
        for bundle in list(self.document.findall(nodes.container)):
            if bundle.get("nb_element") != "mime_bundle":
                continue
            if any(child.get("mime_type") == WIDGET_VIEW for child in bundle.children):
                note = nodes.paragraph(classes=["widget-note"])
                note += nodes.emphasis(text=WIDGET_NOTE)
                bundle.replace_self(note)


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_post_transform(ReplaceWidgetOutputs)
    app.connect("source-read", _list_tutorials)
    app.connect("source-read", _list_benchmarks)
    app.connect("env-get-outdated", _always_reread_generated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
