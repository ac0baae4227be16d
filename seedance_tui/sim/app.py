"""The simulated Seedance API as a Starlette app: the three API routes, files, and admin routes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from seedance_tui.models import API_PREFIX
from seedance_tui.serving import MAX_BODY_BYTES, read_capped_body
from seedance_tui.sim.auth import KeyVerdict, bearer_key, judge_key
from seedance_tui.sim.config import FAULT_FIELDS, SimConfig
from seedance_tui.sim.faults import fault_after, fault_before
from seedance_tui.sim.replies import error_reply, ok_reply
from seedance_tui.sim.state import Clock, SimState, TaskAlreadyFinal, TaskNotFound
from seedance_tui.sim.validation import InvalidSubmission, parse_submission
from seedance_tui.sim.video import make_mp4
from seedance_tui.sim.webhooks import WebhookDispatcher

Action = Callable[[Request, SimState, str], Awaitable[Response]]


def create_app(config: SimConfig, *, clock: Clock | None = None) -> Starlette:
    """Build the simulator; ``app.state.sim`` is its SimState. Webhooks run only under a lifespan."""
    state = SimState(config, clock or time.monotonic)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        dispatcher = WebhookDispatcher(state)
        await dispatcher.start()
        try:
            yield
        finally:
            await dispatcher.stop()

    routes = [
        Route(API_PREFIX, _submit, methods=["POST"]),
        Route(API_PREFIX + "/{request_id}", _get_task, methods=["GET"]),
        Route(API_PREFIX + "/{request_id}/cancel", _cancel, methods=["POST"]),
        Route("/files/{request_id}.mp4", _video_file, methods=["GET"]),
        Route("/_sim/stats", _stats, methods=["GET"]),
        Route("/_sim/tasks", _tasks, methods=["GET"]),
        Route("/_sim/faults", _faults, methods=["GET", "POST"]),
    ]
    handlers = {HTTPException: _http_error, Exception: _crash}
    # Starlette types handlers as taking any Exception; it calls each with the class it is keyed by.
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)  # type: ignore[arg-type]
    app.state.sim = state
    return app


def _state(request: Request) -> SimState:
    state: SimState = request.app.state.sim
    return state


async def _api_call(request: Request, counter: str, action: Action) -> Response:
    """Common path of the three API routes: count, faults, auth, ``action``, then latency.

    Latency comes after the action so that a client timing out has still had its effect:
    the case the client must report as "sent, outcome unknown".
    """
    state = _state(request)
    state.count(counter)
    early = fault_before(state)
    if early is not None:
        return early
    key = bearer_key(request.headers.get("authorization"))
    verdict = judge_key(key, state.config.api_keys)
    if verdict is KeyVerdict.REVOKED:
        reply: Response = error_reply(403, "forbidden", "This API key has been revoked")
    elif verdict is not KeyVerdict.VALID or key is None:
        reply = error_reply(401, "unauthorized", "Missing or invalid API key")
    else:
        reply = await action(request, state, key)
    latency = state.config.latency
    if latency > 0:
        await asyncio.sleep(latency)
    return fault_after(state, reply)


async def _submit(request: Request) -> Response:
    return await _api_call(request, "submits_received", _do_submit)


async def _do_submit(request: Request, state: SimState, key: str) -> Response:
    body = await read_capped_body(request)
    if body is None:
        return error_reply(400, "invalid_request", f"body: must be at most {MAX_BODY_BYTES} bytes")
    try:
        generation = parse_submission(body)
    except InvalidSubmission as exc:
        return error_reply(400, "invalid_request", str(exc))
    task = state.submit(key, generation, str(request.base_url))
    return ok_reply(
        {
            "success": True,
            "requestId": task.request_id,
            "status": "queued",
            "creditsCharged": task.credits_charged,
        }
    )


async def _get_task(request: Request) -> Response:
    return await _api_call(request, "gets", _do_get)


async def _do_get(request: Request, state: SimState, key: str) -> Response:
    request_id = request.path_params["request_id"]
    try:
        task = state.find(key, request_id)
    except TaskNotFound:
        return _not_found(request_id)
    return ok_reply(state.reply(task))


async def _cancel(request: Request) -> Response:
    return await _api_call(request, "cancels", _do_cancel)


async def _do_cancel(request: Request, state: SimState, key: str) -> Response:
    request_id = request.path_params["request_id"]
    try:
        task = state.cancel(key, request_id)
    except TaskNotFound:
        return _not_found(request_id)
    except TaskAlreadyFinal as exc:
        return error_reply(409, "invalid_state", str(exc))
    return ok_reply({"success": True, "requestId": task.request_id, "status": "cancelled"})


def _not_found(request_id: str) -> Response:
    return error_reply(404, "not_found", f"Task {request_id} not found")


async def _video_file(request: Request) -> Response:
    request_id = request.path_params["request_id"]
    task = _state(request).succeeded_task(request_id)
    if task is None:
        return error_reply(404, "not_found", f"No video for {request_id}")
    # A real MP4 of the asked shape and length, as the real API would deliver.
    video = make_mp4(str(task.payload["aspectRatio"]), int(task.payload["duration"]))
    if (delay := _state(request).config.file_latency) > 0:
        await asyncio.sleep(delay)
    return Response(video, media_type="video/mp4")


async def _stats(request: Request) -> Response:
    return JSONResponse(_state(request).stats())


async def _tasks(request: Request) -> Response:
    return JSONResponse({"tasks": _state(request).tasks()})


async def _faults(request: Request) -> Response:
    """GET shows the fault fields; POST a JSON object of fault fields to change them."""
    state = _state(request)
    if request.method == "POST":
        try:
            body = await read_capped_body(request)
            changes = json.loads(body) if body is not None else None
            if not isinstance(changes, dict):
                raise ValueError("body: must be a JSON object of fault fields")
            state.set_faults(**changes)
        except (ValueError, RecursionError) as exc:
            return error_reply(400, "invalid_request", str(exc))
    config = state.config
    return JSONResponse({name: getattr(config, name) for name in sorted(FAULT_FIELDS)})


async def _http_error(_request: Request, exc: HTTPException) -> Response:
    """Unknown paths and wrong methods answer in the API's error shape too."""
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
    return error_reply(exc.status_code, code, exc.detail, dict(exc.headers or {}))


async def _crash(_request: Request, _exc: Exception) -> Response:
    """A bug in the simulator still answers in the API's shape."""
    return error_reply(500, "internal_error", "The simulator failed on this request")
