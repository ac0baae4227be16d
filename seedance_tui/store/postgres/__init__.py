"""The job store on PostgreSQL: one history shared by every process and machine of a team."""

from seedance_tui.store.postgres.store import PostgresJobStore

__all__ = ["PostgresJobStore"]
