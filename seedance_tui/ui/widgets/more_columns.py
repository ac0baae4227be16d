"""Columns beyond the default set, offered by the column chooser: their headers, cell text and sort values.

Kept apart from job_rows so the default table stays as it was; ``meta.KEY`` names any metadata key.
"""

from __future__ import annotations

import time
from typing import Any

from seedance_tui.models import Job
from seedance_tui.text import one_line

#: key -> (header, name in words, natural width, right-aligned)
EXTRA_COLUMNS: dict[str, tuple[str, str, int, bool]] = {
    "request_id": ("REQUEST ID", "request id (full)", 24, False),
    "created": ("CREATED", "created time", 11, False),
    "finished": ("FINISHED", "finished time", 11, False),
    "elapsed": ("ELAPSED", "elapsed (queued to done)", 7, True),
}
META_PREFIX = "meta."


def _clock(at: float | None) -> str:
    return "-" if at is None else time.strftime("%m-%d %H:%M", time.localtime(at))


def meta_value(job: Job, key: str) -> str:
    metadata = job.request.metadata
    if not isinstance(metadata, dict) or key not in metadata:
        return ""
    return str(metadata[key])


def extra_cell(job: Job, key: str, now: float, format_duration: Any) -> str:
    """The printable text of one extra cell (``format_duration`` is the table's own, to look alike)."""
    if key == "request_id":
        return one_line(job.request_id or f"({job.local_id})", 64)
    if key == "created":
        return _clock(job.created_at)
    if key == "finished":
        return _clock(job.finished_at)
    if key == "elapsed":
        end = job.finished_at if job.finished_at is not None else now
        return format_duration(end - job.created_at)
    if key.startswith(META_PREFIX):
        return one_line(meta_value(job, key[len(META_PREFIX) :]) or "-", 64)
    return ""


def extra_sort_value(job: Job, key: str) -> Any:
    """A comparable value for sorting by an extra column."""
    if key == "request_id":
        return job.request_id or ""
    if key == "finished":
        return job.finished_at or 0.0
    if key == "elapsed":
        return (job.finished_at or job.created_at) - job.created_at
    if key.startswith(META_PREFIX):
        return meta_value(job, key[len(META_PREFIX) :]).casefold()
    return job.created_at
