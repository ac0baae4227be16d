"""Saved views and the column chooser on the real app, remembered in the config file across restarts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input

from seedance_tui.config import ConfigError, Settings, load_settings
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.commands import main_screen_commands
from seedance_tui.ui.screens.columns import ColumnChooser
from seedance_tui.ui.screens.main import MainScreen
from seedance_tui.ui.views_ui import ViewNameDialog
from seedance_tui.ui.widgets.job_rows import COLUMNS, column_for, layout_columns
from tests.ui.helpers import make_settings, wait_for
from tests.ui.test_main_screen import seed_store

CONFIG = """# my views
default_view = "failures"  # start here

[views.failures]
query = "status:failed"
sort = "prompt"
reverse = false

[views.broken]
query = "status:nope"

[views.done]
query = "status:succeeded"
columns = ["status", "id", "prompt"]
"""


def app_for(sim: SimulatorServer, service: JobService, tmp_path: Path) -> SeedanceApp:
    cfg = tmp_path / "config.toml"
    loaded = load_settings({}, config_path=cfg)
    fields = {k: getattr(loaded, k) for k in ("views", "default_view", "columns")}
    return SeedanceApp(service, make_settings(sim.url, tmp_path, **fields))


def main_screen(app: SeedanceApp) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def test_default_view_switching_and_a_bad_view_named_by_line(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    (tmp_path / "config.toml").write_text(CONFIG)
    seed_store(tmp_path / "jobs.json", ["failed", "succeeded", "failed", "cancelled"])
    app = app_for(sim, service_factory(sim.url, path=tmp_path / "jobs.json"), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        assert [j.request.prompt for j in screen.table.model.rows] == [
            "prompt number 0 failed",
            "prompt number 2 failed",
        ]
        assert screen.query_one("#search", Input).value == "status:failed"
        messages = [n.message for n in app._notifications]
        assert any(f"{tmp_path / 'config.toml'}:10: view 'broken' is left out" in m for m in messages)
        await pilot.press("right_square_bracket")
        assert await wait_for(pilot, lambda: screen.table.row_count == 1)
        assert [c.key for c in screen.table.chosen] == ["status", "id", "prompt"]
        await pilot.press("right_square_bracket")
        assert await wait_for(pilot, lambda: screen.table.row_count == 2)
        assert "age" in [c.key for c in screen.table.chosen]  # back to the default columns
        titles = {command.title for command in main_screen_commands(screen)}
        assert {"View: failures", "View: done", "Choose columns", "Save current view"} <= titles
        assert "View: broken" not in titles


async def test_save_current_view_writes_it_back_keeping_comments(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(CONFIG)
    seed_store(tmp_path / "jobs.json", ["failed", "succeeded", "cancelled"])
    app = app_for(sim, service_factory(sim.url, path=tmp_path / "jobs.json"), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        screen.show_query("-status:cancelled")
        screen.table.sort_by("status", reverse=True)
        screen.action_save_view()
        assert await wait_for(pilot, lambda: isinstance(app.screen, ViewNameDialog))
        await pilot.press(*"mine", "enter")
        assert await wait_for(pilot, lambda: "[views.mine]" in cfg.read_text())
    text = cfg.read_text()
    assert text.startswith(CONFIG)
    views = load_settings({}, config_path=cfg).views
    assert views["mine"]["query"] == "-status:cancelled"
    assert (views["mine"]["sort"], views["mine"]["reverse"]) == ("status", True)


async def test_column_chooser_hides_and_moves_columns_and_they_persist(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("# columns test\nmouse = true\n")
    seed_store(tmp_path / "jobs.json", ["failed", "succeeded"])
    app = app_for(sim, service_factory(sim.url, path=tmp_path / "jobs.json"), tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        await pilot.press("o")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ColumnChooser))
        await pilot.press("space")  # hide the first column (id)
        await pilot.press("down", "K")  # move status above id
        assert await wait_for(pilot, lambda: screen.table.chosen[0].key == "status")
        assert "id" not in [c.key for c in screen.table.chosen]
        for _ in range(len(COLUMNS)):  # past the default columns to "request id (full)", show it
            await pilot.press("down")
        await pilot.press("space")
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: "columns" in cfg.read_text())
    chosen = load_settings({}, config_path=cfg).columns
    assert chosen is not None and chosen[0] == "status" and "id" not in chosen and "request_id" in chosen
    assert cfg.read_text().startswith("# columns test\nmouse = true\n")
    again = app_for(sim, service_factory(sim.url, path=tmp_path / "other.json"), tmp_path)
    async with again.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert [c.key for c in main_screen(again).table.chosen] == chosen


def test_narrow_terminals_still_drop_low_priority_columns_of_a_custom_set() -> None:
    keys = ["status", "request_id", "model", "created", "elapsed", "meta.projectId", "prompt"]
    columns = [c for k in keys if (c := column_for(k)) is not None]
    wide = [c.key for c, _ in layout_columns(200, columns)]
    narrow = [c.key for c, _ in layout_columns(60, columns)]
    assert wide == keys
    assert narrow[0] == "status" and "prompt" in narrow and len(narrow) < len(keys)


def test_settings_reject_columns_of_the_wrong_type(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('mouse = true\ncolumns = "id"\n')
    with pytest.raises(ConfigError, match=r"config.toml:2: Setting columns .*expected a list"):
        load_settings({}, config_path=cfg)
    assert Settings().columns is None
