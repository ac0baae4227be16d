"""The service layer between the UI (or CLI) and the API client, job store and poll scheduler.

The UI never talks HTTP or tinydb: it calls this, and listens for batched job changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedance_tui.api.client import SeedanceClient
from seedance_tui.api.errors import ApiError, NotFound
from seedance_tui.autodownload import AutoDownloader, DownloadsState, output_state
from seedance_tui.config import Settings
from seedance_tui.eta import Estimate, EtaModel, long_eta, short_eta
from seedance_tui.models import DEMO_API, Job, JobStatus
from seedance_tui.outcomes import (
    CancelOutcome,
    CancelResult,
    SubmitError,
    SubmitOutcome,
    apply_task_reply,
    not_cancellable_reason,
)
from seedance_tui.polling import ApiHealth, HealthState, PollPolicy, PollScheduler, RequestBudget
from seedance_tui.polling.lease import Lease, Role, RoleState, api_fingerprint
from seedance_tui.polling.leases import lease_for
from seedance_tui.service.actions import JobActions, foreign_job_message
from seedance_tui.service.feed import (
    ChangeFeed,
    DamageListener,
    HealthListener,
    JobsListener,
    RoleListener,
    StoreProblemListener,
)
from seedance_tui.service.housekeeping import Housekeeper, Timing
from seedance_tui.service.reads import JobReads
from seedance_tui.store import StoreError
from seedance_tui.store.backend import Store
from seedance_tui.store.history import HistoryReader, HistoryTotals

if TYPE_CHECKING:
    from seedance_tui.api.types import TaskReply

#: What the UI may import from here; ``ui/`` imports nothing from api, store, polling or webhooks.
__all__ = [
    "ApiHealth",
    "CancelOutcome",
    "CancelResult",
    "DamageListener",
    "DownloadsState",
    "Estimate",
    "HealthListener",
    "HealthState",
    "JobService",
    "JobsListener",
    "Role",
    "RoleListener",
    "RoleState",
    "StoreError",
    "StoreProblemListener",
    "SubmitError",
    "SubmitOutcome",
    "foreign_job_message",
    "long_eta",
    "not_cancellable_reason",
    "output_state",
    "short_eta",
]

#: A job still "submitting" this long after creation belongs to a process that died mid-POST.
ORPHAN_SUBMIT_AGE = 90.0


def api_name(settings: Settings) -> str:
    """The name recorded on each job of which API it was sent to: "demo", or the base URL."""
    return DEMO_API if settings.demo else settings.base_url.rstrip("/")


class JobService(JobReads, JobActions):
    """Submits, follows, cancels and downloads jobs; owns the poller and the store's flushing."""

    def __init__(
        self,
        store: Store,
        client: SeedanceClient,
        *,
        policy: PollPolicy | None = None,
        budget: RequestBudget | None = None,
        flush_interval: float = 1.0,
        refresh_interval: float = 2.0,
        lazy_flush_interval: float = 60.0,
        orphan_age: float = ORPHAN_SUBMIT_AGE,
        lease: Lease | None = None,
        follow_interval: float = 0.5,
        lease_retry_interval: float = 1.0,
        api: str | None = None,
        account: str | None = None,
    ) -> None:
        self.store = store
        self.client = client
        #: Which API this service talks to; jobs recorded for another one are shown, never sent there.
        self.api = api
        #: The dashboard's place in the store's history (the jobs not held in memory).
        self.history = HistoryReader(store.history)
        #: History jobs a lookup named, by local id (so acting on one can bring it back in).
        self.found_in_history: dict[str, Job] = {}
        self._history_totals: HistoryTotals | None = None
        self.scheduler = PollScheduler(
            client.get,
            policy=policy,
            budget=budget,
            on_reply=self._on_reply,
            on_error=self._on_poll_error,
            on_health=self._on_health,
        )
        #: Typical queue and processing times, learnt from this store's succeeded jobs.
        self.eta = EtaModel()
        self.eta.learn(store.all())
        self._feed = ChangeFeed(self.eta.learn)
        self._submitting: set[str] = set()
        self._housekeeper = Housekeeper(
            store,
            self.scheduler,
            self._feed,
            Timing(flush_interval, refresh_interval, lazy_flush_interval, follow_interval, orphan_age),
            is_ours=self._is_ours,
            belongs_here=self.belongs_here,
            mark_changed=self._mark_changed,
            submitting=self._submitting,
        )
        #: Sent as webhookUrl when a request names none (set by ``run``); never stored.
        self.default_webhook_url: str | None = None
        #: Saves succeeded jobs' videos in the background when automatic download is on.
        self.downloads: AutoDownloader | None = None
        #: Jobs this process cancelled: their end is no news to the user who asked for it.
        self.cancelled_here: set[str] = set()
        #: Decides which of the processes on this store polls (None: this one always does).
        self._lease = lease
        self._lease_retry_interval = lease_retry_interval
        self._role = RoleState(Role.POLLING if lease is None else Role.FOLLOWING)
        self._role_announced = False
        self._one_offs: set[asyncio.Task[None]] = set()
        #: This service's API and key (``api_fingerprint``): recorded on its submissions; jobs made
        #: with another key are shown but not polled (the API would not know them). None: poll every job.
        self.account = account

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> JobService:
        """The service the dashboard and the CLI run: one client, the user's poll budget."""
        # Pollers use at most ``concurrency`` connections; a few more for submits, cancels, downloads.
        client = SeedanceClient(
            settings.base_url, settings.api_key or "", max_connections=settings.concurrency + 4
        )
        budget = RequestBudget(settings.requests_per_second, settings.concurrency)
        api = api_name(settings)
        account = api_fingerprint(api, settings.api_key or "")
        # One poller per store file, or per account in a database.
        lease = lease_for(store, settings.base_url, settings.api_key or "", account)
        service = cls(store, client, budget=budget, lease=lease, api=api, account=account)
        if settings.auto_download:
            service.enable_auto_download(
                settings.download_dir,
                settings.download_name,
                settings.download_concurrency,
                catch_up_age=settings.output_expiry_hours * 3600,
            )
        return service

    def enable_auto_download(self, folder: Path, pattern: str, concurrency: int = 2, **options: Any) -> None:
        """Save every succeeded job's video into ``folder`` while ``run()`` runs (see AutoDownloader)."""
        self.downloads = AutoDownloader(
            self.client, folder, pattern, self._mark_changed, concurrency=concurrency, **options
        )
        self.add_listener(self._offer_downloads)

    def _offer_downloads(self, jobs: list[Job]) -> None:
        """Only the poller saves videos, so processes sharing a store fetch each one once; the
        others show the saved path when the poller records it (a new poller catches up)."""
        if self.downloads is not None and self._role.polls:
            self.downloads.offer(self._followable(jobs))

    def _catch_up_downloads(self) -> None:
        if self.downloads is not None:  # includes those a kill left half-saved
            self.downloads.catch_up(self._followable(self.store.all()), time.time())

    # -- listening -----------------------------------------------------------------------

    def add_listener(self, listener: JobsListener) -> None:
        """Call ``listener`` with every batch of changed jobs (on the event loop)."""
        self._feed.jobs.append(listener)

    def add_health_listener(self, listener: HealthListener) -> None:
        self._feed.health.append(listener)

    def add_store_listener(self, listener: StoreProblemListener) -> None:
        """Hear when the job store cannot be written, and when it can again."""
        self._feed.store_problems.append(listener)

    def add_damage_listener(self, listener: DamageListener) -> None:
        """Hear every damage notice of the store, those from before this call included (never silent)."""
        self._housekeeper.add_damage_listener(listener)

    def add_role_listener(self, listener: RoleListener) -> None:
        """Hear whether this process polls or follows the one that does."""
        self._feed.roles.append(listener)

    @property
    def role(self) -> RoleState:
        return self._role

    @property
    def health(self) -> HealthState:
        return self.scheduler.health

    @property
    def unreadable_jobs(self) -> int:
        """Records in the store this version could not read (kept on disk as they are)."""
        return self.store.skipped_documents

    # -- running -------------------------------------------------------------------------

    async def run(self) -> None:
        """Follow every unfinished job and keep the store flushed, until cancelled.

        Submissions that name no webhook carry ``default_webhook_url``: the webhook lifecycle sets it
        while this process is the poller and its receiver listens (seedance_tui.webhooks.lifecycle).
        """
        jobs = self.store.all()
        for job in jobs:
            self._housekeeper.watch_for_orphan(job)
        self.scheduler.track_all([job for job in jobs if self._is_ours(job)])
        self._housekeeper.settle_orphans()
        poller = asyncio.create_task(self._poll(), name="seedance-poller")
        background = [poller]
        if self.downloads is not None:
            if self._role.polls:  # else when this process takes the poller's role
                self._catch_up_downloads()
            background.append(asyncio.create_task(self.downloads.run(), name="seedance-downloads"))
        try:
            await self._housekeeper.run(lambda: self._role.polls)
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            with contextlib.suppress(StoreError):  # close() tries again and reports it
                await self.flush(all_pending=True)

    async def close(self) -> None:
        """Write everything pending and release the HTTP connections; StoreError if unsaved."""
        try:
            await self.flush(all_pending=True)
        finally:
            await self.client.aclose()

    async def flush(self, *, all_pending: bool = False) -> int:
        """Write dirty jobs to disk off the event loop; returns how many were written."""
        return await self._housekeeper.flush(all_pending=all_pending)

    async def _poll(self) -> None:
        await asyncio.to_thread(self.client.prepare)  # its TLS set-up, off the UI loop
        if self._lease is None:
            await self.scheduler.run()
        else:
            await self._poll_while_leased(self._lease)

    async def _poll_while_leased(self, lease: Lease) -> None:
        """Follow the poller through the store until the lease is free, then poll (with heartbeats)."""
        try:
            while True:
                state = await asyncio.to_thread(lease.try_acquire)
                self._set_role(state)
                if not state.polls:
                    await asyncio.sleep(self._lease_retry_interval)
                    continue
                # Taking over: start from what the previous poller last wrote, so nothing is polled twice.
                await self._housekeeper.pick_up_outside_changes()
                self.scheduler.track_all(self._followable(self.store.all()))
                self._catch_up_downloads()
                # Poll until the lease is lost (its database connection died), then follow again.
                heartbeat = asyncio.create_task(self._beat(lease, state))
                polling = asyncio.create_task(self.scheduler.run())
                try:
                    await asyncio.wait((heartbeat, polling), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    heartbeat.cancel()
                    polling.cancel()
                    await asyncio.gather(heartbeat, polling, return_exceptions=True)
                if not polling.cancelled():
                    polling.result()  # the poller failed: that propagates, as it always did
        finally:
            await asyncio.to_thread(lease.release)

    async def _beat(self, lease: Lease, state: RoleState) -> None:
        """Beat while polling; return when the lease is lost (a process polling ALONE holds none)."""
        while state.role != Role.POLLING or lease.held:
            await asyncio.sleep(self._lease_retry_interval)
            await asyncio.to_thread(lease.beat)

    def _set_role(self, state: RoleState) -> None:
        if state != self._role or not self._role_announced:
            self._role, self._role_announced = state, True
            self._feed.role_changed(state)

    def _is_ours(self, job: Job) -> bool:
        """Sent to this API with this key (or not recorded): the API can answer for it."""
        if not self.belongs_here(job):
            return False
        return self.account is None or job.account is None or job.account == self.account

    def _followable(self, jobs: list[Job]) -> list[Job]:
        return [job for job in jobs if self._is_ours(job)]

    # -- poll replies (and every change, which goes through _mark_changed) ----------------

    def _mark_changed(self, job: Job) -> None:
        self.store.update(job)
        self._housekeeper.lazy_dirty.discard(job.local_id)
        self._feed.changed(job)

    def _checked(self, local_id: str) -> Job | None:
        """The job a poll just answered for, with that check counted (None if it is gone)."""
        job = self.store.get(local_id)
        if job is not None:
            job.poll_count += 1
            job.last_checked_at = time.time()
        return job

    def _on_reply(self, local_id: str, reply: TaskReply) -> None:
        job = self._checked(local_id)
        if job is None:
            return
        if apply_task_reply(job, reply):
            self._mark_changed(job)
        else:
            self._housekeeper.lazy_dirty.add(local_id)

    def _on_poll_error(self, local_id: str, error: ApiError) -> None:
        job = self._checked(local_id)
        if job is None:
            return
        if isinstance(error, NotFound) and not self._is_ours(job):
            # Asked on purpose (refresh now, ``status``) with another API or key than the job's.
            job.last_error = "This job was made with another API or key; this one does not know it."
            job.touch()
            self._mark_changed(job)
        elif isinstance(error, NotFound):
            job.last_error = f"The API does not know this request id: {error.message}"
            job.set_status(JobStatus.NOT_FOUND)
            self._mark_changed(job)
        elif job.last_error != error.message:
            job.last_error = error.message
            job.touch()
            self._mark_changed(job)

    def _on_health(self, state: HealthState) -> None:
        self._feed.health_changed(state)
