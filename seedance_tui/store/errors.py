"""The store's error family; every message is written for the user, not the developer."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """The job store cannot be read or written; the message says why and what to do."""


class BatchKeyTaken(StoreError):
    """``add`` refused a job whose batch key another job of the account already has: the same batch
    line is being (or was) sent by another process or machine. Nothing was stored; do not send it."""

    def __init__(self, batch_key: str) -> None:
        self.batch_key = batch_key
        entry, _sep, attempt = batch_key.rpartition("#")
        super().__init__(
            f"batch entry {entry or batch_key} (attempt {attempt or '?'}) is already being sent by another "
            "process or machine: not sent here."
        )


class StoreCorruptError(StoreError):
    """The store file (or its journal) exists but is not readable as one; it is left exactly as it was."""

    def __init__(self, path: Path, problem: str, *, store: Path | None = None) -> None:
        #: The damaged file, and the job store it belongs to (the same file unless it is the journal).
        self.path = path
        self.store = store or path
        self.problem = problem
        if self.store == path:
            advice = "to recover the jobs, repair the JSON by hand"
        else:
            advice = f"{self.store.name} itself still holds every job as of its last rewrite"
        super().__init__(
            f"The job store {path} is damaged: {problem}. The file has not been changed. "
            f"To start again without it, run with --recover-db (it renames the file to "
            f"{path.name}.corrupt-<date>-<time> and keeps it); {advice}."
        )
