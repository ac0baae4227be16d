"""Start-up with a long history on PostgreSQL (issue 16), beside the tinydb store and the naive full
load, in one run: process start -> table with N stored jobs (1,000 unfinished), RSS, and what paging
the rest in costs (one page on scroll, every page for a search or export).

Run from the repository root: .venv/bin/python -m tests.perf.bench_pg_startup [--stored N] [--no-tinydb]
It starts a throwaway PostgreSQL server (tests/pg_fixtures.py) and removes it at the end.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import tempfile
import time
from pathlib import Path

from seedance_tui.config import DEMO_API_KEY
from seedance_tui.store import JobStore
from seedance_tui.store.backend import Store
from seedance_tui.store.opening import open_store_url
from tests.perf.bench_startup import history_rows, paint_and_rss
from tests.perf.run import Row, print_table
from tests.perf.scenarios import COMMAND, dashboard_jobs
from tests.pg_fixtures import PgCluster, start_cluster

IN_FLIGHT = 1_000


def seed(cluster: PgCluster, stored: int) -> str:
    """A database holding ``stored`` jobs of the demo key's account, ``IN_FLIGHT`` of them queued."""
    cluster.sql("CREATE DATABASE startup")
    url = cluster.url("startup")
    jobs = dashboard_jobs([f"req_{i:08d}" for i in range(IN_FLIGHT)], stored - IN_FLIGHT, time.time())
    store = open_store_url(url, api_key=DEMO_API_KEY, notice=lambda message: None)
    store.put_documents(job.to_dict() for job in jobs)
    store.close()
    return url


def dashboard(url: str, work: Path, days: int) -> str:
    config = work / f"pg-{days}.toml"
    config.write_text(f"archive_after_days = {days}\n")
    return (
        f"exec env TERM=xterm-256color SEEDANCE_CONFIG={shlex.quote(str(config))} "
        f"SEEDANCE_API_KEY={DEMO_API_KEY} {shlex.quote(str(COMMAND))} "
        f"--store {shlex.quote(url)} --base-url http://127.0.0.1:9"
    )


def paging_ms(url: str) -> tuple[float, float, int]:
    """In-process: ms to the first history page, ms to read every page, jobs in the history."""
    store = open_store_url(url, api_key=DEMO_API_KEY, notice=lambda message: None)
    return _paging_ms(store)


def _paging_ms(store: Store) -> tuple[float, float, int]:
    try:
        started = time.perf_counter()
        pages = store.history().pages()
        count = len(next(pages))
        first = time.perf_counter() - started
        count += sum(len(page) for page in pages)
        every = time.perf_counter() - started
    finally:
        store.close()
    return first * 1000, every * 1000, count


def pg_rows(cluster: PgCluster, work: Path, stored: int) -> list[Row]:
    url = seed(cluster, stored)
    db = work / "unused.json"
    naive, naive_cpu, naive_rss = paint_and_rss(
        dashboard(url, work, 0), db, "fox crossing", work, timeout=300
    )
    wall, cpu, rss = paint_and_rss(dashboard(url, work, 30), db, "fox crossing", work, timeout=120)
    first_page, every_page, in_history = paging_ms(url)
    return [
        Row(
            f"16. process start -> table, {stored:,} stored, PostgreSQL naive (tmux)",
            naive * 1000,
            float("inf"),
            "ms",
            note=f"naive: every job of the account loaded; CPU {naive_cpu * 1000:.0f} ms, RSS {naive_rss:.0f} MB",
        ),
        Row(
            f"16. process start -> table, {stored:,} stored, PostgreSQL (tmux)",
            wall * 1000,
            1000,
            "ms",
            baseline=naive * 1000,
            note=f"unfinished + finished within 30 days (cap 2,000) loaded; CPU {cpu * 1000:.0f} ms",
        ),
        Row(f"16. RSS after first paint, {stored:,} stored, PostgreSQL", rss, 200, "MB", baseline=naive_rss),
        Row(
            "16. first history page (500 jobs), PostgreSQL (in-process)",
            first_page,
            float("inf"),
            "ms",
            note="what scrolling to the end of the table pays",
        ),
        Row(
            f"16. every history page, {in_history:,} jobs, PostgreSQL (in-process)",
            every_page,
            float("inf"),
            "ms",
            note="what the first search, filter, sort or export past the loaded jobs pays",
        ),
    ]


def tinydb_paging_rows(work: Path, stored: int) -> list[Row]:
    """The same reads on the tinydb store ``history_rows`` left archived (its archive files)."""
    first_page, every_page, in_history = _paging_ms(JobStore.open(work / f"history-{stored}.json"))
    return [
        Row("2. first history page (500 jobs), tinydb archive (in-process)", first_page, float("inf"), "ms"),
        Row(
            f"2. every history page, {in_history:,} jobs, tinydb archive (in-process)",
            every_page,
            float("inf"),
            "ms",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stored", type=int, default=100_000, help="jobs stored (1,000 of them unfinished)")
    parser.add_argument("--no-tinydb", action="store_true", help="skip the tinydb rows")
    args = parser.parse_args()
    if not (shutil.which("tmux") and COMMAND.exists()):
        raise SystemExit("tmux and the installed command are needed")
    cluster = start_cluster()
    work = Path(tempfile.mkdtemp(prefix="seedance-bench-pg-startup-"))
    try:
        rows = pg_rows(cluster, work, args.stored)
        if not args.no_tinydb:
            rows += history_rows(work, args.stored) + tinydb_paging_rows(work, args.stored)
        print_table(rows)
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
