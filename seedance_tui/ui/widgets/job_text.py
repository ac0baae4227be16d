"""How job facts read on screen: status badges, local times, durations; untrusted text stays data."""

from __future__ import annotations

import json
from typing import Any

from textual.content import Content

from seedance_tui.models import Job, JobStatus
from seedance_tui.text import printable
from seedance_tui.ui.status_look import STATUS_LOOKS, look_of


def status_content(status: str) -> Content:
    """A coloured symbol plus the status word, e.g. ``✔ succeeded``; unknown API statuses shown as sent."""
    look = look_of(status)
    label = look.label if status in STATUS_LOOKS else printable(status)
    return Content.styled(f"{look.symbol} {label}", f"{look.style.split()[0]} bold")


def duration_text(seconds: float) -> str:
    """A short human span: ``42s``, ``3m 05s``, ``2h 10m``."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def pretty_json(value: Any) -> str:
    """Indented JSON for display, with every control character made visible."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
    return printable(text, keep_newlines=True)


def no_request_id_advice(job: Job) -> str:
    """Why a job without a request id cannot be checked or named to the API, and what to do instead."""
    if job.status == JobStatus.OUTCOME_UNKNOWN:
        return (
            "This job has no request id, so the API cannot be asked about it: it may have been accepted "
            "and charged. Check your account's usage before resubmitting (e: edit & resubmit)."
        )
    if job.status == JobStatus.SUBMITTING:
        return "This job is being submitted: its request id is not known yet."
    return "This job was never accepted by the API (no request id). Press e to edit and resubmit it."
