"""What became of a submission, a cancel or a poll: plain rules the service applies."""

from __future__ import annotations

import time
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from seedance_tui.api.errors import ApiError, MalformedReply, OutcomeUnknown, ServerError
from seedance_tui.models import Job, JobStatus, is_final
from seedance_tui.text import printable

if TYPE_CHECKING:
    from seedance_tui.api.types import TaskReply


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

    #: Refused by the API itself (or never sent): not created, resubmitting is safe.
    REJECTED = "rejected"
    #: Sent, no usable answer: the task may exist and be paid for.
    UNKNOWN = "outcome_unknown"
    #: A 429/503 without the API's error envelope (a proxy's page or an empty body): most likely
    #: not created, but a proxy may have forwarded it first. Never re-sent without a warning.
    PROBABLY_NOT_CREATED = "probably_not_created"
    #: It could not be written to the store first, so it was never sent (the API saw nothing).
    NOT_SENT = "not_sent"


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


class CancelOutcome(NamedTuple):
    """What a cancel request ended in, in words a user can read."""

    job: Job
    result: CancelResult
    message: str


#: Statuses whose task may exist although no request id came back: resubmitting may pay twice.
MAYBE_CREATED_STATUSES: frozenset[str] = frozenset(
    {JobStatus.OUTCOME_UNKNOWN, JobStatus.PROBABLY_NOT_CREATED}
)


def classify_failed_submission(exc: ApiError) -> SubmitOutcome:
    """What a failed POST means for its task (the rule the README's Reliability section states).

    - 429 or 503 carrying the API's own error envelope: the API refused it: REJECTED.
    - 429 or 503 without it (a proxy's HTML page, an empty body): PROBABLY_NOT_CREATED.
    - a fault after sending, a garbled reply or any other 5xx: UNKNOWN (may exist, may be paid).
    - anything else (4xx, never sent): REJECTED.
    """
    if exc.status_code in (429, 503):
        return SubmitOutcome.REJECTED if exc.enveloped else SubmitOutcome.PROBABLY_NOT_CREATED
    if isinstance(exc, ServerError | OutcomeUnknown | MalformedReply):
        return SubmitOutcome.UNKNOWN
    return SubmitOutcome.REJECTED


def may_have_been_accepted(exc: ApiError) -> bool:
    """Sent, then a fault, a garbled reply or a server failure: the task may exist and be paid for."""
    return classify_failed_submission(exc) is not SubmitOutcome.REJECTED


def unknown_message(exc: ApiError) -> str:
    return (
        f"{exc.message}. The API may or may not have accepted this job (and charged for it); "
        "it was NOT sent again. Check before resubmitting."
    )


def probably_not_created_message(exc: ApiError) -> str:
    return (
        f"{exc.message}. HTTP {exc.status_code} came without the API's own error reply (likely from a "
        "proxy): the job was probably not created, but may have been forwarded. It was NOT sent again; "
        "resubmitting may pay twice."
    )


def not_saved_message(problem: str) -> str:
    """Why a job was never sent: the store could not save it first (say, the disk is full)."""
    hint = " Free some space, then submit again." if "the disk is full" in problem else ""
    return f"Not sent: the job could not be saved first, so nothing left this machine. {problem}{hint}"


def resubmit_warning(job: Job) -> str | None:
    """What to say before a user sends ``job``'s request again, when that may pay twice."""
    if job.status not in MAYBE_CREATED_STATUSES:
        return None
    return (
        "Warning: the first submission of this job may have been created and charged "
        f"({job.status}). Submitting again may pay twice; check with the API first."
    )


def not_cancellable_reason(job: Job | None) -> str | None:
    """Why this job cannot be cancelled, or None when it can: the one wording of the rule."""
    if job is None:
        return "This job is no longer in the store."
    if job.request_id is None:
        return "This job was never accepted by the API (no request id): there is nothing to cancel."
    if not job.is_cancellable:
        return f"This job is {printable(job.status)}: only queued or processing jobs can be cancelled."
    return None
