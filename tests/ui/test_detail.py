"""The detail pane against the real simulator, the real store and the real app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import ProgressBar, Static

from seedance_tui.models import GenerationRequest, Job
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.screens.submit import SubmitScreen
from tests.ui.helpers import make_settings, wait_for

HOSTILE = "[red]x[/red] [@click=app.quit]y[/] \x1b[31mred"


def value(screen: DetailScreen, fact: str) -> str:
    return str(screen.query_one(f"#value-{fact}", Static).render())


async def open_detail(app: SeedanceApp, pilot: Any, job: Job) -> DetailScreen:
    screen = DetailScreen(app.service, app.settings, job.local_id)
    await app.push_screen(screen)
    await pilot.pause()
    return screen


async def test_follows_job_live_to_success(sim: SimulatorServer, service: JobService, tmp_path: Path) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        job = await service.submit(GenerationRequest(model="seedance-2.0", prompt="a calm sea", duration=5))
        screen = await open_detail(app, pilot, job)
        assert value(screen, "request-id") == job.request_id
        assert value(screen, "prompt") == "a calm sea"
        assert await wait_for(pilot, lambda: "succeeded" in value(screen, "status"))
        assert value(screen, "status") == "✔ succeeded"
        assert value(screen, "output-url").startswith("http")
        assert screen.query_one("#fact-output-url").display
        history = value(screen, "history")
        assert "queued" in history and "processing" in history and "succeeded" in history
        await pilot.press("y")
        assert app.clipboard == job.request_id
        await pilot.press("u")
        assert app.clipboard == value(screen, "output-url")
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: not isinstance(app.screen, DetailScreen))


async def test_failed_job_shows_error(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    sim = sim_factory(failure_rate=1.0, queue_seconds=0.1, process_seconds=0.2)
    service = service_factory(sim.url)
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        job = await service.submit(GenerationRequest(model="seedance-2.0-fast", prompt="doomed"))
        screen = await open_detail(app, pilot, job)
        assert await wait_for(pilot, lambda: "failed" in value(screen, "status"))
        stored = service.get(job.local_id)
        assert stored is not None and stored.error_code
        assert stored.error_code in value(screen, "error")
        assert screen.query_one("#fact-error").display
        assert not screen.query_one("#fact-output-url").display


async def test_download_writes_mp4_with_progress(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        job = await service.submit(GenerationRequest(model="seedance-2.0", prompt="to keep"))
        screen = await open_detail(app, pilot, job)
        assert await wait_for(pilot, lambda: "succeeded" in value(screen, "status"))
        progress: list[tuple[int, int | None]] = []
        original = screen._on_progress

        def record(done: int, total: int | None) -> None:
            progress.append((done, total))
            original(done, total)

        screen._on_progress = record  # type: ignore[method-assign]
        await pilot.press("d")
        target = tmp_path / "dl" / f"{job.request_id}.mp4"
        assert await wait_for(pilot, lambda: target.exists() and not screen.downloading)
        assert not screen.query_one("#download-row").display
        assert screen.query_one("#download-progress", ProgressBar).progress == progress[-1][0]
    data = target.read_bytes()
    assert data[4:8] == b"ftyp"
    assert progress and progress[-1][0] == len(data)


async def test_hostile_text_is_literal_and_edit_prefills(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 40)) as pilot:
        request = GenerationRequest(
            model="seedance-2.0", prompt=HOSTILE, metadata={"note": HOSTILE, "[b]": "[/b]"}
        )
        job = await service.submit(request)
        screen = await open_detail(app, pilot, job)
        prompt = value(screen, "prompt")
        assert "[red]x[/red] [@click=app.quit]y[/]" in prompt and "\\x1b[31mred" in prompt
        assert "\x1b" not in prompt
        metadata = value(screen, "metadata")
        assert '"[b]": "[/b]"' in metadata and "[@click=app.quit]" in metadata
        await pilot.press("e")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SubmitScreen))
        form = app.screen
        assert isinstance(form, SubmitScreen) and form.prefill == job.request
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: app.screen is screen and screen.local_id != job.local_id)
        assert app.is_running
