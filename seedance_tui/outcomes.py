"""What became of a submission, a cancel or a poll: plain rules the service applies."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from seedance_tui.api.errors import ApiError, MalformedReply, OutcomeUnknown, ServerError
from seedance_tui.api.types import TaskReply
from seedance_tui.models import Job, is_final


def apply_task_reply(job: Job, reply: TaskReply, now: float | None = None) -> bool:
    """Fold what the API said about a task into the job; True when anything visible changed."""
    now = time.time() if now is None else now
    before = (job.status, job.output_url, job.error_code, job.error_message, job.last_error)
    if reply.output_url:
        job.output_url = reply.output_url
    if reply.error_code is not None or reply.error_message is not None:
        job.error_code = reply.error_code
        job.error_message = reply.error_message
    if reply.extra:
        job.remote_extra = dict(reply.extra)
    job.last_error = None
    # A final status is never taken back, whatever a late or confused reply says.
    if not job.is_final or is_final(reply.status):
        job.set_status(reply.status, now)
    changed = before != (job.status, job.output_url, job.error_code, job.error_message, job.last_error)
    if changed:
        job.touch(now)
    return changed


class SubmitOutcome(StrEnum):
    """What became of a submission that did not simply succeed."""

    REJECTED = "rejected"
    UNKNOWN = "outcome_unknown"


class SubmitError(Exception):
    """A submission was not accepted; the job is kept with the reason, the form input is not lost."""

    def __init__(self, job: Job, outcome: SubmitOutcome, message: str) -> None:
        super().__init__(message)
        self.job = job
        self.outcome = outcome
        self.message = message


class CancelResult(StrEnum):
    CANCELLED = "cancelled"
    ALREADY_FINAL = "already_final"
    ERROR = "error"


@dataclass(frozen=True)
class CancelOutcome:
    """What a cancel request ended in, in words a user can read."""

    job: Job
    result: CancelResult
    message: str


def may_have_been_accepted(exc: ApiError) -> bool:
    """Sent, then a fault, a garbled reply or a server failure: the task may exist and be paid for.

    503 is the exception among 5xx: the server says it did not take the request on.
    """
    if isinstance(exc, ServerError):
        return exc.status_code != 503
    return isinstance(exc, OutcomeUnknown | MalformedReply)


def unknown_message(exc: ApiError) -> str:
    return (
        f"{exc.message}. The API may or may not have accepted this job (and charged for it); "
        "it was NOT sent again. Check before resubmitting."
    )
