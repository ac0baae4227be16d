"""Rolling-window counting of request starts, and the rate limiter built on it."""

from __future__ import annotations

import math
from collections import deque

#: Extra span the limiter keeps, so an observer timing the same starts a moment later
#: (for instance inside the fetch function) never sees one start too many in a window.
_GUARD = 0.001
_MIN_WAIT = 1e-6


class SlidingWindow:
    """Times of recent events, forgetting those ``span`` seconds or more in the past."""

    def __init__(self, span: float) -> None:
        self.span = span
        self._times: deque[float] = deque()

    def add(self, at: float) -> None:
        """Record an event at ``at`` (times must not go backwards)."""
        self._times.append(at)

    def count(self, now: float) -> int:
        """Events in (now - span, now]."""
        horizon = now - self.span
        times = self._times
        while times and times[0] <= horizon:
            times.popleft()
        return len(times)

    def __getitem__(self, index: int) -> float:
        return self._times[index]


class RateLimiter:
    """Lets at most ``requests_per_second`` requests start in any rolling second.

    A slot is reserved when a request is scheduled and committed with the real start time
    once the request actually begins, so the limit holds for the true start times.
    """

    def __init__(self, requests_per_second: float) -> None:
        if requests_per_second >= 1:
            self.capacity, span = math.floor(requests_per_second), 1.0
        else:
            self.capacity, span = 1, 1.0 / requests_per_second
        self._window = SlidingWindow(span + _GUARD)
        self._pending = 0

    def wait_time(self, now: float) -> float | None:
        """0 if a request may be reserved now, else seconds to wait (None: until a reservation starts)."""
        used = self._window.count(now)
        blocking = used + self._pending - self.capacity
        if blocking < 0:
            return 0.0
        if blocking < used:
            # Never 0 when full, even if rounding puts the expiry exactly at ``now``.
            return max(self._window[blocking] + self._window.span - now, _MIN_WAIT)
        return None

    def reserve(self) -> None:
        """Hold a slot for a request about to start."""
        self._pending += 1

    def commit(self, now: float) -> None:
        """The reserved request starts now."""
        self._pending -= 1
        self._window.add(now)

    def release(self) -> None:
        """Forget every reservation (their requests were abandoned before starting)."""
        self._pending = 0
