"""Command palette entries (ctrl+p) for every main-screen action, so nothing needs a key to be remembered."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from seedance_tui.ui.screens.main import FILTER_KEYS, MainScreen
from seedance_tui.ui.widgets.job_rows import COLUMNS

Command = tuple[str, Callable[[], object], str]


def main_screen_commands(screen: MainScreen) -> list[Command]:
    """(title, callback, help) for each action the main screen offers."""
    commands: list[Command] = [
        ("New job", screen.action_new_job, "Submit a text-to-video generation (n)"),
        ("Open job detail", screen.action_detail, "Everything about the selected job (enter)"),
        ("Refresh job", screen.action_refresh_job, "Ask the API about the selected job now (r)"),
        ("Cancel job", screen.action_cancel_job, "Cancel the selected queued or processing job (c)"),
        ("Search jobs", screen.action_search, "Filter by prompt text or id as you type (/)"),
        ("Clear search", screen.action_clear_search, "Show every job again (escape)"),
        ("Reverse sort order", screen.action_reverse_sort, "Flip ascending and descending (S)"),
        ("Summary", screen.action_summary, "Jobs by status, credits per model, finishes per hour (t)"),
        ("Toggle split view", screen.action_toggle_split, "Detail beside the table, 150+ columns (v)"),
    ]
    for name, (key, _) in FILTER_KEYS.items():
        title = "Show all jobs" if name == "all" else f"Show {name} jobs"
        commands.append((title, partial(screen.action_filter, name), f"Status filter ({key})"))
    for column in (c for c in COLUMNS if c.sortable):
        commands.append(
            (f"Sort by {column.label}", partial(screen.action_sort, column.key), "Again to reverse")
        )
    return commands


class SeedanceCommands(Provider):
    """Offers the main screen's actions while it is the screen the palette was opened on."""

    def _commands(self) -> list[Command]:
        return main_screen_commands(self.screen) if isinstance(self.screen, MainScreen) else []

    async def discover(self) -> Hits:
        for title, callback, help_text in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
