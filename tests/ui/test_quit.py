"""Quitting saves everything; when the store cannot be written, the app warns and stays open once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.widgets.job_table import JobTable
from tests.ui.helpers import make_settings, wait_for


async def test_quit_with_an_unwritable_store_warns_first(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    db_path = tmp_path / "jobs.json"
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        job = await service.submit(GenerationRequest("seedance-2.0", "a kite over dunes"))
        table = app.screen.query_one(JobTable)
        assert await wait_for(pilot, lambda: table.row_count == 1)
        db_path.unlink()
        db_path.mkdir()  # root ignores permissions: a directory makes the store unwritable
        job.poll_count += 1
        service.store.update(job)
        await pilot.press("q")
        assert await wait_for(pilot, lambda: any("q again" in str(n.message) for n in app._notifications))
        assert app.is_running and not app._service_closed  # still polling and retrying the save
        await pilot.press("q")
    assert app.unsaved_error is not None and str(db_path) in app.unsaved_error
    db_path.rmdir()  # the store can be written again: the fixture's close saves what was left


async def test_a_rejected_key_is_said_plainly(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    store = JobStore.open(tmp_path / "jobs.json")
    job = Job.new(GenerationRequest("seedance-2.0", "p"))
    job.request_id = "req_0000000000000002"
    job.set_status(JobStatus.QUEUED)
    store.add(job)
    store.close()
    service = service_factory(sim.url, key="sd2_revoked_key")
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        assert await wait_for(pilot, lambda: any(n.title == "API key rejected" for n in app._notifications))
        assert "key rejected" in str(app.screen.query_one("StatusBar").render()).lower()
