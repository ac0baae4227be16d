"""Fast guards against performance regressions at 10,000 jobs, with bounds ~5x the targets (tests/perf/run.py).

Marked ``perf``: on a loaded machine, ``pytest -m "not perf"`` leaves them out. They build their
jobs with the benchmark's own scenarios, which is why they live here and not in tests/unit/.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from seedance_tui.api.client import SeedanceClient
from seedance_tui.config import DEMO_API_KEY
from seedance_tui.models import GenerationRequest
from seedance_tui.polling import PollPolicy, RequestBudget
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.ui.widgets.job_rows import JobRows
from tests.perf.scenarios import full_job, make_jobs
from tests.support import in_flight_job, write_store

pytestmark = pytest.mark.perf


def elapsed_ms(run: Callable[[], object]) -> float:
    gc.collect()  # a collection of the big heap just built is not the code's own cost
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def test_snapshot_and_flush_of_1000_changes_out_of_10000(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    write_store(path, [full_job(i) for i in range(10_000)])
    with JobStore.open(path) as store:
        changed = store.all()[:1000]

        def snapshot() -> None:
            for job in changed:
                job.poll_count += 1
                store.update(job)

        assert elapsed_ms(snapshot) < 150  # runs on the event loop: target 30 ms
        assert elapsed_ms(store.flush) < 150  # target 30 ms (a worker thread)
    assert JobStore.open(path).get(changed[0].local_id).poll_count == 13  # type: ignore[union-attr]


def test_filter_search_sort_and_batch_over_10000_rows() -> None:
    jobs = make_jobs(10_000)
    rows = JobRows()
    assert elapsed_ms(lambda: rows.load(jobs)) < 500
    assert elapsed_ms(lambda: rows.set_filter("failed")) < 500
    assert 0 < len(rows.rows) < 10_000
    assert elapsed_ms(lambda: rows.set_search("neon")) < 500
    assert elapsed_ms(lambda: rows.set_search("status:failed model:2.0 neon")) < 500  # tests/perf/bench_query
    assert elapsed_ms(lambda: rows.set_sort("prompt", False)) < 500
    for job in jobs[:1000]:
        job.error_message = "boom"
    assert elapsed_ms(lambda: rows.apply(jobs[:1000])) < 250  # target 50 ms with the repaint


async def test_poller_never_exceeds_its_budget(
    sim_factory: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    sim = sim_factory(queue_seconds=100_000)
    request = GenerationRequest(model="seedance-2.0", prompt="A fox crossing a snowy field")
    async with SeedanceClient(sim.url, DEMO_API_KEY) as client:
        ids = [(await client.submit(request)).request_id for _ in range(150)]
    path = tmp_path / "jobs.json"
    write_store(path, [in_flight_job(rid, time.time() - 5) for rid in ids])
    eager = PollPolicy(young_interval=0.2, processing_interval=0.2, queued_interval=0.2, max_interval=0.2)
    budget = RequestBudget(requests_per_second=40, concurrency=3)
    gets_before = sim.state.stats()["gets"]
    with JobStore.open(path) as store:
        service = JobService(store, SeedanceClient(sim.url, DEMO_API_KEY), policy=eager, budget=budget)
        start = time.monotonic()
        runner = asyncio.create_task(service.run())
        await asyncio.sleep(2.5)
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        elapsed = time.monotonic() - start
        await service.close()
    stats = service.scheduler.stats
    assert stats.max_in_flight <= 3
    assert stats.max_per_second <= 40
    assert stats.requests >= 60  # the budget, not the poller, is what limits the rate
    assert sim.state.stats()["gets"] - gets_before <= 40 * (elapsed + 1)
