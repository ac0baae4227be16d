"""Figures for the summary screen, computed from the jobs in the store (plain Python, no UI).

Credits count as charged at acceptance, as the API reports them; those of failed and cancelled
jobs are also given apart, since the API does not document refunds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from seedance_tui.models import Job, JobStatus
from seedance_tui.store.history import HistoryTotals

HOURS = 24
#: Problem kinds the summary lists (an expired output is one too, though its job succeeded).
PROBLEMS: tuple[str, ...] = (JobStatus.REJECTED, JobStatus.OUTCOME_UNKNOWN, JobStatus.NOT_FOUND, "expired")


#: Jobs that count as "finished" in the per-hour chart (rejected ones never ran).
_RAN_TO_AN_END = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


@dataclass
class ModelFigures:
    """One model's credits and outcomes."""

    credits_today: int = 0
    credits_week: int = 0
    credits_total: int = 0
    #: Credits charged for jobs that then failed or were cancelled (refunds are undocumented).
    credits_failed_cancelled: int = 0
    succeeded: int = 0
    failed: int = 0
    seconds: list[float] = field(default_factory=list)

    @property
    def success_rate(self) -> float | None:
        """Succeeded share of the jobs that ran to an end of their own (cancelled ones left out)."""
        ended = self.succeeded + self.failed
        return self.succeeded / ended if ended else None

    @property
    def median_seconds(self) -> float | None:
        """Median time from submission to success."""
        return median(self.seconds) if self.seconds else None


@dataclass
class Summary:
    by_status: Counter[str]
    models: dict[str, ModelFigures]
    #: Jobs that reached a final status in each of the last 24 hours, oldest hour first.
    finished_per_hour: list[int]
    problems: Counter[str]
    #: Jobs of the store's history (not held in memory) counted in, by status and credits only.
    from_history: int = 0

    @property
    def credits_total(self) -> int:
        return sum(m.credits_total for m in self.models.values())

    def add_history(self, totals: HistoryTotals) -> None:
        """Count the history in: jobs by status, credits and outcomes per model, problems (the
        per-hour chart, today's and this week's credits and durations stay the held jobs')."""
        self.from_history += totals.jobs
        self.by_status.update(totals.by_status)
        for kind in PROBLEMS:
            self.problems[kind] += totals.expired if kind == "expired" else totals.by_status.get(kind, 0)
        self.problems = +self.problems  # no zero entries
        for name, theirs in totals.models.items():
            figures = self.models.setdefault(name, ModelFigures())
            figures.credits_total += theirs.credits
            figures.credits_failed_cancelled += theirs.credits_failed_cancelled
            figures.succeeded += theirs.succeeded
            figures.failed += theirs.failed
        self.models = dict(sorted(self.models.items()))


def summarise(jobs: list[Job], now: float) -> Summary:
    """Every figure of the summary screen for ``jobs`` at time ``now`` (local calendar days)."""
    local_now = datetime.fromtimestamp(now)
    day_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    week_start = (day_start - timedelta(days=day_start.weekday())).timestamp()
    today = day_start.timestamp()
    by_status: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    models: dict[str, ModelFigures] = {}
    per_hour = [0] * HOURS
    for job in jobs:
        by_status[job.status] += 1
        if job.status in PROBLEMS:
            problems[job.status] += 1
        if job.output_expired and not job.saved_path:
            problems["expired"] += 1
        figures = models.setdefault(str(job.request.model), ModelFigures())
        if job.credits_charged:
            charged_at = job.submitted_at or job.created_at
            figures.credits_total += job.credits_charged
            if charged_at >= week_start:
                figures.credits_week += job.credits_charged
            if charged_at >= today:
                figures.credits_today += job.credits_charged
            if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
                figures.credits_failed_cancelled += job.credits_charged
        if job.status == JobStatus.SUCCEEDED:
            figures.succeeded += 1
            if job.finished_at is not None:
                figures.seconds.append(job.finished_at - (job.submitted_at or job.created_at))
        elif job.status == JobStatus.FAILED:
            figures.failed += 1
        if job.status in _RAN_TO_AN_END and job.finished_at is not None:
            hours_ago = int((now - job.finished_at) // 3600)
            if 0 <= hours_ago < HOURS:
                per_hour[HOURS - 1 - hours_ago] += 1
    models = {name: figures for name, figures in sorted(models.items())}
    return Summary(by_status, models, per_hour, problems)
