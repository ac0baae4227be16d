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

from seedance_tui.api.client import SeedanceClient
from seedance_tui.api.errors import ApiError, InvalidState, NotFound
from seedance_tui.api.types import SubmitReply, TaskReply
from seedance_tui.config import Settings
from seedance_tui.downloads import Progress, save_video
from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.outcomes import (
    CancelOutcome,
    CancelResult,
    SubmitError,
    SubmitOutcome,
    apply_task_reply,
    may_have_been_accepted,
    unknown_message,
)
from seedance_tui.polling import ApiHealth, HealthState, PollPolicy, PollScheduler, RequestBudget
from seedance_tui.store import StoreError
from seedance_tui.store.backend import Store

JobsListener = Callable[[list[Job]], None]
HealthListener = Callable[[HealthState], None]
#: Called with a message when the store cannot be written (None once it can again).
StoreProblemListener = Callable[[str | None], None]

#: A job still "submitting" this long after creation belongs to a process that died mid-POST.
ORPHAN_SUBMIT_AGE = 90.0


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
    ) -> None:
        self.store = store
        self.client = client
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
        self._store_problem: str | None = None
        self._changed: dict[str, Job] = {}
        self._emit_handle: asyncio.Handle | None = None
        self._submitting: set[str] = set()
        #: Jobs seen "submitting" that this process is not sending: settled once old enough.
        self._maybe_orphans: set[str] = set()
        self._lazy_dirty: set[str] = set()
        self._flush_lock = asyncio.Lock()
        #: Sent as webhookUrl when a request names none (while the webhook receiver runs); never stored.
        self.default_webhook_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> JobService:
        """The service the dashboard and the CLI run: one client, the user's poll budget."""
        # Pollers use at most ``concurrency`` connections; a few more for submits, cancels, downloads.
        client = SeedanceClient(
            settings.base_url, settings.api_key or "", max_connections=settings.concurrency + 4
        )
        budget = RequestBudget(settings.requests_per_second, settings.concurrency)
        return cls(store, client, budget=budget)

    # -- listening -----------------------------------------------------------------------

    def add_listener(self, listener: JobsListener) -> None:
        """Call ``listener`` with every batch of changed jobs (on the event loop)."""
        self._listeners.append(listener)

    def add_health_listener(self, listener: HealthListener) -> None:
        self._health_listeners.append(listener)

    def add_store_listener(self, listener: StoreProblemListener) -> None:
        """Hear when the job store cannot be written, and when it can again."""
        self._store_listeners.append(listener)

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

    def find(self, ref: str) -> Job | None:
        return self.store.find(ref)

    # -- running -------------------------------------------------------------------------

    async def run(self) -> None:
        """Follow every unfinished job and keep the store flushed, until cancelled."""
        jobs = self.store.all()
        for job in jobs:
            self._watch_for_orphan(job)
        self.scheduler.track_all(jobs)
        self._settle_orphans()
        poller = asyncio.create_task(self.scheduler.run(), name="seedance-poller")
        try:
            await self._housekeeping()
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(announced.wait(), self._flush_interval)
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
                    next_refresh = now + self._refresh_interval
                    await self._pick_up_outside_changes()
                    touched_disk = True
            except StoreError as exc:
                # Changes stay in memory (still dirty) and are written once the store can be.
                self._set_store_problem(str(exc))
            else:
                if touched_disk:
                    self._set_store_problem(None)

    def _set_store_problem(self, problem: str | None) -> None:
        if problem != self._store_problem:
            self._store_problem = problem
            for listener in self._store_listeners:
                listener(problem)

    async def _pick_up_outside_changes(self) -> None:
        """Show and follow jobs that another process (the CLI, a second dashboard) wrote."""
        changed = await asyncio.to_thread(self.store.refresh)
        for job in changed:
            self._watch_for_orphan(job)
        self._settle_orphans()
        for job in changed:
            if job.needs_polling:
                self.scheduler.track(job)
            else:
                self.scheduler.untrack(job.local_id)
            self._changed[job.local_id] = job
        if changed:
            self._schedule_emit()

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
        if isinstance(error, NotFound):
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

    async def submit(self, request: GenerationRequest) -> Job:
        """Validate, write the job ahead, POST it once; raise SubmitError if not accepted.

        Raises ValidationError (nothing stored) when the request breaks the contract's rules.
        Once the API has answered, a store that cannot be written is reported (store listeners)
        but never turns an accepted job into an error: that would invite a second, paid POST.
        """
        request.validate()
        job = Job.new(request)
        self._submitting.add(job.local_id)
        try:
            try:
                await asyncio.to_thread(self.store.add, job)
            except StoreError as exc:
                # Not known to be on disk: it must not be sent. Kept (in memory) as not sent.
                self._record_failure(job, JobStatus.REJECTED, f"Not sent: {exc}")
                raise SubmitError(job, SubmitOutcome.REJECTED, f"Not sent: {exc}") from exc
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

    async def _post(self, job: Job, request: GenerationRequest) -> SubmitReply:
        """The POST itself; every failure is recorded on the job and raised as SubmitError."""
        try:
            return await self.client.submit(self._as_sent(request))
        except ApiError as exc:
            unknown = may_have_been_accepted(exc)
            status = JobStatus.OUTCOME_UNKNOWN if unknown else JobStatus.REJECTED
            self._record_failure(job, status, exc.message)
            if unknown:
                raise SubmitError(job, SubmitOutcome.UNKNOWN, unknown_message(exc)) from exc
            raise SubmitError(job, SubmitOutcome.REJECTED, exc.message) from exc
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

    def refresh_soon(self, local_id: str) -> None:
        """Poll this job ahead of its turn (after a rejected key: try the key once more)."""
        if self.scheduler.health.health == ApiHealth.KEY_REJECTED:
            self.scheduler.resume()
        self.scheduler.poll_now(local_id)

    async def refresh(self, local_id: str) -> Job:
        """Ask the API for this job's state now and store it (the CLI's ``status``)."""
        job = self._require(local_id)
        if job.request_id is None:
            return job
        try:
            reply = await self.client.get(job.request_id)
        except ApiError as exc:
            self._on_poll_error(local_id, exc)
            raise
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
            job.set_status(reply.status)
            job.last_error = None
            job.touch()
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
        return await save_video(self.client, job.output_url, target, on_progress)

    def _require(self, local_id: str) -> Job:
        job = self.store.get(local_id)
        if job is None:
            raise KeyError(f"No job {local_id!r} in the store")
        return job
