"""The package itself: import cost and hygiene, public paths, optional dependencies."""

import subprocess
import sys
import textwrap

import pytest

import adaptive_nb


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_import_is_light_and_changes_no_global_state():
    result = run_python(
        """
        import asyncio, sys, time, warnings, logging
        import numpy, sortedcontainers  # dependencies' own import effects are not ours
        policy = type(asyncio.get_event_loop_policy())
        filters = list(warnings.filters)
        handlers = list(logging.getLogger().handlers)
        start = time.perf_counter()
        import adaptive_nb
        adaptive_nb.Learner1D  # the learner itself loads lazily
        elapsed = time.perf_counter() - start
        heavy = [m for m in ("holoviews", "pandas", "distributed", "ipywidgets", "bokeh",
                             "ipyparallel", "mpi4py", "tqdm") if m in sys.modules]
        assert not heavy, heavy
        assert type(asyncio.get_event_loop_policy()) is policy
        assert warnings.filters == filters
        assert logging.getLogger().handlers == handlers
        print(f"{elapsed:.3f}")
        """
    )
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) < 2.0


def test_public_paths_of_adaptive_exist():
    import adaptive_nb.learner.learner1D as l1
    import adaptive_nb.runner as runner
    import adaptive_nb.utils as utils

    for name in (
        "default_loss",
        "uniform_loss",
        "curvature_loss_function",
        "abs_min_log_loss",
        "triangle_loss",
        "resolution_loss_function",
        "uses_nth_neighbors",
    ):
        assert callable(getattr(l1, name))
    for name in ("simple", "replay_log", "SequentialExecutor", "auto_goal", "stop_after"):
        assert hasattr(runner, name)
    for name in ("named_product", "cache_latest", "SequentialExecutor"):
        assert hasattr(utils, name)
    assert adaptive_nb.learner.BaseLearner is adaptive_nb.BaseLearner
    assert adaptive_nb.learner.Learner1D is adaptive_nb.Learner1D
    assert set(adaptive_nb.__all__) <= set(dir(adaptive_nb))


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        adaptive_nb.Nope  # noqa: B018


@pytest.mark.parametrize(
    ("blocked", "code", "extra"),
    [
        ("holoviews", "adaptive_nb.Learner1D(abs, (0, 1)).plot()", "notebook"),
        ("pandas", "adaptive_nb.Learner1D(abs, (0, 1)).to_dataframe()", "pandas"),
        (
            "tqdm",
            "adaptive_nb.runner.simple("
            "adaptive_nb.Learner1D(abs, (0, 1)), npoints_goal=3, progress=True)",
            "progress",
        ),
    ],
)
def test_missing_extra_names_the_extra(blocked, code, extra):
    result = run_python(
        f"""
        import sys
        sys.modules[{blocked!r}] = None  # makes 'import {blocked}' fail
        import adaptive_nb
        from adaptive_nb.errors import MissingOptionalDependency
        try:
            {code}
        except MissingOptionalDependency as exc:
            assert isinstance(exc, ImportError)
            print(exc)
        else:
            raise SystemExit("no error")
        """
    )
    assert result.returncode == 0, result.stderr
    assert f'pip install "adaptive_nb[{extra}]"' in result.stdout
    assert repr(blocked) in result.stdout
