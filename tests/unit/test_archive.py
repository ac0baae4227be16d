"""The month archives: what moves, what stays, every job seen once, damage reported and never overwritten."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import orjson
import pytest

from seedance_tui.models import JobStatus
from seedance_tui.store import JobStore
from seedance_tui.store.archive import (
    Archive,
    archive_finished,
    archive_path,
    index_path,
    month_of,
)
from seedance_tui.store.history import every_document
from tests.support import in_flight_job, write_store

DAY = 86_400.0
NOW = 1_780_000_000.0  # 2026-05-28 UTC


def _history(path: Path) -> dict[str, str]:
    """A store of 60 old finished jobs over three months, 5 old unfinished and 5 recent finished."""
    jobs = []
    for n in range(60):
        job = in_flight_job(f"old-{n}", NOW - (40 + n) * DAY, JobStatus.SUCCEEDED)
        jobs.append(job)
    jobs += [in_flight_job(f"running-{n}", NOW - 90 * DAY) for n in range(5)]
    jobs += [in_flight_job(f"new-{n}", NOW - DAY, JobStatus.FAILED) for n in range(5)]
    write_store(path, jobs)
    return {job.local_id: job.status for job in jobs}


def _ids(path: Path) -> list[str]:
    with JobStore.open(path) as store:
        return [doc["local_id"] for doc in every_document(store.documents(), store.history())]


def test_old_finished_jobs_move_to_month_files_and_every_job_is_still_seen_once(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    statuses = _history(path)
    with JobStore.open(path) as store:
        result = archive_finished(store, older_than=30 * DAY, now=NOW)
        left = {job.local_id: job.status for job in store.all()}
    assert result.moved == 60 and result.skipped_months == []
    # Unfinished jobs never move, however old; recent finished ones stay too.
    assert sorted(left.values()).count(JobStatus.FAILED) == 5 and len(left) == 10
    months = Archive(path).months()
    assert months == sorted({month_of(NOW - (40 + n) * DAY) for n in range(60)}, reverse=True)
    assert all(archive_path(path, m).name.startswith("jobs-archive-") for m in months)
    ids = _ids(path)
    assert sorted(ids) == sorted(statuses) and len(ids) == len(set(ids))
    # Re-running moves nothing more and loses nothing.
    with JobStore.open(path) as store:
        assert archive_finished(store, older_than=30 * DAY, now=NOW).moved == 0
    assert sorted(_ids(path)) == sorted(statuses)


def test_a_job_in_both_files_is_seen_once_and_archiving_again_leaves_it_in_one(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    statuses = _history(path)
    with JobStore.open(path) as store:
        kept = store.documents()
        archive_finished(store, older_than=30 * DAY, now=NOW)
        store.put_documents(kept)  # as a crash before the removal leaves it: every job in both
    ids = _ids(path)
    assert sorted(ids) == sorted(statuses) and len(ids) == len(set(ids))
    with JobStore.open(path) as store:
        archive_finished(store, older_than=30 * DAY, now=NOW)
        in_store = {job.local_id for job in store.all()}
    archived = [
        d["local_id"] for m in Archive(path).months() for d in (Archive(path).documents(m) or {}).values()
    ]
    assert not in_store & set(archived) and sorted(in_store | set(archived)) == sorted(statuses)
    assert len(archived) == len(set(archived))


def test_a_damaged_archive_is_reported_never_overwritten_and_the_rest_still_seen(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    statuses = _history(path)
    damaged_month = month_of(NOW - 45 * DAY)
    damaged = archive_path(path, damaged_month)
    damaged.write_bytes(b'{"jobs": {"1": {"local_id": ')
    with JobStore.open(path) as store:
        result = archive_finished(store, older_than=30 * DAY, now=NOW)
    assert result.skipped_months == [damaged_month]
    assert damaged.read_bytes() == b'{"jobs": {"1": {"local_id": '
    with JobStore.open(path) as store:
        history = store.history()
        ids = [doc["local_id"] for doc in every_document(store.documents(), history)]
    # That month's jobs stayed in the store; nothing is lost, and the damage is said.
    assert sorted(ids) == sorted(statuses)
    assert [n.jobs_may_be_missing for n in history.notices] == [True]
    assert str(damaged) in history.notices[0].message and "never overwritten" in history.notices[0].message


def test_a_missing_archive_file_is_reported_and_the_rest_still_seen(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    statuses = _history(path)
    with JobStore.open(path) as store:
        archive_finished(store, older_than=30 * DAY, now=NOW)
    gone_month = Archive(path).months()[0]
    gone = archive_path(path, gone_month)
    lost = set(Archive(path).documents(gone_month) or {})
    gone.unlink()
    with JobStore.open(path) as store:
        history = store.history()
        ids = {doc["local_id"] for doc in every_document(store.documents(), history)}
    assert ids == set(statuses) - lost
    assert len(history.notices) == 1 and "missing" in history.notices[0].message
    assert history.notices[0].jobs_may_be_missing and index_path(path).exists()


class _Crash(BaseException):
    """Stands for the process dying at that point (nothing after it runs)."""


def _dying_on_write(number: int, write: Callable[[Path, bytes], None]) -> Callable[[Path, bytes], None]:
    """``write`` that dies on its ``number``-th call (counting from 0) instead of writing."""
    calls = iter(range(number + 1))

    def replace(target: Path, data: bytes) -> None:
        if next(calls, None) == number:
            raise _Crash
        write(target, data)

    return replace


def _dying_remove(self: JobStore, local_ids: Iterable[str]) -> int:
    raise _Crash


def test_a_crash_after_any_file_write_leaves_every_job_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import seedance_tui.store.archive as archive_module

    # Three months, two files each (month + index), then the removal from the store: 7 crash points.
    for crash_at in range(7):
        path = tmp_path / f"run{crash_at}" / "jobs.json"
        path.parent.mkdir()
        statuses = _history(path)
        monkeypatch.setattr(archive_module, "_replace", _dying_on_write(crash_at, archive_module._replace))
        monkeypatch.setattr(JobStore, "remove", _dying_remove)
        store = JobStore.open(path)
        with pytest.raises(_Crash):
            archive_finished(store, older_than=30 * DAY, now=NOW)
        store._db.close()  # the dead process saves nothing more
        monkeypatch.undo()
        ids = _ids(path)
        assert sorted(ids) == sorted(statuses) and len(ids) == len(set(ids)), crash_at


def test_removing_jobs_folds_the_journal_first_and_leaves_no_notice(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    statuses = _history(path)
    with JobStore.open(path) as store:
        job = store.all()[0]
        job.touch(NOW)
        store.update(job)
        store.flush()  # a journal append
        assert store.journal_bytes > 0
        gone = [j.local_id for j in store.all()[1:4]]
        assert store.remove([*gone, "not-here"]) == 3
        assert store.journal_bytes == 0 and store.get(gone[0]) is None
    with JobStore.open(path) as reopened:
        assert {j.local_id for j in reopened.all()} == set(statuses) - set(gone)
        assert reopened.notices == [] and reopened.get(job.local_id) is not None


def test_a_damaged_index_is_never_overwritten_and_nothing_moves(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    statuses = _history(path)
    index_path(path).write_bytes(b"{broken")
    with JobStore.open(path) as store:
        result = archive_finished(store, older_than=30 * DAY, now=NOW)
        assert result.moved == 0 and len(result.skipped_months) == 3 and len(store.all()) == len(statuses)
    assert index_path(path).read_bytes() == b"{broken"
    archive = Archive(path)
    archive.months()
    assert archive.notices and "cannot be read" in archive.notices[0].message


def test_a_store_open_elsewhere_during_archiving_does_not_write_the_moved_jobs_back(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    statuses = _history(path)
    with JobStore.open(path) as other, JobStore.open(path) as archiver:
        assert len(other.all()) == len(statuses)
        archive_finished(archiver, older_than=30 * DAY, now=NOW)
        other.refresh()
        other.flush()
        assert len(other.all()) == 10  # what the archiver left, nothing written back
        assert not other.has_unsaved
    with JobStore.open(path) as reopened:
        assert len(reopened.all()) == 10
    ids = _ids(path)
    assert sorted(ids) == sorted(statuses) and len(ids) == len(set(ids))


def test_the_summary_totals_come_from_the_index_or_from_the_files_of_an_older_index(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    _history(path)
    with JobStore.open(path) as store:
        archive_finished(store, older_than=30 * DAY, now=NOW)
    index = orjson.loads(index_path(path).read_bytes())
    assert set(index["totals"]) == set(index["months"])  # written with each month
    with JobStore.open(path) as store:
        from_index = store.history().totals()
    assert from_index.jobs == 60 and from_index.by_status == {"succeeded": 60}
    assert from_index.models["seedance-2.0"].credits == 60 * 40
    # An index written before the totals were: each month's file is read and counted instead.
    index_path(path).write_bytes(orjson.dumps({"months": index["months"]}))
    with JobStore.open(path) as store:
        from_files = store.history().totals()
    assert (from_files.jobs, from_files.by_status, from_files.models) == (
        from_index.jobs,
        from_index.by_status,
        from_index.models,
    )
