"""Confirm cancelling a job, do it, and show plainly what came of it."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from seedance_tui.models import Job
from seedance_tui.service import CancelOutcome, CancelResult, JobService, not_cancellable_reason
from seedance_tui.text import one_line, printable
from seedance_tui.ui.messages import JobsChanged
from seedance_tui.ui.styles import style_path
from seedance_tui.ui.widgets.job_text import status_content

PROMPT_EXCERPT = 56


def job_summary(job: Job) -> Content:
    """What is about to be cancelled, one fact a line."""
    facts: list[tuple[str, str | Content]] = [
        ("Job", printable(job.request_id or job.local_id)),
        ("Model", printable(job.request.model)),
        ("Status", status_content(job.status)),
        ("Credits", "—" if job.credits_charged is None else str(job.credits_charged)),
        ("Prompt", one_line(job.request.prompt or "", PROMPT_EXCERPT)),
    ]
    lines = [Content.assemble((f"{name:<9}", "$text-muted"), value) for name, value in facts]
    return Content("\n").join(lines)


class CancelDialog(ModalScreen[CancelOutcome | None]):
    """Asks before cancelling; closes itself on success, shows a failure until the user closes it."""

    CSS_PATH = style_path("cancel.tcss")
    BINDINGS = [
        Binding("y", "confirm", "Cancel job", id="confirm_cancel"),
        Binding("n", "close", "Keep it", id="keep_job"),
        Binding("escape", "close", "Close", id="close_dialog"),
    ]

    #: The cancel request is on its way (the dialog cannot be left meanwhile).
    in_flight: var[bool] = var(False, init=False)
    #: What came of the request, once it is known.
    outcome: var[CancelOutcome | None] = var(None, init=False)

    def __init__(self, service: JobService, local_id: str) -> None:
        super().__init__()
        self.service = service
        self.local_id = local_id

    def compose(self) -> ComposeResult:
        with Vertical(id="cancel-box"):
            yield Label("Cancel this job?", id="cancel-title")
            yield Static("", id="cancel-summary", markup=False)
            yield Static("", id="cancel-message", markup=False)
            with Horizontal(id="cancel-buttons"):
                yield Button("Cancel job (y)", id="confirm-button", variant="error", compact=True)
                yield Button("Keep it (n)", id="keep-button", compact=True)
                yield Button("Close", id="close-button", compact=True)

    def on_mount(self) -> None:
        self._show_state()

    # Either change redraws the whole dialog: it is a handful of widgets.
    def watch_in_flight(self) -> None:
        self._show_state()

    def watch_outcome(self) -> None:
        self._show_state()

    def _show_state(self) -> None:
        """Offer to cancel, or explain why not, or show the result."""
        job = self.service.get(self.local_id)
        if job is not None:
            self.query_one("#cancel-summary", Static).update(job_summary(job))
        reason = None if self.outcome or self.in_flight else not_cancellable_reason(job)
        message = self.query_one("#cancel-message", Static)
        if self.outcome is not None:
            ok = self.outcome.result == CancelResult.CANCELLED
            self.query_one("#cancel-title", Label).update("Cancelled" if ok else "Not cancelled")
            message.update(printable(self.outcome.message))
            message.set_classes("-success" if ok else "-error")
        elif reason is not None:
            self.query_one("#cancel-title", Label).update("Cannot cancel this job")
            message.update(reason)
            message.set_classes("-error")
        elif self.in_flight:
            message.update("Cancelling…")
            message.set_classes("-busy")
        done = self.outcome is not None or reason is not None
        self.query_one("#confirm-button", Button).display = not done
        self.query_one("#confirm-button", Button).disabled = self.in_flight
        self.query_one("#keep-button", Button).display = not done
        self.query_one("#keep-button", Button).disabled = self.in_flight
        self.query_one("#close-button", Button).display = done
        (self.query_one("#close-button") if done else self.query_one("#confirm-button")).focus()

    def on_jobs_changed(self, message: JobsChanged) -> None:
        """Keep the summary current (a job may finish while the dialog is open)."""
        if any(job.local_id == self.local_id for job in message.jobs):
            self._show_state()

    @on(Button.Pressed, "#confirm-button")
    def action_confirm(self) -> None:
        """Send the cancel request, once."""
        if self.in_flight or self.outcome is not None:
            return
        if not_cancellable_reason(self.service.get(self.local_id)) is not None:
            self._show_state()  # it finished meanwhile: say why it cannot be cancelled now
            return
        self.in_flight = True
        self._cancel()

    @on(Button.Pressed, "#keep-button, #close-button")
    def action_close(self) -> None:
        """Leave: with the outcome once there is one; never while the request is in flight."""
        if not self.in_flight:
            self.dismiss(self.outcome)

    @work(exclusive=True, group="cancel", exit_on_error=False)
    async def _cancel(self) -> None:
        try:
            self.outcome = await self.service.cancel(self.local_id)
        except Exception as exc:  # shown, never swallowed: the user must know it did not happen
            job = self.service.get(self.local_id)
            if job is None:
                raise
            self.outcome = CancelOutcome(job, CancelResult.ERROR, f"Cancel failed: {exc}")
        finally:
            self.in_flight = False
        if self.outcome is not None and self.outcome.result == CancelResult.CANCELLED:
            self.dismiss(self.outcome)  # done: the table and the app's notice report it
