"""The main screen: status bar, live job table, filter line, search box and footer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import var
from textual.widgets import Input, Static

from seedance_tui.config import Settings
from seedance_tui.models import Job
from seedance_tui.service import JobService, QueryError, not_cancellable_reason, short_eta
from seedance_tui.ui.keymap import keys_for, sends_post
from seedance_tui.ui.messages import HealthChanged, JobsChanged, RoleChanged
from seedance_tui.ui.screens.main_history import HistoryScreen
from seedance_tui.ui.styles import style_path
from seedance_tui.ui.views_ui import ViewController, ViewNameDialog
from seedance_tui.ui.widgets.job_rows import FILTERS
from seedance_tui.ui.widgets.job_table import JobTable
from seedance_tui.ui.widgets.job_text import no_request_id_advice
from seedance_tui.ui.widgets.key_footer import KeyFooter
from seedance_tui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from seedance_tui.ui.widgets.detail_panel import DetailPanel

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


#: Seconds between re-evaluations of a query with an ``age:`` term.
AGE_QUERY_REFRESH = 30.0
#: The split view (detail beside the table) needs at least this many columns.
SPLIT_MIN_WIDTH = 150


class MainScreen(HistoryScreen):
    """Every job at a glance; keys act on the job under the cursor, or on the marked jobs."""

    CSS_PATH = style_path("main.tcss")
    BINDINGS = [
        Binding("n", "new_job", "New", id="new_job"),
        Binding("c", "cancel_job", "Cancel", id="cancel_job"),
        Binding("r", "refresh_job", "Refresh", id="refresh"),
        Binding("slash", "search", "Search", id="search"),
        Binding("s", "cycle_sort", "Sort", id="sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="reverse_sort"),
        Binding("escape", "clear_search", "Clear search", show=False, id="clear_search"),
        Binding("o", "choose_columns", "Columns", show=False, id="columns"),
        Binding("right_square_bracket", "step_view(1)", "Next view", show=False, id="next_view"),
        Binding("left_square_bracket", "step_view(-1)", "Previous view", show=False, id="previous_view"),
        Binding("v", "toggle_split", "Split view", show=False, id="split_view"),
        Binding("t", "summary", "Summary", show=False, id="summary"),
        *(
            Binding(key, f"filter('{name}')", f"Show {name}", show=False, id=f"filter_{name}")
            for name, (key, _) in FILTER_KEYS.items()
        ),
    ]

    #: The user's wish for the split view; it shows only when the terminal is wide enough.
    split_wanted: var[bool] = var(True, init=False)

    def __init__(
        self, service: JobService, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__()
        self.service = service
        self.settings = settings
        self._clock = clock

    def compose(self) -> ComposeResult:
        yield StatusBar(
            self.settings.base_url,
            demo=self.settings.demo,
            read_only=self.settings.read_only,
            profile=self.settings.profile,
            health=self.service.health,
            clock=self._clock,
        )
        with Horizontal(id="split"):  # the split view's DetailPanel joins it when first shown
            yield JobTable(clock=self._clock, id="jobs")
        yield Static(id="filter-bar", markup=False)
        if self.service.downloads is not None:  # automatic downloads are switched on at launch or never
            from seedance_tui.ui.widgets.download_status import DownloadStatus

            yield DownloadStatus(self.service, id="downloads")
        yield KeyFooter()

    def _search_box(self) -> Input:
        """The search box, with the query's error line above it: composed when first needed, so a
        screen that is never searched neither styles nor mounts them before its first paint."""
        search = self.query_one_optional("#search", Input)
        if search is None:
            from seedance_tui.ui.widgets.search_box import SearchBox

            error = Static(id="query-error", markup=False)
            hint = "search: words, status:failed, model:2.0, age:<1h, -status:cancelled…"
            search = SearchBox(placeholder=hint, id="search")
            error.display = search.display = False
            self.mount(error, search, after="#filter-bar")
        return search

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    def on_mount(self) -> None:
        jobs = self.service.jobs()
        self.table.unsaved_after = self.settings.output_expiry_hours * 3600
        self.table.eta_text = lambda job, now: short_eta(self.service.estimate(job, now))
        self.table.load(jobs)
        self._update_filter_bar()  # in the first frame (the table's ViewChanged arrives after it)
        self.query_one(StatusBar).update_jobs(jobs)
        self.table.empty_hint = self._empty_hint()
        self.views = ViewController(self)
        self.views.start()
        self.set_interval(AGE_QUERY_REFRESH, self._refresh_age_query)
        self._layout_split()
        self.table.focus()

    # -- live updates --------------------------------------------------------------------

    def on_jobs_changed(self, message: JobsChanged) -> None:
        self.table.apply(message.jobs)
        self.query_one(StatusBar).update_jobs(message.jobs)
        panel = self._panel()
        if panel is not None and panel.display and panel.job is not None:
            shown = panel.job.local_id
            if any(job.local_id == shown for job in message.jobs):
                panel.follow(self.table.selected)

    # -- split view ----------------------------------------------------------------------

    @property
    def split_shown(self) -> bool:
        panel = self._panel()
        return panel is not None and panel.display

    def _panel(self) -> DetailPanel | None:
        """The split view's panel, once it was first shown (its module loads with it)."""
        return cast("DetailPanel | None", self.query_one_optional("#detail-panel"))

    def watch_split_wanted(self) -> None:
        self._layout_split()

    def _layout_split(self) -> None:
        panel = self._panel()
        shown = self.split_wanted and self.size.width >= SPLIT_MIN_WIDTH
        if panel is None:
            if shown:  # composed when first shown: narrow terminals never style or mount it
                from seedance_tui.ui.widgets.detail_panel import DetailPanel

                panel = DetailPanel(self.service, clock=self._clock, id="detail-panel")
                panel.job = self.table.selected  # shown once mounted
                self.query_one("#split").mount(panel)
        elif shown != panel.display:
            panel.display = shown
            if shown:
                panel.follow(self.table.selected)

    @on(JobTable.CursorMoved)
    def _cursor_moved(self) -> None:
        panel = self._panel()
        if panel is not None and panel.display:
            panel.follow_cursor(self.table.selected)

    def action_summary(self) -> None:
        """Open the summary; its 6 key comes back here with the problems filter."""
        from seedance_tui.ui.screens.summary import SummaryScreen  # imported when first opened

        self.app.push_screen(SummaryScreen(self.service, clock=self._clock), self._summary_closed)

    def _summary_closed(self, choice: str | None) -> None:
        if choice == "problems":
            self.action_filter("problems")

    def action_toggle_split(self) -> None:
        """Show or hide the detail beside the table (wide terminals only)."""
        if self.size.width < SPLIT_MIN_WIDTH and not self.split_shown:
            self.notify(f"The split view needs a terminal at least {SPLIT_MIN_WIDTH} columns wide.")
            return
        self.split_wanted = not self.split_wanted

    def on_health_changed(self, message: HealthChanged) -> None:
        self.query_one(StatusBar).health = message.state

    def on_role_changed(self, message: RoleChanged) -> None:
        self.query_one(StatusBar).role = message.state

    def watch_bulk_progress(self) -> None:
        self._update_filter_bar()

    @on(JobTable.ViewChanged)
    @on(JobTable.MarksChanged)
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
        tail = Text(f"│ {len(model.rows):,}/{len(model.jobs):,} · {model.sort_column}{arrow}")
        if self.table.marks:
            tail.append(f" · ✓ {len(self.table.marks):,} marked", Style(bold=True))
        if self.bulk_progress:
            tail.append(f" · {self.bulk_progress}")
        # The filter keys give way first: the sort column and direction must always show.
        text.truncate(max(0, self.size.width - tail.cell_len), overflow="ellipsis")
        text.append_text(tail)
        bar.update(text)

    def on_resize(self) -> None:
        self._layout_split()
        self._update_filter_bar()

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In read-only mode, actions that would send a POST are gone from keys, footer and help."""
        return not (self.settings.read_only and sends_post(self, action))

    def action_filter(self, name: str) -> None:
        """Show only jobs of one status group."""
        if name in FILTERS:
            self.table.set_filter(name)
            self._read_archive_once()

    def action_cycle_sort(self) -> None:
        self.table.cycle_sort()
        self._read_archive_once()

    def action_reverse_sort(self) -> None:
        self.table.reverse_sort()
        self._read_archive_once()

    def action_sort(self, column: str) -> None:
        """Sort by one column (from the command palette)."""
        self.table.sort_by(column)
        self._read_archive_once()

    def action_search(self) -> None:
        search = self._search_box()
        search.display = True
        search.focus()

    def action_clear_search(self) -> None:
        search = self.query_one_optional("#search", Input)
        if search is not None:
            search.value = ""
            search.display = False
            self.query_one("#query-error").display = False
        self.table.set_search("")
        self.table.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.set_query(event.value)

    def _empty_hint(self) -> str:
        """The empty table's hint, naming the new-job key in force (none in read-only mode)."""
        if self.settings.read_only:
            return "No jobs yet (read-only: submitting is switched off)"
        return f"No jobs yet — press {keys_for(self, 'new_job') or 'n'} to submit one"

    def _refresh_age_query(self) -> None:
        """Re-apply an ``age:`` query so rows leave (or join) it as they age."""
        model = self.table.model
        if model.query.uses_clock:
            self.table.set_search(model.search)

    def show_query(self, text: str) -> None:
        """Put ``text`` in the search box (shown when not empty) and filter by it."""
        search = self.query_one_optional("#search", Input) if not text else self._search_box()
        if search is not None:
            search.value = text
            search.display = bool(text)
        self.set_query(text)

    def action_step_view(self, delta: int) -> None:
        """Switch to the next or previous saved view."""
        self.views.step(delta)

    def action_view(self, name: str) -> None:
        """Switch to a saved view (from the command palette)."""
        self.views.show(name)

    def action_save_view(self) -> None:
        """Save the query, sort and columns on screen as a named view."""
        self.app.push_screen(ViewNameDialog(), self.views.save)

    def action_choose_columns(self) -> None:
        from seedance_tui.ui.screens.columns import ColumnChooser  # imported when first opened

        chooser = ColumnChooser(
            [column.key for column in self.table.chosen], self.views.meta_keys(), self.views.columns_changed
        )
        self.app.push_screen(chooser, self.views.columns_chosen)

    def set_query(self, text: str) -> bool:
        """Filter by the query ``text``; a query that cannot be understood is explained inline."""
        try:
            self.table.set_search(text)
        except QueryError as exc:
            self._search_box()
            shown = self.query_one("#query-error", Static)
            shown.update(f"✘ {exc}")
            shown.display = True
            return False
        if (error := self.query_one_optional("#query-error")) is not None:
            error.display = False
        if text.strip():
            self._read_archive_once()
        return True

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
            self.notify(no_request_id_advice(job), markup=False)
            return
        self.service.refresh_soon(job.local_id)
        self.notify("Refreshing…", timeout=1.5)

    def action_cancel_job(self) -> None:
        if self.table.marks:
            self.cancel_marked()
            return
        job = self._selected()
        if job is None:
            return
        reason = not_cancellable_reason(job)
        if reason is not None:
            self.notify(reason, markup=False)
            return
        from seedance_tui.ui.screens.cancel import CancelDialog  # imported when first opened

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

        self.app.push_screen(DetailScreen(self.service, self.settings, local_id, clock=self._clock))
