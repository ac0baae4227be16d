"""Time estimates from the store's own history: typical queue and processing time per kind of job.

A kind is (model, duration, resolution). Its typical times are the medians over its most recent
succeeded jobs; with fewer than ``min_samples`` of them there is no estimate (a guess from two
jobs would mislead more than it helps).
"""

from __future__ import annotations

from typing import NamedTuple

from seedance_tui.models import Job, JobStatus

Kind = tuple[str, int, str]

#: Finished jobs needed before a kind gets estimates, and how many recent ones count.
MIN_SAMPLES = 5
RECENT = 50
#: A job this many times past its typical total time is flagged as slow.
SLOW_FACTOR = 2.0


def kind_of(job: Job) -> Kind:
    """What a job's duration depends on; omitted fields count as the API's defaults (5 s, 720p)."""
    request = job.request
    return (str(request.model), request.duration or 5, request.resolution or "720p")


class Typical(NamedTuple):
    """Median queue and processing seconds of one kind, and how many jobs they come from."""

    queue: float
    processing: float
    samples: int

    @property
    def total(self) -> float:
        return self.queue + self.processing


class Estimate(NamedTuple):
    """Seconds left for one job (negative: later than usual) and whether it is far behind."""

    remaining: float
    slow: bool
    typical: Typical


class EtaModel:
    """Learns from succeeded jobs; estimates queued and processing ones."""

    def __init__(
        self, min_samples: int = MIN_SAMPLES, recent: int = RECENT, slow_factor: float = SLOW_FACTOR
    ):
        self.min_samples = min_samples
        self.recent = recent
        self.slow_factor = slow_factor
        #: Per kind: local id → (finished_at, queue seconds, processing seconds).
        self._samples: dict[Kind, dict[str, tuple[float, float, float]]] = {}
        self._typical: dict[Kind, Typical | None] = {}

    def learn(self, jobs: list[Job]) -> None:
        """Take in finished jobs (any order; a job seen before replaces its old sample)."""
        for job in jobs:
            sample = _sample(job)
            if sample is None:
                continue
            kind = kind_of(job)
            samples = self._samples.setdefault(kind, {})
            samples[job.local_id] = sample
            if len(samples) > self.recent * 2:  # trim now and then, not at every job
                newest = sorted(samples.items(), key=lambda item: item[1][0])[-self.recent :]
                self._samples[kind] = dict(newest)
            self._typical.pop(kind, None)

    def typical(self, kind: Kind) -> Typical | None:
        """The kind's median times, or None with too little history."""
        if kind not in self._typical:
            samples = sorted(self._samples.get(kind, {}).values())[-self.recent :]
            if len(samples) < self.min_samples:
                self._typical[kind] = None
            else:
                from statistics import median  # loads once a kind has enough history (issue 15)

                self._typical[kind] = Typical(
                    median(s[1] for s in samples), median(s[2] for s in samples), len(samples)
                )
        return self._typical[kind]

    def estimate(self, job: Job, now: float) -> Estimate | None:
        """How long until a queued or processing job should finish; None if unknown."""
        if job.status not in (JobStatus.QUEUED, JobStatus.PROCESSING):
            return None
        typical = self.typical(kind_of(job))
        if typical is None:
            return None
        if job.status == JobStatus.PROCESSING and job.started_at is not None:
            expected_end = job.started_at + typical.processing
            start, expected = job.started_at, typical.processing
        else:
            begin = job.submitted_at or job.created_at
            expected_end = begin + typical.total
            start, expected = begin, typical.total
        slow = now - start > max(expected * self.slow_factor, expected + 60)
        return Estimate(expected_end - now, slow, typical)


def _sample(job: Job) -> tuple[float, float, float] | None:
    if job.status != JobStatus.SUCCEEDED or job.finished_at is None or job.started_at is None:
        return None
    begin = job.submitted_at or job.created_at
    queue, processing = job.started_at - begin, job.finished_at - job.started_at
    if queue < 0 or processing < 0:
        return None
    return (job.finished_at, queue, processing)


def short_eta(estimate: Estimate | None) -> str:
    """Table text: ``~3m``, ``<1m``, ``slow``; empty without an estimate. Changes at most once a minute."""
    if estimate is None:
        return ""
    if estimate.slow:
        return "slow"
    if estimate.remaining < 60:
        return "<1m"
    return f"~{round(estimate.remaining / 60)}m"


def long_eta(estimate: Estimate | None) -> str:
    """Detail text: ``~2 min left (typical: 1 min queued, 3 min processing, from 12 jobs)``."""
    if estimate is None:
        return "—"
    typical = estimate.typical
    basis = (
        f"typical: {_minutes(typical.queue)} queued, {_minutes(typical.processing)} processing, "
        f"from {typical.samples} job{'s' if typical.samples != 1 else ''}"
    )
    if estimate.slow:
        return f"slow: far beyond the typical time ({basis})"
    if estimate.remaining <= 0:
        return f"any moment now ({basis})"
    return f"~{_minutes(estimate.remaining)} left ({basis})"


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
