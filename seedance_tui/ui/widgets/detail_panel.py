"""The split view's right side: the job under the table's cursor, drawn as one text block.

One Static rebuilt per cursor move (not a widget per fact, as the full-screen detail has), so
moving through 10,000 rows with the panel open costs one small redraw per step.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.content import Content
from textual.geometry import Region
from textual.timer import Timer
from textual.widget import Widget

from seedance_tui.models import Job
from seedance_tui.service import JobService, long_eta
from seedance_tui.text import printable
from seedance_tui.ui.widgets.job_facts import FACTS, download_problem, fact_values, history_text
from seedance_tui.ui.widgets.job_rows import job_age

LABEL_WIDTH = 14
#: While the cursor keeps moving (a held key), the panel redraws at most this often (seconds); the
#: row the cursor stops on is always shown. Each redraw repaints the whole panel and leaves cyclic
#: garbage behind (Textual's line strips), which at 10,000 rows made the GC's passes long frames.
FOLLOW_INTERVAL = 0.1
#: Facts left out when they have nothing to say.
_OPTIONAL = {"output-url", "saved-path", "download", "error", "last-error", "webhook-url"}


def panel_content(job: Job | None, now: float, eta: str | None) -> Content:
    """Every fact of ``job`` as label/value lines, then prompt and history (all plain data)."""
    if job is None:
        return Content("No job selected.")
    values = fact_values(job, now)
    # Minutes, not seconds, past the first minute: a live job's panel then redraws once a minute.
    values["elapsed"] = job_age(job, now)
    values["download"] = printable(download_problem(job) or "")
    lines = [Content.assemble(("Job ", "bold"), (printable(job.request_id or job.local_id), "bold"))]
    for fact_id, label in FACTS:
        value = values.get(fact_id, "—")
        if fact_id == "eta":
            if eta is None:
                continue
            value = eta
        if fact_id in _OPTIONAL and value in ("—", ""):
            continue
        text = value if isinstance(value, Content) else Content(value)
        lines.append(Content.assemble((label.ljust(LABEL_WIDTH), "dim"), text))
    prompt = job.request.prompt if isinstance(job.request.prompt, str) else ""
    lines += [
        Content(""),
        Content.styled("Prompt", "bold dim"),
        Content(printable(prompt, keep_newlines=True)),
    ]
    lines += [Content(""), Content.styled("Status history", "bold dim"), history_text(job)]
    return Content("\n").join(lines)


def changed_rows(old: Content, new: Content, width: int) -> list[int] | None:
    """The rows of the panel whose text or style differ between ``old`` and ``new``; None when the
    whole panel must be redrawn (a change at or below a line wider than ``width``: wrapped, such a
    line moves every row under it)."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    rows: list[int] = []
    for y in range(max(len(old_lines), len(new_lines))):
        before = old_lines[y] if y < len(old_lines) else None
        after = new_lines[y] if y < len(new_lines) else None
        if before is not None and after is not None and before.is_same(after):
            if before.cell_length <= width:
                continue
            # A wrapped line: the rows under it are not the lines under it.
            return rows if _all_same(old_lines[y + 1 :], new_lines[y + 1 :]) else None
        if max(line.cell_length for line in (before, after) if line is not None) > width:
            return None
        rows.append(y)
    return rows


def _all_same(old: list[Content], new: list[Content]) -> bool:
    return len(old) == len(new) and all(a.is_same(b) for a, b in zip(old, new, strict=True))


class DetailPanel(Widget, can_focus=False):
    """Shows one job beside the table; the table keeps the focus and its keys.

    A plain widget drawing one text block: a cursor move repaints only its own region, with no
    layout pass (a Static's update re-lays the screen out, which doubled the cost of a keypress at
    10,000 rows). Text past the panel's height is cut; enter opens the full detail.
    """

    def __init__(
        self, service: JobService, *, clock: Callable[[], float] = time.time, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.service = service
        self.clock = clock
        self.job: Job | None = None
        self._ticker: Timer | None = None
        self._shown: Content = Content("")
        #: The job ``_shown`` describes.
        self._shown_id: str | None = None
        self._followed_at = -FOLLOW_INTERVAL
        self._catch_up: Timer | None = None

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1.0, self.show_job, pause=True)
        self.show_job()  # the job it was made for (see MainScreen._layout_split)

    def render(self) -> Content:
        return self._shown

    def follow(self, job: Job | None) -> None:
        """Show ``job`` now (it changed, or the panel was just opened)."""
        self.job = job
        self.show_job()

    def follow_cursor(self, job: Job | None) -> None:
        """Show ``job``, the cursor's new row: at once, or with the next redraw while the cursor keeps
        moving (at most one every FOLLOW_INTERVAL, the last one always for the row it stopped on)."""
        self.job = job
        wait = self._followed_at + FOLLOW_INTERVAL - time.monotonic()
        if wait <= 0 and self._catch_up is None:
            self._followed_at = time.monotonic()
            self.show_job()
        elif self._catch_up is None:
            self._catch_up = self.set_timer(max(wait, 0.0), self._caught_up)

    def _caught_up(self) -> None:
        self._catch_up = None
        self._followed_at = time.monotonic()
        self.show_job()

    def show_job(self) -> None:
        if not self.display:
            return
        job, now = self.job, self.clock()
        estimate = self.service.estimate(job, now) if job is not None else None
        eta = long_eta(estimate) if estimate is not None else None
        content = panel_content(job, now, eta)
        # The ticker mostly finds nothing new: nothing is sent then. When the same job's text
        # changes (its elapsed time, a poll), only the changed rows are sent, not the whole panel.
        if not content.is_same(self._shown):
            same_job = job is not None and job.local_id == self._shown_id
            rows = changed_rows(self._shown, content, self.size.width) if same_job else None
            self._shown, self._shown_id = content, job.local_id if job is not None else None
            if rows is None:
                self.refresh()
            for y in rows or ():
                self.refresh(Region(0, y, self.size.width, 1))
        if self._ticker is not None:
            if job is not None and not job.is_final:
                self._ticker.resume()
            else:
                self._ticker.pause()
