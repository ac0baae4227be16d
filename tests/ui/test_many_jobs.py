"""Marking rows and acting on many jobs at once, with the real app, simulator and store."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Button, Log, Static, TextArea

from seedance_tui.export import original
from seedance_tui.models import GenerationRequest, JobStatus
from seedance_tui.service import JobService
from seedance_tui.service.bulk import BulkResult, JobResult
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.batch import BatchScreen
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.screens.dialogs import AskDialog, ConfirmDialog
from seedance_tui.ui.screens.main import MainScreen
from seedance_tui.ui.screens.submit import SubmitScreen
from seedance_tui.ui.widgets.job_table import JobTable
from seedance_tui.ui.widgets.table_text import MARK_GLYPH
from tests.ui.helpers import make_settings, wait_for


def request(prompt: str, **fields: object) -> GenerationRequest:
    return GenerationRequest(model="seedance-2.0", prompt=prompt, duration=5, **fields)  # type: ignore[arg-type]


def filter_bar(app: SeedanceApp) -> str:
    return str(app.screen.query_one("#filter-bar", Static).render())


def main(app: SeedanceApp) -> MainScreen:
    screen = app.screen_stack[0]  # the app's first screen (issue 15: not pushed over an empty one)
    assert isinstance(screen, MainScreen)
    return screen


async def test_space_star_and_minus_mark_rows_visibly_and_count_them(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    sim = sim_factory(queue_seconds=60)
    service = service_factory(sim.url)
    for n in range(4):
        await service.submit(request(f"job {n}"))
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 24)) as pilot:
        table = app.screen.query_one(JobTable)
        assert await wait_for(pilot, lambda: table.row_count == 4)
        await pilot.press("space", "space")
        assert len(table.marks) == 2 and table.cursor == 2
        lines = [table.render_line(y).text for y in range(1, 5)]
        assert [line.startswith(MARK_GLYPH) for line in lines] == [True, True, False, False]
        assert "✓ 2 marked" in filter_bar(app)
        await pilot.press("k", "space")  # unmark the second again
        assert len(table.marks) == 1
        await pilot.press("asterisk")
        assert len(table.marks) == 4 and "✓ 4 marked" in filter_bar(app)
        await pilot.press("minus")
        assert not table.marks and "marked" not in filter_bar(app)


async def test_bulk_cancel_of_mixed_jobs_confirms_once_and_reports_each(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    sim = sim_factory(queue_seconds=60)
    service = service_factory(sim.url)
    live = [await service.submit(request(f"live {n}")) for n in range(2)]
    done = await service.submit(request("done"))
    await service.cancel(done.local_id)  # already final before the bulk cancel
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 24)) as pilot:
        table = app.screen.query_one(JobTable)
        assert await wait_for(pilot, lambda: table.row_count == 3)
        await pilot.press("asterisk", "c")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        body = str(app.screen.query_one("#confirm-body", Static).render())
        assert "3 marked; 2 still cancellable" in body and "80 credits" in body
        assert sim.app.state.sim.stats()["cancels"] == 1
        await pilot.press("y")
        screen = main(app)
        assert await wait_for(pilot, lambda: len(screen.last_results) == 3)
        results = {r.local_id: r.result for r in screen.last_results if isinstance(r, JobResult)}
        assert results[done.local_id] == BulkResult.ALREADY_FINAL
        assert all(results[job.local_id] == BulkResult.DONE for job in live)
        assert any("2 done, 1 already finished" in n.message for n in app._notifications)
    assert sim.app.state.sim.stats()["cancels"] == 3
    assert all(service.get(job.local_id).status == JobStatus.CANCELLED for job in live)  # type: ignore[union-attr]


async def test_bulk_download_saves_every_marked_output(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    jobs = [await service.submit(request(f"video {n}")) for n in range(2)]
    pending = await service.submit(request("not yet"))
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 24)) as pilot:

        def outputs() -> bool:
            return all((found := service.get(j.local_id)) is not None and found.output_url for j in jobs)

        assert await wait_for(pilot, outputs, steps=200)
        table = app.screen.query_one(JobTable)
        table.marks.update(job.local_id for job in jobs)
        await pilot.press("d")
        screen = main(app)
        assert await wait_for(pilot, lambda: len(screen.last_results) == 2)
        assert {r.result for r in screen.last_results if isinstance(r, JobResult)} == {BulkResult.DONE}
    for job in jobs:
        assert (tmp_path / "dl" / f"{job.request_id}.mp4").stat().st_size > 0
    assert not (tmp_path / "dl" / f"{pending.request_id}.mp4").exists()


async def test_rerun_prefills_the_form_and_records_the_source(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    source = await service.submit(
        request(
            "a heron",
            metadata={"scene": 4},
            media_urls=["https://e.com/a.png"],
            resolution="1080p",
            aspect_ratio="9:16",
        )
    )
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        assert await wait_for(pilot, lambda: app.screen.query_one(JobTable).row_count == 1)
        await pilot.press("R")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SubmitScreen))
        form = app.screen
        assert isinstance(form, SubmitScreen)
        prefilled, errors = form.read_request()
        assert not errors
        assert prefilled.to_payload() == source.request.to_payload()
        assert form.query_one("#media-urls", TextArea).text == "https://e.com/a.png"
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: len(service.jobs()) == 2)
        new = next(job for job in service.jobs() if job.local_id != source.local_id)
        assert new.rerun_of == source.local_id and new.request.metadata == {"scene": 4}
        assert await wait_for(pilot, lambda: not isinstance(app.screen, SubmitScreen))
        await app.push_screen(DetailScreen(service, app.settings, new.local_id))
        await pilot.pause()
        assert source.local_id in str(app.screen.query_one("#value-rerun-of", Static).render())


async def test_rerun_of_marked_jobs_confirms_then_submits_each_again(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    sources = [await service.submit(request(f"again {n}")) for n in range(3)]
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 24)) as pilot:
        assert await wait_for(pilot, lambda: app.screen.query_one(JobTable).row_count == 3)
        await pilot.press("asterisk", "R")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "estimated 120 credits" in str(app.screen.query_one("#confirm-body", Static).render())
        await pilot.press("y")
        assert await wait_for(pilot, lambda: len(service.jobs()) == 6)
    copies = [job for job in service.jobs() if job.rerun_of]
    assert sorted(job.rerun_of or "" for job in copies) == sorted(job.local_id for job in sources)
    assert sim.app.state.sim.stats()["submits_received"] == 6


async def test_batch_preview_shows_jobs_errors_and_credits_then_sends(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": "ok"}) + "\n" + json.dumps({"prompt": "x", "duration": 3}) + "\n")
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps({"prompt": f"shot {n}"}) for n in range(10_000)) + "\n")
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("B")
        assert await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen))
        screen = app.screen
        assert isinstance(screen, BatchScreen)
        preview_screen = screen
        summary = screen.query_one("#batch-summary", Static)
        screen.query_one("#batch-path").value = str(bad)  # type: ignore[attr-defined]
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: preview_screen.preview is not None)
        assert "1 problem(s)" in str(summary.render())
        assert "line 2: duration: must be 4-15" in "\n".join(screen.query_one(Log).lines)
        assert screen.query_one("#send-button", Button).disabled
        screen.query_one("#batch-path").value = str(good)  # type: ignore[attr-defined]
        screen.query_one("#batch-matrix").value = "resolution=480p,720p"  # type: ignore[attr-defined]
        await pilot.press("enter")
        # 20,000 jobs are read and checked in a worker thread: the app keeps answering meanwhile.
        assert await wait_for(pilot, lambda: preview_screen.preview is not None, steps=600)
        assert "20,000 job(s), estimated 600,000 credits" in str(summary.render())
        assert "… and 18,000 more" in screen.query_one(Log).lines[-1]
        assert not screen.query_one("#send-button", Button).disabled
        await pilot.press("escape")
        small = tmp_path / "small.jsonl"
        small.write_text("\n".join(json.dumps({"prompt": f"small {n}"}) for n in range(3)) + "\n")
        await pilot.press("B")
        assert await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen))
        small_screen = app.screen
        assert isinstance(small_screen, BatchScreen)
        small_screen.query_one("#batch-path").value = str(small)  # type: ignore[attr-defined]
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: small_screen.preview is not None)
        await pilot.press("ctrl+s")
        table = main(app).query_one(JobTable)
        assert await wait_for(pilot, lambda: table.row_count == 3, steps=200)
    assert sim.app.state.sim.stats()["submits_received"] == 3
    assert all(job.batch_entry for job in service.jobs())


async def test_track_from_the_palette_entry_and_export_of_the_view(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    import httpx

    made = httpx.post(
        f"{sim.url}/api/open/v1/video/generations",
        headers={"Authorization": "Bearer sd2_demo_key"},
        json={"model": "seedance-2.0", "prompt": "=made elsewhere"},
    ).json()["requestId"]
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 24)) as pilot:
        main(app).action_track_id()
        assert await wait_for(pilot, lambda: isinstance(app.screen, AskDialog))
        await pilot.press(*made, "enter")
        table = main(app).query_one(JobTable)
        assert await wait_for(pilot, lambda: table.row_count == 1)
        assert service.jobs()[0].request_id == made
        await pilot.press("x")
        folder = tmp_path / "dl"
        assert await wait_for(pilot, lambda: folder.exists() and any(folder.glob("seedance-jobs-*.csv")))
    path = next(folder.glob("seedance-jobs-*.csv"))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [original(row["prompt"]) for row in rows] == ["=made elsewhere"]
    assert rows[0]["prompt"].startswith("'")
