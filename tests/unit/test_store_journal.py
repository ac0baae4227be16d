"""The store's journal on real files: appends, torn and damaged tails, stale journals, folding it in."""

from __future__ import annotations

import errno
import stat
from pathlib import Path

import orjson
import pytest

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.store import JobStore, StoreCorruptError, StoreError
from seedance_tui.store import journal_file as journal_file_module
from seedance_tui.store import storage as storage_module


def make_job(n: int) -> Job:
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"a heron at dawn, take {n}"))
    job.local_id = f"job-{n:04d}"
    return job


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "jobs.json"


def journal_of(path: Path) -> Path:
    return path.with_name("jobs.json.journal")


def polls(path: Path) -> dict[str, int]:
    with JobStore.open(path) as store:
        return {job.local_id: job.poll_count for job in store.all()}


def store_with_commits(path: Path, jobs: int, commits: int) -> JobStore:
    """An open store of ``jobs`` jobs (in the file), then ``commits`` flushes that each bump every poll count."""
    with JobStore.open(path) as store:
        for n in range(jobs):
            store.add(make_job(n))
    store = JobStore.open(path)
    for round_ in range(1, commits + 1):
        for job in store.all():
            job.poll_count = round_
            store.update(job)
        store.flush()
    return store


def test_each_flush_is_one_private_journal_line_and_the_file_stays(path: Path) -> None:
    store = store_with_commits(path, 3, 0)
    main = path.read_bytes()
    assert not journal_of(path).exists()
    for round_ in (1, 2):
        for job in store.all():
            job.poll_count = round_
            store.update(job)
        store.flush()
    assert path.read_bytes() == main
    assert journal_of(path).read_bytes().count(b"\n") == 3  # its header, then one line per flush
    assert stat.S_IMODE(journal_of(path).stat().st_mode) == 0o600
    assert set(polls(path).values()) == {2}  # a reader replays it
    store.close()
    assert not journal_of(path).exists() and set(polls(path).values()) == {2}


@pytest.mark.parametrize("damage", ["cut mid-line", "garbage line", "bad checksum"])
def test_a_torn_last_commit_is_ignored_and_cut_off_by_the_next_writer(path: Path, damage: str) -> None:
    store_with_commits(path, 5, 2)._db.close()  # as if killed: no close, the journal stays
    journal = journal_of(path)
    raw = journal.read_bytes()
    last_start = raw.rstrip(b"\n").rfind(b"\n") + 1
    if damage == "cut mid-line":
        journal.write_bytes(raw[: last_start + 40])
    elif damage == "garbage line":
        journal.write_bytes(raw + b"\x00" * 30 + b"\n")
    else:
        journal.write_bytes(raw[:last_start] + b"00000000" + raw[last_start + 8 :])
    survivor = 2 if damage == "garbage line" else 1
    with JobStore.open(path) as store:
        assert {j.poll_count for j in store.all()} == {survivor}
        job = store.all()[0]
        job.poll_count = 50
        store.update(job)
        store.flush()
        assert journal.read_bytes().count(b"\x00") == 0  # the torn bytes were cut off
    assert sorted(polls(path).values()) == [survivor] * 4 + [50]


def test_damage_before_an_intact_commit_is_reported_and_can_be_kept_aside(path: Path) -> None:
    store_with_commits(path, 4, 3)._db.close()
    journal = journal_of(path)
    raw = bytearray(journal.read_bytes())
    second_line = raw.index(b"\n", raw.index(b"\n") + 1) + 1  # header, first commit, then this one
    raw[second_line + 20] ^= 0x01
    journal.write_bytes(bytes(raw))
    with pytest.raises(StoreCorruptError) as info:
        JobStore.open(path)
    assert info.value.path == journal and info.value.store == path
    assert journal.read_bytes() == bytes(raw)  # untouched
    moved = JobStore.quarantine(info.value.store, info.value.path)
    assert moved.name.startswith("jobs.json.journal.corrupt-") and moved.read_bytes() == bytes(raw)
    assert set(polls(path).values()) == {0}  # the file itself still opens, with what it held


def test_a_journal_left_from_before_a_rewrite_is_never_replayed(path: Path) -> None:
    store = store_with_commits(path, 3, 1)
    old_journal = journal_of(path).read_bytes()
    for job in store.all():
        job.poll_count = 7
        store.update(job)
    store.flush()
    store.close()  # rewrites the file with 7s and deletes the journal of 1s and 7s
    journal_of(path).write_bytes(old_journal)  # as a crash between the rename and the delete leaves it
    assert set(polls(path).values()) == {7}
    with JobStore.open(path) as again:
        job = again.all()[0]
        job.poll_count = 8
        again.update(job)
        again.flush()
    kept = list(path.parent.glob("jobs.json.journal.stale-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == old_journal  # moved aside, never deleted
    assert sorted(polls(path).values()) == [7, 7, 8]


def test_the_journal_is_folded_in_once_it_outgrows_the_file(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_module, "MIN_JOURNAL_LIMIT", 0)
    store = store_with_commits(path, 20, 0)
    size = path.stat().st_size
    rewrites = 0
    for round_ in range(1, 9):
        for job in store.all()[:5]:  # a quarter of the file per commit
            job.poll_count = round_
            store.update(job)
        inode = path.stat().st_ino
        store.flush()
        rewrites += path.stat().st_ino != inode
        journal_size = journal_of(path).stat().st_size if journal_of(path).exists() else 0
        assert journal_size <= storage_module.JOURNAL_GROWTH * path.stat().st_size
    assert 1 <= rewrites <= 3, f"{rewrites} rewrites for 8 commits of a file of {size} bytes"
    assert sorted(polls(path).values()) == [0] * 15 + [8] * 5
    store.close()


def test_refresh_after_another_process_appends_returns_just_those_jobs(path: Path) -> None:
    ours = store_with_commits(path, 50, 1)
    theirs = JobStore.open(path)
    changed = theirs.all()[:3]
    for job in changed:
        job.set_status(JobStatus.QUEUED)
        theirs.update(job)
    theirs.add(make_job(99))
    theirs.flush()
    main_inode = path.stat().st_ino
    refreshed = ours.refresh()
    assert sorted(j.local_id for j in refreshed) == sorted([*(j.local_id for j in changed), "job-0099"])
    assert all(ours.get(j.local_id).status == JobStatus.QUEUED for j in changed)  # type: ignore[union-attr]
    assert path.stat().st_ino == main_inode  # read from the journal, no rewrite
    mine = ours.get("job-0010")
    assert mine is not None
    mine.poll_count = 42
    ours.update(mine)
    ours.add(make_job(100))  # must not take the id their new job got
    theirs.close()  # folds the journal in: the next refresh is a full reload
    ours.flush()
    assert ours.refresh() == []
    ours.close()
    with JobStore.open(path) as store:
        assert len(store) == 52 and store.skipped_documents == 0
        assert store.get("job-0010").poll_count == 42  # type: ignore[union-attr]
        assert store.get("job-0099") is not None and store.get("job-0100") is not None


def test_a_journal_without_its_file_is_kept_aside_not_applied(path: Path) -> None:
    store_with_commits(path, 3, 2)._db.close()
    journal = journal_of(path)
    raw = journal.read_bytes()
    path.unlink()
    with JobStore.open(path) as store:
        assert len(store) == 0
    assert [p.read_bytes() for p in path.parent.glob("jobs.json.journal.stale-*")] == [raw]
    assert orjson.loads(path.read_bytes()) == {"jobs": {}}


# -- found in review: failures and races that must not lose another process's work -------------------


def test_a_failed_save_never_lets_another_process_job_be_overwritten(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with JobStore.open(path) as store:
        store.add(make_job(1))
    ours, theirs = JobStore.open(path), JobStore.open(path)  # say, the dashboard and a CLI submit

    def full_disk(fd: int, data: bytes, offset: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage_module.os, "pwrite", full_disk)
    with pytest.raises(StoreError):
        ours.add(make_job(2))  # its document id was taken for a save that failed
    monkeypatch.undo()
    theirs.add(make_job(3))  # the other process may hand out the same id now
    theirs._db.close()  # killed: its job is only in the journal
    assert ours.flush() == 1
    ours.close()
    assert sorted(polls(path)) == ["job-0001", "job-0002", "job-0003"]


def test_a_failed_journal_read_never_cuts_off_commits_it_did_not_read(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_with_commits(path, 1, 1)._db.close()
    ours, theirs = JobStore.open(path), JobStore.open(path)
    theirs.add(make_job(9))
    theirs._db.close()
    real_read = journal_file_module.read_range

    def fails_once(fd: int, offset: int, end: int | None = None) -> bytes:
        monkeypatch.setattr(journal_file_module, "read_range", real_read)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(journal_file_module, "read_range", fails_once)
    job = ours.all()[0]
    job.poll_count = 5
    ours.update(job)
    with pytest.raises(StoreError, match="Input/output error"):
        ours.flush()
    assert ours.flush() == 1  # this time it reads their commit first
    ours.close()
    assert polls(path) == {"job-0000": 5, "job-0009": 0}


def test_damage_in_the_journal_stops_saving_until_dealt_with(path: Path) -> None:
    ours = store_with_commits(path, 2, 0)
    theirs = JobStore.open(path)
    for n in range(3):
        job = theirs.all()[0]
        job.poll_count = n + 1
        theirs.update(job)
        theirs.flush()
    theirs._db.close()
    journal = journal_of(path)
    raw = bytearray(journal.read_bytes())
    raw[raw.index(b"\n") + 12] ^= 0x01  # their first commit, with two intact ones after it
    journal.write_bytes(bytes(raw))
    job = ours.all()[1]
    job.poll_count = 9
    ours.update(job)
    for _ in range(2):
        with pytest.raises(StoreCorruptError):
            ours.flush()
    assert journal.read_bytes() == bytes(raw)  # nothing cut off, nothing appended


def test_two_broken_lines_at_the_end_are_damage_not_a_torn_append(path: Path) -> None:
    store_with_commits(path, 2, 3)._db.close()
    journal = journal_of(path)
    lines = journal.read_bytes().split(b"\n")
    lines[-3] = b"00000000 " + lines[-3][9:]  # the last two commits fail their checksums
    lines[-2] = b"00000000 " + lines[-2][9:]
    journal.write_bytes(b"\n".join(lines))
    with pytest.raises(StoreCorruptError):
        JobStore.open(path)


def test_a_document_turned_unreadable_elsewhere_is_kept_untouched(path: Path) -> None:
    store_with_commits(path, 1, 1)._db.close()
    ours, theirs = JobStore.open(path), JobStore.open(path)
    key = str(theirs._doc_ids["job-0000"])
    newer = {**theirs._raw_table()[key], "status": {"phase": "done"}, "new_field": "x"}  # a future format
    with theirs._file_lock:
        theirs._storage.put_documents("jobs", {key: newer})
        theirs._storage.commit()
    theirs._db.close()
    ours.refresh()
    job = ours.get("job-0000")
    assert job is not None and ours.skipped_documents == 1
    job.poll_count = 7
    ours.update(job)
    ours.flush()
    ours.close()
    assert orjson.loads(path.read_bytes())["jobs"][key] == newer


def test_close_saves_jobs_the_file_lost_meanwhile(path: Path) -> None:
    with JobStore.open(path) as store:
        store.add(make_job(1))
    backup = path.read_bytes()
    ours = JobStore.open(path)
    ours.add(make_job(2))
    with JobStore.open(path) as other:  # folds the journal in on close
        job = other.all()[0]
        job.poll_count = 3
        other.update(job)
    path.write_bytes(backup)  # an old copy comes back (a restore, a sync tool)
    ours.close()
    assert sorted(polls(path)) == ["job-0001", "job-0002"]


def test_a_store_that_cannot_be_looked_at_is_a_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    store = JobStore.open(folder / "jobs.json")
    folder.rename(tmp_path / "moved")
    folder.write_text("not a folder any more")
    with pytest.raises(StoreError):
        store.refresh()
