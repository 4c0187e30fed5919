"""Saving and loading learners: a data-only format, atomic and durable writes, loud loads.

The format
----------
A file is a numpy ``.npz`` archive (a zip of ``.npy`` arrays), compressed or not. The member
``__header__`` holds UTF-8 JSON::

    {"format": "adaptive_nb", "version": 1, "learner": "Learner1D", "pickled": false,
     "members": ["x", "y"]}

and the other members are the arrays from the learner's ``_to_arrays()``, whose names the
header lists (the zip directory has no checksum, so a damaged directory could otherwise hide
members; files without ``"members"`` skip this check). Reading it with
``numpy.load(allow_pickle=False)`` cannot run code. Only data that has no array form (Python
objects) is stored pickled, and then ``"pickled": true`` and loading needs ``allow_pickle=True``.

Writes go to a temporary file in the same folder, are flushed and fsynced, renamed over the
target, and the folder is fsynced: a reader sees the old file or the new one, never a mix,
and a crash leaves no half-written target. Temporary files left by a killed writer are
removed by the next save to the same name.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import stat
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import (
    CorruptFileError,
    IncompatibleFileError,
    MissingFileWarning,
    PickleNotAllowedError,
    SaveFileError,
)

if TYPE_CHECKING:
    from .learner.base_learner import BaseLearner

__all__ = ["FORMAT_VERSION", "load_learner", "read_arrays", "save_learner", "write_atomic"]

FORMAT_VERSION = 1
_HEADER = "__header__"
_TEMP_SUFFIX = ".adaptive_nb-tmp"
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


def _temp_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.[^.]+{re.escape(_TEMP_SUFFIX)}$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temps(target: Path) -> None:
    """Remove temporary files of earlier saves to ``target`` whose writer has died."""
    pattern = _temp_pattern(target)
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            match = pattern.match(entry.name)
            if match and not _pid_alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot open folders
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    """The process umask, read without changing it where the system allows."""
    with (
        contextlib.suppress(OSError, ValueError),
        open("/proc/self/status", encoding="ascii", errors="replace") as status,
    ):
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # no /proc: the only portable way is to set it and put it back
    os.umask(mask)
    return mask


def _file_mode(target: Path) -> int:
    """The permissions a saved file gets: those of the file it replaces, else ``0o666 & ~umask``.

    ``tempfile.mkstemp`` creates files readable by their owner only; without this a save would
    silently make the file private, unlike a plain ``open(fname, "w")``.
    """
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def write_atomic(fname: str | os.PathLike[str], write: Any) -> None:
    """Call ``write(fileobj)`` on a temporary file, then move it to ``fname`` atomically.

    The file and its folder are fsynced. On any error the temporary file is removed and
    the error raised; ``fname`` is left as it was.
    """
    target = Path(os.path.expanduser(os.fspath(fname))).absolute()
    if target.is_dir():
        msg = f"cannot save to {os.fspath(fname)!r}: it is a folder; give a file name"
        raise IsADirectoryError(msg)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target)
    fd, temp = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=_TEMP_SUFFIX, dir=target.parent
    )
    try:
        with contextlib.suppress(OSError):  # e.g. file systems without permissions
            os.fchmod(fd, _file_mode(target))
        with os.fdopen(fd, "wb") as fileobj:
            write(fileobj)
            fileobj.flush()
            os.fsync(fileobj.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(target.parent)


def save_learner(
    learner: BaseLearner, fname: str | os.PathLike[str], compress: bool = True
) -> None:
    """Write ``learner``'s data to ``fname`` (see the module docstring for the format)."""
    snapshot_writer(learner, fname, compress)()


def snapshot_writer(
    learner: BaseLearner, fname: str | os.PathLike[str], compress: bool = True
) -> Callable[[], None]:
    """Copy ``learner``'s data now; return a function that writes it to ``fname``.

    The function may run in another thread while the learner goes on changing (periodic
    saving compresses and writes off the event loop this way).
    """
    arrays = learner._to_arrays()
    pickled = any(np.asarray(a).dtype.hasobject for a in arrays.values())
    header = {
        "format": "adaptive_nb",
        "version": FORMAT_VERSION,
        "learner": type(learner).__name__,
        "pickled": pickled,
        "members": sorted(arrays),
    }
    members = {_HEADER: np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)}
    members.update(arrays)
    savez = np.savez_compressed if compress else np.savez
    return lambda: write_atomic(fname, lambda fileobj: savez(fileobj, **members))


def read_arrays(fname: str | os.PathLike[str], *, allow_pickle: bool = False) -> tuple[dict, dict]:
    """Read a file written by :func:`save_learner`; return ``(header, arrays)``.

    Raises :class:`CorruptFileError` for anything that is not a complete, valid file,
    and :class:`PickleNotAllowedError` for pickled data without ``allow_pickle``.
    """
    path = os.fspath(fname)
    with open(path, "rb") as fileobj:
        blob = fileobj.read()
    if not blob:
        msg = f"{path!r} is empty; it holds no saved learner"
        raise CorruptFileError(msg)
    if not blob.startswith(_ZIP_MAGIC):
        raise _foreign_file_error(path, blob)
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            header = _parse_header(path, archive)
            if header["pickled"] and not allow_pickle:
                msg = (
                    f"{path!r} holds pickled Python objects, and unpickling can run arbitrary "
                    "code; pass allow_pickle=True only if you trust the file"
                )
                raise PickleNotAllowedError(msg)
        with np.load(io.BytesIO(blob), allow_pickle=allow_pickle) as archive:
            names = sorted(name for name in archive.files if name != _HEADER)
            if "members" in header and names != sorted(header["members"]):
                msg = (
                    f"{path!r} is damaged (truncated or corrupted): its header lists the arrays "
                    f"{sorted(header['members'])} but it holds {names}"
                )
                raise CorruptFileError(msg)
            arrays = {name: archive[name] for name in names}
    except (SaveFileError, MemoryError):
        raise
    except Exception as exc:
        # A damaged archive fails in many ways: zipfile.BadZipFile, zlib.error,
        # NotImplementedError ("zip file version"), RuntimeError ("encrypted"), ValueError...
        msg = f"{path!r} is damaged (truncated or corrupted) and cannot be read: {exc!r}"
        raise CorruptFileError(msg) from exc
    return header, arrays


def _parse_header(path: str, archive: Any) -> dict[str, Any]:
    if _HEADER not in archive.files:
        msg = f"{path!r} is a numpy archive but was not written by adaptive_nb (no header)"
        raise CorruptFileError(msg)
    try:
        header = json.loads(archive[_HEADER].tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"{path!r} has a damaged header"
        raise CorruptFileError(msg) from exc
    if not isinstance(header, dict) or header.get("format") != "adaptive_nb":
        msg = f"{path!r} was not written by adaptive_nb"
        raise CorruptFileError(msg)
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        msg = f"{path!r} has a damaged header: format version {version!r} is not a positive integer"
        raise CorruptFileError(msg)
    if version > FORMAT_VERSION:
        msg = (
            f"{path!r} uses save format version {version!r}, newer than this adaptive_nb "
            f"reads ({FORMAT_VERSION}); upgrade adaptive_nb to load it"
        )
        raise IncompatibleFileError(msg)
    members = header.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        msg = f"{path!r} has a damaged header: 'members' is not a list of names"
        raise CorruptFileError(msg)
    header.setdefault("pickled", False)
    return header


def _foreign_file_error(path: str, blob: bytes) -> Exception:
    if blob.startswith(_GZIP_MAGIC) or blob[:1] == b"\x80":
        msg = (
            f"{path!r} is a pickle file (perhaps saved by python-adaptive); unpickling can "
            "run arbitrary code, so pass allow_pickle=True only if you trust the file"
        )
        return PickleNotAllowedError(msg)
    msg = f"{path!r} is not a file saved by adaptive_nb or adaptive"
    return CorruptFileError(msg)


def _read_legacy_pickle(path: str, blob: bytes) -> Any:
    """Read a python-adaptive save file (gzip or raw cloudpickle of ``_get_data()``)."""
    import cloudpickle

    try:
        raw = gzip.decompress(blob) if blob.startswith(_GZIP_MAGIC) else blob
        return cloudpickle.loads(raw)
    except MemoryError:
        raise
    except Exception as exc:
        # Damaged gzip or pickle data fails in many ways: EOFError, zlib.error,
        # pickle.UnpicklingError, but also TypeError, AttributeError, OverflowError...
        msg = f"{path!r} is damaged (truncated or corrupted) and cannot be read: {exc!r}"
        raise CorruptFileError(msg) from exc


def load_learner(
    learner: BaseLearner, fname: str | os.PathLike[str], *, allow_pickle: bool = False
) -> None:
    """Add the data in ``fname`` to ``learner``; see :meth:`BaseLearner.load`."""
    path = os.path.expanduser(os.fspath(fname))
    if not os.path.exists(path):
        warnings.warn(
            f"{path!r} does not exist; nothing was loaded and the learner is unchanged",
            MissingFileWarning,
            stacklevel=3,
        )
        return
    with open(path, "rb") as fileobj:
        head = fileobj.read(4)
    if allow_pickle and not head.startswith(_ZIP_MAGIC) and head:
        with open(path, "rb") as fileobj:
            payload = _read_legacy_pickle(path, fileobj.read())
        _apply(learner, path, lambda: learner._set_data(payload))
        return
    header, arrays = read_arrays(path, allow_pickle=allow_pickle)
    kind = type(learner).__name__
    if header.get("learner") != kind:
        msg = (
            f"{path!r} holds a {header.get('learner')!r} learner, not a {kind!r}; "
            "nothing was loaded"
        )
        raise IncompatibleFileError(msg)
    _apply(learner, path, lambda: learner._from_arrays(arrays))


def _apply(learner: BaseLearner, path: str, add: Any) -> None:
    """Run ``add`` (which checks before changing anything), naming the file on failure."""
    try:
        add()
    except (ValueError, TypeError) as exc:
        kind = type(learner).__name__
        msg = f"the data in {path!r} does not fit this {kind}: {exc}; nothing was loaded"
        raise IncompatibleFileError(msg) from exc
