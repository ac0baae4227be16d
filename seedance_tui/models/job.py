"""The Job record: what was sent, what came back and what happened locally, and its statuses."""

from __future__ import annotations

import copy
import operator
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from seedance_tui.models.request import GenerationRequest


class JobStatus(StrEnum):
    """Remote task statuses from the contract, plus the local states a job can be in."""

    # Local only: written ahead, POST not answered yet.
    SUBMITTING = "submitting"
    # Remote statuses.
    QUEUED = "queued"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    # Local only: the API refused the submission (or it was never sent).
    REJECTED = "rejected"
    # Local only: the POST was sent but no answer came; never re-sent automatically.
    OUTCOME_UNKNOWN = "outcome_unknown"
    # Local only: the API answered 404 for this request id.
    NOT_FOUND = "not_found"
    # Local only: a 429/503 without the API's error envelope (a proxy's page): most likely not
    # created, but a proxy may have forwarded it; never re-sent without a warning.
    PROBABLY_NOT_CREATED = "probably_not_created"


#: The statuses the API's contract names: the only ones believed from a reply.
REMOTE_STATUSES: frozenset[str] = frozenset(
    {JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}
)
#: Statuses after which a job never changes again (no polling).
FINAL_STATUSES: frozenset[str] = frozenset(
    {
        JobStatus.SUCCEEDED,
        JobStatus.FAILED,
        JobStatus.CANCELLED,
        JobStatus.REJECTED,
        JobStatus.NOT_FOUND,
    }
)
#: Statuses a user may cancel.
CANCELLABLE_STATUSES: frozenset[str] = frozenset({JobStatus.QUEUED, JobStatus.PROCESSING})


def is_final(status: str) -> bool:
    """True when a job in ``status`` will not change any more."""
    return status in FINAL_STATUSES


def needs_polling(status: str) -> bool:
    """True for a job that has a remote task whose end is not known yet.

    Unknown status strings from the API count as unfinished: they are kept and shown,
    and the job is still followed.
    """
    return status not in FINAL_STATUSES and status not in (
        JobStatus.SUBMITTING,
        JobStatus.OUTCOME_UNKNOWN,
        JobStatus.PROBABLY_NOT_CREATED,
    )


def new_local_id() -> str:
    """A fresh local job id (the request id is only known after the API accepts)."""
    return uuid.uuid4().hex[:12]


class StatusChange(NamedTuple):
    """One status as first observed locally, and when (never changed once recorded)."""

    status: str
    at: float


@dataclass
class Job:
    """Everything known about one submission: what was sent, what came back, local facts."""

    local_id: str
    request: GenerationRequest
    status: str = JobStatus.SUBMITTING
    request_id: str | None = None
    credits_charged: int | None = None
    output_url: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    #: Last local problem talking to the API about this job (network fault, rejection text).
    last_error: str | None = None
    created_at: float = field(default_factory=time.time)
    submitted_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    updated_at: float = field(default_factory=time.time)
    last_checked_at: float | None = None
    poll_count: int = 0
    history: list[StatusChange] = field(default_factory=list)
    #: Extra fields of the last task reply that this version does not model.
    remote_extra: dict[str, Any] = field(default_factory=dict)
    #: Stable key of the batch-file job this was sent for (a re-run of the file skips it).
    batch_entry: str | None = None
    #: ``f"{batch_entry}#{attempt}"``, fixed when the job is created and never changed: the store
    #: refuses a second job with it (two processes sending the same batch line at once).
    batch_key: str | None = None
    #: Local id of the job this one was re-run from.
    rerun_of: str | None = None
    #: The API the job was sent to (its base URL, or DEMO_API); None for jobs stored before this was kept.
    api: str | None = None
    #: Where the output video was saved on this machine (automatic or ``d`` download).
    saved_path: str | None = None
    #: The output link answered 403/404/410: the video can no longer be fetched.
    output_expired: bool = False
    #: Why the last automatic download of the output failed (None once saved).
    download_error: str | None = None
    #: Fingerprint of the API and key it was submitted with (never the key); None when not
    #: recorded (older jobs): only a poller with the same fingerprint follows it.
    account: str | None = None

    @classmethod
    def new(cls, request: GenerationRequest) -> Job:
        """A job about to be submitted."""
        now = time.time()
        job = cls(local_id=new_local_id(), request=request, created_at=now, updated_at=now)
        job.history.append(StatusChange(JobStatus.SUBMITTING, now))
        return job

    @property
    def is_final(self) -> bool:
        return is_final(self.status)

    @property
    def needs_polling(self) -> bool:
        return self.request_id is not None and needs_polling(self.status)

    @property
    def is_cancellable(self) -> bool:
        return self.request_id is not None and self.status in CANCELLABLE_STATUSES

    def set_status(self, status: str, at: float | None = None) -> bool:
        """Record ``status`` and first-observed timestamps; return True when it changed."""
        now = time.time() if at is None else at
        if status == self.status:
            return False
        self.status = status
        self.history.append(StatusChange(status, now))
        if status == JobStatus.PROCESSING and self.started_at is None:
            self.started_at = now
        if is_final(status) and self.finished_at is None:
            self.finished_at = now
        self.updated_at = now
        return True

    def touch(self, at: float | None = None) -> None:
        """Mark the record as changed now (for merges across processes)."""
        self.updated_at = time.time() if at is None else at

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document (the store's format)."""
        # Built by hand: dataclasses.asdict deep-copies field by field and cost ~45 µs a job, which
        # made snapshotting a 1,000-job poll batch block the event loop for ~50 ms.
        # A Job's __dict__ holds its fields in declaration order (plus the snapshot cache below).
        doc = self.__dict__.copy()
        doc.pop("_last_docs", None)
        doc["request"], doc["history"] = self._request_and_history_docs()
        doc["remote_extra"] = copy.deepcopy(self.remote_extra) if self.remote_extra else {}
        return doc

    def _request_and_history_docs(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The request and history parts of ``to_dict``, reused from the last call where unchanged.

        A job is snapshotted at every change, while its request stays the same and its history only
        grows: rebuilding both each time was most of a snapshot's cost and garbage. Sharing them
        between snapshots is safe because stored documents are replaced, never modified.
        """
        request, history = self.request, self.history
        last = self.__dict__.get("_last_docs")
        if last is not None and last[0] is request:
            payload, known, docs = last[1], last[2], last[3]
        else:
            payload, known, docs = request.to_payload(), (), []
        if len(history) < len(known) or not all(map(operator.is_, known, history)):
            known, docs = (), []  # the history was replaced, not only added to
        if len(history) > len(known):
            docs = docs + [{"status": change.status, "at": change.at} for change in history[len(known) :]]
            known = tuple(history)
        self.__dict__["_last_docs"] = (request, payload, known, docs)
        return payload, docs

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Job:
        """Rebuild a Job from ``to_dict`` output, tolerating missing optional keys."""
        data = {key: value for key, value in doc.items() if key in _JOB_FIELD_NAMES}
        data["request"] = GenerationRequest.from_payload(doc.get("request") or {})
        data["history"] = [StatusChange(h["status"], h["at"]) for h in doc.get("history") or []]
        return cls(**data)


_JOB_FIELD_NAMES = frozenset(Job.__dataclass_fields__)
#: The API recorded on jobs sent to the embedded demo simulator (its port may change between runs).
DEMO_API = "demo"
