"""One poller per store (issue 15): several real processes on one store, one polls, the others follow.

The simulator counts every GET it answers: with one poller the store's whole polling stays within
one budget whatever the number of processes; SIGKILL the poller and a follower takes over within
5 s; every job still reaches the simulator's final state, none lost or submitted twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from seedance_tui.models import JobStatus
from seedance_tui.sim.server import SimulatorServer
from tests.reliability.helpers import on_disk, reconcile, sim_stats
from tests.reliability.lease_worker import Window
from tests.reliability.test_processes import cli
from tests.support import until

pytestmark = pytest.mark.slow

RPS = 8.0


async def test_three_windows_one_poller_within_budget_and_a_takeover_after_sigkill(
    sim_factory: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    # Long enough that polling is going on through the whole test; demand (fast policy: 10/s per
    # job) is far above the budget, so the budget binds.
    sim = sim_factory(queue_seconds=6.0, process_seconds=6.0)
    store = tmp_path / "jobs.json"
    submitted = [
        await cli(sim, store, "submit", "--model", "seedance-2.0", "--prompt", f"fox {n}") for n in range(3)
    ]
    assert all(code == 0 for code, _ in submitted), submitted
    windows = [Window(sim.url, store, RPS) for _ in range(3)]
    try:
        await until(
            lambda: sorted(str(w.role) for w in windows) == ["following", "following", "polling"], 20, "roles"
        )
        # More submits from the CLI while the three run: the poller picks them up from the store.
        for n in range(3, 6):
            code, _ = await cli(sim, store, "submit", "--model", "seedance-2.0", "--prompt", f"fox {n}")
            assert code == 0
        before, start = sim_stats(sim.url)["gets"], time.monotonic()
        await asyncio.sleep(3.0)
        rate = (sim_stats(sim.url)["gets"] - before) / (time.monotonic() - start)
        assert rate <= RPS * 1.25, f"{rate:.1f} GET/s from 3 windows: the budget is {RPS}/s for the store"

        poller = next(w for w in windows if w.role == "polling")
        poller.kill()
        killed = time.monotonic()
        others = [w for w in windows if w is not poller]
        await until(lambda: any(w.role == "polling" for w in others), 5.0, "takeover after SIGKILL")
        takeover = next(t for w in others for t, role in w.roles if role == "polling") - killed
        assert takeover <= 5.0
        assert sum(w.role == "polling" for w in others) == 1
        print(
            f"[one poller] 3 windows: {rate:.1f} GET/s (budget {RPS}/s); takeover {takeover:.2f} s after SIGKILL"
        )

        def all_final() -> bool:
            jobs = on_disk(store)
            return len(jobs) == 6 and all(job.is_final for job in jobs.values())

        await until(all_final, 40, "every job final in the store")
        ledger = reconcile(sim.url, store, set(on_disk(store)), submit_calls=6)
        assert (ledger.lost, ledger.duplicates, ledger.mismatched) == (0, 0, [])
        assert ledger.statuses.get(JobStatus.NOT_FOUND, 0) == 0
    finally:
        for window in windows:
            window.kill()
