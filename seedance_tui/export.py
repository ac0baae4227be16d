"""Stored jobs written out for spreadsheets and scripts: CSV, JSON or JSON Lines, every field.

Prompts and metadata are untrusted text: in CSV a cell that a spreadsheet would read as a formula
(starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) gets a leading apostrophe, and so
does one that starts with an apostrophe.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from seedance_tui.models import Job

FORMATS: tuple[str, ...] = ("csv", "json", "jsonl")

#: CSV columns: the job's own fields, then the request's (API names), then the JSON-valued ones.
CSV_COLUMNS: tuple[str, ...] = (
    "local_id",
    "request_id",
    "status",
    "model",
    "prompt",
    "aspectRatio",
    "duration",
    "resolution",
    "webhookUrl",
    "mediaUrls",
    "metadata",
    "credits_charged",
    "output_url",
    "error_code",
    "error_message",
    "last_error",
    "created_at",
    "submitted_at",
    "started_at",
    "finished_at",
    "updated_at",
    "last_checked_at",
    "poll_count",
    "batch_entry",
    "batch_key",
    "rerun_of",
    "history",
    "remote_extra",
)
_REQUEST_FIELDS = ("model", "prompt", "aspectRatio", "duration", "resolution", "webhookUrl")
_JSON_CELLS = ("mediaUrls", "metadata", "history", "remote_extra")
INERT_PREFIX = "'"
#: What a spreadsheet treats as the start of a formula, and the prefix itself (so that removing
#: one leading apostrophe always gives the original text back).
_NEEDS_PREFIX = ("=", "+", "-", "@", "\t", "\r", INERT_PREFIX)


def inert(cell: str) -> str:
    """``cell`` made safe to open in a spreadsheet (a formula-like start gets an apostrophe)."""
    return INERT_PREFIX + cell if cell.startswith(_NEEDS_PREFIX) else cell


def original(cell: str) -> str:
    """The text ``inert`` was given."""
    return cell.removeprefix(INERT_PREFIX)


def csv_row(job: Job) -> dict[str, str]:
    """One job as CSV cells: every field, JSON text for the structured ones, formulas made inert."""
    doc = job.to_dict()
    request = doc.pop("request")
    values: dict[str, Any] = {**doc, **{name: request.get(name) for name in _REQUEST_FIELDS}}
    values["mediaUrls"] = request.get("mediaUrls")
    values["metadata"] = request.get("metadata")
    row: dict[str, str] = {}
    for column in CSV_COLUMNS:
        value = values.get(column)
        if value is None:
            text = ""
        elif column in _JSON_CELLS:
            text = "" if not value else json.dumps(value, ensure_ascii=False, sort_keys=True)
        else:
            text = str(value)
        row[column] = inert(text)
    return row


def write_jobs(jobs: Iterable[Job], fmt: str, out: TextIO) -> int:
    """Write ``jobs`` to ``out`` in ``fmt`` (csv, json or jsonl); returns how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for job in jobs:
            writer.writerow(csv_row(job))
            count += 1
    elif fmt == "jsonl":
        for job in jobs:
            out.write(json.dumps(job.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    elif fmt == "json":
        docs = [job.to_dict() for job in jobs]
        out.write(json.dumps(docs, ensure_ascii=False, indent=2) + "\n")
        count = len(docs)
    else:
        raise ValueError(f"unknown export format {fmt!r} (use {', '.join(FORMATS)})")
    return count


def select(jobs: Sequence[Job], statuses: Sequence[str]) -> list[Job]:
    """The jobs in one of ``statuses`` (all of them when none is given), oldest first."""
    chosen = [job for job in jobs if not statuses or job.status in statuses]
    chosen.sort(key=lambda job: job.created_at)
    return chosen


def export_to_file(jobs: Sequence[Job], fmt: str, path: Path) -> int:
    """Write ``jobs`` to ``path`` (UTF-8; CSV with a byte-order mark so spreadsheets detect it)."""
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as out:
        return write_jobs(jobs, fmt, out)
