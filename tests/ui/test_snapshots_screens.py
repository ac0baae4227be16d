"""SVG snapshots of the form, the detail pane and the cancel dialog, small and wide, with fixed content."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input, TextArea

from seedance_tui.api.client import SeedanceClient
from seedance_tui.config import Settings
from seedance_tui.models import GenerationRequest, Job, JobStatus, StatusChange
from seedance_tui.service import JobService
from seedance_tui.store import JobStore
from seedance_tui.ui.screens.cancel import CancelDialog
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.screens.submit import SubmitScreen

T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
SIZES = [(80, 24), (200, 60)]


class Host(App[None]):
    """Shows one screen over an empty app: no polling, nothing moves."""

    def __init__(self, make_screen: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make_screen = make_screen

    def on_mount(self) -> None:
        self.push_screen(self.make_screen())


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "UTC")
        time.tzset()
        yield
    time.tzset()


def fixed_job(status: str) -> Job:
    request = GenerationRequest(
        model="seedance-2.0",
        prompt="A river flowing through an autumn forest, aerial view, cinematic motion [red]literal[/red]",
        aspect_ratio="16:9",
        duration=5,
        resolution="720p",
        webhook_url="https://your-app.com/webhooks/seedance",
        metadata={"projectId": "proj_1001", "sceneId": "scene_08"},
    )
    job = Job(local_id="a1b2c3d4e5f6", request=request, created_at=T0, updated_at=T0)
    job.history.append(StatusChange(JobStatus.SUBMITTING, T0))
    job.request_id = "req_1234567890"
    job.credits_charged = 40
    job.submitted_at = T0 + 1
    job.set_status(JobStatus.QUEUED, T0 + 1)
    if status != JobStatus.QUEUED:
        job.set_status(JobStatus.PROCESSING, T0 + 4)
        job.set_status(status, T0 + 12)
    if status == JobStatus.SUCCEEDED:
        job.output_url = "https://pub-your-bucket.r2.dev/open-api-results/req_1234567890.mp4"
    if status == JobStatus.FAILED:
        job.error_code, job.error_message = "provider_error", "Video generation failed upstream"
    job.poll_count, job.last_checked_at = 7, T0 + 12
    return job


@pytest.fixture
def make_service(tmp_path: Path) -> Iterator[Callable[[Job], JobService]]:
    stores: list[JobStore] = []

    def build(job: Job) -> JobService:
        store = JobStore.open(tmp_path / "jobs.json")
        stores.append(store)
        store.add(job)
        return JobService(store, SeedanceClient("http://127.0.0.1:9", "sd2_demo_key"))

    yield build
    for store in stores:
        store.close()


def settings(tmp_path: Path) -> Settings:
    return Settings(base_url="http://127.0.0.1:9", api_key="sd2_demo_key", download_dir=tmp_path / "dl")


async def no_blink(pilot: Any) -> None:
    for widget in pilot.app.screen.query("TextArea, Input"):
        if isinstance(widget, TextArea | Input):
            widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_submit_form(snap_compare: Any, size: tuple[int, int], tmp_path: Path, make_service: Any) -> None:
    service = make_service(fixed_job(JobStatus.SUCCEEDED))
    app = Host(lambda: SubmitScreen(service, settings(tmp_path)))
    assert snap_compare(app, press=["ctrl+s"], terminal_size=size, run_before=no_blink)


@pytest.mark.parametrize("size", SIZES)
def test_detail_succeeded(
    snap_compare: Any, size: tuple[int, int], tmp_path: Path, make_service: Any
) -> None:
    job = fixed_job(JobStatus.SUCCEEDED)
    service = make_service(job)
    app = Host(lambda: DetailScreen(service, settings(tmp_path), job.local_id, clock=lambda: T0 + 60))
    assert snap_compare(app, terminal_size=size, run_before=no_blink)


@pytest.mark.parametrize("size", SIZES)
def test_detail_failed(snap_compare: Any, size: tuple[int, int], tmp_path: Path, make_service: Any) -> None:
    job = fixed_job(JobStatus.FAILED)
    service = make_service(job)
    app = Host(lambda: DetailScreen(service, settings(tmp_path), job.local_id, clock=lambda: T0 + 60))
    assert snap_compare(app, terminal_size=size, run_before=no_blink)


@pytest.mark.parametrize("size", SIZES)
def test_cancel_dialog(snap_compare: Any, size: tuple[int, int], tmp_path: Path, make_service: Any) -> None:
    job = fixed_job(JobStatus.QUEUED)
    service = make_service(job)
    app = Host(lambda: CancelDialog(service, job.local_id))
    assert snap_compare(app, terminal_size=size, run_before=no_blink)
