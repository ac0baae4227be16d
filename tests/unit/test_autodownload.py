"""Automatic download against the real simulator and hostile output servers (an ASGI app)."""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from seedance_tui.api.client import SeedanceClient
from seedance_tui.autodownload import (
    AutoDownloader,
    DownloadProblem,
    describe_os_error,
    fetch_video,
    output_state,
)
from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store import JobStore
from tests.unit.test_service import REQ, on_disk, running, until

PATTERN = "{prompt_slug}-{id}.mp4"
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(200))
#: Range headers the "ranged" output route received (cleared by each test that reads it).
RANGES: list[str] = []


def succeeded_job(url: str, prompt: str = "a lighthouse") -> Job:
    job = Job.new(GenerationRequest("seedance-2.0", prompt, duration=5))
    job.request_id = f"req_{job.local_id}"
    job.output_url = url
    job.set_status(JobStatus.SUCCEEDED)
    return job


async def test_a_succeeded_job_lands_as_a_real_mp4(service: JobService, tmp_path: Path) -> None:
    folder = tmp_path / "videos" / "new"  # missing: made on demand
    service.enable_auto_download(folder, PATTERN)
    async with running(service):
        job = await service.submit(REQ)
        await until(lambda: bool(service.get(job.local_id).saved_path))  # type: ignore[union-attr]
        await service.flush()
    saved = Path(on_disk(Path(service.store.location))[job.local_id].saved_path or "")
    assert saved.parent == folder and saved.name == f"a-lighthouse-at-dusk-{job.request_id}.mp4"
    assert saved.read_bytes()[4:8] == b"ftyp"
    assert [p.name for p in folder.iterdir()] == [saved.name]  # no temporary file left


async def test_an_interrupted_download_is_done_again_at_the_next_start(
    sim: SimulatorServer, service_factory: Callable[..., JobService], tmp_path: Path
) -> None:
    folder = tmp_path / "dl"
    first = service_factory(sim.url)
    async with running(first):
        job = await first.submit(REQ)
        await until(lambda: first.get(job.local_id).status == JobStatus.SUCCEEDED)  # type: ignore[union-attr]
    first.store.close()
    # What a kill mid-download leaves: half a temporary file, no saved path, nothing under the real name.
    folder.mkdir()
    (folder / f".a-lighthouse-at-dusk-{job.request_id}.mp4.part").write_bytes(b"\x00\x00\x00\x18ftyp")
    second = service_factory(sim.url)
    second.enable_auto_download(folder, PATTERN)
    async with running(second):
        await until(lambda: bool(second.get(job.local_id).saved_path))  # type: ignore[union-attr]
    assert sorted(p.name for p in folder.iterdir()) == [f"a-lighthouse-at-dusk-{job.request_id}.mp4"]


def hostile_app(hits: dict[str, int], ranges: list[str]) -> Starlette:
    async def video(request: Request) -> Response:
        name = request.path_params["name"]
        hits[name] = hits.get(name, 0) + 1
        if name == "gone":
            return Response("gone", status_code=410)
        if name == "forbidden":
            return Response("<Error>AccessDenied</Error>", status_code=403, media_type="application/xml")
        if name == "html":
            return RedirectResponse("/login")
        if name == "empty":
            return Response(b"", media_type="video/mp4")
        if name == "text":
            return Response(b"this is not a video at all", media_type="application/octet-stream")
        if name == "short":
            return Response(MP4, headers={"Content-Length": str(len(MP4) + 100)}, media_type="video/mp4")
        if name == "ranged":  # honours Range, as storage buckets do
            ranges.append(request.headers.get("range", ""))
            start = int(request.headers.get("range", "bytes=0-")[6:].rstrip("-") or 0)
            if start >= len(MP4):
                return Response(b"", status_code=416)
            if start:
                headers = {"Content-Range": f"bytes {start}-{len(MP4) - 1}/{len(MP4)}"}
                return Response(MP4[start:], status_code=206, headers=headers, media_type="video/mp4")
            return Response(MP4, media_type="video/mp4")
        if name == "forever":

            async def dribble() -> AsyncIterator[bytes]:
                yield MP4
                await asyncio.Event().wait()

            return StreamingResponse(dribble(), media_type="video/mp4")
        return Response(MP4, media_type="video/mp4")

    async def login(request: Request) -> Response:
        return Response("<html>please log in</html>", media_type="text/html")

    return Starlette(routes=[Route("/v/{name}", video), Route("/login", login)])


@pytest.fixture
async def hostile() -> AsyncIterator[tuple[SeedanceClient, dict[str, int]]]:
    hits: dict[str, int] = {}
    transport = httpx.ASGITransport(app=hostile_app(hits, RANGES))
    client = SeedanceClient("http://out", "sd2_x", transport=transport)
    yield client, hits
    await client.aclose()


async def download_all(client: SeedanceClient, folder: Path, jobs: list[Job], **options: object) -> list[Job]:
    changed: list[Job] = []
    downloader = AutoDownloader(
        client,
        folder,
        PATTERN,
        changed.append,
        retry_delays=(0.01, 0.01),
        **options,  # type: ignore[arg-type]
    )
    task = asyncio.create_task(downloader.run())
    downloader.offer(jobs)
    await until(lambda: len(changed) >= len(jobs))
    assert not downloader.state.busy
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return changed


@pytest.mark.parametrize(
    ("name", "expired", "attempts", "message"),
    [
        ("gone", True, 1, "expired (HTTP 410)"),
        ("forbidden", True, 1, "expired (HTTP 403)"),
        ("missing-file", False, 1, None),
        ("html", False, 1, "returned a text/html page, not a video"),
        ("empty", False, 3, "empty file"),
        ("text", False, 1, "did not return a video file"),
        ("short", False, 3, "Got 212 of 312 bytes"),
    ],
)
async def test_bad_outputs_give_a_clear_reason_and_leave_no_file(
    hostile: tuple[SeedanceClient, dict[str, int]],
    tmp_path: Path,
    name: str,
    expired: bool,
    attempts: int,
    message: str | None,
) -> None:
    client, hits = hostile
    job = succeeded_job(f"http://out/v/{name}")
    [changed] = await download_all(client, tmp_path, [job])
    if message is None:  # the control: a good video
        assert changed.saved_path and Path(changed.saved_path).read_bytes() == MP4
        return
    assert changed.saved_path is None and changed.output_expired is expired
    assert changed.download_error is not None and message in changed.download_error
    assert hits[name] == attempts  # an expired link is not tried again and again
    assert list(tmp_path.iterdir()) == []


async def test_a_never_ending_download_is_abandoned(
    hostile: tuple[SeedanceClient, dict[str, int]], tmp_path: Path
) -> None:
    client, _ = hostile
    [changed] = await download_all(
        client, tmp_path, [succeeded_job("http://out/v/forever")], total_timeout=0.3
    )
    assert changed.download_error is not None and "did not finish within" in changed.download_error
    assert list(tmp_path.iterdir()) == []


async def test_too_big_is_refused(hostile: tuple[SeedanceClient, dict[str, int]], tmp_path: Path) -> None:
    client, _ = hostile
    with pytest.raises(DownloadProblem, match="too big"):
        await fetch_video(client, "http://out/v/ok", tmp_path / "x.part", max_bytes=100)


async def test_an_existing_file_is_never_overwritten(
    hostile: tuple[SeedanceClient, dict[str, int]], tmp_path: Path
) -> None:
    client, _ = hostile
    job = succeeded_job("http://out/v/ok", prompt="same")
    mine = tmp_path / f"same-{job.request_id}.mp4"
    mine.write_bytes(b"my own file")
    [changed] = await download_all(client, tmp_path, [job])
    assert mine.read_bytes() == b"my own file"
    assert changed.saved_path == str(tmp_path / f"same-{job.request_id}-1.mp4")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
async def test_a_read_only_folder_is_reported(
    hostile: tuple[SeedanceClient, dict[str, int]], tmp_path: Path
) -> None:
    client, _ = hostile
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        [changed] = await download_all(client, folder, [succeeded_job("http://out/v/ok")])
    finally:
        folder.chmod(0o700)
    assert changed.download_error is not None and f"Cannot write to {folder}" in changed.download_error


def test_output_state_flags_old_unsaved_videos() -> None:
    job = succeeded_job("http://x/v.mp4")
    assert job.finished_at is not None
    assert output_state(job, job.finished_at + 3600, unsaved_after=12 * 3600) is None
    assert output_state(job, job.finished_at + 13 * 3600, unsaved_after=12 * 3600) == "unsaved"
    job.output_expired = True
    assert output_state(job, job.finished_at, unsaved_after=12 * 3600) == "expired"
    job.saved_path = "/x.mp4"
    assert output_state(job, job.finished_at, unsaved_after=12 * 3600) == "saved"


def test_store_keeps_the_new_fields(tmp_path: Path) -> None:
    job = succeeded_job("http://x/v.mp4")
    job.saved_path, job.output_expired, job.download_error = "/a.mp4", True, "gone"
    with JobStore.open(tmp_path / "j.json") as store:
        store.add(job)
        store.flush()
    with JobStore.open(tmp_path / "j.json") as store:
        again = store.get(job.local_id)
    assert again is not None and (again.saved_path, again.output_expired, again.download_error) == (
        "/a.mp4",
        True,
        "gone",
    )


async def test_a_folder_that_cannot_be_made_is_reported(
    hostile: tuple[SeedanceClient, dict[str, int]], tmp_path: Path
) -> None:
    client, _ = hostile
    (tmp_path / "a-file").write_text("x")
    folder = tmp_path / "a-file" / "videos"
    [changed] = await download_all(client, folder, [succeeded_job("http://out/v/ok")])
    assert changed.download_error == f"Cannot save into {folder}: Not a directory"


def test_a_full_disk_is_named() -> None:
    error = OSError(errno.ENOSPC, "No space left on device")
    assert describe_os_error(error, Path("/v")) == "The disk holding /v is full"


async def test_at_start_only_recent_videos_are_fetched(
    hostile: tuple[SeedanceClient, dict[str, int]], tmp_path: Path
) -> None:
    client, hits = hostile
    recent, old = succeeded_job("http://out/v/recent"), succeeded_job("http://out/v/old")
    old.finished_at = recent.finished_at - 13 * 3600  # type: ignore[operator]
    changed: list[Job] = []
    downloader = AutoDownloader(client, tmp_path, PATTERN, changed.append, catch_up_age=12 * 3600)
    task = asyncio.create_task(downloader.run())
    downloader.catch_up([recent, old], recent.finished_at or 0)
    await until(lambda: len(changed) == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert changed == [recent] and "old" not in hits


@pytest.mark.parametrize(
    ("left", "asked"),
    [
        (MP4[:100], ["bytes=100-"]),  # a kill mid-download: continued from byte 100
        (MP4, ["bytes=212-", ""]),  # complete but not renamed: 416, then from the start
        (b"garbage that is not a video", [""]),  # not worth continuing: from the start
    ],
    ids=["half", "whole", "garbage"],
)
async def test_an_interrupted_download_continues_where_it_stopped(
    hostile: tuple[SeedanceClient, dict[str, int]], tmp_path: Path, left: bytes, asked: list[str]
) -> None:
    client, _ = hostile
    RANGES.clear()
    job = succeeded_job("http://out/v/ranged", prompt="resume me")
    (tmp_path / f".resume-me-{job.request_id}.mp4.part").write_bytes(left)
    [changed] = await download_all(client, tmp_path, [job])
    assert changed.saved_path and Path(changed.saved_path).read_bytes() == MP4
    assert asked == RANGES
    assert [p.name for p in tmp_path.iterdir()] == [f"resume-me-{job.request_id}.mp4"]
