"""The script commands (submit, jobs, status, cancel): same store and client as the dashboard."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from seedance_tui.api.errors import ApiError
from seedance_tui.job_refs import ambiguity_message
from seedance_tui.models import GenerationRequest, Job, ValidationError
from seedance_tui.service import CancelResult, JobService, SubmitError, foreign_job_message
from seedance_tui.store import StoreNotice
from seedance_tui.text import local_time, one_line, printable

EXIT_OK = 0
EXIT_REMOTE = 1
EXIT_USAGE = 2


def _emit(out: TextIO, as_json: bool, payload: Any, text: str) -> None:
    if as_json:
        # ASCII escapes: no control or reordering character from the network reaches the terminal.
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write(text + "\n")


def describe_job(job: Job) -> str:
    """A multi-line human description of one job (all text made printable)."""
    req = job.request
    lines = [
        f"request id   {printable(job.request_id or '(none yet)')}",
        f"local id     {job.local_id}",
        f"status       {printable(job.status)}",
        f"model        {printable(req.model)}",
        f"prompt       {printable(req.prompt)}",
        f"aspect ratio {printable(req.aspect_ratio or '(default)')}",
        f"duration     {req.duration if req.duration is not None else '(default)'}",
        f"resolution   {printable(req.resolution or '(default)')}",
        f"credits      {job.credits_charged if job.credits_charged is not None else '-'}",
        f"created      {local_time(job.created_at)}",
        f"finished     {local_time(job.finished_at)}",
    ]
    if req.webhook_url:
        lines.append(f"webhook      {printable(req.webhook_url)}")
    if req.metadata:
        lines.append(f"metadata     {printable(json.dumps(req.metadata, ensure_ascii=False))}")
    if job.output_url:
        lines.append(f"output       {printable(job.output_url)}")
    if job.error_code or job.error_message:
        lines.append(f"error        {printable(job.error_code or '')}: {printable(job.error_message or '')}")
    if job.last_error:
        lines.append(f"last problem {printable(job.last_error)}")
    return "\n".join(lines)


async def submit(service: JobService, request: GenerationRequest, *, as_json: bool, out: TextIO) -> int:
    try:
        job = await service.submit(request)
    except ValidationError as exc:
        return _usage_error(exc, as_json)
    except SubmitError as exc:
        _error(as_json, exc.message, exc.job, outcome=str(exc.outcome))
        return EXIT_REMOTE
    _emit(out, as_json, job.to_dict(), printable(job.request_id or ""))
    return EXIT_OK


def list_jobs(all_jobs: Sequence[Job], *, statuses: Sequence[str], as_json: bool, out: TextIO) -> int:
    jobs = [j for j in all_jobs if not statuses or j.status in statuses]
    if as_json:
        _emit(out, True, [j.to_dict() for j in jobs], "")
        return EXIT_OK
    if not jobs:
        out.write("No jobs.\n")
        return EXIT_OK
    out.write(f"{'REQUEST ID':<22} {'STATUS':<16} {'MODEL':<18} {'DUR':>3} {'RES':<5} {'CR':>4}  PROMPT\n")
    for job in jobs:
        rid = one_line(job.request_id or f"({job.local_id})", 22)
        dur = str(job.request.duration or "")
        credits = "" if job.credits_charged is None else str(job.credits_charged)
        resolution = one_line(job.request.resolution or "", 5)
        out.write(
            f"{rid:<22} {one_line(job.status, 16):<16} {one_line(job.request.model, 18):<18} {dur:>3} "
            f"{resolution:<5} {credits:>4}  {one_line(job.request.prompt, 40)}\n"
        )
    return EXIT_OK


async def status(service: JobService, ref: str, *, as_json: bool, out: TextIO) -> int:
    job = _find(service, ref, as_json)
    if job is None:
        return EXIT_USAGE
    try:
        job = await service.refresh(job.local_id)
    except ApiError as exc:
        _error(as_json, exc.message, job)
        return EXIT_REMOTE
    _emit(out, as_json, job.to_dict(), describe_job(job))
    return EXIT_OK


async def cancel(service: JobService, ref: str, *, as_json: bool, out: TextIO) -> int:
    job = _find(service, ref, as_json)
    if job is None:
        return EXIT_USAGE
    outcome = await service.cancel(job.local_id)
    payload = {"result": str(outcome.result), "message": outcome.message, "job": outcome.job.to_dict()}
    if outcome.result == CancelResult.CANCELLED:
        _emit(out, as_json, payload, printable(outcome.message))
        return EXIT_OK
    _error(as_json, outcome.message, outcome.job, outcome=str(outcome.result))
    return EXIT_REMOTE


def _find(service: JobService, ref: str, as_json: bool) -> Job | None:
    """The one job ``ref`` names; otherwise say why (none, or several) and return None."""
    matches = service.find_all(ref)
    if len(matches) == 1:
        if not service.belongs_here(matches[0]):
            _error(as_json, foreign_job_message(matches[0], service.api))
            return None
        return matches[0]
    if matches:
        _error(as_json, ambiguity_message(ref, matches), matches=len(matches))
    else:
        _error(
            as_json, f"No job matching {ref!r} in the local store (give a request id, local id or prefix)."
        )
    return None


def _usage_error(exc: ValidationError, as_json: bool) -> int:
    fields = [{"field": e.field, "message": e.message} for e in exc.errors]
    report_error(as_json, str(exc), [str(err) for err in exc.errors], fields=fields)
    return EXIT_USAGE


def _error(as_json: bool, message: str, job: Job | None = None, **extra: Any) -> None:
    if job is not None:
        extra["job"] = job.to_dict()
    report_error(as_json, message, **extra)


def report_error(as_json: bool, message: str, lines: Sequence[str] = (), **extra: Any) -> None:
    """Every command's error: under --json one object on standard output, where the answer would
    have been (``extra`` joins it); else ``error:`` lines (``lines``, or the message) on standard error."""
    if as_json:
        sys.stdout.write(json.dumps({"error": message, **extra}) + "\n")
    else:
        for line in lines or [message]:
            sys.stderr.write(f"error: {printable(line)}\n")


def report_store_notices(notices: Sequence[StoreNotice], err: TextIO) -> None:
    """Say on stderr what the store read around (never silent: jobs may be missing)."""
    for notice in notices:
        level = "error" if notice.jobs_may_be_missing else "warning"
        err.write(f"{level}: {printable(notice.message)}\n")
