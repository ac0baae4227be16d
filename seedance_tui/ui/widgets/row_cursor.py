"""A line-API scroll view of rows under a one-line header, with a keyboard cursor kept on screen.

Textual's DataTable builds every row as widgets' data; the job table draws only the visible lines
itself (10,000 jobs stay fast), so the cursor, paging and "redraw just this row" live here.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.geometry import Region
from textual.scroll_view import ScrollView


class RowCursorView(ScrollView):
    """Rows from line 1 down (line 0 is the header); subclasses say how many and draw them, and
    hear of every cursor move through ``_cursor_moved``."""

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, id="cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="cursor_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="page_down"),
        Binding("home,g", "first", "Top", show=False, id="first"),
        Binding("end,G", "last", "Bottom", show=False, id="last"),
    ]

    #: The row under the cursor.
    cursor = 0

    @property
    def row_count(self) -> int:
        raise NotImplementedError

    def _cursor_moved(self) -> None:
        """Called after the cursor was moved (and its rows redrawn)."""

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _visible(self) -> range:
        top = round(self.scroll_offset.y)
        return range(top, min(self.row_count, top + self._page))

    def _move_cursor(self, position: int) -> None:
        if not self.row_count:
            return
        old = self.cursor
        self.cursor = max(0, min(position, self.row_count - 1))
        self._scroll_to_cursor()
        self._refresh_row(old)
        self._refresh_row(self.cursor)
        self._cursor_moved()

    def _scroll_to_cursor(self) -> None:
        """Keep the cursor's row on screen, whatever moved it (keys, sorting, a status change)."""
        top = round(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + self._page:
            self.scroll_to(y=self.cursor - self._page + 1, animate=False, immediate=True)

    def _refresh_row(self, position: int) -> None:
        y = position - round(self.scroll_offset.y) + 1
        if 1 <= y <= self._page:
            self.refresh(Region(0, y, self.size.width, 1))

    def action_cursor_up(self) -> None:
        self._move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self._move_cursor(self.cursor - self._page)

    def action_page_down(self) -> None:
        self._move_cursor(self.cursor + self._page)

    def action_first(self) -> None:
        self._move_cursor(0)

    def action_last(self) -> None:
        self._move_cursor(self.row_count - 1)
