"""Archiving at start-up: a look for old finished jobs, the archive's code loaded only when some are due.

The dashboard runs this before every start; with nothing to move (the usual case) the archive's
module is not imported (about 1 ms of start-up, issue 15).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from seedance_tui.models import is_final
from seedance_tui.store.backend import Store
from seedance_tui.store.job_store import JobStore
from seedance_tui.store.merge import Document

if TYPE_CHECKING:
    from seedance_tui.store.archive import ArchiveResult


def due_for_archive(doc: Document, cutoff: float) -> bool:
    """A finished job last changed before ``cutoff``."""
    status, updated = doc.get("status"), doc.get("updated_at")
    return (
        isinstance(status, str) and is_final(status) and isinstance(updated, int | float) and updated < cutoff
    )


def archive_at_start(store: Store, older_than_days: float, now: float | None = None) -> ArchiveResult | None:
    """Move old finished jobs out of a file store before the dashboard loads it (None: nothing to do).

    The first time (no archive index yet) the store file is copied aside first, as
    ``<name>.pre-archive-<YYYYmmdd-HHMMSS>``, never overwriting: the upgrade keeps a backup.
    """
    if older_than_days <= 0 or not isinstance(store, JobStore):
        return None
    cutoff = (time.time() if now is None else now) - older_than_days * 86_400
    if not any(due_for_archive(doc, cutoff) for doc in store.documents()):
        return None
    from seedance_tui.store.archive import archive_finished, backup_store_file, index_path  # jobs are due

    if not index_path(store.path).exists():
        store.compact()  # the backup then holds every job in one file
        backup_store_file(store.path)
    return archive_finished(store, older_than_days * 86_400, now)
