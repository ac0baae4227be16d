"""Damage that is never silent: what the store tells the user when it reads around a file.

A journal that does not belong to the store file beside it is never replayed, and an empty store
file yields no jobs. Both may hide jobs, so each becomes a notice naming the file kept and how to
recover; read commands exit 1 and the dashboard shows a banner while one holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from seedance_tui.store import journal
from seedance_tui.store.atomic import read_range
from seedance_tui.store.errors import StoreCorruptError


class StoreNotice(NamedTuple):
    """One thing the store did around damage; ``jobs_may_be_missing`` when jobs may not be shown."""

    message: str
    jobs_may_be_missing: bool

    def __str__(self) -> str:
        return self.message


def unreplayed_jobs(fd: int, data: dict[str, Any]) -> int | None:
    """Documents in the journal open as ``fd`` that ``data`` lacks or holds an older version of.

    None when its commit lines themselves are damaged (then nothing can be said of them).
    """
    raw = read_range(fd, 0)
    header_end = raw.find(b"\n") + 1
    if not header_end:
        return 0
    try:
        replay = journal.read_records(raw[header_end:], header_end, Path("journal"), Path("store"))
    except StoreCorruptError:
        return None
    latest: dict[tuple[str, str], Any] = {}
    for documents in replay.records:
        for table, rows in documents.items():
            for key, doc in rows.items():
                latest[table, key] = doc
    return sum(1 for (table, key), doc in latest.items() if _newer(doc, data.get(table, {}).get(key)))


def _newer(doc: Any, current: Any) -> bool:
    if not isinstance(current, dict):
        return True
    if not isinstance(doc, dict):
        return False
    ours, theirs = doc.get("updated_at"), current.get("updated_at")
    if isinstance(ours, int | float) and isinstance(theirs, int | float):
        return ours > theirs
    return doc != current


def not_replayed(journal_path: Path, store: Path, store_exists: bool, missing: int | None) -> StoreNotice:
    """The notice for a journal that extends another version of the store file (or none)."""
    why = (
        f"the store file {store} is missing"
        if not store_exists
        else f"its header does not match the store file {store} (a restored backup, or damage)"
    )
    if missing == 0:
        return StoreNotice(
            f"The journal {journal_path} was not replayed ({why}); everything in it is already in the "
            "store file. It is kept, and moved aside on the next save.",
            jobs_may_be_missing=False,
        )
    held = "unreadable changes" if missing is None else f"{missing} job record(s) newer than the store file's"
    return StoreNotice(
        f"The journal {journal_path} was not replayed ({why}): it holds {held}, which are NOT shown, so "
        "jobs may be missing. It is kept (the next save moves it aside as "
        f"{journal_path.name}.stale-<date>). "
        "To recover: stop every seedance-tui process, restore the store file the journal belongs to "
        "(or copy the job documents from the journal's lines by hand: each line after the first is a "
        "checksum and a JSON object of jobs), then start again.",
        jobs_may_be_missing=True,
    )


def set_aside(journal_path: Path, moved_to: Path, missing: int | None) -> StoreNotice:
    """The notice for a journal that was moved aside (never deleted)."""
    lost = missing != 0
    detail = (
        "Everything in it was already in the store file."
        if not lost
        else "Jobs in it are NOT in the store: to recover them, restore the store file it belongs to "
        "next to it (named as before), or copy the job documents from its lines by hand."
    )
    return StoreNotice(
        f"The journal {journal_path} did not belong to the store file and was moved aside as {moved_to}. "
        + detail,
        jobs_may_be_missing=lost,
    )


def empty_store_file(path: Path) -> StoreNotice:
    return StoreNotice(
        f"The store file {path} is empty (0 bytes): no jobs could be read from it, so jobs may be "
        "missing. If it held jobs, stop every seedance-tui process and restore it from a backup before "
        "anything is saved (the next save writes a new file in its place).",
        jobs_may_be_missing=True,
    )


def unstorable_value(path: Path, doc: Any) -> StoreNotice:
    """A job held a value JSON cannot carry; it was saved with that value as unknown."""
    name = doc.get("request_id") or doc.get("local_id") if isinstance(doc, dict) else None
    return StoreNotice(
        f"Job {name or '?'} held a value the store {path} cannot keep (a number out of range or "
        "text that is not UTF-8); it was saved with that value as unknown. Nothing else changed.",
        jobs_may_be_missing=False,
    )
