"""Run the simulator over real HTTP: in a background thread (tests, --demo) or in the foreground (CLI)."""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from seedance_tui.serving import base_url, startup_pauses
from seedance_tui.sim.app import create_app
from seedance_tui.sim.config import SimConfig
from seedance_tui.sim.state import Clock, SimState

#: uvicorn's complaint when a reply is cut off on purpose (the drop fault); not worth a log line.
_DROP_LOG_MESSAGE = "ASGI callable returned without completing response."


class _HideDroppedReplies(logging.Filter):
    """Hides uvicorn's error for replies the drop fault cut off."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != _DROP_LOG_MESSAGE


_drop_filter = _HideDroppedReplies()


def _bind(host: str, port: int) -> socket.socket:
    """A bound socket for ``host:port`` (port 0 picks a free one), so the real port is known upfront."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


class SimulatorServer:
    """The simulator served by uvicorn in its own thread and event loop, beside any other loop."""

    def __init__(
        self,
        config: SimConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: Clock | None = None,
        log_level: str = "warning",
    ) -> None:
        self.app = create_app(config or SimConfig(), clock=clock)
        self.state: SimState = self.app.state.sim
        self._host = host
        self._port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """Base URL such as ``http://127.0.0.1:54321``; only after ``start``."""
        if self._url is None:
            raise RuntimeError("SimulatorServer is not started")
        return self._url

    @property
    def running(self) -> bool:
        """True while the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> str:
        """Serve in a background thread; return the base URL once connections are accepted."""
        if self._thread is not None:
            raise RuntimeError("SimulatorServer already started")
        sock = _bind(self._host, self._port)
        config = uvicorn.Config(
            self.app,
            http="h11",
            lifespan="on",
            log_config=None,
            log_level=self._log_level,
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        logging.getLogger("uvicorn.error").addFilter(_drop_filter)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="seedance-sim", daemon=True
        )
        self._thread.start()
        try:
            for pause in startup_pauses(self._server, self._thread.is_alive, timeout):
                time.sleep(pause)
        except TimeoutError:
            self.stop()
            sock.close()
            raise RuntimeError("the simulator did not start") from None
        self._url = base_url(sock)
        return self._url

    def stop(self, timeout: float = 5.0) -> None:
        """Shut down, waiting at most about ``timeout`` seconds; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout / 2)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout / 2)

    def set_faults(self, **fields: Any) -> SimConfig:
        """Change fault fields while running (thread-safe); ValueError on unknown fields or bad values."""
        return self.state.set_faults(**fields)

    def __enter__(self) -> SimulatorServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def key_hint(config: SimConfig) -> str:
    """One line telling a person which API key the simulator accepts."""
    if config.api_keys is None:
        return "API key: any key starting with sd2_ (e.g. sd2_demo_key); keys containing 'revoked' get 403"
    return "API keys: " + ", ".join(sorted(config.api_keys))


def serve_forever(config: SimConfig, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve in the foreground until SIGINT or SIGTERM (the ``seedance-tui sim`` command)."""
    stopping = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with SimulatorServer(config, host, port) as server:
            print(f"Seedance simulator listening on {server.url}", flush=True)
            print(key_hint(config), flush=True)
            while server.running and not stopping.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
