"""A virtual job table on the line API: it renders only the visible rows, so 10,000 jobs stay fast."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from seedance_tui.models import Job
from seedance_tui.ui.widgets.drawn_cells import DrawnCells
from seedance_tui.ui.widgets.job_rows import (
    COLUMNS,
    DESCENDING_FIRST,
    FILTERS,
    SORT_KEYS,
    UNSAVED_AFTER,
    Column,
    JobRows,
    cell_text,
    column_for,
    layout_columns,
)
from seedance_tui.ui.widgets.job_table_look import JOB_TABLE_CLASSES, JOB_TABLE_CSS, status_class
from seedance_tui.ui.widgets.recent_changes import RecentChanges
from seedance_tui.ui.widgets.row_cursor import RowCursorView
from seedance_tui.ui.widgets.table_text import (
    EMPTY_HINT,
    MARK_GLYPH,
    column_at,
    column_span,
    fit,
    header_text,
    no_match_hint,
)


class JobTable(RowCursorView, can_focus=True):
    """One row per job, newest first; cells of a changed job are redrawn in place."""

    BINDINGS = [
        Binding("enter", "activate", "Detail", id="detail"),
        Binding("space", "toggle_mark", "Mark", show=False, id="toggle_mark"),
        Binding("asterisk", "mark_shown", "Mark all shown", show=False, id="mark_shown"),
        Binding("minus", "clear_marks", "Clear marks", show=False, id="clear_marks"),
    ]
    DEFAULT_CSS = JOB_TABLE_CSS
    COMPONENT_CLASSES = JOB_TABLE_CLASSES

    class Activated(Message):
        """The user asked to open a job (enter or double click)."""

        def __init__(self, local_id: str) -> None:
            super().__init__()
            self.local_id = local_id

    class ViewChanged(Message):
        """The shown rows changed (filter, search, sort, or jobs came and went)."""

    class MarksChanged(Message):
        """Rows were marked or unmarked (``marks`` holds the local ids)."""

    class CursorMoved(Message):
        """The cursor is on another job (or on none)."""

    class ReachedEnd(Message):
        """The last row came into view: older jobs may be paged in (see ``extend``)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.model = JobRows()
        self._cursor_id: str | None = None
        self._clock = clock
        #: The columns the user chose, in order (the default set until set_columns).
        self.chosen: list[Column] = list(COLUMNS)
        #: Shown in an empty table; the screen says which key (if any) submits a job.
        self.empty_hint = EMPTY_HINT
        self._columns: list[tuple[Column, int]] = layout_columns(80)
        #: Local ids of the marked jobs (bulk actions apply to these); kept across filters.
        self.marks: set[str] = set()
        self._columns_width = 80
        #: Seconds after which a succeeded job's unsaved video is flagged.
        self.unsaved_after = UNSAVED_AFTER
        #: Rows changed a moment ago: highlighted, then fading (the tick redraws them as they fade).
        self.recent = RecentChanges()
        #: Short time-left text of a live job (set by the screen from the service's estimates).
        self.eta_text: Callable[[Job, float], str] = lambda job, now: ""
        #: What the live cells of each row showed when last drawn.
        self.drawn = DrawnCells()
        #: The table's own style while ``render_lines`` draws (see there).
        self._lines_style: Style | None = None

    # -- data ----------------------------------------------------------------------------

    @property
    def selected(self) -> Job | None:
        """The job under the cursor."""
        rows = self.model.rows
        return rows[self.cursor] if 0 <= self.cursor < len(rows) else None

    @property
    def row_count(self) -> int:
        return len(self.model.rows)

    def load(self, jobs: Iterable[Job]) -> None:
        """Show these jobs, replacing any shown before."""
        self.model.load(jobs)
        self._rows_replaced()

    def apply(self, jobs: Iterable[Job]) -> None:
        """Fold a batch of changed jobs in; only the lines that changed are redrawn."""
        jobs = list(jobs)
        self.recent.mark([job.local_id for job in jobs], self._clock())
        structural, positions = self.model.apply(jobs)
        if structural:
            self._rows_replaced()
            return
        for position in positions:
            self._refresh_row(position)

    def extend(self, jobs: Iterable[Job]) -> None:
        """Add older jobs (a page of the history) without marking them as just changed; a job shown
        already keeps the version shown (the store's)."""
        shown = self.model.jobs
        structural, positions = self.model.apply(job for job in jobs if job.local_id not in shown)
        if structural:
            self._rows_replaced()
        for position in positions:
            self._refresh_row(position)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.row_count and round(new_value) + self._page >= self.row_count:
            self.post_message(self.ReachedEnd())

    def set_filter(self, name: str) -> None:
        """Show only the jobs of status filter ``name`` (see FILTERS)."""
        if name not in FILTERS:
            raise ValueError(f"unknown filter {name!r}")
        self.model.set_filter(name)
        self._rows_replaced()

    def set_search(self, text: str) -> None:
        """Show only jobs matching the query ``text``; QueryError (shown rows unchanged) if it is not one."""
        self.model.set_search(text, self._clock())
        self._rows_replaced()

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        """Sort by ``column``; the same column again flips the order unless ``reverse`` is given."""
        model = self.model
        if reverse is None:
            reverse = not model.sort_reverse if column == model.sort_column else column in DESCENDING_FIRST
        model.set_sort(column, reverse)
        self._rows_replaced()

    def cycle_sort(self) -> None:
        """Sort by the next shown column (left to right), in that column's natural direction."""
        keys = [column.key for column in self.chosen if column.sortable] or list(SORT_KEYS)
        current = keys.index(self.model.sort_column) if self.model.sort_column in keys else -1
        column = keys[(current + 1) % len(keys)]
        self.sort_by(column, reverse=column in DESCENDING_FIRST)

    def reverse_sort(self) -> None:
        self.sort_by(self.model.sort_column, not self.model.sort_reverse)

    def select(self, local_id: str) -> bool:
        """Put the cursor on a job; False when it is not shown."""
        position = self.model.index_of(local_id)
        if position is None:
            return False
        self._move_cursor(position)
        return True

    @property
    def marked_jobs(self) -> list[Job]:
        """The marked jobs, in the shown order first, then marked jobs the view hides."""
        return self.model.jobs_of(self.marks)

    def action_toggle_mark(self) -> None:
        """Mark or unmark the row under the cursor, then move down (so space marks a run of rows)."""
        job = self.selected
        if job is None:
            return
        self.marks.symmetric_difference_update({job.local_id})
        self._refresh_row(self.cursor)
        self._move_cursor(self.cursor + 1)
        self.post_message(self.MarksChanged())

    def action_mark_shown(self) -> None:
        """Mark every row the current filter and search show."""
        self.marks.update(job.local_id for job in self.model.rows)
        self.refresh()
        self.post_message(self.MarksChanged())

    def action_clear_marks(self) -> None:
        if self.marks:
            self.marks.clear()
            self.refresh()
            self.post_message(self.MarksChanged())

    def _rows_replaced(self) -> None:
        position = self.model.index_of(self._cursor_id) if self._cursor_id else None
        self.cursor = min(position if position is not None else self.cursor, max(0, self.row_count - 1))
        self._remember_cursor()
        self.virtual_size = Size(self.size.width, self.row_count + 1)
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.ViewChanged())

    def _remember_cursor(self) -> None:
        job = self.selected
        cursor_id = job.local_id if job else None
        if cursor_id != self._cursor_id:
            self._cursor_id = cursor_id
            self.post_message(self.CursorMoved())

    def _cursor_moved(self) -> None:
        self._remember_cursor()
        if self.cursor == self.row_count - 1:
            self.post_message(self.ReachedEnd())

    def action_activate(self) -> None:
        if (job := self.selected) is not None:
            self.post_message(self.Activated(job.local_id))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = column_at(self._columns, offset.x)
            if column is not None and column.sortable:
                self.sort_by(column.key)
            return
        position = round(self.scroll_offset.y) + offset.y - 1
        if position < self.row_count:
            self._move_cursor(position)
            if event.chain >= 2:
                self.action_activate()

    # -- rendering -----------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick_live_rows)

    def set_columns(self, keys: Iterable[str]) -> None:
        """Show these columns in this order (unknown keys are skipped; narrow screens still drop some)."""
        self.chosen = [column for key in keys if (column := column_for(key)) is not None] or list(COLUMNS)
        self._columns_width = self.scrollable_content_region.width
        self._columns = layout_columns(self._columns_width, self.chosen)
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, self.row_count + 1)
        self._scroll_to_cursor()

    def _layout(self, width: int) -> None:
        """Fit the columns to ``width``, which a scrollbar coming or going changes without a resize."""
        if width != self._columns_width:
            self._columns, self._columns_width = layout_columns(width, self.chosen), width

    def watch_has_focus(self, _has_focus: bool) -> None:
        """No rule of the table's CSS depends on focus: the cursor row's look is picked as it is drawn,
        and on_focus/on_blur redraw that row. So Textual's restyle of the table and its 18 component
        classes on each focus change (0.6 ms, one of them before the first paint) is skipped."""

    def on_focus(self) -> None:
        self._refresh_row(self.cursor)

    def on_blur(self) -> None:
        self._refresh_row(self.cursor)

    def _tick_live_rows(self) -> None:
        """Redraw the age cell of visible live rows whose shown age changed; nothing else is sent."""
        if self.recent:
            now = self._clock()
            for position in self.drawn.faded(self.model.rows, self._visible(), self.recent, now):
                self._refresh_row(position)
            self.recent.forget_old(now)
        span = column_span(self._columns, "age")
        if span is None:
            return
        x, width = span
        top = round(self.scroll_offset.y)
        eta_shown = any(column.key == "eta" for column, _ in self._columns)
        stale = self.drawn.stale(
            self.model.rows,
            self._visible(),
            self._clock(),
            unsaved_after=self.unsaved_after,
            eta_text=self.eta_text if eta_shown else None,
        )
        for position, whole_row in stale:
            if whole_row:
                self._refresh_row(position)
            else:
                self.refresh(Region(x, position - top + 1, width, 1))

    def render_lines(self, crop: Region) -> list[Strip]:
        # The table's style walks every ancestor's styles (~15 µs): once per redraw, not once per
        # line (0.5 ms of a full 40-line table, as in the first paint).
        self._lines_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._lines_style = None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        self._layout(width)
        base = self.rich_style if self._lines_style is None else self._lines_style
        if y == 0:
            return self._header(width, base)
        position = round(self.scroll_offset.y) + y - 1
        if position < self.row_count:
            return self._row(self.model.rows[position], position == self.cursor, width, base)
        if not self.row_count and y == 2:
            model = self.model
            hint = self.empty_hint if not model.jobs else no_match_hint(model.filter_name, model.search)
            style = base + self.get_component_rich_style("job-table--hint", default=Style())
            return Strip([Segment(fit(" " + hint, width, False), style)], width)
        return Strip.blank(width, base)

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("job-table--header", default=Style())
        text = header_text(self._columns, self.model.sort_column, self.model.sort_reverse)
        return Strip([Segment(fit(text, width, False), style)], width)

    def _row(self, job: Job, is_cursor: bool, width: int, base: Style) -> Strip:
        if job.local_id in self.marks:
            base = base + self.get_component_rich_style("job-table--marked", default=Style())
        if is_cursor:
            cursor_class = "job-table--cursor" if self.has_focus else "job-table--cursor-blurred"
            base = base + self.get_component_rich_style(cursor_class, default=Style())
        now = self._clock()
        phase = self.recent.phase(job.local_id, now) if self.recent else 0
        if phase:
            self.drawn.phase[job.local_id] = phase
        else:
            self.drawn.phase.pop(job.local_id, None)
        if phase and not is_cursor:
            changed_class = "job-table--changed" if phase == 2 else "job-table--fading"
            base = base + self.get_component_rich_style(changed_class, default=Style())
        segments: list[Segment] = []
        for index, (column, column_width) in enumerate(self._columns):
            if index:
                # A marker in the first gap says "just changed" without relying on colour.
                gap = ("•" if phase == 2 else "·") if index == 1 and phase else " "
                segments.append(Segment(gap, base))
            if column.key == "eta":
                raw = self.drawn.etas[job.local_id] = self.eta_text(job, now)
            else:
                raw = cell_text(job, column.key, now, self.unsaved_after)
            if column.key == "age":
                self.drawn.ages[job.local_id] = raw
            elif column.key == "status":
                self.drawn.status[job.local_id] = raw
            if index == 0 and job.local_id in self.marks:
                raw = MARK_GLYPH + raw  # a glyph, not colour alone, says it is marked
            text = fit(raw, column_width, column.right)
            style = base
            if column.key == "status":
                status_style = self.get_component_rich_style(status_class(job.status), default=Style())
                style = base + status_style if not is_cursor else base + Style(bold=True)
            segments.append(Segment(text, style))
        # One segment per run of a style, not one per cell and gap: each segment is sent with its
        # own colour codes, and Textual sends a redrawn age cell with the row from the table's left
        # edge (at 256 colours 424 bytes a row with a segment per cell and gap, 137 merged).
        return Strip(Segment.simplify(segments)).adjust_cell_length(width, base)
