"""The request budget as the server sees it: every sliding one-second window of arrivals holds."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from seedance_tui.models import Job, JobStatus
from seedance_tui.polling import RequestBudget
from seedance_tui.store import JobStore
from tests.reliability.helpers import build_service, request, running
from tests.reliability.hostile import HostileServer

RPS = 20
JOBS = 60
SECONDS = 4.0


def most_in_any_second(arrivals: list[float]) -> int:
    """The most arrivals in any half-open window [t, t + 1 s), t ranging over every arrival."""
    ordered, best, j = sorted(arrivals), 0, 0
    for i, start in enumerate(ordered):
        j = max(j, i)
        while j < len(ordered) and ordered[j] < start + 1.0:
            j += 1
        best = max(best, j - i)
    return best


async def run_budget_scenario(path: Path) -> tuple[list[float], int]:
    """Poll JOBS processing jobs at RPS against a server enforcing RPS; (GET arrivals, 429s)."""
    server = HostileServer()
    server.rate_limit = RPS
    server.start()
    try:
        with JobStore.open(path) as store:
            for n in range(JOBS):
                job = Job.new(request(f"budget-{n}"))
                job.request_id = f"req_b{n}"
                job.set_status(JobStatus.QUEUED, time.time())
                store.add(job)
        service = build_service(
            server.url, path, budget=RequestBudget(requests_per_second=RPS, concurrency=8)
        )
        async with running(service):
            await asyncio.sleep(SECONDS)
        arrivals = [a.at for a in server.arrivals if a.method == "GET"]
        return arrivals, server.rejected_by_limit
    finally:
        server.stop()


async def test_every_sliding_second_at_the_server_holds_the_budget(tmp_path: Path) -> None:
    arrivals, limited = await run_budget_scenario(tmp_path / "jobs.json")
    assert most_in_any_second(arrivals) <= RPS
    assert limited == 0
    assert len(arrivals) >= 0.8 * RPS * (SECONDS - 0.5) / 1.1  # the budget is used, not only respected
