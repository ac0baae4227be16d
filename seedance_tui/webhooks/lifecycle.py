"""Run the job service with the webhook receiver beside it, for as long as the dashboard runs.

Webhooks are part of the poller's role: of the processes on one store, only the one that polls
listens (a follower that takes over starts listening then); new submissions from the poller name it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from seedance_tui.webhooks.confirm import receiver_for
from seedance_tui.webhooks.plan import WebhookPlan

if TYPE_CHECKING:
    from seedance_tui.service import JobService
    from seedance_tui.webhooks.receiver import WebhookReceiver


async def run_with_webhooks(service: JobService, plan: WebhookPlan, on_error: Callable[[str], None]) -> None:
    """``service.run()``, with a receiver up whenever this process is the poller; polling goes on."""
    receiver = receiver_for(service, plan.token, plan.host, plan.port)
    changed = asyncio.Event()
    service.add_role_listener(lambda _state: changed.set())
    running = asyncio.ensure_future(service.run())
    listening = failed = False
    try:
        while not running.done():
            changed.clear()
            if service.role.polls and not listening and not failed:
                listening = await _listen(receiver, plan, on_error)
                failed = not listening
                if listening:
                    service.default_webhook_url = receiver.public_url_for(plan.public_url)
            elif not service.role.polls and listening:
                service.default_webhook_url = None
                await receiver.stop()
                listening = False
            waiter = asyncio.ensure_future(changed.wait())
            await asyncio.wait({running, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        await running
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        service.default_webhook_url = None
        if listening:
            await receiver.stop()


async def _listen(receiver: WebhookReceiver, plan: WebhookPlan, on_error: Callable[[str], None]) -> bool:
    try:
        await receiver.start()
    except (OSError, RuntimeError) as exc:
        on_error(f"Webhooks are off: cannot listen on {plan.host}:{plan.port} ({exc}). Polling as usual.")
        return False
    return True
