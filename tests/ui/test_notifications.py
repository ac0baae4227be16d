"""Finished jobs in the running app: one grouped toast per batch, a bell (rate-limited), or nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from seedance_tui.api.client import SeedanceClient
from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.notify import BEL
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.widgets.job_rows import short_id
from tests.conftest import API_KEY
from tests.ui.helpers import make_settings, wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def request(i: int) -> GenerationRequest:
    return GenerationRequest(model="seedance-2.0", prompt=f"job {i}", duration=5)


async def test_jobs_ending_together_make_one_toast_and_one_bell(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    written: list[str] = []
    clock = Clock()
    app = SeedanceApp(
        service, make_settings(sim.url, tmp_path), terminal_write=written.append, alert_clock=clock
    )
    async with app.run_test(size=(100, 30)) as pilot:
        for i in range(3):
            await service.submit(request(i))
        notes = lambda: [n.message for n in app._notifications]  # noqa: E731
        assert await wait_for(pilot, lambda: app.alerter.has_pending or bool(written), steps=200)
        assert await wait_for(pilot, lambda: sum(m.count("succeeded") for m in notes()) >= 1)
        assert written[:1] == [BEL]
        # However the three endings were batched, the bell rang once; the rest waits for the limit.
        assert await wait_for(
            pilot,
            lambda: len(app.service.jobs()) == 3 and all(j.status == "succeeded" for j in app.service.jobs()),
            steps=200,
        )
        assert written == [BEL]
        toasts = [m for m in notes() if "succeeded" in m]
        assert toasts and all(m.startswith("Job ") or m.endswith("succeeded.") for m in toasts)
        if app.alerter.has_pending:  # endings came in more than one batch: one more bell, when due
            assert app._alert_timer_armed
            clock.now += 10
            app._alert_due()  # what the armed (real-time) timer does
            assert written == [BEL, BEL] and not app.alerter.has_pending


async def test_many_at_once_are_counted_in_one_toast(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda data: None)
    async with app.run_test(size=(100, 30)) as pilot:
        # Four jobs that the service reports in one batch, all having just ended.
        jobs = [Job.new(request(i)) for i in range(4)]
        for job in jobs:
            job.request_id = f"req_{job.local_id}"
            job.set_status(JobStatus.PROCESSING)
            app._last_status[job.local_id] = job.status
            job.set_status(JobStatus.SUCCEEDED)
        jobs[0].status = JobStatus.FAILED
        app._on_jobs(jobs)
        await pilot.pause()
        assert "3 succeeded, 1 failed." in [n.message for n in app._notifications]


async def test_notify_off_writes_nothing(sim: SimulatorServer, service: JobService, tmp_path: Path) -> None:
    written: list[str] = []
    app = SeedanceApp(service, make_settings(sim.url, tmp_path, notify="off"), terminal_write=written.append)
    async with app.run_test(size=(100, 30)) as pilot:
        job = await service.submit(request(0))
        assert await wait_for(
            pilot, lambda: any("succeeded" in n.message for n in app._notifications), steps=200
        )
        assert service.get(job.local_id) is not None
        assert written == []


async def test_only_cancels_made_elsewhere_are_announced(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    sim = sim_factory(queue_seconds=30.0)
    service = service_factory(sim.url)
    written: list[str] = []
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=written.append)
    async with app.run_test(size=(100, 30)) as pilot:
        mine = await service.submit(request(1))
        theirs = await service.submit(request(2))
        await pilot.pause(0.3)
        await service.cancel(mine.local_id)  # as the cancel dialog does; it shows its own outcome
        async with SeedanceClient(sim.url, API_KEY) as other:  # someone else: the CLI, another machine
            await other.cancel(theirs.request_id or "")
        notes = lambda: [n.message for n in app._notifications]  # noqa: E731
        assert await wait_for(pilot, lambda: any("cancelled" in m for m in notes()), steps=200)
        await pilot.pause(0.3)
        cancelled = [m for m in notes() if "cancelled" in m]
        assert cancelled == [f"Job {short_id(theirs)} cancelled."]
        assert written == [BEL]
