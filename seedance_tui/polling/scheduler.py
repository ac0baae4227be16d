"""The poll scheduler: follows every unfinished job, within the request budget and the API's health."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedance_tui.api.errors import (
    ApiError,
    AuthError,
    MalformedReply,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
)
from seedance_tui.models import Job, is_final
from seedance_tui.polling.health import HealthGate, HealthState
from seedance_tui.polling.policy import PollPolicy, RequestBudget, status_since
from seedance_tui.polling.stats import PollStats
from seedance_tui.polling.window import RateLimiter

if TYPE_CHECKING:
    from seedance_tui.api.types import TaskReply

log = logging.getLogger(__name__)

FetchTask = Callable[[str], Awaitable["TaskReply"]]
"""Fetch one task by request id (the client's ``get``); raises the ApiError family."""

#: Faults that say nothing about the job, only that the API could not be reached or answered badly.
TRANSIENT_ERRORS: tuple[type[ApiError], ...] = (NetworkError, ServerError, MalformedReply)

#: A job due this close to now is due now: float rounding must not become a wait that a clock of
#: microsecond resolution rounds back to the same instant (a busy loop).
DUE_TOLERANCE = 1e-9


@dataclass(eq=False)
class _Tracked:
    """The scheduler's own snapshot of one followed job (times on the scheduler's clock)."""

    local_id: str
    request_id: str
    status: str
    submitted: float
    status_since: float
    faults: int = 0
    due: float = 0.0
    #: Generation of the live heap item; items with another value are stale.
    seq: int = 0
    in_flight: bool = False


class PollScheduler:
    """Polls tracked jobs when due: bounded concurrency and rate, adaptive intervals, backoff."""

    def __init__(
        self,
        fetch: FetchTask,
        *,
        on_reply: Callable[[str, TaskReply], None],
        on_error: Callable[[str, ApiError], None],
        on_health: Callable[[HealthState], None] | None = None,
        policy: PollPolicy | None = None,
        budget: RequestBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._fetch = fetch
        self._on_reply = on_reply
        self._on_error = on_error
        self._on_health = on_health
        self._policy = policy or PollPolicy()
        self._budget = budget or RequestBudget()
        self._clock = clock
        self._rng = rng or random.Random()
        self._limiter = RateLimiter(self._budget.requests_per_second)
        self._gate = HealthGate(self._policy, self._rng, self._health_changed)
        self._tracked: dict[str, _Tracked] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._tasks: dict[asyncio.Task[None], _Tracked] = {}
        self._wake = asyncio.Event()
        # When the run loop wakes by itself (inf: only when woken): wakes that change nothing are skipped.
        self._sleep_until = math.inf
        self.stats = PollStats()

    @property
    def tracked_count(self) -> int:
        """Jobs being followed."""
        return len(self._tracked)

    @property
    def health(self) -> HealthState:
        """The API's health as seen by the poller."""
        return self._gate.state

    def track(self, job: Job) -> None:
        """Follow ``job`` (or refresh its snapshot); a job that needs no polling is dropped instead."""
        self.track_all([job])

    def track_all(self, jobs: Iterable[Job]) -> None:
        """``track`` each job; new ones are scheduled once all are counted (intervals depend on how many)."""
        now, wall = self._clock(), time.time()
        added: list[tuple[_Tracked, float]] = []
        for job in jobs:
            if not job.needs_polling or job.request_id is None:
                self.untrack(job.local_id)
                continue
            entry = self._tracked.get(job.local_id)
            if entry is not None:
                entry.request_id = job.request_id
                if job.status != entry.status:
                    entry.status, entry.status_since = job.status, now
                continue
            submitted = job.submitted_at or job.created_at
            entry = _Tracked(
                local_id=job.local_id,
                request_id=job.request_id,
                status=job.status,
                submitted=now - max(0.0, wall - submitted),
                status_since=now - max(0.0, wall - status_since(job)),
            )
            self._tracked[job.local_id] = entry
            added.append((entry, job.last_checked_at or submitted))
        for entry, last_contact in added:
            self._schedule(entry, now + max(0.0, self._interval(entry, now) - (wall - last_contact)))

    def untrack(self, local_id: str) -> None:
        """Stop following a job (a reply already in flight for it is dropped)."""
        self._tracked.pop(local_id, None)
        if not self._tracked and self._gate.probing:
            # Nothing left to probe with: an outage nobody can confirm must not stay on screen.
            self._gate.answered(probe=False)

    def api_answered(self) -> None:
        """A request made outside the poller (submit, cancel, a manual check) was answered."""
        self._gate.answered(probe=False)

    def poll_now(self, local_id: str) -> None:
        """Poll this job before any other as soon as the budget allows (in an outage: as the next probe)."""
        entry = self._tracked.get(local_id)
        if entry is not None and not entry.in_flight:
            self._gate.probe_soon()
            self._schedule(entry, -math.inf)

    def resume(self) -> None:
        """Start polling again after the key was rejected (the user fixed it)."""
        self._gate.resume()
        self._wake.set()

    async def run(self) -> None:
        """Poll until cancelled; on cancellation, requests in flight are cancelled and awaited."""
        try:
            while True:
                self._wake.clear()
                self.stats.wakeups += 1
                now = self._clock()
                delay = self._dispatch(now)
                if delay is None:
                    self._sleep_until = math.inf
                    await self._wake.wait()
                else:
                    self._sleep_until = now + delay
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(delay):
                            await self._wake.wait()
        finally:
            await self._abandon_in_flight()

    def _dispatch(self, now: float) -> float | None:
        """Start every request allowed now; return seconds until more may be (None: until woken)."""
        while len(self._tasks) < self._budget.concurrency:
            wait = self._gate.wait_time(now)
            if wait is None or wait > 0:
                return wait
            wait = self._limiter.wait_time(now)
            if wait is None or wait > 0:
                return wait
            probe = self._gate.probing
            entry = self._pop(now, ignore_due=probe)
            if entry is None:
                return self._next_due(now)
            self._launch(entry, probe, now)
        return None

    def _launch(self, entry: _Tracked, probe: bool, now: float) -> None:
        entry.in_flight = True
        self._limiter.reserve(now)
        self._gate.launched(probe)
        task = asyncio.create_task(self._poll(entry, probe), name=f"poll-{entry.local_id}")
        self._tasks[task] = entry
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        self._wake_if_waiting()

    async def _poll(self, entry: _Tracked, probe: bool) -> None:
        """One request for one job; every outcome is handled here, nothing escapes."""
        start = self._clock()
        self._limiter.commit(start)
        self.stats.record_start(start, len(self._tasks))
        # A reservation just became a timed start: the limiter may now know when the next slot frees.
        self._wake_if_waiting()
        try:
            reply = await self._fetch(entry.request_id)
        except ApiError as err:
            self._failed(entry, err, probe)
        except Exception as exc:
            log.exception("fetch raised outside the ApiError family")
            self._failed(entry, MalformedReply(f"unexpected failure: {exc!r}"), probe)
        else:
            self._replied(entry, reply, probe)

    def _replied(self, entry: _Tracked, reply: TaskReply, probe: bool) -> None:
        now = self._clock()
        entry.in_flight = False
        self.stats.replies += 1
        self._gate.answered(probe)
        if self._tracked.get(entry.local_id) is not entry:
            return
        entry.faults = 0
        if reply.status != entry.status:
            entry.status, entry.status_since = reply.status, now
        if is_final(reply.status):
            self.untrack(entry.local_id)
        else:
            self._schedule(entry, now + self._policy.jittered(self._interval(entry, now), self._rng))
        self._notify(self._on_reply, entry.local_id, reply)

    def _failed(self, entry: _Tracked, err: ApiError, probe: bool) -> None:
        now = self._clock()
        entry.in_flight = False
        self.stats.errors[type(err).__name__] += 1
        if isinstance(err, TRANSIENT_ERRORS):
            self._gate.transient_fault(err, probe, now)
            due = self._backoff(entry, now)
        elif isinstance(err, RateLimited):
            due = self._gate.rate_limited(err, probe, now)
        elif isinstance(err, AuthError):
            self._gate.key_rejected(err, probe)
            due = now
        else:
            self._gate.answered(probe)
            due = self._backoff(entry, now)
        if self._tracked.get(entry.local_id) is not entry:
            return
        if isinstance(err, NotFound):
            self.untrack(entry.local_id)
        else:
            self._schedule(entry, due)
        self._notify(self._on_error, entry.local_id, err)

    def _backoff(self, entry: _Tracked, now: float) -> float:
        entry.faults += 1
        return now + self._policy.backoff(entry.faults, self._rng)

    def _interval(self, entry: _Tracked, now: float) -> float:
        return self._policy.interval(
            entry.status, now - entry.submitted, now - entry.status_since, followed=len(self._tracked)
        )

    def _schedule(self, entry: _Tracked, due: float) -> None:
        entry.due, entry.seq = due, next(self._seq)
        heapq.heappush(self._heap, (due, entry.seq, entry.local_id))
        if len(self._heap) > 2 * len(self._tracked) + 64:
            self._compact()
        if due < self._sleep_until:
            self._wake.set()

    def _wake_if_waiting(self) -> None:
        """Wake the run loop if it sleeps until woken (a slot or a start time it waits for is known now).

        One that sleeps until a set time wakes by itself: a request starting or ending cannot make
        anything due sooner, and a poll every few ms costs four loop turns instead of one.
        """
        if self._sleep_until == math.inf:
            self._wake.set()

    def _compact(self) -> None:
        """Drop stale heap items (left by rescheduling and untracking)."""
        self._heap = [(e.due, e.seq, e.local_id) for e in self._tracked.values() if not e.in_flight]
        heapq.heapify(self._heap)

    def _live_top(self) -> tuple[float, _Tracked] | None:
        """The earliest live heap item, discarding stale ones on the way."""
        while self._heap:
            due, seq, local_id = self._heap[0]
            entry = self._tracked.get(local_id)
            if entry is not None and entry.seq == seq and not entry.in_flight:
                return due, entry
            heapq.heappop(self._heap)
        return None

    def _pop(self, now: float, *, ignore_due: bool) -> _Tracked | None:
        top = self._live_top()
        if top is None or (top[0] > now + DUE_TOLERANCE and not ignore_due):
            return None
        heapq.heappop(self._heap)
        return top[1]

    def _next_due(self, now: float) -> float | None:
        top = self._live_top()
        return None if top is None else max(DUE_TOLERANCE, top[0] - now)

    async def _abandon_in_flight(self) -> None:
        """Cancel requests in flight and put their jobs back in the schedule, due at once."""
        tasks = list(self._tasks.items())
        for task, _ in tasks:
            task.cancel()
        await asyncio.gather(*(task for task, _ in tasks), return_exceptions=True)
        self._tasks.clear()
        self._limiter.release()
        self._gate.abandoned()
        now = self._clock()
        for _, entry in tasks:
            if entry.in_flight and self._tracked.get(entry.local_id) is entry:
                entry.in_flight = False
                self._schedule(entry, now)

    def _health_changed(self, state: HealthState) -> None:
        if self._on_health is not None:
            self._notify(self._on_health, state)

    def _notify(self, callback: Callable[..., None], *args: object) -> None:
        """Run a service callback; its failure must not stop the poller."""
        try:
            callback(*args)
        except Exception:
            log.exception("poll callback %r failed", callback)
