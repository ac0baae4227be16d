"""A demo restarted on the same store follows its earlier jobs; jobs of another API are never sent there."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from seedance_tui.models import DEMO_API, GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.app import API_PREFIX
from seedance_tui.sim.config import SimConfig
from seedance_tui.sim.demo import lost_jobs_message, start_demo, state_path
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from tests.conftest import API_KEY
from tests.unit.test_cli import run  # noqa: F401  (the fixture)

SLOW = SimConfig(queue_seconds=600.0, process_seconds=600.0, failure_rate=0.0)
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


def test_a_restarted_demo_knows_its_earlier_tasks_on_the_same_port(tmp_path: Path) -> None:
    saved = state_path(tmp_path / "jobs.json")
    first = start_demo(SLOW, saved)
    try:
        body = {"model": "seedance-2.0", "prompt": "a slow river", "duration": 5}
        reply = httpx.post(f"{first.url}{API_PREFIX}", json=body, headers=HEADERS).json()
        request_id = reply["requestId"]
    finally:
        first.stop()
    assert saved.exists() and saved.parent == tmp_path
    second = start_demo(SLOW, saved)
    try:
        assert second.url == first.url  # stored output links keep working
        again = httpx.get(f"{second.url}{API_PREFIX}/{request_id}", headers=HEADERS)
        assert again.status_code == 200 and again.json()["status"] == "queued"
    finally:
        second.stop()


async def test_jobs_of_another_api_are_neither_polled_nor_cancelled(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path
) -> None:
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt="made in the demo"))
    job.request_id, job.api = "req_00000000000000d1", DEMO_API
    job.set_status(JobStatus.QUEUED)
    with JobStore.open(db_path) as store:
        store.add(job)
    service = service_factory(sim.url, api=sim.url)
    assert [j.local_id for j in service.foreign_jobs()] == [job.local_id]
    outcome = await service.cancel(job.local_id)
    assert "was sent to demo" in outcome.message
    assert (await service.refresh(job.local_id)).status == JobStatus.QUEUED  # not "not found"
    stats = httpx.get(f"{sim.url}/_sim/stats").json()
    assert stats["gets"] == 0 and stats["cancels"] == 0
    mine = await service.submit(GenerationRequest(model="seedance-2.0", prompt="mine"))
    assert mine.api == sim.url


def test_cli_status_of_a_demo_job_says_where_it_belongs(
    run: Callable[..., subprocess.CompletedProcess[str]],  # noqa: F811
    tmp_path: Path,
) -> None:
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt="made in the demo"))
    job.request_id, job.api = "req_00000000000000d2", DEMO_API
    job.set_status(JobStatus.QUEUED)
    with JobStore.open(tmp_path / "jobs.json") as store:
        store.add(job)
    result = run("status", "req_00000000000000d2", "--json")
    assert result.returncode == 2 and "--demo" in json.loads(result.stdout)["error"]
    assert json.loads(run("jobs", "--json").stdout)[0]["status"] == "queued"


def test_a_killed_demo_has_already_kept_its_tasks(tmp_path: Path) -> None:
    saved = state_path(tmp_path / "jobs.json")
    first = start_demo(SLOW, saved, save_interval=0.05)
    try:
        body = {"model": "seedance-2.0", "prompt": "kept at once", "duration": 5}
        request_id = httpx.post(f"{first.url}{API_PREFIX}", json=body, headers=HEADERS).json()["requestId"]
        deadline = time.monotonic() + 10
        while not (saved.exists() and request_id in saved.read_text()):
            assert time.monotonic() < deadline, "the demo's tasks were not saved"
            time.sleep(0.02)
        # As if the first demo had been killed: its port is still taken, so the next one moves.
        second = start_demo(SLOW, saved)
        try:
            assert second.url != first.url
            again = httpx.get(f"{second.url}{API_PREFIX}/{request_id}", headers=HEADERS)
            assert again.status_code == 200 and again.json()["status"] == "queued"
        finally:
            second.stop()
    finally:
        first.stop()


def test_a_demo_without_its_saved_state_says_its_earlier_jobs_cannot_be_followed(tmp_path: Path) -> None:
    demo = start_demo(SLOW, state_path(tmp_path / "jobs.json"))  # nothing was saved there
    try:
        body = {"model": "seedance-2.0", "prompt": "known", "duration": 5}
        known_id = httpx.post(f"{demo.url}{API_PREFIX}", json=body, headers=HEADERS).json()["requestId"]
        jobs = []
        for request_id in (known_id, "req_00000000000000e1"):
            job = Job.new(GenerationRequest(model="seedance-2.0", prompt=request_id))
            job.request_id, job.api = request_id, DEMO_API
            job.set_status(JobStatus.QUEUED)
            jobs.append(job)
        assert lost_jobs_message(demo.server, jobs[:1]) is None
        message = lost_jobs_message(demo.server, jobs)
        assert message is not None and message.startswith("1 earlier demo job(s) cannot be followed")
    finally:
        demo.stop()
