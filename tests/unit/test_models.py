"""The contract's validation rules, at each boundary, and the wire format."""

from __future__ import annotations

import dataclasses

import pytest

from seedance_tui.models import (
    ASPECT_RATIOS,
    MODELS,
    RESOLUTIONS,
    GenerationRequest,
    Job,
    JobStatus,
    StatusChange,
    ValidationError,
    allowed_durations,
    parse_metadata,
)


def fields(req: GenerationRequest) -> set[str]:
    return {e.field for e in req.errors()}


@pytest.mark.parametrize("model", MODELS)
def test_every_model_is_accepted(model: str) -> None:
    assert fields(GenerationRequest(model, "a prompt")) == set()


@pytest.mark.parametrize("model", ["", "seedance-3.0", "Seedance-2.0", "seedance-2.0 "])
def test_unknown_model_is_rejected(model: str) -> None:
    assert fields(GenerationRequest(model, "a prompt")) == {"model"}


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t"])
def test_blank_prompt_is_rejected(prompt: str) -> None:
    req = GenerationRequest("seedance-2.0", prompt)
    assert fields(req) == {"prompt"}
    assert "prompt: must not be empty" in str(ValidationError(req.errors()))


@pytest.mark.parametrize("model", ["seedance-2.0", "seedance-2.0-fast"])
@pytest.mark.parametrize(
    ("duration", "ok"), [(3, False), (4, True), (9, True), (15, True), (16, False), (0, False)]
)
def test_duration_range_for_2_0_models(model: str, duration: int, ok: bool) -> None:
    errs = GenerationRequest(model, "p", duration=duration).errors()
    assert (errs == []) is ok
    if not ok:
        assert errs[0].field == "duration" and "4-15" in errs[0].message


@pytest.mark.parametrize(
    ("duration", "ok"), [(4, False), (5, True), (6, False), (9, False), (10, True), (15, False)]
)
def test_duration_for_1_5_pro_is_5_or_10(duration: int, ok: bool) -> None:
    errs = GenerationRequest("seedance-1.5-pro", "p", duration=duration).errors()
    assert (errs == []) is ok
    if not ok:
        assert "5 or 10" in errs[0].message


@pytest.mark.parametrize("duration", [5.0, "5", True])
def test_duration_must_be_an_integer(duration: object) -> None:
    assert fields(GenerationRequest("seedance-2.0", "p", duration=duration)) == {"duration"}  # type: ignore[arg-type]


def test_allowed_durations() -> None:
    assert allowed_durations("seedance-2.0") == tuple(range(4, 16))
    assert allowed_durations("seedance-1.5-pro") == (5, 10)
    assert allowed_durations("nope") == ()


@pytest.mark.parametrize("ratio", ASPECT_RATIOS)
def test_aspect_ratios_accepted(ratio: str) -> None:
    assert fields(GenerationRequest("seedance-2.0", "p", aspect_ratio=ratio)) == set()


@pytest.mark.parametrize("ratio", ["4:3", "16x9", "", "1:1 "])
def test_other_aspect_ratios_rejected(ratio: str) -> None:
    assert fields(GenerationRequest("seedance-2.0", "p", aspect_ratio=ratio)) == {"aspectRatio"}


@pytest.mark.parametrize("res", RESOLUTIONS)
def test_resolutions_accepted(res: str) -> None:
    assert fields(GenerationRequest("seedance-2.0", "p", resolution=res)) == set()


@pytest.mark.parametrize("res", ["360p", "4k", "720", "720P"])
def test_other_resolutions_rejected(res: str) -> None:
    assert fields(GenerationRequest("seedance-2.0", "p", resolution=res)) == {"resolution"}


@pytest.mark.parametrize("url", ["https://example.com/hook", "http://127.0.0.1:9000/x?y=1"])
def test_webhook_urls_accepted(url: str) -> None:
    assert fields(GenerationRequest("seedance-2.0", "p", webhook_url=url)) == set()


@pytest.mark.parametrize("url", ["ftp://example.com", "example.com/hook", "https://", "http://a b.com", ""])
def test_bad_webhook_urls_rejected(url: str) -> None:
    assert fields(GenerationRequest("seedance-2.0", "p", webhook_url=url)) == {"webhookUrl"}


def test_metadata_must_be_an_object() -> None:
    assert fields(GenerationRequest("seedance-2.0", "p", metadata={"a": 1})) == set()
    assert fields(GenerationRequest("seedance-2.0", "p", metadata=[1])) == {"metadata"}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"), [("", None), ("  ", None), ('{"projectId": "p1"}', {"projectId": "p1"})]
)
def test_parse_metadata_accepts_objects(text: str, expected: object) -> None:
    assert parse_metadata(text) == expected


@pytest.mark.parametrize(
    ("text", "why"), [("[1, 2]", "JSON object"), ("{nope", "not valid JSON"), ("3", "object")]
)
def test_parse_metadata_rejects_non_objects(text: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why) as info:
        parse_metadata(text)
    assert info.value.errors[0].field == "metadata"


def test_media_urls_each_checked() -> None:
    ok = GenerationRequest("seedance-2.0", "p", media_urls=["https://x.test/a.png"])
    bad = GenerationRequest("seedance-2.0", "p", media_urls=["https://x.test/a.png", "file:///etc/passwd"])
    assert ok.errors() == []
    assert [str(e) for e in bad.errors()] == ["mediaUrls: item 2 must be an http:// or https:// URL"]


def test_every_violation_is_reported_at_once() -> None:
    req = GenerationRequest("x", "", aspect_ratio="2:1", resolution="8k", webhook_url="nope")
    assert fields(req) == {"model", "prompt", "aspectRatio", "resolution", "webhookUrl"}


def test_payload_is_camel_case_and_omits_unset_fields() -> None:
    assert GenerationRequest("seedance-2.0", "p").to_payload() == {"model": "seedance-2.0", "prompt": "p"}
    full = GenerationRequest(
        "seedance-2.0", "p", "9:16", 10, "1080p", "https://h.test/w", {"k": "v"}, ["https://m.test/1.png"]
    )
    assert full.to_payload() == {
        "model": "seedance-2.0",
        "prompt": "p",
        "aspectRatio": "9:16",
        "duration": 10,
        "resolution": "1080p",
        "webhookUrl": "https://h.test/w",
        "metadata": {"k": "v"},
        "mediaUrls": ["https://m.test/1.png"],
    }
    assert GenerationRequest.from_payload(full.to_payload()) == full


def test_job_round_trips_and_records_first_observed_times() -> None:
    job = Job.new(GenerationRequest("seedance-2.0", "p"))
    job.set_status(JobStatus.QUEUED, 100.0)
    job.set_status(JobStatus.PROCESSING, 110.0)
    assert not job.set_status(JobStatus.PROCESSING, 120.0)
    job.set_status(JobStatus.SUCCEEDED, 130.0)
    assert (job.started_at, job.finished_at) == (110.0, 130.0)
    assert [h.status for h in job.history] == ["submitting", "queued", "processing", "succeeded"]
    assert Job.from_dict(job.to_dict()) == job


def test_job_from_dict_tolerates_unknown_and_missing_keys() -> None:
    job = Job.from_dict({"local_id": "abc", "request": {"model": "m", "prompt": "p"}, "future_field": 1})
    assert job.local_id == "abc" and job.status == JobStatus.SUBMITTING


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"n": NaN}', "not valid JSON"),
        ('{"n": Infinity}', "not valid JSON"),
        ('{"n": 123456789012345678901234567890}', "too large"),
    ],
)
def test_metadata_the_store_could_not_keep_is_refused(text: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        parse_metadata(text)


def test_unstorable_metadata_given_directly_is_refused() -> None:
    req = GenerationRequest("seedance-2.0", "p", metadata={"a": [float("nan")]})
    assert [e.field for e in req.errors()] == ["metadata"]
    assert GenerationRequest("seedance-2.0", "p", metadata={"a": [1, 2.5, None, True, "x"]}).errors() == []


def test_snapshots_follow_every_change_of_request_and_history() -> None:
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt="first"))
    first = job.to_dict()
    job.set_status(JobStatus.QUEUED, 10.0)
    second = job.to_dict()
    assert second["history"] == [*first["history"], {"status": "queued", "at": 10.0}]
    assert len(first["history"]) == 1  # an earlier snapshot never changes
    job.history[0] = StatusChange("submitting", 1.0)  # replaced in place, same length
    assert job.to_dict()["history"][0] == {"status": "submitting", "at": 1.0}
    job.history = [StatusChange("failed", 2.0)]
    assert job.to_dict()["history"] == [{"status": "failed", "at": 2.0}]
    job.request = GenerationRequest(model="seedance-2.0-fast", prompt="second")
    doc = job.to_dict()
    assert doc["request"] == {"model": "seedance-2.0-fast", "prompt": "second"}
    assert list(doc) == [f.name for f in dataclasses.fields(Job)]
    assert Job.from_dict(doc) == job
