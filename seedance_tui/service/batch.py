"""Sending a checked batch plan: skip what the store already has, send the rest once each.

Every job goes through ``JobService.submit`` (written ahead, one POST, outcome recorded), carrying
its batch entry, so that running the same file again finds what was sent and sends only the rest.
What a line ended in is read from its job's status, so a new outcome state needs no change here.

Each job also carries a batch key fixed when it is planned, ``f"{entry}#{attempt}"`` (attempt: one
more than the jobs already stored for the entry). The store refuses a second job with the same key,
so two processes or machines sending the same file at once send each line once: the one whose
``add`` comes second reports the line as skipped. A re-run after a ``rejected`` line, or with
``--resend-uncertain``, is the next attempt, a new key.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from seedance_tui.api.errors import RateLimited
from seedance_tui.batch_file import BatchPlan, PlannedJob
from seedance_tui.models import Job, JobStatus
from seedance_tui.outcomes import SubmitError
from seedance_tui.service.jobs import JobService
from seedance_tui.store import BatchKeyTaken
from seedance_tui.text import one_line

#: Statuses that prove nothing was created: the job is sent again on a re-run.
NOT_CREATED: frozenset[str] = frozenset({JobStatus.REJECTED})
#: Statuses after which the task may or may not exist: re-sent only with ``resend_uncertain``.
#: ("submitting" here is a job whose sender died mid-POST, or one still being sent elsewhere.)
UNCERTAIN: frozenset[str] = frozenset(
    {JobStatus.OUTCOME_UNKNOWN, JobStatus.PROBABLY_NOT_CREATED, JobStatus.SUBMITTING}
)

#: A line's outcome when it was not sent because the store holds (or another process is sending) it.
SKIPPED = "skipped"

DEFAULT_CONCURRENCY = 4
#: How often one job's POST may be refused with 429 (and waited out) within a run.
MAX_RATE_LIMIT_WAITS = 8
#: Wait after a 429 that names no Retry-After.
DEFAULT_RETRY_AFTER = 2.0


@dataclass(frozen=True)
class Skipped:
    """A planned job not sent because the store already holds one with its key."""

    planned: PlannedJob
    status: str
    uncertain: bool


@dataclass
class SendPlan:
    """What a run will send, and what it leaves alone and why."""

    to_send: list[PlannedJob] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    resent_uncertain: list[PlannedJob] = field(default_factory=list)
    #: The batch key each job of ``to_send`` is sent with, by its entry (PlannedJob.key).
    batch_keys: dict[str, str] = field(default_factory=dict)

    def skip_reasons(self) -> dict[str, int]:
        """How many were skipped per stored status, e.g. {"queued": 3, "outcome_unknown": 1}."""
        return dict(Counter(s.status for s in self.skipped))


@dataclass(frozen=True)
class LineResult:
    """What became of one planned job in this run."""

    planned: PlannedJob
    #: The job's status (queued, rejected, outcome_unknown…), or SKIPPED.
    outcome: str
    job: Job | None
    message: str = ""
    #: How many times a 429 was waited out before this result.
    rate_limit_waits: int = 0

    @property
    def ok(self) -> bool:
        if self.outcome == SKIPPED:
            return True  # another process sends it
        return self.job is not None and self.job.request_id is not None and self.outcome not in UNCERTAIN

    def to_dict(self) -> dict[str, object]:
        job = self.job
        return {
            "line": self.planned.line,
            "key": self.planned.key,
            "outcome": self.outcome,
            "message": self.message,
            "requestId": job.request_id if job else None,
            "localId": job.local_id if job else None,
            "creditsCharged": job.credits_charged if job else None,
            "model": self.planned.request.model,
            "estimatedCredits": self.planned.credits,
        }


def _best_status(statuses: Iterable[str]) -> tuple[str, bool] | None:
    """The stored state that decides a key (None: nothing created, send it); True when uncertain."""
    statuses = list(statuses)
    created = [s for s in statuses if s not in NOT_CREATED and s not in UNCERTAIN]
    if created:
        return created[0], False
    uncertain = [s for s in statuses if s in UNCERTAIN]
    if uncertain:
        return uncertain[0], True
    return None


def attempt_of(batch_key: str | None) -> int:
    """The attempt number in a batch key (``entry#3`` → 3); 0 when there is none."""
    attempt = (batch_key or "").rpartition("#")[2]
    return int(attempt) if attempt.isdigit() else 0


def sort_plan(plan: BatchPlan, stored: Sequence[Job], *, resend_uncertain: bool = False) -> SendPlan:
    """Split the plan into jobs to send (each with its batch key) and jobs whose entry the store
    already holds. ``stored``: every stored job made for the plan's entries (held or history)."""
    by_key: dict[str, list[str]] = {}
    last_attempt: dict[str, int] = {}
    for job in stored:
        if entry := job.batch_entry:
            by_key.setdefault(entry, []).append(job.status)
            last_attempt[entry] = max(last_attempt.get(entry, 0), attempt_of(job.batch_key))
    result = SendPlan()
    for planned in plan.jobs:
        statuses = by_key.get(planned.key, [])
        decided = _best_status(statuses)
        if decided is None or (decided[1] and resend_uncertain):
            result.to_send.append(planned)
            # Jobs stored before keys were kept count too; a removed one leaves a gap, never a reuse.
            attempt = max(len(statuses), last_attempt.get(planned.key, 0)) + 1
            result.batch_keys[planned.key] = f"{planned.key}#{attempt}"
            if decided is not None:
                result.resent_uncertain.append(planned)
        else:
            result.skipped.append(Skipped(planned, decided[0], decided[1]))
    return result


def rate_limit_wait(exc: SubmitError) -> float | None:
    """Seconds to wait before sending again, when the API refused with its own 429 envelope.

    Only a 429 that carries the API's error envelope (an error code) proves nothing was created;
    a bare 429 (a proxy's, say) is left to the single-submission rules and never re-sent.
    """
    cause = exc.__cause__
    if isinstance(cause, RateLimited) and cause.enveloped:
        return DEFAULT_RETRY_AFTER if cause.retry_after is None else cause.retry_after
    return None


class BatchRunner:
    """Sends a SendPlan with bounded concurrency; all senders pause together on a 429."""

    def __init__(
        self,
        service: JobService,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_result: Callable[[LineResult], None] | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self.service = service
        self.concurrency = max(1, concurrency)
        self.on_result = on_result
        self.on_wait = on_wait
        self._resume_at = 0.0

    async def run(self, send: SendPlan) -> list[LineResult]:
        """Send each job of ``send.to_send`` once, with its batch key (429s waited out); results in
        the order they finished."""
        jobs = send.to_send
        queue: asyncio.Queue[PlannedJob] = asyncio.Queue()
        for planned in jobs:
            queue.put_nowait(planned)
        results: list[LineResult] = []

        async def worker() -> None:
            while not queue.empty():
                planned = queue.get_nowait()
                result = await self._send(planned, send.batch_keys[planned.key])
                results.append(result)
                if self.on_result is not None:
                    self.on_result(result)

        async with asyncio.TaskGroup() as group:
            for _ in range(min(self.concurrency, len(jobs))):
                group.create_task(worker())
        return results

    async def _send(self, planned: PlannedJob, batch_key: str) -> LineResult:
        waits = 0
        while True:
            delay = self._resume_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                job = await self.service.submit(planned.request, batch_entry=planned.key, batch_key=batch_key)
            except SubmitError as exc:
                if isinstance(exc.__cause__, BatchKeyTaken):
                    return LineResult(planned, SKIPPED, None, exc.message, waits)
                wait = rate_limit_wait(exc)
                if wait is not None and waits < MAX_RATE_LIMIT_WAITS:
                    waits += 1
                    self._resume_at = max(self._resume_at, time.monotonic() + wait)
                    if self.on_wait is not None:
                        self.on_wait(wait)
                    # The refused job is stored (rejected) with this key: the next one is a new attempt.
                    batch_key = f"{planned.key}#{attempt_of(batch_key) + 1}"
                    continue
                return LineResult(planned, exc.job.status, exc.job, exc.message, waits)
            return LineResult(planned, job.status, job, "", waits)


# -- the plan in words (the CLI's confirmation and the dashboard's preview) --------------------


def describe_plan(plan: BatchPlan, sorted_plan: SendPlan) -> str:
    """The summary shown before sending: jobs, credits in total and per model, what is skipped."""
    counts = plan.jobs_by_model()
    send_credits = sum(job.credits for job in sorted_plan.to_send)
    lines = [f"{len(plan.jobs):,} job(s), estimated {plan.total_credits:,} credits in all:"]
    for model, credits in sorted(plan.credits_by_model().items()):
        lines.append(f"  {model:<18} {counts[model]:>6,} job(s) {credits:>9,} credits")
    lines.extend(skip_lines(sorted_plan))
    lines.append(f"To send now: {len(sorted_plan.to_send):,} job(s), estimated {send_credits:,} credits.")
    return "\n".join(lines)


def skip_lines(sorted_plan: SendPlan) -> list[str]:
    lines = []
    if sorted_plan.skipped:
        reasons = ", ".join(f"{status} {n}" for status, n in sorted(sorted_plan.skip_reasons().items()))
        lines.append(f"Skipped {len(sorted_plan.skipped):,} already in the store ({reasons}).")
        uncertain = sum(1 for s in sorted_plan.skipped if s.uncertain)
        if uncertain:
            lines.append(
                f"  {uncertain:,} of them have an unknown outcome: not sent again "
                "(--resend-uncertain sends them, and they may be paid twice)."
            )
    if sorted_plan.resent_uncertain:
        lines.append(
            f"WARNING: {len(sorted_plan.resent_uncertain):,} job(s) with an unknown outcome will be sent "
            "again: if the API did create them, they are paid twice."
        )
    return lines


def plan_line(planned: PlannedJob) -> str:
    req = planned.request
    return (
        f"line {planned.line:>5}  {req.model:<17} {req.duration or '':>2}s {req.resolution or '':<5} "
        f"{req.aspect_ratio or '':<4} {planned.credits:>5} cr  {one_line(req.prompt, 50)}"
    )
