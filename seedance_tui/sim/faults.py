"""Injected faults: what a flaky API, proxy or network does to a request and its reply."""

from __future__ import annotations

import json
from enum import StrEnum

from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from seedance_tui.sim.replies import error_reply
from seedance_tui.sim.state import SimState

_PHRASES = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
_HTML_PAGE = (
    "<html><head><title>{status} {phrase}</title></head><body>"
    "<center><h1>{status} {phrase}</h1></center><hr><center>nginx</center></body></html>"
)


class FaultKind(StrEnum):
    """The kinds of fault counted in ``/_sim/stats``."""

    DOWN = "down"
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    MALFORMED = "malformed"
    DROP = "drop"


class DroppedReply(Response):
    """Announces a longer body than it sends, then stops: the server closes the connection mid-reply."""

    def __init__(self, original: Response) -> None:
        super().__init__(
            bytes(original.body), status_code=original.status_code, media_type=original.media_type
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", (self.media_type or "application/json").encode()),
            (b"content-length", str(len(self.body) + 64).encode()),
        ]
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send(
            {"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True}
        )


def fault_before(state: SimState) -> Response | None:
    """A fault that answers instead of the API, before the request takes effect (None: no fault)."""
    config = state.config
    if config.down:
        state.count_fault(FaultKind.DOWN)
        return error_reply(503, "unavailable", "The service is temporarily unavailable")
    if state.roll(config.error_rate):
        state.count_fault(FaultKind.SERVER_ERROR)
        return _server_error(state)
    if state.roll(config.rate_limit_rate):
        state.count_fault(FaultKind.RATE_LIMITED)
        headers = {"Retry-After": f"{config.retry_after:g}"}
        return error_reply(429, "rate_limited", "Too many requests, slow down", headers)
    return None


def fault_after(state: SimState, reply: Response) -> Response:
    """``reply``, or a spoilt version of it; the request has already taken effect."""
    config = state.config
    if state.roll(config.malformed_rate):
        state.count_fault(FaultKind.MALFORMED)
        return _malformed(state, reply)
    if state.roll(config.drop_rate):
        state.count_fault(FaultKind.DROP)
        return DroppedReply(reply)
    return reply


def _server_error(state: SimState) -> Response:
    status = state.pick((500, 502, 503))
    phrase = _PHRASES[status]
    if state.roll(0.5):
        return HTMLResponse(_HTML_PAGE.format(status=status, phrase=phrase), status_code=status)
    code = "unavailable" if status == 503 else "internal_error"
    return error_reply(status, code, phrase)


def _malformed(state: SimState, reply: Response) -> Response:
    """A 200 whose body breaks the contract: cut-off JSON, an HTML page, or JSON without key fields."""
    body = bytes(reply.body)
    kind = state.pick(("truncated", "html", "missing_fields"))
    if kind == "truncated":
        return Response(body[: max(1, len(body) // 2)], media_type="application/json")
    if kind == "html":
        return HTMLResponse("<html><body><h1>Welcome</h1><p>Please enable JavaScript.</p></body></html>")
    data = json.loads(body)
    if isinstance(data, dict):
        data.pop("status", None)
        data.pop("requestId", None)
    return Response(json.dumps(data).encode(), media_type="application/json")
