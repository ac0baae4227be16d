"""The async Seedance API client: one shared httpx.AsyncClient, typed replies, typed errors.

httpx (~30 ms of imports: http.client, email, idna, certifi) is loaded by the first request, not
by building a client: the dashboard builds one before its first paint and sends nothing until after.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson

from seedance_tui.api.errors import (
    MalformedReply,
    NotFound,
    NotSent,
    OutcomeUnknown,
)
from seedance_tui.api.replies import (
    error_for,
    json_object,
    optional_str,
    parse_task_reply,
    require_id,
    snippet,
)
from seedance_tui.jsonlimits import (
    MAX_ID_CHARS,
    MAX_REPLY_BYTES,
    bounded_int,
)
from seedance_tui.models import API_PREFIX, REMOTE_STATUSES, GenerationRequest

if TYPE_CHECKING:
    import httpx

    from seedance_tui.api.types import CancelReply, SubmitReply, TaskReply

#: Seconds per phase of a request (httpx.Timeout's connect, read, write and pool).
DEFAULT_TIMEOUT: dict[str, float] = {"connect": 5.0, "read": 20.0, "write": 10.0, "pool": 10.0}
_MAX_MESSAGE = 500
#: Statuses a reply to a new submission may have.
_SUBMITTED_STATUSES = ("queued", "processing")


def _not_sent() -> tuple[type[Exception], ...]:
    """httpx errors raised before any byte of the request can have reached the server."""
    import httpx

    return (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class SeedanceClient:
    """Talks to one Seedance API base URL with one key. Not tied to any UI."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout | float | None = None,
        max_connections: int = 32,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._max_connections = max_connections
        self._timeout_given = timeout
        self._transport = transport
        self._owns_api_transport = transport is None
        self._header_values = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "Authorization": f"Bearer {api_key}",
            "User-Agent": "seedance-tui",
        }

    # Everything below that needs httpx is built on first use (or by ``prepare``): the transports
    # each load a TLS context, ~40 ms that would otherwise come before the dashboard's first paint.
    @functools.cached_property
    def _timeout(self) -> httpx.Timeout:
        import httpx

        given = self._timeout_given
        return httpx.Timeout(**DEFAULT_TIMEOUT) if given is None else httpx.Timeout(given)

    @functools.cached_property
    def _limits(self) -> httpx.Limits:
        import httpx

        # Idle polls reuse connections for a minute: a new TLS handshake per poll costs far more CPU.
        count = self._max_connections
        return httpx.Limits(max_connections=count, max_keepalive_connections=count, keepalive_expiry=60.0)

    @functools.cached_property
    def _headers(self) -> httpx.Headers:
        import httpx

        return httpx.Headers(self._header_values)

    @functools.cached_property
    def _extensions(self) -> dict[str, Any]:
        return {"timeout": self._timeout.as_dict()}

    @functools.cached_property
    def _api(self) -> httpx.AsyncBaseTransport:
        import httpx

        # API calls are single requests to one origin with no cookies, auth flow or redirects, so they
        # go straight to a transport: httpx's client layer would add a fifth to each poll's CPU.
        return self._transport or httpx.AsyncHTTPTransport(
            limits=self._limits, proxy=environment_proxy(self.base_url)
        )

    @functools.cached_property
    def _http(self) -> httpx.AsyncClient:
        import httpx

        # Output videos live elsewhere (a bucket that may redirect): those go through a full client.
        return httpx.AsyncClient(
            timeout=self._timeout, limits=self._limits, transport=self._transport, follow_redirects=True
        )

    def prepare(self) -> None:
        """Build the API transport now (blocking: call it off the event loop)."""
        self._api  # noqa: B018 - the cached property builds it

    async def __aenter__(self) -> SeedanceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if "_http" in self.__dict__:
            await self._http.aclose()
        if self._owns_api_transport and "_api" in self.__dict__:
            await self._api.aclose()

    async def submit(self, request: GenerationRequest) -> SubmitReply:
        """Validate and POST a generation; raises ValidationError before sending if invalid."""
        from seedance_tui.api.types import SubmitReply  # the reply types load with the first reply (issue 15)

        request.validate()
        body = await self._call("POST", API_PREFIX, request.to_payload())
        # Only the id is essential: with it a paid task can be followed, whatever else is wrong.
        # A new task can only be queued or processing; any other claim is left to the first poll.
        status = optional_str(body, "status")
        return SubmitReply(
            request_id=require_id(body),
            status=status if status in _SUBMITTED_STATUSES else "queued",
            credits_charged=bounded_int(body.get("creditsCharged")),
        )

    async def get(self, request_id: str) -> TaskReply:
        """Fetch the current state of a task."""
        body = await self._call("GET", f"{API_PREFIX}/{_path_id(request_id)}")
        reply = parse_task_reply(body)
        if reply.request_id != request_id:
            raise MalformedReply(
                f"The API answered about another task ({snippet(reply.request_id)}) than the one asked"
            )
        return reply

    async def cancel(self, request_id: str) -> CancelReply:
        """Ask the API to cancel a queued or processing task."""
        from seedance_tui.api.types import CancelReply  # the reply types load with the first reply (issue 15)

        body = await self._call("POST", f"{API_PREFIX}/{_path_id(request_id)}/cancel")
        status = optional_str(body, "status") or "cancelled"
        named = body.get("requestId", request_id)
        if status not in REMOTE_STATUSES or named != request_id:
            # The cancel may or may not have happened: the next poll tells, this reply is not believed.
            raise MalformedReply(
                f"The API's answer to the cancel makes no sense: {snippet(json.dumps(body))}"
            )
        return CancelReply(request_id=request_id, status=status)

    async def download(
        self,
        url: str,
        write: Callable[[bytes], Awaitable[None]],
        *,
        on_progress: Callable[[int, int | None], None] | None = None,
        on_start: Callable[[int | None, str, bool], None] | None = None,
        offset: int = 0,
    ) -> int:
        """Stream ``url`` (an output video) chunk by chunk into ``write``; return the bytes written.

        ``offset`` asks for the body from that byte on (an HTTP Range). ``on_start(content_length_or_None,
        content_type, partial)`` sees the headers first (it may raise to refuse the body); ``partial``
        is True when the server sent only the range asked for. ``on_progress(done, total_or_None)``
        is called as chunks arrive. Output URLs are public (a storage bucket, which may redirect),
        so the API key is never sent with them.
        """
        import httpx

        written = 0
        headers = {"Range": f"bytes={offset}-"} if offset else None
        try:
            async with self._http.stream("GET", url, headers=headers) as response:
                if not response.is_success:
                    await response.aread()
                    raise error_for(response)
                total = response.headers.get("Content-Length")
                total_bytes = int(total) if total and total.isdigit() else None
                if on_start is not None:
                    partial = response.status_code == 206
                    on_start(total_bytes, response.headers.get("Content-Type", ""), partial)
                async for chunk in response.aiter_bytes():
                    await write(chunk)
                    written += len(chunk)
                    if on_progress is not None:
                        on_progress(written, total_bytes)
        except _not_sent() as exc:
            raise NotSent(f"Could not connect: {_describe(exc)}") from exc
        except httpx.HTTPError as exc:
            raise OutcomeUnknown(f"Download interrupted: {_describe(exc)}") from exc
        return written

    async def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        import httpx

        headers, content = self._headers, None
        if payload is not None:
            headers, content = headers.copy(), orjson.dumps(payload)
            headers["Content-Type"] = "application/json"
        request = httpx.Request(
            method, self.base_url + path, headers=headers, content=content, extensions=self._extensions
        )
        try:
            response = await self._api.handle_async_request(request)
            try:
                response._content = await _read_capped(response)
            finally:
                await response.aclose()
        except _not_sent() as exc:
            raise NotSent(f"The request was never sent: {_describe(exc)}") from exc
        except httpx.HTTPError as exc:
            raise OutcomeUnknown(
                f"The request was sent but no complete answer came back ({_describe(exc)}); "
                "its outcome is unknown"
            ) from exc
        if response.status_code >= 400:
            raise error_for(response)
        body = json_object(response)
        if body.get("success") is False:
            raise error_for(response, body)
        return body


def environment_proxy(url: str) -> str | None:
    """The proxy the environment (HTTPS_PROXY, ALL_PROXY, NO_PROXY) names for ``url``, as httpx picks it."""
    import urllib.request  # with http.client and email: ~5 ms the first paint need not wait for

    import httpx

    parts = httpx.URL(url)
    proxies = urllib.request.getproxies_environment()
    if urllib.request.proxy_bypass(parts.host):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


async def _read_capped(response: httpx.Response) -> bytes:
    """The decoded body, refused as malformed once it passes MAX_REPLY_BYTES (a real reply is < 2 KB)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise MalformedReply(
                f"The API reply is larger than {MAX_REPLY_BYTES // (1024 * 1024)} MB; it was not read",
                status_code=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _path_id(request_id: str) -> str:
    if (
        not request_id
        or len(request_id) > MAX_ID_CHARS
        or not request_id.isprintable()
        or any(c in request_id for c in "/?# ")
        or request_id in (".", "..")
    ):
        raise NotFound(f"Not a valid request id: {snippet(repr(request_id))}", status_code=None)
    return request_id


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
