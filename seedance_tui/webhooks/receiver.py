"""The opt-in webhook receiver: an HTTP endpoint that turns callbacks into claims.

A callback never changes a job by itself: it only names a task that may have ended, and the
``confirm`` callable (see ``confirm.py``) asks the API about that task with the real client.

Anyone who can reach the port can talk to it, so the listener is isolated: it serves from its own
thread and event loop, holds at most MAX_CONNECTIONS sockets (more are closed at once), and closes
any connection after CONNECTION_SECONDS whatever it is doing (a slow-loris sender included). Only
a request with the right token and a well-formed body reaches the app's loop, for one lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from enum import StrEnum

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from seedance_tui.api.errors import MalformedReply
from seedance_tui.api.replies import parse_task_reply
from seedance_tui.jsonlimits import load_json
from seedance_tui.serving import base_url, read_capped_body, startup_pauses
from seedance_tui.webhooks.guard import (
    BACKLOG,
    MAX_CONNECTIONS,
    GuardedH11Protocol,
    quiet_exception_handler,
)

#: Path of the endpoint; the secret token is its last segment.
WEBHOOK_PATH = "/webhooks/seedance"
#: How long a valid callback waits for the app's loop to look its job up before getting 503.
_LOOKUP_TIMEOUT = 5.0
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

log = logging.getLogger(__name__)


class JobLookup(StrEnum):
    """What the store knows about a request id named by a callback."""

    UNKNOWN = "unknown"
    OPEN = "open"
    FINAL = "final"


class WebhookVerdict(StrEnum):
    """What became of one callback's claim."""

    ACCEPTED = "accepted"
    UNKNOWN_JOB = "unknown_job"
    ALREADY_FINAL = "already_final"
    FAILED = "failed"


Lookup = Callable[[str], JobLookup]
Confirm = Callable[[str], Awaitable[WebhookVerdict]]


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves the signal handlers to whoever owns the loop (the TUI)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class WebhookReceiver:
    """Serves ``POST /webhooks/seedance/{token}`` and confirms each valid claim in the background."""

    def __init__(
        self, *, lookup: Lookup, confirm: Confirm, token: str, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        if not token:
            raise ValueError("the webhook token must not be empty")
        self._lookup = lookup
        self._confirm = confirm
        self._token = token.encode("utf-8")
        self._host = host
        self._port = port
        #: How many callbacks ended in each outcome (``bad_token``, ``bad_body``, verdicts…).
        self.counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        #: Confirmations running on the app's loop (only ever touched there).
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._server: _QuietServer | None = None
        self._thread: threading.Thread | None = None
        self._app_loop: asyncio.AbstractEventLoop | None = None
        self._url: str | None = None
        self.app = Starlette(routes=[Route(WEBHOOK_PATH + "/{token}", self._handle, methods=_ALL_METHODS)])

    def __repr__(self) -> str:  # the token stays out of reprs and tracebacks
        return f"WebhookReceiver(url={self._url!r})"

    @property
    def url(self) -> str:
        """Local base URL such as ``http://127.0.0.1:54321``; only after ``start``."""
        if self._url is None:
            raise RuntimeError("WebhookReceiver is not started")
        return self._url

    def public_url_for(self, public_base: str) -> str:
        """The ``webhookUrl`` to send: where the API can reach this receiver, plus the secret path."""
        return f"{public_base.rstrip('/')}{WEBHOOK_PATH}/{self._token.decode('utf-8')}"

    async def start(self, timeout: float = 5.0) -> None:
        """Listen from a thread of its own; OSError if the address is taken, RuntimeError if not up."""
        if self._thread is not None:
            raise RuntimeError("WebhookReceiver already started")
        self._app_loop = asyncio.get_running_loop()
        sock = _listen(self._host, self._port)
        config = uvicorn.Config(
            self.app,
            http=GuardedH11Protocol,
            lifespan="off",
            log_config=None,
            log_level="critical",
            access_log=False,  # the access log would print the secret path
            timeout_graceful_shutdown=1,
            timeout_keep_alive=2,
            limit_concurrency=MAX_CONNECTIONS,
            h11_max_incomplete_event_size=16 * 1024,
            backlog=BACKLOG,
        )
        server = self._server = _QuietServer(config)
        self._thread = threading.Thread(
            target=_serve_in_own_loop, args=(server, sock), name="webhook-receiver", daemon=True
        )
        self._thread.start()
        try:
            for pause in startup_pauses(server, self._thread.is_alive, timeout):
                await asyncio.sleep(pause)
        except TimeoutError:
            await self.stop()
            sock.close()
            raise RuntimeError("the webhook receiver did not start") from None
        self._url = base_url(sock)

    async def stop(self, timeout: float = 1.0) -> None:
        """Stop listening and drop confirmations in flight (polling still covers those jobs).

        Returns within about ``2 * timeout`` seconds whatever the listener's clients do.
        """
        server, thread = self._server, self._thread
        pending = list(self._in_flight.values())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if server is None or thread is None:
            return
        server.should_exit = True
        await asyncio.to_thread(thread.join, timeout)
        if thread.is_alive():
            server.force_exit = True
            await asyncio.to_thread(thread.join, timeout)
        self._server = self._thread = None

    async def idle(self) -> None:
        """Wait until no confirmation is in flight."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _handle(self, request: Request) -> Response:
        given = request.path_params["token"].encode("utf-8")
        if request.method != "POST" or not hmac.compare_digest(given, self._token):
            return self._outcome("bad_token", _not_found())
        body = await read_capped_body(request)
        if body is None:
            return self._outcome("too_large", PlainTextResponse("Payload Too Large", status_code=413))
        try:
            payload = load_json(body)  # bounded nesting: a deep body is a 400, never a RecursionError
            if not isinstance(payload, dict):
                raise MalformedReply("not a JSON object")
            claim = parse_task_reply(payload)
        except (ValueError, MalformedReply):
            return self._outcome("bad_body", PlainTextResponse("Bad Request", status_code=400))
        try:
            known = await self._on_app_loop(claim.request_id)
        except (TimeoutError, RuntimeError):  # the app is busy or stopping: the sender may retry
            return self._outcome("busy", PlainTextResponse("Service Unavailable", status_code=503))
        if known is JobLookup.UNKNOWN:
            return self._outcome(WebhookVerdict.UNKNOWN_JOB, _not_found())
        if known is JobLookup.FINAL:
            return self._outcome(WebhookVerdict.ALREADY_FINAL, JSONResponse({"received": True}))
        return self._outcome("queued", JSONResponse({"received": True}, status_code=202))

    async def _on_app_loop(self, request_id: str) -> JobLookup:
        """Look the claim up, and start its confirmation, on the app's loop (called from the listener's)."""
        if self._app_loop is None:
            raise RuntimeError("not started")
        future = asyncio.run_coroutine_threadsafe(self._claim(request_id), self._app_loop)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), _LOOKUP_TIMEOUT)
        finally:
            future.cancel()

    async def _claim(self, request_id: str) -> JobLookup:
        known = self._lookup(request_id)
        if known is JobLookup.OPEN and request_id not in self._in_flight:
            task = asyncio.create_task(self._confirm_claim(request_id), name="webhook-confirm")
            self._in_flight[request_id] = task
        return known

    async def _confirm_claim(self, request_id: str) -> None:
        try:
            verdict = await self._confirm(request_id)
        except Exception:  # a failed confirmation only leaves the job to the poller
            log.exception("Confirming a webhook for %s failed", request_id)
            verdict = WebhookVerdict.FAILED
        finally:
            self._in_flight.pop(request_id, None)
        self._count(verdict)
        log.debug("Webhook for %s: %s", request_id, verdict)

    def _outcome(self, name: str, response: Response) -> Response:
        self._count(name)
        return response

    def _count(self, name: str) -> None:
        with self._counts_lock:  # the listener's thread and the app's loop both count
            self.counts[name] += 1


def _serve_in_own_loop(server: uvicorn.Server, sock: socket.socket) -> None:
    """The listener thread: a loop of its own, whose socket errors are logged, never printed."""

    async def serve() -> None:
        asyncio.get_running_loop().set_exception_handler(quiet_exception_handler)
        await server.serve(sockets=[sock])

    with contextlib.suppress(Exception):
        asyncio.run(serve())


def _not_found() -> Response:
    """The same answer as for any path that does not exist, so a wrong token learns nothing."""
    return PlainTextResponse("Not Found", status_code=404)


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one), so a taken address fails here and the port is known."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)
