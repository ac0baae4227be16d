"""The job store on PostgreSQL, with the file store's behaviour and guarantees.

Like ``JobStore`` it keeps the account's jobs in memory and writes changed ones in batches, so the
service uses both the same way. It is synchronous (psycopg's blocking API and a thread-safe
``ConnectionPool``) because the service calls the store's I/O methods from worker threads
(``asyncio.to_thread``) and its cheap ones (``get``, ``update``) straight from the event loop:
an async store would need a second event loop per thread, or make those reads awaitable everywhere.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import orjson
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from seedance_tui.models import Job
from seedance_tui.store.backend import ChangeListener
from seedance_tui.store.cached import CachedJobs
from seedance_tui.store.errors import StoreError
from seedance_tui.store.job_store import _parse
from seedance_tui.store.location import mask_url
from seedance_tui.store.merge import Document, merge_docs
from seedance_tui.store.notices import StoreNotice
from seedance_tui.store.postgres.errors import describe
from seedance_tui.store.postgres.listener import Listener
from seedance_tui.store.postgres.schema import SCHEMA_VERSION, check_version, migrate, schema_version

# The pool reports reconnect attempts through logging; with no handler Python would print them
# over the dashboard. The store reports those faults itself, as StoreErrors.
logging.getLogger("psycopg").addHandler(logging.NullHandler())
logging.getLogger("psycopg").propagate = False

#: Connection defaults, unless the URL says otherwise: give up connecting after 5 s, and let the
#: kernel notice a dead peer (lost network) within ~30 s instead of the default two hours.
CONNECT_DEFAULTS = {
    "connect_timeout": "5",
    "application_name": "seedance-tui",
    "keepalives": "1",
    "keepalives_idle": "10",
    "keepalives_interval": "5",
    "keepalives_count": "3",
    "tcp_user_timeout": "30000",
}
#: How long a write waits for a pooled connection before reporting the database unreachable.
POOL_TIMEOUT = 5.0

# One statement for the whole batch (arrays unnested server-side): executemany of 1,000 single-row
# upserts cost ~250 ms here. Arrays go in binary (%b): as text, psycopg escapes every quote of
# every document with a regex (~280 ms for 1,000 jobs). The trigger may drop a row (a final status
# going back): it is then missing from RETURNING and read back.
_UPSERT = (
    "INSERT INTO seedance_jobs "
    "(local_id, account, request_id, status, batch_key, created_at, updated_at, doc) "
    "SELECT l, %s, r, s, b, c, u, d::json FROM unnest("
    "%b::text[], %b::text[], %b::text[], %b::text[], %b::float8[], %b::float8[], %b::text[]"
    ") AS t(l, r, s, b, c, u, d) "
    "ON CONFLICT (local_id) DO UPDATE SET "
    "request_id = EXCLUDED.request_id, status = EXCLUDED.status, batch_key = EXCLUDED.batch_key, "
    "created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, doc = EXCLUDED.doc "
    "WHERE seedance_jobs.account = EXCLUDED.account "
    "RETURNING local_id, version"
)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _columns(docs: dict[str, Document]) -> list[list[Any]]:
    """The upsert's arrays, one per column: the indexed columns are copies of the documents' fields."""
    values = docs.values()
    return [
        list(docs),
        [_text(doc.get("request_id")) for doc in values],
        [str(doc.get("status")) for doc in values],
        [_text(doc.get("batch_key")) for doc in values],
        [_number(doc.get("created_at")) for doc in values],
        [_number(doc.get("updated_at")) for doc in values],
        [_dumps(doc) for doc in values],
    ]


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def _conninfo(url: str) -> str:
    """``url`` with our connection defaults for whatever it (or libpq's PG* environment) leaves unset."""
    given = conninfo_to_dict(url)
    return make_conninfo(url, **{k: v for k, v in CONNECT_DEFAULTS.items() if k not in given})


def _stderr_notice(message: str) -> None:
    sys.stderr.write(message + "\n")


class PostgresJobStore(CachedJobs):
    """One account's jobs in a PostgreSQL database, cached in memory, live across processes."""

    def __init__(self, url: str, account: str) -> None:
        """Use ``PostgresJobStore.open``."""
        self._where = mask_url(url)
        self._conninfo = _conninfo(url)
        self.account = account
        self.skipped_documents = 0
        self.read_only = False
        self._io_lock = threading.Lock()
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._dirty: dict[str, Document] = {}
        self._changed: dict[str, Job] = {}
        #: Row version of each job as last read or written here: older announcements are skipped.
        self._versions: dict[str, int] = {}
        #: Each job's document as last read or written (its unknown fields included).
        self._docs: dict[str, Document] = {}
        self._unreadable: set[str] = set()
        self._listeners: list[ChangeListener] = []
        self._pool: ConnectionPool | None = None
        self._listener = Listener(self._connect, self._announce)
        self._closed = False

    @property
    def conninfo(self) -> str:
        """How to connect to this store's database (it may hold a password: never show it)."""
        return self._conninfo

    @classmethod
    def open(
        cls, url: str, account: str, *, notice: Callable[[str], None] = _stderr_notice
    ) -> PostgresJobStore:
        """Connect, create or upgrade the schema when needed (saying so), load the account's jobs."""
        store = cls(url, account)
        try:
            with store._connect() as conn:
                version = schema_version(conn)
                check_version(version, store._where)
                if version < SCHEMA_VERSION:
                    migrate(conn, store._where, notice)
                store.read_only = not store._may_write(conn)
            store._listener.start(timeout=5.0)
            store._load()
            store._pool = ConnectionPool(
                store._conninfo,
                min_size=1,
                max_size=4,
                open=True,
                name="seedance-store",
                check=ConnectionPool.check_connection,
                configure=_configure,
            )
        except psycopg.Error as exc:
            store._listener.stop()
            raise describe(exc, store._where) from None
        except StoreError:
            store._listener.stop()
            raise
        return store

    @classmethod
    def migrate_only(cls, url: str, *, notice: Callable[[str], None] = _stderr_notice) -> tuple[int, int]:
        """Create or upgrade the schema at ``url``; return (version before, version now)."""
        try:
            with psycopg.connect(_conninfo(url)) as conn:
                return migrate(conn, mask_url(url), notice)
        except psycopg.Error as exc:
            raise describe(exc, mask_url(url)) from None

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self._conninfo, autocommit=True)
        _configure(conn)
        return conn

    def _may_write(self, conn: psycopg.Connection) -> bool:
        row = conn.execute(
            "SELECT has_table_privilege('seedance_jobs', 'INSERT, UPDATE') "
            "AND current_setting('transaction_read_only') = 'off'"
        ).fetchone()
        return bool(row and row[0])

    # -- reading -------------------------------------------------------------------------

    @property
    def notices(self) -> list[StoreNotice]:
        """A database sets nothing aside: its damage surfaces as errors, not notices."""
        return []

    @property
    def jobs_may_be_missing(self) -> bool:
        return False

    @property
    def location(self) -> str:
        return self._where

    def __enter__(self) -> PostgresJobStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def has_unsaved(self) -> bool:
        with self._lock:
            return bool(self._dirty)

    # -- writing -------------------------------------------------------------------------

    def add(self, job: Job) -> None:
        """Store a new job and commit it before returning (call it before sending the POST)."""
        self._refuse_if_read_only()
        self._stage_new(job)
        self.flush()

    def put_documents(self, docs: Iterable[Document]) -> int:
        """Merge raw documents in (unknown fields kept) and commit them; return how many changed."""
        self._refuse_if_read_only()
        changed = 0
        with self._lock:
            for doc in docs:
                job = _parse(doc)
                if job is None:
                    continue
                ours = self._dirty.get(job.local_id)
                if ours is None and job.local_id in self._jobs:
                    ours = self._docs.get(job.local_id)
                merged = doc if ours is None else merge_docs(ours, doc)
                if ours is not None and merged == ours:
                    continue
                self._jobs[job.local_id] = job if merged is doc else Job.from_dict(merged)
                self._dirty[job.local_id] = merged
                changed += 1
        self.flush()
        return changed

    def flush(self) -> int:
        """Commit the changed jobs in one transaction, merged with the rows others wrote meanwhile."""
        with self._io_lock:
            with self._lock:
                batch = dict(self._dirty)
            if not batch:
                return 0
            self._refuse_if_read_only()
            try:
                rows = self._write(batch)
            except psycopg.Error as exc:
                raise describe(exc, self._where) from None
            except StoreError:
                raise
            except Exception as exc:  # the pool's timeout and its closed state are not psycopg.Errors
                raise describe(exc, self._where) from None
            with self._lock:
                for local_id, doc in batch.items():
                    if self._dirty.get(local_id) is doc:
                        del self._dirty[local_id]
                    # Compare what was stored with our cache even if the version looks known.
                    self._versions.pop(local_id, None)
                # Our own documents stored as they were: the cache already holds them (no parsing).
                others = []
                for local_id, version, doc in rows:
                    if doc is batch.get(local_id):
                        self._versions[local_id], self._docs[local_id] = version, doc
                    else:
                        others.append((local_id, version, doc))
                self._absorb(others, report=True)
        return len(batch)

    def _write(self, batch: dict[str, Document]) -> list[tuple[str, int, Document]]:
        """One transaction: lock the rows, merge ours with theirs, upsert; returns the rows as stored."""
        pool = self._require_pool()
        with pool.connection(timeout=POOL_TIMEOUT) as conn, conn.transaction():
            ids = list(batch)
            locked = conn.execute(
                "SELECT local_id, version FROM seedance_jobs WHERE local_id = ANY(%s) AND account = %s "
                "FOR UPDATE",
                (ids, self.account),
            ).fetchall()
            # Only rows changed since we last read them need their documents fetched (caller holds
            # _io_lock, under which _versions and _docs change).
            stale = [
                lid for lid, version in locked if self._versions.get(lid) != version or lid not in self._docs
            ]
            fetched: dict[str, Document] = dict(
                conn.execute("SELECT local_id, doc FROM seedance_jobs WHERE local_id = ANY(%s)", (stale,))
                if stale
                else ()
            )
            stored = {
                lid: (version, fetched[lid] if lid in fetched else self._docs[lid]) for lid, version in locked
            }
            rows: list[tuple[str, int, Document]] = []
            writes: dict[str, Document] = {}
            for local_id, doc in batch.items():
                version, theirs = stored.get(local_id, (0, None))
                merged = doc if theirs is None else merge_docs(doc, theirs)
                if merged == theirs:
                    rows.append((local_id, version, theirs))
                else:
                    writes[local_id] = merged
            if writes:
                params = [self.account, *_columns(writes)]
                returned = conn.execute(_UPSERT, params).fetchall()
                rows += [(local_id, version, writes.pop(local_id)) for local_id, version in returned]
            if writes:  # dropped by the trigger, or another account's id: take what is stored
                rows += conn.execute(
                    "SELECT local_id, version, doc FROM seedance_jobs "
                    "WHERE local_id = ANY(%s) AND account = %s",
                    (list(writes), self.account),
                ).fetchall()
            return rows

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise StoreError(
                f"The job store at {self._where} is read-only for this database role: nothing can be "
                "saved. Use a role with INSERT and UPDATE on seedance_jobs."
            )

    def _require_pool(self) -> ConnectionPool:
        if self._pool is None:
            raise StoreError(f"The job store at {self._where} is closed.")
        return self._pool

    # -- other processes' changes ----------------------------------------------------------

    def add_change_listener(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def remove_change_listener(self, listener: ChangeListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _announce(self) -> None:
        for listener in list(self._listeners):
            listener()

    def refresh(self) -> list[Job]:
        """Jobs other processes changed, fetched by the ids they announced (no query when none was)."""
        ids, reload = self._listener.take()
        if ids or reload:
            try:
                with self._io_lock:
                    rows = self._fetch_newer(None if reload else ids)
                    with self._lock:
                        self._absorb(rows, report=True)
            except Exception as exc:
                self._listener.give_back(ids, reload)
                raise exc if isinstance(exc, StoreError) else describe(exc, self._where) from None
        if self._listener.problem is not None:
            raise StoreError(
                f"Lost the connection to the job store at {self._where} "
                f"({mask_url(self._listener.problem)}); "
                "changes are kept in memory and written when it is back."
            )
        with self._lock:
            changed = list(self._changed.values())
            self._changed.clear()
        return changed

    def _fetch_newer(self, ids: set[str] | None) -> list[tuple[str, int, Document]]:
        """The rows among ``ids`` (None: all of the account's) newer than we know; caller holds _io_lock.

        Versions first, documents only where needed: most announcements are of our own commits,
        and a reconnection compares every job (~100 bytes a row instead of a whole document).
        """
        query = "SELECT local_id, version FROM seedance_jobs WHERE account = %s"
        params: tuple[Any, ...] = (self.account,)
        if ids is not None:
            query += " AND local_id = ANY(%s)"
            params = (self.account, list(ids))
        with self._require_pool().connection(timeout=POOL_TIMEOUT) as conn:
            newer = [
                lid for lid, version in conn.execute(query, params) if self._versions.get(lid, 0) < version
            ]
        return self._fetch(set(newer)) if newer else []

    def _load(self) -> None:
        rows = self._fetch(None)
        with self._lock:
            self._absorb(rows, report=False)

    def _fetch(self, ids: set[str] | None) -> list[tuple[str, int, Document]]:
        query = "SELECT local_id, version, doc FROM seedance_jobs WHERE account = %s"
        params: tuple[Any, ...] = (self.account,)
        if ids is not None:
            query += " AND local_id = ANY(%s)"
            params = (self.account, list(ids))
        if self._pool is None:
            with self._connect() as conn:
                return list(conn.execute(query, params))
        with self._pool.connection(timeout=POOL_TIMEOUT) as conn:
            return list(conn.execute(query, params))

    def _absorb(self, rows: list[tuple[str, int, Document]], *, report: bool) -> None:
        """Take in stored rows newer than we knew, merging with our unsaved changes; caller holds _lock."""
        for local_id, version, doc in rows:
            if self._versions.get(local_id, 0) >= version:
                continue
            self._versions[local_id] = version
            self._docs[local_id] = doc
            job = _parse(doc)
            if job is None:
                self._unreadable.add(local_id)
                continue
            self._unreadable.discard(local_id)
            ours = self._dirty.get(local_id)
            if ours is not None:
                merged = merge_docs(ours, doc)
                if merged is ours:
                    continue
                if merged is doc:
                    del self._dirty[local_id]
                else:
                    self._dirty[local_id] = merged
                    job = Job.from_dict(merged)
            cached = self._jobs.get(local_id)
            if cached is not None and cached.to_dict() == doc:
                continue  # our own write coming back
            self._jobs[local_id] = job
            if report:
                self._changed[local_id] = job
        self.skipped_documents = len(self._unreadable)

    def documents(self) -> list[Document]:
        """Every job document of this account as stored (unknown fields kept), with unsaved changes."""
        with self._io_lock:
            rows = self._fetch(None)
            with self._lock:
                self._absorb(rows, report=True)
                docs = {local_id: doc for local_id, _version, doc in rows}
                docs.update(self._dirty)
        return list(docs.values())

    def close(self) -> None:
        """Flush, stop listening and close the connections; a failed flush raises and leaves it open."""
        if self._closed:
            return
        self.flush()
        self._closed = True
        self._listener.stop()
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def _configure(conn: psycopg.Connection) -> None:
    """Documents go through orjson both ways: the stdlib json module is ~5x slower on jobs."""
    from psycopg.types.json import set_json_dumps, set_json_loads

    set_json_dumps(_dumps, conn)
    set_json_loads(orjson.loads, conn)
