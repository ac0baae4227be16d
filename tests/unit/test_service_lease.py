"""Two services on one store with the poller's lease (issue 15): one polls, the other follows through the store."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.polling.lease import PollerLease, Role, api_fingerprint
from seedance_tui.service import CancelResult, JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.webhooks import plan_from_flags, run_with_webhooks
from tests.conftest import API_KEY
from tests.reliability.helpers import sim_stats
from tests.support import free_port, in_flight_job, until, write_store

FINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
REQ = GenerationRequest(model="seedance-2.0", prompt="A fox in the snow", duration=5)


@contextlib.asynccontextmanager
async def running(service: JobService) -> AsyncIterator[JobService]:
    task = asyncio.create_task(service.run())
    try:
        yield service
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await service.close()


def seen_at(service: JobService) -> dict[tuple[str, str], float]:
    """When (monotonic) this service first announced each job in each status."""
    seen: dict[tuple[str, str], float] = {}

    def note(jobs: list[Job]) -> None:
        for job in jobs:
            seen.setdefault((job.local_id, job.status), time.monotonic())

    service.add_listener(note)
    return seen


async def test_a_follower_shows_the_pollers_results_within_two_seconds_and_its_own_actions_work(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], db_path: Path
) -> None:
    sim = sim_factory(queue_seconds=2.0, process_seconds=1.0)
    # The dashboard's own timings: a flush a second, outside changes read every 2 s (0.5 s following).
    timings = {"flush_interval": 1.0, "refresh_interval": 2.0}
    poller = service_factory(sim.url, lease=PollerLease(db_path, sim.url, API_KEY), **timings)
    follower = service_factory(sim.url, lease=PollerLease(db_path, sim.url, API_KEY), **timings)
    polled, followed = seen_at(poller), seen_at(follower)
    async with running(poller):
        await until(lambda: poller.role.role == Role.POLLING, 5, "poller role")
        async with running(follower):
            await until(lambda: follower.role.holder_pid is not None, 5, "follower sees the poller")
            assert follower.role.role == Role.FOLLOWING
            # One-off actions from the follower: submit, refresh now, cancel.
            jobs = [await follower.submit(REQ) for _ in range(3)]
            gets = sim_stats(sim.url)["gets"]
            follower.refresh_soon(jobs[0].local_id)
            await until(lambda: sim_stats(sim.url)["gets"] > gets, 5, "the follower's one-off refresh")
            outcome = await follower.cancel(jobs[1].local_id)
            assert outcome.result == CancelResult.CANCELLED

            def shown_final(seen: dict[tuple[str, str], float]) -> bool:
                finals = {lid for lid, status in seen if status in FINAL}
                return finals >= {j.local_id for j in jobs}

            await until(lambda: shown_final(polled) and shown_final(followed), 20, "every job final in both")
            assert follower.scheduler.stats.requests == 0, "a follower never polls on its own"
    statuses = {j.local_id: poller.get(j.local_id).status for j in jobs}  # type: ignore[union-attr]
    assert statuses[jobs[1].local_id] == JobStatus.CANCELLED
    # Every status the poller learned (queued -> processing -> final) reached the follower within 2 s.
    learned = [key for key in polled if key[0] in statuses and key[0] != jobs[1].local_id]
    assert any(status == JobStatus.SUCCEEDED for _, status in learned)
    lags = [followed[key] - polled[key] for key in learned if key in followed]
    assert lags and max(lags) <= 2.0, lags


async def test_without_working_locks_each_service_polls_alone(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path
) -> None:
    lease = PollerLease(db_path, sim.url, API_KEY)
    lease._unavailable = "cannot lock (test)"  # what try_acquire concludes on such a file system
    service = service_factory(sim.url, lease=lease)
    async with running(service):
        await until(lambda: service.role.role == Role.ALONE, 5, "alone")
        job = await service.submit(REQ)
        await until(lambda: service.get(job.local_id).is_final, 15, "polled to the end")  # type: ignore[union-attr]


async def test_only_the_poller_receives_webhooks_and_a_follower_that_takes_over_starts_listening(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path, tmp_path: Path
) -> None:
    port = free_port()
    plan = plan_from_flags(f"127.0.0.1:{port}", f"http://127.0.0.1:{port}", tmp_path / "config.toml")
    assert plan is not None
    errors: list[str] = []
    first = service_factory(sim.url, lease=PollerLease(db_path, sim.url, API_KEY))
    second = service_factory(sim.url, lease=PollerLease(db_path, sim.url, API_KEY))
    first_run = asyncio.create_task(run_with_webhooks(first, plan, errors.append))
    await until(lambda: first.default_webhook_url is not None, 5, "the poller listens")
    second_run = asyncio.create_task(run_with_webhooks(second, plan, errors.append))
    await until(lambda: second.role.holder_pid is not None, 5, "the second follows")
    assert second.default_webhook_url is None
    first_run.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first_run
    await until(lambda: second.default_webhook_url is not None, 5, "the new poller listens")
    job = await second.submit(REQ)
    await until(lambda: second.get(job.local_id).is_final, 15, "final")  # type: ignore[union-attr]
    await until(lambda: bool(sim.state.webhook_attempts), 5, "a webhook came")
    assert [a.status for a in sim.state.webhook_attempts] == ["delivered"]
    second_run.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await second_run
    assert errors == []


async def test_jobs_made_with_another_api_or_key_are_shown_but_never_polled_nor_marked_not_found(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path
) -> None:
    theirs = in_flight_job("req_of_another_account", time.time() - 5, JobStatus.QUEUED)
    theirs.account = api_fingerprint(sim.url, "another-key")
    write_store(db_path, [theirs])
    ours = api_fingerprint(sim.url, API_KEY)
    service = service_factory(sim.url, account=ours)
    async with running(service):
        assert service.get(theirs.local_id) is not None  # shown
        job = await service.submit(REQ)
        assert job.account == ours
        await until(lambda: service.get(job.local_id).is_final, 15, "our job polled to the end")  # type: ignore[union-attr]
        service.refresh_soon(theirs.local_id)  # asked on purpose: one GET, answered 404 by this API
        await until(lambda: service.get(theirs.local_id).last_error is not None, 5, "the one-off answer")  # type: ignore[union-attr]
    kept = service.get(theirs.local_id)
    assert (
        kept is not None and kept.status == JobStatus.QUEUED and "another API or key" in str(kept.last_error)
    )
