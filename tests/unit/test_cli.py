"""The script commands end to end: the real command in a subprocess, real store, real simulator."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from seedance_tui.models import GenerationRequest, Job
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore

KEY = "sd2_cli_test_key_0123456789"


@pytest.fixture
def run(tmp_path: Path, sim: SimulatorServer) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m seedance_tui ARGS`` against the simulator with a store in tmp_path."""

    def runner(*args: str, key: str | None = KEY, url: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "SEEDANCE_CONFIG": str(tmp_path / "config.toml"),
            "SEEDANCE_BASE_URL": url or sim.url,
            "SEEDANCE_TUI_DB": str(tmp_path / "jobs.json"),
        }
        if key:
            env["SEEDANCE_API_KEY"] = key
        return subprocess.run(
            [sys.executable, "-m", "seedance_tui", *args], capture_output=True, text=True, env=env, timeout=60
        )

    return runner


def test_submit_prints_the_request_id_and_stores_the_job(
    run: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    result = run(
        "submit", "--model", "seedance-2.0", "--prompt", "a cat", "--metadata", '{"projectId": "p1"}'
    )
    assert result.returncode == 0, result.stderr
    request_id = result.stdout.strip()
    assert request_id.startswith("req_")
    stored = tmp_path / "jobs.json"
    assert request_id in stored.read_text()
    assert KEY not in stored.read_text() and KEY not in result.stdout + result.stderr


def test_submit_json_output(run: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    result = run(
        "submit",
        "--model",
        "seedance-1.5-pro",
        "--prompt",
        "p",
        "--duration",
        "10",
        "--resolution",
        "1080p",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["status"] == "queued" and job["credits_charged"] == 6 * 10 * 2
    assert job["request"] == {
        "model": "seedance-1.5-pro",
        "prompt": "p",
        "duration": 10,
        "resolution": "1080p",
    }


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--model", "seedance-1.5-pro", "--prompt", "p", "--duration", "7"], "duration"),
        (["--model", "seedance-9", "--prompt", "p"], "model"),
        (["--model", "seedance-2.0", "--prompt", " "], "prompt"),
        (["--model", "seedance-2.0", "--prompt", "p", "--metadata", "[1]"], "metadata"),
        (["--model", "seedance-2.0", "--prompt", "p", "--webhook-url", "nope"], "webhookUrl"),
        (["--model", "seedance-2.0", "--prompt", "p", "--media-url", "ftp://x"], "mediaUrls"),
    ],
)
def test_invalid_submissions_exit_2_and_send_nothing(
    run: Callable[..., subprocess.CompletedProcess[str]], sim: SimulatorServer, args: list[str], field: str
) -> None:
    result = run("submit", *args)
    assert result.returncode == 2
    assert f"error: {field}:" in result.stderr
    import httpx

    assert httpx.get(f"{sim.url}/_sim/stats").json()["submits_received"] == 0


def test_missing_key_says_how_to_set_one(run: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    for args in (["submit", "--model", "seedance-2.0", "--prompt", "p"], []):
        result = run(*args, key=None)
        assert result.returncode == 2
        assert "SEEDANCE_API_KEY" in result.stderr and "--demo" in result.stderr
        assert "Traceback" not in result.stderr


def test_rejected_key_exits_1_and_keeps_the_job_as_rejected(
    run: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = run("submit", "--model", "seedance-2.0", "--prompt", "p", "--json", key="sd2_revoked_key")
    assert result.returncode == 1
    payload = json.loads(result.stdout)
    assert payload["outcome"] == "rejected" and payload["job"]["status"] == "rejected"
    listed = json.loads(run("jobs", "--json").stdout)
    assert [j["status"] for j in listed] == ["rejected"]


def test_jobs_status_and_cancel(
    run: Callable[..., subprocess.CompletedProcess[str]], sim: SimulatorServer
) -> None:
    sim.set_faults()  # no faults; tasks are fast, so make one slow to cancel it
    first = run("submit", "--model", "seedance-2.0", "--prompt", "to finish").stdout.strip()
    listing = run("jobs")
    assert listing.returncode == 0 and first in listing.stdout and "to finish" in listing.stdout
    for _ in range(100):
        shown = run("status", first[:10], "--json")
        if json.loads(shown.stdout)["status"] == "succeeded":
            break
        time.sleep(0.1)
    job = json.loads(shown.stdout)
    assert job["status"] == "succeeded" and job["output_url"].endswith(".mp4")
    human = run("status", first)
    assert "succeeded" in human.stdout and "output" in human.stdout
    assert json.loads(run("jobs", "--status", "succeeded", "--json").stdout)[0]["request_id"] == first
    # Cancelling a finished job is refused plainly, exit 1, and the final state is kept.
    refused = run("cancel", first)
    assert refused.returncode == 1 and "Not cancelled" in refused.stderr


def test_cancel_a_queued_job(
    run: Callable[..., subprocess.CompletedProcess[str]], sim_factory: Callable[..., SimulatorServer]
) -> None:
    slow = sim_factory(queue_seconds=60.0)
    rid = run("submit", "--model", "seedance-2.0", "--prompt", "slow", url=slow.url).stdout.strip()
    result = run("cancel", rid, "--json", url=slow.url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["job"]["status"] == "cancelled"
    assert json.loads(run("jobs", "--json").stdout)[0]["status"] == "cancelled"


def test_unknown_job_reference_is_a_usage_error(
    run: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    JobStore.open(tmp_path / "jobs.json").close()
    result = run("status", "req_nothere")
    assert result.returncode == 2 and "No job matching" in result.stderr


def test_corrupt_store_is_reported_and_kept(
    run: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    db = tmp_path / "jobs.json"
    db.write_bytes(b'{"jobs": {"1": {"local_id": "abc", "request": {"mod')
    before = db.read_bytes()
    result = run("jobs")
    assert result.returncode == 2 and str(db) in result.stderr and "--recover-db" in result.stderr
    assert "Traceback" not in result.stderr
    assert db.read_bytes() == before
    recovered = run("jobs", "--recover-db")
    assert recovered.returncode == 0 and "No jobs" in recovered.stdout
    kept = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == before


def test_damaged_journal_is_reported_and_recovery_keeps_the_store_file(
    run: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    db, journal = tmp_path / "jobs.json", tmp_path / "jobs.json.journal"
    with JobStore.open(db) as store:
        store.add(Job.new(GenerationRequest(model="seedance-2.0", prompt="kept in the file")))
    store = JobStore.open(db)
    for n in range(2):
        job = store.all()[0]
        job.poll_count = n + 1
        store.update(job)
        store.flush()
    store._db.close()  # as if killed: the journal stays
    raw = bytearray(journal.read_bytes())
    raw[raw.index(b"\n") + 12] ^= 0x01  # inside the first of two commits
    journal.write_bytes(bytes(raw))
    result = run("jobs")
    assert result.returncode == 2 and str(journal) in result.stderr and "--recover-db" in result.stderr
    assert "Traceback" not in result.stderr and journal.read_bytes() == bytes(raw)
    recovered = run("jobs", "--recover-db")
    assert recovered.returncode == 0 and "kept in the file" in recovered.stdout, recovered.stderr
    kept = list(tmp_path.glob("jobs.json.journal.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == bytes(raw)


def test_set_key_writes_a_private_config(
    run: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    cfg = tmp_path / "c.toml"
    result = subprocess.run(
        [sys.executable, "-m", "seedance_tui", "set-key", "--config", str(cfg)],
        input="sd2_live_secret_value_9999\n", capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0
    assert "sd2_live_secret_value_9999" not in result.stdout and "9999" in result.stdout
    assert (cfg.stat().st_mode & 0o777) == 0o600


def test_version_and_help(run: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    assert run("--version").stdout.strip() == "seedance-tui 0.1.0"
    shown = run("--help").stdout
    for command in ("submit", "jobs", "status", "cancel", "sim", "--demo", "--no-mouse"):
        assert command in shown


def test_command_line_errors_use_the_commands_error_writer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from seedance_tui.cli import main

    db = tmp_path / "a\x1b[2Jb" / "jobs.json"
    assert main(["status", "req_1", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No job store") and "\x1b" not in err  # escaped like every command's errors
    assert main(["status", "req_1", "--db", str(db), "--store", "x", "--json"]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out) == {"error": "Give either --db PATH or --store URL, not both."} and err == ""
