"""The composition root: wire the store, service and webhooks, and hand the dashboard what to run."""

from __future__ import annotations

import dataclasses
import functools
import gc
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from seedance_tui.config import Settings
from seedance_tui.service import JobService
from seedance_tui.store import StoreError
from seedance_tui.store.archive_start import archive_at_start
from seedance_tui.store.backend import Store
from seedance_tui.terminal_graphics import SixelQuestion, graphics_for_this_terminal
from seedance_tui.ui.app import SeedanceApp, ServiceRunner

if TYPE_CHECKING:
    from seedance_tui.webhooks import WebhookPlan


def service_runner(service: JobService, webhooks: WebhookPlan | None) -> ServiceRunner | None:
    """What the app runs in the background: its default ``service.run()``, or that beside a receiver."""
    if webhooks is None:
        return None
    from seedance_tui.webhooks import run_with_webhooks  # uvicorn loads only when webhooks are on

    return functools.partial(run_with_webhooks, service, webhooks)


def archive_old_jobs(store: Store, days: float) -> list[str]:
    """Move old finished jobs into the archive before loading (start-up then follows the jobs in
    flight); what was done or went wrong, for the start-up notices. Never stops the dashboard."""
    try:
        result = archive_at_start(store, days)
    except StoreError as exc:
        return [f"Old finished jobs were not moved into the archive: {exc}"]
    if result is None:
        return []
    said = []
    if result.moved:
        said.append(
            f"Moved {result.moved:,} finished job(s) older than {days:g} days into the archive files beside "
            f"the store in {result.seconds:.1f} s; a search or status filter reads them when needed."
        )
    if result.skipped_months:
        said.append(
            f"Finished jobs of {', '.join(result.skipped_months)} stay in the store: "
            + " ".join(str(notice) for notice in result.notices)
        )
    return said


def run_dashboard(
    settings: Settings,
    store: Store,
    webhooks: WebhookPlan | None = None,
    notices: Sequence[str] = (),
    sixel: SixelQuestion | None = None,
) -> int:
    """Run the dashboard on ``store``; returns the process exit code. ``sixel``: the terminal's
    pending answer on Sixel pictures (terminal_graphics.ask_sixel_early), None when not asked."""
    if not settings.read_only:
        notices = [*notices, *archive_old_jobs(store, settings.archive_after_days)]
    service = JobService.from_settings(settings, store)
    # The loaded jobs live as long as the app: keep the cyclic GC from rescanning them, which
    # would stall the UI for ~100 ms at 10,000 jobs.
    gc.freeze()
    # Sixel, Kitty or half blocks for the preview: decided now, while stdin is still ours to read.
    graphics = graphics_for_this_terminal(settings.preview_graphics, sixel)
    settings = dataclasses.replace(settings, preview_graphics=graphics.value)
    app = SeedanceApp(service, settings, run=service_runner(service, webhooks), notices=notices)
    app.run(mouse=settings.mouse)
    try:
        store.close()  # the app saved everything; this folds the journal in, leaving one tidy file
    except StoreError as exc:
        app.unsaved_error = app.unsaved_error or str(exc)
    if app.unsaved_error is not None:
        sys.stderr.write(f"error: {app.unsaved_error}\n")
        return 1
    return app.return_code or 0
