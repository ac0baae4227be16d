"""Run the job service with the webhook receiver beside it, for as long as the dashboard runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from seedance_tui.webhooks.confirm import receiver_for
from seedance_tui.webhooks.plan import WebhookPlan

if TYPE_CHECKING:
    from seedance_tui.service import JobService


async def run_with_webhooks(service: JobService, plan: WebhookPlan, on_error: Callable[[str], None]) -> None:
    """``service.run()`` with a receiver up that new submissions name as their webhook; polling goes on."""
    receiver = receiver_for(service, plan.token, plan.host, plan.port)
    try:
        await receiver.start()
    except (OSError, RuntimeError) as exc:
        on_error(f"Webhooks are off: cannot listen on {plan.host}:{plan.port} ({exc}). Polling as usual.")
        await service.run()
        return
    try:
        await service.run(webhook_url=receiver.public_url_for(plan.public_url))
    finally:
        await receiver.stop()
