"""Summary figures: status counts, credits by period and outcome per model, finishes per hour, problems."""

from __future__ import annotations

from datetime import datetime

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.summary import summarise

NOW = datetime(2026, 6, 17, 15, 0, 0).timestamp()  # a Wednesday afternoon
HOUR = 3600.0


def job(status: str, *, model: str = "seedance-2.0", credits: int | None = 40, at: float = NOW - HOUR,
        took: float = 120.0) -> Job:  # fmt: skip
    j = Job.new(GenerationRequest(model=model, prompt="p", duration=5))
    j.created_at = j.submitted_at = at
    j.credits_charged = credits
    j.set_status(JobStatus.QUEUED, at)
    j.set_status(status, at + took)
    return j


def test_figures_match_the_jobs() -> None:
    jobs = [
        job(JobStatus.SUCCEEDED),
        job(JobStatus.SUCCEEDED, took=300),
        job(JobStatus.FAILED, credits=40),
        job(JobStatus.CANCELLED, credits=20, at=NOW - 2 * 24 * HOUR),  # Monday: this week, not today
        job(JobStatus.SUCCEEDED, at=NOW - 10 * 24 * HOUR),  # an older week
        job(JobStatus.SUCCEEDED, model="seedance-2.0-fast", credits=25),
        job(JobStatus.REJECTED, credits=None),
        job(JobStatus.QUEUED),
    ]
    expired = job(JobStatus.SUCCEEDED, model="seedance-2.0-fast", credits=25, at=NOW - 5 * HOUR)
    expired.output_expired = True
    summary = summarise([*jobs, expired], NOW)
    assert summary.by_status[JobStatus.SUCCEEDED] == 5 and summary.by_status[JobStatus.QUEUED] == 1
    pro = summary.models["seedance-2.0"]
    # today: 2 succeeded + failed + the queued one, 40 each
    assert (pro.credits_today, pro.credits_week, pro.credits_total) == (160, 180, 220)
    assert pro.credits_failed_cancelled == 60
    assert pro.success_rate == 3 / 4 and pro.median_seconds == 120
    fast = summary.models["seedance-2.0-fast"]
    assert (fast.credits_total, fast.success_rate) == (50, 1.0)
    assert summary.credits_total == 270
    assert summary.problems == {JobStatus.REJECTED: 1, "expired": 1}
    # finishes per hour (rejected jobs never ran): four in the last hour, the expired one 5 h ago
    assert len(summary.finished_per_hour) == 24 and sum(summary.finished_per_hour) == 5
    assert summary.finished_per_hour[-1] == 4 and summary.finished_per_hour[-5] == 1
