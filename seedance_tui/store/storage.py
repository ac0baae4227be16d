"""A tinydb Storage that parses the file once, keeps it in memory and saves each commit as an append."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from seedance_tui.store import journal
from seedance_tui.store.atomic import (
    Fingerprint,
    fingerprint,
    fingerprint_of,
    fsync_dir,
    read_range,
    write_atomic,
)
from seedance_tui.store.errors import StoreError
from seedance_tui.store.journal_file import JournalFile, Records, Replaced
from seedance_tui.store.notices import (
    StoreNotice,
    empty_store_file,
    not_replayed,
    set_aside,
    unreplayed_jobs,
    unstorable_value,
)
from seedance_tui.store.quarantine import quarantine_file
from seedance_tui.store.sanitize import encodable, storable
from seedance_tui.store.store_file import close_all, open_for_reading, parse_database, why_not_written

log = logging.getLogger(__name__)

#: Changed document ids per table, as ``reload`` reports them.
Changes = dict[str, set[str]]

#: The journal may grow to this many times the store file's size (and at least to MIN_JOURNAL_LIMIT)
#: before it is folded in: at 10k jobs, one 8 MB rewrite per ~20 batches of 1,000 changes. Only a
#: crash leaves it to be replayed at start (every clean exit folds it in).
JOURNAL_GROWTH = 2.0
MIN_JOURNAL_LIMIT = 1 << 20
#: A lock-free reader retries this often when the file is replaced while it reads.
_LOAD_ATTEMPTS = 20


class BufferedOrjsonStorage(Storage):
    """Holds the whole database in memory; ``commit`` saves what changed since the last one.

    A commit appends the changed documents to ``<file>.journal`` as one checksummed, fsync'd line.
    The store file itself is rewritten (atomically, with the journal folded in, which is then
    deleted) only when the journal has grown to twice the file, on ``compact``, or after tinydb's
    whole-database ``write``. Readers load the file and replay the journal: a crash at any point
    leaves every returned commit readable and nothing half-applied.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal_path = path.with_name(path.name + ".journal")
        self._data: dict[str, Any] = {}
        # Each document's JSON as last encoded, per table: commits encode only what changed.
        self._encoded: dict[str, dict[str, orjson.Fragment]] = {}
        #: Documents put since the last commit, per table.
        self._pending: Changes = {}
        # tinydb's whole-database write() happened: only a full rewrite can save that.
        self._rewrite = False
        self._fingerprint: Fingerprint | None = None
        self._base: journal.Base | None = None
        # An fd on the file version we last read or wrote keeps its inode alive, so a new file can
        # never reuse that inode number and fool the fingerprint comparison.
        self._pin: int | None = None
        self._journal: JournalFile | None = None
        #: True once this process appended to the journal (since the last compaction).
        self.appended = False
        #: Damage read around (journals not replayed or set aside, an empty file), oldest first.
        self.notices: list[StoreNotice] = []
        #: Identities of the files already reported, so a reload does not report them again.
        self._reported: set[tuple[str, Any]] = set()
        #: What the stale journal held beyond the file, when it was read (None: unreadable).
        self._stale_missing: int | None = 0
        self.load()

    def read(self) -> dict[str, Any]:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        """tinydb's whole-database write: nothing is known about what changed, so rewrite it all."""
        self._data = data
        self._encoded = {}
        self._pending = {}
        self._rewrite = True

    def put_documents(self, table: str, documents: dict[str, Any]) -> None:
        """Replace or add these documents (by id) without touching the rest: O(len(documents))."""
        rows = self._data.setdefault(table, {})
        encoded = self._encoded.setdefault(table, {})
        pending = self._pending.setdefault(table, set())
        for key, doc in documents.items():
            rows[key] = doc
            encoded.pop(key, None)
            pending.add(key)

    def remove_documents(self, table: str, keys: Iterable[str]) -> None:
        """Drop these documents; only a rewrite can save a removal, so the next commit compacts."""
        rows, encoded = self._data.get(table, {}), self._encoded.get(table, {})
        for key in keys:
            rows.pop(key, None)
            encoded.pop(key, None)
        self._rewrite = True

    def close(self) -> None:
        self._repin(None)
        self._set_journal(None)

    @property
    def on_disk(self) -> bool:
        """True when the file existed at the last load or commit."""
        return self._fingerprint is not None

    @property
    def journal_bytes(self) -> int:
        """Size of the journal this store extends (0 when there is none)."""
        return self._journal.end if self._journal is not None and not self._journal.stale else 0

    def changed_on_disk(self) -> bool:
        """True when the file or its journal is not as we last saw it (two ``os.stat``)."""
        journal_seen = self._journal.seen if self._journal is not None else None
        return (
            fingerprint_of(self.path) != self._fingerprint
            or fingerprint_of(self.journal_path) != journal_seen
        )

    # -- reading ---------------------------------------------------------------------------------

    def load(self) -> None:
        """Replace the in-memory data with the file's plus its journal's; missing reads as empty."""
        for _ in range(_LOAD_ATTEMPTS):
            if self._load_once():
                return
        raise StoreError(f"The job store {self.path} kept being replaced while it was read; try again.")

    def reload(self) -> Changes | None:
        """Catch up with other processes' commits: the changed ids per table, or None after a full load."""
        if fingerprint_of(self.path) != self._fingerprint:
            self.load()
            return None
        current, now = self._journal, fingerprint_of(self.journal_path)
        if current is None and now is None:
            return {}
        if current is not None and now is not None:
            if now == current.seen:
                return {}
            if current.is_file(now):
                return self._apply(current.read_new(now, self._base))
        self.load()  # the journal appeared, vanished or was replaced
        return None

    def _load_once(self) -> bool:
        """One attempt at a consistent read; False when the file was replaced meanwhile."""
        main_fd = open_for_reading(self.path)
        journal_fd: int | None = None
        try:
            journal_fd = open_for_reading(self.journal_path, appendable=True)
            main_print = fingerprint(os.fstat(main_fd)) if main_fd is not None else None
            # The journal we opened extends the file we opened unless the file was replaced since.
            if fingerprint_of(self.path) != main_print:
                raise Replaced
            raw = read_range(main_fd, 0) if main_fd is not None else b""
            data = parse_database(raw, self.path)
            base = journal.base_of(raw) if main_fd is not None else None
            opened, records = (
                JournalFile.open_existing(journal_fd, self.journal_path, self.path, base)
                if journal_fd is not None
                else (None, [])
            )
        except Replaced:
            close_all(main_fd, journal_fd)
            return False
        except OSError as exc:
            close_all(main_fd, journal_fd)
            raise StoreError(f"Cannot read the job store {self.path}: {exc.strerror}.") from None
        except BaseException:
            close_all(main_fd, journal_fd)
            raise
        self._data, self._encoded, self._pending, self._rewrite = data, {}, {}, False
        self._fingerprint, self._base = main_print, base
        self._repin(main_fd)
        self._set_journal(opened)
        self._apply(records)
        self._note_damage(raw, main_print)
        return True

    def _note_damage(self, raw: bytes, main_print: Fingerprint | None) -> None:
        """Report an empty store file and a journal that is not replayed (each once)."""
        if main_print is not None and not raw:
            self._notice(("empty", main_print[:2]), empty_store_file(self.path))
        opened = self._journal
        if opened is not None and opened.stale and opened.end:
            try:
                self._stale_missing = unreplayed_jobs(opened.fd, self._data)
            except OSError:
                self._stale_missing = None
            notice = not_replayed(self.journal_path, self.path, main_print is not None, self._stale_missing)
            self._notice(("journal", opened.ident), notice)

    def _notice(self, key: tuple[str, Any], notice: StoreNotice) -> None:
        if key not in self._reported:
            self._reported.add(key)
            self.notices.append(notice)
            log.info("%s", notice)  # never to the terminal: the dashboard and the CLI show notices

    def _apply(self, records: Records) -> Changes:
        """Put the documents of journal commits in place; their ids per table."""
        changes: Changes = {}
        for documents in records:
            for table, rows in documents.items():
                self._data.setdefault(table, {}).update(rows)
                encoded = self._encoded.get(table, {})
                changed = changes.setdefault(table, set())
                for key in rows:
                    encoded.pop(key, None)
                    changed.add(key)
        return changes

    # -- writing ---------------------------------------------------------------------------------

    def commit(self) -> None:
        """Save every document put since the last commit, durably: one journal append, or a rewrite."""
        if self._rewrite or self._base is None:
            self.compact()
            return
        if not self._pending:
            return
        try:
            # One encoding pass, not cached per document: that cache only serves the rare fold-in.
            payload = orjson.dumps(self._pending_documents())
        except (TypeError, orjson.JSONEncodeError):  # input checks should make this unreachable
            self._make_storable((table, key) for table, keys in self._pending.items() for key in keys)
            try:
                payload = orjson.dumps(self._pending_documents())
            except (TypeError, orjson.JSONEncodeError) as exc:
                raise self._unencodable(exc) from None
        line = journal.record(payload)
        if self.journal_bytes + len(line) > max(MIN_JOURNAL_LIMIT, JOURNAL_GROWTH * self._base[0]):
            self.compact()
            return
        self._append(line, self._base)
        self._pending = {}

    def compact(self) -> None:
        """Rewrite the file with everything in memory (atomically and durably), then drop the journal."""
        try:
            data = orjson.dumps(self._fragments())
        except (TypeError, orjson.JSONEncodeError) as exc:
            raise self._unencodable(exc) from None
        if self._journal is not None and self._journal.stale:
            # Aside before the new file exists: one with the same bytes would make it look current.
            self._keep_stale_journal_aside()
        try:
            fd = write_atomic(self.path, data)
            self._fingerprint, self._base = fingerprint(os.fstat(fd)), journal.base_of(data)
        except OSError as exc:
            self._forget_disk_state()
            raise StoreError(
                f"Could not save the job store {self.path}: {why_not_written(exc)}. "
                "Unsaved changes are kept in memory and retried on the next save."
            ) from None
        self._repin(fd)
        self._pending, self._rewrite, self.appended = {}, False, False
        self._set_journal(None)
        # Everything the journal held is in the new file; left behind, it would only be stale.
        with contextlib.suppress(OSError):
            os.unlink(self.journal_path)
            fsync_dir(self.path.parent)
        try:
            leftover = open_for_reading(self.journal_path, appendable=True)
            if leftover is not None:  # it could not be removed: it no longer matches, so it is never replayed
                self._set_journal(
                    JournalFile.open_existing(leftover, self.journal_path, self.path, self._base)[0]
                )
        except (StoreError, OSError, Replaced):
            self._forget_disk_state()  # the next save looks at everything again first

    def _append(self, line: bytes, base: journal.Base) -> None:
        try:
            if self._journal is not None and self._journal.stale:
                # It extends another version of the file (an old crash, or a restored backup): keep it.
                self._keep_stale_journal_aside()
            current = self._journal
            if current is None:
                current = JournalFile.create(self.journal_path, self.path)
                self._set_journal(current)
            current.append(line, base)
        except OSError as exc:
            self._forget_disk_state()
            raise StoreError(
                f"Could not save the job store's journal {self.journal_path}: {why_not_written(exc)}. "
                "Unsaved changes are kept in memory and retried on the next save."
            ) from None
        self.appended = True

    def _keep_stale_journal_aside(self) -> None:
        """Move a journal that extends another version of the file aside (never delete it), and say so."""
        moved = quarantine_file(self.journal_path, "stale")
        self._set_journal(None)
        self._notice(("aside", str(moved)), set_aside(self.journal_path, moved, self._stale_missing))

    def _forget_disk_state(self) -> None:
        """After a failed write, make the next save reload everything first (ids may be taken meanwhile)."""
        self._fingerprint = None

    def _fragments(self) -> dict[str, dict[str, orjson.Fragment]]:
        """The database with every document as pre-encoded JSON, encoding only the new or changed."""
        tables: dict[str, dict[str, orjson.Fragment]] = {}
        for name, rows in self._data.items():
            encoded = self._encoded.setdefault(name, {})
            for key, doc in rows.items():
                if key not in encoded:
                    if not encodable(doc):
                        self._make_storable([(name, key)])
                        doc = rows[key]
                    # The copy matters: orjson's own result keeps an ~8 KB buffer, 80 MB for 10k jobs.
                    encoded[key] = orjson.Fragment(bytes(memoryview(orjson.dumps(doc))))
            tables[name] = encoded
        return tables

    def _pending_documents(self) -> dict[str, dict[str, Any]]:
        return {table: {key: self._data[table][key] for key in keys} for table, keys in self._pending.items()}

    def _make_storable(self, places: Iterable[tuple[str, str]]) -> None:
        """Replace the documents JSON cannot carry by storable copies (bad values become unknown)."""
        for table, key in places:
            doc = self._data[table][key]
            if not encodable(doc):
                self._data[table][key] = storable(doc)
                self._notice(("unstorable", (table, key)), unstorable_value(self.path, doc))

    def _unencodable(self, exc: Exception) -> StoreError:
        return StoreError(
            f"Could not save the job store {self.path}: a job holds data JSON cannot carry ({exc})."
        )

    def _repin(self, fd: int | None) -> None:
        if self._pin is not None:
            with contextlib.suppress(OSError):
                os.close(self._pin)
        self._pin = fd

    def _set_journal(self, opened: JournalFile | None) -> None:
        if self._journal is not None and self._journal is not opened:
            self._journal.close()
        self._journal = opened
