"""Hostile text from users and the network renders literally; the API key never reaches the screen."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from pathlib import Path

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.widgets.job_table import JobTable
from tests.ui.helpers import make_settings, wait_for

MARKUP = "[red]RED[/red] [@click=app.quit]QUIT[/] [b]"
ANSI = "\x1b[2J\x1b[31mANSI\x1b]0;OSC-TITLE\x07\x1b]52;c;Zm9v\x07"
CONTROL = "bell\x07 nul\x00 cr\r del\x7f"
WORLD = "🎬 日本語のプロンプト مرحبا بالعالم \u202eEVIL"
LONG = "long-" * 400
SECRET_KEY = "sd2_live_TOPSECRET_do_not_show_9876"


def hostile_job() -> Job:
    request = GenerationRequest(
        model="seedance-2.0",
        prompt=" ".join([MARKUP, ANSI, CONTROL, WORLD, LONG]),
        webhook_url="https://x.test/[red]hook[/red]",
        metadata={"[b]key[/b]": MARKUP, "ansi": ANSI, "wide": WORLD},
        media_urls=["https://x.test/\x1b[5mblink.png"],
    )
    job = Job.new(request)
    job.request_id = "req_[bold]id[/]\x1b[7m"
    job.set_status(JobStatus.FAILED, time.time())
    job.error_code = "[red]code[/red]"
    job.error_message = "upstream said " + MARKUP + ANSI
    job.last_error = CONTROL
    return job


def screen_text(app: SeedanceApp) -> str:
    """Every character the terminal would be asked to show, as plain text."""
    svg = app.export_screenshot()
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(texts)).replace("\xa0", " ")


async def test_hostile_job_renders_literally_in_table_and_detail(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    store = JobStore.open(tmp_path / "jobs.json")
    job = hostile_job()
    store.add(job)
    store.close()
    service = service_factory(sim.url, key=SECRET_KEY)
    app = SeedanceApp(service, make_settings(sim.url, tmp_path, api_key=SECRET_KEY))
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(JobTable)
        assert await wait_for(pilot, lambda: table.row_count == 1)
        main = screen_text(app)
        assert "[red]RED[/red]" in main  # markup shown as typed, not applied
        assert "\x1b" not in main and "\x07" not in main and "\x00" not in main
        for y in range(table.size.height):  # layout intact: no row wider than the table
            assert table.render_line(y).cell_length <= table.size.width
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.pause(0.2)
        detail = screen_text(app)
        for literal in (
            "\\x1b[31mANSI",
            "[red]RED[/red]",
            "[@click=app.quit]QUIT[/]",
            "[red]code[/red]",
            "日本語",
            "🎬",
        ):
            assert literal in detail, literal
        assert "\x1b" not in detail and "\x07" not in detail and "\u202e" not in detail
        assert app.is_running  # the [@click=app.quit] in the text did nothing
        assert SECRET_KEY not in main + detail


async def test_api_key_is_never_on_screen_nor_in_the_store(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    service = service_factory(sim.url, key=SECRET_KEY)
    app = SeedanceApp(service, make_settings(sim.url, tmp_path, api_key=SECRET_KEY))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("n")
        await pilot.press(*"a secret-safe job")
        await pilot.press("ctrl+s")
        table = app.screen.query_one(JobTable)
        assert await wait_for(pilot, lambda: table.row_count == 1)
        shown = screen_text(app)
        await pilot.press("enter")
        await pilot.pause(0.3)
        shown += screen_text(app)
    assert "a secret-safe job" in shown
    assert SECRET_KEY not in shown and "TOPSECRET" not in shown
    assert "TOPSECRET" not in (tmp_path / "jobs.json").read_text()
