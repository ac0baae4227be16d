"""The dashboard under a slow-loris flood of its webhook port, with few file descriptors to spare.

The process gets a soft limit of open files a few hundred above what it uses, so an unbounded
listener would exhaust it (as it did: submissions not sent, tracebacks, `q` ignored). With the
listener isolated and capped, the form's submission goes out and `q` quits within a second.
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedance_tui.launch import service_runner
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.widgets.job_table import JobTable
from seedance_tui.webhooks import WebhookPlan
from tests.reliability.helpers import ROOT
from tests.ui.helpers import make_settings, wait_for

pytestmark = pytest.mark.slow

TOKEN = "dash-flood-token-" + "z" * 16


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def few_fds() -> Iterator[None]:
    """Lower the soft open-files limit to 400 above what the process holds now (restored after)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    in_use = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, in_use + 400), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def _listening(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


async def test_the_dashboard_survives_a_slow_loris_flood(
    sim: SimulatorServer, service: JobService, tmp_path: Path, few_fds: None
) -> None:
    port = _free_port()
    plan = WebhookPlan("127.0.0.1", port, f"http://127.0.0.1:{port}", TOKEN)
    app = SeedanceApp(service, make_settings(sim.url, tmp_path), run=service_runner(service, plan))
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = time.monotonic() + 10
        while not await _listening(port):
            assert time.monotonic() < deadline, "the receiver never listened"
            await pilot.pause(0.05)
        attacker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.reliability.slowloris", str(port),
            "--connections", "2000", "--seconds", "8", cwd=ROOT, stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            await pilot.pause(2.0)  # 1,000 half-sent requests are in by now
            await pilot.press("n")
            await pilot.press(*"a flood-proof kite")
            await pilot.press("ctrl+s")
            table = app.screen.query_one(JobTable)
            assert await wait_for(pilot, lambda: table.row_count == 1, steps=200)
            assert await wait_for(pilot, lambda: all(j.request_id for j in service.jobs()), steps=200)
            started = time.monotonic()
            await pilot.press("q")
            while app.is_running:
                assert time.monotonic() - started < 3, "q did not quit"
                await asyncio.sleep(0.02)
            assert time.monotonic() - started < 1.0
        finally:
            await attacker.wait()
