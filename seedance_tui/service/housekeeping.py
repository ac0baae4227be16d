"""The service's housekeeping: flushing the store, reading other processes' changes, settling orphans.

Everything here runs on a timer (or a store's change announcement), never because of a user action
or a poll reply; JobService calls ``run`` for as long as it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import NamedTuple

from seedance_tui.models import Job, JobStatus
from seedance_tui.polling import ApiHealth, PollScheduler
from seedance_tui.service.feed import ChangeFeed, DamageListener
from seedance_tui.store import StoreError
from seedance_tui.store.backend import Store


class Timing(NamedTuple):
    """How often housekeeping flushes, reads others' changes, writes lazy changes, settles orphans."""

    flush: float
    refresh: float
    lazy_flush: float
    #: The refresh interval of a process that follows the poller (its results on screen within 2 s).
    follow: float
    #: A job still "submitting" this long after creation belongs to a process that died mid-POST.
    orphan_age: float


class Housekeeper:
    """Flush timing, lazy-dirty promotion, store-problem and damage reports, refresh, orphan settling."""

    def __init__(
        self,
        store: Store,
        scheduler: PollScheduler,
        feed: ChangeFeed,
        timing: Timing,
        *,
        is_ours: Callable[[Job], bool],
        belongs_here: Callable[[Job], bool],
        mark_changed: Callable[[Job], None],
        submitting: set[str],
    ) -> None:
        self.store = store
        self.scheduler = scheduler
        self.feed = feed
        self._is_ours = is_ours
        self._belongs_here = belongs_here
        self._mark_changed = mark_changed
        #: Jobs this process is sending now (owned by JobService.submit): never orphans.
        self._submitting = submitting
        self._timing = timing
        self._damage_reported = 0
        self._store_problem: str | None = None
        #: Jobs seen "submitting" that this process is not sending: settled once old enough.
        self._maybe_orphans: set[str] = set()
        #: Jobs whose poll counters changed but nothing a user sees: written once a minute.
        self.lazy_dirty: set[str] = set()
        self._flush_lock = asyncio.Lock()

    # -- flushing ------------------------------------------------------------------------

    async def flush(self, *, all_pending: bool = False) -> int:
        """Write dirty jobs to disk off the event loop; returns how many were written."""
        async with self._flush_lock:
            if all_pending:
                self._promote_lazy()
            if not self.store.has_unsaved:
                return 0  # the common idle tick: no thread hand-off at all
            return await asyncio.to_thread(self.store.flush)

    async def save_now(self) -> None:
        """Flush at once; a failure is reported to store listeners and retried by housekeeping."""
        try:
            await self.flush()
        except StoreError as exc:
            self.set_store_problem(str(exc))

    def _promote_lazy(self) -> None:
        for local_id in self.lazy_dirty:
            job = self.store.get(local_id)
            if job is not None:
                self.store.update(job)
        self.lazy_dirty.clear()

    # -- reports -------------------------------------------------------------------------

    def set_store_problem(self, problem: str | None) -> None:
        if problem != self._store_problem:
            self._store_problem = problem
            self.feed.store_problem(problem)

    def add_damage_listener(self, listener: DamageListener) -> None:
        """Tell ``listener`` the notices already reported, then every new one with the others."""
        self.feed.damage.append(listener)
        for notice in self.store.notices[: self._damage_reported]:
            listener(notice.message, notice.jobs_may_be_missing)
        self.report_damage()

    def report_damage(self) -> None:
        notices = self.store.notices
        for notice in notices[self._damage_reported :]:
            self.feed.damaged(notice.message, notice.jobs_may_be_missing)
        self._damage_reported = len(notices)

    # -- the loop ------------------------------------------------------------------------

    async def run(self, polls: Callable[[], bool]) -> None:
        """Flush, promote, refresh and report until cancelled; ``polls()``: this process polls now."""
        loop = asyncio.get_running_loop()
        # A store that announces others' changes (PostgreSQL's NOTIFY) wakes us to fetch them at once.
        announced = asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(announced.set)

        self.store.add_change_listener(wake)
        try:
            await self._housekeep(loop, announced, polls)
        finally:
            self.store.remove_change_listener(wake)

    async def _housekeep(
        self, loop: asyncio.AbstractEventLoop, announced: asyncio.Event, polls: Callable[[], bool]
    ) -> None:
        next_refresh = next_lazy = loop.time()
        while True:
            # A follower shows the poller's results: they must be on screen within 2 s.
            following = not polls()
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that lands as the
            # event is set (another process's NOTIFY), and run() would then never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(
                    min(self._timing.flush, self._timing.follow) if following else self._timing.flush
                ):
                    await announced.wait()
            now = loop.time()
            if announced.is_set():
                announced.clear()
                next_refresh = now
            if now >= next_lazy:
                next_lazy = now + self._timing.lazy_flush
                self._promote_lazy()
            try:
                touched_disk = await self.flush() > 0
                if now >= next_refresh:
                    next_refresh = now + (self._timing.follow if following else self._timing.refresh)
                    await self.pick_up_outside_changes()
                    touched_disk = True
            except StoreError as exc:
                # Changes stay in memory (still dirty) and are written once the store can be.
                self.set_store_problem(str(exc))
            else:
                if touched_disk:
                    self.set_store_problem(None)
            self.report_damage()

    # -- other processes -----------------------------------------------------------------

    async def pick_up_outside_changes(self) -> None:
        """Show and follow jobs that another process (the CLI, a second dashboard) wrote."""
        changed = await asyncio.to_thread(self.store.refresh)
        health = self.scheduler.health
        if health.health == ApiHealth.UNREACHABLE and any(
            self._answered_elsewhere(job, health.since or 0.0) for job in changed
        ):
            self.scheduler.api_answered()  # another process reached the API since our outage began
        for job in changed:
            self.watch_for_orphan(job)
        self.settle_orphans()
        for job in changed:
            if job.needs_polling and self._is_ours(job):
                self.scheduler.track(job)
            else:
                self.scheduler.untrack(job.local_id)
            self.feed.changed(job)

    def _answered_elsewhere(self, job: Job, since: float) -> bool:
        """True when another process got an answer about this job (of this API) after ``since``."""
        checked = job.last_checked_at
        return checked is not None and checked > since and job.last_error is None and self._belongs_here(job)

    def watch_for_orphan(self, job: Job) -> None:
        """Note a job that some other process left mid-submission (it may still be sending)."""
        if job.status == JobStatus.SUBMITTING and job.local_id not in self._submitting:
            self._maybe_orphans.add(job.local_id)

    def settle_orphans(self) -> None:
        """Jobs left "submitting" longer than any POST can take belong to a dead process."""
        now = time.time()
        for local_id in list(self._maybe_orphans):
            job = self.store.get(local_id)
            if job is None or job.status != JobStatus.SUBMITTING:
                self._maybe_orphans.discard(local_id)
            elif now - job.created_at > self._timing.orphan_age:
                self._maybe_orphans.discard(local_id)
                job.set_status(JobStatus.OUTCOME_UNKNOWN, now)
                job.last_error = "The app stopped while this job was being submitted; its outcome is unknown."
                self._mark_changed(job)
