"""Opening a store file safely: its cross-process lock, its real path, and parsing its documents."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from seedance_tui.models import Job
from seedance_tui.store.errors import StoreError

#: How long to wait for another process to finish writing before giving up (seconds).
LOCK_TIMEOUT = 10.0


@contextlib.contextmanager
def locked(lock: FileLock, path: Path) -> Iterator[None]:
    """Hold the cross-process lock of ``path``, turning lock failures into StoreError."""
    try:
        lock.acquire()
    except Timeout:
        raise StoreError(
            f"The job store {path} is busy: another process has held its lock {lock.lock_file} "
            f"for more than {LOCK_TIMEOUT:.0f} s. Close the other seedance-tui and try again."
        ) from None
    except OSError as exc:
        raise StoreError(f"Cannot lock the job store {path} ({lock.lock_file}): {exc.strerror}.") from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while a load builds ~10^5 containers: its passes cost a quarter of the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_job(doc: Any) -> Job | None:
    """The Job in a stored document, or None when this version cannot read it."""
    try:
        job = Job.from_dict(doc)
    except (TypeError, ValueError, AttributeError, KeyError):
        return None
    if not isinstance(job.local_id, str) or not job.local_id or not isinstance(job.status, str):
        return None
    return job


def store_path(path: Path) -> Path:
    """The file a store path names, resolved once: saves replace the file, so a symlink must be
    followed here, or the first save would replace the link itself and the real file go stale."""
    path = Path(path).expanduser()
    return path.resolve() if path.is_symlink() else path
