"""Limits that keep the webhook listener from being held open: a connection cap and a lifetime.

uvicorn has no timeout for a request that never finishes arriving (one byte a second keeps it
open forever), and its ``limit_concurrency`` only answers 503 once headers are complete. So each
connection here gets a hard deadline from the moment it is accepted, and connections beyond the
cap are closed at once: the listener's sockets stay bounded whatever a client sends.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

#: Most connections the listener holds at once; more are closed as soon as they are accepted.
MAX_CONNECTIONS = 64
#: A connection is closed this long after it was accepted, finished or not (a callback takes ms).
CONNECTION_SECONDS = 5.0
#: Pending connections the kernel queues; asyncio accepts up to this many at once, so a burst can
#: hold that many sockets more for one loop turn before the excess ones are closed.
BACKLOG = 64

log = logging.getLogger(__name__)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a per-connection deadline and a cap on open connections."""

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > MAX_CONNECTIONS:
            transport.abort()
            return
        self._deadline = self.loop.call_later(CONNECTION_SECONDS, transport.abort)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)


def quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The listener loop's errors (say, accept failing for lack of file descriptors) go to the log only."""
    log.debug("Webhook listener: %s", context.get("message"), exc_info=context.get("exception"))
