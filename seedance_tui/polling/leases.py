"""Which lease decides who polls: a lock file beside a file store, an advisory lock in a database."""

from __future__ import annotations

from seedance_tui.polling.lease import Lease, PollerLease
from seedance_tui.store import JobStore
from seedance_tui.store.backend import Store


def lease_for(store: Store, base_url: str, api_key: str, account: str) -> Lease | None:
    """The lease for ``store`` (None: a store kind that cannot share the role, so this process polls)."""
    if isinstance(store, JobStore):
        return PollerLease(store.path, base_url, api_key)
    # Imported here: psycopg is loaded only by people who use the PostgreSQL store.
    from seedance_tui.polling.pg_lease import PgPollerLease
    from seedance_tui.store.postgres import PostgresJobStore

    if isinstance(store, PostgresJobStore):
        return PgPollerLease(store.conninfo, account)
    return None
