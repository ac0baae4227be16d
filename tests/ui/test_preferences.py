"""Keys as the user mapped them, the help screen, remembered themes, and read-only mode, on the real app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from seedance_tui.config import Settings, load_settings
from seedance_tui.models import GenerationRequest
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.commands import main_screen_commands
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.screens.help import HelpScreen
from seedance_tui.ui.screens.main import MainScreen
from seedance_tui.ui.screens.submit import SubmitScreen
from seedance_tui.ui.widgets.key_footer import KeyFooter
from seedance_tui.ui.widgets.status_bar import StatusBar
from tests.ui.helpers import make_settings, wait_for


def settings_from(cfg: Path, url: str, tmp_path: Path, text: str) -> Settings:
    cfg.write_text(text)
    loaded = load_settings({}, config_path=cfg)
    return make_settings(
        url, tmp_path, keys=loaded.keys, theme=loaded.theme, read_only=loaded.read_only, config_path=cfg
    )


def footer_keys(app: SeedanceApp) -> dict[str, str]:
    """Key -> description of what the footer shows."""
    return {
        key: active.binding.description
        for key, active in app.screen.active_bindings.items()
        if active.binding.show
    }


async def test_remapped_new_job_opens_the_form_on_its_new_key_and_not_the_old(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    settings = settings_from(tmp_path / "config.toml", sim.url, tmp_path, '[keys]\nnew_job = "f2"\n')
    app = SeedanceApp(service, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "f2" in footer_keys(app) and "n" not in footer_keys(app)
        assert app.screen.table.empty_hint == "No jobs yet — press f2 to submit one"
        await pilot.press("f2")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SubmitScreen))


async def test_help_lists_the_keys_in_force_and_the_status_legend(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    settings = settings_from(
        tmp_path / "config.toml", sim.url, tmp_path, '[keys]\nnew_job = "f2"\nsearch = "ctrl+f,slash"\n'
    )
    app = SeedanceApp(service, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        rows = dict((description, keys) for keys, description in help_screen.rows)
        assert rows["New"] == "f2"
        assert rows["Search"] == "^f /"
        assert rows["Show failed"] == "4"
        legend = str(help_screen.query_one("#help-legend").render())
        assert "✘  failed" in legend and "◐  processing" in legend
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("f1")
        assert await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_help_scrolls_at_80x24(sim: SimulatorServer, service: JobService, tmp_path: Path) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        assert await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        body = app.screen.query_one("#help-body")
        assert body.max_scroll_y > 0
        await pilot.press("pagedown")
        assert await wait_for(pilot, lambda: body.scroll_y > 0)


async def test_f5_submits_the_form_and_its_title_says_so(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SubmitScreen))
        await pilot.pause()
        assert "^s/f5 submit" in str(app.screen.query_one("#submit-hint").render())
        await pilot.press(*"a fox")
        await pilot.press("f1")
        assert await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert isinstance(app.screen, HelpScreen) and ("^s f5", "Submit") in app.screen.rows
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SubmitScreen))
        await pilot.press("f5")
        assert await wait_for(pilot, lambda: len(service.jobs()) == 1)


async def test_theme_chosen_in_the_app_is_remembered_with_comments_kept(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    cfg = tmp_path / "config.toml"
    original = '# my dashboard\nmouse = true  # I click\n\n[keys]\nnew_job = "f2"  # tmux\n'
    settings = settings_from(cfg, sim.url, tmp_path, original)
    service = service_factory(sim.url)
    app = SeedanceApp(service, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.theme = "nord"
        assert await wait_for(pilot, lambda: 'theme = "nord"' in cfg.read_text())
    assert cfg.read_text().replace('theme = "nord"\n', "") == original
    again = settings_from(cfg, sim.url, tmp_path, cfg.read_text())
    app = SeedanceApp(service_factory(sim.url, path=tmp_path / "other.json"), again)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "nord"


async def test_unknown_theme_is_named_with_its_line_and_the_default_stays(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    cfg = tmp_path / "config.toml"
    settings = settings_from(cfg, sim.url, tmp_path, 'mouse = true\ntheme = "no-such"\n')
    app = SeedanceApp(service, settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        messages = [n.message for n in app._notifications]
        assert any(f"{cfg}:2: unknown theme 'no-such'" in m for m in messages)
    assert "no-such" in cfg.read_text()


async def test_read_only_hides_and_refuses_every_post_action(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    # The simulator's clock stands still, so the job stays queued (cancellable) until it jumps below.
    state = sim.app.state.sim
    frozen = state.clock()
    state.clock = lambda: frozen
    job = await service.submit(GenerationRequest(model="seedance-2.0", prompt="a live job", duration=5))
    submits_before = sim.app.state.sim.stats()["submits_received"]
    app = SeedanceApp(service, make_settings(sim.url, tmp_path, read_only=True))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "READ-ONLY" in str(app.screen.query_one(StatusBar).render())
        assert isinstance(app.screen, MainScreen) and "read-only" in app.screen.table.empty_hint
        shown = set(footer_keys(app).values())
        assert "New" not in shown and "Cancel" not in shown and "Search" in shown
        main_screen = app.screen
        assert isinstance(main_screen, MainScreen)
        titles = {command.title for command in main_screen_commands(main_screen)}
        assert "New job" not in titles and "Cancel job" not in titles and "Search jobs" in titles
        await pilot.press("n", "c")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await pilot.press("question_mark")
        assert await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        descriptions = {description for _, description in app.screen.rows}  # type: ignore[attr-defined]
        assert "New" not in descriptions and "Cancel" not in descriptions and "Refresh" in descriptions
        await pilot.press("escape")
        main_screen.table.select(job.local_id)
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        detail = app.screen
        assert isinstance(detail, DetailScreen) and detail.job is not None and detail.job.is_cancellable
        detail_shown = set(footer_keys(app).values())
        assert "Cancel job" not in detail_shown and "Edit & resubmit" not in detail_shown
        assert "Refresh" in detail_shown
        await pilot.press("c", "e")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.query_one(KeyFooter) is not None
        # Once the job has its video, saving it (no POST) is still offered.
        state.clock = lambda: frozen + 3600
        await pilot.press("r")
        assert await wait_for(pilot, lambda: "Download" in footer_keys(app).values())
    stats = sim.app.state.sim.stats()
    assert stats["submits_received"] == submits_before and stats["cancels"] == 0


async def test_in_sixteen_colours_processing_does_not_look_like_failed(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    from rich.color import ColorSystem

    from seedance_tui.ui.widgets.job_table import JobTable

    for theme in ("textual-dark", "textual-light", "textual-ansi", "nord", "gruvbox"):
        app = SeedanceApp(service, make_settings(sim.url, tmp_path, theme=theme))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            table = app.screen.query_one(JobTable)
            colours = {}
            for status in ("processing", "failed"):
                style = table.get_component_rich_style(f"job-table--{status}")
                assert style.color is not None
                colours[status] = style.color.downgrade(ColorSystem.STANDARD).number
            # Pastel themes may fold other pairs together in 16 colours; the symbols tell those apart.
            assert colours["processing"] != colours["failed"], theme


async def test_header_names_the_profile_and_profile_warnings_are_shown(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    settings = make_settings(
        sim.url, tmp_path, profile="work", warnings=["Profile work is in use: ignoring X."]
    )
    app = SeedanceApp(service, settings)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "[work]" in str(app.screen.query_one(StatusBar).render())
        assert "Profile work is in use: ignoring X." in [n.message for n in app._notifications]
