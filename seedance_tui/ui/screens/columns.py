"""The column chooser: show, hide and reorder the job table's columns; changes show at once."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from seedance_tui.ui.styles import style_path
from seedance_tui.ui.widgets.job_rows import CHOOSABLE, column_for


class ColumnChooser(ModalScreen[list[str]]):
    """Dismisses with the chosen columns in order; ``on_change`` sees every change as it happens."""

    CSS_PATH = style_path("columns.tcss")
    BINDINGS = [
        Binding("shift+up,K", "move(-1)", "Move up", id="column_up"),
        Binding("shift+down,J", "move(1)", "Move down", id="column_down"),
        Binding("escape", "done", "Done", id="close_columns"),
    ]

    def __init__(
        self, chosen: list[str], meta_keys: list[str], on_change: Callable[[list[str]], None]
    ) -> None:
        super().__init__()
        offered = [*CHOOSABLE, *(f"meta.{key}" for key in meta_keys)]
        self.order = [*chosen, *(key for key in offered if key not in chosen)]
        self.shown = set(chosen)
        self.on_change = on_change

    def compose(self) -> ComposeResult:
        with Vertical(id="columns-box"):
            yield Static("Columns", id="columns-title")
            yield SelectionList[str](*self._selections(), id="columns-list")
            yield Static("space show/hide · K/J or shift+↑↓ move · esc done", id="columns-hint")

    def _selections(self) -> list[Selection[str]]:
        selections = []
        for key in self.order:
            column = column_for(key)
            label = column.label if column else key
            selections.append(Selection(f"{label}  ({key})", key, key in self.shown))
        return selections

    @property
    def chosen(self) -> list[str]:
        return [key for key in self.order if key in self.shown]

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        shown = set(event.selection_list.selected)
        if shown and shown != self.shown:
            self.shown = shown
            self.on_change(self.chosen)

    def action_move(self, step: int) -> None:
        """Move the highlighted column up or down."""
        listing = self.query_one(SelectionList)
        index = listing.highlighted
        if index is None or not 0 <= index + step < len(self.order):
            return
        self.order[index], self.order[index + step] = self.order[index + step], self.order[index]
        listing.clear_options()
        listing.add_options(self._selections())
        listing.highlighted = index + step
        self.on_change(self.chosen)

    def action_done(self) -> None:
        self.dismiss(self.chosen)
