"""ETAs in the table and the detail pane once the store holds enough finished jobs of the kind."""

from __future__ import annotations

from pathlib import Path

from seedance_tui.models import Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.widgets.job_table import JobTable
from tests.ui.helpers import make_settings
from tests.unit.test_eta import T0, finished, live


class Clock:
    def __init__(self) -> None:
        self.now = T0 + 10_000

    def __call__(self) -> float:
        return self.now


def write(path: Path, jobs: list[Job]) -> None:
    with JobStore.open(path) as store:
        for job in jobs:
            store.add(job)
        store.flush()


async def test_eta_appears_once_there_is_enough_history(
    sim: SimulatorServer, service_factory: object, tmp_path: Path
) -> None:
    clock = Clock()
    running = live(JobStatus.PROCESSING, clock.now - 60)  # no request id: nothing to poll
    history = [finished(60, 180, at=T0 + i) for i in range(4)]
    db = tmp_path / "jobs.json"
    write(db, [running, *history])
    build = service_factory  # type: ignore[assignment]
    service: JobService = build(sim.url)  # type: ignore[operator]
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), clock=clock, terminal_write=lambda d: None)
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(JobTable)
        assert table.selected is not None and table.selected.local_id == running.local_id
        header = table.render_line(0).text
        column = header.index("ETA")
        assert table.render_line(1).text[column - 2 : column + 3].strip() == ""  # 4 jobs: not enough
    service.store.close()
    write(db, [finished(60, 180, at=T0 + 9)])
    service = build(sim.url)  # type: ignore[operator]
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), clock=clock, terminal_write=lambda d: None)
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(JobTable)
        assert table.selected is not None and table.selected.local_id == running.local_id
        assert "~2m" in table.render_line(1).text
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        text = str(app.screen.query_one("#value-eta").render())
        assert text.startswith("~2 min left (typical: 60 s queued, 3 min processing, from 5 jobs)")
        clock.now += 600
        app.screen._tick()
        assert str(app.screen.query_one("#value-eta").render()).startswith("slow")


async def test_a_hidden_eta_column_costs_no_redraws(
    sim: SimulatorServer, service_factory: object, tmp_path: Path
) -> None:
    clock = Clock()
    running = live(JobStatus.PROCESSING, clock.now - 60)
    write(tmp_path / "jobs.json", [running, *(finished(60, 180, at=T0 + i) for i in range(5))])
    service: JobService = service_factory(sim.url)  # type: ignore[operator]
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), clock=clock, terminal_write=lambda d: None)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(JobTable)
        assert "ETA" not in table.render_line(0).text
        await pilot.pause()
        redrawn: list[object] = []

        def record(*regions: object, **options: object) -> JobTable:
            redrawn.append(regions)
            return table

        table.refresh = record  # type: ignore[method-assign]
        table._tick_live_rows()  # the running job's age text has not changed: nothing to redraw
        assert redrawn == []
