"""The summary screen on t: its figures are the store's, it fits 80x24, 6 lists the problem jobs."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Sparkline

from seedance_tui.models import JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.main import MainScreen
from seedance_tui.ui.screens.summary import SummaryScreen
from seedance_tui.ui.widgets.job_table import JobTable
from tests.ui.helpers import make_settings
from tests.ui.test_main_screen import seed_store


def text_of(app: SeedanceApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_summary_shows_the_store_and_leads_to_the_problems(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    statuses = [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.REJECTED]
    jobs = seed_store(tmp_path / "jobs.json", statuses)
    service.store.refresh()
    for job, credits in zip(jobs, (40, 40, 40, None), strict=True):
        stored = service.get(job.local_id)
        assert stored is not None
        stored.credits_charged = credits
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda d: None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        assert isinstance(app.screen, SummaryScreen)
        status = text_of(app, "#summary-status")
        assert "✔ 2 succeeded" in status and "✘ 1 failed" in status and "! 1 rejected" in status
        models = text_of(app, "#summary-models").splitlines()
        assert models[1].split() == ["seedance-2.0", "120", "120", "120", "40", "67", "0s"]
        assert list(app.screen.query_one(Sparkline).data or [])[-1] == 3  # three finished just now
        assert "1 rejected" in text_of(app, "#summary-problems")
        # Everything fits at 80x24: the problems line is above the footer.
        problems = app.screen.query_one("#summary-problems")
        assert problems.region.bottom <= 23 and problems.region.width <= 80
        await pilot.press("6")
        assert isinstance(app.screen, MainScreen)
        table = app.screen.query_one(JobTable)
        assert [j.status for j in table.model.rows] == [JobStatus.REJECTED]


async def test_summary_updates_live(sim: SimulatorServer, service: JobService, tmp_path: Path) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda d: None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        screen = app.screen
        assert isinstance(screen, SummaryScreen)
        assert "(no jobs yet)" in text_of(app, "#summary-models")
        seed_store(tmp_path / "jobs.json", [JobStatus.FAILED])
        service.store.refresh()
        app._on_jobs(service.jobs())  # as the service's change feed does
        await pilot.pause()
        assert screen._refresh_armed
        screen.show()  # what the (2 s) timer does
        assert "✘ 1 failed" in text_of(app, "#summary-status")
