"""One job's facts as the full-screen detail and the split view's panel show them (plain data).

Apart from the detail screen, so that the main screen's panel does not load that screen at start-up.
"""

from __future__ import annotations

from textual.content import Content

from seedance_tui.models import Job
from seedance_tui.text import local_time, printable
from seedance_tui.ui.widgets.job_text import duration_text, status_content

#: (widget id, label) of the one-line facts, in display order.
FACTS: tuple[tuple[str, str], ...] = (
    ("request-id", "Request id"),
    ("local-id", "Local id"),
    ("rerun-of", "Re-run of"),
    ("status", "Status"),
    ("model", "Model"),
    ("aspect-ratio", "Aspect ratio"),
    ("duration", "Duration"),
    ("resolution", "Resolution"),
    ("credits", "Credits"),
    ("webhook-url", "Webhook URL"),
    ("output-url", "Output URL"),
    ("saved-path", "Saved to"),
    ("download", "Download"),
    ("error", "Error"),
    ("last-error", "Last local error"),
    ("created", "Created"),
    ("submitted", "Submitted"),
    ("started", "Started"),
    ("finished", "Finished"),
    ("elapsed", "Elapsed"),
    ("eta", "Estimate"),
    ("polls", "Polls"),
    ("last-checked", "Last checked"),
)


def _text(value: str | None) -> str:
    return "—" if value is None or value == "" else printable(value)


def fact_values(job: Job, now: float) -> dict[str, str | Content]:
    """The value shown for each fact id (untrusted text made printable, never markup)."""
    request = job.request
    error = None
    if job.error_code or job.error_message:
        error = f"{job.error_code or '?'}: {job.error_message or ''}".rstrip(": ")
    end = job.finished_at if job.finished_at is not None else (None if job.is_final else now)
    elapsed = duration_text(end - job.created_at) if end is not None else "—"
    return {
        "request-id": _text(job.request_id),
        "local-id": _text(job.local_id),
        "rerun-of": _text(job.rerun_of),
        "status": status_content(job.status),
        "model": _text(request.model),
        "aspect-ratio": _text(request.aspect_ratio),
        "duration": "—" if request.duration is None else f"{request.duration} s",
        "resolution": _text(request.resolution),
        "credits": "—" if job.credits_charged is None else str(job.credits_charged),
        "webhook-url": _text(request.webhook_url),
        "output-url": _text(job.output_url),
        "saved-path": _text(job.saved_path),
        "download": _text(download_problem(job)),
        "error": _text(error),
        "last-error": _text(job.last_error),
        "created": local_time(job.created_at),
        "submitted": local_time(job.submitted_at),
        "started": local_time(job.started_at),
        "finished": local_time(job.finished_at),
        "elapsed": elapsed,
        "eta": "—",  # filled in by the screen from the service's history
        "polls": str(job.poll_count),
        "last-checked": local_time(job.last_checked_at),
    }


def download_problem(job: Job) -> str | None:
    """Why the output video is not saved, when known."""
    if job.saved_path:
        return None
    if job.output_expired:
        return f"The output link has expired. {job.download_error or ''}".strip()
    return job.download_error


def history_text(job: Job) -> Content:
    """One line per status as it was first seen locally."""
    if not job.history:
        return Content("—")
    lines = [
        Content.assemble(local_time(change.at), "  ", status_content(change.status)) for change in job.history
    ]
    return Content("\n").join(lines)
