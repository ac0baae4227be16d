"""Benchmark rows for issue 14 (notifications, automatic download, split view, changed-row highlight).

Run alone from the repository root (about a minute with ``--quick``; needs tmux and the installed
command for the terminal row): .venv/bin/python -m tests.perf.watch [--quick]
``tests.perf.run`` includes these rows in its full report.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from seedance_tui.config import DEMO_API_KEY
from tests.perf.run import (
    IN_FLIGHT,
    QUIET_BUDGET,
    STORED,
    Row,
    Terminal,
    build_app,
    close_app,
    med,
    print_table,
    rss_mb,
    split_view_loaded,
)
from tests.perf.scenarios import COMMAND, LagProbe, dashboard_jobs, sim_process, submit_tasks
from tests.support import write_store


async def in_process_rows(db: Path, url: str, rounds: int) -> list[Row]:
    """Cursor moves with the split view open at 10k rows; a 1,000-change batch with highlighting."""
    app, service = build_app(db, url, QUIET_BUDGET)
    steps: list[float] = []
    applies: list[float] = []
    ticks: list[float] = []
    lags: list[float] = []
    async with app.run_test(size=(200, 50)) as pilot:
        table = await split_view_loaded(pilot)
        # A frame is the event loop busy without a break: the worst lag of a 5 ms ticker while keys
        # are pressed is the longest frame (a pilot press also waits ~60 ms for the app to idle).
        cursor_probe = LagProbe()
        cursor_probe.start()
        for _ in range(100 * rounds):
            # One key press: the cursor moves, the panel is rebuilt, the screen repainted.
            start = time.perf_counter()
            await pilot.press("j")
            steps.append((time.perf_counter() - start) * 1000)
        await cursor_probe.stop()
        in_flight = [job for job in service.jobs() if job.request_id and not job.is_final][:IN_FLIGHT]
        for n in range(rounds + 1):
            for job in in_flight:
                job.last_error = f"round {n}"  # a visible change for each of the 1,000 jobs
            probe = LagProbe()
            probe.start()
            start = time.perf_counter()
            table.apply(in_flight)
            await pilot.pause()
            elapsed = (time.perf_counter() - start) * 1000
            # The fade tick while 1,000 rows are highlighted: only visible rows are looked at.
            table.recent.fresh = 0.0
            start = time.perf_counter()
            table._tick_live_rows()
            await pilot.pause()
            tick = (time.perf_counter() - start) * 1000
            table.recent.fresh = 2.0
            await probe.stop()
            if n:  # the first round warms caches
                applies.append(elapsed)
                ticks.append(tick)
                lags.append(probe.worst_ms)
        await app.action_quit()
    close_app(service)
    over = sum(lag > 0.050 for lag in cursor_probe.lags)
    return [
        Row(
            "14. longest frame moving the cursor, split view open, 10k rows",
            cursor_probe.worst_ms,
            50,
            "ms",
            note=f"{len(steps)} presses of j at 200x50; {over} of {len(cursor_probe.lags)} ticks over 50 ms; "
            f"a press with pilot overhead: median {med(steps):.0f} ms",
        ),
        Row("14. table update, 1,000 changes with highlight (work + repaint)", med(applies), 50, "ms"),
        Row(
            "14. highlight fade tick with 1,000 rows highlighted",
            med(ticks),
            50,
            "ms",
            note="every visible row changes phase at once: a repaint of the table, as for the batch",
        ),
        Row("14. worst event-loop lag during the highlighted batch", med(lags), 50, "ms"),
    ]


class WatchingTerminal(Terminal):
    """The installed dashboard at 200x50 (split view open) with notify and automatic download on."""

    def __init__(self, db: Path, url: str, work: Path) -> None:
        self.socket = f"seedance-perf-{uuid.uuid4().hex[:8]}"
        self.work = work
        # As Terminal: no archiving at start, so the 9,000 finished jobs stay loaded (the RSS row's
        # 10,000 jobs; with the default 30 days they were moved out before the first paint).
        (work / "perf.toml").write_text("archive_after_days = 0\n")
        command = (
            f"exec env TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(work / 'perf.toml'))} "
            f"SEEDANCE_API_KEY={DEMO_API_KEY} {shlex.quote(str(COMMAND))} "
            f"--db {shlex.quote(str(db))} --base-url {url} --notify bell --auto-download "
            f"--download-dir {shlex.quote(str(work / 'videos'))}"
        )
        self.started = time.perf_counter()
        self.tmux("new-session", "-d", "-s", "perf", "-x", "200", "-y", "50", command)
        self.pid = int(self.tmux("display-message", "-p", "-t", "perf", "#{pane_pid}").strip())


def terminal_row(db: Path, url: str, work: Path, window: float, windows: int) -> list[Row]:
    terminal = WatchingTerminal(db, url, work)
    try:
        terminal.wait_for("fox crossing", timeout=60)
        terminal.wait_for("Request id", timeout=10)  # the split view's panel
        time.sleep(3)  # let the store's first flush pass
        memory = rss_mb(terminal.pid)
        samples = [terminal.idle(window) for _ in range(windows)]
    finally:
        terminal.close()
    note = f"median of {windows} x {window:.0f} s; 200x50, notify=bell, auto_download on, 1,000 queued"
    return [
        Row(
            "14. idle CPU, split view + notify + auto-download, 1,000 in flight",
            med([s["cpu_pct"] for s in samples]),
            2,
            "%",
            note=note,
        ),
        Row(
            "14. idle bytes to the terminal, same",
            med([s["bytes_per_s"] for s in samples]),
            2000,
            "B/s",
        ),
        Row("14. RSS with 10,000 jobs, same", memory, 150, "MB"),
    ]


async def measure(work: Path, quick: bool) -> list[Row]:
    rows: list[Row] = []
    with sim_process("--queue-seconds", "100000", "--failure-rate", "0") as sim:
        request_ids = await submit_tasks(sim.url, IN_FLIGHT)
        db = work / "jobs.json"
        write_store(db, dashboard_jobs(request_ids, STORED - IN_FLIGHT, time.time()))
        rows += await in_process_rows(db, sim.url, 1 if quick else 3)
        if shutil.which("tmux") and COMMAND.exists():
            steady = work / "steady.json"
            write_store(steady, dashboard_jobs(request_ids, STORED - IN_FLIGHT, time.time(), steady=True))
            window = 10.0 if quick else 60.0
            rows += await asyncio.to_thread(terminal_row, steady, sim.url, work, window, 1 if quick else 3)
        else:
            print("tmux or the installed command is missing: the idle row is not measured")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and shorter windows")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="seedance-perf-") as tmp:
        rows = asyncio.run(measure(Path(tmp), args.quick))
    print_table(rows)
    print(f"\n{sum(r.passed for r in rows)}/{len(rows)} targets met")


if __name__ == "__main__":
    main()
