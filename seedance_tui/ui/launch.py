"""Build the client, service and app from settings and run the dashboard until the user quits."""

from __future__ import annotations

from seedance_tui.api.client import SeedanceClient
from seedance_tui.config import Settings
from seedance_tui.polling import RequestBudget
from seedance_tui.service import JobService
from seedance_tui.store import JobStore
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.webhooks import WebhookPlan


def run_dashboard(settings: Settings, store: JobStore, webhooks: WebhookPlan | None = None) -> int:
    """Run the dashboard on ``store``; returns the process exit code."""
    # Pollers use at most ``concurrency`` connections; a few more for submits, cancels, downloads.
    client = SeedanceClient(
        settings.base_url, settings.api_key or "", max_connections=settings.concurrency + 4
    )
    budget = RequestBudget(settings.requests_per_second, settings.concurrency)
    service = JobService(store, client, budget=budget)
    app = SeedanceApp(service, settings, webhooks=webhooks)
    app.run(mouse=settings.mouse)
    return app.return_code or 0
