"""Rolling-window counting of request starts, and the rate limiter built on it."""

from __future__ import annotations

import math
from collections import deque

#: Extra share of its window the limiter keeps: a request reaches the server some time after it
#: starts here, and that delay varies (connection reuse, a loaded machine). With starts paced
#: evenly and counted over 1.1 s, the server sees at most the budget in any sliding second as
#: long as the delays of two requests differ by less than a tenth of a second.
_GUARD_SHARE = 0.1
_MIN_WAIT = 1e-6
#: A start this close to its slot is on time: float rounding must not turn into a wait that a
#: clock of microsecond resolution rounds back to the same instant (a busy loop).
_SLOT_TOLERANCE = 1e-9


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
    """Lets at most ``requests_per_second`` requests start in any rolling second, paced evenly.

    Starts are spaced at least ``1 / requests_per_second`` apart (a burst released at once
    would reach the server bunched up, and network delays would push more than the budget into
    one of its seconds), and counted over a window a tenth longer than a second.
    A slot is reserved when a request is scheduled and committed with the real start time
    once the request actually begins, so the limit holds for the true start times.
    """

    def __init__(self, requests_per_second: float) -> None:
        if requests_per_second >= 1:
            self.capacity, span = math.floor(requests_per_second), 1.0
        else:
            self.capacity, span = 1, 1.0 / requests_per_second
        self.spacing = span / self.capacity
        self._window = SlidingWindow(span * (1 + _GUARD_SHARE))
        self._pending = 0
        self._next_slot: float | None = None

    def wait_time(self, now: float) -> float | None:
        """0 if a request may be reserved now, else seconds to wait (None: until a reservation starts)."""
        if self._next_slot is not None and now < self._next_slot - _SLOT_TOLERANCE:
            return max(self._next_slot - now, _MIN_WAIT)
        used = self._window.count(now)
        blocking = used + self._pending - self.capacity
        if blocking < 0:
            return 0.0
        if blocking < used:
            # Never 0 when full, even if rounding puts the expiry exactly at ``now``.
            return max(self._window[blocking] + self._window.span - now, _MIN_WAIT)
        return None

    def reserve(self, now: float) -> None:
        """Hold a slot for a request about to start; the next slot is one spacing after this one's.

        A dispatch that woke late catches up, but never with two starts less than half a
        spacing apart.
        """
        self._pending += 1
        nominal = now if self._next_slot is None else self._next_slot
        self._next_slot = max(nominal + self.spacing, now + self.spacing / 2)

    def commit(self, now: float) -> None:
        """The reserved request starts now."""
        self._pending -= 1
        self._window.add(now)

    def release(self) -> None:
        """Forget every reservation (their requests were abandoned before starting)."""
        self._pending = 0
