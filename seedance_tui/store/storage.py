"""A tinydb Storage that parses the file once, keeps it in memory and writes it only on ``commit``."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from seedance_tui.store.atomic import write_atomic
from seedance_tui.store.errors import StoreCorruptError, StoreError

#: What identifies one version of the file: device, inode, size, modification time.
Fingerprint = tuple[int, int, int, int]


def _fingerprint(st: os.stat_result) -> Fingerprint:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


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


class BufferedOrjsonStorage(Storage):
    """Holds the whole database in memory: ``write`` only buffers, ``commit`` replaces the file atomically.

    tinydb's JSONStorage re-reads and rewrites the file on every operation; this one serialises with
    orjson once per commit, which is what makes batched flushes of a 10k-job store cheap.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, Any] = {}
        # Each document's JSON as last encoded, per table: a commit re-encodes only what changed.
        self._encoded: dict[str, dict[str, orjson.Fragment]] = {}
        self._fingerprint: Fingerprint | None = None
        # An fd on the version we last read or wrote keeps its inode alive, so a new file can
        # never reuse that inode number and fool the fingerprint comparison.
        self._pin: int | None = None
        self.load()

    def read(self) -> dict[str, Any]:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        """tinydb's whole-database write: nothing is known about what changed, so re-encode it all."""
        self._data = data
        self._encoded = {}

    def put_documents(self, table: str, documents: dict[str, Any]) -> None:
        """Replace or add these documents (by id) without touching the rest: O(len(documents))."""
        rows = self._data.setdefault(table, {})
        encoded = self._encoded.setdefault(table, {})
        for key, doc in documents.items():
            rows[key] = doc
            encoded.pop(key, None)

    def close(self) -> None:
        self._repin(None)

    @property
    def on_disk(self) -> bool:
        """True when the file existed at the last load or commit."""
        return self._fingerprint is not None

    def changed_on_disk(self) -> bool:
        """True when the file is not the version we last read or wrote (one ``os.stat``)."""
        try:
            current: Fingerprint | None = _fingerprint(os.stat(self.path))
        except FileNotFoundError:
            current = None
        return current != self._fingerprint

    def load(self) -> None:
        """Replace the in-memory data with the file's; a missing file reads as empty, a bad one raises."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._data, self._fingerprint = {}, None
            self._repin(None)
            return
        except PermissionError:
            raise StoreError(
                f"Cannot read the job store {self.path}: permission denied. "
                f"Make it readable and writable by you (chmod 600 {self.path})."
            ) from None
        except OSError as exc:
            raise StoreError(f"Cannot open the job store {self.path}: {exc.strerror}.") from None
        try:
            st = os.fstat(fd)
            with open(fd, "rb", closefd=False) as file:
                raw = file.read()
            data = parse_database(raw, self.path)
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"Cannot read the job store {self.path}: {exc.strerror}.") from None
        except BaseException:
            os.close(fd)
            raise
        self._data, self._fingerprint = data, _fingerprint(st)
        self._encoded = {}
        self._repin(fd)

    def commit(self) -> None:
        """Write the in-memory data to the file atomically and durably."""
        try:
            data = orjson.dumps(self._fragments())
        except (TypeError, orjson.JSONEncodeError) as exc:  # input checks should make this unreachable
            raise StoreError(
                f"Could not save the job store {self.path}: a job holds data JSON cannot carry ({exc})."
            ) from None
        try:
            fd = write_atomic(self.path, data)
        except OSError as exc:
            raise StoreError(
                f"Could not save the job store {self.path}: {exc.strerror}. "
                "Unsaved changes are kept in memory and retried on the next save."
            ) from None
        self._fingerprint = _fingerprint(os.fstat(fd))
        self._repin(fd)

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

    def _repin(self, fd: int | None) -> None:
        if self._pin is not None:
            with contextlib.suppress(OSError):
                os.close(self._pin)
        self._pin = fd
