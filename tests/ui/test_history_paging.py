"""Scrolling to the end of the table pages older jobs in from the store's history, a page at a time."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from seedance_tui.models import JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.store.archive import archive_finished
from seedance_tui.store.history import PAGE_SIZE
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.screens.main import MainScreen
from seedance_tui.ui.screens.summary import SummaryScreen
from tests.support import in_flight_job, write_store
from tests.ui.helpers import make_settings, wait_for

DAY = 86_400.0
RECENT = 30
OLD = 2 * PAGE_SIZE + 100


def _store_with_a_long_archive(path: Path) -> None:
    now = time.time()
    old = [in_flight_job(f"req_old{n:05d}", now - 60 * DAY - n * 60, JobStatus.SUCCEEDED) for n in range(OLD)]
    recent = [in_flight_job(f"req_new{n}", now - 60 - n, JobStatus.QUEUED) for n in range(RECENT)]
    write_store(path, old + recent)
    with JobStore.open(path) as store:
        assert archive_finished(store, older_than=30 * DAY, now=now).moved == OLD


async def test_scrolling_to_the_end_loads_older_jobs_a_page_at_a_time_and_says_so(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    _store_with_a_long_archive(tmp_path / "jobs.json")
    service = service_factory(sim.url, path=tmp_path / "jobs.json")
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        table = screen.table
        assert table.row_count == RECENT
        await pilot.press("end")  # the cursor on the last row
        assert await wait_for(pilot, lambda: table.row_count == RECENT + PAGE_SIZE)
        toasts = [str(n.message) for n in app._notifications]
        assert any(f"Loaded {PAGE_SIZE} older job(s) from the archive in" in t for t in toasts), toasts
        # Newest first: the page continues the table where the recent jobs end.
        rows = table.model.rows
        assert [job.request_id for job in rows[RECENT : RECENT + 3]] == [
            "req_old00000",
            "req_old00001",
            "req_old00002",
        ]
        table.scroll_end(animate=False, immediate=True)  # the mouse wheel, say
        assert await wait_for(pilot, lambda: table.row_count == RECENT + 2 * PAGE_SIZE)
        await pilot.press("end")
        assert await wait_for(pilot, lambda: table.row_count == RECENT + OLD)
        await pilot.press("up", "end")
        await pilot.pause()
        assert service.history_complete and table.row_count == RECENT + OLD
        assert table.model.rows[-1].request_id == f"req_old{OLD - 1:05d}"


async def test_the_summary_counts_the_archived_jobs_too_and_says_so(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    _store_with_a_long_archive(tmp_path / "jobs.json")
    service = service_factory(sim.url, path=tmp_path / "jobs.json")
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("t")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SummaryScreen))
        title = app.screen.query_one("#summary-title", Static)
        assert await wait_for(
            pilot, lambda: f"with {OLD:,} older job(s) from the archive" in str(title.render())
        )
        summary = service.summary(time.time())
        assert (
            summary.by_status[JobStatus.SUCCEEDED] == OLD and sum(summary.by_status.values()) == OLD + RECENT
        )
        assert summary.from_history == OLD and summary.credits_total == (OLD + RECENT) * 40


async def test_a_row_paged_in_from_the_archive_opens_and_can_be_acted_on(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    _store_with_a_long_archive(tmp_path / "jobs.json")
    service = service_factory(sim.url, path=tmp_path / "jobs.json")
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("end")
        assert await wait_for(pilot, lambda: screen.table.row_count == RECENT + PAGE_SIZE)
        await pilot.press("down", "enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        assert detail.job is not None and detail.job.request_id == "req_old00000"
        assert service.store.get(detail.job.local_id) is None  # still only in the archive
        await pilot.press("r")  # checking it again brings it back into the store
        assert await wait_for(pilot, lambda: service.store.get(detail.local_id) is not None)
