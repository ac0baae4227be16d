"""Words a new user reads: empty-table hints, the search footer, the palette, the corrupt-store message."""

from __future__ import annotations

from pathlib import Path

from seedance_tui.models import JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore, StoreCorruptError
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.commands import SeedanceCommands, main_screen_commands
from seedance_tui.ui.widgets.job_table import JobTable
from tests.ui.helpers import make_settings, wait_for
from tests.ui.test_main_screen import seed_store, table_lines


async def test_the_no_match_hint_offers_only_the_ways_out_that_apply(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    seed_store(tmp_path / "jobs.json", [JobStatus.SUCCEEDED])
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        hint = "\n".join(table_lines(app))
        assert "No failed jobs — press a to show all" in hint and "search" not in hint
        await pilot.press("a", "slash", *"nothing like it")
        hint = "\n".join(table_lines(app))
        assert "escape clears it" in hint and "press a" not in hint


async def test_the_search_box_footer_says_enter_and_escape(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash")
        shown = {
            key: active.binding.description
            for key, active in app.screen.active_bindings.items()
            if active.binding.show
        }
        assert shown.get("enter") == "Keep search" and shown.get("escape") == "Clear search"
        await pilot.press("escape")
        assert app.screen.query_one(JobTable).has_focus


async def test_the_palette_reads_well_and_finds_help_and_filters(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        titles = [command.title for command in main_screen_commands(app.screen)]  # type: ignore[arg-type]
        assert "Show problem jobs" in titles and "Show problems jobs" not in titles
        provider = SeedanceCommands(app.screen)
        for query, expected in (("help", "Help: keys"), ("filter", "Show failed jobs")):
            found = [str(hit.text) async for hit in provider.search(query)]
            assert expected in found, (query, found)
        await pilot.press("ctrl+p", *"help")
        await pilot.pause(0.3)
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: bool(app.screen.query("HelpPanel")))


async def test_the_empty_palette_lists_the_actions_as_written_then_textuals(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)):
        actions = [command.title for command in main_screen_commands(app.screen)]  # type: ignore[arg-type]
        listed = [str(hit.text) async for hit in SeedanceCommands(app.screen).discover()]
        assert listed[: len(actions)] == actions and actions[0] == "New job"
        assert listed[len(actions)] == "Help: keys" and "Quit" in listed[len(actions) + 1 :]


def test_the_corrupt_store_message_names_recover_db_first(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    path.write_text("{not json")
    try:
        JobStore.open(path)
    except StoreCorruptError as exc:
        message = str(exc)
    else:
        raise AssertionError("the damaged store was opened")
    assert "--recover-db" in message and "quarantine option" not in message
