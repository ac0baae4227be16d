"""Several processes on one store: a running dashboard-like service beside the CLI, and two services.

Nothing may be lost or corrupted, and no process may write back a stale copy over another's newer
change (above all: a cancel made by the CLI must survive the running service's older copy).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from seedance_tui.models import JobStatus
from seedance_tui.sim.server import SimulatorServer
from tests.conftest import API_KEY
from tests.reliability.helpers import (
    ROOT,
    attempts_logged,
    build_service,
    on_disk,
    reconcile,
    request,
    running,
    start_worker,
)
from tests.support import until

pytestmark = pytest.mark.slow


async def cli(sim: SimulatorServer, store: Path, *args: str) -> tuple[int, Any]:
    """Run ``python -m seedance_tui ARGS --json`` on ``store``; return its exit code and parsed output."""
    env = {
        **os.environ,
        "SEEDANCE_API_KEY": API_KEY,
        "SEEDANCE_BASE_URL": sim.url,
        "SEEDANCE_TUI_DB": str(store),
        "SEEDANCE_CONFIG": str(store.with_name("absent-config.toml")),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "seedance_tui", *args, "--json",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode is not None
    return proc.returncode, json.loads(out) if out.strip() else err.decode()


async def test_cli_beside_a_running_service(
    sim_factory: Callable[..., SimulatorServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = sim_factory(queue_seconds=2.0, process_seconds=0.8)
    store = tmp_path / "jobs.json"
    refresh = 0.5
    # Lazy writes every 0.3 s: the service keeps writing back its own copies of every job it polls.
    service = build_service(sim.url, store, refresh_interval=refresh, lazy_flush_interval=0.3)
    async with running(service) as task:
        own = [(await service.submit(request(f"dash-{n}"))).local_id for n in range(3)]
        code, cancelled = await cli(sim, store, "cancel", own[0])
        assert code == 0 and cancelled["job"]["status"] == JobStatus.CANCELLED
        cli_jobs: list[str] = []
        seen_after = 0.0
        for n in range(3):
            code, job = await cli(sim, store, "submit", "--model", "seedance-2.0", "--prompt", f"cli {n}")
            assert code == 0, job
            lid = job["local_id"]
            cli_jobs.append(lid)
            waited = await until(lambda: service.get(lid) is not None, refresh + 1, "CLI job seen")  # noqa: B023
            seen_after = max(seen_after, waited)
        # The service now polls its own copy of this job; the CLI's cancel must win over it.
        code, _ = await cli(sim, store, "cancel", cli_jobs[0])
        assert code == 0
        code, status = await cli(sim, store, "status", own[1])
        assert code == 0 and status["request_id"]
        await until(
            lambda: all(service.get(lid).is_final for lid in own + cli_jobs),  # type: ignore[union-attr]
            20,
            "all jobs final",
        )
        # Several more flushes and lazy write-backs of the service's copies.
        await asyncio.sleep(4 * refresh)
        assert not task.done()
        view = {lid: service.get(lid).status for lid in own + cli_jobs}  # type: ignore[union-attr]
    ledger = reconcile(sim.url, store, set(own + cli_jobs), 6)
    with capsys.disabled():
        print(f"\n{ledger.line('cli+service')} cli_jobs_seen_after={seen_after:.2f}s")
    assert (
        ledger.lost == 0
        and ledger.jobs == 6
        and ledger.duplicates == ledger.unsent == 0
        and ledger.mismatched == []
    )
    stored = on_disk(store)
    for lid in (own[0], cli_jobs[0]):
        assert stored[lid].status == view[lid] == JobStatus.CANCELLED
    assert {stored[lid].status for lid in own[1:] + cli_jobs[1:]} == {JobStatus.SUCCEEDED}
    assert stored[own[1]].poll_count >= 1


async def test_two_services_in_two_processes_submitting_at_once(
    sim_factory: Callable[..., SimulatorServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = sim_factory(failure_rate=0.2)
    store, attempts = tmp_path / "jobs.json", tmp_path / "attempts.log"
    jobs = 10
    workers = [start_worker(sim.url, store, attempts, tag, jobs, until_final=True) for tag in ("a", "b")]
    try:
        codes = await asyncio.wait_for(asyncio.gather(*(asyncio.to_thread(w.wait) for w in workers)), 40)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            assert worker.stdout is not None
            worker.stdout.close()
    assert codes == [0, 0]
    stored = on_disk(store)
    ledger = reconcile(sim.url, store, set(stored), len(attempts_logged(attempts)))
    with capsys.disabled():
        print(f"\n{ledger.line('two-services')}")
    assert ledger.jobs == 2 * jobs and ledger.lost == 0 and ledger.duplicates == ledger.unsent == 0
    assert ledger.mismatched == [] and all(job.is_final for job in stored.values())
    assert ledger.orphan_tasks == 0
