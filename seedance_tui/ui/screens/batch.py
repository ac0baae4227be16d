"""Submit a batch file from the dashboard: choose it, see every expanded job, its errors and the
credits, then confirm. The file is read and checked in a worker thread (10,000 lines stay smooth)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Log, Static

from seedance_tui.service import (
    BatchFileError,
    BatchPlan,
    JobService,
    SendPlan,
    describe_plan,
    looks_like_csv,
    parse_matrix,
    plan_batch,
    plan_line,
    read_source,
    sort_plan,
)
from seedance_tui.text import printable
from seedance_tui.ui.styles import style_path

#: Lines of the preview list; past this the preview says how many more there are.
PREVIEW_LINES = 2_000


@dataclass(frozen=True)
class BatchPreview:
    """What reading the file gave: a plan to send, or the problems that stop it."""

    plan: BatchPlan | None
    send: SendPlan | None
    problems: list[str]


def preview_batch(service: JobService, path: str, matrix_text: str) -> BatchPreview:
    """Read, expand and check the file and sort it against the store (runs in a thread)."""
    try:
        matrix = parse_matrix(shlex.split(matrix_text))
        text = read_source(path)
        plan = plan_batch(text, matrix, is_csv=looks_like_csv(path, text))
    except (BatchFileError, ValueError) as exc:
        return BatchPreview(None, None, [str(exc)])
    if plan.errors:
        return BatchPreview(plan, None, [str(error) for error in plan.errors])
    if not plan.jobs:
        return BatchPreview(plan, None, ["The file holds no jobs (only blank or # comment lines)."])
    return BatchPreview(plan, sort_plan(plan, service.jobs_for_batch(job.key for job in plan.jobs)), [])


class BatchScreen(ModalScreen[SendPlan | None]):
    """Chooses and previews a batch file; dismisses with what to send once the user confirms."""

    CSS_PATH = style_path("dialogs.tcss")
    BINDINGS = [
        Binding("escape", "close", "Close", id="close_dialog"),
        Binding("ctrl+s,f5", "send", "Send", id="send_batch"),
    ]

    #: The checked file (None before one is, and while it is read): what Send sends.
    preview: var[BatchPreview | None] = var(None, init=False)

    def __init__(self, service: JobService, path: str = "") -> None:
        super().__init__()
        self.service = service
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="batch-box"):
            yield Label("Submit a batch file", classes="dialog-title")
            yield Input(self.path, placeholder="path of a .jsonl or .csv file", id="batch-path")
            yield Input(
                placeholder="matrix (optional): model=seedance-2.0,seedance-2.0-fast", id="batch-matrix"
            )
            yield Static("enter: preview · ctrl+s: send · escape: close", id="batch-summary", markup=False)
            yield Log(id="batch-preview", max_lines=PREVIEW_LINES + 10)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Preview", id="preview-button", compact=True)
                yield Button("Send", id="send-button", variant="warning", compact=True, disabled=True)
                yield Button("Close", id="close-button", compact=True)

    def on_mount(self) -> None:
        self.query_one("#batch-path", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#preview-button")
    def action_preview(self) -> None:
        path = self.query_one("#batch-path", Input).value.strip()
        if not path:
            self._summary("Give the path of a batch file.", error=True)
            return
        self.preview = None
        self._summary("Reading and checking the file…", error=False)
        self._load(path, self.query_one("#batch-matrix", Input).value)

    @work(thread=True, exclusive=True, group="batch-preview", exit_on_error=False)
    def _load(self, path: str, matrix_text: str) -> None:
        preview = preview_batch(self.service, path, matrix_text)
        lines = self._lines(preview)
        self.app.call_from_thread(self._show, preview, lines)

    @staticmethod
    def _lines(preview: BatchPreview) -> list[str]:
        if preview.problems:
            shown = [printable(problem) for problem in preview.problems[:PREVIEW_LINES]]
        else:
            assert preview.plan is not None
            shown = [printable(plan_line(job)) for job in preview.plan.jobs[:PREVIEW_LINES]]
        total = len(preview.problems) if preview.problems else len(preview.plan.jobs if preview.plan else [])
        if total > PREVIEW_LINES:
            shown.append(f"… and {total - PREVIEW_LINES:,} more")
        return shown

    def _show(self, preview: BatchPreview, lines: list[str]) -> None:
        self.preview = preview
        log = self.query_one("#batch-preview", Log)
        log.clear()
        log.write_lines(lines)
        log.scroll_home(animate=False)
        if preview.problems or preview.plan is None or preview.send is None:
            self._summary(f"{len(preview.problems):,} problem(s); nothing can be sent.", error=True)
        else:
            self._summary(describe_plan(preview.plan, preview.send), error=False)

    def watch_preview(self, preview: BatchPreview | None) -> None:
        """Send is offered, with its count, only for a checked file that has something to send."""
        send = self.query_one("#send-button", Button)
        if preview is None or preview.problems or preview.plan is None or preview.send is None:
            send.disabled = True
            return
        count = len(preview.send.to_send)
        send.label = f"Send {count:,} job(s)"
        send.disabled = count == 0

    def _summary(self, text: str, *, error: bool) -> None:
        summary = self.query_one("#batch-summary", Static)
        summary.update(printable(text, keep_newlines=True))
        summary.set_class(error, "-error")

    @on(Button.Pressed, "#send-button")
    def action_send(self) -> None:
        """Confirmed: hand the plan to the main screen, which sends it in the background."""
        preview = self.preview
        if preview is not None and preview.send is not None and preview.send.to_send:
            self.dismiss(preview.send)

    @on(Button.Pressed, "#close-button")
    def action_close(self) -> None:
        self.dismiss(None)
