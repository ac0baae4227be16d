"""The store boundary: what the service, the CLI and ``store copy`` need from any job store backend.

Both backends keep the jobs needed to paint (unfinished and recent ones) in memory and write
changes in batches; the rest is their ``history()``, read a page at a time. Their methods block, so
the service calls the ones that do I/O (``add``, ``flush``, ``refresh``, the history's) from a
worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from seedance_tui.models import Job
from seedance_tui.store.history import History
from seedance_tui.store.merge import Document
from seedance_tui.store.notices import StoreNotice

#: Called (from any thread) when another process has announced a change; it must not block.
ChangeListener = Callable[[], None]


class Store(Protocol):
    """A durable job store shared safely between threads and processes (see ``JobStore``)."""

    #: Records this version cannot read; kept in the store untouched.
    skipped_documents: int

    @property
    def notices(self) -> list[StoreNotice]:
        """What was read around or set aside while opening or reading (never silent)."""
        ...

    @property
    def jobs_may_be_missing(self) -> bool:
        """True when a notice means some jobs may be missing from view."""
        ...

    @property
    def location(self) -> str:
        """Where the store is, safe to show (a password in a URL is masked)."""
        ...

    def __len__(self) -> int: ...

    def all(self) -> list[Job]:
        """Every job held in memory (live objects), newest created first; see ``history``."""
        ...

    def held_ids(self) -> set[str]:
        """The local ids of the jobs ``all`` returns."""
        ...

    def history(self) -> History:
        """The jobs not held in memory, read in pages or looked up as asked (blocking I/O)."""
        ...

    def get(self, local_id: str) -> Job | None: ...

    def find(self, ref: str) -> Job | None:
        """The held job whose local id or request id is ``ref``, else the only one starting with it."""
        ...

    def add(self, job: Job) -> None:
        """Store a new job durably before returning; StoreError means it must not be sent."""
        ...

    def update(self, job: Job) -> None:
        """Snapshot a changed job for the next flush."""
        ...

    @property
    def has_unsaved(self) -> bool: ...

    def flush(self) -> int:
        """Write the changed jobs, merged with what others wrote; return how many were written."""
        ...

    def refresh(self) -> list[Job]:
        """Jobs added or changed by other processes since the last call."""
        ...

    def add_change_listener(self, listener: ChangeListener) -> None:
        """Be told as soon as another process announces a change (``refresh`` then fetches it)."""
        ...

    def remove_change_listener(self, listener: ChangeListener) -> None: ...

    def documents(self) -> list[Document]:
        """The held jobs' documents as stored, unknown fields included (with ``history().documents()``,
        every job: ``history.every_document``, for ``store copy``)."""
        ...

    def put_documents(self, docs: Iterable[Document]) -> int:
        """Merge raw documents in (by the usual merge rule) and write them; return how many changed."""
        ...

    def close(self) -> None:
        """Flush and release the store; a failed flush raises and leaves it open."""
        ...
