"""Tests of learner.save / learner.load (src/adaptive_nb/persistence.py).

The save format is data only (an .npz archive with a JSON header), writes are atomic and
durable, and a load either adds the whole file or raises a documented error and changes nothing.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import random
import re
import shlex
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adaptive_nb import persistence
from adaptive_nb.errors import (
    CorruptFileError,
    IncompatibleFileError,
    MissingFileWarning,
    PickleNotAllowedError,
    SaveFileError,
)
from adaptive_nb.learner.learner1D import Learner1D

HELPER = Path(__file__).with_name("_helpers_save_loop.py")
NAME = "learner.npz"

# -- helpers ------------------------------------------------------------------------------


def scalar_f(x):
    return np.tanh(10 * x) + 0.1 * x


def vector_f(x):
    return np.array([np.sin(3 * x), x**2, np.cos(x)])


class OtherLearner1D(Learner1D):
    """Another learner type (the header records the type name)."""


class TaggedLearner1D(Learner1D):
    """A learner with extra data that has no array form, so it is stored pickled."""

    tags: list | None = None

    def _to_arrays(self):
        arrays = super()._to_arrays()
        arrays["tags"] = np.array([{"run": 1, "note": "object data"}], dtype=object)
        return arrays

    def _from_arrays(self, arrays):
        arrays = dict(arrays)
        tags = arrays.pop("tags")
        super()._from_arrays(arrays)
        self.tags = tags.tolist()


def make_learner(n=60, *, vector=False, bounds=(-1.0, 1.0), cls=Learner1D, pending=True):
    """A learner with ``n`` points: a bulk tell, then some ask/tell steps, then pending points."""
    f = vector_f if vector else scalar_f
    learner = cls(f, bounds)
    xs = np.linspace(*bounds, max(n // 2, 2)).tolist()
    learner.tell_many(xs, [f(x) for x in xs])
    while learner.npoints < n:
        points, _ = learner.ask(1)
        learner.tell(points[0], f(points[0]))
    if pending:
        learner.ask(2)  # leaves two pending points
    learner._check()
    return learner


def snapshot(learner):
    """Everything a failed load must leave as it was."""
    data = sorted((x, np.asarray(y, dtype=float).tolist()) for x, y in learner.data.items())
    return (
        learner.npoints,
        data,
        learner.loss(),
        sorted(learner.pending_points),
        learner.ask(3, tell_pending=False),
    )


def assert_same_data(a, b):
    assert a.npoints == b.npoints
    assert np.array_equal(a.to_numpy(), b.to_numpy())
    assert a.loss() == b.loss()
    assert a.ask(5, tell_pending=False) == b.ask(5, tell_pending=False)


def write_npz(path, header, arrays, *, compress=True):
    """Write an archive laid out like adaptive_nb's, with any header (dict, or raw bytes)."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    members = {"__header__": np.frombuffer(raw, dtype=np.uint8), **arrays}
    with open(path, "wb") as fileobj:  # (given a name, numpy would append ".npz")
        (np.savez_compressed if compress else np.savez)(fileobj, **members)


def good_header(**changes):
    header = {"format": "adaptive_nb", "version": 1, "learner": "Learner1D", "pickled": False}
    header.update(changes)
    return header


def names_in(folder):
    return sorted(os.listdir(folder))


@pytest.fixture
def target(tmp_path):
    return tmp_path / NAME


# -- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("vector", [False, True], ids=["scalar", "vector"])
@pytest.mark.parametrize("compress", [True, False], ids=["compressed", "stored"])
@pytest.mark.parametrize("path_kind", ["str", "Path", "home"])
def test_round_trip(tmp_path, monkeypatch, vector, compress, path_kind):
    learner = make_learner(80, vector=vector, pending=False)
    folder = tmp_path / "missing" / "parents"  # save creates missing parent folders
    if path_kind == "str":
        fname = str(folder / NAME)
    elif path_kind == "Path":
        fname = folder / NAME
    else:
        monkeypatch.setenv("HOME", str(tmp_path))
        fname = f"~/missing/parents/{NAME}"
    learner.save(fname, compress=compress)
    assert names_in(folder) == [NAME]  # no temporary file left behind

    loaded = Learner1D(learner.function, learner.bounds)
    loaded.load(fname)
    loaded._check()
    assert_same_data(learner, loaded)
    assert loaded.pending_points == set()  # pending points are not data
    assert loaded.vdim == learner.vdim

    # the file is data only: numpy reads every member without pickle
    with np.load(folder / NAME, allow_pickle=False) as archive:
        header = json.loads(archive["__header__"].tobytes().decode())
        assert np.array_equal(archive["x"], learner.to_numpy()[:, 0])
    assert header == good_header(members=["loss_yrange", "losses", "x", "y"])
    with zipfile.ZipFile(folder / NAME) as archive:
        kinds = {info.compress_type for info in archive.infolist()}
    assert kinds == {zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED}


def test_round_trip_empty_learner_and_compress_argument(target):
    empty = Learner1D(scalar_f, (-1, 1))
    empty.save(target)
    loaded = Learner1D(scalar_f, (-1, 1))
    loaded.load(target, compress=False)  # accepted for compatibility; format is detected
    assert loaded.npoints == 0
    assert loaded.loss() == float("inf")


def test_load_adds_to_existing_data(target):
    make_learner(30).save(target)
    learner = Learner1D(scalar_f, (-1, 1))
    learner.tell(0.123, scalar_f(0.123))
    learner.load(target)
    learner._check()
    assert learner.npoints == 31
    assert 0.123 in learner.data


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1, 1), min_size=0, max_size=40, unique=True),
    st.lists(st.floats(-1e6, 1e6), min_size=40, max_size=40),
    st.booleans(),
)
def test_round_trip_property(xs, ys, compress):
    learner = Learner1D(scalar_f, (-1, 1))
    learner.tell_many(xs, ys[: len(xs)])
    with tempfile.TemporaryDirectory() as folder:
        fname = os.path.join(folder, NAME)
        learner.save(fname, compress=compress)
        loaded = Learner1D(scalar_f, (-1, 1))
        loaded.load(fname)
        assert names_in(folder) == [NAME]
    loaded._check()
    assert_same_data(learner, loaded)


def test_saved_file_permissions_follow_umask_and_existing_file(target):
    # tempfile.mkstemp makes owner-only files; a save must behave like open(fname, "w")
    learner = make_learner(10)
    old = os.umask(0o027)
    try:
        learner.save(target)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    target.chmod(0o604)
    learner.save(target)  # replacing a file keeps its permissions
    assert stat.S_IMODE(target.stat().st_mode) == 0o604


# -- saving: errors, atomicity, durability -------------------------------------------------


def test_save_onto_folder_raises(tmp_path):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    learner = make_learner(10)
    with pytest.raises(IsADirectoryError, match="it is a folder; give a file name"):
        learner.save(folder)
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        learner.save(str(folder), compress=False)
    assert names_in(folder) == ["keep.txt"]
    assert names_in(tmp_path) == ["a_folder"]


class WriteFailed(Exception):
    pass


@pytest.mark.parametrize("error", [WriteFailed, KeyboardInterrupt])
def test_failed_write_keeps_old_file_and_leaves_no_temp(target, monkeypatch, error):
    old = make_learner(20)
    old.save(target)
    before = target.read_bytes()

    def half_then_fail(fileobj, **members):
        fileobj.write(b"PK\x03\x04 half an archive")
        raise error("disk on fire")

    monkeypatch.setattr(np, "savez_compressed", half_then_fail)
    with pytest.raises(error, match="disk on fire"):
        make_learner(40).save(target)
    assert target.read_bytes() == before
    assert names_in(target.parent) == [NAME]


def test_failed_fsync_keeps_old_file_and_leaves_no_temp(target, monkeypatch):
    make_learner(20).save(target)
    before = target.read_bytes()

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        make_learner(40).save(target)
    assert target.read_bytes() == before
    assert names_in(target.parent) == [NAME]


def test_save_fsyncs_the_file_then_the_folder(target, monkeypatch):
    real_fsync = os.fsync
    calls = []

    def spy(fd):
        info = os.fstat(fd)
        calls.append(
            {
                "dir": stat.S_ISDIR(info.st_mode),
                "ino": info.st_ino,
                "size": info.st_size,
                "target_exists": target.exists(),
            }
        )
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    make_learner(50).save(target)

    files = [c for c in calls if not c["dir"]]
    folders = [c for c in calls if c["dir"]]
    assert len(files) == 1 and len(folders) == 1, calls
    # the file fsynced is the very file renamed into place, complete, before the rename
    assert files[0]["ino"] == target.stat().st_ino
    assert files[0]["size"] == target.stat().st_size
    assert not files[0]["target_exists"]
    # then the folder holding it, after the rename
    assert folders[0]["ino"] == target.parent.stat().st_ino
    assert folders[0]["target_exists"]
    assert calls.index(files[0]) < calls.index(folders[0])


def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temps_of_dead_writers_are_removed_live_ones_kept(target):
    folder = target.parent
    suffix = persistence._TEMP_SUFFIX
    stale = folder / f".{NAME}.{dead_pid()}.abc123{suffix}"
    live = folder / f".{NAME}.{os.getpid()}.def456{suffix}"  # a save in progress
    other = folder / f".other.npz.{dead_pid()}.xyz789{suffix}"  # another target's temp
    for path in (stale, live, other):
        path.write_bytes(b"partial")
    make_learner(10).save(target)
    assert not stale.exists()
    assert live.exists()
    assert other.exists()


@pytest.fixture
def writer_server():
    """A process holding a 1e5-point learner that forks writers saving it in a loop."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen(
        [sys.executable, str(HELPER), str(KILL_NPOINTS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout.readline().strip() == "ready"
        yield server
    finally:
        server.stdin.close()
        server.wait(timeout=30)
        server.stdout.close()


KILL_NPOINTS = 100_000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL")
def test_killed_writer_never_leaves_a_partial_file(tmp_path, writer_server):
    """SIGKILL processes saving 1e5 points in a loop; the file is always absent or whole."""
    expected = Learner1D(np.sin, (-1.0, 1.0))
    xs = np.linspace(-1.0, 1.0, KILL_NPOINTS)
    expected.tell_many(xs.tolist(), np.sin(xs).tolist(), force=True)
    expected_table = expected.to_numpy()
    # kill within a few save durations (measured now: the machine may be busy)
    start = time.perf_counter()
    expected.save(tmp_path / "timing.npz")
    scale = 3 * (time.perf_counter() - start)
    (tmp_path / "timing.npz").unlink()
    rng = random.Random(20240607)
    outcomes = {"missing": 0, "complete": 0, "stale temp": 0}
    trial = 0
    # 15 trials; go on (up to 40) until kills have hit both a written file and a temp file
    while trial < 15 or (trial < 40 and not (outcomes["stale temp"] and outcomes["complete"])):
        trial += 1
        folder = tmp_path / f"trial{trial}"
        folder.mkdir()
        fname = folder / NAME
        writer_server.stdin.write(f"{fname}\n")
        writer_server.stdin.flush()
        pid = int(writer_server.stdout.readline())
        time.sleep(rng.uniform(0.0, scale))
        os.kill(pid, signal.SIGKILL)
        reaped = writer_server.stdout.readline().split()
        assert reaped[0] == "reaped"
        assert os.WIFSIGNALED(int(reaped[1]))  # killed mid-loop, not exited

        names = set(os.listdir(folder))
        temps = {n for n in names if n.endswith(persistence._TEMP_SUFFIX)}
        assert names - temps <= {NAME}
        outcomes["stale temp"] += bool(temps)
        if fname.exists():
            loaded = Learner1D(np.sin, (-1.0, 1.0))
            loaded.load(fname)
            assert loaded.npoints == KILL_NPOINTS
            assert np.array_equal(loaded.to_numpy(), expected_table)
            outcomes["complete"] += 1
        else:
            outcomes["missing"] += 1

        expected.save(fname, compress=False)  # removes the killed writer's temp file
        assert names_in(folder) == [NAME]
        if trial >= 5 and not outcomes["complete"]:
            scale *= 1.5  # the writer is slower than measured; give it more time
    assert outcomes["stale temp"] > 0, outcomes
    assert outcomes["complete"] > 0, outcomes


# -- loading: missing, corrupt, foreign files ---------------------------------------------


def test_missing_file_warns_and_changes_nothing(tmp_path):
    learner = make_learner(20)
    before = snapshot(learner)
    with pytest.warns(MissingFileWarning, match="does not exist; nothing was loaded"):
        learner.load(tmp_path / "nope" / NAME)
    with pytest.warns(MissingFileWarning, match="does not exist"):
        learner.load(str(tmp_path / NAME), allow_pickle=True)
    assert snapshot(learner) == before
    assert names_in(tmp_path) == []


def test_load_from_a_folder_raises(tmp_path):
    learner = make_learner(20)
    before = snapshot(learner)
    with pytest.raises(IsADirectoryError, match="Is a directory"):
        learner.load(tmp_path)
    assert snapshot(learner) == before


def _damage(blob, kind):
    if kind == "empty":
        return b""
    if kind.startswith("truncated"):
        percent = int(kind.removeprefix("truncated"))
        return blob[: len(blob) * percent // 100]
    if kind == "garbage":
        return b"G" + random.Random(1).randbytes(5000)
    if kind == "text":
        return b"this is a text file, not a learner\n" * 50
    raise AssertionError(kind)


DAMAGE = ["empty", "truncated1", "truncated50", "truncated99", "garbage", "text"]
MESSAGE = {
    ("empty", False): "is empty; it holds no saved learner",
    ("empty", True): "is empty; it holds no saved learner",
    ("garbage", False): "is not a file saved by adaptive_nb or adaptive",
    ("text", False): "is not a file saved by adaptive_nb or adaptive",
}


@pytest.mark.parametrize("allow_pickle", [False, True], ids=["safe", "allow_pickle"])
@pytest.mark.parametrize("compress", [True, False], ids=["compressed", "stored"])
@pytest.mark.parametrize("kind", DAMAGE)
def test_corrupt_file_raises_and_changes_nothing(target, kind, compress, allow_pickle):
    make_learner(2000, pending=False).save(target, compress=compress)
    target.write_bytes(_damage(target.read_bytes(), kind))
    damaged = target.read_bytes()
    learner = make_learner(20)
    before = snapshot(learner)
    key = (kind, allow_pickle)
    match = MESSAGE.get(key, r"is damaged \(truncated or corrupted\) and cannot be read")
    with pytest.raises(CorruptFileError, match=match):
        learner.load(target, allow_pickle=allow_pickle)
    assert snapshot(learner) == before
    learner._check()
    assert target.read_bytes() == damaged  # load never touches the file


@pytest.mark.parametrize("allow_pickle", [False, True], ids=["safe", "allow_pickle"])
@pytest.mark.parametrize("compress", [True, False], ids=["compressed", "stored"])
def test_random_byte_damage_loads_whole_or_raises_documented_error(target, compress, allow_pickle):
    """Bytes overwritten anywhere: the load adds the original data or raises CorruptFileError.

    (This found zlib.error, NotImplementedError and RuntimeError escaping from damaged archives.)
    """
    original = make_learner(200, pending=False)
    original.save(target, compress=compress)
    blob = target.read_bytes()
    rng = np.random.default_rng(7 + compress + 2 * allow_pickle)
    errors = 0
    for _ in range(250):
        damaged = bytearray(blob)
        for _ in range(rng.integers(1, 4)):
            damaged[rng.integers(0, len(damaged))] = rng.integers(0, 256)
        target.write_bytes(bytes(damaged))
        learner = make_learner(20)
        before = snapshot(learner)
        try:
            learner.load(target, allow_pickle=allow_pickle)
        except SaveFileError as exc:
            errors += 1
            assert isinstance(exc, CorruptFileError | PickleNotAllowedError), exc
            assert re.search(r"damaged|not a file saved|not written by|pickle", str(exc))
            assert snapshot(learner) == before
        else:  # the damage hit bytes that do not matter (zip timestamps, ...)
            merged = make_learner(20)
            merged.copy_from(original)
            assert snapshot(learner) == snapshot(merged)
    assert errors > 200


def test_other_learner_type_is_refused(target):
    make_learner(30, cls=OtherLearner1D).save(target)
    learner = make_learner(20)
    before = snapshot(learner)
    with pytest.raises(
        IncompatibleFileError,
        match="holds a 'OtherLearner1D' learner, not a 'Learner1D'; nothing was loaded",
    ):
        learner.load(target)
    with pytest.raises(IncompatibleFileError, match="'OtherLearner1D' learner"):
        learner.load(target, allow_pickle=True)
    assert snapshot(learner) == before

    make_learner(30).save(target)
    other = make_learner(20, cls=OtherLearner1D)
    before = snapshot(other)
    with pytest.raises(IncompatibleFileError, match="holds a 'Learner1D' learner"):
        other.load(target)
    assert snapshot(other) == before


def test_newer_format_version_is_refused(target):
    arrays = make_learner(30, pending=False)._to_arrays()
    write_npz(target, good_header(version=persistence.FORMAT_VERSION + 1), arrays)
    learner = make_learner(20)
    before = snapshot(learner)
    with pytest.raises(IncompatibleFileError, match="uses save format version 2, newer than"):
        learner.load(target)
    assert snapshot(learner) == before


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (good_header(version="1"), "format version '1' is not a positive integer"),
        (good_header(version=True), "format version True is not a positive integer"),
        (good_header(version=0), "format version 0 is not a positive integer"),
        ({"format": "adaptive_nb", "learner": "Learner1D"}, "format version None"),
        (good_header(format="someone-else"), "was not written by adaptive_nb"),
        ([1, 2, 3], "was not written by adaptive_nb"),
        (b"\xff\xfe not json", "has a damaged header"),
        (b"{truncated json", "has a damaged header"),
    ],
    ids=["str", "bool", "zero", "missing", "format", "list", "utf8", "json"],
)
def test_bad_header_is_corrupt(target, header, match):
    write_npz(target, header, make_learner(30, pending=False)._to_arrays())
    learner = make_learner(20)
    before = snapshot(learner)
    with pytest.raises(CorruptFileError, match=match):
        learner.load(target)
    assert snapshot(learner) == before


def test_header_lists_the_members_and_a_missing_member_is_corrupt(target):
    arrays = make_learner(30, pending=False)._to_arrays()
    learner = make_learner(20)
    before = snapshot(learner)
    # a damaged zip directory can hide members; the header's list of members catches that
    write_npz(target, good_header(members=["loss_yrange", "losses", "x", "y"]), {"x": arrays["x"]})
    with pytest.raises(
        CorruptFileError,
        match=r"header lists the arrays \['loss_yrange', 'losses', 'x', 'y'\] but it",
    ):
        learner.load(target)
    write_npz(target, good_header(members="x y"), arrays)
    with pytest.raises(CorruptFileError, match="'members' is not a list of names"):
        learner.load(target)
    assert snapshot(learner) == before
    # a header without "members" (first files of format version 1) still loads
    write_npz(target, good_header(), arrays)
    learner.load(target)
    assert set(learner.data) == {x for x, _ in before[1]} | set(arrays["x"])


@pytest.mark.parametrize("kind", ["npz", "zip"])
def test_archive_without_our_header_is_corrupt(target, kind):
    if kind == "npz":
        np.savez(target, x=np.linspace(-1, 1, 5), y=np.zeros(5))
    else:
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr("readme.txt", "a zip file, not a learner")
    learner = make_learner(20)
    before = snapshot(learner)
    with pytest.raises(CorruptFileError, match="was not written by adaptive_nb \\(no header\\)"):
        learner.load(target)
    with pytest.raises(CorruptFileError, match="no header"):
        learner.load(target, allow_pickle=True)
    assert snapshot(learner) == before


def test_points_outside_bounds_are_refused(target):
    make_learner(40, bounds=(-2.0, 2.0), pending=False).save(target)
    learner = make_learner(20)  # bounds (-1, 1)
    before = snapshot(learner)
    with pytest.raises(IncompatibleFileError, match=r"is outside the bounds .*nothing was loaded"):
        learner.load(target)
    assert snapshot(learner) == before
    learner._check()


def test_output_shape_mismatch_is_refused(target):
    make_learner(40, vector=True, pending=False).save(target)
    learner = make_learner(20)  # scalar outputs
    before = snapshot(learner)
    with pytest.raises(IncompatibleFileError, match="every value must have the same shape"):
        learner.load(target)
    assert snapshot(learner) == before


@pytest.mark.parametrize(
    "arrays",
    [
        {"x": np.linspace(-1, 1, 5)},
        {"x": np.linspace(-1, 1, 5), "y": np.zeros(4)},
        {"x": np.zeros((5, 2)), "y": np.zeros(5)},
        {"x": np.array(["a", "b"]), "y": np.zeros(2)},
        {"x": np.array([0.0, np.nan]), "y": np.zeros(2)},
    ],
    ids=["no-y", "lengths", "x-2d", "strings", "nan"],
)
def test_wrong_arrays_are_refused(target, arrays):
    write_npz(target, good_header(), arrays)
    learner = make_learner(20)
    before = snapshot(learner)
    with pytest.raises(IncompatibleFileError, match="does not fit this Learner1D"):
        learner.load(target)
    assert snapshot(learner) == before


# -- pickle: only with allow_pickle=True ---------------------------------------------------


def test_pickled_data_needs_allow_pickle(target):
    tagged = make_learner(30, cls=TaggedLearner1D, pending=False)
    tagged.save(target)
    with np.load(target, allow_pickle=False) as archive:
        assert json.loads(archive["__header__"].tobytes().decode())["pickled"] is True
    learner = make_learner(10, cls=TaggedLearner1D)
    before = snapshot(learner)
    with pytest.raises(PickleNotAllowedError, match="pass allow_pickle=True only if you trust"):
        learner.load(target)
    assert snapshot(learner) == before
    assert learner.tags is None

    loaded = TaggedLearner1D(scalar_f, (-1, 1))
    loaded.load(target, allow_pickle=True)
    assert_same_data(tagged, loaded)
    assert loaded.tags == [{"run": 1, "note": "object data"}]


@pytest.fixture(scope="module")
def adaptive_files(tmp_path_factory):
    """Files written by python-adaptive 1.5.2 itself (gzip+cloudpickle, or raw cloudpickle)."""
    adaptive = pytest.importorskip("adaptive")
    folder = tmp_path_factory.mktemp("adaptive")
    files = {}
    for vector in (False, True):
        learner = adaptive.Learner1D(vector_f if vector else scalar_f, (-1, 1))
        adaptive.runner.simple(learner, npoints_goal=50)
        for compress in (True, False):
            fname = folder / f"adaptive-{vector}-{compress}.pickle"
            learner.save(str(fname), compress=compress)
            files[vector, compress] = (fname, learner)
    return files


@pytest.mark.parametrize("vector", [False, True], ids=["scalar", "vector"])
@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "raw"])
def test_adaptive_files_load_only_with_allow_pickle(adaptive_files, vector, compress):
    fname, original = adaptive_files[vector, compress]
    assert fname.read_bytes()[:2] == (b"\x1f\x8b" if compress else b"\x80\x05")
    learner = make_learner(10, vector=vector)
    before = snapshot(learner)
    with pytest.raises(PickleNotAllowedError, match="is a pickle file \\(perhaps saved by"):
        learner.load(fname)
    assert snapshot(learner) == before

    loaded = Learner1D(original.function, (-1, 1))
    loaded.load(fname, allow_pickle=True)
    loaded._check()
    assert loaded.npoints == original.npoints == 50
    assert sorted(loaded.data) == sorted(original.data)
    for x, y in original.data.items():
        assert np.array_equal(loaded.data[x], y)
    assert loaded.loss() < float("inf")


def test_truncated_adaptive_file_with_allow_pickle_is_corrupt(adaptive_files, tmp_path):
    for compress in (True, False):
        fname, _ = adaptive_files[False, compress]
        blob = fname.read_bytes()
        for percent in (1, 50, 99):
            damaged = tmp_path / f"damaged-{compress}-{percent}.pickle"
            damaged.write_bytes(blob[: len(blob) * percent // 100])
            learner = make_learner(10)
            before = snapshot(learner)
            with pytest.raises(CorruptFileError, match="is damaged \\(truncated or corrupted\\)"):
                learner.load(damaged, allow_pickle=True)
            assert snapshot(learner) == before


class OpensMarker:
    """Unpickling this creates the marker file (via open(marker, 'w'))."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


class TouchesMarker:
    """Unpickling this runs a shell command that creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {shlex.quote(self.marker)}",))


def _malicious_file(path, evil, packaging):
    if packaging == "pickle":
        path.write_bytes(pickle.dumps(evil))
    elif packaging == "pickle-protocol0":
        path.write_bytes(pickle.dumps(evil, protocol=0))
    elif packaging == "gzip":
        path.write_bytes(gzip.compress(pickle.dumps(evil)))
    elif packaging == "npz-honest-header":
        write_npz(path, good_header(pickled=True), {"x": np.array([evil], dtype=object)})
    elif packaging == "npz-lying-header":
        write_npz(path, good_header(pickled=False), {"x": np.array([evil], dtype=object)})
    else:
        raise AssertionError(packaging)


def _run_payload(path, packaging):
    """Unpickle the file as a careless reader would (proves the payload is live)."""
    blob = path.read_bytes()
    if packaging.startswith("npz"):
        with np.load(io.BytesIO(blob), allow_pickle=True) as archive:
            result = archive["x"][0]
    else:
        result = pickle.loads(gzip.decompress(blob) if packaging == "gzip" else blob)
    if hasattr(result, "close"):
        result.close()


@pytest.mark.parametrize("evil_cls", [OpensMarker, TouchesMarker], ids=["open", "os.system"])
@pytest.mark.parametrize(
    ("packaging", "error", "match"),
    [
        ("pickle", PickleNotAllowedError, "is a pickle file"),
        ("pickle-protocol0", CorruptFileError, "is not a file saved by adaptive_nb"),
        ("gzip", PickleNotAllowedError, "is a pickle file"),
        ("npz-honest-header", PickleNotAllowedError, "holds pickled Python objects"),
        ("npz-lying-header", CorruptFileError, "Object arrays cannot be loaded"),
    ],
)
def test_malicious_pickle_does_not_run_without_allow_pickle(
    tmp_path, evil_cls, packaging, error, match
):
    marker = tmp_path / "marker"
    fname = tmp_path / "evil.bin"
    _malicious_file(fname, evil_cls(marker), packaging)
    learner = make_learner(20)
    before = snapshot(learner)
    with pytest.raises(error, match=match):
        learner.load(fname)
    assert not marker.exists()
    assert snapshot(learner) == before

    _run_payload(fname, packaging)  # the same bytes do run code when unpickled
    assert marker.exists()


@pytest.mark.parametrize(
    "payload",
    [
        [1.0, 2.0, 3.0],
        None,
        42,
        "a string",
        {"x": 1.0},
        {0.5: 1.0, 3.0: 2.0},  # 3.0 is outside the bounds
        {0.5: 1.0, 0.6: None},
        {0.5: 1.0, 0.6: [1.0, 2.0]},  # shapes differ
    ],
    ids=["list", "None", "int", "str", "str-key", "out-of-bounds", "None-value", "shapes"],
)
@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "raw"])
def test_unpickled_garbage_is_incompatible_and_changes_nothing(tmp_path, payload, compress):
    fname = tmp_path / "garbage.pickle"
    blob = pickle.dumps(payload)
    fname.write_bytes(gzip.compress(blob) if compress else blob)
    learner = make_learner(20)
    before = snapshot(learner)
    with pytest.raises(IncompatibleFileError, match=r"does not fit this Learner1D.*nothing was"):
        learner.load(fname, allow_pickle=True)
    assert snapshot(learner) == before
    learner._check()


# -- speed ----------------------------------------------------------------------------------


def test_load_1e5_points_is_fast_and_exact(target):
    rng = np.random.default_rng(3)
    xs = np.concatenate([[-1.0, 1.0], rng.uniform(-1, 1, 100_000 - 2)])
    original = Learner1D(scalar_f, (-1, 1))
    original.tell_many(xs.tolist(), scalar_f(xs).tolist())
    assert original.npoints == 100_000
    original.save(target)

    loaded = Learner1D(scalar_f, (-1, 1))
    start = time.perf_counter()
    loaded.load(target)
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"loading 1e5 points took {elapsed:.2f} s"
    assert loaded.npoints == 100_000
    assert loaded.loss() == original.loss()
    assert loaded.ask(5, tell_pending=False) == original.ask(5, tell_pending=False)
