"""One poller per account on PostgreSQL (issue 16): real processes on one database, one polls.

The role is an advisory lock: SIGKILL the poller and the server frees it at once (another process
polls within 5 s); a poller that goes silent (SIGSTOP: a machine that vanished from the network) has
its session ended by the server within 30 s, another takes over, and when it wakes up its next beat
finds the connection gone and it stops polling.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable

import pytest

from seedance_tui.models import JobStatus
from seedance_tui.sim.server import SimulatorServer
from tests.reliability.helpers import on_disk, reconcile, sim_stats
from tests.reliability.lease_worker import Window
from tests.reliability.test_postgres_processes import cli_submit
from tests.support import until

pytestmark = pytest.mark.slow

RPS = 8.0


async def _one_poller(windows: list[Window]) -> None:
    await until(
        lambda: sorted(str(w.role) for w in windows) == ["following", "following", "polling"], 30, "roles"
    )


async def test_three_services_on_one_database_one_poller_and_a_takeover_after_sigkill(
    sim_factory: Callable[..., SimulatorServer], pg_url: str
) -> None:
    sim = sim_factory(queue_seconds=6.0, process_seconds=6.0)
    for n in range(3):
        code, out = await cli_submit(sim, pg_url, f"a{n}")
        assert code == 0, out
    windows = [Window(sim.url, pg_url, RPS) for _ in range(3)]
    try:
        await _one_poller(windows)
        for n in range(3):
            code, out = await cli_submit(sim, pg_url, f"b{n}")
            assert code == 0, out
        before, start = sim_stats(sim.url)["gets"], time.monotonic()
        await asyncio.sleep(3.0)  # a rate is measured over a while
        rate = (sim_stats(sim.url)["gets"] - before) / (time.monotonic() - start)
        assert rate <= RPS * 1.25, f"{rate:.1f} GET/s from 3 services: the budget is {RPS}/s per account"

        poller = next(w for w in windows if w.role == "polling")
        poller.kill()
        killed = time.monotonic()
        others = [w for w in windows if w is not poller]
        await until(lambda: any(w.role == "polling" for w in others), 5.0, "takeover after SIGKILL")
        takeover = next(t for w in others for t, role in w.roles if role == "polling") - killed
        assert takeover <= 5.0 and sum(w.role == "polling" for w in others) == 1
        print(f"[pg one poller] 3 services: {rate:.1f} GET/s (budget {RPS}/s); takeover {takeover:.2f} s")

        def all_final() -> bool:
            jobs = on_disk(pg_url)
            return len(jobs) == 6 and all(job.is_final for job in jobs.values())

        await until(all_final, 40, "every job final in the store")
        ledger = reconcile(sim.url, pg_url, set(on_disk(pg_url)), submit_calls=6)
        assert (ledger.lost, ledger.duplicates, ledger.mismatched) == (0, 0, [])
        assert ledger.statuses.get(JobStatus.NOT_FOUND, 0) == 0
    finally:
        for window in windows:
            window.kill()


async def test_a_silent_poller_loses_the_role_within_30_s_and_stops_polling_when_it_wakes(
    sim_factory: Callable[..., SimulatorServer], pg_url: str
) -> None:
    sim = sim_factory(queue_seconds=1000.0)
    code, out = await cli_submit(sim, pg_url, "x")
    assert code == 0, out
    windows = [Window(sim.url, pg_url, RPS) for _ in range(3)]
    try:
        await _one_poller(windows)
        poller = next(w for w in windows if w.role == "polling")
        poller.process.send_signal(signal.SIGSTOP)  # silent, like a machine cut off the network
        stopped = time.monotonic()
        others = [w for w in windows if w is not poller]
        await until(lambda: any(w.role == "polling" for w in others), 30.0, "takeover from a silent poller")
        takeover = time.monotonic() - stopped
        poller.process.send_signal(signal.SIGCONT)
        await until(lambda: poller.role == "following", 10.0, "the woken poller stops polling")
        assert sum(w.role == "polling" for w in windows) == 1
        print(f"[pg one poller] takeover from a silent poller after {takeover:.1f} s")
    finally:
        for window in windows:
            window.process.send_signal(signal.SIGCONT)
            window.kill()
