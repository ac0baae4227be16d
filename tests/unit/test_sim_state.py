"""The simulator's parts without HTTP: pricing, validation, keys, config, and task timelines."""

from __future__ import annotations

import argparse

import pytest

from seedance_tui.models import GenerationRequest
from seedance_tui.serving import MAX_BODY_BYTES
from seedance_tui.sim.auth import KeyVerdict, bearer_key, judge_key
from seedance_tui.sim.config import SimConfig, add_sim_arguments, sim_config_from_args
from seedance_tui.sim.pricing import credits_for
from seedance_tui.sim.state import SimState, TaskAlreadyFinal, TaskNotFound
from seedance_tui.sim.tasks import FAILURES
from seedance_tui.sim.validation import InvalidSubmission, parse_submission


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _request(**fields: object) -> GenerationRequest:
    return GenerationRequest.from_payload({"model": "seedance-2.0", "prompt": "a river", **fields})


@pytest.mark.parametrize(
    ("model", "duration", "resolution", "credits"),
    [
        ("seedance-2.0", 5, "720p", 40),
        ("seedance-2.0", None, None, 40),
        ("seedance-2.0", 15, "1080p", 240),
        ("seedance-2.0-fast", 10, "1080p", 100),
        ("seedance-2.0-fast", 5, "480p", 13),
        ("seedance-1.5-pro", 10, "480p", 30),
        ("seedance-1.5-pro", 5, "720p", 30),
    ],
)
def test_credits_for(model: str, duration: int | None, resolution: str | None, credits: int) -> None:
    assert credits_for(model, duration, resolution) == credits


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"\xff\xfe", "body"),
        (b"[1, 2]", "body"),
        (b'"text"', "body"),
        (b"[" * 60_000, "body"),
        (b" " * (MAX_BODY_BYTES + 1), "body"),
        (b'{"prompt": "x"}', "model"),
        (b'{"model": 7, "prompt": "x"}', "model"),
        (b'{"model": "seedance-3", "prompt": "x"}', "model"),
        (b'{"model": "seedance-2.0"}', "prompt"),
        (b'{"model": "seedance-2.0", "prompt": ["x"]}', "prompt"),
        (b'{"model": "seedance-2.0", "prompt": "   "}', "prompt"),
        (b'{"model": "seedance-2.0", "prompt": "x", "duration": "5"}', "duration"),
        (b'{"model": "seedance-2.0", "prompt": "x", "duration": 5.0}', "duration"),
        (b'{"model": "seedance-2.0", "prompt": "x", "duration": true}', "duration"),
        (b'{"model": "seedance-2.0", "prompt": "x", "webhookUrl": 5}', "webhookUrl"),
        (b'{"model": "seedance-2.0", "prompt": "x", "aspectRatio": {}}', "aspectRatio"),
    ],
)
def test_parse_submission_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(InvalidSubmission) as caught:
        parse_submission(body)
    assert str(caught.value).startswith(f"{field}: ")


def test_parse_submission_accepts_the_contract_example() -> None:
    body = (
        b'{"model": "seedance-2.0", "prompt": "A river", "aspectRatio": "16:9", "duration": 5,'
        b' "resolution": "720p", "webhookUrl": "https://your-app.com/webhooks/seedance",'
        b' "metadata": {"projectId": "proj_1001"}, "unknownField": 1}'
    )
    request = parse_submission(body)
    assert (request.model, request.duration, request.metadata) == (
        "seedance-2.0",
        5,
        {"projectId": "proj_1001"},
    )


@pytest.mark.parametrize(
    ("header", "api_keys", "verdict"),
    [
        (None, None, KeyVerdict.MISSING),
        ("Bearer", None, KeyVerdict.MISSING),
        ("Basic sd2_abc", None, KeyVerdict.MISSING),
        ("Bearer sd2_abc", None, KeyVerdict.VALID),
        ("bearer   sd2_abc ", None, KeyVerdict.VALID),
        ("Bearer live_abc", None, KeyVerdict.INVALID),
        ("Bearer sd2_revoked_1", None, KeyVerdict.REVOKED),
        ("Bearer sd2_abc", frozenset({"sd2_other"}), KeyVerdict.INVALID),
        ("Bearer custom", frozenset({"custom"}), KeyVerdict.VALID),
    ],
)
def test_key_verdicts(header: str | None, api_keys: frozenset[str] | None, verdict: KeyVerdict) -> None:
    assert judge_key(bearer_key(header), api_keys) is verdict


def test_config_from_flags() -> None:
    parser = argparse.ArgumentParser()
    add_sim_arguments(parser)
    config = sim_config_from_args(
        parser.parse_args(["--speed", "10", "--seed", "3", "--down", "--drop-rate", "0.5"])
    )
    assert (config.speed, config.seed, config.down, config.drop_rate) == (10.0, 3, True, 0.5)
    assert sim_config_from_args(parser.parse_args([])) == SimConfig()
    with pytest.raises(ValueError, match="error_rate"):
        sim_config_from_args(parser.parse_args(["--error-rate", "2"]))


@pytest.mark.parametrize(
    "changes",
    [{"speed": 2.0}, {"down": 1}, {"error_rate": 1.5}, {"latency": -1}, {"retry_after": "soon"}],
)
def test_set_faults_rejects_bad_changes(changes: dict[str, object]) -> None:
    state = SimState(SimConfig())
    with pytest.raises(ValueError):
        state.set_faults(**changes)
    assert state.config == SimConfig()


def test_bad_config_is_refused() -> None:
    for bad in ({"speed": 0}, {"queue_seconds": -1}, {"failure_rate": float("nan")}, {"max_tasks": 0}):
        with pytest.raises(ValueError):
            SimConfig(**bad)  # type: ignore[arg-type]


def test_timeline_follows_the_clock() -> None:
    clock = FakeClock()
    state = SimState(SimConfig(queue_seconds=2, process_seconds=4, speed=2, failure_rate=0, seed=1), clock)
    task = state.submit("sd2_a", _request(), "http://sim")
    # Each phase is drawn within half to one and a half times its mean, divided by speed.
    assert 0.5 <= task.processing_at - clock.now <= 1.5
    assert 1.0 <= task.finished_at - task.processing_at <= 3.0
    seen = []
    for at in (clock.now, task.processing_at, task.finished_at - 0.01, task.finished_at):
        clock.now = at
        seen.append(state.reply(task)["status"])
    assert seen == ["queued", "processing", "processing", "succeeded"]
    assert state.reply(task)["output"] == {"type": "video", "url": f"http://sim/files/{task.request_id}.mp4"}


def test_failed_tasks_carry_an_upstream_error() -> None:
    clock = FakeClock()
    state = SimState(SimConfig(failure_rate=1, seed=2), clock)
    task = state.submit("sd2_a", _request(), "http://sim")
    clock.now = task.finished_at
    reply = state.reply(task)
    assert reply["status"] == "failed" and reply["output"] is None
    assert (reply["error"]["code"], reply["error"]["message"]) in FAILURES


def test_same_seed_same_tasks() -> None:
    def timelines(seed: int) -> list[tuple[str, float, float, object]]:
        state = SimState(SimConfig(seed=seed, failure_rate=0.5), FakeClock())
        tasks = [state.submit("sd2_a", _request(), "http://sim") for _ in range(20)]
        return [(t.request_id, t.processing_at, t.finished_at, t.failure) for t in tasks]

    assert timelines(5) == timelines(5)
    assert timelines(5) != timelines(6)
    assert {fate is None for *_, fate in timelines(5)} == {True, False}


def test_cancel_rules_and_key_isolation() -> None:
    clock = FakeClock()
    state = SimState(SimConfig(seed=3), clock)
    task = state.submit("sd2_a", _request(), "http://sim")
    with pytest.raises(TaskNotFound):
        state.find("sd2_b", task.request_id)
    with pytest.raises(TaskNotFound):
        state.cancel("sd2_b", task.request_id)
    state.cancel("sd2_a", task.request_id)
    clock.now += 1000
    assert state.reply(task)["status"] == "cancelled"
    with pytest.raises(TaskAlreadyFinal, match=f"Task {task.request_id} is already cancelled"):
        state.cancel("sd2_a", task.request_id)


def test_memory_is_bounded() -> None:
    state = SimState(SimConfig(max_tasks=3, seed=4), FakeClock())
    ids = [
        state.submit("sd2_a", _request(webhookUrl="http://hook/x"), "http://sim").request_id for _ in range(5)
    ]
    assert [t["requestId"] for t in state.tasks()] == ids[2:]
    with pytest.raises(TaskNotFound):
        state.find("sd2_a", ids[0])
    assert state.stats()["tasks_created"] == 5
