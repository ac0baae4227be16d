"""What a reply of the API means: its JSON object, its fields checked against the contract, and the
typed error a failed reply becomes (its envelope's message, Retry-After). No I/O: the client reads
the bytes, this decides what they say (the webhook receiver parses its bodies with it too).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from seedance_tui.api.errors import (
    ApiError,
    AuthError,
    InvalidState,
    MalformedReply,
    NotFound,
    RateLimited,
    RequestRejected,
    ServerError,
)
from seedance_tui.jsonlimits import (
    MAX_ID_CHARS,
    TooDeep,
    bounded_fields,
    bounded_int,
    load_json,
)
from seedance_tui.models import REMOTE_STATUSES

if TYPE_CHECKING:
    import httpx

    from seedance_tui.api.types import TaskReply

_MAX_MESSAGE = 500


def parse_task_reply(body: dict[str, Any]) -> TaskReply:
    """Build a TaskReply from a GET reply (or a webhook payload), keeping bounded unknown fields.

    Only the contract's statuses are believed: any other (including the states only this program
    assigns, such as ``rejected``) makes the reply malformed, so the job keeps its state.
    """
    from seedance_tui.api.types import TaskReply  # the reply types load with the first reply (issue 15)

    output = body.get("output")
    error = body.get("error")
    output_url = output.get("url") if isinstance(output, dict) else None
    known = {
        "success", "requestId", "status", "model", "prompt", "duration",
        "aspectRatio", "resolution", "output", "error",
    }  # fmt: skip
    status = _require_str(body, "status")
    if status not in REMOTE_STATUSES:
        raise MalformedReply(f"The API reply has a status the contract does not have: {snippet(status)}")
    return TaskReply(
        request_id=require_id(body),
        status=status,
        model=optional_str(body, "model"),
        prompt=optional_str(body, "prompt"),
        duration=bounded_int(body.get("duration")),
        aspect_ratio=optional_str(body, "aspectRatio"),
        resolution=optional_str(body, "resolution"),
        output_url=output_url if isinstance(output_url, str) else None,
        error_code=_text(error.get("code")) if isinstance(error, dict) else None,
        error_message=_error_text(error),
        extra=bounded_fields({k: v for k, v in body.items() if k not in known}),
    )


def json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = load_json(response.content)
    except TooDeep as exc:
        raise MalformedReply(
            f"The API replied with JSON {exc} (HTTP {response.status_code})", status_code=response.status_code
        ) from None
    except ValueError:
        kind = "HTML" if "html" in response.headers.get("content-type", "") else "not JSON"
        raise MalformedReply(
            f"The API replied with {kind} (HTTP {response.status_code}): {snippet(response.text)}",
            status_code=response.status_code,
        ) from None
    if not isinstance(body, dict):
        raise MalformedReply(
            f"The API replied with JSON that is not an object (HTTP {response.status_code})",
            status_code=response.status_code,
        )
    return body


def snippet(text: str) -> str:
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


def _error_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        parsed = load_json(response.content)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _is_envelope(body: dict[str, Any] | None) -> bool:
    """The API's own error shape: ``{"success": false, "error": {...}}`` (a proxy's page is not)."""
    return body is not None and body.get("success") is False and isinstance(body.get("error"), dict)


def _best_message(response: httpx.Response, body: dict[str, Any] | None) -> tuple[str, str | None]:
    """The most useful text in an error reply, whatever its shape, and its code if any."""
    if body is not None:
        error = body.get("error")
        code = _text(error.get("code")) if isinstance(error, dict) else None
        for candidate in (_error_text(error), body.get("message"), body.get("detail")):
            if isinstance(candidate, str) and candidate.strip():
                return candidate.strip()[:_MAX_MESSAGE], code
        return snippet(json.dumps(body)), code
    return f"HTTP {response.status_code} {response.reason_phrase}: {snippet(response.text)}", None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, min(seconds, 3600.0))


def error_for(response: httpx.Response, body: dict[str, Any] | None = None) -> ApiError:
    if body is None:
        body = _error_body(response)
    message, code = _best_message(response, body)
    status = response.status_code
    kwargs: dict[str, Any] = {"status_code": status, "code": code, "enveloped": _is_envelope(body)}
    if status in (401, 403):
        return AuthError(f"The API key was rejected: {message}", **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 409 or code in ("invalid_state", "invalid_status", "task_not_cancellable"):
        return InvalidState(message, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=_retry_after(response), **kwargs)
    if status >= 500:
        return ServerError(f"The API failed (HTTP {status}): {message}", **kwargs)
    return RequestRejected(message, **kwargs)


def require_id(body: dict[str, Any]) -> str:
    request_id = _require_str(body, "requestId")
    if len(request_id) > MAX_ID_CHARS or not request_id.isprintable():
        raise MalformedReply(f"The API reply has an implausible requestId: {snippet(repr(request_id))}")
    return request_id


def _require_str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedReply(f"The API reply has no valid {key!r} field")
    return value


def optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    return value if isinstance(value, str) else None
