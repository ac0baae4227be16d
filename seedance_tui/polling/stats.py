"""Counters the poller keeps about itself, for tests, benchmarks and a debug panel."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from seedance_tui.polling.window import SlidingWindow


@dataclass
class PollStats:
    """What the poller has done so far."""

    #: Requests started.
    requests: int = 0
    #: Task replies received.
    replies: int = 0
    #: Failed requests by error class name (``NotSent``, ``ServerError``, ``RateLimited`` ...).
    errors: Counter[str] = field(default_factory=Counter)
    #: Most requests ever in flight at once.
    max_in_flight: int = 0
    #: Most requests ever started within one rolling second.
    max_per_second: int = 0
    #: Times the scheduling loop woke up (low when idle, however many jobs are tracked).
    wakeups: int = 0
    _recent: SlidingWindow = field(default_factory=lambda: SlidingWindow(1.0), repr=False)

    def record_start(self, at: float, in_flight: int) -> None:
        """Count a request starting at ``at`` with ``in_flight`` requests (itself included) outstanding."""
        self.requests += 1
        self._recent.add(at)
        self.max_per_second = max(self.max_per_second, self._recent.count(at))
        self.max_in_flight = max(self.max_in_flight, in_flight)
