"""The form, the detail pane and the app keys as a new user meets them: nothing silent, nothing lost."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Label, Select, Static, TextArea

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.screens.submit import SubmitScreen
from seedance_tui.ui.widgets.key_footer import KeyFooter
from tests.ui.helpers import make_settings, wait_for
from tests.ui.test_submit import error_text, open_form


def notices(app: SeedanceApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def store_job(path: Path, status: str, *, request_id: str | None) -> Job:
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt="a heron at dusk", duration=12))
    job.request_id = request_id
    job.set_status(status)
    with JobStore.open(path) as store:
        store.add(job)
    return job


async def test_edit_and_resubmit_puts_the_cursor_at_the_end_of_the_prompt(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    job = store_job(tmp_path / "jobs.json", JobStatus.FAILED, request_id="req_00000000000000aa")
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(DetailScreen(service, app.settings, job.local_id))
        await pilot.press("e")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SubmitScreen))
        await pilot.press(*", slowly")
        assert app.screen.query_one("#prompt", TextArea).text == "a heron at dusk, slowly"


async def test_fixed_fields_clear_their_message_and_the_banner(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = await open_form(service, sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s")
        form = app.screen
        banner = form.query_one("#submit-banner", Static)
        assert "must not be empty" in error_text(form, "prompt") and "Fix the fields" in str(banner.render())
        await pilot.press("a")
        assert error_text(form, "prompt") == ""
        assert str(banner.render()).strip() == ""


async def test_detail_actions_that_do_not_apply_say_why(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    failed = store_job(tmp_path / "jobs.json", JobStatus.FAILED, request_id="req_00000000000000bb")
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(DetailScreen(service, app.settings, failed.local_id))
        for key, words in (
            ("d", "only a succeeded job"),
            ("u", "only a succeeded job"),
            ("c", "only queued"),
        ):
            app.clear_notifications()
            await pilot.press(key)
            assert await wait_for(pilot, lambda: any(words in n for n in notices(app))), key  # noqa: B023
        assert isinstance(app.screen, DetailScreen)


async def test_refresh_of_an_unknown_outcome_without_request_id_says_what_to_do(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    unknown = store_job(tmp_path / "jobs.json", JobStatus.OUTCOME_UNKNOWN, request_id=None)
    service.store.refresh()
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(DetailScreen(service, app.settings, unknown.local_id))
        await pilot.press("r")
        assert await wait_for(pilot, lambda: any("no request id" in n for n in notices(app)))
        assert not any("Checking this job now" in n for n in notices(app))
        assert any("edit & resubmit" in n for n in notices(app))


async def test_ctrl_c_in_a_form_holding_a_prompt_asks_before_quitting(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SubmitScreen))
        await pilot.press(*"a prompt worth keeping", "ctrl+c")
        assert await wait_for(pilot, lambda: any("was not sent" in n for n in notices(app)))
        assert app.is_running and isinstance(app.screen, SubmitScreen)
        assert app.screen.query_one("#prompt", TextArea).text == "a prompt worth keeping"
        await pilot.press("ctrl+c")
        assert await wait_for(pilot, lambda: not app.is_running)


async def test_escape_closes_the_key_panel(sim: SimulatorServer, service: JobService, tmp_path: Path) -> None:
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        app.action_show_help_panel()
        assert await wait_for(pilot, lambda: bool(app.screen.query("HelpPanel")))
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: not app.screen.query("HelpPanel"))


async def test_switching_model_says_the_duration_changed(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = await open_form(service, sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        form = app.screen
        form.query_one("#duration", Select).value = 12
        form.query_one("#model", Select).value = "seedance-1.5-pro"
        await pilot.pause()
        note = form.query_one("#duration-note", Label)
        assert note.display and "12 s" in str(note.render()) and "10 s" in str(note.render())


async def test_the_detail_footer_shows_edit_and_resubmit_at_80_columns(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    for status in (JobStatus.SUCCEEDED, JobStatus.PROCESSING, JobStatus.FAILED):
        job = store_job(tmp_path / f"{status}.json", status, request_id="req_00000000000000cc")
        if status == JobStatus.SUCCEEDED:
            job.output_url = "https://cdn.example/v.mp4"
        service.store.add(job)
        app = SeedanceApp(service, make_settings(sim.url, tmp_path))
        async with app.run_test(size=(80, 24)) as pilot:
            await app.push_screen(DetailScreen(service, app.settings, job.local_id))
            await pilot.pause()
            footer = app.screen.query_one(KeyFooter)
            keys = {item.key: item for item in footer.items[0]}
            assert "e" in keys and keys["e"].end <= 80, (status, list(keys))
            assert " e Edit & resubmit " in "".join(segment.text for segment in footer.render_line(0))


async def test_the_focused_field_is_marked_without_relying_on_colour(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    app = await open_form(service, sim, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.screen

        def marked() -> list[str]:
            return [str(label.id) for label in form.query(Label) if label.has_class("-focused")]

        assert marked() == ["prompt-label"]
        await pilot.press("tab")
        assert marked() == ["model-label"]
        assert form.query_one("#model-label", Label).rich_style.reverse
        await pilot.press("tab")
        assert marked() == ["duration-label"]


async def test_warnings_found_before_start_are_shown_once_the_app_runs(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    notice = "2 earlier demo job(s) cannot be followed"
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), notices=[notice])
    async with app.run_test(size=(80, 24)) as pilot:
        assert await wait_for(pilot, lambda: notice in notices(app))
