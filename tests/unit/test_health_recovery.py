"""The header's "API unreachable" goes away once the API is known to answer, or nothing is followed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from seedance_tui.models import GenerationRequest, JobStatus
from seedance_tui.polling import ApiHealth, PollPolicy
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore

#: Polls quickly, but after a fault waits far longer than a test runs: no probe can clear an outage.
NO_PROBES = PollPolicy(
    young_interval=0.05, processing_interval=0.05, queued_interval=0.05, max_interval=0.5,
    backoff_base=600.0, backoff_max=600.0,
)  # fmt: skip


def request(prompt: str) -> GenerationRequest:
    return GenerationRequest(model="seedance-2.0", prompt=prompt, duration=5)


async def wait_until(cond: Callable[[], bool], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def outage(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], jobs: int
) -> tuple[SimulatorServer, JobService, list[str], asyncio.Task[None]]:
    """A service following ``jobs`` queued jobs on a simulator that has just gone down."""
    slow = sim_factory(queue_seconds=600.0)
    service = service_factory(slow.url, policy=NO_PROBES)
    ids = [(await service.submit(request(f"job {n}"))).local_id for n in range(jobs)]
    slow.set_faults(down=True)
    runner = asyncio.create_task(service.run())
    await wait_until(lambda: service.health.health == ApiHealth.UNREACHABLE)
    return slow, service, ids, runner


async def stop(runner: asyncio.Task[None]) -> None:
    runner.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner


async def test_outage_is_cleared_when_another_process_finishes_the_last_followed_job(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService]
) -> None:
    _, service, ids, runner = await outage(sim_factory, service_factory, jobs=3)
    try:
        with JobStore.open(Path(service.store.location)) as other:  # the CLI, or a second dashboard
            for local_id in ids:
                job = other.get(local_id)
                assert job is not None
                job.set_status(JobStatus.SUCCEEDED)
                other.update(job)
            other.flush()
        await wait_until(lambda: service.scheduler.tracked_count == 0)
        assert service.health.health == ApiHealth.OK
    finally:
        await stop(runner)


async def test_outage_is_cleared_by_any_answered_request(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService]
) -> None:
    slow, service, _, runner = await outage(sim_factory, service_factory, jobs=3)
    try:
        slow.set_faults(down=False)
        await service.submit(request("the API is back"))
        assert service.health.health == ApiHealth.OK
    finally:
        await stop(runner)


async def test_outage_is_cleared_when_another_process_reached_the_api(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService]
) -> None:
    _, service, ids, runner = await outage(sim_factory, service_factory, jobs=3)
    try:
        with JobStore.open(Path(service.store.location)) as other:  # it got an answer; still queued
            job = other.get(ids[0])
            assert job is not None
            job.last_checked_at, job.last_error, job.poll_count = time.time(), None, job.poll_count + 1
            job.touch()
            other.update(job)
            other.flush()
        await wait_until(lambda: service.health.health == ApiHealth.OK)
        assert service.scheduler.tracked_count == 3
    finally:
        await stop(runner)
