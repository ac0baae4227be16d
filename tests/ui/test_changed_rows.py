"""Rows that just changed are marked and tinted, then fade back to plain (injected clock)."""

from __future__ import annotations

from pathlib import Path

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.widgets.job_table import JobTable
from seedance_tui.ui.widgets.recent_changes import RecentChanges
from tests.ui.helpers import make_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_phases_fresh_fading_plain() -> None:
    recent = RecentChanges(fresh=2, fade=4)
    recent.mark(["a"], 100.0)
    assert [recent.phase("a", t) for t in (100, 101.9, 102, 105.9, 106)] == [2, 2, 1, 1, 0]
    assert recent.phase("b", 100) == 0
    recent.forget_old(106)
    assert not recent


async def test_a_changed_row_is_highlighted_then_fades(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    clock = Clock()
    jobs = []
    for i in range(3):
        job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"row {i}", duration=5))
        job.request_id = f"req_{i:016x}"
        job.created_at = clock.now - 100 + i
        job.set_status(JobStatus.SUCCEEDED, clock.now - 50)
        service.store.add(job)
        jobs.append(job)
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), clock=clock, terminal_write=lambda d: None)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(JobTable)
        table.action_last()  # the cursor away from the changed row
        gap = len("0000000000")  # the marker sits in the gap after the id column

        def marker(y: int) -> str:
            return table.render_line(y).text[gap]

        assert [marker(y) for y in (1, 2, 3)] == [" ", " ", " "]
        changed = jobs[2]  # the newest: first row
        changed.last_error = "a change"
        table.apply([changed])
        await pilot.pause()
        assert marker(1) == "•" and marker(2) == " "
        style_fresh = next(iter(table.render_line(1))).style
        clock.now += 3
        table._tick_live_rows()
        assert marker(1) == "·"
        assert next(iter(table.render_line(1))).style != style_fresh
        clock.now += 5
        table._tick_live_rows()
        assert marker(1) == " " and not table.recent
