"""Reads over the jobs a store keeps in memory: the same for the tinydb file and for PostgreSQL."""

from __future__ import annotations

import threading

from seedance_tui.models import Job


class CachedJobs:
    """``len``, ``all``, ``get`` and ``find`` over ``_jobs`` (by local id), guarded by ``_lock``.

    Both backends hold every job in memory and change ``_jobs`` only under ``_lock``; what they
    differ in is how the cache is filled and written, not how it is read.
    """

    _lock: threading.Lock
    _jobs: dict[str, Job]

    def __len__(self) -> int:
        return len(self._jobs)

    def all(self) -> list[Job]:
        """Every job (live objects), newest created first."""
        with self._lock:
            jobs = list(self._jobs.values())
        jobs.sort(key=lambda job: job.created_at, reverse=True)
        return jobs

    def get(self, local_id: str) -> Job | None:
        """The live job with this local id."""
        with self._lock:
            return self._jobs.get(local_id)

    def find(self, ref: str) -> Job | None:
        """The job whose local id or request id is ``ref``, else the only one starting with it."""
        ref = ref.strip()
        if not ref:
            return None
        with self._lock:
            jobs = list(self._jobs.values())
            exact = self._jobs.get(ref)
        if exact is not None:
            return exact
        for job in jobs:
            if job.request_id == ref:
                return job
        matches = [j for j in jobs if j.local_id.startswith(ref) or (j.request_id or "").startswith(ref)]
        return matches[0] if len(matches) == 1 else None
