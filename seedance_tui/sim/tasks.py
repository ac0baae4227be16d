"""One simulated task: its timeline, drawn once at acceptance, and the replies that describe it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seedance_tui.models import JobStatus

#: Ways a simulated task can fail upstream, as (code, message).
FAILURES: tuple[tuple[str, str], ...] = (
    ("provider_error", "Video generation failed upstream"),
    ("provider_error", "Video generation failed upstream"),
    ("content_policy", "The prompt was rejected by the content policy"),
    ("generation_timeout", "Video generation timed out upstream"),
)


@dataclass
class SimTask:
    """A task as the simulator keeps it; its status follows from the clock (see ``status_at``)."""

    request_id: str
    api_key: str
    #: The accepted request body, with the contract's defaults filled in.
    payload: dict[str, Any]
    credits_charged: int
    #: Base URL of the simulator as the client reached it, for output links.
    base_url: str
    created_at: float
    #: Clock time at which processing starts.
    processing_at: float
    #: Clock time at which the task ends by itself (succeeded or failed).
    finished_at: float
    #: (code, message) when the task is fated to fail, else None.
    failure: tuple[str, str] | None
    cancelled_at: float | None = None

    @property
    def webhook_url(self) -> str | None:
        url = self.payload.get("webhookUrl")
        return url if isinstance(url, str) else None

    def status_at(self, now: float) -> str:
        """The task's status at clock time ``now``."""
        if self.cancelled_at is not None and self.cancelled_at <= now:
            return JobStatus.CANCELLED
        if now < self.processing_at:
            return JobStatus.QUEUED
        if now < self.finished_at:
            return JobStatus.PROCESSING
        return JobStatus.FAILED if self.failure else JobStatus.SUCCEEDED

    def final_at(self) -> float:
        """Clock time at which the task reached (or will reach) a final status."""
        return self.finished_at if self.cancelled_at is None else self.cancelled_at

    def video_url(self) -> str:
        """Where the finished video is served by this simulator."""
        return f"{self.base_url.rstrip('/')}/files/{self.request_id}.mp4"

    def reply(self, now: float) -> dict[str, Any]:
        """The GET reply (and webhook body) at clock time ``now``, shaped like the contract's examples."""
        status = self.status_at(now)
        error = None
        if status == JobStatus.FAILED and self.failure:
            error = {"code": self.failure[0], "message": self.failure[1]}
        return {
            "success": True,
            "requestId": self.request_id,
            "status": str(status),
            "model": self.payload["model"],
            "prompt": self.payload["prompt"],
            "duration": self.payload["duration"],
            "aspectRatio": self.payload["aspectRatio"],
            "resolution": self.payload["resolution"],
            "output": {"type": "video", "url": self.video_url()} if status == JobStatus.SUCCEEDED else None,
            "error": error,
        }
