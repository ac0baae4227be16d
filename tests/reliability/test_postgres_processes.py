"""Several real processes on one PostgreSQL store against the simulator, with a database restart."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from seedance_tui.models import JobStatus
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store.postgres import PostgresJobStore
from tests.conftest import API_KEY
from tests.pg_fixtures import PgCluster
from tests.reliability.helpers import (
    ROOT,
    attempts_logged,
    on_disk,
    sim_stats,
    sim_tasks,
    start_worker,
    wait_ready,
)
from tests.support import until

pytestmark = pytest.mark.slow


async def cli_submit(sim: SimulatorServer, url: str, tag: str) -> tuple[int, str]:
    env = {**os.environ, "SEEDANCE_API_KEY": API_KEY, "SEEDANCE_BASE_URL": sim.url, "SEEDANCE_TUI_STORE": url}
    env["SEEDANCE_CONFIG"] = str(ROOT / "absent-config.toml")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "seedance_tui", "submit", "--model", "seedance-2.0", "--prompt", f"cli {tag}",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, (out + err).decode()


async def test_services_and_cli_processes_on_one_database_survive_a_restart_without_duplicates(
    sim_factory: Callable[..., SimulatorServer], own_cluster: PgCluster, tmp_path: Path
) -> None:
    sim = sim_factory(queue_seconds=1.0, process_seconds=2.0)
    url = own_cluster.url()
    PostgresJobStore.migrate_only(url, notice=lambda message: None)
    attempts = tmp_path / "attempts.log"
    jobs = 8
    # Two following "dashboards" (real services that submit, then poll until stopped) and three CLI submits.
    workers = [start_worker(sim.url, url, attempts, tag, jobs, orphan_age=90) for tag in "ab"]
    try:
        await asyncio.gather(*(wait_ready(worker, 20) for worker in workers))
        cli_results = await asyncio.gather(*(cli_submit(sim, url, str(n)) for n in range(3)))
        assert [code for code, _ in cli_results] == [0, 0, 0], cli_results
        # Restart the database while jobs are in flight.
        own_cluster.stop()
        await asyncio.sleep(1.5)
        own_cluster.start()
        await until(lambda: len(attempts_logged(attempts)) == 2 * jobs, 60, "every worker submission made")
        await until(lambda: all(job.is_final for job in on_disk(url).values()), 60, "every stored job final")
        for worker in workers:
            worker.send_signal(signal.SIGINT)  # a clean stop: the service saves and closes
        await asyncio.wait_for(asyncio.gather(*(asyncio.to_thread(w.wait) for w in workers)), 30)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            assert worker.stdout is not None
            worker.stdout.close()
    stored = on_disk(url)
    tasks = sim_tasks(sim.url)
    by_request = Counter(job.request_id for job in stored.values() if job.request_id)
    not_sent = [job for job in stored.values() if job.request_id is None]
    # Every task the simulator created is in the store exactly once, in its true final state.
    assert set(by_request) == set(tasks) and max(by_request.values()) == 1
    for job in stored.values():
        if job.request_id:
            assert job.status == tasks[job.request_id]["status"] == JobStatus.SUCCEEDED, (
                job.request.prompt,
                job.history,
                job.last_error,
                job.poll_count,
            )
    # No duplicate POST: the simulator saw one POST per submission that was not refused unsent.
    assert all(job.status == JobStatus.REJECTED and "Not sent" in (job.last_error or "") for job in not_sent)
    submissions = len(attempts_logged(attempts)) + 3
    assert sim_stats(sim.url)["submits_received"] == submissions - len(not_sent) == len(tasks)
