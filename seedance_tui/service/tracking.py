"""Following a request id created elsewhere (a script, a colleague): looked up once, then polled."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from seedance_tui.api.errors import ApiError, NotFound
from seedance_tui.models import GenerationRequest, Job, new_local_id
from seedance_tui.outcomes import apply_task_reply
from seedance_tui.service.jobs import JobService

if TYPE_CHECKING:
    from seedance_tui.api.types import TaskReply

#: Longest request id accepted (the API's look like ``req_`` and a few dozen characters).
MAX_ID_LENGTH = 200


class TrackResult(StrEnum):
    TRACKED = "tracked"
    ALREADY_STORED = "already_stored"
    NOT_FOUND = "not_found"
    ERROR = "error"


@dataclass(frozen=True)
class TrackOutcome:
    """What tracking one id ended in."""

    request_id: str
    result: TrackResult
    message: str
    job: Job | None = None


def id_problem(request_id: str) -> str | None:
    """Why ``request_id`` cannot be a request id (None when it can)."""
    if not request_id:
        return "is empty"
    if len(request_id) > MAX_ID_LENGTH:
        return f"is longer than {MAX_ID_LENGTH} characters"
    if any(ch.isspace() or not ch.isprintable() for ch in request_id):
        return "contains spaces or control characters"
    if "/" in request_id or request_id in (".", ".."):
        return "contains '/'"
    return None


def job_from_reply(reply: TaskReply, now: float | None = None) -> Job:
    """A job record for a task created elsewhere, with everything the reply tells."""
    now = time.time() if now is None else now
    request = GenerationRequest(
        model=reply.model or "",  # unknown stays unknown: not guessed
        prompt=reply.prompt or "",
        aspect_ratio=reply.aspect_ratio,
        duration=reply.duration,
        resolution=reply.resolution,
    )
    job = Job(local_id=new_local_id(), request=request, created_at=now, updated_at=now)
    job.request_id = reply.request_id
    credits = reply.extra.get("creditsCharged")
    if isinstance(credits, int) and not isinstance(credits, bool):
        job.credits_charged = credits
    apply_task_reply(job, reply, now)  # records the reply's status as the first one seen
    return job


async def track(service: JobService, request_id: str) -> TrackOutcome:
    """Look ``request_id`` up with a GET and store it as a followed job (never twice)."""
    problem = id_problem(request_id)
    if problem is not None:
        return TrackOutcome(request_id, TrackResult.ERROR, f"Not a request id: {problem}.")
    existing = next((job for job in service.jobs() if job.request_id == request_id), None)
    if existing is None:
        older = await asyncio.to_thread(service.store.history().find, request_id)
        existing = next((job for job in older if job.request_id == request_id), None)
    if existing is not None:
        return TrackOutcome(
            request_id, TrackResult.ALREADY_STORED, f"Already in the store ({existing.status}).", existing
        )
    try:
        reply = await service.client.get(request_id)
    except NotFound:
        return TrackOutcome(request_id, TrackResult.NOT_FOUND, "The API does not know this request id.")
    except ApiError as exc:
        return TrackOutcome(request_id, TrackResult.ERROR, f"Could not look it up: {exc.message}")
    job = job_from_reply(reply)
    await service.adopt(job)
    await service.flush()
    return TrackOutcome(request_id, TrackResult.TRACKED, f"Tracked: {job.status}.", job)
