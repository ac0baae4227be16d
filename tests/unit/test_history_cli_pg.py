"""On PostgreSQL, jobs older than the loaded window are still seen by the CLI through SQL: listed,
exported, resolved by id prefix for status, found by track's duplicate check, and a re-run of their
batch sends nothing (batch entries looked up in SQL, never by loading the account)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seedance_tui.models import JobStatus
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store.opening import open_store_url
from tests.unit.test_cli_many import KEY, Run, stats, write_lines

DAY = 86_400.0
PROMPTS = ["an old fox", "an old owl", "an old hare"]


@pytest.fixture
def run(tmp_path: Path, sim: SimulatorServer, pg_url: str) -> Run:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SEEDANCE_CONFIG": str(tmp_path / "config.toml"),
        "SEEDANCE_BASE_URL": sim.url,
        "SEEDANCE_TUI_STORE": pg_url,
        "SEEDANCE_API_KEY": KEY,
    }

    def runner(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "seedance_tui", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    return runner


def test_old_jobs_outside_the_window_are_listed_resolved_and_never_sent_again(
    run: Run, sim: SimulatorServer, tmp_path: Path, pg_url: str
) -> None:
    batch = write_lines(tmp_path / "b.jsonl", [json.dumps({"prompt": p}) for p in PROMPTS])
    assert run("batch", str(batch), "--yes").returncode == 0
    long_ago = time.time() - 60 * DAY
    store = open_store_url(pg_url, api_key=KEY, notice=lambda message: None, recent_days=0)
    try:
        for job in store.all():
            job.created_at = long_ago
            job.set_status(JobStatus.SUCCEEDED, long_ago)
            store.update(job)
        store.flush()
        rids = sorted(str(job.request_id) for job in store.all())
    finally:
        store.close()
    windowed = open_store_url(pg_url, api_key=KEY, notice=lambda message: None, recent_days=30)
    assert windowed.all() == []  # what a dashboard or command loads at open: none of them
    windowed.close()
    listed = run("jobs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert sorted(job["request_id"] for job in json.loads(listed.stdout)) == rids
    exported = run("export", "--format", "jsonl")
    assert sorted(json.loads(line)["request_id"] for line in exported.stdout.splitlines()) == rids
    again = run("batch", str(batch), "--yes")
    assert again.returncode == 0 and "Skipped 3" in again.stderr, again.stderr
    assert stats(sim)["submits_received"] == 3
    tracked = run("track", rids[0])
    assert tracked.returncode == 0 and "Already in the store" in tracked.stdout
    status = run("status", rids[1].removeprefix("req_")[:10])
    assert status.returncode == 0, status.stderr
    assert rids[1] in status.stdout
    listed = run("jobs", "--json")
    assert sorted(job["request_id"] for job in json.loads(listed.stdout)) == rids
