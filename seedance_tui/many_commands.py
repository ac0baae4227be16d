"""The script commands for many jobs at once: export, track and batch (cli.py parses their options)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from seedance_tui.batch_file import (
    BatchFileError,
    BatchPlan,
    looks_like_csv,
    parse_matrix,
    plan_batch,
    read_source,
)
from seedance_tui.commands import EXIT_OK, EXIT_REMOTE, EXIT_USAGE
from seedance_tui.export import write_jobs
from seedance_tui.models import Job
from seedance_tui.service import JobService
from seedance_tui.service.batch import (
    SKIPPED,
    BatchRunner,
    LineResult,
    describe_plan,
    plan_line,
    sort_plan,
)
from seedance_tui.service.tracking import TrackResult, id_problem, track
from seedance_tui.text import one_line, printable


def export(jobs: Sequence[Job], *, fmt: str, out: TextIO) -> int:
    """Write the given jobs (already selected) to ``out``."""
    write_jobs(jobs, fmt, out)
    return EXIT_OK


def check_track_ids(ids: Sequence[str]) -> list[str]:
    """Messages for every id that cannot be a request id (checked before anything is asked)."""
    return [f"request id {printable(repr(rid))}: {problem}" for rid in ids if (problem := id_problem(rid))]


async def track_ids(service: JobService, ids: Sequence[str], *, as_json: bool, out: TextIO) -> int:
    """Track each id; exit 1 when any is unknown to the API or could not be looked up."""
    code = EXIT_OK
    for request_id in dict.fromkeys(ids):
        outcome = await track(service, request_id)
        if outcome.result in (TrackResult.NOT_FOUND, TrackResult.ERROR):
            code = EXIT_REMOTE
        if as_json:
            payload = {
                "requestId": request_id,
                "result": str(outcome.result),
                "message": outcome.message,
                "job": outcome.job.to_dict() if outcome.job else None,
            }
            out.write(json.dumps(payload) + "\n")
        else:
            out.write(f"{printable(request_id)}  {printable(outcome.message)}\n")
    return code


@dataclass(frozen=True)
class BatchOptions:
    """What the ``batch`` command was asked to do."""

    path: str
    matrix: Sequence[str] = ()
    dry_run: bool = False
    yes: bool = False
    as_json: bool = False
    resend_uncertain: bool = False
    concurrency: int = 4


def load_plan(options: BatchOptions, err: TextIO) -> BatchPlan | None:
    """The checked plan, or None after reporting every problem (nothing may be sent then)."""
    try:
        matrix = parse_matrix(options.matrix)
        text = read_source(options.path)
        plan = plan_batch(text, matrix, is_csv=looks_like_csv(options.path, text))
    except BatchFileError as exc:
        err.write(f"error: {printable(str(exc))}\n")
        return None
    if plan.errors:
        name = "standard input" if options.path == "-" else options.path
        for error in plan.errors[:200]:
            err.write(f"error: {printable(name)}: {printable(str(error))}\n")
        if len(plan.errors) > 200:
            err.write(f"error: … and {len(plan.errors) - 200:,} more\n")
        err.write(f"{len(plan.errors):,} problem(s) in the file; nothing was sent.\n")
        return None
    if not plan.jobs:
        err.write("error: the file holds no jobs (only blank or # comment lines).\n")
        return None
    return plan


def result_line(done: int, total: int, result: LineResult) -> str:
    job = result.job
    rid = job.request_id if job and job.request_id else "-"
    credits = f"{job.credits_charged} cr" if job and job.credits_charged is not None else ""
    waited = f" (after {result.rate_limit_waits} 429 wait(s))" if result.rate_limit_waits else ""
    message = f"  {one_line(result.message, 120)}" if result.message else ""
    return (
        f"[{done}/{total}] line {result.planned.line}: {result.outcome} {printable(rid)} "
        f"{credits}{waited}{message}"
    )


async def run_batch(
    service: JobService,
    plan: BatchPlan,
    options: BatchOptions,
    *,
    out: TextIO,
    err: TextIO,
    confirm: Callable[[str], bool],
) -> int:
    """Say what will happen, ask (unless --yes), send, report each job and a summary."""
    sorted_plan = sort_plan(
        plan, service.jobs_for_batch(job.key for job in plan.jobs), resend_uncertain=options.resend_uncertain
    )
    summary = describe_plan(plan, sorted_plan)
    if options.dry_run:
        if options.as_json:
            out.write(json.dumps([job.to_dict() for job in plan.jobs], indent=2) + "\n")
        else:
            out.write("\n".join(map(plan_line, plan.jobs)) + "\n")
        err.write(summary + "\nDry run: nothing was sent.\n")
        return EXIT_OK
    err.write(summary + "\n")
    if not sorted_plan.to_send:
        err.write("Nothing to send.\n")
        return EXIT_OK
    if not options.yes and not confirm(f"Send {len(sorted_plan.to_send):,} job(s)? [y/N] "):
        err.write("Nothing was sent.\n")
        return EXIT_USAGE
    total = len(sorted_plan.to_send)
    done = 0

    def report(result: LineResult) -> None:
        nonlocal done
        done += 1
        if options.as_json:
            out.write(json.dumps(result.to_dict()) + "\n")
        else:
            out.write(result_line(done, total, result) + "\n")
        out.flush()

    def waiting(seconds: float) -> None:
        err.write(f"Rate limited by the API (nothing created): waiting {seconds:g} s, then sending again.\n")

    if options.as_json:
        for skipped in sorted_plan.skipped:
            skip = LineResult(skipped.planned, SKIPPED, None, skipped.status)
            out.write(json.dumps(skip.to_dict()) + "\n")
    runner = BatchRunner(service, concurrency=options.concurrency, on_result=report, on_wait=waiting)
    results = await runner.run(sorted_plan)
    outcomes: dict[str, int] = {}
    for result in results:
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    charged = sum(r.job.credits_charged or 0 for r in results if r.job is not None)
    elsewhere = outcomes.pop(SKIPPED, 0)
    also = f" and {elsewhere:,} being sent by another process or machine" if elsewhere else ""
    err.write(
        f"Done: {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items())) or 'nothing sent'}; "
        f"{len(sorted_plan.skipped):,} skipped{also}; {charged:,} credits charged.\n"
    )
    return EXIT_OK if all(r.ok for r in results) else EXIT_REMOTE


def terminal_confirm(question: str) -> bool:
    """Ask on the terminal; False for anything but yes."""
    sys.stderr.write(question)
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")
