"""Open the store a URL names: the tinydb file store or the PostgreSQL one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from seedance_tui.store.account import account_fingerprint
from seedance_tui.store.backend import Store
from seedance_tui.store.errors import StoreError
from seedance_tui.store.job_store import JobStore
from seedance_tui.store.location import StoreLocation, parse_store_url


def open_store_url(
    url: str | Path | StoreLocation,
    *,
    api_key: str | None,
    notice: Callable[[str], None] | None = None,
    recent_days: float = 30.0,
) -> Store:
    """The store at ``url``; in a shared database only the jobs of ``api_key``'s account are seen,
    and only those needed to paint are loaded (finished within ``recent_days``; see its history)."""
    location = url if isinstance(url, StoreLocation) else parse_store_url(url)
    if location.conninfo is None:
        assert location.path is not None
        return JobStore.open(location.path)
    if not api_key:
        raise StoreError(
            f"The job store at {location} is shared by API keys and shows the jobs of one: set "
            "SEEDANCE_API_KEY (or save it with `seedance-tui set-key`) to see yours."
        )
    # Imported here: psycopg is loaded only by people who use the PostgreSQL store.
    from seedance_tui.store.postgres import PostgresJobStore

    account = account_fingerprint(api_key)
    if notice is None:
        return PostgresJobStore.open(location.conninfo, account, recent_days=recent_days)
    return PostgresJobStore.open(location.conninfo, account, notice=notice, recent_days=recent_days)
