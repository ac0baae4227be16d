"""The tinydb store's history: its archive files, read a month at a time, newest month first.

Lookups scan the archived documents as stored and build a Job only for those that match, so
resolving an id or checking batch entries costs reading the files, not building 10^5 jobs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from seedance_tui.models import Job, is_final
from seedance_tui.store.archive import Archive, month_of
from seedance_tui.store.file_access import parse_job
from seedance_tui.store.history import PAGE_SIZE, HistoryTotals, match_documents, totals_of
from seedance_tui.store.merge import Document
from seedance_tui.store.notices import StoreNotice


def _created(doc: Document) -> float:
    created = doc.get("created_at")
    return float(created) if isinstance(created, int | float) else 0.0


class ArchiveHistory:
    """The archived jobs of the store at ``path`` that the store itself does not hold."""

    def __init__(self, path: Path, held: Callable[[], list[Job]]) -> None:
        self._archive = Archive(path)
        self._held_jobs = held

    def _held(self) -> set[str]:
        return {job.local_id for job in self._held_jobs()}

    @property
    def notices(self) -> list[StoreNotice]:
        return list(self._archive.notices)

    def documents(self) -> Iterator[Document]:
        """Archived documents, newest month first; a job the store also holds is the store's."""
        yield from self._archive.iter_documents(skip=self._held())

    def pages(self, size: int = PAGE_SIZE) -> Iterator[list[Job]]:
        held = self._held()
        page: list[Job] = []
        for month in self._archive.months():
            docs = [
                doc
                for local_id, doc in (self._archive.documents(month) or {}).items()
                if local_id not in held
            ]
            docs.sort(key=_created, reverse=True)
            for doc in docs:
                job = parse_job(doc)
                if job is None:
                    continue
                page.append(job)
                if len(page) >= size:
                    yield page
                    page = []
        if page:
            yield page

    def totals(self) -> HistoryTotals:
        """From the index's per-month figures; a month is read only when the index has none for it
        (archived by an older version) or when the store also holds some of its jobs (brought back,
        or left by a crash mid-move): those are the store's, and counted there."""
        started = time.perf_counter()
        held = self._held_jobs()
        held_ids = {job.local_id for job in held}
        shared = {month_of(job.created_at) for job in held if is_final(job.status)}
        kept = self._archive.month_totals()
        totals = HistoryTotals()
        for month in self._archive.months():
            figures = kept.get(month)
            if figures is None or month in shared:
                docs = self._archive.documents(month) or {}
                figures = totals_of(doc for local_id, doc in docs.items() if local_id not in held_ids)
            totals.add(figures)
        totals.seconds = time.perf_counter() - started
        return totals

    def find(self, ref: str) -> list[Job]:
        return _jobs(match_documents(self.documents(), ref))

    def with_batch_entries(self, entries: Collection[str]) -> list[Job]:
        wanted = set(entries)
        if not wanted:
            return []
        return _jobs(doc for doc in self.documents() if doc.get("batch_entry") in wanted)


def _jobs(docs: Iterator[Document] | list[Document]) -> list[Job]:
    return [job for doc in docs if (job := parse_job(doc)) is not None]
