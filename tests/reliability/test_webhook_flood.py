"""A slow-loris flood of the webhook port (2,000 half-sent requests, loopback) cannot freeze the app.

The receiver runs beside a real service and the simulator; the attacker is a separate process
(``tests/reliability/slowloris.py``). While it attacks, the app's loop keeps its pace, a
submission goes out, the process holds a bounded number of sockets, and stopping takes < 1 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from seedance_tui.sim.server import SimulatorServer
from seedance_tui.webhooks import receiver_for
from seedance_tui.webhooks.guard import BACKLOG, CONNECTION_SECONDS, MAX_CONNECTIONS
from tests.reliability.helpers import ROOT, build_service, request, running

pytestmark = pytest.mark.slow

TOKEN = "flood-token-" + "y" * 20


@dataclass
class FloodResult:
    attack: dict[str, Any]
    baseline_fds: int
    max_fds: int
    max_loop_lag: float
    submit_seconds: float
    submitted: bool
    stop_seconds: float


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def run_flood(sim_url: str, path: Path, connections: int = 2000, seconds: float = 10.0) -> FloodResult:
    """Attack a running receiver; measure the app's loop, a submission, sockets held, and stopping."""
    service = build_service(sim_url, path)
    receiver = receiver_for(service, TOKEN, "127.0.0.1", 0)
    async with running(service):
        await receiver.start()
        port = int(receiver.url.rsplit(":", 1)[1])
        baseline = _open_fds()
        attacker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.reliability.slowloris", str(port),
            "--connections", str(connections), "--seconds", str(seconds),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        loop = asyncio.get_running_loop()
        lag, most_fds = 0.0, baseline
        await asyncio.sleep(2.0)  # the flood is on
        started = loop.time()
        job = await service.submit(request("during-flood"))
        submit_seconds = loop.time() - started
        while attacker.returncode is None and loop.time() - started < seconds:
            before = loop.time()
            await asyncio.sleep(0.05)
            lag = max(lag, loop.time() - before - 0.05)
            most_fds = max(most_fds, _open_fds())
            if loop.time() - started > seconds / 2:
                break
        started = loop.time()
        await receiver.stop()
        stop_seconds = loop.time() - started
        out, _ = await attacker.communicate()
    return FloodResult(
        attack=json.loads(out),
        baseline_fds=baseline,
        max_fds=most_fds,
        max_loop_lag=lag,
        submit_seconds=submit_seconds,
        submitted=job.request_id is not None,
        stop_seconds=stop_seconds,
    )


async def test_a_slow_loris_flood_cannot_freeze_the_app(sim: SimulatorServer, tmp_path: Path) -> None:
    result = await run_flood(
        sim.url, tmp_path / "jobs.json", connections=2000, seconds=CONNECTION_SECONDS + 5
    )
    print(result)
    attack = result.attack
    assert attack["opened"] + attack["failed"] == 2000
    assert attack["still_open"] == 0  # every half-sent request was closed by the server
    assert attack["longest_open"] <= CONNECTION_SECONDS + 2
    # Sockets bounded: the cap, plus one accept burst not yet closed, plus the app's own few.
    assert result.max_fds <= result.baseline_fds + MAX_CONNECTIONS + BACKLOG + 20
    assert result.submitted and result.submit_seconds < 5
    assert result.max_loop_lag < 0.5
    assert result.stop_seconds < 1.0
