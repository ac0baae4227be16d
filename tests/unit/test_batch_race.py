"""The same batch file sent from two places at once sends each line once, on both backends; a line
with an unknown outcome is still sent again on request (its next attempt, a new batch key).

Two JobServices on one store location, each with its own Store object, stand for two machines; the
subprocess test runs two real ``seedance-tui batch`` processes started together.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seedance_tui.batch_file import BatchPlan, plan_batch
from seedance_tui.models import Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.service.batch import SKIPPED, BatchRunner, sort_plan
from seedance_tui.sim.server import SimulatorServer
from tests.conftest import API_KEY
from tests.pg_fixtures import service_builder

LINES = 12
Services = Callable[[], JobService]


def batch_text(lines: int = LINES) -> str:
    return "".join(
        json.dumps({"model": "seedance-2.0", "prompt": f"a heron at dawn, take {n}", "duration": 5}) + "\n"
        for n in range(lines)
    )


def plan(lines: int = LINES) -> BatchPlan:
    return plan_batch(batch_text(lines), [], is_csv=False)


def sim_prompts(sim: SimulatorServer) -> Counter[str]:
    return Counter(task["prompt"] for task in sim.state.tasks())


@pytest.fixture(params=["tinydb", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "tinydb":
        return f"tinydb://{tmp_path / 'jobs.json'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def services(store_url: str, sim: SimulatorServer) -> Iterator[Services]:
    """Services on one store location, each with its own Store (as two machines would have)."""
    with service_builder(sim, refresh_interval=0.2) as build:
        yield lambda: build(store_url)


async def test_two_machines_sending_the_same_batch_at_once_post_each_line_once(
    services: Services, sim: SimulatorServer
) -> None:
    first, second = services(), services()
    batch = plan()
    # Both look before either sends: each plans every line, as its first attempt.
    plans = [sort_plan(batch, svc.jobs_for_batch(job.key for job in batch.jobs)) for svc in (first, second)]
    assert all(len(p.to_send) == LINES for p in plans) and plans[0].batch_keys == plans[1].batch_keys
    try:
        results = await asyncio.gather(
            BatchRunner(first, concurrency=3).run(plans[0]), BatchRunner(second, concurrency=3).run(plans[1])
        )
    finally:
        for svc in (first, second):
            await svc.client.aclose()
    assert sim_prompts(sim) == Counter(f"a heron at dawn, take {n}" for n in range(LINES))
    assert sim.state.stats()["submits_received"] == LINES
    by_line: dict[int, list[str]] = {}
    for result in results[0] + results[1]:
        by_line.setdefault(result.planned.line, []).append(result.outcome)
        assert result.ok  # a line the other machine sends is no error
        if result.outcome == SKIPPED:
            assert "already being sent by another process or machine" in result.message
    assert {line: sorted(outcomes) for line, outcomes in by_line.items()} == {
        line: [JobStatus.QUEUED, SKIPPED] for line in range(1, LINES + 1)
    }
    for svc in (first, second):
        svc.store.flush()
    stored = services().jobs_for_batch(job.key for job in batch.jobs)
    assert sorted(job.batch_key or "" for job in stored) == sorted(f"{job.key}#1" for job in batch.jobs)


async def test_resend_uncertain_sends_the_next_attempt_and_a_rejected_line_is_sent_again(
    services: Services, sim: SimulatorServer
) -> None:
    batch = plan(3)
    unknown, rejected, legacy = batch.jobs
    setup = services()
    for planned, status, key in (
        (unknown, JobStatus.OUTCOME_UNKNOWN, f"{unknown.key}#1"),
        (rejected, JobStatus.REJECTED, f"{rejected.key}#1"),
        (legacy, JobStatus.OUTCOME_UNKNOWN, None),  # stored before batch keys were kept
    ):
        job = Job.new(planned.request)
        job.batch_entry, job.batch_key, job.account = planned.key, key, setup.account
        job.set_status(status)
        setup.store.add(job)
    setup.store.flush()

    service = services()
    cautious = sort_plan(batch, service.jobs_for_batch(job.key for job in batch.jobs))
    assert [p.key for p in cautious.to_send] == [rejected.key]
    assert cautious.batch_keys == {rejected.key: f"{rejected.key}#2"}
    resend = sort_plan(batch, service.jobs_for_batch(job.key for job in batch.jobs), resend_uncertain=True)
    assert resend.batch_keys == {p.key: f"{p.key}#2" for p in batch.jobs}
    try:
        results = await BatchRunner(service).run(resend)
    finally:
        await service.client.aclose()
    assert sorted(r.outcome for r in results) == [JobStatus.QUEUED] * 3
    assert sim.state.stats()["submits_received"] == 3
    service.store.flush()
    stored = services().jobs_for_batch(job.key for job in batch.jobs)
    assert Counter(job.batch_key for job in stored) == Counter(
        [f"{unknown.key}#1", f"{rejected.key}#1", None] + [f"{p.key}#2" for p in batch.jobs]
    )


def test_two_batch_processes_started_together_post_each_line_once(
    store_url: str, sim: SimulatorServer, tmp_path: Path
) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text(batch_text(20))
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SEEDANCE_CONFIG": str(tmp_path / "config.toml"),
        "SEEDANCE_BASE_URL": sim.url,
        "SEEDANCE_TUI_STORE": store_url,
        "SEEDANCE_API_KEY": API_KEY,
    }
    command = [sys.executable, "-m", "seedance_tui", "batch", str(path), "--yes", "--json"]
    processes = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=os.getcwd()
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err + _out
    assert sim_prompts(sim) == Counter(f"a heron at dawn, take {n}" for n in range(20))
    lines = [json.loads(line) for out, _err in outputs for line in out.splitlines()]
    sent = Counter(line["line"] for line in lines if line["outcome"] == JobStatus.QUEUED)
    assert sent == Counter(range(1, 21))
    assert {line["outcome"] for line in lines} <= {JobStatus.QUEUED, SKIPPED}
