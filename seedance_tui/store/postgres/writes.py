"""Writing job rows: one transaction locks the rows, merges ours with what is stored, and upserts.

The ``batch_key`` column (unique per account where set) is written once, when a row is inserted,
and never updated: a later merge can never make a write violate it. Only ``add`` claims a key
(``claim``): a new job whose key another row holds is refused with BatchKeyTaken, nothing written.
Any other write (a flush, ``store copy``) always stores its jobs: a key already held elsewhere
stays in the document and the row's column is left empty (what was paid for is always recorded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import psycopg
from psycopg import errors as pg_errors

from seedance_tui.store.errors import BatchKeyTaken
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
    "request_id = EXCLUDED.request_id, status = EXCLUDED.status, "
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
#: The unique index of (account, batch_key), see schema.py.
BATCH_KEY_INDEX = "seedance_jobs_batch_key"
#: Transactions tried when another one inserted a batch key between our look and our insert.
_KEY_RACE_TRIES = 3


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _columns(docs: dict[str, Document], unkeyed: set[str]) -> list[list[Any]]:
    """The upsert's arrays, one per column: the indexed columns are copies of the documents' fields
    (``unkeyed``: rows whose batch key another row holds get no batch_key column)."""
    values = docs.values()
    summary = [summary_fields(doc) for doc in values]
    return [
        list(docs),
        [_text(doc.get("request_id")) for doc in values],
        [str(doc.get("status")) for doc in values],
        [None if lid in unkeyed else _text(doc.get("batch_key")) for lid, doc in docs.items()],
        [_text(doc.get("batch_entry")) for doc in values],
        [model for model, _credits, _expired in summary],
        [credits for _model, credits, _expired in summary],
        [expired for _model, _credits, expired in summary],
        [_number(doc.get("created_at")) for doc in values],
        [_number(doc.get("updated_at")) for doc in values],
        [dumps(doc) for doc in values],
    ]


def write_merged(
    conn: psycopg.Connection,
    account: str,
    batch: dict[str, Document],
    known: KnownDoc,
    claim: str | None = None,
) -> tuple[list[Row], int]:
    """One transaction: lock the rows, merge ours with theirs, upsert what changed.

    Returns every row of ``batch`` as stored afterwards and how many rows this wrote (a document
    equal to the stored one after merging is not written: copying twice changes nothing).
    ``claim``: the local id of a new job whose batch key must be free (BatchKeyTaken otherwise).
    """
    for tries_left in reversed(range(_KEY_RACE_TRIES)):
        try:
            return _write_merged(conn, account, batch, known, claim)
        except pg_errors.UniqueViolation as exc:
            # Another transaction committed one of our new rows' keys after we looked: look again.
            if exc.diag.constraint_name != BATCH_KEY_INDEX or not tries_left:
                raise
    raise AssertionError("unreachable")


def _taken_keys(
    conn: psycopg.Connection, account: str, inserts: dict[str, Document], claim: str | None
) -> set[str]:
    """The new rows whose batch key another row (or an earlier one of ``inserts``) holds; raises
    BatchKeyTaken when ``claim`` is one of them."""
    keyed = {lid: key for lid, doc in inserts.items() if (key := _text(doc.get("batch_key")))}
    if not keyed:
        return set()
    holders: dict[str, str] = dict(
        conn.execute(
            "SELECT batch_key, local_id FROM seedance_jobs WHERE account = %s AND batch_key = ANY(%s)",
            (account, list(set(keyed.values()))),
        ).fetchall()
    )
    taken = set()
    for local_id, key in keyed.items():
        if holders.setdefault(key, local_id) != local_id:
            if local_id == claim:
                raise BatchKeyTaken(key)
            taken.add(local_id)
    return taken


def _write_merged(
    conn: psycopg.Connection, account: str, batch: dict[str, Document], known: KnownDoc, claim: str | None
) -> tuple[list[Row], int]:
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
            inserts = {lid: doc for lid, doc in writes.items() if lid not in stored}
            unkeyed = _taken_keys(conn, account, inserts, claim)
            returned = conn.execute(_UPSERT, [account, *_columns(writes, unkeyed)]).fetchall()
            written = len(returned)
            rows += [(local_id, version, writes.pop(local_id)) for local_id, version in returned]
        if writes:  # dropped by the trigger, or another account's id: take what is stored
            rows += conn.execute(
                "SELECT local_id, version, doc FROM seedance_jobs WHERE local_id = ANY(%s) AND account = %s",
                (list(writes), account),
            ).fetchall()
        return rows, written
