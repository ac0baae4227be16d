"""The main screen: status bar, live job table, filter line, search box and footer."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from seedance_tui.config import Settings
from seedance_tui.models import Job
from seedance_tui.service import JobService
from seedance_tui.ui.messages import HealthChanged, JobsChanged, RoleChanged
from seedance_tui.ui.screens.cancel import CancelDialog
from seedance_tui.ui.styles import style_path
from seedance_tui.ui.widgets.job_rows import FILTERS
from seedance_tui.ui.widgets.job_table import JobTable
from seedance_tui.ui.widgets.status_bar import StatusBar

#: Key, full label, short label (for narrow terminals) of each status filter.
FILTER_KEYS: dict[str, tuple[str, str]] = {
    "all": ("a", "all"),
    "queued": ("1", "queued"),
    "processing": ("2", "proc"),
    "succeeded": ("3", "done"),
    "failed": ("4", "failed"),
    "cancelled": ("5", "cancel"),
    "problems": ("6", "problems"),
}


class MainScreen(Screen[None]):
    """Every job at a glance; keys act on the job under the cursor."""

    CSS_PATH = style_path("main.tcss")
    BINDINGS = [
        Binding("n", "new_job", "New"),
        Binding("c", "cancel_job", "Cancel"),
        Binding("r", "refresh_job", "Refresh"),
        Binding("slash", "search", "Search"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False),
        Binding("escape", "clear_search", "Clear search", show=False),
        *(
            Binding(key, f"filter('{name}')", f"Show {name}", show=False)
            for name, (key, _) in FILTER_KEYS.items()
        ),
    ]

    def __init__(
        self, service: JobService, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        self._clock = clock

    def compose(self) -> ComposeResult:
        yield StatusBar(
            self.settings.base_url, demo=self.settings.demo, health=self.service.health, clock=self._clock
        )
        yield JobTable(clock=self._clock, id="jobs")
        yield Static(id="filter-bar", markup=False)
        yield Input(placeholder="search prompt or id…", id="search")
        yield Footer()

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    def on_mount(self) -> None:
        jobs = self.service.jobs()
        self.table.load(jobs)
        self.query_one(StatusBar).update_jobs(jobs)
        self.query_one("#search", Input).display = False
        self.table.focus()

    # -- live updates --------------------------------------------------------------------

    def on_jobs_changed(self, message: JobsChanged) -> None:
        self.table.apply(message.jobs)
        self.query_one(StatusBar).update_jobs(message.jobs)

    def on_health_changed(self, message: HealthChanged) -> None:
        self.query_one(StatusBar).set_health(message.state)

    def on_role_changed(self, message: RoleChanged) -> None:
        self.query_one(StatusBar).set_role(message.state)

    @on(JobTable.ViewChanged)
    def _update_filter_bar(self) -> None:
        bar = self.query_one("#filter-bar", Static)
        model = self.table.model
        wide = self.size.width >= 110
        text = Text(no_wrap=True, overflow="ellipsis")
        for name, (key, short) in FILTER_KEYS.items():
            label = name if wide else short
            click = Style.from_meta({"@click": f"screen.filter('{name}')"})
            active = Style(reverse=True, bold=True) if name == model.filter_name else Style()
            text.append(f" {key} ", Style(bold=True) + click)
            text.append(label, active + click)
            text.append(" ")
        arrow = "▼" if model.sort_reverse else "▲"
        text.append(f"│ {len(model.rows):,}/{len(model.jobs):,} · {model.sort_column}{arrow}")
        bar.update(text)

    def on_resize(self) -> None:
        self._update_filter_bar()

    # -- actions -------------------------------------------------------------------------

    def action_filter(self, name: str) -> None:
        """Show only jobs of one status group."""
        if name in FILTERS:
            self.table.set_filter(name)

    def action_cycle_sort(self) -> None:
        self.table.cycle_sort()

    def action_reverse_sort(self) -> None:
        self.table.reverse_sort()

    def action_sort(self, column: str) -> None:
        """Sort by one column (from the command palette)."""
        self.table.sort_by(column)

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        self.table.set_search("")
        self.table.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.table.set_search(event.value)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.table.focus()

    def _selected(self) -> Job | None:
        job = self.table.selected
        if job is None:
            self.notify("No job selected.", severity="warning")
        return job

    def action_new_job(self) -> None:
        # Imported when first opened: the form's widgets (TextArea, Select) are not needed to paint.
        from seedance_tui.ui.screens.submit import SubmitScreen

        self.app.push_screen(SubmitScreen(self.service, self.settings), self._submitted)

    def _submitted(self, job: Job | None) -> None:
        if job is None:
            return
        self.table.apply([job])
        if not self.table.select(job.local_id):
            self.table.set_filter("all")
            self.action_clear_search()
            self.table.select(job.local_id)

    def action_refresh_job(self) -> None:
        job = self._selected()
        if job is None:
            return
        if job.request_id is None:
            self.notify("This job has no request id: there is nothing to ask the API about.", markup=False)
            return
        self.service.refresh_soon(job.local_id)
        self.notify("Refreshing…", timeout=1.5)

    def action_cancel_job(self) -> None:
        job = self._selected()
        if job is None:
            return
        if not job.is_cancellable:
            reason = f"it is {job.status}" if job.request_id else "it has no request id"
            self.notify(f"Only queued or processing jobs can be cancelled: {reason}.", markup=False)
            return
        # The dialog shows the outcome itself; a cancelled job is announced by the app.
        self.app.push_screen(CancelDialog(self.service, job.local_id))

    def action_detail(self) -> None:
        job = self._selected()
        if job is not None:
            self._push_detail(job.local_id)

    @on(JobTable.Activated)
    def _open_detail(self, event: JobTable.Activated) -> None:
        self._push_detail(event.local_id)

    def _push_detail(self, local_id: str) -> None:
        from seedance_tui.ui.screens.detail import DetailScreen  # imported when first opened

        self.app.push_screen(DetailScreen(self.service, self.settings, local_id))
