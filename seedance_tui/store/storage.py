"""A tinydb Storage that parses the file once, keeps it in memory and saves each commit as an append."""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from seedance_tui.store import journal
from seedance_tui.store.atomic import fsync_dir, write_atomic
from seedance_tui.store.errors import StoreCorruptError, StoreError
from seedance_tui.store.quarantine import quarantine_file

#: What identifies one version of a file: device, inode, size, modification time.
Fingerprint = tuple[int, int, int, int]
#: Changed document ids per table, as ``reload`` reports them.
Changes = dict[str, set[str]]

#: The journal may grow to this many times the store file's size (and at least to MIN_JOURNAL_LIMIT)
#: before it is folded in: at 10k jobs, one 8 MB rewrite per ~20 batches of 1,000 changes. Only a
#: crash leaves it to be replayed at start (every clean exit folds it in).
JOURNAL_GROWTH = 2.0
MIN_JOURNAL_LIMIT = 1 << 20
#: A lock-free reader retries this often when the file is replaced while it reads.
_LOAD_ATTEMPTS = 20


def _fingerprint(st: os.stat_result) -> Fingerprint:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _fingerprint_of(path: Path) -> Fingerprint | None:
    try:
        return _fingerprint(os.stat(path))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"Cannot look at the job store {path}: {exc.strerror}.") from None


def parse_database(raw: bytes, path: Path) -> dict[str, Any]:
    """Decode tinydb's layout ``{table: {doc_id: document}}``; raise StoreCorruptError naming the fault."""
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreCorruptError(path, f"it is not valid JSON ({exc}; the file is {len(raw)} bytes)") from None
    if not isinstance(data, dict):
        raise StoreCorruptError(path, f"expected a JSON object of tables, found {type(data).__name__}")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise StoreCorruptError(path, f"table {name!r} should be an object, found {type(table).__name__}")
        for key in table:
            if not (key.isascii() and key.isdigit()):
                raise StoreCorruptError(path, f"table {name!r} has a non-numeric document id {key!r}")
    return data


def _read_from(fd: int, offset: int, end: int | None = None) -> bytes:
    """The bytes of ``fd`` from ``offset`` to ``end`` (or to its end)."""
    with open(fd, "rb", closefd=False) as file:
        file.seek(offset)
        return file.read() if end is None else file.read(max(0, end - offset))


@dataclass
class _OpenJournal:
    """The journal file as this process knows it; the open fd pins its inode."""

    fd: int
    ident: tuple[int, int]
    #: Bytes of it applied (0 until its header is complete); appends go here.
    end: int
    #: It extends some other version of the store file and must never be replayed onto ours.
    stale: bool
    #: Its fingerprint when it was opened.
    seen: Fingerprint
    #: Its directory entry is known to be durable (the directory was fsync'd after creating it).
    linked: bool = True


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
        self._journal: _OpenJournal | None = None
        self._journal_seen: Fingerprint | None = None
        #: True once this process appended to the journal (since the last compaction).
        self.appended = False
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
        return (
            _fingerprint_of(self.path) != self._fingerprint
            or _fingerprint_of(self.journal_path) != self._journal_seen
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
        if _fingerprint_of(self.path) != self._fingerprint:
            self.load()
            return None
        seen = _fingerprint_of(self.journal_path)
        current = self._journal
        if seen == self._journal_seen:
            return {}
        if current is None or seen is None or seen[:2] != current.ident or seen[2] < current.end:
            self.load()
            return None
        if current.stale:
            self._journal_seen = seen
            return {}
        try:
            # Up to the size just seen: bytes a writer adds meanwhile are a change for next time.
            raw = _read_from(current.fd, current.end, seen[2])
        except OSError as exc:
            raise StoreError(
                f"Cannot read the job store's journal {self.journal_path}: {exc.strerror}."
            ) from None
        offset = current.end
        if offset == 0:
            head = journal.read_header(raw, self._base)
            if head.end == 0:
                self._journal_seen = seen
                return {}
            if head.stale:
                current.stale, self._journal_seen = True, seen
                return {}
            raw, offset = raw[head.end :], head.end
        try:
            replay = journal.read_records(raw, offset, self.journal_path, self.path)
        except StoreCorruptError:
            if _fingerprint_of(self.journal_path) != seen:
                return {}  # a writer was cutting a torn tail while we read: look again next time
            raise
        current.end, self._journal_seen = replay.end, seen
        return self._apply(replay.records)

    def _load_once(self) -> bool:
        """One attempt at a consistent read; False when the file was replaced meanwhile."""
        main_fd = self._open(self.path)
        journal_fd: int | None = None
        try:
            journal_fd = self._open(self.journal_path)
            main_print = _fingerprint(os.fstat(main_fd)) if main_fd is not None else None
            # The journal we opened extends the file we opened unless the file was replaced since.
            if _fingerprint_of(self.path) != main_print:
                raise _Replaced
            raw = _read_from(main_fd, 0) if main_fd is not None else b""
            data = parse_database(raw, self.path)
            base = journal.base_of(raw) if main_fd is not None else None
            opened = self._read_journal(journal_fd, base, data) if journal_fd is not None else None
        except _Replaced:
            self._close_all(main_fd, journal_fd)
            return False
        except OSError as exc:
            self._close_all(main_fd, journal_fd)
            raise StoreError(f"Cannot read the job store {self.path}: {exc.strerror}.") from None
        except BaseException:
            self._close_all(main_fd, journal_fd)
            raise
        self._data, self._encoded, self._pending, self._rewrite = data, {}, {}, False
        self._fingerprint, self._base = main_print, base
        self._repin(main_fd)
        self._set_journal(opened)
        self._journal_seen = opened.seen if opened is not None else None
        return True

    def _read_journal(self, fd: int, base: journal.Base | None, data: dict[str, Any]) -> _OpenJournal:
        """Replay the journal open as ``fd`` onto ``data`` (when it extends ``base``)."""
        st = os.fstat(fd)  # before reading: bytes appended meanwhile are seen as a change later
        raw = _read_from(fd, 0, st.st_size)
        head = journal.read_header(raw, base)
        opened = _OpenJournal(
            fd, (st.st_dev, st.st_ino), end=head.end, stale=head.stale, seen=_fingerprint(st)
        )
        if head.end and not head.stale:
            try:
                replay = journal.read_records(raw[head.end :], head.end, self.journal_path, self.path)
            except StoreCorruptError:
                if _fingerprint(os.fstat(fd)) != opened.seen:
                    raise _Replaced from None  # a writer was cutting a torn tail while we read
                raise
            for records in replay.records:
                for table, rows in records.items():
                    data.setdefault(table, {}).update(rows)
            opened.end = replay.end
        return opened

    def _apply(self, records: list[dict[str, dict[str, Any]]]) -> Changes:
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

    def _open(self, path: Path) -> int | None:
        try:
            if path == self.journal_path:
                # Read-write, as appends reuse it; read-only stores can still be read.
                try:
                    return os.open(path, os.O_RDWR)
                except OSError as exc:
                    if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                        raise
            return os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except PermissionError:
            raise StoreError(
                f"Cannot read the job store {path}: permission denied. "
                f"Make it readable and writable by you (chmod 600 {path})."
            ) from None
        except OSError as exc:
            raise StoreError(f"Cannot open the job store {path}: {exc.strerror}.") from None

    @staticmethod
    def _close_all(*fds: int | None) -> None:
        for fd in fds:
            if fd is not None:
                os.close(fd)

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
            payload = orjson.dumps(
                {
                    table: {key: self._data[table][key] for key in keys}
                    for table, keys in self._pending.items()
                }
            )
        except (TypeError, orjson.JSONEncodeError) as exc:  # input checks should make this unreachable
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
            self._fingerprint, self._base = _fingerprint(os.fstat(fd)), journal.base_of(data)
        except OSError as exc:
            self._forget_disk_state()
            raise StoreError(
                f"Could not save the job store {self.path}: {exc.strerror}. "
                "Unsaved changes are kept in memory and retried on the next save."
            ) from None
        self._repin(fd)
        self._pending, self._rewrite, self.appended = {}, False, False
        self._set_journal(None)
        # Everything the journal held is in the new file; left behind, it would only be stale.
        with contextlib.suppress(OSError):
            os.unlink(self.journal_path)
            fsync_dir(self.path.parent)
        self._journal_seen = None
        try:
            leftover = self._open(self.journal_path)
            if leftover is not None:  # it could not be removed: it no longer matches, so it is never replayed
                left = self._read_journal(leftover, self._base, {})
                self._set_journal(left)
                self._journal_seen = left.seen
        except (StoreError, OSError, _Replaced):
            self._forget_disk_state()  # the next save looks at everything again first

    def _append(self, line: bytes, base: journal.Base) -> None:
        try:
            if self._journal is not None and self._journal.stale:
                # It extends another version of the file (an old crash, or a restored backup): keep it.
                self._keep_stale_journal_aside()
            current = self._journal
            if current is None:
                fd = os.open(self.journal_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
                st = os.fstat(fd)
                current = _OpenJournal(fd, (st.st_dev, st.st_ino), 0, False, _fingerprint(st), linked=False)
                self._set_journal(current)
            self._check_tail(current)
            data = line if current.end else journal.header(base) + line
            os.ftruncate(current.fd, current.end)  # cut off what a crashed writer left half-written
            view, offset = memoryview(data), current.end
            while view:
                written = os.pwrite(current.fd, view, offset)
                view, offset = view[written:], offset + written
            os.fsync(current.fd)
            if not current.linked:
                fsync_dir(self.path.parent)
                current.linked = True
            current.end += len(data)
            self._journal_seen = _fingerprint(os.fstat(current.fd))
        except OSError as exc:
            self._forget_disk_state()
            raise StoreError(
                f"Could not save the job store's journal {self.journal_path}: {exc.strerror}. "
                "Unsaved changes are kept in memory and retried on the next save."
            ) from None
        self.appended = True

    def _check_tail(self, current: _OpenJournal) -> None:
        """Refuse to cut off anything but a torn last line (bytes past ``end`` holding a whole commit)."""
        size = os.fstat(current.fd).st_size
        if size > current.end:
            tail = _read_from(current.fd, current.end, size)
            if journal.read_records(tail, current.end, self.journal_path, self.path).records:
                raise StoreError(
                    f"The job store's journal {self.journal_path} holds commits this process has not "
                    "read yet; nothing was written. Unsaved changes are retried on the next save."
                )

    def _keep_stale_journal_aside(self) -> None:
        """Move a journal that extends another version of the file aside (never delete it)."""
        quarantine_file(self.journal_path, "stale")
        self._set_journal(None)
        self._journal_seen = None

    def _forget_disk_state(self) -> None:
        """After a failed write, make the next save reload everything first (ids may be taken meanwhile)."""
        self._fingerprint = None
        self._journal_seen = None

    def _fragments(self) -> dict[str, dict[str, orjson.Fragment]]:
        """The database with every document as pre-encoded JSON, encoding only the new or changed."""
        tables: dict[str, dict[str, orjson.Fragment]] = {}
        for name, rows in self._data.items():
            encoded = self._encoded.setdefault(name, {})
            for key, doc in rows.items():
                if key not in encoded:
                    # The copy matters: orjson's own result keeps an ~8 KB buffer, 80 MB for 10k jobs.
                    encoded[key] = orjson.Fragment(bytes(memoryview(orjson.dumps(doc))))
            tables[name] = encoded
        return tables

    def _unencodable(self, exc: Exception) -> StoreError:
        return StoreError(
            f"Could not save the job store {self.path}: a job holds data JSON cannot carry ({exc})."
        )

    def _repin(self, fd: int | None) -> None:
        if self._pin is not None:
            with contextlib.suppress(OSError):
                os.close(self._pin)
        self._pin = fd

    def _set_journal(self, opened: _OpenJournal | None) -> None:
        if self._journal is not None and self._journal is not opened:
            with contextlib.suppress(OSError):
                os.close(self._journal.fd)
        self._journal = opened


class _Replaced(Exception):
    """The store file changed between opening it and its journal."""
