"""What the reliability suites share: reading the simulator's and the store's truth, and waiting."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from seedance_tui.api.client import SeedanceClient
from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.polling import PollPolicy, RequestBudget
from seedance_tui.service import JobService
from seedance_tui.store.opening import open_store_url
from tests import support
from tests.conftest import API_KEY, fast_policy

#: The project root: workers run as ``python -m tests.reliability.worker`` from here.
ROOT = Path(__file__).resolve().parents[2]


def request(tag: str) -> GenerationRequest:
    """A valid request whose metadata names who sent it, so the simulator's tasks can be traced back."""
    return GenerationRequest("seedance-2.0", f"reliability {tag}", duration=5, metadata={"tag": tag})


def build_service(
    url: str,
    path: Path | str,
    *,
    timeout: float = 3.0,
    policy: PollPolicy | None = None,
    budget: RequestBudget | None = None,
    client_type: type[SeedanceClient] = SeedanceClient,
    **kwargs: Any,
) -> JobService:
    """A real JobService on a real store (file or URL), polling fast, with a client timeout of ``timeout`` s."""
    kwargs.setdefault("flush_interval", 0.05)
    kwargs.setdefault("refresh_interval", 0.2)
    return JobService(
        open_store_url(path, api_key=API_KEY),
        client_type(url, API_KEY, timeout=timeout),
        policy=policy or fast_policy(),
        budget=budget or RequestBudget(requests_per_second=100, concurrency=8),
        **kwargs,
    )


@contextlib.asynccontextmanager
async def running(service: JobService) -> AsyncIterator[asyncio.Task[None]]:
    """``tests.support.running``, then everything saved and the store closed (these tests reopen it)."""
    try:
        async with support.running(service) as task:
            yield task
    finally:
        await service.flush(all_pending=True)
        service.store.close()


def sim_stats(url: str) -> dict[str, Any]:
    """``GET /_sim/stats``."""
    stats: dict[str, Any] = httpx.get(f"{url}/_sim/stats", timeout=5).json()
    return stats


def sim_tasks(url: str) -> dict[str, dict[str, Any]]:
    """``GET /_sim/tasks`` keyed by request id."""
    tasks = httpx.get(f"{url}/_sim/tasks", timeout=5).json()["tasks"]
    return {task["requestId"]: task for task in tasks}


def on_disk(path: Path | str) -> dict[str, Job]:
    """Every job in a freshly opened store (raises if the file is corrupt)."""
    store = open_store_url(path, api_key=API_KEY)
    try:
        return {job.local_id: job for job in store.all()}
    finally:
        store.close()


@dataclass
class Ledger:
    """The store compared with the simulator: what was lost, doubled, or disagrees."""

    jobs: int
    lost: int
    #: POSTs the simulator received beyond the submissions made.
    duplicates: int
    #: Submissions made (or noted) whose POST the simulator never received.
    unsent: int
    mismatched: list[str]
    outcome_unknown: int
    #: 429/503 replies without the API's error envelope (a proxy's page): never re-sent.
    probably_not_created: int
    #: Tasks the simulator created whose request id no stored job carries (the client never learned it).
    orphan_tasks: int
    faults: dict[str, int]
    statuses: dict[str, int]

    def line(self, name: str) -> str:
        """The one-line summary the lead quotes."""
        faults = sum(self.faults.values())
        return (
            f"[{name}] jobs={self.jobs} faults_injected={faults} {self.faults} lost={self.lost} "
            f"duplicates={self.duplicates} unsent={self.unsent} outcome_unknown={self.outcome_unknown} "
            f"probably_not_created={self.probably_not_created} "
            f"orphan_tasks={self.orphan_tasks} mismatched={len(self.mismatched)} statuses={self.statuses}"
        )


def reconcile(url: str, path: Path | str, created: set[str], submit_calls: int) -> Ledger:
    """Compare a freshly opened store with the simulator's tasks and counters."""
    stored = on_disk(path)
    stats = sim_stats(url)
    tasks = sim_tasks(url)
    known = {job.request_id for job in stored.values() if job.request_id}
    mismatched = [
        f"{job.local_id}: stored {job.status}, sim {tasks.get(job.request_id, {}).get('status')}"
        for job in stored.values()
        if job.request_id and tasks.get(job.request_id, {}).get("status") != job.status
    ]
    statuses: dict[str, int] = {}
    for job in stored.values():
        statuses[job.status] = statuses.get(job.status, 0) + 1
    return Ledger(
        jobs=len(stored),
        lost=len(created - stored.keys()),
        duplicates=max(0, stats["submits_received"] - submit_calls),
        unsent=max(0, submit_calls - stats["submits_received"]),
        mismatched=mismatched,
        outcome_unknown=statuses.get(JobStatus.OUTCOME_UNKNOWN, 0),
        probably_not_created=statuses.get(JobStatus.PROBABLY_NOT_CREATED, 0),
        orphan_tasks=len(tasks.keys() - known),
        faults=dict(stats["faults_injected"]),
        statuses=statuses,
    )


def start_worker(
    url: str,
    store: Path | str,
    attempts: Path,
    tag: str,
    jobs: int,
    *,
    until_final: bool = False,
    orphan_age: float | None = None,
) -> subprocess.Popen[str]:
    """Start ``tests/reliability/worker.py`` in its own process (see there for what it does)."""
    argv = [sys.executable, "-m", "tests.reliability.worker", url, str(store), str(attempts), tag, str(jobs)]
    if until_final:
        argv.append("--until-final")
    if orphan_age is not None:
        argv += ["--orphan-age", str(orphan_age)]
    return subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)


async def wait_ready(worker: subprocess.Popen[str], limit: float = 10.0) -> None:
    """Wait for the worker's ``ready`` line."""
    assert worker.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), limit)
    assert line.strip() == "ready", f"worker said {line!r} (exit code {worker.poll()})"


def attempts_logged(attempts: Path) -> list[str]:
    """The submissions the workers noted before making them."""
    return attempts.read_text(encoding="utf-8").split() if attempts.exists() else []
