"""A search or a status filter reads the archive of old finished jobs once, in a thread, and says so."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input

from seedance_tui.models import JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.store.archive import Archive, archive_finished
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.main import MainScreen
from tests.support import in_flight_job, write_store
from tests.ui.helpers import make_settings, wait_for

DAY = 86_400.0


def _archived_store(path: Path) -> None:
    """Two recent jobs in the store, three old finished ones moved into the archive."""
    now = time.time()
    old = [in_flight_job(f"req_old{n}", now - (60 + n) * DAY, JobStatus.SUCCEEDED) for n in range(3)]
    recent = [in_flight_job(f"req_new{n}", now - 60, JobStatus.QUEUED) for n in range(2)]
    write_store(path, old + recent)
    with JobStore.open(path) as store:
        assert archive_finished(store, older_than=30 * DAY, now=now).moved == 3


async def test_a_search_reaches_archived_jobs_and_says_where_they_came_from(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    _archived_store(tmp_path / "jobs.json")
    service = service_factory(sim.url, path=tmp_path / "jobs.json")
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.table.row_count == 2  # start-up reads the store file only
        await pilot.press("slash")
        screen.query_one("#search", Input).value = "req_old1"
        assert await wait_for(pilot, lambda: screen.table.row_count == 1)
        assert screen.table.model.rows[0].request_id == "req_old1"
        toasts = [str(n.message) for n in app._notifications]
        assert any("3 older job(s) read from the archive" in t for t in toasts), toasts
        await pilot.press("escape", "escape")
        assert await wait_for(pilot, lambda: screen.table.row_count == 5)


async def test_a_damaged_archive_file_is_reported_and_the_rest_still_shown(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    path = tmp_path / "jobs.json"
    _archived_store(path)
    damaged = next(tmp_path.glob("jobs-archive-*.json"))
    hidden = len(Archive(path).documents(damaged.stem.removeprefix("jobs-archive-")) or {})
    damaged.write_bytes(b"[broken")
    service = service_factory(sim.url, path=path)
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.action_filter("all")
        assert await wait_for(
            pilot, lambda: any("cannot be read" in str(n.message) for n in app._notifications)
        )
        assert await wait_for(pilot, lambda: screen.table.row_count == 5 - hidden)
        assert damaged.read_bytes() == b"[broken"


async def test_export_waits_for_the_archive_so_archived_rows_are_exported_too(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    _archived_store(tmp_path / "jobs.json")
    service = service_factory(sim.url, path=tmp_path / "jobs.json")
    settings = make_settings(sim.url, tmp_path)
    app = SeedanceApp(service, settings)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("x")
        assert await wait_for(pilot, lambda: any(settings.download_dir.glob("seedance-jobs-*.csv")))
        exported = next(settings.download_dir.glob("seedance-jobs-*.csv")).read_text()
        assert all(f"req_old{n}" in exported for n in range(3)) and "req_new0" in exported
