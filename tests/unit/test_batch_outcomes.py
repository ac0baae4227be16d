"""Batch re-sending follows the single-submission outcome rules (issue 9's envelope rule included)."""

from __future__ import annotations

from seedance_tui.api.errors import RateLimited
from seedance_tui.batch_file import BatchPlan, PlannedJob
from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.outcomes import SubmitError, SubmitOutcome
from seedance_tui.service.batch import rate_limit_wait, sort_plan


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
