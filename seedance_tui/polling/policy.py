"""How often to poll a job, and how long to back off after a fault: pure arithmetic, no I/O."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from seedance_tui.models import Job, JobStatus

#: Exponent cap for the backoff so huge fault counts cannot overflow a float.
_MAX_DOUBLINGS = 32


def status_since(job: Job) -> float:
    """Wall time at which ``job`` was first seen in its current status (submission time if unknown)."""
    for change in reversed(job.history):
        if change.status == job.status:
            return change.at
    return job.submitted_at or job.created_at


@dataclass
class PollPolicy:
    """Per-job poll intervals and fault backoff, in seconds."""

    #: Interval for a job submitted less than ``young_age`` seconds ago: it may finish soon.
    young_interval: float = 2.0
    young_age: float = 60.0
    #: Interval for a job the API reports as processing.
    processing_interval: float = 3.0
    #: Interval for a queued (or unknown-status) job when it has just entered that status ...
    queued_interval: float = 5.0
    #: ... growing by this many seconds per second spent in it (a change is noticed at most ~20 %
    #: of its waiting time late: a job queued for 10 minutes is checked every 2) ...
    queued_growth: float = 0.2
    #: ... up to this ...
    max_interval: float = 120.0
    #: ... unless so many jobs are followed that checking each that often would cost more requests a
    #: second than this: then the longest interval stretches to ``jobs / long_wait_rate`` (1,000
    #: long-queued jobs: each every 200 s). A long queue must not hammer the API, nor the CPU.
    long_wait_rate: float = 5.0
    #: Backoff after the n-th consecutive fault: up to ``backoff_base * 2**(n-1)``, capped at ``backoff_max``.
    backoff_base: float = 2.0
    backoff_max: float = 120.0
    #: Intervals are scaled by a random factor in [1 - jitter, 1 + jitter]: jobs must not poll in lock-step.
    jitter: float = 0.1

    def interval(self, status: str, age: float, in_status: float, followed: int = 1) -> float:
        """Seconds until the next poll of a job ``age`` s old that has been ``in_status`` s in ``status``,
        among ``followed`` jobs being polled."""
        if age < self.young_age:
            base = self.young_interval
        elif status == JobStatus.PROCESSING:
            base = self.processing_interval
        else:
            base = self.queued_interval + self.queued_growth * max(0.0, in_status)
        return min(base, max(self.max_interval, followed / self.long_wait_rate))

    def jittered(self, interval: float, rng: random.Random) -> float:
        """``interval`` scaled by a random factor around 1, so that jobs drift apart."""
        return interval * rng.uniform(1.0 - self.jitter, 1.0 + self.jitter)

    def backoff(self, faults: int, rng: random.Random) -> float:
        """Delay after ``faults`` consecutive faults: random in [ceiling/2, ceiling], the ceiling doubling."""
        doublings = min(max(faults, 1) - 1, _MAX_DOUBLINGS)
        ceiling = min(self.backoff_max, self.backoff_base * 2.0**doublings)
        return rng.uniform(ceiling / 2.0, ceiling)


@dataclass
class RequestBudget:
    """The most the poller may ask of the API (user-configurable)."""

    #: Requests started in any rolling second never exceed this (below 1: one per 1/rate seconds).
    requests_per_second: float = 20.0
    #: Requests in flight at once never exceed this.
    concurrency: int = 8

    def __post_init__(self) -> None:
        if not (self.requests_per_second > 0 and math.isfinite(self.requests_per_second)):
            raise ValueError("requests_per_second must be a positive number")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
