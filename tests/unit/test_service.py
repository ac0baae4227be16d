"""The service layer against the real simulator and a real store: write-ahead, outcomes, polling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from seedance_tui.models import GenerationRequest, Job, JobStatus, ValidationError
from seedance_tui.service import CancelResult, JobService, SubmitError, SubmitOutcome, not_cancellable_reason
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from tests.support import running, until

REQ = GenerationRequest("seedance-2.0", "a lighthouse at dusk", duration=5)


def on_disk(path: Path) -> dict[str, Job]:
    store = JobStore.open(path)
    try:
        return {job.local_id: job for job in store.all()}
    finally:
        store.close()


def submits(sim: SimulatorServer) -> int:
    return int(httpx.get(f"{sim.url}/_sim/stats").json()["submits_received"])


async def test_accepted_job_is_on_disk_with_its_request_id_before_submit_returns(
    service: JobService, db_path: Path
) -> None:
    job = await service.submit(REQ)
    assert job.status == JobStatus.QUEUED and job.request_id and job.credits_charged == 40
    stored = on_disk(db_path)[job.local_id]
    assert stored.request_id == job.request_id and stored.status == JobStatus.QUEUED
    await service.client.aclose()


async def test_job_is_written_ahead_of_the_post(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], db_path: Path
) -> None:
    sim = sim_factory(latency=0.6)
    service = service_factory(sim.url)
    submit = asyncio.create_task(service.submit(REQ))
    await until(lambda: submits(sim) == 1)  # the simulator holds its reply for 0.6 s
    assert not submit.done()
    written = list(on_disk(db_path).values())
    assert [j.status for j in written] == [JobStatus.SUBMITTING]
    await submit
    await service.client.aclose()


async def test_invalid_request_stores_nothing(
    service: JobService, sim: SimulatorServer, db_path: Path
) -> None:
    with pytest.raises(ValidationError):
        await service.submit(GenerationRequest("seedance-1.5-pro", "p", duration=4))
    assert on_disk(db_path) == {} and submits(sim) == 0
    await service.client.aclose()


async def test_rejected_submission_is_kept_with_its_reason(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path
) -> None:
    service = service_factory(sim.url, key="sd2_revoked_key")
    with pytest.raises(SubmitError) as info:
        await service.submit(REQ)
    assert info.value.outcome == SubmitOutcome.REJECTED
    stored = on_disk(db_path)[info.value.job.local_id]
    assert stored.status == JobStatus.REJECTED and "rejected" in (stored.last_error or "")
    assert stored.request == REQ  # what the user typed is kept, to edit and resubmit
    await service.client.aclose()


async def test_dropped_submission_is_outcome_unknown_and_never_resent(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], db_path: Path
) -> None:
    sim = sim_factory(drop_rate=1.0)
    service = service_factory(sim.url)
    with pytest.raises(SubmitError) as info:
        await service.submit(REQ)
    assert info.value.outcome == SubmitOutcome.UNKNOWN and "NOT sent again" in info.value.message
    async with running(service):
        await asyncio.sleep(0.5)
    assert submits(sim) == 1
    assert on_disk(db_path)[info.value.job.local_id].status == JobStatus.OUTCOME_UNKNOWN


async def test_polling_follows_jobs_to_their_final_state(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], db_path: Path
) -> None:
    sim = sim_factory(failure_rate=0.5, seed=3)
    service = service_factory(sim.url)
    batches: list[list[Job]] = []
    service.add_listener(batches.append)
    async with running(service):
        jobs = [await service.submit(REQ) for _ in range(6)]
        await until(lambda: all(service.get(j.local_id).is_final for j in jobs))  # type: ignore[union-attr]
    remote = {t["requestId"]: t["status"] for t in httpx.get(f"{sim.url}/_sim/tasks").json()["tasks"]}
    stored = on_disk(db_path)
    assert {j.request_id: stored[j.local_id].status for j in jobs} == remote
    assert {"succeeded", "failed"} <= set(remote.values())
    seen = [h.status for h in stored[jobs[0].local_id].history]
    assert seen[0] == "submitting" and seen[1] == "queued" and seen[-1] in ("succeeded", "failed")
    assert batches and all(batch for batch in batches)


async def test_restart_resumes_unfinished_jobs(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path
) -> None:
    first = service_factory(sim.url)
    job = await first.submit(REQ)
    await first.client.aclose()
    first.store.close()
    second = service_factory(sim.url)
    async with running(second):
        await until(lambda: second.get(job.local_id).status == JobStatus.SUCCEEDED)  # type: ignore[union-attr]
    assert on_disk(db_path)[job.local_id].output_url


async def test_job_left_submitting_by_a_dead_process_becomes_outcome_unknown(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path
) -> None:
    store = JobStore.open(db_path)
    orphan = Job.new(REQ)
    orphan.created_at -= 600
    store.add(orphan)
    store.close()
    service = service_factory(sim.url)
    async with running(service):
        await until(lambda: service.get(orphan.local_id).status == JobStatus.OUTCOME_UNKNOWN)  # type: ignore[union-attr]
    assert on_disk(db_path)[orphan.local_id].status == JobStatus.OUTCOME_UNKNOWN
    assert submits(sim) == 0


async def test_unknown_request_id_is_marked_not_found_and_kept(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path
) -> None:
    store = JobStore.open(db_path)
    ghost = Job.new(REQ)
    ghost.request_id = "req_0000000000000000"
    ghost.set_status(JobStatus.QUEUED)
    store.add(ghost)
    store.close()
    service = service_factory(sim.url)
    async with running(service):
        await until(lambda: service.get(ghost.local_id).status == JobStatus.NOT_FOUND)  # type: ignore[union-attr]
    assert on_disk(db_path)[ghost.local_id].request_id == "req_0000000000000000"


async def test_cancel_outcomes(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], db_path: Path
) -> None:
    sim = sim_factory(queue_seconds=60.0)
    service = service_factory(sim.url)
    job = await service.submit(REQ)
    outcome = await service.cancel(job.local_id)
    assert outcome.result == CancelResult.CANCELLED and on_disk(db_path)[job.local_id].status == "cancelled"
    again = await service.cancel(job.local_id)
    assert again.result == CancelResult.ALREADY_FINAL and "cancelled" in again.message
    await service.client.aclose()


async def test_the_service_and_the_dashboard_word_an_impossible_cancel_alike(service: JobService) -> None:
    never_sent = Job.new(REQ)
    service.store.add(never_sent)
    outcome = await service.cancel(never_sent.local_id)
    assert outcome.result == CancelResult.ERROR
    assert outcome.message == not_cancellable_reason(never_sent) and "nothing to cancel" in outcome.message


async def test_download_writes_the_video(service: JobService, tmp_path: Path) -> None:
    async with running(service):
        job = await service.submit(REQ)
        await until(lambda: service.get(job.local_id).status == JobStatus.SUCCEEDED)  # type: ignore[union-attr]
        seen: list[int] = []
        path = await service.download(job.local_id, tmp_path / "dl", lambda done, total: seen.append(done))
    assert path.name == f"{job.request_id}.mp4" and path.read_bytes()[4:8] == b"ftyp" and seen
    assert not list((tmp_path / "dl").glob("*.part"))


async def test_jobs_written_by_another_process_show_up(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path
) -> None:
    watcher = service_factory(sim.url)
    seen: list[str] = []
    watcher.add_listener(lambda batch: seen.extend(j.local_id for j in batch))
    async with running(watcher):
        other = service_factory(sim.url, path=db_path)
        job = await other.submit(REQ)
        await other.client.aclose()
        await until(lambda: job.local_id in seen)
        await until(lambda: watcher.get(job.local_id).status == JobStatus.SUCCEEDED)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("faults", "outcome"),
    [({"down": True}, SubmitOutcome.REJECTED), ({"error_rate": 1.0}, SubmitOutcome.UNKNOWN)],
)
async def test_server_failures_on_submit(
    sim_factory: Callable[..., SimulatorServer],
    service_factory: Callable[..., JobService],
    db_path: Path,
    faults: dict[str, object],
    outcome: SubmitOutcome,
) -> None:
    # 503 (down) means "not taken on": safe to resend. Other 5xx may hide an accepted task.
    sim = sim_factory(**faults)
    service = service_factory(sim.url)
    with pytest.raises(SubmitError) as info:
        await service.submit(REQ)
    if outcome == SubmitOutcome.REJECTED or (
        info.value.job.last_error and "503" in info.value.job.last_error
    ):
        assert info.value.outcome == SubmitOutcome.REJECTED
    else:
        assert info.value.outcome == SubmitOutcome.UNKNOWN
    assert on_disk(db_path)[info.value.job.local_id].status == info.value.outcome.value
    await service.client.aclose()


async def test_a_store_that_cannot_be_written_is_reported_and_nothing_is_lost(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path
) -> None:
    service = service_factory(sim.url)
    problems: list[str | None] = []
    service.add_store_listener(problems.append)
    async with running(service):
        job = await service.submit(REQ)
        # Something takes the file's place (root ignores permissions, so a directory stands in).
        db_path.unlink()
        db_path.mkdir()
        await until(lambda: bool(problems) and problems[-1] is not None)
        await until(lambda: service.get(job.local_id).status == JobStatus.SUCCEEDED)  # type: ignore[union-attr]
        db_path.rmdir()
        await until(lambda: problems[-1] is None)
    assert problems[-1] is None and all(problems[:-1])  # reported once, cleared once
    assert str(db_path) in (problems[0] or "")
    assert on_disk(db_path)[job.local_id].status == JobStatus.SUCCEEDED


async def test_a_job_that_cannot_be_written_ahead_is_never_sent(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path
) -> None:
    service = service_factory(sim.url)
    db_path.unlink()
    db_path.mkdir()  # the store cannot be written (root ignores permissions, so a directory stands in)
    with pytest.raises(SubmitError) as info:
        await service.submit(REQ)
    assert info.value.outcome == SubmitOutcome.NOT_SENT and "nothing left this machine" in info.value.message
    assert submits(sim) == 0
    db_path.rmdir()
    await service.flush()
    assert on_disk(db_path)[info.value.job.local_id].status == JobStatus.REJECTED
    await service.client.aclose()


async def test_an_accepted_job_is_returned_and_followed_even_if_saving_fails(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], db_path: Path
) -> None:
    sim = sim_factory(latency=0.5)
    service = service_factory(sim.url)
    problems: list[str | None] = []
    service.add_store_listener(problems.append)
    submit = asyncio.create_task(service.submit(REQ))
    await until(lambda: submits(sim) == 1)  # written ahead; the POST is in flight
    assert not submit.done()
    db_path.unlink()
    db_path.mkdir()
    job = await submit  # accepted: no error, so nobody is tempted to send it again
    assert job.request_id and service.scheduler.tracked_count == 1
    assert problems and problems[-1] is not None
    db_path.rmdir()
    await service.flush()
    assert on_disk(db_path)[job.local_id].request_id == job.request_id
    assert submits(sim) == 1
    await service.client.aclose()


async def test_refresh_after_a_rejected_key_tries_the_key_again(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path
) -> None:
    store = JobStore.open(db_path)
    job = Job.new(REQ)
    job.request_id = "req_0000000000000001"
    job.set_status(JobStatus.QUEUED)
    store.add(job)
    store.close()
    service = service_factory(sim.url, key="sd2_revoked_key")
    gets = lambda: int(httpx.get(f"{sim.url}/_sim/stats").json()["gets"])  # noqa: E731
    async with running(service):
        await until(lambda: service.health.health == "key_rejected")
        before = gets()
        await asyncio.sleep(0.3)
        assert gets() == before  # stopped: no requests with a rejected key
        service.refresh_soon(job.local_id)
        await until(lambda: gets() == before + 1)
        await until(lambda: service.health.health == "key_rejected")
