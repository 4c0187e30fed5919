"""One behaviour suite for the parallel runners, run against every kind of executor.

The executors: SequentialExecutor, ThreadPoolExecutor, loky (the default, ``executor=None``,
and ``loky.get_reusable_executor()``), ``concurrent.futures.ProcessPoolExecutor``, a real
dask ``LocalCluster`` (worker processes), a real ipyparallel cluster (given as the Client,
a load-balanced view and a ``ViewExecutor``), and ``mpi4py.futures.MPIPoolExecutor``.

MPI needs a process started by ``mpiexec``, so ``test_mpi_pool_executor`` runs this same
file again under ``mpiexec`` with ``ADAPTIVE_NB_TEST_MPI`` set, which limits the suite to
the MPI executor: spawned workers (``mpiexec -n 1``) and the ``-m mpi4py.futures`` form.

The evaluated functions live in this module, which is pickled by value (cloudpickle), so
that the dask, ipyparallel and MPI workers need not import it.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import cloudpickle
import pytest

import adaptive_nb as adaptive
from adaptive_nb.errors import EvaluationError

cloudpickle.register_pickle_by_value(sys.modules[__name__])

pytestmark = pytest.mark.timeout(60)

#: "spawn" or "world" in the run under mpiexec (see test_mpi_pool_executor)
MPI_MODE = os.environ.get("ADAPTIVE_NB_TEST_MPI")
VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]

KINDS = (
    ["mpi"]
    if MPI_MODE
    else [
        "sequential",
        "threads",
        "loky-default",
        "loky-reusable",
        "process-pool",
        "dask",
        "ipyparallel-client",
        "ipyparallel-view",
        "ipyparallel-executor",
    ]
)
DRIVERS = ["BlockingRunner", "block_until_done", "await-task"]


# -- the functions the workers evaluate ----------------------------------------------------


def sharp(x):
    time.sleep(0.002)
    return math.tanh(20 * x)


def raise_in_window(x):
    time.sleep(0.002)
    if 0.3 < x < 0.4:
        raise ValueError(f"no value at {x!r}")
    return math.tanh(20 * x)


def fail_first_time(folder, x):
    """Fails the first evaluation of each point (a marker file remembers it, across
    processes), succeeds afterwards."""
    try:
        fd = os.open(os.path.join(folder, repr(x)), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return sharp(x)
    os.close(fd)
    raise ConnectionError(f"transient failure at {x!r}")


async def async_sharp(x):
    await asyncio.sleep(0.002)
    return math.tanh(20 * x)


def in_window(x):
    return 0.3 < x < 0.4


# -- executors -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=":0", processes=True
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="session")
def ipyparallel_client(tmp_path_factory):
    previous = os.environ.get("IPYTHONDIR")
    # cluster files go to $IPYTHONDIR, shared by every user of the account otherwise
    os.environ["IPYTHONDIR"] = str(tmp_path_factory.mktemp("ipython"))
    import ipyparallel

    cluster = ipyparallel.Cluster(n=2)
    client = cluster.start_and_connect_sync()
    yield client
    client.close()
    cluster.stop_cluster_sync()
    if previous is None:
        os.environ.pop("IPYTHONDIR", None)
    else:
        os.environ["IPYTHONDIR"] = previous


@pytest.fixture(scope="session")
def mpi_executor():
    from mpi4py.futures import MPIPoolExecutor

    # spawn mode: two workers; under `-m mpi4py.futures` the ranks that are already running
    executor = MPIPoolExecutor(max_workers=2) if MPI_MODE == "spawn" else MPIPoolExecutor()
    yield executor
    executor.shutdown()


@pytest.fixture(scope="session", params=KINDS)
def kind(request):
    """Session-scoped so that pytest runs all tests of one executor kind together."""
    return request.param


@pytest.fixture
def executor(kind, request):
    if kind == "sequential":
        yield adaptive.SequentialExecutor()
    elif kind == "threads":
        with ThreadPoolExecutor(2) as ex:
            yield ex
    elif kind == "loky-default":
        yield None
    elif kind == "loky-reusable":
        from loky import get_reusable_executor

        yield get_reusable_executor()
    elif kind == "process-pool":
        with ProcessPoolExecutor(2) as ex:
            yield ex
    elif kind == "dask":
        yield request.getfixturevalue("dask_client")
    elif kind.startswith("ipyparallel"):
        client = request.getfixturevalue("ipyparallel_client")
        yield {
            "ipyparallel-client": client,
            "ipyparallel-view": client.load_balanced_view(),
            "ipyparallel-executor": client.executor(),
        }[kind]
    elif kind == "mpi":
        yield request.getfixturevalue("mpi_executor")
    else:  # pragma: no cover
        raise AssertionError(kind)


def run(driver, learner, executor, **kwargs):
    """Run to the end with one of the three ways of waiting for a run; returns the runner."""
    if driver == "BlockingRunner":
        return adaptive.BlockingRunner(learner, executor=executor, **kwargs)
    if driver == "block_until_done":
        runner = adaptive.Runner(learner, executor=executor, **kwargs)
        try:
            runner.block_until_done()
        finally:
            runner.ioloop.close()
            asyncio.set_event_loop(None)
        return runner

    async def main():
        runner = adaptive.Runner(learner, executor=executor, **kwargs)
        await runner.task
        return runner

    return asyncio.run(main())


def check_ended_cleanly(runner, learner):
    learner._check()
    assert not learner.pending_points
    assert runner.pending_points == []


# -- goals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("driver", DRIVERS)
def test_npoints_goal(executor, driver):
    learner = adaptive.Learner1D(sharp, (-1, 1))
    runner = run(driver, learner, executor, npoints_goal=40)
    assert learner.npoints >= 40
    assert all(learner.data[x] == math.tanh(20 * x) for x in learner.data)
    check_ended_cleanly(runner, learner)
    if driver != "BlockingRunner":
        assert runner.status() == "finished"
        assert runner.task.done() and runner.task.exception() is None


def test_loss_goal(executor):
    learner = adaptive.Learner1D(sharp, (-1, 1))
    runner = run("BlockingRunner", learner, executor, loss_goal=0.05)
    assert learner.loss() <= 0.05
    assert runner.status() == "finished"
    check_ended_cleanly(runner, learner)


def test_duration_goal(executor):
    learner = adaptive.Learner1D(sharp, (-1, 1))
    start = time.monotonic()
    runner = run("await-task", learner, executor, duration_goal=0.5)
    took = time.monotonic() - start
    assert 0.5 <= runner.elapsed_time() < 5
    assert took < 5
    assert learner.npoints > 2, (learner.npoints, runner.elapsed_time(), runner.late_results)
    check_ended_cleanly(runner, learner)


def test_lambda(executor):
    """Lambdas are sent by value (cloudpickle) to process-based workers."""
    learner = adaptive.Learner1D(lambda x: x**2, (-1, 1))
    run("BlockingRunner", learner, executor, npoints_goal=30)
    assert learner.npoints >= 30
    assert all(y == x**2 for x, y in learner.data.items())


# -- failures ------------------------------------------------------------------------------


def test_retries_absorb_transient_failures(executor, tmp_path):
    learner = adaptive.Learner1D(functools.partial(fail_first_time, str(tmp_path)), (-1, 1))
    runner = run("BlockingRunner", learner, executor, npoints_goal=30, retries=1)
    assert learner.npoints >= 30
    assert runner.failed == set()
    # a point whose first try failed just before the goal was met is left waiting
    assert all(count == 1 for _, count in runner.to_retry)
    # every point failed once (a marker per point), and was told after its retry
    assert set(map(float, os.listdir(tmp_path))) >= set(learner.data)
    check_ended_cleanly(runner, learner)


@pytest.mark.parametrize("driver", DRIVERS)
def test_raising_function_ends_run_with_evaluation_error(executor, driver):
    learner = adaptive.Learner1D(raise_in_window, (-1, 1))
    with pytest.raises(EvaluationError) as info:
        run(driver, learner, executor, npoints_goal=300)
    error = info.value
    assert in_window(error.point)
    assert repr(error.point) in str(error)
    assert isinstance(error.__cause__, ValueError)
    assert str(error.__cause__) == f"no value at {error.point!r}"
    assert "raise_in_window" in error.traceback
    runner = error.runner
    assert runner is not None and runner.learner is learner
    # the points finished before the failure are kept
    assert learner.npoints > 2
    assert not any(map(in_window, learner.data))
    check_ended_cleanly(runner, learner)
    if driver != "BlockingRunner":
        assert runner.status() == "failed"


def test_failed_points_without_raising(executor):
    learner = adaptive.Learner1D(raise_in_window, (-1, 1))
    runner = run(
        "BlockingRunner", learner, executor, npoints_goal=80, raise_if_retries_exceeded=False
    )
    assert runner.failed
    assert all(map(in_window, runner.failed))
    assert not runner.failed & set(learner.data)
    assert {x for x, _ in runner.tracebacks} >= runner.failed
    status = runner.status()
    assert status in ("finished", "incomplete")
    if status == "finished":
        assert learner.npoints >= 80
    check_ended_cleanly(runner, learner)


# -- cancel, saving, async functions -----------------------------------------------------------


def test_cancel_async_runner_and_continue(executor):
    learner = adaptive.Learner1D(sharp, (-1, 1))

    async def main():
        runner = adaptive.Runner(learner, executor=executor)  # no goal: until cancelled
        while learner.npoints < 10:
            assert not runner.task.done()
            await asyncio.sleep(0.005)
        start = time.monotonic()
        runner.cancel()
        returned = time.monotonic() - start
        await asyncio.wait([runner.task], timeout=5)
        ended = time.monotonic() - start
        assert returned < 0.1
        assert ended < 0.1, f"the cancelled run took {ended:.3f} s to end"
        assert runner.task.cancelled()
        assert runner.status() == "cancelled"
        check_ended_cleanly(runner, learner)

        npoints = learner.npoints
        runner2 = adaptive.Runner(learner, executor=executor, npoints_goal=npoints + 20)
        await runner2.task
        assert learner.npoints >= npoints + 20
        assert runner2.status() == "finished"
        check_ended_cleanly(runner2, learner)

    asyncio.run(main())


def test_periodic_saving(executor, tmp_path):
    fname = tmp_path / "learner.npz"
    learner = adaptive.Learner1D(sharp, (-1, 1))

    async def main():
        runner = adaptive.Runner(learner, executor=executor, duration_goal=0.5)
        runner.start_periodic_saving(dict(fname=fname), interval=0.1)
        saved_while_running = 0
        while not runner.task.done():
            if fname.exists():
                copy = learner.new()
                copy.load(fname)
                saved_while_running = max(saved_while_running, copy.npoints)
            await asyncio.sleep(0.05)
        await runner.task
        await runner.saving_task
        return runner, saved_while_running

    runner, saved_while_running = asyncio.run(main())
    assert saved_while_running > 0  # a save in the middle of the run
    final = learner.new()
    final.load(fname)
    # and one at the end, with every point but those that were still being evaluated
    # (told when they arrive, after the run: runner.late_results)
    late = {x for x, _ in runner.late_results}
    assert set(learner.data) - late <= set(final.data) <= set(learner.data)
    assert all(final.data[x] == learner.data[x] for x in final.data)


def test_async_function(executor, kind):
    learner = adaptive.Learner1D(async_sharp, (-1, 1))
    if kind != "loky-default":
        with pytest.raises(ValueError, match="do not pass an executor"):
            adaptive.Runner(learner, executor=executor, npoints_goal=30)
        return

    async def main():
        runner = adaptive.Runner(learner, npoints_goal=30)
        await runner.task
        return runner

    runner = asyncio.run(main())
    assert learner.npoints >= 30
    assert all(y == math.tanh(20 * x) for x, y in learner.data.items())
    check_ended_cleanly(runner, learner)


# -- executors given in other forms, shutting down ------------------------------------------


@pytest.mark.skipif(bool(MPI_MODE), reason="only the MPI executor runs under mpiexec")
def test_ipyparallel_direct_view(ipyparallel_client):
    """A DirectView would run every call on all its engines: its engines are load-balanced."""
    for view in [ipyparallel_client[:], ipyparallel_client[1], ipyparallel_client[:].executor]:
        learner = adaptive.Learner1D(sharp, (-1, 1))
        runner = run("BlockingRunner", learner, view, npoints_goal=30)
        assert learner.npoints >= 30
        assert all(y == math.tanh(20 * x) for x, y in learner.data.items())
        check_ended_cleanly(runner, learner)


@pytest.mark.skipif(bool(MPI_MODE), reason="only the MPI executor runs under mpiexec")
def test_shutdown_executor():
    from adaptive_nb.executors import default_executor

    learner = adaptive.Learner1D(sharp, (-1, 1))
    with ProcessPoolExecutor(2) as pool:
        run("BlockingRunner", learner, pool, npoints_goal=10, shutdown_executor=True)
        with pytest.raises(RuntimeError, match="shutdown"):
            pool.submit(abs, 1)
    # the default (loky) pool is shared by every runner: never shut down
    shared = default_executor()
    run("BlockingRunner", learner, None, npoints_goal=20, shutdown_executor=True)
    assert default_executor() is shared
    assert shared.submit(abs, -1).result() == 1


@pytest.mark.skipif(bool(MPI_MODE), reason="only the MPI executor runs under mpiexec")
def test_default_pool_and_loky_reusable_pool_coexist():
    """A notebook cell calling loky.get_reusable_executor() (as the parallelism page does)
    must not shut down the pool of a run with executor=None, nor the other way round."""
    from loky import get_reusable_executor

    async def main():
        default_run = adaptive.Runner(adaptive.Learner1D(sharp, (-1, 1)), npoints_goal=150)
        await asyncio.sleep(0.3)
        reusable = get_reusable_executor(max_workers=1)
        loky_run = adaptive.Runner(
            adaptive.Learner1D(sharp, (-1, 1)), executor=reusable, npoints_goal=150
        )
        await asyncio.sleep(0.3)
        another_default_run = adaptive.Runner(adaptive.Learner1D(sharp, (-1, 1)), npoints_goal=50)
        for runner in [default_run, loky_run, another_default_run]:
            await runner.task
            assert runner.status() == "finished"

    asyncio.run(main())


# -- a dask cluster that starts with no workers ---------------------------------------------


def _zero_worker_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=0, threads_per_worker=1, dashboard_address=":0", processes=True
    )
    return cluster, distributed.Client(cluster)


@pytest.mark.skipif(bool(MPI_MODE), reason="only the MPI executor runs under mpiexec")
def test_dask_adaptive_cluster_from_zero_workers():
    cluster, client = _zero_worker_cluster()
    try:
        cluster.adapt(minimum=0, maximum=2)
        assert client.nthreads() == {}
        learner = adaptive.Learner1D(sharp, (-1, 1))
        runner = run("await-task", learner, client, npoints_goal=60)
        assert learner.npoints >= 60
        check_ended_cleanly(runner, learner)
    finally:
        client.close()
        cluster.close()


@pytest.mark.skipif(bool(MPI_MODE), reason="only the MPI executor runs under mpiexec")
def test_dask_cluster_scaled_up_later():
    cluster, client = _zero_worker_cluster()
    try:
        timer = threading.Timer(1.0, cluster.scale, args=(2,))
        timer.start()
        learner = adaptive.Learner1D(sharp, (-1, 1))
        start = time.monotonic()
        runner = run("BlockingRunner", learner, client, npoints_goal=60)
        assert time.monotonic() - start > 1.0  # it waited for the workers
        assert learner.npoints >= 60
        check_ended_cleanly(runner, learner)
        timer.join()
    finally:
        client.close()
        cluster.close()


# -- MPI ---------------------------------------------------------------------------------------


@pytest.mark.skipif(bool(MPI_MODE), reason="this is the test that starts the MPI runs")
@pytest.mark.timeout(150)
@pytest.mark.parametrize("mode", ["spawn", "world"])
def test_mpi_pool_executor(mode, tmp_path):
    """The suite above with MPIPoolExecutor, in a process started by mpiexec: spawned
    workers (``mpiexec -n 1``), or the ``mpiexec -n 3 python -m mpi4py.futures`` form."""
    pytest.importorskip("mpi4py")
    mpiexec = shutil.which("mpiexec", path=str(VENV_BIN)) or shutil.which("mpiexec")
    assert mpiexec, "mpiexec not found: install the `mpi` extra (mpi4py and mpich)"
    pytest_args = [
        "-m", "pytest", __file__, "-q", "-x", "-p", "no:cacheprovider",
        "-o", "addopts=", "--basetemp", str(tmp_path / "basetemp"),
        "-k", "mpi and not test_mpi_pool_executor",
    ]  # fmt: skip
    if mode == "spawn":
        command = [mpiexec, "-n", "1", sys.executable, *pytest_args]
    else:
        command = [mpiexec, "-n", "3", sys.executable, "-m", "mpi4py.futures", *pytest_args]
    env = {
        **os.environ,
        "ADAPTIVE_NB_TEST_MPI": mode,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    }
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=140)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 14, output
    assert "failed" not in output and "error" not in output.lower(), output
