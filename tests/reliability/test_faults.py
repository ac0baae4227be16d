"""Fault suite: jobs submitted and followed through every fault the simulator can inject.

Each scenario checks the same ledger: no job lost, no POST sent twice, every stored status equal to
the simulator's, and outcome_unknown jobs accounting for every task the client never heard of.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from seedance_tui.api.client import SeedanceClient
from seedance_tui.api.errors import ApiError, RateLimited
from seedance_tui.api.types import TaskReply
from seedance_tui.models import Job, JobStatus
from seedance_tui.polling import ApiHealth, HealthState, RequestBudget
from seedance_tui.service import SubmitError
from seedance_tui.sim.server import SimulatorServer
from tests.reliability.helpers import Ledger, build_service, reconcile, request, running, sim_stats
from tests.support import until

pytestmark = pytest.mark.slow

JOBS = 20
BUDGET = RequestBudget(requests_per_second=60, concurrency=6)


class RecordingClient(SeedanceClient):
    """The real client, noting when each GET started and ended and how it ended."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gets: list[tuple[float, float, str]] = []

    async def get(self, request_id: str) -> TaskReply:
        start, outcome = time.monotonic(), "ok"
        try:
            return await super().get(request_id)
        except RateLimited:
            outcome = "429"
            raise
        except ApiError as exc:
            outcome = type(exc).__name__
            raise
        finally:
            self.gets.append((start, time.monotonic(), outcome))


class Run:
    """One scenario's service, what was submitted through it, and what it reported."""

    def __init__(self, sim: SimulatorServer, path: Path, *, timeout: float = 3.0) -> None:
        self.sim, self.path = sim, path
        self.service = build_service(
            sim.url, path, timeout=timeout, budget=BUDGET, client_type=RecordingClient
        )
        self.client: RecordingClient = self.service.client  # type: ignore[assignment]
        self.health: list[tuple[float, ApiHealth]] = []
        self.service.add_health_listener(self._on_health)
        self.created: set[str] = set()
        self.accepted: list[str] = []
        self.calls = 0
        self.escaped: list[BaseException] = []

    def _on_health(self, state: HealthState) -> None:
        self.health.append((time.monotonic(), state.health))

    async def submit(self, count: int, tag: str) -> None:
        """Submit ``count`` jobs at once; note which were accepted and what escaped."""
        results = await asyncio.gather(
            *(self.service.submit(request(f"{tag}-{i}")) for i in range(count)), return_exceptions=True
        )
        self.calls += count
        for result in results:
            if isinstance(result, Job):
                self.created.add(result.local_id)
                self.accepted.append(result.local_id)
            elif isinstance(result, SubmitError):
                self.created.add(result.job.local_id)
            else:
                self.escaped.append(result)

    def all_accepted_final(self) -> bool:
        return all(self.service.get(lid).is_final for lid in self.accepted)  # type: ignore[union-attr]

    def ledger(self, name: str, capsys: pytest.CaptureFixture[str]) -> Ledger:
        """Reconcile store and simulator, print the scenario's summary line, check the common rules."""
        ledger = reconcile(self.sim.url, self.path, self.created, self.calls)
        with capsys.disabled():
            failed_gets = Counter(outcome for _, _, outcome in self.client.gets if outcome != "ok")
            print(
                f"\n{ledger.line(name)} submits={self.calls} accepted={len(self.accepted)} "
                f"gets={len(self.client.gets)} failed_gets={dict(failed_gets)}"
            )
        assert not self.escaped, self.escaped
        assert ledger.lost == 0 and ledger.jobs == len(self.created)
        assert ledger.duplicates == 0 and ledger.unsent == 0
        assert ledger.mismatched == []
        assert ledger.orphan_tasks <= ledger.outcome_unknown
        refused = ledger.statuses.get(JobStatus.REJECTED, 0) + ledger.probably_not_created
        assert ledger.outcome_unknown + refused == self.calls - len(self.accepted)
        return ledger


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors logged by the client, store, poller or service (the simulator's own are not ours)."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith("seedance_tui") and ".sim" not in r.name
    ]


STORMS = {
    "5xx": ({"error_rate": 0.3}, "none"),
    "malformed": ({"malformed_rate": 0.3}, "all"),
    "dropped": ({"drop_rate": 0.3}, "all"),
    "mixed": (
        {
            "error_rate": 0.1,
            "rate_limit_rate": 0.05,
            "retry_after": 0.2,
            "malformed_rate": 0.1,
            "drop_rate": 0.1,
            "latency": 0.02,
        },
        "some",
    ),
}


@pytest.mark.parametrize("name", list(STORMS))
async def test_fault_storm_loses_and_doubles_nothing(
    name: str,
    sim_factory: Callable[..., SimulatorServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    faults, unknown_tasks = STORMS[name]
    sim = sim_factory(failure_rate=0.2, **faults)
    run = Run(sim, tmp_path / "jobs.json")
    async with running(run.service) as task:
        await run.submit(JOBS, name)
        await until(run.all_accepted_final, 20, "accepted jobs final")
        assert not task.done()
    ledger = run.ledger(name, capsys)
    assert sum(ledger.faults.values()) > 0 and len(run.accepted) > 0
    if unknown_tasks == "none":  # a 5xx answers before the task is made
        assert ledger.orphan_tasks == 0
    elif unknown_tasks == "all":  # a garbled or cut-off reply comes after the task is made
        assert ledger.orphan_tasks == ledger.outcome_unknown
    assert no_errors_logged(caplog) == []


async def test_rate_limits_pause_polling_for_retry_after(
    sim_factory: Callable[..., SimulatorServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    retry_after = 0.3
    sim = sim_factory()
    run = Run(sim, tmp_path / "jobs.json")
    async with running(run.service):
        await run.submit(JOBS, "429")
        sim.set_faults(rate_limit_rate=0.25, retry_after=retry_after)
        await until(run.all_accepted_final, 20, "accepted jobs final")
        limited = [h for _, h in run.health if h == ApiHealth.RATE_LIMITED]
        final_health = run.service.health.health
    ledger = run.ledger("429", capsys)
    assert ledger.faults.get("rate_limited", 0) > 0 and ledger.orphan_tasks == 0
    refusals = [end for _, end, outcome in run.client.gets if outcome == "429"]
    assert refusals and limited
    # No GET may start while a 429's Retry-After runs. A poll launched just before the 429 landed may
    # only get to run its first line just after it, hence the grace of a few event-loop turns.
    grace = 0.02
    for end in refusals:
        early = [s for s, _, _ in run.client.gets if end + grace < s < end + retry_after - 0.01]
        assert early == [], f"{[round(s - end, 4) for s in early]} GETs started within Retry-After of a 429"
    assert run.service.scheduler.stats.max_per_second <= BUDGET.requests_per_second
    assert final_health in (ApiHealth.OK, ApiHealth.RATE_LIMITED)
    assert no_errors_logged(caplog) == []


async def test_latency_spike_beyond_the_timeout(
    sim_factory: Callable[..., SimulatorServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = sim_factory()
    run = Run(sim, tmp_path / "jobs.json", timeout=0.3)
    async with running(run.service) as task:
        await run.submit(JOBS // 2, "calm")
        sim.set_faults(latency=0.6)
        await run.submit(6, "spike")  # every one times out: sent, outcome unknown
        await until(lambda: run.service.health.health == ApiHealth.UNREACHABLE, 5, "unreachable")
        sim.set_faults(latency=0.0)
        await until(lambda: run.service.health.health == ApiHealth.OK, 5, "healthy again")
        await until(run.all_accepted_final, 20, "accepted jobs final")
        assert not task.done()
    # Let the simulator finish the slow handlers of the timed-out POSTs before counting its tasks.
    await asyncio.sleep(0.7)
    ledger = run.ledger("latency", capsys)
    assert ledger.outcome_unknown == 6
    assert ledger.orphan_tasks == 6  # each timed-out POST did create its task: why none is re-sent
    assert sim_stats(sim.url)["tasks_created"] == len(run.accepted) + ledger.orphan_tasks
    assert no_errors_logged(caplog) == []


async def test_api_down_then_back(
    sim_factory: Callable[..., SimulatorServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = sim_factory(queue_seconds=0.8)
    run = Run(sim, tmp_path / "jobs.json")
    async with running(run.service) as task:
        await run.submit(JOBS, "before")
        sim.set_faults(down=True)
        await run.submit(4, "during")  # 503 before anything is made: outcome unknown, nothing created
        await until(lambda: run.service.health.health == ApiHealth.UNREACHABLE, 5, "unreachable")
        went_down = time.monotonic()
        await asyncio.sleep(1.5)
        came_back = time.monotonic()
        sim.set_faults(down=False)
        await until(lambda: run.service.health.health == ApiHealth.OK, 5, "healthy again")
        await until(run.all_accepted_final, 20, "accepted jobs final")
        assert not task.done()
    ledger = run.ledger("down", capsys)
    # 503 says the request was not taken on: such submissions are rejected (safe to resend by hand).
    assert ledger.statuses.get("rejected") == 4 and ledger.outcome_unknown == 0 and ledger.orphan_tasks == 0
    healths = [h for _, h in run.health]
    assert ApiHealth.UNREACHABLE in healths and healths[-1] == ApiHealth.OK
    # While unreachable the poller probes one request at a time instead of polling every job.
    probes = sorted((s, e) for s, e, _ in run.client.gets if went_down < s < came_back)
    assert probes and all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(probes))
    with capsys.disabled():
        print(f"[down] probes while down for {came_back - went_down:.1f} s: {len(probes)}")
    assert no_errors_logged(caplog) == []
