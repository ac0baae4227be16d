"""A saved video's first frame in the detail pane, drawn with upper-half blocks (two pixels a cell).

Half blocks work over SSH and inside tmux with no terminal query at all; the decoder (PyAV) is
loaded by the service the first time a preview is shown.
"""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import work
from textual.widgets import Static

from seedance_tui.models import Job
from seedance_tui.service import Frame, JobService, PreviewError, half_blocks
from seedance_tui.text import one_line

#: Largest picture drawn, in cells (48 x 13 cells = 96 x 26 pixels: a 16:9 frame at a glance).
MAX_COLUMNS = 48
MAX_ROWS = 13


def frame_text(frame: Frame, columns: int, rows: int) -> Text:
    """The frame as lines of ``▀`` whose foreground is the upper pixel and background the lower."""
    text = Text(no_wrap=True)
    for index, line in enumerate(half_blocks(frame, columns, rows)):
        if index:
            text.append("\n")
        for top, bottom in line:
            text.append("▀", Style(color=f"rgb{top}", bgcolor=f"rgb{bottom}"))
    return text


class FramePreview(Static):
    """Shows the first frame of the job's saved video, or one line saying why it cannot."""

    DEFAULT_CSS = "FramePreview { height: auto; }"

    def __init__(self, service: JobService, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.service = service
        self.video: Path | None = None
        self.frame: Frame | None = None

    def show_for(self, job: Job) -> None:
        """Preview ``job``'s saved video (decoded once, then from the cache beside it)."""
        if not job.saved_path:
            self.video = self.frame = None
            self.update("No saved video yet: press d to download it (or turn auto_download on).")
            return
        video = Path(job.saved_path)
        if video == self.video:
            return
        self.video, self.frame = video, None
        self.update("Decoding the first frame…")
        self._load(video)

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def _load(self, video: Path) -> None:
        try:
            frame = await self.service.first_frame(video)
        except PreviewError as exc:
            self.update(f"No preview: {one_line(str(exc), 200)}")
            return
        if video == self.video:
            self.frame = frame
            self.update(frame_text(frame, min(MAX_COLUMNS, max(8, self.size.width or MAX_COLUMNS)), MAX_ROWS))
