"""What the service answers about jobs without sending anything: lookups in the store and its
history, the summary, time estimates and frame previews (JobService's half that reads).

Mixed into JobService (seedance_tui.service.jobs), which owns the state named below.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from seedance_tui.eta import Estimate, EtaModel
from seedance_tui.job_refs import job_ids, match_jobs
from seedance_tui.models import Job
from seedance_tui.store.backend import Store
from seedance_tui.store.history import ArchivedRead, HistoryReader, HistoryTotals

if TYPE_CHECKING:
    from seedance_tui.preview import Frame
    from seedance_tui.summary import Summary


class JobReads:
    """Lookups, summary and estimates over the store's jobs and its history (the history read on
    demand: the methods that say "blocks" are called from a worker)."""

    # Owned and set up by JobService.__init__.
    store: Store
    api: str | None
    history: HistoryReader
    found_in_history: dict[str, Job]
    eta: EtaModel
    _history_totals: HistoryTotals | None

    def jobs(self) -> list[Job]:
        return self.store.all()

    def get(self, local_id: str) -> Job | None:
        """The job with this local id: the store's, else one read from its history (a row paged
        into the table, or a job a lookup named)."""
        job = self.store.get(local_id)
        if job is None:
            job = self.found_in_history.get(local_id) or self.history.get(local_id)
        return job

    def count_history(self) -> HistoryTotals:
        """Add up the history for the summary (blocks: call it from a worker); ``summary`` counts
        it in from then on."""
        self._history_totals = self.store.history().totals()
        return self._history_totals

    def summary(self, now: float) -> Summary:
        """Jobs by status, credits and outcomes per model, finishes per hour, problems; the history
        counted in once ``count_history`` has run."""
        from seedance_tui.summary import summarise  # loads when first asked, not at start-up (issue 15)

        summary = summarise(self.store.all(), now)
        if self._history_totals is not None:
            summary.add_history(self._history_totals)
        return summary

    async def first_frame(self, video: Path, *, strip: bool = False) -> Frame:
        """The first frame of a saved video, or with ``strip`` frames at 0, 25, 50 and 75 % of it side
        by side (decoded off the event loop); PreviewError if none."""
        from seedance_tui.preview import first_frame, frame_strip  # loads when first asked (issue 15)

        return await asyncio.to_thread(frame_strip if strip else first_frame, video)

    def estimate(self, job: Job, now: float) -> Estimate | None:
        """Time left for a queued or processing job, from the store's history (None: not enough)."""
        return self.eta.estimate(job, now)

    def find(self, ref: str) -> Job | None:
        """The one job in the store ``ref`` names (any id form the UI shows, or a unique prefix), else
        None; never reads the archive (webhook callbacks call it for any id a caller sends)."""
        matches = match_jobs(self.store.all(), ref)
        return matches[0] if len(matches) == 1 else None

    def belongs_here(self, job: Job) -> bool:
        """True unless the job is recorded as sent to another API than this service's."""
        return self.api is None or job.api is None or job.api == self.api

    def foreign_jobs(self) -> list[Job]:
        """Jobs in the store that were sent to another API (a demo store opened for real, say)."""
        return [job for job in self.store.all() if not self.belongs_here(job)]

    def find_all(self, ref: str) -> list[Job]:
        """The job ``ref`` names exactly, else every job with an id starting with it, in the store or
        its history (looked up there only when the store's own jobs hold no exact match; blocks)."""
        live = match_jobs(self.store.all(), ref)
        if len(live) == 1 and ref.strip() in job_ids(live[0]):
            return live
        older = self.store.history().find(ref)
        self.found_in_history.update((job.local_id, job) for job in older)
        if len(older) == 1 and ref.strip() in job_ids(older[0]):
            return older
        return live + older

    def jobs_for_batch(self, entries: Iterable[str]) -> list[Job]:
        """Every stored job, held or in the history, made for one of these batch entries (blocks)."""
        wanted = set(entries)
        held = [job for job in self.store.all() if job.batch_entry in wanted]
        return held + self.store.history().with_batch_entries(wanted)

    @property
    def history_complete(self) -> bool:
        """True once every page of the history has been read (nothing older to page in)."""
        return self.history.complete

    def older_jobs(self) -> ArchivedRead:
        """The next page of the history (blocks): the dashboard calls it when scrolled to the end."""
        return self.history.next_page()

    def read_archive(self) -> ArchivedRead:
        """The whole history, reading only the pages not read yet (blocks), so the UI can say that
        results came from the history and how long reading it took."""
        return self.history.rest()
