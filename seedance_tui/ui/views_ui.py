"""Saved views and chosen columns on the main screen: switch, save, and remember them in the config file."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from seedance_tui.config import ConfigError
from seedance_tui.service import VIEW_NAME, View, load_views, update_config
from seedance_tui.ui.widgets.job_rows import CHOOSABLE, COLUMNS, SORT_KEYS

if TYPE_CHECKING:
    from seedance_tui.ui.screens.main import MainScreen

#: Metadata keys offered as columns are collected from at most this many jobs.
META_SCAN = 2000


class ViewNameDialog(ModalScreen[str | None]):
    """Asks for the name to save the current view under."""

    DEFAULT_CSS = """
    ViewNameDialog { align: center middle; background: $background 60%; }
    #view-name-box { width: 50; height: auto; border: round $primary; background: $surface; padding: 0 1; }
    #view-name-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="close_view_name")]

    def compose(self) -> ComposeResult:
        with Vertical(id="view-name-box"):
            yield Static("Save this view as (letters, digits, - and _):", markup=False)
            yield Input(id="view-name", compact=True)
            yield Static("", id="view-name-error", markup=False)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if VIEW_NAME.fullmatch(event.value):
            self.dismiss(event.value)
        else:
            self.query_one("#view-name-error", Static).update("Use letters, digits, - and _ only (up to 40).")

    def action_close(self) -> None:
        self.dismiss(None)


class ViewController:
    """The main screen's views and columns: what is saved, which view shows, and writing them back."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.settings = screen.settings
        sort_keys = (*SORT_KEYS, *CHOOSABLE)
        self.views, self.problems = load_views(self.settings, sort_keys, column_keys=_AnyColumn())
        self.current: str | None = None

    def start(self) -> None:
        """Apply the configured columns and the default view; report what could not be loaded."""
        for problem in self.problems:
            self.screen.notify(problem, title="Config file", severity="warning", timeout=20, markup=False)
        if self.settings.columns:
            self.screen.table.set_columns(self.settings.columns)
        default = self.settings.default_view
        if default is not None and self.by_name(default) is not None:
            self.show(default)

    def by_name(self, name: str) -> View | None:
        return next((view for view in self.views if view.name == name), None)

    def show(self, name: str) -> None:
        """Switch to the saved view ``name``: its query, sort and columns."""
        view = self.by_name(name)
        if view is None:
            return
        self.current = name
        screen, table = self.screen, self.screen.table
        # A view without columns shows the user's default set, not the previous view's.
        table.set_columns(view.columns or self.settings.columns or [column.key for column in COLUMNS])
        if view.sort is not None:
            table.sort_by(view.sort, view.reverse if view.reverse is not None else view.sort == "age")
        screen.show_query(view.query)
        screen.notify(f"View {name}", timeout=2, markup=False)

    def step(self, delta: int) -> None:
        """Show the next (or previous) saved view."""
        if not self.views:
            self.screen.notify("No saved views yet: save one from the command palette (ctrl+p).")
            return
        names = [view.name for view in self.views]
        index = names.index(self.current) if self.current in names else -1 if delta > 0 else 0
        self.show(names[(index + delta) % len(names)])

    def snapshot(self, name: str) -> View:
        """The view on screen now, under ``name``."""
        model = self.screen.table.model
        columns = [column.key for column in self.screen.table.chosen]
        return View(name, model.search, model.sort_column, model.sort_reverse, columns)

    def save(self, name: str | None) -> None:
        """Remember the view on screen as ``name`` (replacing one of that name)."""
        if name is None:
            return
        view = self.snapshot(name)
        self.views = [v for v in self.views if v.name != name] + [view]
        self.current = name
        self._write({f"views.{name}": view.to_toml()}, f"View {name} saved.")

    def columns_changed(self, keys: list[str]) -> None:
        self.screen.table.set_columns(keys)

    def columns_chosen(self, keys: list[str] | None) -> None:
        """Remember the chosen columns as the default set."""
        if keys:
            self.settings.columns = keys
            self._write({"columns": keys}, "Columns saved.")

    def meta_keys(self) -> list[str]:
        """Metadata keys seen on (up to META_SCAN) jobs, offered as columns."""
        keys: dict[str, None] = {}
        for job in list(self.screen.table.model.jobs.values())[:META_SCAN]:
            if isinstance(job.request.metadata, dict):
                keys.update(dict.fromkeys(str(key) for key in job.request.metadata))
        return sorted(keys)

    def _write(self, changes: dict[str, Any], done: str) -> None:
        async def write() -> None:
            try:
                # Off the UI loop: a slow disk must not stall the screen.
                await asyncio.to_thread(update_config, self.settings.config_path, changes)
            except ConfigError as exc:
                self.screen.notify(f"Not remembered: {exc}", severity="warning", markup=False)
            else:
                self.screen.notify(done, timeout=2, markup=False)

        self.screen.run_worker(write(), group="config-write", exit_on_error=False)


class _AnyColumn:
    """Column keys a view may name: the choosable ones and any ``meta.KEY``."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in CHOOSABLE or (key.startswith("meta.") and len(key) > 5))

    def __iter__(self) -> Any:
        return iter((*CHOOSABLE, "meta.KEY"))

    def __len__(self) -> int:
        return len(CHOOSABLE) + 1
