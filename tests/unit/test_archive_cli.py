"""Archived jobs are still seen by the CLI: jobs, export, status, track's duplicate check and batch
dedupe (a re-run of an old batch never pays again); a damaged archive is reported, never rewritten."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seedance_tui.models import JobStatus
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.store.archive import Archive, archive_finished, archive_path
from tests.unit.test_cli_many import KEY, Run, stats, stored, write_lines

DAY = 86_400.0


@pytest.fixture
def run(tmp_path: Path, sim: SimulatorServer) -> Run:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SEEDANCE_CONFIG": str(tmp_path / "config.toml"),
        "SEEDANCE_BASE_URL": sim.url,
        "SEEDANCE_TUI_DB": str(tmp_path / "jobs.json"),
        "SEEDANCE_API_KEY": KEY,
    }

    def runner(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "seedance_tui", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    return runner


PROMPTS = ["an old fox", "an old owl", "an old hare"]


def _old_batch_archived(run: Run, tmp_path: Path) -> list[str]:
    """A batch sent, its jobs finished 60 days ago and moved into the archive; their request ids."""
    batch = write_lines(tmp_path / "b.jsonl", [json.dumps({"prompt": p}) for p in PROMPTS])
    assert run("batch", str(batch), "--yes").returncode == 0
    long_ago = time.time() - 60 * DAY
    with JobStore.open(tmp_path / "jobs.json") as store:
        for job in store.all():
            job.created_at = long_ago
            job.set_status(JobStatus.SUCCEEDED, long_ago)
            store.update(job)
        store.flush()
        assert archive_finished(store, older_than=30 * DAY).moved == 3
        assert store.all() == []
    return [
        str(job["request_id"])
        for m in Archive(tmp_path / "jobs.json").months()
        for job in (Archive(tmp_path / "jobs.json").documents(m) or {}).values()
    ]


def test_archived_jobs_are_listed_exported_resolved_and_never_sent_again(
    run: Run, sim: SimulatorServer, tmp_path: Path
) -> None:
    rids = _old_batch_archived(run, tmp_path)
    listed = run("jobs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert sorted(job["request_id"] for job in json.loads(listed.stdout)) == sorted(rids)
    exported = run("export", "--format", "jsonl")
    assert sorted(json.loads(line)["request_id"] for line in exported.stdout.splitlines()) == sorted(rids)
    # The same batch again: every key is found in the archive, nothing is sent.
    again = run("batch", str(tmp_path / "b.jsonl"), "--yes")
    assert again.returncode == 0 and "Skipped 3" in again.stderr, again.stderr
    assert stats(sim)["submits_received"] == 3
    tracked = run("track", rids[0])
    assert tracked.returncode == 0 and "Already in the store" in tracked.stdout
    status = run("status", rids[1].removeprefix("req_")[:10])
    assert status.returncode == 0, status.stderr
    assert rids[1] in status.stdout
    # Shown once, though it is now back in the store as well as in its archive file.
    listed = run("jobs", "--json")
    assert sorted(job["request_id"] for job in json.loads(listed.stdout)) == sorted(rids)
    assert [job.request_id for job in stored(tmp_path)] == [rids[1]]


def test_a_damaged_archive_file_is_reported_and_never_overwritten(
    run: Run, sim: SimulatorServer, tmp_path: Path
) -> None:
    _old_batch_archived(run, tmp_path)
    month = Archive(tmp_path / "jobs.json").months()[0]
    damaged = archive_path(tmp_path / "jobs.json", month)
    damaged.write_bytes(b"{not json")
    listed = run("jobs")
    assert listed.returncode == 1
    assert f"The archive file {damaged} cannot be read" in listed.stderr and "Traceback" not in listed.stderr
    assert damaged.read_bytes() == b"{not json"
