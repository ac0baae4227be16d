"""The job store shared by real processes: concurrent writers and writers killed mid-write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.store import JobStore

pytestmark = pytest.mark.slow

#: A child process: ``python -c CHILD <role> <store> <rounds> <go-file>``.
CHILD = """
import sys, time
from pathlib import Path
from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.store import JobStore

role, path, rounds, go = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
store = JobStore.open(path)
shared = [j for j in store.all() if j.local_id.startswith("shared")]
print("ready", flush=True)
deadline = time.monotonic() + 10
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.005)

def new_job(n):
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"{role} {n}"))
    job.local_id = f"{role}-{n}"
    return job

own = []
for round_ in range(1, rounds + 1):
    for k in range(2):
        job = new_job(f"{round_}-{k}")
        store.add(job)
        own.append(job)
    for job in own:
        job.poll_count = round_
        job.touch()
        store.update(job)
    if role == "poller":
        # Keeps polling its own stale copies of the shared jobs (never re-fetched).
        for job in shared:
            job.poll_count = round_
            job.touch()
            store.update(job)
    elif round_ == rounds // 2:
        for job in shared:
            current = store.get(job.local_id)
            current.set_status(JobStatus.SUCCEEDED)
            current.output_url = "https://example.com/" + current.local_id
            store.update(current)
    store.flush()
    store.refresh()
store.close()
print("done", flush=True)
"""

#: A child that rewrites the store as fast as it can until killed: ``python -c KILLED <store>``.
KILLED = """
import sys
from pathlib import Path
from seedance_tui.store import JobStore

store = JobStore.open(Path(sys.argv[1]))
jobs = store.all()[:100]
round_ = 0
while True:
    round_ += 1
    for job in jobs:
        job.poll_count = round_
        store.update(job)
    store.flush()
    print(round_, flush=True)
"""


#: A child that kills itself at a chosen instant of a flush: ``python -c DIES <store> <moment>``.
#: The rewrite moments first append one round (poll_count 98), so that the fatal flush is a
#: rewrite that holds newer versions (99) than the journal it replaces.
DIES = """
import os, signal, sys
from pathlib import Path
from seedance_tui.store import JobStore, atomic, storage

# The journal takes one round of every job; the second round is a rewrite.
storage.MIN_JOURNAL_LIMIT, storage.JOURNAL_GROWTH = 0, 1.5
store = JobStore.open(Path(sys.argv[1]))
jobs = store.all()
moment = sys.argv[2]

def set_polls(n):
    for job in jobs:
        job.poll_count = n
        store.update(job)

def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)

if moment in ("mid-rewrite", "after-replace"):
    set_polls(98)
    store.flush()
set_polls(99)
real_write, real_pwrite, real_fsync = os.write, os.pwrite, os.fsync

def write_half_then_die(fd, data):
    real_write(fd, data[: len(data) // 2])
    die()

def pwrite_half_then_die(fd, data, offset):
    real_pwrite(fd, data[: len(data) // 2], offset)
    die()

def fsync_then_die(fd):
    real_fsync(fd)
    die()

if moment == "mid-append":
    os.pwrite = pwrite_half_then_die
elif moment == "after-append":
    os.fsync = fsync_then_die
elif moment == "mid-rewrite":
    os.write = write_half_then_die
else:
    atomic.fsync_dir = die
store.flush()
"""


def spawn(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE, text=True
    )


def seed(path: Path, count: int, prefix: str) -> list[Job]:
    """Store ``count`` processing jobs with known ids."""
    jobs = []
    with JobStore.open(path) as store:
        for i in range(count):
            job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"seeded {i}"))
            job.local_id, job.request_id = f"{prefix}-{i}", f"req_{i}"
            job.set_status(JobStatus.PROCESSING)
            store.update(job)
            jobs.append(job)
    return jobs


def test_concurrent_processes_lose_nothing_and_never_revert(tmp_path: Path) -> None:
    path, go, rounds = tmp_path / "jobs.json", tmp_path / "go", 30
    shared = seed(path, 20, "shared")
    children = [spawn(CHILD, role, path, rounds, go) for role in ("poller", "finisher")]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    go.touch()
    for child in children:
        out, _ = child.communicate(timeout=60)
        assert child.returncode == 0 and out.strip() == "done"

    with JobStore.open(path) as store:
        jobs = {j.local_id: j for j in store.all()}
        assert store.skipped_documents == 0
    for role in ("poller", "finisher"):
        own = [f"{role}-{r}-{k}" for r in range(1, rounds + 1) for k in range(2)]
        assert all(jobs[lid].poll_count == rounds for lid in own), "an update was lost"
    assert len(jobs) == len(shared) + 2 * 2 * rounds, "a job was lost"
    for job in shared:
        stored = jobs[job.local_id]
        assert stored.status == JobStatus.SUCCEEDED, "a final status was reverted"
        assert stored.output_url == f"https://example.com/{job.local_id}"
        assert stored.poll_count == rounds
    assert len(orjson.loads(path.read_bytes())["jobs"]) == len(jobs)  # the last close folded the journal in


def test_refresh_sees_another_process(tmp_path: Path) -> None:
    path, go = tmp_path / "jobs.json", tmp_path / "go"
    go.touch()
    store = JobStore.open(path)
    child = spawn(CHILD, "finisher", path, 1, go)
    out, _ = child.communicate(timeout=30)
    assert out.split() == ["ready", "done"]
    assert sorted(j.local_id for j in store.refresh()) == ["finisher-1-0", "finisher-1-1"]
    assert len(store) == 2
    store.close()


def test_killed_writer_leaves_a_complete_file(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    seed(path, 3000, "job")
    rng = random.Random(7)
    for _ in range(3):
        child = spawn(KILLED, path)
        assert child.stdout is not None
        deadline = time.monotonic() + 20
        while int(child.stdout.readline() or 0) < 2 and time.monotonic() < deadline:
            pass
        time.sleep(rng.uniform(0, 0.03))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        with JobStore.open(path) as store:
            jobs = store.all()
            assert len(jobs) == 3000 and store.skipped_documents == 0
            # The 100 rewritten jobs were written together: one round, never a mix.
            assert len({j.poll_count for j in jobs[:100]}) == 1
        assert not list(tmp_path.glob(".jobs.json.*.tmp"))


@pytest.mark.parametrize(
    ("moment", "survivor"),
    [("mid-append", 0), ("after-append", 99), ("mid-rewrite", 98), ("after-replace", 99)],
)
def test_writer_killed_at_the_worst_moment(tmp_path: Path, moment: str, survivor: int) -> None:
    path = tmp_path / "jobs.json"
    seed(path, 1000, "job")
    child = spawn(DIES, path, moment)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    if moment == "mid-rewrite":
        assert list(tmp_path.glob(".jobs.json.*.tmp"))  # the half-written file never replaced the store
    with JobStore.open(path) as store:
        jobs = store.all()
        # Every job at the same version: the last complete commit, never a torn one, never an older one.
        assert len(jobs) == 1000 and store.skipped_documents == 0
        assert {j.poll_count for j in jobs} == {survivor}
        jobs[0].poll_count = 100
        store.update(jobs[0])
        store.flush()  # a new writer cuts off any torn tail and moves a stale journal aside
    assert not list(tmp_path.glob(".jobs.json.*.tmp"))
    with JobStore.open(path) as store:
        polls = sorted(j.poll_count for j in store.all())
    assert polls == [survivor] * 999 + [100]
    kept_aside = list(tmp_path.glob("jobs.json.journal.stale-*"))
    assert len(kept_aside) == (1 if moment == "after-replace" else 0)
