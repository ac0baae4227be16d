"""The split view: on wide terminals the cursor row's detail sits beside the table and follows it."""

from __future__ import annotations

from pathlib import Path

from textual import events

from seedance_tui.models import JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.main import MainScreen
from seedance_tui.ui.widgets.detail_panel import DetailPanel
from seedance_tui.ui.widgets.job_table import JobTable
from tests.ui.helpers import make_settings, wait_for
from tests.ui.test_main_screen import seed_store


def panel_text(app: SeedanceApp) -> str:
    return str(app.screen.query_one(DetailPanel).render())


async def test_detail_beside_the_table_follows_the_cursor(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    jobs = seed_store(tmp_path / "jobs.json", [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED])
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda d: None)
    async with app.run_test(size=(200, 50)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        table = screen.query_one(JobTable)
        panel = screen.query_one(DetailPanel)
        assert panel.display and table.has_focus
        newest, middle = jobs[2], jobs[1]
        assert f"Job {newest.request_id}" in panel_text(app) and "cancelled" in panel_text(app)
        await pilot.press("j")
        assert await wait_for(pilot, lambda: f"Job {middle.request_id}" in panel_text(app))
        assert "prompt number 1 failed" in panel_text(app)
        assert table.has_focus  # the table's keys still act on the cursor row
        await pilot.press("v")
        assert not panel.display and table.size.width == 200
        await pilot.press("v", "k")
        assert panel.display
        assert await wait_for(pilot, lambda: f"Job {newest.request_id}" in panel_text(app))


async def test_a_held_key_redraws_the_panel_less_often_than_the_cursor_moves_and_ends_on_its_row(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    jobs = seed_store(tmp_path / "jobs.json", [JobStatus.SUCCEEDED] * 30)
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda d: None)
    async with app.run_test(size=(200, 50)) as pilot:
        panel = app.screen.query_one(DetailPanel)
        redraws = 0
        show_job = panel.show_job

        def counted() -> None:
            nonlocal redraws
            redraws += 1
            show_job()

        panel.show_job = counted  # type: ignore[method-assign]
        for _ in range(20):  # as fast as keys come when held: no pause between them
            app.post_message(events.Key("j", None))
        assert await wait_for(pilot, lambda: f"Job {jobs[9].request_id}" in panel_text(app))
        assert redraws < 20


async def test_narrow_terminals_keep_the_table_alone(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    seed_store(tmp_path / "jobs.json", [JobStatus.SUCCEEDED])
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda d: None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert not screen.split_shown and not screen.query(DetailPanel)  # composed when first shown
        await pilot.press("v")
        assert not screen.split_shown
        assert any("at least 150 columns" in n.message for n in app._notifications)
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert screen.query_one(DetailPanel).display and screen.split_shown
