"""The strip of frames (issue 14): frames at 0, 25, 50 and 75 % of a real MP4, side by side, cached."""

from __future__ import annotations

from pathlib import Path

from seedance_tui.preview import (
    STRIP_AT,
    STRIP_FRAME_WIDTH,
    STRIP_GAP,
    frame_strip,
    read_ppm,
    strip_cache_path,
)

#: One colour per quarter of an 8 s clip: the strip must show each quarter's.
COLOURS = [(200, 0, 0), (0, 200, 0), (0, 0, 200), (220, 220, 220)]


def four_colour_clip(path: Path, fps: int = 4, seconds: int = 8) -> Path:
    """A real MP4 (MPEG-4 part 2, encoded by PyAV) whose picture changes colour each quarter."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
        for n in range(fps * seconds):
            frame = av.VideoFrame(64, 36, "rgb24")
            frame.planes[0].update(bytes(COLOURS[n * 4 // (fps * seconds)]) * 64 * 36)
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def close(got: tuple[int, int, int], want: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(got, want, strict=True))  # lossy coding


def test_the_strip_shows_each_quarter_of_the_video_and_is_cached_beside_it(tmp_path: Path) -> None:
    video = four_colour_clip(tmp_path / "clip.mp4")
    strip = frame_strip(video)
    assert len(STRIP_AT) == 4
    assert strip.width == 4 * STRIP_FRAME_WIDTH + 3 * STRIP_GAP and strip.height == 45
    middles = [strip.pixel(n * (STRIP_FRAME_WIDTH + STRIP_GAP) + 40, 22) for n in range(4)]
    assert all(close(got, want) for got, want in zip(middles, COLOURS, strict=True)), middles
    assert strip.pixel(STRIP_FRAME_WIDTH, 22) == (0, 0, 0)  # the gap between two frames
    cached = strip_cache_path(video)
    assert read_ppm(cached.read_bytes()) == strip
    # Read back from the cache (a newer video would be decoded again).
    assert frame_strip(video) == strip
