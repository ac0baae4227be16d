"""The job store: every Job the user submitted, held in memory and saved durably to one tinydb file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from filelock import FileLock
from tinydb import TinyDB

from seedance_tui.models import Job
from seedance_tui.store.atomic import remove_stale_temps
from seedance_tui.store.backend import ChangeListener
from seedance_tui.store.cached import CachedJobs
from seedance_tui.store.errors import BatchKeyTaken, StoreError
from seedance_tui.store.file_access import LOCK_TIMEOUT, gc_paused, locked, parse_job, store_path
from seedance_tui.store.merge import Document, merge_docs
from seedance_tui.store.notices import StoreNotice
from seedance_tui.store.quarantine import quarantine_file
from seedance_tui.store.storage import BufferedOrjsonStorage

if TYPE_CHECKING:
    from seedance_tui.store.archive_history import ArchiveHistory

JOBS_TABLE = "jobs"
__all__ = ["JOBS_TABLE", "LOCK_TIMEOUT", "JobStore", "store_path"]


class JobStore(CachedJobs):
    """Every job, newest first, shared safely between threads and between processes.

    Jobs handed out (``get``, ``all``, ``find``, ``refresh``) are the live cached objects, not copies:
    mutate one from one thread, then call ``update(job)``, which snapshots it for the next ``flush``.
    The store never mutates a Job itself; when a newer version from another process is merged in,
    the cached object is replaced by a new one, which ``refresh`` returns.
    """

    def __init__(self, path: Path, db: TinyDB, file_lock: FileLock) -> None:
        """Use ``JobStore.open``; this only wires up already opened parts."""
        super().__init__()
        self.path = path
        self._db = db
        self._storage = cast(BufferedOrjsonStorage, db.storage)
        self._file_lock = file_lock
        # Where each readable job lives in the tinydb table (touched only under _io_lock).
        self._doc_ids: dict[str, int] = {}
        self._doc_owner: dict[int, str] = {}
        self._skipped_keys: set[str] = set()
        self._next_doc_id = 1

    @classmethod
    def open(cls, path: Path) -> JobStore:
        """Load the store at ``path``, creating its folder and an empty store when missing."""
        path = store_path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"Cannot create the job store's folder {path.parent}: {exc.strerror}.") from None
        file_lock = FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT, mode=0o600)
        with locked(file_lock, path):
            remove_stale_temps(path)
            with gc_paused():
                store = cls(path, TinyDB(path, storage=BufferedOrjsonStorage), file_lock)
                store._absorb(previous={}, report=False)
            if not store._storage.on_disk:
                store._storage.write({JOBS_TABLE: {}})
                try:
                    store._storage.commit()
                except StoreError:
                    store._db.close()
                    raise
        return store

    @staticmethod
    def quarantine(path: Path, damaged: Path | None = None) -> Path:
        """Rename the damaged file of the store at ``path`` (the store itself unless ``damaged`` names
        its journal) to ``<name>.corrupt-<YYYYmmdd-HHMMSS>``, never overwriting; return the new name."""
        path = store_path(path)
        with locked(FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT, mode=0o600), path):
            return quarantine_file(damaged or path)

    @property
    def notices(self) -> list[StoreNotice]:
        """Damage read around since open (journals not replayed or set aside, an empty file)."""
        return list(self._storage.notices)

    @property
    def jobs_may_be_missing(self) -> bool:
        """True when some notice says jobs may not be shown (read commands then exit 1)."""
        return any(n.jobs_may_be_missing for n in self._storage.notices)

    @property
    def location(self) -> str:
        return str(self.path)

    def add_change_listener(self, listener: ChangeListener) -> None:
        """A file announces nothing: ``refresh`` notices others' appends by one stat."""

    def remove_change_listener(self, listener: ChangeListener) -> None:
        """Nothing to remove (see ``add_change_listener``)."""

    def history(self) -> ArchiveHistory:
        """The archived jobs this store does not hold (its archive files, read as asked)."""
        from seedance_tui.store.archive_history import ArchiveHistory  # the archive builds on this

        return ArchiveHistory(self.path, self.held_jobs)

    def documents(self) -> list[Document]:
        """Every readable job document as stored, unknown fields included, with unsaved changes."""
        with self._io_lock:
            self._reload_if_changed()
            table = self._raw_table()
            with self._lock:
                docs = {doc["local_id"]: doc for key, doc in table.items() if key not in self._skipped_keys}
                docs.update(self._dirty)
        return list(docs.values())

    def put_documents(self, docs: Iterable[Document]) -> int:
        """Merge raw documents in (unknown fields kept) and write them; return how many changed."""
        changed = 0
        with self._io_lock:
            self._reload_if_changed()
        with self._io_lock, self._lock:
            for doc in docs:
                job = parse_job(doc)
                if job is None:
                    continue
                cached = self._jobs.get(job.local_id)
                ours = self._dirty.get(job.local_id) or (
                    self._stored_doc(job.local_id) if cached is not None else None
                )
                merged = doc if ours is None else merge_docs(ours, doc)
                if ours is not None and merged == ours:
                    continue
                self._jobs[job.local_id] = job if merged is doc else Job.from_dict(merged)
                self._dirty[job.local_id] = merged
                changed += 1
        self.flush()
        return changed

    def _stored_doc(self, local_id: str) -> Document | None:
        """The document on disk for ``local_id`` as last read (caller holds _lock)."""
        doc_id = self._doc_ids.get(local_id)
        return None if doc_id is None else self._raw_table().get(str(doc_id))

    def add(self, job: Job) -> None:
        """Store a new job and make it durable before returning (call it before sending the POST).

        If this raises StoreError the job is not known to be on disk: do not submit it. (When the
        write itself failed it stays in memory and is retried by the next flush; a job refused with
        BatchKeyTaken, or one that could not get the lock, is not kept.)
        """
        self._flush(new=job)

    def remove(self, local_ids: Iterable[str]) -> int:
        """Drop these jobs from the store file (the archive keeps them); return how many were here.

        Another process that has the store open and still holds one of them writes it back on its
        next save (see ``_absorb``); the archive's readers then show it once.
        """
        with self._io_lock:
            with locked(self._file_lock, self.path):
                self._reload_if_changed()
                with self._lock:
                    keys = []
                    for local_id in local_ids:
                        doc_id = self._doc_ids.pop(local_id, None)
                        self._jobs.pop(local_id, None)
                        self._dirty.pop(local_id, None)
                        self._changed.pop(local_id, None)
                        if doc_id is not None:
                            del self._doc_owner[doc_id]
                            keys.append(str(doc_id))
                    batch = dict(self._dirty)
                self._put(batch)
                if keys:
                    if self._storage.journal_bytes:
                        # Fold the journal in first: left beside the rewritten file by a crash, it
                        # would hold the removed jobs and read as changes the store lost.
                        self._storage.compact()
                    self._storage.remove_documents(JOBS_TABLE, keys)
                self._storage.commit()
            self._written(batch)
        return len(keys)

    @property
    def journal_bytes(self) -> int:
        """Size of the journal of changes not yet folded into the file."""
        return self._storage.journal_bytes

    def flush(self) -> int:
        """Write the changed jobs, merged with what other processes wrote; return how many were written."""
        return self._flush(new=None)

    def _flush(self, new: Job | None) -> int:
        """``flush``; with ``new`` (``add``), first refuse it if its batch key is taken, else stage it.
        Only ``add`` checks keys: a flush always writes what it has (what was paid for is recorded)."""
        with self._io_lock:
            with self._lock:
                if not self._dirty and new is None:
                    return 0
            with locked(self._file_lock, self.path):
                self._reload_if_changed()
                if new is not None:
                    # Checked before it is staged, so that no other thread's flush writes it unchecked.
                    if new.batch_key is not None and self._batch_key_held(new):
                        raise BatchKeyTaken(new.batch_key)
                    self._stage_new(new)
                with self._lock:
                    batch = dict(self._dirty)
                if batch:
                    self._put(batch)
                    self._storage.commit()
            self._written(batch)
        return len(batch)

    def refresh(self) -> list[Job]:
        """Jobs added or changed by other processes since the last call (one stat when nothing changed)."""
        if self._storage.changed_on_disk():
            with self._io_lock:
                self._reload_if_changed()
        with self._lock:
            changed = list(self._changed.values())
            self._changed.clear()
        return changed

    def compact(self) -> None:
        """Fold the journal into the file now (the file alone then holds every job)."""
        with self._io_lock:
            with locked(self._file_lock, self.path):
                self._reload_if_changed()
                with self._lock:
                    batch = dict(self._dirty)  # say, jobs the reload found missing from the file
                self._put(batch)
                self._storage.compact()
            self._written(batch)

    def close(self) -> None:
        """Flush, fold the journal in (if we wrote to it) and release the file.

        A failed flush raises and leaves the store open; a failed fold-in is harmless (the journal
        still holds every change) and is left for a later close.
        """
        if self._closed:
            return
        self.flush()
        if self._storage.appended:
            with contextlib.suppress(StoreError):
                self.compact()
        self._closed = True
        self._db.close()

    def _raw_table(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._storage.read().get(JOBS_TABLE, {}))

    def _reload_if_changed(self) -> None:
        """Take in what other processes wrote since we last looked, merging their jobs into ours."""
        if not self._storage.changed_on_disk():
            return
        previous = self._raw_table()
        with gc_paused():
            changes = self._storage.reload()
            if changes is None:
                self._absorb(previous, report=True)
            else:
                self._absorb_documents(changes.get(JOBS_TABLE, set()))

    def _absorb(self, previous: Mapping[str, Any], *, report: bool) -> None:
        """Bring the cache in line with freshly loaded data; ``previous`` is the table as we last knew it."""
        table = self._raw_table()
        doc_ids: dict[str, int] = {}
        skipped: set[str] = set()
        with self._lock:
            for key, doc in table.items():
                if previous.get(key) == doc:
                    if key in self._skipped_keys:
                        skipped.add(key)
                    else:
                        doc_ids[doc["local_id"]] = int(key)
                    continue
                job = parse_job(doc)
                if job is None or job.local_id in doc_ids:
                    skipped.add(key)
                    continue
                doc_ids[job.local_id] = int(key)
                self._take(job, doc, report=report)
            for local_id, job in self._jobs.items():
                if local_id not in doc_ids and local_id not in self._dirty:
                    # The file lost a job we know (deleted or restored from an old copy): write it back.
                    self._dirty[local_id] = job.to_dict()
            self._doc_ids, self._skipped_keys = doc_ids, skipped
            self._doc_owner = {doc_id: local_id for local_id, doc_id in doc_ids.items()}
            self._next_doc_id = max(map(int, table), default=0) + 1
            self.skipped_documents = len(skipped)
            lost = {local_id: self._dirty[local_id] for local_id in self._jobs if local_id not in doc_ids}
        if report and lost:
            self._forget_archived(lost)

    def _forget_archived(self, lost: dict[str, Document]) -> None:
        """Of the jobs the file lost, drop those another process moved into the archive (holding
        this version or a newer one) instead of writing them back; the rest are written back."""
        from seedance_tui.store.archive import archived_versions  # the archive builds on this module

        archived = archived_versions(self.path, lost.values())
        with self._lock:
            for local_id, doc in lost.items():
                kept = archived.get(local_id)
                if kept is not None and self._dirty.get(local_id) is doc and merge_docs(doc, kept) == kept:
                    del self._dirty[local_id], self._jobs[local_id]
                    self._changed.pop(local_id, None)

    def _absorb_documents(self, keys: set[str]) -> None:
        """Take in the documents other processes appended (the rest of the table is as we knew it)."""
        table = self._raw_table()
        with self._lock:
            for key in keys:
                doc_id = int(key)
                self._next_doc_id = max(self._next_doc_id, doc_id + 1)
                job = parse_job(table[key])
                holder = self._doc_owner.get(doc_id)
                if holder is not None and (job is None or job.local_id != holder):
                    # Our job's place now holds another document (one unreadable here, or an id our
                    # failed save had taken): that document stays as it is; ours moves on next save.
                    del self._doc_owner[doc_id], self._doc_ids[holder]
                    if holder not in self._dirty and holder in self._jobs:
                        self._dirty[holder] = self._jobs[holder].to_dict()
                owner = self._doc_ids.get(job.local_id) if job is not None else None
                if job is None or (owner is not None and owner != doc_id):
                    self._skipped_keys.add(key)
                    continue
                self._doc_ids[job.local_id], self._doc_owner[doc_id] = doc_id, job.local_id
                self._skipped_keys.discard(key)
                self._take(job, table[key], report=True)
            self.skipped_documents = len(self._skipped_keys)

    def _take(self, job: Job, doc: Document, *, report: bool) -> None:
        """Accept another process's version of a job, merging it with our unsaved one; caller holds _lock."""
        ours = self._dirty.get(job.local_id)
        if ours is not None:
            merged = merge_docs(ours, doc)
            if merged is ours:
                return
            if merged is doc:
                del self._dirty[job.local_id]
            else:
                self._dirty[job.local_id] = merged
                job = Job.from_dict(merged)
        self._jobs[job.local_id] = job
        if report:
            self._changed[job.local_id] = job

    def _put(self, batch: dict[str, Document]) -> None:
        """Put ``batch`` into the tinydb table by document id, touching nothing else (caller commits)."""
        documents: dict[str, Document] = {}
        for local_id, doc in batch.items():
            doc_id = self._doc_ids.get(local_id)
            if doc_id is None:
                # Ids of our own: tinydb's counter would not know documents other processes inserted.
                doc_id = self._doc_ids[local_id] = self._next_doc_id
                self._doc_owner[doc_id] = local_id
                self._next_doc_id += 1
            documents[str(doc_id)] = doc
        self._storage.put_documents(JOBS_TABLE, documents)

    def _written(self, batch: dict[str, Document]) -> None:
        """``batch`` is saved: those jobs are clean unless updated again meanwhile."""
        with self._lock:
            for local_id, doc in batch.items():
                if self._dirty.get(local_id) is doc:
                    del self._dirty[local_id]
