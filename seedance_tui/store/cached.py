"""The jobs a store keeps in memory and their unsaved snapshots: the same for both backends."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Self

from seedance_tui.job_refs import match_jobs
from seedance_tui.models import Job
from seedance_tui.store.merge import Document, merge_docs


class CachedJobs:
    """Reads over ``_jobs`` (by local id) and snapshots into ``_dirty``, all guarded by ``_lock``.

    Both backends hold every job in memory and queue changed documents for their next flush; what
    they differ in is how the cache is filled and how a flush writes, not how it is read or staged.
    """

    def __init__(self) -> None:
        #: Records this version cannot read; kept in the store untouched.
        self.skipped_documents = 0
        # One disk or database operation at a time within this process; always taken before _lock.
        self._io_lock = threading.Lock()
        # Guards _jobs, _dirty and _changed; never held during I/O.
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        #: local_id -> document snapshot waiting for the next flush.
        self._dirty: dict[str, Document] = {}
        #: Jobs merged in from other processes and not yet returned by refresh().
        self._changed: dict[str, Job] = {}
        self._closed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Flush and release the store (each backend's own)."""
        raise NotImplementedError

    @property
    def has_unsaved(self) -> bool:
        """True when some change waits for ``flush`` (cheap: no I/O)."""
        with self._lock:
            return bool(self._dirty)

    def __len__(self) -> int:
        return len(self._jobs)

    def all(self) -> list[Job]:
        """Every job (live objects), newest created first."""
        with self._lock:
            jobs = list(self._jobs.values())
        jobs.sort(key=lambda job: job.created_at, reverse=True)
        return jobs

    def held_jobs(self) -> list[Job]:
        """The jobs held in memory in no particular order (``all`` without its sort)."""
        with self._lock:
            return list(self._jobs.values())

    def held_ids(self) -> set[str]:
        """The local ids of the jobs held in memory (the history is every other job)."""
        with self._lock:
            return set(self._jobs)

    def get(self, local_id: str) -> Job | None:
        """The live job with this local id."""
        with self._lock:
            return self._jobs.get(local_id)

    def find(self, ref: str) -> Job | None:
        """The one held job ``ref`` names (any id form, or a unique prefix: see job_refs), else None."""
        matches = match_jobs(self.held_jobs(), ref)
        return matches[0] if len(matches) == 1 else None

    def update(self, job: Job) -> None:
        """Snapshot a changed job for the next flush (a job not stored yet is added then)."""
        doc = job.to_dict()
        with self._lock:
            cached = self._jobs.get(job.local_id)
            if cached is not None and cached is not job:
                # A stale object: the cache may hold a newer version merged in from another process.
                cached_doc = self._dirty.get(job.local_id) or cached.to_dict()
                merged = merge_docs(doc, cached_doc)
                if merged is not doc:
                    job = cached if merged is cached_doc else Job.from_dict(merged)
                    doc = merged
            self._jobs[job.local_id] = job
            self._dirty[job.local_id] = doc

    def _stage_new(self, job: Job) -> None:
        """Cache a job that is not stored yet and queue it for the flush that ``add`` runs next."""
        doc = job.to_dict()
        with self._lock:
            if job.local_id in self._jobs:
                raise ValueError(f"job {job.local_id} is already in the store")
            self._jobs[job.local_id] = job
            self._dirty[job.local_id] = doc

    def _batch_key_held(self, job: Job) -> bool:
        """True when another held job of ``job``'s account has its batch key (the file store's check
        in ``add``, under its lock after reading other processes' changes; a database's is SQL's)."""
        with self._lock:
            return any(
                other.batch_key == job.batch_key
                and other.account == job.account
                and other.local_id != job.local_id
                for other in self._jobs.values()
            )

    def _unstage(self, local_id: str) -> None:
        """Forget a job ``add`` refused (its batch key was taken): it is not stored, nor saved later."""
        with self._lock:
            self._jobs.pop(local_id, None)
            self._dirty.pop(local_id, None)
