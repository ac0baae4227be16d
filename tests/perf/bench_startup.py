"""Process start -> first paint: a bare Textual app beside the dashboard (empty store, 10k jobs).

Run from the repository root: .venv/bin/python -m tests.perf.bench_startup [--launches N]
(issue 15, item 4; the rows ``run.py`` does not measure, so they can be run alone on a loaded machine).

Each launch is measured twice over: in tmux, polling ``capture-pane`` every 20 ms as a user's
terminal would show it (its figures move in steps of about 20 ms, and each poll's tmux processes
compete for the CPU), and in a pseudo-terminal read as it is written, which times the first frame
holding the text to the millisecond.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from seedance_tui.config import DEMO_API_KEY
from seedance_tui.models import Job
from seedance_tui.store import JobStore
from seedance_tui.store.history import every_document
from tests.perf.run import Row, Terminal, cpu_seconds, med, print_table, rss_mb
from tests.perf.scenarios import COMMAND, dashboard_jobs
from tests.support import write_store

#: The smallest Textual app that paints a line: what "start-up close to Textual's own" is measured against.
BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App[None]):
    BINDINGS = [("q", "quit")]

    def compose(self):
        yield Static("bare textual ready")

Bare().run()
"""


def bare_command(work: Path) -> str:
    script = work / "bare_app.py"
    script.write_text(BARE_APP)
    return f"exec env TERM=xterm-256color {shlex.quote(sys.executable)} {shlex.quote(str(script))}"


#: Escape sequences between the characters of a frame (cursor moves, colours, OSC titles).
ESCAPES = re.compile(rb"\x1b(?:\[[0-9;?<=>$ ]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def pty_paint(argv: list[str], env: dict[str, str], text: str, timeout: float = 30) -> float:
    """Seconds from launch until a frame written to a 120x40 pseudo-terminal holds ``text``."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd="/", start_new_session=True
    )
    os.close(slave)
    written, wanted = b"", text.encode()
    try:
        while (left := started + timeout - time.perf_counter()) > 0:
            if select.select([master], [], [], left)[0]:
                written += os.read(master, 1 << 16)
                if wanted in ESCAPES.sub(b"", written):
                    return time.perf_counter() - started
        raise RuntimeError(f"{text!r} was not written within {timeout}s")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        os.close(master)


def paint(command: str | None, db: Path, text: str, work: Path, timeout: float = 30) -> tuple[float, float]:
    """Wall and CPU seconds from launch until ``text`` shows (``command`` None: the dashboard).

    CPU time is reported beside wall time: on a machine shared with other work it varies far less.
    """
    return paint_and_rss(command, db, text, work, timeout)[:2]


def paint_and_rss(
    command: str | None, db: Path, text: str, work: Path, timeout: float = 30
) -> tuple[float, float, float]:
    """``paint``, plus the resident memory (MB) once the first paint is on screen."""
    terminal = Terminal(db, "http://127.0.0.1:9", work, command=command)
    try:
        wall = terminal.wait_for(text, timeout=timeout)
        return wall, cpu_seconds(terminal.pid), rss_mb(terminal.pid)
    finally:
        terminal.close()


def history_rows(work: Path, stored: int) -> list[Row]:
    """Start-up and memory with ``stored`` jobs, 1,000 of them in flight: today's full load (item 2's naive)."""
    db = work / f"history-{stored}.json"
    write_store(db, dashboard_jobs([f"req_{i:08d}" for i in range(1_000)], stored - 1_000, time.time()))
    wall, cpu, rss = paint_and_rss(None, db, "fox crossing", work, timeout=120)
    note = f"naive: full load of every stored job; CPU to paint {cpu * 1000:.0f} ms"
    rows = [
        Row(
            f"2. process start -> table, {stored:,} stored, naive (tmux)", wall * 1000, 1000, "ms", note=note
        ),
        Row(f"2. RSS after first paint, {stored:,} stored, naive", rss, 200, "MB"),
    ]
    return rows + archived_rows(work, db, stored)


def archived_rows(work: Path, db: Path, stored: int) -> list[Row]:
    """The same store opened by a dashboard that archives at start (finished jobs older than 30 days):
    the first start upgrades it (moves them, keeps a backup); later starts read the store file alone;
    a search past the recent jobs reads every archive file."""
    config = work / "archive.toml"
    config.write_text("archive_after_days = 30\n")
    command = (
        f"exec env TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(config))} "
        f"SEEDANCE_API_KEY={DEMO_API_KEY} {shlex.quote(str(COMMAND))} "
        f"--db {shlex.quote(str(db))} --base-url http://127.0.0.1:9"
    )
    first, _, first_rss = paint_and_rss(command, db, "fox crossing", work, timeout=300)
    wall, cpu, rss = paint_and_rss(command, db, "fox crossing", work, timeout=120)
    started = time.perf_counter()
    with JobStore.open(db) as store:
        in_store = len(store)
        history = store.history()
        every = [Job.from_dict(doc) for doc in every_document(store.documents(), history)]
    read_all = time.perf_counter() - started
    assert len(every) == stored and not history.notices, history.notices
    archived = stored - in_store
    return [
        Row(
            f"2. first start (upgrade: {archived:,} moved) -> table, {stored:,} stored (tmux)",
            first * 1000,
            float("inf"),
            "ms",
            note=f"once per store; RSS then {first_rss:.0f} MB",
        ),
        Row(
            f"2. process start -> table, {stored:,} stored, {archived:,} archived (tmux)",
            wall * 1000,
            1000,
            "ms",
            note=f"CPU to paint {cpu * 1000:.0f} ms",
        ),
        Row(f"2. RSS after first paint, {stored:,} stored, {archived:,} archived", rss, 200, "MB"),
        Row(
            f"2. reading every job, store + archives, {stored:,} (in-process)",
            read_all * 1000,
            float("inf"),
            "ms",
            note="what the first search, filter, sort or export past the recent jobs pays",
        ),
    ]


def pty_launches(
    work: Path, empty_db: Path, big_db: Path
) -> dict[str, tuple[list[str], dict[str, str], str]]:
    """What ``startup_rows`` launches in a pseudo-terminal: argv, environment and the text to wait for."""
    (work / "bare_app.py").write_text(BARE_APP)
    (work / "perf.toml").write_text("archive_after_days = 0\n")
    env = {**os.environ, "TERM": "xterm-256color"}
    dashboard = {**env, "SEEDANCE_CONFIG": str(work / "perf.toml"), "SEEDANCE_API_KEY": DEMO_API_KEY}
    flags = ["--base-url", "http://127.0.0.1:9", "--db"]
    return {
        "bare": ([sys.executable, str(work / "bare_app.py")], env, "bare textual ready"),
        "empty": ([str(COMMAND), *flags, str(empty_db)], dashboard, "No jobs yet"),
        "10k": ([str(COMMAND), *flags, str(big_db)], dashboard, "fox crossing"),
    }


def startup_rows(work: Path, launches: int) -> list[Row]:
    """Bare app and dashboard launched alternately, so both see the same machine load."""
    empty_db, big_db = work / "empty.json", work / "jobs.json"
    write_store(empty_db, [])
    write_store(big_db, dashboard_jobs([f"req_{i:08d}" for i in range(1_000)], 9_000, time.time()))
    runs: dict[str, list[tuple[float, float]]] = {"bare": [], "empty": [], "10k": []}
    exact: dict[str, list[float]] = {"bare": [], "empty": [], "10k": []}
    for _ in range(launches):
        runs["bare"].append(paint(bare_command(work), empty_db, "bare textual ready", work))
        runs["empty"].append(paint(None, empty_db, "No jobs yet", work))
        runs["10k"].append(paint(None, big_db, "fox crossing", work))
        for name, (argv, env, text) in pty_launches(work, empty_db, big_db).items():
            exact[name].append(pty_paint(argv, env, text))
    wall = {name: med([w for w, _ in samples]) * 1000 for name, samples in runs.items()}
    cpu = {name: med([c for _, c in samples]) * 1000 for name, samples in runs.items()}
    pty_ms = {name: med(samples) * 1000 for name, samples in exact.items()}
    note = f"CPU to paint: bare {cpu['bare']:.0f} ms, empty {cpu['empty']:.0f} ms, 10k {cpu['10k']:.0f} ms"
    return [
        Row(
            "7. process start -> paint, bare Textual app (tmux)", wall["bare"], float("inf"), "ms", note=note
        ),
        Row(
            "7. process start -> paint, empty store (tmux)",
            wall["empty"],
            1.3 * wall["bare"],
            "ms",
            note="bound: 1.3 x the bare Textual app of the same run",
        ),
        Row("7. process start -> table with 10k rows (tmux)", wall["10k"], 600, "ms"),
        Row("7. process start -> first frame, bare Textual app (pty)", pty_ms["bare"], float("inf"), "ms"),
        Row(
            "7. process start -> first frame, empty store (pty)",
            pty_ms["empty"],
            1.3 * pty_ms["bare"],
            "ms",
            note=f"{pty_ms['empty'] / pty_ms['bare']:.2f} x the bare Textual app of the same run",
        ),
        Row("7. process start -> first frame with 10k rows (pty)", pty_ms["10k"], 600, "ms"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--launches", type=int, default=5, help="launches of each (median reported)")
    parser.add_argument(
        "--history",
        type=int,
        action="append",
        default=[],
        metavar="N",
        help="also: start-up and RSS at N stored",
    )
    args = parser.parse_args()
    if not (shutil.which("tmux") and COMMAND.exists()):
        raise SystemExit("tmux and the installed command are needed")
    with tempfile.TemporaryDirectory(prefix="seedance-startup-") as tmp:
        rows = startup_rows(Path(tmp), args.launches)
        for stored in args.history:
            rows += history_rows(Path(tmp), stored)
        print_table(rows)


if __name__ == "__main__":
    main()
