"""The durable job store: the user's only record of their request ids and output URLs."""

from seedance_tui.store.errors import StoreCorruptError, StoreError
from seedance_tui.store.job_store import JobStore
from seedance_tui.store.notices import StoreNotice

__all__ = ["JobStore", "StoreCorruptError", "StoreError", "StoreNotice"]
