"""What a user action does: submit, adopt, refresh, cancel, download (JobService's half that sends).

Mixed into JobService (seedance_tui.service.jobs), which owns the state named below; poll replies
and housekeeping are read there and in seedance_tui.service.housekeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from seedance_tui.api.client import SeedanceClient
from seedance_tui.api.errors import ApiError, InvalidState
from seedance_tui.downloads import Progress, save_video
from seedance_tui.models import DEMO_API, GenerationRequest, Job, JobStatus
from seedance_tui.outcomes import (
    CancelOutcome,
    CancelResult,
    SubmitError,
    SubmitOutcome,
    classify_failed_submission,
    not_cancellable_reason,
    not_saved_message,
    probably_not_created_message,
    resubmit_warning,
    unknown_message,
)
from seedance_tui.polling import ApiHealth, PollScheduler
from seedance_tui.polling.lease import RoleState
from seedance_tui.service.feed import ChangeFeed
from seedance_tui.service.housekeeping import Housekeeper
from seedance_tui.store import BatchKeyTaken, StoreError
from seedance_tui.store.backend import Store

if TYPE_CHECKING:
    from seedance_tui.api.types import SubmitReply, TaskReply


class JobActions:
    """The user's actions on jobs; every outcome is written to the store before it is returned."""

    # Owned and set up by JobService.__init__.
    store: Store
    client: SeedanceClient
    scheduler: PollScheduler
    api: str | None
    account: str | None
    default_webhook_url: str | None
    cancelled_here: set[str]
    _feed: ChangeFeed
    _housekeeper: Housekeeper
    _submitting: set[str]
    _role: RoleState
    _one_offs: set[asyncio.Task[None]]
    # JobService's reply handling, which a refresh or a cancel goes through like a poll.
    _mark_changed: Callable[[Job], None]
    # JobService's lookup: the store's job, else one read from its history.
    get: Callable[[str], Job | None]
    _on_reply: Callable[[str, TaskReply], None]
    _on_poll_error: Callable[[str, ApiError], None]
    _is_ours: Callable[[Job], bool]
    belongs_here: Callable[[Job], bool]

    async def submit(
        self,
        request: GenerationRequest,
        *,
        batch_entry: str | None = None,
        batch_key: str | None = None,
        rerun_of: str | None = None,
    ) -> Job:
        """Validate, write the job ahead, POST it once; raise SubmitError if not accepted.

        ``batch_entry`` (a batch file's job), its ``batch_key`` (entry and attempt, which the store
        refuses to hold twice) and ``rerun_of`` (the job re-run) are kept on the new job. A job whose
        batch key is taken (the same line being sent elsewhere) is neither stored nor sent: SubmitError
        NOT_SENT caused by BatchKeyTaken.

        Raises ValidationError (nothing stored) when the request breaks the contract's rules.
        Once the API has answered, a store that cannot be written is reported (store listeners)
        but never turns an accepted job into an error: that would invite a second, paid POST.
        """
        request.validate()
        job = Job.new(request)
        job.batch_entry, job.batch_key, job.rerun_of = batch_entry, batch_key, rerun_of
        job.api = self.api
        job.account = self.account
        self._submitting.add(job.local_id)
        try:
            try:
                await asyncio.to_thread(self.store.add, job)
            except BatchKeyTaken as exc:
                # Another process sends this batch line: nothing stored here, nothing to record.
                job.last_error = str(exc)
                job.set_status(JobStatus.REJECTED)
                raise SubmitError(job, SubmitOutcome.NOT_SENT, str(exc)) from exc
            except StoreError as exc:
                # Not known to be on disk: it must not be sent. Kept (in memory) as not sent.
                message = not_saved_message(str(exc))
                self._record_failure(job, JobStatus.REJECTED, message)
                raise SubmitError(job, SubmitOutcome.NOT_SENT, message) from exc
            self._feed.changed(job)
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
        await self._housekeeper.save_now()

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

        A follower has no running scheduler, nobody polls a job made with another API or key, and a
        job of the history (not held, say a row paged in from the archive) is followed by nobody:
        then this process asks the API once itself, outside the poll budget.
        """
        job = self.store.get(local_id)
        if not self._role.polls or job is None or not self._is_ours(job):
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
        self._housekeeper.lazy_dirty.discard(local_id)
        self.store.update(job)
        await self._housekeeper.flush()
        return job

    async def cancel(self, local_id: str) -> CancelOutcome:
        """Cancel a queued or processing job; the outcome is stored either way."""
        job = self._require(local_id)
        if job.request_id is None:
            return CancelOutcome(job, CancelResult.ERROR, not_cancellable_reason(job) or "")
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
        """A history job (one ``find_all`` named, or a row paged into the table), put back in the store
        so it can be checked again (it stays in the history too; readers show it once, the store's)."""
        job = self.get(local_id)
        if job is not None:
            self.store.update(job)
        return job


def foreign_job_message(job: Job, api: str | None) -> str:
    """Why a job of another API is not checked or cancelled here, and where it can be."""
    where = (
        "the demo (seedance-tui --demo --db THIS_STORE)" if job.api == DEMO_API else f"--base-url {job.api}"
    )
    return f"Job {job.request_id or job.local_id} was sent to {job.api}, not {api}: open it with {where}."
