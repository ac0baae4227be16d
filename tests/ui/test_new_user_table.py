"""The job table as a new user meets it at 80x24: the cursor stays on screen, columns fit, the sort shows."""

from __future__ import annotations

import time
from pathlib import Path

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.polling import ApiHealth, HealthState
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.widgets.job_rows import SORT_KEYS, JobRows, cell_text, layout_columns
from seedance_tui.ui.widgets.job_table import JobTable
from seedance_tui.ui.widgets.status_bar import StatusBar
from tests.ui.helpers import make_settings
from tests.ui.test_main_rows import make_job
from tests.ui.test_main_screen import seed_store, table_lines

LONG = "a lighthouse keeper paints the storm that keeps the ships away from the rocks at night"


def copy_with_status(job: Job, status: str) -> Job:
    changed = Job.from_dict(job.to_dict())
    changed.set_status(status)
    return changed


async def test_the_selected_job_stays_on_screen_when_its_status_moves_it(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    jobs = seed_store(tmp_path / "jobs.json", [JobStatus.SUCCEEDED] + [JobStatus.FAILED] * 30)
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(JobTable)
        table.sort_by("status", reverse=False)
        await pilot.press("g")
        assert table.selected is not None and table.selected.local_id == jobs[0].local_id
        table.apply([copy_with_status(jobs[0], JobStatus.CANCELLED)])  # now sorts last
        await pilot.pause()
        assert table.selected is not None and table.selected.local_id == jobs[0].local_id
        assert table.cursor == table.row_count - 1
        top = round(table.scroll_offset.y)
        assert top <= table.cursor < top + table.scrollable_content_region.height - 1  # below the header
        assert "prompt number 0" in table_lines(app)[table.cursor - top + 1]


async def test_columns_fit_the_width_left_by_the_scrollbar(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    for size in ((80, 24), (200, 50)):
        jobs = seed_store(tmp_path / f"jobs{size[0]}.json", [JobStatus.SUCCEEDED] * 60)
        for job in jobs:
            job.request.prompt = LONG * 3
        app = SeedanceApp(service, make_settings(sim.url, tmp_path))
        async with app.run_test(size=size) as pilot:
            table = app.screen.query_one(JobTable)
            table.load(jobs)
            await pilot.pause()
            assert table.scrollable_content_region.width < table.size.width  # the scrollbar is there
            header, first = table_lines(app)[:2]
            assert not header.rstrip().endswith("…"), header
            assert first.rstrip().endswith("…") and len(first) == table.scrollable_content_region.width


async def test_the_sort_column_and_direction_always_show_at_80_columns(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    seed_store(tmp_path / "jobs.json", [JobStatus.SUCCEEDED] * 12)
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(JobTable)
        for column in ("duration", "credits", "age", "prompt"):
            for reverse, arrow in ((False, "▲"), (True, "▼")):
                table.sort_by(column, reverse=reverse)
                await pilot.pause()
                assert arrow in table_lines(app)[0], (column, table_lines(app)[0])
                filter_bar = str(app.screen.query_one("#filter-bar").render())
                assert f"{column}{arrow}" in filter_bar, filter_bar


def test_ages_mean_one_thing_and_sort_in_the_order_shown() -> None:
    now = 10_000.0
    finished_fast = make_job(1, JobStatus.SUCCEEDED)
    finished_fast.created_at, finished_fast.finished_at = now - 100, now - 95  # ran for 5 s
    running = make_job(2, JobStatus.PROCESSING)
    running.created_at = now - 50
    rejected = make_job(3, JobStatus.REJECTED)
    rejected.created_at = rejected.finished_at = now - 10
    rows = JobRows()
    rows.load([finished_fast, running, rejected])
    rows.set_sort("age", reverse=True)
    shown = [cell_text(job, "age", now) for job in rows.rows]
    assert shown == ["10s", "50s", "1m"]


def test_the_prompt_gets_room_at_80_columns() -> None:
    columns = {column.key: width for column, width in layout_columns(78)}  # 80 less the scrollbar
    assert columns["prompt"] >= 28 and {"id", "status", "model", "duration", "credits", "age"} <= set(columns)


async def test_s_cycles_the_columns_left_to_right_each_in_its_natural_direction(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    jobs = seed_store(tmp_path / "jobs.json", [JobStatus.FAILED] * 3)
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(JobTable)
        seen = []
        for _ in range(len(SORT_KEYS)):
            await pilot.press("s")
            seen.append((table.model.sort_column, table.model.sort_reverse))
            if table.model.sort_column == "status":  # ties: newest first
                assert [j.local_id for j in table.model.rows] == [j.local_id for j in jobs[::-1]]
        assert seen == [
            ("prompt", False), ("id", False), ("status", False), ("model", False), ("resolution", False),
            ("aspect", False), ("duration", True), ("credits", True), ("age", True),
        ]  # fmt: skip


async def test_the_80_column_header_names_counts_and_keeps_credits_in_an_outage(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    statuses = [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.REJECTED, JobStatus.OUTCOME_UNKNOWN]
    with JobStore.open(tmp_path / "jobs.json") as store:
        for n, status in enumerate(statuses):
            job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"p{n}"))
            job.request_id, job.credits_charged = f"req_{n:016x}", 40
            job.set_status(status)
            store.add(job)
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.screen.query_one(StatusBar)
        text = str(bar.render())
        assert "✔1 done" in text and "✘1 failed" in text and "!2 problems" in text, text
        assert "160 cr (40 on ✘⊘)" in text
        bar.health = HealthState(ApiHealth.UNREACHABLE, since=time.time(), detail="down")
        await pilot.pause()
        line = app.screen.query_one(StatusBar).render_line(0).text
        assert "API unreachable" in line and "160 cr" in line, line


def test_the_search_box_finds_a_job_by_every_id_form_the_ui_shows() -> None:
    job = make_job(7)
    job.request_id = "req_20a575c82e9f1b33"
    rows = JobRows()
    rows.load([job, make_job(8)])
    for form in ("20a575c82e", "req_20a575c82e9f1b33", "20a575c82e9f1b33", job.local_id):
        rows.set_search(form)
        assert [j.local_id for j in rows.rows] == [job.local_id], form
