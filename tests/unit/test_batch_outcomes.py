"""Batch re-sending follows the single-submission outcome rules (issue 9's envelope rule included)."""

from __future__ import annotations

from seedance_tui.api.errors import RateLimited
from seedance_tui.batch_file import BatchPlan, PlannedJob
from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.outcomes import SubmitError, SubmitOutcome
from seedance_tui.service.batch import attempt_of, rate_limit_wait, sort_plan


def _refused(cause: Exception) -> SubmitError:
    job = Job.new(GenerationRequest(model="seedance-2.0", prompt="x"))
    error = SubmitError(job, SubmitOutcome.REJECTED, "refused")
    error.__cause__ = cause
    return error


def test_only_a_429_carrying_the_api_envelope_is_waited_out_and_resent() -> None:
    assert rate_limit_wait(_refused(RateLimited("slow down", retry_after=3.0, enveloped=True))) == 3.0
    assert rate_limit_wait(_refused(RateLimited("proxy page", retry_after=3.0, enveloped=False))) is None


def test_a_probably_not_created_job_is_skipped_unless_uncertain_ones_are_resent() -> None:
    request = GenerationRequest(model="seedance-2.0", prompt="a boat")
    plan = BatchPlan(jobs=[PlannedJob(line=1, request=request, key="k1", credits=40)])
    stored = Job.new(request)
    stored.status = JobStatus.PROBABLY_NOT_CREATED
    stored.batch_entry = "k1"
    skipped = sort_plan(plan, [stored])
    assert not skipped.to_send and [s.status for s in skipped.skipped] == [JobStatus.PROBABLY_NOT_CREATED]
    resent = sort_plan(plan, [stored], resend_uncertain=True)
    assert [p.key for p in resent.to_send] == ["k1"] and resent.resent_uncertain
    assert resent.batch_keys == {"k1": "k1#2"}


def test_each_job_to_send_gets_the_next_attempt_of_its_entry_and_never_reuses_a_key() -> None:
    request = GenerationRequest(model="seedance-2.0", prompt="a boat")
    plan = BatchPlan(jobs=[PlannedJob(n, request, f"k{n}", 40) for n in range(1, 5)])

    def stored(entry: str, key: str | None, status: str = JobStatus.REJECTED) -> Job:
        job = Job.new(request)
        job.batch_entry, job.batch_key, job.status = entry, key, status
        return job

    jobs = [
        stored("k2", "k2#1"),
        stored("k3", None),  # stored before batch keys were kept: counts as an attempt
        stored("k3", "k3#2"),
        stored("k4", "k4#3"),  # attempts 1 and 2 no longer stored: the next is 4, not 2
        stored("other", "other#1", JobStatus.QUEUED),
    ]
    sent = sort_plan(plan, jobs)
    assert sent.batch_keys == {"k1": "k1#1", "k2": "k2#2", "k3": "k3#3", "k4": "k4#4"}
    assert [attempt_of(key) for key in ("k1#12", "k1", None, "k1#x")] == [12, 0, 0, 0]
