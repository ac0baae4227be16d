"""The simulator serves a real MP4 of the asked aspect ratio and duration, made locally."""

from __future__ import annotations

import struct
import time

import httpx
import pytest

from seedance_tui.sim.app import API_PREFIX
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.sim.video import FRAME_SIZES, make_mp4
from tests.conftest import API_KEY


def boxes(data: bytes, start: int = 0, end: int | None = None) -> dict[bytes, bytes]:
    """Top-level MP4 boxes of ``data[start:end]`` by type (payload only)."""
    found, offset, end = {}, start, len(data) if end is None else end
    while offset < end:
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        found[kind] = data[offset + 8 : offset + size]
        offset += size
    return found


def shape_and_seconds(mp4: bytes) -> tuple[int, int, float]:
    moov = boxes(mp4)[b"moov"]
    mvhd = boxes(moov)[b"mvhd"]
    timescale, duration = struct.unpack(">II", mvhd[12:20])
    tkhd = boxes(boxes(moov)[b"trak"])[b"tkhd"]
    width, height = struct.unpack(">II", tkhd[-8:])
    return width >> 16, height >> 16, duration / timescale


@pytest.mark.parametrize(("aspect", "seconds"), [("16:9", 5), ("9:16", 12), ("1:1", 4)])
def test_clips_have_the_asked_shape_and_length(aspect: str, seconds: int) -> None:
    width, height, length = shape_and_seconds(make_mp4(aspect, seconds))
    assert (width, height) == FRAME_SIZES[aspect] and length == seconds
    assert len(make_mp4(aspect, seconds)) < 20_000


def test_the_download_matches_the_request(sim: SimulatorServer) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    body = {"model": "seedance-2.0", "prompt": "a tall tower", "aspectRatio": "9:16", "duration": 12}
    request_id = httpx.post(f"{sim.url}{API_PREFIX}", json=body, headers=headers).json()["requestId"]
    deadline = time.monotonic() + 20
    while True:
        task = httpx.get(f"{sim.url}{API_PREFIX}/{request_id}", headers=headers).json()
        if task["status"] == "succeeded" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    video = httpx.get(task["output"]["url"])
    assert video.headers["content-type"] == "video/mp4"
    width, height, length = shape_and_seconds(video.content)
    assert height > width and length == 12
