"""Pieces both embedded HTTP servers need (the simulator, the webhook receiver)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import uvicorn
from starlette.requests import Request

#: No request body these servers accept is larger.
MAX_BODY_BYTES = 64 * 1024


def startup_pauses(
    server: uvicorn.Server, running: Callable[[], bool], timeout: float, pause: float = 0.01
) -> Iterator[float]:
    """Pauses to sleep (with ``time.sleep`` or ``asyncio.sleep``) until ``server`` accepts connections.

    Raises TimeoutError if its runner (thread or task) stops first or ``timeout`` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while not server.started:
        if not running() or time.monotonic() > deadline:
            raise TimeoutError("the server did not start")
        yield pause


def base_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def read_capped_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The body, or None once it passes ``limit`` bytes (announced or actual)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
