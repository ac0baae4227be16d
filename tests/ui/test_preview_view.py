"""The first frame of a saved video in the detail pane, from the simulator's real MP4 (and its snapshots)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.sim.video import make_mp4
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.widgets.frame_preview import FramePreview
from tests.ui.helpers import make_settings, wait_for
from tests.ui.test_snapshots_screens import T0, Host, fixed_job, make_service, no_blink, settings, utc

__all__ = ["make_service", "utc"]


def saved_job(folder: Path, content: bytes | None = None) -> Job:
    job = fixed_job(JobStatus.SUCCEEDED)
    video = folder / "dl" / "clip.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    video.write_bytes(make_mp4("16:9", 2) if content is None else content)
    job.saved_path = str(video)
    return job


def detail_app(service: JobService, job: Job, tmp_path: Path) -> Host:
    return Host(lambda: DetailScreen(service, settings(tmp_path), job.local_id, clock=lambda: T0 + 60))


async def test_the_first_frame_is_shown_and_cached(
    tmp_path: Path, make_service: Callable[[Job], JobService]
) -> None:
    job = saved_job(tmp_path)
    app = detail_app(make_service(job), job, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        preview = app.screen.query_one(FramePreview)
        assert await wait_for(pilot, lambda: preview.frame is not None)
        drawn = preview.shown
        assert drawn.count("▀") > 100 and "\n" in drawn
    assert (tmp_path / "dl" / ".clip.mp4.frame.ppm").exists()


async def test_a_file_that_is_not_a_video_gets_one_line(
    tmp_path: Path, make_service: Callable[[Job], JobService]
) -> None:
    job = saved_job(tmp_path, content=b"<html>an error page</html>")
    app = detail_app(make_service(job), job, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        preview = app.screen.query_one(FramePreview)
        assert await wait_for(pilot, lambda: preview.shown.startswith("No preview:"))
        assert "not a video that can be decoded" in preview.shown
        assert app.screen.query_one("#value-request-id").display  # the rest of the pane is all there


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_preview_snapshot(
    snap_compare: Any, size: tuple[int, int], tmp_path: Path, make_service: Any
) -> None:
    # The saved path is on screen: a fixed folder per size keeps the picture the same run after run.
    job = saved_job(Path(tempfile.gettempdir()) / f"seedance-preview-snapshot-{size[0]}x{size[1]}")
    app = detail_app(make_service(job), job, tmp_path)

    async def shown(pilot: Any) -> None:
        await no_blink(pilot)
        preview = pilot.app.screen.query_one(FramePreview)
        assert await wait_for(pilot, lambda: preview.frame is not None)
        preview.scroll_visible(animate=False, top=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=shown)


async def test_pressing_d_saves_the_video_and_shows_its_first_frame(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), terminal_write=lambda d: None)
    async with app.run_test(size=(100, 50)) as pilot:
        job = await service.submit(GenerationRequest(model="seedance-2.0", prompt="a kite", duration=5))
        assert await wait_for(pilot, lambda: job.status == JobStatus.SUCCEEDED, steps=200)
        await pilot.press("enter")
        preview = app.screen.query_one(FramePreview)
        assert "No saved video yet" in preview.shown
        await pilot.press("d")
        assert await wait_for(pilot, lambda: preview.frame is not None, steps=200)
        assert preview.shown.count("▀") > 100
