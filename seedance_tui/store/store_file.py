"""The store file as bytes and file descriptors: tinydb's layout checked as it is read, files opened
for reading (the journal read-write where allowed), and why a write failed, in words."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import orjson

from seedance_tui.store.errors import StoreCorruptError, StoreError


def why_not_written(exc: OSError) -> str:
    """The reason a write failed, in words: a read-only or immutable file shows up as EINVAL or EPERM."""
    if exc.errno in (errno.EINVAL, errno.EBADF, errno.EPERM, errno.EACCES, errno.EROFS):
        return (
            f"{exc.strerror} (the file or its folder is read-only or immutable: check its permissions, "
            "`lsattr` and whether the filesystem is mounted read-only)"
        )
    if exc.errno == errno.ENOSPC:
        return f"{exc.strerror} (the disk is full)"
    return exc.strerror or str(exc)


def parse_database(raw: bytes, path: Path) -> dict[str, Any]:
    """Decode tinydb's layout ``{table: {doc_id: document}}``; raise StoreCorruptError naming the fault."""
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreCorruptError(path, f"it is not valid JSON ({exc}; the file is {len(raw)} bytes)") from None
    if not isinstance(data, dict):
        raise StoreCorruptError(path, f"expected a JSON object of tables, found {type(data).__name__}")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise StoreCorruptError(path, f"table {name!r} should be an object, found {type(table).__name__}")
        for key in table:
            if not (key.isascii() and key.isdigit()):
                raise StoreCorruptError(path, f"table {name!r} has a non-numeric document id {key!r}")
    return data


def open_for_reading(path: Path, *, appendable: bool = False) -> int | None:
    """An fd on ``path`` (None when there is no file); ``appendable`` asks read-write where allowed."""
    try:
        if appendable:
            # Read-write, as appends reuse it; read-only stores can still be read.
            try:
                return os.open(path, os.O_RDWR)
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise
        return os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except PermissionError:
        raise StoreError(
            f"Cannot read the job store {path}: permission denied. "
            f"Make it readable and writable by you (chmod 600 {path})."
        ) from None
    except OSError as exc:
        raise StoreError(f"Cannot open the job store {path}: {exc.strerror}.") from None


def close_all(*fds: int | None) -> None:
    """Close each fd that was opened (None stands for a file that was not there)."""
    for fd in fds:
        if fd is not None:
            os.close(fd)
