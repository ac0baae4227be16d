"""One action over many jobs (cancel, download, re-run): bounded concurrency, an honest result per job.

Each job goes through the same service call as a single action, so what is done is stored as it
happens, and stopping half-way leaves every job either done or untouched.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from seedance_tui.models import Job
from seedance_tui.outcomes import CancelResult, SubmitError
from seedance_tui.pricing import credits_for

if TYPE_CHECKING:
    from seedance_tui.service.jobs import JobService

#: Requests a bulk action keeps in flight (the poller keeps its own budget).
BULK_CONCURRENCY = 4


class BulkResult(StrEnum):
    """What one job of a bulk action ended in."""

    DONE = "done"
    ALREADY_FINAL = "already finished"
    NOT_APPLICABLE = "nothing to do"
    FAILED = "failed"


@dataclass(frozen=True)
class JobResult:
    local_id: str
    result: BulkResult
    message: str


Progress = Callable[[int, int], None]


async def _each(
    items: Sequence[str], action: Callable[[str], Awaitable[JobResult]], on_progress: Progress | None
) -> list[JobResult]:
    """Run ``action`` for every id, BULK_CONCURRENCY at a time; progress after each one."""
    gate = asyncio.Semaphore(BULK_CONCURRENCY)
    done = 0

    async def one(local_id: str) -> JobResult:
        nonlocal done
        async with gate:
            try:
                result = await action(local_id)
            except Exception as exc:  # reported per job: one failure must not hide the others
                result = JobResult(local_id, BulkResult.FAILED, f"{type(exc).__name__}: {exc}")
        done += 1
        if on_progress is not None:
            on_progress(done, len(items))
        return result

    return list(await asyncio.gather(*(one(local_id) for local_id in items)))


def summarize(results: Sequence[JobResult]) -> str:
    """``3 done, 1 already finished`` in the order of BulkResult."""
    counts = Counter(r.result for r in results)
    return ", ".join(f"{counts[kind]} {kind}" for kind in BulkResult if counts[kind])


# -- cancel -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CancelPlan:
    """What a bulk cancel would touch: said in the confirmation before anything is sent."""

    total: int
    cancellable: int
    credits: int


def plan_cancel(jobs: Sequence[Job]) -> CancelPlan:
    cancellable = [job for job in jobs if job.is_cancellable]
    return CancelPlan(len(jobs), len(cancellable), sum(job.credits_charged or 0 for job in cancellable))


async def cancel_many(
    service: JobService, local_ids: Sequence[str], on_progress: Progress | None = None
) -> list[JobResult]:
    """Cancel every cancellable job; the others are reported as already finished or not sent."""

    async def cancel(local_id: str) -> JobResult:
        job = service.get(local_id)
        if job is None:
            return JobResult(local_id, BulkResult.FAILED, "no longer in the store")
        if job.request_id is None:
            return JobResult(local_id, BulkResult.NOT_APPLICABLE, "never accepted: nothing to cancel")
        if not job.is_cancellable:
            return JobResult(local_id, BulkResult.ALREADY_FINAL, f"already {job.status}")
        outcome = await service.cancel(local_id)
        kind = {
            CancelResult.CANCELLED: BulkResult.DONE,
            CancelResult.ALREADY_FINAL: BulkResult.ALREADY_FINAL,
        }.get(outcome.result, BulkResult.FAILED)
        return JobResult(local_id, kind, outcome.message)

    return await _each(local_ids, cancel, on_progress)


# -- download ---------------------------------------------------------------------------


async def download_many(
    service: JobService, local_ids: Sequence[str], folder: Path, on_progress: Progress | None = None
) -> list[JobResult]:
    """Save each job's video into ``folder``; jobs without one are reported, not failed."""

    async def download(local_id: str) -> JobResult:
        job = service.get(local_id)
        if job is None or not job.output_url:
            return JobResult(local_id, BulkResult.NOT_APPLICABLE, "no output video")
        path = await service.download(local_id, folder)
        return JobResult(local_id, BulkResult.DONE, str(path))

    return await _each(local_ids, download, on_progress)


# -- re-run -----------------------------------------------------------------------------


def rerun_credits(jobs: Sequence[Job]) -> int:
    """Estimated credits of submitting these jobs' requests again (invalid ones count 0)."""
    total = 0
    for job in jobs:
        request = job.request
        if not request.errors():
            total += credits_for(request.model, request.duration, request.resolution)
    return total


async def rerun_many(
    service: JobService, local_ids: Sequence[str], on_progress: Progress | None = None
) -> list[JobResult]:
    """Submit each job's request again as a new job that records where it came from."""

    async def rerun(local_id: str) -> JobResult:
        job = service.get(local_id)
        if job is None:
            return JobResult(local_id, BulkResult.FAILED, "no longer in the store")
        request = replace(job.request)  # a new request object: the new job owns its own
        if request.errors():
            problems = "; ".join(map(str, request.errors()))
            return JobResult(local_id, BulkResult.NOT_APPLICABLE, f"not valid, not sent: {problems}")
        try:
            new = await service.submit(request, rerun_of=local_id)
        except SubmitError as exc:
            return JobResult(local_id, BulkResult.FAILED, f"{exc.job.status}: {exc.message}")
        return JobResult(local_id, BulkResult.DONE, f"new job {new.request_id}")

    return await _each(local_ids, rerun, on_progress)
