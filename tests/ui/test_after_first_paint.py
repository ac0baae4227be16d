"""Once the first screen is up the app starts polling and tunes the cyclic GC (paused until then); it
leaves the GC as it found it when it closes (issue 14's long frames; issue 15's start-up)."""

from __future__ import annotations

import gc
from pathlib import Path

from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import YOUNG_GENERATION, SeedanceApp
from tests.ui.helpers import make_settings, wait_for


async def test_polling_starts_and_the_gc_is_tuned_after_the_first_paint_and_restored_on_exit(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    assert thresholds[0] != YOUNG_GENERATION and gc.isenabled()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda d: None)
    collector_on: list[bool] = []  # at the first paint: the collector was paused until then
    first_paint = app._after_first_paint

    def record() -> None:
        collector_on.append(gc.isenabled())
        first_paint()

    app._after_first_paint = record  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_for(pilot, lambda: app._service_worker is not None), "polling never started"
        assert collector_on == [False] and gc.isenabled()
        # What the first screen was built from is out of the GC's reach; young garbage dies young.
        assert gc.get_freeze_count() > frozen
        assert gc.get_threshold() == (YOUNG_GENERATION, *thresholds[1:])
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0 and gc.isenabled()


async def test_the_main_screen_is_the_first_screen(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    """No empty screen under the main one: Textual no longer styles, lays out and draws one first."""
    from seedance_tui.ui.screens.main import MainScreen

    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda d: None)
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_for(pilot, lambda: app._service_worker is not None), "polling never started"
        assert [type(screen) for screen in app.screen_stack] == [MainScreen]


async def test_hidden_widgets_are_composed_when_first_shown_in_their_place(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    """The search box, the query's error line, the split view's panel and the downloads line are not
    styled or mounted before the first paint unless shown; once needed they sit where they always did."""
    from textual.widgets import Input

    from seedance_tui.ui.screens.main import MainScreen
    from seedance_tui.ui.widgets.detail_panel import DetailPanel

    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda d: None)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        for selector in ("#search", "#query-error", "#downloads", "#detail-panel"):
            assert not screen.query(selector), f"{selector} was composed before it was needed"
        await pilot.press("escape")  # clearing a search never made is a no-op
        await pilot.press("slash", "x")
        search = screen.query_one("#search", Input)
        assert await wait_for(pilot, lambda: search.has_focus and search.value == "x")
        filter_bar = screen.query_one("#filter-bar")
        assert search.region.y == filter_bar.region.bottom  # where it always was: above the footer
        assert search.region.bottom == screen.region.bottom - 1
        assert not screen.query_one("#query-error").display
        search.value = "status:nope"
        error = screen.query_one("#query-error")
        assert await wait_for(pilot, lambda: error.display and error.region.bottom == search.region.y)
        assert error.region.y == filter_bar.region.bottom
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: not search.display and not error.display)
        await pilot.resize_terminal(160, 40)
        assert await wait_for(pilot, lambda: bool(screen.query(DetailPanel)) and screen.split_shown)


async def test_no_css_rule_for_the_job_table_depends_on_focus(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    """JobTable.watch_has_focus skips Textual's restyle on focus changes: that holds only while no
    rule that can match the table (or its component classes) uses :focus or :blur."""
    from seedance_tui.ui.widgets.job_table import JobTable

    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda d: None)
    async with app.run_test(size=(120, 40)):
        table = app.screen.query_one(JobTable)
        names = table._selector_names | {f".{name}" for name in table.COMPONENT_CLASSES}
        for rule in app.stylesheet.rules:
            if rule.pseudo_classes & {"focus", "blur"}:
                assert not rule.selector_names & names, rule.css


async def test_the_configured_theme_is_set_before_any_style_sheet_is_parsed(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    """Set in on_mount, a theme made Textual parse the app's sheets twice more before the first paint."""
    app = SeedanceApp(service, make_settings(sim.url, tmp_path, theme="nord"), terminal_write=lambda d: None)
    assert app.theme == "nord" and not app.stylesheet.source  # no sheet read yet
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_for(pilot, lambda: app._service_worker is not None), "polling never started"
        assert (
            app.theme == "nord"
            and app.screen.styles.background == app.current_theme.to_color_system().surface
        )


async def test_the_palette_opens_the_search_box_that_was_never_composed(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    from textual.widgets import Input

    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda d: None)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.screen
        assert not main.query("#search")
        await pilot.press("ctrl+p", *"search jobs")
        await pilot.pause(0.3)
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: app.screen is main and bool(main.query("#search")))
        search = main.query_one("#search", Input)
        assert await wait_for(pilot, lambda: search.display and search.has_focus)
        await pilot.press("x")
        assert await wait_for(pilot, lambda: search.value == "x")
