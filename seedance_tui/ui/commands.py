"""Command palette entries (ctrl+p) for every main-screen action, so nothing needs a key to be remembered.

They are system commands (``SeedanceApp.get_system_commands``); the provider here only widens the search.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.app import SystemCommand
from textual.command import DiscoveryHit, Hit, Hits
from textual.system_commands import SystemCommandsProvider

from seedance_tui.ui.screens.main import FILTER_KEYS, MainScreen
from seedance_tui.ui.widgets.job_rows import COLUMNS

#: (title, callback, help), as the list below reads best; a SystemCommand puts help second.
_Entry = tuple[str, Callable[[], object], str]


def main_screen_commands(screen: MainScreen) -> list[SystemCommand]:
    """A palette entry for each action the main screen offers."""
    commands: list[_Entry] = [
        ("New job", screen.action_new_job, "Submit a text-to-video generation (n)"),
        ("Open job detail", screen.action_detail, "Everything about the selected job (enter)"),
        ("Refresh job", screen.action_refresh_job, "Ask the API about the selected job now (r)"),
        ("Cancel job", screen.action_cancel_job, "Cancel the selected queued or processing job (c)"),
        ("Search jobs", screen.action_search, "Filter by prompt text or id as you type (/)"),
        ("Clear search", screen.action_clear_search, "Show every job again (escape)"),
        ("Reverse sort order", screen.action_reverse_sort, "Flip ascending and descending (S)"),
        (
            "Submit a batch file…",
            screen.action_batch_file,
            "JSONL or CSV: preview, credits, confirm (B)",
        ),
        ("Track request id…", screen.action_track_id, "Follow a job created elsewhere"),
        ("Mark or unmark job", screen.table.action_toggle_mark, "Bulk actions apply to marked jobs (space)"),
        ("Mark all shown jobs", screen.table.action_mark_shown, "Every row of the filter and search (*)"),
        ("Clear marks", screen.table.action_clear_marks, "Unmark every job (-)"),
        ("Re-run job(s)", screen.action_rerun_jobs, "Form prefilled; marked: submit all again (R)"),
        ("Download video(s)", screen.action_download_jobs, "Selected or marked jobs' outputs (d)"),
        (
            "Export view to CSV",
            screen.action_export_view,
            "Shown or marked rows, to the download folder (x)",
        ),
        ("Summary", screen.action_summary, "Jobs by status, credits per model, finishes per hour (t)"),
        ("Toggle split view", screen.action_toggle_split, "Detail beside the table, 150+ columns (v)"),
    ]
    if screen.settings.read_only:
        hidden = {
            screen.action_new_job,
            screen.action_cancel_job,
            screen.action_batch_file,
            screen.action_rerun_jobs,
        }
        commands = [entry for entry in commands if entry[1] not in hidden]
    for name, (key, _) in FILTER_KEYS.items():
        title = "Show all jobs" if name == "all" else f"Show {name.removesuffix('s')} jobs"
        commands.append((title, partial(screen.action_filter, name), f"Status filter ({key})"))
    commands.append(("Choose columns", screen.action_choose_columns, "Show, hide and reorder columns (o)"))
    commands.append(("Save current view", screen.action_save_view, "Query, sort and columns under a name"))
    for view in screen.views.views:
        commands.append(
            (f"View: {view.name}", partial(screen.action_view, view.name), view.query or "all jobs")
        )
    for column in (c for c in COLUMNS if c.sortable):
        commands.append(
            (f"Sort by {column.label}", partial(screen.action_sort, column.key), "Again to reverse")
        )
    return [SystemCommand(title, help_text, callback) for title, callback, help_text in commands]


class SeedanceCommands(SystemCommandsProvider):
    """Textual's system commands, listed in the order given and found by their help text too."""

    async def discover(self) -> Hits:
        # As written (the app's actions first, grouped), not sorted by title as Textual's own are.
        for title, help_text, callback, discover in self.app.get_system_commands(self.screen):
            if discover:
                yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback, _ in self.app.get_system_commands(self.screen):
            # The help text counts too, at half weight: "filter" finds the status filters.
            score = max(matcher.match(title), matcher.match(help_text) / 2)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
