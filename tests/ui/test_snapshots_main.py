"""Snapshots of the main screen at 80x24 and 200x60 with fixed jobs and a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from seedance_tui.config import Settings
from seedance_tui.models import GenerationRequest, Job, JobStatus, StatusChange
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp

NOW = 1_750_000_000.0
#: Final (or never-polled) jobs only, so nothing changes while the snapshot is taken.
ROWS: list[tuple[str, str, str, int | None]] = [
    (JobStatus.SUCCEEDED, "seedance-2.0", "A red fox trotting through fresh snow at dawn, cinematic", 40),
    (JobStatus.FAILED, "seedance-2.0-fast", "Timelapse of a city skyline from day to night", 20),
    (JobStatus.CANCELLED, "seedance-1.5-pro", "Macro shot of dew drops on a spider web", 60),
    (JobStatus.REJECTED, "seedance-2.0", "[red]x[/] [@click=app.quit]q[/] \x1b[2J hostile prompt", None),
    (JobStatus.OUTCOME_UNKNOWN, "seedance-2.0", "Waves crashing on black sand, slow motion", None),
    (JobStatus.SUCCEEDED, "seedance-2.0-fast", "An astronaut floating above a neon ocean", 30),
]


def seeded_app(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path, **fields: Any
) -> SeedanceApp:
    path = tmp_path / "jobs.json"
    with JobStore.open(path) as store:
        for i, (status, model, prompt, credits) in enumerate(ROWS):
            created = NOW - 3600 + i * 300
            request = GenerationRequest(model=model, prompt=prompt, duration=5 + i, resolution="720p")
            request.aspect_ratio = ("16:9", "9:16", "1:1")[i % 3]
            job = Job(local_id=f"local{i:07d}", request=request, status=status, created_at=created)
            job.request_id = (
                None
                if status in (JobStatus.REJECTED, JobStatus.OUTCOME_UNKNOWN)
                else f"req_{i}c9f2e7a1b04d{i}3"
            )
            job.credits_charged = credits
            job.finished_at = created + 42 + i * 7
            job.updated_at = job.finished_at
            job.history = [StatusChange(status, job.finished_at)]
            store.add(job)
        store.flush()
    settings = Settings(
        base_url="https://www.seedance2.ink",
        api_key="sd2_demo_key",
        db_path=path,
        download_dir=tmp_path,
        config_path=tmp_path / "config.toml",
        **fields,
    )
    return SeedanceApp(service_factory(sim.url, path=path), settings, clock=lambda: NOW)


def test_main_screen_80x24(
    snap_compare: Any, sim: SimulatorServer, service_factory: Any, tmp_path: Path
) -> None:
    assert snap_compare(seeded_app(sim, service_factory, tmp_path), terminal_size=(80, 24))


def test_main_screen_200x60(
    snap_compare: Any, sim: SimulatorServer, service_factory: Any, tmp_path: Path
) -> None:
    assert snap_compare(seeded_app(sim, service_factory, tmp_path), terminal_size=(200, 60))


def test_main_screen_filtered_80x24(
    snap_compare: Any, sim: SimulatorServer, service_factory: Any, tmp_path: Path
) -> None:
    assert snap_compare(seeded_app(sim, service_factory, tmp_path), press=["6", "j"], terminal_size=(80, 24))
