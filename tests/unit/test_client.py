"""The API client over real HTTP against the simulator: every endpoint, every error class."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from seedance_tui.api.client import SeedanceClient, environment_proxy
from seedance_tui.api.errors import (
    AuthError,
    InvalidState,
    MalformedReply,
    NetworkError,
    NotFound,
    NotSent,
    OutcomeUnknown,
    RateLimited,
    RequestRejected,
    ServerError,
)
from seedance_tui.models import GenerationRequest, ValidationError
from seedance_tui.sim.server import SimulatorServer

KEY = "sd2_demo_key"
REQ = GenerationRequest("seedance-2.0", "A river flowing through an autumn forest", "16:9", 5, "720p")


def stats(sim: SimulatorServer) -> dict[str, Any]:
    return httpx.get(f"{sim.url}/_sim/stats").json()


async def wait_for_status(
    client: SeedanceClient, request_id: str, wanted: set[str], limit: float = 10.0
) -> str:
    import asyncio

    for _ in range(int(limit / 0.05)):
        status = (await client.get(request_id)).status
        if status in wanted:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"{request_id} never reached {wanted}")


async def test_submit_get_and_succeed(client: SeedanceClient) -> None:
    reply = await client.submit(REQ)
    assert reply.request_id.startswith("req_") and reply.status == "queued"
    assert reply.credits_charged == 40  # the contract's example: seedance-2.0, 5 s, 720p
    task = await client.get(reply.request_id)
    assert task.request_id == reply.request_id
    assert (task.model, task.prompt, task.duration, task.aspect_ratio) == (
        "seedance-2.0",
        REQ.prompt,
        5,
        "16:9",
    )
    assert await wait_for_status(client, reply.request_id, {"succeeded"}) == "succeeded"
    done = await client.get(reply.request_id)
    assert done.output_url and done.output_url.endswith(".mp4") and done.error_code is None


async def test_failed_task_carries_its_error(sim_factory: Callable[..., SimulatorServer]) -> None:
    sim = sim_factory(failure_rate=1.0)
    async with SeedanceClient(sim.url, KEY) as client:
        reply = await client.submit(REQ)
        assert await wait_for_status(client, reply.request_id, {"failed"}) == "failed"
        task = await client.get(reply.request_id)
        assert task.error_code and task.error_message and task.output_url is None


async def test_cancel_queued_then_cancel_again_is_invalid_state(
    sim_factory: Callable[..., SimulatorServer],
) -> None:
    sim = sim_factory(queue_seconds=30.0)
    async with SeedanceClient(sim.url, KEY) as client:
        reply = await client.submit(REQ)
        cancelled = await client.cancel(reply.request_id)
        assert (cancelled.request_id, cancelled.status) == (reply.request_id, "cancelled")
        assert (await client.get(reply.request_id)).status == "cancelled"
        with pytest.raises(InvalidState) as info:
            await client.cancel(reply.request_id)
        assert info.value.status_code == 409 and "cancelled" in info.value.message


async def test_validation_happens_before_sending(sim: SimulatorServer, client: SeedanceClient) -> None:
    with pytest.raises(ValidationError) as info:
        await client.submit(GenerationRequest("seedance-1.5-pro", "p", duration=7))
    assert [e.field for e in info.value.errors] == ["duration"]
    assert stats(sim)["submits_received"] == 0


async def test_server_side_rejection_is_request_rejected(sim: SimulatorServer) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as raw:
        response = await raw.post(
            "/api/open/v1/video/generations",
            json={"model": "seedance-2.0", "prompt": "p", "duration": 99},
            headers={"Authorization": f"Bearer {KEY}"},
        )
    assert response.status_code == 400
    # The client maps the same reply to RequestRejected with the server's message.
    async with SeedanceClient(sim.url, KEY, transport=_replay(response)) as client:
        with pytest.raises(RequestRejected, match="duration"):
            await client.get("req_x")


@pytest.mark.parametrize(("key", "status"), [("not-a-key", 401), ("sd2_revoked_key", 403)])
async def test_rejected_keys_raise_auth_error(sim: SimulatorServer, key: str, status: int) -> None:
    async with SeedanceClient(sim.url, key) as client:
        with pytest.raises(AuthError) as info:
            await client.submit(REQ)
    assert info.value.status_code == status and "key was rejected" in info.value.message


async def test_each_key_sees_only_its_own_tasks(sim: SimulatorServer, client: SeedanceClient) -> None:
    reply = await client.submit(REQ)
    async with SeedanceClient(sim.url, "sd2_other_key") as other:
        with pytest.raises(NotFound):
            await other.get(reply.request_id)
        with pytest.raises(NotFound):
            await other.cancel(reply.request_id)


async def test_unknown_id_is_not_found(client: SeedanceClient) -> None:
    with pytest.raises(NotFound):
        await client.get("req_doesnotexist")
    with pytest.raises(NotFound):
        await client.get("../etc")


async def test_rate_limit_carries_retry_after(sim_factory: Callable[..., SimulatorServer]) -> None:
    sim = sim_factory(rate_limit_rate=1.0, retry_after=7)
    async with SeedanceClient(sim.url, KEY) as client:
        with pytest.raises(RateLimited) as info:
            await client.get("req_any")
    assert info.value.retry_after == 7.0


async def test_server_errors(sim_factory: Callable[..., SimulatorServer]) -> None:
    sim = sim_factory(error_rate=1.0)
    async with SeedanceClient(sim.url, KEY) as client:
        for _ in range(6):  # both JSON and HTML bodies come up
            with pytest.raises(ServerError) as info:
                await client.get("req_any")
            assert info.value.status_code is not None and info.value.status_code >= 500
            assert "<html" not in info.value.message.lower() or len(info.value.message) < 700


async def test_down_api_is_a_server_error(sim_factory: Callable[..., SimulatorServer]) -> None:
    sim = sim_factory(down=True)
    async with SeedanceClient(sim.url, KEY) as client:
        with pytest.raises(ServerError) as info:
            await client.submit(REQ)
    assert info.value.status_code == 503


async def test_malformed_replies(sim_factory: Callable[..., SimulatorServer]) -> None:
    sim = sim_factory()
    async with SeedanceClient(sim.url, KEY) as client:
        request_id = (await client.submit(REQ)).request_id
        sim.set_faults(malformed_rate=1.0)
        for _ in range(8):  # truncated JSON, HTML and missing fields all come up
            with pytest.raises(MalformedReply):
                await client.get(request_id)


async def test_dropped_connection_after_submit_is_outcome_unknown(
    sim_factory: Callable[..., SimulatorServer],
) -> None:
    sim = sim_factory(drop_rate=1.0)
    async with SeedanceClient(sim.url, KEY) as client:
        with pytest.raises(OutcomeUnknown) as info:
            await client.submit(REQ)
    assert isinstance(info.value, NetworkError) and not isinstance(info.value, NotSent)
    counts = stats(sim)
    # The task exists although the client could not learn its id: why this is never re-sent.
    assert counts["submits_received"] == 1 and counts["tasks_created"] == 1


async def test_read_timeout_is_outcome_unknown(sim_factory: Callable[..., SimulatorServer]) -> None:
    sim = sim_factory(latency=1.0)
    async with SeedanceClient(sim.url, KEY, timeout=httpx.Timeout(0.2)) as client:
        with pytest.raises(OutcomeUnknown, match="outcome is unknown"):
            await client.submit(REQ)


async def test_connection_refused_is_never_sent() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: nothing listens there
    async with SeedanceClient(f"http://127.0.0.1:{port}", KEY) as client:
        with pytest.raises(NotSent, match="never sent") as info:
            await client.submit(REQ)
    assert isinstance(info.value, NetworkError)


async def test_key_is_sent_as_bearer_and_optional_fields_are_omitted() -> None:
    seen: list[Request] = []
    bodies: list[bytes] = []

    async def capture(request: Request) -> Response:
        seen.append(request)
        bodies.append(await request.body())
        return JSONResponse({"success": True, "requestId": "req_1", "status": "queued", "creditsCharged": 40})

    app = Starlette(routes=[Route("/api/open/v1/video/generations", capture, methods=["POST"])])
    async with SeedanceClient("http://api.test", KEY, transport=httpx.ASGITransport(app=app)) as client:
        await client.submit(GenerationRequest("seedance-2.0", "p"))
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert bodies[0] == b'{"model":"seedance-2.0","prompt":"p"}'


def _replay(response: httpx.Response) -> httpx.MockTransport:
    """Serve one recorded reply again (its status, headers and bytes) for every request."""

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(response.status_code, headers=response.headers, content=response.content)

    return httpx.MockTransport(handler)


def _client_for(response: Response) -> SeedanceClient:
    async def reply(_: Request) -> Response:
        return response

    app = Starlette(routes=[Route("/{path:path}", reply, methods=["GET", "POST"])])
    return SeedanceClient("http://api.test", KEY, transport=httpx.ASGITransport(app=app))


@pytest.mark.parametrize(
    ("response", "error", "text"),
    [
        (JSONResponse({"success": False, "error": {"code": "bad", "message": "Prompt too long"}}, 400),
         RequestRejected, "Prompt too long"),
        (JSONResponse({"detail": "unprocessable things"}, 422), RequestRejected, "unprocessable things"),
        (JSONResponse({"message": "slow down"}, 429, headers={"Retry-After": "3"}), RateLimited, "slow down"),
        (PlainTextResponse("Bad Gateway from nginx", 502), ServerError, "Bad Gateway from nginx"),
        (JSONResponse(["a", "list"], 418), RequestRejected, "list"),
        (JSONResponse({"success": False, "error": {"code": "invalid_state", "message": "done"}}, 400),
         InvalidState, "done"),
        (JSONResponse({"success": False, "error": "plain string error"}, 200), RequestRejected, "plain string"),
        (PlainTextResponse("", 500), ServerError, "empty body"),
    ],
)  # fmt: skip
async def test_undocumented_error_bodies_give_the_best_message(
    response: Response, error: type, text: str
) -> None:
    async with _client_for(response) as client:
        with pytest.raises(error, match=text):
            await client.get("req_1")


async def test_unknown_fields_are_kept() -> None:
    body = {"success": True, "requestId": "req_1", "status": "processing", "eta": 12, "output": None}
    async with _client_for(JSONResponse(body)) as client:
        task = await client.get("req_1")
    assert task.status == "processing" and task.extra == {"eta": 12}


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"success": true, "requestId": "req_1"', b"<html><body>oops</body></html>", b"[]",
     b'{"success": true, "status": "queued"}'],
)  # fmt: skip
async def test_malformed_success_replies(body: bytes) -> None:
    async with _client_for(Response(body, 200, media_type="application/json")) as client:
        with pytest.raises(MalformedReply):
            await client.get("req_1")


async def test_download_streams_a_real_video_without_the_key(client: SeedanceClient, tmp_path: Any) -> None:
    reply = await client.submit(REQ)
    await wait_for_status(client, reply.request_id, {"succeeded"})
    url = (await client.get(reply.request_id)).output_url
    assert url
    progress: list[tuple[int, int | None]] = []
    chunks: list[bytes] = []

    async def write(chunk: bytes) -> None:
        chunks.append(chunk)

    written = await client.download(url, write, on_progress=lambda d, t: progress.append((d, t)))
    data = b"".join(chunks)
    assert written == len(data) > 1000 and data[4:8] == b"ftyp"
    assert progress[-1] == (written, written)


async def test_download_follows_redirects_and_refuses_error_pages() -> None:
    async def redirect(_: Request) -> Response:
        return Response(status_code=302, headers={"Location": "http://cdn.test/real.mp4"})

    async def video(request: Request) -> Response:
        assert "authorization" not in request.headers  # the key never goes to the storage host
        return Response(b"\x00\x00\x00\x18ftypmp42", media_type="video/mp4")

    async def missing(_: Request) -> Response:
        return PlainTextResponse("<html>gone</html>", 404)

    app = Starlette(
        routes=[
            Route("/moved.mp4", redirect),
            Route("/real.mp4", video),
            Route("/gone.mp4", missing),
        ]
    )
    chunks: list[bytes] = []

    async def write(chunk: bytes) -> None:
        chunks.append(chunk)

    async with SeedanceClient("http://api.test", KEY, transport=httpx.ASGITransport(app=app)) as client:
        await client.download("http://cdn.test/moved.mp4", write)
        assert b"".join(chunks)[4:8] == b"ftyp"
        with pytest.raises(NotFound):
            await client.download("http://cdn.test/gone.mp4", write)


async def test_submit_reply_needs_only_a_request_id() -> None:
    async with _client_for(JSONResponse({"success": True, "requestId": "req_9"})) as client:
        reply = await client.submit(REQ)
    assert (reply.request_id, reply.status, reply.credits_charged) == ("req_9", "queued", None)


@pytest.mark.parametrize("body", [b'{"success": true, "requestId": "r", "status": "queued", "x": NaN}'])
async def test_replies_the_store_could_not_keep_are_malformed(body: bytes) -> None:
    async with _client_for(Response(body, 200, media_type="application/json")) as client:
        with pytest.raises(MalformedReply):
            await client.get("req_1")


@pytest.mark.parametrize(
    ("env", "url", "expected"),
    [
        ({}, "https://api.example.com", None),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "https://api.example.com", "http://proxy:3128"),
        ({"HTTPS_PROXY": "http://proxy:3128"}, "http://api.example.com", None),
        ({"ALL_PROXY": "socks5://proxy:1080"}, "http://api.example.com", "socks5://proxy:1080"),
        ({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "example.com"}, "https://api.example.com", None),
    ],
)
def test_api_calls_take_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], url: str, expected: str | None
) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert environment_proxy(url) == expected
