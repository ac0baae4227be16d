"""The store's contract, run against BOTH backends (tinydb file, PostgreSQL) so they cannot drift.

Two ``Store`` objects opened on one location stand for two processes sharing it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from seedance_tui.models import GenerationRequest, Job, JobStatus, StatusChange
from seedance_tui.store.backend import Store
from seedance_tui.store.opening import open_store_url

KEY = "sd2_contract_key_0123456789"
Opener = Callable[[], Store]


@pytest.fixture(params=["tinydb", "postgresql"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens stores on one location of the backend under test; all are closed at the end."""
    if request.param == "tinydb":
        url = f"tinydb://{tmp_path / 'jobs.json'}"
    else:
        url = request.getfixturevalue("pg_url")
    opened: list[Store] = []

    def opener() -> Store:
        store = open_store_url(url, api_key=KEY, notice=lambda message: None)
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
