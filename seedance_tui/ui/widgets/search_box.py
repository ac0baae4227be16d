"""The main screen's search field: its footer says how to keep the search and how to drop it."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class SearchBox(Input):
    """Search by prompt text or id as you type; enter keeps the search, escape clears it."""

    BINDINGS = [
        Binding("enter", "submit", "Keep search", id="keep_search"),
        Binding("escape", "screen.clear_search", "Clear search", id="clear_search"),
    ]
