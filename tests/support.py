"""Helpers every test package shares: wait for a condition (never a fixed sleep), run in the background,
write a store of jobs, find a free port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from seedance_tui.models import GenerationRequest, Job, JobStatus, StatusChange
from seedance_tui.store import JobStore

if TYPE_CHECKING:
    from seedance_tui.service import JobService

T = TypeVar("T")


async def until(predicate: Callable[[], object], limit: float = 15.0, what: str = "condition") -> float:
    """Wait until ``predicate()`` holds, failing after ``limit`` seconds; return the seconds waited.

    On a looptime test the loop's clock is fake, so the limit is counted on the wall clock.
    """
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > limit:
            raise AssertionError(f"{what}: not reached within {limit} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


def until_sync(predicate: Callable[[], object], limit: float = 5.0, what: str = "condition") -> None:
    """``until`` for tests without an event loop (a server in another thread does the work)."""
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not reached within {limit} s"
        time.sleep(0.02)


@contextlib.asynccontextmanager
async def in_background(work: Coroutine[Any, Any, T]) -> AsyncIterator[asyncio.Task[T]]:
    """Run ``work`` as a task for the block, then cancel it and wait until it has ended."""
    task = asyncio.create_task(work)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def running(service: JobService) -> AsyncIterator[asyncio.Task[None]]:
    """Run the service's polling and flushing for the block; then stop it and close its client."""
    try:
        async with in_background(service.run()) as task:
            yield task
    finally:
        await service.client.aclose()


# -- stores and ports ---------------------------------------------------------------------


def in_flight_job(request_id: str, created_at: float, status: str = JobStatus.PROCESSING) -> Job:
    """A job the API accepted as ``request_id``, believed to be in ``status`` since ``created_at``."""
    job = Job.new(
        GenerationRequest(model="seedance-2.0", prompt=f"A fox crossing a snowy field, {request_id}")
    )
    job.created_at = job.updated_at = created_at
    job.history[0] = StatusChange(job.history[0].status, created_at)
    job.request_id, job.credits_charged, job.submitted_at = request_id, 40, created_at
    job.set_status(JobStatus.QUEUED, created_at)
    if status != JobStatus.QUEUED:
        job.set_status(status, created_at)
    return job


def write_store(path: Path, jobs: list[Job]) -> None:
    """A job store file at ``path`` holding ``jobs`` (one flush)."""
    with JobStore.open(path) as store:
        for job in jobs:
            store.update(job)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
