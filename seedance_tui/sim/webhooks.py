"""Push delivery: POST each finished task's reply to its webhookUrl, once, with bounded retries."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx

from seedance_tui.sim.state import SimState, WebhookAttempt

#: Pauses before the second and third attempt; no more attempts after these.
RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0)
#: Longest sleep between looks at the task list, so a test clock moved forward is noticed.
MAX_NAP = 1.0
#: Deliveries in flight at once.
MAX_CONCURRENT = 16


class WebhookDispatcher:
    """Runs in the server's event loop; wakes when the next task is due to finish, or when told."""

    def __init__(self, state: SimState) -> None:
        self._state = state
        self._wakeup = asyncio.Event()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Begin watching for due webhooks in the running loop."""
        self._loop = asyncio.get_running_loop()
        self._client = httpx.AsyncClient(follow_redirects=False)
        self._state.on_change = self._wake_threadsafe
        self._scheduler = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop watching and abandon deliveries in flight."""
        self._state.on_change = None
        pending = [t for t in (self._scheduler, *self._deliveries) if t is not None]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def _wake_threadsafe(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wakeup.set)

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            for task, body in self._state.take_due_webhooks():
                url = task.webhook_url
                if url is None:
                    continue
                delivery = asyncio.create_task(self._deliver(task.request_id, url, body))
                self._deliveries.add(delivery)
                delivery.add_done_callback(self._deliveries.discard)
            due = self._state.next_webhook_due()
            nap = None if due is None else min(max(due - self._state.clock(), 0.0), MAX_NAP)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(nap):  # not wait_for: it can swallow a cancel on 3.11
                    await self._wakeup.wait()

    async def _deliver(self, request_id: str, url: str, body: dict[str, Any]) -> None:
        assert self._client is not None
        attempts = len(RETRY_DELAYS) + 1
        for attempt in range(1, attempts + 1):
            async with self._slots:
                status_code, error = await self._post(url, body)
            delivered = error is None
            last = delivered or attempt == attempts
            outcome = "delivered" if delivered else "gave_up" if last else "failed"
            self._state.record_webhook(WebhookAttempt(request_id, url, attempt, outcome, status_code, error))
            if last:
                return
            await asyncio.sleep(RETRY_DELAYS[attempt - 1])

    async def _post(self, url: str, body: dict[str, Any]) -> tuple[int | None, str | None]:
        """POST once; (status code, None) on a 2xx, else what went wrong."""
        assert self._client is not None
        try:
            reply = await self._client.post(url, json=body, timeout=self._state.config.webhook_timeout)
        except Exception as exc:  # any failure of the receiver only costs an attempt
            return None, f"{type(exc).__name__}: {exc}"
        if 200 <= reply.status_code < 300:
            return reply.status_code, None
        return reply.status_code, f"HTTP {reply.status_code}"
