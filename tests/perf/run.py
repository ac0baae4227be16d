"""Measure every performance target at 10,000 stored jobs and 1,000 in flight, each beside a naive baseline.

Run from the repository root: .venv/bin/python -m tests.perf.run [--quick] [--json report.json] (about six minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from textual.pilot import Pilot

from seedance_tui.api.client import SeedanceClient
from seedance_tui.config import DEMO_API_KEY, Settings
from seedance_tui.models import Job, JobStatus
from seedance_tui.polling import PollPolicy, RequestBudget
from seedance_tui.service import JobService
from seedance_tui.store import JobStore, storage
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.screens.main import MainScreen
from seedance_tui.ui.widgets.detail_panel import DetailPanel
from seedance_tui.ui.widgets.job_rows import sort_key
from seedance_tui.ui.widgets.job_table import JobTable
from tests.perf.scenarios import (
    COMMAND,
    LagProbe,
    SimProcess,
    dashboard_jobs,
    full_job,
    naive_update_ms,
    sim_process,
    submit_tasks,
)
from tests.support import write_store

T = TypeVar("T")

STORED = 10_000
IN_FLIGHT = 1_000
#: Polls every job twice a second: demand (2,000/s) far above any budget tried, so the budget binds.
EAGER_POLICY = PollPolicy(
    young_interval=0.5, processing_interval=0.5, queued_interval=0.5, queued_growth=0.0, max_interval=0.5
)
#: One request per 100 s: keeps the app's own poller out of the way while a batch is fed in by hand.
QUIET_BUDGET = RequestBudget(requests_per_second=0.01, concurrency=1)
#: How often each of the 1,000 long-queued jobs of the idle scenario is checked.
STEADY_INTERVAL = PollPolicy().interval(JobStatus.QUEUED, 3600, 3600, followed=IN_FLIGHT)


@dataclass
class Row:
    """One line of the report."""

    target: str
    measured: float
    bound: float
    unit: str
    higher_is_better: bool = False
    baseline: float | None = None
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.measured >= self.bound if self.higher_is_better else self.measured <= self.bound

    @property
    def ratio(self) -> float | None:
        """How many times better than the baseline."""
        if self.baseline is None or not self.measured:
            return None
        return self.measured / self.baseline if self.higher_is_better else self.baseline / self.measured


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- in-process app: start-up, keystrokes, a 1,000-change batch -------------------------------------


async def split_view_loaded(pilot: Pilot[Any]) -> JobTable:
    """The main screen's table once it holds every stored job, with the split view open (200 columns)."""
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    table = screen.query_one(JobTable)
    while table.row_count < STORED:
        await pilot.pause(0.005)
    assert screen.query_one(DetailPanel).display, "the split view is not open at 200 columns"
    await pilot.pause()
    return table


def build_app(db: Path, url: str, budget: RequestBudget) -> tuple[SeedanceApp, JobService]:
    store = JobStore.open(db)
    service = JobService(store, SeedanceClient(url, DEMO_API_KEY), budget=budget, flush_interval=3600)
    settings = Settings(api_key=DEMO_API_KEY, base_url=url, db_path=db)
    gc.freeze()  # as the installed command does once the store is loaded (seedance_tui/launch.py)
    return SeedanceApp(service, settings), service


def close_app(service: JobService) -> None:
    service.store.close()
    # Collected here, between scenarios: a later full collection would otherwise stall the next one.
    gc.unfreeze()
    gc.collect()


async def startup_ms(db: Path, url: str) -> float:
    """From ``JobStore.open`` to the first paint of the main screen with its rows."""
    start = time.perf_counter()
    app, service = build_app(db, url, QUIET_BUDGET)
    async with app.run_test(size=(160, 45)) as pilot:
        table = app.screen.query_one(JobTable)
        while table.row_count < STORED:
            await pilot.pause(0.005)
        await pilot.pause()
        elapsed = (time.perf_counter() - start) * 1000
        await app.action_quit()
    close_app(service)
    return elapsed


async def keystroke_ms(pilot: Pilot[Any], table: JobTable) -> tuple[float, float, float, float]:
    """Median ms per filter, search and sort keystroke (work and repaint), and of a naive rebuild per keystroke."""
    samples: dict[str, list[float]] = {"filter": [], "search": [], "sort": []}
    actions: list[tuple[str, Callable[[str], object], str]] = []
    actions += [("filter", table.set_filter, name) for name in ("failed", "queued", "problems", "all")]
    actions += [("search", table.set_search, text) for text in ("r", "ri", "riv", "take 5", "")]
    actions += [("sort", table.sort_by, column) for column in ("status", "prompt", "model", "age")]
    for kind, action, argument in actions:
        start = time.perf_counter()
        action(argument)
        await pilot.pause()
        samples[kind].append((time.perf_counter() - start) * 1000)
    jobs = list(table.model.jobs.values())
    naive_samples = []
    for _ in range(3):
        # What a table without an index does per keystroke: sort everything, filter, rebuild, repaint.
        start = time.perf_counter()
        shown = sorted(jobs, key=lambda job: sort_key(job, "prompt"))
        table.load([job for job in shown if "riv" in job.request.prompt.casefold()])
        await pilot.pause()
        naive_samples.append((time.perf_counter() - start) * 1000)
    table.load(jobs)
    await pilot.pause()
    return med(samples["filter"]), med(samples["search"]), med(samples["sort"]), med(naive_samples)


def thread_cpu_ms(work: Callable[[], T]) -> tuple[T, float]:
    """Run ``work`` (in a worker thread); its result and the CPU ms the thread spent on it."""
    start = time.thread_time()
    result = work()
    return result, (time.thread_time() - start) * 1000


async def batch_round(
    pilot: Pilot[Any], service: JobService, table: JobTable, replies: dict[str, Any], applied: list[float]
) -> dict[str, float]:
    """Feed 1,000 status changes through the service as the poller does; time the store, table and loop."""
    probe = LagProbe()
    probe.start()
    await asyncio.sleep(0.05)
    seen = len(applied)
    start = time.perf_counter()
    for local_id, reply in replies.items():
        service._on_reply(local_id, reply)  # the poller's reply callback
    update_ms = (time.perf_counter() - start) * 1000
    deadline = time.monotonic() + 5
    while len(applied) == seen and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    await pilot.pause()
    journal_before = cast(JobStore, service.store).journal_bytes
    start = time.perf_counter()
    written, flush_cpu_ms = await asyncio.to_thread(thread_cpu_ms, service.store.flush)
    flush_ms = (time.perf_counter() - start) * 1000
    appended = cast(JobStore, service.store).journal_bytes - journal_before
    await asyncio.sleep(0.05)
    await probe.stop()
    # The app's own poller may have changed a job or two first; the batch is still ~1,000 jobs.
    assert written >= len(replies) - 10, f"only {written} of {len(replies)} jobs were flushed"
    return {
        "update": update_ms,
        "flush": flush_ms,
        "flush_cpu": flush_cpu_ms,
        "table": sum(applied[seen:]),
        "lag": probe.worst_ms,
        "appended": appended,
    }


async def app_scenarios(db: Path, url: str, request_ids: list[str], rounds: int) -> list[Row]:
    starts = [await startup_ms(db, url) for _ in range(rounds)]
    rows = [Row("1. open store -> first paint with 10k rows (in-process)", med(starts), 1000, "ms")]

    async with SeedanceClient(url, DEMO_API_KEY) as client:
        fetched = await asyncio.gather(*(client.get(rid) for rid in request_ids))
    app, service = build_app(db, url, QUIET_BUDGET)
    figures: dict[str, list[float]] = {
        "update": [],
        "flush": [],
        "flush_cpu": [],
        "table": [],
        "lag": [],
        "appended": [],
    }
    async with app.run_test(size=(160, 45)) as pilot:
        table = app.screen.query_one(JobTable)
        while table.row_count < STORED:
            await pilot.pause(0.005)
        filter_ms, search_ms, sort_ms, naive_key_ms = await keystroke_ms(pilot, table)

        applied: list[float] = []
        apply = table.apply

        def timed_apply(jobs: Iterable[Job]) -> None:
            start = time.perf_counter()
            apply(jobs)
            applied.append((time.perf_counter() - start) * 1000)

        table.apply = timed_apply  # type: ignore[method-assign]
        by_request = {
            job.request_id: job.local_id for job in service.jobs() if job.request_id in set(request_ids)
        }
        for n in range(2 * rounds + 2):
            # The store says queued; alternate what the replies say so that every round changes all 1,000 jobs.
            status = JobStatus.QUEUED if n % 2 else JobStatus.PROCESSING
            replies = {by_request[r.request_id]: dataclasses.replace(r, status=status) for r in fetched}
            result = await batch_round(pilot, service, table, replies, applied)
            if n:  # the first round warms caches
                for key, value in result.items():
                    figures[key].append(value)

        # The journal is folded into the file once it outgrows it: one rewrite per that many batches.
        file_bytes = cast(JobStore, service.store).path.stat().st_size
        journal_limit = max(storage.MIN_JOURNAL_LIMIT, storage.JOURNAL_GROWTH * file_bytes)
        start = time.perf_counter()
        _, fold_cpu_ms = await asyncio.to_thread(thread_cpu_ms, cast(JobStore, service.store).compact)
        fold_ms = (time.perf_counter() - start) * 1000
        batches_per_fold = max(1.0, journal_limit / med(figures["appended"]))

        start = time.perf_counter()
        jobs = service.jobs()
        for _ in range(3):
            table.model.load(jobs)
        naive_table_ms = (time.perf_counter() - start) * 1000 / 3 * IN_FLIGHT
        await app.action_quit()
    close_app(service)

    fold_share = fold_ms / batches_per_fold
    store_ms = [u + f + fold_share for u, f in zip(figures["update"], figures["flush"], strict=True)]
    return [
        *rows,
        Row("2. store cost of a 1,000-change batch (update+flush+fold share)", med(store_ms), 30, "ms"),
        Row("2a.  of which update x1000 on the event loop", med(figures["update"]), 30, "ms"),
        Row(
            "2b.  of which flush: one journal append (worker thread)",
            med(figures["flush"]),
            30,
            "ms",
            note=f"{med(figures['appended']) / 1e6:.2f} MB appended and fsync'd per batch; "
            f"{med(figures['flush_cpu']):.1f} ms of it CPU, the rest the disk and the GIL shared with the UI",
        ),
        Row(
            "2c.  of which share of the journal fold-in",
            fold_share,
            30,
            "ms",
            note=f"a {fold_ms:.0f} ms rewrite ({fold_cpu_ms:.0f} ms CPU) of the {file_bytes / 1e6:.1f} MB "
            f"file every {batches_per_fold:.1f} batches",
        ),
        Row(
            "2. table update for the batch",
            med(figures["table"]),
            50,
            "ms",
            baseline=naive_table_ms,
            note="baseline: JobTable.load of all 10k per change",
        ),
        Row("2. worst event-loop lag during the batch", med(figures["lag"]), 50, "ms"),
        Row(
            "6. filter keystroke (work + repaint)",
            filter_ms,
            100,
            "ms",
            baseline=naive_key_ms,
            note="baseline: sort+filter+rebuild+repaint per keystroke",
        ),
        Row("6. search keystroke (work + repaint)", search_ms, 100, "ms", baseline=naive_key_ms),
        Row("6. sort keystroke (work + repaint)", sort_ms, 100, "ms", baseline=naive_key_ms),
    ]


# -- the poller against the simulator ------------------------------------------------------------


async def throughput(sim: SimProcess, db: Path, budget: RequestBudget, seconds: float) -> dict[str, float]:
    """Run the real service (no UI) polling 1,000 jobs for ``seconds``; its counters and the sim's."""
    store = JobStore.open(db)
    service = JobService(store, SeedanceClient(sim.url, DEMO_API_KEY), policy=EAGER_POLICY, budget=budget)
    gc.freeze()  # as the dashboard does once its store is loaded
    gets_before = (await asyncio.to_thread(sim.stats))["gets"]
    probe = LagProbe()
    probe.start()
    start = time.perf_counter()
    task = asyncio.create_task(service.run())
    await asyncio.sleep(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    elapsed = time.perf_counter() - start
    await probe.stop()
    await service.close()
    store.close()
    gc.unfreeze()
    gc.collect()
    stats = service.scheduler.stats
    gets = (await asyncio.to_thread(sim.stats))["gets"] - gets_before
    return {
        "per_second": stats.requests / elapsed,
        "max_in_flight": stats.max_in_flight,
        "max_per_second": stats.max_per_second,
        "sim_gets": gets,
        "sim_gets_per_second": gets / elapsed,
        "errors": sum(stats.errors.values()),
        "lag": probe.worst_ms,
    }


def poller_rows(fast: dict[str, float], slow: dict[str, float], slow_budget: RequestBudget) -> list[Row]:
    return [
        Row(
            "3. status checks/s, 1,000 in flight, budget 400/s x32",
            fast["per_second"],
            300,
            "/s",
            higher_is_better=True,
            note=f"sim saw {fast['sim_gets_per_second']:.0f} GET/s",
        ),
        Row("3. max requests in any 1 s (budget 400)", fast["max_per_second"], 400, "req"),
        Row("3. max in flight (budget 32)", fast["max_in_flight"], 32, "req"),
        Row(
            f"3. max requests in any 1 s (budget {slow_budget.requests_per_second:g})",
            slow["max_per_second"],
            slow_budget.requests_per_second,
            "req",
            note=f"sim saw {slow['sim_gets_per_second']:.1f} GET/s",
        ),
        Row(
            f"3. max in flight (budget {slow_budget.concurrency})",
            slow["max_in_flight"],
            slow_budget.concurrency,
            "req",
        ),
        Row("3. worst event-loop lag while polling 400/s", fast["lag"], 50, "ms"),
    ]


# -- the installed command in tmux ------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Terminal:
    """The installed dashboard in a private tmux server, 120x40."""

    def __init__(self, db: Path, url: str, work: Path, command: str | None = None) -> None:
        self.socket = f"seedance-perf-{uuid.uuid4().hex[:8]}"
        self.work = work
        # Rows measure the store as given: no archiving at start (bench_startup archives explicitly).
        (work / "perf.toml").write_text("archive_after_days = 0\n")
        command = command or (
            f"exec env TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(work / 'perf.toml'))} "
            f"SEEDANCE_API_KEY={DEMO_API_KEY} {shlex.quote(str(COMMAND))} "
            f"--db {shlex.quote(str(db))} --base-url {url}"
        )
        self.started = time.perf_counter()
        self.tmux("new-session", "-d", "-s", "perf", "-x", "120", "-y", "40", command)
        self.pid = int(self.tmux("display-message", "-p", "-t", "perf", "#{pane_pid}").strip())

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20, check=True
        ).stdout

    def wait_for(self, text: str, timeout: float) -> float:
        """Seconds from launch until ``text`` is on the screen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.tmux("capture-pane", "-p", "-t", "perf"):
                return time.perf_counter() - self.started
            time.sleep(0.02)
        raise RuntimeError(f"{text!r} did not appear within {timeout}s")

    def idle(self, seconds: float) -> dict[str, float]:
        """CPU share and bytes written to the terminal per second over ``seconds``."""
        out = self.work / f"pty-{uuid.uuid4().hex[:6]}.bin"
        out.touch()
        self.tmux("pipe-pane", "-o", "-t", "perf", f"cat >> {shlex.quote(str(out))}")
        time.sleep(0.5)
        size0, cpu0, t0 = out.stat().st_size, cpu_seconds(self.pid), time.perf_counter()
        time.sleep(seconds)
        size1, cpu1, t1 = out.stat().st_size, cpu_seconds(self.pid), time.perf_counter()
        return {"cpu_pct": 100 * (cpu1 - cpu0) / (t1 - t0), "bytes_per_s": (size1 - size0) / (t1 - t0)}

    def close(self) -> None:
        self.tmux("send-keys", "-t", "perf", "q")
        deadline = time.monotonic() + 10
        while Path(f"/proc/{self.pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20)


def terminal_rows(
    db: Path,
    make_steady_db: Callable[[], Path],
    empty_db: Path,
    url: str,
    work: Path,
    launches: int,
    window: float,
) -> list[Row]:
    starts: list[float] = []
    for _ in range(launches):
        terminal = Terminal(db, url, work)
        try:
            starts.append(terminal.wait_for("fox crossing", timeout=30))
        finally:
            terminal.close()
    # Built just before launch: its "last checked" times are only steady if they are fresh.
    terminal = Terminal(make_steady_db(), url, work)
    try:
        terminal.wait_for("fox crossing", timeout=30)
        time.sleep(3)  # let the store's first flush pass
        memory = rss_mb(terminal.pid)
        # Medians over ``launches`` windows: each holds one minute's redraw of ages and lazy save.
        windows = [terminal.idle(window) for _ in range(launches)]
        busy = {key: med([w[key] for w in windows]) for key in windows[0]}
    finally:
        terminal.close()
    terminal = Terminal(empty_db, url, work)
    try:
        terminal.wait_for("No jobs yet", timeout=30)
        time.sleep(2)
        empty = terminal.idle(window)
    finally:
        terminal.close()
    return [
        Row("1. process start -> table with 10k rows (tmux)", med(starts) * 1000, 1000, "ms"),
        Row(
            "4. idle CPU, 1,000 unchanging jobs in flight",
            busy["cpu_pct"],
            2,
            "%",
            note=f"median of {launches} x {window:.0f} s; queued an hour, each checked every "
            f"{STEADY_INTERVAL:.0f} s: {IN_FLIGHT / STEADY_INTERVAL:.1f} req/s",
        ),
        Row(
            "4. idle bytes to the terminal, 1,000 in flight",
            busy["bytes_per_s"],
            2000,
            "B/s",
            note="ages past a minute change once a minute: one ~15 KB burst a minute",
        ),
        Row("4. idle CPU, 0 jobs", empty["cpu_pct"], 2, "%"),
        Row("4. idle bytes to the terminal, 0 jobs", empty["bytes_per_s"], 100, "B/s"),
        Row("5. RSS with 10,000 jobs", memory, 150, "MB"),
    ]


# -- report --------------------------------------------------------------------------------------


def print_table(rows: list[Row]) -> None:
    head = f"{'target':<58} {'median':>10} {'bound':>9} {'':4} {'baseline':>11} {'ratio':>8}"
    print(head)
    print("-" * len(head))
    for row in rows:
        base = f"{row.baseline:11.1f}" if row.baseline is not None else f"{'':11}"
        ratio = f"{row.ratio:7.0f}x" if row.ratio is not None else f"{'':8}"
        verdict = "pass" if row.passed else "MISS"
        bound = f"{'>=' if row.higher_is_better else '<='}{row.bound:g}"
        print(f"{row.target:<58} {row.measured:8.1f}{row.unit:>2} {bound:>9} {verdict:4} {base} {ratio}")
        if row.note:
            print(f"{'':4}({row.note})")


async def measure(args: argparse.Namespace, work: Path) -> list[Row]:
    rounds = 2 if args.quick else 3
    rows: list[Row] = []
    with sim_process("--queue-seconds", "100000", "--failure-rate", "0") as sim:
        request_ids = await submit_tasks(sim.url, IN_FLIGHT)
        now = time.time()
        db, empty_db = work / "jobs.json", work / "empty.json"
        write_store(db, dashboard_jobs(request_ids, STORED - IN_FLIGHT, now))
        write_store(empty_db, [])

        def make_steady_db() -> Path:
            steady_db = work / "steady.json"
            write_store(steady_db, dashboard_jobs(request_ids, STORED - IN_FLIGHT, time.time(), steady=True))
            return steady_db

        rows += await app_scenarios(db, sim.url, request_ids, rounds)
        from tests.perf.watch import in_process_rows  # issue 14: split view and changed-row highlight

        rows += await in_process_rows(db, sim.url, rounds)
        gc.collect()  # what the app scenarios left behind, not in the next scenario's measurements

        naive_one = naive_update_ms(work / "naive.json", full_job, STORED, 5 if args.quick else 15)
        for row in rows:
            if row.target.startswith("2. store cost"):
                row.baseline, row.note = (
                    naive_one * IN_FLIGHT,
                    "baseline: tinydb JSONStorage, one update per change",
                )

        seconds = 4.0 if args.quick else 8.0
        slow_budget = RequestBudget(requests_per_second=50, concurrency=4)
        results = []
        for n, budget in enumerate((RequestBudget(requests_per_second=400, concurrency=32), slow_budget)):
            flight_db = work / f"flight-{n}.json"
            write_store(flight_db, dashboard_jobs(request_ids, 0, now))
            results.append(await throughput(sim, flight_db, budget, seconds))
        rows += poller_rows(results[0], results[1], slow_budget)

        if shutil.which("tmux") and COMMAND.exists():
            # A full minute: ages past a minute and the lazy save of poll times change once a minute.
            window = 10.0 if args.quick else 60.0
            rows += await asyncio.to_thread(
                terminal_rows, db, make_steady_db, empty_db, sim.url, work, 1 if args.quick else 3, window
            )
            from tests.perf.watch import terminal_row  # issue 14: split view, notify, auto-download

            rows += await asyncio.to_thread(
                terminal_row, make_steady_db(), sim.url, work, window, 1 if args.quick else 3
            )
        else:
            print("tmux or the installed command is missing: targets 1 (process), 4 and 5 not measured")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and shorter windows")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="seedance-perf-") as tmp:
        rows = asyncio.run(measure(args, Path(tmp)))
    print_table(rows)
    print(f"\n{sum(r.passed for r in rows)}/{len(rows)} targets met in {time.perf_counter() - started:.0f} s")
    if args.json:
        report = [{**dataclasses.asdict(r), "passed": r.passed, "ratio": r.ratio} for r in rows]
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "rows": report}, indent=2))


if __name__ == "__main__":
    main()
