"""First start on a store written by the previous version: old finished jobs move into the archive,
a backup of the store file is kept, nothing is lost; ``archive_after_days`` says when (0: never)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from seedance_tui.config import ConfigError, load_settings
from seedance_tui.launch import archive_old_jobs
from seedance_tui.models import JobStatus
from seedance_tui.store import JobStore
from seedance_tui.store.archive import index_path, month_of
from seedance_tui.store.history import every_document
from tests.support import in_flight_job, write_store

DAY = 86_400.0


def test_a_10000_job_store_of_the_previous_version_is_upgraded_in_place_with_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    now = time.time()
    finished = [
        in_flight_job(f"req_old{n:05d}", now - 40 * DAY - n * 600, JobStatus.SUCCEEDED) for n in range(9_000)
    ]
    in_flight = [in_flight_job(f"req_run{n:05d}", now - 40 * DAY - n) for n in range(1_000)]
    write_store(path, finished + in_flight)  # the previous version's file: no archive, no index
    before = path.read_bytes()
    expected = {job.local_id for job in finished + in_flight}

    with JobStore.open(path) as store:
        said = archive_old_jobs(store, 30)
        assert len(store.all()) == 1_000 and all(not job.is_final for job in store.all())
    assert len(said) == 1 and "Moved 9,000 finished job(s) older than 30 days" in said[0]
    backups = list(tmp_path.glob("jobs.json.pre-archive-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == before
    assert index_path(path).exists()
    with JobStore.open(path) as store:
        history = store.history()
        ids = [doc["local_id"] for doc in every_document(store.documents(), history)]
        assert store.notices == [] and history.notices == []
        # The next start has nothing to move and takes no new backup.
        assert archive_old_jobs(store, 30) == []
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert len(list(tmp_path.glob("jobs.json.pre-archive-*"))) == 1


def test_archive_after_days_zero_never_moves_anything(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    write_store(path, [in_flight_job("req_old", time.time() - 400 * DAY, JobStatus.FAILED)])
    with JobStore.open(path) as store:
        assert archive_old_jobs(store, 0) == [] and len(store.all()) == 1
    assert not index_path(path).exists() and not list(tmp_path.glob("*.pre-archive-*"))


def test_archive_after_days_is_read_from_the_config_and_checked(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("archive_after_days = 7\n")
    assert load_settings({}, config_path=config).archive_after_days == 7
    assert load_settings({}, config_path=tmp_path / "none.toml").archive_after_days == 30
    config.write_text("archive_after_days = -1\n")
    with pytest.raises(ConfigError, match="archive_after_days"):
        load_settings({}, config_path=config)


def test_a_damaged_month_file_at_start_is_named_and_its_jobs_stay_in_the_store(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    now = time.time()
    write_store(path, [in_flight_job(f"req_old{n}", now - 40 * DAY, JobStatus.SUCCEEDED) for n in range(3)])
    damaged = tmp_path / f"jobs-archive-{month_of(now - 40 * DAY)}.json"
    damaged.write_bytes(b"{broken")
    with JobStore.open(path) as store:
        said = archive_old_jobs(store, 30)
        assert len(store.all()) == 3
    assert len(said) == 1 and str(damaged) in said[0] and "stay in the store" in said[0]
    assert damaged.read_bytes() == b"{broken"
