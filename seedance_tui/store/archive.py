"""Archive files: finished jobs moved out of the store file, one tinydb file per month, read lazily.

The store file then holds only recent and unfinished jobs, so opening it costs what is in flight,
not the whole history. An archive of store ``jobs.json`` is ``jobs-archive-YYYY-MM.json`` beside it
(month of the job's ``created_at``, UTC), in the store's own format ``{"jobs": {"<id>": {job}}}``, and
``jobs-archive.index.json`` lists the months written, so a missing month file is noticed.

Moving is crash-safe by order: each month file is replaced atomically and durably (with what it held
plus the new jobs) and the index updated, and only then are the jobs removed from the store. A crash
at any point leaves every job in the store, the archive, or both; readers take a job found in both
once (``merge_docs`` picks the version, as between processes). A damaged or unreadable month file is
reported as a notice and never rewritten; its jobs stay where they were.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout

from seedance_tui.store.archive_start import due_for_archive
from seedance_tui.store.atomic import fsync_dir, write_atomic
from seedance_tui.store.errors import StoreCorruptError, StoreError
from seedance_tui.store.file_access import LOCK_TIMEOUT, store_path
from seedance_tui.store.history import HistoryTotals, totals_of
from seedance_tui.store.job_store import JOBS_TABLE, JobStore
from seedance_tui.store.merge import Document, merge_docs
from seedance_tui.store.notices import StoreNotice
from seedance_tui.store.storage import parse_database

_MONTH = re.compile(r"^\d{4}-\d{2}$")


def month_of(created_at: float) -> str:
    """The archive month (``YYYY-MM``, UTC) a job created at ``created_at`` belongs to."""
    return datetime.fromtimestamp(created_at, UTC).strftime("%Y-%m")


def archive_path(store: Path, month: str) -> Path:
    return store.with_name(f"{store.stem}-archive-{month}{store.suffix}")


def index_path(store: Path) -> Path:
    return store.with_name(f"{store.stem}-archive.index.json")


def damaged_archive(path: Path, problem: str) -> StoreNotice:
    return StoreNotice(
        f"The archive file {path} cannot be read ({problem}): the jobs it holds are NOT shown. It has "
        "not been changed and is never overwritten; restore it from a backup or repair the JSON by hand.",
        jobs_may_be_missing=True,
    )


def missing_archive(path: Path, count: int) -> StoreNotice:
    return StoreNotice(
        f"The archive file {path} is missing (it held {count} finished job(s)): those jobs are NOT shown. "
        "Restore it from a backup, named as before.",
        jobs_may_be_missing=True,
    )


@dataclass
class Archive:
    """The archive files of one store; nothing is read until a month is asked for."""

    store: Path
    #: Damage met while reading (each file once).
    notices: list[StoreNotice] = field(default_factory=list)
    _reported: set[Path] = field(default_factory=set)
    #: The index as last parsed, under its (mtime, size): paging reads it once per month otherwise.
    _index: tuple[tuple[int, int], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        self.store = store_path(self.store)

    def index(self) -> dict[str, int]:
        """Months written so far and how many jobs each held then (empty when none or unreadable)."""
        months = self._read_index().get("months")
        return {m: n for m, n in months.items() if _MONTH.match(m) and isinstance(n, int)} if months else {}

    def month_totals(self) -> dict[str, HistoryTotals]:
        """The summary's figures of each month as written (months archived by an older version
        have none: their files are counted when asked)."""
        totals = self._read_index().get("totals")
        if not isinstance(totals, dict):
            return {}
        found = {month: HistoryTotals.from_json(data) for month, data in totals.items()}
        return {month: figures for month, figures in found.items() if figures is not None}

    def _read_index(self) -> dict[str, Any]:
        path = index_path(self.store)
        try:
            stat = path.stat()
            version = (stat.st_mtime_ns, stat.st_size)
            if self._index is not None and self._index[0] == version:
                return self._index[1]
            data = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, orjson.JSONDecodeError) as exc:
            self._report(path, damaged_archive(path, str(exc)))
            return {}
        if not isinstance(data, dict) or not isinstance(data.get("months"), dict):
            self._report(path, damaged_archive(path, "expected an object with a 'months' object"))
            return {}
        self._index = (version, data)
        return data

    def months(self) -> list[str]:
        """Every month with an archive file or an index entry, newest first (one directory listing)."""
        prefix, suffix = f"{self.store.stem}-archive-", self.store.suffix
        found = {
            p.name[len(prefix) : len(p.name) - len(suffix)]
            for p in self.store.parent.glob(f"{prefix}*{suffix}")
        }
        return sorted({m for m in found if _MONTH.match(m)} | set(self.index()), reverse=True)

    def documents(self, month: str) -> dict[str, Document] | None:
        """The job documents of one month by local id; None (and a notice) when the file is missing
        although the index lists it, or damaged."""
        path = archive_path(self.store, month)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            listed = self.index().get(month)
            if listed is not None:
                self._report(path, missing_archive(path, listed))
                return None
            return {}
        except OSError as exc:
            self._report(path, damaged_archive(path, exc.strerror or str(exc)))
            return None
        try:
            table = parse_database(raw, path).get(JOBS_TABLE, {})
        except StoreCorruptError as exc:
            self._report(path, damaged_archive(path, exc.problem))
            return None
        docs: dict[str, Document] = {}
        for doc in table.values():
            local_id = doc.get("local_id") if isinstance(doc, dict) else None
            if isinstance(local_id, str) and local_id:
                docs[local_id] = merge_docs(docs[local_id], doc) if local_id in docs else doc
        return docs

    def iter_documents(self, skip: Iterable[str] = ()) -> Iterator[Document]:
        """Every archived job document, newest month first, each once, none whose id is in ``skip``
        (the store's own jobs: a job in both is the store's, whose version the caller already has)."""
        seen = set(skip)
        for month in self.months():
            for local_id, doc in (self.documents(month) or {}).items():
                if local_id not in seen:
                    seen.add(local_id)
                    yield doc

    def _report(self, path: Path, notice: StoreNotice) -> None:
        if path not in self._reported:
            self._reported.add(path)
            self.notices.append(notice)


@dataclass(frozen=True)
class ArchiveResult:
    moved: int
    #: Months left alone because their file could not be read (their jobs stay in the store).
    skipped_months: list[str]
    seconds: float
    #: Why (damaged or unreadable archive files, each left untouched).
    notices: list[StoreNotice] = field(default_factory=list)


def archive_finished(store: JobStore, older_than: float, now: float | None = None) -> ArchiveResult:
    """Move the store's finished jobs unchanged for ``older_than`` seconds into the month archives.

    One process at a time (the archive's own lock): two writers of one month file could otherwise
    each drop what the other just moved there.
    """
    lock = FileLock(f"{index_path(store.path)}.lock", timeout=LOCK_TIMEOUT, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        return ArchiveResult(0, [], 0.0)  # another process is archiving this store right now
    try:
        return _archive_finished(store, older_than, now)
    finally:
        lock.release()


def _archive_finished(store: JobStore, older_than: float, now: float | None) -> ArchiveResult:
    started = time.perf_counter()
    cutoff = (time.time() if now is None else now) - older_than
    archive = Archive(store.path)
    by_month: dict[str, list[Document]] = {}
    for doc in store.documents():
        created = doc.get("created_at")
        if due_for_archive(doc, cutoff) and isinstance(created, int | float):
            by_month.setdefault(month_of(created), []).append(doc)
    moved: list[str] = []
    skipped: list[str] = []
    index, totals = archive.index(), archive.month_totals()
    if archive.notices:  # a damaged index is kept as it is: nothing moves until it is repaired
        return ArchiveResult(0, sorted(by_month), time.perf_counter() - started, archive.notices)
    for month in sorted(by_month):
        existing = archive.documents(month)
        if existing is None:
            skipped.append(month)
            continue
        for doc in by_month[month]:
            old = existing.get(doc["local_id"])
            existing[doc["local_id"]] = doc if old is None else merge_docs(doc, old)
        _write_month(archive_path(store.path, month), existing.values())
        index[month] = len(existing)
        totals[month] = totals_of(existing.values())
        _write_index(index_path(store.path), index, totals)
        moved.extend(doc["local_id"] for doc in by_month[month])
    store.remove(moved)
    return ArchiveResult(len(moved), skipped, time.perf_counter() - started, archive.notices)


def _write_month(path: Path, docs: Iterable[Document]) -> None:
    table = {str(n): doc for n, doc in enumerate(docs, start=1)}
    _replace(path, orjson.dumps({JOBS_TABLE: table}))


def _write_index(path: Path, months: dict[str, int], totals: dict[str, HistoryTotals]) -> None:
    data = {
        "months": dict(sorted(months.items())),
        "totals": {m: totals[m].to_json() for m in sorted(totals)},
    }
    _replace(path, orjson.dumps(data))


def _replace(path: Path, data: bytes) -> None:
    try:
        fd = write_atomic(path, data)
    except OSError as exc:
        raise StoreError(
            f"Could not write the archive file {path}: {exc.strerror}. Nothing was moved."
        ) from None
    os.close(fd)


def backup_store_file(path: Path) -> Path:
    """A durable copy of the store file beside it, under a name not taken yet."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(100):
        target = path.with_name(f"{path.name}.pre-archive-{stamp}" + (f"-{n}" if n else ""))
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            raise StoreError(f"Could not back up the job store to {target}: {exc.strerror}.") from None
        try:
            with open(fd, "wb") as out, path.open("rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise StoreError(f"Could not back up the job store to {target}: {exc.strerror}.") from None
        fsync_dir(path.parent)
        return target
    raise StoreError(
        f"Could not back up the job store {path}: too many backups named {path.name}.pre-archive-*."
    )


def archived_versions(store: Path, docs: Iterable[Document]) -> dict[str, Document]:
    """The archived version of each of these jobs found in its month file (reads only those months;
    nothing when the store has never been archived)."""
    if not index_path(store).exists():
        return {}
    wanted: dict[str, set[str]] = {}
    for doc in docs:
        created = doc.get("created_at")
        if isinstance(created, int | float):
            wanted.setdefault(month_of(created), set()).add(doc["local_id"])
    archive = Archive(store)
    found: dict[str, Document] = {}
    for month, ids in wanted.items():
        month_docs = archive.documents(month) or {}
        found.update({local_id: month_docs[local_id] for local_id in ids if local_id in month_docs})
    return found
