"""Everything known about one job, live, with the actions that apply to it."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Label, ProgressBar, Static

from seedance_tui.config import Settings
from seedance_tui.models import Job, JobStatus
from seedance_tui.service import CancelOutcome, JobService, long_eta, not_cancellable_reason
from seedance_tui.text import printable, safe_to_copy
from seedance_tui.ui.keymap import sends_post
from seedance_tui.ui.messages import JobsChanged
from seedance_tui.ui.styles import style_path
from seedance_tui.ui.widgets.frame_preview import FramePreview
from seedance_tui.ui.widgets.job_facts import FACTS, download_problem, fact_values, history_text
from seedance_tui.ui.widgets.job_text import no_request_id_advice, pretty_json, status_content
from seedance_tui.ui.widgets.key_footer import KeyFooter


class DetailScreen(Screen[None]):
    """A full-screen view of one job that follows it live."""

    CSS_PATH = style_path("detail.tcss")
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("q", "back", "Back", show=False, id="back_alt"),
        Binding("y", "copy_id", "Copy id", id="copy_id"),
        Binding("u", "copy_url", "Copy URL", id="copy_url"),
        Binding("d", "download", "Download", id="download"),
        Binding("c", "cancel_job", "Cancel job", id="cancel_job"),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("e", "edit", "Edit & resubmit", id="edit_resubmit"),
        Binding("f", "frame_strip", "Four frames", show=False, id="frame_strip"),
    ]

    #: The job shown, set again on every change (the same object may have changed in place).
    job: var[Job | None] = var(None, always_update=True, init=False, bindings=True)
    #: Its video is being saved (copy URL and download wait until it is).
    downloading: var[bool] = var(False, init=False, bindings=True)

    def __init__(
        self,
        service: JobService,
        settings: Settings,
        local_id: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        self.local_id = local_id
        self.clock = clock
        self.set_reactive(DetailScreen.job, service.get(local_id))
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-title", markup=False)
        with VerticalScroll(id="detail-body"):
            for fact_id, label in FACTS:
                with Horizontal(classes="fact", id=f"fact-{fact_id}"):
                    yield Label(label, classes="fact-label")
                    yield Static("", id=f"value-{fact_id}", classes="fact-value", markup=False)
            yield Label("First frame", classes="section-label", id="preview-label")
            yield FramePreview(self.service, self.settings.preview_graphics, id="preview")
            yield Label("Prompt", classes="section-label")
            yield Static("", id="value-prompt", classes="section", markup=False)
            yield Label("Media URLs", classes="section-label")
            yield Static("", id="value-media-urls", classes="section", markup=False)
            yield Label("Metadata", classes="section-label")
            yield Static("", id="value-metadata", classes="section", markup=False)
            yield Label("Status history", classes="section-label")
            yield Static("", id="value-history", classes="section", markup=False)
        with Horizontal(id="download-row"):
            yield Label("Downloading", id="download-label")
            yield ProgressBar(id="download-progress", show_eta=False)
        # ctrl+p still opens the palette; its hint would push "e Edit & resubmit" off an 80-column footer.
        yield KeyFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1.0, self._tick, pause=True)
        #: What the tick last drew, by fact.
        self._ticked: dict[str, str | Content] = {}
        self.show_job()

    # -- showing -------------------------------------------------------------------------

    def show_job(self) -> None:
        """Render every fact of the current job (or say it is gone)."""
        job = self.job
        title = self.query_one("#detail-title", Static)
        if job is None:
            title.update(f"No job {printable(self.local_id)} in the store")
            return
        title.update(
            Content.assemble(
                ("Job ", "bold"),
                (printable(job.request_id or job.local_id), "bold"),
                "  ",
                status_content(job.status),
            )
        )
        for fact_id, value in fact_values(job, self.clock()).items():
            self.query_one(f"#value-{fact_id}", Static).update(value)
        self.query_one("#fact-output-url").display = bool(job.output_url)
        self.query_one("#fact-saved-path").display = bool(job.saved_path)
        self._show_eta()
        succeeded = job.status == JobStatus.SUCCEEDED
        self.query_one("#preview-label").display = succeeded
        preview = self.query_one(FramePreview)
        preview.display = succeeded
        if succeeded:
            preview.show_for(job)
        self.query_one("#fact-download").display = download_problem(job) is not None
        self.query_one("#fact-error").display = bool(job.error_code or job.error_message)
        self.query_one("#fact-last-error").display = bool(job.last_error)
        request = job.request
        self.query_one("#value-prompt", Static).update(printable(request.prompt or "", keep_newlines=True))
        media = "\n".join(printable(url) for url in request.media_urls or []) or "—"
        self.query_one("#value-media-urls", Static).update(media)
        metadata = pretty_json(request.metadata) if request.metadata is not None else "—"
        self.query_one("#value-metadata", Static).update(metadata)
        self.query_one("#value-history", Static).update(history_text(job))
        if self._ticker is not None:
            if job.is_final:
                self._ticker.pause()
            else:
                self._ticker.resume()

    def watch_job(self) -> None:
        self.show_job()

    def _tick(self) -> None:
        """Each second of a live job: its elapsed time, and its polls (a poll that changes nothing is
        not announced, but it is counted on the live job object)."""
        if self.job is not None:
            values = fact_values(self.job, self.clock())
            for key in ("elapsed", "polls", "last-checked"):
                if self._ticked.get(key) != values[key]:  # a calm screen sends no bytes
                    self._ticked[key] = values[key]
                    self.query_one(f"#value-{key}", Static).update(values[key])
            self._show_eta()

    def _show_eta(self) -> None:
        """Time left, for a queued or processing job with enough history behind it."""
        job = self.job
        estimate = self.service.estimate(job, self.clock()) if job is not None else None
        self.query_one("#fact-eta").display = estimate is not None
        if estimate is not None:
            self.query_one("#value-eta", Static).update(long_eta(estimate))

    def on_jobs_changed(self, message: JobsChanged) -> None:
        """Follow our job when the service reports it changed."""
        for job in message.jobs:
            if job.local_id == self.local_id:
                self.job = job

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide actions that do not apply to this job right now (their keys say why: see on_key)."""
        if self.settings.read_only and sends_post(self, action):
            return False
        job = self.job
        if action in ("copy_url", "download"):
            return bool(job and job.output_url and not self.downloading)
        if action == "cancel_job":
            return bool(job and job.is_cancellable)
        if action == "copy_id":
            return bool(job and job.request_id)
        if action in ("refresh", "edit"):
            return job is not None
        return True

    def on_key(self, event: events.Key) -> None:
        """A key whose action does not apply says why (the footer only greys it out)."""
        keys = {b.key: b.action for b in self.BINDINGS if isinstance(b, Binding)}
        action = keys.get(event.key)
        if action is not None and not self.check_action(action, ()):
            event.stop()
            self.notify(self.why_not(action), markup=False)

    def why_not(self, action: str) -> str:
        """Why ``action`` does not apply to this job right now."""
        job = self.job
        if job is None:
            return "This job is no longer in the store."
        if action in ("copy_url", "download"):
            if self.downloading:
                return "The video is being downloaded already."
            status = printable(job.status)
            return f"This job is {status}: only a succeeded job has a video to copy or download."
        if action == "cancel_job":
            return not_cancellable_reason(job) or ""
        return no_request_id_advice(job)

    # -- actions -------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def action_copy_id(self) -> None:
        if self.job and self.job.request_id and self._copy(self.job.request_id, "request id"):
            self.notify(f"Copied request id {printable(self.job.request_id)}", markup=False)

    def action_copy_url(self) -> None:
        if self.job and self.job.output_url and self._copy(self.job.output_url, "output URL"):
            self.notify("Copied the output URL to the clipboard", markup=False)

    def _copy(self, text: str, what: str) -> bool:
        """Copy ``text`` unless it holds control or invisible characters (pasting it could run commands)."""
        if not safe_to_copy(text):
            self.notify(
                f"Not copied: the {what} contains control or invisible characters "
                "(shown escaped above); pasting it could run commands.",
                severity="warning",
                markup=False,
            )
            return False
        self.app.copy_to_clipboard(text)
        return True

    def action_refresh(self) -> None:
        if self.job is not None and self.job.request_id is None:
            self.notify(no_request_id_advice(self.job), markup=False)
            return
        self.service.refresh_soon(self.local_id)
        self.notify("Checking this job now", markup=False, timeout=2)

    def action_frame_strip(self) -> None:
        """Show frames at 0, 25, 50 and 75 % of the video instead of the first one, or back."""
        preview = self.query_one(FramePreview)
        if self.job is None or not preview.display:
            return
        preview.toggle_strip(self.job)
        label = "Frames at 0, 25, 50, 75 %" if preview.strip else "First frame"
        self.query_one("#preview-label", Label).update(label)

    def action_edit(self) -> None:
        from seedance_tui.ui.screens.submit import SubmitScreen  # imported when first opened

        if self.job is not None:
            form = SubmitScreen(
                self.service,
                self.settings,
                prefill=self.job.request,
                warning=self.service.resubmit_warning(self.job),
            )
            self.app.push_screen(form, self._resubmitted)

    def _resubmitted(self, job: Job | None) -> None:
        """Follow the new job once an edited copy was submitted."""
        if job is None:
            return
        self.local_id = job.local_id
        self.job = self.service.get(job.local_id) or job
        self.notify(f"Submitted as {printable(job.request_id or job.local_id)}", markup=False)

    def action_cancel_job(self) -> None:
        from seedance_tui.ui.screens.cancel import CancelDialog  # imported when first opened

        if self.job is not None and self.job.is_cancellable:
            self.app.push_screen(CancelDialog(self.service, self.local_id), self._cancel_done)

    def _cancel_done(self, outcome: CancelOutcome | None) -> None:
        if outcome is None:
            return
        self.job = self.service.get(self.local_id) or outcome.job
        self.notify(printable(outcome.message), markup=False)

    def action_download(self) -> None:
        if self.job is None or not self.job.output_url or self.downloading:
            return
        self.downloading = True
        self._download()

    def watch_downloading(self, downloading: bool) -> None:
        """The progress row shows while the video is saved, starting from nothing."""
        if downloading:
            self.query_one("#download-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#download-row").display = downloading

    def _on_progress(self, done: int, total: int | None) -> None:
        self.query_one("#download-progress", ProgressBar).update(total=total, progress=done)

    @work(exclusive=True, group="download", exit_on_error=False)
    async def _download(self) -> None:
        """Save the video into the download folder, showing progress; failures are shown plainly."""
        try:
            path = await self.service.download(self.local_id, self.settings.download_dir, self._on_progress)
        except Exception as exc:  # any failure is reported, the screen stays usable
            self.notify(f"Download failed: {printable(str(exc))}", severity="error", markup=False)
        else:
            self.notify(f"Saved {printable(str(path))}", title="Downloaded", markup=False, timeout=8)
        finally:
            self.downloading = False
