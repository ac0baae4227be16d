"""Plain data shared by every layer: the generation request, its validation, and the Job record."""

from __future__ import annotations

import copy
import json
import math
import operator
import time
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from seedance_tui.jsonlimits import MAX_DEPTH, depth_exceeds

#: The path of the contract's endpoints, shared by the client and the simulator.
API_PREFIX = "/api/open/v1/video/generations"

MODELS: tuple[str, ...] = ("seedance-2.0", "seedance-2.0-fast", "seedance-1.5-pro")
ASPECT_RATIOS: tuple[str, ...] = ("16:9", "9:16", "1:1")
RESOLUTIONS: tuple[str, ...] = ("480p", "720p", "1080p")

#: The contract's example request; the form preselects these.
DEFAULT_MODEL = "seedance-2.0"
DEFAULT_ASPECT_RATIO = "16:9"
DEFAULT_DURATION = 5
DEFAULT_RESOLUTION = "720p"
#: Longest prompt accepted anywhere (form, submit, batch files): a pasted file is not a prompt.
MAX_PROMPT_CHARS = 20_000

_DURATIONS: dict[str, tuple[int, ...]] = {
    "seedance-2.0": tuple(range(4, 16)),
    "seedance-2.0-fast": tuple(range(4, 16)),
    "seedance-1.5-pro": (5, 10),
}


def allowed_durations(model: str) -> tuple[int, ...]:
    """Durations (seconds) the contract allows for ``model``; empty for an unknown model."""
    return _DURATIONS.get(model, ())


def _durations_text(allowed: tuple[int, ...]) -> str:
    """``4-15`` for a run of seconds, ``5 or 10`` otherwise."""
    if len(allowed) > 2 and allowed == tuple(range(allowed[0], allowed[-1] + 1)):
        return f"{allowed[0]}-{allowed[-1]}"
    return " or ".join(map(str, allowed))


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


@dataclass(frozen=True)
class FieldError:
    """One violated rule: which field, and what the rule is."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationError(ValueError):
    """A request broke one or more of the contract's rules."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def is_utf8(text: str) -> bool:
    """False for text holding lone surrogates (bytes that were not UTF-8, as Python decodes argv)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_http_url(value: str) -> bool:
    if not is_utf8(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


@dataclass
class GenerationRequest:
    """A text-to-video request as the user wrote it (snake_case here, camelCase on the wire)."""

    model: str
    prompt: str
    aspect_ratio: str | None = None
    duration: int | None = None
    resolution: str | None = None
    webhook_url: str | None = None
    metadata: dict[str, Any] | None = None
    media_urls: list[str] | None = None

    def errors(self) -> list[FieldError]:
        """Every rule of the contract this request breaks (empty when valid)."""
        errs: list[FieldError] = []
        if self.model not in MODELS:
            errs.append(FieldError("model", f"must be one of {', '.join(MODELS)}"))
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            errs.append(FieldError("prompt", "must not be empty"))
        elif len(self.prompt) > MAX_PROMPT_CHARS:
            errs.append(FieldError("prompt", f"must be at most {MAX_PROMPT_CHARS:,} characters"))
        elif not is_utf8(self.prompt):
            errs.append(
                FieldError("prompt", "is not valid UTF-8 text (check the terminal's or file's encoding)")
            )
        if self.aspect_ratio is not None and self.aspect_ratio not in ASPECT_RATIOS:
            errs.append(FieldError("aspectRatio", f"must be one of {', '.join(ASPECT_RATIOS)}"))
        if self.duration is not None:
            allowed = allowed_durations(self.model)
            if isinstance(self.duration, bool) or not isinstance(self.duration, int):
                errs.append(FieldError("duration", "must be a whole number of seconds"))
            elif allowed and self.duration not in allowed:
                errs.append(FieldError("duration", f"must be {_durations_text(allowed)} for {self.model}"))
        if self.resolution is not None and self.resolution not in RESOLUTIONS:
            errs.append(FieldError("resolution", f"must be one of {', '.join(RESOLUTIONS)}"))
        if self.webhook_url is not None and not _is_http_url(self.webhook_url):
            errs.append(FieldError("webhookUrl", "must be an http:// or https:// URL"))
        if self.metadata is not None and not isinstance(self.metadata, dict):
            errs.append(FieldError("metadata", "must be a JSON object"))
        elif self.metadata is not None and depth_exceeds(self.metadata):
            errs.append(FieldError("metadata", f"is nested more than {MAX_DEPTH} levels deep"))
        elif self.metadata is not None and (problem := _unstorable(self.metadata)):
            errs.append(FieldError("metadata", problem))
        if self.media_urls is not None:
            if not isinstance(self.media_urls, list):
                errs.append(FieldError("mediaUrls", "must be a list of http(s) URLs"))
            else:
                for i, url in enumerate(self.media_urls):
                    if not isinstance(url, str) or not _is_http_url(url):
                        errs.append(
                            FieldError("mediaUrls", f"item {i + 1} must be an http:// or https:// URL")
                        )
        return errs

    def validate(self) -> None:
        """Raise ValidationError naming every broken rule."""
        errs = self.errors()
        if errs:
            raise ValidationError(errs)

    def to_payload(self) -> dict[str, Any]:
        """The JSON body for the API: camelCase, optional fields omitted when unset."""
        payload: dict[str, Any] = {"model": self.model, "prompt": self.prompt}
        optional = {
            "aspectRatio": self.aspect_ratio,
            "duration": self.duration,
            "resolution": self.resolution,
            "webhookUrl": self.webhook_url,
            "metadata": self.metadata,
            "mediaUrls": self.media_urls or None,
        }
        payload.update({k: v for k, v in optional.items() if v is not None})
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> GenerationRequest:
        """Inverse of ``to_payload`` (unknown keys ignored)."""
        return cls(
            model=payload.get("model", ""),
            prompt=payload.get("prompt", ""),
            aspect_ratio=payload.get("aspectRatio"),
            duration=payload.get("duration"),
            resolution=payload.get("resolution"),
            webhook_url=payload.get("webhookUrl"),
            metadata=payload.get("metadata"),
            media_urls=payload.get("mediaUrls"),
        )


def parse_metadata(text: str) -> dict[str, Any] | None:
    """Parse metadata typed by a user: empty means none; anything but a JSON object is an error."""
    if not text.strip():
        return None
    too_deep = ValidationError([FieldError("metadata", f"is nested more than {MAX_DEPTH} levels deep")])
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:  # deeper than Python's parser goes: far past the limit
        raise too_deep from None
    except (json.JSONDecodeError, ValueError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise ValidationError([FieldError("metadata", f"is not valid JSON ({reason})")]) from None
    if depth_exceeds(value):
        raise too_deep
    if not isinstance(value, dict):
        raise ValidationError([FieldError("metadata", "must be a JSON object")])
    problem = _unstorable(value)
    if problem:
        raise ValidationError([FieldError("metadata", problem)])
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_INT_RANGE = range(-(2**63), 2**64)


def _unstorable(value: Any) -> str | None:
    """Why ``value`` cannot be sent as JSON and kept in the job store (None when it can)."""
    if isinstance(value, str):
        return None if is_utf8(value) else "has text that is not valid UTF-8"
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if value in _INT_RANGE else "has a whole number too large to store (over 64 bits)"
    if isinstance(value, float):
        return None if math.isfinite(value) else "has a number that is not finite (NaN or Infinity)"
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return "has an object key that is not a string"
        if not all(map(is_utf8, value)):
            return "has an object key that is not valid UTF-8"
        return next((p for p in map(_unstorable, value.values()) if p), None)
    if isinstance(value, list):
        return next((p for p in map(_unstorable, value) if p), None)
    return f"has a value that is not JSON ({type(value).__name__})"


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
