"""What the job table last drew in each row's live cells, so its tick redraws only what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from seedance_tui.models import Job, JobStatus
from seedance_tui.ui.widgets.job_rows import cell_text, job_age
from seedance_tui.ui.widgets.recent_changes import RecentChanges


class DrawnCells:
    """The age, time-left and status text and the highlight phase of each row as last drawn."""

    def __init__(self) -> None:
        self.ages: dict[str, str] = {}
        self.etas: dict[str, str] = {}
        self.status: dict[str, str] = {}
        self.phase: dict[str, int] = {}

    def faded(
        self, rows: Sequence[Job], positions: range, recent: RecentChanges, now: float
    ) -> Iterator[int]:
        """Positions whose highlight phase moved on (fresh → fading → plain) since drawn."""
        for position in positions:
            local_id = rows[position].local_id
            if self.phase.get(local_id, 0) != recent.phase(local_id, now):
                yield position

    def stale(
        self,
        rows: Sequence[Job],
        positions: range,
        now: float,
        *,
        unsaved_after: float,
        eta_text: Callable[[Job, float], str] | None,
    ) -> Iterator[tuple[int, bool]]:
        """(position, whole row) for each out-of-date row; False: only its age cell changed.

        ``eta_text`` is None when the time-left column is not shown.
        """
        for position in positions:
            job = rows[position]
            # An unsaved video turns "⚠ unsaved" once old enough: redraw its row (age and all) when it does.
            unsaved = job.status == JobStatus.SUCCEEDED and not job.saved_path
            if unsaved and self.status.get(job.local_id) != cell_text(job, "status", now, unsaved_after):
                yield position, True
                continue
            if self.ages.get(job.local_id) != job_age(job, now):
                yield position, False
            if eta_text is not None and self.etas.get(job.local_id, "") != eta_text(job, now):
                yield position, True
