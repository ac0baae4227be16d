"""One line under the table while videos are saved automatically: how many, and how far along."""

from __future__ import annotations

from textual.timer import Timer
from textual.widgets import Static

from seedance_tui.service import DownloadsState, JobService


def downloads_text(state: DownloadsState) -> str:
    """``⇣ saving 2 (3 waiting) · 4.1/9.8 MB · 5 saved, 1 failed``."""
    parts = [f"⇣ saving {state.active}" + (f" ({state.queued} waiting)" if state.queued else "")]
    done = state.done_bytes / 1e6
    parts.append(f"{done:.1f}/{state.total_bytes / 1e6:.1f} MB" if state.total_bytes else f"{done:.1f} MB")
    finished = [f"{state.saved} saved"] + ([f"{state.failed} failed"] if state.failed else [])
    parts.append(", ".join(finished))
    return " · ".join(parts)


class DownloadStatus(Static):
    """Shown only while automatic downloads run; its progress is redrawn twice a second, never idle."""

    DEFAULT_CSS = "DownloadStatus { height: 1; display: none; }"

    def __init__(self, service: JobService, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.service = service
        self._timer: Timer | None = None
        self._failed_seen = 0

    def on_mount(self) -> None:
        if self.service.downloads is not None:
            self._timer = self.set_interval(0.5, self._show, pause=True)
            self.service.downloads.add_listener(self._show)
            self._show()

    def _show(self) -> None:
        downloads = self.service.downloads
        if downloads is None or self._timer is None:
            return
        state = downloads.state
        if state.failed > self._failed_seen:
            self._failed_seen = state.failed
            self.notify(
                f"Could not save a video: {state.last_error}",
                title="Automatic download",
                severity="error",
                markup=False,
            )
        self.display = state.busy
        if state.busy:
            self.update(downloads_text(state))
            self._timer.resume()
        else:
            self._timer.pause()
