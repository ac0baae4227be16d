"""The service layer between the UI (or CLI) and the API client, job store and poll scheduler.

The UI never talks HTTP or tinydb: it calls this, and listens for batched job changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from seedance_tui.api.client import SeedanceClient
from seedance_tui.api.errors import ApiError, InvalidState, NotFound
from seedance_tui.api.types import SubmitReply, TaskReply
from seedance_tui.autodownload import AutoDownloader, DownloadsState, output_state
from seedance_tui.config import Settings
from seedance_tui.downloads import Progress, save_video
from seedance_tui.eta import Estimate, EtaModel, long_eta, short_eta
from seedance_tui.job_refs import job_ids, match_jobs
from seedance_tui.models import DEMO_API, GenerationRequest, Job, JobStatus
from seedance_tui.outcomes import (
    CancelOutcome,
    CancelResult,
    SubmitError,
    SubmitOutcome,
    apply_task_reply,
    classify_failed_submission,
    not_saved_message,
    probably_not_created_message,
    resubmit_warning,
    unknown_message,
)
from seedance_tui.polling import ApiHealth, HealthState, PollPolicy, PollScheduler, RequestBudget
from seedance_tui.polling.lease import Lease, Role, RoleState, api_fingerprint
from seedance_tui.polling.leases import lease_for
from seedance_tui.preview import Frame, PreviewError, first_frame, half_blocks
from seedance_tui.store import StoreError
from seedance_tui.store.archive import ArchivedRead, newest_first, read_archived
from seedance_tui.store.backend import Store
from seedance_tui.summary import PROBLEMS, Summary, summarise

#: What the UI may import from here; ``ui/`` imports nothing from api, store, polling or webhooks.
__all__ = [
    "PROBLEMS",
    "ApiHealth",
    "CancelOutcome",
    "CancelResult",
    "DamageListener",
    "DownloadsState",
    "Estimate",
    "Frame",
    "HealthListener",
    "HealthState",
    "JobService",
    "JobsListener",
    "PreviewError",
    "Role",
    "RoleListener",
    "RoleState",
    "StoreError",
    "StoreProblemListener",
    "SubmitError",
    "SubmitOutcome",
    "Summary",
    "foreign_job_message",
    "half_blocks",
    "long_eta",
    "output_state",
    "short_eta",
]

JobsListener = Callable[[list[Job]], None]
HealthListener = Callable[[HealthState], None]
#: Called with a message when the store cannot be written (None once it can again).
StoreProblemListener = Callable[[str | None], None]
#: Called with what the store read around (a journal not replayed or set aside, an empty file),
#: and whether jobs may be missing from view because of it.
DamageListener = Callable[[str, bool], None]

RoleListener = Callable[[RoleState], None]

#: A job still "submitting" this long after creation belongs to a process that died mid-POST.
ORPHAN_SUBMIT_AGE = 90.0


def api_name(settings: Settings) -> str:
    """The name recorded on each job of which API it was sent to: "demo", or the base URL."""
    return DEMO_API if settings.demo else settings.base_url.rstrip("/")


class JobService:
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
        #: The last read of the archive files (None: not read yet).
        self.last_archive_read: ArchivedRead | None = None
        self.scheduler = PollScheduler(
            client.get,
            policy=policy,
            budget=budget,
            on_reply=self._on_reply,
            on_error=self._on_poll_error,
            on_health=self._on_health,
        )
        self._flush_interval = flush_interval
        self._refresh_interval = refresh_interval
        self._lazy_flush_interval = lazy_flush_interval
        self._orphan_age = orphan_age
        self._listeners: list[JobsListener] = []
        self._health_listeners: list[HealthListener] = []
        self._store_listeners: list[StoreProblemListener] = []
        self._damage_listeners: list[DamageListener] = []
        self._damage_reported = 0
        self._store_problem: str | None = None
        self._changed: dict[str, Job] = {}
        self._emit_handle: asyncio.Handle | None = None
        self._submitting: set[str] = set()
        #: Jobs seen "submitting" that this process is not sending: settled once old enough.
        self._maybe_orphans: set[str] = set()
        self._lazy_dirty: set[str] = set()
        self._flush_lock = asyncio.Lock()
        #: Sent as webhookUrl when a request names none (set by ``run``); never stored.
        self.default_webhook_url: str | None = None
        #: Saves succeeded jobs' videos in the background when automatic download is on.
        self.downloads: AutoDownloader | None = None
        #: Jobs this process cancelled: their end is no news to the user who asked for it.
        self.cancelled_here: set[str] = set()
        #: Typical queue and processing times, learnt from this store's succeeded jobs.
        self.eta = EtaModel()
        self.eta.learn(store.all())
        #: Decides which of the processes on this store polls (None: this one always does).
        self._lease = lease
        self._follow_interval = follow_interval
        self._lease_retry_interval = lease_retry_interval
        self._role = RoleState(Role.POLLING if lease is None else Role.FOLLOWING)
        self._role_announced = False
        self._role_listeners: list[RoleListener] = []
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
        self.add_listener(self.downloads.offer)

    # -- listening -----------------------------------------------------------------------

    def add_listener(self, listener: JobsListener) -> None:
        """Call ``listener`` with every batch of changed jobs (on the event loop)."""
        self._listeners.append(listener)

    def add_health_listener(self, listener: HealthListener) -> None:
        self._health_listeners.append(listener)

    def add_store_listener(self, listener: StoreProblemListener) -> None:
        """Hear when the job store cannot be written, and when it can again."""
        self._store_listeners.append(listener)

    def add_damage_listener(self, listener: DamageListener) -> None:
        """Hear every damage notice of the store, those from before this call included (never silent)."""
        self._damage_listeners.append(listener)
        for notice in self.store.notices[: self._damage_reported]:
            listener(notice.message, notice.jobs_may_be_missing)
        self._report_damage()

    def _report_damage(self) -> None:
        notices = self.store.notices
        for notice in notices[self._damage_reported :]:
            for listener in self._damage_listeners:
                listener(notice.message, notice.jobs_may_be_missing)
        self._damage_reported = len(notices)

    def add_role_listener(self, listener: RoleListener) -> None:
        """Hear whether this process polls or follows the one that does."""
        self._role_listeners.append(listener)

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

    def jobs(self) -> list[Job]:
        return self.store.all()

    def get(self, local_id: str) -> Job | None:
        return self.store.get(local_id)

    def summary(self, now: float) -> Summary:
        """Jobs by status, credits and outcomes per model, finishes per hour, problems."""
        return summarise(self.store.all(), now)

    async def first_frame(self, video: Path) -> Frame:
        """The first frame of a saved video (decoded off the event loop); PreviewError if none."""
        return await asyncio.to_thread(first_frame, video)

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
        """The job ``ref`` names exactly, else every job with an id starting with it, archived or not
        (the archive is read only when the store's own jobs hold no exact match)."""
        live = match_jobs(self.store.all(), ref)
        if len(live) == 1 and ref.strip() in job_ids(live[0]):
            return live
        archived = match_jobs(self.read_archive().jobs, ref)
        if len(archived) == 1 and ref.strip() in job_ids(archived[0]):
            return archived
        return live + archived

    def every_job(self) -> list[Job]:
        """Every job, archived or not, newest first; reads the archive files (call it off the UI loop)."""
        return newest_first(self.store, self.read_archive())

    def read_archive(self) -> ArchivedRead:
        """The archived jobs the store does not hold, read now; kept as ``last_archive_read`` so the
        UI can say that results came from the archive and how long reading it took."""
        self.last_archive_read = read_archived(self.store)
        return self.last_archive_read

    # -- running -------------------------------------------------------------------------

    async def run(self) -> None:
        """Follow every unfinished job and keep the store flushed, until cancelled.

        Submissions that name no webhook carry ``default_webhook_url``: the webhook lifecycle sets it
        while this process is the poller and its receiver listens (seedance_tui.webhooks.lifecycle).
        """
        jobs = self.store.all()
        for job in jobs:
            self._watch_for_orphan(job)
        self.scheduler.track_all([job for job in jobs if self._is_ours(job)])
        self._settle_orphans()
        poller = asyncio.create_task(self._poll(), name="seedance-poller")
        background = [poller]
        if self.downloads is not None:
            self.downloads.catch_up(jobs, time.time())  # includes those a kill left half-saved
            background.append(asyncio.create_task(self.downloads.run(), name="seedance-downloads"))
        try:
            await self._housekeeping()
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
        async with self._flush_lock:
            if all_pending:
                self._promote_lazy()
            if not self.store.has_unsaved:
                return 0  # the common idle tick: no thread hand-off at all
            return await asyncio.to_thread(self.store.flush)

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
                await self._pick_up_outside_changes()
                self.scheduler.track_all(self._followable(self.store.all()))
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
            for listener in self._role_listeners:
                listener(state)

    async def _housekeeping(self) -> None:
        loop = asyncio.get_running_loop()
        # A store that announces others' changes (PostgreSQL's NOTIFY) wakes us to fetch them at once.
        announced = asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(announced.set)

        self.store.add_change_listener(wake)
        try:
            await self._housekeep(loop, announced)
        finally:
            self.store.remove_change_listener(wake)

    async def _housekeep(self, loop: asyncio.AbstractEventLoop, announced: asyncio.Event) -> None:
        next_refresh = next_lazy = loop.time()
        while True:
            # A follower shows the poller's results: they must be on screen within 2 s.
            following = not self._role.polls
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that lands as the
            # event is set (another process's NOTIFY), and run() would then never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(
                    min(self._flush_interval, self._follow_interval) if following else self._flush_interval
                ):
                    await announced.wait()
            now = loop.time()
            if announced.is_set():
                announced.clear()
                next_refresh = now
            if now >= next_lazy:
                next_lazy = now + self._lazy_flush_interval
                self._promote_lazy()
            try:
                touched_disk = await self.flush() > 0
                if now >= next_refresh:
                    next_refresh = now + (self._follow_interval if following else self._refresh_interval)
                    await self._pick_up_outside_changes()
                    touched_disk = True
            except StoreError as exc:
                # Changes stay in memory (still dirty) and are written once the store can be.
                self._set_store_problem(str(exc))
            else:
                if touched_disk:
                    self._set_store_problem(None)
            self._report_damage()

    def _set_store_problem(self, problem: str | None) -> None:
        if problem != self._store_problem:
            self._store_problem = problem
            for listener in self._store_listeners:
                listener(problem)

    async def _pick_up_outside_changes(self) -> None:
        """Show and follow jobs that another process (the CLI, a second dashboard) wrote."""
        changed = await asyncio.to_thread(self.store.refresh)
        health = self.scheduler.health
        if health.health == ApiHealth.UNREACHABLE and any(
            self._answered_elsewhere(job, health.since or 0.0) for job in changed
        ):
            self.scheduler.api_answered()  # another process reached the API since our outage began
        for job in changed:
            self._watch_for_orphan(job)
        self._settle_orphans()
        for job in changed:
            if job.needs_polling and self._is_ours(job):
                self.scheduler.track(job)
            else:
                self.scheduler.untrack(job.local_id)
            self._changed[job.local_id] = job
        if changed:
            self._schedule_emit()

    def _answered_elsewhere(self, job: Job, since: float) -> bool:
        """True when another process got an answer about this job (of this API) after ``since``."""
        checked = job.last_checked_at
        return checked is not None and checked > since and job.last_error is None and self.belongs_here(job)

    def _is_ours(self, job: Job) -> bool:
        """Sent to this API with this key (or not recorded): the API can answer for it."""
        if not self.belongs_here(job):
            return False
        return self.account is None or job.account is None or job.account == self.account

    def _followable(self, jobs: list[Job]) -> list[Job]:
        return [job for job in jobs if self._is_ours(job)]

    def _watch_for_orphan(self, job: Job) -> None:
        """Note a job that some other process left mid-submission (it may still be sending)."""
        if job.status == JobStatus.SUBMITTING and job.local_id not in self._submitting:
            self._maybe_orphans.add(job.local_id)

    def _settle_orphans(self) -> None:
        """Jobs left "submitting" longer than any POST can take belong to a dead process."""
        now = time.time()
        for local_id in list(self._maybe_orphans):
            job = self.store.get(local_id)
            if job is None or job.status != JobStatus.SUBMITTING:
                self._maybe_orphans.discard(local_id)
            elif now - job.created_at > self._orphan_age:
                self._maybe_orphans.discard(local_id)
                job.set_status(JobStatus.OUTCOME_UNKNOWN, now)
                job.last_error = "The app stopped while this job was being submitted; its outcome is unknown."
                self._mark_changed(job)

    def _promote_lazy(self) -> None:
        for local_id in self._lazy_dirty:
            job = self.store.get(local_id)
            if job is not None:
                self.store.update(job)
        self._lazy_dirty.clear()

    # -- change notification -------------------------------------------------------------

    def _mark_changed(self, job: Job) -> None:
        self.store.update(job)
        self._lazy_dirty.discard(job.local_id)
        self._changed[job.local_id] = job
        self._schedule_emit()

    def _schedule_emit(self) -> None:
        if self._emit_handle is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self._emit()
                return
            self._emit_handle = loop.call_later(0.05, self._emit)

    def _emit(self) -> None:
        self._emit_handle = None
        batch = list(self._changed.values())
        self._changed.clear()
        if batch:
            self.eta.learn(batch)
            for listener in self._listeners:
                listener(batch)

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
            self._lazy_dirty.add(local_id)

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
        for listener in self._health_listeners:
            listener(state)

    # -- actions -------------------------------------------------------------------------

    async def submit(
        self, request: GenerationRequest, *, batch_entry: str | None = None, rerun_of: str | None = None
    ) -> Job:
        """Validate, write the job ahead, POST it once; raise SubmitError if not accepted.

        ``batch_entry`` (a batch file's job) and ``rerun_of`` (the job re-run) are kept on the new job.

        Raises ValidationError (nothing stored) when the request breaks the contract's rules.
        Once the API has answered, a store that cannot be written is reported (store listeners)
        but never turns an accepted job into an error: that would invite a second, paid POST.
        """
        request.validate()
        job = Job.new(request)
        job.batch_entry, job.rerun_of = batch_entry, rerun_of
        job.api = self.api
        job.account = self.account
        self._submitting.add(job.local_id)
        try:
            try:
                await asyncio.to_thread(self.store.add, job)
            except StoreError as exc:
                # Not known to be on disk: it must not be sent. Kept (in memory) as not sent.
                message = not_saved_message(str(exc))
                self._record_failure(job, JobStatus.REJECTED, message)
                raise SubmitError(job, SubmitOutcome.NOT_SENT, message) from exc
            self._changed[job.local_id] = job
            self._schedule_emit()
            reply = await self._post(job, request)
        except asyncio.CancelledError:
            self._record_failure(job, JobStatus.OUTCOME_UNKNOWN, "Stopped while the job was being submitted")
            raise
        finally:
            self._submitting.discard(job.local_id)
            # Accepted or not, the outcome (above all a request id) goes to disk before we return.
            await self._save_now()
        now = time.time()
        job.request_id = reply.request_id
        job.credits_charged = reply.credits_charged
        job.submitted_at = now
        job.set_status(reply.status, now)
        job.touch(now)
        self._mark_changed(job)
        self.scheduler.track(job)
        await self._save_now()
        return job

    async def adopt(self, job: Job) -> None:
        """Store a job whose task was created elsewhere (``track``), show it and follow it."""
        await asyncio.to_thread(self.store.add, job)
        self._mark_changed(job)
        if job.needs_polling:
            self.scheduler.track(job)

    async def _post(self, job: Job, request: GenerationRequest) -> SubmitReply:
        """The POST itself; every failure is recorded on the job and raised as SubmitError."""
        try:
            reply = await self.client.submit(self._as_sent(request))
            self.scheduler.api_answered()
            return reply
        except ApiError as exc:
            outcome = classify_failed_submission(exc)
            if outcome is SubmitOutcome.UNKNOWN:
                self._record_failure(job, JobStatus.OUTCOME_UNKNOWN, exc.message)
                raise SubmitError(job, outcome, unknown_message(exc)) from exc
            if outcome is SubmitOutcome.PROBABLY_NOT_CREATED:
                message = probably_not_created_message(exc)
                self._record_failure(job, JobStatus.PROBABLY_NOT_CREATED, message)
                raise SubmitError(job, outcome, message) from exc
            self._record_failure(job, JobStatus.REJECTED, exc.message)
            raise SubmitError(job, outcome, exc.message) from exc
        except Exception as exc:  # raised while building the request: nothing was sent
            message = f"Not sent: {type(exc).__name__}: {exc}"
            self._record_failure(job, JobStatus.REJECTED, message)
            raise SubmitError(job, SubmitOutcome.REJECTED, message) from exc

    async def _save_now(self) -> None:
        """Flush at once; a failure is reported to store listeners and retried by housekeeping."""
        try:
            await self.flush()
        except StoreError as exc:
            self._set_store_problem(str(exc))

    def _as_sent(self, request: GenerationRequest) -> GenerationRequest:
        """The request as POSTed: our receiver's URL goes on the wire, not into the job store."""
        if request.webhook_url or not self.default_webhook_url:
            return request
        return replace(request, webhook_url=self.default_webhook_url)

    def _record_failure(self, job: Job, status: JobStatus, message: str) -> None:
        job.last_error = message
        job.set_status(status)
        self._mark_changed(job)

    @staticmethod
    def resubmit_warning(job: Job) -> str | None:
        """What to tell a user about to send ``job``'s request again, when that may pay twice."""
        return resubmit_warning(job)

    def refresh_soon(self, local_id: str) -> None:
        """Poll this job ahead of its turn (after a rejected key: try the key once more).

        A follower has no running scheduler, and nobody polls a job made with another API or key:
        then this process asks the API once itself, outside the poll budget.
        """
        job = self.store.get(local_id)
        if not self._role.polls or (job is not None and not self._is_ours(job)):
            task = asyncio.get_running_loop().create_task(self._refresh_once(local_id))
            self._one_offs.add(task)
            task.add_done_callback(self._one_offs.discard)
            return
        if self.scheduler.health.health == ApiHealth.KEY_REJECTED:
            self.scheduler.resume()
        self.scheduler.poll_now(local_id)

    async def _refresh_once(self, local_id: str) -> None:
        with contextlib.suppress(ApiError, KeyError, StoreError):  # an error is recorded on the job
            await self.refresh(local_id)

    async def refresh(self, local_id: str) -> Job:
        """Ask the API for this job's state now and store it (the CLI's ``status``)."""
        job = self._require(local_id)
        if job.request_id is None or not self.belongs_here(job):
            return job
        try:
            reply = await self.client.get(job.request_id)
        except ApiError as exc:
            self._on_poll_error(local_id, exc)
            raise
        self.scheduler.api_answered()
        self._on_reply(local_id, reply)
        self._lazy_dirty.discard(local_id)
        self.store.update(job)
        await self.flush()
        return job

    async def cancel(self, local_id: str) -> CancelOutcome:
        """Cancel a queued or processing job; the outcome is stored either way."""
        job = self._require(local_id)
        if job.request_id is None:
            return CancelOutcome(job, CancelResult.ERROR, "This job has no request id: nothing to cancel.")
        if not self.belongs_here(job):
            return CancelOutcome(job, CancelResult.ERROR, foreign_job_message(job, self.api))
        try:
            reply = await self.client.cancel(job.request_id)
        except InvalidState as exc:
            with contextlib.suppress(ApiError):
                self._on_reply(local_id, await self.client.get(job.request_id))
            self._mark_changed(job)
            outcome = CancelOutcome(job, CancelResult.ALREADY_FINAL, f"Not cancelled: {exc.message}")
        except ApiError as exc:
            self._on_poll_error(local_id, exc)
            outcome = CancelOutcome(job, CancelResult.ERROR, f"Cancel failed: {exc.message}")
        else:
            self.scheduler.api_answered()
            job.set_status(reply.status)
            job.last_error = None
            job.touch()
            self.cancelled_here.add(local_id)
            self._mark_changed(job)
            if job.is_final:
                self.scheduler.untrack(local_id)
            outcome = CancelOutcome(job, CancelResult.CANCELLED, f"Job {job.request_id} is now {job.status}.")
        await self._save_now()
        return outcome

    async def download(self, local_id: str, folder: Path, on_progress: Progress | None = None) -> Path:
        """Save the job's output video into ``folder``; returns its path."""
        job = self._require(local_id)
        if not job.output_url:
            raise ValueError("This job has no output video yet.")
        target = folder / f"{job.request_id or job.local_id}.mp4"
        path = await save_video(self.client, job.output_url, target, on_progress)
        job.saved_path = str(path)
        job.touch()
        self._mark_changed(job)
        return path

    def _require(self, local_id: str) -> Job:
        job = self.store.get(local_id)
        if job is None:
            job = self._unarchive(local_id)
        if job is None:
            raise KeyError(f"No job {local_id!r} in the store")
        return job

    def _unarchive(self, local_id: str) -> Job | None:
        """An archived job ``find_all`` just named, put back in the store so it can be checked again
        (it stays in its archive file too; readers show it once, the store's version)."""
        archived = self.last_archive_read.jobs if self.last_archive_read is not None else []
        job = next((job for job in archived if job.local_id == local_id), None)
        if job is not None:
            self.store.update(job)
        return job


def foreign_job_message(job: Job, api: str | None) -> str:
    """Why a job of another API is not checked or cancelled here, and where it can be."""
    where = (
        "the demo (seedance-tui --demo --db THIS_STORE)" if job.api == DEMO_API else f"--base-url {job.api}"
    )
    return f"Job {job.request_id or job.local_id} was sent to {job.api}, not {api}: open it with {where}."
