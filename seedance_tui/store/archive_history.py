"""The tinydb store's history: its archive files, read a month at a time, newest month first.

Lookups scan the archived documents as stored and build a Job only for those that match, so
resolving an id or checking batch entries costs reading the files, not building 10^5 jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from pathlib import Path

from seedance_tui.models import Job
from seedance_tui.store.archive import Archive
from seedance_tui.store.file_access import parse_job
from seedance_tui.store.history import PAGE_SIZE, match_documents
from seedance_tui.store.merge import Document
from seedance_tui.store.notices import StoreNotice


def _created(doc: Document) -> float:
    created = doc.get("created_at")
    return float(created) if isinstance(created, int | float) else 0.0


class ArchiveHistory:
    """The archived jobs of the store at ``path`` that the store itself does not hold."""

    def __init__(self, path: Path, held: Callable[[], set[str]]) -> None:
        self._archive = Archive(path)
        self._held = held

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

    def find(self, ref: str) -> list[Job]:
        return _jobs(match_documents(self.documents(), ref))

    def with_batch_entries(self, entries: Collection[str]) -> list[Job]:
        wanted = set(entries)
        if not wanted:
            return []
        return _jobs(doc for doc in self.documents() if doc.get("batch_entry") in wanted)


def _jobs(docs: Iterator[Document] | list[Document]) -> list[Job]:
    return [job for doc in docs if (job := parse_job(doc)) is not None]
