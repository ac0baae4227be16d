"""The dashboard on a PostgreSQL store: another machine's job appears live; a lost database is said."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from seedance_tui.models import GenerationRequest, Job
from seedance_tui.service import JobService
from seedance_tui.sim.server import SimulatorServer
from seedance_tui.store.opening import open_store_url
from seedance_tui.ui.app import SeedanceApp
from seedance_tui.ui.widgets.job_table import JobTable
from tests.conftest import API_KEY
from tests.pg_fixtures import SUPERUSER_PASSWORD, PgCluster
from tests.ui.helpers import make_settings, wait_for


def table_text(app: SeedanceApp) -> str:
    table = app.screen.query_one(JobTable)
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


async def test_a_job_added_on_another_machine_shows_within_a_second(
    sim: SimulatorServer, pg_url: str, pg_services: Callable[[str], JobService], tmp_path: Path
) -> None:
    app = SeedanceApp(pg_services(pg_url), make_settings(sim.url, tmp_path, store=pg_url))
    other = open_store_url(pg_url, api_key=API_KEY, notice=lambda message: None)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.3)  # the app's service is listening
            start = time.monotonic()
            other.add(Job.new(GenerationRequest(model="seedance-2.0", prompt="from the render farm")))
            assert await wait_for(pilot, lambda: "from the render farm" in table_text(app), steps=40)
            assert time.monotonic() - start < 1.0
    finally:
        other.close()


async def test_losing_the_database_is_said_and_its_return_too(
    sim: SimulatorServer, own_cluster: PgCluster, pg_services: Callable[[str], JobService], tmp_path: Path
) -> None:
    url = own_cluster.url()
    app = SeedanceApp(pg_services(url), make_settings(sim.url, tmp_path, store=url))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        own_cluster.stop()
        said = lambda: [n.message for n in app._notifications]  # noqa: E731
        assert await wait_for(pilot, lambda: any("Lost the connection" in m for m in said()), steps=200)
        assert not any(SUPERUSER_PASSWORD in m for m in said())
        own_cluster.start()
        assert await wait_for(pilot, lambda: any("saved again" in m for m in said()), steps=400)
