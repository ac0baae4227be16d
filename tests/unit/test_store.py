"""The job store on real files: durability, corruption handling, merging, threads."""

from __future__ import annotations

import dataclasses
import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from seedance_tui.models import GenerationRequest, Job, JobStatus, StatusChange
from seedance_tui.store import JobStore, StoreCorruptError, StoreError
from seedance_tui.store import atomic as atomic_module
from seedance_tui.store import storage as storage_module
from seedance_tui.store.merge import merge_docs
from seedance_tui.store.storage import BufferedOrjsonStorage


def make_job(n: int = 0, **changes: Any) -> Job:
    """A plain queued job; ``changes`` override fields."""
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"a fox in the snow, take {n}"))
    job.created_at = job.updated_at = 1_700_000_000.0 + n
    return dataclasses.replace(job, **changes)


def full_job() -> Job:
    """A job with every field set to something other than its default."""
    request = GenerationRequest(
        model="seedance-1.5-pro",
        prompt='ünïcode prompt \N{SNOWFLAKE} with "quotes"\nand a newline',
        aspect_ratio="9:16",
        duration=10,
        resolution="1080p",
        webhook_url="https://example.com/hook",
        metadata={"projectId": "p1", "nested": {"a": [1, 2.5, None, True]}},
        media_urls=["https://example.com/a.png"],
    )
    return Job(
        local_id="abc123def456",
        request=request,
        status=JobStatus.FAILED,
        request_id="req_42",
        credits_charged=40,
        output_url="https://example.com/out.mp4",
        error_code="provider_error",
        error_message="Video generation failed upstream",
        last_error="timeout talking to the API",
        created_at=1.5,
        submitted_at=2.5,
        started_at=3.5,
        finished_at=4.5,
        updated_at=5.5,
        last_checked_at=6.5,
        poll_count=7,
        history=[StatusChange("submitting", 1.5), StatusChange("failed", 4.5)],
        remote_extra={"progress": 100, "seed": [1, 2]},
    )


def disk_docs(path: Path) -> dict[str, Any]:
    """The jobs table as the next process to open the store reads it from disk (file plus journal)."""
    storage = BufferedOrjsonStorage(path)
    try:
        return dict(storage.read()["jobs"])
    finally:
        storage.close()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "jobs.json"


def test_open_creates_private_empty_store(path: Path) -> None:
    with JobStore.open(path) as store:
        assert len(store) == 0
        assert store.all() == []
        assert store.skipped_documents == 0
    assert orjson.loads(path.read_bytes()) == {"jobs": {}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_every_field_round_trips(path: Path) -> None:
    job = full_job()
    with JobStore.open(path) as store:
        store.add(job)
    with JobStore.open(path) as store:
        loaded = store.get(job.local_id)
    assert loaded == job
    assert loaded is not job


def test_add_is_on_disk_before_it_returns(path: Path) -> None:
    store = JobStore.open(path)
    job = make_job()
    store.add(job)
    assert list(disk_docs(path).values()) == [job.to_dict()]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ValueError, match="already"):
        store.add(job)
    store.close()


def test_updates_reach_disk_only_on_flush(path: Path) -> None:
    store = JobStore.open(path)
    jobs = [make_job(i) for i in range(5)]
    for job in jobs:
        store.add(job)
    live = store.get(jobs[0].local_id)
    assert live is jobs[0]
    live.set_status(JobStatus.QUEUED)
    store.update(live)
    jobs[1].poll_count = 3
    store.update(jobs[1])
    journal = path.with_name("jobs.json.journal")
    before = path.stat(), journal.stat()
    assert {d["status"] for d in disk_docs(path).values()} == {JobStatus.SUBMITTING}
    assert store.flush() == 2
    docs = {d["local_id"]: d for d in disk_docs(path).values()}
    assert docs[jobs[0].local_id]["status"] == JobStatus.QUEUED
    assert docs[jobs[1].local_id]["poll_count"] == 3
    # The flush appended to the journal; the store file itself was not rewritten.
    assert path.stat() == before[0] and journal.stat().st_size > before[1].st_size
    after = path.stat(), journal.stat()
    assert store.flush() == 0
    assert (path.stat(), journal.stat()) == after  # nothing dirty: no write at all
    store.close()
    assert not journal.exists()  # closing folded it into the file
    assert {d["local_id"]: d for d in orjson.loads(path.read_bytes())["jobs"].values()} == docs


def test_update_of_unknown_job_adds_it_on_flush(path: Path) -> None:
    with JobStore.open(path) as store:
        store.update(make_job())
    with JobStore.open(path) as store:
        assert len(store) == 1


def test_all_is_newest_first_and_find_resolves_refs(path: Path) -> None:
    a = make_job(1, local_id="aaaa11112222", request_id="req_alpha")
    b = make_job(3, local_id="aaab11112222", request_id="req_beta")
    c = make_job(2, local_id="cccc11112222")
    with JobStore.open(path) as store:
        for job in (a, b, c):
            store.add(job)
        assert [j.local_id for j in store.all()] == [b.local_id, c.local_id, a.local_id]
        assert store.find("aaaa11112222") is a
        assert store.find("req_beta") is b
        assert store.find("cc") is c
        assert store.find("req_al") is a
        assert store.find("aaa") is None  # ambiguous
        assert store.find("req_") is None  # ambiguous
        assert store.find("zzz") is None
        assert store.find("  ") is None


def test_failed_append_keeps_the_change_for_the_next_flush(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JobStore.open(path)
    job = make_job()
    store.add(job)
    good = disk_docs(path)

    def full_disk(fd: int, data: bytes, offset: int) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage_module.os, "pwrite", full_disk)
    job.set_status(JobStatus.QUEUED)
    store.update(job)
    with pytest.raises(StoreError, match="No space left"):
        store.flush()
    monkeypatch.undo()
    assert disk_docs(path) == good
    assert store.flush() == 1  # the change was kept and is retried
    store.close()
    with JobStore.open(path) as reopened:
        assert reopened.get(job.local_id).status == JobStatus.QUEUED  # type: ignore[union-attr]


def test_failed_rewrite_leaves_old_file_and_journal_intact(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JobStore.open(path)
    job = make_job()
    store.add(job)
    job.set_status(JobStatus.QUEUED)
    store.update(job)
    store.flush()
    good = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        assert Path(src).read_bytes()  # the temp file was fully written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_module.os, "replace", crash)
    store.close()  # the rewrite on close fails quietly: the journal still holds every change
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "jobs.json",
        "jobs.json.journal",
        "jobs.json.lock",
    ]
    with JobStore.open(path) as reopened:
        assert reopened.get(job.local_id).status == JobStatus.QUEUED  # type: ignore[union-attr]


def test_stale_temp_files_are_removed_on_open(path: Path) -> None:
    JobStore.open(path).close()
    leftover = path.parent / ".jobs.json.x1y2z3.tmp"
    leftover.write_bytes(b'{"jobs": {"1": {"local_id": "half')
    JobStore.open(path).close()
    assert not leftover.exists()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"jobs": {"1": {"local_id": "abc", "sta', "not valid JSON"),
        (b"\x00\x01garbage\xff", "not valid JSON"),
        (b"   \n", "not valid JSON"),
        (b"[1, 2, 3]", "found list"),
        (b'{"jobs": [1]}', "table 'jobs' should be an object"),
        (b'{"jobs": {"one": {}}}', "non-numeric document id 'one'"),
    ],
)
def test_corrupt_file_is_reported_and_untouched(path: Path, content: bytes, problem: str) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    before = path.stat()
    with pytest.raises(StoreCorruptError) as caught:
        JobStore.open(path)
    assert caught.value.path == path
    message = str(caught.value)
    assert str(path) in message and problem in message and "has not been changed" in message
    assert path.read_bytes() == content
    assert path.stat().st_mtime_ns == before.st_mtime_ns


def test_empty_file_opens_as_empty_store(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.touch()
    with JobStore.open(path) as store:
        assert len(store) == 0
        store.add(make_job())
    assert len(disk_docs(path)) == 1


def test_quarantine_keeps_bad_files_and_never_clobbers(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage one")
    first = JobStore.quarantine(path)
    path.write_bytes(b"garbage two")
    second = JobStore.quarantine(path)
    assert first != second
    assert first.read_bytes() == b"garbage one" and second.read_bytes() == b"garbage two"
    assert first.name.startswith("jobs.json.corrupt-20") and first.parent == path.parent
    assert not path.exists()
    with JobStore.open(path) as store:
        assert len(store) == 0
    with pytest.raises(StoreError, match="does not exist"):
        JobStore.quarantine(path.parent / "missing.json")


def test_unreadable_file_is_a_clear_error(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    JobStore.open(path).close()
    real_open = os.open

    def deny(target: Any, *args: Any, **kwargs: Any) -> int:
        if Path(target) == path:  # as chmod 000 would, also for root
            raise PermissionError(13, "Permission denied")
        return real_open(target, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(StoreError, match="permission denied") as caught:
        JobStore.open(path)
    assert not isinstance(caught.value, StoreCorruptError)
    assert "chmod 600" in str(caught.value)


def test_directory_in_place_of_the_file_is_a_clear_error(path: Path) -> None:
    path.mkdir(parents=True)
    with pytest.raises(StoreError, match="Cannot read the job store"):
        JobStore.open(path)


def test_unparseable_documents_are_kept_and_counted(path: Path) -> None:
    good = make_job(1)
    bad = {
        "2": "not a document",
        "3": {"no_local_id": True},
        "4": {"local_id": "x1", "request": [1], "status": "queued"},
        "5": {"local_id": "x2", "request": {}, "unexpected": True, "status": "queued", "history": [7]},
    }
    path.parent.mkdir(parents=True)
    path.write_bytes(orjson.dumps({"jobs": {"1": good.to_dict(), **bad}, "other_table": {"1": {"k": 1}}}))
    with JobStore.open(path) as store:
        assert store.skipped_documents == 4
        assert [j.local_id for j in store.all()] == [good.local_id]
        job = store.get(good.local_id)
        assert job is not None
        job.set_status(JobStatus.QUEUED)
        store.update(job)
        store.add(make_job(2))
    data = orjson.loads(path.read_bytes())
    assert {k: data["jobs"][k] for k in bad} == bad
    assert data["other_table"] == {"1": {"k": 1}}
    assert data["jobs"]["1"]["status"] == JobStatus.QUEUED
    assert len(data["jobs"]) == 6  # the new job got a fresh id, nothing overwritten


def test_merge_rules() -> None:
    old = {"status": "processing", "updated_at": 10.0, "poll_count": 5}
    newer = {"status": "processing", "updated_at": 20.0, "poll_count": 3}
    final_old = {"status": "succeeded", "updated_at": 5.0, "poll_count": 1}
    assert merge_docs(old, newer) == {**newer, "poll_count": 5}
    assert merge_docs(newer, old) == {**newer, "poll_count": 5}
    assert merge_docs(newer, final_old)["status"] == "succeeded"
    assert merge_docs(final_old, newer)["status"] == "succeeded"
    tie = {"status": "queued", "updated_at": 10.0, "poll_count": 5}
    assert merge_docs(tie, old) is tie  # ours on a tie, nothing combined
    assert merge_docs({"status": 3, "updated_at": "x"}, old) is old  # junk fields lose


def test_two_stores_on_one_file_merge(path: Path) -> None:
    a = JobStore.open(path)
    b = JobStore.open(path)
    job = make_job(0, request_id="req_1", status=JobStatus.PROCESSING)
    a.add(job)
    assert b.refresh()[0].local_id == job.local_id
    assert b.refresh() == []  # reported once

    a_copy, b_copy = a.get(job.local_id), b.get(job.local_id)
    assert a_copy is not None and b_copy is not None
    a_copy.set_status(JobStatus.SUCCEEDED, at=100.0)
    a_copy.output_url = "https://example.com/out.mp4"
    a.update(a_copy)
    a.flush()
    # B still has the processing copy; it polls it again later (newer updated_at) and writes.
    b_copy.poll_count = 9
    b_copy.touch(at=200.0)
    b.update(b_copy)
    assert b.flush() == 1

    stored = next(iter(disk_docs(path).values()))
    assert stored["status"] == JobStatus.SUCCEEDED
    assert stored["output_url"] == "https://example.com/out.mp4"
    assert stored["poll_count"] == 9
    merged = b.get(job.local_id)
    assert merged is not None and merged.status == JobStatus.SUCCEEDED and merged.poll_count == 9
    # B's stale object must not revert the final status either, even through update().
    b_copy.poll_count = 10
    b.update(b_copy)
    assert b.get(job.local_id).status == JobStatus.SUCCEEDED  # type: ignore[union-attr]
    b.flush()
    assert next(iter(disk_docs(path).values()))["status"] == JobStatus.SUCCEEDED
    a_changed = a.refresh()
    assert [j.poll_count for j in a_changed] == [10]
    a.close()
    b.close()


def test_jobs_added_elsewhere_appear_and_are_not_overwritten(path: Path) -> None:
    a = JobStore.open(path)
    b = JobStore.open(path)
    a.add(make_job(1))
    b.add(make_job(2))  # b reloads under the lock before writing: a's job survives
    a_job = a.all()[0]
    a_job.poll_count = 1
    a.update(a_job)
    a.flush()
    assert {len(s) for s in (a, b)} == {2}
    assert len(disk_docs(path)) == 2
    assert len(b.refresh()) == 1
    a.close()
    b.close()


def test_refresh_is_cheap_when_nothing_changed(path: Path) -> None:
    with JobStore.open(path) as store:
        for i in range(200):
            store.update(make_job(i))
        store.flush()
        start = time.perf_counter()
        for _ in range(1000):
            assert store.refresh() == []
        assert time.perf_counter() - start < 1.0


def test_deleted_file_is_rewritten_with_every_job(path: Path) -> None:
    store = JobStore.open(path)
    jobs = [make_job(i) for i in range(3)]
    for job in jobs:
        store.add(job)
    path.unlink()
    jobs[0].poll_count = 4
    store.update(jobs[0])
    assert store.flush() == 3
    assert sorted(d["local_id"] for d in disk_docs(path).values()) == sorted(j.local_id for j in jobs)
    store.close()


def test_change_during_flush_stays_dirty(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = JobStore.open(path)
    job = make_job()
    store.add(job)
    job.poll_count = 1
    store.update(job)
    real_append = BufferedOrjsonStorage._append

    def append_while_ui_changes(storage: BufferedOrjsonStorage, line: bytes, base: Any) -> None:
        job.poll_count = 2  # the UI thread, mid-flush
        store.update(job)
        real_append(storage, line, base)

    monkeypatch.setattr(BufferedOrjsonStorage, "_append", append_while_ui_changes)
    assert store.flush() == 1
    monkeypatch.undo()
    assert next(iter(disk_docs(path).values()))["poll_count"] == 1
    assert store.flush() == 1
    assert next(iter(disk_docs(path).values()))["poll_count"] == 2
    store.close()


def test_flush_from_a_thread_while_updating(path: Path) -> None:
    store = JobStore.open(path)
    jobs = [make_job(i) for i in range(50)]
    for job in jobs:
        store.update(job)
    store.flush()
    stop = threading.Event()
    errors: list[BaseException] = []

    def flusher() -> None:
        try:
            while not stop.is_set():
                store.flush()
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=flusher)
    worker.start()
    deadline = time.monotonic() + 5
    for round_ in range(1, 101):
        for job in jobs:
            job.poll_count = round_
            store.update(job)
        if time.monotonic() > deadline:
            break
    stop.set()
    worker.join(timeout=10)
    assert not worker.is_alive() and not errors
    store.close()
    expected = jobs[0].poll_count
    assert {d["poll_count"] for d in disk_docs(path).values()} == {expected}


def test_no_secret_fields_are_stored(path: Path) -> None:
    with JobStore.open(path) as store:
        store.add(full_job())
    doc = next(iter(disk_docs(path).values()))
    names = {*doc, *doc["request"]}
    assert set(doc) == {f.name for f in dataclasses.fields(Job)}
    # batch_key names a batch line's attempt (ENTRY#N, see service/batch.py), not a credential.
    names.discard("batch_key")
    assert not [name for name in names if any(word in name.lower() for word in ("key", "token", "auth"))]


def test_commits_reencode_only_changed_documents_but_write_exactly_the_data(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    storage = BufferedOrjsonStorage(path)
    storage.write({"jobs": {"1": {"a": 1}, "2": {"b": [1, 2]}}})
    storage.commit()
    written = path.read_bytes()
    assert orjson.loads(written) == {"jobs": {"1": {"a": 1}, "2": {"b": [1, 2]}}}
    storage.put_documents("jobs", {"2": {"b": "changed"}, "3": {"c": None}})
    storage.commit()
    assert path.read_bytes() == written  # appended to the journal instead
    expected = {"jobs": {"1": {"a": 1}, "2": {"b": "changed"}, "3": {"c": None}}}
    assert storage.read() == BufferedOrjsonStorage(path).read() == expected
    storage.compact()
    assert orjson.loads(path.read_bytes()) == expected and not storage.journal_path.exists()
    del storage.read()["jobs"]["1"]  # as tinydb's own remove would
    storage.write(storage.read())
    storage.commit()
    assert orjson.loads(path.read_bytes()) == {"jobs": {"2": {"b": "changed"}, "3": {"c": None}}}
    storage.close()


def test_a_closed_store_is_a_plain_tinydb_database(path: Path) -> None:
    """What the store package's docstring promises: tinydb's own storage and queries read the file."""
    from tinydb import Query, TinyDB

    with JobStore.open(path) as store:
        jobs = [make_job(n) for n in range(3)]
        for job in jobs:
            store.add(job)
        jobs[1].set_status(JobStatus.SUCCEEDED)
        store.update(jobs[1])
    with TinyDB(path, access_mode="r") as db:
        found = db.table("jobs").search(Query().status == JobStatus.SUCCEEDED)
    assert [doc["local_id"] for doc in found] == [jobs[1].local_id]
