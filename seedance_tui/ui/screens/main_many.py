"""The main screen's actions on many jobs: marked rows, bulk cancel/download/re-run, export, batch
files and tracking request ids. Work runs in workers on the screen; the UI never waits on it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.screen import Screen

from seedance_tui.config import Settings
from seedance_tui.models import Job
from seedance_tui.service import JobService
from seedance_tui.text import one_line, printable
from seedance_tui.ui.widgets.job_table import JobTable

if TYPE_CHECKING:
    from seedance_tui.service import JobResult, LineResult, SendPlan

# The bulk, batch, tracking and export code loads when first used, not before the first paint (issue 15).

#: Per-job problems listed in a bulk action's closing message.
SHOWN_PROBLEMS = 5

BulkAction = Callable[[Sequence[str], Callable[[int, int], None]], Awaitable[list["JobResult"]]]


class ManyJobsScreen(Screen[None]):
    """Base of the main screen: what acts on the marked rows (or the row under the cursor)."""

    BINDINGS = [
        Binding("d", "download_jobs", "Download", show=False, id="download"),
        Binding("R", "rerun_jobs", "Re-run", show=False, id="rerun"),
        Binding("x", "export_view", "Export", show=False, id="export"),
        Binding("B", "batch_file", "Batch file", show=False, id="batch_file"),
    ]

    service: JobService
    settings: Settings
    #: What the background bulk work is doing ("" when idle), shown in the filter bar.
    bulk_progress: var[str] = var("", init=False)

    def __init__(self) -> None:
        super().__init__()
        #: The per-job results of the last bulk action (what its message summarised).
        self.last_results: list[JobResult] | list[LineResult] = []

    def _jobs_table(self) -> JobTable:
        return self.query_one(JobTable)

    def _targets(self) -> list[Job]:
        """The marked jobs, or else the one under the cursor."""
        table = self._jobs_table()
        if table.marks:
            return table.marked_jobs
        return [table.selected] if table.selected is not None else []

    # -- cancel ------------------------------------------------------------------------

    def cancel_marked(self) -> None:
        """One confirmation for every marked job, naming what it would touch."""
        from seedance_tui.service import cancel_many, plan_cancel
        from seedance_tui.ui.screens.dialogs import ConfirmDialog  # dialogs load when first shown (issue 15)

        jobs = self._jobs_table().marked_jobs
        plan = plan_cancel(jobs)
        if not plan.cancellable:
            self.notify(f"None of the {plan.total} marked jobs is queued or processing.", markup=False)
            return
        body = (
            f"{plan.total} marked; {plan.cancellable} still cancellable (queued or processing), "
            f"{plan.credits:,} credits charged for those.\nThe others are left as they are."
        )
        ids = [job.local_id for job in jobs]

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_bulk("Cancelling", ids, lambda i, p: cancel_many(self.service, i, p))

        self.app.push_screen(ConfirmDialog(f"Cancel {plan.cancellable} jobs?", body, "Cancel them"), answered)

    # -- download ----------------------------------------------------------------------

    def action_download_jobs(self) -> None:
        """Save the output of every marked job (or the selected one) into the download folder."""
        from seedance_tui.service import download_many

        jobs = [job for job in self._targets() if job.output_url]
        if not jobs:
            self.notify("No marked or selected job has an output video yet.", markup=False)
            return
        folder = self.settings.download_dir
        ids = [job.local_id for job in jobs]
        self._run_bulk("Downloading", ids, lambda i, p: download_many(self.service, i, folder, p), folder)

    # -- re-run ------------------------------------------------------------------------

    def action_rerun_jobs(self) -> None:
        """The form prefilled from the selected job; with rows marked, re-submit them all."""
        from seedance_tui.service import rerun_credits, rerun_many

        table = self._jobs_table()
        if not table.marks:
            job = table.selected
            if job is None:
                self.notify("No job selected.", severity="warning")
                return
            from seedance_tui.ui.screens.submit import SubmitScreen  # imported when first opened

            form = SubmitScreen(self.service, self.settings, prefill=job.request, rerun_of=job.local_id)
            self.app.push_screen(form, self._rerun_submitted)
            return
        jobs = table.marked_jobs
        ids = [job.local_id for job in jobs]
        body = (
            f"Each of the {len(jobs)} marked jobs is submitted again as a new job "
            f"(estimated {rerun_credits(jobs):,} credits in all). Each new job records its source."
        )

        from seedance_tui.ui.screens.dialogs import ConfirmDialog  # loads when first shown (issue 15)

        def answered(yes: bool | None) -> None:
            if yes:
                self._run_bulk("Re-running", ids, lambda i, p: rerun_many(self.service, i, p))

        self.app.push_screen(ConfirmDialog(f"Re-run {len(jobs)} jobs?", body, "Submit them"), answered)

    def _rerun_submitted(self, job: Job | None) -> None:
        if job is not None:
            self._jobs_table().apply([job])
            self._jobs_table().select(job.local_id)

    # -- export ------------------------------------------------------------------------

    def action_export_view(self) -> None:
        """The marked rows, or every row of the current view, as CSV in the download folder."""
        table = self._jobs_table()
        jobs = table.marked_jobs if table.marks else list(table.model.rows)
        if not jobs:
            self.notify("Nothing to export: no rows shown.", markup=False)
            return
        self._export(jobs, "marked" if table.marks else "shown")

    @work(group="export", exit_on_error=False)
    async def _export(self, jobs: list[Job], which: str) -> None:
        from seedance_tui.service import export_to_file

        folder = self.settings.download_dir
        path = _free_name(folder, f"seedance-jobs-{time.strftime('%Y%m%d-%H%M%S')}", ".csv")
        try:
            count = await asyncio.to_thread(export_to_file, jobs, "csv", path)
        except OSError as exc:
            self.notify(f"Export failed: {exc}", severity="error", markup=False)
            return
        self.notify(f"Exported {count:,} {which} job(s) to {path}", title="Export", markup=False)

    # -- batch files and tracking --------------------------------------------------------

    def action_batch_file(self) -> None:
        from seedance_tui.ui.screens.batch import BatchScreen  # imported when first opened

        self.app.push_screen(BatchScreen(self.service), self._send_batch)

    def _send_batch(self, send: SendPlan | None) -> None:
        if send is not None and send.to_send:
            self._run_batch(send)

    @work(group="bulk", exit_on_error=False)
    async def _run_batch(self, send: SendPlan) -> None:
        from seedance_tui.service import BatchRunner

        total, done = len(send.to_send), 0

        def progress(_result: LineResult) -> None:
            nonlocal done
            done += 1
            self.bulk_progress = f"batch {done}/{total}"

        runner = BatchRunner(self.service, on_result=progress)
        self.bulk_progress = f"batch 0/{total}"
        try:
            results = await runner.run(send)
        finally:
            self.bulk_progress = ""
        self.last_results = results
        outcomes: dict[str, int] = {}
        for result in results:
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        elsewhere = outcomes.pop("skipped", 0)
        text = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())) or "nothing"
        skipped = f"; {len(send.skipped)} skipped (already in the store)" if send.skipped else ""
        if elsewhere:
            skipped += f"; {elsewhere} skipped (being sent by another process or machine)"
        ok = all(result.ok for result in results)
        self.notify(
            f"Batch sent: {text}{skipped}.",
            title="Batch",
            severity="information" if ok else "warning",
            markup=False,
        )

    def action_track_id(self) -> None:
        from seedance_tui.ui.screens.dialogs import AskDialog  # loads when first shown (issue 15)

        self.app.push_screen(AskDialog("Track request id", "req_…"), self._track)

    def _track(self, request_id: str | None) -> None:
        if request_id:
            self._track_worker(request_id)

    @work(group="track", exit_on_error=False)
    async def _track_worker(self, request_id: str) -> None:
        from seedance_tui.service import TrackResult, track

        outcome = await track(self.service, request_id)
        failed = outcome.result in (TrackResult.NOT_FOUND, TrackResult.ERROR)
        severity: SeverityLevel = "error" if failed else "information"
        message = f"{printable(request_id)}: {outcome.message}"
        self.notify(message, title="Track", severity=severity, markup=False)
        if outcome.job is not None:
            self._jobs_table().apply([outcome.job])
            self._jobs_table().select(outcome.job.local_id)

    # -- running bulk work ---------------------------------------------------------------

    def _run_bulk(self, verb: str, ids: list[str], action: BulkAction, folder: Path | None = None) -> None:
        self._bulk_worker(verb, ids, action, folder)

    @work(group="bulk", exit_on_error=False)
    async def _bulk_worker(self, verb: str, ids: list[str], action: BulkAction, folder: Path | None) -> None:
        from seedance_tui.service import summarize

        def progress(done: int, total: int) -> None:
            self.bulk_progress = f"{verb.lower()} {done}/{total}"

        progress(0, len(ids))
        try:
            results = await action(ids, progress)
        finally:
            self.bulk_progress = ""
        self.last_results = results
        problems = [r for r in results if r.result != "done"]
        lines = [f"{verb} done: {summarize(results)}."]
        if folder is not None:
            lines.append(f"Saved in {folder}")
        for result in problems[:SHOWN_PROBLEMS]:
            job = self.service.get(result.local_id)
            name = (job.request_id or job.local_id) if job else result.local_id
            lines.append(f"{name}: {result.result}: {one_line(result.message, 120)}")
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(f"… and {len(problems) - SHOWN_PROBLEMS} more")
        failed = any(r.result == "failed" for r in results)
        self.notify(
            "\n".join(lines),
            title=verb,
            severity="warning" if failed else "information",
            timeout=12,
            markup=False,
        )


def _free_name(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem.suffix``, or with ``-2``, ``-3``… when taken."""
    path, n = folder / f"{stem}{suffix}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path
