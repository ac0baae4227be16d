"""Keystroke benchmark row for a three-term query at 10,000 jobs (target: <= 100 ms with the repaint).

Run from the repository root: .venv/bin/python -m tests.perf.bench_query
"""

from __future__ import annotations

import asyncio
import statistics
import time

from seedance_tui.ui.widgets.job_table import JobTable
from tests.perf.bench_table import TableApp
from tests.perf.scenarios import make_jobs

#: Typing a three-term query, keystroke by keystroke from its second term on.
KEYSTROKES = [
    "status:failed model:2.0 n",
    "status:failed model:2.0 ne",
    "status:failed model:2.0 neo",
    "status:failed model:2.0 neon",
    "-status:cancelled res:720p,1080p neon",
]


async def main() -> None:
    app = TableApp()
    async with app.run_test(size=(200, 60)) as pilot:
        table = app.query_one(JobTable)
        table.load(make_jobs(10_000))
        await pilot.pause()
        work, total = [], []
        for _ in range(3):
            for text in KEYSTROKES:
                start = time.perf_counter()
                table.set_search(text)
                work.append((time.perf_counter() - start) * 1000)
                await pilot.pause()
                total.append((time.perf_counter() - start) * 1000)
            table.set_search("")
            await pilot.pause()
        print(
            f"three-term query keystroke, 10k jobs: median {statistics.median(work):.1f} ms work, "
            f"{statistics.median(total):.1f} ms with repaint (max {max(total):.1f}; target <= 100 ms)"
        )


if __name__ == "__main__":
    asyncio.run(main())
