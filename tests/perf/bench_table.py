"""Rough job table benchmark at 10,000 jobs: first paint, filter and search keystrokes, 1,000-job batches.

Run from the repository root: /work/venv/bin/python -m tests.perf.bench_table
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from functools import partial

from textual.app import App, ComposeResult

from seedance_tui.models import JobStatus
from seedance_tui.ui.styles import style_path
from seedance_tui.ui.widgets.job_table import JobTable
from tests.perf.scenarios import make_jobs


class TableApp(App[None]):
    CSS_PATH = [style_path("global.tcss"), style_path("main.tcss")]

    def compose(self) -> ComposeResult:
        yield JobTable()


async def timed(pilot_pause: Callable[[], Awaitable[None]], action: Callable[[], None]) -> str:
    """Milliseconds to run ``action``, and to run it and let the app repaint (pilot overhead included)."""
    start = time.perf_counter()
    action()
    work = (time.perf_counter() - start) * 1000
    await pilot_pause()
    return f"{work:6.1f} ms work, {(time.perf_counter() - start) * 1000:6.1f} ms with repaint"


async def main() -> None:
    jobs = make_jobs(10_000)
    app = TableApp()
    async with app.run_test(size=(200, 60)) as pilot:
        table = app.query_one(JobTable)
        print(f"first paint, 10k jobs:        {await timed(pilot.pause, lambda: table.load(jobs))}")
        start = time.perf_counter()
        for y in range(60):
            table.render_line(y)
        print(f"render all 60 visible lines:  {(time.perf_counter() - start) * 1000:6.1f} ms")
        start = time.perf_counter()
        await pilot.pause()
        print(f"(an idle pilot.pause:         {(time.perf_counter() - start) * 1000:6.1f} ms)")
        for name in ("failed", "problems", "all"):
            ms = await timed(pilot.pause, partial(table.set_filter, name))
            print(f"filter {name:<10}             {ms}")
        for text in ("n", "ne", "neo", "neon c", ""):
            ms = await timed(pilot.pause, partial(table.set_search, text))
            print(f"search {text!r:<10}             {ms}")
        for column in ("status", "prompt", "age"):
            ms = await timed(pilot.pause, partial(table.sort_by, column))
            print(f"sort {column:<10}               {ms}")
        changed = jobs[:1000]
        for job in changed:
            job.error_message = "boom"
        ms = await timed(pilot.pause, lambda: table.apply(changed))
        print(f"apply 1,000 in place:         {ms} (rebuilds {table.model.rebuilds})")
        for job in changed:
            job.status = JobStatus.SUCCEEDED
        table.set_filter("queued")
        await pilot.pause()
        ms = await timed(pilot.pause, lambda: table.apply(changed))
        print(f"apply 1,000 leaving a filter: {ms}")
        new = make_jobs(1000, seed=2)
        for job in new:
            job.local_id = "n" + job.local_id
        ms = await timed(pilot.pause, lambda: table.apply(new))
        print(f"apply 1,000 new jobs:         {ms}")
        start = time.perf_counter()
        for _ in range(100):
            table.action_cursor_down()
        await pilot.pause()
        print(f"100 cursor moves:             {(time.perf_counter() - start) * 1000:7.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
