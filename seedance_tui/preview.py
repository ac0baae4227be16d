"""A saved video's first frame (or a strip of frames), decoded with PyAV and cached beside the video as PPM.

PyAV is an optional extra (``pip install 'seedance-tui[preview]'``): it is imported only when a
preview is first asked for, off the event loop, so start-up time and memory are unchanged
without it. Every failure is a PreviewError whose message fits on one line.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Size the frame is cached at (the API's videos are 16:9 or narrower; display scales it down).
CACHE_WIDTH = 160
CACHE_HEIGHT = 90
#: Where the strip's frames are taken, as fractions of the video's length, and each one's size.
STRIP_AT = (0.0, 0.25, 0.5, 0.75)
STRIP_FRAME_WIDTH = 80
STRIP_FRAME_HEIGHT = 45
STRIP_GAP = 4
INSTALL_HINT = "pip install 'seedance-tui[preview]'"


RGB = tuple[int, int, int]


class PreviewError(Exception):
    """No preview can be shown; the message says why in one line."""


@dataclass(frozen=True)
class Frame:
    """An RGB picture: ``width`` x ``height`` pixels, 3 bytes each, row after row."""

    width: int
    height: int
    rgb: bytes

    def pixel(self, x: int, y: int) -> RGB:
        at = (y * self.width + x) * 3
        return self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]


def cache_path(video: Path) -> Path:
    """Where the first frame of ``video`` is kept: a hidden file beside it."""
    return video.with_name(f".{video.name}.frame.ppm")


def strip_cache_path(video: Path) -> Path:
    """Where the strip of frames of ``video`` is kept: a hidden file beside it."""
    return video.with_name(f".{video.name}.strip.ppm")


def first_frame(video: Path) -> Frame:
    """The first frame of ``video``, from the cache when it is newer than the video (blocking I/O)."""
    return _cached(video, cache_path(video), decode_first_frame)


def frame_strip(video: Path) -> Frame:
    """Frames at ``STRIP_AT`` of the video's length side by side, cached like the first frame."""
    return _cached(video, strip_cache_path(video), decode_strip)


def _cached(video: Path, cache: Path, decode: Callable[[Path], Frame]) -> Frame:
    try:
        video_mtime = video.stat().st_mtime
    except OSError as exc:
        raise PreviewError(f"The saved video cannot be read: {exc.strerror}") from None
    with contextlib.suppress(OSError, ValueError):
        if cache.stat().st_mtime >= video_mtime:
            return read_ppm(cache.read_bytes())
    frame = decode(video)
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs a decode next time
        tmp = cache.with_name(cache.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(to_ppm(frame))
        os.replace(tmp, cache)
    return frame


def decode_first_frame(video: Path) -> Frame:
    """Decode the first video frame, scaled to the cache size, keeping its aspect ratio."""
    return _decode(video, (0.0,), CACHE_WIDTH, CACHE_HEIGHT)[0]


def decode_strip(video: Path) -> Frame:
    """Decode the frames at ``STRIP_AT`` of the video's length and lay them side by side."""
    return side_by_side(_decode(video, STRIP_AT, STRIP_FRAME_WIDTH, STRIP_FRAME_HEIGHT))


def _decode(video: Path, fractions: tuple[float, ...], width: int, height: int) -> list[Frame]:
    """The first frame at or after each fraction of the video's length, each scaled to fit."""
    try:
        import av
    except ImportError:
        raise PreviewError(f"No video decoder installed (PyAV): {INSTALL_HINT}") from None
    try:
        with av.open(str(video)) as container:
            if not container.streams.video:
                raise PreviewError("The saved file has no video stream")
            stream = container.streams.video[0]
            length = (container.duration or 0) / av.time_base
            frames = []
            for fraction in fractions:
                at = fraction * length
                if at > 0 and stream.time_base:
                    container.seek(int(at / stream.time_base), stream=stream, backward=True)
                decoded = next(
                    (f for f in container.decode(stream) if f.time is None or f.time >= at - 1e-3), None
                )
                if decoded is None:
                    raise PreviewError("The saved video has no frames")
                frames.append(_scaled(decoded, width, height))
            return frames
    except PreviewError:
        raise
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise PreviewError(
            f"The saved file is not a video that can be decoded ({type(exc).__name__})"
        ) from None


def side_by_side(frames: list[Frame], gap: int = STRIP_GAP) -> Frame:
    """One picture of ``frames`` in a row (all as tall as the first), ``gap`` black pixels apart."""
    height = frames[0].height
    width = sum(f.width for f in frames) + gap * (len(frames) - 1)
    black = b"\0\0\0" * gap
    rows = []
    for y in range(height):
        parts = [
            f.rgb[y * f.width * 3 : (y + 1) * f.width * 3] if y < f.height else b"\0" * f.width * 3
            for f in frames
        ]
        rows.append(black.join(parts))
    return Frame(width, height, b"".join(rows))


def _scaled(decoded: Any, box_width: int, box_height: int) -> Frame:
    scale = min(box_width / max(1, decoded.width), box_height / max(1, decoded.height))
    width = max(2, round(decoded.width * scale))
    height = max(2, round(decoded.height * scale))
    rgb = decoded.reformat(width=width, height=height, format="rgb24")
    plane = rgb.planes[0]
    data, stride = bytes(plane), plane.line_size
    rows = b"".join(data[y * stride : y * stride + width * 3] for y in range(height))
    return Frame(width, height, rows)


def to_ppm(frame: Frame) -> bytes:
    return f"P6\n{frame.width} {frame.height}\n255\n".encode() + frame.rgb


def read_ppm(data: bytes) -> Frame:
    """A frame from this module's own PPM files (ValueError if it is not one)."""
    fields = data.split(maxsplit=4)
    if len(fields) < 5 or fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError("not a cached frame")
    width, height = int(fields[1]), int(fields[2])
    rgb = fields[4]
    if len(rgb) != width * height * 3:
        raise ValueError("truncated cached frame")
    return Frame(width, height, rgb)


def half_blocks(
    frame: Frame, columns: int, rows: int
) -> list[list[tuple[tuple[int, int, int], tuple[int, int, int]]]]:
    """(top, bottom) colours per cell for an upper-half-block picture of at most ``columns`` x ``rows``.

    Each cell shows two pixels stacked, so the picture keeps its aspect ratio on cells twice as
    tall as wide. Nearest-neighbour sampling: enough for a glance at what the video shows.
    """
    scale = min(columns / frame.width, (rows * 2) / frame.height)
    width = max(1, min(columns, round(frame.width * scale)))
    height = 2 * max(1, min(rows, round(frame.height * scale / 2)))
    out = []
    for cell_y in range(height // 2):
        line = []
        for x in range(width):
            source_x = min(frame.width - 1, int(x / scale))
            top = frame.pixel(source_x, min(frame.height - 1, int(cell_y * 2 / scale)))
            bottom = frame.pixel(source_x, min(frame.height - 1, int((cell_y * 2 + 1) / scale)))
            line.append((top, bottom))
        out.append(line)
    return out
