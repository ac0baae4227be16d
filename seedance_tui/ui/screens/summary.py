"""The summary on ``t``: jobs by status, credits and outcomes per model, finishes per hour, problems."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Label, Sparkline, Static

from seedance_tui.models import JobStatus
from seedance_tui.service import PROBLEMS, HistoryTotals, JobService, StoreError, Summary
from seedance_tui.text import one_line
from seedance_tui.ui.messages import JobsChanged
from seedance_tui.ui.styles import style_path
from seedance_tui.ui.widgets.job_rows import STATUS_LABELS, format_duration
from seedance_tui.ui.widgets.key_footer import KeyFooter

#: Live updates redraw at most this often (a summary of 10,000 jobs takes ~10 ms to compute).
REFRESH_SECONDS = 2.0

_PROBLEM_WORDS = {
    JobStatus.REJECTED: "rejected",
    JobStatus.OUTCOME_UNKNOWN: "outcome unknown",
    JobStatus.NOT_FOUND: "not found",
    "expired": "expired outputs",
}


def status_line(summary: Summary) -> Text:
    """``◌ 3 queued  ◐ 2 processing  ✔ 40 succeeded …`` (every status present, symbol first)."""
    text = Text(no_wrap=False)
    for status, (symbol, label) in STATUS_LABELS.items():
        count = summary.by_status.get(status, 0)
        if count or status in (JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.SUCCEEDED, JobStatus.FAILED):
            text.append(f"{symbol} {count:,} {label}  ")
    return text


def models_table(summary: Summary) -> str:
    """A fixed-width table: credits today / this week / total, failed+cancelled, success, median."""
    header = f"{'MODEL':<17}{'TODAY':>7}{'WEEK':>7}{'TOTAL':>8}{'FAIL/CX':>8}{'OK %':>6}{'MEDIAN':>8}"
    lines = [header]
    for name, m in summary.models.items():
        rate = "-" if m.success_rate is None else f"{m.success_rate * 100:.0f}"
        typical = "-" if m.median_seconds is None else format_duration(m.median_seconds)
        lines.append(
            f"{one_line(name, 16):<17}{m.credits_today:>7,}{m.credits_week:>7,}{m.credits_total:>8,}"
            f"{m.credits_failed_cancelled:>8,}{rate:>6}{typical:>8}"
        )
    if not summary.models:
        lines.append("(no jobs yet)")
    return "\n".join(lines)


def problems_line(summary: Summary) -> str:
    parts = [f"{summary.problems.get(kind, 0)} {_PROBLEM_WORDS[kind]}" for kind in PROBLEMS]
    hint = " — press 6 to list them" if sum(summary.problems.values()) else ""
    return "Problems: " + ", ".join(parts) + hint


class SummaryScreen(Screen[str | None]):
    """Live figures over every stored job; dismissed with ``"problems"`` to filter the table."""

    CSS_PATH = style_path("summary.tcss")
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("q,t", "back", "Back", show=False),
        Binding("6", "problems", "List problems"),
    ]

    def __init__(self, service: JobService, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.service = service
        self.clock = clock
        self._refresh_armed = False

    def compose(self) -> ComposeResult:
        yield Static("Summary", id="summary-title", markup=False)
        yield Static("", id="summary-status", markup=False)
        yield Label("Finished per hour, last 24 h", id="per-hour-label", markup=False)
        yield Sparkline([0] * 24, id="per-hour", summary_function=max)
        yield Static("", id="summary-models", markup=False)
        yield Static("", id="summary-problems", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show()
        self._count_history()

    @work(thread=True, group="history-totals", exit_on_error=False)
    def _count_history(self) -> None:
        """The history (jobs not held in memory) is added up off the UI loop, then counted in."""
        try:
            totals = self.service.count_history()
        except StoreError as exc:
            self.app.call_from_thread(self._history_failed, exc)
            return
        self.app.call_from_thread(self._history_counted, totals)

    def _history_counted(self, totals: HistoryTotals) -> None:
        if totals.jobs:
            self.query_one("#summary-title", Static).update(
                f"Summary, with {totals.jobs:,} older job(s) from the archive "
                f"(counted in {totals.seconds * 1000:,.0f} ms)"
            )
        self.show()

    def _history_failed(self, error: StoreError) -> None:
        self.query_one("#summary-title", Static).update(f"Summary (older jobs not counted: {error})")

    def show(self) -> None:
        """Compute the figures from the store and draw them."""
        self._refresh_armed = False
        summary = self.service.summary(self.clock())
        self.query_one("#summary-status", Static).update(status_line(summary))
        peak = max(summary.finished_per_hour)
        total = sum(summary.finished_per_hour)
        self.query_one("#per-hour-label", Label).update(
            f"Finished per hour, last 24 h: {total:,} (busiest hour {peak:,})"
        )
        self.query_one("#per-hour", Sparkline).data = summary.finished_per_hour
        self.query_one("#summary-models", Static).update(models_table(summary))
        self.query_one("#summary-problems", Static).update(problems_line(summary))

    def on_jobs_changed(self, message: JobsChanged) -> None:
        if not self._refresh_armed:
            self._refresh_armed = True
            self.set_timer(REFRESH_SECONDS, self.show)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_problems(self) -> None:
        self.dismiss("problems")
