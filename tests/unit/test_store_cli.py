"""Choosing the store by URL and the ``store`` commands, as real processes on real stores."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from seedance_tui.store.archive import archive_finished
from seedance_tui.store.history import every_document
from seedance_tui.store.opening import open_store_url
from tests.pg_fixtures import SUPERUSER_PASSWORD, PgCluster

KEY = "sd2_store_cli_key_0123456789"
Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def env(tmp_path: Path, sim: SimulatorServer) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SEEDANCE_CONFIG": str(tmp_path / "config.toml"),
        "SEEDANCE_BASE_URL": sim.url,
        "SEEDANCE_API_KEY": KEY,
    }


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "seedance_tui", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seedance_tui", *args], capture_output=True, text=True, env=env, timeout=120
    )


def stored_docs(url: str, key: str = KEY) -> list[dict[str, object]]:
    """Every job document of ``key``'s account, held or in the history."""
    store = open_store_url(url, api_key=key, notice=lambda message: None)
    try:
        return sorted(
            every_document(store.documents(), store.history()), key=lambda doc: str(doc["local_id"])
        )
    finally:
        store.close()


@pytest.mark.parametrize("where", ["before", "after"])
def test_db_and_store_together_are_a_usage_error(env: dict[str, str], tmp_path: Path, where: str) -> None:
    flags = ["--db", str(tmp_path / "a.json"), "--store", f"tinydb://{tmp_path / 'b.json'}"]
    args = [*flags, "jobs"] if where == "before" else ["jobs", *flags]
    result = run(env, *args)
    assert result.returncode == 2 and "not both" in result.stderr


def test_a_tinydb_url_and_a_plain_path_name_the_same_file_store(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    result = run(env, "--store", f"tinydb://{path}", "submit", "--model", "seedance-2.0", "--prompt", "a cat")
    assert result.returncode == 0, result.stderr
    listed = run(env, "jobs", "--store", str(path), "--json")
    assert json.loads(listed.stdout)[0]["request_id"] == result.stdout.strip()


def test_the_cli_works_on_postgresql_from_the_environment_and_never_prints_the_password(
    env: dict[str, str], pg_url: str
) -> None:
    env = {**env, "SEEDANCE_TUI_STORE": pg_url}
    submitted = run(env, "submit", "--model", "seedance-2.0", "--prompt", "a dog")
    assert submitted.returncode == 0, submitted.stderr
    assert "Creating the job store schema version 2" in submitted.stderr
    listed = run(env, "jobs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [job["request_id"] for job in json.loads(listed.stdout)] == [submitted.stdout.strip()]
    status = run(env, "status", submitted.stdout.strip())
    assert status.returncode == 0, status.stderr
    keyless = run({k: v for k, v in env.items() if k != "SEEDANCE_API_KEY"}, "jobs")
    assert keyless.returncode == 2 and "set SEEDANCE_API_KEY" in keyless.stderr
    everything = (
        submitted.stdout + submitted.stderr + listed.stdout + listed.stderr + status.stdout + status.stderr
    )
    assert SUPERUSER_PASSWORD not in everything and KEY not in everything


def test_store_migrate_creates_then_has_nothing_to_do(
    env: dict[str, str], pg_url: str, tmp_path: Path
) -> None:
    first = run(env, "store", "migrate", "--store", pg_url)
    assert first.returncode == 0, first.stderr
    assert (
        "Creating the job store schema version 2" in first.stdout
        and "now at schema version 2" in first.stdout
    )
    again = run(env, "--store", pg_url, "store", "migrate")
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert SUPERUSER_PASSWORD not in first.stdout + again.stdout
    tiny = run(env, "store", "migrate", "--db", str(tmp_path / "jobs.json"))
    assert tiny.returncode == 0 and "no schema" in tiny.stdout


def test_store_copy_round_trip_tinydb_postgresql_tinydb_equals_the_original(
    env: dict[str, str], pg_url: str, tmp_path: Path
) -> None:
    original = tmp_path / "original.json"
    with JobStore.open(original) as store:
        for n in range(20):
            job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"take {n}\x00 ünï \N{SNOWFLAKE}"))
            if n % 3 == 0:
                job.set_status(JobStatus.SUCCEEDED)
                job.output_url = f"https://example.com/{n}.mp4"
            store.add(job)
        store.put_documents([{**store.all()[0].to_dict(), "local_id": "future", "from_a_newer_version": [1]}])
    copied = run(env, "store", "copy", str(original), pg_url)
    assert copied.returncode == 0, copied.stderr
    assert "Copied 21 job(s)" in copied.stdout and "21 written" in copied.stdout
    assert SUPERUSER_PASSWORD not in copied.stdout + copied.stderr
    twice = run(env, "store", "copy", f"tinydb://{original}", pg_url)
    assert "0 written, 21 already there" in twice.stdout
    back = tmp_path / "back.json"
    assert run(env, "store", "copy", pg_url, str(back)).returncode == 0
    assert stored_docs(str(back)) == stored_docs(str(original)) == stored_docs(pg_url)


@pytest.mark.slow
def test_cli_submits_from_several_processes_on_one_database_post_each_job_once(
    env: dict[str, str], pg_url: str, sim: SimulatorServer
) -> None:
    env = {**env, "SEEDANCE_TUI_STORE": pg_url}
    assert run(env, "store", "migrate").returncode == 0
    rounds = 3
    for _ in range(rounds):
        procs = [
            start(env, "submit", "--model", "seedance-2.0", "--prompt", f"process {n}") for n in range(3)
        ]
        for proc in procs:
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
    docs = stored_docs(pg_url)
    request_ids = Counter(str(doc["request_id"]) for doc in docs)
    created = [task["requestId"] for task in sim.state.tasks()]
    assert len(docs) == 3 * rounds and max(request_ids.values()) == 1
    assert sorted(request_ids) == sorted(created)
    assert sim.state.stats()["submits_received"] == 3 * rounds


def old_and_new_jobs(prompt: str, count: int) -> list[Job]:
    """Jobs of which every other one finished long ago (the history, archived or not loaded)."""
    jobs = []
    for n in range(count):
        job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"{prompt} {n}"))
        if n % 2 == 0:
            job.created_at = 1_600_000_000.0 + n
            job.set_status(JobStatus.SUCCEEDED, 1_600_000_100.0 + n)
        jobs.append(job)
    return jobs


def test_store_copy_between_databases_copies_every_account_and_twice_changes_nothing(
    env: dict[str, str], pg_cluster: PgCluster, pg_url: str
) -> None:
    other_key = "sd2_another_account_key_987"
    for key, count in ((KEY, 5), (other_key, 4)):
        store = open_store_url(pg_url, api_key=key, notice=lambda message: None)
        store.put_documents(job.to_dict() for job in old_and_new_jobs(key, count))
        store.close()
    target = pg_url + "_copy"
    pg_cluster.sql(f"CREATE DATABASE {target.rsplit('/', 1)[1]}")
    keyless = {name: value for name, value in env.items() if name != "SEEDANCE_API_KEY"}
    copied = run(keyless, "store", "copy", pg_url, target)
    assert copied.returncode == 0, copied.stderr
    assert "Copied 9 job(s) of 2 account(s)" in copied.stdout and "9 written" in copied.stdout
    assert SUPERUSER_PASSWORD not in copied.stdout + copied.stderr
    twice = run(keyless, "store", "copy", pg_url, target)
    assert "0 written, 9 already there" in twice.stdout
    for key in (KEY, other_key):
        assert len(stored_docs(target, key)) in (4, 5)
        assert stored_docs(target, key) == stored_docs(pg_url, key)


def test_store_copy_from_a_file_store_takes_its_archived_jobs_too(
    env: dict[str, str], pg_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "jobs.json"
    with JobStore.open(path) as store:
        store.put_documents(job.to_dict() for job in old_and_new_jobs("archived", 6))
        assert archive_finished(store, 30 * 86_400.0).moved == 3
    copied = run(env, "store", "copy", str(path), pg_url)
    assert copied.returncode == 0, copied.stderr
    assert "Copied 6 job(s)" in copied.stdout
    assert stored_docs(pg_url) == stored_docs(str(path))
