"""The webhook receiver over real HTTP on 127.0.0.1, confirming claims against the fast simulator."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from seedance_tui.config import ConfigError, webhook_token
from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.serving import MAX_BODY_BYTES
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.webhooks import (
    JobLookup,
    WebhookPlan,
    WebhookReceiver,
    WebhookVerdict,
    parse_listen,
    plan_from_flags,
    receiver_for,
)
from tests.support import until

TOKEN = "test-token-" + "x" * 21
Start = Callable[..., Awaitable[WebhookReceiver]]


@pytest.fixture
async def start_receiver() -> AsyncIterator[Start]:
    """Start receivers on free ports; all are stopped at the end."""
    started: list[WebhookReceiver] = []

    async def start(receiver: WebhookReceiver) -> WebhookReceiver:
        await receiver.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.stop()


async def _service_with_receiver(
    sim: SimulatorServer, service_factory: Callable[..., JobService], start: Start
) -> tuple[JobService, WebhookReceiver]:
    service = service_factory(sim.url)
    receiver = await start(receiver_for(service, TOKEN, "127.0.0.1", 0))
    return service, receiver


async def _submit(service: JobService, webhook_url: str | None = None) -> Job:
    return await service.submit(
        GenerationRequest(model="seedance-2.0", prompt="a river", webhook_url=webhook_url)
    )


async def _post(url: str, body: Any = None, *, content: Any = None) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        if content is not None:
            return await http.post(url, content=content)
        return await http.post(url, json=body)


def _claim(request_id: str, status: str = "succeeded") -> dict[str, Any]:
    output = {"type": "video", "url": "https://evil.example/forged.mp4"} if status == "succeeded" else None
    return {"success": True, "requestId": request_id, "status": status, "output": output, "error": None}


async def test_real_webhook_finishes_job_without_polling(
    sim_factory: Callable[..., SimulatorServer],
    service_factory: Callable[..., JobService],
    start_receiver: Start,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    sim = sim_factory()
    service, receiver = await _service_with_receiver(sim, service_factory, start_receiver)
    hook_url = receiver.public_url_for(receiver.url)
    assert hook_url == f"{receiver.url}/webhooks/seedance/{TOKEN}"
    # Two jobs without a webhook: only the one that asked for it may move, since nothing polls.
    job = await _submit(service, hook_url)
    quiet = await _submit(service)

    await until(lambda: service.get(job.local_id).is_final)  # type: ignore[union-attr]
    await receiver.idle()

    done = service.get(job.local_id)
    assert done is not None and done.status == JobStatus.SUCCEEDED
    assert done.output_url and "evil" not in done.output_url
    assert service.get(quiet.local_id).status == JobStatus.QUEUED  # type: ignore[union-attr]
    assert receiver.counts[WebhookVerdict.ACCEPTED] == 1
    assert [a.status for a in sim.state.webhook_attempts] == ["delivered"]

    # The secret path never reaches a log line or the terminal (httpx logs belong to the sender, the sim).
    ours = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert all(TOKEN not in r.getMessage() for r in ours)
    out, err = capfd.readouterr()
    assert TOKEN not in out + err
    assert TOKEN not in repr(receiver)


async def test_replayed_callback_after_final_changes_nothing(
    sim_factory: Callable[..., SimulatorServer],
    service_factory: Callable[..., JobService],
    start_receiver: Start,
) -> None:
    sim = sim_factory(queue_seconds=0.05, process_seconds=0.1)
    service, receiver = await _service_with_receiver(sim, service_factory, start_receiver)
    job = await _submit(service, receiver.public_url_for(receiver.url))
    await until(lambda: service.get(job.local_id).is_final)  # type: ignore[union-attr]
    await receiver.idle()
    before = service.get(job.local_id).to_dict()  # type: ignore[union-attr]
    gets = sim.state.stats()["gets"]

    hook_url = receiver.public_url_for(receiver.url)
    assert job.request_id is not None
    for body in (_claim(job.request_id, "failed"), _claim(job.request_id)):
        reply = await _post(hook_url, body)
        assert reply.status_code == 200
    await receiver.idle()

    assert service.get(job.local_id).to_dict() == before  # type: ignore[union-attr]
    assert sim.state.stats()["gets"] == gets  # a replay costs no API call
    assert receiver.counts[WebhookVerdict.ALREADY_FINAL] == 2


async def test_forged_callback_is_checked_against_the_api(
    sim_factory: Callable[..., SimulatorServer],
    service_factory: Callable[..., JobService],
    start_receiver: Start,
) -> None:
    sim = sim_factory(queue_seconds=60)
    service, receiver = await _service_with_receiver(sim, service_factory, start_receiver)
    job = await _submit(service)
    assert job.request_id is not None

    reply = await _post(receiver.public_url_for(receiver.url), _claim(job.request_id))
    assert reply.status_code == 202
    await receiver.idle()

    after = service.get(job.local_id)
    assert after is not None
    assert after.status == JobStatus.QUEUED and after.output_url is None
    assert after.poll_count == 1  # the confirming GET happened, and its answer won
    assert receiver.counts[WebhookVerdict.ACCEPTED] == 1


async def test_wrong_or_missing_token_and_unknown_jobs_get_404(
    sim_factory: Callable[..., SimulatorServer],
    service_factory: Callable[..., JobService],
    start_receiver: Start,
) -> None:
    sim = sim_factory(queue_seconds=60)
    service, receiver = await _service_with_receiver(sim, service_factory, start_receiver)
    job = await _submit(service)
    assert job.request_id is not None
    claim = _claim(job.request_id)
    base = f"{receiver.url}/webhooks/seedance"

    async with httpx.AsyncClient() as http:
        nowhere = await http.post(f"{receiver.url}/no/such/path", json=claim)
        refused = [
            await http.post(f"{base}/{TOKEN}x", json=claim),
            await http.post(f"{base}/{TOKEN[:-1]}", json=claim),
            await http.post(f"{base}/", json=claim),
            await http.post(base, json=claim),
            await http.post(f"{base}/\u00e9t\u00e9", json=claim),
            await http.get(f"{base}/{TOKEN}"),
            await http.post(f"{base}/{TOKEN}", json=_claim("req_not_ours")),
            await http.post(f"{base}/{TOKEN}", json=_claim(job.request_id[:-2])),  # a prefix is not a match
            await http.post(f"{base}/{TOKEN}", json=_claim(job.local_id)),  # nor is a local id
        ]
    await receiver.idle()

    assert nowhere.status_code == 404
    for reply in refused:
        assert (reply.status_code, reply.content) == (404, nowhere.content)
    assert sim.state.stats()["gets"] == 0
    assert service.get(job.local_id).status == JobStatus.QUEUED  # type: ignore[union-attr]
    assert (
        receiver.counts["bad_token"] == 4
    )  # the other two never reach the route and receiver.counts[WebhookVerdict.UNKNOWN_JOB] == 3


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"",
        b"\xff\xfe{}",
        b"[1, 2]",
        b'"succeeded"',
        b'{"status": "succeeded"}',
        b'{"requestId": 5, "status": "succeeded"}',
        b'{"requestId": "req_1", "status": null}',
        b'{"requestId": "req_1", "status": "succeeded", "x": ' + b"[" * 20000 + b"]" * 20000 + b"}",
        b'{"requestId": "req_1", "status": "succeeded", "x": ' + b"[" * 100 + b"]" * 100 + b"}",
        b'{"requestId": "req_1", "status": "rejected"}',
    ],
)
async def test_malformed_bodies_get_400(content: bytes, start_receiver: Start) -> None:
    seen: list[str] = []
    receiver = await start_receiver(_recording_receiver(seen))
    reply = await _post(receiver.public_url_for(receiver.url), content=content)
    assert reply.status_code == 400
    assert seen == [] and receiver.counts["bad_body"] == 1


async def test_oversized_bodies_get_413(start_receiver: Start) -> None:
    seen: list[str] = []
    receiver = await start_receiver(_recording_receiver(seen))
    url = receiver.public_url_for(receiver.url)
    padded = {**_claim("req_1"), "pad": "x" * MAX_BODY_BYTES}

    async def chunked() -> AsyncIterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    assert (await _post(url, padded)).status_code == 413
    assert (await _post(url, content=chunked())).status_code == 413
    assert (await _post(url, _claim("req_1"))).status_code == 202
    await receiver.idle()
    assert seen == ["req_1"]


async def test_one_confirmation_in_flight_per_request_id(start_receiver: Start) -> None:
    calls: list[str] = []
    gate = asyncio.Event()

    async def slow_confirm(request_id: str) -> WebhookVerdict:
        calls.append(request_id)
        await gate.wait()
        return WebhookVerdict.ACCEPTED

    receiver = await start_receiver(
        WebhookReceiver(lookup=lambda _: JobLookup.OPEN, confirm=slow_confirm, token=TOKEN)
    )
    url = receiver.public_url_for(receiver.url)
    replies = await asyncio.gather(*(_post(url, _claim(rid)) for rid in ["req_a"] * 5 + ["req_b"]))
    assert [r.status_code for r in replies] == [202] * 6
    assert sorted(calls) == ["req_a", "req_b"]
    gate.set()
    await receiver.idle()
    assert receiver.counts[WebhookVerdict.ACCEPTED] == 2


async def test_failing_confirmation_is_contained_and_stop_cancels_work(start_receiver: Start) -> None:
    async def broken(request_id: str) -> WebhookVerdict:
        raise RuntimeError("boom")

    receiver = await start_receiver(
        WebhookReceiver(lookup=lambda _: JobLookup.OPEN, confirm=broken, token=TOKEN)
    )
    assert (await _post(receiver.public_url_for(receiver.url), _claim("req_1"))).status_code == 202
    await receiver.idle()
    assert receiver.counts[WebhookVerdict.FAILED] == 1

    hanging = WebhookReceiver(lookup=lambda _: JobLookup.OPEN, confirm=_never, token=TOKEN)
    await hanging.start()
    assert (await _post(hanging.public_url_for(hanging.url), _claim("req_1"))).status_code == 202
    await asyncio.wait_for(hanging.stop(), 5)
    with pytest.raises(httpx.ConnectError):
        await _post(hanging.public_url_for(hanging.url), _claim("req_1"))


async def test_a_taken_port_fails_at_start(start_receiver: Start) -> None:
    first = await start_receiver(_recording_receiver([]))
    host, port = parse_listen(first.url.removeprefix("http://"))
    second = WebhookReceiver(
        lookup=lambda _: JobLookup.OPEN, confirm=_never, token=TOKEN, host=host, port=port
    )
    with pytest.raises(OSError):
        await second.start()


def test_parse_listen() -> None:
    assert parse_listen("0.0.0.0:8788") == ("0.0.0.0", 8788)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    for bad in ("8788", "host:", ":80", "host:http", "host:70000"):
        with pytest.raises(ValueError):
            parse_listen(bad)


def test_plan_from_flags(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    assert plan_from_flags(None, None, config) is None
    plan = plan_from_flags("0.0.0.0:8788", "https://hooks.example.com/seedance/", config)
    assert plan == WebhookPlan("0.0.0.0", 8788, "https://hooks.example.com/seedance", webhook_token(config))
    assert plan.token not in repr(plan)
    for listen, public in (("0.0.0.0:8788", None), (None, "https://x.example"), ("0.0.0.0:1", "ftp://x")):
        with pytest.raises(ValueError):
            plan_from_flags(listen, public, config)


def test_token_file_is_private_and_stable(tmp_path: Path) -> None:
    config = tmp_path / "conf" / "config.toml"
    token = webhook_token(config)
    path = config.with_name("webhook-token")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(token) == 32 and webhook_token(config) == token
    assert webhook_token(tmp_path / "other" / "config.toml") != token
    assert sorted(p.name for p in path.parent.iterdir()) == ["webhook-token"]  # no temp file left

    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        webhook_token(config)


def _recording_receiver(seen: list[str]) -> WebhookReceiver:
    async def confirm(request_id: str) -> WebhookVerdict:
        seen.append(request_id)
        return WebhookVerdict.ACCEPTED

    return WebhookReceiver(lookup=lambda _: JobLookup.OPEN, confirm=confirm, token=TOKEN)


async def _never(request_id: str) -> WebhookVerdict:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")
