"""``store copy`` between two PostgreSQL databases: every account's jobs, rows as stored.

A store object sees one account (its key's fingerprint); a copy between databases must move every
account's rows without any key, so it reads the source's rows directly, in keyset pages, and
writes them with the store's own merge (``write_merged``): lossless, and running it twice
changes nothing. It is safe while dashboards are open on either side (each row is merged under
its row lock, and announced as any write is).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from seedance_tui.store.location import mask_url
from seedance_tui.store.merge import Document
from seedance_tui.store.postgres.connect import configure, conninfo
from seedance_tui.store.postgres.errors import describe
from seedance_tui.store.postgres.schema import check_version, migrate, schema_version
from seedance_tui.store.postgres.writes import write_merged

#: Rows read and written per transaction.
CHUNK = 1_000


@dataclass(frozen=True)
class CopyResult:
    accounts: int
    read: int
    written: int


def copy_accounts(source_url: str, target_url: str, notice: Callable[[str], None]) -> CopyResult:
    """Copy every account's jobs from ``source_url`` into ``target_url`` (schema made when needed)."""
    where = mask_url(source_url)
    try:
        with psycopg.connect(conninfo(source_url)) as source:
            configure(source)
            version = schema_version(source)
            check_version(version, where)
            if version == 0:
                return CopyResult(0, 0, 0)  # never used as a store: nothing to copy
            where = mask_url(target_url)
            with psycopg.connect(conninfo(target_url), autocommit=True) as target:
                configure(target)
                migrate(target, where, notice)
                return _copy(source, target)
    except psycopg.Error as exc:
        raise describe(exc, where) from None


def _copy(source: psycopg.Connection, target: psycopg.Connection) -> CopyResult:
    accounts: set[str] = set()
    read = written = 0
    after: tuple[str, str] = ("", "")
    while True:
        rows = source.execute(
            "SELECT account, local_id, doc FROM seedance_jobs WHERE (account, local_id) > (%s, %s) "
            "ORDER BY account, local_id LIMIT %s",
            (*after, CHUNK),
        ).fetchall()
        source.rollback()  # keep no snapshot open between pages
        by_account: dict[str, dict[str, Document]] = {}
        for account, local_id, doc in rows:
            by_account.setdefault(account, {})[local_id] = doc
        for account, batch in by_account.items():
            written += write_merged(target, account, batch, lambda _id, _version: None)[1]
        accounts.update(by_account)
        read += len(rows)
        if len(rows) < CHUNK:
            return CopyResult(len(accounts), read, written)
        after = (rows[-1][0], rows[-1][1])
