"""Three installed dashboards in tmux on one store (issue 15): one polls, two follow; SIGKILL the poller
and another takes over within 5 s; every job still reaches the simulator's final state."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seedance_tui.models import GenerationRequest
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from tests.conftest import API_KEY
from tests.reliability.helpers import on_disk, sim_tasks

pytestmark = pytest.mark.e2e

COMMAND = Path(sys.executable).parent / "seedance-tui"
POLLING, FOLLOWING = "⇅ polling", "⇣ following"


class Windows:
    """A private tmux server with one session per dashboard window."""

    def __init__(self) -> None:
        self.socket = f"seedance-e2e-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20, check=True
        ).stdout

    def open(self, name: str, command: str) -> int:
        self.run("new-session", "-d", "-s", name, "-x", "140", "-y", "30", command)
        return int(self.run("display-message", "-p", "-t", name, "#{pane_pid}").strip())

    def screen(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", name)


@pytest.fixture
def windows() -> Iterator[Windows]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is required in CI (.ci/run installs it)")
        pytest.skip("tmux is not installed")
    assert COMMAND.exists(), f"the installed command is missing: {COMMAND}"
    server = Windows()
    yield server
    subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True, timeout=20)


def wait(check: Callable[[], bool], limit: float, what: str) -> float:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < limit, f"{what}: not within {limit} s"
        time.sleep(0.1)
    return time.monotonic() - start


def test_three_dashboards_one_poller_and_a_takeover_after_sigkill(
    windows: Windows,
    sim_factory: Callable[..., SimulatorServer],
    service_factory: Callable[..., JobService],
    db_path: Path,
    tmp_path: Path,
) -> None:
    sim = sim_factory(queue_seconds=5.0, process_seconds=5.0)

    async def submit() -> list[str]:
        service = service_factory(sim.url)
        jobs = [
            await service.submit(GenerationRequest("seedance-2.0", f"A kite over dunes {n}"))
            for n in range(3)
        ]
        await service.close()
        return [job.local_id for job in jobs]

    ids = asyncio.run(submit())
    command = (
        f"exec env TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(tmp_path / 'none.toml'))} "
        f"SEEDANCE_API_KEY={API_KEY} {shlex.quote(str(COMMAND))} --db {shlex.quote(str(db_path))} "
        f"--base-url {sim.url}"
    )
    pids = {name: windows.open(name, command) for name in ("w0", "w1", "w2")}

    def roles() -> dict[str, str]:
        found = {}
        for name in pids:
            screen = windows.screen(name)
            found[name] = POLLING if POLLING in screen else FOLLOWING if FOLLOWING in screen else ""
        return found

    wait(lambda: sorted(roles().values()) == [POLLING, FOLLOWING, FOLLOWING], 40, "one polls, two follow")
    poller = next(name for name, role in roles().items() if role == POLLING)
    os.kill(pids[poller], signal.SIGKILL)
    others = [name for name in pids if name != poller]
    took = wait(
        lambda: any(POLLING in windows.screen(name) for name in others), 5.0, "takeover after SIGKILL"
    )
    print(f"\n[tmux] takeover seen on screen {took:.2f} s after SIGKILL")

    def shown_final(name: str) -> bool:
        rows = windows.screen(name).splitlines()
        return sum("kite over dunes" in row and "succeeded" in row for row in rows) == 3

    wait(lambda: all(shown_final(name) for name in others), 60, "every job shown succeeded in both windows")
    stored = on_disk(db_path)
    truth = sim_tasks(sim.url)
    assert sorted(stored) == sorted(ids)
    assert {job.local_id: job.status for job in stored.values()} == {
        job.local_id: truth[job.request_id]["status"] for job in stored.values() if job.request_id
    }
