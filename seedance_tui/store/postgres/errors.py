"""PostgreSQL failures as StoreErrors that say what is wrong and what to do, never the password."""

from __future__ import annotations

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout

from seedance_tui.store.errors import StoreError
from seedance_tui.store.location import mask_url

_KEPT = "Changes are kept in memory and written when it is back."


def describe(exc: Exception, where: str) -> StoreError:
    """A StoreError for ``exc``, met while using the job store at ``where`` (already masked)."""
    text = mask_url(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(exc, PoolTimeout):
        return StoreError(f"The job store at {where} cannot be reached (no connection in time). {_KEPT}")
    if isinstance(exc, pg_errors.InsufficientPrivilege) or sqlstate == "42501":
        return StoreError(
            f"The database role may not write the job store at {where} (read-only role?): {text}. "
            "Grant it INSERT and UPDATE on seedance_jobs, or use a role that has them."
        )
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction) or sqlstate == "25006":
        return StoreError(
            f"The database at {where} is read-only (a standby, or default_transaction_read_only): {text}."
        )
    lowered = text.lower()
    if sqlstate in ("28P01", "28000") or "password authentication failed" in lowered:
        return StoreError(
            f"PostgreSQL refused the login to {where}: {text}. Check the user and password "
            "(in the URL, PGPASSWORD or ~/.pgpass)."
        )
    if sqlstate == "3D000" or ("database" in lowered and "does not exist" in lowered):
        return StoreError(f"No such database in {where}: {text}. Create it (createdb) first.")
    if isinstance(exc, psycopg.OperationalError):
        return StoreError(f"The job store at {where} cannot be reached: {text}. {_KEPT}")
    return StoreError(f"The job store at {where} failed: {text}.")
