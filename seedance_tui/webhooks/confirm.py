"""The service side of webhooks: look a callback's request id up, and confirm its claim with a real GET."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seedance_tui.api.errors import ApiError
from seedance_tui.models import Job
from seedance_tui.webhooks.receiver import JobLookup, WebhookReceiver, WebhookVerdict

if TYPE_CHECKING:
    from seedance_tui.service import JobService


def lookup_job(service: JobService, request_id: str) -> JobLookup:
    """Whether a callback about ``request_id`` concerns one of our jobs, and whether it is still open."""
    job = _job_for(service, request_id)
    if job is None:
        return JobLookup.UNKNOWN
    return JobLookup.FINAL if job.is_final else JobLookup.OPEN


async def confirm_with_api(service: JobService, request_id: str) -> WebhookVerdict:
    """Apply what the API's GET says about ``request_id`` (never what the callback said)."""
    job = _job_for(service, request_id)
    if job is None:
        return WebhookVerdict.UNKNOWN_JOB
    if job.is_final:
        return WebhookVerdict.ALREADY_FINAL
    try:
        await service.refresh(job.local_id)
    except ApiError:
        return WebhookVerdict.FAILED
    return WebhookVerdict.ACCEPTED


def receiver_for(service: JobService, token: str, host: str, port: int) -> WebhookReceiver:
    """A receiver whose callbacks are checked against ``service``'s store and confirmed by its client."""
    return WebhookReceiver(
        lookup=lambda request_id: lookup_job(service, request_id),
        confirm=lambda request_id: confirm_with_api(service, request_id),
        token=token,
        host=host,
        port=port,
    )


def _job_for(service: JobService, request_id: str) -> Job | None:
    # ``find`` also matches local ids and prefixes; a callback must name the exact request id.
    job = service.find(request_id)
    return job if job is not None and job.request_id == request_id else None
