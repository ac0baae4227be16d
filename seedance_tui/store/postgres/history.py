"""A PostgreSQL account's history: the rows its store does not hold, paged and looked up in SQL.

Pages are keyset-paged (``created_at DESC, local_id DESC``, on the ``seedance_jobs_history``
index), so the 200th page costs what the first does; lookups by id and by batch entry are indexed
queries, so resolving an id or re-running an old batch never loads the account's every job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from typing import Any

from seedance_tui.job_refs import REQUEST_ID_PREFIX
from seedance_tui.models import Job
from seedance_tui.store.file_access import parse_job
from seedance_tui.store.history import PAGE_SIZE, HistoryTotals, match_documents
from seedance_tui.store.merge import Document
from seedance_tui.store.notices import StoreNotice

#: Rows whose status is not final, spelt as the ``seedance_jobs_unfinished`` index spells it.
UNFINISHED = "status NOT IN ('succeeded', 'failed', 'cancelled', 'rejected', 'not_found')"
#: At most this many prefix matches are read back: enough to say "ambiguous" and list a few.
MAX_PREFIX_MATCHES = 50

Query = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


class PostgresHistory:
    """The jobs of ``account`` its store does not hold; ``query`` runs one statement (blocking)."""

    def __init__(self, account: str, query: Query, held: Callable[[], set[str]]) -> None:
        self._account = account
        self._query = query
        self._held = held

    @property
    def notices(self) -> list[StoreNotice]:
        """A database sets nothing aside: its faults surface as StoreErrors."""
        return []

    def _rows(self, size: int) -> Iterator[list[tuple[str, float, Document]]]:
        after: tuple[float, str] | None = None
        while True:
            where = "account = %s"
            params: tuple[Any, ...] = (self._account,)
            if after is not None:
                where += " AND (created_at, local_id) < (%s, %s)"
                params += after
            rows = self._query(
                f"SELECT local_id, created_at, doc FROM seedance_jobs WHERE {where} "
                "ORDER BY created_at DESC, local_id DESC LIMIT %s",
                (*params, size),
            )
            if rows:
                yield rows  # type: ignore[misc]
            if len(rows) < size:
                return
            after = (rows[-1][1], rows[-1][0])

    def pages(self, size: int = PAGE_SIZE) -> Iterator[list[Job]]:
        held = self._held()
        for rows in self._rows(size):
            page = [job for lid, _c, doc in rows if lid not in held and (job := parse_job(doc)) is not None]
            if page:
                yield page

    def documents(self) -> Iterator[Document]:
        held = self._held()
        for rows in self._rows(PAGE_SIZE * 4):
            yield from (doc for lid, _c, doc in rows if lid not in held)

    def find(self, ref: str) -> list[Job]:
        ref = ref.strip()
        if not ref:
            return []
        exact = self._docs(
            "local_id = %s OR request_id = %s OR request_id = %s",
            (ref, ref, REQUEST_ID_PREFIX + ref),
            limit=2,
        )
        if not exact:
            prefixed = REQUEST_ID_PREFIX + ref
            exact = self._docs(
                "starts_with(local_id, %s) OR starts_with(request_id, %s) OR starts_with(request_id, %s)",
                (ref, ref, prefixed),
                limit=MAX_PREFIX_MATCHES,
            )
        return [job for doc in match_documents(exact, ref) if (job := parse_job(doc)) is not None]

    def with_batch_entries(self, entries: Collection[str]) -> list[Job]:
        if not entries:
            return []
        docs = self._docs("batch_entry = ANY(%s)", (list(entries),), limit=None)
        return [job for doc in docs if (job := parse_job(doc)) is not None]

    def totals(self) -> HistoryTotals:
        """Added up in SQL over the columns the writer fills (one scan, no document read)."""
        started = time.perf_counter()
        totals = HistoryTotals()
        rows = self._query(
            "SELECT status, coalesce(model, '?'), count(*), coalesce(sum(credits), 0), "
            "count(*) FILTER (WHERE expired) FROM seedance_jobs "
            "WHERE account = %s AND NOT (local_id = ANY(%s)) GROUP BY 1, 2, expired",
            (self._account, list(self._held())),
        )
        for status, model, count, credits, expired in rows:
            totals.add_jobs(status, model, int(credits), bool(expired), int(count))
        totals.seconds = time.perf_counter() - started
        return totals

    def _docs(self, condition: str, params: tuple[Any, ...], *, limit: int | None) -> list[Document]:
        held = self._held()
        rows = self._query(
            f"SELECT local_id, doc FROM seedance_jobs WHERE account = %s AND ({condition})"
            + ("" if limit is None else f" LIMIT {int(limit)}"),
            (self._account, *params),
        )
        return [doc for lid, doc in rows if lid not in held]
