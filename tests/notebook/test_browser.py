"""The notebook front-end in a real browser: JupyterLab on 127.0.0.1, headless Chromium
(Debian's /usr/bin/chromium, set up by scripts/setup-browser.sh) driven by Playwright.

One notebook uses ``notebook_extension()``, ``runner.live_info()``, ``runner.live_plot()``,
the ExecutorPicker and the Dashboard; the test runs it and checks what a user sees: the
widgets and the bokeh plot render, the plot changes, live_info's cancel button stops the
runner, the picker's dropdown + Start give a working dask and ipyparallel executor, and Stop
leaves no process behind. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 60_000

# the kernel is connected and idle (the toolbar's indicator says "idle" before it connects)
KERNEL_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""

# append a code cell with this source at the end of the notebook
INSERT_CELL = """async (source) => {
  const app = window.jupyterapp;
  const notebook = app.shell.currentWidget.content;
  notebook.activeCellIndex = notebook.widgets.length - 1;
  await app.commands.execute('notebook:insert-cell-below');
  notebook.activeCell.model.sharedModel.setSource(source);
}"""
# run it (not awaited: the command's promise resolves only when the cell has run)
RUN_ACTIVE_CELL = """() => { window.jupyterapp.commands.execute('notebook:run-cell'); }"""

CELLS = [
    # 0
    """\
import asyncio, json, os, sys, time
import adaptive_nb
from adaptive_nb.notebook import Dashboard, ExecutorPicker
adaptive_nb.notebook_extension()

def peak(x, width=0.05):
    time.sleep(0.05)
    return x + width**2 / (width**2 + (x - 0.3) ** 2)""",
    # 1: runs until cancelled
    """\
runner = adaptive_nb.Runner(adaptive_nb.Learner1D(peak, bounds=(-1, 1)), loss_goal=1e-9)
info = runner.live_info(update_interval=0.2)""",
    # 2
    "runner.live_plot(update_interval=0.5)",
    # 3
    """\
picker = ExecutorPicker(n_workers=2)
picker""",
    # 4
    """\
dashboard = Dashboard(adaptive_nb.Learner1D(peak, bounds=(-1, 1)), npoints_goal=120,
                      update_interval=0.2, plot_interval=0.3)
dashboard""",
    # 5: what the test runs on the picker's executor (see `check_executor`)
    """\
import ipywidgets
from IPython.display import display

def f(x):
    return x**2

# the result also goes to a widget: ipykernel 7.4 can attribute output of an awaited cell
# to a widget message that arrived meanwhile (the front end then drops it), while widget
# updates always arrive (see run_cell in the test)
executor_report = ipywidgets.HTML("")
display(executor_report)

def report(*words):
    text = " ".join(str(w) for w in words)
    print(text, flush=True)
    executor_report.value = text

async def check_executor(name):
    runner = adaptive_nb.Runner(adaptive_nb.Learner1D(f, bounds=(-1, 1)),
                                executor=picker.executor, npoints_goal=20)
    try:
        await asyncio.wait_for(asyncio.shield(runner.task), 30)
    except TimeoutError:  # say what hangs, instead of hanging silently
        import traceback
        report("EXECUTOR", "HANGS:", name, runner.status(), runner.learner.npoints,
               len(runner.pending_points), runner.elapsed_time(), repr(picker.executor))
        runner.task.print_stack(file=sys.stdout)
        for thread_id, frame in sys._current_frames().items():
            print("thread", thread_id, "".join(traceback.format_stack(frame)[-4:]))
        raise
    report("EXECUTOR", "WORKS:", name, picker.running_kind, runner.status(),
           runner.learner.npoints)

visibility_log = []

async def log_visibility():
    start = time.monotonic()
    while time.monotonic() - start < 10:
        visibility_log.append((time.monotonic() - start, info.widget.visible, info.updates))
        await asyncio.sleep(0.05)

def report_visibility():
    logger.cancel()
    report("VISIBILITY", "LOG:", json.dumps(visibility_log))""",
]


class Phases:
    """Times the steps of the test (written to test-artifacts/browser/timings.txt); a
    failure is annotated with the step it happened in."""

    def __init__(self) -> None:
        self.start = self.last = time.monotonic()
        self.name = "start"
        self.rows: list[str] = []

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        self.rows.append(f"{now - self.last:6.1f} s  {self.name}")
        self.name, self.last = name, now

    def write(self, failed: BaseException | None) -> None:
        self(f"end{' (FAILED)' if failed else ''}")
        self.rows.append(f"{self.last - self.start:6.1f} s  in all")
        (ARTIFACTS / "timings.txt").write_text("\n".join(self.rows) + "\n")


def run_cell(page, source: str) -> None:
    """Append a code cell with ``source`` to the notebook and run it, as a user would: type
    it, then run it once the page has settled.

    Settling matters: ipykernel 7.4 handles widget messages that arrive while an ``async``
    cell runs at the same time as the cell, and output of the cell produced after such a
    message can go to that message instead of the cell (lost). Scrolling makes the plots
    and widgets above send such messages; so the page scrolls to the new cell first.
    """
    page.evaluate(INSERT_CELL, source)
    page.locator(".jp-Notebook .jp-Cell.jp-mod-active").scroll_into_view_if_needed()
    time.sleep(0.7)
    page.wait_for_function(KERNEL_READY)
    page.evaluate(RUN_ACTIVE_CELL)


DUMP_CELLS = """() => {
  const notebook = window.jupyterapp.shell.currentWidget.content;
  const cells = notebook.model.toJSON().cells.slice(-3).map((c) => ({
    source: c.source.slice(0, 100), execution_count: c.execution_count,
    outputs: (c.outputs || []).map((o) => JSON.stringify(o).slice(0, 200)) }));
  return {cells, messages: (window.__messages || []).slice(-60)};
}"""

# every message between the page and the kernel, for the report of a failure
RECORD_MESSAGES = """() => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  window.__messages = [];
  kernel.anyMessage.connect((_, args) => {
    const m = args.msg;
    if (m.header.msg_type === 'comm_msg' && args.direction === 'recv') return;
    window.__messages.push([args.direction, m.channel, m.header.msg_type,
      m.header.msg_id.slice(-8), (m.parent_header.msg_id || '').slice(-8),
      JSON.stringify(m.content).slice(0, 80)]);
  });
}"""


def wait_for_output(page, marker: str) -> str:
    """Wait until a cell output matches the regular expression ``marker`` (built so the
    cell's source does not); return that output's text."""
    try:
        handle = page.wait_for_function(
            """(marker) => { const o = [...document.querySelectorAll('.jp-OutputArea-output')]
                                         .find((o) => new RegExp(marker).test(o.innerText));
                             return o ? o.innerText : false; }""",
            arg=marker, timeout=TIMEOUT_MS,
        )
    except Exception as exc:  # what the notebook holds, for the report
        with contextlib.suppress(Exception):
            exc.add_note(json.dumps(page.evaluate(DUMP_CELLS), indent=1))
        raise
    return handle.json_value()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 with everything isolated in a temporary folder."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    env = dict(os.environ)
    for name, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
    ]:
        (base / sub).mkdir()
        env[name] = str(base / sub)
    # no "get notified about Jupyter news?" toast over the page
    notification = base / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port, token = free_port(), secrets.token_hex(16)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "jupyterlab.log", "w")  # noqa: SIM115 - closed at teardown
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited; see {ARTIFACTS / 'jupyterlab.log'}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("JupyterLab did not answer within 60 s")
            time.sleep(0.2)
        yield {"url": url, "token": token, "root": root, "pid": server.pid}
    finally:
        server.send_signal(signal.SIGTERM)  # jupyter_server shuts its kernels down
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def kernel_process(server_pid: int) -> psutil.Process:
    kernels = [
        p for p in psutil.Process(server_pid).children()
        if "ipykernel_launcher" in " ".join(p.cmdline())
    ]
    assert len(kernels) == 1, kernels
    return kernels[0]


def snapshot(kernel: psutil.Process) -> dict[int, tuple[psutil.Process, str]]:
    out = {}
    for proc in kernel.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            out[proc.pid] = (proc, " ".join(proc.cmdline()))
    return out


def alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_the_notebook_front_end_in_jupyterlab(lab):
    assert CHROMIUM.exists(), "no /usr/bin/chromium: run scripts/setup-browser.sh"
    from PIL import Image, ImageChops
    from playwright.sync_api import sync_playwright

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, lab["root"] / "front-end.ipynb")
    shots = ARTIFACTS
    for old in [*shots.glob("*.png"), *shots.glob("*.txt")]:
        old.unlink()
    problems = []
    phase = Phases()
    failed = None

    with sync_playwright() as playwright:
        profile = lab["root"].parent / "chromium-profile"
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1300, "height": 1000},
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            console = open(shots / "console.txt", "w")  # noqa: SIM115 - closed below
            page.on("console", lambda m: console.write(f"{m.type}: {m.text[:500]}\n"))
            phase("JupyterLab and the kernel")
            page.goto(f"{lab['url']}/lab/tree/front-end.ipynb?reset&token={lab['token']}")
            page.wait_for_function(KERNEL_READY, timeout=TIMEOUT_MS)
            kernel = kernel_process(lab["pid"])
            page.evaluate(RECORD_MESSAGES)
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

            # -- the widgets render: live_info's table and cancel button, the bokeh canvas
            phase("widgets render")
            info = page.locator(".adaptive-nb-info").first
            info.locator("button.adaptive-nb-cancel").wait_for()
            info.locator(".adaptive-nb-info-table").wait_for()
            page.wait_for_function(
                "() => document.querySelector('.adaptive-nb-info-table')"
                ".innerText.includes('running')"
            )
            plot = page.locator(".jp-OutputArea-output:has(canvas)").first
            plot.locator("canvas").first.wait_for(state="attached")
            page.locator(".adaptive-nb-picker").first.wait_for()
            page.locator(".adaptive-nb-dashboard").first.wait_for()
            page.wait_for_function(KERNEL_READY)  # every cell ran

            # -- the live plot changes while the runner runs
            phase("the plot changes")
            plot.scroll_into_view_if_needed()
            time.sleep(1.0)
            plot.screenshot(path=shots / "plot-1.png")
            time.sleep(3.0)
            plot.screenshot(path=shots / "plot-2.png")
            first, second = (Image.open(shots / f"plot-{i}.png").convert("RGB") for i in (1, 2))
            assert first.size == second.size
            assert ImageChops.difference(first, second).getbbox() is not None, (
                "the live plot did not change in 3 s"
            )
            page.screenshot(path=shots / "notebook-running.png", full_page=True)

            # -- live_info tells the kernel when it is on screen, and gets fewer updates
            phase("visibility")
            # while it is not: off screen (the new cell is at the end), then scrolled back
            run_cell(page, "logger = asyncio.get_running_loop().create_task(log_visibility())")
            time.sleep(2.5)
            info.scroll_into_view_if_needed()
            time.sleep(2.5)
            run_cell(page, "report_visibility()")
            log = json.loads(wait_for_output(page, "VISIBILITY LOG:").split("LOG:", 1)[1])
            check_visibility_log(log)

            # -- live_info's cancel button stops the runner
            phase("cancel button")
            info.scroll_into_view_if_needed()
            info.locator("button.adaptive-nb-cancel").click()
            page.wait_for_function(
                "() => document.querySelector('.adaptive-nb-info-table')"
                ".innerText.includes('cancelled')"
            )
            info.locator("button.adaptive-nb-cancel").wait_for(state="hidden")

            # -- the dashboard: Start run, it runs to its goal with live status and plots
            phase("dashboard")
            dashboard = page.locator(".adaptive-nb-dashboard").first
            dashboard.scroll_into_view_if_needed()
            dashboard.locator("button:has-text('Start run')").click()
            dashboard.locator(".adaptive-nb-info-table").wait_for()
            page.wait_for_function(
                """() => { const t = document.querySelector(
                     '.adaptive-nb-dashboard .adaptive-nb-info-table');
                   return t && t.innerText.includes('finished'); }""",
                timeout=TIMEOUT_MS,
            )
            dashboard.locator("canvas").first.wait_for(state="attached")
            time.sleep(1.0)  # the last frames of the plots
            dashboard.screenshot(path=shots / "dashboard.png")

            # -- the picker: dropdown + Start give a working executor; Stop leaves nothing
            for kind in ("dask", "ipyparallel"):
                phase(f"picker: {kind}")
                check_picker(page, kernel, kind, shots)

            page.screenshot(path=shots / "notebook-end.png", full_page=True)

            # -- "Shut Down Kernel" with engines running: nothing they started is left
            phase("kernel shutdown")
            run_cell(page, SHUTDOWN_WITH_ENGINES)
            wait_for_output(page, "ENGINES RUNNING")
            engines = [
                (proc, name) for proc, name in snapshot(kernel).values()
                if "resource_tracker" not in name
            ]
            names = " ".join(name for _, name in engines)
            assert "ipyparallel.engine" in names and "spawn_main" in names, names
            shut_down_kernel(lab)
            kernel.wait(30)
            check_gone(engines, timeout=10)
        except BaseException as exc:
            failed = exc
            exc.add_note(f"while testing: {phase.name}")
            raise
        finally:
            phase.write(failed)
            with contextlib.suppress(Exception):
                page.screenshot(path=shots / "last-state.png", full_page=True)
            context.close()
            console.close()
    assert not problems, problems


SHUTDOWN_WITH_ENGINES = """\
await picker.start("ipyparallel", n_workers=1)
await dashboard.picker.start("dask", n_workers=1)
report("ENGINES", "RUNNING")"""


def shut_down_kernel(lab) -> None:
    """What JupyterLab's "Shut Down Kernel" does: DELETE /api/kernels/<id>."""
    base = f"{lab['url']}/api/kernels"
    with urllib.request.urlopen(f"{base}?token={lab['token']}", timeout=10) as response:
        (kernel,) = json.load(response)
    request = urllib.request.Request(
        f"{base}/{kernel['id']}?token={lab['token']}", method="DELETE"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 204


def check_gone(procs: list, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    left = [(proc, name) for proc, name in procs if alive(proc)]
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [(proc, name) for proc, name in left if alive(proc)]
    assert not left, [(proc.pid, name) for proc, name in left]


def check_visibility_log(log: list) -> None:
    """(seconds, visible, updates) samples: updates come ten times less often while hidden."""
    changes = [t1 for (_, v0, _), (t1, v1, _) in itertools.pairwise(log) if v0 is not v1]
    rates = {}
    for visible in (False, True):
        time_in, updates_in = 0.0, 0
        for (t0, v0, u0), (t1, v1, u1) in itertools.pairwise(log):
            # steady intervals only: not across a switch, nor the update a switch brings
            if v0 is v1 is visible and not any(c - 0.05 <= t0 < c + 0.3 for c in changes):
                time_in += t1 - t0
                updates_in += u1 - u0
        assert time_in > 1.0, f"on screen={visible} for only {time_in:.2f} s: {log}"
        rates[visible] = updates_in / time_in
    # update_interval=0.2 s: 5 per second on screen, one per 2 s off screen
    assert rates[False] <= 1.0, rates
    assert rates[True] >= 2.5, rates
    states = [visible for _, visible, _ in log]
    assert False in states and True in states[states.index(False):]  # out, and back in view


def check_picker(page, kernel: psutil.Process, kind: str, shots: Path) -> None:
    picker = page.locator(".adaptive-nb-picker").first
    picker.scroll_into_view_if_needed()
    before = snapshot(kernel)
    picker.locator(".widget-dropdown select").select_option(label=kind)
    picker.locator("button:has-text('Start')").click()
    status = picker.locator(".widget-html").last
    page.wait_for_function(
        """(kind) => { const s = document.querySelector('.adaptive-nb-picker .widget-html');
                       return s && s.innerText.includes('running: ' + kind); }""",
        arg=kind, timeout=TIMEOUT_MS,
    )
    # a small run on picker.executor, in a new cell
    run_cell(page, f"await check_executor({kind!r})")
    text = wait_for_output(page, f"EXECUTOR (WORKS|HANGS): {kind}")
    assert f"EXECUTOR WORKS: {kind} {kind} finished" in text, text
    started = {pid: v for pid, v in snapshot(kernel).items() if pid not in before}
    names = " ".join(name for _, name in started.values())
    if kind == "dask":
        assert "multiprocessing.spawn" in names  # the dask workers
    else:
        assert "ipyparallel.controller" in names and "ipyparallel.engine" in names
    picker.scroll_into_view_if_needed()
    picker.screenshot(path=shots / f"picker-{kind}-running.png")
    picker.locator("button:has-text('Stop')").click()
    page.wait_for_function(
        """() => { const s = document.querySelector('.adaptive-nb-picker .widget-html');
                   return s && s.innerText.trim() === 'stopped'; }""",
        timeout=TIMEOUT_MS,
    )
    assert status.inner_text().strip() == "stopped"
    # a few seconds after Stop: nothing the kernel started for the engine is left
    check_gone([(p, name) for p, name in started.values() if "resource_tracker" not in name], 5)
    patterns = ("distributed", "spawn_main", "ipyparallel", "_guard")
    strays = [
        (pid, name) for pid, (proc, name) in snapshot(kernel).items()
        if pid not in before and alive(proc) and any(p in name for p in patterns)
    ]
    assert not strays, strays
