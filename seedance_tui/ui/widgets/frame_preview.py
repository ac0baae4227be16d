"""A saved video's first frame (or a strip of four frames) in the detail pane.

Drawn with upper-half blocks (two pixels a cell) unless the terminal was found to show Sixel or
Kitty pictures before start-up (``preview_graphics``, see seedance_tui.terminal_graphics): half
blocks work over SSH and inside tmux with no terminal query at all. The decoder (PyAV) is loaded
by the service, and textual-image by ``frame_image``, the first time a preview is shown.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from seedance_tui.models import Job
from seedance_tui.service import Frame, JobService, PreviewError, half_blocks
from seedance_tui.text import one_line

#: Largest picture drawn, in cells (48 x 13 cells = 96 x 26 pixels: a 16:9 frame at a glance; the
#: strip of four may be twice as wide).
MAX_COLUMNS = 48
MAX_ROWS = 13
#: The protocols drawn by textual-image; anything else is half blocks.
PICTURE_KINDS = ("sixel", "kitty")


def frame_text(frame: Frame, columns: int, rows: int) -> Text:
    """The frame as lines of ``▀`` whose foreground is the upper pixel and background the lower."""
    text = Text(no_wrap=True)
    for index, line in enumerate(half_blocks(frame, columns, rows)):
        if index:
            text.append("\n")
        for top, bottom in line:
            text.append("▀", Style(color=f"rgb{top}", bgcolor=f"rgb{bottom}"))
    return text


class FramePreview(Vertical):
    """Shows the first frame (or, with ``strip``, four frames) of the job's saved video, or one line
    saying why it cannot."""

    DEFAULT_CSS = """
    FramePreview { height: auto; }
    FramePreview > #preview-text { height: auto; }
    """

    def __init__(self, service: JobService, graphics: str = "halfblock", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.service = service
        #: "sixel" or "kitty" to draw real pictures; anything else draws half blocks.
        self.graphics = graphics
        #: Four frames (0, 25, 50, 75 %) side by side instead of the first one.
        self.strip = False
        self.video: Path | None = None
        self.frame: Frame | None = None
        #: The textual-image widget showing the frame, when one does.
        self.picture: Widget | None = None
        self._shown_key: tuple[Path, bool] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="preview-text", markup=False)

    @property
    def shown(self) -> str:
        """The text line (or half-block picture) on show, as plain text."""
        return str(self.query_one("#preview-text", Static).render())

    def _say(self, message: str | Text) -> None:
        self._drop_picture()
        self.query_one("#preview-text", Static).update(message)

    def show_for(self, job: Job) -> None:
        """Preview ``job``'s saved video (decoded once, then from the cache beside it)."""
        if not job.saved_path:
            self.video = self.frame = None
            self._shown_key = None
            self._say("No saved video yet: press d to download it (or turn auto_download on).")
            return
        video = Path(job.saved_path)
        if (video, self.strip) == self._shown_key:
            return
        self.video, self.frame, self._shown_key = video, None, (video, self.strip)
        self._say("Decoding four frames…" if self.strip else "Decoding the first frame…")
        self._load(video, self.strip)

    def toggle_strip(self, job: Job) -> None:
        """Switch between the first frame and the strip of four, and show it for ``job``."""
        self.strip = not self.strip
        self.show_for(job)

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def _load(self, video: Path, strip: bool) -> None:
        try:
            frame = await self.service.first_frame(video, strip=strip)
        except PreviewError as exc:
            self._say(f"No preview: {one_line(str(exc), 200)}")
            return
        if (video, strip) == self._shown_key:
            self.frame = frame
            await self._draw(frame)

    async def _draw(self, frame: Frame) -> None:
        width = self.size.width or MAX_COLUMNS
        columns = max(8, min(2 * MAX_COLUMNS if self.strip else MAX_COLUMNS, width))
        note = ""
        if self.graphics in PICTURE_KINDS:
            try:
                shown = await self._picture(frame, columns)
            except ImportError:
                note = f"\n{self.graphics} needs textual-image: pip install 'seedance-tui[preview]'"
            except Exception as exc:  # a third-party drawer failing must not cost the preview
                note = f"\nNo {self.graphics} picture ({type(exc).__name__}): drawn in half blocks"
            else:
                self._drop_picture()
                self.query_one("#preview-text", Static).display = False
                self.picture = shown
                await self.mount(shown)
                return
        text = frame_text(frame, columns, MAX_ROWS)
        self._say(text.append(note) if note else text)

    async def _picture(self, frame: Frame, columns: int) -> Widget:
        def load() -> None:  # textual-image and Pillow: imported off the event loop, once
            from seedance_tui.ui.widgets import frame_image

            frame_image.load(self.graphics)

        await asyncio.to_thread(load)
        from seedance_tui.ui.widgets.frame_image import picture

        return picture(self.graphics, frame, columns)

    def _drop_picture(self) -> None:
        self.query_one("#preview-text", Static).display = True
        if self.picture is not None:
            self.picture.remove()
            self.picture = None
