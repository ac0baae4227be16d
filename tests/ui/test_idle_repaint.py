"""What the idle dashboard sends the terminal: a changed age or elapsed time, not the rows and panel around it.

Issue 14's idle row (tests/perf/watch.py, 200x50, split view open) found 28 KB sent each time the
visible rows' ages turned a minute: every table row rewritten with a colour code per cell and gap
(Textual sends a redrawn cell with its row from the widget's left edge), and the whole split-view
panel for its one changed "Elapsed" line.
"""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console
from textual._compositor import CompositorUpdate
from textual.content import Content

from seedance_tui.models import JobStatus
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.widgets.detail_panel import DetailPanel, changed_rows
from seedance_tui.ui.widgets.job_table import JobTable
from tests.ui.helpers import make_settings
from tests.ui.test_main_screen import seed_store

MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")
#: Bytes a redrawn table row may take at 256 colours: its cells from the left edge to the age, one
#: colour code per run of a style (about 140; 424 with one for each cell and gap).
ROW_BYTES = 200


async def test_a_minute_tick_sends_the_changed_ages_and_one_panel_line(
    sim: SimulatorServer, service: JobService, tmp_path: Path
) -> None:
    jobs = seed_store(tmp_path / "jobs.json", [JobStatus.FAILED] * 60)
    service.store.refresh()
    now = [max(job.created_at for job in jobs) + 3599.2]  # every age reads "59m"
    app = SeedanceApp(
        service, make_settings(sim.url, tmp_path), clock=lambda: now[0], terminal_write=lambda d: None
    )
    sent: list[str] = []
    display = app._display
    terminal = Console(color_system="256", force_terminal=True)  # as TERM=xterm-256color

    def record(screen: object, renderable: object) -> None:
        # What the terminal driver would be sent (the headless one writes nothing).
        if isinstance(renderable, CompositorUpdate):
            sent.append(renderable.render_segments(terminal))
        display(screen, renderable)  # type: ignore[arg-type]

    app._display = record  # type: ignore[method-assign]
    async with app.run_test(size=(200, 50)) as pilot:
        table = app.screen.query_one(JobTable)
        panel = app.screen.query_one(DetailPanel)
        assert panel.display
        for _ in range(50):  # let the first frames settle (a loaded machine draws the scrollbar late)
            sent.clear()
            await pilot.pause()
            if not sent:
                break
        assert not sent, "the screen never settled"

        async def tick() -> str:
            sent.clear()
            table._tick_live_rows()
            panel.show_job()  # as its ticker does for a live job
            await pilot.pause()
            return "".join(sent)

        assert await tick() == ""  # nothing changed: nothing is sent
        now[0] += 1  # "59m" -> "1h00m" in every row and in the panel's elapsed time
        data = await tick()
        moves = [(int(row), int(column) - 1) for row, column in MOVE.findall(data)]
        table_rows = {row for row, x in moves if x < panel.region.x}
        panel_rows = {row for row, x in moves if x >= panel.region.x}
        visible = table.size.height - 1  # under the header
        assert len(table_rows) == visible and data.count("1h00m") == visible + 1
        assert len(panel_rows) == 1, "only the panel's elapsed line changed"
        assert len(data.encode()) <= visible * ROW_BYTES + ROW_BYTES, len(data.encode())
        await pilot.pause()
        assert await tick() == ""


def test_changed_rows_are_the_changed_lines_above_any_wrapped_one() -> None:
    old = Content("Job 1\nElapsed 59m\nPolls 3\n" + "x" * 80 + "\nend")
    assert changed_rows(old, Content("Job 1\nElapsed 1h00m\nPolls 4\n" + "x" * 80 + "\nend"), 60) == [1, 2]
    assert changed_rows(old, Content("Job 1\nElapsed 59m\nPolls 3\n" + "x" * 80 + "\nEND"), 60) is None
    assert changed_rows(old, Content("Job 1\nElapsed 59m\nPolls 3\n" + "x" * 70 + "\nend"), 60) is None
    assert changed_rows(old, Content("Job 1\nElapsed 59m\nPolls 3\n" + "x" * 80 + "\nend"), 60) == []
    restyled = Content.assemble("Job 1\n", ("Elapsed 59m", "bold"), "\nPolls 3\n" + "x" * 80 + "\nend")
    assert changed_rows(old, restyled, 60) == [1]  # the same text in another style is redrawn
    assert changed_rows(Content("a\nb"), Content("a\nb\nc"), 60) == [2]
    assert changed_rows(Content("a\nb\nc"), Content("a"), 60) == [1, 2]
