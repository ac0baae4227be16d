"""Time estimates: medians of recent succeeded jobs of the same kind, a minimum sample, a slow flag."""

from __future__ import annotations

from seedance_tui.eta import EtaModel, long_eta, short_eta
from seedance_tui.models import GenerationRequest, Job, JobStatus

T0 = 1_800_000_000.0


def finished(queue: float, processing: float, *, model: str = "seedance-2.0", at: float = T0) -> Job:
    job = Job.new(GenerationRequest(model=model, prompt="p", duration=5))
    job.created_at = job.submitted_at = at
    job.set_status(JobStatus.QUEUED, at)
    job.set_status(JobStatus.PROCESSING, at + queue)
    job.set_status(JobStatus.SUCCEEDED, at + queue + processing)
    return job


def live(status: str, since: float, model: str = "seedance-2.0") -> Job:
    job = Job.new(GenerationRequest(model=model, prompt="p", duration=5))
    job.created_at = job.submitted_at = since
    job.set_status(JobStatus.QUEUED, since)
    if status == JobStatus.PROCESSING:
        job.set_status(JobStatus.PROCESSING, since)
    return job


def test_no_estimate_without_enough_history() -> None:
    model = EtaModel(min_samples=5)
    model.learn([finished(60, 180) for _ in range(4)])
    assert model.estimate(live(JobStatus.QUEUED, T0), T0) is None
    model.learn([finished(60, 180)])
    estimate = model.estimate(live(JobStatus.QUEUED, T0), T0 + 30)
    assert estimate is not None and estimate.remaining == 210 and not estimate.slow
    assert short_eta(estimate) == "~4m"


def test_medians_per_kind_and_only_recent_jobs_count() -> None:
    model = EtaModel(min_samples=3, recent=3)
    model.learn([finished(999, 999, at=T0 - 5000)] + [finished(10, t, at=T0 + t) for t in (100, 200, 300)])
    model.learn([finished(1, 1, model="seedance-2.0-fast") for _ in range(3)])
    typical = model.typical(("seedance-2.0", 5, "720p"))
    assert typical is not None and (typical.queue, typical.processing, typical.samples) == (10, 200, 3)
    processing = model.estimate(live(JobStatus.PROCESSING, T0), T0 + 150)
    assert processing is not None and processing.remaining == 50 and short_eta(processing) == "<1m"
    assert model.estimate(finished(1, 1), T0) is None  # finished jobs get no estimate


def test_a_job_far_beyond_its_estimate_is_slow() -> None:
    model = EtaModel(min_samples=1)
    model.learn([finished(60, 120)])
    estimate = model.estimate(live(JobStatus.PROCESSING, T0), T0 + 500)
    assert estimate is not None and estimate.slow and short_eta(estimate) == "slow"
    assert long_eta(estimate).startswith("slow: far beyond the typical time")
    on_time = model.estimate(live(JobStatus.PROCESSING, T0), T0 + 30)
    assert long_eta(on_time) == "~2 min left (typical: 60 s queued, 2 min processing, from 1 job)"
