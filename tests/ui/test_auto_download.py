"""Automatic download in the dashboard: saved videos marked, expired links flagged and listed as problems."""

from __future__ import annotations

import time
from pathlib import Path

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.widgets.download_status import DownloadStatus
from seedance_tui.ui.widgets.job_table import JobTable
from tests.ui.helpers import make_settings, wait_for

HOUR = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def old_succeeded(path: Path, url: str, prompt: str, hours_ago: float) -> Job:
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt=prompt, duration=5))
    job.request_id = f"req_{job.local_id}"
    job.output_url = url
    at = time.time() - hours_ago * HOUR
    job.created_at = at - 60
    job.set_status(JobStatus.SUCCEEDED, at)
    with JobStore.open(path) as store:
        store.add(job)
        store.flush()
    return job


def status_cell(app: SeedanceApp, job: Job) -> str:
    table = app.screen.query_one(JobTable)
    position = table.model.index_of(job.local_id)
    if position is None:
        return ""  # not in the table (yet)
    return table.render_line(position + 1 - round(table.scroll_offset.y)).text


async def test_a_finished_job_is_saved_marked_and_its_path_shown(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    settings = make_settings(sim.url, tmp_path, auto_download=True)
    service.enable_auto_download(settings.download_dir, settings.download_name)
    app = SeedanceApp(service, settings, terminal_write=lambda data: None)
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.screen.query_one(DownloadStatus)
        shown: list[str] = []  # what the progress line said each time a download started or ended
        assert service.downloads is not None
        service.downloads.add_listener(lambda: shown.append(str(status.render()) if status.display else ""))
        job = await service.submit(GenerationRequest(model="seedance-2.0", prompt="a red kite", duration=5))
        assert await wait_for(pilot, lambda: "✔ saved" in status_cell(app, job), steps=200)
        assert await wait_for(pilot, lambda: not status.display)
        assert any(text.startswith("⇣ saving 1") for text in shown) and shown[-1] == ""
        saved = service.get(job.local_id).saved_path  # type: ignore[union-attr]
        assert (
            saved and Path(saved).read_bytes()[4:8] == b"ftyp" and Path(saved).parent == settings.download_dir
        )
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.query_one("#fact-saved-path").display
        assert saved in str(app.screen.query_one("#value-saved-path").render())


async def test_old_unsaved_and_expired_outputs_are_flagged(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    unsaved = old_succeeded(
        Path(service.store.location), f"{sim.url}/files/req_a.mp4", "old unsaved", hours_ago=13
    )
    recent = old_succeeded(Path(service.store.location), f"{sim.url}/files/req_b.mp4", "recent", hours_ago=1)
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda data: None)
    async with app.run_test(size=(100, 30)) as pilot:
        assert "⚠ unsaved" in status_cell(app, unsaved)
        assert "✔ succeeded" in status_cell(app, recent)
        await pilot.press("6")
        assert app.screen.query_one(JobTable).row_count == 0


async def test_a_gone_output_link_is_marked_expired_and_joins_the_problems(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    # The simulator answers 404 for a video it never made: the link is treated as expired.
    gone = old_succeeded(Path(service.store.location), f"{sim.url}/files/req_gone.mp4", "gone", hours_ago=2)
    service.store.refresh()
    settings = make_settings(sim.url, tmp_path, auto_download=True)
    service.enable_auto_download(settings.download_dir, settings.download_name)
    app = SeedanceApp(service, settings, terminal_write=lambda data: None)
    async with app.run_test(size=(100, 30)) as pilot:
        assert await wait_for(pilot, lambda: "⌛ expired" in status_cell(app, gone), steps=200)
        # The toast comes from the download's own report, which may land a moment after the row.
        assert await wait_for(
            pilot, lambda: any("expired (HTTP 404)" in n.message for n in app._notifications)
        )
        await pilot.press("6")
        table = app.screen.query_one(JobTable)
        assert [j.local_id for j in table.model.rows] == [gone.local_id]
        await pilot.press("enter")
        assert "The output link has expired" in str(app.screen.query_one("#value-download").render())
    assert not list(settings.download_dir.glob("*"))


async def test_an_unsaved_video_is_flagged_when_it_grows_old_while_watched(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    job = old_succeeded(Path(service.store.location), f"{sim.url}/files/req_c.mp4", "aging", hours_ago=11.99)
    service.store.refresh()
    clock = Clock()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), clock=clock, terminal_write=lambda d: None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "✔ succeeded" in status_cell(app, job)
        table = app.screen.query_one(JobTable)
        redrawn: list[int] = []
        table._refresh_row = redrawn.append  # type: ignore[method-assign,assignment]
        table._tick_live_rows()
        assert redrawn == []  # nothing changed: nothing is sent
        clock.now += 120
        table._tick_live_rows()
        assert redrawn == [0]  # the row is redrawn once its flag changes
        assert "⚠ unsaved" in status_cell(app, job)
