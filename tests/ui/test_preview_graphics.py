"""The preview in Sixel and Kitty pictures through textual-image, and the strip of four frames (issue 14).

textual-image is imported afresh in each picture test, with stdout looking like a terminal, and
its terminal query is replaced by a spy: had its probing ``__init__`` modules run inside the app,
the spy would see it.
"""

from __future__ import annotations

import dataclasses
import io
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual._xterm_parser import XTermParser
from textual.css.scalar import Scalar
from textual.geometry import Region, Size

from seedance_tui.models import Job
from seedance_tui.service import Frame, JobService
from seedance_tui.ui.screens.detail import DetailScreen
from seedance_tui.ui.widgets import frame_image
from seedance_tui.ui.widgets.frame_preview import FramePreview
from tests.ui.helpers import wait_for
from tests.ui.test_preview_view import saved_job
from tests.ui.test_snapshots_screens import T0, Host, make_service, settings, utc

__all__ = ["make_service", "utc"]


class TerminalOut(io.StringIO):
    """What textual-image takes for the terminal: says it is one, keeps what is written."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def fresh_textual_image(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TerminalOut, list[str]]]:
    """(the fake terminal's output, the terminal queries textual-image tried)."""
    saved = {name: module for name, module in sys.modules.items() if name.startswith("textual_image")}
    for name in saved:
        del sys.modules[name]
    frame_image.load.cache_clear()
    out = TerminalOut()
    monkeypatch.setattr(sys, "__stdout__", out)
    for name in ("TEXTUAL_CELL_WIDTH", "TEXTUAL_CELL_HEIGHT"):  # cells of 10 x 20 pixels, the default
        monkeypatch.delenv(name, raising=False)
    import textual_image._terminal as terminal

    asked: list[str] = []

    def spy(start_marker: str, *args: object, **kwargs: object) -> None:
        asked.append(start_marker)
        raise terminal.TerminalError("asked")

    monkeypatch.setattr(terminal, "capture_terminal_response", spy)
    try:
        yield out, asked
    finally:
        for name in [name for name in sys.modules if name.startswith("textual_image")]:
            del sys.modules[name]
        sys.modules.update(saved)
        frame_image.load.cache_clear()


def detail_app(service: JobService, job: Job, tmp_path: Path, graphics: str) -> Host:
    shown = dataclasses.replace(settings(tmp_path), preview_graphics=graphics)
    return Host(lambda: DetailScreen(service, shown, job.local_id, clock=lambda: T0 + 60))


async def test_a_sixel_terminal_gets_a_sixel_picture_and_is_never_asked_anything(
    tmp_path: Path,
    make_service: Callable[[Job], JobService],
    fresh_textual_image: tuple[TerminalOut, list[str]],
) -> None:
    _, asked = fresh_textual_image
    job = saved_job(tmp_path)
    app = detail_app(make_service(job), job, tmp_path, "sixel")
    async with app.run_test(size=(100, 40)) as pilot:
        preview = app.screen.query_one(FramePreview)

        def laid_out() -> bool:  # as wide as the half-block picture, as high as 16:9 needs in 10x20 cells
            drawers = preview.picture.children if preview.picture is not None else []
            return bool(drawers) and drawers[0].size == Size(48, 14)

        assert await wait_for(pilot, laid_out)
        assert preview.picture is not None
        drawer = preview.picture.children[0]
        lines = drawer.render_lines(Region(0, 0, drawer.size.width, drawer.size.height))
        drawn = "".join(segment.text for line in lines for segment in line)
        assert "\x1bP" in drawn and "#" in drawn  # a Sixel DCS with its colour registers
        assert '"1;1;480;280' in drawn  # its raster: 48 x 14 cells of 10 x 20 pixels
        assert not preview.query_one("#preview-text").display
    assert asked == []
    assert not hasattr(sys.modules["textual_image.renderable"], "Image"), "its probing __init__ ran"


async def test_kitty_gets_a_picture_in_its_graphics_protocol(
    tmp_path: Path,
    make_service: Callable[[Job], JobService],
    fresh_textual_image: tuple[TerminalOut, list[str]],
) -> None:
    out, asked = fresh_textual_image
    job = saved_job(tmp_path)
    app = detail_app(make_service(job), job, tmp_path, "kitty")
    async with app.run_test(size=(100, 40)) as pilot:
        preview = app.screen.query_one(FramePreview)
        assert await wait_for(pilot, lambda: "\x1b_G" in out.getvalue())  # the picture sent to the terminal
        assert preview.picture is not None and type(preview.picture).__name__ == "KittyImage"
        assert preview.picture.size == Size(48, 14)
        assert "a=p," in out.getvalue() and ",c=48,r=14," in out.getvalue()  # placed on 48 x 14 cells
    assert asked == []


@pytest.mark.parametrize("kind", ["sixel", "kitty"])
def test_the_picture_is_sized_in_cells_before_its_first_layout(
    kind: str, fresh_textual_image: tuple[TerminalOut, list[str]]
) -> None:
    # textual-image's own "height: auto" comes from the widget's laid-out width, 0 at its first
    # layout: the picture got 0 rows until something else laid the screen out again.
    frame = Frame(160, 90, bytes(160 * 90 * 3))
    shown = frame_image.picture(kind, frame, 48)
    assert shown.styles.width == Scalar.parse("48") and shown.styles.height == Scalar.parse("14")
    strip = frame_image.picture(kind, Frame(332, 45, bytes(332 * 45 * 3)), 96)
    assert strip.styles.height == Scalar.parse("7")  # 960 x 130 pixels: 6.5 rows of 20, rounded
    assert frame_image.rows_for(Frame(90, 160, b""), 10, (8, 16)) == 9  # portrait: 80 x 142 pixels
    assert frame_image.rows_for(Frame(400, 10, b""), 8, (10, 20)) == 1  # never none


async def test_without_textual_image_sixel_falls_back_to_half_blocks_and_says_why(
    tmp_path: Path, make_service: Callable[[Job], JobService], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "seedance_tui.ui.widgets.frame_image", None)  # import fails
    job = saved_job(tmp_path)
    app = detail_app(make_service(job), job, tmp_path, "sixel")
    async with app.run_test(size=(100, 40)) as pilot:
        preview = app.screen.query_one(FramePreview)
        assert await wait_for(pilot, lambda: preview.frame is not None and "▀" in preview.shown)
        assert "sixel needs textual-image: pip install 'seedance-tui[preview]'" in preview.shown
        assert preview.picture is None


async def test_f_shows_four_frames_of_the_simulators_mp4_cached_beside_it_and_back(
    tmp_path: Path, make_service: Callable[[Job], JobService]
) -> None:
    job = saved_job(tmp_path)
    app = detail_app(make_service(job), job, tmp_path, "halfblock")
    async with app.run_test(size=(100, 40)) as pilot:
        preview = app.screen.query_one(FramePreview)
        assert await wait_for(pilot, lambda: preview.frame is not None)
        first = preview.frame
        await pilot.press("f")
        assert str(app.screen.query_one("#preview-label").render()) == "Frames at 0, 25, 50, 75 %"
        assert await wait_for(pilot, lambda: preview.frame is not None and preview.frame.width > 300)
        rows = preview.shown.split("\n")
        assert len(rows) >= 4 and len(rows[0]) > 48  # the strip uses the pane's width
        assert (tmp_path / "dl" / ".clip.mp4.strip.ppm").exists()
        await pilot.press("f")
        assert await wait_for(pilot, lambda: preview.frame == first)
        assert str(app.screen.query_one("#preview-label").render()) == "First frame"


def keys_for(reply: str) -> list[str]:
    parser = XTermParser()
    return [getattr(event, "key", type(event).__name__) for event in [*parser.feed(reply), *parser.feed("")]]


def test_why_the_sixel_question_is_decrqm_textual_drops_its_answer_but_types_the_others() -> None:
    # The answer to the question asked before start-up, should it come late, is dropped...
    assert keys_for("\x1b[?80;2$y") == []
    # ...while a late Device Attributes or Kitty answer would reach the app as key presses.
    assert "question_mark" in keys_for("\x1b[?62;4;22c")
    assert {"G", "O", "K"} <= set(keys_for("\x1b_Gi=31;OK\x1b\\"))


def test_strip_snapshot(snap_compare: Any, tmp_path: Path, make_service: Any) -> None:
    job = saved_job(Path(tempfile.gettempdir()) / "seedance-strip-snapshot")
    app = detail_app(make_service(job), job, tmp_path, "halfblock")

    async def shown(pilot: Any) -> None:
        preview = pilot.app.screen.query_one(FramePreview)
        await pilot.press("f")
        assert await wait_for(pilot, lambda: preview.frame is not None and preview.frame.width > 300)
        pilot.app.screen.query_one("#preview-label").scroll_visible(animate=False, top=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=shown)
