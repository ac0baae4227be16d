"""Timings of the job store at 10,000 jobs against tinydb's default storage (run: python -m tests.perf.bench_store)."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from seedance_tui.models import Job
from seedance_tui.store import JobStore
from tests.perf.scenarios import full_job, lean_job, median_ms, naive_update_ms
from tests.support import write_store

JOBS = 10_000
CHANGED = 1_000
NAIVE_SAMPLE = 50


def populate(path: Path, make_job: Callable[[int], Job]) -> None:
    write_store(path, [make_job(i) for i in range(JOBS)])


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
    per_update = naive_update_ms(path, make_job, JOBS, NAIVE_SAMPLE)
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
