"""The service on the PostgreSQL store: live across processes, and no POST without a durable row."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import pytest

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService, SubmitError, SubmitOutcome
from seedance_tui.sim.server import SimulatorServer
from tests.pg_fixtures import PgCluster

REQ = GenerationRequest("seedance-2.0", "a lighthouse at dusk", duration=5)


@contextlib.asynccontextmanager
async def running(service: JobService) -> AsyncIterator[JobService]:
    task = asyncio.create_task(service.run())
    try:
        yield service
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await service.client.aclose()


async def test_another_process_sees_a_submission_within_a_second_through_notify(
    pg_url: str, pg_services: Callable[[str], JobService]
) -> None:
    submitter, watcher = pg_services(pg_url), pg_services(pg_url)
    batches: list[list[Job]] = []
    watcher.add_listener(batches.append)
    async with running(submitter), running(watcher):
        await asyncio.sleep(0.2)  # both are listening
        start = time.monotonic()
        job = await submitter.submit(REQ)
        while not any(j.local_id == job.local_id for batch in batches for j in batch):
            assert time.monotonic() - start < 1.0, "the other service did not show the job within 1 s"
            await asyncio.sleep(0.01)
        # It also follows the job to its end, with periodic refreshes switched off.
        deadline = time.monotonic() + 15
        while (seen := watcher.get(job.local_id)) is None or seen.status != JobStatus.SUCCEEDED:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)


async def test_a_submission_is_refused_unsent_when_its_row_cannot_be_committed(
    own_cluster: PgCluster, pg_services: Callable[[str], JobService], sim: SimulatorServer
) -> None:
    service = pg_services(own_cluster.url())
    own_cluster.stop()
    with pytest.raises(SubmitError) as refused:
        await service.submit(REQ)
    assert refused.value.outcome == SubmitOutcome.NOT_SENT and "Not sent" in str(refused.value)
    assert sim.state.stats()["submits_received"] == 0
    own_cluster.start()
    await service.client.aclose()
