"""The demo's simulator, with its memory kept beside the job store so a restarted demo follows its jobs.

Task times are on the simulator's monotonic clock, which restarts with the process: they are saved
as wall-clock times and mapped back at load, so time passes for the tasks while the demo is not
running, as it would for a real API. The demo listens on its previous port again when it can, so
stored output links keep working.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from seedance_tui.models import DEMO_API, Job
from seedance_tui.sim.config import SimConfig
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.sim.tasks import SimTask

FORMAT = 1
_TIMES = ("created_at", "processing_at", "finished_at", "cancelled_at")


def state_path(db_path: Path) -> Path:
    """Where the demo simulator of the store ``db_path`` keeps its tasks."""
    return db_path.with_name(db_path.name + ".demo-sim.json")


def save(server: SimulatorServer, path: Path) -> None:
    """Write every task and the port the demo listened on (atomically: a crash keeps the old file)."""
    offset = time.time() - server.state.clock()
    tasks = []
    for task in server.state.export_tasks():
        doc = dataclasses.asdict(task)
        for name in _TIMES:
            if doc[name] is not None:
                doc[name] += offset
        tasks.append(doc)
    port = urlsplit(server.url).port
    data = json.dumps({"format": FORMAT, "port": port, "tasks": tasks}).encode()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path, clock: Callable[[], float] = time.monotonic) -> tuple[list[SimTask], int | None]:
    """The tasks and port saved at ``path`` (none when it is missing or unreadable), times on ``clock``."""
    try:
        doc: dict[str, Any] = json.loads(path.read_bytes())
        if doc.get("format") != FORMAT:
            return [], None
        offset = clock() - time.time()
        tasks = []
        for item in doc["tasks"]:
            for name in _TIMES:
                if item.get(name) is not None:
                    item[name] += offset
            item["failure"] = tuple(item["failure"]) if item.get("failure") else None
            tasks.append(SimTask(**item))
    except (OSError, ValueError, KeyError, TypeError):
        return [], None  # the demo still works; its earlier jobs show as not found
    port = doc.get("port")
    return tasks, port if isinstance(port, int) else None


class DemoSimulator:
    """The demo's simulator, saving its tasks beside the store a moment after each change and at stop."""

    def __init__(self, server: SimulatorServer, saved: Path | None, interval: float) -> None:
        self.server = server
        self._saved = saved
        self._interval = interval
        self._stopping = threading.Event()
        self._last: tuple[int, int] | None = self._changes()
        self._problem: str | None = None
        self._thread: threading.Thread | None = None
        if saved is not None:
            self._thread = threading.Thread(target=self._keep, name="seedance-demo-save", daemon=True)
            self._thread.start()

    @property
    def url(self) -> str:
        return self.server.url

    def _changes(self) -> tuple[int, int]:
        stats = self.server.state.stats()
        return stats["tasks_created"], stats["cancels"]

    def _keep(self) -> None:
        """Save after submits and cancels, so even a killed demo leaves its tasks behind."""
        while not self._stopping.wait(self._interval):
            self._save_if_changed()

    def _save_if_changed(self) -> None:
        changes = self._changes()
        if self._saved is not None and changes != self._last:
            try:
                save(self.server, self._saved)
            except OSError as exc:  # shown once the dashboard has closed the terminal
                self._problem = str(exc)
            else:
                self._last, self._problem = changes, None

    def stop(self) -> None:
        """Stop serving and save a last time."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self.server.stop()
        self._last = None
        self._save_if_changed()
        if self._problem is not None:
            sys.stderr.write(
                f"warning: the demo's jobs could not be kept for the next start: {self._problem}\n"
            )


def lost_jobs_message(server: SimulatorServer, jobs: Iterable[Job]) -> str | None:
    """Say so when unfinished demo jobs are unknown to this simulator (its saved state is gone)."""
    known = {task.request_id for task in server.state.export_tasks()}
    lost = [
        job
        for job in jobs
        if job.api in (DEMO_API, None) and job.needs_polling and job.request_id not in known
    ]
    if not lost:
        return None
    return (
        f"{len(lost)} earlier demo job(s) cannot be followed: the demo's saved state "
        "(beside the store) is missing, so they will show as not found."
    )


def start_demo(config: SimConfig, saved: Path | None, *, save_interval: float = 1.0) -> DemoSimulator:
    """Start the demo's simulator with the tasks saved at ``saved``, on their old port when it is free."""
    tasks, port = load(saved) if saved is not None else ([], None)
    server: SimulatorServer | None = None
    if port:
        server = SimulatorServer(config, port=port, log_level="critical")
        try:
            server.start()
        except OSError:
            server = None  # taken by now: a new port, and the tasks' links follow it
    if server is None:
        server = SimulatorServer(config, log_level="critical")
        server.start()
    server.state.restore_tasks(tasks)
    server.state.rebase(server.url)
    return DemoSimulator(server, saved, save_interval)
