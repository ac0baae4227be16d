"""The PostgreSQL store beside the tinydb file (issue 16): a 1,000-change batch commit, the latency of
a change to another process through NOTIFY, and GET/s at the simulator with three services on one
database (one poller per account: must equal the budget).

Run from the repository root: .venv/bin/python -m tests.perf.bench_pg [--rounds N] [--seconds S]
It starts a throwaway PostgreSQL server (tests/pg_fixtures.py) and removes it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from seedance_tui.store import JobStore
from seedance_tui.store.backend import Store
from seedance_tui.store.opening import open_store_url
from tests.conftest import API_KEY
from tests.perf.bench_poller import IN_FLIGHT, RPS, get_rate
from tests.perf.run import Row, med, print_table
from tests.perf.scenarios import dashboard_jobs, full_job, median_ms, sim_process, submit_tasks
from tests.pg_fixtures import PgCluster, start_cluster
from tests.reliability.helpers import ROOT
from tests.support import write_store

STORED = 10_000
CHANGED = 1_000

#: The other process: adds one job per line it reads and prints the wall time just before the commit.
_WRITER = """
import sys, time
from seedance_tui.models import GenerationRequest, Job
from seedance_tui.store.opening import open_store_url
store = open_store_url(sys.argv[1], api_key=sys.argv[2], notice=lambda m: None)
print("ready", flush=True)
for line in sys.stdin:
    job = Job.new(GenerationRequest("seedance-2.0", "latency " + line.strip()))
    started = time.time()
    store.add(job)
    print(job.local_id, started, flush=True)
store.close()
"""


def batch_commit_ms(open_store: Callable[[], Store], rounds: int) -> float:
    """Median ms to commit 1,000 changed jobs of 10,000 (``open_store`` returns a store holding them)."""
    store = open_store()
    jobs = store.all()
    times = []
    for round_ in range(rounds):
        for job in jobs[round_ * CHANGED : (round_ + 1) * CHANGED]:
            job.poll_count += 1
            job.touch()
            store.update(job)
        times.append(median_ms(store.flush, 1))
    store.close()
    return med(times)


def notify_latency_ms(url: str, rounds: int) -> list[float]:
    """ms from another process starting a commit to this process's store holding the new job."""
    store = open_store_url(url, api_key=API_KEY, notice=lambda message: None)
    heard = threading.Event()
    store.add_change_listener(heard.set)
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, url, API_KEY],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdin is not None and writer.stdout is not None
    latencies = []
    try:
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(0.5)  # both listening before the first round
        for n in range(rounds):
            heard.clear()
            writer.stdin.write(f"{n}\n")
            writer.stdin.flush()
            local_id, started = writer.stdout.readline().split()
            while store.get(local_id) is None:
                assert heard.wait(5), "no notification within 5 s"
                heard.clear()
                store.refresh()
            latencies.append((time.time() - float(started)) * 1000)
    finally:
        writer.stdin.close()
        writer.wait(10)
        store.close()
    return latencies


async def shared_get_rate(cluster: PgCluster, seconds: float) -> float:
    """GET/s at the simulator with three services on one database and 1,000 jobs in flight."""
    with sim_process("--queue-seconds", "100000", "--failure-rate", "0") as sim:
        request_ids = await submit_tasks(sim.url, IN_FLIGHT)
        url = _fresh_database(cluster, "rate")
        store = open_store_url(url, api_key=API_KEY, notice=lambda message: None)
        store.put_documents(job.to_dict() for job in dashboard_jobs(request_ids, 0, time.time()))
        store.close()
        return await get_rate(sim, url, 3, lease=True, seconds=seconds)


def _fresh_database(cluster: PgCluster, name: str) -> str:
    cluster.sql(f"CREATE DATABASE {name}")
    return cluster.url(name)


def measure(cluster: PgCluster, work: Path, rounds: int, seconds: float) -> list[Row]:
    jobs = [full_job(i) for i in range(STORED)]
    url = _fresh_database(cluster, "batch")
    seed = open_store_url(url, api_key=API_KEY, notice=lambda message: None)
    seed.put_documents(job.to_dict() for job in jobs)
    seed.close()
    pg_ms = batch_commit_ms(lambda: open_store_url(url, api_key=API_KEY, notice=lambda message: None), rounds)
    write_store(work / "batch.json", jobs)
    tinydb_ms = batch_commit_ms(lambda: JobStore.open(work / "batch.json"), rounds)
    latencies = notify_latency_ms(_fresh_database(cluster, "notify"), rounds * 4)
    rate = asyncio.run(shared_get_rate(cluster, seconds))
    return [
        Row(
            "16. commit 1,000 changed jobs of 10,000, PostgreSQL",
            pg_ms,
            50,
            "ms",
            baseline=tinydb_ms,
            note=f"baseline: the tinydb file store, same jobs; median of {rounds}",
        ),
        Row(
            "16. change to another process through NOTIFY",
            med(latencies),
            1000,
            "ms",
            note=f"max {max(latencies):.0f} ms over {len(latencies)}; commit start → other store holds it",
        ),
        Row(
            "16. GET/s at the API, 3 services on one database",
            rate,
            RPS * 1.1,
            "/s",
            note=f"budget {RPS:g}/s per account; 1,000 in flight; one poller (advisory lock)",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="batch commits (and 4x latency samples)")
    parser.add_argument("--seconds", type=float, default=5.0, help="GET/s measuring window")
    args = parser.parse_args()
    cluster = start_cluster()
    work = Path(tempfile.mkdtemp(prefix="seedance-bench-pg-"))
    try:
        print_table(measure(cluster, work, args.rounds, args.seconds))
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
