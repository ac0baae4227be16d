"""Archiving killed with SIGKILL at random points: afterwards every job is present exactly once."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from seedance_tui.models import JobStatus
from seedance_tui.store import JobStore
from seedance_tui.store.archive import Archive
from seedance_tui.store.history import every_document
from tests.support import in_flight_job, write_store

pytestmark = pytest.mark.slow

DAY = 86_400.0
NOW = 1_780_000_000.0
KILLS = 12
ROOT = Path(__file__).resolve().parents[2]


def _worker(store: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.archive_worker", str(store), str(30 * DAY), str(NOW)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _per_file(store: Path) -> Counter[str]:
    """How many files (store, month archives) each job id is in."""
    counts: Counter[str] = Counter()
    with JobStore.open(store) as opened:
        counts.update(job.local_id for job in opened.all())
    archive = Archive(store)
    for month in archive.months():
        docs = archive.documents(month)
        assert docs is not None, archive.notices
        counts.update(list(docs))
    return counts


def _check_each_once(store: Path, expected: set[str]) -> Counter[str]:
    with JobStore.open(store) as opened:
        history = opened.history()
        ids = [doc["local_id"] for doc in every_document(opened.documents(), history)]
        assert not opened.jobs_may_be_missing, opened.notices
    assert history.notices == []
    assert len(ids) == len(set(ids)), "a job shown twice"
    assert set(ids) == expected, f"lost: {sorted(expected - set(ids))[:5]}"
    per_file = _per_file(store)
    assert set(per_file) == expected and max(per_file.values()) <= 2
    return per_file


def test_archiving_killed_at_random_points_loses_and_doubles_nothing(tmp_path: Path) -> None:
    template = tmp_path / "template"
    template.mkdir()
    jobs = [in_flight_job(f"old-{n}", NOW - 31 * DAY - n * 3_600, JobStatus.SUCCEEDED) for n in range(6_000)]
    jobs += [in_flight_job(f"running-{n}", NOW - 60 * DAY) for n in range(50)]
    write_store(template / "jobs.json", jobs)
    expected = {job.local_id for job in jobs}

    # One run to the end: how long archiving takes after "ready", and the state it leaves.
    whole = tmp_path / "whole"
    shutil.copytree(template, whole)
    proc = _worker(whole / "jobs.json")
    started = time.perf_counter()
    assert proc.stdout is not None and proc.stdout.readline().strip() == "done"
    duration = time.perf_counter() - started
    assert proc.wait(timeout=120) == 0
    proc.stdout.close()
    per_file = _check_each_once(whole / "jobs.json", expected)
    assert set(per_file.values()) == {1}

    rng = random.Random(15_2)
    for n in range(KILLS):
        run = tmp_path / f"run{n}"
        shutil.copytree(template, run)
        proc = _worker(run / "jobs.json")
        time.sleep(rng.uniform(0, duration))  # the random point of the kill; no condition to wait for
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()
        _check_each_once(run / "jobs.json", expected)
        # A later run finishes the move: then each job is in exactly one file.
        finisher = _worker(run / "jobs.json")
        assert finisher.wait(timeout=120) == 0
        assert finisher.stdout is not None
        finisher.stdout.close()
        assert set(_check_each_once(run / "jobs.json", expected).values()) == {1}
