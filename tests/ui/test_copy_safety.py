"""Copy (``y``/``u``) never puts control, bidi or invisible characters on the clipboard."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.detail import DetailScreen
from tests.ui.helpers import make_settings, wait_for


async def test_copy_refuses_text_that_could_run_commands_when_pasted(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    store = JobStore.open(tmp_path / "jobs.json")
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt="a hostile reply"))
    job.request_id = "req_\x1b[2J\u202eevil"
    job.output_url = "https://x.test/v.mp4\n\x1b[201~rm -rf ~\n\a"
    job.set_status(JobStatus.SUCCEEDED, time.time())
    store.add(job)
    store.close()
    app = SeedanceApp(service_factory(sim.url), make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.press("y")
        await pilot.press("u")
        await pilot.pause(0.1)
        assert app.clipboard == ""
        messages = [n.message for n in app._notifications]
        assert sum("Not copied" in m for m in messages) == 2, messages


async def test_copy_of_plain_text_still_works(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    store = JobStore.open(tmp_path / "jobs.json")
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt="a calm reply"))
    job.request_id = "req_plain_123"
    job.set_status(JobStatus.QUEUED, time.time())
    store.add(job)
    store.close()
    app = SeedanceApp(service_factory(sim.url), make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.press("y")
        assert app.clipboard == "req_plain_123"
