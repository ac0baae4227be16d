"""Crash suite: a worker process killed with SIGKILL at random moments, restarted, and the store checked.

The store must always open, keep every job it ever held, never take a final status back, and leave
jobs caught mid-POST as ``submitting`` until a later service settles them as ``outcome_unknown``.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from seedance_tui.models import Job, JobStatus
from seedance_tui.sim.server import SimulatorServer
from tests.reliability.helpers import (
    attempts_logged,
    build_service,
    on_disk,
    reconcile,
    running,
    sim_tasks,
    start_worker,
    wait_ready,
)
from tests.reliability.worker import ORPHAN_AGE
from tests.support import until

pytestmark = pytest.mark.slow

KILLS = 10
JOBS_PER_WORKER = 6


def check_snapshot(before: dict[str, Job], after: dict[str, Job]) -> None:
    """Nothing a previous snapshot held is gone, and no final status was taken back."""
    assert before.keys() <= after.keys(), f"lost: {sorted(before.keys() - after.keys())}"
    for local_id, old in before.items():
        if old.is_final:
            assert after[local_id].status == old.status, (
                f"{local_id}: {old.status} -> {after[local_id].status}"
            )


async def test_workers_killed_at_random_lose_and_double_nothing(
    sim_factory: Callable[..., SimulatorServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The latency keeps POSTs in flight long enough for some kills to land mid-submission.
    sim = sim_factory(latency=0.2, queue_seconds=0.4, process_seconds=0.8, failure_rate=0.2)
    store, attempts = tmp_path / "jobs.json", tmp_path / "attempts.log"
    rng = random.Random(20240611)
    seen: dict[str, Job] = {}
    caught_submitting: set[str] = set()
    for n in range(KILLS):
        worker = start_worker(sim.url, store, attempts, f"w{n}", JOBS_PER_WORKER)
        try:
            await wait_ready(worker)
            await asyncio.sleep(rng.uniform(0.0, 1.5))
        finally:
            worker.kill()
            await asyncio.to_thread(worker.wait)
            assert worker.stdout is not None
            worker.stdout.close()
        assert worker.returncode == -9
        snapshot = on_disk(store)  # opens: never corrupt
        check_snapshot(seen, snapshot)
        caught_submitting |= {lid for lid, job in snapshot.items() if job.status == JobStatus.SUBMITTING}
        seen = snapshot

    await asyncio.sleep(ORPHAN_AGE)
    service = build_service(sim.url, store, orphan_age=ORPHAN_AGE)
    async with running(service):

        def settled() -> bool:
            jobs = service.jobs()
            return all(not job.needs_polling and job.status != JobStatus.SUBMITTING for job in jobs)

        await until(settled, 20, "every job final or outcome_unknown")

    logged = attempts_logged(attempts)
    ledger = reconcile(sim.url, store, set(seen), len(logged))
    final = on_disk(store)
    tasks = sim_tasks(sim.url)
    tags = Counter(task["metadata"]["tag"] for task in tasks.values())
    with capsys.disabled():
        print(
            f"\n{ledger.line('crash')} kills={KILLS} attempts={len(logged)} "
            f"caught_submitting={len(caught_submitting)}"
        )
    check_snapshot(seen, final)
    assert ledger.lost == 0 and ledger.mismatched == []
    # A kill can fall between noting an attempt and sending it, never cause a second POST.
    assert ledger.duplicates == 0 and ledger.unsent <= KILLS and len(logged) == len(set(logged))
    assert max(tags.values()) == 1 and set(tags) <= set(logged)
    assert all(final[lid].status == JobStatus.OUTCOME_UNKNOWN for lid in caught_submitting)
    # Every task the simulator made belongs to a stored job: by request id, or (never learnt) by tag.
    by_tag = {job.request.metadata["tag"]: job for job in final.values() if job.request.metadata}
    known = {job.request_id for job in final.values()}
    for request_id, task in tasks.items():
        if request_id not in known:
            assert by_tag[task["metadata"]["tag"]].status == JobStatus.OUTCOME_UNKNOWN
    assert ledger.orphan_tasks <= ledger.outcome_unknown
