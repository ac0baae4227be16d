"""The cancel dialog against the real simulator, the real store and the real app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Button, Static

from seedance_tui.models import GenerationRequest, JobStatus
from seedance_tui.service import CancelResult, JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.cancel import CancelDialog
from seedance_tui.ui.screens.detail import DetailScreen
from tests.ui.helpers import make_settings, wait_for


def text(dialog: CancelDialog, widget_id: str) -> str:
    return str(dialog.query_one(f"#{widget_id}", Static).render())


async def test_cancel_queued_job_from_detail(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    sim = sim_factory(queue_seconds=60)
    service = service_factory(sim.url)
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        job = await service.submit(GenerationRequest(model="seedance-2.0", prompt="[b]stop[/b] me"))
        detail = DetailScreen(service, app.settings, job.local_id)
        await app.push_screen(detail)
        await pilot.press("c")
        assert await wait_for(pilot, lambda: isinstance(app.screen, CancelDialog))
        dialog = app.screen
        assert isinstance(dialog, CancelDialog)
        summary = text(dialog, "cancel-summary")
        assert job.request_id is not None and job.request_id in summary
        assert "[b]stop[/b] me" in summary and "queued" in summary
        await pilot.press("n")
        assert await wait_for(pilot, lambda: app.screen is detail)
        assert sim.app.state.sim.stats()["cancels"] == 0
        await pilot.press("c")
        assert await wait_for(pilot, lambda: isinstance(app.screen, CancelDialog))
        dialog = app.screen
        assert isinstance(dialog, CancelDialog)
        await pilot.press("y")
        # A successful cancel closes the dialog by itself: no extra "Close" to press.
        assert await wait_for(pilot, lambda: app.screen is detail)
        assert dialog.outcome is not None and dialog.outcome.result == CancelResult.CANCELLED
        assert "cancelled" in str(detail.query_one("#value-status", Static).render())
    stored = service.get(job.local_id)
    assert stored is not None and stored.status == JobStatus.CANCELLED
    assert sim.app.state.sim.stats()["cancels"] == 1


async def test_finished_job_cannot_be_cancelled(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        job = await service.submit(GenerationRequest(model="seedance-2.0", prompt="quick"))
        assert await wait_for(pilot, lambda: job.status == JobStatus.SUCCEEDED)
        dialog = CancelDialog(service, job.local_id)
        results: list[object] = []
        await app.push_screen(dialog, results.append)
        await pilot.pause()
        assert "only queued or processing" in text(dialog, "cancel-message")
        assert not dialog.query_one("#confirm-button", Button).display
        await pilot.press("y")
        await pilot.pause()
        assert dialog.outcome is None
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: results == [None])
    assert sim.app.state.sim.stats()["cancels"] == 0
