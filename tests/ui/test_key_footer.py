"""The one-widget footer: the keys in the first frame, remapped keys, dimmed and hidden keys, clicks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.strip import Strip
from textual.widgets import Static

from seedance_tui.config import load_settings
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.help import HelpScreen
from seedance_tui.ui.screens.submit import SubmitScreen
from seedance_tui.ui.widgets.key_footer import KeyFooter
from tests.ui.helpers import make_settings, wait_for


def footer_text(app: App[Any]) -> str:
    return "".join(segment.text for segment in app.screen.query_one(KeyFooter).render_line(0))


def key_x(app: App[Any], description: str) -> int:
    """The footer cell where the key with this description is drawn."""
    footer = app.screen.query_one(KeyFooter)
    keys, palette = footer.items
    item = next(item for item in [*keys, palette] if item is not None and item.description == description)
    return item.start + 1 if item is not palette else footer.size.width - 3


async def test_the_keys_are_in_the_first_frame(
    sim: SimulatorServer, service: JobService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[str] = []
    render_line = KeyFooter.render_line

    def recording(self: KeyFooter, y: int) -> Strip:
        strip = render_line(self, y)
        drawn.append("".join(segment.text for segment in strip))
        return strip

    monkeypatch.setattr(KeyFooter, "render_line", recording)
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        # The first time the footer is drawn (for the screen's first frame) it already has every key.
        assert drawn and " n New " in drawn[0] and " q Quit " in drawn[0] and "^p palette" in drawn[0]
        assert drawn[0] == footer_text(app)


async def test_a_click_on_a_key_runs_its_action(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert await pilot.click(KeyFooter, offset=(key_x(app, "New"), 0))
        assert await wait_for(pilot, lambda: isinstance(app.screen, SubmitScreen))
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: not isinstance(app.screen, SubmitScreen))
        assert await pilot.click(KeyFooter, offset=(key_x(app, "Help"), 0))
        assert await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_a_remapped_key_is_shown_with_its_new_key(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[keys]\nnew_job = "f2"\n')
    settings = make_settings(sim.url, tmp_path, keys=load_settings({}, config_path=cfg).keys, config_path=cfg)
    app = SeedanceApp(service, settings)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert " f2 New " in footer_text(app) and " n New " not in footer_text(app)
        assert await pilot.click(KeyFooter, offset=(key_x(app, "New"), 0))
        assert await wait_for(pilot, lambda: isinstance(app.screen, SubmitScreen))


class KeysApp(App[None]):
    """A bare app: one key that works, one whose action is disabled (dimmed), one hidden."""

    BINDINGS = [
        Binding("x", "go", "Go"),
        Binding("y", "stop", "Stop"),
        Binding("z", "secret", "Secret", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []
        self.stop_allowed = False
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "stop" and not self.stop_allowed else True

    def action_go(self) -> None:
        self.ran.append("go")

    def action_stop(self) -> None:
        self.ran.append("stop")

    def bell(self) -> None:
        self.bells += 1


def styles_of(app: App[Any], text: str) -> list[bool]:
    """Whether each segment of the footer holding ``text`` is dimmed."""
    strip = app.screen.query_one(KeyFooter).render_line(0)
    return [bool(segment.style and segment.style.dim) for segment in strip if text in segment.text]


async def test_a_disabled_action_is_dimmed_and_a_click_on_it_rings_the_bell() -> None:
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        text = footer_text(app)
        assert " x Go " in text and " y Stop " in text and "Secret" not in text
        assert styles_of(app, "Stop") == [True] and styles_of(app, "Go") == [False]
        assert await pilot.click(KeyFooter, offset=(key_x(app, "Stop"), 0))
        await pilot.pause()
        assert app.ran == [] and app.bells == 1
        assert await pilot.click(KeyFooter, offset=(key_x(app, "Go"), 0))
        assert await wait_for(pilot, lambda: app.ran == ["go"])
        # When the action becomes available, the footer follows the refreshed bindings.
        app.stop_allowed = True
        app.refresh_bindings()
        assert await wait_for(pilot, lambda: styles_of(app, "Stop") == [False])


async def test_the_keys_stay_when_the_table_is_maximized(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    # Textual keeps its Footer in a maximized view (App.ALLOW_IN_MAXIMIZED_VIEW); the palette offers Maximize.
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.maximize(screen.query_one("#jobs"))
        await pilot.pause()
        footer = screen.query_one(KeyFooter)
        assert footer in screen._compositor.visible_widgets and " q Quit " in footer_text(app)


async def test_the_key_under_the_mouse_is_highlighted() -> None:
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(KeyFooter)

        def background(text: str) -> object:
            return next(s.style.bgcolor for s in footer.render_line(0) if text in s.text and s.style)

        assert background("Go") == background("Stop")
        await pilot.hover(KeyFooter, offset=(key_x(app, "Go"), 0))
        assert await wait_for(pilot, lambda: background("Go") != background("Stop"))
        assert background(" x ") == background("Go")
        await pilot.hover(Static)
        assert await wait_for(pilot, lambda: background("Go") == background("Stop"))


async def test_bindings_that_did_not_change_are_not_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[int] = []
    render_line = KeyFooter.render_line

    def counting(self: KeyFooter, y: int) -> Strip:
        drawn.append(y)
        return render_line(self, y)

    monkeypatch.setattr(KeyFooter, "render_line", counting)
    app = KeysApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        before = len(drawn)
        app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert len(drawn) == before
        app.stop_allowed = True
        app.refresh_bindings()
        assert await wait_for(pilot, lambda: len(drawn) > before)
