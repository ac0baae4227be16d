"""A store's history: the jobs it does not hold in memory, read a page at a time, newest first.

Both backends hold only what the dashboard needs to paint (unfinished jobs and recent finished
ones); the rest (the tinydb store's archive files, the older rows of a PostgreSQL account) is
reached through ``Store.history()``: pages for scrolling, searching and exporting, and lookups (id
resolution, track's duplicate check, batch-key deduplication) that never load the whole history.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from seedance_tui.job_refs import REQUEST_ID_PREFIX
from seedance_tui.models import Job
from seedance_tui.store.merge import Document
from seedance_tui.store.notices import StoreNotice

#: Jobs per page: one page is a scroll's worth many times over, and builds in a few milliseconds.
PAGE_SIZE = 500


class History(Protocol):
    """The jobs a store does not hold in memory; none of them is also among ``Store.all()``."""

    @property
    def notices(self) -> list[StoreNotice]:
        """Damage met while reading (an archive file missing or unreadable), each once."""
        ...

    def pages(self, size: int = PAGE_SIZE) -> Iterator[list[Job]]:
        """Every job of the history, newest created first, ``size`` at a time (read as iterated)."""
        ...

    def find(self, ref: str) -> list[Job]:
        """The job an id form names exactly (one item), else every job with an id starting with it."""
        ...

    def with_batch_entries(self, entries: Collection[str]) -> list[Job]:
        """The jobs made for any of these batch entries (a re-run of an old batch must find them)."""
        ...

    def documents(self) -> Iterator[Document]:
        """Every job document of the history as stored, unknown fields included (``store copy``)."""
        ...

    def totals(self) -> HistoryTotals:
        """The summary's figures over the whole history, without building its jobs."""
        ...


def id_forms(doc: Document) -> tuple[str, ...]:
    """Every id under which the user may know a stored job (see ``job_refs.job_ids``)."""
    local_id, request_id = doc.get("local_id"), doc.get("request_id")
    forms: tuple[str, ...] = (local_id,) if isinstance(local_id, str) else ()
    if isinstance(request_id, str) and request_id:
        forms += (request_id, request_id.removeprefix(REQUEST_ID_PREFIX))
    return forms


def match_documents(docs: Iterable[Document], ref: str) -> list[Document]:
    """``job_refs.match_jobs`` on raw documents: no Job is built for the ones that do not match."""
    ref = ref.strip()
    if not ref:
        return []
    prefixed: list[Document] = []
    for doc in docs:
        forms = id_forms(doc)
        if ref in forms:
            return [doc]
        if any(form.startswith(ref) for form in forms):
            prefixed.append(doc)
    return prefixed


@dataclass(frozen=True)
class ArchivedRead:
    """What one read of the history brought: every history job read so far, and what this read cost."""

    #: Every history job read so far by this reader, newest created first.
    jobs: list[Job]
    #: How many of them this read added.
    added: int
    seconds: float
    #: Damage met on the way (never silent).
    notices: list[StoreNotice] = field(default_factory=list)
    #: True once the whole history has been read.
    complete: bool = False


class HistoryReader:
    """One reader's place in a store's history: the next page on scroll, or all the rest at once.

    Pages already read are kept (the table shows them), so reading the rest after scrolling never
    reads or builds them again. Thread-safe: the dashboard calls it from worker threads.
    """

    def __init__(self, history: Callable[[], History], size: int = PAGE_SIZE) -> None:
        self._history = history
        self._size = size
        self._lock = threading.Lock()
        self._source: History | None = None
        self._pages: Iterator[list[Job]] | None = None
        self._jobs: list[Job] = []
        self._by_id: dict[str, Job] = {}
        self._complete = False

    @property
    def complete(self) -> bool:
        return self._complete

    def get(self, local_id: str) -> Job | None:
        """A history job this reader has read (the table may show it), by local id."""
        return self._by_id.get(local_id)

    def next_page(self) -> ArchivedRead:
        """Read one more page (nothing when the history is all read)."""
        return self._read(pages=1)

    def rest(self) -> ArchivedRead:
        """Read every page not read yet."""
        return self._read(pages=None)

    def _read(self, pages: int | None) -> ArchivedRead:
        with self._lock:
            started = time.perf_counter()
            if self._source is None or self._pages is None:
                self._source = self._history()
                self._pages = self._source.pages(self._size)
            added = 0
            while not self._complete and (pages is None or pages > 0):
                try:
                    page = next(self._pages, None)
                except Exception:
                    # A read that failed part way (a database gone, say) starts over next time:
                    # an exhausted generator would otherwise pass for the end of the history.
                    self._source = self._pages = None
                    self._jobs, self._by_id = [], {}
                    raise
                if page is None:
                    self._complete = True
                    break
                self._jobs.extend(page)
                self._by_id.update((job.local_id, job) for job in page)
                added += len(page)
                pages = None if pages is None else pages - 1
            return ArchivedRead(
                list(self._jobs),
                added,
                time.perf_counter() - started,
                list(self._source.notices),
                self._complete,
            )


def newest_first(held: list[Job], history: list[Job]) -> list[Job]:
    """The store's jobs and history jobs, each once (the store's version when in both), newest first."""
    ids = {job.local_id for job in held}
    jobs = held + [job for job in history if job.local_id not in ids]
    jobs.sort(key=lambda job: job.created_at, reverse=True)
    return jobs


def every_document(held: list[Document], history: History) -> list[Document]:
    """The store's documents and its history's, each once (the store's version when in both)."""
    ids = {doc["local_id"] for doc in held}
    return held + [doc for doc in history.documents() if doc.get("local_id") not in ids]


def read_everything(held: list[Job], history: History) -> tuple[list[Job], list[StoreNotice]]:
    """Every job, held and history, newest first, and the damage met reading the history."""
    jobs = [job for page in history.pages() for job in page]
    return newest_first(held, jobs), history.notices


@dataclass
class ModelTotals:
    """One model's figures over history jobs (see ``summary.ModelFigures``)."""

    credits: int = 0
    credits_failed_cancelled: int = 0
    succeeded: int = 0
    failed: int = 0


@dataclass
class HistoryTotals:
    """What the summary counts of jobs not held in memory, added up from their stored documents
    (no Job is built): jobs by status, credits and outcomes per model, expired outputs."""

    jobs: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    models: dict[str, ModelTotals] = field(default_factory=dict)
    expired: int = 0
    #: How long counting took (set by whoever counted).
    seconds: float = 0.0

    def add_document(self, doc: Document) -> None:
        """Count one stored job in."""
        self.add_jobs(str(doc.get("status")), *summary_fields(doc), 1)

    def add_jobs(self, status: str, model: str, credits: int, expired: bool, count: int) -> None:
        """Count ``count`` jobs in, of one status and model, ``credits`` charged for them in all."""
        self.jobs += count
        self.by_status[status] = self.by_status.get(status, 0) + count
        figures = self.models.setdefault(model, ModelTotals())
        figures.credits += credits
        if status in ("failed", "cancelled"):
            figures.credits_failed_cancelled += credits
        if status == "succeeded":
            figures.succeeded += count
        elif status == "failed":
            figures.failed += count
        self.expired += count if expired else 0

    def add(self, other: HistoryTotals) -> None:
        self.jobs += other.jobs
        self.expired += other.expired
        for status, count in other.by_status.items():
            self.by_status[status] = self.by_status.get(status, 0) + count
        for model, theirs in other.models.items():
            ours = self.models.setdefault(model, ModelTotals())
            ours.credits += theirs.credits
            ours.credits_failed_cancelled += theirs.credits_failed_cancelled
            ours.succeeded += theirs.succeeded
            ours.failed += theirs.failed

    def to_json(self) -> dict[str, Any]:
        """The form kept in the archive index (per month)."""
        return {
            "jobs": self.jobs,
            "by_status": self.by_status,
            "models": {name: vars(figures) for name, figures in self.models.items()},
            "expired": self.expired,
        }

    @classmethod
    def from_json(cls, data: Any) -> HistoryTotals | None:
        """The totals kept in an index, or None when they are not (all) there or not understood."""
        try:
            return cls(
                int(data["jobs"]),
                {str(k): int(v) for k, v in data["by_status"].items()},
                {str(k): ModelTotals(**{f: int(n) for f, n in v.items()}) for k, v in data["models"].items()},
                int(data["expired"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


def summary_fields(doc: Document) -> tuple[str, int, bool]:
    """What the summary counts of a stored job besides its status: its model, the credits charged,
    whether its output expired unsaved (PostgreSQL keeps them in columns, written from this)."""
    request = doc.get("request")
    model = str(request.get("model")) if isinstance(request, dict) else "?"
    credits = doc.get("credits_charged")
    credits = credits if isinstance(credits, int) and not isinstance(credits, bool) else 0
    return model, credits, bool(doc.get("output_expired")) and not doc.get("saved_path")


def totals_of(docs: Iterable[Document]) -> HistoryTotals:
    totals = HistoryTotals()
    for doc in docs:
        totals.add_document(doc)
    return totals
