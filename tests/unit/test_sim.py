"""The simulator over real HTTP on 127.0.0.1: contract replies, auth, progression, files, webhooks, faults."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from seedance_tui.sim import webhooks
from seedance_tui.sim.config import SimConfig
from seedance_tui.sim.server import SimulatorServer
from tests.support import until_sync

API = "/api/open/v1/video/generations"
KEY = {"Authorization": "Bearer sd2_test_key"}
EXAMPLE = {"model": "seedance-2.0", "prompt": "A river flowing through an autumn forest"}


class FakeClock:
    """A clock that moves only when told (thread-safe enough: one float)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[SimulatorServer]:
    """One fast simulator for tests that neither change faults nor need a fake clock."""
    with SimulatorServer(SimConfig(seed=11, speed=100, failure_rate=0)) as sim:
        yield sim


@pytest.fixture
def client(shared_sim: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared_sim.url, timeout=5) as http:
        yield http


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_sim(clock: FakeClock) -> Iterator[Callable[..., tuple[SimulatorServer, httpx.Client]]]:
    """Start a private simulator on the fake clock with the given config fields."""
    started: list[tuple[SimulatorServer, httpx.Client]] = []

    def make(**fields: Any) -> tuple[SimulatorServer, httpx.Client]:
        sim = SimulatorServer(SimConfig(**{"seed": 7, **fields}), clock=clock)
        sim.start()
        pair = (sim, httpx.Client(base_url=sim.url, timeout=5))
        started.append(pair)
        return pair

    yield make
    for sim, http in started:
        http.close()
        sim.stop()


def submit(http: httpx.Client, headers: dict[str, str] = KEY, **fields: Any) -> httpx.Response:
    return http.post(API, json={**EXAMPLE, **fields}, headers=headers)


# --- submission -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "credits"),
    [
        ({}, 40),
        ({"model": "seedance-2.0", "duration": 5, "resolution": "720p", "aspectRatio": "16:9"}, 40),
        ({"model": "seedance-2.0-fast", "duration": 10, "resolution": "1080p"}, 100),
        ({"model": "seedance-2.0-fast", "duration": 4, "resolution": "480p"}, 10),
        ({"model": "seedance-1.5-pro", "duration": 10, "resolution": "480p", "aspectRatio": "1:1"}, 30),
    ],
)
def test_submit_replies_like_the_contract(client: httpx.Client, fields: dict[str, Any], credits: int) -> None:
    reply = submit(client, **fields, metadata={"projectId": "p1"})
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"success", "requestId", "status", "creditsCharged"}
    assert body["success"] is True and body["status"] == "queued" and body["creditsCharged"] == credits
    assert re.fullmatch(r"req_[0-9a-f]{16}", body["requestId"])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"prompt": "x"}, "model"),
        ({"model": "seedance-3.0", "prompt": "x"}, "model"),
        ({"model": "seedance-2.0"}, "prompt"),
        ({"model": "seedance-2.0", "prompt": ""}, "prompt"),
        ({"model": "seedance-2.0", "prompt": 42}, "prompt"),
        ({**EXAMPLE, "aspectRatio": "4:3"}, "aspectRatio"),
        ({**EXAMPLE, "duration": 3}, "duration"),
        ({**EXAMPLE, "duration": 16}, "duration"),
        ({**EXAMPLE, "duration": 7.5}, "duration"),
        ({**EXAMPLE, "model": "seedance-1.5-pro", "duration": 7}, "duration"),
        ({**EXAMPLE, "resolution": "4k"}, "resolution"),
        ({**EXAMPLE, "webhookUrl": "ftp://example.com/hook"}, "webhookUrl"),
        ({**EXAMPLE, "metadata": "not an object"}, "metadata"),
        ({**EXAMPLE, "mediaUrls": "http://x"}, "mediaUrls"),
        ([EXAMPLE], "body"),
    ],
)
def test_each_rule_is_enforced(client: httpx.Client, payload: Any, field: str) -> None:
    reply = client.post(API, json=payload, headers=KEY)
    assert reply.status_code == 400
    body = reply.json()
    assert body["success"] is False and body["error"]["code"] == "invalid_request"
    assert body["error"]["message"].startswith(f"{field}: ")


def test_invalid_json_and_huge_bodies_are_rejected(client: httpx.Client) -> None:
    for content in (b"{oops", b"\x00\xff" * 10, b"x" * 200_000):
        reply = client.post(API, content=content, headers={**KEY, "Content-Type": "application/json"})
        assert reply.status_code == 400, content[:10]
        assert reply.json()["error"]["message"].startswith("body: ")


def test_garbage_never_crashes_the_server(client: httpx.Client) -> None:
    rng = random.Random(1)
    for _ in range(30):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        assert client.post(API, content=junk, headers=KEY).status_code == 400
    for path in (f"{API}/%00", f"{API}/{'x' * 3000}", "/files/nothing.mp4", "/files/x", "/nowhere"):
        reply = client.get(path, headers=KEY)
        assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"
    assert client.delete(API, headers=KEY).status_code == 405
    assert submit(client).status_code == 200


# --- auth ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer not_a_seedance_key"}, 401, "unauthorized"),
        ({"Authorization": "Token sd2_test_key"}, 401, "unauthorized"),
        ({"Authorization": "Bearer sd2_revoked_key"}, 403, "forbidden"),
    ],
)
def test_bad_keys_are_refused_everywhere(
    client: httpx.Client, headers: dict[str, str], status: int, code: str
) -> None:
    request_id = submit(client).json()["requestId"]
    replies = [
        client.post(API, json=EXAMPLE, headers=headers),
        client.get(f"{API}/{request_id}", headers=headers),
        client.post(f"{API}/{request_id}/cancel", headers=headers),
    ]
    for reply in replies:
        assert reply.status_code == status
        assert reply.json() == {
            "success": False,
            "error": {"code": code, "message": reply.json()["error"]["message"]},
        }


def test_keys_see_only_their_own_tasks(client: httpx.Client) -> None:
    request_id = submit(client).json()["requestId"]
    other = {"Authorization": "Bearer sd2_someone_else"}
    for reply in (
        client.get(f"{API}/{request_id}", headers=other),
        client.post(f"{API}/{request_id}/cancel", headers=other),
    ):
        assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"
    assert client.get(f"{API}/{request_id}", headers=KEY).status_code == 200


def test_configured_keys_only(make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]]) -> None:
    _, http = make_sim(api_keys=frozenset({"only-this-one"}))
    assert submit(http, headers={"Authorization": "Bearer only-this-one"}).status_code == 200
    assert submit(http).status_code == 401


# --- progression, cancel, files -----------------------------------------------------------------


def test_real_time_progression_to_succeeded_and_the_video(client: httpx.Client) -> None:
    request_id = submit(client, duration=6, resolution="1080p", aspectRatio="9:16").json()["requestId"]
    seen: list[str] = []

    def finished() -> bool:
        seen.append(client.get(f"{API}/{request_id}", headers=KEY).json()["status"])
        return seen[-1] == "succeeded"

    until_sync(finished)
    assert seen[0] in ("queued", "processing")
    body = client.get(f"{API}/{request_id}", headers=KEY).json()
    assert body == {
        "success": True,
        "requestId": request_id,
        "status": "succeeded",
        "model": "seedance-2.0",
        "prompt": EXAMPLE["prompt"],
        "duration": 6,
        "aspectRatio": "9:16",
        "resolution": "1080p",
        "output": {"type": "video", "url": str(client.base_url).rstrip("/") + f"/files/{request_id}.mp4"},
        "error": None,
    }
    video = httpx.get(body["output"]["url"])  # no key: files are public
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert int(video.headers["content-length"]) == len(video.content) < 50_000
    assert video.content[4:8] == b"ftyp"


def test_clocked_progression_and_cancel_rules(
    make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]], clock: FakeClock
) -> None:
    sim, http = make_sim(queue_seconds=10, process_seconds=10, failure_rate=0)
    queued, processing, done = (submit(http).json()["requestId"] for _ in range(3))
    assert http.get(f"{API}/{queued}", headers=KEY).json()["status"] == "queued"
    assert http.get(f"/files/{queued}.mp4").status_code == 404  # not succeeded yet
    cancel = http.post(f"{API}/{queued}/cancel", headers=KEY)
    assert cancel.json() == {"success": True, "requestId": queued, "status": "cancelled"}

    clock.now = sim.state.find("sd2_test_key", processing).processing_at
    assert http.get(f"{API}/{processing}", headers=KEY).json()["status"] == "processing"
    assert http.post(f"{API}/{processing}/cancel", headers=KEY).json()["status"] == "cancelled"

    clock.now += 100
    assert http.get(f"{API}/{done}", headers=KEY).json()["status"] == "succeeded"
    for request_id, status in ((done, "succeeded"), (queued, "cancelled")):
        reply = http.post(f"{API}/{request_id}/cancel", headers=KEY)
        assert reply.status_code == 409
        assert reply.json()["error"] == {
            "code": "invalid_state",
            "message": f"Task {request_id} is already {status}",
        }
    assert http.get(f"{API}/{queued}", headers=KEY).json()["status"] == "cancelled"
    finals = {t["requestId"]: t["status"] for t in http.get("/_sim/tasks").json()["tasks"]}
    assert finals == {queued: "cancelled", processing: "cancelled", done: "succeeded"}


def test_failed_task_reply(
    make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]], clock: FakeClock
) -> None:
    _, http = make_sim(failure_rate=1)
    request_id = submit(http).json()["requestId"]
    clock.now += 1000
    body = http.get(f"{API}/{request_id}", headers=KEY).json()
    assert body["status"] == "failed" and body["output"] is None
    assert set(body["error"]) == {"code", "message"} and body["error"]["code"]
    assert http.get(f"/files/{request_id}.mp4").status_code == 404


# --- webhooks -----------------------------------------------------------------------------------


class WebhookReceiver:
    """A plain HTTP server that records JSON posts, answering 500 to the first ``fail_first``."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                failing = receiver.fail_first > 0
                receiver.fail_first -= failing
                if not failing:
                    receiver.bodies.append(body)
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Silent."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    yield hook
    hook.close()


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhooks, "RETRY_DELAYS", (0.05, 0.05))


def test_webhook_delivered_once_with_the_task_reply(
    make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]], clock: FakeClock, receiver: WebhookReceiver
) -> None:
    sim, http = make_sim(failure_rate=0)
    request_id = submit(http, webhookUrl=receiver.url).json()["requestId"]
    submit(http)  # no webhook for this one
    time.sleep(0.1)
    assert receiver.bodies == []  # not final yet
    clock.now += 1000
    sim.state.wake()
    until_sync(lambda: http.get("/_sim/stats").json()["webhooks_sent"] == 1)
    assert receiver.bodies[0] == http.get(f"{API}/{request_id}", headers=KEY).json()
    assert receiver.bodies[0]["status"] == "succeeded"
    time.sleep(0.1)
    assert len(receiver.bodies) == 1 and len(sim.state.webhook_attempts) == 1


def test_webhook_on_cancel_and_retry_after_failure(
    make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]], fast_retries: None
) -> None:
    hook = WebhookReceiver(fail_first=1)
    try:
        sim, http = make_sim()
        request_id = submit(http, webhookUrl=hook.url).json()["requestId"]
        http.post(f"{API}/{request_id}/cancel", headers=KEY)
        until_sync(lambda: len(sim.state.webhook_attempts) == 2)
        assert [a.status for a in sim.state.webhook_attempts] == ["failed", "delivered"]
        assert len(hook.bodies) == 1 and hook.bodies[0]["status"] == "cancelled"
    finally:
        hook.close()


def test_webhook_gives_up_after_three_attempts(
    make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]], fast_retries: None
) -> None:
    hook = WebhookReceiver(fail_first=10)
    try:
        sim, http = make_sim()
        request_id = submit(http, webhookUrl=hook.url).json()["requestId"]
        http.post(f"{API}/{request_id}/cancel", headers=KEY)
        until_sync(lambda: http.get("/_sim/stats").json()["webhooks_failed"] == 1)
        attempts = list(sim.state.webhook_attempts)
        assert [(a.attempt, a.status, a.status_code) for a in attempts] == [
            (1, "failed", 500),
            (2, "failed", 500),
            (3, "gave_up", 500),
        ]
        assert hook.fail_first == 7
    finally:
        hook.close()


# --- faults -------------------------------------------------------------------------------------


def test_down_answers_503_but_admin_and_files_still_work(
    make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]], clock: FakeClock
) -> None:
    sim, http = make_sim()
    request_id = submit(http).json()["requestId"]
    clock.now += 1000
    sim.set_faults(down=True)
    for reply in (submit(http), http.get(f"{API}/{request_id}", headers=KEY), http.post(f"{API}/x/cancel")):
        assert reply.status_code == 503 and reply.json()["error"]["code"] == "unavailable"
    assert http.get(f"/files/{request_id}.mp4").status_code == 200
    stats = http.get("/_sim/stats").json()
    assert stats["faults_injected"] == {"down": 3} and stats["tasks_created"] == 1
    sim.set_faults(down=False)
    assert http.get(f"{API}/{request_id}", headers=KEY).json()["status"] == "succeeded"


def test_server_errors_come_as_json_and_html(
    make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]],
) -> None:
    _, http = make_sim(error_rate=1)
    kinds = set()
    for _ in range(20):
        reply = submit(http)
        assert reply.status_code in (500, 502, 503)
        kinds.add(reply.headers["content-type"].split(";")[0])
    assert kinds == {"application/json", "text/html"}
    assert http.get("/_sim/stats").json()["tasks_created"] == 0


def test_rate_limit_sends_retry_after(make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]]) -> None:
    _, http = make_sim(rate_limit_rate=1, retry_after=2.5)
    reply = submit(http)
    assert reply.status_code == 429 and reply.headers["retry-after"] == "2.5"
    assert reply.json()["error"]["code"] == "rate_limited"


def test_malformed_replies(make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]]) -> None:
    sim, http = make_sim()
    request_id = submit(http).json()["requestId"]
    sim.set_faults(malformed_rate=1)
    kinds = set()
    for _ in range(20):
        reply = http.get(f"{API}/{request_id}", headers=KEY)
        assert reply.status_code == 200
        try:
            body = reply.json()
        except json.JSONDecodeError:
            kinds.add(reply.headers["content-type"].split(";")[0])
            continue
        assert "status" not in body and "requestId" not in body
        kinds.add("missing fields")
    assert kinds == {"application/json", "text/html", "missing fields"}


def test_dropped_replies_and_post_drop_still_creates_the_task(
    make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]],
) -> None:
    sim, http = make_sim(drop_rate=1)
    with pytest.raises(httpx.RemoteProtocolError):
        submit(http)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(f"{API}/req_0000000000000000", headers=KEY)
    sim.set_faults(drop_rate=0)
    stats = http.get("/_sim/stats").json()
    assert stats["tasks_created"] == 1 and stats["faults_injected"] == {"drop": 2}
    (task,) = http.get("/_sim/tasks").json()["tasks"]
    assert http.get(f"{API}/{task['requestId']}", headers=KEY).json()["status"] == "queued"


def test_latency_and_faults_endpoint(make_sim: Callable[..., tuple[SimulatorServer, httpx.Client]]) -> None:
    sim, http = make_sim()
    reply = http.post("/_sim/faults", json={"latency": 0.3})
    assert reply.status_code == 200 and reply.json()["latency"] == 0.3
    started = time.monotonic()
    assert submit(http).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert http.get("/_sim/stats").json()["submits_received"] == 1
    for bad in ({"latency": -1}, {"speed": 3}, ["latency"]):
        reply = http.post("/_sim/faults", json=bad)
        assert reply.status_code == 400 and reply.json()["error"]["code"] == "invalid_request"
    assert sim.state.config.latency == 0.3


def test_stop_is_quick_and_idempotent() -> None:
    sim = SimulatorServer(SimConfig())
    url = sim.start()
    with httpx.Client(base_url=url) as http:  # a kept-alive connection must not hold shutdown up
        assert http.get("/_sim/stats").status_code == 200
        started = time.monotonic()
        sim.stop()
        sim.stop()
        assert time.monotonic() - started < 3
    assert not sim.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/_sim/stats")


def test_serve_forever_prints_its_url_and_stops_on_sigterm() -> None:
    code = (
        "from seedance_tui.sim import SimConfig, serve_forever\n"
        "serve_forever(SimConfig(seed=1), '127.0.0.1', 0)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = re.fullmatch(r"Seedance simulator listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert url, line
        assert "sd2_" in proc.stdout.readline()
        assert httpx.get(url.group(1) + "/_sim/stats").status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()
        proc.wait()
