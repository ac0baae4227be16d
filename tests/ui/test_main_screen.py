"""The main screen against the real simulator and a real store: live rows, filters, search, sort, restart."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.polling import ApiHealth, HealthState
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.commands import main_screen_commands
from seedance_tui.ui.messages import HealthChanged
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.screens.main import MainScreen
from seedance_tui.ui.screens.submit import SubmitScreen
from seedance_tui.ui.widgets.job_table import JobTable
from seedance_tui.ui.widgets.status_bar import StatusBar
from seedance_tui.ui.widgets.table_text import EMPTY_HINT
from tests.ui.helpers import make_settings, wait_for

HOSTILE = "[red]x[/] [@click=app.quit]q[/] \x1b[2J"


def request(prompt: str = "a fox in the snow") -> GenerationRequest:
    return GenerationRequest(model="seedance-2.0", prompt=prompt, duration=5)


def table_lines(app: SeedanceApp) -> list[str]:
    table = app.screen.query_one(JobTable)
    return [table.render_line(y).text for y in range(table.size.height)]


def notices(app: SeedanceApp) -> list[str]:
    return [n.message for n in app._notifications]


def seed_store(path: Path, statuses: Sequence[str]) -> list[Job]:
    """Write final jobs straight into a store file (nothing for the poller to do)."""
    jobs = []
    with JobStore.open(path) as store:
        for i, status in enumerate(statuses):
            job = Job.new(request(f"prompt number {i} {status}"))
            job.request_id = f"req_{i:016x}"
            job.set_status(status)
            store.add(job)
            jobs.append(job)
        store.flush()
    return jobs


async def test_job_moves_through_statuses_in_place(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        assert EMPTY_HINT in "\n".join(table_lines(app))
        job = await service.submit(request())
        table = app.screen.query_one(JobTable)
        assert await wait_for(pilot, lambda: table.row_count == 1)
        rebuilds = table.model.rebuilds
        seen: list[str] = []
        for _ in range(100):
            row = table_lines(app)[1]
            status = row.replace("•", " ").replace("·", " ").split()[2]  # without the changed-row marker
            if not seen or seen[-1] != status:
                seen.append(status)
            if status == "succeeded":
                break
            await pilot.pause(0.05)
        assert seen[-1] == "succeeded" and "processing" in seen, seen
        assert seen.index("processing") < seen.index("succeeded")
        # Every status change was drawn into the same row: the rows were never re-placed.
        assert table.model.rebuilds == rebuilds and table.row_count == 1
        assert table.selected is not None and table.selected.local_id == job.local_id
        assert await wait_for(pilot, lambda: any("succeeded" in n for n in notices(app)))
        bar = app.screen.query_one(StatusBar)
        assert bar.job_counts.counts[JobStatus.SUCCEEDED] == 1 and bar.job_counts.credits > 0


async def test_failed_job_shows_failed_and_notifies_the_reason(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    sim = sim_factory(failure_rate=1.0)
    service = service_factory(sim.url)
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await service.submit(request())
        assert await wait_for(pilot, lambda: "✘ failed" in table_lines(app)[1])
        assert await wait_for(pilot, lambda: any(" failed: " in n for n in notices(app)))


async def test_filters_search_and_sort(sim: SimulatorServer, service: JobService, tmp_path: Path) -> None:
    statuses = [
        JobStatus.SUCCEEDED,
        JobStatus.FAILED,
        JobStatus.CANCELLED,
        JobStatus.REJECTED,
        JobStatus.FAILED,
    ]
    seed_store(tmp_path / "jobs.json", statuses)
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(JobTable)
        assert table.row_count == 5
        # Old finished jobs are not announced at start-up.
        assert notices(app) == []
        await pilot.press("4")
        assert table.row_count == 2 and all(j.status == JobStatus.FAILED for j in table.model.rows)
        await pilot.press("6")
        assert [j.status for j in table.model.rows] == [JobStatus.REJECTED]
        await pilot.press("5")
        assert [j.status for j in table.model.rows] == [JobStatus.CANCELLED]
        await pilot.press("a")
        assert table.row_count == 5
        filter_bar = str(app.screen.query_one("#filter-bar").render())
        assert "5/5" in filter_bar

        # Several words must all match; a quoted phrase matches as one (see seedance_tui.query).
        await pilot.press("slash", *'"number 3"')
        assert [j.request.prompt for j in table.model.rows] == ["prompt number 3 rejected"]
        await pilot.press("escape")
        assert table.row_count == 5 and not app.screen.query_one("#search").display
        assert table.has_focus

        await pilot.press("s", "s", "s")  # the columns left to right: age, prompt, id, status
        assert table.model.sort_column == "status" and not table.model.sort_reverse
        first = [j.status for j in table.model.rows]
        await pilot.press("S")
        assert [j.status for j in table.model.rows] == first[::-1]
        # A click on a header sorts by that column.
        await pilot.click(JobTable, offset=(1, 0))
        assert table.model.sort_column == "id"

        await pilot.press("g", "j", "j")
        assert table.cursor == 2
        await pilot.press("G")
        assert table.cursor == 4
        await pilot.press("k")
        assert table.cursor == 3


async def test_cancel_refused_for_a_finished_job(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    seed_store(tmp_path / "jobs.json", [JobStatus.SUCCEEDED])
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        assert isinstance(app.screen, MainScreen)
        assert any("only queued or processing jobs can be cancelled" in n for n in notices(app))


async def test_restart_resumes_unfinished_jobs(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    first = service_factory(sim.url)
    jobs = [await first.submit(request(f"job {i}")) for i in range(3)]
    await first.close()
    assert all(job.status == JobStatus.QUEUED for job in jobs)

    second = service_factory(sim.url)
    app = SeedanceApp(second, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(JobTable)
        assert table.row_count == 3
        done = lambda: all(j.status == JobStatus.SUCCEEDED for j in table.model.rows)  # noqa: E731
        assert await wait_for(pilot, done, steps=150)
        assert sum("✔ succeeded" in line for line in table_lines(app)) == 3


async def test_hostile_prompt_shows_literally(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(200, 30)) as pilot:
        await service.submit(request(HOSTILE))
        assert await wait_for(pilot, lambda: "[@click=app.quit]" in table_lines(app)[1])
        row = table_lines(app)[1]
        assert "[red]x[/] [@click=app.quit]q[/] \\x1b[2J" in row and "\x1b" not in row
        await pilot.click(JobTable, offset=(60, 1))
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, MainScreen)


async def test_health_and_quit_flushes(sim: SimulatorServer, service: JobService, tmp_path: Path) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path, demo=True))
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.screen.query_one(StatusBar)
        assert "DEMO" in str(bar.render()) and "● OK" in str(bar.render())
        since = time.time()
        app.screen.post_message(HealthChanged(HealthState(ApiHealth.UNREACHABLE, since=since)))
        await pilot.pause()
        assert f"API unreachable since {time.strftime('%H:%M:%S', time.localtime(since))}" in str(
            bar.render()
        )
        app.screen.post_message(HealthChanged(HealthState(ApiHealth.RATE_LIMITED, retry_at=time.time() + 9)))
        await pilot.pause()
        assert "rate limited, retry in" in str(bar.render())
        job = await service.submit(request())
        await pilot.press("q")
    assert app.return_code == 0
    with JobStore.open(tmp_path / "jobs.json") as store:
        assert store.get(job.local_id) is not None


async def test_command_palette_offers_every_action(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        titles = [command.title for command in main_screen_commands(app.screen)]  # type: ignore[arg-type]
        for expected in ("New job", "Cancel job", "Refresh job", "Open job detail", "Search jobs"):
            assert expected in titles
        assert sum(t.startswith("Show ") for t in titles) == 7
        assert sum(t.startswith("Sort by ") for t in titles) == 9
        await pilot.press("ctrl+p", *"show failed jobs")
        await pilot.pause(0.3)
        await pilot.press("enter")
        table = app.screen.query_one(JobTable)
        assert await wait_for(pilot, lambda: table.model.filter_name == "failed", steps=40)


async def test_new_job_is_selected_and_detail_opens(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    seed_store(tmp_path / "jobs.json", [JobStatus.SUCCEEDED, JobStatus.FAILED])
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(JobTable)
        await pilot.press("4", "n")
        assert isinstance(app.screen, SubmitScreen)
        await pilot.press(*"a calm sea", "ctrl+s")
        assert await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        # The filter hid the new job, so it was cleared to show and select it.
        assert await wait_for(
            pilot, lambda: table.selected is not None and table.selected.request.prompt == "a calm sea"
        )
        assert table.model.filter_name == "all"
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_filter_bar_is_clickable(sim: SimulatorServer, service: JobService, tmp_path: Path) -> None:
    seed_store(tmp_path / "jobs.json", [JobStatus.SUCCEEDED, JobStatus.FAILED])
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(JobTable)
        text = str(app.screen.query_one("#filter-bar").render())
        await pilot.click("#filter-bar", offset=(text.index("failed"), 0))
        assert await wait_for(pilot, lambda: table.model.filter_name == "failed", steps=20)
        assert table.row_count == 1


async def test_only_changed_ages_are_redrawn(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    seed_store(tmp_path / "jobs.json", [JobStatus.SUCCEEDED, JobStatus.FAILED])
    service.store.refresh()
    now = [time.time() + 2 * 86400]  # the seeded jobs are two days old: their age text changes hourly
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), clock=lambda: now[0])
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(JobTable)
        refreshed: list[object] = []

        def record(*regions: object, **_: object) -> JobTable:
            refreshed.append(regions)
            return table

        await pilot.pause()
        table.refresh = record  # type: ignore[method-assign,assignment]
        table._tick_live_rows()
        assert refreshed == []  # no age text changed
        job = table.model.rows[0]
        job.created_at = now[0] - 600  # shown as "10m"
        table._tick_live_rows()
        assert len(refreshed) == 1  # its age text changed
        table.render_line(1)
        await pilot.pause()
        refreshed.clear()
        for _ in range(5):  # 10m00s .. 10m05s: the text stays "10m", nothing is sent
            now[0] += 1
            table._tick_live_rows()
        assert refreshed == []
        now[0] += 60
        table._tick_live_rows()
        assert len(refreshed) == 1
