"""A hostile API (tests/reliability/hostile.py) against the real client, service and store file.

Every reply kind here was once believed, stored whole, or made the store unwritable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from seedance_tui.jsonlimits import MAX_REPLY_BYTES
from seedance_tui.models import Job, JobStatus
from seedance_tui.outcomes import SubmitError
from seedance_tui.service import JobService
from seedance_tui.store import JobStore
from tests.reliability.helpers import build_service, on_disk, request, running
from tests.reliability.hostile import HostileServer, Reply
from tests.support import until


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def service(hostile: HostileServer, db_path: Path) -> AsyncIterator[JobService]:
    service = build_service(hostile.url, db_path)
    async with running(service):
        yield service


def _gets(hostile: HostileServer) -> int:
    return sum(a.method == "GET" for a in hostile.arrivals)


@pytest.mark.parametrize("credits", ["1e300", "123456789012345678901234567890", "-1e30", "true", '"40"'])
async def test_huge_numbers_never_lose_the_request_id_nor_stop_saving(
    hostile: HostileServer, service: JobService, db_path: Path, credits: str
) -> None:
    hostile.script(
        "POST", Reply.raw_json(f'{{"requestId":"req_x","status":"queued","creditsCharged":{credits}}}')
    )
    job = await service.submit(request("huge"))
    assert job.request_id == "req_x" and job.credits_charged is None  # kept as unknown
    second = await service.submit(request("after"))  # saving and submitting still work
    disk = on_disk(db_path)
    assert disk[job.local_id].request_id == "req_x"
    assert disk[second.local_id].request_id is not None


def test_one_unstorable_value_never_stops_the_store_saving_others(db_path: Path) -> None:
    store = JobStore.open(db_path)
    bad = Job.new(request("bad"))
    bad.request_id, bad.credits_charged = "req_bad", 10**30
    bad.remote_extra = {"eta": float("inf"), "n": -(10**40)}
    store.add(bad)  # raised "Integer exceeds 64-bit range" before
    good = Job.new(request("good"))
    good.request_id = "req_good"
    store.add(good)
    store.close()
    disk = on_disk(db_path)
    assert disk[bad.local_id].request_id == "req_bad" and disk[bad.local_id].credits_charged is None
    assert disk[good.local_id].request_id == "req_good"


@pytest.mark.parametrize("status", ["succeeded", "failed", "cancelled", "rejected", "submitting", "done"])
async def test_a_new_task_is_never_final_from_its_post_reply(
    hostile: HostileServer, service: JobService, status: str
) -> None:
    hostile.script("POST", Reply.json({"requestId": "req_p", "status": status}))
    job = await service.submit(request("post-status"))
    assert job.request_id == "req_p" and job.status == JobStatus.QUEUED and job.needs_polling


@pytest.mark.parametrize("status", ["submitting", "rejected", "outcome_unknown", "not_found", "upscaling"])
async def test_statuses_outside_the_contract_are_not_believed(
    hostile: HostileServer, service: JobService, status: str
) -> None:
    job = await service.submit(request("get-status"))
    hostile.script("GET", *[Reply.json({"requestId": job.request_id, "status": status})] * 3)
    await until(lambda: "contract" in (job.last_error or ""), 10, "the reply reported as malformed")
    assert job.status == JobStatus.QUEUED
    seen = _gets(hostile)
    await until(lambda: _gets(hostile) > seen + 1, 10, "polling going on")
    await until(lambda: job.status == JobStatus.PROCESSING, 10, "the next sane reply believed")


async def test_a_reply_about_another_task_is_malformed(hostile: HostileServer, service: JobService) -> None:
    job = await service.submit(request("other-id"))
    other = {
        "requestId": "req_someone_else",
        "status": "succeeded",
        "output": {"url": "https://evil.test/v.mp4"},
    }
    hostile.script("GET", *[Reply.json(other)] * 3)
    await until(lambda: "another task" in (job.last_error or ""), 10, "the reply reported as malformed")
    assert job.output_url is None and not job.is_final


async def test_a_huge_reply_is_not_read_and_unknown_fields_are_bounded(
    hostile: HostileServer, service: JobService, db_path: Path
) -> None:
    job = await service.submit(request("huge-reply"))
    blob = "x" * (MAX_REPLY_BYTES + 1024)
    big = {"requestId": job.request_id, "status": "processing", "blob": blob}
    medium = {
        "requestId": job.request_id,
        "status": "processing",
        "blob": blob[: MAX_REPLY_BYTES // 2],
        "eta": 5,
    }
    hostile.script("GET", Reply.json(big), Reply.json(medium))
    await until(lambda: job.remote_extra.get("eta") == 5, 15, "the medium reply applied")
    assert "blob" not in job.remote_extra  # an unknown field too big to keep is dropped
    await service.flush(all_pending=True)
    assert db_path.stat().st_size + Path(f"{db_path}.journal").stat().st_size < 100_000


async def test_deeply_nested_replies_are_malformed(hostile: HostileServer, service: JobService) -> None:
    job = await service.submit(request("deep"))
    nested = "[" * 900 + "1" + "]" * 900
    deep = f'{{"requestId":"{job.request_id}","status":"processing","x":{nested}}}'
    hostile.script("GET", Reply.raw_json(deep))
    await until(lambda: "nested" in (job.last_error or ""), 10, "the nested reply refused")
    assert job.remote_extra == {}


async def test_submit_with_a_garbled_reply_is_outcome_unknown(
    hostile: HostileServer, service: JobService
) -> None:
    hostile.script("POST", Reply.raw_json('{"requestId": "' + "r" * 10_000 + '", "status": "queued"}'))
    with pytest.raises(SubmitError) as caught:
        await service.submit(request("long-id"))
    assert caught.value.job.status == JobStatus.OUTCOME_UNKNOWN


ENVELOPE = {"success": False, "error": {"code": "unavailable", "message": "busy"}}


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (Reply.json(ENVELOPE, 503), JobStatus.REJECTED),
        (Reply.json(ENVELOPE, 429, **{"Retry-After": "1"}), JobStatus.REJECTED),
        (Reply(503, b"<html><body>upstream busy</body></html>", "text/html"), JobStatus.PROBABLY_NOT_CREATED),
        (Reply(429, b"", "text/plain"), JobStatus.PROBABLY_NOT_CREATED),
        (Reply.json({"message": "slow down"}, 429), JobStatus.PROBABLY_NOT_CREATED),
        (Reply(502, b"<html>bad gateway</html>", "text/html"), JobStatus.OUTCOME_UNKNOWN),
    ],
)
async def test_429_and_503_are_told_apart_by_the_apis_envelope(
    hostile: HostileServer, service: JobService, db_path: Path, reply: Reply, status: str
) -> None:
    hostile.script("POST", reply)
    with pytest.raises(SubmitError) as caught:
        await service.submit(request("refused"))
    job = caught.value.job
    assert job.status == status and caught.value.outcome == status
    assert on_disk(db_path)[job.local_id].status == status
    await service.flush(all_pending=True)
    assert sum(a.method == "POST" for a in hostile.arrivals) == 1  # never re-sent
    warning = service.resubmit_warning(job)
    assert (warning is None) == (status == JobStatus.REJECTED)


@pytest.mark.parametrize(
    "body",
    [{"status": "submitting"}, {"status": "rejected"}, {"requestId": "req_other", "status": "cancelled"}],
)
async def test_a_nonsense_cancel_reply_is_not_believed(
    hostile: HostileServer, service: JobService, body: dict[str, str]
) -> None:
    job = await service.submit(request("cancel"))
    hostile.script("POST", Reply.json(body))
    outcome = await service.cancel(job.local_id)
    assert outcome.result == "error" and "makes no sense" in outcome.message
    assert job.status in (JobStatus.QUEUED, JobStatus.PROCESSING)  # whatever the polls said, not the reply
