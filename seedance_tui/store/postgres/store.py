"""The job store on PostgreSQL, with the file store's behaviour and guarantees.

Like ``JobStore`` it keeps the account's jobs in memory and writes changed ones in batches, so the
service uses both the same way. It is synchronous (psycopg's blocking API and a thread-safe
``ConnectionPool``) because the service calls the store's I/O methods from worker threads
(``asyncio.to_thread``) and its cheap ones (``get``, ``update``) straight from the event loop:
an async store would need a second event loop per thread, or make those reads awaitable everywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from seedance_tui.models import Job
from seedance_tui.store.backend import ChangeListener
from seedance_tui.store.cached import CachedJobs
from seedance_tui.store.errors import BatchKeyTaken, StoreError
from seedance_tui.store.file_access import parse_job
from seedance_tui.store.location import mask_url
from seedance_tui.store.merge import Document, merge_docs
from seedance_tui.store.notices import StoreNotice
from seedance_tui.store.postgres.connect import configure, conninfo
from seedance_tui.store.postgres.errors import describe
from seedance_tui.store.postgres.history import PostgresHistory
from seedance_tui.store.postgres.listener import Listener
from seedance_tui.store.postgres.schema import SCHEMA_VERSION, check_version, migrate, schema_version
from seedance_tui.store.postgres.window import Window
from seedance_tui.store.postgres.writes import Row, write_merged

#: How long a write waits for a pooled connection before reporting the database unreachable.
POOL_TIMEOUT = 5.0
#: Rows written per transaction by ``put_documents`` (``store copy``).
COPY_CHUNK = 1_000
_COLUMNS = "SELECT local_id, version, doc FROM seedance_jobs WHERE "


def _stderr_notice(message: str) -> None:
    sys.stderr.write(message + "\n")


class PostgresJobStore(CachedJobs):
    """One account's jobs in a PostgreSQL database, cached in memory, live across processes."""

    def __init__(self, url: str, account: str, recent_days: float = 30.0) -> None:
        """Use ``PostgresJobStore.open``."""
        super().__init__()
        #: Which jobs this store holds in memory; the rest is its history.
        self.window = Window.opening_now(recent_days)
        self._where = mask_url(url)
        self._conninfo = conninfo(url)
        self.account = account
        self.read_only = False
        #: Row version of each job as last read or written here: older announcements are skipped.
        self._versions: dict[str, int] = {}
        #: Each job's document as last read or written (its unknown fields included).
        self._docs: dict[str, Document] = {}
        self._unreadable: set[str] = set()
        self._listeners: list[ChangeListener] = []
        self._pool: ConnectionPool | None = None
        self._listener = Listener(self._connect, self._announce)

    @property
    def conninfo(self) -> str:
        """How to connect to this store's database (it may hold a password: never show it)."""
        return self._conninfo

    @classmethod
    def open(
        cls,
        url: str,
        account: str,
        *,
        notice: Callable[[str], None] = _stderr_notice,
        recent_days: float = 30.0,
    ) -> PostgresJobStore:
        """Connect, create or upgrade the schema when needed (saying so), load the account's jobs
        needed to paint: unfinished ones and those finished within ``recent_days`` (at most
        RECENT_CAP of them; ``recent_days`` <= 0 loads every job). The rest is ``history()``."""
        store = cls(url, account, recent_days)
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
                configure=configure,
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
            with psycopg.connect(conninfo(url)) as conn:
                return migrate(conn, mask_url(url), notice)
        except psycopg.Error as exc:
            raise describe(exc, mask_url(url)) from None

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self._conninfo, autocommit=True)
        configure(conn)
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

    # -- writing -------------------------------------------------------------------------

    def add(self, job: Job) -> None:
        """Store a new job and commit it before returning (call it before sending the POST)."""
        self._refuse_if_read_only()
        self._flush(new=job)

    def put_documents(self, docs: Iterable[Document]) -> int:
        """Merge raw documents in (unknown fields kept) and commit them; return how many changed.

        Written in chunks straight to the database: jobs this store does not hold stay out of
        memory (a copy of a long history into an open dashboard's account loads nothing).
        """
        self._refuse_if_read_only()
        self.flush()  # our own changes first: the rows below are then merged with them
        batch: dict[str, Document] = {}
        written = 0
        for doc in docs:
            if parse_job(doc) is not None:
                batch[doc["local_id"]] = doc
            if len(batch) >= COPY_CHUNK:
                written += self._put(batch)
                batch = {}
        return written + (self._put(batch) if batch else 0)

    def _put(self, batch: dict[str, Document]) -> int:
        with self._io_lock:
            rows, written = self._write(batch)
            with self._lock:
                wanted = [row for row in rows if row[0] in self._jobs or self.window.holds(row[2])]
                for local_id, _version, _doc in wanted:
                    self._versions.pop(local_id, None)
                self._absorb(wanted, report=True)
        return written

    def flush(self) -> int:
        """Commit the changed jobs in one transaction, merged with the rows others wrote meanwhile."""
        return self._flush(new=None)

    def _flush(self, new: Job | None) -> int:
        """``flush``; with ``new`` (``add``), staged here under _io_lock (so that no other thread's
        flush writes it without its batch key checked), refused with BatchKeyTaken and forgotten when
        another row of the account holds that key."""
        with self._io_lock:
            if new is not None:
                self._stage_new(new)
            with self._lock:
                batch = dict(self._dirty)
            if not batch:
                return 0
            self._refuse_if_read_only()
            claim = None if new is None else new.local_id
            try:
                rows, _written = self._write(batch, claim)
            except BatchKeyTaken:  # raised for ``new`` only: its batch line is another process's to send
                if claim is not None:
                    self._unstage(claim)
                raise
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

    def _write(self, batch: dict[str, Document], claim: str | None = None) -> tuple[list[Row], int]:
        """Merge ``batch`` with the stored rows and upsert it in one transaction (caller holds _io_lock,
        under which _versions and _docs change: documents unchanged since are not fetched)."""

        def known(local_id: str, version: int) -> Document | None:
            return self._docs.get(local_id) if self._versions.get(local_id) == version else None

        try:
            with self._require_pool().connection(timeout=POOL_TIMEOUT) as conn:
                return write_merged(conn, self.account, batch, known, claim)
        except StoreError:
            raise
        except Exception as exc:  # the pool's timeout and its closed state are not psycopg.Errors
            raise describe(exc, self._where) from None

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

    def _fetch_newer(self, ids: set[str] | None) -> list[Row]:
        """The rows among ``ids`` (None: all of the account's) newer than we know that this store
        holds or should (unfinished, or changed since it opened); caller holds _io_lock.

        Versions first, documents only where needed: most announcements are of our own commits,
        and a reconnection compares every held job (~100 bytes a row instead of a whole document).
        """
        with self._lock:
            held = list(self._jobs) if ids is None else [i for i in ids if i in self._jobs]
        where, params = self.window.watched(self.account, held)
        if ids is not None:
            where += " AND local_id = ANY(%s)"
            params += (list(ids),)
        versions = self._query(f"SELECT local_id, version FROM seedance_jobs WHERE {where}", params)
        newer = [lid for lid, version in versions if self._versions.get(lid, 0) < version]
        return self._rows("account = %s AND local_id = ANY(%s)", (self.account, newer)) if newer else []

    def _load(self) -> None:
        rows = [
            row for where, params in self.window.at_open(self.account) for row in self._rows(where, params)
        ]
        with self._lock:
            self._absorb(rows, report=False)

    def _rows(self, where: str, params: tuple[Any, ...]) -> list[Row]:
        return self._query(_COLUMNS + where, params)  # type: ignore[return-value]

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Run one statement on a pooled connection (a fresh one while opening)."""
        if self._pool is None:
            with self._connect() as conn:
                return list(conn.execute(sql.encode(), params))
        try:
            with self._pool.connection(timeout=POOL_TIMEOUT) as conn:
                return list(conn.execute(sql.encode(), params))
        except StoreError:
            raise
        except Exception as exc:
            raise describe(exc, self._where) from None

    def history(self) -> PostgresHistory:
        """The account's jobs not held here, paged and looked up in SQL."""
        return PostgresHistory(self.account, self._query, self.held_ids)

    def _absorb(self, rows: list[Row], *, report: bool) -> None:
        """Take in stored rows newer than we knew, merging with our unsaved changes; caller holds _lock."""
        for local_id, version, doc in rows:
            if self._versions.get(local_id, 0) >= version:
                continue
            self._versions[local_id] = version
            self._docs[local_id] = doc
            job = parse_job(doc)
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
        """The held jobs' documents as stored (unknown fields kept), with unsaved changes."""
        with self._io_lock:
            rows = self._rows("account = %s AND local_id = ANY(%s)", (self.account, list(self.held_ids())))
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
