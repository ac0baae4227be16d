"""Find jobs by any id form the UI shows: local id, request id, request id without ``req_``, or a prefix."""

from __future__ import annotations

from collections.abc import Iterable

from seedance_tui.models import Job

REQUEST_ID_PREFIX = "req_"


def job_ids(job: Job) -> tuple[str, ...]:
    """Every id under which the user may know this job (the table shows the request id without req_)."""
    if not job.request_id:
        return (job.local_id,)
    return (job.local_id, job.request_id, job.request_id.removeprefix(REQUEST_ID_PREFIX))


def match_jobs(jobs: Iterable[Job], ref: str) -> list[Job]:
    """The job ``ref`` names exactly (a one-item list), else every job with an id starting with it."""
    ref = ref.strip()
    if not ref:
        return []
    candidates = list(jobs)
    exact = [job for job in candidates if ref in job_ids(job)]
    if exact:
        return exact[:1]
    return [job for job in candidates if any(form.startswith(ref) for form in job_ids(job))]


def ambiguity_message(ref: str, matches: list[Job], shown: int = 5) -> str:
    """Say how many jobs a prefix names and list a few, so the user can give more of the id."""
    names = ", ".join(job.request_id or job.local_id for job in matches[:shown])
    more = f" and {len(matches) - shown} more" if len(matches) > shown else ""
    return f"{ref!r} matches {len(matches)} jobs: {names}{more}. Give more of the id."
