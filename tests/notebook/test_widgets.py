"""The notebook front-end without a browser: real ipywidgets, holoviews streams, runners and
executors (loky, process and thread pools, dask, ipyparallel, MPI), driven from code.

Process checks look only at this test process's own descendants (other work may run on the
machine) and at the processes recorded while an engine ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import holoviews as hv
import numpy as np
import psutil
import pytest

import adaptive_nb
from adaptive_nb import Learner1D, Runner
from adaptive_nb.notebook import (
    Dashboard,
    ExecutorPicker,
    LiveInfo,
    LivePlot,
    active_plotting_tasks,
    notebook_extension,
)
from adaptive_nb.notebook import info as info_module
from adaptive_nb.notebook import picker as picker_module
from adaptive_nb.notebook.plot import NEWEST

ROOT = Path(__file__).resolve().parents[2]
HAVE_MPI = picker_module.importlib.util.find_spec("mpi4py") is not None


def run(coroutine, timeout=120):
    """asyncio.run with a deadline, so a hang fails the test instead of stalling the suite."""

    async def main():
        return await asyncio.wait_for(coroutine, timeout)

    return asyncio.run(main())


def peak(x):
    return x + 0.01**2 / (0.01**2 + (x - 0.3) ** 2)


def slow_peak(x):
    time.sleep(0.004)
    return peak(x)


async def wait_until(predicate, timeout=10.0, interval=0.01):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        await asyncio.sleep(interval)


# -- notebook_extension ---------------------------------------------------------------------


def test_notebook_extension_refuses_to_run_outside_a_notebook():
    with pytest.raises(RuntimeError, match="may only be run from a Jupyter notebook"):
        notebook_extension()
    with pytest.raises(RuntimeError, match="may only be run from a Jupyter notebook"):
        adaptive_nb.notebook_extension()


# -- live_info ------------------------------------------------------------------------------


def test_live_info_shows_the_run_and_ends_finished_without_a_cancel_button():
    async def main():
        with ThreadPoolExecutor(2) as pool:
            runner = Runner(Learner1D(slow_peak, (-1, 1)), executor=pool, npoints_goal=60)
            info = LiveInfo(runner, update_interval=0.02)
            seen = []
            info.widget.observe(lambda change: seen.append(change["new"]), names="html")
            await wait_until(lambda: runner.learner.npoints >= 10)
            running_html = info.widget.html
            assert not info.widget.done
            await runner.task
            await asyncio.wait_for(info.task, 5)
            return runner, info, seen, running_html

    runner, info, seen, running_html = run(main())
    assert "running" in running_html and "#1f77b4" in running_html  # status in its colour
    for field in ("elapsed time", "overhead", "# of points", "latest loss", "failed points",
                  "rate"):
        assert field in running_html
    html = info.widget.html
    assert runner.status() == "finished"
    assert ">finished<" in html and "#2ca02c" in html
    shown = int(re.search(r"# of points</th><td>(\d+)<", html).group(1))
    # (points still being evaluated when the goal was met are told when they arrive)
    assert 60 <= shown <= runner.learner.npoints
    assert info.widget.done  # the front-end hides the cancel button when done
    assert info.updates == len(seen) >= 2
    assert seen[-1] == html
    # the run ended: no more updates
    time.sleep(0.1)
    assert info.updates == len(seen)


def test_the_cancel_message_of_live_info_cancels_the_runner():
    async def main():
        with ThreadPoolExecutor(2) as pool:
            runner = Runner(Learner1D(slow_peak, (-1, 1)), executor=pool, loss_goal=1e-12)
            info = LiveInfo(runner, update_interval=0.02)
            await wait_until(lambda: runner.learner.npoints >= 5)
            info.widget._handle_custom_msg({"event": "something else"}, [])
            await asyncio.sleep(0.05)
            assert runner.status() == "running"
            # what the front-end's button sends, through the widget's on_msg callbacks
            info.widget._handle_custom_msg({"event": "cancel"}, [])
            with pytest.raises(asyncio.CancelledError):
                await runner.task
            await asyncio.wait_for(info.task, 5)
            return runner, info

    runner, info = run(main())
    assert runner.status() == "cancelled"
    assert ">cancelled<" in info.widget.html
    assert info.widget.done


def test_live_info_sends_ten_times_fewer_updates_while_not_on_screen():
    period = 1.0

    async def count_updates(info, runner, visible):
        info.widget.visible = visible
        await asyncio.sleep(0.1)  # let a long wait that began before the switch run out
        start = info.updates
        await asyncio.sleep(period)
        assert runner.status() == "running"
        return info.updates - start

    async def main():
        with ThreadPoolExecutor(2) as pool:
            runner = Runner(Learner1D(slow_peak, (-1, 1)), executor=pool, loss_goal=1e-12)
            info = LiveInfo(runner, update_interval=0.02)
            assert info.interval() == pytest.approx(0.02)
            info.widget.visible = False  # what the front-end reports when scrolled away
            assert info.interval() == pytest.approx(0.02 * info_module.HIDDEN_SLOWDOWN)
            info.widget.visible = True
            assert info.interval() == pytest.approx(0.02)

            shown = await count_updates(info, runner, visible=True)
            hidden = await count_updates(info, runner, visible=False)
            # back on screen: updated at once, not at the end of the long interval
            before = info.updates
            info.widget.visible = True
            await wait_until(lambda: info.updates > before, timeout=0.15, interval=0.005)
            runner.cancel()
            with pytest.raises(asyncio.CancelledError):
                await runner.task
            return shown, hidden

    shown, hidden = run(main())
    # hidden: one update per 0.2 s at most
    assert hidden <= period / (0.02 * info_module.HIDDEN_SLOWDOWN) + 1
    assert shown >= 4 * max(hidden, 1), (shown, hidden)


# -- live_plot ------------------------------------------------------------------------------


def render(dmap):
    """Render ``dmap`` with bokeh into a document, as the notebook does; returns the plot and
    a list that collects the document's change events from then on."""
    from bokeh.document import Document

    doc = Document()
    plot = hv.renderer("bokeh").get_plot(dmap, doc=doc)
    doc.add_root(plot.state)
    events = []
    doc.on_change(events.append)
    return plot, events


class Gate:
    """A function that evaluates only while the gate is open (the learner then stays still)."""

    def __init__(self):
        self.open = threading.Event()

    def __call__(self, x):
        self.open.wait(30)
        return peak(x)


def test_live_plot_sends_a_frame_only_when_the_learner_changed():
    gate = Gate()

    async def main():
        with ThreadPoolExecutor(2) as pool:
            try:
                runner = Runner(Learner1D(gate, (-1, 1)), executor=pool, npoints_goal=40)
                plot = LivePlot(runner, update_interval=0.02)
                sizes = []  # the number of points plotted at each frame sent
                plot._newest.add_subscriber(lambda **_: sizes.append(len(plot._buffer.data)))
                await asyncio.sleep(0.3)  # the runner runs, but no point comes back
                assert runner.status() == "running" and runner.learner.npoints == 0
                assert plot.frames == 0
                gate.open.set()
                await runner.task
                await asyncio.wait_for(plot.task, 5)
            finally:
                gate.open.set()
            frames = plot.frames
            await asyncio.sleep(0.1)
            assert plot.frames == frames  # ended with the run
            assert not plot.update()  # nothing new
            return runner, plot, sizes

    runner, plot, sizes = run(main())
    assert plot.frames == len(sizes) >= 1
    assert all(a < b for a, b in itertools.pairwise(sizes))  # each frame had new points
    assert sizes[-1] == len(plot._buffer.data) == runner.learner.npoints
    assert plot.button.layout.display == "none"  # its cancel button goes when it stops


def test_incremental_plot_of_learner1d_streams_only_the_new_points():
    async def main():
        learner = Learner1D(peak, (-1, 1))
        for x in (-1, 1, 0):  # a plot started on a learner with data shows that data
            learner.tell(x, peak(x))
        runner = Runner(learner, executor=adaptive_nb.SequentialExecutor(), npoints_goal=3)
        plot = LivePlot(runner, update_interval=100)
        await runner.task
        bokeh_plot, events = render(plot.dmap)
        buffer = plot._buffer
        np.testing.assert_array_equal(buffer.data, [[x, peak(x)] for x in (-1, 1, 0)])

        sent = []
        for batch in ([0.5, -0.5, 0.25], [0.75], [-0.25, 0.1]):
            before = len(buffer.data)
            for x in batch:
                learner.tell(x, peak(x))
            events.clear()
            assert plot.update()
            new_rows = np.asarray(buffer.data)[before:]
            np.testing.assert_array_equal(new_rows, [[x, peak(x)] for x in batch])
            streamed = [e for e in events if type(e).__name__ == "ColumnsStreamedEvent"]
            replaced = [e for e in events if type(e).__name__ == "ColumnDataChangedEvent"]
            sent.append((streamed, replaced))
        return learner, plot, bokeh_plot, sent

    learner, _plot, bokeh_plot, sent = run(main())
    points_plot, newest_plot = bokeh_plot.subplots.values()
    source = points_plot.handles["source"]
    for (streamed, replaced), size in zip(sent, (3, 1, 2)):
        # bokeh appends the new rows to the scatter's data source instead of replacing it
        assert len(streamed) == 1 and streamed[0].model is source
        assert len(streamed[0].data["x"]) == size
        # only the small "newest" overlay is replaced
        assert all(e.model is newest_plot.handles["source"] for e in replaced)
    assert len(source.data["x"]) == learner.npoints == 9


def test_the_newest_points_are_marked():
    async def main():
        with ThreadPoolExecutor(2) as pool:
            runner = Runner(Learner1D(slow_peak, (-1, 1)), executor=pool, npoints_goal=40)
            plot = LivePlot(runner, update_interval=0.02)
            await runner.task
            await asyncio.wait_for(plot.task, 5)
            return runner.learner, plot

    learner, plot = run(main())
    overlay = plot.dmap[()]
    points, newest = overlay.Scatter.I, overlay.Scatter.Newest
    # the last frame (points evaluated when the goal was met may have been told since)
    told = list(learner.data)[: len(points)]
    assert 40 <= len(told) <= learner.npoints
    np.testing.assert_array_equal(points.dimension_values("x"), told)
    newest_x = told[-NEWEST:]
    np.testing.assert_array_equal(newest.dimension_values("x"), newest_x)
    np.testing.assert_array_equal(newest.dimension_values("y"), [learner.data[x] for x in newest_x])
    assert hv.Store.lookup_options("bokeh", newest, "style").kwargs["color"] == "red"


def test_vector_learner_is_redrawn_with_its_newest_points_marked_and_only_when_changed():
    def vector(x):
        return np.array([x, x**2])

    calls = []

    def plotter(learner):
        calls.append(learner.npoints)
        return learner.plot()

    async def main():
        learner = Learner1D(vector, (-1, 1))
        for x in np.linspace(-1, 1, 5):
            learner.tell(x, vector(x))
        runner = Runner(learner, executor=adaptive_nb.SequentialExecutor(), npoints_goal=5)
        await runner.task
        default = LivePlot(runner, update_interval=100)
        custom = LivePlot(runner, plotter=plotter, update_interval=100)
        render(custom.dmap)
        assert calls == [5]
        assert not custom.update()
        assert calls == [5]  # unchanged: no frame, no redraw
        learner.tell(0.1, vector(0.1))
        assert custom.update() and default.update()
        assert calls == [5, 6]
        return learner, default

    learner, default = run(main())
    overlay = default.dmap[()]
    newest = overlay.Scatter.Newest
    newest_x = list(learner.data)[-NEWEST:]
    # one red point per component of each of the newest points
    assert sorted(newest.dimension_values("x")) == sorted(2 * newest_x)


def test_an_empty_learner_with_a_vector_function_still_plots():
    async def main():
        learner = Learner1D(lambda x: np.array([x, -x]), (-1, 1))
        runner = Runner(learner, executor=adaptive_nb.SequentialExecutor(), npoints_goal=6)
        plot = LivePlot(runner, update_interval=0.01)  # the output size is not known yet
        await runner.task
        await asyncio.wait_for(plot.task, 5)
        return learner, plot

    learner, plot = run(main())
    assert plot.task.exception() is None
    assert len(plot._buffer.data) == 2 * learner.npoints  # a row per component


def test_the_cancel_button_of_live_plot_stops_its_updates():
    async def main():
        with ThreadPoolExecutor(2) as pool:
            runner = Runner(Learner1D(slow_peak, (-1, 1)), executor=pool, loss_goal=1e-12)
            plot = LivePlot(runner, update_interval=0.02)
            await wait_until(lambda: plot.frames >= 2)
            plot.button.click()  # what pressing it in the notebook does
            await asyncio.sleep(0)
            frames, npoints = plot.frames, runner.learner.npoints
            await asyncio.sleep(0.3)
            assert runner.learner.npoints > npoints  # the runner goes on
            assert plot.frames == frames  # the plot does not
            assert plot.task.cancelled()
            assert plot.button.layout.display == "none"
            runner.cancel()
            with pytest.raises(asyncio.CancelledError):
                await runner.task

    run(main())


def test_a_live_plot_with_the_same_name_replaces_the_earlier_one():
    async def main():
        with ThreadPoolExecutor(2) as pool:
            runner = Runner(Learner1D(slow_peak, (-1, 1)), executor=pool, npoints_goal=50)
            first = LivePlot(runner, update_interval=0.02, name="peak")
            assert active_plotting_tasks["peak"] is first.task
            second = LivePlot(runner, update_interval=0.02, name="peak")
            other = LivePlot(runner, update_interval=0.02, name="other")
            assert active_plotting_tasks["peak"] is second.task
            await asyncio.sleep(0.05)
            assert first.task.cancelled()
            assert first.button.layout.display == "none"
            assert active_plotting_tasks["peak"] is second.task  # the old one did not remove it
            assert not second.task.done()
            await runner.task
            await asyncio.wait_for(asyncio.gather(second.task, other.task), 5)
            return second

    second = run(main())
    assert second.frames >= 1
    assert "peak" not in active_plotting_tasks and "other" not in active_plotting_tasks


# -- the executor picker --------------------------------------------------------------------

#: started by multiprocessing or loky once per interpreter for all their pools; they end with
#: this process, and are no engine's workers
SHARED_HELPERS = ("resource_tracker",)


def descendants():
    try:
        return {p.pid: p for p in psutil.Process().children(recursive=True)}
    except psutil.Error:
        return {}


def alive(proc):
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def cmdline(proc):
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return "?"


def listening(procs):
    """(ip, port) of every TCP socket these processes listen on."""
    out = set()
    for proc in procs:
        try:
            for conn in proc.net_connections("inet"):
                if conn.status == psutil.CONN_LISTEN:
                    out.add((conn.laddr.ip, conn.laddr.port))
        except psutil.Error:
            pass
    return out


def check_started_processes_are_gone(started, timeout=5.0):
    """The processes an engine started are all gone after its Stop."""
    deadline = time.monotonic() + timeout
    left = [p for p in started if alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if alive(p)]
    assert not left, [(p.pid, cmdline(p)) for p in left]


def learn_on(executor, npoints=24):
    """Run a Runner on ``executor`` to ``npoints``; return the learner."""

    def f(x):  # defined here: sent to the workers by value
        return math.sin(5 * x) + x

    learner = Learner1D(f, (-1, 1))

    async def main():
        runner = Runner(learner, executor=executor, npoints_goal=npoints)
        await runner.task
        return runner

    return learner, main


@pytest.fixture
def ipython_dir(tmp_path, monkeypatch):
    """ipyparallel keeps its cluster files in $IPYTHONDIR: a fresh one per test."""
    path = tmp_path / "ipython"
    path.mkdir()
    monkeypatch.setenv("IPYTHONDIR", str(path))
    return path


@pytest.mark.parametrize("kind", ["loky", "process", "thread", "sequential", "dask", "ipyparallel"])
def test_the_picker_starts_an_executor_a_runner_uses_and_stop_leaves_nothing(kind, ipython_dir):
    before = descendants()
    own_listening_before = listening([psutil.Process()])
    picker = ExecutorPicker()
    assert picker.executor is None and picker.status.value.startswith("not started")

    async def main():
        kernel_responsive = []

        async def tick():
            while True:
                kernel_responsive.append(time.monotonic())
                await asyncio.sleep(0.05)

        ticker = asyncio.get_running_loop().create_task(tick())
        t0 = time.monotonic()
        executor = await picker.start(kind, n_workers=2)
        start_time = time.monotonic() - t0
        ticker.cancel()
        # starting ran in a thread: the event loop (the kernel) kept running meanwhile
        assert len(kernel_responsive) >= start_time / 0.05 / 3 - 1
        assert executor is picker.executor and picker.running_kind == kind
        assert "running" in picker.status.value
        assert picker.stop_button.disabled is False
        learner, go = learn_on(picker.executor)
        runner = await go()
        # the processes the engine started (pools start their workers on demand)
        started = {pid: p for pid, p in descendants().items() if pid not in before}
        names = {pid: cmdline(p) for pid, p in started.items()}
        sockets = listening(started.values()) | (
            listening([psutil.Process()]) - own_listening_before
        )
        await picker.stop()
        return started, names, sockets, learner, runner

    started, names, sockets, learner, runner = run(main())
    assert runner.status() == "finished" and learner.npoints >= 24
    assert picker.executor is None and "stopped" in picker.status.value
    assert picker.stop_button.disabled and not picker.start_button.disabled
    engine_processes = [
        p for pid, p in started.items() if not any(h in names[pid] for h in SHARED_HELPERS)
    ]
    if kind in ("process", "loky", "dask", "ipyparallel"):
        assert len(engine_processes) >= 2  # the workers are processes of their own
    check_started_processes_are_gone(engine_processes)
    left = [p for pid, p in descendants().items() if pid not in before and alive(p)]
    assert all(any(h in cmdline(p) for h in SHARED_HELPERS) for p in left), [
        cmdline(p) for p in left
    ]
    if kind in ("dask", "ipyparallel"):
        # the dask scheduler (in this process), its dashboard and workers, the ipyparallel
        # controller, engines and nannies: all on the loopback interface only
        assert sockets, "nothing listened?"
        assert {ip for ip, _ in sockets} == {"127.0.0.1"}, sockets
    if kind == "ipyparallel":
        all_names = " ".join(names.values())
        assert "ipyparallel.controller" in all_names and "ipyparallel.engine" in all_names


def test_the_picker_connects_to_a_running_dask_scheduler_and_leaves_it_running():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        picker = ExecutorPicker()
        picker.address.value = cluster.scheduler_address  # the text box of the widget

        async def main():
            client = await picker.start("dask")
            assert isinstance(client, distributed.Client)
            assert client.scheduler.address == cluster.scheduler_address
            _learner, go = learn_on(client)
            runner = await go()
            await picker.stop()
            return runner

        runner = run(main())
        assert runner.status() == "finished"
        assert "dask scheduler at" not in picker.status.value  # now "stopped"
        with distributed.Client(cluster) as client:  # the scheduler is still there
            assert client.submit(abs, -3).result() == 3


def test_the_picker_connects_to_a_running_ipyparallel_cluster_by_profile(ipython_dir):
    ipp = pytest.importorskip("ipyparallel")
    cluster = ipp.Cluster(n=1, profile="external", cluster_id="", controller_ip="127.0.0.1")
    rc = cluster.start_and_connect_sync()
    try:
        picker = ExecutorPicker()

        async def main():
            client = await picker.start("ipyparallel", address="external")
            assert len(client) == 1
            _learner, go = learn_on(client, npoints=12)
            runner = await go()
            await picker.stop()
            return runner

        runner = run(main())
        assert runner.status() == "finished"
        assert len(rc) == 1 and rc[:].apply_sync(abs, -2) == [2]  # the cluster stays
    finally:
        rc.close()
        cluster.stop_cluster_sync()


def test_the_picker_buttons_start_and_stop_without_blocking():
    async def main():
        picker = ExecutorPicker(kind="thread", n_workers=3)
        picker.start_button.click()  # schedules start() on the running loop
        await wait_until(lambda: picker.executor is not None, timeout=10)
        assert picker.executor._max_workers == 3
        assert "thread pool, 3 threads" in picker.status.value
        picker.stop_button.click()
        await wait_until(lambda: picker.executor is None and "stopped" in picker.status.value)
        # an error shows on the status line (a button has nobody to raise to)
        picker.kind.value = "thread"
        picker.n_workers.value = 1
        picker.start_button.click()
        picker.start_button.click()  # twice: the second press is refused while starting
        await wait_until(lambda: not picker._tasks)
        assert picker.executor is not None
        await picker.stop()

    run(main())


def test_interpreter_exit_tears_down_what_the_picker_started():
    async def main():
        picker = ExecutorPicker()
        executor = await picker.start("thread", n_workers=1)
        return picker, executor

    _picker, executor = run(main())
    picker_module._stop_all()  # what atexit runs
    with pytest.raises(RuntimeError):
        executor.submit(abs, 1)  # shut down
    assert not picker_module._ENGINES


CHILD = """
import asyncio, json, os, sys
from adaptive_nb.notebook import ExecutorPicker

async def main(kinds):
    pickers = []
    for kind in kinds:
        picker = ExecutorPicker()
        executor = await picker.start(kind, n_workers=2)
        if kind == "process":
            list(executor.map(abs, range(4)))  # its workers start on demand
        pickers.append(picker)
    return pickers

if __name__ == "__main__":
    pickers = asyncio.run(main(sys.argv[2].split(",")))
    print("ready", flush=True)
    if sys.argv[1] == "exit":
        sys.exit(0)  # without stop(): atexit tears down
    sys.stdin.readline()  # wait to be killed
"""


@pytest.mark.parametrize("how", ["exit", "SIGKILL"])
def test_nothing_outlives_a_kernel_that_exits_or_is_killed(how, ipython_dir, tmp_path):
    """Interpreter exit runs the picker's atexit clean-up; a killed kernel (Jupyter kills one
    that does not exit soon enough) leaves it to the workers' parent watch and, for
    ipyparallel's controller and engines, to the picker's watchdog process."""
    script = tmp_path / "kernel.py"
    script.write_text(CHILD)
    kinds = "ipyparallel,process,dask" if how == "SIGKILL" else "ipyparallel,dask"
    child = subprocess.Popen(
        [sys.executable, str(script), "exit" if how == "exit" else "wait", kinds],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        start_new_session=True,  # like a kernel: its own session and process group
    )
    started = []
    try:
        assert child.stdout.readline().strip() == "ready"
        started = [
            p for p in psutil.Process(child.pid).children(recursive=True)
            if not any(h in cmdline(p) for h in SHARED_HELPERS)
        ]
        names = " ".join(cmdline(p) for p in started)
        assert "ipyparallel.controller" in names and "_guard" in names
        if how == "SIGKILL":
            child.kill()
        assert child.wait(60) == (0 if how == "exit" else -signal.SIGKILL)
        check_started_processes_are_gone(started, timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        for proc in started:  # only if the test failed
            with contextlib.suppress(psutil.Error):
                proc.kill()


MPI_CHILD = """
import asyncio, json, math, sys
import psutil
from adaptive_nb import Learner1D, Runner
from adaptive_nb.notebook import ExecutorPicker

def f(x):
    return math.sin(5 * x) + x

def workers():
    return {p.pid for p in psutil.Process().children(recursive=True)
            if "mpi4py.futures.server" in " ".join(p.cmdline())}

async def main():
    picker = ExecutorPicker()
    executor = await picker.start("mpi", n_workers=2)
    running = workers()
    learner = Learner1D(f, (-1, 1))
    runner = Runner(learner, executor=executor, npoints_goal=24)
    await runner.task
    def sockets(procs):
        return {(c.laddr.ip, c.laddr.port) for p in procs for c in p.net_connections("inet")
                if c.status == "LISTEN"}
    tree = psutil.Process().children(recursive=True)
    # what MPI's process manager opened (in this process: the singleton's PMI port; mpiexec,
    # hydra_pmi_proxy), which the workers inherit, and what the workers opened themselves
    manager = sockets([psutil.Process()] + [p for p in tree if p.pid not in running])
    own = sockets([p for p in tree if p.pid in running]) - manager
    listening = sorted({ip for ip, _ in own})
    await picker.stop()
    alive = [pid for pid in running if psutil.pid_exists(pid)
             and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    # started again after a stop (MPI itself stays initialised)
    await picker.start("mpi", n_workers=1)
    again = picker.executor.submit(abs, -5).result()
    await picker.stop()
    left = sorted(p.pid for p in psutil.Process().children(recursive=True))
    print(json.dumps(dict(status=runner.status(), npoints=learner.npoints,
                          workers=sorted(running), alive_after_stop=alive, again=again,
                          worker_listening=listening, left=left)), flush=True)

if __name__ == "__main__":
    asyncio.run(main())
"""


@pytest.mark.skipif(not HAVE_MPI, reason="mpi4py is not installed (the `mpi` extra)")
def test_the_picker_starts_and_stops_mpi(tmp_path):
    """In a child process: MPI's process manager ends the whole process group when it is
    signalled, and MPI cannot be initialised twice, so it stays out of the test process."""
    script = tmp_path / "mpi_kernel.py"
    script.write_text(MPI_CHILD)
    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    env["PATH"] = "/usr/bin:/bin"  # the picker finds the MPICH wheel's mpiexec itself
    child = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env,
        start_new_session=True,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["status"] == "finished" and result["npoints"] >= 24
    assert len(result["workers"]) == 2
    assert result["alive_after_stop"] == []
    assert result["again"] == 5
    # MPI's messages between the workers stay on the loopback interface (MPICH's process
    # manager opens its control ports on all interfaces: no setting changes that)
    assert result["worker_listening"] == ["127.0.0.1"]
    # MPI's process manager stays until MPI ends at exit, and then goes with it
    deadline = time.monotonic() + 5
    while (left := [pid for pid in result["left"] if psutil.pid_exists(pid)]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert not left


# -- the dashboard --------------------------------------------------------------------------


def test_dashboard_start_cancel_runner_and_its_loss_stream():
    async def main():
        picker = ExecutorPicker()
        await picker.start("thread", n_workers=2)
        learner = Learner1D(slow_peak, (-1, 1))
        dash = Dashboard(learner, picker=picker, npoints_goal=60, update_interval=0.02,
                         plot_interval=0.02)
        assert dash.runner is None
        loss_plot, _ = render(dash.loss_plot)  # drawn before the first loss, as in a notebook
        runner = dash.start()
        assert dash.runner is runner and runner.status() == "running"
        assert dash.start_button.disabled and not dash.cancel_button.disabled
        assert dash.info.runner is runner and dash.plot.runner is runner
        assert dash._info_box.children == (dash.info.widget,)
        with pytest.raises(RuntimeError, match="already going"):
            dash.start()
        await runner.task
        await asyncio.wait_for(dash._loss_task, 5)
        assert runner.status() == "finished" and learner.npoints >= 60
        assert not dash.start_button.disabled and dash.cancel_button.disabled
        first_run = dash.loss_data.copy()

        # a second run, started with the button, and cancelled with the other
        dash.runner_kwargs = {"loss_goal": 1e-12}
        dash.start_button.click()
        second = dash.runner
        assert second is not runner
        await wait_until(lambda: learner.npoints >= 80)
        dash.cancel_button.click()
        at_cancel = learner.npoints
        with pytest.raises(asyncio.CancelledError):
            await second.task
        await asyncio.wait_for(dash._loss_task, 5)
        assert second.status() == "cancelled"
        assert ">cancelled<" in dash.info.widget.html
        await picker.stop()
        return learner, first_run, dash, at_cancel, loss_plot

    learner, first_run, dash, at_cancel, loss_plot = run(main())
    rows = dash.loss_data
    points, seconds, losses = rows.T
    assert np.all(np.diff(points) > 0)  # a row only when the learner changed
    assert np.all(np.diff(seconds) >= 0)  # one time axis across both runs
    assert first_run[-1, 0] >= 60
    # (points being evaluated at the cancel are told when they arrive, after the run)
    assert at_cancel <= rows[-1, 0] <= learner.npoints
    assert np.all(np.isfinite(losses[points >= 3])) and np.all(losses[points >= 3] > 0)
    # the loss plot draws exactly these rows
    layout = dash.loss_plot[()]
    by_points, by_time = layout.Curve.I, layout.Curve.II
    finite = np.isfinite(losses) & (losses > 0)
    np.testing.assert_array_equal(by_points.dimension_values("points"), points[finite])
    np.testing.assert_array_equal(by_time.dimension_values("loss"), losses[finite])
    # the log axes follow the losses of the last frame (not the placeholder of the first)
    for subplot in loss_plot.subplots.values():
        y_range = subplot.subplots["main"].handles["y_range"]
        low, high = losses[finite].min(), losses[finite].max()
        assert low / 2 < y_range.start <= low and high <= y_range.end < 2 * high


def test_dashboard_checks_its_goal_arguments_at_once():
    with pytest.raises(ValueError):
        Dashboard(Learner1D(peak, (-1, 1)), npoints_goal=-1)
