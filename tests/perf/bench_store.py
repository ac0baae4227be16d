"""Timings of the job store at 10,000 jobs against tinydb's default storage (run: python tests/perf/bench_store.py)."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tinydb import TinyDB

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.store import JobStore

JOBS = 10_000
CHANGED = 1_000
NAIVE_SAMPLE = 50


def lean_job(i: int) -> Job:
    """A job still in flight, no metadata: about the 540-byte record the 5.4 MB reference figures used."""
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"A river in an autumn forest, take {i}"))
    job.created_at = job.updated_at = 1_700_000_000.0 + i
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
    job.created_at = job.updated_at = 1_700_000_000.0 + i
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


def median_ms(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``run`` in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def populate(path: Path, make_job: Callable[[int], Job]) -> None:
    with JobStore.open(path) as store:
        for i in range(JOBS):
            store.update(make_job(i))


def bench_ours(path: Path, make_job: Callable[[int], Job]) -> dict[str, float]:
    figures: dict[str, float] = {}
    figures["open"] = median_ms(lambda: JobStore.open(path).close(), 5)
    store = JobStore.open(path)
    jobs = store.all()
    figures["add one"] = median_ms(lambda: store.add(make_job(JOBS)), 20)

    round_ = 0

    def change_batch() -> None:
        nonlocal round_
        round_ += 1
        for job in jobs[round_ * CHANGED : (round_ + 1) * CHANGED]:
            job.poll_count += 1
            job.touch()
            store.update(job)

    update_ms: list[float] = []
    flush_ms: list[float] = []
    for _ in range(5):
        update_ms.append(median_ms(change_batch, 1))
        flush_ms.append(median_ms(store.flush, 1))
    figures["update x1000 (snapshots, before flush)"] = statistics.median(update_ms)
    figures["flush 1000 changed"] = statistics.median(flush_ms)
    figures["refresh no-op (microseconds, not ms)"] = median_ms(store.refresh, 1000) * 1000

    other = JobStore.open(path)
    for job in other.all()[:CHANGED]:
        job.poll_count += 1
        job.touch()
        other.update(job)
    other.flush()
    figures["refresh after another process wrote 1000"] = median_ms(store.refresh, 1)
    for job in other.all()[:CHANGED]:
        job.touch()
        other.update(job)
    other.flush()
    change_batch()
    figures["flush 1000 when another process wrote 1000 (reload+merge)"] = median_ms(store.flush, 1)
    other.close()
    store.close()
    figures["file size MB"] = path.stat().st_size / 1e6
    return figures


def bench_naive(path: Path, make_job: Callable[[int], Job]) -> dict[str, float]:
    db = TinyDB(path)
    table = db.table("jobs")
    ids = table.insert_multiple(make_job(i).to_dict() for i in range(JOBS))

    pending = iter(ids)
    per_update = median_ms(lambda: table.update({"poll_count": 13}, doc_ids=[next(pending)]), NAIVE_SAMPLE)
    db.close()
    return {"naive update one": per_update, "naive 1000 updates (extrapolated)": per_update * CHANGED}


def main() -> None:
    for profile, make_job in (("lean jobs (reference size)", lean_job), ("full jobs", full_job)):
        with tempfile.TemporaryDirectory() as tmp:
            ours_path = Path(tmp) / "jobs.json"
            populate(ours_path, make_job)
            ours = bench_ours(ours_path, make_job)
            naive = bench_naive(Path(tmp) / "naive.json", make_job)
        print(f"== {JOBS} {profile}, median ms")
        for name, value in {**ours, **naive}.items():
            print(f"{name:<60} {value:9.2f}")
        ratio = naive["naive 1000 updates (extrapolated)"] / ours["flush 1000 changed"]
        print(f"{'speed-up of a 1000-job flush over the naive baseline':<60} {ratio:9.1f}x")


if __name__ == "__main__":
    main()
