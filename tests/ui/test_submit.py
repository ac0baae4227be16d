"""The submission form against the real simulator and a real store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static, TextArea

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.messages import JobsChanged
from seedance_tui.ui.screens.submit import SubmitScreen, nearest_duration
from tests.ui.helpers import make_settings, wait_for

HOSTILE = "[red]x[/red] [@click=app.quit]y[/] \x1b[31mred"


class ScreenHost(App[None]):
    """A bare app that runs the service, relays job changes to every screen, and pushes one screen."""

    def __init__(self, service: JobService, make_screen: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.service = service
        self.make_screen = make_screen
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.service.add_listener(self._relay)
        self.run_worker(self.service.run(), group="service")
        self.push_screen(self.make_screen(), self.results.append)

    def _relay(self, jobs: list[Job]) -> None:
        for screen in self.screen_stack:
            screen.post_message(JobsChanged(jobs))


def submits(sim: SimulatorServer) -> int:
    return int(sim.app.state.sim.stats()["submits_received"])


def error_text(screen: Screen[Any], widget_id: str) -> str:
    label = screen.query_one(f"#{widget_id}-error", Label)
    return str(label.render()) if label.has_class("-invalid") else ""


async def open_form(
    service: JobService, sim: SimulatorServer, tmp_path: Path, prefill: GenerationRequest | None = None
) -> ScreenHost:
    return ScreenHost(
        service, lambda: SubmitScreen(service, make_settings(sim.url, tmp_path), prefill=prefill)
    )


def test_nearest_duration() -> None:
    assert nearest_duration("seedance-1.5-pro", 7) == 5
    assert nearest_duration("seedance-1.5-pro", 9) == 10
    assert nearest_duration("seedance-1.5-pro", 15) == 10
    assert nearest_duration("seedance-2.0", 10) == 10
    assert nearest_duration("seedance-2.0-fast", None) == 5


async def test_valid_form_submits_and_closes(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = await open_form(service, sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.screen
        assert isinstance(form, SubmitScreen)
        assert isinstance(app.focused, TextArea) and app.focused.id == "prompt"
        assert form.query_one("#model", Select).value == "seedance-2.0"
        assert form.query_one("#aspect-ratio", Select).value == "16:9"
        assert form.query_one("#duration", Select).value == 5
        assert form.query_one("#resolution", Select).value == "720p"
        await pilot.press(*"a calm sea")
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: bool(app.results))
        job = app.results[0]
        assert isinstance(job, Job) and job.request_id
        assert not isinstance(app.screen, SubmitScreen)
    stored = service.store.get(job.local_id)
    assert stored is not None and stored.request_id == job.request_id
    assert stored.request.prompt == "a calm sea"
    assert stored.request.to_payload()["duration"] == 5
    assert submits(sim) == 1


async def test_empty_prompt_flagged_and_nothing_sent(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = await open_form(service, sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, SubmitScreen)
        assert "must not be empty" in error_text(form, "prompt")
        assert form.query_one("#prompt").has_class("-invalid")
    assert submits(sim) == 0
    assert service.jobs() == []


async def test_bad_fields_flagged_inline(sim: SimulatorServer, service: JobService, tmp_path: Path) -> None:
    app = await open_form(service, sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.screen
        assert isinstance(form, SubmitScreen)
        await pilot.press(*"ok prompt")
        form.query_one("#webhook-url", Input).value = "ftp://nope"
        form.query_one("#metadata", Input).value = "[1, 2]"
        form.query_one("#media-urls", TextArea).text = "https://ok.example/a.png\nnot a url"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "http" in error_text(form, "webhook-url")
        assert "JSON object" in error_text(form, "metadata")
        assert "item 2" in error_text(form, "media-urls")
        assert error_text(form, "prompt") == ""
        # Fixing a flagged field clears its flag as it is typed.
        form.query_one("#metadata", Input).value = '{"a": 1}'
        await pilot.pause()
        assert error_text(form, "metadata") == ""
        form.query_one("#metadata", Input).value = "{broken"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "not valid JSON" in error_text(form, "metadata")
    assert submits(sim) == 0


async def test_model_change_limits_durations(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = await open_form(service, sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.screen
        duration = form.query_one("#duration", Select)
        duration.value = 7
        form.query_one("#model", Select).value = "seedance-1.5-pro"
        await pilot.pause()
        assert [value for _, value in duration._options] == [5, 10]
        assert duration.value == 5
        form.query_one("#model", Select).value = "seedance-2.0-fast"
        await pilot.pause()
        assert duration.value == 5 and len(duration._options) == 12


async def test_rejection_keeps_form_and_input(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    sim = sim_factory()
    service = service_factory(sim.url, key="sd2_revoked_key")
    app = await open_form(service, sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"keep me")
        form = app.screen
        assert isinstance(form, SubmitScreen)
        form.query_one("#metadata", Input).value = '{"k": "v"}'
        await pilot.press("ctrl+s")
        banner = form.query_one("#submit-banner", Static)
        assert await wait_for(pilot, lambda: banner.has_class("-error") and not form.submitting)
        assert "Not accepted" in str(banner.render())
        assert app.screen is form and not app.results
        assert form.query_one("#prompt", TextArea).text == "keep me"
        assert form.query_one("#metadata", Input).value == '{"k": "v"}'
        assert not form.query_one("#submit-button").disabled
    assert [j.status for j in service.jobs()] == [JobStatus.REJECTED]


async def test_server_fault_says_outcome_unknown(
    sim_factory: Callable[..., SimulatorServer], service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    sim = sim_factory(error_rate=1.0)
    service = service_factory(sim.url)
    app = await open_form(service, sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"maybe charged")
        await pilot.press("ctrl+s")
        form = app.screen
        assert isinstance(form, SubmitScreen)
        banner = form.query_one("#submit-banner", Static)
        assert await wait_for(pilot, lambda: banner.has_class("-error") and not form.submitting, 200)
        text = str(banner.render())
        assert "may have accepted" in text and "NOT sent" in text
        assert form.query_one("#prompt", TextArea).text == "maybe charged"
        # Editing and pressing ctrl+s again is allowed once the fault clears.
        sim.set_faults(error_rate=0.0)
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: bool(app.results), 200)
    assert submits(sim) >= 2


async def test_prefill_and_hostile_text_stay_literal(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    prefill = GenerationRequest(
        model="seedance-1.5-pro",
        prompt=HOSTILE,
        aspect_ratio="9:16",
        duration=10,
        resolution="1080p",
        webhook_url="https://hooks.example/x",
        metadata={"note": "[b]bold?[/b]"},
        media_urls=["https://a.example/1.png", "https://a.example/2.png"],
    )
    app = await open_form(service, sim, tmp_path, prefill)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.screen
        assert form.query_one("#prompt", TextArea).text == HOSTILE
        assert form.query_one("#model", Select).value == "seedance-1.5-pro"
        assert form.query_one("#duration", Select).value == 10
        assert form.query_one("#aspect-ratio", Select).value == "9:16"
        assert form.query_one("#resolution", Select).value == "1080p"
        assert form.query_one("#webhook-url", Input).value == "https://hooks.example/x"
        assert form.query_one("#metadata", Input).value == '{"note": "[b]bold?[/b]"}'
        assert form.query_one("#media-urls", TextArea).text.splitlines() == prefill.media_urls
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: bool(app.results))
    job = app.results[0]
    assert isinstance(job, Job) and job.request == prefill


async def test_escape_closes_without_sending(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = await open_form(service, sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"never sent", "escape")
        assert await wait_for(pilot, lambda: bool(app.results))
        assert app.results == [None]
    assert submits(sim) == 0
