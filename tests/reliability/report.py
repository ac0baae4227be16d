"""The reliability figures in one command: runs each scenario and prints the table for the README.

    .venv/bin/python -m tests.reliability.report [--quick]

Scenarios (all on 127.0.0.1): a submission storm through every simulator fault; worker processes
killed with SIGKILL mid-work; every hostile reply kind of issue 9; the request budget measured at
a server enforcing it; a bounded slow-loris flood of the webhook port. About a minute (``--quick``:
fewer jobs and kills).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from seedance_tui.models import Job, JobStatus
from seedance_tui.polling import RequestBudget
from seedance_tui.service import SubmitError
from seedance_tui.sim.config import SimConfig
from seedance_tui.sim.server import SimulatorServer
from tests.conftest import FAST_SIM
from tests.reliability.helpers import (
    attempts_logged,
    build_service,
    on_disk,
    reconcile,
    request,
    running,
    start_worker,
    wait_ready,
)
from tests.reliability.hostile import HostileServer, Reply
from tests.reliability.test_budget import RPS, most_in_any_second, run_budget_scenario
from tests.reliability.test_webhook_flood import run_flood
from tests.reliability.worker import ORPHAN_AGE
from tests.support import until


@dataclass
class Row:
    """One line of the figures table."""

    scenario: str
    jobs: int
    faults: dict[str, int] = field(default_factory=dict)
    kills: int = 0
    lost: int = 0
    duplicates: int = 0
    notes: str = ""

    def cells(self) -> list[str]:
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults.items()) if n) or "-"
        total = sum(self.faults.values())
        return [
            self.scenario,
            str(self.jobs),
            f"{total} ({faults})" if total else "-",
            str(self.kills),
            str(self.lost),
            str(self.duplicates),
            self.notes,
        ]


@contextlib.contextmanager
def simulator(**fields: object) -> Iterator[SimulatorServer]:
    server = SimulatorServer(SimConfig(**{**FAST_SIM, **fields}), log_level="critical")  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def storm(folder: Path, jobs: int) -> Row:
    """``jobs`` submissions at once through 5xx, 429, malformed, dropped and slow replies; then followed."""
    faults = {
        "error_rate": 0.1,
        "rate_limit_rate": 0.1,
        "malformed_rate": 0.05,
        "drop_rate": 0.05,
        "latency": 0.05,
    }
    with simulator(**faults) as sim:
        path = folder / "storm.json"
        service = build_service(sim.url, path, budget=RequestBudget(requests_per_second=60, concurrency=6))
        created: set[str] = set()
        accepted: list[str] = []
        async with running(service):
            results = await asyncio.gather(
                *(service.submit(request(f"storm-{i}")) for i in range(jobs)), return_exceptions=True
            )
            for result in results:
                if isinstance(result, Job):
                    created.add(result.local_id)
                    accepted.append(result.local_id)
                elif isinstance(result, SubmitError):
                    created.add(result.job.local_id)
            await until(lambda: all(service.get(i).is_final for i in accepted), 120, "accepted jobs final")  # type: ignore[union-attr]
        ledger = reconcile(sim.url, path, created, jobs)
    notes = (
        f"accepted {len(accepted)}; outcome_unknown {ledger.outcome_unknown}, probably_not_created "
        f"{ledger.probably_not_created}, rejected {ledger.statuses.get('rejected', 0)}; "
        f"status mismatches {len(ledger.mismatched)}"
    )
    return Row(
        "submission storm, every fault", ledger.jobs, ledger.faults, 0, ledger.lost, ledger.duplicates, notes
    )


async def kills(folder: Path, count: int) -> Row:
    """Worker processes (submitting and polling) killed with SIGKILL at random moments."""
    with simulator(latency=0.2, queue_seconds=0.4, process_seconds=0.8, failure_rate=0.2) as sim:
        store, attempts = folder / "kills.json", folder / "attempts.log"
        rng = random.Random(9)
        seen: set[str] = set()
        for n in range(count):
            worker = start_worker(sim.url, store, attempts, f"w{n}", 6)
            try:
                await wait_ready(worker)
                await asyncio.sleep(rng.uniform(0.0, 1.5))
            finally:
                worker.kill()
                await asyncio.to_thread(worker.wait)
                if worker.stdout is not None:
                    worker.stdout.close()
            seen |= on_disk(store).keys()
        await asyncio.sleep(ORPHAN_AGE)
        service = build_service(sim.url, store, orphan_age=ORPHAN_AGE)
        async with running(service):
            await until(
                lambda: all(not j.needs_polling and j.status != JobStatus.SUBMITTING for j in service.jobs()),
                30,
                "every job settled",
            )
        ledger = reconcile(sim.url, store, seen, len(attempts_logged(attempts)))
    notes = f"outcome_unknown {ledger.outcome_unknown} (caught mid-POST); status mismatches {len(ledger.mismatched)}"
    return Row("SIGKILL of submitting workers", ledger.jobs, {}, count, ledger.lost, ledger.duplicates, notes)


#: One POST reply per hostile kind of issue 9 (items 2, 4, 8): each must leave the request id on disk.
_HOSTILE_POSTS = {
    "huge creditsCharged": Reply.raw_json(
        '{"requestId":"req_huge","status":"queued","creditsCharged":1e300}'
    ),
    "30-digit creditsCharged": Reply.raw_json(
        '{"requestId":"req_digits","status":"queued","creditsCharged":123456789012345678901234567890}'
    ),
    "POST says succeeded": Reply.json({"requestId": "req_final", "status": "succeeded"}),
}
#: GET replies for one accepted job (items 5 and 8): none may be believed or stored whole.
_HOSTILE_GETS = {
    "status submitting": lambda rid: Reply.json({"requestId": rid, "status": "submitting"}),
    "status rejected": lambda rid: Reply.json({"requestId": rid, "status": "rejected"}),
    "other requestId": lambda rid: Reply.json(
        {"requestId": "req_other", "status": "succeeded", "output": {"url": "https://evil.test/x.mp4"}}
    ),
    "5 MB reply": lambda rid: Reply.json({"requestId": rid, "status": "processing", "blob": "x" * 5_000_000}),
    "900-deep nesting": lambda rid: Reply.raw_json(
        f'{{"requestId":"{rid}","status":"processing","x":{"[" * 900}1{"]" * 900}}}'
    ),
}
#: Refusals (item 4): with the API's envelope → rejected; without → probably not created.
_REFUSALS = {
    "503 with envelope": Reply.json(
        {"success": False, "error": {"code": "unavailable", "message": "busy"}}, 503
    ),
    "429 with envelope": Reply.json(
        {"success": False, "error": {"code": "rate_limited", "message": "slow"}}, 429
    ),
    "503 proxy HTML": Reply(503, b"<html>upstream busy</html>", "text/html"),
    "429 empty body": Reply(429, b"", "text/plain"),
}


async def hostile(folder: Path) -> Row:
    """Every hostile reply kind against the real client, service and store."""
    server = HostileServer()
    server.start()
    path = folder / "hostile.json"
    submitted: list[Job] = []
    believed: list[str] = []
    try:
        service = build_service(server.url, path)
        async with running(service):
            for reply in _HOSTILE_POSTS.values():
                server.script("POST", reply)
                submitted.append(await service.submit(request("hostile-post")))
            for reply in _REFUSALS.values():
                server.script("POST", reply)
                try:
                    await service.submit(request("hostile-refusal"))
                except SubmitError as exc:
                    submitted.append(exc.job)
            followed = await service.submit(request("hostile-get"))
            submitted.append(followed)
            for name, make in _HOSTILE_GETS.items():
                seen = sum(a.method == "GET" for a in server.arrivals)
                server.script("GET", make(followed.request_id or ""))
                await until(lambda s=seen: sum(a.method == "GET" for a in server.arrivals) > s + 1, 20, name)  # type: ignore[misc]
                if followed.status not in ("queued", "processing") or followed.output_url:
                    believed.append(name)
        disk = on_disk(path)
        posts = sum(a.method == "POST" for a in server.arrivals)
    finally:
        server.stop()
    lost = sum(
        1 for job in submitted if job.local_id not in disk or disk[job.local_id].request_id != job.request_id
    )
    kinds = {name: 1 for name in [*_HOSTILE_POSTS, *_REFUSALS, *_HOSTILE_GETS]}
    largest = max(path.stat().st_size, 0)
    statuses = Counter(disk[job.local_id].status for job in submitted)
    notes = f"believed {len(believed)}; store {largest // 1024} KB; statuses {dict(sorted(statuses.items()))}"
    return Row("hostile replies (issue 9)", len(disk), kinds, 0, lost, posts - len(submitted), notes)


async def budget(folder: Path) -> Row:
    arrivals, limited = await run_budget_scenario(folder / "budget.json")
    most = most_in_any_second(arrivals)
    notes = f"--rps {RPS}: {len(arrivals)} GETs, most in any sliding 1 s at the server {most}, 429s {limited}"
    return Row("poll budget at a server enforcing it", 60, {}, 0, 0, 0, notes)


async def flood(folder: Path) -> Row:
    with simulator() as sim:
        result = await run_flood(sim.url, folder / "flood.json", connections=2000, seconds=10)
    attack = result.attack
    notes = (
        f"{attack['opened']} half-sent requests; all closed by the server after ≤ {attack['longest_open']:.1f} s; "
        f"sockets held ≤ {result.max_fds - result.baseline_fds}; loop lag ≤ {result.max_loop_lag * 1000:.0f} ms; "
        f"submit during flood {result.submit_seconds:.2f} s; stop {result.stop_seconds:.2f} s"
    )
    return Row(
        "slow-loris flood of the webhook port",
        1,
        {"slow-loris connections": attack["opened"]},
        0,
        0,
        0,
        notes,
    )


async def run_all(quick: bool) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="seedance-report-") as tmp:
        folder = Path(tmp)
        rows = [await storm(folder, 30 if quick else 100)]
        rows.append(await kills(folder, 3 if quick else 10))
        rows.append(await hostile(folder))
        rows.append(await budget(folder))
        rows.append(await flood(folder))
    return rows


def table(rows: list[Row]) -> str:
    header = ["scenario", "jobs", "faults injected (by kind)", "kills", "lost", "duplicates", "notes"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    total = Row("**total**", sum(r.jobs for r in rows), {}, sum(r.kills for r in rows),
                sum(r.lost for r in rows), sum(r.duplicates for r in rows))  # fmt: skip
    faults = sum(sum(r.faults.values()) for r in rows)
    cells = total.cells()
    cells[2] = str(faults)
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer jobs and kills")
    args = parser.parse_args()
    started = time.monotonic()
    rows = asyncio.run(run_all(args.quick))
    print(table(rows))
    print(f"\n({time.monotonic() - started:.0f} s, {time.strftime('%Y-%m-%d %H:%M')})")


if __name__ == "__main__":
    main()
