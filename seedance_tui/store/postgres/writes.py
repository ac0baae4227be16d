"""Writing job rows: one transaction locks the rows, merges ours with what is stored, and upserts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import psycopg

from seedance_tui.store.history import summary_fields
from seedance_tui.store.merge import Document, merge_docs

# One statement for the whole batch (arrays unnested server-side): executemany of 1,000 single-row
# upserts cost ~250 ms here. Arrays go in binary (%b): as text, psycopg escapes every quote of
# every document with a regex (~280 ms for 1,000 jobs). The trigger may drop a row (a final status
# going back): it is then missing from RETURNING and read back.
_UPSERT = (
    "INSERT INTO seedance_jobs "
    "(local_id, account, request_id, status, batch_key, batch_entry, model, credits, expired, "
    "created_at, updated_at, doc) "
    "SELECT l, %s, r, s, b, e, m, n, x, c, u, d::json FROM unnest("
    "%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::int8[], %b::bool[], "
    "%b::float8[], %b::float8[], %b::text[]"
    ") AS t(l, r, s, b, e, m, n, x, c, u, d) "
    "ON CONFLICT (local_id) DO UPDATE SET "
    "request_id = EXCLUDED.request_id, status = EXCLUDED.status, batch_key = EXCLUDED.batch_key, "
    "batch_entry = EXCLUDED.batch_entry, model = EXCLUDED.model, credits = EXCLUDED.credits, "
    "expired = EXCLUDED.expired, created_at = EXCLUDED.created_at, "
    "updated_at = EXCLUDED.updated_at, doc = EXCLUDED.doc "
    "WHERE seedance_jobs.account = EXCLUDED.account "
    "RETURNING local_id, version"
)

#: A row as read or written: local id, row version, document.
Row = tuple[str, int, Document]
#: The document this process last read or wrote for a job at a row version, if it has it (saves
#: fetching documents that did not change since).
KnownDoc = Callable[[str, int], Document | None]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _columns(docs: dict[str, Document]) -> list[list[Any]]:
    """The upsert's arrays, one per column: the indexed columns are copies of the documents' fields."""
    values = docs.values()
    summary = [summary_fields(doc) for doc in values]
    return [
        list(docs),
        [_text(doc.get("request_id")) for doc in values],
        [str(doc.get("status")) for doc in values],
        [_text(doc.get("batch_key")) for doc in values],
        [_text(doc.get("batch_entry")) for doc in values],
        [model for model, _credits, _expired in summary],
        [credits for _model, credits, _expired in summary],
        [expired for _model, _credits, expired in summary],
        [_number(doc.get("created_at")) for doc in values],
        [_number(doc.get("updated_at")) for doc in values],
        [dumps(doc) for doc in values],
    ]


def write_merged(
    conn: psycopg.Connection, account: str, batch: dict[str, Document], known: KnownDoc
) -> tuple[list[Row], int]:
    """One transaction: lock the rows, merge ours with theirs, upsert what changed.

    Returns every row of ``batch`` as stored afterwards and how many rows this wrote (a document
    equal to the stored one after merging is not written: copying twice changes nothing).
    """
    with conn.transaction():
        ids = list(batch)
        locked = conn.execute(
            "SELECT local_id, version FROM seedance_jobs WHERE local_id = ANY(%s) AND account = %s "
            "FOR UPDATE",
            (ids, account),
        ).fetchall()
        cached = {lid: doc for lid, version in locked if (doc := known(lid, version)) is not None}
        stale = [lid for lid, _version in locked if lid not in cached]
        fetched: dict[str, Document] = dict(
            conn.execute("SELECT local_id, doc FROM seedance_jobs WHERE local_id = ANY(%s)", (stale,))
            if stale
            else ()
        )
        stored = {lid: (version, cached[lid] if lid in cached else fetched[lid]) for lid, version in locked}
        rows: list[Row] = []
        writes: dict[str, Document] = {}
        for local_id, doc in batch.items():
            version, theirs = stored.get(local_id, (0, None))
            merged = doc if theirs is None else merge_docs(doc, theirs)
            if merged == theirs:
                rows.append((local_id, version, theirs))
            else:
                writes[local_id] = merged
        written = 0
        if writes:
            returned = conn.execute(_UPSERT, [account, *_columns(writes)]).fetchall()
            written = len(returned)
            rows += [(local_id, version, writes.pop(local_id)) for local_id, version in returned]
        if writes:  # dropped by the trigger, or another account's id: take what is stored
            rows += conn.execute(
                "SELECT local_id, version, doc FROM seedance_jobs WHERE local_id = ANY(%s) AND account = %s",
                (list(writes), account),
            ).fetchall()
        return rows, written
