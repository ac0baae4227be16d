"""The store's contract, run against BOTH backends (tinydb file, PostgreSQL) so they cannot drift.

Two ``Store`` objects opened on one location stand for two processes sharing it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from seedance_tui.models import GenerationRequest, Job, JobStatus, StatusChange
from seedance_tui.store import BatchKeyTaken, JobStore
from seedance_tui.store.archive import archive_finished
from seedance_tui.store.backend import Store
from seedance_tui.store.history import every_document
from seedance_tui.store.opening import open_store_url

KEY = "sd2_contract_key_0123456789"


class Opener(Protocol):
    def __call__(self, recent_days: float = 0.0) -> Store: ...


@pytest.fixture(params=["tinydb", "postgresql"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens stores on one location of the backend under test; all are closed at the end."""
    if request.param == "tinydb":
        url = f"tinydb://{tmp_path / 'jobs.json'}"
    else:
        url = request.getfixturevalue("pg_url")
    opened: list[Store] = []

    def opener(recent_days: float = 0.0) -> Store:
        """A store on the location; ``recent_days`` > 0 leaves older finished jobs to its history."""
        store = open_store_url(url, api_key=KEY, notice=lambda message: None, recent_days=recent_days)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


def make_job(n: int = 0, **changes: Any) -> Job:
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt=f"a fox in the snow, take {n}"))
    job.created_at = job.updated_at = 1_700_000_000.0 + n
    return dataclasses.replace(job, **changes)


def full_job() -> Job:
    """Every field set to something other than its default, with text a database might mangle."""
    request = GenerationRequest(
        model="seedance-1.5-pro",
        prompt='ünïcode \N{SNOWFLAKE} "quotes"\nnewline, a NUL \x00 and [bold]markup[/]',
        aspect_ratio="9:16",
        duration=10,
        resolution="1080p",
        webhook_url="https://example.com/hook",
        metadata={"projectId": "p1", "nested": {"a": [1, 2.5, None, True]}, "big": 2**63 - 1},
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
        updated_at=1_700_000_000.123456,
        last_checked_at=6.5,
        poll_count=7,
        history=[StatusChange("submitting", 1.5), StatusChange("failed", 4.5)],
        remote_extra={"seed": 12345, "note": "x"},
        batch_entry="0a1b2c3d4e5f-1",
        batch_key="0a1b2c3d4e5f-1#2",
        rerun_of="fedcba987654",
    )


def wait_for_refresh(store: Store, predicate: Callable[[list[Job]], bool], timeout: float = 5.0) -> list[Job]:
    """Call ``refresh`` until what it returned so far satisfies ``predicate``."""
    seen: list[Job] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += store.refresh()
        if predicate(seen):
            return seen
        time.sleep(0.01)
    raise AssertionError(f"refresh returned only {[j.local_id for j in seen]}")


def test_an_added_job_is_durable_before_add_returns(open_store: Opener) -> None:
    first = open_store()
    job = make_job()
    first.add(job)
    assert not first.has_unsaved
    other = open_store()
    assert other.get(job.local_id) == job


def test_every_field_survives_a_round_trip(open_store: Opener) -> None:
    job = full_job()
    open_store().add(job)
    again = open_store().get(job.local_id)
    assert again == job


def test_all_is_newest_first_and_find_resolves_ids_and_unique_prefixes(open_store: Opener) -> None:
    store = open_store()
    jobs = [
        make_job(n, local_id=f"{'ab' if n < 2 else 'cd'}{n:010d}", request_id=f"req_{n}") for n in range(3)
    ]
    for job in jobs:
        store.add(job)
    assert [j.local_id for j in store.all()] == [j.local_id for j in reversed(jobs)]
    assert len(store) == 3
    assert store.find("req_1") is jobs[1]
    assert store.find(jobs[2].local_id) is jobs[2]
    assert store.find("cd") is jobs[2]
    assert store.find("ab") is None  # ambiguous
    assert store.find("  ") is None
    with pytest.raises(ValueError):
        store.add(jobs[0])


def test_updates_are_written_by_flush_and_seen_by_others(open_store: Opener) -> None:
    first, second = open_store(), open_store()
    job = make_job()
    first.add(job)
    wait_for_refresh(second, lambda seen: any(j.local_id == job.local_id for j in seen))
    job.request_id = "req_9"
    job.set_status(JobStatus.PROCESSING, 1_700_000_100.0)
    first.update(job)
    assert first.has_unsaved
    assert first.flush() == 1 and not first.has_unsaved
    seen = wait_for_refresh(second, lambda seen: any(j.status == JobStatus.PROCESSING for j in seen))
    assert seen[-1] == job
    assert second.get(job.local_id) == job


def test_a_final_status_never_goes_back(open_store: Opener) -> None:
    first, second = open_store(), open_store()
    job = make_job()
    first.add(job)
    stale = Job.from_dict(job.to_dict())
    job.set_status(JobStatus.SUCCEEDED, 1_700_000_010.0)
    first.update(job)
    first.flush()
    stale.set_status(JobStatus.PROCESSING, 1_700_000_999.0)  # later clock, but not final
    second.update(stale)
    second.flush()
    assert open_store().get(job.local_id).status == JobStatus.SUCCEEDED  # type: ignore[union-attr]
    assert second.get(job.local_id).status == JobStatus.SUCCEEDED  # type: ignore[union-attr]


def test_poll_counts_merge_to_the_larger(open_store: Opener) -> None:
    first, second = open_store(), open_store()
    job = make_job()
    first.add(job)
    theirs = Job.from_dict(job.to_dict())
    job.poll_count = 5
    first.update(job)
    first.flush()
    theirs.poll_count = 2
    theirs.touch(1_700_000_500.0)
    second.update(theirs)
    second.flush()
    merged = open_store().get(job.local_id)
    assert merged is not None and merged.poll_count == 5 and merged.updated_at == 1_700_000_500.0


def test_close_writes_what_is_pending(open_store: Opener) -> None:
    store = open_store()
    job = make_job()
    store.add(job)
    job.last_error = "changed after add"
    job.touch()
    store.update(job)
    store.close()
    assert open_store().get(job.local_id) == job


def test_raw_documents_keep_unknown_fields_and_putting_them_twice_changes_nothing(open_store: Opener) -> None:
    doc = {**full_job().to_dict(), "a_future_field": {"kept": [1, "two"]}}
    store = open_store()
    assert store.put_documents([doc]) == 1
    assert store.put_documents([doc]) == 0
    assert open_store().documents() == [doc]
    assert store.get(doc["local_id"]) == full_job()


def test_a_batch_key_is_added_once_and_a_store_that_lost_the_race_keeps_nothing(open_store: Opener) -> None:
    """Two processes sending the same batch line: the second ``add`` of its key is refused, whether
    or not that process has seen the first job yet, and the refused job is neither held nor written."""
    first, second = open_store(), open_store()
    sent = make_job(1, batch_entry="e-1", batch_key="e-1#1")
    first.add(sent)
    lost = make_job(2, batch_entry="e-1", batch_key="e-1#1")
    with pytest.raises(BatchKeyTaken, match=r"batch entry e-1 .*already being sent by another"):
        second.add(lost)
    assert second.get(lost.local_id) is None and not second.has_unsaved
    second.flush()
    assert open_store().get(lost.local_id) is None
    second.add(make_job(3, batch_entry="e-1", batch_key="e-1#2"))  # the next attempt is a new key
    second.add(make_job(4, batch_entry="e-2"))  # jobs without a key never collide
    second.add(make_job(5, batch_entry="e-2"))
    # The key is fixed at creation: the job holding it goes through every later change.
    sent.request_id = "req_1"
    sent.set_status(JobStatus.FAILED, 1_700_000_100.0)
    first.update(sent)
    assert first.flush() == 1
    assert {job.batch_key for job in open_store().all()} == {"e-1#1", "e-1#2", None}


def test_a_job_already_paid_for_is_always_written_even_when_its_batch_key_is_taken(
    open_store: Opener,
) -> None:
    """Only ``add`` checks keys: a flush or a copy bringing in a second job with a taken key (two
    stores each sent the line, then one is copied into the other) writes it, never fails."""
    first, second = open_store(), open_store()
    first.add(make_job(1, batch_entry="e-1", batch_key="e-1#1"))
    paid = make_job(2, batch_entry="e-1", batch_key="e-1#1", request_id="req_2")
    paid.set_status(JobStatus.QUEUED, 1_700_000_010.0)
    second.update(paid)  # staged the way a job whose add failed is kept for the next flush
    assert second.flush() == 1
    paid.set_status(JobStatus.SUCCEEDED, 1_700_000_020.0)
    second.update(paid)
    assert second.flush() == 1
    copied = make_job(3, batch_entry="e-1", batch_key="e-1#1", request_id="req_3")
    assert first.put_documents([copied.to_dict()]) == 1
    stored = open_store()
    assert stored.get(paid.local_id) == paid and stored.get(copied.local_id) == copied


# -- the history: jobs the store does not hold in memory ------------------------------------

DAY = 86_400.0


def with_history(open_store: Opener, old: int = 23) -> tuple[Store, list[Job], list[Job]]:
    """A store reopened after ``old`` finished jobs aged out (tinydb: moved into its archive files;
    PostgreSQL: left out of the load), beside recent and unfinished ones; returns the reopened
    store, the jobs it should hold and the old ones (newest first)."""
    store = open_store()
    now = time.time()
    aged = []
    for n in range(old):
        job = make_job(
            n, local_id=f"old{n:09d}", request_id=f"req_old{n}", batch_entry=f"entry-{n}", credits_charged=n
        )
        job.set_status(JobStatus.SUCCEEDED if n % 4 else JobStatus.FAILED, job.created_at + 60)
        job.output_expired = n % 5 == 1
        aged.append(job)
    held = [make_job(100 + n, local_id=f"busy{n:08d}", request_id=f"req_busy{n}") for n in range(2)]
    for n in range(2):
        recent = make_job(200 + n, local_id=f"new{n:09d}")
        recent.created_at = now - 60 - n
        recent.set_status(JobStatus.FAILED, now - n)
        held.append(recent)
    store.put_documents(job.to_dict() for job in aged + held)
    if isinstance(store, JobStore):
        assert archive_finished(store, 30 * DAY).moved == old
    store.close()
    aged.sort(key=lambda job: job.created_at, reverse=True)
    return open_store(recent_days=30), held, aged


def test_the_history_holds_what_the_store_does_not_and_pages_it_newest_first(open_store: Opener) -> None:
    store, held, aged = with_history(open_store)
    assert store.held_ids() == {job.local_id for job in held}
    pages = list(store.history().pages(size=7))
    assert all(0 < len(page) <= 7 for page in pages)
    assert [job.local_id for page in pages for job in page] == [job.local_id for job in aged]
    assert [job for page in pages for job in page] == aged
    assert store.history().notices == []


def test_the_history_resolves_ids_and_batch_entries_without_loading_it(open_store: Opener) -> None:
    store, _held, aged = with_history(open_store)
    history = store.history()
    assert history.find("req_old7") == [next(j for j in aged if j.local_id == "old000000007")]
    assert history.find("old7") == history.find("req_old7")  # the request id without req_
    assert {j.local_id for j in history.find("old00000001")} == {f"old{n:09d}" for n in range(10, 20)}
    assert history.find("busy") == []  # held jobs are the store's, not the history's
    assert history.find("nothing-like-it") == []
    found = history.with_batch_entries({"entry-3", "entry-5", "no-such-entry"})
    assert sorted(j.local_id for j in found) == ["old000000003", "old000000005"]


def test_every_document_reads_the_store_and_its_history_once_each(open_store: Opener) -> None:
    store, held, aged = with_history(open_store)
    docs = every_document(store.documents(), store.history())
    assert sorted(doc["local_id"] for doc in docs) == sorted(j.local_id for j in held + aged)


def test_the_history_adds_up_for_the_summary_and_a_job_brought_back_counts_once(open_store: Opener) -> None:
    store, _held, aged = with_history(open_store)
    totals = store.history().totals()
    failed = [job for job in aged if job.status == JobStatus.FAILED]
    assert totals.jobs == len(aged)
    assert totals.by_status == {"succeeded": len(aged) - len(failed), "failed": len(failed)}
    figures = totals.models["seedance-2.0"]
    assert figures.credits == sum(job.credits_charged or 0 for job in aged)
    assert figures.credits_failed_cancelled == sum(job.credits_charged or 0 for job in failed)
    assert (figures.succeeded, figures.failed) == (len(aged) - len(failed), len(failed))
    assert totals.expired == sum(job.output_expired for job in aged)
    back = store.history().find("req_old5")[0]
    store.update(back)  # as checking an archived job's status does
    store.flush()
    again = store.history().totals()
    assert again.jobs == len(aged) - 1 and again.models["seedance-2.0"].credits == figures.credits - 5
