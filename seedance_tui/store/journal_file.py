"""The journal file as one process holds it open: replaying it, reading what others appended, appending.

The open fd pins the file's inode, so a new journal can never reuse its number and pass for it.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedance_tui.store import journal
from seedance_tui.store.atomic import Fingerprint, fingerprint, fingerprint_of, fsync_dir, read_range
from seedance_tui.store.errors import StoreCorruptError, StoreError

#: The documents of each commit, oldest first: ``[{table: {doc_id: document}}]``.
Records = list[dict[str, dict[str, Any]]]


class Replaced(Exception):
    """A file changed while it was being read: read it again."""


@dataclass
class JournalFile:
    """One open journal and how far this process has read it."""

    path: Path
    #: The store file it extends (named in errors).
    store: Path
    fd: int
    ident: tuple[int, int]
    #: Bytes of it applied (0 until its header is complete); appends go here.
    end: int
    #: It extends some other version of the store file and must never be replayed onto ours.
    stale: bool
    #: Its fingerprint when last read or written: a different one means there is more to read.
    seen: Fingerprint
    #: Its directory entry is known to be durable (the directory was fsync'd after creating it).
    linked: bool = True

    @classmethod
    def open_existing(
        cls, fd: int, path: Path, store: Path, base: journal.Base | None
    ) -> tuple[JournalFile, Records]:
        """Take the journal open as ``fd``; with its commits when it extends the store file of ``base``."""
        st = os.fstat(fd)  # before reading: bytes appended meanwhile are seen as a change later
        raw = read_range(fd, 0, st.st_size)
        head = journal.read_header(raw, base)
        opened = cls(path, store, fd, (st.st_dev, st.st_ino), head.end, head.stale, fingerprint(st))
        if not head.end or head.stale:
            return opened, []
        try:
            replay = journal.read_records(raw[head.end :], head.end, path, store)
        except StoreCorruptError:
            if fingerprint(os.fstat(fd)) != opened.seen:
                raise Replaced from None  # a writer was cutting a torn tail while we read
            raise
        opened.end = replay.end
        return opened, replay.records

    @classmethod
    def create(cls, path: Path, store: Path) -> JournalFile:
        """A new, empty journal (its header is written with the first commit)."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        st = os.fstat(fd)
        return cls(path, store, fd, (st.st_dev, st.st_ino), 0, False, fingerprint(st), linked=False)

    def is_file(self, now: Fingerprint) -> bool:
        """True when ``now`` (the path's fingerprint) is still this file, never cut below what we read."""
        return now[:2] == self.ident and now[2] >= self.end

    def read_new(self, now: Fingerprint, base: journal.Base | None) -> Records:
        """The commits appended since we last read, up to the size in ``now`` (the path's fingerprint)."""
        if self.stale:
            self.seen = now
            return []
        try:
            # Up to the size just seen: bytes a writer adds meanwhile are a change for next time.
            raw = read_range(self.fd, self.end, now[2])
        except OSError as exc:
            raise StoreError(f"Cannot read the job store's journal {self.path}: {exc.strerror}.") from None
        offset = self.end
        if offset == 0:
            head = journal.read_header(raw, base)
            if head.end == 0 or head.stale:
                self.stale, self.seen = head.stale, now
                return []
            raw, offset = raw[head.end :], head.end
        try:
            replay = journal.read_records(raw, offset, self.path, self.store)
        except StoreCorruptError:
            if fingerprint_of(self.path) != now:
                return []  # a writer was cutting a torn tail while we read: look again next time
            raise
        self.end, self.seen = replay.end, now
        return replay.records

    def append(self, line: bytes, base: journal.Base) -> None:
        """Add one commit line durably (the header first, in a new journal); OSError when it fails."""
        self._check_tail()
        data = line if self.end else journal.header(base) + line
        os.ftruncate(self.fd, self.end)  # cut off what a crashed writer left half-written
        view, offset = memoryview(data), self.end
        while view:
            written = os.pwrite(self.fd, view, offset)
            view, offset = view[written:], offset + written
        os.fsync(self.fd)
        if not self.linked:
            fsync_dir(self.path.parent)
            self.linked = True
        self.end += len(data)
        self.seen = fingerprint(os.fstat(self.fd))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def _check_tail(self) -> None:
        """Refuse to cut off anything but a torn last line (bytes past ``end`` holding a whole commit)."""
        size = os.fstat(self.fd).st_size
        if size > self.end:
            tail = read_range(self.fd, self.end, size)
            if journal.read_records(tail, self.end, self.path, self.store).records:
                raise StoreError(
                    f"The job store's journal {self.path} holds commits this process has not "
                    "read yet; nothing was written. Unsaved changes are retried on the next save."
                )
