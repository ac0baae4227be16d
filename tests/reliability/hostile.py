"""A hostile API on 127.0.0.1: scripted replies of every kind the contract does not promise.

Each request takes the next scripted reply for its method (or a plausible default), and every
request's arrival time is recorded as the server saw it, for budget checks.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from seedance_tui.serving import base_url
from seedance_tui.sim.server import _bind


@dataclass(frozen=True)
class Reply:
    """One scripted reply: raw bytes, so it can be anything at all."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, doc: Any, status: int = 200, **headers: str) -> Reply:
        return cls(status, orjson.dumps(doc), headers=headers)

    @classmethod
    def raw_json(cls, text: str, status: int = 200) -> Reply:
        return cls(status, text.encode())


@dataclass(frozen=True)
class Arrival:
    """A request as the server saw it arrive."""

    at: float
    method: str
    path: str


class HostileServer:
    """Serves scripted replies in its own thread; ``arrivals`` records what came, and when."""

    def __init__(self) -> None:
        self.scripts: dict[str, deque[Reply]] = {"GET": deque(), "POST": deque()}
        self.arrivals: list[Arrival] = []
        self.rate_limit: int | None = None  # enforce N requests per sliding second with 429s
        self.rejected_by_limit = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        route = Route("/{path:path}", self._reply, methods=["GET", "POST"])
        self.app = Starlette(routes=[route])

    def script(self, method: str, *replies: Reply) -> None:
        with self._lock:
            self.scripts[method].extend(replies)

    async def _reply(self, request: Request) -> Response:
        now = time.monotonic()
        with self._lock:
            self.arrivals.append(Arrival(now, request.method, request.url.path))
            if self.rate_limit is not None:
                recent = sum(1 for a in self.arrivals if now - a.at < 1.0)
                if recent > self.rate_limit:
                    self.rejected_by_limit += 1
                    return Response(
                        b'{"success":false,"error":{"code":"rate_limited","message":"slow"}}', 429
                    )
            script = self.scripts[request.method]
            scripted = script.popleft() if script else None
        reply = scripted or self._default(request)
        return Response(reply.body, reply.status, headers=reply.headers, media_type=reply.content_type)

    def _default(self, request: Request) -> Reply:
        if request.method == "POST":
            return Reply.json({"success": True, "requestId": f"req_h{next(self._ids)}", "status": "queued"})
        request_id = request.url.path.rstrip("/").split("/")[-1]
        return Reply.json({"success": True, "requestId": request_id, "status": "processing"})

    def start(self) -> str:
        sock = _bind("127.0.0.1", 0)
        config = uvicorn.Config(self.app, http="h11", lifespan="off", log_config=None, log_level="critical")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="hostile-api", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the hostile server did not start")
            time.sleep(0.01)
        self.url = base_url(sock)
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(5)
