"""The async Seedance API client: one shared httpx.AsyncClient, typed replies, typed errors."""

from __future__ import annotations

import functools
import json
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson

from seedance_tui.api.errors import (
    ApiError,
    AuthError,
    InvalidState,
    MalformedReply,
    NotFound,
    NotSent,
    OutcomeUnknown,
    RateLimited,
    RequestRejected,
    ServerError,
)
from seedance_tui.api.types import CancelReply, SubmitReply, TaskReply
from seedance_tui.models import GenerationRequest

API_PREFIX = "/api/open/v1/video/generations"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=10.0)
_MAX_MESSAGE = 500

#: httpx errors raised before any byte of the request can have reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class SeedanceClient:
    """Talks to one Seedance API base URL with one key. Not tied to any UI."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_connections: int = 32,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Idle polls reuse connections for a minute: a new TLS handshake per poll costs far more CPU.
        self._limits = httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections, keepalive_expiry=60.0
        )
        self._timeout = timeout
        self._transport = transport
        self._owns_api_transport = transport is None
        self._headers = httpx.Headers(
            {
                "Accept": "application/json",
                "Accept-Encoding": "gzip, deflate",
                "Authorization": f"Bearer {api_key}",
                "User-Agent": "seedance-tui",
            }
        )
        self._extensions = {"timeout": httpx.Timeout(timeout).as_dict()}

    # Both are built on first use (or by ``prepare``): each loads a TLS context, ~40 ms that would
    # otherwise come before the dashboard's first paint.
    @functools.cached_property
    def _api(self) -> httpx.AsyncBaseTransport:
        # API calls are single requests to one origin with no cookies, auth flow or redirects, so they
        # go straight to a transport: httpx's client layer would add a fifth to each poll's CPU.
        return self._transport or httpx.AsyncHTTPTransport(
            limits=self._limits, proxy=environment_proxy(self.base_url)
        )

    @functools.cached_property
    def _http(self) -> httpx.AsyncClient:
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
        request.validate()
        body = await self._call("POST", API_PREFIX, request.to_payload())
        # Only the id is essential: with it a paid task can be followed, whatever else is missing.
        return SubmitReply(
            request_id=_require_str(body, "requestId"),
            status=_optional_str(body, "status") or "queued",
            credits_charged=_optional_int(body, "creditsCharged"),
        )

    async def get(self, request_id: str) -> TaskReply:
        """Fetch the current state of a task."""
        body = await self._call("GET", f"{API_PREFIX}/{_path_id(request_id)}")
        return parse_task_reply(body)

    async def cancel(self, request_id: str) -> CancelReply:
        """Ask the API to cancel a queued or processing task."""
        body = await self._call("POST", f"{API_PREFIX}/{_path_id(request_id)}/cancel")
        return CancelReply(request_id=request_id, status=_optional_str(body, "status") or "cancelled")

    async def download(
        self,
        url: str,
        write: Callable[[bytes], Awaitable[None]],
        *,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> int:
        """Stream ``url`` (an output video) chunk by chunk into ``write``; return the bytes written.

        ``on_progress(done, total_or_None)`` is called as chunks arrive. Output URLs are
        public (a storage bucket, which may redirect), so the API key is never sent with them.
        """
        written = 0
        try:
            async with self._http.stream("GET", url) as response:
                if not response.is_success:
                    await response.aread()
                    raise _error_for(response)
                total = response.headers.get("Content-Length")
                total_bytes = int(total) if total and total.isdigit() else None
                async for chunk in response.aiter_bytes():
                    await write(chunk)
                    written += len(chunk)
                    if on_progress is not None:
                        on_progress(written, total_bytes)
        except _NOT_SENT as exc:
            raise NotSent(f"Could not connect: {_describe(exc)}") from exc
        except httpx.HTTPError as exc:
            raise OutcomeUnknown(f"Download interrupted: {_describe(exc)}") from exc
        return written

    async def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
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
                await response.aread()
            finally:
                await response.aclose()
        except _NOT_SENT as exc:
            raise NotSent(f"The request was never sent: {_describe(exc)}") from exc
        except httpx.HTTPError as exc:
            raise OutcomeUnknown(
                f"The request was sent but no complete answer came back ({_describe(exc)}); "
                "its outcome is unknown"
            ) from exc
        if response.status_code >= 400:
            raise _error_for(response)
        body = _json_object(response)
        if body.get("success") is False:
            raise _error_for(response, body)
        return body


def environment_proxy(url: str) -> str | None:
    """The proxy the environment (HTTPS_PROXY, ALL_PROXY, NO_PROXY) names for ``url``, as httpx picks it."""
    parts = httpx.URL(url)
    proxies = urllib.request.getproxies_environment()
    if urllib.request.proxy_bypass(parts.host):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


def parse_task_reply(body: dict[str, Any]) -> TaskReply:
    """Build a TaskReply from a GET reply (or a webhook payload), keeping unknown fields."""
    output = body.get("output")
    error = body.get("error")
    output_url = output.get("url") if isinstance(output, dict) else None
    known = {
        "success", "requestId", "status", "model", "prompt", "duration",
        "aspectRatio", "resolution", "output", "error",
    }  # fmt: skip
    return TaskReply(
        request_id=_require_str(body, "requestId"),
        status=_require_str(body, "status"),
        model=_optional_str(body, "model"),
        prompt=_optional_str(body, "prompt"),
        duration=_optional_int(body, "duration"),
        aspect_ratio=_optional_str(body, "aspectRatio"),
        resolution=_optional_str(body, "resolution"),
        output_url=output_url if isinstance(output_url, str) else None,
        error_code=_text(error.get("code")) if isinstance(error, dict) else None,
        error_message=_error_text(error),
        extra={k: v for k, v in body.items() if k not in known},
    )


def _path_id(request_id: str) -> str:
    if not request_id or "/" in request_id or request_id in (".", ".."):
        raise NotFound(f"Not a valid request id: {request_id!r}", status_code=None)
    return request_id


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = load_json(response.content)
    except ValueError:
        kind = "HTML" if "html" in response.headers.get("content-type", "") else "not JSON"
        raise MalformedReply(
            f"The API replied with {kind} (HTTP {response.status_code}): {_snippet(response.text)}",
            status_code=response.status_code,
        ) from None
    if not isinstance(body, dict):
        raise MalformedReply(
            f"The API replied with JSON that is not an object (HTTP {response.status_code})",
            status_code=response.status_code,
        )
    return body


def load_json(raw: bytes | str) -> Any:
    """Parse JSON as the job store can keep it: no NaN/Infinity, integers within 64 bits.

    Raises ValueError otherwise, so that nothing from the network can make the store unwritable.
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat[:_MAX_MESSAGE] + ("…" if len(flat) > _MAX_MESSAGE else "") if flat else "(empty body)"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _error_text(error: Any) -> str | None:
    if isinstance(error, dict):
        return _text(error.get("message"))
    if isinstance(error, str):
        return error
    return None


def _best_message(response: httpx.Response, body: dict[str, Any] | None) -> tuple[str, str | None]:
    """The most useful text in an error reply, whatever its shape, and its code if any."""
    if body is None:
        try:
            parsed = load_json(response.content)
            body = parsed if isinstance(parsed, dict) else None
        except ValueError:
            body = None
    if body is not None:
        error = body.get("error")
        code = _text(error.get("code")) if isinstance(error, dict) else None
        for candidate in (_error_text(error), body.get("message"), body.get("detail")):
            if isinstance(candidate, str) and candidate.strip():
                return candidate.strip()[:_MAX_MESSAGE], code
        return _snippet(json.dumps(body)), code
    return f"HTTP {response.status_code} {response.reason_phrase}: {_snippet(response.text)}", None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, min(seconds, 3600.0))


def _error_for(response: httpx.Response, body: dict[str, Any] | None = None) -> ApiError:
    message, code = _best_message(response, body)
    status = response.status_code
    kwargs: dict[str, Any] = {"status_code": status, "code": code}
    if status in (401, 403):
        return AuthError(f"The API key was rejected: {message}", **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 409 or code in ("invalid_state", "invalid_status", "task_not_cancellable"):
        return InvalidState(message, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=_retry_after(response), status_code=status, code=code)
    if status >= 500:
        return ServerError(f"The API failed (HTTP {status}): {message}", **kwargs)
    return RequestRejected(message, **kwargs)


def _require_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedReply(f"The API reply has no valid {key!r} field")
    return value


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None


def _optional_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
