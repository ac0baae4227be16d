"""The journal's byte format: a header naming the store file it extends, then one checksummed line per commit.

A commit appends ``<crc32 hex> <json>\\n`` where the JSON holds only the documents that changed,
``{table: {doc_id: document}}``. A crash mid-append leaves an incomplete or mismatching last line,
which readers ignore (that commit never returned) and the next writer cuts off. The header carries
the length and CRC-32 of the store file the journal was started on: once a compaction has written a
new store file, a journal left over by a crash no longer matches and is never replayed onto it
(the one case it cannot tell is a new file byte for byte equal to the old one, which needs every
change since to have been undone exactly; timestamps in each job make that practically impossible).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from seedance_tui.store.errors import StoreCorruptError

_MAGIC = b"seedance-tui-journal 1"

#: Length and CRC-32 of a store file's bytes: what a journal extends.
Base = tuple[int, int]


def base_of(raw: bytes) -> Base:
    return (len(raw), zlib.crc32(raw))


def header(base: Base) -> bytes:
    return b"%s %d %08x\n" % (_MAGIC, base[0], base[1])


def record(payload: bytes) -> bytes:
    """One commit's line; ``payload`` is compact JSON, which never contains a raw newline."""
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


@dataclass
class Replay:
    """What reading a journal from some offset found."""

    #: The documents of each complete record, oldest first.
    records: list[dict[str, dict[str, Any]]] = field(default_factory=list)
    #: Offset just past the last complete, intact line (the header counts): where the next append goes.
    end: int = 0
    #: The header names a different store file: nothing in this journal applies to ours.
    stale: bool = False


def read_header(raw: bytes, base: Base | None) -> Replay:
    """Check the header at the start of ``raw``; ``end`` is 0 when it is incomplete (a torn creation)."""
    line_end = raw.find(b"\n")
    if line_end < 0:
        return Replay()
    return Replay(end=line_end + 1, stale=base is None or raw[: line_end + 1] != header(base))


def read_records(raw: bytes, offset: int, path: Path, store: Path) -> Replay:
    """Parse the commit lines in ``raw`` (the journal's bytes from ``offset`` on).

    Damage is tolerated only in the last line, the one a crash mid-append can leave (every earlier
    append was fsync'd before the next began, and writers cut a torn line off before appending).
    Anything else means the file was damaged some other way and raises StoreCorruptError.
    """
    replay = Replay(end=offset)
    position = 0
    broken_at: int | None = None
    while (line_end := raw.find(b"\n", position)) >= 0:
        if broken_at is not None:  # a line after a broken one: that was no torn last line
            raise StoreCorruptError(path, f"a commit at byte {broken_at} is damaged", store=store)
        documents = _decode(raw[position:line_end])
        if documents is None:
            broken_at = offset + position
        else:
            replay.records.append(documents)
            replay.end = offset + line_end + 1
        position = line_end + 1
    if broken_at is not None and position < len(raw):
        raise StoreCorruptError(path, f"a commit at byte {broken_at} is damaged", store=store)
    return replay


def _decode(line: bytes) -> dict[str, dict[str, Any]] | None:
    """The documents in one commit line, or None when it is torn or fails its checksum."""
    if len(line) < 10 or line[8:9] != b" ":
        return None
    try:
        checksum = int(line[:8], 16)
    except ValueError:
        return None
    payload = line[9:]
    if zlib.crc32(payload) != checksum:
        return None
    try:
        documents = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(documents, dict):
        return None
    for rows in documents.values():
        if not isinstance(rows, dict) or not all(key.isascii() and key.isdigit() for key in rows):
            return None
    return documents
