"""Edit & resubmit of a job that may already exist warns first that it may be paid twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Static

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.screens.submit import SubmitScreen
from tests.ui.helpers import make_settings, wait_for


@pytest.mark.parametrize(
    ("status", "warned"),
    [(JobStatus.PROBABLY_NOT_CREATED, True), (JobStatus.OUTCOME_UNKNOWN, True), (JobStatus.REJECTED, False)],
)
async def test_resubmitting_warns_when_the_first_may_exist(
    sim: SimulatorServer,
    service_factory: Callable[..., JobService],
    tmp_path: Path,
    status: JobStatus,
    warned: bool,
) -> None:
    store = JobStore.open(tmp_path / "jobs.json")
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt="maybe made"))
    job.set_status(status, time.time())
    store.add(job)
    store.close()
    app = SeedanceApp(service_factory(sim.url), make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.press("e")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SubmitScreen))
        await pilot.pause(0.1)
        banner = app.screen.query_one("#submit-banner", Static)
        text = str(banner.render())
        assert ("may pay twice" in text) == warned, text
        assert banner.display == warned
