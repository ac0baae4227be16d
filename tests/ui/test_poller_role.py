"""The header says whether this window polls or follows the window that does (issue 15)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from rich.text import Text

from seedance_tui.polling.lease import PollerLease
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.widgets.status_bar import StatusBar
from tests.conftest import API_KEY
from tests.ui.helpers import make_settings, wait_for


def header(app: SeedanceApp) -> str:
    rendered = app.screen.query_one(StatusBar).render()
    return rendered.plain if isinstance(rendered, Text) else str(rendered)


async def test_the_header_shows_following_then_polling_once_the_other_window_leaves(
    sim: SimulatorServer, service_factory: Callable[..., JobService], db_path: Path, tmp_path: Path
) -> None:
    other = PollerLease(db_path, sim.url, API_KEY)
    assert other.try_acquire().polls
    service = service_factory(sim.url, lease=PollerLease(db_path, sim.url, API_KEY), lease_retry_interval=0.1)
    app = SeedanceApp(service, make_settings(sim.url, tmp_path))
    async with app.run_test(size=(140, 30)) as pilot:
        assert await wait_for(pilot, lambda: f"following pid {os.getpid()}" in header(app))
        other.release()
        assert await wait_for(pilot, lambda: "⇅ polling" in header(app))
