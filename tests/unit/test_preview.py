"""First-frame previews: decoded from the simulator's real MP4, cached beside it, clear failures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from seedance_tui.preview import PreviewError, cache_path, first_frame, half_blocks, read_ppm
from seedance_tui.sim.video import make_mp4


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(make_mp4("16:9", 2))  # the simulator's own video
    return path


def test_the_first_frame_is_decoded_and_cached_beside_the_video(video: Path) -> None:
    frame = first_frame(video)
    assert (frame.width, frame.height) == (160, 90) and len(frame.rgb) == 160 * 90 * 3
    cached = cache_path(video)
    assert cached.parent == video.parent and read_ppm(cached.read_bytes()) == frame
    # Next time the cache answers (a marker colour proves the video was not decoded again).
    marked = bytearray(frame.rgb)
    marked[0:3] = b"\x01\x02\x03"
    cached.write_bytes(b"P6\n160 90\n255\n" + bytes(marked))
    assert first_frame(video).pixel(0, 0) == (1, 2, 3)
    # A newer video makes the cache stale.
    os.utime(cached, (1, 1))
    assert first_frame(video) == frame


def test_half_blocks_keep_the_aspect_ratio(video: Path) -> None:
    cells = half_blocks(first_frame(video), 48, 13)
    assert len(cells[0]) == 46 and len(cells) == 13  # 16:9 in cells that are twice as tall as wide


def test_a_file_that_is_not_a_video_says_so(tmp_path: Path) -> None:
    bogus = tmp_path / "x.mp4"
    bogus.write_bytes(b"<html>not a video</html>" * 10)
    with pytest.raises(PreviewError, match="not a video that can be decoded"):
        first_frame(bogus)
    with pytest.raises(PreviewError, match="cannot be read"):
        first_frame(tmp_path / "missing.mp4")


def test_without_the_decoder_the_message_says_how_to_install_it(
    video: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # what an install without the extra looks like
    with pytest.raises(PreviewError, match=r"No video decoder installed \(PyAV\): pip install"):
        first_frame(video)
