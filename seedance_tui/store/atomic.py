"""The store's file primitives: crash-safe replacement (a reader sees the old complete file or the new
one, never a mix), fingerprints that tell versions of a file apart, and reads of a byte range."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from seedance_tui.store.errors import StoreError

#: What identifies one version of a file: device, inode, size, modification time.
Fingerprint = tuple[int, int, int, int]


def fingerprint(st: os.stat_result) -> Fingerprint:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def fingerprint_of(path: Path) -> Fingerprint | None:
    """The fingerprint of the file at ``path`` now (None when there is none)."""
    try:
        return fingerprint(os.stat(path))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"Cannot look at the job store {path}: {exc.strerror}.") from None


def read_range(fd: int, offset: int, end: int | None = None) -> bytes:
    """The bytes of ``fd`` from ``offset`` to ``end`` (or to its end)."""
    with open(fd, "rb", closefd=False) as file:
        file.seek(offset)
        return file.read() if end is None else file.read(max(0, end - offset))


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


_TEMP_SUFFIX = ".tmp"


def write_atomic(path: Path, data: bytes) -> int:
    """Replace ``path`` with ``data`` durably (mode 0600); return an open fd of the new file.

    The fd pins the new inode so its number cannot be reused while we remember it.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=_TEMP_SUFFIX)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.replace(tmp, path)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    try:
        fsync_dir(path.parent)
    except BaseException:
        os.close(fd)
        raise
    return fd


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(path: Path) -> int:
    """Delete temp files a killed writer left next to ``path``; call only while holding its lock."""
    removed = 0
    for leftover in path.parent.glob(f"{_temp_prefix(path)}*{_TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):  # one that cannot be removed is only clutter
            leftover.unlink()
            removed += 1
    return removed
