"""The API's health as the poller sees it, and the gate that holds polling back while it is bad."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from enum import StrEnum
from typing import NamedTuple

from seedance_tui.api.errors import ApiError, RateLimited
from seedance_tui.polling.policy import PollPolicy


class ApiHealth(StrEnum):
    """Whether the API can be polled, and if not, why."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    RATE_LIMITED = "rate_limited"
    KEY_REJECTED = "key_rejected"


class HealthState(NamedTuple):
    """One health state: since when (wall clock), why, and when polling resumes by itself."""

    health: ApiHealth
    since: float | None = None
    detail: str = ""
    retry_at: float | None = None


HEALTHY = HealthState(ApiHealth.OK)


class HealthGate:
    """Decides whether the next request may go out: outage probing, 429 pauses, a rejected key.

    ``now`` arguments are on the scheduler's clock; states carry wall-clock times.
    """

    def __init__(
        self,
        policy: PollPolicy,
        rng: random.Random,
        on_change: Callable[[HealthState], None],
        *,
        outage_after: int = 3,
        default_retry_after: float = 5.0,
    ) -> None:
        self._policy = policy
        self._rng = rng
        self._on_change = on_change
        self._outage_after = outage_after
        self._default_retry_after = default_retry_after
        self._state = HEALTHY
        # Transient faults in a row across all jobs, and the wall time of the first one.
        self._streak = 0
        self._streak_since: float | None = None
        self._outage: HealthState | None = None
        self._probe_level = 0
        self._probe_due = 0.0
        self._probe_in_flight = False
        self._paused_until: float | None = None
        self._paused: HealthState | None = None
        self._rejected: HealthState | None = None

    @property
    def state(self) -> HealthState:
        """The current health."""
        return self._state

    @property
    def probing(self) -> bool:
        """True during an outage: one probe request at a time, whatever the jobs' due times."""
        return self._outage is not None

    def wait_time(self, now: float) -> float | None:
        """0 if a request may start now, else seconds to wait (None: until something else happens)."""
        if self._rejected is not None:
            return None
        if self._paused_until is not None:
            if now < self._paused_until:
                return self._paused_until - now
            self._paused_until = self._paused = None
            self._publish()
        if self._outage is not None:
            if self._probe_in_flight:
                return None
            return max(0.0, self._probe_due - now)
        return 0.0

    def launched(self, probe: bool) -> None:
        """A request started; ``probe`` when it was started as the outage probe."""
        if probe:
            self._probe_in_flight = True

    def probe_soon(self) -> None:
        """The user asked for a poll: during an outage, probe without waiting for the shared backoff."""
        self._probe_due = 0.0

    def abandoned(self) -> None:
        """Requests in flight were cancelled without an outcome."""
        self._probe_in_flight = False

    def answered(self, probe: bool) -> None:
        """The API answered (anything but a transient fault): it is reachable."""
        self._probe_in_flight = self._probe_in_flight and not probe
        self._streak, self._streak_since = 0, None
        self._outage = None
        self._publish()

    def transient_fault(self, err: ApiError, probe: bool, now: float) -> None:
        """A network fault, 5xx or garbled reply; enough in a row mean the API is down."""
        self._probe_in_flight = self._probe_in_flight and not probe
        self._streak += 1
        if self._streak_since is None:
            self._streak_since = time.time()
        if self._outage is not None:
            if probe:
                self._probe_level += 1
                self._probe_due = now + self._policy.backoff(self._probe_level, self._rng)
            return
        if self._streak >= self._outage_after:
            self._outage = HealthState(ApiHealth.UNREACHABLE, since=self._streak_since, detail=err.message)
            self._probe_level = 1
            self._probe_due = now + self._policy.backoff(self._probe_level, self._rng)
            self._publish()

    def rate_limited(self, err: RateLimited, probe: bool, now: float) -> float:
        """A 429: pause every request until Retry-After; return when polling resumes."""
        self.answered(probe)
        delay = err.retry_after if err.retry_after is not None and err.retry_after >= 0 else None
        until = now + (self._default_retry_after if delay is None else delay)
        if self._paused_until is not None:
            until = max(until, self._paused_until)
        self._paused_until = until
        since = self._paused.since if self._paused is not None else time.time()
        retry_at = time.time() + (until - now)
        self._paused = HealthState(ApiHealth.RATE_LIMITED, since=since, detail=err.message, retry_at=retry_at)
        self._publish()
        return until

    def key_rejected(self, err: ApiError, probe: bool) -> None:
        """A 401/403: stop everything until ``resume``."""
        self._probe_in_flight = self._probe_in_flight and not probe
        if self._rejected is None:
            self._rejected = HealthState(ApiHealth.KEY_REJECTED, since=time.time(), detail=err.message)
            self._publish()

    def resume(self) -> None:
        """The user supplied a new key: polling may start again."""
        self._rejected = None
        self._publish()

    def _publish(self) -> None:
        state = self._rejected or self._paused or self._outage or HEALTHY
        if state != self._state:
            self._state = state
            self._on_change(state)
