"""The search box speaks the query language; a query it cannot read is explained inline, never a crash."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from seedance_tui.cli import main
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.main import MainScreen
from tests.ui.helpers import make_settings, wait_for
from tests.ui.test_main_screen import seed_store


async def test_query_filters_the_table_and_errors_show_inline(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    seed_store(tmp_path / "jobs.json", ["failed", "succeeded", "failed", "cancelled"])
    service = service_factory(sim.url, path=tmp_path / "jobs.json")
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("slash", "f", "o", "x")
        assert await wait_for(pilot, lambda: screen.table.row_count == 0)
        screen.query_one("#search", Input).value = 'status:failed -"number 2"'
        assert await wait_for(pilot, lambda: screen.table.row_count == 1)
        assert screen.table.model.rows[0].request.prompt == "prompt number 0 failed"
        error = screen.query_one("#query-error", Static)
        assert not error.display
        screen.query_one("#search", Input).value = "status:done"
        assert await wait_for(pilot, lambda: error.display)
        assert "'done' is not a known status" in str(error.render())
        assert screen.table.row_count == 1  # the last good query still applies
        await pilot.press("escape")
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: screen.table.row_count == 4 and not error.display)


def test_cli_jobs_accepts_the_same_query(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "jobs.json"
    seed_store(db, ["failed", "succeeded", "failed"])
    cfg = tmp_path / "config.toml"
    assert main(["jobs", 'status:failed -"number 2"', "--json", "--db", str(db), "--config", str(cfg)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [job["request"]["prompt"] for job in listed] == ["prompt number 0 failed"]
    assert main(["jobs", "model:3.0", "--db", str(db), "--config", str(cfg)]) == 2
    assert "'3.0' is not a known model" in capsys.readouterr().err


async def test_an_age_query_is_reapplied_as_jobs_age(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    jobs = seed_store(tmp_path / "jobs.json", ["failed"])
    now = [jobs[0].created_at + 60]
    service = service_factory(sim.url, path=tmp_path / "jobs.json")
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), clock=lambda: now[0])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.show_query("age:<1h")
        assert screen.table.row_count == 1
        now[0] += 7200
        screen._refresh_age_query()  # what the screen's 30 s timer calls
        assert await wait_for(pilot, lambda: screen.table.row_count == 0)
