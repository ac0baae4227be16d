"""Scenario builders shared by the benchmarks and the perf regression tests: jobs, stores, a simulator, a lag probe."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from seedance_tui.api.client import SeedanceClient
from seedance_tui.config import DEMO_API_KEY
from seedance_tui.models import MODELS, GenerationRequest, Job, JobStatus
from seedance_tui.polling import PollPolicy
from tests.support import free_port, in_flight_job

#: The installed command, next to the running interpreter.
COMMAND = Path(sys.executable).parent / "seedance-tui"

WORDS = [
    "a", "cat", "astronaut", "drifts", "over", "neon", "city", "rain",
    "slow", "motion", "golden", "hour", "ocean", "waves", "forest", "fox",
]  # fmt: skip
STATUSES = [
    JobStatus.QUEUED,
    JobStatus.PROCESSING,
    JobStatus.SUCCEEDED,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
]
#: Wall time every built job is created after, so timelines are the same on every run.
EPOCH = 1_700_000_000.0


def make_jobs(count: int, seed: int = 1) -> list[Job]:
    """``count`` varied jobs with fixed timestamps (random statuses, models, prompts)."""
    rng = random.Random(seed)
    jobs = []
    for i in range(count):
        request = GenerationRequest(
            model=rng.choice(MODELS), prompt=" ".join(rng.choices(WORDS, k=12)), duration=rng.choice((5, 10))
        )
        job = Job(local_id=f"{i:012x}", request=request, request_id=f"req_{rng.getrandbits(64):016x}")
        job.created_at = job.updated_at = EPOCH + i
        job.status = rng.choice(STATUSES)
        job.credits_charged = rng.choice((20, 40, 80))
        jobs.append(job)
    return jobs


def lean_job(i: int) -> Job:
    """A job still in flight, no metadata: about the 540-byte record the 5.4 MB reference figures used."""
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"A river in an autumn forest, take {i}"))
    job.created_at = job.updated_at = EPOCH + i
    job.request_id = f"req_{i:010d}"
    job.set_status(JobStatus.QUEUED, job.created_at + 0.4)
    job.set_status(JobStatus.PROCESSING, job.created_at + 3)
    return job


def full_job(i: int) -> Job:
    """A finished job with every option set, as the dashboard holds after weeks of use."""
    request = GenerationRequest(
        model="seedance-2.0",
        prompt=f"A river flowing through an autumn forest, aerial view, cinematic motion, take {i}",
        aspect_ratio="16:9",
        duration=5,
        resolution="720p",
        metadata={"projectId": "proj_1001", "sceneId": f"scene_{i % 50:02d}"},
    )
    job = Job.new(request)
    job.created_at = job.updated_at = EPOCH + i
    job.request_id = f"req_{i:010d}"
    job.credits_charged = 40
    job.submitted_at = job.created_at + 0.4
    job.set_status(JobStatus.QUEUED, job.created_at + 0.4)
    job.set_status(JobStatus.PROCESSING, job.created_at + 3)
    if i % 10:
        job.set_status(JobStatus.SUCCEEDED, job.created_at + 60)
        job.output_url = f"https://pub-your-bucket.r2.dev/open-api-results/req_{i:010d}.mp4"
    else:
        job.set_status(JobStatus.FAILED, job.created_at + 60)
        job.error_code, job.error_message = "provider_error", "Video generation failed upstream"
    job.poll_count = 12
    job.last_checked_at = job.created_at + 60
    return job


def dashboard_jobs(request_ids: list[str], finished: int, now: float, *, steady: bool = False) -> list[Job]:
    """``finished`` old finished jobs plus one queued job per request id (as the sim says), the queued newest.

    ``steady``: the queued jobs have waited an hour and were last checked at moments spread over
    their poll interval, as in a dashboard that has been running for a while (otherwise they are
    ten minutes old and all due at start-up).
    """
    jobs = [full_job(i) for i in range(finished)]
    start = max(EPOCH + finished, now - (3600 if steady else 600))
    interval = PollPolicy().interval(JobStatus.QUEUED, 3600, 3600, followed=len(request_ids))
    for i, rid in enumerate(request_ids):
        job = in_flight_job(rid, start + i * 0.01, JobStatus.QUEUED)
        if steady:
            job.last_checked_at = now - interval * i / max(1, len(request_ids))
        jobs.append(job)
    return jobs


def median_ms(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``run`` in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def naive_update_ms(path: Path, make_job: Callable[[int], Job], jobs: int, sample: int) -> float:
    """Median ms of one ``update`` on tinydb's default JSONStorage holding ``jobs`` jobs (rewrites the file)."""
    db = TinyDB(path)
    table = db.table("jobs")
    ids = iter(table.insert_multiple(make_job(i).to_dict() for i in range(jobs)))
    try:
        return median_ms(lambda: table.update({"poll_count": 13}, doc_ids=[next(ids)]), sample)
    finally:
        db.close()


class SimProcess:
    """The installed ``seedance-tui sim`` in its own process (so it does not share our GIL)."""

    def __init__(self, *sim_args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [str(COMMAND), "sim", "--port", str(self.port), "--seed", "7", *sim_args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if "listening" not in line:
            self.stop()
            raise RuntimeError(f"the simulator did not start: {line!r}")

    def stats(self) -> dict[str, Any]:
        """The simulator's own counters (``gets``, ``submits_received`` ...)."""
        with urllib.request.urlopen(f"{self.url}/_sim/stats", timeout=5) as reply:
            return dict(json.load(reply))

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)


@contextlib.contextmanager
def sim_process(*sim_args: str) -> Iterator[SimProcess]:
    """A standalone simulator for the duration of the block."""
    sim = SimProcess(*sim_args)
    try:
        yield sim
    finally:
        sim.stop()


async def submit_tasks(url: str, count: int, concurrency: int = 16) -> list[str]:
    """Submit ``count`` generations through the real HTTP API; their request ids, in order."""
    gate = asyncio.Semaphore(concurrency)
    request = GenerationRequest(model="seedance-2.0", prompt="A fox crossing a snowy field")

    async with SeedanceClient(url, DEMO_API_KEY) as client:

        async def one() -> str:
            async with gate:
                return (await client.submit(request)).request_id

        return list(await asyncio.gather(*(one() for _ in range(count))))


class LagProbe:
    """Measures how late the event loop wakes a ticker that sleeps ``period`` s: the worst blocked frame."""

    def __init__(self, period: float = 0.005) -> None:
        self.period = period
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def worst_ms(self) -> float:
        return max(self.lags, default=0.0) * 1000

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.period)
            self.lags.append(time.perf_counter() - start - self.period)
