"""The job table's text that needs no widget: hints, cells fitted to a width, the header, column spans."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size

from seedance_tui.ui.widgets.job_rows import Column

EMPTY_HINT = "No jobs yet — press n to submit one"
#: Drawn before the first cell of a marked row.
MARK_GLYPH = "✓"
#: The shown columns and the width of each, left to right (one-cell gaps between).
Layout = Sequence[tuple[Column, int]]


def no_match_hint(filter_name: str, search: str) -> str:
    """What to do when jobs exist but none is shown: only the ways out that apply."""
    if search and filter_name != "all":
        return "No jobs match — press a to show all, escape to clear the search"
    if search:
        return "No jobs match the search — escape clears it"
    label = "problem" if filter_name == "problems" else filter_name
    return f"No {label} jobs — press a to show all"


def fit(text: str, width: int, right: bool) -> str:
    """``text`` cut (with an ellipsis) or padded to exactly ``width`` cells."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    padding = " " * (width - cell_len(text))
    return padding + text if right else text + padding


def header_text(columns: Layout, sort_column: str, sort_reverse: bool) -> str:
    """The titles, each fitted to its column; the sort column's arrow always shows."""
    parts: list[str] = []
    for column, column_width in columns:
        title = column.title
        if column.key == sort_column:
            # The arrow always shows: the title gives way to it in a narrow column.
            arrow = "▼" if sort_reverse else "▲"
            title = set_cell_size(title, min(cell_len(title), column_width - 1)) + arrow
        parts.append(fit(title, column_width, column.right))
    return " ".join(parts)


def column_at(columns: Layout, x: int) -> Column | None:
    """The column under cell ``x`` (a gap belongs to the column on its left)."""
    start = 0
    for column, width in columns:
        if start <= x < start + width + 1:
            return column
        start += width + 1
    return None


def column_span(columns: Layout, key: str) -> tuple[int, int] | None:
    """(x, width) of the column ``key``, if shown."""
    x = 0
    for column, width in columns:
        if column.key == key:
            return x, width
        x += width + 1
    return None
